"""Devices [xenapi-notes §2.3 VBD rules, §2.7 VBD/VIF, §3.7; xen-api ocaml/xapi/xapi_vbd.ml,
xapi_vbd_helpers.ml, xapi_vif.ml, xapi_vif_helpers.ml, message_forwarding.ml VBD/VIF]: VBD and
VIF create, destroy, plug, unplug, CD insert and eject, with xapi's codes and parameters and
allowed_operations computed by the same checks."""

from conftest import error, wait_until

from xapisim.handlers import guest, vif as vif_handlers

GIB = 1024 ** 3
NULL = "OpaqueRef:NULL"


def vbd_record(vm, vdi, userdevice="autodetect", kind="Disk", mode="RW", empty=False, **extra):
    record = {"VM": vm, "VDI": vdi, "userdevice": userdevice, "bootable": False, "mode": mode, "type": kind,
              "empty": empty, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}}
    record.update(extra)
    return record


def vif_record(vm, network, device="1", mac="", **extra):
    record = {"device": device, "network": network, "VM": vm, "MAC": mac, "MTU": 1500, "other_config": {},
              "qos_algorithm_type": "", "qos_algorithm_params": {}}
    record.update(extra)
    return record


def new_disk(api, size=GIB, **extra):
    record = {"name_label": "extra", "SR": api("SR.get_by_name_label", "NFS storage")[0], "virtual_size": size,
              "type": "user", "sharable": False, "read_only": False, "other_config": {}}
    record.update(extra)
    return api("VDI.create", record)


def iso(api):
    return api("VDI.get_by_name_label", "debian-12.5.0-amd64-netinst.iso")[0]


def network_of(api, vm):
    return api("VIF.get_network", api("VM.get_VIFs", vm)[0])


def running_with_agent(api, name="web-01"):
    """A running HVM guest whose agent has reported (PV drivers: hotplug allowed)."""
    vm = api.vm(name)
    wait_until(lambda: api("VM.get_guest_metrics", vm) != NULL)
    return vm


def test_create_picks_the_next_free_position(api):
    vm = api.vm("build-01")
    assert [api("VBD.get_userdevice", v) for v in api("VM.get_VBDs", vm)] == ["0"]
    cd = api("VBD.create", vbd_record(vm, NULL, "3", kind="CD", mode="RO", empty=True))
    record = api("VBD.get_record", cd)
    assert record["empty"] is True and record["VDI"] == NULL and record["currently_attached"] is False
    assert record["device"] == "" and record["allowed_operations"] == ["attach", "insert"]
    positions = [api("VBD.get_userdevice", api("VBD.create", vbd_record(vm, new_disk(api)))) for dummy in range(3)]
    assert positions == ["1", "2", "4"]
    assert api("VM.get_allowed_VBD_devices", vm)[:3] == ["5", "6", "7"]
    assert len(api("VM.get_allowed_VBD_devices", vm)) == 255 - 5


def test_create_refusals(api):
    vm = api.vm("build-01")
    disk = new_disk(api)
    assert error(api, "VBD.create", vbd_record(vm, disk, "0")) == ["DEVICE_ALREADY_EXISTS", "0"]
    assert error(api, "VBD.create", vbd_record(vm, disk, "xvda")) == ["DEVICE_ALREADY_EXISTS", "xvda"]
    assert error(api, "VBD.create", vbd_record(vm, disk, "eth0")) == ["INVALID_DEVICE", "eth0"]
    assert error(api, "VBD.create", vbd_record(vm, iso(api), "3", kind="CD", mode="RW")) == [
        "VBD_CDS_MUST_BE_READONLY"]
    assert error(api, "VBD.create", vbd_record(vm, NULL, empty=True)) == ["VBD_NOT_REMOVABLE_MEDIA", "in constructor"]
    assert error(api, "VBD.create", vbd_record(vm, iso(api))) == ["VDI_READONLY", iso(api)]
    statefile = new_disk(api, type="ha_statefile")
    assert error(api, "VBD.create", vbd_record(vm, statefile)) == ["VDI_INCOMPATIBLE_TYPE", statefile, "ha_statefile"]
    assert error(api, "VBD.create", vbd_record("OpaqueRef:nope", disk)) == ["HANDLE_INVALID", "VM", "OpaqueRef:nope"]
    assert error(api, "VBD.create", vbd_record(vm, "OpaqueRef:nope")) == ["HANDLE_INVALID", "VDI", "OpaqueRef:nope"]
    assert error(api, "VBD.create", {"VM": vm, "VDI": disk}) == [
        "INTERNAL_ERROR", 'Server_helpers.Dispatcher_FieldNotFound("userdevice")']


