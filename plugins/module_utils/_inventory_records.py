# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the inventory reads from a pool: one get_all_records per class it needs, trimmed to the
fields it uses (a smaller cache, a faster cached run). The number of calls never depends on the
number of VMs."""

from ._client import XenAPIClient

# class -> the fields kept; VIF/network only with networks, VBD/VDI/SR only with disks
FIELDS = {
    "pool": ("uuid", "name_label", "master"),
    "host": ("uuid", "name_label", "address", "enabled", "software_version", "memory_overhead", "tags"),
    "VM": ("uuid", "name_label", "name_description", "power_state", "is_a_template", "is_a_snapshot",
           "is_control_domain", "resident_on", "VCPUs_max", "memory_static_max", "tags", "other_config",
           "guest_metrics", "VIFs", "VBDs", "ha_restart_priority", "affinity"),
    "VM_guest_metrics": ("os_version", "networks", "PV_drivers_detected"),
    "VIF": ("device", "MAC", "network"),
    "network": ("name_label", "uuid"),
    "VBD": ("VDI", "type", "userdevice"),
    "VDI": ("name_label", "uuid", "virtual_size", "SR"),
    "SR": ("name_label", "uuid"),
}
NETWORK_CLASSES = ("VIF", "network")
DISK_CLASSES = ("VBD", "VDI", "SR")


def classes(with_networks, with_disks):
    wanted = ["pool", "host", "VM", "VM_guest_metrics"]
    if with_networks:
        wanted += NETWORK_CLASSES
    if with_disks:
        wanted += DISK_CLASSES
    return wanted


def read_pool(connection, with_networks, with_disks):
    """({class: {ref: trimmed record}}, warnings) of one pool; the client logs out in every case.
    connection: hostname, username, password, validate_certs, ca_path, protocol, timeout."""
    client = XenAPIClient(connection["hostname"], connection.get("username") or "root", connection.get("password") or "",
                          validate_certs=connection.get("validate_certs", True), ca_path=connection.get("ca_path"),
                          protocol=connection.get("protocol") or "jsonrpc", timeout=connection.get("timeout") or 60,
                          retry_deadline=connection.get("timeout") or 60)
    with client:
        records = {}
        for cls in classes(with_networks, with_disks):
            keep = FIELDS[cls]
            records[cls] = {ref: {field: record.get(field) for field in keep}
                            for ref, record in client.call("%s.get_all_records" % cls).items()}
    return records, list(client.warnings)
