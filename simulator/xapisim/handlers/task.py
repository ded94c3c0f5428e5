"""Tasks: cancel, destroy, client-made tasks [xenapi-notes §1.6]."""

from ..call import cancel_event, own_task
from ..errors import Failure
from ..values import EPOCH_DT, now
from .registry import handles


def _owner_check(call, task):
    record = call.db.get("task", task)
    owner = call.db.private.get(task, {}).get("session")
    superuser = call.db.private.get(call.session, {}).get("roles") is None
    if owner not in (None, call.session) and not superuser:
        raise Failure("RBAC_PERMISSION_DENIED", "task.destroy/any", "No permission to act on another session's task")
    return record


@handles("task.cancel")
def cancel(call, task):
    record = _owner_check(call, task)
    if record["status"] != "pending" or "cancel" not in record["allowed_operations"]:
        raise Failure("OPERATION_NOT_ALLOWED", "task %s cannot be cancelled in state %s" % (task, record["status"]))
    cancel_event(call.db, task).set()
    call.db.update("task", task, status="cancelling")


@handles("task.destroy")
def destroy(call, task):
    record = _owner_check(call, task)
    if record["status"] in ("pending", "cancelling"):
        call.db.update("task", task, current_operations={**record["current_operations"], "task": "destroy"})
        return
    call.db.delete("task", task)


@handles("task.create")
def create(call, label, description):
    task = call.db.create("task", {
        "name_label": label, "name_description": description, "status": "pending", "created": now(),
        "finished": EPOCH_DT, "type": "<none/>", "resident_on": call.pool.master, "backtrace": "()",
    })
    own_task(call.db, call.session, task)
    return task


def _client_setter(field):
    def set_field(call, task, value):
        _owner_check(call, task)
        changes = {field: value}
        if field == "status" and value != "pending":
            changes["finished"] = now()
        call.db.update("task", task, **changes)

    return set_field


for _field in ("status", "progress", "result", "error_info"):
    handles("task.set_" + _field)(_client_setter(_field))