def test_plug_and_unplug_on_a_running_vm(api):
    vm = running_with_agent(api)
    disk = new_disk(api)
    vbd = api("VBD.create", vbd_record(vm, disk, currently_attached=True))
    assert api("VBD.get_currently_attached", vbd) is False
    assert sorted(api("VBD.get_allowed_operations", vbd)) == ["attach", "pause", "plug", "unpause"]
    assert error(api, "VBD.unplug", vbd) == ["DEVICE_ALREADY_DETACHED", vbd]
    api("VBD.plug", vbd)
    record = api("VBD.get_record", vbd)
    assert record["currently_attached"] is True and record["device"] == "xvdb"
    assert sorted(record["allowed_operations"]) == ["attach", "pause", "unpause", "unplug", "unplug_force"]
    assert error(api, "VBD.plug", vbd) == ["DEVICE_ALREADY_ATTACHED", vbd]
    assert error(api, "VBD.destroy", vbd) == [
        "OPERATION_NOT_ALLOWED", "VBD '%s' still attached to '%s'" % (record["uuid"], api("VM.get_uuid", vm))]
    assert error(api, "VDI.destroy", disk) == ["VDI_IN_USE", disk, "destroy"]
    api("VBD.unplug", vbd)
    assert api("VBD.get_currently_attached", vbd) is False
    api("VBD.plug", vbd)
    api("VBD.unplug_force", vbd)
    api("VBD.destroy", vbd)
    assert error(api, "VBD.get_record", vbd) == ["HANDLE_INVALID", "VBD", vbd]
    assert api("VDI.get_VBDs", disk) == []


def test_plug_needs_a_running_vm(api):
    vm = api.vm("build-01")
    vbd = api("VBD.create", vbd_record(vm, new_disk(api)))
    assert error(api, "VBD.plug", vbd) == ["VM_BAD_POWER_STATE", vm, "running", "halted"]
    assert error(api, "VBD.unplug_force", vbd) == ["VM_BAD_POWER_STATE", vm, "running", "halted"]
    assert api("VBD.get_allowed_operations", vbd) == ["attach"]
    api("VM.start", vm, False, False)  # a device added while halted comes up with the VM
    record = api("VBD.get_record", vbd)
    assert record["currently_attached"] is True and record["device"] == "xvdb"
    api("VM.pause", vm)
    assert error(api, "VBD.unplug", vbd) == ["VM_BAD_POWER_STATE", vm, "running", "paused"]
    assert sorted(api("VBD.get_allowed_operations", vbd)) == ["attach", "pause", "unpause"]
    api("VM.hard_shutdown", vm)
    assert api("VBD.get_currently_attached", vbd) is False


def test_unpluggable_and_read_only_rules(api):
    vm = running_with_agent(api)
    root = api("VM.get_VBDs", vm)[0]
    api("VBD.set_unpluggable", root, False)
    assert error(api, "VBD.unplug", root) == ["VBD_NOT_UNPLUGGABLE", root]
    assert error(api, "VBD.unplug_force", root) == ["VBD_NOT_UNPLUGGABLE", root]
    assert "unplug" not in api("VBD.get_allowed_operations", root)
    assert error(api, "VBD.set_mode", root, "RO") == ["VM_BAD_POWER_STATE", vm, "halted", "running"]
    read_only = api("VBD.create", vbd_record(vm, new_disk(api), mode="RO"))
    assert error(api, "VBD.plug", read_only) == ["DISK_VBD_MUST_BE_READWRITE_FOR_HVM", read_only]


