"""Virtual block devices: create, destroy, plug, unplug, insert, eject, with xapi's table of
valid operations (xapi_vbd_helpers.valid_operations) raising the errors and computing
VBD.allowed_operations [xenapi-notes §2.3, §3.7; xen-api xapi_vbd.ml, message_forwarding.ml VBD].
"""

import contextlib
import functools

from ..errors import Failure
from ..values import NULL_REF
from . import devices
from .generic import constructor_fields
from .registry import derives, handles

ALL_OPS = ("attach", "eject", "insert", "plug", "unplug", "unplug_force", "pause", "unpause")
PARALLEL_OPS = ("pause", "unpause")
HOTPLUG_SECONDS = 1.0
# VDI types a VBD may point at (xapi_vbd.create)
ATTACHABLE_TYPES = ("system", "user", "ephemeral", "suspend", "crashdump", "metadata", "rrd", "pvs_cache")


def _facts(db, record):
    """What the cheap rules look at, without references: the allowed_operations cache key."""
    vm_record = db.tables["VM"].get(record["VM"])
    vdi = db.tables["VDI"].get(record["VDI"]) if not record["empty"] else None
    vdi_busy = None
    if vdi is not None:
        vdi_busy = next((op for op in vdi["current_operations"].values() if op not in ("mirror", "copy")), None)
    ops = tuple(sorted(record["current_operations"].values()))
    if vm_record is None:
        return (ops, record["unpluggable"], record["type"], record["empty"], None, False, None, False, None,
                None, None)
    vm = record["VM"]
    blocked = devices.blocking_vm_op(vm, vm_record)
    hvm = vm_record["power_state"] == "Running" and devices.domain_type(db, vm_record) == "hvm"
    hotplug = devices.hotplug_error(db, vm, vm_record, "VBD") if hvm else None
    return (ops, record["unpluggable"], record["type"], record["empty"], vm_record["power_state"],
            record["currently_attached"], blocked[0] if blocked else None, hvm,
            (hotplug[0], tuple(hotplug[1]) if hotplug[0] != "VM_MISSING_PV_DRIVERS" else ()) if hotplug else None,
            vdi["managed"] if vdi is not None else None, vdi_busy)


def _rules(facts, refs=None):
    """op -> (code, params) for every operation the cheap rules refuse, the first rule that
    applies to an operation winning, in xapi's order. Without `refs` (ref, vm, record, vdi)
    the parameters are left out."""
    (ops, unpluggable, kind, empty, power, attached, blocked, hvm, hotplug, managed, vdi_busy) = facts
    ref, vm, record, vdi = refs or ("", "", None, None)
    table = {}

    def refuse(code, params, refused):
        for op in refused:
            if op not in table:
                table[op] = (code, params)

    def current(exclude):
        for task, op in sorted(record["current_operations"].items(), key=lambda item: item[1]):
            if op not in exclude:
                return ["VBD", ref, op, task]
        return None

    if ops:
        refuse("OTHER_OPERATION_IN_PROGRESS", refs and current(()), [o for o in ALL_OPS if o not in PARALLEL_OPS])
        if any(op not in PARALLEL_OPS for op in ops):
            refuse("OTHER_OPERATION_IN_PROGRESS", refs and current(PARALLEL_OPS), ["pause"])
        if any(op not in PARALLEL_OPS + ("attach",) for op in ops):
            refuse("OTHER_OPERATION_IN_PROGRESS", refs and current(PARALLEL_OPS + ("attach",)), ["unpause"])
    if not unpluggable:
        refuse("VBD_NOT_UNPLUGGABLE", [ref], ["unplug", "unplug_force"])
    if kind != "CD":
        refuse("VBD_NOT_REMOVABLE_MEDIA", [ref], ["insert", "eject"])
    if empty:
        refuse("VBD_IS_EMPTY", [ref], ["eject"])
    else:
        refuse("VBD_NOT_EMPTY", [ref], ["insert"])
    if power is None:
        return table
    if power == "Running" and attached:
        refuse("DEVICE_ALREADY_ATTACHED", [ref], ["plug"])
    elif power == "Running":
        refuse("DEVICE_ALREADY_DETACHED", [ref], ["unplug", "unplug_force"])
    else:
        bad = ["plug", "unplug", "unplug_force"] + ([] if power == "Paused" else ["pause", "unpause"])
        refuse("VM_BAD_POWER_STATE", [vm, "running", power.lower()], bad)
    if blocked:
        refuse("OPERATION_NOT_ALLOWED", ["Current operation on VM:%s is %s" % (vm, blocked)], ["plug", "unplug"])
    if hvm:
        if hotplug:
            refuse(hotplug[0], list(hotplug[1]) or [vm], ["plug", "unplug", "unplug_force"])
        if kind == "CD":
            refuse("OPERATION_NOT_ALLOWED", ["HVM CDROMs cannot be hotplugged/unplugged, only inserted or ejected"],
                   ["plug", "unplug", "unplug_force"])
    if kind == "CD" and power == "Suspended":
        refuse("VM_BAD_POWER_STATE", [vm, "halted, running", "suspended"], ["insert", "eject"])
    if managed is False:
        refuse("VDI_NOT_MANAGED", [ref], ALL_OPS)
    if vdi_busy:
        busy = next(((t, o) for t, o in vdi["current_operations"].items() if o not in ("mirror", "copy")),
                    ("", "")) if vdi else ("", "")
        refuse("OTHER_OPERATION_IN_PROGRESS", ["VDI", record["VDI"] if record else "", busy[1], busy[0]],
               ["attach", "plug", "insert"])
    return table


