#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: pool_backup
short_description: Backs up a pool's database, and chosen VMs' metadata, to files on the controller
version_added: 0.1.0
description:
  - Downloads the pool database from the master (HTTP C(GET /pool/xmldbdump), what C(xe pool-dump-database) does) to
    C(<dest>/<name>-<UTC time>.db), and with O(vms) each VM's metadata (C(GET /export_metadata), what
    C(xe vm-export metadata=true) does) to C(<name>-<UTC time>.vm-<uuid>.xva).
  - A manifest C(<name>-<UTC time>.json) lists the files with their sizes and SHA-256, the pool's shared storage
    repositories (type and C(device_config) without passwords, to attach them again), and the VMs with their power
    state at the time. M(xapi.xenserver.pool_restore) checks every file against it before it sends anything.
  - B(The pool database holds the pool's secrets) (passwords of storage, of the Active Directory join, of BMCs).
    Every file is written with mode 0600 and a new folder with mode 0700; keep the backups where only the
    administrators can read them.
  - Each run writes a new backup (it always reports a change), then removes the oldest backups of the same O(name)
    beyond O(keep). In check mode nothing is downloaded or removed; the result says what would be.
  - The pool keeps running meanwhile; the dump is consistent (xapi writes it from its database in memory).
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.change_module
options:
  dest:
    description: The folder on the controller for the backups; made (mode 0700) when missing.
    type: path
    required: true
  name:
    description: The first part of the file names; the pool's name (or its master's) when not given.
    type: str
  keep:
    description: How many backups of O(name) to keep in O(dest), this one included; V(0) keeps all.
    type: int
    default: 7
  vms:
    description:
      - VMs (names or uuids) whose metadata is saved too, so each can be created again on another pool (or the same
        one) with M(xapi.xenserver.pool_restore) and O(xapi.xenserver.pool_restore#module:vms), pointing at its disks
        on shared storage.
    type: list
    elements: str
    default: []
notes:
  - The module runs where its task runs; with C(connection=local) (or C(delegate_to=localhost)) the files are on
    the controller.
seealso:
  - module: xapi.xenserver.pool_restore
"""

EXAMPLES = r"""
- name: Back up the pool database every night, keeping two weeks
  xapi.xenserver.pool_backup:
    hostname: 127.0.10.1
    dest: /srv/backups/xenserver
    keep: 14

- name: Also keep the metadata of the database VMs, to re-create them elsewhere
  xapi.xenserver.pool_backup:
    hostname: 127.0.10.1
    dest: /srv/backups/xenserver
    vms: [db-01, db-02]
  register: nightly

- name: Show where it went
  ansible.builtin.debug:
    msg: "{{ nightly.backup.path }} ({{ nightly.backup.size }} bytes, sha256 {{ nightly.backup.sha256 }})"
"""

RETURN = r"""
backup:
  description:
    - The backup written (in check mode, its file names only).
    - C(path) the database file, C(manifest) the manifest, C(size) in bytes, C(sha256), C(created) (ISO 8601, UTC),
      C(pool) the pool's name, C(vms) a list of C(name), C(uuid), C(path), C(size), C(sha256).
  returned: success
  type: dict
  sample:
    path: /srv/backups/xenserver/pool-a-20261129T021500Z.db
    manifest: /srv/backups/xenserver/pool-a-20261129T021500Z.json
    size: 482133
    sha256: 9f2c0d3b7e1a5c4f8d6b2a0e9c7f5d3b1a9e7c5f3d1b9a7e5c3f1d9b7a5e3c1f
    created: "2026-11-29T02:15:00.120000+00:00"
    pool: pool-a
    vms: []
removed:
  description: The files of older backups removed to keep O(keep) (in check mode, the manifests that would go).
  returned: success
  type: list
  elements: str
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._pool_backup import PoolBackup


def main():
    module = XenServerModule(
        argument_spec=dict(dest=dict(type="path", required=True), name=dict(type="str"), keep=dict(type="int", default=7),
                           vms=dict(type="list", elements="str", default=[])),
        supports_check_mode=True)
    module.run(lambda m: PoolBackup(m).run())


if __name__ == "__main__":
    main()
