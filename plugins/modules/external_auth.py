#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: external_auth
short_description: Join the pool to an Active Directory domain, or leave it
version_added: 0.1.0
description:
  - Joins every host of the pool to an Active Directory domain (C(pool.enable_external_auth), type C(AD)), so that
    users and groups of the domain can log in with the RBAC roles given by M(xapi.xenserver.subject).
  - A pool already joined to O(domain) changes nothing. A pool joined to another domain, or whose hosts disagree,
    is left and joined again only with O(rejoin=true).
  - xapi joins the master first, then each member, and undoes the join on all hosts when one fails; the module
    then says which host failed and which option to fix (credentials, domain, OU, LDAPS certificates).
  - O(domain_password) never appears in results, diffs or errors, also where the directory's message repeats it.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.change_module
options:
  state:
    description: V(present) joins the domain; V(absent) leaves it.
    type: str
    choices: [present, absent]
    default: present
  domain:
    description: The domain's DNS name, for example C(example.test). Needed with O(state=present).
    type: str
  domain_username:
    description:
      - A domain account that may join computers, as C(user@domain), C(DOMAIN\\user) or C(user) (then C(@)O(domain)
        is added). Needed to join, and to leave with O(disable_machine_account=true).
      - Not O(username), which is the user the module logs in to the pool as.
    type: str
  domain_password:
    description: The password of O(domain_username).
    type: str
  ou:
    description: The organisational unit for the hosts' computer accounts, for example C(OU=Servers,DC=example,DC=test).
    type: str
  netbios_name:
    description: The hosts' NetBIOS name (15 characters at most) when the host name does not suit.
    type: str
  ldaps:
    description: Talk to the domain controllers over LDAPS; the hosts need the CA certificate of the domain controllers.
    type: bool
  rejoin:
    description: Leave another domain (or end the hosts' disagreement) first, then join O(domain).
    type: bool
    default: false
  disable_machine_account:
    description: With O(state=absent), also disable the hosts' computer accounts in the domain (needs O(domain_username)).
    type: bool
    default: false
  timeout:
    description: Seconds the join or the leave may take on all hosts together.
    type: int
    default: 600
notes:
  - Form the pool first; a host that joins the pool later must have the same external authentication as the master.
"""

EXAMPLES = r"""
- name: Join the pool to example.test
  xapi.xenserver.external_auth:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    domain: example.test
    domain_username: Administrator
    domain_password: "{{ ad_join_password }}"
    ou: OU=XenServer,DC=example,DC=test

- name: Leave the domain and disable the computer accounts
  xapi.xenserver.external_auth:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    state: absent
    disable_machine_account: true
    domain_username: Administrator
    domain_password: "{{ ad_join_password }}"
"""

RETURN = r"""
auth:
  description: The pool's external authentication after the task.
  returned: success
  type: dict
  contains:
    enabled:
      description: Whether every host is joined to the same domain.
      type: bool
    domain:
      description: That domain, or null.
      type: str
    type:
      description: The authentication type all hosts share (C(AD)), or null when none or when they disagree.
      type: str
    consistent:
      description: Whether all hosts agree.
      type: bool
    hosts:
      description: Each host's name, type and domain.
      type: list
      elements: dict
    configuration:
      description: The join's settings as xapi keeps them (domain, user, workgroup, netbios_name, ou...); no password.
      type: dict
  sample: {enabled: true, domain: example.test, type: AD, consistent: true, hosts: [{name: xs1, type: AD, domain: example.test}]}
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._external_auth import ExternalAuth
from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule


def main():
    module = XenServerModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            domain=dict(type="str"), domain_username=dict(type="str"), domain_password=dict(type="str", no_log=True),
            ou=dict(type="str"), netbios_name=dict(type="str"), ldaps=dict(type="bool"),
            rejoin=dict(type="bool", default=False), disable_machine_account=dict(type="bool", default=False),
            timeout=dict(type="int", default=600)),
        required_if=[("state", "present", ("domain", "domain_username", "domain_password")),
                     ("disable_machine_account", True, ("domain_username", "domain_password"))],
        supports_check_mode=True)
    module.run(lambda m: ExternalAuth(m).run())


if __name__ == "__main__":
    main()
