#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: vm_snapshot
short_description: A VM's snapshots - create (disks, or disks and memory), revert, destroy, list
version_added: 0.1.0
description:
  - Makes a snapshot of a VM's disks, or a checkpoint of its disks and memory (O(with_memory=true)).
  - Reverts the VM to a snapshot, or destroys a snapshot with the disks only it uses.
  - Always returns the VM's snapshots.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
attributes:
  check_mode:
    support: full
    description: Reports what would change, changes nothing.
  diff_mode:
    support: full
    description: The snapshot before and after.
options:
  vm:
    description: The VM (name or uuid).
    type: str
    required: true
  name:
    description: The snapshot's name. Without it, the module only lists the snapshots.
    type: str
  state:
    description:
      - V(present) makes the snapshot if the VM has none of that name.
      - V(absent) destroys it (and the disks no other VM or snapshot uses).
      - V(reverted) reverts the VM to it; this always reports a change.
    type: str
    default: present
    choices: [present, absent, reverted]
  with_memory:
    description: A checkpoint of the running VM's memory too (the VM reverts to running, not halted).
    type: bool
    default: false
  timeout:
    description: Seconds the snapshot or revert may take.
    type: int
    default: 600
"""

EXAMPLES = r"""
- name: Snapshot before an upgrade
  xapi.xenserver.vm_snapshot:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    vm: web-01
    name: before-upgrade

- name: Go back to it
  xapi.xenserver.vm_snapshot:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    vm: web-01
    name: before-upgrade
    state: reverted

- name: Remove it
  xapi.xenserver.vm_snapshot:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    vm: web-01
    name: before-upgrade
    state: absent
"""

RETURN = r"""
snapshot:
  description: The snapshot (uuid, name, time, with_memory), or null.
  returned: success
  type: dict
  sample: {uuid: 3c1e0a52-8f0d-4b6e-a0a1-9d2c7b5e4f11, name: before-upgrade, time: 20261128T10:00:00Z, with_memory: false}
snapshots:
  description: All the VM's snapshots, oldest first.
  returned: success
  type: list
  elements: dict
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._errors import InputError
from ansible_collections.xapi.xenserver.plugins.module_utils._fetch import fetch
from ansible_collections.xapi.xenserver.plugins.module_utils._lookup import resolve
from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._tasks import run_async


def view(record):
    return {"uuid": record["uuid"], "name": record["name_label"], "time": record["snapshot_time"],
            "with_memory": record["power_state"] == "Suspended"}


def snapshots_of(client, vm_record):
    records = fetch(client, {"VM": vm_record["snapshots"]})
    return sorted(records.items(), key=lambda item: (item[1]["snapshot_time"], item[1]["name_label"]))


def destroy_snapshot(client, ref, record):
    """VM.destroy keeps a snapshot's disks: destroy those no one else uses."""
    vbds = fetch(client, {"VBD": record["VBDs"]})
    vdis = fetch(client, {"VDI": [vbd["VDI"] for vbd in vbds.values() if vbd["type"] == "Disk"]})
    client.call("VM.destroy", ref)
    for vdi_ref, vdi in vdis.items():
        if not [vbd for vbd in vdi["VBDs"] if vbd not in vbds]:
            client.call("VDI.destroy", vdi_ref)


def work(module):
    client, params = module.client, module.params
    vm_ref, vm = resolve(client, "VM", params["vm"], keep=lambda r: not r["is_a_template"] and not r["is_a_snapshot"], option="vm")
    existing = snapshots_of(client, vm)
    named = [(ref, record) for ref, record in existing if record["name_label"] == params["name"]]
    result = {"changed": False, "snapshot": view(named[-1][1]) if named else None}
    if params["name"] is None:
        if params["state"] != "present":
            raise InputError("name: needed with state: %s" % params["state"])
        return dict(result, snapshots=[view(r) for dummy, r in existing])
    if len(named) > 1 and params["state"] != "present":
        raise InputError("name: VM %s has %d snapshots named %r (uuids %s)" % (
            vm["name_label"], len(named), params["name"], ", ".join(r["uuid"] for dummy, r in named)))
    diff = {"before": {"snapshot": result["snapshot"]}, "after": {"snapshot": result["snapshot"]}}
    timeout = params["timeout"]
    if params["state"] == "present" and not named:
        diff["after"]["snapshot"] = {"name": params["name"], "with_memory": params["with_memory"]}
        if not module.check_mode:
            method = "VM.checkpoint" if params["with_memory"] else "VM.snapshot"
            snap = run_async(client, method, vm_ref, params["name"], timeout=timeout,
                             operation="%s of VM %s" % (method, vm["name_label"]))
            diff["after"]["snapshot"] = result["snapshot"] = view(client.call("VM.get_record", snap))
        result["changed"] = True
    elif params["state"] == "absent" and named:
        diff["after"]["snapshot"] = None
        if not module.check_mode:
            destroy_snapshot(client, *named[0])
        result.update(changed=True, snapshot=None)
    elif params["state"] == "reverted":
        if not named:
            raise InputError("name: VM %s has no snapshot named %r" % (vm["name_label"], params["name"]))
        diff["after"]["reverted_to"] = params["name"]
        if not module.check_mode:
            run_async(client, "VM.revert", named[0][0], timeout=timeout, operation="revert of VM %s" % vm["name_label"])
        result["changed"] = True
    if not module.check_mode and result["changed"]:
        existing = snapshots_of(client, client.call("VM.get_record", vm_ref))
    return dict(result, snapshots=[view(r) for dummy, r in existing], diff=diff)


def main():
    module = XenServerModule(
        argument_spec=dict(vm=dict(type="str", required=True), name=dict(type="str"),
                           state=dict(type="str", default="present", choices=["present", "absent", "reverted"]),
                           with_memory=dict(type="bool", default=False), timeout=dict(type="int", default=600)),
        supports_check_mode=True)
    module.run(work)


if __name__ == "__main__":
    main()
