"""pool against the simulator: HA is checked before any write, HA and a master change happen in
xapi's order, other_config values are stored as text."""

from ansible_collections.xapi.xenserver.plugins.modules import pool
from xapisim.control import counters

READS = ("session.", "event.from")


def writes(sim):
    return sorted(method for method in counters(sim)["calls"] if not method.startswith(READS) and ".get_" not in method)


def sr_uuids(sim, name):
    db = sim.world.pools[0].db
    return [record["uuid"] for record in db.tables["SR"].values() if record["name_label"] == name]


def test_bad_ha_input_names_the_option_and_writes_nothing(sim, run_module, connection):
    local = sr_uuids(sim, "Local storage")[0]
    cases = [
        ({"enabled": True, "heartbeat_srs": ["NFS storag"]},
         "ha.heartbeat_srs: no storage repository named 'NFS storag'; close names: 'NFS storage'"),
        ({"enabled": True}, "ha.heartbeat_srs: needed to enable HA"),
        ({"enabled": True, "heartbeat_srs": [local]},
         "ha.heartbeat_srs: 'Local storage' (%s) is not a shared SR; HA needs a heartbeat SR every host reaches" % local),
        ({"enabled": True, "heartbeat_srs": ["ISO library"]}, "ha.heartbeat_srs: 'ISO library' ("),
        ({"enabled": True, "heartbeat_srs": ["NFS storage"], "failures_to_tolerate": -1},
         "ha.failures_to_tolerate: -1 is negative"),
    ]
    for ha, message in cases:
        result = run_module(pool, dict(connection, name="not-this-name", ha=ha))
        assert result["failed"] and result["msg"].startswith(message), result
        assert "\n" not in result["msg"]
    assert writes(sim) == []
    assert run_module(pool, connection)["pool"]["name"] == "pool-a"


def test_ha_on_tolerate_and_off_with_a_master_change(sim, run_module, connection):
    on = run_module(pool, dict(connection, ha={"enabled": True, "heartbeat_srs": ["NFS storage"], "failures_to_tolerate": 1},
                               _ansible_diff=True))
    assert on["changed"], on
    assert on["pool"]["ha"] == {"enabled": True, "failures_to_tolerate": 1, "heartbeat_srs": ["NFS storage"]}
    assert on["diff"]["after"] == {"ha": {"enabled": True, "heartbeat_srs": ["NFS storage"]}, "ha.failures_to_tolerate": 1}
    sim.world.counters.reset()
    refused = run_module(pool, dict(connection, master="xs-a2", description="not this one"))
    assert refused["failed"] and refused["msg"] == (
        "master: xs-a2 cannot become the pool master while HA is enabled (xapi refuses with HA_IS_ENABLED); "
        "disable HA first, or in the same task with ha.enabled: false")
    assert writes(sim) == []
    tolerate = run_module(pool, dict(connection, ha={"failures_to_tolerate": 2}, _ansible_diff=True))
    assert tolerate["changed"] and tolerate["pool"]["ha"]["failures_to_tolerate"] == 2
    assert tolerate["diff"] == {"before": {"ha.failures_to_tolerate": 1}, "after": {"ha.failures_to_tolerate": 2}}
    off = run_module(pool, dict(connection, master="xs-a2", ha={"enabled": False}))
    assert off["changed"], off
    assert off["pool"]["master"] == "xs-a2" and off["pool"]["ha"]["enabled"] is False
    assert off["pool"]["ha"]["heartbeat_srs"] == []
    sim.world.counters.reset()
    assert not run_module(pool, dict(connection, master="xs-a2", ha={"enabled": False}))["changed"]
    assert writes(sim) == []


def test_enabling_ha_again_and_a_new_master_in_one_task(sim, run_module, connection):
    ha = {"enabled": True, "heartbeat_srs": ["NFS storage"]}
    assert run_module(pool, dict(connection, ha=ha))["changed"]
    assert run_module(pool, dict(connection, ha={"enabled": False}))["changed"]
    both = run_module(pool, dict(connection, master="xs-a3", ha=ha))  # the master moves first: xapi refuses it under HA
    assert both["changed"], both
    assert both["pool"]["master"] == "xs-a3" and both["pool"]["ha"]["enabled"]
    db = sim.world.pools[0].db
    assert sorted(vdi["type"] for vdi in db.tables["VDI"].values() if vdi["type"] in ("ha_statefile", "redo_log")) == \
        ["ha_statefile", "redo_log"]


def test_other_config_values_as_text(sim, run_module, connection):
    args = dict(connection, other_config={"retries": 3, "verbose": True})
    done = run_module(pool, dict(args, _ansible_diff=True))
    assert done["changed"] and done["diff"]["after"] == {"other_config.retries": "3", "other_config.verbose": "true"}
    assert done["pool"]["other_config"]["retries"] == "3" and done["pool"]["other_config"]["verbose"] == "true"
    sim.world.counters.reset()
    assert not run_module(pool, args)["changed"] and writes(sim) == []
    missing = run_module(pool, dict(connection, other_config={"owner": None}))
    assert missing["failed"] and missing["msg"] == "other_config.owner: needs a value"


def test_a_number_of_failures_the_plan_cannot_cover_changes_nothing(sim, run_module, connection):
    assert run_module(pool, dict(connection, ha={"enabled": True, "heartbeat_srs": ["NFS storage"]}))["changed"]
    sim.world.counters.reset()
    refused = run_module(pool, dict(connection, description="not this one", ha={"failures_to_tolerate": 3}))
    assert refused["failed"] and refused["xapi_error"]["code"] == "HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN", refused
    assert "\n" not in refused["msg"]
    assert writes(sim) == ["pool.set_ha_host_failures_to_tolerate"]
    assert run_module(pool, connection)["pool"]["description"] == ""


def test_a_master_change_leaves_no_session_behind(sim, run_module, connection):
    moved = run_module(pool, dict(connection, master="xs-a2"))
    assert moved["changed"] and moved["pool"]["master"] == "xs-a2", moved
    back = run_module(pool, dict(connection, master="xs-a1"))  # through the old master, now a member
    assert back["changed"] and back["pool"]["master"] == "xs-a1", back
    assert counters(sim)["open_sessions"] == 0
