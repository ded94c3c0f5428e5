"""Storage [xenapi-notes §2.3, §3.7; xen-api ocaml/xapi/xapi_vdi.ml, xapi_sr_operations.ml,
message_forwarding.ml VDI, sm_exec.ml; SM drivers/vhdutil.py]: VDI create, destroy, resize,
snapshot, clone and copy with xapi's checks and parameters, and SR utilisation kept equal to
what the SR's VDIs take."""

from conftest import error, wait_until

from xapisim.handlers import storage

GIB = 1024 ** 3
MIB = 1024 ** 2
NULL = "OpaqueRef:NULL"


def sr_named(api, name):
    return api("SR.get_by_name_label", name)[0]


def local_sr(api):
    """The local LVM SR of the master (thick provisioned)."""
    host = api("pool.get_master", api("pool.get_all")[0])
    for pbd in api("host.get_PBDs", host):
        sr = api("PBD.get_SR", pbd)
        if api("SR.get_type", sr) == "lvm":
            return sr
    raise AssertionError("no local SR")


def disk_record(sr, size, name="disk", **extra):
    record = {"name_label": name, "name_description": "", "SR": sr, "virtual_size": size, "type": "user",
              "sharable": False, "read_only": False, "other_config": {}}
    record.update(extra)
    return record


def new_disk(api, sr, size, name="disk", **extra):
    return api("VDI.create", disk_record(sr, size, name, **extra))


def usage(api, sr):
    return api("SR.get_physical_utilisation", sr), api("SR.get_virtual_allocation", sr)


def disk_of(api, vm_name):
    vbd = [v for v in api("VM.get_VBDs", api.vm(vm_name)) if api("VBD.get_type", v) == "Disk"][0]
    return api("VBD.get_VDI", vbd)


def test_every_sr_adds_up_its_vdis(api):
    srs = api("SR.get_all_records")
    vdis = api("VDI.get_all_records")
    for ref, record in srs.items():
        mine = [v for v in vdis.values() if v["SR"] == ref]
        assert record["physical_utilisation"] == sum(v["physical_utilisation"] for v in mine), record["name_label"]
        assert record["virtual_allocation"] == sum(v["virtual_size"] for v in mine), record["name_label"]
    nfs = srs[sr_named(api, "NFS storage")]
    assert 0 < nfs["physical_utilisation"] < nfs["virtual_allocation"] < nfs["physical_size"]


def test_create_on_a_thin_sr(api):
    nfs = sr_named(api, "NFS storage")
    used, allocated = usage(api, nfs)
    vdi = new_disk(api, nfs, 10 * GIB + 5, name="data", tags=["t"], sm_config={"k": "v"})
    record = api("VDI.get_record", vdi)
    assert record["virtual_size"] == 10 * GIB + 2 * MIB  # VHD rounds up to 2 MiB blocks
    assert record["physical_utilisation"] == storage.vhd_overhead(record["virtual_size"]) == 28672
    assert record["sm_config"] == {"k": "v", "vdi_type": "vhd"}
    assert record["managed"] is True and record["missing"] is False and record["location"]
    assert record["is_a_snapshot"] is False and record["snapshot_of"] == NULL and record["tags"] == ["t"]
    assert sorted(record["allowed_operations"]) == sorted(
        ["clone", "copy", "resize", "snapshot", "destroy", "forget", "update", "generate_config"])
    assert vdi in api("SR.get_VDIs", nfs)
    assert usage(api, nfs) == (used + 28672, allocated + 10 * GIB + 2 * MIB)


def test_create_on_a_thick_sr_and_sr_full(api):
    local = local_sr(api)
    size, used = api("SR.get_physical_size", local), api("SR.get_physical_utilisation", local)
    vdi = new_disk(api, local, 100 * GIB)
    assert api("VDI.get_physical_utilisation", vdi) == 100 * GIB
    assert usage(api, local) == (used + 100 * GIB, 100 * GIB)
    free = size - used - 100 * GIB
    assert error(api, "VDI.create", disk_record(local, 2000 * GIB)) == ["SR_FULL", str(2000 * GIB), str(free)]
    assert usage(api, local) == (used + 100 * GIB, 100 * GIB)


