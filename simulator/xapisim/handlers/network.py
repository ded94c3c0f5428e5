"""Networking [xenapi-notes §3.6; xen-api ocaml/xapi/xapi_network.ml, xapi_vlan.ml, xapi_bond.ml,
xapi_pif.ml, xapi_pif_helpers.ml, xapi_host.ml, xapi_pool.ml]: networks, VLANs, bonds, PIF
plug/unplug and IP configuration, and moving a host's management interface.

Every address the simulator hands out or accepts for a host is a loopback one (127.0.0.0/8):
nothing leaves the machine. A host whose management address changes is served at its new
address and no longer at its old one (World.hosts_changed: the Simulator re-syncs its listeners).
"""

import hashlib
import ipaddress

from ..errors import Failure
from ..values import NULL_REF
from .generic import constructor_fields
from .placement import host_is_live
from .registry import handles

BRIDGE_BLACKLIST = ("xen", "xapi", "vif", "tap", "eth")
VLAN_MAC = "fe:ff:ff:ff:ff:ff"
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
CONTROL_ADDRESS = "127.0.0.1"  # the simulator's control endpoint (simulator.CONTROL_ADDRESS): never a host's


# ---- networks ---------------------------------------------------------------------------------
@handles("network.create")
def network_create(call, record):
    """xapi_network.create: MTU <= 0 is 1500 (xapi checks no upper bound); an empty bridge is
    the next free xapi<N>; a given one must not look like a system bridge nor exist."""
    fields = constructor_fields(call, "network", record)
    db = call.db
    with db.lock:
        bridges = {network["bridge"] for network in db.tables["network"].values()}
        if fields["MTU"] <= 0:
            fields["MTU"] = 1500
        bridge = fields["bridge"]
        if bridge == "":
            counter = db.counters.get("bridge", 0)
            while "xapi%d" % counter in bridges:
                counter += 1
            bridge = "xapi%d" % counter
            db.counters["bridge"] = counter + 1
        else:
            if len(bridge) > 15 or bridge.startswith(BRIDGE_BLACKLIST):
                raise Failure("INVALID_VALUE", "bridge", bridge)
            if bridge in bridges:
                raise Failure("BRIDGE_NAME_EXISTS", bridge)
        fields.update(bridge=bridge, current_operations={}, allowed_operations=[], purpose=[],
                      default_locking_mode="unlocked", assigned_ips={}, blobs={})
        return db.create("network", fields)


@handles("network.destroy")
def network_destroy(call, network):
    """xapi_network.destroy: attached (or reserved) VIFs, then any PIF, then the host-internal
    management network; the network's remaining VIFs go with it."""
    db = call.db
    with db.lock:
        record = db.get("network", network)
        connected = [vif for vif in record["VIFs"]
                     if db.tables["VIF"][vif]["currently_attached"] or db.tables["VIF"][vif].get("reserved", False)]
        if connected:
            raise Failure("NETWORK_CONTAINS_VIF", *connected)
        if record["PIFs"]:
            raise Failure("NETWORK_CONTAINS_PIF", *record["PIFs"])
        if record["other_config"].get("is_host_internal_management_network", "").lower() == "true":
            raise Failure("CANNOT_DESTROY_SYSTEM_NETWORK", network)
        for vif in list(record["VIFs"]):
            db.delete("VIF", vif)
        db.delete("network", network)


# ---- PIF checks (xapi_pif.ml) -----------------------------------------------------------------------
def _assert_managed(record, pif):
    if not record["managed"]:
        raise Failure("PIF_UNMANAGED", pif)


def _assert_no_protection(db, record):
    """assert_no_protection_enabled: an attached PIF is not reconfigured under HA or a redo log."""
    if record["currently_attached"]:
        pool = db.get("pool", db.refs("pool")[0])
        if pool["ha_enabled"]:
            raise Failure("HA_IS_ENABLED")
        if pool["redo_log_enabled"]:
            raise Failure("REDO_LOG_IS_ENABLED")


def _assert_vifs_not_in_use(db, record):
    """assert_network_has_no_vifs_in_use_on_me: VIF_IN_USE [network, vif]."""
    network = db.tables["network"].get(record["network"])
    for vif in network["VIFs"] if network else ():
        vif_record = db.tables["VIF"][vif]
        vm = db.tables["VM"].get(vif_record["VM"])
        if vif_record["currently_attached"] and vm and vm["resident_on"] == record["host"] \
                and vm["power_state"] in ("Running", "Paused"):
            raise Failure("VIF_IN_USE", record["network"], vif)


