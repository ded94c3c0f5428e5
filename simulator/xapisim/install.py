"""What a fresh install leaves in the database: the host, its dom0, local storage, NICs,
and, once per pool, the pool object, roles, storage drivers, networks and templates
[xenapi-notes §2.5]. Values marked there as guesses are kept plausible and loopback-only.
"""

import hashlib

from . import roles
from .templates import install_templates
from .values import NULL_REF, new_uuid, now

GIB = 1024 ** 3
TOOLS_FS_SIZE = 18 * GIB  # the tools SR is a folder of dom0's root filesystem: its size is that filesystem's
PRODUCTS = {
    "xenserver": {"product_brand": "XenServer", "product_version": "8.4.0", "product_version_text": "8.4",
                  "product_version_text_short": "8.4", "platform_name": "XCP", "platform_version": "3.4.0",
                  "edition": "premium-per-socket"},
    "xcp-ng": {"product_brand": "XCP-ng", "product_version": "8.3.0", "product_version_text": "8.3",
               "product_version_text_short": "8.3", "platform_name": "XCP", "platform_version": "3.4.0",
               "edition": "xcp-ng"},
}
_VDI_FEATURES = ["VDI_CREATE", "VDI_DELETE", "VDI_ATTACH", "VDI_DETACH", "VDI_CLONE", "VDI_SNAPSHOT", "VDI_RESIZE",
                 "VDI_MIRROR", "VDI_UPDATE", "VDI_RESET_ON_BOOT/2", "VDI_CONFIG_CBT"]
SM_DRIVERS = {
    "lvm": ("Local LVM", "LVHD over a local block device", ["SR_PROBE", "SR_UPDATE"] + _VDI_FEATURES),
    "ext": ("Local EXT3 VHD", "SR plugin representing disks as VHD files stored on a local EXT3 filesystem",
            ["SR_PROBE", "SR_UPDATE"] + _VDI_FEATURES),
    "nfs": ("NFS VHD", "SR plugin which stores disks as VHD files on a remote NFS filesystem",
            ["SR_PROBE", "SR_UPDATE", "SR_CACHING"] + _VDI_FEATURES + ["VDI_GENERATE_CONFIG", "THIN_PROVISIONING"]),
    "lvmoiscsi": ("LVHD over iSCSI",
                  "SR plugin which represents disks as Logical Volumes within a Volume Group created on an iSCSI LUN",
                  ["SR_PROBE", "SR_UPDATE", "SR_METADATA"] + _VDI_FEATURES),
    "smb": ("SMB VHD", "SR plugin which stores disks as VHD files on a remote SMB filesystem",
            ["SR_PROBE", "SR_UPDATE"] + _VDI_FEATURES),
    "iso": ("ISO", "Handles CD images stored as files in iso format",
            ["VDI_CREATE", "VDI_DELETE", "VDI_ATTACH", "VDI_DETACH", "SR_SCAN", "SR_ATTACH", "SR_DETACH"]),
    "udev": ("udev", "Represents (e.g. USB) block devices as VDIs", ["VDI_ATTACH", "VDI_DETACH", "VDI_INTRODUCE"]),
}
CPU_MODEL = "Intel(R) Xeon(R) Gold 6326 CPU @ 2.90GHz"
CPU_FLAGS = "fpu de tsc msr pae mce cx8 apic sep mca cmov pat clflush acpi mmx fxsr sse sse2 ss ht syscall nx lm"
FEATURES_HVM = "-".join(["1fcbfbff", "f7fa3223", "2d93fbff", "00000523", "0000000f", "f1bf07ab", "00405f4e", "00000000",
                         "311ed005", "10000010", "00000020"] + ["00000000"] * 6)
FEATURES_PV = "-".join(["1fc9cbf5", "f6f83203", "2991cbf5", "00000123", "0000000f", "f1bf0389", "00405f4e", "00000000",
                        "311ed005", "10000010", "00000020"] + ["00000000"] * 6)


def _mac(*parts):
    digest = hashlib.md5("/".join(map(str, parts)).encode("utf-8")).digest()
    return "%02x:%02x:%02x:%02x:%02x:%02x" % ((digest[0] & 0xFC) | 0x02, *digest[1:6])


def create_pool(db, model, name, product):
    roles.install_roles(db, model)
    for driver, (label, description, features) in SM_DRIVERS.items():
        db.create("SM", {"name_label": label, "name_description": description, "type": driver,
                         "vendor": "Cloud Software Group, Inc.", "copyright": "(C) 2024 Cloud Software Group, Inc.",
                         "version": "1.0", "required_api_version": "1.0",
                         "capabilities": [f.partition("/")[0] for f in features],
                         "features": {f.partition("/")[0]: int(f.partition("/")[2] or 1) for f in features},
                         "configuration": {}, "driver_filename": "/opt/xensource/sm/%sSR" % driver.upper()})
    pool = db.create("pool", {"name_label": name, "other_config": {"memory-ratio-hvm": "0.25",
                                                                   "memory-ratio-pv": "0.25"},
                              "restrictions": {"restrict_pooling": "false", "restrict_rbac": "false",
                                               "restrict_ad": "false", "restrict_ha": "false"},
                              "cpu_info": {"vendor": "GenuineIntel", "cpu_count": "0", "socket_count": "0"},
                              "telemetry_uuid": NULL_REF, "repository_proxy_password": NULL_REF})
    install_templates(db)
    db.create("network", {"name_label": "Host internal management network", "bridge": "xenapi",
                          "name_description": "Network on which guests will be assigned a private link-local IP address which can be used to talk XenAPI",
                          "MTU": 1500, "other_config": {"is_guest_installer_network": "true",
                                                        "is_host_internal_management_network": "true"}})
    return pool


