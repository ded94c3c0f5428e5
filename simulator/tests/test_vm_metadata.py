"""VM metadata: GET /export_metadata and PUT /import_metadata as xapi serves them, onto another pool
that sees the same NFS SR (xapisim/metadata_http.py, vm_metadata.py, vm_import.py)."""

import io
import tarfile
import xmlrpc.client

import pytest
import requests
from conftest import JsonRpc

A, B = "127.0.10.1", "127.0.11.1"


class Pool:
    def __init__(self, sim, address):
        self.sim, self.address = sim, address
        self.rpc = JsonRpc(sim, address)
        self.session = self.rpc("session.login_with_password", "root", sim.password, "1.0", "tests")

    def __call__(self, method, *params):
        return self.rpc(method, self.session, *params)

    def url(self, path):
        return self.sim.url(self.address) + path

    def export(self, uuid, **query):
        return requests.get(self.url("/export_metadata"), params={"session_id": self.session, "uuid": uuid, **query},
                            verify=self.sim.ca_path, timeout=30)

    def import_(self, body, **query):
        """-> (HTTP answer, the task's record)."""
        task = self("task.create", "import", "")
        params = {"session_id": self.session, "task_id": task, **{k: str(v).lower() for k, v in query.items()}}
        answer = requests.put(self.url("/import_metadata"), params=params, data=body, verify=self.sim.ca_path,
                              timeout=30)
        return answer, self("task.get_record", task)


@pytest.fixture
def pools(served_factory):
    sim = served_factory("twopools", speed=500)
    return Pool(sim, A), Pool(sim, B)


def _vm(pool):
    vm = pool("VM.get_by_name_label", "app-01")[0]
    vifs = pool("VM.get_VIFs", vm)
    disks = [pool("VBD.get_VDI", vbd) for vbd in pool("VM.get_VBDs", vm) if not pool("VBD.get_empty", vbd)]
    return {"uuid": pool("VM.get_uuid", vm), "macs": sorted(pool("VIF.get_MAC", vif) for vif in vifs),
            "vifs": sorted(pool("VIF.get_uuid", vif) for vif in vifs),
            "disks": sorted(pool("VDI.get_uuid", vdi) for vdi in disks)}


def _attach_sr_of(source, target):
    """The target pool finds the source's NFS SR: probe, introduce, a PBD per host, plug, scan."""
    sr = source("SR.get_by_name_label", "NFS storage A")[0]
    config = dict(source("PBD.get_device_config", source("SR.get_PBDs", sr)[0]))
    hosts = target("host.get_all")
    uuid = source("SR.get_uuid", sr)
    assert uuid in target("SR.probe", hosts[0], config, "nfs", {})
    back = target("SR.introduce", uuid, "NFS storage A", "", "nfs", "user", True, {})
    for host in hosts:
        target("PBD.plug", target("PBD.create", {"host": host, "SR": back, "device_config": config, "other_config": {}}))
    return back


def _ova(body):
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert tar.getnames() == ["ova.xml"]
        xml = tar.extractfile("ova.xml").read()
    wrapped = b"<methodResponse><params><param>%s</param></params></methodResponse>" % xml
    return xmlrpc.client.loads(wrapped)[0][0]


def test_export_is_a_tar_of_ova_xml(pools):
    a, dummy = pools
    app = _vm(a)
    answer = a.export(app["uuid"])
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/octet-stream"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="export.xva"'
    header = _ova(answer.content)
    assert header["version"]["xapi_major"] == 24 and header["version"]["export_vsn"] == 2
    classes = [obj["class"] for obj in header["objects"]]
    assert {"VM", "VBD", "VIF", "network", "VDI", "SR", "VM_metrics", "host"} <= set(classes)
    vm = next(obj for obj in header["objects"] if obj["class"] == "VM")
    assert vm["snapshot"]["uuid"] == app["uuid"] and vm["id"].startswith("Ref:")
    vdis = {obj["snapshot"]["uuid"] for obj in header["objects"] if obj["class"] == "VDI"}
    assert set(app["disks"]) <= vdis
    srs = {obj["id"]: obj["snapshot"] for obj in header["objects"] if obj["class"] == "SR"}
    for obj in header["objects"]:
        if obj["class"] == "VDI":
            assert obj["snapshot"]["SR"] in srs and obj["snapshot"]["VBDs"]
        if obj["class"] == "SR":
            assert obj["snapshot"]["PBDs"] == []
    macs = sorted(obj["snapshot"]["MAC"] for obj in header["objects"] if obj["class"] == "VIF")
    assert macs == app["macs"]
    vif = next(obj["snapshot"] for obj in header["objects"] if obj["class"] == "VIF")
    network = next(obj["snapshot"] for obj in header["objects"] if obj["id"] == vif["network"])
    assert network["bridge"].startswith("xenbr") and network["PIFs"] == []