def _assert_not_in_bond(record, pif):
    if record["bond_slave_of"] != NULL_REF or record["bond_master_of"]:
        raise Failure("PIF_ALREADY_BONDED", pif)


@handles("PIF.plug")
def pif_plug(call, pif):
    """xapi_pif.plug: a bond member comes up with its bond, not on its own."""
    db = call.db
    with db.lock:
        record = db.get("PIF", pif)
        _assert_managed(record, pif)
        if record["physical"] and record["bond_slave_of"] != NULL_REF:
            raise Failure("CANNOT_PLUG_BOND_SLAVE", pif)
        db.update("PIF", pif, currently_attached=True)


@handles("PIF.unplug")
def pif_unplug(call, pif):
    """xapi_pif.unplug, in xapi's order: managed, HA, management interface, VIFs in use on this
    host, disallow_unplug."""
    db = call.db
    with db.lock:
        record = db.get("PIF", pif)
        _assert_managed(record, pif)
        _assert_no_protection(db, record)
        if record["management"]:
            raise Failure("PIF_IS_MANAGEMENT_INTERFACE", pif)
        _assert_vifs_not_in_use(db, record)
        if record["disallow_unplug"]:
            raise Failure("PIF_DOES_NOT_ALLOW_UNPLUG", pif)
        if record["bond_slave_of"] == NULL_REF:
            db.update("PIF", pif, currently_attached=False)


# ---- IP configuration ------------------------------------------------------------------------------
def _valid_ip(version, text):
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def _valid_cidr(version, text):
    if "/" not in text:
        return False
    try:
        return ipaddress.ip_interface(text).version == version
    except ValueError:
        return False


def _assert_loopback(name, text):
    """The simulator's own rule: an address it is given must be loopback (it never reaches
    out). Refused as xapi refuses an invalid address: INVALID_IP_ADDRESS_SPECIFIED [parameter]."""
    if text and not ipaddress.ip_interface(text).ip.is_loopback:
        raise Failure("INVALID_IP_ADDRESS_SPECIFIED", name)


def _dns_of(version, text):
    """xapi's restrict_to: the comma-separated entries of one address family."""
    return [entry for entry in text.split(",") if entry and _valid_ip(version, entry)]


def dhcp_lease(record, pif):
    """The address the simulator's DHCP server leases: a PIF keeps a loopback address it already
    has, else gets one of its own in 127.128.0.0/9 (derived from the PIF, so stable)."""
    if record["IP"] and _valid_ip(4, record["IP"]) and ipaddress.ip_address(record["IP"]) in LOOPBACK:
        return record["IP"]
    digest = hashlib.sha256((record["uuid"] or pif).encode("utf-8")).digest()
    return "127.%d.%d.%d" % (128 + digest[0] % 127, digest[1], 1 + digest[2] % 254)


@handles("PIF.reconfigure_ip")
def reconfigure_ip(call, pif, mode, ip, netmask, gateway, dns):
    """xapi_pif.reconfigure_ip: checks in xapi's order, then the new configuration; an attached
    management PIF whose address changes moves its host to that address."""
    db = call.db
    with db.lock:
        record = db.get("PIF", pif)
        _assert_managed(record, pif)
        unchanged = (mode == "Static" and record["ip_configuration_mode"] == mode and record["IP"] == ip
                     and record["netmask"] == netmask and record["gateway"] == gateway)
        if not unchanged:
            _assert_no_protection(db, record)
        if mode == "Static":
            for name, value in (("IP", ip), ("netmask", netmask)):
                if not _valid_ip(4, value):
                    raise Failure("INVALID_IP_ADDRESS_SPECIFIED", name)
        for name, value in (("IP", ip), ("netmask", netmask), ("gateway", gateway)):
            if value and not _valid_ip(4, value):
                raise Failure("INVALID_IP_ADDRESS_SPECIFIED", name)
        _assert_loopback("IP", ip)
        _assert_loopback("gateway", gateway)
        if record["management"] and mode == "None" and record["primary_address_type"] == "IPv4":
            raise Failure("PIF_IS_MANAGEMENT_INTERFACE", pif)
        dns_value = ",".join(_dns_of(4, dns) + _dns_of(6, record["DNS"]))
        if mode == "DHCP" and record["currently_attached"]:
            ip, netmask = dhcp_lease(record, pif), "255.0.0.0"
        if record["management"] and record["currently_attached"] and ip and mode != "None":
            _assert_host_address_free(call, record["host"], ip)
        db.update("PIF", pif, ip_configuration_mode=mode, IP=ip, netmask=netmask, gateway=gateway, DNS=dns_value)
        if record["management"] and record["currently_attached"] and ip:
            move_host_address(call, record["host"], ip)


