"""VM memory and vCPU settings, with xapi's constraints and power-state rules [xenapi-notes §3.4].

static_min <= dynamic_min <= dynamic_max <= static_max, else MEMORY_CONSTRAINT_VIOLATION_ORDER;
static settings and VCPUs_max need a halted VM; the dynamic range may change while running.
"""

from ..errors import Failure
from .registry import handles
from .vm_operations import check

ORDER = "static_min <= dynamic_min <= dynamic_max <= static_max"


def _set_memory(call, vm, op, **limits):
    with call.db.lock:
        record = call.db.get("VM", vm)
        check(call.db, vm, record, op)
        values = {key: limits.get(key, record["memory_" + key])
                  for key in ("static_min", "dynamic_min", "dynamic_max", "static_max")}
        if not values["static_min"] <= values["dynamic_min"] <= values["dynamic_max"] <= values["static_max"]:
            raise Failure("MEMORY_CONSTRAINT_VIOLATION_ORDER")
        changes = {"memory_" + key: value for key, value in values.items()}
        if record["power_state"] == "Running":
            changes["memory_target"] = values["dynamic_max"]
        call.db.update("VM", vm, **changes)


@handles("VM.set_memory_limits")
def set_memory_limits(call, vm, static_min, static_max, dynamic_min, dynamic_max):
    _set_memory(call, vm, "changing_static_range", static_min=static_min, static_max=static_max,
                dynamic_min=dynamic_min, dynamic_max=dynamic_max)


@handles("VM.set_memory_static_range")
def set_memory_static_range(call, vm, low, high):
    _set_memory(call, vm, "changing_static_range", static_min=low, static_max=high)


@handles("VM.set_memory_dynamic_range")
def set_memory_dynamic_range(call, vm, low, high):
    _set_memory(call, vm, "changing_dynamic_range", dynamic_min=low, dynamic_max=high)


@handles("VM.set_memory")
def set_memory(call, vm, value):
    """All four limits to one value (a halted VM)."""
    _set_memory(call, vm, "changing_static_range", static_min=min(value, call.db.get("VM", vm)["memory_static_min"]),
                static_max=value, dynamic_min=value, dynamic_max=value)


def _single(key, op):
    def setter(call, vm, value):
        _set_memory(call, vm, op, **{key: value})

    return setter


for _key in ("static_min", "static_max"):
    handles("VM.set_memory_" + _key)(_single(_key, "changing_static_range"))
for _key in ("dynamic_min", "dynamic_max"):
    handles("VM.set_memory_" + _key)(_single(_key, "changing_dynamic_range"))


VCPU_RULE = "VCPU values must satisfy: 0 < VCPUs_at_startup ≤ VCPUs_max"


def _set_vcpus(call, vm, **change):
    """VCPUs_max or VCPUs_at_startup of a halted VM, keeping 0 < at_startup <= max."""
    with call.db.lock:
        record = call.db.get("VM", vm)
        check(call.db, vm, record, "changing_VCPUs")
        after = dict(record, **change)
        if not 0 < after["VCPUs_at_startup"] <= after["VCPUs_max"]:
            raise Failure("INVALID_VALUE", VCPU_RULE, next(iter(change.values())))
        call.db.update("VM", vm, **change)


@handles("VM.set_VCPUs_max")
def set_vcpus_max(call, vm, value):
    _set_vcpus(call, vm, VCPUs_max=value)


@handles("VM.set_VCPUs_at_startup")
def set_vcpus_at_startup(call, vm, value):
    _set_vcpus(call, vm, VCPUs_at_startup=value)


@handles("VM.set_VCPUs_number_live")
def set_vcpus_number_live(call, vm, count):
    with call.db.lock:
        record = call.db.get("VM", vm)
        check(call.db, vm, record, "changing_VCPUs_live")
        if not 0 < count <= record["VCPUs_max"]:
            raise Failure("INVALID_VALUE", "nvcpu", count)
        metrics = record["metrics"]
        if metrics in call.db.tables["VM_metrics"]:
            call.db.update("VM_metrics", metrics, VCPUs_number=count)
