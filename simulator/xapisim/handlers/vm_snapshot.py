"""Snapshots: VM.snapshot (disks), VM.checkpoint (disks and memory) and VM.revert
[xenapi-notes §3.4, copy/clone/snapshot family; xen-api xapi_vm_clone.ml, xapi_vm_snapshot.ml,
message_forwarding.ml VM.revert].

A snapshot is a VM record (is_a_snapshot, is_a_template, snapshot_of the VM, snapshot_time,
snapshot_info) with snapshots of the VM's disks; it becomes the VM's parent, and keeps the VM's
record as it was (snapshot_metadata) for a revert. A revert replaces the VM's disks with
clones of the snapshot's, its devices and fields with the snapshot's, and leaves it Halted
(disk snapshot) or Suspended (checkpoint).
"""

from ..errors import Failure
from ..values import NULL_REF, new_uuid, now
from . import guest, storage, vdi as vdi_handlers
from .registry import handles
from .vm_lifecycle import DURATION, _halt, _locked, _suspend_sr, next_domid

DISK_SECONDS = 1.0
REVERT_SECONDS = 2.0
# VM fields a snapshot takes from the VM (copy_vm_record); the rest are the snapshot's own
_NOT_COPIED = frozenset({
    "uuid", "allowed_operations", "current_operations", "power_state", "name_label", "is_a_template",
    "is_default_template", "is_a_snapshot", "snapshot_of", "snapshot_time", "snapshot_info", "snapshot_metadata",
    "transportable_snapshot_id", "parent", "resident_on", "scheduled_to_be_resident_on", "suspend_VDI", "domid",
    "domarch", "metrics", "guest_metrics", "blobs", "blocked_operations", "ha_always_run", "protection_policy",
    "is_snapshot_from_vmpp", "is_vmss_snapshot", "snapshot_schedule", "appliance", "start_delay", "shutdown_delay",
    "order", "suspend_SR", "version", "generation_id", "requires_reboot", "pending_guidances",
    "pending_guidances_recommended", "pending_guidances_full",
    # the database keeps these sets
    "VBDs", "VIFs", "consoles", "crash_dumps", "VTPMs", "VUSBs", "VGPUs", "attached_PCIs", "snapshots", "children",
})
_DATABASE_SETS = frozenset({"VBDs", "VIFs", "consoles", "crash_dumps", "VTPMs", "VUSBs", "VGPUs", "attached_PCIs",
                            "snapshots", "children"})
# VM fields a revert leaves as they are (xapi_vm_snapshot.do_not_copy), and the sets the database keeps
_KEPT_BY_REVERT = frozenset({
    "uuid", "suspend_VDI", "power_state", "parent", "current_operations", "allowed_operations", "metrics",
    "guest_metrics", "resident_on", "domid", "protection_policy", "snapshot_schedule", "scheduled_to_be_resident_on",
    "snapshots", "tags", "affinity", "groups", "consoles", "VBDs", "VIFs", "VGPUs", "VUSBs", "VTPMs", "attached_PCIs",
    "is_snapshot_from_vmpp", "children", "crash_dumps",
})


def _sexpr(value):
    """A value as xapi's database writes it in snapshot_metadata (an S-expression of strings)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        text = "(%s)" % " ".join("(%s %s)" % (_quote(str(k)), _quote(str(v))) for k, v in value.items())
    elif isinstance(value, list):
        text = "(%s)" % " ".join(_quote(str(item)) for item in value)
    else:
        text = str(value)
    return _quote(text)


def _quote(text):
    return "'%s'" % text.replace("\\", "\\\\").replace("'", "\\'")


def metadata_text(record):
    return "(%s)" % " ".join("(%s %s)" % (_quote(key), _sexpr(value)) for key, value in record.items())


def _copy_metrics(db, record):
    """Copies of the VM's metrics and guest metrics (Xapi_vm_helpers.copy_metrics)."""
    metrics = db.tables["VM_metrics"].get(record["metrics"])
    new_metrics = db.create("VM_metrics", {k: v for k, v in (metrics or {"install_time": now(),
                                                                         "last_updated": now()}).items()
                                           if k != "uuid"})
    guest_metrics = db.tables["VM_guest_metrics"].get(record["guest_metrics"])
    new_guest = NULL_REF
    if guest_metrics is not None:
        new_guest = db.create("VM_guest_metrics", {k: v for k, v in guest_metrics.items() if k != "uuid"})
    return new_metrics, new_guest


