"""Snapshots [xenapi-notes §3.4 copy/clone/snapshot family and revert; xen-api
ocaml/xapi/xapi_vm_clone.ml, xapi_vm_snapshot.ml, xapi_vm.ml, message_forwarding.ml VM.revert]:
VM.snapshot, VM.checkpoint and VM.revert, the snapshot records, the disks' snapshots, the
parent/children chain, and what destroying a snapshot keeps."""

from conftest import error, wait_until

from xapisim.handlers import storage

NULL = "OpaqueRef:NULL"
EPOCH = "19700101T00:00:00Z"
GIB = 1024 ** 3


def disks(api, vm):
    return [api("VBD.get_VDI", vbd) for vbd in api("VM.get_VBDs", vm) if api("VBD.get_type", vbd) == "Disk"]


def with_agent(api, vm):
    wait_until(lambda: api("VM.get_guest_metrics", vm) != NULL)
    return vm


def test_snapshot_record(api):
    vm = api.vm("build-01")
    source = api("VM.get_record", vm)
    disk = disks(api, vm)[0]
    sr = api("VDI.get_SR", disk)
    used = api("SR.get_physical_utilisation", sr)
    snap = api("VM.snapshot", vm, "before upgrade", [])
    record = api("VM.get_record", snap)
    assert record["name_label"] == "before upgrade" and record["power_state"] == "Halted"
    assert record["is_a_snapshot"] is True and record["is_a_template"] is True and record["is_default_template"] is False
    assert record["snapshot_of"] == vm and record["snapshot_time"] != EPOCH
    assert record["snapshot_info"] == {"power-state-at-snapshot": "Halted", "disk-snapshot-type": "crash_consistent"}
    assert record["snapshot_metadata"].startswith("(('uuid' '%s')" % source["uuid"])
    assert record["memory_static_max"] == source["memory_static_max"] and record["tags"] == source["tags"]
    assert record["other_config"]["mac_seed"] == source["other_config"]["mac_seed"]
    assert record["resident_on"] == NULL and record["suspend_VDI"] == NULL and record["ha_always_run"] is False
    assert sorted(record["allowed_operations"]) == sorted(["clone", "copy", "revert", "export", "metadata_export",
                                                           "destroy"])
    assert api("VM.get_snapshots", vm) == [snap]
    assert api("VM.get_parent", vm) == snap and record["children"] == [vm] and record["parent"] == NULL
    assert [api("VIF.get_MAC", v) for v in record["VIFs"]] == [api("VIF.get_MAC", v) for v in source["VIFs"]]
    snap_vbd = api("VBD.get_record", record["VBDs"][0])
    assert snap_vbd["userdevice"] == "0" and snap_vbd["currently_attached"] is False
    snap_disk = api("VDI.get_record", snap_vbd["VDI"])
    assert snap_disk["is_a_snapshot"] is True and snap_disk["snapshot_of"] == disk
    assert snap_disk["snapshot_time"] != EPOCH and snap_disk["name_label"] == api("VDI.get_name_label", disk)
    assert api("VDI.get_snapshots", disk) == [snap_vbd["VDI"]]
    assert api("SR.get_physical_utilisation", sr) == used + storage.new_utilisation(
        api("SR.get_record", sr), snap_disk["virtual_size"])


def test_snapshot_chain_and_ignored_disks(api):
    vm = api.vm("build-01")
    first = api("VM.snapshot", vm, "one", [])
    second = api("VM.snapshot", vm, "two", disks(api, vm))
    assert api("VM.get_VBDs", second) == []  # its one disk was left out
    assert api("VM.get_parent", second) == first and api("VM.get_children", first) == [second]
    assert api("VM.get_parent", vm) == second and sorted(api("VM.get_snapshots", vm)) == sorted([first, second])
    api("VM.destroy", second)  # a snapshot's children descend from its parent
    assert api("VM.get_parent", vm) == first and api("VM.get_children", first) == [vm]


