"""VM power states: start, shutdown, reboot, suspend, resume, pause [xenapi-notes §3.4].

Each call locks the VM (current_operations), checks validity with vm_operations.check,
lets the operation's simulated time pass with task progress, then writes the new state.
"""

from ..errors import Failure
from ..values import NULL_REF, new_uuid, now
from . import devices, guest, placement
from .generic import create as generic_create
from .registry import handles
from .vm_operations import check

# Simulated seconds a real host takes.
DURATION = {"start": 20.0, "clean_shutdown": 10.0, "hard_shutdown": 2.0, "clean_reboot": 25.0,
            "hard_reboot": 15.0, "suspend": 15.0, "resume": 10.0, "pause": 1.0, "unpause": 1.0}


def _locked(call, vm, op):
    return call.operation("VM", vm, op, check=lambda record: check(call.db, vm, record, op))


def next_domid(db):
    db.counters["next_domid"] = db.counters.get("next_domid", 0) + 1
    return db.counters["next_domid"]


def _set_devices(db, vm, attached):
    """Devices come up with the domain (a VBD gets its device name) and go with it (then
    whatever device operation was in progress is over, as in force_state_reset)."""
    record = db.get("VM", vm)
    for vbd in record["VBDs"]:
        changes = {"currently_attached": attached}
        if attached:
            changes["device"] = devices.device_name(db.get("VBD", vbd))
        else:
            changes["current_operations"] = {}
        db.update("VBD", vbd, **changes)
    for vif in record["VIFs"]:
        db.update("VIF", vif, currently_attached=attached, **({} if attached else {"current_operations": {}}))


def _boot(call, vm, host, paused):
    """The domain exists now on `host`: write what xapi writes after a start."""
    db = call.db
    with db.lock:
        placement.scheduled(db).pop(vm, None)
        record = db.update("VM", vm, power_state="Paused" if paused else "Running", resident_on=host,
                           scheduled_to_be_resident_on=NULL_REF, domid=next_domid(db))
        _set_devices(db, vm, True)
        if record["metrics"] in db.tables["VM_metrics"]:
            db.update("VM_metrics", record["metrics"], start_time=now(), last_updated=now(),
                      memory_actual=record["memory_dynamic_max"], VCPUs_number=record["VCPUs_at_startup"],
                      state=[], current_domain_type=record["domain_type"],
                      hvm=record["domain_type"] == "hvm")
        if not record["consoles"]:
            db.create("console", {"protocol": "rfb", "VM": vm,
                                  "location": "https://%s/console?ref=%s" % (call.pool.address_of(host), vm)})
    if not paused:
        call.clock.later(guest.AGENT_DELAY, lambda: guest.report_now(db, vm))


def _halt(call, vm):
    halt_in_db(call.db, vm)


def halt_in_db(db, vm):
    """The domain is gone (halted, or its host went down)."""
    with db.lock:
        guest.forget(db, vm)
        record = db.update("VM", vm, power_state="Halted", resident_on=NULL_REF, domid=-1)
        _set_devices(db, vm, False)
        for console in record["consoles"]:
            db.delete("console", console)
        if record["metrics"] in db.tables["VM_metrics"]:
            db.update("VM_metrics", record["metrics"], memory_actual=0, VCPUs_number=0, last_updated=now())
        if record["suspend_VDI"] in db.tables["VDI"]:
            db.delete("VDI", record["suspend_VDI"])
            db.update("VM", vm, suspend_VDI=NULL_REF)


def _start(call, vm, host, start_paused, op):
    db = call.db
    with _locked(call, vm, op):
        with db.lock:
            if host is None:
                host = placement.choose_host(db, vm)
            else:
                placement.assert_can_run_on(db, vm, host)
            placement.scheduled(db)[vm] = host
            db.update("VM", vm, scheduled_to_be_resident_on=host)
        try:
            call.spend(DURATION["start"] if op in ("start", "start_on") else DURATION["resume"])
        except BaseException:
            with db.lock:
                placement.scheduled(db).pop(vm, None)
                if db.exists("VM", vm):
                    db.update("VM", vm, scheduled_to_be_resident_on=NULL_REF)
            raise
        if op in ("resume", "resume_on"):
            suspend_vdi = db.get("VM", vm)["suspend_VDI"]
            if suspend_vdi in db.tables["VDI"]:
                db.delete("VDI", suspend_vdi)
            db.update("VM", vm, suspend_VDI=NULL_REF)
        _boot(call, vm, host, start_paused)


@handles("VM.start")
def start(call, vm, start_paused, force):
    _start(call, vm, None, start_paused, "start")


@handles("VM.start_on")
def start_on(call, vm, host, start_paused, force):
    call.db.get("host", host)
    _start(call, vm, host, start_paused, "start_on")


@handles("VM.resume")
def resume(call, vm, start_paused, force):
    _start(call, vm, None, start_paused, "resume")


@handles("VM.resume_on")
def resume_on(call, vm, host, start_paused, force):
    call.db.get("host", host)
    _start(call, vm, host, start_paused, "resume_on")