def _nic_network(db, device):
    """The pool-wide network of a physical NIC, made when the first host brings that NIC."""
    bridge = "xenbr" + device[3:]
    found = db.find_one("network", bridge=bridge)
    if found:
        return found
    return db.create("network", {"name_label": "Pool-wide network associated with %s" % device, "bridge": bridge,
                                 "MTU": 1500, "other_config": {"automatic": "true"}, "managed": True})


def _pif(db, host, hostname, device, management, address):
    metrics = db.create("PIF_metrics", {"carrier": True, "speed": 10000, "duplex": True, "vendor_id": "8086",
                                        "vendor_name": "Intel Corporation", "device_id": "1572",
                                        "device_name": "Ethernet Controller X710 for 10GbE SFP+",
                                        "pci_bus_path": "0000:%02x:00.0" % (1 + int(device[3:])),
                                        "last_updated": now()})
    fields = {"device": device, "network": _nic_network(db, device), "host": host, "MAC": _mac(hostname, device),
              "MTU": 1500, "VLAN": -1, "physical": True, "currently_attached": True, "managed": True,
              "metrics": metrics, "management": management, "primary_address_type": "IPv4",
              "ip_configuration_mode": "None", "ipv6_configuration_mode": "None", "disallow_unplug": management,
              "capabilities": ["gro"], "igmp_snooping_status": "disabled"}
    if management:
        fields.update({"ip_configuration_mode": "Static", "IP": address, "netmask": "255.0.0.0", "gateway": "",
                       "DNS": ""})
    return db.create("PIF", fields)


def _sr(db, host, name, sr_type, content_type, size, shared=False, device_config=None, **extra):
    sr = db.create("SR", {"name_label": name, "type": sr_type, "content_type": content_type, "shared": shared,
                          "physical_size": size, "physical_utilisation": 0, "virtual_allocation": 0,
                          "other_config": {}, "sm_config": {}, **extra})
    attach_sr(db, sr, host, device_config or {})
    return sr


def attach_sr(db, sr, host, device_config):
    return db.create("PBD", {"host": host, "SR": sr, "device_config": dict(device_config),
                             "currently_attached": True, "other_config": {}})