def test_snapshot_of_a_running_vm(api):
    vm = api.vm("web-01")
    snap = api("VM.snapshot", vm, "live", [])
    assert api("VM.get_power_state", vm) == "Running" and api("VM.get_power_state", snap) == "Halted"
    assert api("VM.get_snapshot_info", snap)["power-state-at-snapshot"] == "Running"
    assert api("VM.get_domid", snap) == -1 and api("VM.get_resident_on", snap) == NULL


def test_snapshot_refusals(api):
    vm = api.vm("build-01")
    snap = api("VM.snapshot", vm, "s", [])
    assert error(api, "VM.snapshot", snap, "again", []) == ["VM_IS_SNAPSHOT", snap, "snapshot"]
    template = api.vm("Debian Bookworm 12")
    assert error(api, "VM.snapshot", template, "t", []) == ["VM_IS_TEMPLATE", template, "snapshot"]
    api("VM.add_to_blocked_operations", vm, "snapshot", "no snapshots here")
    assert error(api, "VM.snapshot", vm, "s2", []) == ["OPERATION_BLOCKED", vm, "no snapshots here"]
    assert error(api, "VM.checkpoint", vm, "c") == ["VM_BAD_POWER_STATE", vm, "paused, suspended, running", "halted"]


def test_checkpoint_of_a_running_vm(api):
    vm = with_agent(api, api.vm("web-01"))
    domid = api("VM.get_domid", vm)
    snap = api("VM.checkpoint", vm, "with memory")
    record = api("VM.get_record", snap)
    assert record["power_state"] == "Suspended" and record["is_a_snapshot"] is True
    assert record["snapshot_info"] == {"power-state-at-snapshot": "Running", "disk-snapshot-type": "crash_consistent"}
    image = api("VDI.get_record", record["suspend_VDI"])
    assert image["type"] == "suspend" and image["is_a_snapshot"] is True
    assert sorted(record["allowed_operations"]) == sorted(["clone", "copy", "revert", "export", "metadata_export",
                                                           "destroy"])
    source = api("VM.get_record", vm)
    assert source["power_state"] == "Running" and source["suspend_VDI"] == NULL and source["domid"] != domid
    assert api("VDI.get_all_where", 'field "type"="suspend" and field "is_a_snapshot"="false"') == []


def test_checkpoint_of_suspended_and_paused_vms(api):
    vm = with_agent(api, api.vm("web-02"))
    api("VM.suspend", vm)
    snap = api("VM.checkpoint", vm, "suspended")
    assert api("VM.get_power_state", snap) == "Suspended" and api("VM.get_snapshot_info", snap) == {}
    assert api("VDI.get_snapshot_of", api("VM.get_suspend_VDI", snap)) == api("VM.get_suspend_VDI", vm)
    paused = api.vm("web-03")
    api("VM.pause", paused)
    snap = api("VM.checkpoint", paused, "paused")
    assert api("VM.get_power_state", snap) == "Halted" and api("VM.get_suspend_VDI", snap) == NULL
    assert api("VM.get_power_state", paused) == "Paused"


