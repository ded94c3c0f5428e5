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
    assert result["failed"] and result["msg"].startswith("no storage repository named 'NFS storag'; close names: 'NFS storage'")
