"""SR.create per driver, introduce, forget, destroy and PBDs [xenapi-notes §3.7; xen-api
ocaml/xapi/xapi_sr.ml, xapi_pbd.ml, xapi_sr_operations.ml; SM libs/sm/drivers/NFSSR.py,
SMBSR.py, ISOSR.py, LVHDoISCSISR.py, BaseISCSI.py, SR.py deviceCheck, core/XE_SR_ERRORCODES.xml]."""

import pytest
from conftest import error

NFS = {"server": "127.0.100.1", "serverpath": "/export/new", "nfsversion": "4.1"}


def master(api):
    return api("pool.get_master", api("pool.get_all")[0])


def create(api, config, sr_type="nfs", shared=True, name="new SR", content_type="user", host=None):
    return api("SR.create", host or master(api), config, 0, name, "", sr_type, content_type, shared, {})


def backend(number, reason):
    return ["SR_BACKEND_FAILURE_%d" % number, "", reason, ""]


def test_shared_nfs_gets_a_plugged_pbd_on_every_host(api):
    before = len(api("SR.get_all"))
    sr = create(api, NFS)
    record = api("SR.get_record", sr)
    assert (record["type"], record["shared"], record["content_type"]) == ("nfs", True, "user")
    assert record["physical_size"] > 0 and record["physical_utilisation"] == 0 and record["virtual_allocation"] == 0
    pbds = [api("PBD.get_record", pbd) for pbd in record["PBDs"]]
    assert sorted(p["host"] for p in pbds) == sorted(api("host.get_all"))
    assert all(p["currently_attached"] and p["device_config"] == NFS for p in pbds)
    assert len(api("SR.get_all")) == before + 1
    assert "vdi_create" in record["allowed_operations"] and "destroy" not in record["allowed_operations"]


@pytest.mark.parametrize("config, expected", [
    ({"serverpath": "/x"}, backend(102, "The request is missing the server parameter")),
    ({"server": "127.0.100.1"}, backend(101, "The request is missing the serverpath parameter")),
    ({"server": "192.0.2.10", "serverpath": "/x"}, backend(108, "Unable to detect an NFS service on this target.")),
    ({"server": "nfs.example.com", "serverpath": "/x"}, backend(140, "Incorrect DNS name, unable to resolve.")),
])
def test_nfs_device_config_errors_leave_nothing_behind(api, config, expected):
    srs, pbds = len(api("SR.get_all")), len(api("PBD.get_all"))
    assert error(create, api, config) == expected
    assert (len(api("SR.get_all")), len(api("PBD.get_all"))) == (srs, pbds)


def test_other_drivers_check_their_keys(api):
    assert error(create, api, {}, "iso", True, "iso SR", "iso") == backend(94, "The request is missing the location parameter")
    assert error(create, api, {"location": "no-colon", "type": "nfs_iso"}, "iso")[0] == "SR_BACKEND_FAILURE_225"
    assert error(create, api, {"location": "192.0.2.1:/iso", "type": "nfs_iso"}, "iso")[0] == "SR_BACKEND_FAILURE_108"
    assert error(create, api, {"location": "//192.0.2.1/iso", "type": "cifs"}, "iso")[0] == "SR_BACKEND_FAILURE_222"
    iso = create(api, {"location": "//127.0.100.1/iso", "type": "cifs", "username": "u", "cifspassword": "pw"}, "iso")
    assert api("SR.get_type", iso) == "iso"
    assert error(create, api, {"targetIQN": "iqn.x"}, "lvmoiscsi") == backend(95, "The request is missing the target parameter")
    assert error(create, api, {"target": "127.0.100.2"}, "lvmoiscsi")[0] == "SR_BACKEND_FAILURE_96"
    assert error(create, api, {"target": "198.51.100.1", "targetIQN": "iqn.x", "SCSIid": "36"},
                 "lvmoiscsi") == backend(141, "Unable to connect to ISCSI service on target")
    assert error(create, api, {"target": "127.0.100.2", "targetIQN": "iqn.x"}, "lvmoiscsi")[0] == "SR_BACKEND_FAILURE_107"
    lun = create(api, {"target": "127.0.100.2", "targetIQN": "iqn.x", "SCSIid": "36001"}, "lvmoiscsi")
    assert api("SR.get_sm_config", lun)["allocation"] == "thick"
    assert error(create, api, {}, "lvm", False) == backend(90, "The request is missing the device parameter")
    assert error(create, api, {}, "ext", False)[0] == "SR_BACKEND_FAILURE_90"
    assert error(create, api, {"device": "/dev/sdb"}, "zfs") == ["SR_UNKNOWN_DRIVER", "zfs"]
    local = create(api, {"device": "/dev/sdb"}, "ext", shared=False)
    assert [api("PBD.get_host", pbd) for pbd in api("SR.get_PBDs", local)] == [master(api)]