def test_export_refusals(pools):
    a, dummy = pools
    task = a("task.create", "export", "")
    answer = a.export("00000000-0000-0000-0000-000000000000", task_id=task)
    assert answer.status_code == 500
    assert a("task.get_record", task)["error_info"] == ["UUID_INVALID", "VM", "00000000-0000-0000-0000-000000000000"]
    assert requests.get(a.url("/export_metadata"), params={"session_id": "OpaqueRef:x", "uuid": "x"},
                        verify=a.sim.ca_path, timeout=30).status_code == 401
    a.sim.world.pools[0].db.private[a.session]["roles"] = {"read-only"}
    assert a.export(_vm(a)["uuid"]).status_code == 403


def test_restore_onto_another_pool_keeps_uuids_and_macs(pools):
    a, b = pools
    app = _vm(a)
    body = a.export(app["uuid"]).content
    answer, task = b.import_(body, restore=True)
    assert answer.status_code == 500 and task["error_info"] == ["VDI_CONTENT_ID_MISSING"]  # no such SR in pool B
    sr = _attach_sr_of(a, b)
    answer, task = b.import_(body, restore=True)
    assert task["error_info"][0] == "VDI_LOCATION_MISSING" and task["error_info"][1] == sr  # not scanned yet
    b("SR.scan", sr)
    vms_before = sorted(b("VM.get_all"))
    answer, task = b.import_(body, restore=True, dry_run=True)
    assert answer.status_code == 200 and task["status"] == "success"
    assert sorted(b("VM.get_all")) == vms_before
    answer, task = b.import_(body, restore=True)
    assert answer.status_code == 200 and task["status"] == "success"
    refs = xmlrpc.client.loads(b"<methodResponse><params><param>%s</param></params></methodResponse>"
                               % task["result"].encode())[0][0]
    assert task["result"] == "<value><array><data><value>%s</value></data></array></value>" % refs[0]
    vm = refs[0]
    assert b("VM.get_uuid", vm) == app["uuid"] and b("VM.get_power_state", vm) == "Halted"
    assert _vm(b) == app
    assert b("VM.get_version", vm) == 1
    for vbd in b("VM.get_VBDs", vm):
        if not b("VBD.get_empty", vbd):
            assert b("VDI.get_SR", b("VBD.get_VDI", vbd)) == sr
    assert b("VIF.get_network", b("VM.get_VIFs", vm)[0]) in b("network.get_all")
    answer, task = b.import_(body, restore=True)  # the VM there is as new as the export
    assert task["error_info"] == ["VM_TO_IMPORT_IS_NOT_NEWER_VERSION", vm, "1", "0"]
    answer, task = b.import_(body, restore=True, force=True)  # forced: replaced
    assert task["status"] == "success" and b("VM.get_by_uuid", app["uuid"]) != vm
    b("VM.start", b("VM.get_by_uuid", app["uuid"]), False, False)


def test_restore_over_a_running_vm_and_a_plain_import(pools):
    a, dummy = pools
    app = _vm(a)
    body = a.export(app["uuid"]).content
    running = a("VM.get_by_uuid", app["uuid"])
    answer, task = a.import_(body, restore=True)
    assert task["error_info"] == ["VM_BAD_POWER_STATE", running, "halted", "running"]
    answer, task = a.import_(body, restore=True, force=True)
    assert task["status"] == "success" and task["result"] == "<value><array><data></data></array></value>"
    dummy, task = a.import_(body)
    copy = xmlrpc.client.loads(b"<methodResponse><params><param>%s</param></params></methodResponse>"
                               % task["result"].encode())[0][0][0]
    assert a("VM.get_uuid", copy) != app["uuid"] and a("VM.get_version", copy) == 0
    macs = sorted(a("VIF.get_MAC", vif) for vif in a("VM.get_VIFs", copy))
    assert macs and not set(macs) & set(app["macs"])
    assert a("VM.get_other_config", copy)["mac_seed"] != a("VM.get_other_config", running)["mac_seed"]
    disks = sorted(a("VDI.get_uuid", a("VBD.get_VDI", vbd)) for vbd in a("VM.get_VBDs", copy)
                   if not a("VBD.get_empty", vbd))
    assert disks == app["disks"]


def _tar(name, data):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_broken_archives_are_refused_and_change_nothing(pools):
    a, dummy = pools
    body = a.export(_vm(a)["uuid"]).content
    before = sorted(a("VM.get_all"))
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        xml_size = tar.getmember("ova.xml").size
    cases = [(body[:300], ["IMPORT_ERROR_PREMATURE_EOF"]), (body[:512 + xml_size // 2], ["IMPORT_ERROR_PREMATURE_EOF"]),
             (b"x" * 2048, None), (_tar("Ref:1/00000000", b"data"), ["IMPORT_ERROR_UNEXPECTED_FILE", "ova.xml",
                                                                     "Ref:1/00000000"]),
             (_tar("ova.xml", b"<value><struct></struct>"), None)]
    for data, expected in cases:
        answer, task = a.import_(data, restore=True)
        assert answer.status_code == 500 and task["status"] == "failure"
        assert task["error_info"] == expected if expected else task["error_info"][0] == "IMPORT_ERROR"
    assert sorted(a("VM.get_all")) == before
