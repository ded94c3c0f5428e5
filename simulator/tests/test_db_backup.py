"""The pool database backup: GET and PUT /pool/xmldbdump as xapi serves them (xapisim/backup_http.py,
dbxml.py, restore.py)."""

import re

import pytest
import requests
import XenAPI
from conftest import JsonRpc, wait_until

from xapisim import dbxml
from xapisim.model import load_model, parse_type

MASTER = "127.0.10.1"


@pytest.fixture
def pool3(served_factory):
    sim = served_factory("pool3", speed=100)
    sim.rpc = JsonRpc(sim)
    sim.session = sim.rpc("session.login_with_password", "root", sim.password, "1.0", "tests")
    return sim


def call(sim, method, *params):
    return sim.rpc(method, sim.session, *params)


def dump(sim, session=None, address=MASTER, **query):
    return requests.get(sim.url(address) + "/pool/xmldbdump", params={"session_id": session or sim.session, **query},
                        verify=sim.ca_path, timeout=60)


def restore(sim, body, dry_run, task=True, session=None):
    """PUT the dump; -> (HTTP answer, the task's record or None)."""
    params = {"session_id": session or sim.session, "dry_run": "true" if dry_run else "false"}
    if task:
        params["task_id"] = call(sim, "task.create", "restore", "")
    answer = requests.put(sim.url(MASTER) + "/pool/xmldbdump", params=params, data=body, verify=sim.ca_path,
                          timeout=60)
    return answer, call(sim, "task.get_record", params["task_id"]) if task else None


def snapshot(sim):
    """What a refused restore must leave as it was."""
    return (sorted(call(sim, "VM.get_all")), sorted(call(sim, "host.get_all")), call(sim, "session.get_uuid", sim.session),
            sorted(call(sim, "PBD.get_all")))


def test_the_dump_is_the_database_with_its_secrets(pool3):
    call(pool3, "secret.create", {"value": "Backup-Secret-1", "other_config": {}})
    answer = dump(pool3)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/xml"
    body = answer.content
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><database><manifest>')
    assert b'<pair key="schema_major_vsn" value="5"/><pair key="schema_minor_vsn" value="780"/>' in body
    assert len(body) > 500_000  # every table: templates, roles, hosts, VMs, ...
    parsed = dbxml.parse(pool3.world.model, body)
    db = pool3.world.pools[0].db
    assert parsed.schema == (5, 780) and int(parsed.manifest["generation_count"]) > 0
    for cls in ("VM", "VBD", "VIF", "VDI", "SR", "PBD", "network", "host", "PIF", "pool", "role"):
        assert parsed.tables[cls] == {ref: dict(record) for ref, record in db.records(cls).items()}, cls
    assert parsed.tables["session"] == {} and parsed.tables["task"] == {}
    assert re.search(rb'<table name="secret"><row [^>]*value="Backup-Secret-1"', body)  # as xapi's dump does
    web = call(pool3, "VM.get_by_name_label", "web-01")[0]
    row = re.search(rb'<row [^>]*ref="%s"[^>]*>' % web.encode(), body).group(0)
    assert b'name_label="web-01"' in row and b"other_config=\"(('" in row  # maps as S-expressions


def test_values_survive_the_round_trip():
    model = load_model()
    for text in ("a b\tc\nd%e", "it's \\ quoted", "", "%."):
        assert dbxml.unprotect(dbxml.protect(text)) == text
    for xtype, value in (("(string -> string) map", {"k y": "v'al\\", "": "x"}), ("string set", ["a", "b c"]),
                         ("int", -5), ("bool", True), ("float", 0.25), ("string set", [])):
        marshalled = dbxml.protect(dbxml.marshal(parse_type(xtype), value))
        assert dbxml.unmarshal(model, parse_type(xtype), dbxml.unprotect(marshalled)) == value


