"""Issue 12, a slow pool. Every call answers late; the modules still finish within their timeouts.
The pool of the issue adds 2 s to each call against the default timeouts (request_timeout 60 s, task
timeout 600 s); to stay fast this test scales all of it down by 20: 0.1 s per call, request_timeout
3 s, task timeouts 30 s. And past a timeout, the error names what did not finish, and a task is
cancelled (its end awaited and said), not left running."""

import threading
import time

from ansible_collections.xapi.xenserver.plugins.modules import network, pool_info, vm, vm_info
from xapisim.control import counters, state

MASTER = "127.0.10.1"
SCALE = 20
DELAY = 2.0 / SCALE
REQUEST_TIMEOUT = 60.0 / SCALE
TASK_TIMEOUT = 600 // SCALE


def test_modules_finish_within_their_timeouts_on_a_slow_pool(sim, run_module, connection):
    slow = dict(connection, request_timeout=REQUEST_TIMEOUT)
    runs = [
        (pool_info, slow),
        (vm_info, dict(slow, tags=["web"])),
        (vm, dict(slow, name="slow-vm", template="Debian Bookworm 12", state="running", timeout=TASK_TIMEOUT)),
        (vm, dict(slow, name="slow-vm", state="halted", force=True, timeout=TASK_TIMEOUT)),
        (network, dict(slow, name="slow-net", mtu=9000)),
    ]
    rule = sim.world.faults.add(method="*", action="delay", seconds=DELAY)
    sim.world.counters.reset()
    for module, args in runs:
        started = time.monotonic()
        result = run_module(module, args)
        took = time.monotonic() - started
        assert not result.get("failed"), result
        assert took < args.get("timeout", TASK_TIMEOUT), (module.__name__, took)
    assert [run_module(vm_info, dict(slow, name="slow-vm"))["vms"][0]["power_state"]] == ["halted"]
    seen = counters(sim)
    assert rule.hits == seen["total_calls"] > 60 and seen["open_sessions"] == 0, (rule.hits, seen["total_calls"])


def test_a_call_past_request_timeout_is_named(sim, run_module, connection):
    sim.world.faults.add(method="VM.get_all_records_where", action="delay", seconds=4 * DELAY)
    result = run_module(vm_info, dict(connection, request_timeout=DELAY))
    assert result["failed"]
    assert "did not answer within %g s to VM.get_all_records_where" % DELAY in result["msg"], result["msg"]
    assert counters(sim)["open_sessions"] == 0


def watch_tasks(sim, label):
    """A second session follows the pool's tasks with event.from (as any XenAPI client can): the
    statuses the task named `label` went through, until it is gone."""
    session = sim.call(MASTER, "session.login_with_password", "root", sim.password)
    seen = []

    def follow():
        token, deadline = "", time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                batch = sim.call(MASTER, "event.from", session, ["task"], token, 5.0)
                token = batch["token"]
                for event in batch["events"]:
                    snapshot = event.get("snapshot") or {}
                    if event["operation"] == "del" and event["ref"] in [ref for ref, dummy in seen]:
                        seen.append((event["ref"], "gone"))
                        return
                    if snapshot.get("name_label") == label:
                        seen.append((event["ref"], snapshot["status"]))
        finally:
            sim.call(MASTER, "session.logout", session)

    thread = threading.Thread(target=follow)
    thread.start()
    return thread, seen


def test_a_task_past_its_timeout_is_cancelled(sim, run_module, connection):
    sim.world.clock.speed = 2.0  # a boot takes 10 s now
    watcher, seen = watch_tasks(sim, "Async.VM.start")
    started = time.monotonic()
    result = run_module(vm, dict(connection, name="build-01", state="running", timeout=1))
    assert time.monotonic() - started < 10
    watcher.join()
    assert result["failed"]
    assert result["msg"] == "VM.start of VM build-01 did not finish within 1 seconds; its task was cancelled"
    # the task: pending, cancelled (task.cancel), then destroyed
    statuses = [status for dummy, status in seen]
    assert len({ref for ref, dummy in seen}) == 1 and statuses[0] == "pending" and statuses[-2:] == ["cancelled", "gone"]
    calls = counters(sim)["calls"]
    assert calls["task.cancel"] == 1 and calls["task.destroy"] == 1 and counters(sim)["open_sessions"] == 0
    vms = state(sim, ["VM"])["pools"][0]["tables"]["VM"]
    build = next(record for record in vms.values() if record["name_label"] == "build-01")
    assert build["power_state"] == "Halted" and build["current_operations"] == {}
