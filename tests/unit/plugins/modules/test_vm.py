"""The vm module against the simulator; what it makes is checked with the official XenAPI SDK."""

import io
import ssl
import xmlrpc.client

import pycdlib
import XenAPI

from ansible_collections.xapi.xenserver.plugins.modules import vm
from xapisim.control import counters

MASTER = "127.0.10.1"
GIB = 1024 ** 3
READS = ("session.", "event.from")


def writes(sim):
    return sorted(method for method in counters(sim)["calls"]
                  if not method.startswith(READS) and ".get_" not in method)


def sdk(sim):
    context = ssl.create_default_context(cafile=sim.ca_path)
    session = XenAPI.Session(sim.url(MASTER), transport=xmlrpc.client.SafeTransport(context=context))
    session.xenapi.login_with_password("root", sim.password)
    return session


def test_create_from_template_looks_right_to_the_sdk(sim, run_module, connection):
    result = run_module(vm, dict(connection, name="made", template="Rocky Linux 9", sr="NFS storage",
                                 vcpus=2, memory="4GiB", description="made by a test",
                                 networks=[{"network": "Pool-wide network associated with eth1"}]))
    assert result["changed"] and result["vm"]["power_state"] == "halted"
    session = sdk(sim)
    try:
        ref = session.xenapi.VM.get_by_name_label("made")[0]
        record = session.xenapi.VM.get_record(ref)
        assert not record["is_a_template"] and record["name_description"] == "made by a test"
        assert record["VCPUs_at_startup"] == "2" and record["memory_static_max"] == str(4 * GIB)
        assert record["other_config"]["base_template_name"] == "Rocky Linux 9"
        assert "disks" not in record["other_config"]
        vbd = session.xenapi.VBD.get_record(record["VBDs"][0])
        vdi = session.xenapi.VDI.get_record(vbd["VDI"])
        assert session.xenapi.SR.get_name_label(vdi["SR"]) == "NFS storage"
        vif = session.xenapi.VIF.get_record(record["VIFs"][0])
        assert session.xenapi.network.get_name_label(vif["network"]) == "Pool-wide network associated with eth1"
        assert vif["device"] == "0"
    finally:
        session.xenapi.session.logout()
    assert counters(sim)["open_sessions"] == 0


def test_check_mode_create_writes_nothing(sim, run_module, connection):
    sim.world.counters.reset()
    result = run_module(vm, dict(connection, name="dry", template="Debian Bookworm 12", _ansible_check_mode=True,
                                 _ansible_diff=True))
    assert result["changed"] and result["vm"] is None
    assert result["diff"]["after"] == {"exists": True, "template": "Debian Bookworm 12"}
    assert writes(sim) == []


def test_second_run_changes_nothing_and_writes_nothing(sim, run_module, connection):
    args = dict(connection, name="web-01", vcpus=2, memory="2GiB", tags=["web"], state="running")
    sim.world.counters.reset()
    result = run_module(vm, args)
    assert not result["changed"] and writes(sim) == []
    assert counters(sim)["total_calls"] <= 9  # login at a member is redirected: one call more


def test_full_copy_to_an_sr(sim, run_module, connection):
    result = run_module(vm, dict(connection, name="copied", template="build-01", clone=False, sr="NFS storage"))
    assert result["changed"]
    assert [d["sr"] for d in result["vm"]["disks"]] == ["NFS storage"]


def test_ambiguous_name_lists_the_uuids(sim, run_module, connection):
    session = sim.call(MASTER, "session.login_with_password", "root", sim.password)
    template = sim.call(MASTER, "VM.get_by_name_label", session, "Debian Bookworm 12")[0]
    uuids = []
    for dummy in range(2):
        clone = sim.call(MASTER, "VM.clone", session, template, "twin")
        sim.call(MASTER, "VM.set_is_a_template", session, clone, False)
        uuids.append(sim.call(MASTER, "VM.get_uuid", session, clone))
    result = run_module(vm, dict(connection, name="twin", state="running"))
    assert result["failed"]
    assert result["msg"] == "2 VMs are named 'twin' (uuids %s, %s): give the uuid instead" % tuple(sorted(uuids))


def test_vcpus_down_and_firmware_on_a_halted_vm(sim, run_module, connection):
    session = sim.call(MASTER, "session.login_with_password", "root", sim.password)
    ref = sim.call(MASTER, "VM.get_by_name_label", session, "build-01")[0]
    sim.call(MASTER, "VM.set_HVM_boot_params", session, ref, {"order": "cdn", "firmware": "bios"})
    result = run_module(vm, dict(connection, name="build-01", vcpus_max=1, vcpus=1, firmware="uefi",
                                 secure_boot=True, _ansible_diff=True))
    assert result["changed"]
    assert result["vm"]["vcpus"] == {"max": 1, "at_startup": 1}
    assert result["vm"]["firmware"] == "uefi" and result["vm"]["secure_boot"]
    assert (result["diff"]["before"]["firmware"], result["diff"]["after"]["firmware"]) == ("bios", "uefi")
    assert sim.call(MASTER, "VM.get_HVM_boot_params", session, ref) == {"order": "cdn", "firmware": "uefi"}


