"""VM.pool_migrate and VM.assert_can_boot_here in pool3 (in-process): what moves and what stays,
every refusal and xapi's order of them, progress, memory on both hosts, cancellation, timing."""

import time

from conftest import error, wait_until
from test_devices import vbd_record, vif_record
from xapisim import membership

NULL = "OpaqueRef:NULL"
GIB = 1024 ** 3


def db_of(api):
    return api.sim.world.pools[0].db


def other_host(api, vm):
    here = api("VM.get_resident_on", vm)
    return next(host for host in sorted(api("host.get_all")) if host != here)


def footprint(api, vm):
    record = api("VM.get_record", vm)
    return int(record["memory_dynamic_max"]) + int(record["memory_overhead"])


def run_task(api, method, *params, deadline=10.0):
    """Async call; the task record once it ended, and the progress seen while it ran."""
    task = api("Async." + method, *params)
    seen = []

    def ended():
        record = api("task.get_record", task)
        if record["status"] == "pending":
            seen.append(float(record["progress"]))
            return False
        return True

    wait_until(ended, deadline)
    return dict(api("task.get_record", task), ref=task, seen=seen)


def test_the_domain_moves_and_devices_disks_and_guest_stay(api):
    vm = api.vm("web-01")
    before = api("VM.get_record", vm)
    source, target = before["resident_on"], other_host(api, vm)
    vbds = {vbd: api("VBD.get_record", vbd) for vbd in before["VBDs"]}
    vifs = {vif: api("VIF.get_record", vif) for vif in before["VIFs"]}
    networks = api("VM_guest_metrics.get_networks", before["guest_metrics"])
    api("VM.pool_migrate", vm, target, {"live": "true"})
    after = api("VM.get_record", vm)
    assert after["power_state"] == "Running" and after["resident_on"] == target
    assert after["domid"] != before["domid"] and after["scheduled_to_be_resident_on"] == NULL
    assert after["VBDs"] == before["VBDs"] and after["VIFs"] == before["VIFs"]
    assert after["guest_metrics"] == before["guest_metrics"]
    assert api("VM_guest_metrics.get_networks", after["guest_metrics"]) == networks
    for vbd, record in vbds.items():
        now_record = api("VBD.get_record", vbd)
        assert now_record["VDI"] == record["VDI"] and now_record["currently_attached"] is True
    for vif, record in vifs.items():
        assert api("VIF.get_MAC", vif) == record["MAC"] and api("VIF.get_currently_attached", vif) is True
    assert vm in api("host.get_resident_VMs", target) and vm not in api("host.get_resident_VMs", source)
    (console,) = after["consoles"]
    assert api("host.get_address", target) in api("console.get_location", console)
    assert api("host.get_current_operations", target) == {} and after["current_operations"] == {}


def test_memory_counts_on_both_hosts_in_flight_and_progress_advances(api):
    api.sim.world.clock.speed = 20  # 10 simulated seconds for 2 GiB: half a real second
    vm = api.vm("web-02")
    source, target = api("VM.get_resident_on", vm), other_host(api, vm)
    need = footprint(api, vm)
    free_source, free_target = api("host.compute_free_memory", source), api("host.compute_free_memory", target)
    task = api("Async.VM.pool_migrate", vm, target, {})
    wait_until(lambda: api("VM.get_scheduled_to_be_resident_on", vm) == target)
    assert api("host.compute_free_memory", target) == free_target - need
    assert api("host.compute_free_memory", source) == free_source
    assert api("host.get_current_operations", target) == {task: "vm_migrate"}
    assert api("VM.get_current_operations", vm) == {task: "pool_migrate"}
    assert api("VM.get_power_state", vm) == "Running" and api("VM.get_resident_on", vm) == source
    seen = []

    def ended():
        seen.append(float(api("task.get_progress", task)))
        return api("task.get_status", task) != "pending"

    wait_until(ended)
    assert api("task.get_status", task) == "success"
    assert seen == sorted(seen) and len({p for p in seen if 0 < p < 1}) >= 3
    assert api("host.compute_free_memory", source) == free_source + need
    assert api("host.compute_free_memory", target) == free_target - need
    assert api("host.get_current_operations", target) == {}


def test_a_2_gib_vm_takes_ten_simulated_seconds(api):
    api.sim.world.clock.speed = 50
    vm = api.vm("web-03")
    assert int(api("VM.get_memory_dynamic_max", vm)) == 2 * GIB
    started = time.monotonic()
    api("VM.pool_migrate", vm, other_host(api, vm), {})
    assert time.monotonic() - started >= 0.9 * 10.0 / 50


