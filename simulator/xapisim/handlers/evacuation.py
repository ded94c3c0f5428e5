"""Evacuating a host: the plan, the checks that read it, and host.evacuate migrating the VMs
with Async.VM.pool_migrate in batches [xenapi-notes §3.3; xen-api xapi_host.ml
compute_evacuation_plan_no_wlb, assert_can_evacuate, get_vms_which_prevent_evacuation,
evacuate].
"""

from ..clock import Stopped
from ..errors import Failure
from ..values import NULL_REF
from . import placement
from .migration_checks import assert_ip_on_network, assert_operation
from .registry import handles

BATCH_SIZE = 10  # xapi.conf evacuation-batch-size
WAIT_SLICE = 0.5  # real seconds between looks at the stop flag while migrations run


def _targets(db, host):
    return [h for h in db.refs("host") if h != host and db.get("host", h)["enabled"]]


def evacuation_plan(db, host):
    """xapi's compute_evacuation_plan_no_wlb: VM -> target host or (code, params), with xapi's
    precedence. Targets are the other enabled hosts; a VM must be able to run on each of them
    (memory aside, CPU compared) and be able to migrate; the memory bin packing puts the largest
    VMs first on the first host with room; each placed VM is checked again on its host."""
    targets = _targets(db, host)
    vms = [vm for vm in db.get("host", host)["resident_VMs"] if not db.get("VM", vm)["is_control_domain"]]
    if not targets:
        return {vm: ("NO_HOSTS_AVAILABLE", [vm]) for vm in vms}
    plans = {}
    pool_record = db.get("pool", db.refs("pool")[0])
    protected = []
    for vm in vms:
        record = db.get("VM", vm)
        if pool_record["ha_enabled"] and not (record["ha_always_run"] or record["ha_restart_priority"] == "restart"):
            plans[vm] = ("HOST_EVACUATE_VM_NOT_HA_PROTECTED", [vm])
        else:
            protected.append(vm)
    movable = []
    for vm in protected:
        try:
            for target in targets:
                placement.assert_can_run_on(db, vm, target, memory=False, cpu=True)
        except Failure as failure:
            plans[vm] = (failure.code, failure.params)
            continue
        movable.append(vm)
    for vm in vms:
        try:
            assert_operation(db, vm, db.get("VM", vm), "pool_migrate")
        except Failure as failure:
            plans[vm] = (failure.code, failure.params)
    free = {target: placement.free_memory(db, target) for target in targets}
    for vm in sorted(movable, key=lambda ref: -placement.footprint(db.get("VM", ref))):
        need = placement.footprint(db.get("VM", vm))
        target = next((t for t in targets if free[t] >= need), None)
        if target is None:
            plans[vm] = ("HOST_NOT_ENOUGH_FREE_MEMORY", [vm])
            continue
        free[target] -= need
        try:
            placement.assert_can_run_on(db, vm, target, memory=False, cpu=True)
        except Failure as failure:
            plans[vm] = (failure.code, failure.params)
        plans.setdefault(vm, target)
    return plans


def _errors(plans):
    return {vm: plan for vm, plan in plans.items() if isinstance(plan, tuple)}


@handles("host.get_vms_which_prevent_evacuation")
def get_vms_which_prevent_evacuation(call, self):
    call.db.get("host", self)
    with call.db.lock:
        plans = evacuation_plan(call.db, self)
    return {vm: [code] + list(params) for vm, (code, params) in _errors(plans).items()}


@handles("host.assert_can_evacuate")
def assert_can_evacuate(call, host):
    call.db.get("host", host)
    with call.db.lock:
        errors = _errors(evacuation_plan(call.db, host))
    if errors:
        raise Failure("CANNOT_EVACUATE_HOST", "|".join(",".join([code] + list(params)) for code, params in errors.values()))


def _finished(db, task):
    record = db.tables["task"].get(task)
    return record is None or record["status"] != "pending"


def _wait_for_one(call, pending):
    """Block until one of the tasks ends (or the simulator stops); returns it."""
    db = call.db
    with db.changed:
        while True:
            done = next((task for task in pending if _finished(db, task)), None)
            if done is not None:
                return done
            if call.clock.stopping.is_set():
                raise Stopped()
            db.changed.wait(WAIT_SLICE)


def _outcome(db, task):
    """xapi's assert_success: a VM that stopped running meanwhile is no error."""
    record = db.tables["task"].get(task)
    if record is None or record["status"] == "success":
        return None
    error = record["error_info"] or ["INTERNAL_ERROR", "%s, couldn't extract error result from task" % task]
    if error[0] == "VM_BAD_POWER_STATE":
        return None
    return Failure(error[0], *error[1:])


def _drop(db, task):
    """task.destroy: a running task goes when it ends."""
    with db.lock:
        if not db.exists("task", task):
            return
        record = db.get("task", task)
        if record["status"] in ("pending", "cancelling"):
            db.update("task", task, current_operations={**record["current_operations"], "task": "destroy"})
        else:
            db.delete("task", task)


def _migrate_all(call, plans, options, batch_size):
    """Async.VM.pool_migrate for each VM, at most batch_size at a time, a new one as each ends;
    progress per VM; the first failure ends the evacuation (tasks still running are dropped)."""
    from ..dispatch import dispatch  # the API, as xapi's own Client calls: counted, faults apply

    address = call.pool.address_of(call.pool.master)
    queue = list(plans.items())
    pending = []
    done = 0
    try:
        while queue or pending:
            while queue and len(pending) < batch_size:
                vm, target = queue.pop(0)
                pending.append(dispatch(call.world, address, "Async.VM.pool_migrate",
                                        [call.session, vm, target, options], "internal"))
            task = _wait_for_one(call, pending)
            pending.remove(task)
            failure = _outcome(call.db, task)
            _drop(call.db, task)
            if failure is not None:
                raise failure
            done += 1
            call.progress(done / len(plans))
    finally:
        for task in pending:
            _drop(call.db, task)


@handles("host.evacuate")
def evacuate(call, host, network, evacuate_batch_size):
    db = call.db
    db.get("host", host)
    with call.operation("host", host, "evacuate"):
        with db.lock:
            plans = evacuation_plan(db, host)
        for code, params in _errors(plans).values():
            raise Failure(code, *params)
        options = {"live": "true"}
        if network != NULL_REF:
            for target in sorted(set(plans.values())):
                assert_ip_on_network(db, network, target)
            options["network"] = network
        _migrate_all(call, plans, options, evacuate_batch_size if evacuate_batch_size > 0 else BATCH_SIZE)
        left = [vm for vm in db.get("host", host)["resident_VMs"] if not db.get("VM", vm)["is_control_domain"]]
        if left:
            raise Failure("INTERNAL_ERROR", "evacuate: %d VMs are still resident on %s" % (len(left), host))
