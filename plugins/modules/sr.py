#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: sr
short_description: Create, attach, detach, forget or destroy a storage repository
version_added: 0.1.0
description:
  - Creates the SR named O(name) with C(SR.create) when there is none of that name and type; a shared SR gets a
    PBD on every host of the pool, plugged.
  - For an existing SR, sets its description, whether it is the pool's default SR, and whether its PBDs are plugged;
    the device configuration of an existing SR is not changed.
  - O(state=absent) needs exactly one of O(forget) (detach the SR and keep its data) or O(destroy) (delete the SR
    and its data).
  - Passwords in O(device_config) (keys containing C(password) or C(secret)) are never returned, neither in the
    result, nor in the diff, nor in error messages.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
attributes:
  check_mode:
    support: full
    description: Reports what would change, changes nothing.
  diff_mode:
    support: full
    description: Before and after of every setting that changes; passwords masked.
options:
  name:
    description: The SR's name label.
    type: str
    required: true
  state:
    description:
      - V(present) creates the SR if needed and sets what is given.
      - V(absent) unplugs its PBDs, then forgets or destroys it (see O(forget) and O(destroy)).
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - The SR type (storage driver). Needed to create the SR; when given, only an SR of this type matches O(name).
    type: str
    choices: [nfs, iso, lvmoiscsi, smb, ext, lvm]
  device_config:
    description:
      - The driver's device configuration, used at creation (for example C(server) and C(serverpath) for V(nfs),
        C(location) for V(iso), C(device) for V(lvm) and V(ext), C(target), C(targetIQN) and C(SCSIid) for
        V(lvmoiscsi), C(server), C(username) and C(password) for V(smb)).
      - Values of keys containing C(password) or C(secret) are masked in every output.
    type: dict
  shared:
    description:
      - Whether every host of the pool uses the SR (a PBD per host).
      - Defaults to V(true) for V(nfs), V(iso), V(lvmoiscsi) and V(smb), V(false) for V(ext) and V(lvm).
      - Used at creation only.
    type: bool
  host:
    description:
      - The host (name or uuid) of a local (not shared) SR. Defaults to the pool master. Used at creation only.
    type: str
  content_type:
    description:
      - The SR's content type. Defaults to V(iso) for O(type=iso), else V(user). Used at creation only.
    type: str
  description:
    description: The SR's description.
    type: str
  default:
    description: Whether the SR is the pool's default SR for new disks.
    type: bool
  plugged:
    description: V(true) plugs the SR's PBDs on every host; V(false) unplugs them all.
    type: bool
  forget:
    description:
      - With O(state=absent), forget the SR, keeping the data on the storage (it can be introduced again).
    type: bool
    default: false
  destroy:
    description:
      - With O(state=absent), destroy the SR, deleting the data on the storage. The SR must have no disks left.
    type: bool
    default: false
  timeout:
    description: Seconds each long step (create, plug, unplug, forget, destroy) may take.
    type: int
    default: 600
"""

EXAMPLES = r"""
- name: Shared NFS storage, the pool's default SR
  xapi.xenserver.sr:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    name: NFS VMs
    type: nfs
    device_config:
      server: 127.0.100.1
      serverpath: /export/vms
      nfsversion: "4.1"
    default: true

- name: An SMB share (the password never shows in the output)
  xapi.xenserver.sr:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    name: SMB VMs
    type: smb
    device_config:
      server: //127.0.100.2/vms
      username: storage
      password: "{{ smb_password }}"

- name: Local storage on one host
  xapi.xenserver.sr:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    name: Local SSD xs2
    type: ext
    host: xs2
    device_config: {device: /dev/nvme0n1}

- name: Detach an SR and keep its data
  xapi.xenserver.sr:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    name: Old NFS
    state: absent
    forget: true
"""

RETURN = r"""
sr:
  description:
    - The SR as M(xapi.xenserver.sr_info) returns it (uuid, name, description, type, content_type, shared, default,
      size, used, free, allocated, disks, hosts with device_config without secrets).
    - V(null) when it is absent, or would be created (check mode).
  returned: success
  type: dict
  sample:
    name: NFS VMs
    type: nfs
    shared: true
    default: true
    hosts:
      - {host: xs1, attached: true, device_config: {server: 127.0.100.1, serverpath: /export/vms}}
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._module import ModuleFailure, XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._sr_manager import SRFailure, SRManager
from ansible_collections.xapi.xenserver.plugins.module_utils._sr_view import secret_values


def work(module):
    try:
        return SRManager(module).run()
    except SRFailure as exc:
        raise ModuleFailure(exc.msg, xapi_error=exc.xapi_error) from None


def main():
    module = XenServerModule(
        argument_spec=dict(
            name=dict(type="str", required=True), state=dict(type="str", default="present", choices=["present", "absent"]),
            type=dict(type="str", choices=["nfs", "iso", "lvmoiscsi", "smb", "ext", "lvm"]),
            device_config=dict(type="dict", no_log=False), shared=dict(type="bool"), host=dict(type="str"),
            content_type=dict(type="str"), description=dict(type="str"), default=dict(type="bool"),
            plugged=dict(type="bool"), forget=dict(type="bool", default=False), destroy=dict(type="bool", default=False),
            timeout=dict(type="int", default=600)),
        supports_check_mode=True)
    module.ansible.no_log_values.update(secret_values(module.params["device_config"]))
    module.run(work)


if __name__ == "__main__":
    main()