@functools.lru_cache(maxsize=4096)
def _allowed(facts):
    refused = _rules(facts)
    return tuple(op for op in ALL_OPS if op not in refused)


def _errors(db, ref, record, sharing_checks):
    """op -> (code, params) for every operation that is not valid now (xapi_vbd_helpers.valid_operations)."""
    vdi = db.tables["VDI"].get(record["VDI"]) if not record["empty"] else None
    table = _rules(_facts(db, record), (ref, record["VM"], record, vdi))
    if sharing_checks and vdi is not None and not record["currently_attached"] and record["VM"] in db.tables["VM"]:
        def refuse(code, params, refused):
            for op in refused:
                table.setdefault(op, (code, params))

        _sharing(db, ref, record, vdi, refuse)
    return table


def _sharing(db, ref, record, vdi, refuse):
    """Another running VM writing to the disk, or a write to a read-only disk (VDI_IN_USE and
    VDI_READONLY with the VDI as their one parameter, as xapi sends them)."""
    others = []
    for vbd in vdi["VBDs"]:
        other = db.tables["VBD"].get(vbd)
        if vbd == ref or other is None:
            continue
        other_vm = db.tables["VM"].get(other["VM"])
        if other_vm is None or other_vm["power_state"] == "Suspended" or other_vm["is_control_domain"]:
            continue
        if other["currently_attached"] or other["current_operations"]:
            others.append(other)
    vm_record = db.tables["VM"].get(record["VM"])
    need_write = record["mode"] == "RW"
    someone_writes = any(other["mode"] == "RW" for other in others)
    if not vdi["sharable"] and not (vm_record and vm_record["is_control_domain"]) and (
            someone_writes or (need_write and others)):
        refuse("VDI_IN_USE", [record["VDI"]], ["attach", "insert", "plug"])
    if need_write and vdi["read_only"]:
        refuse("VDI_READONLY", [record["VDI"]], ["attach", "insert", "plug"])


def check(db, vbd, op):
    """Raise xapi's error if `op` is not valid for the VBD now (assert_operation_valid)."""
    error = _errors(db, vbd, db.get("VBD", vbd), sharing_checks=True).get(op)
    if error:
        raise Failure(error[0], *error[1])


@derives("VBD")
def allowed_operations(db, record):
    """As xapi's update_allowed_operations: the cheap rules only (no sharing checks)."""
    if record["VM"] not in db.tables["VM"]:
        return {"allowed_operations": []}
    return {"allowed_operations": list(_allowed(_facts(db, record)))}


@contextlib.contextmanager
def _marked(call, vbd, op):
    """with_vbd_marked: check, then hold `op` in current_operations while the block runs."""
    db = call.db
    task = call.current_task()
    with db.lock:
        check(db, vbd, op)
        db.update("VBD", vbd, current_operations=dict(db.get("VBD", vbd)["current_operations"], **{task: op}))
    try:
        yield db.get("VBD", vbd)
    finally:
        with db.lock:
            if db.exists("VBD", vbd):
                current = dict(db.get("VBD", vbd)["current_operations"])
                current.pop(task, None)
                db.update("VBD", vbd, current_operations=current)


def used_disk_numbers(db, vm):
    used = set()
    for vbd in db.get("VM", vm)["VBDs"]:
        record = db.tables["VBD"].get(vbd)
        if record is None:
            continue
        for text in (record["device"], record["userdevice"]):
            number = devices.disk_number(text)
            if number is not None:
                used.add(number)
    return used


def allowed_disk_numbers(db, vm):
    """Disk numbers a new VBD may take (0-254; dom0 0-255), less those in use."""
    top = 256 if db.get("VM", vm)["is_control_domain"] else 255
    used = used_disk_numbers(db, vm)
    return [number for number in range(top) if number not in used]


@handles("VM.get_allowed_VBD_devices")
def get_allowed_vbd_devices(call, vm):
    with call.db.lock:
        return [str(number) for number in allowed_disk_numbers(call.db, vm)]


