"""The simulated time of a migration: memory and disks take time in proportion to their size,
the task's progress advances as it goes, task.cancel stops it, and an injected `midway` fault
(faults.py) breaks it off at its point, failing with xapi's VM_MIGRATE_FAILED unless the rule
names another error.
"""

from ..errors import Failure

GIB = 1024 ** 3
MEMORY_SETUP_SECONDS = 4.0  # domain build on the destination, final pause and device handover
MEMORY_SECONDS_PER_GIB = 3.0  # a guest's memory over 10 GbE, with the rounds of dirty pages
DISK_SECONDS_PER_GIB = 8.0  # a mirrored disk: the data it holds, at SM copy speed
STEP_SECONDS = 1.0  # progress moves about once per simulated second
ASYNC = "Async."


def memory_seconds(record):
    return MEMORY_SETUP_SECONDS + MEMORY_SECONDS_PER_GIB * record["memory_dynamic_max"] / GIB


def disk_seconds(vdi_record):
    return DISK_SECONDS_PER_GIB * vdi_record["physical_utilisation"] / GIB


class Progress:
    """Spends `total` simulated seconds in parts; `failure()` is the error of a midway fault."""

    def __init__(self, call, total, failure):
        self.call = call
        self.total = total
        self.done = 0.0
        address = call.pool.address_of(call.host) if call.db.exists("host", call.host) else None
        name = call.wire_name[len(ASYNC):] if call.wire_name.startswith(ASYNC) else call.wire_name
        rule = call.world.faults.pick(name, address, midway=True)
        self.breaks_at = None if rule is None else rule.at * total
        self.rule = rule
        self.failure = failure

    def spend(self, seconds):
        if self.breaks_at is not None and self.done + seconds >= self.breaks_at:
            self._advance(self.breaks_at - self.done)
            raise self._fault()
        self._advance(seconds)

    def finish(self):
        """A fault that found no time to break into (nothing to copy) fires at the end."""
        if self.breaks_at is not None:
            raise self._fault()

    def _advance(self, seconds):
        if seconds <= 0 or self.total <= 0:
            return
        steps = max(1, min(50, round(seconds / STEP_SECONDS)))
        self.call.spend(seconds, self.done / self.total, (self.done + seconds) / self.total, steps=steps)
        self.done += seconds

    def _fault(self):
        if self.rule.code is not None:
            return Failure(self.rule.code, *self.rule.params)
        return self.failure("the connection to the destination host was lost at %d%% (injected fault)"
                            % round(100 * self.rule.at))
