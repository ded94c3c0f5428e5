"""VM power states, allowed_operations, memory accounting, metrics and guest IPs (in-process)."""

from conftest import error, wait_until
from xapisim.handlers import guest


def test_full_power_cycle(api):
    vm = api.vm("build-01")
    api("VM.start", vm, False, False)
    assert api("VM.get_power_state", vm) == "Running"
    api("VM.pause", vm)
    assert api("VM.get_power_state", vm) == "Paused"
    assert "unpause" in api("VM.get_allowed_operations", vm)
    api("VM.unpause", vm)
    wait_until(lambda: api("VM.get_guest_metrics", vm) != "OpaqueRef:NULL")
    domid = api("VM.get_domid", vm)
    api("VM.clean_reboot", vm)
    assert api("VM.get_domid", vm) != domid
    api("VM.hard_reboot", vm)
    wait_until(lambda: api("VM.get_guest_metrics", vm) != "OpaqueRef:NULL")
    api("VM.suspend", vm)
    record = api("VM.get_record", vm)
    assert record["power_state"] == "Suspended" and record["resident_on"] == "OpaqueRef:NULL"
    suspend_vdi = record["suspend_VDI"]
    assert api("VDI.get_type", suspend_vdi) == "suspend"
    api("VM.resume", vm, False, False)
    assert api("VM.get_power_state", vm) == "Running"
    assert error(api, "VDI.get_record", suspend_vdi) == ["HANDLE_INVALID", "VDI", suspend_vdi]
    wait_until(lambda: "clean_shutdown" in api("VM.get_allowed_operations", vm))
    api("VM.clean_shutdown", vm)
    assert api("VM.get_power_state", vm) == "Halted"


def test_allowed_operations_follow_the_rules(api):
    template = api.vm("Debian Bookworm 12")
    halted = api.vm("build-01")
    running = api.vm("web-01")
    dom0 = [v for v, r in api("VM.get_all_records").items() if r["is_control_domain"]][0]
    assert set(api("VM.get_allowed_operations", halted)) == {
        "snapshot", "clone", "copy", "start", "start_on", "migrate_send", "changing_dynamic_range",
        "changing_static_range", "changing_shadow_memory", "changing_NVRAM", "make_into_template", "export",
        "metadata_export", "destroy", "create_vtpm"}
    assert set(api("VM.get_allowed_operations", running)) == {
        "snapshot", "checkpoint", "pause", "clean_shutdown", "clean_reboot", "hard_shutdown", "hard_reboot",
        "suspend", "pool_migrate", "migrate_send", "changing_dynamic_range", "changing_VCPUs_live",
        "metadata_export"}
    assert set(api("VM.get_allowed_operations", template)) == {
        "clone", "copy", "provision", "changing_dynamic_range", "changing_static_range", "changing_shadow_memory",
        "changing_NVRAM", "export", "metadata_export"}
    assert "start" not in api("VM.get_allowed_operations", dom0)
    assert error(api, "VM.hard_shutdown", dom0)[0] == "OPERATION_NOT_ALLOWED"


def test_bad_power_state_errors_use_xapi_casing(api):
    halted, running = api.vm("build-01"), api.vm("web-01")
    assert error(api, "VM.clean_shutdown", halted) == ["VM_BAD_POWER_STATE", halted, "running", "halted"]
    assert error(api, "VM.resume", running, False, False) == ["VM_BAD_POWER_STATE", running, "suspended", "running"]
    assert error(api, "VM.unpause", running) == ["VM_BAD_POWER_STATE", running, "paused", "running"]
    assert error(api, "VM.destroy", running) == ["VM_BAD_POWER_STATE", running, "halted, suspended", "running"]
    assert error(api, "VM.hard_reboot", halted) == ["VM_BAD_POWER_STATE", halted, "paused, running", "halted"]


def test_guest_without_agent_cannot_shut_down_cleanly(api):
    vm = api.vm("build-01")
    api("VM.start", vm, False, False)
    # the agent reports AGENT_DELAY simulated seconds after boot: at first, no PV drivers
    if api("VM.get_guest_metrics", vm) == "OpaqueRef:NULL":
        assert error(api, "VM.clean_shutdown", vm) == ["VM_LACKS_FEATURE", vm]
        assert "clean_shutdown" not in api("VM.get_allowed_operations", vm)
    wait_until(lambda: api("VM.get_guest_metrics", vm) != "OpaqueRef:NULL")
    metrics = api("VM_guest_metrics.get_record", api("VM.get_guest_metrics", vm))
    assert metrics["PV_drivers_detected"] is True
    address = metrics["networks"]["0/ip"]
    assert address.startswith("127.")
    api("VM.shutdown", vm)
    assert api("VM.get_power_state", vm) == "Halted"
    assert api("VM.get_guest_metrics", vm) == "OpaqueRef:NULL"


