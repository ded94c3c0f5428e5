"""What a good install leaves: a fresh standalone host (its own pool) as xapisim.install makes
it, with the answerfile's settings. Where the answerfile's settings live:

- root password: the host's (login as root); a `type="hash"` one is kept as given
- hostname: host name_label, hostname, software_version.hostname
- management interface: the PIF of the device named (eth0/eth1, MACs of the machine), its IP
  configuration (Static/DHCP, IP, netmask, gateway) and DNS (the name servers, comma-separated)
- NTP, timezone, keymap: host other_config `ntp_source` (dhcp|default|manual|none), `ntp_servers`
  (comma-separated), `timezone`, `keymap` (xapi 24.19 has no host fields for them)
- local SR: type (sr-type), size (primary disk less the dom0 partitions, when guest-storage, and
  the guest disks), PBD device_config device: the partition and disks it spans
- product version: the source's (.treeinfo)
"""

from .. import install, populate
from ..membership import set_live
from ..world import Pool

GIB = 1024 ** 3
DOM0_PARTITIONS = 46 * GIB  # XenServer 8's root, backup, boot, log and swap partitions
DEFAULT_NTP_SERVERS = ["0.xenserver.pool.ntp.org", "1.xenserver.pool.ntp.org", "2.xenserver.pool.ntp.org",
                       "3.xenserver.pool.ntp.org"]


def _local_sr(db, local, machine, settings):
    devices, size = [], 0
    if settings["guest_storage"]:
        devices.append("/dev/%s3" % settings["primary_disk"])
        size += max(0, machine.disks[settings["primary_disk"]] - DOM0_PARTITIONS)
    for disk in settings["guest_disks"]:
        devices.append("/dev/%s" % disk)
        size += machine.disks[disk]
    db.update("SR", local, physical_size=size)
    for pbd in db.get("SR", local)["PBDs"]:
        db.update("PBD", pbd, device_config={"device": ",".join(devices)})


def _network(db, host, machine, settings):
    interface, macs = settings["interface"], machine.nics()
    for pif in db.get("host", host)["PIFs"]:
        device = db.get("PIF", pif)["device"]
        fields = {"MAC": macs.get(device, db.get("PIF", pif)["MAC"]), "management": device == interface["device"],
                  "disallow_unplug": device == interface["device"]}
        if device == interface["device"]:
            fields.update(ip_configuration_mode=interface["mode"], IP=interface["address"],
                          netmask=interface["netmask"], gateway=interface["gateway"],
                          DNS=",".join(settings["name_servers"]))
        else:
            fields.update(ip_configuration_mode="None", IP="", netmask="", gateway="", DNS="")
        db.update("PIF", pif, **fields)


def create(world, machine, settings, pool_index):
    """-> (pool, host ref): the installed host, not yet answering (it boots from disk next)."""
    pool = Pool(world, "")  # in world.pools once it is whole: endpoints.json is written meanwhile
    db = pool.db
    db.loading = True
    try:
        db.counters["pool_index"] = pool_index
        pool_ref = install.create_pool(db, world.model, "", settings["product"])
        spec = {"name": settings["hostname"], "address": settings["interface"]["address"], "memory": machine.memory,
                "cpus": machine.cpus, "nics": len(machine.nics()), "local_sr_type": settings["sr_type"],
                "local_sr_size": 0, "product": settings["product"], "root_password": settings["root_password"]}
        host, local = install.install_host(db, pool_ref, spec)
        db.update("pool", pool_ref, master=host)
        populate.default_sr(db, pool_ref, {}, {host: local}, 0)
        _local_sr(db, local, machine, settings)
        _network(db, host, machine, settings)
        servers = {"manual": settings["ntp_servers"], "default": DEFAULT_NTP_SERVERS}.get(settings["ntp_source"], [])
        record = db.get("host", host)
        db.update("host", host, other_config=dict(record["other_config"], ntp_source=settings["ntp_source"],
                                                  ntp_servers=",".join(servers), timezone=settings["timezone"],
                                                  keymap=settings["keymap"]),
                  name_description="Installed by answerfile from %s" % settings["source"])
    finally:
        db.loading = False
    set_live(db, host, False)
    world.pools.append(pool)
    return pool, host
