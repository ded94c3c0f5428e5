"""Bonds [xenapi-notes §3.6; xen-api ocaml/xapi/xapi_bond.ml create/destroy/set_mode/set_property,
ocaml/xapi/map_check.ml]: a bond master PIF `bond<N>` on the bond's network over member PIFs of one
host; the IP configuration, the management flag and disallow_unplug move up to the master (and back
down to the primary member on destroy), so do the members' VLANs and the VIFs of VMs running there.
"""

import re

from ..errors import Failure
from ..values import NULL_REF
from .network import _assert_not_in_bond, pif_plug, set_management
from .registry import handles

MAC_PATTERN = re.compile(r"^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$")
IP_FIELDS = ("ip_configuration_mode", "IP", "netmask", "gateway", "DNS", "ipv6_configuration_mode", "IPv6",
             "ipv6_gateway", "primary_address_type")
IP_RESET = {"ip_configuration_mode": "None", "IP": "", "netmask": "", "gateway": "", "DNS": "",
            "ipv6_configuration_mode": "None", "IPv6": [""], "ipv6_gateway": ""}


def _is_int(text):
    try:
        int(text)
    except ValueError:
        return False
    return True


# requirements_of_mode: key -> (default or None, valid value test); modes other than lacp take none.
LACP_REQUIREMENTS = {
    "hashing_algorithm": ("tcpudp_ports", lambda value: value in ("src_mac", "tcpudp_ports")),
    "lacp-time": ("slow", lambda value: value in ("fast", "slow")),
    "lacp-aggregation-key": (None, _is_int),
    "lacp-fallback-ab": ("true", lambda value: value in ("true", "false")),
}


def _requirements(mode):
    return LACP_REQUIREMENTS if mode == "lacp" else {}


def _validate_property(requirements, key, value):
    """Map_check.validate_kvpair: INVALID_VALUE ["properties", "key = value"]."""
    if key not in requirements or not requirements[key][1](value):
        raise Failure("INVALID_VALUE", "properties", "%s = %s" % (key, value))


def _with_defaults(requirements, properties):
    result = dict(properties)
    for key, (default, _valid) in requirements.items():
        if key not in result and default is not None:
            result[key] = default
    return result


def _local_vifs(db, host, networks):
    """get_local_vifs: the VIFs on `networks` of VMs running on `host`."""
    found = []
    for network in networks:
        for vif in db.tables["network"][network]["VIFs"] if network in db.tables["network"] else ():
            vm = db.tables["VM"].get(db.tables["VIF"][vif]["VM"])
            if vm and vm["resident_on"] == host and vm["power_state"] in ("Running", "Paused"):
                found.append(vif)
    return found


def _move_configuration(db, source, target):
    """move_configuration: the IP configuration goes from `source` to `target`; `source` has none."""
    record = db.get("PIF", source)
    db.update("PIF", target, **{field: record[field] for field in IP_FIELDS})
    db.update("PIF", source, **IP_RESET)


def _move_vlan(db, target, vlan):
    """move_vlan: the VLAN's tagged PIF becomes `target` (its untagged PIF takes the device name)."""
    db.update("VLAN", vlan, tagged_PIF=target)
    untagged = db.tables["VLAN"][vlan]["untagged_PIF"]
    if untagged in db.tables["PIF"]:
        db.update("PIF", untagged, device=db.get("PIF", target)["device"])


def _bond_device(db, host):
    """choose_bond_device_name: the lowest bond<N> not taken on the host."""
    devices = {db.tables["PIF"][pif]["device"] for pif in db.get("host", host)["PIFs"]}
    index = 0
    while "bond%d" % index in devices:
        index += 1
    return "bond%d" % index


def _ha_enabled(db):
    return db.get("pool", db.refs("pool")[0])["ha_enabled"]


def _unique(members):
    seen = []
    for member in members:
        if member not in seen:
            seen.append(member)
    return seen


