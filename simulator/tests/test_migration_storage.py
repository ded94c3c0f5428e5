"""Storage migration inside pool3 (in-process): host.migrate_receive, VM.assert_can_migrate and
VM.migrate_send moving disks to other SRs (running, halted, suspended VMs), VDI.pool_migrate,
the refusals with xapi's codes, a failure leaving no copy behind."""

from conftest import error
from test_devices import vbd_record
from test_migration_pool import db_of, footprint, other_host, run_task
from test_sr_create import NFS, create

NULL = "OpaqueRef:NULL"
GIB = 1024 ** 3


def management_network(api):
    return next(n for n, r in api("network.get_all_records").items() if r["bridge"] == "xenbr0")


def receive(api, host):
    return api("host.migrate_receive", host, management_network(api), {})


def local_sr(api, host):
    return next(sr for sr, r in api("SR.get_all_records").items()
                if r["name_label"] == "Local storage" and api("PBD.get_host", r["PBDs"][0]) == host)


def disks(api, vm):
    return [api("VBD.get_VDI", vbd) for vbd in api("VM.get_VBDs", vm) if api("VBD.get_type", vbd) == "Disk"]


def test_migrate_receive_answers_xapis_map_with_a_new_session(api):
    host = other_host(api, api.vm("web-01"))
    dest = receive(api, host)
    address = api("host.get_address", host)
    session = dest["session_id"]
    assert dest == {"SM": "http://%s/services/SM?session_id=%s" % (address, session), "host": host,
                    "xenops": "http://%s/services/xenops?session_id=%s" % (address, session), "session_id": session,
                    "master": "http://127.0.10.1"}
    record = api("session.get_record", session)
    assert record["parent"] == api.session and record["this_host"] == host and record["is_local_superuser"]
    networks = {r["bridge"]: n for n, r in api("network.get_all_records").items()}
    pif = next(p for p in api("network.get_PIFs", networks["xenbr1"]) if api("PIF.get_host", p) == host)
    assert error(api, "host.migrate_receive", host, networks["xenbr1"], {}) == ["PIF_HAS_NO_NETWORK_CONFIGURATION", pif]
    db_of(api).update("PIF", pif, ip_configuration_mode="DHCP")
    assert error(api, "host.migrate_receive", host, networks["xenbr1"], {}) == ["INTERFACE_HAS_NO_IP", pif]
    assert error(api, "host.migrate_receive", host, networks["xenapi"], {}) == [
        "HOST_CANNOT_ATTACH_NETWORK", host, networks["xenapi"]]


def test_a_running_vm_moves_its_disk_to_the_new_hosts_local_sr(api):
    vm = api.vm("web-01")
    target = other_host(api, vm)
    (vdi,) = disks(api, vm)
    old = api("VDI.get_record", vdi)
    db_of(api).private.setdefault(vdi, {})["content"] = b"bootloader and filesystem"
    vbds = api("VM.get_VBDs", vm)
    local = local_sr(api, target)
    used = api("SR.get_physical_utilisation", local)
    dest = receive(api, target)
    api("VM.assert_can_migrate", vm, dest, True, {vdi: local}, {}, {}, {})
    task = run_task(api, "VM.migrate_send", vm, dest, True, {vdi: local}, {}, {}, {})
    assert task["status"] == "success" and task["result"] == "<value>%s</value>" % vm
    assert max(task["seen"]) < 1 and len(set(task["seen"])) > 3
    record = api("VM.get_record", vm)
    assert record["resident_on"] == target and record["power_state"] == "Running" and record["VBDs"] == vbds
    (new,) = disks(api, vm)
    copy = api("VDI.get_record", new)
    assert new != vdi and copy["SR"] == local and copy["uuid"] != old["uuid"]
    assert (copy["virtual_size"], copy["name_label"], copy["type"]) == (old["virtual_size"], old["name_label"], old["type"])
    assert db_of(api).private[new]["content"] == b"bootloader and filesystem"
    assert error(api, "VDI.get_record", vdi) == ["HANDLE_INVALID", "VDI", vdi]
    assert api("SR.get_physical_utilisation", local) == used + old["virtual_size"]  # thick LVM: all of it
    assert api("host.get_current_operations", target) == {}


def test_a_halted_vm_moves_its_disks_only(api):
    vm = api.vm("build-01")
    host = api("pool.get_master", api("pool.get_all")[0])
    (vdi,) = disks(api, vm)
    target_sr = create(api, NFS, name="NFS 2")
    new = api("VM.migrate_send", vm, receive(api, host), False, {vdi: target_sr}, {}, {}, {})
    assert new == vm and api("VM.get_power_state", vm) == "Halted" and api("VM.get_resident_on", vm) == NULL
    assert [api("VDI.get_SR", d) for d in disks(api, vm)] == [target_sr]