def test_only_a_pool_admin_may_dump_or_restore(pool3):
    assert dump(pool3, session="OpaqueRef:nothing").status_code == 401
    db = pool3.world.pools[0].db
    db.private[pool3.session]["roles"] = {"pool-operator"}
    assert dump(pool3).status_code == 403
    task = call(pool3, "task.create", "dump", "")
    assert dump(pool3, task_id=task).status_code == 403
    record = call(pool3, "task.get_record", task)
    assert record["status"] == "failure" and record["error_info"][:2] == ["RBAC_PERMISSION_DENIED",
                                                                          "http/get_pool_xml_db_sync"]
    answer, record = restore(pool3, b"<database/>", dry_run=True)
    assert answer.status_code == 403 and record["error_info"][1] == "http/put_pool_xml_db_sync"
    db.private[pool3.session]["roles"] = {"pool-admin"}
    assert dump(pool3).status_code == 200
    assert dump(pool3, address="127.0.10.2").status_code == 500  # members do not serve it here


def test_a_dry_run_checks_and_changes_nothing(pool3):
    body = dump(pool3).content
    before = snapshot(pool3)
    answer, record = restore(pool3, body, dry_run=True)
    assert answer.status_code == 200 and record["status"] == "success" and record["result"] == ""
    assert snapshot(pool3) == before
    answer, dummy = restore(pool3, body, dry_run=True, task=False)
    assert answer.status_code == 200