def test_to_its_own_host_the_domain_is_rebuilt_in_place(api):
    vm = api.vm("db-01")
    here, domid = api("VM.get_resident_on", vm), api("VM.get_domid", vm)
    free = api("host.compute_free_memory", here)
    api("host.disable", here)  # no HOST_DISABLED for a VM staying where it runs
    api("VM.pool_migrate", vm, here, {})
    assert api("VM.get_resident_on", vm) == here and api("VM.get_domid", vm) != domid
    assert api("host.compute_free_memory", here) == free


def test_vm_refusals(api):
    db = db_of(api)
    halted, vm = api.vm("build-01"), api.vm("web-01")
    target = other_host(api, vm)
    assert error(api, "VM.pool_migrate", halted, target, {}) == ["VM_BAD_POWER_STATE", halted, "running", "halted"]
    db.update("VM", vm, is_a_template=True)
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["VM_IS_TEMPLATE", vm, "pool_migrate"]
    db.update("VM", vm, is_a_template=False)
    api("VM.add_to_platform", vm, "nomigrate", "true")
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["VM_IS_IMMOBILE", vm]
    api("VM.remove_from_platform", vm, "nomigrate")
    db.update("VM", vm, attached_PCIs=["OpaqueRef:7a1e0c2e-0000-4000-8000-000000000001"])
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["VM_HAS_PCI_ATTACHED", vm]
    db.update("VM", vm, attached_PCIs=[])
    metrics = api("VM.get_guest_metrics", vm)
    db.update("VM_guest_metrics", metrics, PV_drivers_detected=False)
    db.refresh("VM", vm)
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["VM_LACKS_FEATURE", vm]
    db.update("VM_guest_metrics", metrics, PV_drivers_detected=True)
    api("VM.pool_migrate", vm, target, {})


def test_destination_refusals(api):
    db = db_of(api)
    vm = api.vm("web-01")
    source = api("VM.get_resident_on", vm)
    target = other_host(api, vm)
    api("host.disable", target)
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["HOST_DISABLED", target]
    api("host.enable", target)
    membership.set_live(db, target, False)
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["HOST_NOT_LIVE"]
    membership.set_live(db, target, True)
    metrics = api("host.get_metrics", target)
    total = int(api("host_metrics.get_memory_total", metrics))
    available = api("host.compute_free_memory", target)
    db.update("host_metrics", metrics, memory_total=total - available + GIB)
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["HOST_NOT_ENOUGH_FREE_MEMORY", str(footprint(api, vm)), str(GIB)]
    db.update("host_metrics", metrics, memory_total=total)
    task = "OpaqueRef:5e1f0000-0000-4000-8000-00000000e7ac"
    db.update("host", target, current_operations={task: "evacuate"})
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["OTHER_OPERATION_IN_PROGRESS", "host", target, "evacuate", task]
    db.update("host", target, current_operations={})
    assert api("VM.get_resident_on", vm) == source and api("VM.get_scheduled_to_be_resident_on", vm) == NULL


def test_storage_and_network_the_destination_cannot_reach(api):
    vm = api.vm("web-01")
    source = api("VM.get_resident_on", vm)
    target = other_host(api, vm)
    local = next(sr for sr, r in api("SR.get_all_records").items()
                 if r["name_label"] == "Local storage" and api("PBD.get_host", r["PBDs"][0]) == source)
    vdi = api("VDI.create", {"name_label": "scratch", "SR": local, "virtual_size": GIB, "type": "user",
                             "sharable": False, "read_only": False, "other_config": {}})
    vbd = api("VBD.create", vbd_record(vm, vdi, "3"))
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["VM_REQUIRES_SR", vm, local]
    assert error(api, "VM.assert_can_boot_here", vm, target) == ["VM_REQUIRES_SR", vm, local]
    api("VBD.destroy", vbd)
    private = api("network.create", {"name_label": "private", "name_description": "", "MTU": 1500, "other_config": {},
                                     "bridge": ""})
    vif = api("VIF.create", vif_record(vm, private))
    # an internal network is where the running VMs on it are: this VM pins it to its host
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["VM_REQUIRES_NETWORK", vm, private]
    api("VIF.destroy", vif)
    api("VM.pool_migrate", vm, target, {})


