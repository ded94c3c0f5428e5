"""Networks and VLANs [xenapi-notes §3.6; xen-api ocaml/xapi/xapi_network.ml, xapi_vlan.ml,
xapi_pif.ml create_VLAN, xapi_pool.ml create_VLAN(_from_PIF)]."""

from conftest import error

NULL = "OpaqueRef:NULL"


def net_record(name="lab", bridge="", mtu=1500, **extra):
    record = {"name_label": name, "name_description": "", "MTU": mtu, "other_config": {}, "bridge": bridge}
    record.update(extra)
    return record


def hosts_of(api):
    return api("host.get_all")


def physical(api, host, device):
    for pif in api("host.get_PIFs", host):
        if api("PIF.get_device", pif) == device and api("PIF.get_VLAN", pif) == -1:
            return pif
    raise AssertionError("no " + device)


def test_create_picks_a_free_bridge_and_defaults_the_mtu(api):
    first = api("network.create", net_record(mtu=0))
    second = api("network.create", net_record(name="lab2"))
    one, two = api("network.get_record", first), api("network.get_record", second)
    assert one["bridge"].startswith("xapi") and two["bridge"].startswith("xapi") and one["bridge"] != two["bridge"]
    assert one["MTU"] == 1500 and one["PIFs"] == [] and one["managed"] is True
    bridges = [r["bridge"] for r in api("network.get_all_records").values()]
    assert len(bridges) == len(set(bridges))


def test_create_bridge_checks(api):
    assert error(api, "network.create", net_record(bridge="xenbr9")) == ["INVALID_VALUE", "bridge", "xenbr9"]
    assert error(api, "network.create", net_record(bridge="a" * 16)) == ["INVALID_VALUE", "bridge", "a" * 16]
    api("network.create", net_record(bridge="br-lab"))
    assert error(api, "network.create", net_record(bridge="br-lab")) == ["BRIDGE_NAME_EXISTS", "br-lab"]
    network = api("network.create", net_record(name="jumbo", mtu=9000))
    assert api("network.get_MTU", network) == 9000
    api("network.set_MTU", network, 1500)
    api("network.set_name_label", network, "renamed")
    assert api("network.get_by_name_label", "renamed") == [network]


def test_destroy_rules(api):
    eth0 = api("PIF.get_network", physical(api, hosts_of(api)[0], "eth0"))
    pifs = api("network.get_PIFs", eth0)
    vif_error = error(api, "network.destroy", eth0)
    assert vif_error[0] == "NETWORK_CONTAINS_VIF" and len(vif_error) > 1
    eth1 = api("PIF.get_network", physical(api, hosts_of(api)[0], "eth1"))
    assert error(api, "network.destroy", eth1)[0] == "NETWORK_CONTAINS_PIF"
    assert sorted(error(api, "network.destroy", eth1)[1:]) == sorted(api("network.get_PIFs", eth1))
    assert pifs
    himn = [ref for ref, rec in api("network.get_all_records").items() if rec["bridge"] == "xenapi"][0]
    assert error(api, "network.destroy", himn) == ["CANNOT_DESTROY_SYSTEM_NETWORK", himn]
    lab = api("network.create", net_record())
    api("network.destroy", lab)
    assert error(api, "network.get_record", lab) == ["HANDLE_INVALID", "network", lab]


def test_pool_create_vlan_puts_a_vlan_pif_on_every_host(api):
    network = api("network.create", net_record(name="vlan 42"))
    pifs = api("pool.create_VLAN", "eth1", network, 42)
    assert len(pifs) == 3
    hosts = set()
    for pif in pifs:
        record = api("PIF.get_record", pif)
        base = physical(api, record["host"], "eth1")
        hosts.add(record["host"])
        seen = (record["VLAN"], record["device"], record["physical"], record["currently_attached"],
                record["managed"], record["MAC"], record["network"])
        assert seen == (42, "eth1", False, True, True, "fe:ff:ff:ff:ff:ff", network)
        assert record["metrics"] == api("PIF.get_metrics", base)
        vlan = record["VLAN_master_of"]
        assert api("VLAN.get_record", vlan)["tag"] == 42
        assert api("VLAN.get_tagged_PIF", vlan) == base and api("VLAN.get_untagged_PIF", vlan) == pif
        assert vlan in api("PIF.get_VLAN_slave_of", base)
    assert hosts == set(hosts_of(api))
    assert sorted(api("network.get_PIFs", network)) == sorted(pifs)
    # the same tag again on the same PIFs: another network, PIF_VLAN_EXISTS [device]; nothing left behind
    other = api("network.create", net_record(name="vlan 42 again"))
    assert error(api, "pool.create_VLAN", "eth1", other, 42) == ["PIF_VLAN_EXISTS", "eth1"]
    assert api("network.get_PIFs", other) == []
    assert error(api, "pool.create_VLAN", "eth7", other, 5) == ["INVALID_VALUE", "device", "eth7"]


def test_vlan_create_checks(api):
    host = hosts_of(api)[0]
    eth1 = physical(api, host, "eth1")
    network = api("network.create", net_record(name="v"))
    assert error(api, "VLAN.create", eth1, 4095, network) == ["VLAN_TAG_INVALID", "4095"]
    assert error(api, "VLAN.create", eth1, -1, network) == ["VLAN_TAG_INVALID", "-1"]
    vlan = api("VLAN.create", eth1, 7, network)
    untagged = api("VLAN.get_untagged_PIF", vlan)
    # a second PIF of the same host on that network
    assert error(api, "VLAN.create", physical(api, host, "eth0"), 8, network) == \
        ["NETWORK_ALREADY_CONNECTED", host, untagged]
    # a VLAN on a VLAN
    other = api("network.create", net_record(name="w"))
    assert error(api, "VLAN.create", untagged, 9, other) == ["PIF_IS_VLAN", untagged]
    unmanaged = api("network.create", net_record(name="u", managed=False))
    assert error(api, "VLAN.create", eth1, 9, unmanaged) == ["NETWORK_UNMANAGED", unmanaged]
    api("VLAN.destroy", vlan)
    assert error(api, "PIF.get_record", untagged)[0] == "HANDLE_INVALID"
    assert error(api, "VLAN.get_record", vlan)[0] == "HANDLE_INVALID"
    assert api("PIF.get_VLAN_slave_of", eth1) == []


def test_create_vlan_from_pif_and_destroy_in_use(api):
    host = hosts_of(api)[0]
    network = api("network.create", net_record(name="v100"))
    pifs = api("pool.create_VLAN_from_PIF", physical(api, host, "eth1"), network, 100)
    assert len(pifs) == 3 and {api("PIF.get_VLAN", pif) for pif in pifs} == {100}
    # a running VM's attached VIF on the VLAN network of its host: VLAN.destroy is refused
    vm = api.vm("web-01")
    resident = api("VM.get_resident_on", vm)
    vif = api("VIF.create", {"device": "5", "network": network, "VM": vm, "MAC": "", "MTU": 1500,
                             "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    api("VIF.plug", vif)
    mine = [pif for pif in pifs if api("PIF.get_host", pif) == resident][0]
    vlan = api("PIF.get_VLAN_master_of", mine)
    assert error(api, "VLAN.destroy", vlan) == ["VIF_IN_USE", network, vif]
    assert error(api, "PIF.unplug", mine) == ["VIF_IN_USE", network, vif]
    api("VIF.unplug", vif)
    api("VLAN.destroy", vlan)
    assert error(api, "PIF.destroy", physical(api, host, "eth1")) == ["PIF_IS_PHYSICAL", physical(api, host, "eth1")]