@handles("PIF.reconfigure_ipv6")
def reconfigure_ipv6(call, pif, mode, ipv6, gateway, dns):
    """xapi_pif.reconfigure_ipv6 (the simulator serves IPv4 only: IPv6 addresses must be ::1)."""
    db = call.db
    with db.lock:
        record = db.get("PIF", pif)
        _assert_managed(record, pif)
        unchanged = (mode == "Static" and record["ipv6_configuration_mode"] == mode and record["IPv6"] == [ipv6]
                     and record["ipv6_gateway"] == gateway)
        if not unchanged:
            _assert_no_protection(db, record)
        if gateway and not _valid_ip(6, gateway):
            raise Failure("INVALID_IP_ADDRESS_SPECIFIED", "gateway")
        if ipv6 and not _valid_cidr(6, ipv6):
            raise Failure("INVALID_IP_ADDRESS_SPECIFIED", "IPv6")
        _assert_loopback("IPv6", ipv6)
        _assert_loopback("gateway", gateway)
        if record["management"] and mode == "None" and record["primary_address_type"] == "IPv6":
            raise Failure("PIF_IS_MANAGEMENT_INTERFACE", pif)
        dns_value = ",".join(_dns_of(6, dns) + _dns_of(4, record["DNS"]))
        db.update("PIF", pif, ipv6_configuration_mode=mode, ipv6_gateway=gateway, IPv6=[ipv6], DNS=dns_value)


# ---- the management interface ------------------------------------------------------------------------
def _assert_host_address_free(call, host, address):
    """The simulator's rule for a host's new address: loopback, not the control address, not
    another host's (it would have to answer there). INVALID_IP_ADDRESS_SPECIFIED ["IP"]."""
    owner = call.world.hosts.get(address)
    if ipaddress.ip_address(address) not in LOOPBACK or address == CONTROL_ADDRESS \
            or (owner is not None and owner[1] != host):
        raise Failure("INVALID_IP_ADDRESS_SPECIFIED", "IP")


def move_host_address(call, host, address):
    """The host answers at `address` from now on, no longer at its old one."""
    db = call.db
    old = db.get("host", host)["address"]
    if old == address:
        return
    db.update("host", host, address=address)
    world = call.world
    if world.hosts.get(old, (None, None))[1] == host:
        world.unregister_host(old)
    world.register_host(call.pool, host)
    hook = getattr(world, "hosts_changed", None)  # the served Simulator listens where hosts answer now
    if hook is not None:
        hook()


def _assert_usable_for_management(record, pif):
    """xapi_pif.assert_usable_for_management."""
    if record["bond_slave_of"] != NULL_REF:
        raise Failure("CANNOT_PLUG_BOND_SLAVE", pif)
    if record["primary_address_type"] == "IPv4" and record["ip_configuration_mode"] == "None":
        raise Failure("PIF_HAS_NO_NETWORK_CONFIGURATION", pif)
    if record["primary_address_type"] == "IPv6" and record["ipv6_configuration_mode"] == "None":
        raise Failure("PIF_HAS_NO_V6_NETWORK_CONFIGURATION", pif)


def _management_pif(db, host):
    return next((pif for pif in db.get("host", host)["PIFs"] if db.tables["PIF"][pif]["management"]), None)


def set_management(call, host, pif):
    """Make `pif` its host's management interface (attached); the host's address follows it."""
    db = call.db
    record = db.get("PIF", pif)
    if record["ip_configuration_mode"] == "DHCP" and not record["IP"]:
        record = db.update("PIF", pif, IP=dhcp_lease(record, pif), netmask="255.0.0.0")
    if record["primary_address_type"] == "IPv4" and record["IP"]:
        _assert_host_address_free(call, host, record["IP"])
    for other in db.get("host", host)["PIFs"]:
        if other != pif and db.tables["PIF"][other]["management"]:
            db.update("PIF", other, management=False)
    db.update("PIF", pif, management=True, currently_attached=True)
    if record["primary_address_type"] == "IPv4" and record["IP"]:
        move_host_address(call, host, record["IP"])