def test_create_refusals(api):
    nfs = sr_named(api, "NFS storage")
    dvd = sr_named(api, "DVD drives")
    tools = api("SR.get_all_where", 'field "is_tools_sr"="true"')[0]
    assert error(api, "VDI.create", disk_record(dvd, GIB)) == ["SR_OPERATION_NOT_SUPPORTED", dvd]
    assert error(api, "VDI.create", disk_record(tools, GIB)) == ["SR_OPERATION_NOT_SUPPORTED", tools]
    assert error(api, "VDI.create", disk_record(nfs, GIB, type="cbt_metadata")) == [
        "VDI_INCOMPATIBLE_TYPE", "", "cbt_metadata"]
    assert error(api, "VDI.create", disk_record(nfs, 2041 * GIB)) == [
        "SR_BACKEND_FAILURE_79", "", "VDI Invalid size [opterr=VDI size must be between 1 MB and 2088960 MB]", ""]
    assert error(api, "VDI.create", {"SR": nfs, "virtual_size": GIB, "type": "user", "sharable": False,
                                     "other_config": {}}) == [
        "INTERNAL_ERROR", 'Server_helpers.Dispatcher_FieldNotFound("read_only")']
    assert error(api, "VDI.create", disk_record("OpaqueRef:nope", GIB)) == ["HANDLE_INVALID", "SR", "OpaqueRef:nope"]


def test_iso_library_takes_new_images(api):
    """As ISOSR, which offers VDI_CREATE: a new image file, no VHD rounding."""
    iso = sr_named(api, "ISO library")
    used = api("SR.get_physical_utilisation", iso)
    vdi = new_disk(api, iso, 5 * MIB + 1, name="upload.iso")
    assert api("VDI.get_virtual_size", vdi) == 5 * MIB + 1
    assert api("VDI.get_sm_config", vdi) == {}
    assert api("SR.get_physical_utilisation", iso) == used


def test_destroy(api):
    nfs = sr_named(api, "NFS storage")
    before = usage(api, nfs)
    vdi = new_disk(api, nfs, GIB)
    api("VDI.destroy", vdi)
    assert error(api, "VDI.get_record", vdi) == ["HANDLE_INVALID", "VDI", vdi]
    assert usage(api, nfs) == before
    running_disk = disk_of(api, "web-01")
    assert error(api, "VDI.destroy", running_disk) == ["VDI_IN_USE", running_disk, "destroy"]
    assert "destroy" not in api("VDI.get_allowed_operations", running_disk)
    tools_iso = api("VDI.get_by_name_label", "guest-tools.iso")[0]
    assert error(api, "VDI.destroy", tools_iso) == ["SR_OPERATION_NOT_SUPPORTED", api("VDI.get_SR", tools_iso)]


def test_destroying_a_halted_vms_disk_drops_its_vbd(api):
    vm = api.vm("build-01")
    vdi = disk_of(api, "build-01")
    vbd = api("VDI.get_VBDs", vdi)[0]
    api("VDI.destroy", vdi)
    assert error(api, "VBD.get_record", vbd) == ["HANDLE_INVALID", "VBD", vbd]
    assert vbd not in api("VM.get_VBDs", vm)


def test_resize(api):
    nfs = sr_named(api, "NFS storage")
    vdi = new_disk(api, nfs, GIB)
    used, allocated = usage(api, nfs)
    api("VDI.resize", vdi, 2 * GIB)
    assert api("VDI.get_virtual_size", vdi) == 2 * GIB
    grown = storage.vhd_overhead(2 * GIB) - storage.vhd_overhead(GIB)
    assert usage(api, nfs) == (used + grown, allocated + GIB)
    api("VDI.resize", vdi, 2 * GIB)  # the same size: nothing to do
    assert error(api, "VDI.resize", vdi, GIB) == [
        "SR_BACKEND_FAILURE_79", "", "VDI Invalid size [opterr=shrinking not allowed]", ""]
    running_disk = disk_of(api, "web-01")
    assert error(api, "VDI.resize", running_disk, 100 * GIB) == ["VDI_IN_USE", running_disk, "resize"]


