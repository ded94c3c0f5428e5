"""Virtual disks: create, destroy, resize, snapshot, clone, copy and the explicit setters, with
xapi's checks in xapi's order (the SR's operation, then the VDI's, then the storage driver)
[xenapi-notes §3.7; xen-api xapi_vdi.ml, message_forwarding.ml VDI].
"""

import contextlib

from ..errors import Failure
from ..values import NULL_REF
from . import storage
from .generic import constructor_fields
from .registry import handles

COPY_SECONDS_PER_GIB = 0.5
SNAPSHOT_SECONDS = 0.5


def _vdi_operation(call, vdi, op, sr_op=None):
    """Check the SR side (sr_op) and the VDI side (op) of an operation, under the lock;
    returns the VDI record."""
    db = call.db
    record = db.get("VDI", vdi)
    if sr_op is not None:
        storage.assert_sr_operation(db, record["SR"], sr_op)
    storage.vdi_check(db, vdi, record, op)
    return record


def _assert_managed(record, vdi):
    if not record["managed"]:
        raise Failure("VDI_NOT_MANAGED", vdi)


@handles("VDI.create")
def create(call, record):
    db = call.db
    fields = constructor_fields(call, "VDI", record)
    sr = fields["SR"]
    with db.lock:
        sr_record = storage.assert_sr_operation(db, sr, "vdi_create")
        if fields["type"] == "cbt_metadata":
            raise Failure("VDI_INCOMPATIBLE_TYPE", "", "cbt_metadata")
        storage.assert_plugged(db, sr)
        size = storage.round_size(sr_record, fields["virtual_size"])
        storage.assert_space(db, sr, size)
        sm_config = dict(fields["sm_config"])
        if sr_record["type"] in storage.VHD_TYPES:
            sm_config["vdi_type"] = "vhd"
        keep = ("name_label", "name_description", "type", "sharable", "read_only", "other_config", "xenstore_data",
                "tags")
        return storage.new_vdi(db, sr, dict({key: fields[key] for key in keep}, sm_config=sm_config), size)


def destroy_vdi(db, vdi):
    """Drop the VDI, its (detached) VBDs, and any VM's reference to it as a suspend image."""
    for vbd in db.get("VDI", vdi)["VBDs"]:
        if db.exists("VBD", vbd):
            db.delete("VBD", vbd)
    for vm in db.find("VM", suspend_VDI=vdi):
        db.update("VM", vm, suspend_VDI=NULL_REF)
    db.delete("VDI", vdi)


@handles("VDI.destroy")
def destroy(call, vdi):
    db = call.db
    with db.lock:
        record = _vdi_operation(call, vdi, "destroy", "vdi_destroy")
        storage.assert_plugged(db, record["SR"])
        _assert_managed(record, vdi)
        if storage.active_vbds(db, record):
            raise Failure("VDI_IN_USE", vdi, "destroy")
        destroy_vdi(db, vdi)


def _resize(call, vdi, size, op):
    db = call.db
    with db.lock:
        record = _vdi_operation(call, vdi, op, "vdi_resize")
        storage.assert_plugged(db, record["SR"])
        _assert_managed(record, vdi)
        sr_record = db.get("SR", record["SR"])
        new_size = storage.round_size(sr_record, size)
        old_size = record["virtual_size"]
        if new_size < old_size:
            raise storage.backend_failure(79, "VDI Invalid size [opterr=shrinking not allowed]")
        if new_size == old_size:
            return
        storage.assert_space(db, record["SR"], new_size - old_size)
        if storage.is_thick(sr_record):
            utilisation = record["physical_utilisation"] + new_size - old_size
        else:
            utilisation = record["physical_utilisation"] + storage.vhd_overhead(new_size) - storage.vhd_overhead(old_size)
        db.update("VDI", vdi, virtual_size=new_size, physical_utilisation=max(utilisation, 0))


@handles("VDI.resize")
def resize(call, vdi, size):
    _resize(call, vdi, size, "resize")


@handles("VDI.resize_online")
def resize_online(call, vdi, size):
    """As resize, for a disk a running VM has attached; the SR's driver must offer
    VDI_RESIZE_ONLINE (the built-in LVM, EXT and NFS drivers do not, as on a real host)."""
    _resize(call, vdi, size, "resize_online")


