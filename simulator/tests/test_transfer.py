"""A disk's raw content over HTTP: PUT /import_raw_vdi and GET /export_raw_vdi, as xapi serves them."""

import os

import pytest
import requests
from conftest import JsonRpc

from xapisim.transfer import MAX_CONTENT

MASTER, MEMBER = "127.0.10.1", "127.0.10.2"


@pytest.fixture
def vdi(rpc):
    """A fresh 1 MiB (as the SR rounds it) disk on the pool's default SR."""
    pool = rpc("pool.get_all", rpc.session)[0]
    sr = rpc("pool.get_default_SR", rpc.session, pool)
    return rpc("VDI.create", rpc.session, {"SR": sr, "name_label": "config drive", "name_description": "",
                                           "virtual_size": 1 << 20, "type": "user", "sharable": False,
                                           "read_only": False, "other_config": {}})


def put(sim, session, vdi, data, address=MASTER, **query):
    params = {"session_id": session, "vdi": vdi, "format": "raw", **query}
    return requests.put(sim.url(address) + "/import_raw_vdi", params=params, data=data, verify=sim.ca_path,
                        timeout=30)


def get(sim, session, vdi, address=MASTER, **query):
    params = {"session_id": session, "vdi": vdi, "format": "raw", **query}
    return requests.get(sim.url(address) + "/export_raw_vdi", params=params, verify=sim.ca_path, timeout=30)


def content(sim, vdi):
    return sim.world.pools[0].db.private.get(vdi, {}).get("content")


def test_round_trip_by_ref_and_by_uuid(served, rpc, vdi):
    data = os.urandom(300 * 1024 + 7)  # over the RPC body limit: this is not an RPC
    answer = put(served, rpc.session, vdi, data)
    assert answer.status_code == 200 and answer.content == b""
    assert content(served, vdi) == data
    assert get(served, rpc.session, vdi).content == data
    uuid = rpc("VDI.get_uuid", rpc.session, vdi)
    assert get(served, rpc.session, uuid).content == data
    assert put(served, rpc.session, uuid, b"new").status_code == 200
    assert get(served, rpc.session, vdi).content == b"new" + data[3:]  # written from byte 0, like a disk


def test_a_disk_never_written_exports_nothing_and_destroy_drops_the_content(served, rpc, vdi):
    answer = get(served, rpc.session, vdi)
    assert answer.status_code == 200 and answer.content == b""
    assert answer.headers["Content-Type"] == "application/octet-stream"
    put(served, rpc.session, vdi, b"abc")
    rpc("VDI.destroy", rpc.session, vdi)
    assert content(served, vdi) is None


def test_a_bad_session_gets_401_and_writes_nothing(served, rpc, vdi):
    put(served, rpc.session, vdi, b"kept")
    other = JsonRpc(served)
    gone = other("session.login_with_password", "root", served.password)
    other("session.logout", gone)
    for session in ("OpaqueRef:nope", gone):
        answer = put(served, session, vdi, b"lost")
        assert answer.status_code == 401 and "session_id" in answer.text
        assert answer.headers["Connection"] == "close"
        assert get(served, session, vdi).status_code == 401
    answer = requests.put(served.url() + "/import_raw_vdi", params={"vdi": vdi}, data=b"x",
                          verify=served.ca_path, timeout=30)
    assert answer.status_code == 401
    assert content(served, vdi) == b"kept"


def test_a_read_only_role_gets_403(served, rpc, vdi):
    served.world.pools[0].db.private[rpc.session]["roles"] = {"read-only"}
    assert put(served, rpc.session, vdi, b"x").status_code == 403
    assert get(served, rpc.session, vdi).status_code == 403
    served.world.pools[0].db.private[rpc.session]["roles"] = {"vm-admin"}
    assert put(served, rpc.session, vdi, b"x").status_code == 200


