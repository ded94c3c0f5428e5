"""One-to-many relations of the data model, as xapi's database keeps them.

(child class, child ref field) -> (parent class, parent set field). The parent's set is
never written by handlers: the database keeps it equal to the children that point at it.
xenapi.json does not say which field pairs with which, so the pairs are listed here and
checked against the model by the tests.
"""

RELATIONS = {
    ("task", "subtask_of"): ("task", "subtasks"),
    ("VDI", "metadata_of_pool"): ("pool", "metadata_VDIs"),
    ("host_patch", "pool_patch"): ("pool_patch", "host_patches"),
    ("console", "VM"): ("VM", "consoles"),
    ("VIF", "VM"): ("VM", "VIFs"),
    ("VBD", "VM"): ("VM", "VBDs"),
    ("VUSB", "VM"): ("VM", "VUSBs"),
    ("crashdump", "VM"): ("VM", "crash_dumps"),
    ("VTPM", "VM"): ("VM", "VTPMs"),
    ("VM", "snapshot_of"): ("VM", "snapshots"),
    ("VM", "parent"): ("VM", "children"),
    ("VGPU", "VM"): ("VM", "VGPUs"),
    ("VM", "snapshot_schedule"): ("VMSS", "VMs"),
    ("VM", "appliance"): ("VM_appliance", "VMs"),
    ("SR", "introduced_by"): ("DR_task", "introduced_SRs"),
    ("VM", "resident_on"): ("host", "resident_VMs"),
    ("PIF", "host"): ("host", "PIFs"),
    ("host_crashdump", "host"): ("host", "crashdumps"),
    ("host_patch", "host"): ("host", "patches"),
    ("PBD", "host"): ("host", "PBDs"),
    ("host_cpu", "host"): ("host", "host_CPUs"),
    ("PCI", "host"): ("host", "PCIs"),
    ("PGPU", "host"): ("host", "PGPUs"),
    ("PUSB", "host"): ("host", "PUSBs"),
    ("Feature", "host"): ("host", "features"),
    ("Certificate", "host"): ("host", "certificates"),
    ("VIF", "network"): ("network", "VIFs"),
    ("PIF", "network"): ("network", "PIFs"),
    ("Bond", "master"): ("PIF", "bond_master_of"),
    ("VLAN", "tagged_PIF"): ("PIF", "VLAN_slave_of"),
    ("tunnel", "access_PIF"): ("PIF", "tunnel_access_PIF_of"),
    ("tunnel", "transport_PIF"): ("PIF", "tunnel_transport_PIF_of"),
    ("network_sriov", "physical_PIF"): ("PIF", "sriov_physical_PIF_of"),
    ("network_sriov", "logical_PIF"): ("PIF", "sriov_logical_PIF_of"),
    ("PIF", "bond_slave_of"): ("Bond", "slaves"),
    ("VDI", "SR"): ("SR", "VDIs"),
    ("PBD", "SR"): ("SR", "PBDs"),
    ("VBD", "VDI"): ("VDI", "VBDs"),
    ("crashdump", "VDI"): ("VDI", "crash_dumps"),
    ("VDI", "snapshot_of"): ("VDI", "snapshots"),
    ("VGPU", "resident_on"): ("PGPU", "resident_VGPUs"),
    ("PGPU", "GPU_group"): ("GPU_group", "PGPUs"),
    ("VGPU", "GPU_group"): ("GPU_group", "VGPUs"),
    ("VGPU", "type"): ("VGPU_type", "VGPUs"),
    ("PVS_cache_storage", "site"): ("PVS_site", "cache_storage"),
    ("PVS_server", "site"): ("PVS_site", "servers"),
    ("PVS_proxy", "site"): ("PVS_site", "proxies"),
    ("PUSB", "USB_group"): ("USB_group", "PUSBs"),
    ("VUSB", "USB_group"): ("USB_group", "VUSBs"),
    ("Cluster_host", "cluster"): ("Cluster", "cluster_hosts"),
}


def children_by_class():
    """child class -> [(child field, parent class, parent field)]."""
    result = {}
    for (child, field), (parent, parent_field) in RELATIONS.items():
        result.setdefault(child, []).append((field, parent, parent_field))
    return result


def derived_fields():
    """parent class -> set of fields the database maintains."""
    result = {}
    for parent, parent_field in RELATIONS.values():
        result.setdefault(parent, set()).add(parent_field)
    return result
