"""Issue 12, a flaky network: 5% of all calls lose their connection before the answer (a seeded
fraction), and each creating call loses its answer once after it ran (and network.create once before).
Read-only modules answer as without faults; the modules that create make each object exactly once,
say so (changed, and a warning when an answer was lost) and change nothing when run again."""

import time

from ansible_collections.xapi.xenserver.plugins.modules import external_auth, host_info, network, pool_info, sr
from ansible_collections.xapi.xenserver.plugins.modules import sr_info, subject, vm, vm_info
from xapisim.control import counters, state

JOIN = {"domain": "example.test", "domain_username": "Administrator", "domain_password": "Passw0rd!x"}
# every creating call of the modules: its answer lost once after it ran (the object exists, the module never heard)
LOST_AFTER = ("Async.VM.clone", "Async.VM.copy", "Async.VM.provision", "network.create", "Async.SR.create",
              "subject.create", "VIF.create")
# the creating calls each module's first run makes (in the order of `wanted` below)
OWN_CALLS = (("Async.VM.clone", "Async.VM.provision", "VIF.create"), ("Async.VM.copy",), ("network.create",), (),
             ("Async.SR.create",), ("subject.create",))
READ_RUNS = 12


def flaky(sim):
    """5% of all calls (seeded) lose their connection before the simulator serves them."""
    return sim.world.faults.add(method="*", action="drop", fraction=0.05)


def lose_answers(sim):
    """Each creating call loses its answer once after it ran; the second network.create once before (the
    rules apply in order, these before the 5%)."""
    for method in LOST_AFTER:
        sim.world.faults.add(method=method, action="drop", after=True, count=1)
    sim.world.faults.add(method="network.create", action="drop", count=1)


def named(sim, cls, **fields):
    tables = state(sim, [cls])["pools"][0]["tables"].get(cls, {})
    return [ref for ref, record in tables.items() if all(record[k] == v for k, v in fields.items())]


def test_read_only_modules_answer_as_without_faults(sim, run_module, connection):
    runs = [(pool_info, connection), (host_info, connection), (sr_info, connection),
            (vm_info, connection), (vm_info, dict(connection, name="web-01"))]
    clean = [run_module(module, args) for module, args in runs]
    sim.world.counters.reset()
    rule = flaky(sim)
    started = time.monotonic()
    for dummy in range(READ_RUNS):
        for (module, args), expected in zip(runs, clean):
            result = run_module(module, args)
            assert not result.get("failed"), result
            assert result == expected, module.__name__
    seen = counters(sim)
    assert rule.hits >= 10 and seen["open_sessions"] == 0, (rule.hits, seen["total_calls"])
    assert time.monotonic() - started < 60


def test_creating_modules_make_each_object_once_and_say_so(sim, run_module, connection):
    assert run_module(external_auth, dict(connection, **JOIN))["changed"]
    started = time.monotonic()
    lose_answers(sim)
    rule = flaky(sim)
    wanted = [
        (vm, dict(connection, name="flaky-clone", template="Debian Bookworm 12", description="cloned",
                  networks=[{"network": "Pool-wide network associated with eth1"}])),
        (vm, dict(connection, name="flaky-copy", template="build-01", clone=False, sr="NFS storage")),
        (network, dict(connection, name="flaky-net-1", description="first")),
        (network, dict(connection, name="flaky-net-2", mtu=9000)),
        (sr, dict(connection, name="flaky-sr", type="nfs", device_config={"server": "127.0.100.1",
                                                                          "serverpath": "/export/flaky"})),
        (subject, dict(connection, name="EXAMPLE\\vm-operators", roles=["vm-operator"])),
    ]
    first = [run_module(module, args) for module, args in wanted]
    told = set()
    for result, methods in zip(first, OWN_CALLS):
        assert result["changed"] and not result.get("failed"), result
        # in-process runs share Ansible's warnings: what this run added is what it said
        warnings = {str(w) for w in result.get("warnings", [])}
        said = " ".join(warnings - told)
        told |= warnings
        for method in methods:
            assert "the answer to %s was lost (Remote end closed connection without response); it had run and " \
                   "made OpaqueRef:" % method in said, (method, said)
    assert "the answer to network.create was lost (Remote end closed connection without response); it had not " \
           "run, so it was sent again" in " ".join(told)
    again = [run_module(module, args) for dummy in range(2) for module, args in wanted]
    for result in again:
        assert not result["changed"] and not result.get("failed"), result
    # each object exactly once, made whole
    for name in ("flaky-clone", "flaky-copy"):
        refs = named(sim, "VM", name_label=name)
        assert len(refs) == 1, (name, refs)
        record = state(sim, ["VM"])["pools"][0]["tables"]["VM"][refs[0]]
        assert not record["is_a_template"] and len(record["VBDs"]) >= 1, record
        disks = [vbd for vbd in record["VBDs"]
                 if state(sim, ["VBD"])["pools"][0]["tables"]["VBD"][vbd]["type"] == "Disk"]
        assert len(disks) == 1, (name, disks)  # provisioned once: the template's one disk
    assert len(named(sim, "VIF", VM=named(sim, "VM", name_label="flaky-clone")[0])) == 1
    assert len(named(sim, "VM", name_label="Debian Bookworm 12")) == 1
    for name in ("flaky-net-1", "flaky-net-2"):
        assert len(named(sim, "network", name_label=name)) == 1
    assert len(named(sim, "SR", name_label="flaky-sr")) == 1
    assert len(named(sim, "subject")) == 1
    assert state(sim, ["task"])["pools"][0]["tables"].get("task", {}) == {}  # every task waited on and destroyed
    assert rule.hits >= 3 and counters(sim)["open_sessions"] == 0, rule.hits
    assert time.monotonic() - started < 60