def _shutdown(call, vm, op):
    with _locked(call, vm, op):
        call.spend(DURATION[op])
        _halt(call, vm)


@handles("VM.clean_shutdown")
def clean_shutdown(call, vm):
    _shutdown(call, vm, "clean_shutdown")


@handles("VM.hard_shutdown")
def hard_shutdown(call, vm):
    _shutdown(call, vm, "hard_shutdown")


@handles("VM.shutdown")
def shutdown(call, vm):
    """Clean if the guest can, hard otherwise."""
    try:
        check(call.db, vm, call.db.get("VM", vm), "clean_shutdown")
    except Failure:
        _shutdown(call, vm, "hard_shutdown")
    else:
        _shutdown(call, vm, "clean_shutdown")


def _reboot(call, vm, op):
    db = call.db
    with _locked(call, vm, op):
        call.spend(DURATION[op])
        with db.lock:
            host = db.get("VM", vm)["resident_on"]
            guest.forget(db, vm)
            db.update("VM", vm, power_state="Running", domid=next_domid(db))
            metrics = db.get("VM", vm)["metrics"]
            if metrics in db.tables["VM_metrics"]:
                db.update("VM_metrics", metrics, start_time=now(), last_updated=now())
        call.clock.later(guest.AGENT_DELAY, lambda: guest.report_now(db, vm))
        return host


@handles("VM.clean_reboot")
def clean_reboot(call, vm):
    _reboot(call, vm, "clean_reboot")


@handles("VM.hard_reboot")
def hard_reboot(call, vm):
    _reboot(call, vm, "hard_reboot")


def _suspend_sr(db, vm, record):
    candidates = [record["suspend_SR"], db.get("host", record["resident_on"])["suspend_image_sr"]]
    pool = db.refs("pool")
    if pool:
        candidates.append(db.get("pool", pool[0])["suspend_image_SR"])
    for sr in candidates:
        if sr in db.tables["SR"]:
            return sr
    raise Failure("VM_NO_SUSPEND_SR", vm)


@handles("VM.suspend")
def suspend(call, vm):
    db = call.db
    with _locked(call, vm, "suspend") as record:
        sr = _suspend_sr(db, vm, record)
        call.spend(DURATION["suspend"])
        with db.lock:
            size = record["memory_static_max"] + 64 * 1024 * 1024
            vdi = db.create("VDI", {"name_label": "Suspend image", "name_description": "Suspend image",
                                    "SR": sr, "virtual_size": size, "physical_utilisation": size,
                                    "type": "suspend", "other_config": {}})
            guest.forget(db, vm)
            db.update("VM", vm, power_state="Suspended", resident_on=NULL_REF, domid=-1, suspend_VDI=vdi)
            _set_devices(db, vm, False)
            for console in db.get("VM", vm)["consoles"]:
                db.delete("console", console)


def _pause_change(call, vm, op, state):
    with _locked(call, vm, op):
        call.spend(DURATION[op])
        call.db.update("VM", vm, power_state=state)


@handles("VM.pause")
def pause(call, vm):
    _pause_change(call, vm, "pause", "Paused")


@handles("VM.unpause")
def unpause(call, vm):
    _pause_change(call, vm, "unpause", "Running")
    call.clock.later(guest.AGENT_DELAY, lambda: guest.report_now(call.db, vm))


@handles("VM.power_state_reset")
def power_state_reset(call, vm):
    record = call.db.get("VM", vm)
    if record["is_control_domain"]:
        raise Failure("OPERATION_NOT_ALLOWED", "This operation is not allowed on dom0")
    placement.scheduled(call.db).pop(vm, None)
    _halt(call, vm)


@handles("VM.create")
def create(call, record):
    """As the generic create, and a random mac_seed when other_config has none (xapi_vm.ml)."""
    other = dict(record.get("other_config") or {})
    other.setdefault("mac_seed", new_uuid())
    vm = generic_create(call, "VM", dict(record, other_config=other), power_state="Halted")
    metrics = call.db.create("VM_metrics", {"install_time": now(), "last_updated": now()})
    call.db.update("VM", vm, metrics=metrics)
    return vm


@handles("VM.destroy")
def destroy(call, vm):
    db = call.db
    record = db.get("VM", vm)
    if record["is_default_template"]:
        raise Failure("VM_CANNOT_DELETE_DEFAULT_TEMPLATE", vm)
    with _locked(call, vm, "destroy"), db.lock:
        record = db.get("VM", vm)
        for child in record["children"]:  # the VM's children now descend from its parent
            if db.exists("VM", child):
                db.update("VM", child, parent=record["parent"])
        for cls, field in (("VBD", "VBDs"), ("VIF", "VIFs"), ("console", "consoles"), ("VTPM", "VTPMs")):
            for ref in record[field]:
                if db.exists(cls, ref):
                    db.delete(cls, ref)
        for cls, field in (("VM_metrics", "metrics"), ("VM_guest_metrics", "guest_metrics")):
            if db.exists(cls, record[field]):
                db.delete(cls, record[field])
        db.delete("VM", vm)