def _host_management_reconfigure(call, pif):
    db = call.db
    record = db.get("PIF", pif)
    if record["managed"]:
        _assert_usable_for_management(record, pif)
        current = _management_pif(db, record["host"])
        if current is not None and db.tables["PIF"][current]["primary_address_type"] != record["primary_address_type"]:
            raise Failure("PIF_INCOMPATIBLE_PRIMARY_ADDRESS_TYPE", pif)
    if not record["management"]:
        set_management(call, record["host"], pif)


def _assert_no_ha(db):
    if db.get("pool", db.refs("pool")[0])["ha_enabled"]:
        raise Failure("HA_IS_ENABLED")


@handles("host.management_reconfigure")
def host_management_reconfigure(call, pif):
    """xapi_host.management_reconfigure, on the PIF's host: HA off, the PIF usable for
    management (not a bond member, an IP configuration) and of the current address type."""
    with call.db.lock:
        _assert_no_ha(call.db)
        _host_management_reconfigure(call, pif)


@handles("pool.management_reconfigure")
def pool_management_reconfigure(call, network):
    """xapi_pool.management_reconfigure: every host needs a PIF on the network (PIF_NOT_PRESENT
    [host, network]), all of one address type and usable; members first, the master last."""
    db = call.db
    with db.lock:
        _assert_no_ha(db)
        pifs = db.get("network", network)["PIFs"]
        by_host = {db.tables["PIF"][pif]["host"]: pif for pif in pifs}
        for host in db.refs("host"):
            if host not in by_host:
                raise Failure("PIF_NOT_PRESENT", host, network)
        address_type = db.tables["PIF"][pifs[0]]["primary_address_type"]
        for pif in pifs:
            record = db.tables["PIF"][pif]
            if record["primary_address_type"] != address_type:
                raise Failure("PIF_INCOMPATIBLE_PRIMARY_ADDRESS_TYPE", pif)
            _assert_usable_for_management(record, pif)
        master = call.pool.master
        for host in sorted(by_host, key=lambda ref: ref == master):
            _host_management_reconfigure(call, by_host[host])


# ---- VLANs --------------------------------------------------------------------------------------------
def _assert_vlan_allowed(db, tagged_pif, record):
    """xapi_pif_helpers.vlan_is_allowed_on_pif."""
    if record["physical"] and record["bond_slave_of"] != NULL_REF:
        raise Failure("CANNOT_ADD_VLAN_TO_BOND_SLAVE", tagged_pif)
    if record["VLAN_master_of"] != NULL_REF and record["VLAN_master_of"] in db.tables["VLAN"]:
        raise Failure("PIF_IS_VLAN", tagged_pif)
    if record["tunnel_access_PIF_of"]:
        raise Failure("IS_TUNNEL_ACCESS_PIF", tagged_pif)


def vlan_create(call, tagged_pif, tag, network):
    """xapi_vlan.create: the VLAN and its untagged PIF, plugged."""
    db = call.db
    with db.lock:
        record = db.get("PIF", tagged_pif)
        network_record = db.get("network", network)
        if not network_record["managed"]:
            raise Failure("NETWORK_UNMANAGED", network)
        host = record["host"]
        others = [pif for pif in network_record["PIFs"] if db.tables["PIF"][pif]["host"] == host]
        if others:
            raise Failure("NETWORK_ALREADY_CONNECTED", host, others[0])
        _assert_managed(record, tagged_pif)
        _assert_vlan_allowed(db, tagged_pif, record)
        if tag < 0 or tag > 4094:
            raise Failure("VLAN_TAG_INVALID", tag)
        device = record["device"]
        if any(db.tables["VLAN"][vlan]["tag"] == tag for vlan in record["VLAN_slave_of"] if vlan in db.tables["VLAN"]):
            raise Failure("PIF_VLAN_EXISTS", device)
        untagged = db.create("PIF", {
            "device": device, "network": network, "host": host, "MAC": VLAN_MAC, "MTU": record["MTU"], "VLAN": tag,
            "metrics": record["metrics"], "physical": False, "currently_attached": False,
            "igmp_snooping_status": "unknown", "ip_configuration_mode": "None", "ipv6_configuration_mode": "None",
            "IPv6": [""], "primary_address_type": record["primary_address_type"], "managed": True})
        vlan = db.create("VLAN", {"tagged_PIF": tagged_pif, "untagged_PIF": untagged, "tag": tag, "other_config": {}})
        db.update("PIF", untagged, VLAN_master_of=vlan)
        pif_plug(call, untagged)
        return vlan


