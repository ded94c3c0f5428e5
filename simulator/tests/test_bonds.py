"""Bonds [xenapi-notes §3.6; xen-api ocaml/xapi/xapi_bond.ml]: Bond.create/destroy/set_mode/set_property."""

from conftest import MASTER, error

NULL = "OpaqueRef:NULL"


def net(api, name="bond net"):
    return api("network.create", {"name_label": name, "name_description": "", "MTU": 1500, "other_config": {},
                                  "bridge": ""})


def pif_of(api, host, device):
    for pif in api("host.get_PIFs", host):
        if api("PIF.get_device", pif) == device and api("PIF.get_VLAN", pif) == -1:
            return pif
    raise AssertionError("no " + device)


def host_of(api, index=0):
    master = api("pool.get_master", api("pool.get_all")[0])
    hosts = [master] + [host for host in api("host.get_all") if host != master]
    return hosts[index]


def test_bond_over_eth0_and_eth1_takes_the_management_interface(api):
    host = host_of(api, 1)
    eth0, eth1 = pif_of(api, host, "eth0"), pif_of(api, host, "eth1")
    before = api("PIF.get_record", eth0)
    address = api("host.get_address", host)
    network = net(api)
    bond = api("Bond.create", network, [eth0, eth1], "", "active-backup")
    record = api("Bond.get_record", bond)
    master = record["master"]
    pif = api("PIF.get_record", master)
    assert (pif["device"], pif["network"], pif["MAC"], pif["currently_attached"], pif["physical"]) == \
        ("bond0", network, before["MAC"], True, False)
    assert (pif["management"], pif["ip_configuration_mode"], pif["IP"], pif["disallow_unplug"]) == \
        (True, "Static", before["IP"], True)
    assert sorted(record["slaves"]) == sorted([eth0, eth1]) and record["primary_slave"] == eth0
    assert record["mode"] == "active-backup" and record["properties"] == {}
    assert api("PIF.get_bond_master_of", master) == [bond]
    for member in (eth0, eth1):
        member_record = api("PIF.get_record", member)
        assert member_record["bond_slave_of"] == bond
        assert (member_record["management"], member_record["ip_configuration_mode"], member_record["IP"]) == (False, "None", "")
    assert api("host.get_address", host) == address
    assert error(api, "PIF.plug", eth1) == ["CANNOT_PLUG_BOND_SLAVE", eth1]
    assert error(api, "host.management_reconfigure", eth0) == ["CANNOT_PLUG_BOND_SLAVE", eth0]

    api("Bond.destroy", bond)
    assert error(api, "Bond.get_record", bond) == ["HANDLE_INVALID", "Bond", bond]
    assert error(api, "PIF.get_record", master) == ["HANDLE_INVALID", "PIF", master]
    back = api("PIF.get_record", eth0)
    assert (back["management"], back["ip_configuration_mode"], back["IP"], back["bond_slave_of"], back["disallow_unplug"]) == \
        (True, "Static", before["IP"], NULL, True)
    assert api("PIF.get_bond_slave_of", eth1) == NULL and api("PIF.get_currently_attached", eth1) is True
    assert api("host.get_address", host) == address
    api("network.destroy", network)


def test_bond_defaults_mode_and_names_devices(api):
    host = host_of(api)
    network = net(api)
    bond = api("Bond.create", network, [pif_of(api, host, "eth1")], "02:00:00:00:00:01")
    assert api("Bond.get_mode", bond) == "balance-slb"
    master = api("Bond.get_master", bond)
    assert api("PIF.get_MAC", master) == "02:00:00:00:00:01" and api("PIF.get_device", master) == "bond0"
    assert api("PIF.get_management", master) is False and api("PIF.get_currently_attached", master) is True
    second = api("Bond.create", net(api, "second"), [pif_of(api, host, "eth0")], "", "balance-slb", {})
    assert api("PIF.get_device", api("Bond.get_master", second)) == "bond1"


