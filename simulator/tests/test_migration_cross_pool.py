"""Cross-pool migration on twopools (in-process): host.migrate_receive in pool-b, then
VM.migrate_send from pool-a; the VM arrives with new refs and everything it had, pool-a forgets
it; the refusals; failures leave nothing behind in pool-b."""

import pytest
from conftest import SPEED, error, wait_until
from xapisim import Simulator

A, B = "127.0.10.1", "127.0.11.1"
NULL = "OpaqueRef:NULL"
GIB = 1024 ** 3


class Pool:
    """Root's calls to one pool's coordinator."""

    def __init__(self, sim, address):
        self.sim = sim
        self.address = address
        self.session = sim.call(address, "session.login_with_password", "root", "secret-pw")
        self.db = sim.world.pool_of_host(address)[0].db

    def __call__(self, method, *params):
        return self.sim.call(self.address, method, self.session, *params)

    def named(self, cls, name):
        return self("%s.get_by_name_label" % cls, name)[0]

    def bridge(self, bridge):
        return next(n for n, r in self("network.get_all_records").items() if r["bridge"] == bridge)


@pytest.fixture
def pools():
    sim = Simulator("twopools", speed=SPEED, password="secret-pw")
    yield Pool(sim, A), Pool(sim, B)
    sim.stop()


def maps(a, b, vm, sr_name="NFS storage B"):
    """Every disk to pool-b's NFS SR, every VIF to its management network."""
    sr = b.named("SR", sr_name)
    disks = {a("VBD.get_VDI", vbd): sr for vbd in a("VM.get_VBDs", vm) if a("VBD.get_type", vbd) == "Disk"}
    vifs = {vif: b.bridge("xenbr0") for vif in a("VM.get_VIFs", vm)}
    return disks, vifs


def second_host(b):
    return b.named("host", "xs-b2")


def send(a, b, vm, options=None, host=None, deadline=10.0):
    """migrate_receive on pool-b, then Async.VM.migrate_send on pool-a: the ended task."""
    dest = b("host.migrate_receive", host or second_host(b), b.bridge("xenbr0"), {})
    disks, vifs = maps(a, b, vm)
    task = a("Async.VM.migrate_send", vm, dest, True, disks, vifs, options or {}, {})
    wait_until(lambda: a("task.get_status", task) != "pending", deadline)
    return a("task.get_record", task)


def test_twopools_has_what_a_cross_pool_migration_needs(pools):
    a, b = pools
    for pool in (a, b):
        srs = [r for r in pool("SR.get_all_records").values() if r["content_type"] == "user" and r["shared"]]
        assert len(srs) == 1 and len(srs[0]["PBDs"]) == 2
        assert pool("PIF.get_IP", next(p for p in pool("network.get_PIFs", pool.bridge("xenbr0")))) != ""
    assert all(a("VM.get_power_state", a.named("VM", name)) == "Running" for name in ("app-01", "app-02"))


