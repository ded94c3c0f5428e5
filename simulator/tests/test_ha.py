"""pool.enable_ha / disable_ha / set_ha_host_failures_to_tolerate with xapi's statefile SR checks
(xha_statefile.ml) and what HA changes for joins, ejects, designate_new_master and host.disable."""

import pytest
from conftest import error
from test_pool_join import PASSWORD, XS1, XS3, login, start_pool2

from xapisim import Simulator, install


@pytest.fixture
def pool2():
    started = start_pool2()
    yield started
    started[0].stop()


def nfs_sr(sim, name="NFS"):
    """A shared NFS SR on every host of xs1's pool, as a scenario would make it."""
    db = sim.world.pool_of_host(XS1)[0].db
    hosts = db.refs("host")
    sr = db.create("SR", {"name_label": name, "type": "nfs", "content_type": "user", "shared": True, "physical_size": 1 << 40})
    for host in hosts:
        install.attach_sr(db, sr, host, {"server": "127.0.100.1"})
    return sr


def test_enable_and_disable_ha(pool2):
    sim, api, dummy, dummy_host = pool2
    pool = api("pool.get_all")[0]
    sr = nfs_sr(sim)
    assert error(api, "pool.disable_ha") == ["HA_NOT_ENABLED"]
    api("pool.enable_ha", [sr], {"timeout": "60"})
    record = api("pool.get_record", pool)
    assert record["ha_enabled"] is True and record["ha_configuration"] == {"timeout": "60"}
    (statefile,) = record["ha_statefiles"]
    assert api("VDI.get_type", statefile) == "ha_statefile" and api("VDI.get_SR", statefile) == sr
    assert error(api, "pool.enable_ha", [sr], {}) == ["HA_IS_ENABLED"]
    api("pool.disable_ha")
    record = api("pool.get_record", pool)
    assert record["ha_enabled"] is False and record["ha_statefiles"] == []


def test_the_heartbeat_sr_must_be_shared(pool2):
    sim, api, host1, dummy_host = pool2
    local = [sr for sr in api("SR.get_by_name_label", "Local storage")
             if api("PBD.get_host", api("SR.get_PBDs", sr)[0]) == host1][0]
    assert error(api, "pool.enable_ha", [local], {}) == ["SR_HAS_NO_PBDS", local]
    assert error(api, "pool.enable_ha", [], {}) == ["CANNOT_CREATE_STATE_FILE"]
    nfs_sr(sim)
    api("pool.enable_ha", [], {})  # a suitable SR is found
    assert api("pool.get_ha_enabled", api("pool.get_all")[0]) is True


def test_a_standalone_local_sr_lacks_the_sm_feature():
    with Simulator("hosts3", speed=500.0, password=PASSWORD) as sim:
        api = login(sim, XS3)
        (local,) = api("SR.get_by_name_label", "Local storage")
        assert error(api, "pool.enable_ha", [local], {}) == ["SR_OPERATION_NOT_SUPPORTED", local]


def test_failures_to_tolerate_and_what_ha_refuses(pool2):
    sim, api, host1, host2 = pool2
    pool = api("pool.get_all")[0]
    expected = ["INVALID_VALUE", "ha_host_failures_to_tolerate", "-1"]
    assert error(api, "pool.set_ha_host_failures_to_tolerate", pool, -1) == expected
    api("pool.set_ha_host_failures_to_tolerate", pool, 1)
    api("pool.enable_ha", [nfs_sr(sim)], {})
    assert api("pool.get_ha_plan_exists_for", pool) == 1
    assert error(api, "pool.set_ha_host_failures_to_tolerate", pool, 2) == ["HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN"]
    assert error(api, "host.disable", host2) == ["HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN"]
    assert error(api, "pool.eject", host2) == ["HA_IS_ENABLED"]
    assert error(api, "pool.designate_new_master", host2) == ["HA_IS_ENABLED"]
    assert error(login(sim, XS3), "pool.join", XS1, "root", PASSWORD) == ["HA_IS_ENABLED"]
    api("pool.set_ha_host_failures_to_tolerate", pool, 0)
    api("host.disable", host2)
