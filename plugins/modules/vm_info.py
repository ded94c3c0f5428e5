#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: vm_info
short_description: VMs with their disks, NICs, addresses, power state, host and console
version_added: 0.1.0
description:
  - Lists the VMs of the pool that match every filter given.
  - Templates, snapshots and control domains are left out unless asked for.
  - The number of XenAPI calls does not grow with the number of VMs.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.info_module
options:
  name:
    description: Only VMs with this name label.
    type: str
  uuid:
    description: Only the VM with this uuid.
    type: str
  tags:
    description: Only VMs that carry every one of these tags.
    type: list
    elements: str
  folder:
    description: Only VMs in this XenCenter folder (for example V(/production/web)).
    type: str
  power_state:
    description: Only VMs in this power state.
    type: str
    choices: [running, halted, suspended, paused]
  include_templates:
    description: Also list templates (custom and built-in).
    type: bool
    default: false
  include_snapshots:
    description: Also list snapshots.
    type: bool
    default: false
  include_control_domain:
    description: Also list the control domains (dom0) of the hosts.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Running VMs tagged web
  xapi.xenserver.vm_info:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    power_state: running
    tags: [web]
  register: web

- name: Their addresses
  ansible.builtin.debug:
    msg: "{{ web.vms | map(attribute='ip') | list }}"
"""

RETURN = r"""
vms:
  description: The VMs, sorted by name.
  returned: success
  type: list
  elements: dict
  contains:
    uuid:
      description: uuid.
      type: str
      returned: always
    name:
      description: Name label.
      type: str
      returned: always
    description:
      description: Description.
      type: str
      returned: always
    power_state:
      description: running, halted, suspended or paused.
      type: str
      returned: always
    host:
      description: The host it runs on (uuid, name), or null.
      type: dict
      returned: always
    is_template:
      description: Whether it is a template.
      type: bool
      returned: always
    is_snapshot:
      description: Whether it is a snapshot.
      type: bool
      returned: always
    template:
      description: The template it was made from, when known.
      type: str
      returned: always
    folder:
      description: XenCenter folder.
      type: str
      returned: always
    tags:
      description: Tags.
      type: list
      elements: str
      returned: always
    other_config:
      description: other_config.
      type: dict
      returned: always
    vcpus:
      description: max and at_startup.
      type: dict
      returned: always
    memory:
      description: static_min, static_max, dynamic_min, dynamic_max in bytes.
      type: dict
      returned: always
    firmware:
      description: bios or uefi.
      type: str
      returned: always
    secure_boot:
      description: Whether UEFI secure boot is on.
      type: bool
      returned: always
    ha_restart_priority:
      description: HA restart priority.
      type: str
      returned: always
    disks:
      description: Disks (position, uuid, name, size in bytes, sr name, bootable, mode).
      type: list
      elements: dict
      returned: always
    cdrom:
      description: The CD drive (iso name or null), or null if there is none.
      type: dict
      returned: always
    networks:
      description: NICs (device, mac, network name, ip, ipv6).
      type: list
      elements: dict
      returned: always
    ip:
      description: The first IPv4 address the guest reports, or null.
      type: str
      returned: always
    ips:
      description: Every IPv4 address the guest reports.
      type: list
      elements: str
      returned: always
    guest:
      description: What the guest agent reports (os, pv_drivers), or null.
      type: dict
      returned: always
    cloud_init:
      description: Whether the VM has a cloud-init config drive (not listed among its disks).
      type: bool
      returned: always
    console:
      description: The RFB (VNC) console (protocol, location) of a running VM, or null.
      type: dict
      returned: always
  sample:
    - uuid: 0b7d3a2c-6f1e-4d8a-9c5b-1e2f3a4b5c6d
      name: web-01
      power_state: running
      ip: 127.100.0.1
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._lookup import find
from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._vm_view import FOLDER_KEY, load_related, vm_view


def server_filter(params):
    """What XenAPI can filter itself (get_all_records_where), so large pools send less."""
    terms = []
    if not params["include_templates"]:
        terms.append('field "is_a_template"="false"')
    if not params["include_control_domain"]:
        terms.append('field "is_control_domain"="false"')
    if params["power_state"]:
        terms.append('field "power_state"="%s"' % params["power_state"].capitalize())
    return " and ".join(terms) or "true"


def wanted(params, record):
    if record["is_a_snapshot"] and not params["include_snapshots"]:
        return False
    if record["is_a_template"] and not record["is_a_snapshot"] and not params["include_templates"]:
        return False
    if record["is_control_domain"] and not params["include_control_domain"]:
        return False
    if params["power_state"] and record["power_state"].lower() != params["power_state"]:
        return False
    if params["tags"] and not set(params["tags"]) <= set(record["tags"]):
        return False
    if params["folder"] is not None and record["other_config"].get(FOLDER_KEY) != params["folder"]:
        return False
    return params["name"] is None or record["name_label"] == params["name"]


def list_vms(client, params):
    if params["uuid"]:
        ref, record = find(client, "VM", uuid=params["uuid"])
        candidates = {ref: record}
    elif params["name"] is not None:
        candidates = {ref: client.call("VM.get_record", ref) for ref in client.call("VM.get_by_name_label", params["name"])}
    else:
        candidates = client.call("VM.get_all_records_where", server_filter(params))
    vms = {ref: record for ref, record in candidates.items() if wanted(params, record)}
    related = load_related(client, vms)
    return sorted((vm_view(record, related) for record in vms.values()), key=lambda v: (v["name"], v["uuid"]))


def main():
    module = XenServerModule(
        argument_spec=dict(
            name=dict(type="str"), uuid=dict(type="str"), tags=dict(type="list", elements="str"),
            folder=dict(type="str"), power_state=dict(type="str", choices=["running", "halted", "suspended", "paused"]),
            include_templates=dict(type="bool", default=False), include_snapshots=dict(type="bool", default=False),
            include_control_domain=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("name", "uuid")], supports_check_mode=True)
    module.run(lambda m: {"changed": False, "vms": list_vms(m.client, m.params)})


if __name__ == "__main__":
    main()