def _copy_vbd(db, vbd_record, vm, new_vdi):
    """Xapi_vbd_helpers.copy, onto `vm` with `new_vdi`; a copied disk belongs to its new VM."""
    fields = {k: v for k, v in vbd_record.items()
              if k not in ("uuid", "VM", "VDI", "allowed_operations", "current_operations", "currently_attached",
                           "metrics", "storage_lock", "status_code", "status_detail", "runtime_properties",
                           "qos_supported_algorithms")}
    if vbd_record["type"] == "Disk" and "owner" not in fields["other_config"]:
        fields["other_config"] = dict(fields["other_config"], owner="")
    return db.create("VBD", dict(fields, VM=vm, VDI=new_vdi, empty=vbd_record["empty"] or new_vdi == NULL_REF,
                                 currently_attached=False))


def _copy_vif(db, vif_record, vm):
    """Xapi_vif_helpers.copy keeping the MAC (snapshots and reverts do)."""
    fields = {k: v for k, v in vif_record.items()
              if k not in ("uuid", "VM", "allowed_operations", "current_operations", "currently_attached", "metrics",
                           "status_code", "status_detail", "runtime_properties", "qos_supported_algorithms")}
    return db.create("VIF", dict(fields, VM=vm, currently_attached=False))


def _disks(db, record, ignore_vdis=()):
    """(VBD record, VDI to snapshot or None) for each VBD; CDs keep their disc, empty drives none."""
    disks = []
    for vbd in record["VBDs"]:
        vbd_record = db.tables["VBD"].get(vbd)
        if vbd_record is None or vbd_record["VDI"] in ignore_vdis:
            continue
        is_disk = vbd_record["type"] != "CD" and not vbd_record["empty"] and vbd_record["VDI"] in db.tables["VDI"]
        disks.append((vbd_record, vbd_record["VDI"] if is_disk else None))
    return disks


def _assert_can_snapshot(db, vdis):
    """The VDI side of VDI.snapshot for every disk, and room on each SR for all its new disks."""
    needs = {}
    for vdi in vdis:
        record = db.get("VDI", vdi)
        storage.assert_sr_operation(db, record["SR"], "vdi_snapshot")
        storage.vdi_check(db, vdi, record, "snapshot")
        sr_record = db.get("SR", record["SR"])
        needs[record["SR"]] = needs.get(record["SR"], 0) + storage.new_utilisation(sr_record, record["virtual_size"])
    for sr, needed in needs.items():
        storage.assert_space(db, sr, needed)


def _new_snapshot(call, vm, new_name, disks, power_state, snapshot_info, suspend_vdi):
    """The snapshot VM record, its devices and its disks' snapshots (xapi_vm_clone.clone)."""
    db = call.db
    record = db.get("VM", vm)
    fields = {key: value for key, value in record.items() if key not in _NOT_COPIED}
    other = {k: v for k, v in record["other_config"].items() if k not in ("default_template", "xensource_internal")}
    if record["is_a_template"] and "base_template_name" not in other:
        other["base_template_name"] = record["name_label"]
    metrics, guest_metrics = _copy_metrics(db, record)
    fields.update(name_label=new_name, power_state=power_state, is_a_template=True, is_a_snapshot=True,
                  snapshot_of=vm, snapshot_time=now(), snapshot_info=snapshot_info,
                  snapshot_metadata=metadata_text(record), parent=record["parent"], other_config=other,
                  metrics=metrics, guest_metrics=guest_metrics, domid=-1, generation_id=new_uuid())
    snapshot = db.create("VM", fields)
    db.private.setdefault(snapshot, {})["metadata"] = dict(record)
    for vbd_record, vdi in disks:
        new_vdi = storage.clone_vdi(db, vdi, snapshot=True) if vdi is not None else vbd_record["VDI"]
        _copy_vbd(db, vbd_record, snapshot, new_vdi)
    for vif in record["VIFs"]:
        if vif in db.tables["VIF"]:
            _copy_vif(db, db.tables["VIF"][vif], snapshot)
    if suspend_vdi is not None:
        db.update("VM", snapshot, suspend_VDI=storage.clone_vdi(db, suspend_vdi, snapshot=True))
    db.update("VM", vm, parent=snapshot)
    return snapshot


def _snapshot_info(power_state):
    return {"power-state-at-snapshot": power_state, "disk-snapshot-type": "crash_consistent"}