def test_create_checks(api):
    host, other_host = host_of(api), host_of(api, 1)
    eth0, eth1 = pif_of(api, host, "eth0"), pif_of(api, host, "eth1")
    network = net(api)
    assert error(api, "Bond.create", network, [], "", "balance-slb", {}) == ["PIF_BOND_NEEDS_MORE_MEMBERS"]
    assert error(api, "Bond.create", network, [eth0, eth1], "zz:00", "balance-slb", {}) == ["MAC_INVALID", "zz:00"]
    assert error(api, "Bond.create", network, [eth1, pif_of(api, other_host, "eth1")], "", "balance-slb", {}) == \
        ["PIF_CANNOT_BOND_CROSS_HOST"]
    assert error(api, "Bond.create", network, [eth1], "", "balance-slb", {"lacp-time": "fast"}) == \
        ["INVALID_VALUE", "properties", "lacp-time = fast"]
    assert error(api, "Bond.create", network, [eth1], "", "lacp", {"lacp-time": "soon"}) == \
        ["INVALID_VALUE", "properties", "lacp-time = soon"]
    api("PIF.reconfigure_ip", eth1, "Static", "127.0.50.1", "255.0.0.0", "", "")
    assert error(api, "Bond.create", network, [eth0, eth1], "", "balance-slb", {}) == ["PIF_BOND_MORE_THAN_ONE_IP"]
    api("PIF.reconfigure_ip", eth1, "None", "", "", "", "")
    vlan_net = net(api, "vlan")
    vlan_pif = api("VLAN.get_untagged_PIF", api("VLAN.create", eth1, 7, vlan_net))
    assert error(api, "Bond.create", network, [vlan_pif], "", "balance-slb", {}) == ["PIF_VLAN_EXISTS", "eth1"]
    bond = api("Bond.create", network, [eth1], "", "balance-slb", {})
    second = net(api, "second")
    assert error(api, "Bond.create", second, [eth1], "", "balance-slb", {}) == ["PIF_ALREADY_BONDED", eth1]
    master = api("Bond.get_master", bond)
    assert error(api, "Bond.create", network, [eth0], "", "balance-slb", {}) == \
        ["NETWORK_ALREADY_CONNECTED", host, master]
    # the member's VLAN moved up to the bond
    assert api("VLAN.get_tagged_PIF", api("PIF.get_VLAN_master_of", vlan_pif)) == master
    api("Bond.destroy", bond)
    assert api("VLAN.get_tagged_PIF", api("PIF.get_VLAN_master_of", vlan_pif)) == eth1


def test_ha_blocks_bonding_the_management_interface(api):
    host = host_of(api)
    network = net(api)
    eth0, eth1 = pif_of(api, host, "eth0"), pif_of(api, host, "eth1")
    bond = api("Bond.create", network, [eth0, eth1], "", "balance-slb", {})
    db = api.sim.world.pool_of_host(MASTER)[0].db
    db.update("pool", api("pool.get_all")[0], ha_enabled=True)
    assert error(api, "Bond.destroy", bond) == ["HA_CANNOT_CHANGE_BOND_STATUS_OF_MGMT_IFACE"]
    db.update("pool", api("pool.get_all")[0], ha_enabled=False)
    api("Bond.destroy", bond)
    db.update("pool", api("pool.get_all")[0], ha_enabled=True)
    assert error(api, "Bond.create", network, [eth0, eth1], "", "balance-slb", {}) == \
        ["HA_CANNOT_CHANGE_BOND_STATUS_OF_MGMT_IFACE"]


def test_set_mode_and_set_property(api):
    host = host_of(api)
    network = net(api)
    bond = api("Bond.create", network, [pif_of(api, host, "eth1")], "", "lacp", {"lacp-time": "fast"})
    assert api("Bond.get_properties", bond) == {"hashing_algorithm": "tcpudp_ports", "lacp-time": "fast",
                                                "lacp-fallback-ab": "true"}
    api("Bond.set_property", bond, "hashing_algorithm", "src_mac")
    assert api("Bond.get_properties", bond)["hashing_algorithm"] == "src_mac"
    assert error(api, "Bond.set_property", bond, "hashing_algorithm", "md5") == \
        ["INVALID_VALUE", "properties", "hashing_algorithm = md5"]
    api("Bond.set_mode", bond, "active-backup")
    assert api("Bond.get_mode", bond) == "active-backup" and api("Bond.get_properties", bond) == {}
    assert error(api, "Bond.set_property", bond, "lacp-time", "slow") == \
        ["INVALID_VALUE", "properties", "lacp-time = slow"]
    api("Bond.set_mode", bond, "lacp")
    assert api("Bond.get_properties", bond)["lacp-time"] == "slow"
    assert api("PIF.get_other_config", api("Bond.get_master", bond)) == {}
