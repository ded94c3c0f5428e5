"""The host module against the simulator."""

from ansible_collections.xapi.xenserver.plugins.modules import host
from xapisim.control import counters

READS = ("session.", "event.from")


def writes(sim):
    return sorted(method for method in counters(sim)["calls"] if not method.startswith(READS) and ".get_" not in method)


def test_settings_idempotent_and_check_mode(sim, run_module, connection):
    args = dict(connection, name="xs-a2", description="rack 2", other_config={"rack": "2"}, tags=["b"],
                host_name="xs-a2.example.test")
    checked = run_module(host, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and checked["diff"]["after"]["description"] == "rack 2" and writes(sim) == []
    done = run_module(host, args)
    assert done["changed"] and done["host"]["hostname"] == "xs-a2.example.test" and done["host"]["tags"] == ["b"]
    sim.world.counters.reset()
    assert not run_module(host, args)["changed"] and writes(sim) == []


def test_disable_with_evacuation_then_enable(sim, run_module, connection):
    before = run_module(host, dict(connection, name="xs-a1"))["host"]
    assert before["resident_vms"] > 0
    drained = run_module(host, dict(connection, name="xs-a1", enabled=False, evacuate=True, _ansible_diff=True))
    assert drained["changed"] and not drained["host"]["enabled"] and drained["host"]["resident_vms"] == 0
    assert drained["diff"]["after"] == {"enabled": False, "evacuated": True}
    assert not run_module(host, dict(connection, name="xs-a1", enabled=False, evacuate=True))["changed"]
    enabled = run_module(host, dict(connection, name="xs-a1", enabled=True))
    assert enabled["changed"] and enabled["host"]["enabled"]


def test_reboot_a_member(sim, run_module, connection):
    result = run_module(host, dict(connection, name="xs-a3", power="rebooted", timeout=120))
    assert result["changed"], result
    assert result["host"]["enabled"] and result["host"]["resident_vms"] == 0
    assert sim.call("127.0.10.1", "host.get_enabled", sim.call("127.0.10.1", "session.login_with_password", "root",
                                                               sim.password), sim.world.pools[0].db.find_one("host", name_label="xs-a3"))