def test_resize_on_a_thick_sr_needs_room(api):
    local = local_sr(api)
    vdi = new_disk(api, local, 10 * GIB)
    api("VDI.resize", vdi, 20 * GIB)
    assert api("VDI.get_physical_utilisation", vdi) == 20 * GIB
    free = api("SR.get_physical_size", local) - api("SR.get_physical_utilisation", local)
    assert error(api, "VDI.resize", vdi, 20 * GIB + free + 2 * MIB) == ["SR_FULL", str(free + 2 * MIB), str(free)]
    assert api("VDI.get_virtual_size", vdi) == 20 * GIB


def test_resize_online(world_sim, api):
    """The built-in drivers lack VDI_RESIZE_ONLINE (as LVHD and NFS do); a driver that offers
    it grows a disk that a running VM has attached."""
    nfs = sr_named(api, "NFS storage")
    running_disk = disk_of(api, "web-01")
    assert error(api, "VDI.resize_online", running_disk, 40 * GIB) == ["SR_OPERATION_NOT_SUPPORTED", nfs]
    db = world_sim.world.pools[0].db
    sm = db.find("SM", type="nfs")[0]
    db.update("SM", sm, features=dict(db.get("SM", sm)["features"], VDI_RESIZE_ONLINE=1))
    size = api("VDI.get_virtual_size", running_disk)
    api("VDI.resize_online", running_disk, size + GIB)
    assert api("VDI.get_virtual_size", running_disk) == size + GIB
    assert "resize_online" in api("VDI.get_allowed_operations", running_disk)


def test_snapshot_clone_copy(api):
    nfs, local = sr_named(api, "NFS storage"), local_sr(api)
    vdi = new_disk(api, nfs, 4 * GIB, name="source", other_config={"a": "b"})
    snap = api("VDI.snapshot", vdi, {})
    record = api("VDI.get_record", snap)
    assert record["is_a_snapshot"] is True and record["snapshot_of"] == vdi
    assert record["snapshot_time"] != "19700101T00:00:00Z"
    assert record["name_label"] == "source" and record["other_config"] == {"a": "b"} and record["SR"] == nfs
    assert api("VDI.get_snapshots", vdi) == [snap]
    clone = api("VDI.clone", snap, {})
    clone_record = api("VDI.get_record", clone)
    assert clone_record["is_a_snapshot"] is False and clone_record["snapshot_of"] == NULL
    assert clone_record["virtual_size"] == 4 * GIB
    used = api("SR.get_physical_utilisation", local)
    copy = api("VDI.copy", vdi, local)
    copy_record = api("VDI.get_record", copy)
    assert copy_record["SR"] == local and copy_record["read_only"] is False and copy_record["name_label"] == "source"
    assert api("SR.get_physical_utilisation", local) == used + 4 * GIB
    small = new_disk(api, local, GIB)
    assert error(api, "VDI.copy", vdi, NULL, NULL, small) == ["VDI_TOO_SMALL", small, str(4 * GIB)]
    assert api("VDI.copy", small, NULL, NULL, copy) == copy


def test_snapshot_refusals(api):
    nfs = sr_named(api, "NFS storage")
    shared = new_disk(api, nfs, GIB, sharable=True)
    assert error(api, "VDI.snapshot", shared, {}) == ["VDI_IS_SHARABLE", shared]
    iso = api("VDI.get_by_name_label", "debian-12.5.0-amd64-netinst.iso")[0]
    assert error(api, "VDI.snapshot", iso, {}) == ["SR_OPERATION_NOT_SUPPORTED", api("VDI.get_SR", iso)]
    running_disk = disk_of(api, "web-01")
    assert api("VDI.get_is_a_snapshot", api("VDI.snapshot", running_disk, {})) is True  # a live operation


def test_operations_in_progress(world_sim, api):
    world_sim.world.clock.speed = 1.0  # a 1 GiB copy takes half a second
    nfs = sr_named(api, "NFS storage")
    vdi = new_disk(api, nfs, GIB)
    task = api("Async.VDI.copy", vdi, nfs, NULL, NULL)
    wait_until(lambda: api("VDI.get_current_operations", vdi))
    assert api("VDI.get_current_operations", vdi) == {task: "copy"}
    # the copy reads through a read-only attachment: only live operations and more copies
    assert api("VDI.get_allowed_operations", vdi) == ["clone", "copy"]
    assert error(api, "VDI.destroy", vdi) == ["VDI_IN_USE", vdi, "destroy"]
    assert error(api, "VDI.snapshot", vdi, {}) == [
        "OPERATION_NOT_ALLOWED", "Snapshot operation not allowed during copy."]
    wait_until(lambda: api("task.get_status", task) == "success")
    assert api("VDI.get_current_operations", vdi) == {}
    assert "destroy" in api("VDI.get_allowed_operations", vdi)