@handles("VM.snapshot")
def snapshot(call, vm, new_name, ignore_vdis):
    db = call.db
    with _locked(call, vm, "snapshot"):
        with db.lock:
            record = db.get("VM", vm)
            disks = _disks(db, record, set(ignore_vdis))
            _assert_can_snapshot(db, [vdi for dummy, vdi in disks if vdi is not None])
        call.spend(DISK_SECONDS * max(1, len(disks)))
        with db.lock:
            return _new_snapshot(call, vm, new_name, disks, "Halted", _snapshot_info(record["power_state"]), None)


@handles("VM.checkpoint")
def checkpoint(call, vm, new_name):
    """A running VM is suspended (its memory goes to a suspend image), its disks and the image
    are snapshotted, and it resumes; a suspended VM's image is snapshotted as it is."""
    db = call.db
    with _locked(call, vm, "checkpoint"):
        with db.lock:
            record = db.get("VM", vm)
            power = record["power_state"]
            disks = _disks(db, record)
            if power == "Running":
                for dummy, vdi in disks:
                    sr_record = db.get("SR", db.get("VDI", vdi)["SR"]) if vdi is not None else None
                    if sr_record is not None and "VDI_SNAPSHOT" not in storage.sm_features(db, sr_record):
                        raise Failure("SR_OPERATION_NOT_SUPPORTED", vm)
                suspend_sr = _suspend_sr(db, vm, record)
            _assert_can_snapshot(db, [vdi for dummy, vdi in disks if vdi is not None])
        if power == "Running":
            call.spend(DURATION["suspend"])
            with db.lock:
                size = record["memory_static_max"] + 64 * 1024 * 1024
                image = storage.new_vdi(db, suspend_sr, {"name_label": "Suspend image",
                                                         "name_description": "Suspend image", "type": "suspend"},
                                        size, utilisation=size)
                db.update("VM", vm, power_state="Suspended", suspend_VDI=image)
        try:
            call.spend(DISK_SECONDS * max(1, len(disks)))
            with db.lock:
                image = db.get("VM", vm)["suspend_VDI"]
                new_power = "Suspended" if power in ("Running", "Suspended") else "Halted"
                info = _snapshot_info(power) if power == "Running" else {}
                return _new_snapshot(call, vm, new_name, disks, new_power, info,
                                     image if image in db.tables["VDI"] else None)
        finally:
            if power == "Running":
                _resume_in_place(call, vm)


def _resume_in_place(call, vm):
    """The slow resume after a checkpoint: same host, a new domain, no suspend image."""
    db = call.db
    call.spend(DURATION["resume"])
    with db.lock:
        image = db.get("VM", vm)["suspend_VDI"]
        if image in db.tables["VDI"]:
            db.delete("VDI", image)
        db.update("VM", vm, power_state="Running", suspend_VDI=NULL_REF, domid=next_domid(db))


def _vm_of_snapshot(call, snapshot, record):
    """The VM a snapshot reverts: snapshot_of, or one made again from the snapshot when that
    VM is gone (create_vm_from_snapshot, with the VM's uuid); anything else, a VM that is no
    snapshot included, is VM_REVERT_FAILED [snapshot, vm] as xapi sends it."""
    db = call.db
    vm = record["snapshot_of"]
    if db.exists("VM", vm):
        return vm
    metadata = db.private.get(snapshot, {}).get("metadata")
    if not record["is_a_snapshot"] or metadata is None:
        raise Failure("VM_REVERT_FAILED", snapshot, vm)
    with db.lock:
        fields = {key: value for key, value in record.items() if key not in _DATABASE_SETS}
        fields.update({key: value for key, value in metadata.items() if key not in _KEPT_BY_REVERT})
        fields.update(uuid=metadata["uuid"], power_state="Halted", suspend_VDI=NULL_REF, ha_always_run=False,
                      allowed_operations=[], current_operations={}, resident_on=NULL_REF, guest_metrics=NULL_REF,
                      metrics=db.create("VM_metrics", {"install_time": now(), "last_updated": now()}))
        new_vm = db.create("VM", fields)
        for other in db.find("VM", snapshot_of=vm):
            db.update("VM", other, snapshot_of=new_vm)
        return new_vm


