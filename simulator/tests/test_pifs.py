"""PIF plug/unplug, IP configuration and the management interface [xenapi-notes §3.6; xen-api
ocaml/xapi/xapi_pif.ml reconfigure_ip, plug, unplug, assert_usable_for_management;
xapi_host.ml and xapi_pool.ml management_reconfigure]."""

import json
import os

import pytest
import XenAPI
from conftest import error, sdk_session

MASTER = "127.0.10.1"


def pif_of(api, host, device):
    return [p for p in api("host.get_PIFs", host) if api("PIF.get_device", p) == device][0]


def member(api):
    hosts = api("host.get_all")
    master = api("pool.get_master", api("pool.get_all")[0])
    return [h for h in hosts if h != master][0], master


def test_reconfigure_ip_checks(api):
    host, master = member(api)
    eth1 = pif_of(api, host, "eth1")
    assert error(api, "PIF.reconfigure_ip", eth1, "Static", "", "255.0.0.0", "", "") == \
        ["INVALID_IP_ADDRESS_SPECIFIED", "IP"]
    assert error(api, "PIF.reconfigure_ip", eth1, "Static", "127.1.2.3", "", "", "") == \
        ["INVALID_IP_ADDRESS_SPECIFIED", "netmask"]
    assert error(api, "PIF.reconfigure_ip", eth1, "Static", "127.1.2.3", "255.0.0.0", "bad", "") == \
        ["INVALID_IP_ADDRESS_SPECIFIED", "gateway"]
    # the simulator's own rule: never an address off the machine
    assert error(api, "PIF.reconfigure_ip", eth1, "Static", "192.0.2.1", "255.255.255.0", "", "") == \
        ["INVALID_IP_ADDRESS_SPECIFIED", "IP"]
    api("PIF.reconfigure_ip", eth1, "Static", "127.1.2.3", "255.0.0.0", "127.1.0.1", "127.0.0.53,::1,junk")
    record = api("PIF.get_record", eth1)
    assert (record["ip_configuration_mode"], record["IP"], record["netmask"], record["gateway"], record["DNS"]) == \
        ("Static", "127.1.2.3", "255.0.0.0", "127.1.0.1", "127.0.0.53")
    api("PIF.reconfigure_ip", eth1, "DHCP", "", "", "", "")
    assert api("PIF.get_IP", eth1) == "127.1.2.3"  # the lease keeps the address it had
    api("PIF.reconfigure_ip", eth1, "None", "", "", "", "")
    assert api("PIF.get_ip_configuration_mode", eth1) == "None"
    api("PIF.reconfigure_ip", eth1, "DHCP", "", "", "", "")
    assert api("PIF.get_IP", eth1).startswith("127.")
    management = pif_of(api, master, "eth0")
    assert error(api, "PIF.reconfigure_ip", management, "None", "", "", "", "") == \
        ["PIF_IS_MANAGEMENT_INTERFACE", management]


def test_reconfigure_ipv6(api):
    host, dummy = member(api)
    eth1 = pif_of(api, host, "eth1")
    assert error(api, "PIF.reconfigure_ipv6", eth1, "Static", "::1", "", "") == \
        ["INVALID_IP_ADDRESS_SPECIFIED", "IPv6"]
    assert error(api, "PIF.reconfigure_ipv6", eth1, "Static", "2001:db8::5/64", "", "") == \
        ["INVALID_IP_ADDRESS_SPECIFIED", "IPv6"]
    api("PIF.reconfigure_ipv6", eth1, "Static", "::1/128", "", "::1")
    record = api("PIF.get_record", eth1)
    assert (record["ipv6_configuration_mode"], record["IPv6"], record["DNS"]) == ("Static", ["::1/128"], "::1")


def test_plug_and_unplug(api):
    host, master = member(api)
    management = pif_of(api, master, "eth0")
    assert error(api, "PIF.unplug", management) == ["PIF_IS_MANAGEMENT_INTERFACE", management]
    eth1 = pif_of(api, host, "eth1")
    api("PIF.unplug", eth1)
    assert api("PIF.get_currently_attached", eth1) is False
    api("PIF.plug", eth1)
    assert api("PIF.get_currently_attached", eth1) is True
    api("PIF.set_disallow_unplug", eth1, True)
    assert error(api, "PIF.unplug", eth1) == ["PIF_DOES_NOT_ALLOW_UNPLUG", eth1]


def test_management_reconfigure_needs_an_ip_configuration(api):
    host, dummy = member(api)
    eth1 = pif_of(api, host, "eth1")
    assert error(api, "host.management_reconfigure", eth1) == ["PIF_HAS_NO_NETWORK_CONFIGURATION", eth1]
    network = api("PIF.get_network", eth1)
    assert error(api, "pool.management_reconfigure", network)[0] == "PIF_HAS_NO_NETWORK_CONFIGURATION"
    lab = api("network.create", {"name_label": "lab", "name_description": "", "MTU": 1500, "other_config": {},
                                 "bridge": ""})
    assert error(api, "pool.management_reconfigure", lab)[:1] == ["PIF_NOT_PRESENT"]


def test_management_moves_and_the_host_answers_at_its_new_address(served_factory):
    sim = served_factory("pool3")
    session = sdk_session(sim)
    session.xenapi.login_with_password("root", sim.password, "1.0", "xapisim-tests")
    api = session.xenapi
    master = api.pool.get_master(api.pool.get_all()[0])
    member_host = [h for h in api.host.get_all() if h != master][0]
    old = api.host.get_address(member_host)
    eth1 = [p for p in api.host.get_PIFs(member_host) if api.PIF.get_device(p) == "eth1"][0]
    eth0 = [p for p in api.host.get_PIFs(member_host) if api.PIF.get_device(p) == "eth0"][0]
    api.PIF.reconfigure_ip(eth1, "Static", "127.0.77.2", "255.0.0.0", "", "")
    api.host.management_reconfigure(eth1)
    assert api.PIF.get_management(eth1) and not api.PIF.get_management(eth0)
    assert api.host.get_address(member_host) == "127.0.77.2"
    assert api.host.get_management_interface(member_host) == eth1
    moved = sdk_session(sim, "127.0.77.2")
    with pytest.raises(XenAPI.Failure) as failure:  # a member answers HOST_IS_SLAVE: it is listening there
        moved.xenapi.login_with_password("root", sim.password, "1.0", "xapisim-tests")
    assert failure.value.details[0] == "HOST_IS_SLAVE"
    with pytest.raises(OSError):
        sdk_session(sim, old).xenapi.login_with_password("root", sim.password, "1.0", "xapisim-tests")
    with open(os.path.join(sim.state_dir, "endpoints.json"), encoding="utf-8") as handle:
        assert "127.0.77.2" in [h["address"] for h in json.load(handle)["hosts"]]
    # another host's address is not free for the master
    management = [p for p in api.host.get_PIFs(master) if api.PIF.get_management(p)][0]
    with pytest.raises(XenAPI.Failure) as failure:
        api.PIF.reconfigure_ip(management, "Static", "127.0.77.2", "255.0.0.0", "", "")
    assert failure.value.details == ["INVALID_IP_ADDRESS_SPECIFIED", "IP"]
    session.xenapi.session.logout()