def test_setters(api):
    nfs = sr_named(api, "NFS storage")
    vdi = new_disk(api, nfs, GIB)
    api("VDI.set_name_label", vdi, "renamed")
    api("VDI.set_name_description", vdi, "described")
    assert (api("VDI.get_name_label", vdi), api("VDI.get_name_description", vdi)) == ("renamed", "described")
    assert error(api, "VDI.set_sharable", vdi, True) == ["PERMISSION_DENIED", ""]
    assert error(api, "VDI.set_read_only", vdi, True) == ["PERMISSION_DENIED", ""]
    api("VDI.set_on_boot", vdi, "reset")
    assert api("VDI.get_on_boot", vdi) == "reset"
    assert error(api, "VDI.snapshot", vdi, {}) == ["VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION"]
    running = api.vm("web-01")
    assert error(api, "VDI.set_on_boot", disk_of(api, "web-01"), "reset") == [
        "VM_BAD_POWER_STATE", running, "halted", "running"]
    iso = api("VDI.get_by_name_label", "debian-12.5.0-amd64-netinst.iso")[0]
    assert error(api, "VDI.set_on_boot", iso, "reset") == ["SR_OPERATION_NOT_SUPPORTED", api("VDI.get_SR", iso)]


def test_scan_changes_nothing(api):
    nfs = sr_named(api, "NFS storage")
    token = api("event.from", ["SR", "VDI"], "", 0.0)["token"]
    assert api("SR.scan", nfs) is None
    assert api("event.from", ["SR", "VDI"], token, 0.0)["events"] == []
    assert error(api, "SR.scan", "OpaqueRef:nope") == ["HANDLE_INVALID", "SR", "OpaqueRef:nope"]


def test_vm_copy_and_clone_use_their_srs(api):
    local, nfs = local_sr(api), sr_named(api, "NFS storage")
    vm = api.vm("build-01")
    size = api("VDI.get_virtual_size", disk_of(api, "build-01"))
    local_used, nfs_used = api("SR.get_physical_utilisation", local), api("SR.get_physical_utilisation", nfs)
    api("VM.copy", vm, "copied", local)
    assert api("SR.get_physical_utilisation", local) == local_used + size
    api("VM.clone", vm, "cloned")
    assert api("SR.get_physical_utilisation", nfs) == nfs_used + storage.vhd_overhead(size)
    free = api("SR.get_physical_size", local) - api("SR.get_physical_utilisation", local)
    new_disk(api, local, free - size + 2 * MIB)
    assert error(api, "VM.copy", vm, "too-big", local) == [
        "SR_FULL", str(size), str(size - 2 * MIB)]


def test_sr_allowed_operations(api):
    """What the driver offers; no destroy or forget while the SR is plugged (xapi_sr_operations.ml)."""
    nfs = sr_named(api, "NFS storage")
    assert api("SR.get_allowed_operations", nfs) == [
        "scan", "plug", "unplug", "update", "vdi_create", "vdi_destroy", "vdi_resize", "vdi_clone", "vdi_snapshot",
        "vdi_mirror", "vdi_enable_cbt", "vdi_disable_cbt", "vdi_data_destroy", "vdi_list_changed_blocks",
        "vdi_set_on_boot", "pbd_create", "pbd_destroy"]
    tools = api("SR.get_all_where", 'field "is_tools_sr"="true"')[0]
    assert api("SR.get_allowed_operations", tools) == ["scan", "plug", "unplug", "vdi_clone", "pbd_create",
                                                       "pbd_destroy"]
    dvd = sr_named(api, "DVD drives")
    assert "vdi_create" not in api("SR.get_allowed_operations", dvd)
    assert "vdi_introduce" in api("SR.get_allowed_operations", dvd)
