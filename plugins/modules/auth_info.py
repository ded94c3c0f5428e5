#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: auth_info
short_description: The pool's domain, its subjects with their roles, and who the module logged in as
version_added: 0.1.0
description:
  - The domain the pool is joined to (per host, so a disagreement shows), the subjects with names and roles,
    and the session the module itself got (user and effective role) — run it with a directory user's credentials
    to check what that user may do.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.info_module
"""

EXAMPLES = r"""
- name: What alice may do in the pool
  xapi.xenserver.auth_info:
    hostname: 127.0.10.1
    username: EXAMPLE\alice
    password: "{{ alice_password }}"
  register: alice

- name: She is a VM operator
  ansible.builtin.assert:
    that: alice.session.role == 'vm-operator'
"""

RETURN = r"""
auth:
  description: As the C(auth) result of M(xapi.xenserver.external_auth).
  returned: success
  type: dict
subjects:
  description: The subjects (name, sid, upn, is_group, roles); empty when the session may not read them.
  returned: success
  type: list
  elements: dict
session:
  description: The module's own session.
  returned: success
  type: dict
  contains:
    user:
      description: The user name it logged in as.
      type: str
    local_superuser:
      description: Whether it is the local root account.
      type: bool
    role:
      description: The highest RBAC role whose rights the session has in full (C(pool-admin) for root).
      type: str
  sample: {user: EXAMPLE\alice, local_superuser: false, role: vm-operator}
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._auth_view import read_auth
from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule


def main():
    module = XenServerModule(argument_spec={}, supports_check_mode=True)
    module.run(lambda m: dict(read_auth(m.client), changed=False))


if __name__ == "__main__":
    main()