@handles("Bond.create")
def bond_create(call, network, members, mac, mode, properties):
    """xapi_bond.create, checks in xapi's order: network managed, no other PIF of the host on it,
    MAC, properties for the mode; then per member (already bonded, VLAN, tunnel access, HA and
    management, managed), one host, equal properties, at most one IP configuration."""
    db = call.db
    with db.lock:
        network_record = db.get("network", network)
        if not network_record["managed"]:
            raise Failure("NETWORK_UNMANAGED", network)
        members = _unique(members)
        if not members:
            raise Failure("PIF_BOND_NEEDS_MORE_MEMBERS")
        for member in members:
            db.get("PIF", member)
        host = db.get("PIF", members[0])["host"]
        others = [pif for pif in network_record["PIFs"] if db.tables["PIF"][pif]["host"] == host]
        if others:
            raise Failure("NETWORK_ALREADY_CONNECTED", host, others[0])
        if mac and not MAC_PATTERN.match(mac):
            raise Failure("MAC_INVALID", mac)
        requirements = _requirements(mode)
        for key, value in sorted(properties.items()):
            _validate_property(requirements, key, value)
        properties = _with_defaults(requirements, properties)

        records = [db.get("PIF", member) for member in members]
        management = [member for member, record in zip(members, records) if record["management"]]
        with_ip = [member for member, record in zip(members, records) if record["ip_configuration_mode"] != "None"]
        primary = (management or with_ip or members)[0]
        for member, record in zip(members, records):
            _assert_not_in_bond(record, member)
            if record["VLAN"] != -1:
                raise Failure("PIF_VLAN_EXISTS", record["device"])
            if record["tunnel_access_PIF_of"]:
                raise Failure("IS_TUNNEL_ACCESS_PIF", member)
            if record["management"] and _ha_enabled(db):
                raise Failure("HA_CANNOT_CHANGE_BOND_STATUS_OF_MGMT_IFACE")
            if not record["managed"]:
                raise Failure("PIF_UNMANAGED", member)
        if len({record["host"] for record in records}) != 1:
            raise Failure("PIF_CANNOT_BOND_CROSS_HOST")
        if any(record["properties"] != records[0]["properties"] for record in records):
            raise Failure("INCOMPATIBLE_PIF_PROPERTIES")
        if len(with_ip) > 1:
            raise Failure("PIF_BOND_MORE_THAN_ONE_IP")

        member_networks = [record["network"] for record in records]
        vifs = _local_vifs(db, host, member_networks)
        vlans = [vlan for record in records for vlan in record["VLAN_slave_of"] if vlan in db.tables["VLAN"]]
        metrics = db.create("PIF_metrics", {"carrier": True, "speed": 10000, "duplex": True})
        master = db.create("PIF", {
            "device": _bond_device(db, host), "network": network, "host": host,
            "MAC": mac or db.get("PIF", primary)["MAC"], "MTU": -1, "VLAN": -1, "metrics": metrics,
            "physical": False, "currently_attached": False, "igmp_snooping_status": "unknown",
            "ip_configuration_mode": "None", "ipv6_configuration_mode": "None", "IPv6": [""],
            "primary_address_type": "IPv4", "managed": True, "properties": dict(records[0]["properties"]),
            "other_config": {}, "disallow_unplug": False})
        bond = db.create("Bond", {"master": master, "other_config": {}, "primary_slave": primary, "mode": mode,
                                  "properties": properties, "links_up": 0})
        for member in members:
            db.update("PIF", member, bond_slave_of=bond)
        _move_configuration(db, primary, master)
        if management:
            set_management(call, host, master)
        else:
            pif_plug(call, master)
        for vlan in vlans:
            _move_vlan(db, master, vlan)
        for vif in vifs:
            db.update("VIF", vif, network=network)
        if any(record["disallow_unplug"] for record in records):
            db.update("PIF", master, disallow_unplug=True)
            for member in members:
                db.update("PIF", member, disallow_unplug=False)
        db.update("Bond", bond, links_up=len(members))
        return bond


@handles("Bond.destroy")
def bond_destroy(call, bond_ref):
    """xapi_bond.destroy: HA and the management interface, then everything moves back down to
    the primary member (IP configuration, management, VLANs, VIFs, disallow_unplug), the members
    come up and the bond and its master go."""
    db = call.db
    with db.lock:
        bond = db.get("Bond", bond_ref)
        master = bond["master"]
        record = db.get("PIF", master)
        members = list(bond["slaves"])
        primary = bond["primary_slave"]
        if primary not in db.tables["PIF"]:
            primary = members[0] if members else NULL_REF
        host = record["host"]
        if _ha_enabled(db) and record["management"]:
            raise Failure("HA_CANNOT_CHANGE_BOND_STATUS_OF_MGMT_IFACE")
        vifs = _local_vifs(db, host, [record["network"]])
        vlans = [vlan for vlan in record["VLAN_slave_of"] if vlan in db.tables["VLAN"]]
        for member in members:
            db.update("PIF", member, bond_slave_of=NULL_REF)
        if primary != NULL_REF:
            _move_configuration(db, master, primary)
            if record["management"]:
                db.update("PIF", master, management=False)
                set_management(call, host, primary)
            if record["management"] or record["currently_attached"]:
                for member in members:
                    db.update("PIF", member, currently_attached=True)
            for vlan in vlans:
                _move_vlan(db, primary, vlan)
            for vif in vifs:
                db.update("VIF", vif, network=db.get("PIF", primary)["network"])
            if record["disallow_unplug"]:
                db.update("PIF", primary, disallow_unplug=True)
        db.delete("Bond", bond_ref)
        metrics = record["metrics"]
        db.delete("PIF", master)
        if metrics in db.tables["PIF_metrics"]:
            db.delete("PIF_metrics", metrics)


@handles("Bond.set_mode")
def bond_set_mode(call, bond_ref, value):
    """xapi_bond.set_mode: properties that fit the new mode stay, its defaults are added."""
    db = call.db
    with db.lock:
        bond = db.get("Bond", bond_ref)
        requirements = _requirements(value)
        kept = {}
        for key, item in bond["properties"].items():
            try:
                _validate_property(requirements, key, item)
            except Failure:
                continue
            kept[key] = item
        db.update("Bond", bond_ref, mode=value, properties=_with_defaults(requirements, kept))
        db.update("PIF", bond["master"], currently_attached=True)


@handles("Bond.set_property")
def bond_set_property(call, bond_ref, name, value):
    """xapi_bond.set_property: the key and value must suit the bond's mode."""
    db = call.db
    with db.lock:
        bond = db.get("Bond", bond_ref)
        _validate_property(_requirements(bond["mode"]), name, value)
        properties = dict(bond["properties"])
        properties[name] = value
        db.update("Bond", bond_ref, properties=properties)
        db.update("PIF", bond["master"], currently_attached=True)
