"""sr against the simulator (pool3: three hosts, NFS storage, ISO library, local storage per host)."""

import json

from ansible_collections.xapi.xenserver.plugins.modules import sr, sr_info
from xapisim.control import counters, state

READS = ("session.", "event.from")
NFS = {"server": "127.0.100.1", "serverpath": "/export/new"}


def writes(sim):
    return sorted(method for method in counters(sim)["calls"] if not method.startswith(READS) and ".get_" not in method)


def srs_state(sim):
    return json.dumps(state(sim, ["SR", "PBD", "pool", "secret"]), sort_keys=True)


def test_create_nfs_shared_idempotent_check_and_diff(sim, run_module, connection):
    args = dict(connection, name="NFS new", type="nfs", device_config=NFS, description="new storage")
    before = srs_state(sim)
    sim.world.counters.reset()
    checked = run_module(sr, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and checked["sr"] is None
    assert checked["diff"]["before"]["exists"] is False and checked["diff"]["after"]["exists"] is True
    assert checked["diff"]["after"]["shared"] is True and checked["diff"]["after"]["device_config"] == NFS
    assert writes(sim) == [] and srs_state(sim) == before
    created = run_module(sr, dict(args, _ansible_diff=True))
    assert created["changed"], created
    new = created["sr"]
    assert new["name"] == "NFS new" and new["type"] == "nfs" and new["shared"] and new["content_type"] == "user"
    assert new["description"] == "new storage" and not new["default"]
    assert [(h["host"], h["attached"]) for h in new["hosts"]] == [("xs-a1", True), ("xs-a2", True), ("xs-a3", True)]
    assert new["hosts"][1]["device_config"]["serverpath"] == "/export/new"
    shown = run_module(sr_info, dict(connection, name="NFS new"))["srs"]
    assert shown == [new]
    sim.world.counters.reset()
    again = run_module(sr, dict(args, _ansible_diff=True))
    assert not again["changed"] and writes(sim) == [] and again["sr"] == new
    assert again["diff"] == {"before": {}, "after": {}}


def test_default_description_unplug_plug(sim, run_module, connection):
    args = dict(connection, name="NFS new", type="nfs", device_config=NFS)
    assert run_module(sr, args)["changed"]
    before = srs_state(sim)
    checked = run_module(sr, dict(args, default=True, description="d", plugged=False, _ansible_check_mode=True,
                                  _ansible_diff=True))
    assert checked["changed"] and srs_state(sim) == before
    assert checked["diff"] == {"before": {"default": False, "description": "", "plugged": True},
                               "after": {"default": True, "description": "d", "plugged": False}}
    done = run_module(sr, dict(args, default=True, description="d", plugged=False))
    assert done["changed"] and done["sr"]["default"] and done["sr"]["description"] == "d"
    assert [h["attached"] for h in done["sr"]["hosts"]] == [False, False, False]
    old = run_module(sr_info, dict(connection, name="NFS storage"))["srs"][0]
    assert not old["default"]
    sim.world.counters.reset()
    assert not run_module(sr, dict(args, default=True, plugged=False))["changed"] and writes(sim) == []
    plugged = run_module(sr, dict(args, plugged=True))
    assert plugged["changed"] and [h["attached"] for h in plugged["sr"]["hosts"]] == [True, True, True]
    undefault = run_module(sr, dict(args, default=False))
    assert undefault["changed"] and not undefault["sr"]["default"]


def test_local_ext_on_a_host(sim, run_module, connection):
    args = dict(connection, name="SSD", type="ext", host="xs-a2", device_config={"device": "/dev/sdb"})
    local = run_module(sr, args)
    assert local["changed"], local
    assert not local["sr"]["shared"] and [h["host"] for h in local["sr"]["hosts"]] == ["xs-a2"]
    again = run_module(sr, dict(args, shared=True))
    assert not again["changed"] and "shared: the SR 'SSD' exists with shared=False" in json.dumps(again["warnings"])


def test_forget_and_destroy(sim, run_module, connection):
    for name in ("to forget", "to destroy"):
        assert run_module(sr, dict(connection, name=name, type="nfs", device_config=NFS))["changed"]
    refused = run_module(sr, dict(connection, name="to forget", state="absent"))
    assert refused["failed"] and "forget" in refused["msg"] and "destroy" in refused["msg"]
    both = run_module(sr, dict(connection, name="to forget", state="absent", forget=True, destroy=True))
    assert both["failed"] and both["msg"] == refused["msg"].replace("forget=False, destroy=False", "forget=True, destroy=True")
    before = srs_state(sim)
    checked = run_module(sr, dict(connection, name="to forget", state="absent", forget=True, _ansible_check_mode=True,
                                  _ansible_diff=True))
    assert checked["changed"] and checked["diff"]["after"] == {"exists": False, "action": "forget"}
    assert srs_state(sim) == before
    forgotten = run_module(sr, dict(connection, name="to forget", state="absent", forget=True))
    assert forgotten["changed"] and forgotten["sr"] is None, forgotten
    destroyed = run_module(sr, dict(connection, name="to destroy", state="absent", destroy=True))
    assert destroyed["changed"] and destroyed["sr"] is None, destroyed
    assert run_module(sr_info, dict(connection, type="nfs"))["srs"][0]["name"] == "NFS storage"
    assert len(run_module(sr_info, dict(connection, type="nfs"))["srs"]) == 1
    sim.world.counters.reset()
    assert not run_module(sr, dict(connection, name="to destroy", state="absent", destroy=True))["changed"]
    assert writes(sim) == []


def test_destroy_with_disks_is_refused(sim, run_module, connection):
    before = srs_state(sim)
    result = run_module(sr, dict(connection, name="NFS storage", state="absent", destroy=True))
    assert result["failed"] and result["msg"].startswith("destroy: the SR 'NFS storage' still has "), result
    assert "forget=true" in result["msg"] and srs_state(sim) == before
    in_use = run_module(sr, dict(connection, name="NFS storage", plugged=False))
    assert in_use["failed"] and in_use["xapi_error"]["code"] == "VDI_IN_USE"
    assert "in use by a running VM" in in_use["msg"]


def test_missing_server_names_the_key(sim, run_module, connection):
    result = run_module(sr, dict(connection, name="bad", type="nfs", device_config={"serverpath": "/x"}))
    assert result["failed"]
    assert result["msg"] == ("device_config.server is missing: the nfs driver needs server, serverpath; "
                             "device_config has serverpath"), result
    assert "SR.create" not in counters(sim)["calls"]
    iscsi = run_module(sr, dict(connection, name="bad", type="lvmoiscsi", device_config={"target": "127.0.100.3"},
                                _ansible_check_mode=True))
    assert iscsi["failed"] and iscsi["msg"].startswith("device_config.targetIQN is missing: the lvmoiscsi driver"), iscsi
    assert run_module(sr_info, dict(connection, name="bad"))["srs"] == []


def test_type_needed_to_create(sim, run_module, connection):
    result = run_module(sr, dict(connection, name="nothing yet"))
    assert result["failed"] and result["msg"].startswith("type: needed to create")


def test_smb_password_never_in_output(sim, run_module, connection):
    secret = "hunter2-smb"
    config = {"server": "//127.0.100.2/share", "username": "store", "password": secret}
    created = run_module(sr, dict(connection, name="SMB", type="smb", device_config=config, _ansible_diff=True))
    assert created["changed"], created
    assert created["sr"]["hosts"][0]["device_config"]["password_secret"] == "********"
    assert created["diff"]["after"]["device_config"]["password"] == "********"
    assert secret not in json.dumps(created)
    again = run_module(sr, dict(connection, name="SMB", type="smb", device_config=config, _ansible_diff=True))
    assert not again["changed"] and secret not in json.dumps(again)
    failed = run_module(sr, dict(connection, name="SMB bad", type="smb", _ansible_diff=True,
                                 device_config=dict(config, server="//%s/share" % secret)))
    assert failed["failed"] and failed["xapi_error"]["code"] == "SR_BACKEND_FAILURE_111", failed
    assert secret not in json.dumps(failed)