def test_a_suspended_vm_keeps_its_image_where_the_host_sees_it(api):
    vm = api.vm("web-02")
    api("VM.suspend", vm)
    suspend = api("VM.get_suspend_VDI", vm)
    (vdi,) = disks(api, vm)
    target_sr = create(api, NFS, name="NFS 2")
    host = api("pool.get_master", api("pool.get_all")[0])
    api("VM.migrate_send", vm, receive(api, host), False, {vdi: target_sr}, {}, {}, {})
    assert api("VM.get_power_state", vm) == "Suspended" and api("VM.get_suspend_VDI", vm) == suspend
    assert api("VDI.get_SR", disks(api, vm)[0]) == target_sr
    api("VM.resume", vm, False, False)


def test_refusals(api):
    vm = api.vm("web-01")
    target = other_host(api, vm)
    here = api("VM.get_resident_on", vm)
    (vdi,) = disks(api, vm)
    dest = receive(api, target)
    nfs = api("VDI.get_SR", vdi)
    assert error(api, "VM.assert_can_migrate", vm, dest, True, {}, {}, {}, {}) == ["VDI_NOT_IN_MAP", vdi]
    assert error(api, "VM.migrate_send", vm, dest, True, {}, {}, {}, {}) == ["VDI_NOT_IN_MAP", vdi]
    vif = api("VM.get_VIFs", vm)[0]
    assert error(api, "VM.migrate_send", vm, dest, True, {vdi: nfs}, {vif: management_network(api)}, {}, {}) == [
        "OPERATION_NOT_ALLOWED", "VIF mapping is not allowed for intra-pool migration -all VIFs must be on the same network"]
    iso = api("SR.get_by_name_label", "ISO library")[0]
    assert error(api, "VM.migrate_send", vm, dest, True, {vdi: iso}, {}, {}, {}) == [
        "SR_DOES_NOT_SUPPORT_MIGRATION", iso, "VDI_SNAPSHOT;VDI_MIRROR"]
    assert error(api, "VM.migrate_send", vm, dest, True, {vdi: local_sr(api, here)}, {}, {}, {}) == [
        "VM_REQUIRES_SR", vm, local_sr(api, here)]
    assert error(api, "VM.migrate_send", vm, dest, True, {vdi: nfs}, {}, {"copy": "true"}, {}) == [
        "OPERATION_NOT_ALLOWED", "Copy mode is disallowed on intra pool storage migration, try efficient "
        "alternatives, for example, VM.copy/clone."]
    db_of(api).update("VDI", vdi, cbt_enabled=True)
    assert error(api, "VM.migrate_send", vm, dest, True, {vdi: local_sr(api, target)}, {}, {}, {}) == ["VDI_CBT_ENABLED", vdi]
    db_of(api).update("VDI", vdi, cbt_enabled=False)
    api("host.disable", target)
    assert error(api, "VM.migrate_send", vm, dest, True, {vdi: nfs}, {}, {}, {}) == ["HOST_DISABLED", target]
    api("host.enable", target)
    api("VM.pool_migrate", vm, target, {})
    assert api("VM.migrate_send", vm, receive(api, here), True, {vdi: nfs}, {}, {}, {}) == vm  # no disk moves
    assert api("VM.get_resident_on", vm) == here and disks(api, vm) == [vdi]
    assert error(api, "VM.migrate_send", api.vm("build-01"), dest, True, {}, {}, {}, {})[0] == "VDI_NOT_IN_MAP"
    paused = api.vm("db-01")
    api("VM.pause", paused)
    assert error(api, "VM.migrate_send", paused, dest, True, {}, {}, {}, {}) == [
        "VM_BAD_POWER_STATE", paused, "halted, suspended, running", "paused"]


def test_the_destination_map_is_checked(api):
    vm = api.vm("web-01")
    (vdi,) = disks(api, vm)
    nfs = api("VDI.get_SR", vdi)
    dest = receive(api, other_host(api, vm))
    assert error(api, "VM.migrate_send", vm, {k: v for k, v in dest.items() if k != "host"}, True, {vdi: nfs}, {}, {}, {}) == [
        "INTERNAL_ERROR", "Not_found"]
    assert error(api, "VM.assert_can_migrate", vm, dict(dest, master="127.0.10.1"), True, {vdi: nfs}, {}, {}, {}) == [
        "INTERNAL_ERROR", "Cannot extract foreign IP address from: 127.0.10.1"]
    assert error(api, "VM.assert_can_migrate", vm, dict(dest, master="http://127.0.10.2"), True, {vdi: nfs}, {}, {}, {}) == [
        "HOST_IS_SLAVE", "127.0.10.1"]
    assert error(api, "VM.assert_can_migrate", vm, dict(dest, master="http://127.0.99.1"), True, {vdi: nfs}, {}, {}, {}) == [
        "CANNOT_CONTACT_HOST", dest["xenops"].split("/")[2]]
    api.sim.call("127.0.10.1", "session.logout", dest["session_id"])
    assert error(api, "VM.assert_can_migrate", vm, dest, True, {vdi: nfs}, {}, {}, {}) == ["SESSION_INVALID", dest["session_id"]]