def test_smb_password_becomes_a_secret_and_is_never_echoed(api):
    failure = error(create, api, {"server": "//192.0.2.7/share", "username": "u", "password": "hunter2"}, "smb")
    assert failure[0] == "SR_BACKEND_FAILURE_111" and "hunter2" not in " ".join(failure)
    assert error(create, api, {"username": "u", "password": "hunter2"}, "smb")[0] == "SR_BACKEND_FAILURE_102"
    sr = create(api, {"server": "//127.0.100.3/share", "username": "u", "password": "hunter2"}, "smb")
    configs = [api("PBD.get_device_config", pbd) for pbd in api("SR.get_PBDs", sr)]
    assert all("password" not in config and "password_secret" in config for config in configs)
    assert len({config["password_secret"] for config in configs}) == 3
    assert api("secret.get_value", api("secret.get_by_uuid", configs[0]["password_secret"])) == "hunter2"


def test_forget_and_destroy_rules(api):
    sr = create(api, NFS)
    pbds = api("SR.get_PBDs", sr)
    assert error(api, "SR.forget", sr) == ["SR_HAS_PBD", sr]
    assert error(api, "SR.destroy", sr) == ["SR_HAS_PBD", sr]
    assert error(api, "PBD.destroy", pbds[0]) == ["OPERATION_NOT_ALLOWED", "PBD is currently attached"]
    disk = api("VDI.create", {"name_label": "d", "name_description": "", "SR": sr, "virtual_size": 2 ** 30,
                              "type": "user", "sharable": False, "read_only": False, "other_config": {}})
    for pbd in pbds:
        api("PBD.unplug", pbd)
    assert error(api, "SR.destroy", sr) == ["SR_NOT_EMPTY"]
    api("PBD.plug", pbds[0])
    api("VDI.destroy", disk)
    api("PBD.unplug", pbds[0])
    api("SR.destroy", sr)
    assert error(api, "SR.get_record", sr)[0] == "HANDLE_INVALID"
    assert all(error(api, "PBD.get_record", pbd)[0] == "HANDLE_INVALID" for pbd in pbds)


def test_forget_keeps_nothing_and_introduce_brings_it_back(api):
    sr = create(api, NFS, name="to forget")
    uuid = api("SR.get_uuid", sr)
    for pbd in api("SR.get_PBDs", sr):
        api("PBD.unplug", pbd)
    api("SR.forget", sr)
    assert error(api, "SR.get_by_uuid", uuid) == ["UUID_INVALID", "SR", uuid]
    back = api("SR.introduce", uuid, "again", "", "nfs", "user", True, {})
    assert api("SR.get_physical_size", back) == -1
    assert error(api, "SR.introduce", uuid, "again", "", "nfs", "user", True, {}) == ["SR_UUID_EXISTS", uuid]
    pbd = api("PBD.create", {"host": master(api), "SR": back, "device_config": NFS, "other_config": {}})
    assert api("PBD.get_currently_attached", pbd) is False
    assert error(api, "PBD.create", {"host": master(api), "SR": back, "device_config": NFS, "other_config": {}}) == \
        ["PBD_EXISTS", back, master(api), pbd]
    api("PBD.plug", pbd)
    assert api("SR.get_physical_size", back) > 0 and api("SR.get_physical_utilisation", back) == 0
    bad = api("PBD.create", {"host": api("host.get_all")[1] if api("host.get_all")[0] == master(api)
                             else api("host.get_all")[0], "SR": back,
                             "device_config": {"server": "192.0.2.1", "serverpath": "/x"}, "other_config": {}})
    assert error(api, "PBD.plug", bad)[0] == "SR_BACKEND_FAILURE_108"
    api("PBD.destroy", bad)


def test_unplug_with_disks_in_use_and_local_sr_not_empty(api):
    shared = api("SR.get_by_name_label", "NFS storage")[0]
    vm = api.vm("web-01")
    host = api("VM.get_resident_on", vm)
    pbd = [p for p in api("SR.get_PBDs", shared) if api("PBD.get_host", p) == host][0]
    failure = error(api, "PBD.unplug", pbd)
    assert failure[0] == "VDI_IN_USE" and len(failure) >= 2
    assert all(api("VDI.get_SR", vdi) == shared for vdi in failure[1:])
    assert error(api, "SR.set_shared", shared, False)[0] == "SR_HAS_MULTIPLE_PBDS"
    api("SR.set_name_label", shared, "NFS renamed")
    assert api("SR.get_name_label", shared) == "NFS renamed"
    assert "nfs" in api("SR.get_supported_types")