def test_the_network_option_needs_an_address_on_the_destination(api):
    vm = api.vm("web-02")
    target = other_host(api, vm)
    networks = {r["bridge"]: n for n, r in api("network.get_all_records").items()}
    pif = next(p for p in api("network.get_PIFs", networks["xenbr1"]) if api("PIF.get_host", p) == target)
    assert error(api, "VM.pool_migrate", vm, target, {"network": networks["xenbr1"]}) == ["INTERFACE_HAS_NO_IP", pif]
    internal = networks["xenapi"]
    assert error(api, "VM.pool_migrate", vm, target, {"network": internal}) == ["PIF_NOT_PRESENT", target, internal]
    api("VM.pool_migrate", vm, target, {"network": networks["xenbr0"]})
    assert api("VM.get_resident_on", vm) == target


def test_cpu_checks_come_first_and_force_skips_them_and_mobility(api):
    vm = api.vm("db-02")
    target = other_host(api, vm)
    api("VM.add_to_platform", vm, "nomigrate", "1")
    api("host.disable", target)
    db_of(api).update("VM", vm, last_boot_CPU_flags={"vendor": "AuthenticAMD"})
    vendor = "VM last booted on a host which had a CPU from a different vendor."
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["VM_INCOMPATIBLE_WITH_THIS_HOST", vm, target, vendor]
    assert error(api, "VM.assert_can_boot_here", vm, target) == ["HOST_DISABLED", target]
    assert error(api, "VM.pool_migrate", vm, target, {"force": "true"}) == ["HOST_DISABLED", target]
    api("host.enable", target)
    features = api("host.get_cpu_info", target)["features_hvm"].replace("1fcbfbff", "ffffffff", 1)
    db_of(api).update("VM", vm, last_boot_CPU_flags={"vendor": "GenuineIntel", "features": features})
    missing = "VM last booted on a CPU with features this host's CPU does not have."
    assert error(api, "VM.assert_can_boot_here", vm, target) == ["VM_INCOMPATIBLE_WITH_THIS_HOST", vm, target, missing]
    # OCaml's bool_of_string: only "true" forces
    assert error(api, "VM.pool_migrate", vm, target, {"force": "True"}) == ["VM_INCOMPATIBLE_WITH_THIS_HOST", vm, target, missing]
    api("VM.pool_migrate", vm, target, {"force": "true"})
    assert api("VM.get_resident_on", vm) == target


def test_assert_can_boot_here_checks_memory_without_the_vm_itself(api):
    vm = api.vm("web-03")
    here = api("VM.get_resident_on", vm)
    api("VM.assert_can_boot_here", vm, here)
    api("VM.assert_can_boot_here", vm, other_host(api, vm))
    halted = api.vm("build-01")
    api("VM.assert_can_boot_here", halted, here)
    metrics = api("host.get_metrics", here)
    db_of(api).update("host_metrics", metrics, memory_total=1 * GIB)
    assert error(api, "VM.assert_can_boot_here", halted, here)[0] == "HOST_NOT_ENOUGH_FREE_MEMORY"


def test_one_operation_at_a_time_and_a_cancel_leaves_the_vm_where_it_was(api):
    api.sim.world.clock.speed = 10
    vm = api.vm("web-01")
    source, target = api("VM.get_resident_on", vm), other_host(api, vm)
    domid = api("VM.get_domid", vm)
    free_target = api("host.compute_free_memory", target)
    task = api("Async.VM.pool_migrate", vm, target, {})
    wait_until(lambda: api("VM.get_current_operations", vm) == {task: "pool_migrate"})
    assert error(api, "VM.pool_migrate", vm, target, {}) == ["OTHER_OPERATION_IN_PROGRESS", "VM", vm, "pool_migrate", task]
    assert error(api, "VM.clean_shutdown", vm)[0] == "OTHER_OPERATION_IN_PROGRESS"
    api("task.cancel", task)
    wait_until(lambda: api("task.get_status", task) != "cancelling" and api("task.get_status", task) != "pending")
    assert api("task.get_status", task) == "cancelled"
    assert api("VM.get_resident_on", vm) == source and api("VM.get_domid", vm) == domid
    assert api("VM.get_scheduled_to_be_resident_on", vm) == NULL and api("VM.get_current_operations", vm) == {}
    assert api("host.compute_free_memory", target) == free_target
    assert api("host.get_current_operations", target) == {}