def test_a_disk_written_by_one_running_vm(api):
    web = running_with_agent(api, "web-01")
    other = running_with_agent(api, "web-02")
    disk = api("VBD.get_VDI", api("VM.get_VBDs", web)[0])
    vbd = api("VBD.create", vbd_record(other, disk))
    assert error(api, "VBD.plug", vbd) == ["VDI_IN_USE", disk]
    assert error(api, "VBD.assert_attachable", vbd) == ["VDI_IN_USE", disk]


def test_hvm_guests_need_drivers(world_sim, api):
    vm = running_with_agent(api)
    vbd = api("VBD.create", vbd_record(vm, new_disk(api)))
    guest.forget(world_sim.world.pools[0].db, vm)  # the guest agent is gone
    assert error(api, "VBD.plug", vbd) == ["VM_MISSING_PV_DRIVERS", vm]
    assert "plug" not in api("VBD.get_allowed_operations", vbd)
    vif = api("VM.get_VIFs", vm)[0]
    assert error(api, "VIF.unplug", vif) == ["VM_MISSING_PV_DRIVERS", vm]


def test_cd_insert_and_eject(api):
    vm = api.vm("build-01")
    cd = api("VBD.create", vbd_record(vm, NULL, "3", kind="CD", mode="RO", empty=True))
    disk = api("VM.get_VBDs", vm)[0]
    assert error(api, "VBD.eject", cd) == ["VBD_IS_EMPTY", cd]
    assert error(api, "VBD.insert", disk, iso(api)) == ["VBD_NOT_REMOVABLE_MEDIA", disk]
    assert error(api, "VBD.eject", disk) == ["VBD_NOT_REMOVABLE_MEDIA", disk]
    assert error(api, "VBD.insert", cd, "OpaqueRef:nope") == ["HANDLE_INVALID", "VDI", "OpaqueRef:nope"]
    api("VBD.insert", cd, iso(api))
    record = api("VBD.get_record", cd)
    assert record["empty"] is False and record["VDI"] == iso(api)
    assert record["allowed_operations"] == ["attach", "eject"]
    assert cd in api("VDI.get_VBDs", iso(api))
    assert error(api, "VBD.insert", cd, iso(api)) == ["VBD_NOT_EMPTY", cd]
    api("VM.start", vm, False, False)
    running_with_agent(api, "build-01")
    assert error(api, "VBD.unplug", cd) == [
        "OPERATION_NOT_ALLOWED", "HVM CDROMs cannot be hotplugged/unplugged, only inserted or ejected"]
    api("VBD.eject", cd)  # a running guest's drive: the disc goes, the drive stays
    record = api("VBD.get_record", cd)
    assert record["empty"] is True and record["VDI"] == NULL and record["currently_attached"] is True
    api("VBD.insert", cd, iso(api))
    wait_until(lambda: "suspend" in api("VM.get_allowed_operations", vm))
    api("VM.suspend", vm)
    assert error(api, "VBD.eject", cd) == ["VM_BAD_POWER_STATE", vm, "halted, running", "suspended"]
    assert api("VBD.get_allowed_operations", cd) == ["attach"]


def test_operation_in_progress(world_sim, api):
    vm = running_with_agent(api)
    vbd = api("VBD.create", vbd_record(vm, new_disk(api)))
    world_sim.world.clock.speed = 2.0  # a hotplug now takes half a second
    task = api("Async.VBD.plug", vbd)
    wait_until(lambda: api("VBD.get_current_operations", vbd))
    assert api("VBD.get_current_operations", vbd) == {task: "plug"}
    assert sorted(api("VBD.get_allowed_operations", vbd)) == []
    assert error(api, "VBD.unplug", vbd) == ["OTHER_OPERATION_IN_PROGRESS", "VBD", vbd, "plug", task]
    wait_until(lambda: api("task.get_status", task) == "success")
    assert api("VBD.get_currently_attached", vbd) is True


