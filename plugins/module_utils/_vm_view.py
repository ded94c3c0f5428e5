# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A VM as the collection shows it (vm_info, and the vm module's result): by uuid, with its
disks, CD, NICs, addresses, host and console, read with a fixed number of calls."""

from ._records import NULL_REF, Related

FOLDER_KEY = "folder"  # XenCenter keeps a VM's folder in other_config


def load_related(client, vms):
    """vms: {ref: record} -> the related tables, each read once."""
    vbds = Related(client, "VBD").load(r for vm in vms.values() for r in vm["VBDs"])
    vdis = Related(client, "VDI").load(vbd["VDI"] for vbd in vbds.records.values())
    vifs = Related(client, "VIF").load(r for vm in vms.values() for r in vm["VIFs"])
    return {
        "VBD": vbds, "VDI": vdis, "VIF": vifs,
        "SR": Related(client, "SR").load(vdi["SR"] for vdi in vdis.records.values()),
        "network": Related(client, "network").load(vif["network"] for vif in vifs.records.values()),
        "host": Related(client, "host").load(vm["resident_on"] for vm in vms.values()),
        "guest": Related(client, "VM_guest_metrics").load(vm["guest_metrics"] for vm in vms.values()),
        "console": Related(client, "console").load(
            c for vm in vms.values() if vm["power_state"] == "Running" for c in vm["consoles"]),
    }


def _name(record):
    return record["name_label"] if record else None


def _named(record):
    return {"uuid": record["uuid"], "name": record["name_label"]} if record else None


def vm_view(vm, related):
    disks, cdrom, config_drive = [], None, False
    for vbd_ref in vm["VBDs"]:
        vbd = related["VBD"].get(vbd_ref)
        if vbd is None:
            continue
        vdi = related["VDI"].get(vbd["VDI"]) if vbd["VDI"] != NULL_REF else None
        if vbd["type"] == "CD":
            cdrom = {"iso": vdi["name_label"] if vdi else None, "uuid": vdi["uuid"] if vdi else None}
            continue
        if vdi is None:
            continue
        if vdi["other_config"].get("config-drive") == "true":  # cloud-init's data, not one of the VM's disks
            config_drive = True
            continue
        disks.append({"position": vbd["userdevice"], "uuid": vdi["uuid"], "name": vdi["name_label"],
                      "size": vdi["virtual_size"], "sr": _name(related["SR"].get(vdi["SR"])),
                      "bootable": vbd["bootable"], "mode": vbd["mode"]})
    guest = related["guest"].get(vm["guest_metrics"]) or {}
    networks_seen = guest.get("networks", {})
    nics = []
    for vif_ref in vm["VIFs"]:
        vif = related["VIF"].get(vif_ref)
        if vif is None:
            continue
        ip = networks_seen.get("%s/ip" % vif["device"]) or networks_seen.get("%s/ipv4/0" % vif["device"])
        nics.append({"device": vif["device"], "mac": vif["MAC"], "network": _name(related["network"].get(vif["network"])),
                     "ip": ip, "ipv6": networks_seen.get("%s/ipv6/0" % vif["device"])})
    nics.sort(key=lambda n: int(n["device"]) if n["device"].isdigit() else 0)
    disks.sort(key=lambda d: int(d["position"]) if d["position"].isdigit() else 0)
    console = None
    for console_ref in vm["consoles"]:
        record = related["console"].get(console_ref)
        if record and record["protocol"] == "rfb":
            console = {"protocol": record["protocol"], "location": record["location"]}
    ips = [n["ip"] for n in nics if n["ip"]]
    return {
        "uuid": vm["uuid"], "name": vm["name_label"], "description": vm["name_description"],
        "power_state": vm["power_state"].lower(), "host": _named(related["host"].get(vm["resident_on"])),
        "is_template": vm["is_a_template"] and not vm["is_a_snapshot"], "is_snapshot": vm["is_a_snapshot"],
        "template": vm["other_config"].get("base_template_name"), "folder": vm["other_config"].get(FOLDER_KEY),
        "tags": vm["tags"], "other_config": vm["other_config"],
        "vcpus": {"max": vm["VCPUs_max"], "at_startup": vm["VCPUs_at_startup"]},
        "memory": {"static_min": vm["memory_static_min"], "static_max": vm["memory_static_max"],
                   "dynamic_min": vm["memory_dynamic_min"], "dynamic_max": vm["memory_dynamic_max"]},
        "firmware": vm["HVM_boot_params"].get("firmware", "bios"),
        "secure_boot": vm["platform"].get("secureboot") == "true",
        "ha_restart_priority": vm["ha_restart_priority"], "disks": disks, "cdrom": cdrom, "networks": nics,
        "ip": ips[0] if ips else None, "ips": ips,
        "guest": {"os": guest.get("os_version", {}).get("name"), "pv_drivers": guest.get("PV_drivers_detected", False)}
        if guest else None,
        "console": console, "cloud_init": config_drive,
    }