def _revert_disks(db, snapshot, vm):
    """xapi_vm_snapshot.revert_vbds without VDI.revert (no built-in driver offers it): the
    VM's disks that the snapshot covers are destroyed and replaced by clones of the snapshot's;
    the VM's other disks are left unattached; snapshots of an old disk now name its clone."""
    snap = db.get("VM", snapshot)
    snap_vbds = [db.tables["VBD"][vbd] for vbd in snap["VBDs"] if vbd in db.tables["VBD"]]
    covered = {db.tables["VDI"][vbd["VDI"]]["snapshot_of"] for vbd in snap_vbds
               if vbd["type"] == "Disk" and vbd["VDI"] in db.tables["VDI"]}
    for vbd in list(db.get("VM", vm)["VBDs"]):
        vbd_record = db.tables["VBD"].get(vbd)
        if vbd_record is None:
            continue
        db.delete("VBD", vbd)
        old = vbd_record["VDI"]
        if vbd_record["type"] == "Disk" and old in covered and db.exists("VDI", old):
            if db.get("SR", db.get("VDI", old)["SR"])["content_type"] != "iso":
                vdi_handlers.destroy_vdi(db, old)
    for vbd_record in snap_vbds:
        source = vbd_record["VDI"]
        if vbd_record["type"] == "Disk" and source in db.tables["VDI"]:
            clone = storage.clone_vdi(db, source)
            previous = db.get("VDI", source)["snapshot_of"]
            if previous != NULL_REF:
                for other in db.find("VDI", snapshot_of=previous):
                    db.update("VDI", other, snapshot_of=clone)
            _copy_vbd(db, vbd_record, vm, clone)
        else:
            _copy_vbd(db, vbd_record, vm, source if vbd_record["type"] == "CD" else NULL_REF)
    image = snap["suspend_VDI"]
    db.update("VM", vm, suspend_VDI=storage.clone_vdi(db, image) if image in db.tables["VDI"] else NULL_REF)


def _revert(call, snapshot, vm):
    db = call.db
    snap = db.get("VM", snapshot)
    metadata = db.private.get(snapshot, {}).get("metadata") or {
        key: value for key, value in snap.items() if key not in _NOT_COPIED}
    with db.lock:
        for vdi in {db.tables["VBD"][vbd]["VDI"] for vbd in snap["VBDs"] if vbd in db.tables["VBD"]
                    and db.tables["VBD"][vbd]["type"] == "Disk"}:
            if vdi in db.tables["VDI"]:
                record = db.get("VDI", vdi)
                storage.assert_space(db, record["SR"], storage.new_utilisation(db.get("SR", record["SR"]),
                                                                               record["virtual_size"]))
        fields = {key: value for key, value in metadata.items() if key not in _KEPT_BY_REVERT and key in snap}
        fields["ha_always_run"] = False
        db.update("VM", vm, **fields)
    call.spend(REVERT_SECONDS)
    with db.lock:
        _revert_disks(db, snapshot, vm)
        vm_record = db.get("VM", vm)
        for vif in list(vm_record["VIFs"]):
            db.delete("VIF", vif)
        for vif in snap["VIFs"]:
            if vif in db.tables["VIF"]:
                _copy_vif(db, db.tables["VIF"][vif], vm)
        for cls, field in (("VM_guest_metrics", "guest_metrics"), ("VM_metrics", "metrics")):
            if db.exists(cls, vm_record[field]):
                db.delete(cls, vm_record[field])
        metrics, guest_metrics = _copy_metrics(db, snap)
        db.update("VM", vm, metrics=metrics, guest_metrics=guest_metrics, parent=snapshot,
                  power_state=snap["power_state"], resident_on=NULL_REF, domid=-1)


@handles("VM.revert")
def revert(call, snapshot):
    db = call.db
    record = db.get("VM", snapshot)
    vm = _vm_of_snapshot(call, snapshot, record)
    with _locked(call, snapshot, "revert"), call.operation("VM", vm, "reverting"):
        if db.get("VM", vm)["power_state"] != "Halted":
            call.spend(DURATION["hard_shutdown"])
            _halt(call, vm)
        try:
            _revert(call, snapshot, vm)
        except Failure as failure:
            with db.lock:
                if db.exists("VM", vm):
                    guest.forget(db, vm)
                    db.update("VM", vm, power_state="Halted", resident_on=NULL_REF, domid=-1)
            if failure.code in ("SR_FULL", "VDI_INCOMPATIBLE_TYPE", "TASK_CANCELLED"):
                raise
            raise Failure("VM_REVERT_FAILED", snapshot, vm) from None
