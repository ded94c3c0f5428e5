"""NFS SRs on the world's NFS servers: SR.probe, SR.introduce, PBD.plug and SR.scan find an SR and its
disks again after its records are gone (xapisim/nfs.py, handlers/nfs_sr.py)."""

import requests
from conftest import error

NFS = {"server": "127.0.100.7", "serverpath": "/export/dr"}


def _master(api):
    return api("pool.get_master", api("pool.get_all")[0])


def _new_sr(api, config=None):
    return api("SR.create", _master(api), config or NFS, 0, "DR storage", "", "nfs", "user", True, {})


def _disk(api, sr, name, size):
    return api("VDI.create", {"SR": sr, "name_label": name, "name_description": "a disk", "virtual_size": size,
                              "type": "user", "sharable": False, "read_only": False, "other_config": {}})


def _forget(api, sr):
    for pbd in api("SR.get_PBDs", sr):
        api("PBD.unplug", pbd)
    api("SR.forget", sr)


def test_probe_lists_the_sr_folders_of_the_export(api):
    sr = _new_sr(api)
    uuid = api("SR.get_uuid", sr)
    probed = api("SR.probe", _master(api), NFS, "nfs", {})
    assert probed == '<?xml version="1.0" ?>\n<SRlist>\n\t<SR>\n\t\t<UUID>%s</UUID>\n\t</SR>\n</SRlist>\n' % uuid
    other = _new_sr(api, {"server": "127.0.100.7", "serverpath": "/export/dr/"})  # the same export
    listed = api("SR.probe", _master(api), NFS, "nfs", {})
    assert listed.count("<UUID>") == 2 and api("SR.get_uuid", other) in listed
    pool3_nfs = api("SR.probe", _master(api), {"server": "127.0.100.1", "serverpath": "/export/vms"}, "nfs", {})
    assert api("SR.get_uuid", api("SR.get_by_name_label", "NFS storage")[0]) in pool3_nfs


def test_probe_errors_are_the_drivers(api):
    host = _master(api)
    assert error(api, "SR.probe", host, {"serverpath": "/x"}, "nfs", {})[0] == "SR_BACKEND_FAILURE_102"
    assert error(api, "SR.probe", host, {"server": "192.0.2.9", "serverpath": "/x"}, "nfs", {})[0] == \
        "SR_BACKEND_FAILURE_108"
    assert error(api, "SR.probe", host, {"server": "127.0.100.7"}, "nfs", {})[0] == "SR_BACKEND_FAILURE_101"
    missing = error(api, "SR.probe", host, {"server": "127.0.100.7", "serverpath": "/nowhere"}, "nfs", {})
    assert missing == ["SR_BACKEND_FAILURE_73", "",
                       "NFS mount error [opterr=mount failed on server `127.0.100.7` with return code 32]", ""]
    assert error(api, "SR.probe", host, NFS, "zfs", {}) == ["SR_UNKNOWN_DRIVER", "zfs"]


def test_introduce_plug_and_scan_bring_the_disks_back(api):
    sr = _new_sr(api)
    uuid = api("SR.get_uuid", sr)
    disks = {api("VDI.get_uuid", _disk(api, sr, name, size)): (name, size)
             for name, size in (("boot", 8 << 30), ("data", 20 << 30))}
    sizes = {uuid_: api("VDI.get_virtual_size", api("VDI.get_by_uuid", uuid_)) for uuid_ in disks}
    gone = _disk(api, sr, "scratch", 1 << 30)
    api("VDI.destroy", gone)
    _forget(api, sr)
    assert error(api, "SR.get_by_uuid", uuid) == ["UUID_INVALID", "SR", uuid]
    assert uuid in api("SR.probe", _master(api), NFS, "nfs", {})
    back = api("SR.introduce", uuid, "DR storage", "", "nfs", "user", True, {})
    assert api("SR.get_VDIs", back) == []
    hosts = api("host.get_all")
    pbds = [api("PBD.create", {"host": host, "SR": back, "device_config": NFS, "other_config": {}}) for host in hosts]
    assert error(api, "SR.scan", back) == ["SR_HAS_NO_PBDS", back]
    for pbd in pbds:
        api("PBD.plug", pbd)
    api("SR.scan", back)
    found = {api("VDI.get_uuid", vdi): vdi for vdi in api("SR.get_VDIs", back)}
    assert set(found) == set(disks)
    for uuid_, (name, dummy) in disks.items():
        record = api("VDI.get_record", found[uuid_])
        assert (record["name_label"], record["virtual_size"], record["location"]) == (name, sizes[uuid_], uuid_)
    api("SR.scan", back)  # a second scan finds nothing new
    assert len(api("SR.get_VDIs", back)) == 2


