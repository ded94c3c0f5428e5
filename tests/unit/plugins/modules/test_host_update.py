"""The host_update module against the simulator (pool3: three updates pending on every host, one
needing a reboot, one a toolstack restart)."""

import json

from ansible_collections.xapi.xenserver.plugins.modules import host_update
from xapisim.control import counters
from xapisim.handlers import repository

READS = ("session.", "event.from")
POOL3 = ["XS8-2024-0912", "XS8-2024-0915", "XS8-2024-0920"]
NORMAL = "https://repo.ops.xenserver.com/xs8/normal"


def writes(sim):
    return sorted(method for method in counters(sim)["calls"] if not method.startswith(READS) and ".get_" not in method)


def api(sim, address="127.0.10.1"):
    session = sim.call(address, "session.login_with_password", "root", sim.password)
    return lambda method, *params: sim.call(address, method, session, *params)


def host_ref(sim, name):
    return api(sim)("host.get_by_name_label", name)[0]


def guests(sim, name):
    call = api(sim)
    return [vm for vm in call("host.get_resident_VMs", host_ref(sim, name)) if not call("VM.get_is_control_domain", vm)]


def test_check_mode_then_apply_with_a_reboot_then_nothing(sim, run_module, connection):
    args = dict(connection, host="xs-a2", timeout=300)
    assert guests(sim, "xs-a2")
    checked = run_module(host_update, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and writes(sim) == []
    assert checked["applied"] == POOL3 and checked["reboot_required"] and checked["rebooted"]
    assert checked["guidances"] == ["reboot_host"]
    assert checked["diff"] == {"before": {"updates": POOL3, "rebooted": False}, "after": {"updates": [], "rebooted": True}}
    assert checked["host"]["pending_updates"] == POOL3 and checked["host"]["latest_synced_updates_applied"] == "no"
    software = checked["host"]["software_version"]

    done = run_module(host_update, dict(args, _ansible_diff=True))
    assert done["changed"], done
    assert done["applied"] == POOL3 and done["reboot_required"] and done["rebooted"] and done["guidances"] == ["reboot_host"]
    assert done["diff"] == checked["diff"]
    host = done["host"]
    assert host["enabled"] and host["pending_updates"] == [] and host["pending_guidances"] == []
    assert host["latest_synced_updates_applied"] == "yes"
    assert host["software_version"] == dict(software, xen="4.17.5-4", build_number="release/nile/master/61",
                                            date="2024-09-12", xapi_build="24.19.3")
    assert guests(sim, "xs-a2") == []  # evacuated before the reboot; nothing moves back by itself
    assert "pool.sync_updates" not in str(writes(sim))  # the pool synced less than sync_max_age ago
    assert {"host.disable", "Async.host.evacuate", "Async.host.apply_updates", "host.reboot"} <= set(writes(sim))

    sim.world.counters.reset()
    again = run_module(host_update, dict(args, _ansible_diff=True))
    assert not again["changed"] and writes(sim) == []
    assert again["applied"] == [] and not again["reboot_required"] and not again["rebooted"]
    assert again["diff"] == {"before": {}, "after": {}}


def test_reboot_never_reports_and_leaves_the_host_disabled(sim, run_module, connection):
    args = dict(connection, host="xs-a3", reboot="never", timeout=300)
    done = run_module(host_update, args)
    assert done["changed"] and done["applied"] == POOL3
    assert done["reboot_required"] and not done["rebooted"] and done["guidances"] == ["reboot_host"]
    assert not done["host"]["enabled"] and done["host"]["pending_guidances"] == ["reboot_host"]
    assert guests(sim, "xs-a3") == []  # xapi wants the host evacuated before updates that reboot it
    assert "stays disabled" in json.dumps(done["warnings"])

    sim.world.counters.reset()
    again = run_module(host_update, args)
    assert not again["changed"] and again["reboot_required"] and writes(sim) == []

    rebooted = run_module(host_update, dict(args, reboot="auto"))
    assert rebooted["changed"] and rebooted["applied"] == [] and rebooted["rebooted"]
    assert rebooted["host"]["enabled"] and rebooted["host"]["pending_guidances"] == []
    assert rebooted["host"]["software_version"]["xen"] == "4.17.5-4"


def test_a_toolstack_update_restarts_the_toolstack_only(sim, run_module, connection):
    run_module(host_update, dict(connection, host="xs-a3", timeout=300))
    update = {"name": "XS8-2024-1002", "version": "24.19.4-1.xs8", "packages": ["xapi-core"],
              "guidance": "restart_toolstack", "software_version": {"xapi_build": "24.19.4"}}
    repository.publish(sim.world.pools[0].db, NORMAL, update)
    vms_on_a2 = guests(sim, "xs-a2")
    sim.world.counters.reset()
    done = run_module(host_update, dict(connection, host="xs-a2", updates=["XS8-2024-1002"], sync_max_age=0,
                                        timeout=300, _ansible_diff=True))
    assert done["changed"] and done["applied"] == POOL3 + ["XS8-2024-1002"]
    assert done["guidances"] == ["reboot_host"] and done["rebooted"]  # xs-a2 lacked the others too
    assert "Async.pool.sync_updates" in writes(sim)
    assert vms_on_a2 and guests(sim, "xs-a2") == []

    sim.world.counters.reset()
    toolstack = run_module(host_update, dict(connection, host="xs-a3", sync_max_age=0, timeout=300, _ansible_diff=True))
    assert toolstack["changed"] and toolstack["applied"] == ["XS8-2024-1002"]
    assert toolstack["guidances"] == ["restart_toolstack"] and not toolstack["reboot_required"]
    assert not toolstack["rebooted"] and "host.reboot" not in writes(sim) and "host.restart_agent" in writes(sim)
    assert "Async.host.evacuate" not in writes(sim)  # no reboot: VMs may stay
    assert toolstack["diff"]["after"] == {"updates": [], "toolstack_restarted": True}
    assert toolstack["host"]["enabled"] and toolstack["host"]["software_version"]["xapi_build"] == "24.19.4"


def test_the_pool_master_over_xmlrpc(sim, run_module, connection):
    args = dict(connection, host="xs-a1", protocol="xmlrpc", sync_max_age=0, timeout=300)
    checked = run_module(host_update, dict(args, _ansible_check_mode=True))
    assert checked["changed"] and writes(sim) == []
    assert "check mode does not sync" in json.dumps(checked["warnings"])
    done = run_module(host_update, args)
    assert done["changed"] and done["rebooted"] and done["host"]["enabled"], done
    assert done["host"]["software_version"]["xen"] == "4.17.5-4"


def test_names_of_updates(sim, run_module, connection):
    one = run_module(host_update, dict(connection, host="xs-a2", updates=["XS8-2024-0920"], reboot="never"))
    assert one["changed"] and one["applied"] == POOL3  # xapi applies what the host lacks, all at once
    here = run_module(host_update, dict(connection, host="xs-a2", updates=["XS8-2024-0920"], reboot="never"))
    assert not here["changed"]
    # xs-a2 has it, xs-a3 lacks it: a known name
    sim.world.counters.reset()
    unknown = run_module(host_update, dict(connection, host="xs-a3", updates=["XS8-2024-0920", "XS8-2099-0001"]))
    assert unknown["failed"] and "\n" not in unknown["msg"]
    assert unknown["msg"].startswith("updates: 'XS8-2099-0001' is not pending on any host of the pool"), unknown["msg"]
    assert writes(sim) == ["Async.pool.sync_updates", "task.destroy"]  # it synced once before it said so
    combined = run_module(host_update, dict(connection, host="xs-a3", updates=["all", "XS8-2024-0920"]))
    assert combined["failed"] and combined["msg"] == "updates: 'all' cannot be combined with update names (XS8-2024-0920)"


def test_host_not_found(sim, run_module, connection):
    result = run_module(host_update, dict(connection, host="xs-a9"))
    assert result["failed"] and result["msg"].startswith("host: no host named 'xs-a9'") and "xs-a" in result["msg"]


def test_vms_that_cannot_leave_stop_everything(sim, run_module, connection):
    call = api(sim)
    for name in ("xs-a1", "xs-a3"):
        call("host.disable", host_ref(sim, name))
    sim.world.counters.reset()
    result = run_module(host_update, dict(connection, host="xs-a2"))
    assert result["failed"] and result["msg"].startswith("host: xs-a2 needs to be evacuated for its updates, ")
    assert "NO_HOSTS_AVAILABLE" in result["msg"] and writes(sim) == []


def test_vms_that_cannot_leave_shut_down_on_request(sim, run_module, connection):
    call = api(sim)
    for name in ("xs-a1", "xs-a3"):
        call("host.disable", host_ref(sim, name))
    stuck = sorted(call("VM.get_name_label", vm) for vm in guests(sim, "xs-a2"))
    args = dict(connection, host="xs-a2", shutdown_stuck_vms=True, timeout=300, _ansible_diff=True)
    checked = run_module(host_update, dict(args, _ansible_check_mode=True))
    assert checked["changed"] and checked["diff"]["after"]["shut_down"] == stuck and guests(sim, "xs-a2")
    done = run_module(host_update, args)
    assert done["changed"] and done["rebooted"] and done["diff"] == checked["diff"], done
    assert guests(sim, "xs-a2") == [] and done["host"]["enabled"]
    assert all(call("VM.get_power_state", call("VM.get_by_name_label", name)[0]) == "Halted" for name in stuck)


def test_ha_and_repositories(sim, run_module, connection):
    call = api(sim)
    pool = call("pool.get_all")[0]
    call("pool.enable_ha", call("SR.get_by_name_label", "NFS storage"), {})
    result = run_module(host_update, dict(connection, host="xs-a2"))
    assert result["failed"] and result["msg"].startswith("HA is enabled on the pool")
    call("pool.disable_ha")
    repositories = call("pool.get_repositories", pool)
    call("pool.set_repositories", pool, [])
    result = run_module(host_update, dict(connection, host="xs-a2"))
    assert result["failed"] and result["msg"].startswith("the pool has no update repository enabled")
    call("pool.set_repositories", pool, repositories)  # enabled again, not synced since
    checked = run_module(host_update, dict(connection, host="xs-a2", _ansible_check_mode=True))
    assert checked["changed"] and "has not synced" in json.dumps(checked["warnings"])
    done = run_module(host_update, dict(connection, host="xs-a2", reboot="never"))
    assert done["changed"] and done["applied"] == POOL3


def test_a_host_that_is_down(sim, run_module, connection):
    call = api(sim)
    ref = host_ref(sim, "xs-a3")
    call("host.disable", ref)
    call("host.shutdown", ref)
    metrics = call("host.get_metrics", ref)
    token = ""
    while call("host_metrics.get_live", metrics):
        token = call("event.from", ["host_metrics/%s" % metrics], token, 5.0)["token"]
    result = run_module(host_update, dict(connection, host="xs-a3"))
    assert result["failed"] and result["msg"] == "host: xs-a3 is not running (not live): power it on first"