def test_an_unknown_or_missing_vdi_gets_500(served, rpc):
    for ref in ("OpaqueRef:nope", "not-a-uuid"):
        for answer in (put(served, rpc.session, ref, b"x"), get(served, rpc.session, ref)):
            assert answer.status_code == 500 and "UUID_INVALID" in answer.text and ref in answer.text
    answer = requests.get(served.url() + "/export_raw_vdi", params={"session_id": rpc.session},
                          verify=served.ca_path, timeout=30)
    assert answer.status_code == 500 and "Missing vdi query parameter" in answer.text


def test_too_large_for_the_disk_gets_500_and_the_server_goes_on(served, rpc, vdi):
    size = rpc("VDI.get_virtual_size", rpc.session, vdi)
    put(served, rpc.session, vdi, b"kept")
    http = requests.Session()
    answer = http.put(served.url() + "/import_raw_vdi", params={"session_id": rpc.session, "vdi": vdi},
                      data=bytes(size + 1), verify=served.ca_path, timeout=30)
    assert answer.status_code == 500 and "do not fit" in answer.text
    assert answer.headers["Connection"] == "close"
    assert content(served, vdi) == b"kept"
    assert put(served, rpc.session, vdi, bytes(size)).status_code == 200  # exactly the disk's size fits
    assert rpc("VDI.get_uuid", rpc.session, vdi)


def test_over_the_simulator_cap_gets_500_whatever_the_disk(served, rpc):
    pool = rpc("pool.get_all", rpc.session)[0]
    sr = rpc("pool.get_default_SR", rpc.session, pool)
    big = rpc("VDI.create", rpc.session, {"SR": sr, "name_label": "big", "name_description": "",
                                          "virtual_size": 1 << 30, "type": "user", "sharable": False,
                                          "read_only": False, "other_config": {}})
    answer = put(served, rpc.session, big, bytes(MAX_CONTENT + 1))
    assert answer.status_code == 500 and "keeps %d at most" % MAX_CONTENT in answer.text
    assert content(served, big) is None


def test_a_pool_member_refuses_and_names_the_master(served, rpc, vdi):
    for answer in (put(served, rpc.session, vdi, b"x", MEMBER), get(served, rpc.session, vdi, MEMBER)):
        assert answer.status_code == 500 and "HOST_IS_SLAVE %s" % MASTER in answer.text
    assert content(served, vdi) is None


def test_formats_verbs_and_encodings(served, rpc, vdi):
    assert put(served, rpc.session, vdi, b"x", format="qcow").status_code == 404
    answer = put(served, rpc.session, vdi, b"x", format="vhd")
    assert answer.status_code == 500 and "format=raw only" in answer.text
    params = {"session_id": rpc.session, "vdi": vdi}
    assert requests.get(served.url() + "/import_raw_vdi", params=params, verify=served.ca_path,
                        timeout=30).status_code == 404
    assert requests.put(served.url() + "/export_raw_vdi", params=params, data=b"x", verify=served.ca_path,
                        timeout=30).status_code == 404
    chunked = requests.put(served.url() + "/import_raw_vdi", params=params, data=iter([b"a", b"b"]),
                           verify=served.ca_path, timeout=30)
    assert chunked.status_code == 403 and "cannot handle encoding: chunked" in chunked.text
    assert content(served, vdi) is None


def test_a_task_given_ends_with_the_import(served, rpc, vdi):
    task = rpc("task.create", rpc.session, "import", "")
    answer = put(served, rpc.session, vdi, b"data", task_id=task)
    assert answer.status_code == 200 and answer.headers["Task-ID"] == task
    assert rpc("task.get_status", rpc.session, task) == "success"
    failing = rpc("task.create", rpc.session, "import", "")
    assert put(served, rpc.session, vdi, bytes(1 << 22), task_id=failing).status_code == 500
    assert rpc("task.get_status", rpc.session, failing) == "failure"
    assert "do not fit" in rpc("task.get_error_info", rpc.session, failing)[1]
