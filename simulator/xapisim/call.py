"""What a handler sees of the call it serves: the pool, the host called, the session, the task.

Long operations lock their object the way xapi does (current_operations {task: op}), run
under a task (the Async task, or one made for the call), report progress and notice a
task.cancel.
"""

import contextlib
import threading

from .errors import Failure
from .values import EPOCH_DT, now


class Call:
    def __init__(self, world, pool, host, session, wire_name, task=None):
        self.world = world
        self.pool = pool
        self.db = pool.db
        self.model = world.model
        self.clock = world.clock
        self.host = host  # the host whose address received the call
        self.session = session
        self.wire_name = wire_name
        self.task = task  # the Async task, if any
        self._own_task = None

    # ---- tasks -------------------------------------------------------------------------------
    def current_task(self):
        """The task this call runs under; a sync call gets one made for it (as in xapi)."""
        if self.task is None and self._own_task is None:
            self._own_task = new_task(self, self.wire_name)
        return self.task or self._own_task

    def finish(self):
        if self._own_task is not None and self.db.exists("task", self._own_task):
            self.db.delete("task", self._own_task)
        self._own_task = None

    def cancelled(self):
        task = self.task or self._own_task
        return task is not None and _cancel_event(self.db, task).is_set()

    def progress(self, fraction):
        if self.task is not None and self.db.exists("task", self.task):
            self.db.update("task", self.task, progress=round(min(max(fraction, 0.0), 1.0), 3))

    def spend(self, sim_seconds, start=0.0, end=1.0, steps=4):
        """Let simulated time pass while the task's progress moves from start to end."""
        task = self.current_task()
        cancel = _cancel_event(self.db, task)
        for step in range(1, steps + 1):
            if not self.clock.wait(sim_seconds / steps, cancel):
                raise Failure("TASK_CANCELLED", task)
            self.progress(start + (end - start) * step / steps)

    # ---- locking ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def operation(self, cls, ref, op, check=None):
        """Hold `op` in the object's current_operations for the duration of the block.
        `check(record)` runs under the database lock, so validity and locking are atomic."""
        task = self.current_task()
        with self.db.lock:
            record = self.db.get(cls, ref)
            if check is not None:
                check(record)
            current = record["current_operations"]
            if current:
                other_task, other_op = list(current.items())[0]
                raise Failure("OTHER_OPERATION_IN_PROGRESS", cls, ref, other_op, other_task)
            self.db.update(cls, ref, current_operations={task: op})
        try:
            yield record
        finally:
            with self.db.lock:
                if self.db.exists(cls, ref):
                    current = dict(self.db.get(cls, ref)["current_operations"])
                    current.pop(task, None)
                    self.db.update(cls, ref, current_operations=current)


def _cancel_event(db, task):
    state = db.private.setdefault(task, {})
    return state.setdefault("cancel", threading.Event())


def cancel_event(db, task):
    return _cancel_event(db, task)


def own_task(db, session, task):
    """Record who owns a task both ways: logout finds a session's tasks without a scan."""
    db.private.setdefault(task, {})["session"] = session
    if session is not None:
        db.private.setdefault(session, {}).setdefault("tasks", set()).add(task)


def new_task(call, label, cancellable=True):
    """A pending task owned by the caller's session, as xapi makes for every long call."""
    task = call.db.create("task", {
        "name_label": label,
        "status": "pending",
        "created": now(),
        "finished": EPOCH_DT,
        "type": "<none/>",
        "resident_on": call.pool.master,
        "allowed_operations": ["cancel"] if cancellable else [],
        "backtrace": "()",
    })
    own_task(call.db, call.session, task)
    return task