def test_a_full_sr_and_a_midway_fault_leave_the_vm_and_its_disks_as_they_were(api):
    db = db_of(api)
    vm = api.vm("web-01")
    here, target = api("VM.get_resident_on", vm), other_host(api, vm)
    (vdi,) = disks(api, vm)
    local = local_sr(api, target)
    size = api("SR.get_physical_size", local)
    db.update("SR", local, physical_size=api("SR.get_physical_utilisation", local) + GIB)
    needed = api("VDI.get_virtual_size", vdi)
    assert error(api, "VM.migrate_send", vm, receive(api, target), True, {vdi: local}, {}, {}, {}) == [
        "SR_FULL", str(needed), str(GIB)]
    db.update("SR", local, physical_size=size)
    vdis_before = api("SR.get_VDIs", local)
    free = api("host.compute_free_memory", target)
    api.sim.world.faults.add(method="VM.migrate_send", action="midway", at=0.3, count=1)
    task = run_task(api, "VM.migrate_send", vm, receive(api, target), True, {vdi: local}, {}, {}, {})
    uuids = [api("VM.get_uuid", vm), api("host.get_uuid", here), api("host.get_uuid", target)]
    assert task["error_info"] == ["VM_MIGRATE_FAILED"] + uuids + [
        "the connection to the destination host was lost at 30% (injected fault)"]
    assert max(task["seen"]) <= 0.3
    assert api("VM.get_resident_on", vm) == here and disks(api, vm) == [vdi] and api("VDI.get_SR", vdi) != local
    assert api("SR.get_VDIs", local) == vdis_before and api("host.compute_free_memory", target) == free
    assert api("VM.get_current_operations", vm) == {} and api("host.get_current_operations", target) == {}


def test_vdi_pool_migrate_moves_one_disk_of_a_running_vm(api):
    vm = api.vm("db-02")
    here = api("VM.get_resident_on", vm)
    domid = api("VM.get_domid", vm)
    (system,) = disks(api, vm)
    nfs = api("VDI.get_SR", system)
    extra = api("VDI.create", {"name_label": "data", "SR": nfs, "virtual_size": 4 * GIB, "type": "user",
                               "sharable": False, "read_only": False, "other_config": {}})
    vbd = api("VBD.create", vbd_record(vm, extra, "1"))
    target_sr = create(api, NFS, name="NFS 2")
    new = api("VDI.pool_migrate", extra, target_sr, {})
    assert api("VBD.get_VDI", vbd) == new and api("VDI.get_SR", new) == target_sr
    assert api("VDI.get_virtual_size", new) == 4 * GIB and api("VDI.get_name_label", new) == "data"
    assert api("VDI.get_SR", system) == nfs and api("VM.get_resident_on", vm) == here
    assert api("VM.get_domid", vm) != domid  # the domain moved, on its own host
    assert error(api, "VDI.get_record", extra)[0] == "HANDLE_INVALID"
    loose = api("VDI.create", {"name_label": "loose", "SR": nfs, "virtual_size": GIB, "type": "user",
                               "sharable": False, "read_only": False, "other_config": {}})
    assert error(api, "VDI.pool_migrate", loose, target_sr, {}) == ["VDI_NEEDS_VM_FOR_MIGRATE", loose]
    db_of(api).update("VDI", new, cbt_enabled=True)
    assert error(api, "VDI.pool_migrate", new, nfs, {}) == ["VDI_CBT_ENABLED", new]


def test_vdi_pool_migrate_to_another_hosts_local_sr_moves_the_vm_there(api):
    vm = api.vm("web-03")
    here = api("VM.get_resident_on", vm)
    target = other_host(api, vm)
    (vdi,) = disks(api, vm)
    free = api("host.compute_free_memory", target)
    new = api("VDI.pool_migrate", vdi, local_sr(api, target), {})
    assert api("VM.get_resident_on", vm) == target and disks(api, vm) == [new]
    assert api("host.compute_free_memory", target) == free - footprint(api, vm)
    assert here != target


def test_a_midway_fault_fires_even_when_nothing_has_to_be_copied(api):
    vm = api.vm("build-01")
    master = api("pool.get_master", api("pool.get_all")[0])
    (vdi,) = disks(api, vm)
    api.sim.world.faults.add(method="VM.migrate_send", action="midway", count=1)
    dest = receive(api, master)
    assert error(api, "VM.migrate_send", vm, dest, False, {vdi: api("VDI.get_SR", vdi)}, {}, {}, {}) == [
        "VM_MIGRATE_FAILED", api("VM.get_uuid", vm), api("host.get_uuid", master), api("host.get_uuid", master),
        "the connection to the destination host was lost at 50% (injected fault)"]
    assert api("VM.migrate_send", vm, dest, False, {vdi: api("VDI.get_SR", vdi)}, {}, {}, {}) == vm
