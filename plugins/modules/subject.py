#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: subject
short_description: Active Directory users and groups that may log in to the pool, with their RBAC roles
version_added: 0.1.0
description:
  - Adds a user or group of the pool's domain as a subject with RBAC roles, changes its roles, or removes it.
  - Names are resolved by the pool (C(auth.get_subject_identifier)), so C(EXAMPLE\\alice), C(alice@example.test)
    and the group C(EXAMPLE\\vm-operators) all work; a subject is matched by its SID, so renaming in the directory
    does not duplicate it.
  - Several at once with O(subjects); O(exclusive=true) removes the subjects not listed (they are in the diff).
  - The pool must be joined to the domain first (M(xapi.xenserver.external_auth)).
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.change_module
options:
  name:
    description: The user or group, as C(DOMAIN\\name) or C(name@domain). Use this or O(subjects).
    type: str
  roles:
    description:
      - The subject's roles, exactly. Needed to add a subject; left out, the roles of an existing subject stay.
    type: list
    elements: str
    choices: [pool-admin, pool-operator, vm-power-admin, vm-admin, vm-operator, read-only]
  state:
    description: V(present) adds the subject or sets its roles; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  subjects:
    description: Several subjects at once.
    type: list
    elements: dict
    suboptions:
      name:
        description: As O(name).
        type: str
        required: true
      roles:
        description: As O(roles).
        type: list
        elements: str
        choices: [pool-admin, pool-operator, vm-power-admin, vm-admin, vm-operator, read-only]
      state:
        description: As O(state).
        type: str
        choices: [present, absent]
        default: present
  exclusive:
    description: Remove every subject of the pool that O(name) or O(subjects) does not list.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The group vm-operators of example.test may start and stop VMs
  xapi.xenserver.subject:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    name: EXAMPLE\vm-operators
    roles: [vm-operator]

- name: Exactly these subjects, no others
  xapi.xenserver.subject:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    subjects:
      - {name: EXAMPLE\pool-admins, roles: [pool-admin]}
      - {name: alice@example.test, roles: [read-only]}
    exclusive: true
"""

RETURN = r"""
subject:
  description: The subject of O(name) after the task (null when absent).
  returned: success, with O(name)
  type: dict
  sample: {uuid: 2c1f..., name: EXAMPLE\vm-operators, sid: S-1-5-21-1-2-3-1105, upn: null, is_group: true, roles: [vm-operator]}
subjects:
  description: Every subject of the pool after the task (name, sid, upn, is_group, roles).
  returned: success
  type: list
  elements: dict
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._subjects import ROLES, Subjects


def main():
    module = XenServerModule(
        argument_spec=dict(
            name=dict(type="str"), roles=dict(type="list", elements="str", choices=list(ROLES)),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            subjects=dict(type="list", elements="dict", options=dict(
                name=dict(type="str", required=True), roles=dict(type="list", elements="str", choices=list(ROLES)),
                state=dict(type="str", choices=["present", "absent"], default="present"))),
            exclusive=dict(type="bool", default=False)),
        required_one_of=[("name", "subjects")], mutually_exclusive=[("name", "subjects")],
        supports_check_mode=True)
    module.run(lambda m: Subjects(m).run())


if __name__ == "__main__":
    main()