def test_bad_input_is_refused_before_any_write(sim, run_module, connection):
    sim.world.counters.reset()
    cases = [
        (dict(name="web-01", memory="2GiB", memory_min="3GiB"), "memory_min: 3GiB is more than memory 2GiB"),
        (dict(name="web-01", vcpus=4, vcpus_max=2), "vcpus: 4 is more than vcpus_max 2"),
        (dict(name="build-01", state="suspended"), "state: a halted VM cannot become suspended directly"),
        (dict(name="nothing-here"), "template: needed to create VM nothing-here, which does not exist"),
        (dict(name="web-01", memory="lots"), "memory: 'lots' is not a size (use bytes, or a unit: 10GiB, 512MiB)"),
    ]
    for args, message in cases:
        result = run_module(vm, dict(connection, **args))
        assert result["failed"] and result["msg"] == message, result
    assert writes(sim) == []


def test_keep_disks(sim, run_module, connection):
    before = len(sim.world.pools[0].db.tables["VDI"])
    result = run_module(vm, dict(connection, name="build-01", state="absent", keep_disks=True))
    assert result["changed"] and result["vm"] is None
    assert len(sim.world.pools[0].db.tables["VDI"]) == before


def test_cloud_init_config_drive(sim, run_module, connection):
    args = dict(connection, name="build-01", cloud_init={"user_data": "#cloud-config\nhostname: b1\n"})
    first = run_module(vm, args)
    assert first["changed"] and first["vm"]["cloud_init"] is True
    assert "cloud-init config drive" not in [disk["name"] for disk in first["vm"]["disks"]]
    db = sim.world.pools[0].db
    drives = [ref for ref, record in db.tables["VDI"].items() if record["other_config"].get("config-drive") == "true"]
    assert len(drives) == 1
    image = pycdlib.PyCdlib()
    image.open_fp(io.BytesIO(db.private[drives[0]]["content"]))
    user_data = io.BytesIO()
    image.get_file_from_iso_fp(user_data, joliet_path="/user-data")
    assert user_data.getvalue() == b"#cloud-config\nhostname: b1\n"
    assert image.pvd.volume_identifier.strip() == b"cidata"
    image.close()
    sim.world.counters.reset()
    second = run_module(vm, args)
    assert not second["changed"] and writes(sim) == []
    third = run_module(vm, dict(args, cloud_init={"user_data": "#cloud-config\nhostname: b2\n"}))
    assert third["changed"]
    drives_after = [ref for ref, record in db.tables["VDI"].items() if record["other_config"].get("config-drive") == "true"]
    assert len(drives_after) == 1 and drives_after != drives


def test_create_from_a_snapshot(sim, run_module, connection):
    session = sim.call(MASTER, "session.login_with_password", "root", sim.password)
    source = sim.call(MASTER, "VM.get_by_name_label", session, "build-01")[0]
    snapshot = sim.call(MASTER, "VM.snapshot", session, source, "build-01 before")
    assert sim.call(MASTER, "VM.get_is_a_template", session, snapshot)
    result = run_module(vm, dict(connection, name="from-snapshot",
                                 template=sim.call(MASTER, "VM.get_uuid", session, snapshot)))
    assert result["changed"] and not result["vm"]["is_template"] and not result["vm"]["is_snapshot"]
    assert result["vm"]["power_state"] == "halted" and len(result["vm"]["disks"]) == 1


def test_ha_affinity_mac_and_cd(sim, run_module, connection):
    args = dict(connection, name="build-01", ha_restart_priority="restart", affinity="xs-a2",
                networks=[{"network": "Pool-wide network associated with eth1", "mac": "02:16:3e:aa:bb:cc"}],
                cdrom={"iso": "Rocky-9.4-x86_64-minimal.iso"}, _ansible_diff=True)
    result = run_module(vm, args)
    assert result["changed"], result
    view = result["vm"]
    assert view["ha_restart_priority"] == "restart"
    assert view["networks"] == [{"device": "0", "mac": "02:16:3e:aa:bb:cc", "network": "Pool-wide network associated with eth1",
                                 "ip": None, "ipv6": None}]
    assert view["cdrom"]["iso"] == "Rocky-9.4-x86_64-minimal.iso"
    assert result["diff"]["after"]["affinity"] == "xs-a2"
    session = sim.call(MASTER, "session.login_with_password", "root", sim.password)
    ref = sim.call(MASTER, "VM.get_by_name_label", session, "build-01")[0]
    assert sim.call(MASTER, "host.get_name_label", session, sim.call(MASTER, "VM.get_affinity", session, ref)) == "xs-a2"
    sim.world.counters.reset()
    assert not run_module(vm, args)["changed"] and writes(sim) == []
    ejected = run_module(vm, dict(connection, name="build-01", cdrom={"iso": ""}))
    assert ejected["changed"] and ejected["vm"]["cdrom"] == {"iso": None, "uuid": None}