@contextlib.contextmanager
def _marked(call, vdi, op, sr_op=None):
    """Hold `op` in the VDI's current_operations while the block runs, once the checks pass
    (they decide what may run alongside: copies may)."""
    db = call.db
    task = call.current_task()
    with db.lock:
        record = _vdi_operation(call, vdi, op, sr_op)
        db.update("VDI", vdi, current_operations=dict(record["current_operations"], **{task: op}))
    try:
        yield record
    finally:
        with db.lock:
            if db.exists("VDI", vdi):
                current = dict(db.get("VDI", vdi)["current_operations"])
                current.pop(task, None)
                db.update("VDI", vdi, current_operations=current)


def _fast_copy(call, vdi, op, sr_op, snapshot):
    db = call.db
    with _marked(call, vdi, op, sr_op) as record:
        storage.assert_plugged(db, record["SR"])
        _assert_managed(record, vdi)
        storage.assert_space(db, record["SR"], storage.new_utilisation(db.get("SR", record["SR"]),
                                                                       record["virtual_size"]))
        call.spend(SNAPSHOT_SECONDS)
        with db.lock:
            return storage.clone_vdi(db, vdi, snapshot=snapshot)


@handles("VDI.snapshot")
def snapshot(call, vdi, driver_params):
    return _fast_copy(call, vdi, "snapshot", "vdi_snapshot", True)


@handles("VDI.clone")
def clone(call, vdi, driver_params):
    return _fast_copy(call, vdi, "clone", "vdi_clone", False)


@handles("VDI.copy")
def copy(call, vdi, sr, base_vdi, into_vdi):
    """A full copy into `sr` (a new VDI), or into the existing `into_vdi`."""
    db = call.db
    with _marked(call, vdi, "copy") as record:
        _assert_managed(record, vdi)
        with db.lock:
            if into_vdi != NULL_REF and db.exists("VDI", into_vdi):
                target = db.get("VDI", into_vdi)
                if target["read_only"]:
                    raise Failure("VDI_READONLY", into_vdi)
                if target["virtual_size"] < record["virtual_size"]:
                    raise Failure("VDI_TOO_SMALL", into_vdi, record["virtual_size"])
            else:
                into_vdi = None
                storage.assert_sr_operation(db, sr, "vdi_create")
                storage.assert_plugged(db, sr)
                storage.assert_space(db, sr, record["virtual_size"])
        call.spend(COPY_SECONDS_PER_GIB * record["virtual_size"] / storage.GIB)
        with db.lock:
            return into_vdi or storage.copy_vdi(db, vdi, sr)


def _setter(field):
    def set_field(call, vdi, value):
        call.db.get("VDI", vdi)
        call.db.update("VDI", vdi, **{field: value})

    return set_field


handles("VDI.set_name_label")(_setter("name_label"))
handles("VDI.set_name_description")(_setter("name_description"))


def _internal_only(call, vdi, value):
    """xapi lets only the storage driver's own sessions change these (Sm.assert_session_has_internal_sr_access)."""
    call.db.get("VDI", vdi)
    raise Failure("PERMISSION_DENIED", "")


handles("VDI.set_sharable", "VDI.set_read_only")(_internal_only)


def _assert_not_on_running_vm(db, record):
    """Every VM with a VBD on the VDI must be halted (assert_initial_power_state_is)."""
    for vbd in record["VBDs"]:
        vm = db.get("VBD", vbd)["VM"]
        power = db.get("VM", vm)["power_state"]
        if power != "Halted":
            raise Failure("VM_BAD_POWER_STATE", vm, "halted", power.lower())


@handles("VDI.set_on_boot")
def set_on_boot(call, vdi, value):
    db = call.db
    with db.lock:
        record = db.get("VDI", vdi)
        _assert_not_on_running_vm(db, record)
        storage.assert_sr_operation(db, record["SR"], "vdi_set_on_boot")
        storage.vdi_check(db, vdi, record, "set_on_boot")
        storage.assert_plugged(db, record["SR"])
        db.update("VDI", vdi, on_boot=value)


@handles("VDI.set_allow_caching")
def set_allow_caching(call, vdi, value):
    db = call.db
    with db.lock:
        _assert_not_on_running_vm(db, db.get("VDI", vdi))
        db.update("VDI", vdi, allow_caching=value)