def test_revert_a_disk_snapshot(api):
    vm = api.vm("web-01")
    before = api("VM.get_record", vm)
    old_disk = disks(api, vm)[0]
    macs = [api("VIF.get_MAC", v) for v in before["VIFs"]]
    snap = api("VM.snapshot", vm, "s", [])
    snap_disk = disks(api, snap)[0]
    api("VM.set_name_label", vm, "renamed")
    api("VM.set_memory_dynamic_range", vm, GIB, GIB)
    added = api("VDI.create", {"name_label": "added later", "SR": api("VDI.get_SR", old_disk), "virtual_size": GIB,
                               "type": "user", "sharable": False, "read_only": False, "other_config": {}})
    api("VBD.create", {"VM": vm, "VDI": added, "userdevice": "1", "bootable": False, "mode": "RW", "type": "Disk",
                       "empty": False, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    api("VM.revert", snap)
    record = api("VM.get_record", vm)
    assert record["power_state"] == "Halted" and record["resident_on"] == NULL and record["domid"] == -1
    assert record["name_label"] == before["name_label"] and record["memory_dynamic_min"] == before["memory_dynamic_min"]
    assert record["parent"] == snap and record["snapshots"] == [snap]
    new_disk = disks(api, vm)
    assert len(new_disk) == 1 and new_disk[0] not in (old_disk, snap_disk)
    assert error(api, "VDI.get_record", old_disk) == ["HANDLE_INVALID", "VDI", old_disk]
    assert api("VDI.get_is_a_snapshot", new_disk[0]) is False
    assert api("VDI.get_snapshot_of", snap_disk) == new_disk[0]  # the snapshot now names the new disk
    assert api("VDI.get_VBDs", added) == []  # a disk the snapshot does not know is left, unattached
    assert [api("VIF.get_MAC", v) for v in record["VIFs"]] == macs
    assert api("VM.get_power_state", snap) == "Halted" and api("VM.get_snapshot_of", snap) == vm
    api("VM.start", vm, False, False)


def test_revert_a_checkpoint(api):
    vm = with_agent(api, api.vm("web-02"))
    snap = api("VM.checkpoint", vm, "c")
    api("VM.hard_shutdown", vm)
    api("VM.revert", snap)
    record = api("VM.get_record", vm)
    assert record["power_state"] == "Suspended" and record["suspend_VDI"] not in (NULL, api("VM.get_suspend_VDI", snap))
    assert api("VDI.get_type", record["suspend_VDI"]) == "suspend"
    api("VM.resume", vm, False, False)
    assert api("VM.get_power_state", vm) == "Running"


def test_revert_needs_a_snapshot(api):
    vm = api.vm("build-01")
    assert "revert" not in api("VM.get_allowed_operations", vm)
    # xapi looks for the VM the argument is a snapshot of before anything else
    assert error(api, "VM.revert", vm) == ["VM_REVERT_FAILED", vm, NULL]


def test_revert_brings_back_a_destroyed_vm(api):
    vm = api.vm("build-01")
    uuid = api("VM.get_uuid", vm)
    snap = api("VM.snapshot", vm, "keep", [])
    api("VM.destroy", vm)
    api("VM.revert", snap)
    again = api("VM.get_snapshot_of", snap)
    assert again != vm and api("VM.get_uuid", again) == uuid
    record = api("VM.get_record", again)
    assert record["name_label"] == "build-01" and record["is_a_snapshot"] is False and record["is_a_template"] is False
    assert record["snapshots"] == [snap] and len(disks(api, again)) == 1


def test_destroying_a_snapshot_keeps_its_disks(api):
    vm = api.vm("build-01")
    snap = api("VM.snapshot", vm, "s", [])
    snap_disks = disks(api, snap)
    api("VM.destroy", snap)
    assert api("VM.get_snapshots", vm) == [] and api("VM.get_parent", vm) == NULL
    for vdi in snap_disks:
        assert api("VDI.get_is_a_snapshot", vdi) is True and api("VDI.get_VBDs", vdi) == []
        api("VDI.destroy", vdi)


def test_snapshot_holds_the_vm(world_sim, api):
    world_sim.world.clock.speed = 2.0  # a one-disk snapshot now takes half a second
    vm = api.vm("build-01")
    task = api("Async.VM.snapshot", vm, "slow", [])
    wait_until(lambda: api("VM.get_current_operations", vm))
    assert api("VM.get_current_operations", vm) == {task: "snapshot"}
    assert error(api, "VM.start", vm, False, False) == ["OTHER_OPERATION_IN_PROGRESS", "VM", vm, "snapshot", task]
    wait_until(lambda: api("task.get_status", task) == "success")
    assert api("task.get_result", task) == "<value>%s</value>" % api("VM.get_snapshots", vm)[0]