def test_a_running_vm_moves_with_everything_it_has(pools):
    a, b = pools
    vm = a.named("VM", "app-01")
    before = a("VM.get_record", vm)
    (vbd,) = before["VBDs"]
    vbd_uuid = a("VBD.get_uuid", vbd)
    vdi = a("VBD.get_VDI", vbd)
    disk = a("VDI.get_record", vdi)
    a.db.private.setdefault(vdi, {})["content"] = b"\x55\xaa disk content"
    mac = a("VIF.get_MAC", before["VIFs"][0])
    networks = a("VM_guest_metrics.get_networks", before["guest_metrics"])
    source = before["resident_on"]
    free_source = a("host.compute_free_memory", source)
    target = second_host(b)
    free_target = b("host.compute_free_memory", target)
    used = b("SR.get_physical_utilisation", b.named("SR", "NFS storage B"))
    task = send(a, b, vm)
    assert task["status"] == "success"
    moved = task["result"][len("<value>"):-len("</value>")]
    assert moved != vm and error(a, "VM.get_record", vm) == ["HANDLE_INVALID", "VM", vm]
    for cls, ref in (("VBD", vbd), ("VDI", vdi), ("VIF", before["VIFs"][0]), ("VM_metrics", before["metrics"])):
        assert error(a, cls + ".get_record", ref)[0] == "HANDLE_INVALID"
    assert a("VM.get_by_name_label", "app-01") == [] and a("host.compute_free_memory", source) == free_source + 2 * GIB
    record = b("VM.get_record", moved)
    assert (record["uuid"], record["name_label"], record["power_state"]) == (before["uuid"], "app-01", "Running")
    assert record["resident_on"] == target and record["domid"] > 0 and record["affinity"] == NULL
    assert record["memory_dynamic_max"] == before["memory_dynamic_max"] and record["tags"] == before["tags"]
    assert b("host.compute_free_memory", target) == free_target - 2 * GIB - int(before["memory_overhead"])
    (new_vbd,) = record["VBDs"]
    new_vbd_record = b("VBD.get_record", new_vbd)
    assert new_vbd_record["uuid"] == vbd_uuid and new_vbd != vbd
    assert new_vbd_record["currently_attached"] and new_vbd_record["device"] == "xvda"
    new_vdi = b("VDI.get_record", new_vbd_record["VDI"])
    assert new_vdi["SR"] == b.named("SR", "NFS storage B") and new_vdi["virtual_size"] == disk["virtual_size"]
    assert new_vdi["name_label"] == disk["name_label"]
    assert b.db.private[new_vbd_record["VDI"]]["content"] == b"\x55\xaa disk content"
    assert b("SR.get_physical_utilisation", b.named("SR", "NFS storage B")) > used
    (new_vif,) = record["VIFs"]
    assert b("VIF.get_MAC", new_vif) == mac and b("VIF.get_network", new_vif) == b.bridge("xenbr0")
    assert b("VM_guest_metrics.get_networks", record["guest_metrics"]) == networks
    assert b("VM_metrics.get_memory_actual", record["metrics"]) == before["memory_dynamic_max"]
    (console,) = record["consoles"]
    assert "127.0.11.2" in b("console.get_location", console)
    assert "pool_migrate" in b("VM.get_allowed_operations", moved)
    b("VM.pool_migrate", moved, b.named("host", "xs-b1"), {})  # at home in pool-b
    b("VM.clean_shutdown", moved)


def test_a_halted_vm_arrives_halted_and_copy_keeps_the_source(pools):
    a, b = pools
    vm = a.named("VM", "app-02")
    a("VM.hard_shutdown", vm)
    uuid = a("VM.get_uuid", vm)
    task = send(a, b, vm, {"copy": "true"})
    assert task["status"] == "success"
    copy = task["result"][len("<value>"):-len("</value>")]
    assert b("VM.get_power_state", copy) == "Halted" and b("VM.get_resident_on", copy) == NULL
    assert b("VM.get_uuid", copy) != uuid and a("VM.get_uuid", vm) == uuid  # copy mode: new identities
    (vbd,) = a("VM.get_VBDs", vm)
    assert a("VDI.get_SR", a("VBD.get_VDI", vbd)) == a.named("SR", "NFS storage A")
    task = send(a, b, vm)
    moved = task["result"][len("<value>"):-len("</value>")]
    assert b("VM.get_uuid", moved) == uuid
    assert error(a, "VM.get_by_uuid", uuid) == ["UUID_INVALID", "VM", uuid]
    b("VM.start", moved, False, False)


def test_snapshots_go_along(pools):
    a, b = pools
    vm = a.named("VM", "app-01")
    snapshot = a("VM.snapshot", vm, "before the move")
    snapshot_uuid = a("VM.get_uuid", snapshot)
    task = send(a, b, vm)
    assert task["status"] == "success"
    moved = task["result"][len("<value>"):-len("</value>")]
    (new_snapshot,) = b("VM.get_snapshots", moved)
    assert b("VM.get_uuid", new_snapshot) == snapshot_uuid and b("VM.get_snapshot_of", new_snapshot) == moved
    (snap_vbd,) = b("VM.get_VBDs", new_snapshot)
    snap_vdi = b("VBD.get_VDI", snap_vbd)
    (vm_vbd,) = b("VM.get_VBDs", moved)
    assert b("VDI.get_snapshot_of", snap_vdi) == b("VBD.get_VDI", vm_vbd)
    assert error(a, "VM.get_record", snapshot)[0] == "HANDLE_INVALID"