@handles("VBD.create")
def create(call, record):
    db = call.db
    fields = constructor_fields(call, "VBD", record)
    vm, vdi, kind, mode = fields["VM"], fields["VDI"], fields["type"], fields["mode"]
    with db.lock:
        vm_record = db.get("VM", vm)
        suspended = vm_record["power_state"] == "Suspended"
        if not fields["empty"]:
            vdi_type = db.get("VDI", vdi)["type"]
            if vdi_type not in ATTACHABLE_TYPES:
                raise Failure("VDI_INCOMPATIBLE_TYPE", vdi, vdi_type)
        if kind == "CD" and mode != "RO":
            raise Failure("VBD_CDS_MUST_BE_READONLY")
        if kind != "CD" and fields["empty"]:
            raise Failure("VBD_NOT_REMOVABLE_MEDIA", "in constructor")
        if mode == "RW" and db.get("VDI", vdi)["read_only"]:
            raise Failure("VDI_READONLY", vdi)
        for task, op in sorted(vm_record["current_operations"].items()):
            if op in ("migrate_send", "pool_migrate"):
                raise Failure("OTHER_OPERATION_IN_PROGRESS", "VM", vm, op, task)
        if kind == "Floppy" and devices.domain_type(db, vm_record) != "hvm":
            raise Failure("NOT_IMPLEMENTED", "VBD of type 'floppy' is not supported on PV domain")
        userdevice = fields["userdevice"]
        if userdevice == "autodetect":
            free = allowed_disk_numbers(db, vm)
            if not free:
                raise Failure("INVALID_DEVICE", userdevice)
            userdevice = str(free[0])
        number = devices.disk_number(userdevice)
        if number is None:
            raise Failure("INVALID_DEVICE", userdevice)
        if number in used_disk_numbers(db, vm):
            raise Failure("DEVICE_ALREADY_EXISTS", userdevice)
        fields.update(userdevice=userdevice, device=fields["device"] if suspended else "",
                      currently_attached=fields["currently_attached"] if suspended else False)
        return db.create("VBD", fields)


@handles("VBD.destroy")
def destroy(call, vbd):
    """Only a detached VBD goes (the user must unplug it first); its VDI stays."""
    db = call.db
    with db.lock:
        record = db.get("VBD", vbd)
        if record["currently_attached"]:
            vm = db.tables["VM"].get(record["VM"])
            raise Failure("OPERATION_NOT_ALLOWED", "VBD '%s' still attached to '%s'"
                          % (record["uuid"], vm["uuid"] if vm else ""))
        db.delete("VBD", vbd)


@handles("VBD.plug")
def plug(call, vbd):
    db = call.db
    with _marked(call, vbd, "plug") as record:
        with db.lock:
            vm_record = db.get("VM", record["VM"])
            if devices.domain_type(db, vm_record) == "hvm" and record["type"] != "CD" and record["mode"] == "RO":
                raise Failure("DISK_VBD_MUST_BE_READWRITE_FOR_HVM", vbd)  # CA-83260
        call.spend(HOTPLUG_SECONDS)
        with db.lock:
            db.update("VBD", vbd, currently_attached=True, device=devices.device_name(db.get("VBD", vbd)))


def _unplug(call, vbd, op):
    with _marked(call, vbd, op):
        call.spend(HOTPLUG_SECONDS)
        call.db.update("VBD", vbd, currently_attached=False)


@handles("VBD.unplug")
def unplug(call, vbd):
    _unplug(call, vbd, "unplug")


@handles("VBD.unplug_force")
def unplug_force(call, vbd):
    _unplug(call, vbd, "unplug_force")


def _assert_not_suspended(db, vm):
    power = db.get("VM", vm)["power_state"]
    if power == "Suspended":
        raise Failure("VM_BAD_POWER_STATE", vm, "halted, running", "suspended")


@handles("VBD.insert")
def insert(call, vbd, vdi):
    db = call.db
    with _marked(call, vbd, "insert") as record:
        with db.lock:
            _assert_not_suspended(db, record["VM"])
            if record["type"] != "CD":
                raise Failure("VBD_NOT_REMOVABLE_MEDIA", vbd)
            if not record["empty"]:
                raise Failure("VBD_NOT_EMPTY", vbd)
            if not db.get("VDI", vdi)["managed"]:
                raise Failure("VDI_NOT_MANAGED", vdi)
        if db.get("VM", record["VM"])["power_state"] != "Halted":
            call.spend(HOTPLUG_SECONDS)
        with db.lock:
            db.update("VBD", vbd, VDI=vdi, empty=False)


@handles("VBD.eject")
def eject(call, vbd):
    db = call.db
    with _marked(call, vbd, "eject") as record:
        with db.lock:
            if record["type"] != "CD":
                raise Failure("VBD_NOT_REMOVABLE_MEDIA", vbd)
            if record["empty"]:
                raise Failure("VBD_IS_EMPTY", vbd)
            _assert_not_suspended(db, record["VM"])
        if db.get("VM", record["VM"])["power_state"] != "Halted":
            call.spend(HOTPLUG_SECONDS)
        with db.lock:
            db.update("VBD", vbd, VDI=NULL_REF, empty=True)


@handles("VBD.set_mode")
def set_mode(call, vbd, value):
    db = call.db
    with db.lock:
        vm = db.get("VBD", vbd)["VM"]
        power = db.get("VM", vm)["power_state"]
        if power != "Halted":
            raise Failure("VM_BAD_POWER_STATE", vm, "halted", power.lower())
        db.update("VBD", vbd, mode=value)


@handles("VBD.assert_attachable")
def assert_attachable(call, vbd):
    with call.db.lock:
        check(call.db, vbd, "attach")
