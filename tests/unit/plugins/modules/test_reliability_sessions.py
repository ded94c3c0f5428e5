"""Issue 12, sessions: 1,000 module runs in a row, in-process (info modules, a change module, failures
among them, at the master's and at a member's address), leave no session open on the pool."""

import time

from ansible_collections.xapi.xenserver.plugins.modules import host_info, pool_info, sr_info, vm, vm_info
from xapisim.control import counters

RUNS = 1000


def plan(connection, master):
    """The runs, in a repeating order: (module, arguments, whether it must fail)."""
    steps = [
        (pool_info, connection, False),
        (host_info, master, False),
        (sr_info, connection, False),
        (vm_info, dict(master, tags=["web"]), False),
        (vm, dict(connection, name="build-01", description="run %d"), False),  # a change every time
        (vm_info, dict(connection, name="no-such-vm"), False),  # nothing found: an empty list
        (vm, dict(master, name="no-such-vm", state="running"), True),  # no template to create it from
        (vm, dict(connection, name="build-01", memory="1 parsec"), True),  # bad input, found before login
    ]
    for index in range(RUNS):
        module, args, fails = steps[index % len(steps)]
        if "description" in args:
            args = dict(args, description=args["description"] % index)
        yield module, args, fails


def test_a_thousand_module_runs_leave_no_session(sim, run_module, connection):
    master = dict(connection, hostname=sim.url("127.0.10.1"))
    sim.world.counters.reset()
    started = time.monotonic()
    failures = []
    for module, args, fails in plan(connection, master):
        result = run_module(module, args)
        if bool(result.get("failed")) != fails:
            failures.append((module.__name__, args.get("name"), result.get("msg")))
    took = time.monotonic() - started
    seen = counters(sim)
    assert failures == []
    assert seen["open_sessions"] == 0
    # every run that logged in logged out; the bad-input runs (1 in 8) fail before they log in
    assert seen["logins"] == seen["logouts"] == RUNS - RUNS // 8
    assert seen["calls"]["VM.set_name_description"] == RUNS // 8
    db = sim.world.pools[0].db
    assert db.get("VM", db.find_one("VM", name_label="build-01"))["name_description"] == "run %d" % (RUNS - 4)
    assert seen["total_calls"] > 6 * RUNS and took < 60, (seen["total_calls"], took)
