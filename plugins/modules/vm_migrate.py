#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: vm_migrate
short_description: Move a VM to another host, its disks to other SRs, or the VM to another pool
version_added: 0.1.0
description:
  - Inside the pool, O(host) live-migrates a running VM there (C(VM.pool_migrate)); O(away_from) moves it off a host
    to the enabled host with the most free memory.
  - O(sr) or O(disk_map) move its disks to other SRs too (storage XenMotion, C(VM.migrate_send)), running or not.
  - O(remote) moves it to another pool (C(host.migrate_receive) on that pool, then C(VM.migrate_send)), with its disks
    on O(sr)/O(disk_map) or the destination's default SR, and its networks mapped by name or by O(network_map).
  - Every move is checked first (C(VM.assert_can_boot_here), C(VM.assert_can_migrate)); what prevents it comes back
    in words that name the option to change. A failed migration leaves the VM running where it was, and the message
    says where it is.
  - A VM already where it is asked to be changes nothing; after a move to another pool, a re-run finds it there.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.change_module
options:
  vm:
    description: The VM, by name or uuid.
    type: str
    required: true
  host:
    description: The host it must run on (name or uuid; in the destination pool with O(remote)).
    type: str
  away_from:
    description: A host it must not run on; when it does, it moves to the enabled host with the most free memory.
    type: str
  sr:
    description: The SR for all its disks (each disk that is elsewhere moves).
    type: str
  disk_map:
    description: SR per disk, the disk named by its name, its uuid or its position (C(0), C(1)...); wins over O(sr).
    type: dict
  network_map:
    description: With O(remote), the destination network per source network (by name); unmapped networks go to the
      destination network of the same name.
    type: dict
  live:
    description: Move it running. A halted or suspended VM moves only with V(false) (and only with its disks or to another pool).
    type: bool
    default: true
  remote:
    description: Connection options of the destination pool's master, to move the VM to that pool.
    type: dict
    suboptions:
      hostname:
        description: The destination pool's master (or a member).
        type: str
        required: true
      username:
        description: The user there.
        type: str
        default: root
      password:
        description: Its password.
        type: str
      validate_certs:
        description: Verify that pool's TLS certificates.
        type: bool
        default: true
      ca_path:
        description: CA certificate(s) of that pool.
        type: path
  timeout:
    description: Seconds the move may take.
    type: int
    default: 1800
"""

EXAMPLES = r"""
- name: Live-migrate web-01 to xs-a2
  xapi.xenserver.vm_migrate:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    vm: web-01
    host: xs-a2

- name: Move db-01's disks to the new NFS SR, running
  xapi.xenserver.vm_migrate:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    vm: db-01
    sr: NFS fast

- name: Move web-02 to the other pool
  xapi.xenserver.vm_migrate:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    vm: web-02
    remote:
      hostname: 127.0.11.1
      password: "{{ other_pool_password }}"
    sr: NFS storage B
    network_map: {storage: storage B}
"""

RETURN = r"""
vm:
  description: The VM where it is now, as M(xapi.xenserver.vm_info) shows it, plus C(pool), the name of its pool.
  returned: success
  type: dict
  sample: {name: web-01, power_state: running, host: {name: xs-a2, uuid: 5d1c...}, pool: pool-a}
moved:
  description: Whether the VM moved (or would, in check mode).
  returned: success
  type: bool
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._migration import Migration
from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule


def main():
    module = XenServerModule(
        argument_spec=dict(
            vm=dict(type="str", required=True), host=dict(type="str"), away_from=dict(type="str"),
            sr=dict(type="str"), disk_map=dict(type="dict"), network_map=dict(type="dict"),
            live=dict(type="bool", default=True),
            remote=dict(type="dict", options=dict(
                hostname=dict(type="str", required=True), username=dict(type="str", default="root"),
                password=dict(type="str", no_log=True), validate_certs=dict(type="bool", default=True),
                ca_path=dict(type="path"))),
            timeout=dict(type="int", default=1800)),
        mutually_exclusive=[("host", "away_from"), ("remote", "away_from")],
        supports_check_mode=True)
    module.run(lambda m: Migration(m).run())


if __name__ == "__main__":
    main()
