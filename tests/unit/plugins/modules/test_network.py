"""network against the simulator: plain, VLAN across pool3's hosts, a bond taking the management interface."""

from ansible_collections.xapi.xenserver.plugins.modules import network
from xapisim.control import counters

READS = ("session.", "event.from")
MASTER = "127.0.10.1"


def writes(sim):
    return sorted(method for method in counters(sim)["calls"] if not method.startswith(READS) and ".get_" not in method)


def api(sim):
    session = sim.call(MASTER, "session.login_with_password", "root", sim.password)
    return lambda method, *params: sim.call(MASTER, method, session, *params)


def test_plain_network_check_diff_idempotent_change_absent(sim, run_module, connection):
    args = dict(connection, name="lab", description="lab network", mtu=9000, tags=["lab"], other_config={"owner": "ops"})
    checked = run_module(network, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and checked["network"]["uuid"] is None
    assert checked["diff"]["before"]["network"] is None and checked["diff"]["after"]["network"]["mtu"] == 9000
    assert writes(sim) == []
    done = run_module(network, dict(args, _ansible_diff=True))
    assert done["changed"], done
    view = done["network"]
    assert (view["name"], view["description"], view["mtu"], view["tags"], view["other_config"]) == \
        ("lab", "lab network", 9000, ["lab"], {"owner": "ops"})
    assert view["bridge"].startswith("xapi") and view["hosts"] == [] and view["vlan"] is None and view["bond"] is None
    sim.world.counters.reset()
    again = run_module(network, args)
    assert not again["changed"] and writes(sim) == [] and again["network"]["uuid"] == view["uuid"]
    changed = run_module(network, dict(args, mtu=1500, _ansible_diff=True))
    assert changed["changed"] and changed["diff"] == {"before": {"mtu": 9000}, "after": {"mtu": 1500}}
    sim.world.counters.reset()
    checked_absent = run_module(network, dict(connection, name="lab", state="absent", _ansible_check_mode=True))
    assert checked_absent["changed"] and writes(sim) == []
    gone = run_module(network, dict(connection, name="lab", state="absent"))
    assert gone["changed"] and gone["network"] is None
    assert api(sim)("network.get_by_name_label", "lab") == []
    assert not run_module(network, dict(connection, name="lab", state="absent"))["changed"]


def test_vlan_on_every_host_and_a_host_that_lacks_it(sim, run_module, connection):
    args = dict(connection, name="vlan42", vlan={"tag": 42, "device": "eth1"})
    done = run_module(network, args)
    assert done["changed"], done
    hosts = done["network"]["hosts"]
    assert [h["host"] for h in hosts] == ["xs-a1", "xs-a2", "xs-a3"]
    assert all(h["device"] == "eth1" and h["attached"] for h in hosts)
    assert done["network"]["vlan"] == {"tag": 42, "device": "eth1"}
    sim.world.counters.reset()
    assert not run_module(network, args)["changed"] and writes(sim) == []
    call = api(sim)
    ref = call("network.get_by_name_label", "vlan42")[0]
    call("VLAN.destroy", call("PIF.get_VLAN_master_of", call("network.get_PIFs", ref)[0]))
    assert len(call("network.get_PIFs", ref)) == 2
    sim.world.counters.reset()
    fixed = run_module(network, dict(args, _ansible_diff=True))
    assert fixed["changed"] and len(fixed["network"]["hosts"]) == 3
    assert writes(sim) == ["VLAN.create"]
    assert fixed["diff"]["after"]["vlan.hosts"] == ["xs-a1", "xs-a2", "xs-a3"]
    gone = run_module(network, dict(connection, name="vlan42", state="absent"))
    assert gone["changed"], gone
    assert call("network.get_by_name_label", "vlan42") == []
    assert all(rec["VLAN"] == -1 for rec in call("PIF.get_all_records").values())


def test_bond_over_eth0_and_eth1_moves_management(sim, run_module, connection):
    call = api(sim)
    addresses = {ref: rec["address"] for ref, rec in call("host.get_all_records").items()}
    args = dict(connection, name="bond", bond={"devices": ["eth0", "eth1"], "mode": "active-backup"})
    checked = run_module(network, dict(args, _ansible_check_mode=True))
    assert checked["changed"] and writes(sim) == []
    done = run_module(network, args)
    assert done["changed"], done
    view = done["network"]
    assert view["bond"] == {"devices": ["eth0", "eth1"], "mode": "active-backup"}
    assert [(h["host"], h["device"], h["attached"]) for h in view["hosts"]] == \
        [("xs-a1", "bond0", True), ("xs-a2", "bond0", True), ("xs-a3", "bond0", True)]
    for pif, rec in call("PIF.get_all_records").items():
        if rec["management"]:
            assert rec["device"] == "bond0" and rec["IP"] == addresses[rec["host"]]
    assert {ref: rec["address"] for ref, rec in call("host.get_all_records").items()} == addresses
    sim.world.counters.reset()
    assert not run_module(network, args)["changed"] and writes(sim) == []
    assert not run_module(network, dict(args, bond={"devices": ["eth1", "eth0"]}))["changed"]
    sim.world.counters.reset()
    moded = run_module(network, dict(args, bond={"devices": ["eth0", "eth1"], "mode": "lacp"}, _ansible_diff=True))
    assert moded["changed"] and moded["network"]["bond"]["mode"] == "lacp"
    assert writes(sim) == ["Bond.set_mode"]
    assert moded["diff"]["after"]["bond.mode.xs-a1"] == "lacp"
    # xapi moved the VIFs of the VMs running there to the bond: the network is in use
    refused = run_module(network, dict(connection, name="bond", state="absent"))
    assert refused["failed"] and refused["msg"].startswith("state=absent: network 'bond' is in use by the VMs ")
    assert "web-01" in refused["msg"] and call("Bond.get_all") != []
    db = sim.world.pool_of_host(MASTER)[0].db
    eth0 = call("network.get_by_name_label", "Pool-wide network associated with eth0")[0]
    for vif in call("network.get_VIFs", call("network.get_by_name_label", "bond")[0]):
        db.update("VIF", vif, network=eth0)  # what VIF.move would do
    gone = run_module(network, dict(connection, name="bond", state="absent"))
    assert gone["changed"], gone
    for pif, rec in call("PIF.get_all_records").items():
        if rec["management"]:
            assert rec["device"] == "eth0" and rec["IP"] == addresses[rec["host"]]
    assert call("Bond.get_all") == []


def test_bad_input_names_the_option(sim, run_module, connection):
    tag = run_module(network, dict(connection, name="bad", vlan={"tag": 5000, "device": "eth1"}))
    assert tag["failed"] and tag["msg"] == "vlan.tag: 5000 is not a VLAN tag (0 to 4094)"
    device = run_module(network, dict(connection, name="bad", vlan={"tag": 5, "device": "eth7"}))
    assert device["failed"] and device["msg"] == "vlan.device: no host has a device named 'eth7' (devices: eth0, eth1)"
    bond = run_module(network, dict(connection, name="bad", bond={"devices": ["eth1", "eth9"]}))
    assert bond["failed"] and bond["msg"].startswith("bond.devices: no host has a device named 'eth9'")
    single = run_module(network, dict(connection, name="bad", bond={"devices": ["eth1"]}))
    assert single["failed"] and single["msg"].startswith("bond.devices: a bond needs at least two")
    assert writes(sim) == []


def test_absent_while_vms_use_it_says_which(sim, run_module, connection):
    name = "Pool-wide network associated with eth0"
    result = run_module(network, dict(connection, name=name, state="absent"))
    assert result["failed"] and "\n" not in result["msg"]
    assert result["msg"].startswith("state=absent: network %r is in use by the VMs " % name)
    assert "web-01" in result["msg"] and "db-01" in result["msg"]
    assert writes(sim) == []