def test_vif_create_generates_macs(api):
    vm = api.vm("build-01")
    network = network_of(api, vm)
    seed = api("VM.get_other_config", vm)["mac_seed"]
    vif = api("VIF.create", vif_record(vm, network, "1"))
    record = api("VIF.get_record", vif)
    assert record["MAC"] == vif_handlers.generated_mac(1, seed) and record["MAC_autogenerated"] is True
    assert int(record["MAC"][:2], 16) & 3 == 2  # locally administered, unicast
    assert record["currently_attached"] is False and record["allowed_operations"] == ["attach"]
    assert vif in api("network.get_VIFs", network)
    given = api("VIF.create", vif_record(vm, network, "2", mac="02:00:00:00:00:02"))
    assert api("VIF.get_MAC", given) == "02:00:00:00:00:02" and api("VIF.get_MAC_autogenerated", given) is False
    assert api("VM.get_allowed_VIF_devices", vm) == [str(n) for n in range(3, 16)]


def test_vif_create_refusals(api):
    vm = api.vm("build-01")
    network = network_of(api, vm)
    assert error(api, "VIF.create", vif_record(vm, network, "0")) == ["DEVICE_ALREADY_EXISTS", "0"]
    assert error(api, "VIF.create", vif_record(vm, network, "eth1")) == ["INVALID_DEVICE", "eth1"]
    assert error(api, "VIF.create", vif_record(vm, network, "1", mac="02:00:00:00:00")) == [
        "MAC_INVALID", "02:00:00:00:00"]
    assert error(api, "VIF.create", vif_record(vm, "OpaqueRef:nope")) == ["HANDLE_INVALID", "network", "OpaqueRef:nope"]
    api("VM.remove_from_other_config", vm, "mac_seed")
    assert error(api, "VIF.create", vif_record(vm, network, "1")) == ["MAC_INVALID", ""]


def test_vif_plug_unplug_destroy(api):
    vm = running_with_agent(api)
    network = network_of(api, vm)
    vif = api("VIF.create", vif_record(vm, network, "1"))
    assert error(api, "VIF.unplug", vif) == ["DEVICE_ALREADY_DETACHED", vif]
    api("VIF.plug", vif)
    assert api("VIF.get_currently_attached", vif) is True
    assert api("VIF.get_allowed_operations", vif) == ["attach", "unplug"]
    assert error(api, "VIF.plug", vif) == ["DEVICE_ALREADY_ATTACHED", vif]
    assert error(api, "VIF.destroy", vif) == ["OPERATION_NOT_ALLOWED", "VIF currently attached to a running VM"]
    api("VIF.unplug", vif)
    api("VIF.plug", vif)
    api("VIF.unplug_force", vif)
    api("VIF.destroy", vif)
    assert vif not in api("network.get_VIFs", network)
    halted = api.vm("build-01")
    first = api("VM.get_VIFs", halted)[0]
    assert error(api, "VIF.plug", first) == ["VM_BAD_POWER_STATE", halted, "running", "halted"]
    api("VIF.destroy", first)  # a halted VM's VIF goes, attached or not
    assert api("VM.get_VIFs", halted) == []


def test_vif_in_progress_and_dom0(world_sim, api):
    vm = running_with_agent(api)
    vif = api("VIF.create", vif_record(vm, network_of(api, vm), "1"))
    world_sim.world.clock.speed = 2.0
    task = api("Async.VIF.plug", vif)
    wait_until(lambda: api("VIF.get_current_operations", vif))
    assert error(api, "VIF.plug", vif) == ["OTHER_OPERATION_IN_PROGRESS", "VIF", vif, "{plug}", "{%s}" % task]
    wait_until(lambda: api("task.get_status", task) == "success")
    dom0 = [v for v, r in api("VM.get_all_records").items() if r["is_control_domain"]][0]
    dom0_vif = api("VIF.create", vif_record(dom0, network_of(api, vm), "0", mac="02:00:00:00:00:09"))
    assert error(api, "VIF.plug", dom0_vif) == ["OPERATION_NOT_ALLOWED", "Control domain does not support hotplug"]
