"""vm_migrate against the simulator: live in the pool, away from a host, with storage, to another
pool, and the refusals (each leaves the VM running where it was)."""

from ansible_collections.xapi.xenserver.plugins.modules import vm_migrate
from xapisim.control import counters

READS = ("session.", "event.from")


def writes(sim):
    return sorted(m for m in counters(sim)["calls"] if not m.startswith(READS) and ".get_" not in m and ".assert_" not in m)


def api(sim, address="127.0.10.1"):
    session = sim.call(address, "session.login_with_password", "root", sim.password)
    return lambda method, *params: sim.call(address, method, session, *params)


def where(call, name):
    vm = call("VM.get_by_name_label", name)[0]
    return call("host.get_name_label", call("VM.get_resident_on", vm)), call("VM.get_power_state", vm)


def other_host(call, name):
    here, dummy = where(call, name)
    return sorted(call("host.get_name_label", h) for h in call("host.get_all") if call("host.get_name_label", h) != here)[0]


def test_live_in_the_pool_check_idempotent(sim, run_module, connection):
    call = api(sim)
    target = other_host(call, "web-01")
    sim.world.counters.reset()
    checked = run_module(vm_migrate, dict(connection, vm="web-01", host=target, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and checked["diff"]["after"]["host"] == target, checked
    assert writes(sim) == []
    moved = run_module(vm_migrate, dict(connection, vm="web-01", host=target))
    assert moved["changed"] and moved["vm"]["host"]["name"] == target and moved["vm"]["power_state"] == "running", moved
    assert where(call, "web-01") == (target, "Running")
    sim.world.counters.reset()
    again = run_module(vm_migrate, dict(connection, vm="web-01", host=target))
    assert not again["changed"] and writes(sim) == []
    assert counters(sim)["open_sessions"] == 1  # api()'s own


def test_away_from_picks_another_host(sim, run_module, connection):
    call = api(sim)
    here, dummy = where(call, "db-01")
    moved = run_module(vm_migrate, dict(connection, vm="db-01", away_from=here))
    assert moved["changed"] and moved["vm"]["host"]["name"] != here, moved
    assert not run_module(vm_migrate, dict(connection, vm="db-01", away_from=here))["changed"]


def test_storage_migration_of_a_running_vm(sim, run_module, connection):
    call = api(sim)
    vm = call("VM.get_by_name_label", "web-02")[0]
    here = call("VM.get_resident_on", vm)
    local = next(sr for sr in call("SR.get_by_name_label", "Local storage")
                 if call("PBD.get_host", call("SR.get_PBDs", sr)[0]) == here)
    local_uuid = call("SR.get_uuid", local)
    moved = run_module(vm_migrate, dict(connection, vm="web-02", sr=local_uuid, _ansible_diff=True))
    assert moved.get("changed"), moved
    assert {d["sr"] for d in moved["vm"]["disks"]} == {"Local storage"}, moved
    assert moved["vm"]["power_state"] == "running" and moved["vm"]["host"]["name"] == call("host.get_name_label", here)
    assert not run_module(vm_migrate, dict(connection, vm="web-02", sr=local_uuid))["changed"]
    elsewhere = run_module(vm_migrate, dict(connection, vm="web-02", host=other_host(call, "web-02")))
    assert elsewhere["failed"] and elsewhere["msg"].startswith(
        "disk_map: web-02 has disks on 'Local storage', which "), elsewhere
    assert "web-02 is still running on %s" % call("host.get_name_label", here) in elsewhere["msg"]
    back = run_module(vm_migrate, dict(connection, vm="web-02", sr="NFS storage", host=other_host(call, "web-02")))
    assert back.get("changed") and {d["sr"] for d in back["vm"]["disks"]} == {"NFS storage"}, back


def test_refusals_leave_the_vm_where_it_was(sim, run_module, connection):
    call = api(sim)
    halted = run_module(vm_migrate, dict(connection, vm="build-01", host="xs-a2"))
    assert halted["failed"] and halted["msg"].startswith("host: build-01 is halted, so it runs on no host"), halted
    not_running = run_module(vm_migrate, dict(connection, vm="build-01", sr="ISO library", host="xs-a2"))
    assert not_running["failed"] and not_running["msg"].startswith("live: build-01 is halted"), not_running
    unknown = run_module(vm_migrate, dict(connection, vm="web-03", host="xs-a9"))
    assert unknown["failed"] and unknown["msg"].startswith("host: no host named 'xs-a9'"), unknown
    bad_disk = run_module(vm_migrate, dict(connection, vm="web-03", disk_map={"nope": "NFS storage"}))
    assert bad_disk["failed"] and bad_disk["msg"].startswith("disk_map: the VM has no disk nope"), bad_disk
    assert where(call, "web-03")[1] == "Running"


def test_to_another_pool_and_back(sim_factory, run_module):
    sim = sim_factory("twopools")
    a = {"hostname": sim.url("127.0.10.1"), "password": sim.password, "ca_path": sim.ca_path}
    b = {"hostname": sim.url("127.0.11.1"), "password": sim.password, "ca_path": sim.ca_path}
    checked = run_module(vm_migrate, dict(a, vm="app-01", remote=b, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and checked["diff"]["after"]["pool"] == "pool-b", checked
    moved = run_module(vm_migrate, dict(a, vm="app-01", remote=b))
    assert moved["changed"] and moved["vm"]["pool"] == "pool-b" and moved["vm"]["power_state"] == "running", moved
    assert {d["sr"] for d in moved["vm"]["disks"]} == {"NFS storage B"}
    again = run_module(vm_migrate, dict(a, vm="app-01", remote=b))
    assert not again["changed"] and again["vm"]["pool"] == "pool-b"
    back = run_module(vm_migrate, dict(b, vm="app-01", remote=a))
    assert back["changed"] and back["vm"]["pool"] == "pool-a", back
    assert counters(sim)["open_sessions"] == 0


def test_a_migration_failing_halfway_leaves_the_vm_on_its_source(sim, run_module, connection):
    call = api(sim)
    here, dummy = where(call, "db-02")
    target = other_host(call, "db-02")
    sim.world.faults.add(method="VM.pool_migrate", action="midway", at=0.5, count=1)
    failed = run_module(vm_migrate, dict(connection, vm="db-02", host=target))
    assert failed["failed"] and failed["xapi_error"]["code"] == "VM_MIGRATE_FAILED", failed
    assert failed["msg"].startswith("the migration of db-02 to %s failed: the connection to the destination host was "
                                    "lost at 50%%" % target), failed
    assert failed["msg"].endswith("; db-02 is still running on %s (VM_MIGRATE_FAILED)" % here)
    assert where(call, "db-02") == (here, "Running")
    assert run_module(vm_migrate, dict(connection, vm="db-02", host=target))["changed"]


def test_not_enough_memory_on_the_destination(sim, run_module, connection):
    call = api(sim)
    here, dummy = where(call, "web-03")
    target = other_host(call, "web-03")
    target_ref = call("host.get_by_name_label", target)[0]
    free = int(call("host.compute_free_memory", target_ref))
    filler = call("VM.get_by_name_label", "build-01")[0]  # halted: fill the target up to 1 GiB with it
    size = str(free - (1 << 30) - (free % (1 << 20)))
    call("VM.set_memory_limits", filler, size, size, size, size)
    call("VM.start_on", filler, target_ref, False, False)
    free = int(call("host.compute_free_memory", target_ref))
    refused = run_module(vm_migrate, dict(connection, vm="web-03", host=target))
    assert refused["failed"] and refused["msg"].startswith("host: %s has %d MiB free, web-03 needs " % (target, free >> 20)), refused
    assert "web-03 is still running on %s" % here in refused["msg"]


def test_a_halted_vm_moves_its_disks_with_live_false(sim, run_module, connection):
    call = api(sim)
    xs1 = call("host.get_by_name_label", "xs-a1")[0]
    local = next(sr for sr in call("SR.get_by_name_label", "Local storage")
                 if call("PBD.get_host", call("SR.get_PBDs", sr)[0]) == xs1)
    uuid = call("SR.get_uuid", local)
    moved = run_module(vm_migrate, dict(connection, vm="build-01", sr=uuid, live=False))
    assert moved.get("changed") and {d["sr"] for d in moved["vm"]["disks"]} == {"Local storage"}, moved
    assert moved["vm"]["power_state"] == "halted"
    assert not run_module(vm_migrate, dict(connection, vm="build-01", sr=uuid, live=False))["changed"]
