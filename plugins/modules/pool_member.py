#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: pool_member
short_description: A host joins the pool, or is ejected from it
version_added: 0.1.0
description:
  - The connection options (O(hostname) and the rest) reach the pool; O(host) is the standalone host that joins it.
  - C(pool.join) runs on the joining host with the master's credentials; the module then waits until the new member
    is enabled and its storage is plugged.
  - A host already in the pool changes nothing, also when O(host) is a member's address (it answers
    C(HOST_IS_SLAVE)).
  - Every condition XenServer sets for a join (no running VMs, no shared SRs, same version, same external
    authentication, not the master of other hosts) fails with a message that says what to fix.
  - O(state=absent) ejects a member; its local VMs and disks are lost, so it needs O(allow_data_loss=true).
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
attributes:
  check_mode:
    support: full
    description: Reports whether the host would join or leave; changes nothing.
  diff_mode:
    support: full
    description: The pool's hosts before and after.
options:
  host:
    description: The host's address (as the pool knows it) or, for O(state=absent), its name.
    type: str
    required: true
  host_username:
    description: User on the joining host.
    type: str
    default: root
  host_password:
    description: Password of O(host_username) on the joining host.
    type: str
  state:
    description: V(present) joins the host; V(absent) ejects it.
    type: str
    default: present
    choices: [present, absent]
  allow_data_loss:
    description: Needed to eject; the ejected host loses its local VMs and disks and starts afresh.
    type: bool
    default: false
  timeout:
    description: Seconds the join (or the eject) may take, waiting included.
    type: int
    default: 900
"""

EXAMPLES = r"""
- name: Join xs2 to the pool of xs1
  xapi.xenserver.pool_member:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    host: 127.0.10.2
    host_password: "{{ xs2_password }}"

- name: Eject it
  xapi.xenserver.pool_member:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    host: 127.0.10.2
    state: absent
    allow_data_loss: true
"""

RETURN = r"""
host:
  description: The member (uuid, name, address, enabled), or null after an eject.
  returned: success
  type: dict
  sample: {uuid: 5e8f1c2a-1b4d-4e0a-8f3b-7c6d5e4f3a21, name: xs2, address: 127.0.10.2, enabled: true}
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._pool_join import PoolMembership


def main():
    module = XenServerModule(
        argument_spec=dict(host=dict(type="str", required=True), host_username=dict(type="str", default="root"),
                           host_password=dict(type="str", no_log=True),
                           state=dict(type="str", default="present", choices=["present", "absent"]),
                           allow_data_loss=dict(type="bool", default=False), timeout=dict(type="int", default=900)),
        supports_check_mode=True)
    module.run(lambda m: PoolMembership(m).run())


if __name__ == "__main__":
    main()
