#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: vm
short_description: A VM's existence, configuration and power state
version_added: 0.1.0
description:
  - Creates a VM from a template (built-in or custom), another VM or a snapshot, by fast clone or full copy,
    and provisions the disks the template lists.
  - Sets its name, description, vCPUs, memory, disks, CD drive, NICs, firmware, HA restart priority, affinity,
    folder, tags and C(other_config); only what is given is managed.
  - Brings it to a power state, and destroys it with its own disks.
  - Settings that XenServer changes only on a halted VM are refused on a running one, naming them, unless
    O(force=true) (the VM is then shut down, changed and started again).
  - A run that changes nothing reads the VM with a fixed number of calls, whatever the size of the pool.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
attributes:
  check_mode:
    support: full
    description: Reports what would change, changes nothing.
  diff_mode:
    support: full
    description: Before and after of every setting, device and power state that changes.
options:
  name:
    description:
      - The VM's name label. Finds the VM, or names the one to create.
      - With O(uuid), renames the VM.
    type: str
  uuid:
    description: The VM's uuid.
    type: str
  state:
    description:
      - V(present) makes sure the VM exists (a new one stays halted); V(absent) destroys it.
      - V(running), V(halted), V(suspended), V(paused) bring it to that power state; V(restarted) reboots it
        (cleanly, or hard with O(force=true)) and always reports a change.
    type: str
    default: present
    choices: [present, absent, running, halted, suspended, paused, restarted]
  template:
    description:
      - What to create the VM from when it does not exist; a template, a VM or a snapshot, by name or uuid.
    type: str
  clone:
    description:
      - V(true) makes a fast clone, on the template's storage; V(false) a full copy of the disks to O(sr).
    type: bool
    default: true
  sr:
    description:
      - Storage repository (name or uuid) for a full copy, for the disks the template provisions, and for new
        disks without their own O(disks[].sr). Default is the pool's default SR.
    type: str
  description:
    description: The VM's description.
    type: str
  vcpus:
    description: vCPUs at start-up. Needs a halted VM to change.
    type: int
  vcpus_max:
    description: Most vCPUs the VM may have; at least O(vcpus). Needs a halted VM to change.
    type: int
  memory:
    description:
      - Memory, as bytes or with a unit (V(4GiB), V(512MiB)). Sets the static and dynamic maximum.
      - Refused when below the template's static minimum.
    type: raw
  memory_min:
    description: The dynamic minimum (ballooning floor), as O(memory). Default is O(memory).
    type: raw
  disks:
    description:
      - The VM's disks in order (the first entry is the first disk). An entry may grow a disk, never shrink it.
      - Disks the VM has beyond the list are kept unless O(remove_disks=true).
    type: list
    elements: dict
    suboptions:
      name:
        description: The disk's name label.
        type: str
      size:
        description: Size in bytes or with a unit (V(20GiB)). Needed for a new disk.
        type: raw
      sr:
        description: SR (name or uuid) for a new disk.
        type: str
  remove_disks:
    description: Destroy the disks the VM has beyond O(disks) (not disks another VM uses).
    type: bool
    default: false
  cdrom:
    description: The CD drive; made if the VM has none.
    type: dict
    suboptions:
      iso:
        description: The ISO (name of a disk on an ISO SR) to insert; empty or null ejects.
        type: str
  networks:
    description: The VM's NICs in order (the first entry is device 0). NICs beyond the list are removed.
    type: list
    elements: dict
    suboptions:
      network:
        description: Network name or uuid.
        type: str
        required: true
      mac:
        description: MAC address; generated when not given.
        type: str
  firmware:
    description: Boot firmware. Needs a halted VM to change.
    type: str
    choices: [bios, uefi]
  secure_boot:
    description: UEFI secure boot. Needs a halted VM to change.
    type: bool
  ha_restart_priority:
    description: What HA does when the VM's host fails; an empty string leaves it alone.
    type: str
    choices: [restart, best-effort, ""]
  affinity:
    description: Host (name or uuid) the VM prefers to start on.
    type: str
  folder:
    description: XenCenter folder, for example V(/production/web).
    type: str
  tags:
    description: The VM's tags, exactly.
    type: list
    elements: str
  other_config:
    description: Keys of C(other_config) to set; other keys are left alone.
    type: dict
  cloud_init:
    description:
      - Data for cloud-init in the guest, on a NoCloud config drive (a small read-only disk with an ISO 9660
        image labelled C(cidata)) on O(sr), or the SR of the VM's first disk.
      - The guest reads it at boot. Other data replaces the drive; the same data changes nothing.
    type: dict
    suboptions:
      user_data:
        description: The user-data document (for example V(#cloud-config) YAML).
        type: str
      network_config:
        description: A network-config document (version 1 or 2).
        type: str
  force:
    description:
      - Allow what loses state or interrupts the guest; hard shutdown or reboot when a clean one is not possible,
        a power cycle for settings that need a halted VM, destroying a running VM.
    type: bool
    default: false
  keep_disks:
    description: With O(state=absent), keep the VM's disks.
    type: bool
    default: false
  wait_for_ip:
    description: After a start, wait until the guest reports an IPv4 address (within O(timeout)).
    type: bool
    default: false
  timeout:
    description: Seconds each long operation (clone, copy, provision, start, shutdown, IP) may take.
    type: int
    default: 600
notes:
  - O(name) or O(uuid) is required.
"""

EXAMPLES = r"""
- name: A web server from the Debian 12 template, running, with its address
  xapi.xenserver.vm:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    name: web-01
    template: Debian Bookworm 12
    sr: NFS storage
    vcpus: 2
    memory: 4GiB
    disks:
      - {name: system, size: 20GiB}
      - {name: data, size: 50GiB}
    networks:
      - network: Pool-wide network associated with eth0
    tags: [web]
    folder: /production/web
    cloud_init:
      user_data: |
        #cloud-config
        hostname: web-01
        packages: [nginx]
    state: running
    wait_for_ip: true
  register: web

- name: Halt it and give it more memory
  xapi.xenserver.vm:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    name: web-01
    memory: 8GiB
    state: halted

- name: Destroy it and its disks
  xapi.xenserver.vm:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    name: web-01
    state: absent
    force: true
"""

RETURN = r"""
vm:
  description: The VM as M(xapi.xenserver.vm_info) shows it; null once destroyed, or when check mode would create it.
  returned: success
  type: dict
  sample:
    uuid: 0b7d3a2c-6f1e-4d8a-9c5b-1e2f3a4b5c6d
    name: web-01
    power_state: running
    ip: 127.100.0.7
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._vm_manager import VmManager


def main():
    disk_options = dict(name=dict(type="str"), size=dict(type="raw"), sr=dict(type="str"))
    module = XenServerModule(
        argument_spec=dict(
            name=dict(type="str"), uuid=dict(type="str"),
            state=dict(type="str", default="present",
                       choices=["present", "absent", "running", "halted", "suspended", "paused", "restarted"]),
            template=dict(type="str"), clone=dict(type="bool", default=True), sr=dict(type="str"),
            description=dict(type="str"), vcpus=dict(type="int"), vcpus_max=dict(type="int"),
            memory=dict(type="raw"), memory_min=dict(type="raw"),
            disks=dict(type="list", elements="dict", options=disk_options),
            remove_disks=dict(type="bool", default=False),
            cdrom=dict(type="dict", options=dict(iso=dict(type="str"))),
            networks=dict(type="list", elements="dict",
                          options=dict(network=dict(type="str", required=True), mac=dict(type="str"))),
            firmware=dict(type="str", choices=["bios", "uefi"]), secure_boot=dict(type="bool"),
            ha_restart_priority=dict(type="str", choices=["restart", "best-effort", ""]),
            affinity=dict(type="str"), folder=dict(type="str"), tags=dict(type="list", elements="str"),
            other_config=dict(type="dict"), force=dict(type="bool", default=False),
            cloud_init=dict(type="dict", options=dict(user_data=dict(type="str"), network_config=dict(type="str"))),
            keep_disks=dict(type="bool", default=False), wait_for_ip=dict(type="bool", default=False),
            timeout=dict(type="int", default=600),
        ),
        required_one_of=[("name", "uuid")],
        supports_check_mode=True,
    )
    module.run(lambda m: VmManager(m).run())


if __name__ == "__main__":
    main()