BROKEN = {
    "truncated": (lambda body: body[:len(body) // 2], "INTERNAL_ERROR", "Xmlm.Error("),
    "not xml": (lambda body: b"this is no database", "INTERNAL_ERROR", "Xmlm.Error("),
    "not a database": (lambda body: b"<html><body/></html>", "INTERNAL_ERROR", "Unexpected tag: html"),
    "unknown column": (lambda body: body.replace(b'name_label="web-01"', b'colour="red"', 1), "INTERNAL_ERROR",
                       "Unexpected column in table VM: colour"),
    "no manifest": (lambda body: re.sub(rb"<manifest>.*?</manifest>", b"", body, count=1), "INTERNAL_ERROR",
                    "Not_found"),
    "other schema": (lambda body: body.replace(b'schema_minor_vsn" value="780"', b'schema_minor_vsn" value="909"'),
                     "RESTORE_INCOMPATIBLE_VERSION", None),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_dump_is_refused_and_nothing_changes(pool3, case):
    change, code, text = BROKEN[case]
    body = change(dump(pool3).content)
    before = snapshot(pool3)
    for dry_run in (True, False):
        answer, record = restore(pool3, body, dry_run=dry_run)
        assert answer.status_code == 500 and record["status"] == "failure"
        assert record["error_info"][0] == code and (text is None or text in record["error_info"][1])
        assert (text or code) in answer.text
    answer, dummy = restore(pool3, body, dry_run=False, task=False)
    assert answer.status_code == 500
    assert snapshot(pool3) == before
    assert MASTER in pool3.world.hosts


def _with_pif(body, master, device):
    """The dump with one more physical PIF on the master."""
    row = ('<row __mtime="1" __ctime="1" ref="OpaqueRef:extra-pif" uuid="d7d3f3a4-0000-4000-8000-000000000001" '
           'device="%s" host="%s" physical="true" MAC="02:00:00:00:00:99"/>' % (device, master))
    return body.replace(b'<table name="PIF">', b'<table name="PIF">' + row.encode(), 1)


def _edit_row(body, ref, *changes):
    def edit(match):
        row = match.group(0)
        for old, new in changes:
            row = row.replace(old, new)
        return row

    return re.sub(rb'<row [^>]*ref="%s"[^>]*/>' % ref.encode(), edit, body, count=1)


def test_the_target_must_have_the_backups_nics(pool3):
    body = dump(pool3).content
    master = call(pool3, "pool.get_master", call(pool3, "pool.get_all")[0])
    answer, record = restore(pool3, _with_pif(body, master, "eth7"), dry_run=True)
    assert answer.status_code == 500 and record["error_info"] == ["RESTORE_TARGET_MISSING_DEVICE", "eth7"]
    management = call(pool3, "host.get_management_interface", master)
    bonded = _edit_row(body, management, (b'device="eth0"', b'device="bond0"'), (b'physical="true"', b'physical="false"'))
    answer, record = restore(pool3, bonded, dry_run=True)
    assert record["error_info"][0] == "RESTORE_TARGET_MGMT_IF_NOT_IN_BACKUP" and "bond0" in record["error_info"]
    assert "eth0" not in record["error_info"]


def test_a_restore_reboots_the_host_onto_the_backup(pool3):
    web = call(pool3, "VM.get_by_name_label", "web-01")[0]
    web_uuid = call(pool3, "VM.get_uuid", web)
    macs = sorted(call(pool3, "VIF.get_MAC", vif) for vif in call(pool3, "VM.get_VIFs", web))
    disks = sorted(call(pool3, "VDI.get_uuid", call(pool3, "VBD.get_VDI", vbd)) for vbd in call(pool3, "VM.get_VBDs", web)
                   if not call(pool3, "VBD.get_empty", vbd))
    host = call(pool3, "pool.get_master", call(pool3, "pool.get_all")[0])
    host_uuid = call(pool3, "host.get_uuid", host)
    body = dump(pool3).content
    call(pool3, "VM.set_name_label", web, "changed after the backup")
    old_pool = pool3.world.pools[0]
    answer, record = restore(pool3, body, dry_run=False)
    assert answer.status_code == 200 and record["status"] == "success"
    assert call(pool3, "VM.get_name_label", web) == "changed after the backup"  # the fuse burns first
    wait_until(lambda: MASTER not in pool3.world.hosts, 10)
    with pytest.raises(requests.ConnectionError):
        requests.post(pool3.url(MASTER) + "/jsonrpc", json={"method": "session.get_uuid", "params": [], "id": 1},
                      verify=pool3.ca_path, timeout=5)
    wait_until(lambda: pool3.world.pool_of_host(MASTER)[0] not in (None, old_pool), 10)
    wait_until(lambda: MASTER in pool3.listeners.sockets, 10)
    with pytest.raises(XenAPI.Failure) as failure:
        call(pool3, "session.get_uuid", pool3.session)
    assert failure.value.details[0] == "SESSION_INVALID"
    pool3.session = pool3.rpc("session.login_with_password", "root", pool3.password, "1.0", "tests")
    assert call(pool3, "host.get_all") == [host] and call(pool3, "host.get_uuid", host) == host_uuid
    assert call(pool3, "VM.get_name_label", web) == "web-01" and call(pool3, "VM.get_uuid", web) == web_uuid
    assert call(pool3, "VM.get_power_state", web) == "Halted"
    assert sorted(call(pool3, "VIF.get_MAC", vif) for vif in call(pool3, "VM.get_VIFs", web)) == macs
    assert sorted(call(pool3, "VDI.get_uuid", call(pool3, "VBD.get_VDI", vbd)) for vbd in call(pool3, "VM.get_VBDs", web)
                  if not call(pool3, "VBD.get_empty", vbd)) == disks
    nfs = call(pool3, "SR.get_by_name_label", "NFS storage")[0]
    assert [call(pool3, "PBD.get_currently_attached", pbd) for pbd in call(pool3, "SR.get_PBDs", nfs)] == [True]
    iso = call(pool3, "SR.get_by_name_label", "ISO library")[0]
    assert [call(pool3, "PBD.get_currently_attached", pbd) for pbd in call(pool3, "SR.get_PBDs", iso)] == [False]
    assert "127.0.10.2" not in pool3.world.hosts  # the backup's members are not in the restored pool
    call(pool3, "VM.start", web, False, False)