@handles("VLAN.create")
def vlan_create_handler(call, tagged_pif, tag, network):
    return vlan_create(call, tagged_pif, tag, network)


def _destroy_vlan_pif(call, untagged):
    db = call.db
    record = db.get("PIF", untagged)
    _assert_not_in_bond(record, untagged)
    if record["management"] and record["currently_attached"] and record["host"] != call.pool.master:
        raise Failure("PIF_IS_MANAGEMENT_INTERFACE", untagged)  # assert_not_slave_management_pif
    _assert_no_protection(db, record)
    pif_unplug(call, untagged)
    if record["VLAN_master_of"] in db.tables["VLAN"]:
        db.delete("VLAN", record["VLAN_master_of"])
    db.delete("PIF", untagged)


@handles("VLAN.destroy")
def vlan_destroy(call, vlan):
    """xapi_vlan.destroy: an orphaned VLAN goes at once; else its PIF is unplugged (with
    PIF.unplug's checks) and both go."""
    db = call.db
    with db.lock:
        untagged = db.get("VLAN", vlan)["untagged_PIF"]
        if untagged not in db.tables["PIF"]:
            db.delete("VLAN", vlan)
            return
        _destroy_vlan_pif(call, untagged)


@handles("PIF.create_VLAN")
def pif_create_vlan(call, device, network, host, tag):
    """Deprecated xapi_pif.create_VLAN: VLAN.create on the host's untagged PIF of that device."""
    db = call.db
    with db.lock:
        db.get("host", host)
        base = [pif for pif in db.get("host", host)["PIFs"]
                if db.tables["PIF"][pif]["device"] == device and db.tables["PIF"][pif]["VLAN"] == -1]
        if not base:
            raise Failure("INVALID_VALUE", "device", device)
        return db.get("VLAN", vlan_create(call, base[0], tag, network))["untagged_PIF"]


@handles("PIF.destroy")
def pif_destroy(call, pif):
    """Deprecated xapi_pif.destroy: VLAN PIFs only (xapi sends PIF_IS_PHYSICAL without parameters;
    the catalogue declares [PIF], which the simulator sends)."""
    db = call.db
    with db.lock:
        record = db.get("PIF", pif)
        if record["VLAN"] < 0:
            raise Failure("PIF_IS_PHYSICAL", pif)
        vlan_destroy(call, record["VLAN_master_of"])


def _undo_vlans(call, vlans):
    for vlan in vlans:
        try:
            vlan_destroy(call, vlan)
        except Failure:
            pass


@handles("pool.create_VLAN")
def pool_create_vlan(call, device, network, tag):
    """xapi_pool.create_VLAN: PIF.create_VLAN on every host; an error undoes the ones made."""
    db = call.db
    with db.lock:
        made = []
        for host in db.refs("host"):
            try:
                made.append(pif_create_vlan(call, device, network, host, tag))
            except Failure:
                _undo_vlans(call, [db.tables["PIF"][pif]["VLAN_master_of"] for pif in made])
                raise
        return made


@handles("pool.create_VLAN_from_PIF")
def pool_create_vlan_from_pif(call, pif, network, tag):
    """xapi_pool.create_VLAN_from_PIF: a VLAN on every live host's PIF of the PIF's network."""
    db = call.db
    with db.lock:
        base_network = db.get("PIF", pif)["network"]
        pifs = [other for other in db.get("network", base_network)["PIFs"]
                if host_is_live(db, db.tables["PIF"][other]["host"])]
        vlans = []
        for tagged in pifs:
            try:
                vlans.append(vlan_create(call, tagged, tag, network))
            except Failure:
                _undo_vlans(call, vlans)
                raise
        return [db.tables["VLAN"][vlan]["untagged_PIF"] for vlan in vlans]


@handles("PIF.set_disallow_unplug")
def pif_set_disallow_unplug(call, pif, value):
    """xapi_pif.set_disallow_unplug (the FCoE check aside)."""
    call.db.get("PIF", pif)
    call.db.update("PIF", pif, disallow_unplug=value)