def test_refusals(pools):
    a, b = pools
    vm = a.named("VM", "app-01")
    target = second_host(b)
    dest = b("host.migrate_receive", target, b.bridge("xenbr0"), {})
    disks, vifs = maps(a, b, vm)
    (vdi,) = disks
    (vif,) = vifs
    assert error(a, "VM.assert_can_migrate", vm, dest, True, {}, vifs, {}, {}) == ["VDI_NOT_IN_MAP", vdi]
    assert error(a, "VM.migrate_send", vm, dest, True, disks, {}, {}, {}) == ["VIF_NOT_IN_MAP", vif]
    assert error(a, "VM.migrate_send", vm, dest, True, disks, vifs, {"copy": "true"}, {}) == [
        "VM_BAD_POWER_STATE", vm, "halted", "running"]
    a_sr = a.named("SR", "NFS storage A")
    assert error(a, "VM.migrate_send", vm, dest, True, {vdi: a_sr}, vifs, {}, {}) == ["HANDLE_INVALID", "SR", a_sr]
    a_net = a.bridge("xenbr0")
    assert error(a, "VM.migrate_send", vm, dest, True, disks, {vif: a_net}, {}, {}) == ["HANDLE_INVALID", "network", a_net]
    b("host.disable", target)
    assert error(a, "VM.migrate_send", vm, dest, True, disks, vifs, {}, {}) == ["HOST_DISABLED", target]
    b("host.enable", target)
    a.db.update("VM", vm, last_boot_CPU_flags={"vendor": "AuthenticAMD"})
    assert error(a, "VM.assert_can_migrate", vm, dest, True, disks, vifs, {}, {}) == [
        "VM_INCOMPATIBLE_WITH_THIS_HOST", NULL, target, "VM last booted on a host which had a CPU from a different vendor."]
    a("VM.assert_can_migrate", vm, dest, True, disks, vifs, {"force": "true"}, {})
    a.db.update("VM", vm, last_boot_CPU_flags={})
    assert error(a, "VM.migrate_send", vm, dict(dest, host="OpaqueRef:NULL"), True, disks, vifs, {}, {}) == [
        "HANDLE_INVALID", "host", "OpaqueRef:NULL"]
    b.sim.call(B, "session.logout", dest["session_id"])
    assert error(a, "VM.migrate_send", vm, dest, True, disks, vifs, {}, {}) == ["SESSION_INVALID", dest["session_id"]]
    assert a("VM.get_resident_on", vm) != NULL and a("VM.get_current_operations", vm) == {}


def test_no_room_on_the_destination_host_fails_after_the_disks_and_leaves_nothing_there(pools):
    a, b = pools
    vm = a.named("VM", "app-01")
    target = second_host(b)
    metrics = b("host.get_metrics", target)
    b.db.update("host_metrics", metrics, memory_total=6 * GIB)
    available = b("host.compute_free_memory", target)
    vdis = b("SR.get_VDIs", b.named("SR", "NFS storage B"))
    task = send(a, b, vm)
    needed = int(a("VM.get_memory_dynamic_max", vm)) + int(a("VM.get_memory_overhead", vm))
    assert task["error_info"] == ["HOST_NOT_ENOUGH_FREE_MEMORY", str(needed), str(available)]
    assert a("VM.get_power_state", vm) == "Running" and a("VM.get_current_operations", vm) == {}
    assert b("SR.get_VDIs", b.named("SR", "NFS storage B")) == vdis and b("host.compute_free_memory", target) == available
    assert error(b, "VM.get_by_uuid", a("VM.get_uuid", vm))[0] == "UUID_INVALID"


def test_a_midway_fault_leaves_the_vm_on_its_source_and_nothing_in_the_other_pool(pools):
    a, b = pools
    vm = a.named("VM", "app-02")
    before = a("VM.get_record", vm)
    vdis = b("SR.get_VDIs", b.named("SR", "NFS storage B"))
    free = b("host.compute_free_memory", second_host(b))
    a.sim.world.faults.add(method="VM.migrate_send", action="midway", at=0.9, count=1)
    task = send(a, b, vm)
    assert task["error_info"][0] == "VM_MIGRATE_FAILED"
    assert task["error_info"][1:4] == [before["uuid"], a("host.get_uuid", before["resident_on"]),
                                       b("host.get_uuid", second_host(b))]
    after = a("VM.get_record", vm)
    for field in ("power_state", "resident_on", "domid", "VBDs", "VIFs", "guest_metrics"):
        assert after[field] == before[field]
    assert b("SR.get_VDIs", b.named("SR", "NFS storage B")) == vdis
    assert b("host.compute_free_memory", second_host(b)) == free
    assert error(b, "VM.get_by_uuid", before["uuid"])[0] == "UUID_INVALID"
    assert send(a, b, vm)["status"] == "success"  # the rule was used up
