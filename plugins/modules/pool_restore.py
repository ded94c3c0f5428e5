#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: pool_restore
short_description: Restores a pool database onto a reinstalled host, or re-creates VMs from their metadata
version_added: 0.1.0
description:
  - Works from a backup M(xapi.xenserver.pool_backup) wrote. Every file is checked against the backup's manifest
    (size, SHA-256) and the database read to its end as XML before anything is sent, so a truncated or corrupt backup
    is refused with the host unchanged.
  - Without O(vms), restores the whole pool database onto the host O(hostname) names, what
    C(xe pool-restore-database) does, for a host that failed and was installed again (for example with the role
    C(xapi.xenserver.host_install)). xapi's dry run goes first; then the real restore (HTTP C(PUT /pool/xmldbdump)),
    after which xapi restarts with the backup's VMs, networks, storage and settings. The module waits until the host
    answers again, plugs the backup's shared storage where it is still detached, and lists the VMs with the power
    state they had at the time of the backup (they come back halted; start the ones that ran, as
    C(playbooks/recover_host.yml) does).
  - The database goes onto a standalone host. One that has VMs of its own is refused unless O(force=true), since the
    restore replaces everything in its database.
  - With O(vms), creates those VMs in the pool from the metadata the backup holds for them (HTTP
    C(PUT /import_metadata)), with their uuids and MACs, their disks found again on shared storage. A shared storage
    repository the pool does not know is found on its server with C(SR.probe) and attached with C(SR.introduce), a PBD
    per host and C(SR.scan). VMs that exist already are left alone.
  - A second run changes nothing. A host whose pool is the backup's is restored already, and only detached shared
    storage is plugged.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.change_module
options:
  src:
    description:
      - The backup, on the controller; its manifest (C(<name>-<time>.json)), or a folder (its newest backup, of O(name)
        when given), or a bare database file (C(.db); then only the XML is checked, there being no manifest).
    type: path
    required: true
  name:
    description: With a folder in O(src), the newest backup of this name (what O(xapi.xenserver.pool_backup#module:name) was).
    type: str
  vms:
    description:
      - VMs of the backup (names or uuids) to create from their metadata, instead of restoring the database.
      - The backup must hold their metadata (O(xapi.xenserver.pool_backup#module:vms)).
    type: list
    elements: str
    default: []
  dry_run:
    description: Only xapi's dry run (it checks the backup against the host); nothing changes.
    type: bool
    default: false
  force:
    description:
      - Restore the database onto a host that has VMs of its own; they are replaced.
      - Also restore it onto a host whose pool is the backup's (without O(force), that host counts as restored
        already); the pool goes back to the state of the backup.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for the host to come back after the restore.
    type: int
    default: 900
notes:
  - Storage that needs a password to attach (iSCSI with CHAP, SMB) is not in the backup's manifest; attach it with
    M(xapi.xenserver.sr) first.
seealso:
  - module: xapi.xenserver.pool_backup
"""

EXAMPLES = r"""
- name: Check the newest backup against the reinstalled host
  xapi.xenserver.pool_restore:
    hostname: 127.0.61.1
    src: /srv/backups/xenserver
    name: pool-a
    dry_run: true

- name: Restore it
  xapi.xenserver.pool_restore:
    hostname: 127.0.61.1
    src: /srv/backups/xenserver
    name: pool-a
  register: restore

- name: Start the VMs that were running
  xapi.xenserver.vm:
    hostname: 127.0.61.1
    uuid: "{{ item.uuid }}"
    state: running
  loop: "{{ restore.restored.vms | selectattr('power_state', 'eq', 'running') }}"
  loop_control:
    label: "{{ item.name }}"

- name: Re-create one VM in another pool from its metadata
  xapi.xenserver.pool_restore:
    hostname: 127.0.10.1
    src: /srv/backups/xenserver/pool-a-20261129T021500Z.json
    vms: [db-01]
"""

RETURN = r"""
restored:
  description:
    - What was restored (in check mode and with O(dry_run), what would be).
    - C(source) the manifest (or database file) used; C(database) true for a database restore, false for O(vms);
      C(pool) the pool's C(uuid) and C(name) afterwards.
    - C(vms) the backup's VMs (all of them for a database, the chosen ones for O(vms)), each with C(uuid), C(name),
      C(power_state) at the time of the backup, and C(present) (in the pool now) or C(created).
    - C(srs) the shared storage repositories attached, each with C(uuid), C(name), C(introduced) (made known with
      C(SR.introduce)) and C(plugged) (the hosts where it was plugged).
  returned: success
  type: dict
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._pool_restore import PoolRestore


def main():
    module = XenServerModule(
        argument_spec=dict(src=dict(type="path", required=True), name=dict(type="str"),
                           vms=dict(type="list", elements="str", default=[]), dry_run=dict(type="bool", default=False),
                           force=dict(type="bool", default=False), timeout=dict(type="int", default=900)),
        supports_check_mode=True)
    module.run(lambda m: PoolRestore(m).run())


if __name__ == "__main__":
    main()