def test_running_vms_report_loopback_addresses(api):
    for record in api("VM.get_all_records").values():
        if record["power_state"] == "Running" and not record["is_control_domain"]:
            networks = api("VM_guest_metrics.get_networks", record["guest_metrics"])
            assert networks["0/ip"].startswith("127.1")


def test_memory_accounting(api):
    vm = api.vm("build-01")
    hosts = api("host.get_all")
    host = hosts[0]
    before = api("host.compute_free_memory", host)
    memory = api("VM.get_memory_dynamic_max", vm) + api("VM.get_memory_overhead", vm)
    api("VM.start_on", vm, host, False, False)
    assert api("VM.get_resident_on", vm) == host
    assert api("host.compute_free_memory", host) == before - memory
    api("VM.hard_shutdown", vm)
    assert api("host.compute_free_memory", host) == before
    huge = before + 1
    api("VM.set_memory_limits", vm, huge, huge, huge, huge)
    needed = huge + api("VM.get_memory_overhead", vm)
    assert error(api, "VM.start_on", vm, host, False, False) == [
        "HOST_NOT_ENOUGH_FREE_MEMORY", str(needed), str(before)]


def test_no_host_has_memory(api):
    vm = api.vm("build-01")
    huge = 4 * 1024 ** 4
    api("VM.set_memory_limits", vm, huge, huge, huge, huge)
    failure = error(api, "VM.start", vm, False, False)
    assert failure[0] == "HOST_NOT_ENOUGH_FREE_MEMORY"


def test_disabled_host_is_not_chosen(api):
    vm = api.vm("build-01")
    host = api("host.get_all")[0]
    api("host.disable", host)
    assert error(api, "VM.start_on", vm, host, False, False) == ["HOST_DISABLED", host]
    api("VM.start", vm, False, False)
    assert api("VM.get_resident_on", vm) != host


def test_memory_constraints(api):
    vm = api.vm("build-01")
    gib = 1024 ** 3
    assert error(api, "VM.set_memory_limits", vm, 2 * gib, gib, gib, gib) == ["MEMORY_CONSTRAINT_VIOLATION_ORDER"]
    running = api.vm("web-01")
    assert error(api, "VM.set_memory_static_max", running, 8 * gib)[0] == "VM_BAD_POWER_STATE"
    api("VM.set_memory_dynamic_range", running, gib, 2 * gib)
    assert api("VM.get_memory_dynamic_min", running) == gib


def test_metrics_and_consoles(api):
    vm = api.vm("build-01")
    api("VM.start", vm, False, False)
    record = api("VM.get_record", vm)
    metrics = api("VM_metrics.get_record", record["metrics"])
    assert metrics["memory_actual"] == record["memory_dynamic_max"]
    assert metrics["VCPUs_number"] == record["VCPUs_at_startup"]
    assert metrics["start_time"] != "19700101T00:00:00Z"
    assert len(record["consoles"]) == 1
    assert api("console.get_protocol", record["consoles"][0]) == "rfb"
    for vbd in record["VBDs"]:
        assert api("VBD.get_currently_attached", vbd) is True
    api("VM.hard_shutdown", vm)
    assert api("VM.get_consoles", vm) == []


def test_concurrent_operations_collide(world_sim, api):
    world_sim.world.clock.speed = 20.0  # a start now takes a second: long enough to collide
    vm = api.vm("build-01")
    task = api("Async.VM.start", vm, False, False)
    wait_until(lambda: api("VM.get_current_operations", vm))
    assert api("VM.get_current_operations", vm) == {task: "start"}
    assert api("VM.get_allowed_operations", vm) == []
    assert error(api, "VM.destroy", vm) == ["OTHER_OPERATION_IN_PROGRESS", "VM", vm, "start", task]
    wait_until(lambda: api("task.get_status", task) != "pending")
    assert api("VM.get_current_operations", vm) == {}


def test_destroy_keeps_disks(api):
    vm = api.vm("build-01")
    vbds = api("VM.get_VBDs", vm)
    vdis = [api("VBD.get_VDI", vbd) for vbd in vbds]
    api("VM.destroy", vm)
    assert error(api, "VM.get_record", vm) == ["HANDLE_INVALID", "VM", vm]
    for vbd in vbds:
        assert error(api, "VBD.get_record", vbd)[0] == "HANDLE_INVALID"
    for vdi in vdis:
        assert api("VDI.get_VBDs", vdi) == []


def test_agent_delay_is_simulated_time(world_sim):
    assert guest.AGENT_DELAY > 0
    assert world_sim.world.clock.real(guest.AGENT_DELAY) == guest.AGENT_DELAY / world_sim.world.clock.speed
