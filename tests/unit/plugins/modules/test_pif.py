"""pif against the simulator: IP configuration of eth1 on pool3's hosts, and management moves."""

import pytest
from ansible_collections.xapi.xenserver.plugins.modules import pif
from xapisim.control import counters
from xapisim.errors import Failure

READS = ("session.", "event.from")
MASTER = "127.0.10.1"


def writes(sim):
    return sorted(method for method in counters(sim)["calls"] if not method.startswith(READS) and ".get_" not in method)


def api(sim, address=MASTER):
    session = sim.call(address, "session.login_with_password", "root", sim.password)
    return lambda method, *params: sim.call(address, method, session, *params)


def pif_record(call, host, device):
    host_ref = call("host.get_by_name_label", host)[0]
    for ref in call("host.get_PIFs", host_ref):
        record = call("PIF.get_record", ref)
        if record["device"] == device and record["VLAN"] == -1:
            return record
    raise AssertionError("no %s on %s" % (device, host))


def test_static_check_diff_idempotent_dhcp(sim, run_module, connection):
    args = dict(connection, host="xs-a2", device="eth1", mode="static", ip="127.0.20.2", netmask="255.0.0.0",
                gateway="127.0.20.254", dns=["127.0.20.53", "127.0.20.54"])
    checked = run_module(pif, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and checked["pif"]["ip"] == "127.0.20.2" and checked["pif"]["mode"] == "static"
    assert checked["diff"]["before"]["mode"] == "none" and checked["diff"]["after"]["ip"] == "127.0.20.2"
    assert writes(sim) == []
    done = run_module(pif, dict(args, _ansible_diff=True))
    assert done["changed"], done
    assert writes(sim) == ["PIF.reconfigure_ip"]
    assert done["diff"] == {"before": {"mode": "none", "ip": "", "netmask": "", "gateway": "", "dns": []},
                            "after": {"mode": "static", "ip": "127.0.20.2", "netmask": "255.0.0.0",
                                      "gateway": "127.0.20.254", "dns": ["127.0.20.53", "127.0.20.54"]}}
    view = done["pif"]
    assert (view["host"], view["device"], view["mode"], view["ip"], view["netmask"], view["gateway"], view["dns"]) == \
        ("xs-a2", "eth1", "static", "127.0.20.2", "255.0.0.0", "127.0.20.254", ["127.0.20.53", "127.0.20.54"])
    assert view["attached"] and not view["management"] and view["mac"]
    assert view["network"] == "Pool-wide network associated with eth1"
    record = pif_record(api(sim), "xs-a2", "eth1")
    assert (record["ip_configuration_mode"], record["IP"], record["netmask"], record["gateway"], record["DNS"]) == \
        ("Static", "127.0.20.2", "255.0.0.0", "127.0.20.254", "127.0.20.53,127.0.20.54")
    sim.world.counters.reset()
    again = run_module(pif, dict(args, netmask="8", _ansible_diff=True))
    assert not again["changed"] and writes(sim) == [] and again["diff"] == {"before": {}, "after": {}}
    assert again["pif"] == view
    sim.world.counters.reset()
    gateway = run_module(pif, dict(args, gateway="", _ansible_diff=True))
    assert gateway["changed"] and gateway["diff"] == {"before": {"gateway": "127.0.20.254"}, "after": {"gateway": ""}}
    assert writes(sim) == ["PIF.reconfigure_ip"]
    sim.world.counters.reset()
    dhcp = run_module(pif, dict(connection, host="xs-a3", device="eth1", mode="dhcp", _ansible_diff=True))
    assert dhcp["changed"] and dhcp["pif"]["mode"] == "dhcp" and dhcp["pif"]["ip"].startswith("127.")
    assert dhcp["diff"] == {"before": {"mode": "none"}, "after": {"mode": "dhcp"}}
    sim.world.counters.reset()
    assert not run_module(pif, dict(connection, host="xs-a3", device="eth1", mode="dhcp"))["changed"]
    assert writes(sim) == []


def test_ipv6_by_uuid(sim, run_module, connection):
    call = api(sim)
    uuid = call("host.get_uuid", call("host.get_by_name_label", "xs-a3")[0])
    args = dict(connection, host=uuid, device="eth1", ipv6={"mode": "static", "address": "::1/128"})
    done = run_module(pif, args)
    assert done["changed"] and done["pif"]["ipv6"] == {"mode": "static", "address": "::1/128", "gateway": ""}
    assert done["pif"]["host"] == "xs-a3"
    sim.world.counters.reset()
    assert not run_module(pif, args)["changed"] and writes(sim) == []


def test_bad_input_names_the_option(sim, run_module, connection):
    base = dict(connection, host="xs-a2", device="eth1")
    missing = run_module(pif, dict(base, mode="static", ip="127.0.20.2"))
    assert missing["failed"] and missing["msg"] == "netmask: needed with mode=static"
    no_ip = run_module(pif, dict(base, mode="static", netmask="255.0.0.0"))
    assert no_ip["failed"] and no_ip["msg"] == "ip: needed with mode=static"
    bad_ip = run_module(pif, dict(base, mode="static", ip="127.0.20.300", netmask="255.0.0.0"))
    assert bad_ip["failed"] and bad_ip["msg"] == "ip: '127.0.20.300' is not an IPv4 address"
    bad_mask = run_module(pif, dict(base, mode="static", ip="127.0.20.2", netmask="255.0.255.0"))
    assert bad_mask["failed"] and bad_mask["msg"].startswith("netmask: '255.0.255.0' is not a netmask")
    bad_dns = run_module(pif, dict(base, mode="dhcp", dns=["dns.example"]))
    assert bad_dns["failed"] and bad_dns["msg"] == "dns: 'dns.example' is not an IPv4 address"
    no_mode = run_module(pif, dict(base, ip="127.0.20.2"))
    assert no_mode["failed"] and no_mode["msg"].startswith("mode: needed with ip")
    device = run_module(pif, dict(base, device="eth7", mode="dhcp"))
    assert device["failed"] and device["msg"] == "device: host xs-a2 has no device named 'eth7' (devices: eth0, eth1)"
    host = run_module(pif, dict(base, host="xs-a9", mode="dhcp"))
    assert host["failed"] and host["msg"].startswith("host: no host named 'xs-a9'")
    unmanage = run_module(pif, dict(base, device="eth0", management=False))
    assert unmanage["failed"] and unmanage["msg"].startswith("management: eth0 is the management interface of xs-a2")
    assert writes(sim) == []


def test_management_move_of_a_member(sim, run_module, connection):
    args = dict(connection, host="xs-a2", device="eth1", mode="static", ip="127.0.30.2", netmask="255.0.0.0",
                management=True)
    checked = run_module(pif, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and checked["pif"]["management"] and writes(sim) == []
    assert checked["diff"]["after"]["management"] is True
    done = run_module(pif, dict(args, _ansible_diff=True))
    assert done["changed"], done
    assert writes(sim) == ["PIF.reconfigure_ip", "host.management_reconfigure"]
    assert done["pif"]["management"] and done["pif"]["ip"] == "127.0.30.2"
    call = api(sim)
    host = call("host.get_by_name_label", "xs-a2")[0]
    assert call("host.get_address", host) == "127.0.30.2"
    assert not pif_record(call, "xs-a2", "eth0")["management"]
    with pytest.raises(Failure) as answered:  # the member answers at its new address, and sends logins to the master
        sim.call("127.0.30.2", "session.login_with_password", "root", sim.password)
    assert answered.value.args == ("HOST_IS_SLAVE", MASTER)
    sim.world.counters.reset()
    moved = dict(args, hostname=sim.url(MASTER))
    assert not run_module(pif, moved)["changed"] and writes(sim) == []


def test_management_move_of_the_master_reconnects(sim, run_module, connection):
    args = dict(connection, hostname=sim.url(MASTER), host="xs-a1", device="eth1", mode="static", ip="127.0.30.1",
                netmask="255.0.0.0", management=True, request_timeout=3)
    done = run_module(pif, args)
    assert done["changed"], done
    assert done["pif"]["management"] and done["pif"]["ip"] == "127.0.30.1"
    call = api(sim, "127.0.30.1")
    assert call("host.get_address", call("host.get_by_name_label", "xs-a1")[0]) == "127.0.30.1"
    assert counters(sim)["open_sessions"] == 1  # only the one of api() above: the module's followed it and ended
    sim.world.counters.reset()
    again = run_module(pif, dict(args, hostname=sim.url("127.0.30.1")))
    assert not again["changed"] and writes(sim) == []


def test_gateway_or_dns_alone_keep_the_mode(sim, run_module, connection):
    base = dict(connection, host="xs-a2", device="eth1")
    assert run_module(pif, dict(base, mode="static", ip="127.0.20.2", netmask="8", dns=["127.0.20.53"]))["changed"]
    sim.world.counters.reset()
    dns = run_module(pif, dict(base, dns=["127.0.20.53", "127.0.20.54"], _ansible_diff=True))
    assert dns["changed"], dns
    assert dns["diff"] == {"before": {"dns": ["127.0.20.53"]}, "after": {"dns": ["127.0.20.53", "127.0.20.54"]}}
    assert (dns["pif"]["mode"], dns["pif"]["ip"], dns["pif"]["netmask"]) == ("static", "127.0.20.2", "255.0.0.0")
    assert writes(sim) == ["PIF.reconfigure_ip"]
    sim.world.counters.reset()
    assert not run_module(pif, dict(base, dns=["127.0.20.53", "127.0.20.54"]))["changed"] and writes(sim) == []
    assert run_module(pif, dict(base, mode="dhcp"))["changed"]
    gateway = run_module(pif, dict(base, gateway="127.0.20.254"))
    assert gateway["changed"] and gateway["pif"]["mode"] == "dhcp" and gateway["pif"]["gateway"] == "127.0.20.254"
    record = pif_record(api(sim), "xs-a2", "eth1")
    assert (record["ip_configuration_mode"], record["gateway"], record["DNS"]) == ("DHCP", "127.0.20.254", "127.0.20.53,127.0.20.54")
    sim.world.counters.reset()
    unconfigured = run_module(pif, dict(connection, host="xs-a3", device="eth1", dns=["127.0.20.53"]))
    assert unconfigured["failed"] and unconfigured["msg"] == (
        "mode: needed with dns; eth1 of xs-a3 has no IPv4 configuration (give mode: static with ip and netmask, or mode: dhcp)")
    assert writes(sim) == []


def test_the_management_interface_keeps_an_ipv4_configuration(sim, run_module, connection):
    unconfigure = run_module(pif, dict(connection, host="xs-a2", device="eth0", mode="none"))
    assert unconfigure["failed"] and unconfigure["msg"] == (
        "mode: none would take the address of eth0, the management interface of xs-a2; move the management interface to "
        "another device first (management: true there)")
    nothing = run_module(pif, dict(connection, host="xs-a3", device="eth1", management=True))
    assert nothing["failed"] and nothing["msg"].startswith(
        "management: eth1 of xs-a3 has no IPv4 configuration to carry the management interface; give mode: static")
    both = run_module(pif, dict(connection, host="xs-a3", device="eth1", mode="none", management=True))
    assert both["failed"] and both["msg"].startswith("management: eth1 of xs-a3 has no IPv4 configuration")
    assert writes(sim) == []
    assert pif_record(api(sim), "xs-a2", "eth0")["ip_configuration_mode"] == "Static"
