# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Raw pool records -> one dict of facts per VM (and per host), joined in memory. Plain Python
and one pass per class: this runs for every VM of every pool."""

import ipaddress

NULL = "OpaqueRef:NULL"
FOLDER_KEY = "folder"


def _is_wanted(vm, options):
    if vm["is_control_domain"]:
        return options["include_control_domain"]
    if vm["is_a_snapshot"]:
        return options["include_snapshots"]
    if vm["is_a_template"]:
        return options["include_templates"]
    return True


def _addresses(guest, vif_devices):
    """IPv4 then IPv6 addresses the guest agent reports, NIC by NIC (device order), no duplicates."""
    networks = guest.get("networks") or {}
    ipv4, ipv6 = [], []
    for device in vif_devices:
        for key, value in sorted(networks.items()):
            if not key.startswith(device + "/") or not value:
                continue
            target = ipv6 if "ipv6" in key else ipv4
            if value not in target:
                target.append(value)
    if not vif_devices:
        for key, value in sorted(networks.items()):
            target = ipv6 if "ipv6" in key else ipv4
            if value and value not in target:
                target.append(value)
    return ipv4, ipv6


def _os(guest):
    version = guest.get("os_version") or {}
    return {"name": version.get("name") or None, "distro": version.get("distro") or None,
            "major": version.get("major") or None}


def preferred_address(facts, preference):
    """ansible_host: the first address on the preferred network (by name) or in the CIDR, else the first."""
    if preference:
        try:
            network = ipaddress.ip_network(preference, strict=False)
        except ValueError:
            network = None
        if network is not None:
            for address in facts["ipv4"] + facts["ipv6"]:
                try:
                    if ipaddress.ip_address(address.split("/")[0]) in network:
                        return address
                except ValueError:
                    continue
            return None
        for nic in facts.get("nics", ()):
            if nic["network"] == preference and nic["ip"]:
                return nic["ip"]
        return None
    addresses = facts["ipv4"] or facts["ipv6"]
    return addresses[0] if addresses else None


def vm_facts(records, pool_name, options):
    """[(ref, facts)] for the VMs of one pool the options keep."""
    hosts = records["host"]
    guests = records["VM_guest_metrics"]
    vifs = records.get("VIF")
    networks = records.get("network") or {}
    vbds, vdis, srs = records.get("VBD"), records.get("VDI") or {}, records.get("SR") or {}
    result = []
    for ref, vm in records["VM"].items():
        if not _is_wanted(vm, options):
            continue
        host = hosts.get(vm["resident_on"])
        guest = guests.get(vm["guest_metrics"]) or {}
        facts = {
            "uuid": vm["uuid"], "name": vm["name_label"], "description": vm["name_description"],
            "power_state": vm["power_state"].lower(), "pool": pool_name,
            "host": host["name_label"] if host else None,
            "vcpus": int(vm["VCPUs_max"]), "memory_mib": int(vm["memory_static_max"]) // (1024 * 1024),
            "os": _os(guest), "tags": list(vm["tags"]), "folder": vm["other_config"].get(FOLDER_KEY) or None,
            "ha_restart_priority": vm["ha_restart_priority"] or None,
            "is_template": vm["is_a_template"], "is_snapshot": vm["is_a_snapshot"],
        }
        devices = []
        if vifs is not None:
            nics = []
            for vif_ref in vm["VIFs"]:
                vif = vifs.get(vif_ref)
                if vif is None:
                    continue
                network = networks.get(vif["network"])
                nics.append({"device": vif["device"], "mac": vif["MAC"],
                             "network": network["name_label"] if network else None})
            nics.sort(key=lambda n: int(n["device"]) if n["device"].isdigit() else 0)
            devices = [n["device"] for n in nics]
            seen = guest.get("networks") or {}
            for nic in nics:
                nic["ip"] = seen.get("%s/ip" % nic["device"]) or seen.get("%s/ipv4/0" % nic["device"])
            facts["nics"] = nics
            facts["macs"] = [n["mac"] for n in nics]
            facts["networks"] = sorted({n["network"] for n in nics if n["network"]})
        facts["ipv4"], facts["ipv6"] = _addresses(guest, devices)
        if vbds is not None:
            disks = []
            for vbd_ref in vm["VBDs"]:
                vbd = vbds.get(vbd_ref)
                if vbd is None or vbd["type"] != "Disk" or vbd["VDI"] == NULL:
                    continue
                vdi = vdis.get(vbd["VDI"])
                if vdi is None:
                    continue
                sr = srs.get(vdi["SR"])
                disks.append({"position": vbd["userdevice"], "name": vdi["name_label"], "uuid": vdi["uuid"],
                              "size": int(vdi["virtual_size"]), "sr": sr["name_label"] if sr else None})
            disks.sort(key=lambda d: int(d["position"]) if d["position"].isdigit() else 0)
            facts["disks"] = disks
        if options["with_other_config"]:
            facts["other_config"] = dict(vm["other_config"])
        result.append((ref, facts))
    return result


def host_facts(records, pool_name):
    """[(ref, facts)] for the pool's hosts (include_hosts)."""
    master = next(iter(records["pool"].values()))["master"] if records["pool"] else None
    result = []
    for ref, host in records["host"].items():
        version = host["software_version"]
        result.append((ref, {"uuid": host["uuid"], "name": host["name_label"], "address": host["address"],
                             "enabled": host["enabled"], "pool": pool_name, "master": ref == master,
                             "product_version": version.get("product_version"), "tags": list(host["tags"])}))
    return result


def pool_name(records):
    pool = next(iter(records["pool"].values()), None)
    if pool is None:
        return None
    if pool["name_label"]:
        return pool["name_label"]
    master = records["host"].get(pool["master"])
    return master["name_label"] if master else pool["uuid"]
