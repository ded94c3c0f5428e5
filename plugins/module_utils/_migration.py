# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Moving a VM: to another host of its pool (VM.pool_migrate), with its disks to other SRs
(VM.migrate_send inside the pool), or to another pool (host.migrate_receive there, then
VM.migrate_send). Checked first (assert_can_boot_here / assert_can_migrate), waited on with
event.from; a failure says where the VM is."""

from ._client import XenAPIClient
from ._diff import Differences
from ._errors import InputError, XenAPIError
from ._lookup import LookupFailed, resolve
from ._migration_errors import explain
from ._records import Related
from ._tasks import run_async
from ._vm_view import load_related, vm_view

NULL = "OpaqueRef:NULL"


def _is_vm(record):
    return not record["is_a_template"] and not record["is_a_snapshot"] and not record["is_control_domain"]


class Side:
    """One pool, as a migration sees it: its client and name lookups."""

    def __init__(self, client):
        self.client = client

    def resolve(self, option, cls, name):
        try:
            return resolve(self.client, cls, name)
        except LookupFailed as exc:
            raise InputError("%s: %s" % (option, exc)) from None

    def name(self, cls, ref):
        return self.client.call("%s.get_name_label" % cls, ref) if ref != NULL else None

    def best_host(self, exclude=()):
        """The enabled host with the most free memory, not in `exclude`."""
        best = None
        for ref, host in self.client.call("host.get_all_records").items():
            if ref in exclude or not host["enabled"]:
                continue
            free = int(self.client.call("host.compute_free_memory", ref))
            if best is None or free > best[0]:
                best = (free, ref)
        return best[1] if best else None

    def management_network(self, host_ref):
        for pif in self.client.call("host.get_PIFs", host_ref):
            if self.client.call("PIF.get_management", pif):
                return self.client.call("PIF.get_network", pif)
        raise InputError("host: %s has no management interface" % self.name("host", host_ref))


class Migration:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.diff = Differences()
        self.remote = None
        self.sr_names = {}  # SR ref -> name, of the SRs the options named

    # ---- the run ------------------------------------------------------------------------------
    def run(self):
        source = Side(self.module.client)
        try:
            if self.params["remote"]:
                self.remote = self._remote_client()
                return self._cross_pool(source, Side(self.remote))
            vm_ref, vm = self._vm(source)
            return self._in_pool(source, vm_ref, vm)
        finally:
            if self.remote is not None:
                self.remote.logout()

    def _vm(self, side, must=True):
        try:
            return resolve(side.client, "VM", self.params["vm"], keep=_is_vm)
        except LookupFailed as exc:
            if must:
                raise InputError("vm: %s" % exc) from None
            return None, None

    def _remote_client(self):
        remote = self.params["remote"]
        if not remote.get("hostname"):
            raise InputError("remote.hostname: needed to migrate to another pool")
        client = XenAPIClient(remote["hostname"], remote.get("username") or "root", remote.get("password") or "",
                              validate_certs=remote.get("validate_certs", True), ca_path=remote.get("ca_path"),
                              timeout=self.params["request_timeout"], retry_deadline=self.params["request_timeout"])
        for warning in client.warnings:
            self.module.ansible.warn(warning)
        self.module.client.add_secret(remote.get("password"))
        client.login()
        return client

    # ---- inside the pool ----------------------------------------------------------------------
    def _in_pool(self, side, vm_ref, vm):
        params = self.params
        here = vm["resident_on"]
        target = here
        if params["host"] is not None:
            target = side.resolve("host", "host", params["host"])[0]
        elif params["away_from"] is not None:
            away = side.resolve("away_from", "host", params["away_from"])[0]
            if here == away:
                target = side.best_host(exclude=(away,))
                if target is None:
                    raise InputError("away_from: no other enabled host in the pool can take %s" % vm["name_label"])
        disks = self._disks(side, vm)
        moves = self._disk_targets(side, disks)
        if target == here and not moves:
            return self._result(False, side, vm_ref)
        if not moves and vm["power_state"] != "Running":  # only a host asked for, and it runs on none
            raise InputError("host: %s is %s, so it runs on no host; start it where it should run (vm module, "
                             "affinity) or give sr/disk_map to move its disks"
                             % (vm["name_label"], vm["power_state"].lower()))
        self.diff.add("host", side.name("host", here), side.name("host", target))
        if moves:
            self.diff.add("disks", {d["name"]: d["sr_name"] for d in disks},
                          {d["name"]: self.sr_names.get(moves.get(d["vdi"]), d["sr_name"]) for d in disks})
        if moves:
            vdi_map = {d["vdi"]: moves.get(d["vdi"], d["sr"]) for d in disks}
            self._send(side, side, vm_ref, vm, target if target != NULL else self._any_host(side), vdi_map, {})
        else:
            self._pool_migrate(side, vm_ref, vm, target)
        return self._result(True, side, vm_ref)

    def _any_host(self, side):
        pool = next(iter(side.client.call("pool.get_all_records").values()))
        return pool["master"]

    def _pool_migrate(self, side, vm_ref, vm, target):
        client = side.client
        target_name = side.name("host", target)
        if vm["power_state"] != "Running":
            error = XenAPIError("VM_BAD_POWER_STATE", [vm_ref, "Running", vm["power_state"]], "VM.pool_migrate")
            raise explain(error, client, vm["name_label"], target_name)
        try:
            client.call("VM.assert_can_boot_here", vm_ref, target)
            if self.module.check_mode:
                return
            run_async(client, "VM.pool_migrate", vm_ref, target, {"live": "true"}, timeout=self.params["timeout"],
                      operation="migration of %s to %s" % (vm["name_label"], target_name))
        except XenAPIError as exc:
            raise self._failed(exc, side, vm_ref, vm, target_name) from None

    # ---- to another pool --------------------------------------------------------------------------
    def _cross_pool(self, source, dest):
        params = self.params
        vm_ref, vm = self._vm(source, must=False)
        if vm_ref is None:
            moved_ref, moved = self._vm(dest, must=False)
            if moved_ref is None:
                raise InputError("vm: no VM named %r in this pool nor in the pool of remote.hostname" % params["vm"])
            return self._result(False, dest, moved_ref)
        if params["host"] is not None:
            target = dest.resolve("host", "host", params["host"])[0]
        else:
            target = dest.best_host()
            if target is None:
                raise InputError("remote: the destination pool has no enabled host")
        disks = self._disks(source, vm)
        vdi_map = self._remote_disk_targets(dest, disks)
        vif_map = self._remote_networks(source, dest, vm)
        self.diff.add("pool", self._pool_name(source), self._pool_name(dest))
        self.diff.add("host", source.name("host", vm["resident_on"]), dest.name("host", target))
        self.diff.add("disks", {d["name"]: d["sr_name"] for d in disks},
                      {d["name"]: dest.name("SR", vdi_map[d["vdi"]]) for d in disks})
        new_ref = self._send(source, dest, vm_ref, vm, target, vdi_map, vif_map)
        if self.module.check_mode:
            return {"changed": True, "moved": True, "vm": self._view(source, vm_ref), "diff": self.diff.diff()}
        return self._result(True, dest, new_ref)

    def _pool_name(self, side):
        pool = next(iter(side.client.call("pool.get_all_records").values()))
        return pool["name_label"] or side.name("host", pool["master"])

    def _remote_disk_targets(self, dest, disks):
        params = self.params
        default = None
        if params["sr"] is not None:
            default = dest.resolve("sr", "SR", params["sr"])[0]
        else:
            pool = next(iter(dest.client.call("pool.get_all_records").values()))
            default = pool["default_SR"] if pool["default_SR"] != NULL else None
        vdi_map = {}
        for disk in disks:
            wanted = self._disk_option(disk)
            if wanted is not None:
                vdi_map[disk["vdi"]] = dest.resolve("disk_map", "SR", wanted)[0]
            elif default is not None:
                vdi_map[disk["vdi"]] = default
            else:
                raise InputError("sr: the destination pool has no default SR; give sr or disk_map for disk %s"
                                 % disk["name"])
        return vdi_map

    def _remote_networks(self, source, dest, vm):
        mapping = self.params["network_map"] or {}
        vif_map = {}
        for vif in vm["VIFs"]:
            network = source.name("network", source.client.call("VIF.get_network", vif))
            wanted = mapping.get(network, network)
            option = "network_map" if network in mapping else "network_map (no network %r in the destination pool)" % network
            vif_map[vif] = dest.resolve(option, "network", wanted)[0]
        return vif_map

    # ---- storage ----------------------------------------------------------------------------------
    def _disks(self, side, vm):
        """The VM's disks with their SR, read with Related (one call per class when they are many)."""
        vbds = Related(side.client, "VBD").load(vm["VBDs"])
        disk_vbds = [(ref, vbds.get(ref)) for ref in vm["VBDs"]]
        disk_vbds = [(ref, vbd) for ref, vbd in disk_vbds if vbd and vbd["type"] == "Disk" and vbd["VDI"] != NULL]
        vdis = Related(side.client, "VDI").load(vbd["VDI"] for dummy, vbd in disk_vbds)
        srs = Related(side.client, "SR").load(vdis.get(vbd["VDI"])["SR"] for dummy, vbd in disk_vbds)
        disks = []
        for dummy, vbd in disk_vbds:
            vdi = vdis.get(vbd["VDI"])
            disks.append({"vdi": vbd["VDI"], "uuid": vdi["uuid"], "name": vdi["name_label"],
                          "userdevice": vbd["userdevice"], "sr": vdi["SR"], "sr_name": srs.get(vdi["SR"])["name_label"]})
        return disks

    def _disk_option(self, disk):
        """The SR disk_map asks for this disk (by disk name, disk uuid or device position), or None."""
        for key, sr in (self.params["disk_map"] or {}).items():
            if str(key) in (disk["name"], disk["uuid"], disk["userdevice"]):
                return sr
        return None

    def _disk_targets(self, side, disks):
        """vdi -> SR for the disks that must move inside the pool."""
        known = {str(k) for k in (self.params["disk_map"] or {})}
        matched = {key for key in known for d in disks if key in (d["name"], d["uuid"], d["userdevice"])}
        if known - matched:
            raise InputError("disk_map: the VM has no disk %s (its disks: %s)" % (
                ", ".join(sorted(known - matched)), ", ".join(d["name"] for d in disks) or "none"))
        moves = {}
        for disk in disks:
            mapped = self._disk_option(disk)
            wanted = mapped or self.params["sr"]
            if wanted is None:
                continue
            sr, record = side.resolve("disk_map" if mapped else "sr", "SR", wanted)
            self.sr_names[sr] = record["name_label"]
            if sr != disk["sr"]:
                moves[disk["vdi"]] = sr
        return moves

    # ---- migrate_send -----------------------------------------------------------------------------
    def _send(self, source, dest, vm_ref, vm, target, vdi_map, vif_map):
        """host.migrate_receive on the destination, assert_can_migrate, then migrate_send (not in
        check mode); the destination's migration session is always logged out."""
        live = bool(self.params["live"]) and vm["power_state"] == "Running"
        if self.params["live"] and vm["power_state"] != "Running":
            error = XenAPIError("VM_BAD_POWER_STATE", [vm_ref, "Running", vm["power_state"]], "VM.migrate_send")
            raise explain(error, source.client, vm["name_label"], dest.name("host", target))
        target_name = dest.name("host", target)
        receipt = dest.client.call("host.migrate_receive", target, dest.management_network(target), {})
        try:
            source.client.call("VM.assert_can_migrate", vm_ref, receipt, live, vdi_map, vif_map, {}, {})
            if self.module.check_mode:
                return None
            return run_async(source.client, "VM.migrate_send", vm_ref, receipt, live, vdi_map, vif_map, {}, {},
                             timeout=self.params["timeout"],
                             operation="migration of %s to %s" % (vm["name_label"], target_name))
        except XenAPIError as exc:
            raise self._failed(exc, source, vm_ref, vm, target_name) from None
        finally:
            dest.client.end_session(receipt.get("session_id"))

    def _failed(self, error, side, vm_ref, vm, target_name):
        """The explained error, with where the VM is now."""
        explained = explain(error, side.client, vm["name_label"], target_name)
        try:
            record = side.client.call("VM.get_record", vm_ref)
        except XenAPIError:
            return explained
        where = side.name("host", record["resident_on"])
        state = record["power_state"].lower()
        explained.explanation += "; %s is still %s%s" % (vm["name_label"], state, " on %s" % where if where else "")
        return explained

    # ---- the result -------------------------------------------------------------------------------
    def _view(self, side, vm_ref):
        """As vm_info shows a VM, plus the pool it is in."""
        record = side.client.call("VM.get_record", vm_ref)
        view = vm_view(record, load_related(side.client, {vm_ref: record}))
        view["pool"] = self._pool_name(side)
        return view

    def _result(self, changed, side, vm_ref):
        return {"changed": changed, "moved": changed, "vm": self._view(side, vm_ref), "diff": self.diff.diff()}
