"""Which VM operations are valid when, as xapi_vm_lifecycle decides [xenapi-notes §2.3].

One check serves both the handlers (raising xapi's error) and allowed_operations (the ops
for which the check passes), so the two never disagree.
"""

import functools

from ..errors import Failure
from .registry import derives

H, P, R, S = "Halted", "Paused", "Running", "Suspended"
ANY = (H, P, R, S)

POWER_STATES = {
    "start": (H,), "start_on": (H,), "provision": (H,), "make_into_template": (H,),
    "changing_shadow_memory": (H,), "changing_NVRAM": (H,), "create_vtpm": (H,),
    "changing_VCPUs": (H,), "changing_static_range": (H,), "changing_memory_limits": (H,),
    "clean_shutdown": (R,), "clean_reboot": (R,), "suspend": (R,), "pause": (R,), "pool_migrate": (R,),
    "changing_VCPUs_live": (R,), "snapshot_with_quiesce": (R,), "changing_shadow_memory_live": (R,),
    "unpause": (P,), "resume": (S,), "resume_on": (S,),
    "changing_dynamic_range": (H, R), "clone": (H,), "copy": (H,),
    "destroy": (H, S), "export": (H, S), "hard_reboot": (P, R),
    "hard_shutdown": (P, S, R), "checkpoint": (P, S, R), "migrate_send": (H, S, R),
    "snapshot": ANY, "revert": ANY, "metadata_export": ANY,
}
TEMPLATE_OPS = frozenset({"clone", "copy", "provision", "migrate_send", "changing_dynamic_range",
                          "changing_static_range", "changing_shadow_memory", "changing_NVRAM", "export",
                          "metadata_export", "destroy"})
DEFAULT_TEMPLATE_FORBIDDEN = frozenset({"destroy", "migrate_send"})
SNAPSHOT_OPS = frozenset({"clone", "copy", "revert", "export", "metadata_export", "destroy"})
NEEDS_PV_DRIVERS = frozenset({"clean_shutdown", "clean_reboot", "suspend", "checkpoint", "pool_migrate",
                              "migrate_send", "changing_VCPUs_live"})
CANDIDATES = tuple(op for op in POWER_STATES if op not in (
    "changing_VCPUs", "changing_memory_limits", "snapshot_with_quiesce",
    "changing_shadow_memory_live"))  # ignored by xapi's listing


def _expected(states):
    return ", ".join(state.lower() for state in states)


def check(db, ref, record, op, pv_drivers=None):
    """Raise xapi's error if `op` is not valid for the VM now (concurrency aside)."""
    blocked = record["blocked_operations"]
    if op in blocked:
        raise Failure("OPERATION_BLOCKED", ref, blocked[op])
    power = record["power_state"]
    snapshot = record["is_a_snapshot"]
    states = POWER_STATES.get(op, ANY)
    if snapshot and op in ("clone", "copy"):
        states = (H, S)
    if power not in states:
        raise Failure("VM_BAD_POWER_STATE", ref, _expected(states), power.lower())
    if snapshot:
        if op not in SNAPSHOT_OPS:
            raise Failure("VM_IS_SNAPSHOT", ref, op)
    elif record["is_a_template"]:
        if op not in TEMPLATE_OPS or (record["is_default_template"] and op in DEFAULT_TEMPLATE_FORBIDDEN):
            raise Failure("VM_IS_TEMPLATE", ref, op)
    if op == "provision" and not record["is_a_template"]:
        raise Failure("PROVISION_ONLY_ALLOWED_ON_TEMPLATE")
    if op == "revert" and not snapshot:
        raise Failure("REVERT_ONLY_ALLOWED_ON_SNAPSHOT")
    if record["is_control_domain"] and op not in ("metadata_export", "changing_dynamic_range"):
        raise Failure("OPERATION_NOT_ALLOWED", "This operation is not allowed on dom0")
    if pv_drivers is None and op in NEEDS_PV_DRIVERS and power == R:
        pv_drivers = _has_pv_drivers(db, record)
    if op in NEEDS_PV_DRIVERS and power == R and not pv_drivers:
        raise Failure("VM_LACKS_FEATURE", ref)


def _has_pv_drivers(db, record):
    metrics = db.tables["VM_guest_metrics"].get(record["guest_metrics"])
    return bool(metrics and metrics["PV_drivers_detected"])


@derives("VM")
def allowed_operations(db, record):
    if record["current_operations"]:
        return {"allowed_operations": []}
    key = (record["power_state"], record["is_a_snapshot"], record["is_a_template"], record["is_default_template"],
           record["is_control_domain"], tuple(sorted(record["blocked_operations"])), _has_pv_drivers(db, record))
    return {"allowed_operations": list(_allowed(key))}


@functools.lru_cache(maxsize=512)
def _allowed(key):
    """The ops whose check passes for a VM described by `key` (all the check looks at)."""
    power, snapshot, template, default, dom0, blocked, pv_drivers = key
    record = {"power_state": power, "is_a_snapshot": snapshot, "is_a_template": template,
              "is_default_template": default, "is_control_domain": dom0,
              "blocked_operations": dict.fromkeys(blocked, "")}
    allowed = []
    for op in CANDIDATES:
        try:
            check(None, "", record, op, pv_drivers=pv_drivers)
        except Failure:
            continue
        allowed.append(op)
    return tuple(allowed)
