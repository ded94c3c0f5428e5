"""Evacuation with the migration code path (pool3, in-process and served): every VM leaves by
Async.VM.pool_migrate, progress per VM, the plan's refusals, a migration failing halfway, and
the midway fault through the control API."""

import pytest
import XenAPI
from conftest import error, wait_until
from test_migration_pool import db_of, footprint, run_task
from test_server import control

NULL = "OpaqueRef:NULL"


def user_vms(api, host):
    return sorted(vm for vm in api("host.get_resident_VMs", host) if not api("VM.get_is_control_domain", vm))


def test_pool3_runs_vms_on_every_host(api):
    hosts = api("host.get_all")
    assert len(hosts) == 3 and all(user_vms(api, host) for host in hosts)


def test_evacuate_migrates_each_vm_with_pool_migrate_and_reports_progress(api):
    api.sim.world.clock.speed = 50
    host = api("VM.get_resident_on", api.vm("web-01"))
    vms = user_vms(api, host)
    assert len(vms) == 2
    others = [h for h in api("host.get_all") if h != host]
    free = {h: api("host.compute_free_memory", h) for h in others}
    calls = api.sim.world.counters.calls["Async.VM.pool_migrate"]
    api("host.disable", host)
    task = run_task(api, "host.evacuate", host, NULL, 1)
    assert task["status"] == "success"
    assert api.sim.world.counters.calls["Async.VM.pool_migrate"] == calls + 2
    assert 0.5 in task["seen"] and all(p in (0.0, 0.5) for p in task["seen"])  # one step per VM
    assert user_vms(api, host) == []
    assert all(api("VM.get_power_state", vm) == "Running" and api("VM.get_resident_on", vm) in others for vm in vms)
    moved = sum(footprint(api, vm) for vm in vms)
    assert sum(free.values()) - sum(api("host.compute_free_memory", h) for h in others) == moved
    assert all(api("task.get_name_label", t) != "Async.VM.pool_migrate" for t in api("task.get_all"))


def test_the_plan_names_what_prevents_evacuation(api):
    vm = api.vm("web-02")
    host = api("VM.get_resident_on", vm)
    api("VM.add_to_platform", vm, "nomigrate", "true")
    assert api("host.get_vms_which_prevent_evacuation", host) == {vm: ["VM_IS_IMMOBILE", vm]}
    assert error(api, "host.assert_can_evacuate", host) == ["CANNOT_EVACUATE_HOST", "VM_IS_IMMOBILE,%s" % vm]
    assert error(api, "host.evacuate", host, NULL, 0) == ["VM_IS_IMMOBILE", vm]
    api("VM.remove_from_platform", vm, "nomigrate")
    db_of(api).update("VM", vm, last_boot_CPU_flags={"vendor": "AuthenticAMD"})
    (code, *params), = api("host.get_vms_which_prevent_evacuation", host).values()
    assert code == "VM_INCOMPATIBLE_WITH_THIS_HOST" and params[0] == vm
    db_of(api).update("VM", vm, last_boot_CPU_flags={})
    assert api("host.get_vms_which_prevent_evacuation", host) == {}


def test_the_network_option_needs_an_address_on_every_destination(api):
    host = api("VM.get_resident_on", api.vm("web-03"))
    networks = {r["bridge"]: n for n, r in api("network.get_all_records").items()}
    code, pif = error(api, "host.evacuate", host, networks["xenbr1"], 0)
    assert code == "INTERFACE_HAS_NO_IP" and api("PIF.get_host", pif) != host
    assert user_vms(api, host) == [api.vm("web-03")]
    api("host.evacuate", host, networks["xenbr0"], 0)
    assert user_vms(api, host) == []


def test_a_migration_failing_halfway_fails_the_evacuation_and_that_vm_stays(api):
    vm = api.vm("db-02")
    host = api("VM.get_resident_on", vm)
    vms = user_vms(api, host)
    api.sim.world.faults.add(method="VM.pool_migrate", action="midway", count=1)
    task = run_task(api, "host.evacuate", host, NULL, 1)
    assert task["status"] == "failure" and task["error_info"][0] == "VM_MIGRATE_FAILED"
    failed = api("VM.get_by_uuid", task["error_info"][1])
    assert failed in vms and api("VM.get_resident_on", failed) == host and api("VM.get_power_state", failed) == "Running"
    assert api("host.get_current_operations", host) == {}
    wait_until(lambda: all(api("VM.get_current_operations", v) == {} for v in vms))
    api("host.evacuate", host, NULL, 0)
    assert user_vms(api, host) == []


def test_a_host_being_evacuated_takes_no_vm(api):
    api.sim.world.clock.speed = 10
    host = api("VM.get_resident_on", api.vm("web-01"))
    task = api("Async.host.evacuate", host, NULL, 1)
    wait_until(lambda: api("host.get_current_operations", host) == {task: "evacuate"})
    arriving = next(vm for vm in api("VM.get_all") if api("VM.get_power_state", vm) == "Running"
                    and api("VM.get_resident_on", vm) not in (host, NULL) and not api("VM.get_is_control_domain", vm))
    assert error(api, "VM.pool_migrate", arriving, host, {}) == ["OTHER_OPERATION_IN_PROGRESS", "host", host, "evacuate", task]
    wait_until(lambda: api("task.get_status", task) != "pending")
    assert api("task.get_status", task) == "success"


def test_the_midway_fault_over_the_control_api(served, sdk):
    status, rule = control(served, "POST", "faults", {"method": "VM.pool_migrate", "action": "midway", "at": 0.25, "count": 1,
                                                      "code": "INTERNAL_ERROR", "params": ["xenopsd internal error: boom"]})
    assert status == 200 and rule["action"] == "midway" and rule["at"] == 0.25
    api = sdk.xenapi
    vm = api.VM.get_by_name_label("web-01")[0]
    here = api.VM.get_resident_on(vm)
    target = next(h for h in api.host.get_all() if h != here)
    with pytest.raises(XenAPI.Failure) as failure:
        api.VM.pool_migrate(vm, target, {})
    assert failure.value.details == ["INTERNAL_ERROR", "xenopsd internal error: boom"]
    assert api.VM.get_resident_on(vm) == here
    assert control(served, "GET", "faults")[1][0]["hits"] == 1
    api.VM.pool_migrate(vm, target, {})
    assert api.VM.get_resident_on(vm) == target
    for bad in ({"method": "VM.pool_migrate", "action": "midway", "at": 1.5},
                {"method": "VM.pool_migrate", "action": "midway", "code": "NOT_A_CODE"}):
        assert control(served, "POST", "faults", bad)[0] == 400
