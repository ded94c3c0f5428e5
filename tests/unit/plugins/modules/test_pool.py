"""pool and pool_member against the simulator."""

from ansible_collections.xapi.xenserver.plugins.modules import pool
from xapisim.control import counters

READS = ("session.", "event.from")


def writes(sim):
    return sorted(method for method in counters(sim)["calls"] if not method.startswith(READS) and ".get_" not in method)


def test_pool_settings_idempotent_check_and_diff(sim, run_module, connection):
    args = dict(connection, name="production", description="the main pool", default_sr="NFS storage",
                suspend_image_sr="NFS storage", other_config={"owner": "ops"}, tags=["prod"])
    checked = run_module(pool, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and checked["diff"]["after"]["name"] == "production"
    assert checked["pool"]["name"] == "pool-a"
    assert writes(sim) == []
    done = run_module(pool, dict(args, _ansible_diff=True))
    assert done["changed"]
    assert done["pool"]["name"] == "production" and done["pool"]["description"] == "the main pool"
    assert done["pool"]["default_sr"] == "NFS storage" and done["pool"]["other_config"]["owner"] == "ops"
    assert done["pool"]["tags"] == ["prod"]
    assert done["diff"]["before"]["name"] == "pool-a"
    sim.world.counters.reset()
    again = run_module(pool, args)
    assert not again["changed"] and writes(sim) == []


def test_pool_unknown_sr(sim, run_module, connection):
    result = run_module(pool, dict(connection, default_sr="NFS storag"))
    assert result["failed"] and result["msg"].startswith(
        "default_sr: no storage repository named 'NFS storag'; close names: 'NFS storage'")
    unknown_host = run_module(pool, dict(connection, master="xs-a9"))
    assert unknown_host["failed"] and unknown_host["msg"].startswith("master: no host named 'xs-a9'"), unknown_host


def test_join_eject_and_master_change(sim_factory, run_module):
    from ansible_collections.xapi.xenserver.plugins.modules import host_info, pool_member

    sim = sim_factory("hosts3", speed=200)
    master = {"hostname": sim.url("127.0.10.1"), "password": sim.password, "ca_path": sim.ca_path}
    join = dict(master, host="127.0.10.2", host_password=sim.password)
    checked = run_module(pool_member, dict(join, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and checked["diff"]["after"]["hosts"] == ["xs1", "xs2"]
    joined = run_module(pool_member, join)
    assert joined["changed"], joined
    assert joined["host"]["name"] == "xs2" and joined["host"]["enabled"]
    again = run_module(pool_member, join)
    assert not again["changed"]
    through_member = run_module(pool_member, dict(join, hostname=sim.url("127.0.10.2")))
    assert not through_member["changed"]
    hosts = run_module(host_info, master)["hosts"]
    assert [h["name"] for h in hosts] == ["xs1", "xs2"]
    refused = run_module(pool_member, dict(master, host="127.0.10.2", state="absent"))
    assert refused["failed"] and refused["msg"].startswith("allow_data_loss: ejecting xs2 destroys its local VMs")
    moved = run_module(pool, dict(master, master="xs2"))
    assert moved["changed"] and moved["pool"]["master"] == "xs2", moved
    assert not run_module(pool, dict(master, master="xs2"))["changed"]
    ejected = run_module(pool_member, dict(master, host="xs1", state="absent", allow_data_loss=True))
    assert ejected["changed"] and ejected["host"] is None, ejected
    hosts = run_module(host_info, dict(master, hostname=sim.url("127.0.10.2")))["hosts"]
    assert [h["name"] for h in hosts] == ["xs2"]


def test_join_with_a_wrong_master_password(sim_factory, run_module):
    from ansible_collections.xapi.xenserver.plugins.modules import pool_member

    sim = sim_factory("hosts3", speed=200)
    result = run_module(pool_member, {"hostname": sim.url("127.0.10.1"), "password": "not-it", "ca_path": sim.ca_path,
                                      "host": "127.0.10.3", "host_password": sim.password})
    assert result["failed"] and "authentication failed for user root" in result["msg"]
    assert "not-it" not in str(result)


def test_joiner_with_a_running_vm_says_what_to_fix(sim_factory, run_module):
    from ansible_collections.xapi.xenserver.plugins.modules import pool_member

    sim = sim_factory("hosts3", speed=500)
    joiner = "127.0.10.3"
    session = sim.call(joiner, "session.login_with_password", "root", sim.password)
    template = sim.call(joiner, "VM.get_by_name_label", session, "Debian Bookworm 12")[0]
    vm_ref = sim.call(joiner, "VM.clone", session, template, "busy")
    sim.call(joiner, "VM.provision", session, vm_ref)
    sim.call(joiner, "VM.start", session, vm_ref, False, False)
    result = run_module(pool_member, {"hostname": sim.url("127.0.10.1"), "password": sim.password, "ca_path": sim.ca_path,
                                      "host": joiner, "host_password": sim.password})
    assert result["failed"]
    assert result["msg"].startswith("join of host 127.0.10.3 to the pool of 127.0.10.1 failed: the joining host has running VMs")
    assert result["xapi_error"]["code"] == "JOINING_HOST_CANNOT_HAVE_RUNNING_VMS"
    assert sim.call(joiner, "VM.get_power_state", session, vm_ref) == "Running"