def test_a_pbd_of_an_sr_not_on_the_export_does_not_plug(api):
    sr = api("SR.introduce", "", "nowhere", "", "nfs", "user", True, {})
    pbd = api("PBD.create", {"host": _master(api), "SR": sr, "device_config": NFS, "other_config": {}})
    assert error(api, "PBD.plug", pbd)[:2] == ["SR_BACKEND_FAILURE_73", ""]
    assert api("PBD.get_currently_attached", pbd) is False


def test_destroy_removes_the_folder_and_forget_keeps_it(api):
    sr = _new_sr(api)
    uuid = api("SR.get_uuid", sr)
    _forget(api, sr)
    assert uuid in api("SR.probe", _master(api), NFS, "nfs", {})
    sr = api("SR.introduce", uuid, "DR storage", "", "nfs", "user", True, {})
    pbd = api("PBD.create", {"host": _master(api), "SR": sr, "device_config": NFS, "other_config": {}})
    api("PBD.plug", pbd)
    api("PBD.unplug", pbd)
    api("SR.destroy", sr)
    assert uuid not in api("SR.probe", _master(api), NFS, "nfs", {})


def test_content_is_on_the_server_and_the_control_api_lists_it(served, rpc):
    session = rpc.session
    host = rpc("pool.get_master", session, rpc("pool.get_all", session)[0])
    sr = rpc("SR.create", session, host, NFS, 0, "DR storage", "", "nfs", "user", True, {})
    vdi = rpc("VDI.create", session, {"SR": sr, "name_label": "seed", "name_description": "", "virtual_size": 1 << 20,
                                      "type": "user", "sharable": False, "read_only": False, "other_config": {}})
    params = {"session_id": session, "vdi": vdi, "format": "raw"}
    url = served.url("127.0.10.1")
    assert requests.put(url + "/import_raw_vdi", params=params, data=b"cloud-config", verify=served.ca_path,
                        timeout=30).status_code == 200
    uuid, sr_uuid = rpc("VDI.get_uuid", session, vdi), rpc("SR.get_uuid", session, sr)
    for pbd in rpc("SR.get_PBDs", session, sr):
        rpc("PBD.unplug", session, pbd)
    rpc("SR.forget", session, sr)
    exports = requests.get(served.url(served.control_address) + "/_sim/nfs", verify=served.ca_path, timeout=10).json()
    export = next(e for e in exports if (e["server"], e["serverpath"]) == ("127.0.100.7", "/export/dr"))
    assert export["srs"][sr_uuid] == [{"uuid": uuid, "name_label": "seed", "virtual_size": 2 << 20,
                                       "content_bytes": len(b"cloud-config")}]
    back = rpc("SR.introduce", session, sr_uuid, "again", "", "nfs", "user", True, {})
    pbd = rpc("PBD.create", session, {"host": host, "SR": back, "device_config": NFS, "other_config": {}})
    rpc("PBD.plug", session, pbd)
    rpc("SR.scan", session, back)
    again = rpc("VDI.get_by_uuid", session, uuid)
    answer = requests.get(url + "/export_raw_vdi", params=dict(params, vdi=again), verify=served.ca_path, timeout=30)
    assert answer.content == b"cloud-config"
