# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vm module's work: find or create the VM, compare, report (check mode), change, power."""

import re

from ._diff import Differences
from ._errors import InputError, XenAPIConnectionError, XenAPIError, XenAPITimeout
from ._lookup import LookupFailed, find, resolve
from ._module import ModuleFailure
from ._units import BadSize, human, parse_size
from ._vm_build import create_vm, destroy_vm, own_disks
from ._vm_cloud_init import cloud_init_changes
from ._vm_devices import DeviceError, cdrom_changes, disk_changes, nic_changes
from ._vm_power import PowerError, power_plan, run_power, wait_for_ip
from ._vm_settings import settings_changes
from ._vm_state import VmState

POWER_STATES = ("running", "halted", "suspended", "paused", "restarted")
MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")  # what xapi takes (VIF.create: MAC_INVALID otherwise)


def plain_vm(record):
    return not record["is_a_template"] and not record["is_a_snapshot"] and not record["is_control_domain"]


class VmManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = None
        self.diff = Differences()
        self.name = self.params["name"] or self.params["uuid"]
        self.spec = self._normalise()

    def _normalise(self):
        """Options -> spec with sizes in bytes; bad input named before any call."""
        params = self.params
        spec = dict(params)
        try:
            spec["memory"] = parse_size(params["memory"], "memory") if params["memory"] is not None else None
            spec["memory_min"] = parse_size(params["memory_min"], "memory_min") if params["memory_min"] is not None else None
            disks = []
            for index, disk in enumerate(params["disks"] or []):
                size = parse_size(disk["size"], "disks[%d].size" % index) if disk.get("size") is not None else None
                disks.append(dict(disk, size=size))
            spec["disks"] = disks if params["disks"] is not None else None
        except BadSize as exc:
            raise InputError(str(exc)) from None
        if spec["memory"] and spec["memory_min"] and spec["memory_min"] > spec["memory"]:
            raise InputError("memory_min: %s is more than memory %s" % (human(spec["memory_min"]), human(spec["memory"])))
        for option in ("vcpus", "vcpus_max"):
            if params[option] is not None and params[option] < 1:
                raise InputError("%s: %d is not a number of vCPUs (1 or more)" % (option, params[option]))
        for index, nic in enumerate(params["networks"] or []):
            if nic["mac"] and not MAC.match(nic["mac"]):
                raise InputError("networks[%d].mac: %r is not a MAC address (six pairs of hex digits and colons, like "
                                 "02:16:3e:00:00:01)" % (index, nic["mac"]))
        if params["vcpus"] is not None and params["vcpus_max"] is None:
            spec["vcpus_max_floor"] = params["vcpus"]
        if params["vcpus"] is not None and params["vcpus_max"] is not None and params["vcpus"] > params["vcpus_max"]:
            raise InputError("vcpus: %d is more than vcpus_max %d" % (params["vcpus"], params["vcpus_max"]))
        spec["name_label"] = params["name"] if params["uuid"] and params["name"] else None
        return spec

    # ---- the run ---------------------------------------------------------------------------
    def run(self):
        self.client = self.module.client
        ref, record = self._find()
        if self.params["state"] == "absent":
            return self._absent(ref, record)
        if ref is None:
            if self.module.check_mode:
                return self._would_create()
            ref = self._create()
            try:
                return self._present(ref, None, True)
            except ModuleFailure as exc:
                raise ModuleFailure("VM %s was created, then: %s" % (self.name, exc.msg), **dict(exc.extra, changed=True)) from None
            except (XenAPIError, XenAPIConnectionError, XenAPITimeout, LookupFailed, ValueError) as exc:
                # the VM exists now: a failure after that says so, and that something changed
                extra = {"xapi_error": exc.to_dict()} if isinstance(exc, XenAPIError) else {}
                raise ModuleFailure("VM %s was created, then: %s" % (self.name, exc), changed=True, **extra) from None
        return self._present(ref, record, False)

    def _present(self, ref, record, created):
        state = VmState.load(self.client, ref, record)
        changes = self._changes(state)
        halted_only = [change.key for change in changes if change.needs_halt]
        running = state.power_state in ("running", "paused")
        target = self.params["state"] if self.params["state"] in POWER_STATES else None
        if halted_only and running and not self.params["force"] and target != "halted":
            raise InputError("VM %s is %s, and %s can only change while it is halted: set force: true to shut it "
                             "down, change it and start it again, or state: halted"
                             % (self.name, state.power_state, ", ".join(halted_only)))
        power = self._power_plan(state, target, bool(halted_only and running))
        for change in changes:
            self.diff.add(change.key, change.before, change.after)
        if power and target:
            self.diff.add("power_state", state.power_state, target if target != "restarted" else "running")
        if halted_only and running:
            self.diff.add("power_cycle", False, True)
        changed = created or bool(changes) or bool(power)
        if self.module.check_mode or not changed:
            return self._result(changed, state)
        self._apply(state, changes, halted_only and running, power)
        if self.params["wait_for_ip"] and target in ("running", "restarted"):
            wait_for_ip(self.client, ref, self.params["timeout"], self.name)
        return self._result(True, VmState.load(self.client, ref))

    def _find(self):
        params = self.params
        if params["uuid"]:
            try:
                return find(self.client, "VM", uuid=params["uuid"])
            except LookupFailed:
                if params["state"] == "absent":
                    return None, None
                raise
        refs = self.client.call("VM.get_by_name_label", params["name"])
        found = [(ref, record) for ref, record in
                 ((ref, self.client.call("VM.get_record", ref)) for ref in refs) if plain_vm(record)]
        if len(found) > 1:
            raise LookupFailed("%d VMs are named %r (uuids %s): give the uuid instead"
                               % (len(found), params["name"], ", ".join(sorted(r["uuid"] for dummy, r in found))))
        return found[0] if found else (None, None)

    def _create(self):
        params = self.params
        if not params["template"]:
            raise InputError("template: needed to create VM %s, which does not exist" % self.name)
        source_ref, source = resolve(self.client, "VM", params["template"], keep=lambda r: not r["is_control_domain"],
                                     option="template")
        if self.spec["memory"] is not None and self.spec["memory"] < source["memory_static_min"]:
            raise InputError("memory: %s is below the static minimum %s of template %s"
                             % (human(self.spec["memory"]), human(source["memory_static_min"]), source["name_label"]))
        sr_ref, sr_uuid = self._sr(params["sr"]) if (params["sr"] or not params["clone"]) else (None, None)
        self.diff.add("exists", False, True)
        return create_vm(self.client, source_ref, params["name"], params["clone"], sr_ref, sr_uuid, params["timeout"])

    def _sr(self, name_or_uuid, option="sr"):
        if name_or_uuid:
            ref, record = resolve(self.client, "SR", name_or_uuid, option=option)
            return ref, record["uuid"]
        pool = self.client.call("pool.get_all")[0]
        ref = self.client.call("pool.get_default_SR", pool)
        return ref, self.client.call("SR.get_uuid", ref)

    def _would_create(self):
        if not self.params["template"]:
            raise InputError("template: needed to create VM %s, which does not exist" % self.name)
        source_ref, source = resolve(self.client, "VM", self.params["template"], keep=lambda r: not r["is_control_domain"],
                                     option="template")
        if self.spec["memory"] is not None and self.spec["memory"] < source["memory_static_min"]:
            raise InputError("memory: %s is below the static minimum %s of template %s"
                             % (human(self.spec["memory"]), human(source["memory_static_min"]), source["name_label"]))
        self.diff.add("exists", False, True)
        self.diff.add("template", None, source["name_label"])
        return {"changed": True, "vm": None, "diff": self.diff.diff()}

    def _changes(self, state):
        spec = dict(self.spec)
        if spec.get("vcpus_max_floor") and spec["vcpus_max_floor"] > state.record["VCPUs_max"]:
            spec["vcpus_max"] = spec["vcpus_max_floor"]
        if spec["affinity"]:
            host_ref, host = resolve(self.client, "host", spec["affinity"], option="affinity")
            spec["affinity_ref"], spec["affinity"] = host_ref, host["name_label"]
        changes = settings_changes(spec, state.record)
        try:
            if spec["disks"] is not None:
                needs_sr = len(spec["disks"]) > len(state.disks())
                default_sr = self._sr(self.params["sr"])[0] if needs_sr else None
                for index, disk in enumerate(spec["disks"]):
                    disk["sr_ref"] = self._sr(disk["sr"], "disks[%d].sr" % index)[0] if disk.get("sr") and needs_sr else None
                changes += disk_changes(state, spec["disks"], self.params["remove_disks"], default_sr)
            if self.params["cdrom"] is not None:
                changes += self._cdrom(state)
            if self.params["cloud_init"] is not None:
                changes += cloud_init_changes(state, self.params["cloud_init"], lambda: self._drive_sr(state))
            if self.params["networks"] is not None:
                changes += nic_changes(state, [self._network(state, index, want)
                                               for index, want in enumerate(self.params["networks"])])
        except DeviceError as exc:
            raise InputError(str(exc)) from None
        return changes

    def _drive_sr(self, state):
        """Where the config drive goes: O(sr), else the SR of the VM's first disk, else the default."""
        if self.params["sr"]:
            return self._sr(self.params["sr"])[0]
        disks = state.disks()
        return disks[0][3]["SR"] if disks and disks[0][3] else self._sr(None)[0]

    def _cdrom(self, state):
        iso = self.params["cdrom"].get("iso") or None
        vbd_ref, vbd = state.cdrom()
        current = state.get(vbd["VDI"]) if vbd is not None and not vbd["empty"] else None
        if vbd is not None and (current["name_label"] if current else None) == iso:
            return []
        iso_ref = None
        if iso:
            candidates = self.client.call("VDI.get_by_name_label", iso)
            srs = {ref: self.client.call("VDI.get_SR", ref) for ref in candidates}
            isos = [ref for ref in candidates if self.client.call("SR.get_content_type", srs[ref]) == "iso"]
            if not isos:
                raise InputError("cdrom.iso: no ISO named %r on an ISO library" % iso)
            iso_ref = isos[0]
        return cdrom_changes(state, self.params["cdrom"], iso_ref, iso)

    def _network(self, state, index, want):
        nics = state.nics()
        if index < len(nics) and nics[index][2] and want["network"] == nics[index][2]["name_label"]:
            return dict(want, network_ref=None)
        return dict(want, network_ref=resolve(self.client, "network", want["network"], option="networks[%d].network" % index)[0])

    def _power_plan(self, state, target, cycle):
        current = state.power_state
        try:
            if cycle:  # halted-only settings on a running VM: shut down now, start again after
                back = "running" if target in (None, "restarted") else target
                stop = power_plan(current, "halted", self.params["force"])
                return stop + (power_plan("halted", back, False) if back != "halted" else [])
            return power_plan(current, target, self.params["force"]) if target else []
        except PowerError as exc:
            raise InputError("state: %s" % exc) from None

    def _apply(self, state, changes, cycle, power):
        ref = state.ref
        timeout = self.params["timeout"]
        try:
            if cycle:
                stop = [call for call in power if call[0] in ("VM.clean_shutdown", "VM.hard_shutdown")]
                run_power(self.client, ref, stop, timeout, self.name)
                power = power[len(stop):]
                running = False
            else:
                running = state.power_state in ("running", "paused")
            for change in changes:
                change.apply(self.client, ref, running)
            run_power(self.client, ref, power, timeout, self.name)
        except PowerError as exc:
            raise InputError(str(exc)) from None

    def _absent(self, ref, record):
        if ref is None:
            return {"changed": False, "vm": None, "diff": self.diff.diff()}
        state = VmState.load(self.client, ref, record)
        running = state.power_state != "halted"
        if running and not self.params["force"]:
            raise InputError("VM %s is %s: set force: true to shut it down and destroy it" % (self.name, state.power_state))
        self.diff.add("exists", True, False)
        if not self.params["keep_disks"]:  # what destroying it destroys with it (keep_disks: true keeps them)
            names = [vdi["name_label"] for dummy, vdi in own_disks(self.client, state)]
            if names:
                self.diff.add("disks", names, [])
        if self.module.check_mode:
            return {"changed": True, "vm": state.view(), "diff": self.diff.diff()}
        if running:
            run_power(self.client, ref, [("VM.hard_shutdown", [])], self.params["timeout"], self.name)
            state = VmState.load(self.client, ref)
        destroy_vm(self.client, state, self.params["keep_disks"])
        return {"changed": True, "vm": None, "diff": self.diff.diff()}

    def _result(self, changed, state):
        return {"changed": changed, "vm": state.view(), "diff": self.diff.diff()}