def install_host(pool_db, pool, spec):
    """A fresh host as the installer leaves it, joined to `pool` (its own pool if alone)."""
    db = pool_db
    product = PRODUCTS[spec["product"]]
    hostname, address = spec["name"], spec["address"]
    memory, cpus = spec["memory"], spec["cpus"]
    metrics = db.create("host_metrics", {"memory_total": memory, "live": True, "last_updated": now()})
    stamp = now()
    software = {
        "product_version": product["product_version"], "product_version_text": product["product_version_text"],
        "product_version_text_short": product["product_version_text_short"],
        "platform_name": product["platform_name"], "platform_version": product["platform_version"],
        "product_brand": product["product_brand"], "build_number": "release/nile/master/58",
        "git_id": "0", "hostname": hostname, "date": "2024-09-24", "xapi": "24.19", "xapi_build": "24.19.2",
        "xen": "4.17.5-3", "linux": "4.19.0+1", "xencenter_min": "2.21", "xencenter_max": "2.21",
        "network_backend": "openvswitch", "db_schema": "5.780", "dbv": "2024.0924",
    }
    host = db.create("host", {
        "name_label": hostname, "name_description": "Default install", "hostname": hostname, "address": address,
        "memory_overhead": 1 * GIB // 8, "API_version_major": 2, "API_version_minor": 21,
        "API_version_vendor": "XenSource", "enabled": True, "software_version": software,
        "other_config": {"agent_start_time": "%.1f" % 1.7e9, "boot_time": "%.1f" % 1.7e9,
                         "iscsi_iqn": "iqn.2024-09.com.example:%s" % hostname[:8]},
        "capabilities": ["xen-3.0-x86_64", "hvm-3.0-x86_32", "hvm-3.0-x86_32p", "hvm-3.0-x86_64"],
        "cpu_configuration": {}, "sched_policy": "credit", "supported_bootloaders": ["pygrub", "eliloader"],
        "cpu_info": {"cpu_count": str(cpus), "socket_count": str(max(1, cpus // 16)), "threads_per_core": "2",
                     "vendor": "GenuineIntel", "speed": "2893.202", "modelname": CPU_MODEL,
                     "family": "6", "model": "106", "stepping": "6", "flags": CPU_FLAGS,
                     "features_hvm": FEATURES_HVM, "features_pv": FEATURES_PV},
        "metrics": metrics, "edition": product["edition"], "license_params": {"expiry": "30000101T00:00:00Z"},
        "license_server": {"address": "localhost", "port": "27000"}, "power_on_mode": "",
        "bios_strings": {"bios-vendor": "Xen", "system-manufacturer": "Xen", "system-product-name": "HVM domU"},
        "chipset_info": {"iommu": "true"}, "display": "enabled", "iscsi_iqn": "iqn.2024-09.com.example:%s" % hostname[:8],
        "virtual_hardware_platform_versions": [0, 1, 2], "editions": [product["edition"]],
        "tls_verification_enabled": True, "https_only": False, "last_software_update": stamp,
        "latest_synced_updates_applied": "unknown", "numa_affinity_policy": "default_policy",
        "suspend_image_sr": NULL_REF, "crash_dump_sr": NULL_REF, "local_cache_sr": NULL_REF,
    })
    db.private.setdefault(host, {})["root_password"] = spec["root_password"]
    for index in range(cpus):
        db.create("host_cpu", {"host": host, "number": index, "vendor": "GenuineIntel", "speed": 2893,
                               "modelname": CPU_MODEL, "family": 6,
                               "model": 106, "stepping": "6", "flags": "fpu de tsc msr pae", "features": "",
                               "utilisation": 0.0})
    dom0_memory = spec.get("dom0_memory", 4 * GIB)
    dom0 = db.create("VM", {
        "name_label": "Control domain on host: %s" % hostname, "name_description": "The domain which manages physical devices and manages other domains",
        "power_state": "Running", "is_control_domain": True, "resident_on": host, "domid": 0,
        "memory_static_max": dom0_memory, "memory_dynamic_max": dom0_memory, "memory_dynamic_min": dom0_memory,
        "memory_static_min": dom0_memory, "memory_target": dom0_memory, "VCPUs_max": min(cpus, 16),
        "VCPUs_at_startup": min(cpus, 16), "domain_type": "pv", "user_version": 1,
        "other_config": {"storage_driver_domain": "OpaqueRef:NULL", "is_system_domain": "true"},
    })
    db.create("console", {"protocol": "rfb", "VM": dom0, "location": "https://%s/console?ref=%s" % (address, dom0)})
    db.update("VM", dom0, metrics=db.create("VM_metrics", {"memory_actual": dom0_memory,
                                                           "VCPUs_number": min(cpus, 16), "start_time": stamp,
                                                           "install_time": stamp, "last_updated": stamp,
                                                           "current_domain_type": "pv"}))
    db.update("host", host, control_domain=dom0)
    for index in range(spec["nics"]):
        _pif(db, host, hostname, "eth%d" % index, index == 0, address)
    local = _sr(db, host, "Local storage", spec["local_sr_type"], "user", spec["local_sr_size"],
                device_config={"device": "/dev/disk/by-id/nvme-INTEL_SSDPE2KX020T8-part3"},
                other_config={"i18n-original-value-name_label": "Local storage", "i18n-key": "local-storage"},
                sm_config={"allocation": "thick" if spec["local_sr_type"] == "lvm" else "thin",
                           "devserial": "nvme-INTEL_SSDPE2KX020T8"})
    _sr(db, host, "DVD drives", "udev", "iso", 0, device_config={"location": "/dev/xapi/cd"},
        other_config={"i18n-original-value-name_label": "DVD drives", "i18n-key": "local-hotplug-cd"},
        sm_config={"type": "cd"}, name_description="Physical DVD drives")
    _sr(db, host, "Removable storage", "udev", "disk", 0, device_config={"location": "/dev/xapi/block"},
        other_config={"i18n-original-value-name_label": "Removable storage", "i18n-key": "local-hotplug-disk"},
        sm_config={"type": "block"})
    tools = db.find_one("SR", is_tools_sr=True)
    if tools is None:
        tools = _sr(db, host, "%s Tools" % product["product_brand"], "iso", "iso", TOOLS_FS_SIZE, shared=True,
                    device_config={"location": "/opt/xensource/packages/iso", "legacy_mode": "true"},
                    is_tools_sr=True, name_description="%s Tools ISOs" % product["product_brand"],
                    other_config={"xenserver_tools_sr": "true"})
        db.create("VDI", {"name_label": "guest-tools.iso", "SR": tools, "type": "user", "read_only": True,
                          "virtual_size": 70 * 1024 * 1024, "physical_utilisation": 70 * 1024 * 1024,
                          "location": "guest-tools.iso", "sharable": True, "managed": True})
    else:
        attach_sr(db, tools, host, {"location": "/opt/xensource/packages/iso", "legacy_mode": "true"})
    return host, local


def new_mac_seed():
    return new_uuid()
