"""Restoring a pool database backup onto a host [xen-api ocaml/xapi/pool_db_backup.ml
restore_from_xml, version_check, prepare_database_for_restore; xapi_fuse.ml; dbsync_master.ml,
dbsync_slave.ml for what a starting xapi corrects]:

1. the dump parses (dbxml.parse) and its schema is this host's (RESTORE_INCOMPATIBLE_VERSION);
2. the backup's master stays, its members go (their PIFs, and here their PBDs, CPUs, metrics and
   control domains too); the master takes this installation's uuid and its control domain this
   one's uuid; the master's PIFs are matched to this host's NICs by device name: a physical PIF
   whose device this host lacks is RESTORE_TARGET_MISSING_DEVICE [device], the MACs become this
   host's, the management flag goes to this host's management device, which must be in the
   backup (RESTORE_TARGET_MGMT_IF_NOT_IN_BACKUP [devices of the backup]).

Nothing changes until all of that passed. A dry run stops there. A real one lights xapi's fuse:
RESTORE_FUSE simulated seconds later (and one real second at least) the host reboots (its address refuses connections, every
session is gone) and REBOOT_TIME later it answers with the restored database, corrected as a
starting xapi corrects it: this host's address, hostname, software version and management IP
configuration; guests Halted (Suspended ones stay), devices detached; this host's PBDs of shared
NFS SRs whose folder is on the NFS server plugged, every other PBD unplugged.
"""

from .dbxml import schema_version
from .errors import Failure
from .handlers import nfs_sr
from .handlers.vm_lifecycle import halt_in_db
from .membership import set_live
from .relations import children_by_class, derived_fields
from .values import NULL_REF
from .world import Pool

RESTORE_FUSE = 30.0  # Constants.db_restore_fuse_time: the restore handler answers, then xapi reboots the host
FUSE_REAL_MIN = 1.0  # real seconds at least, so a client reads its task's outcome however fast the clock runs
REBOOT_TIME = 120.0  # the host's boot, as after host.reboot
_DERIVED = derived_fields()
_CHILDREN = children_by_class()
_MANAGEMENT_KEYS = ("ip_configuration_mode", "IP", "netmask", "gateway", "DNS", "ipv6_configuration_mode", "IPv6",
                    "ipv6_gateway", "primary_address_type")


def prepare(world, pool, host, dump):
    """-> (new Pool, master ref): the database this host will start with, or Failure."""
    db = pool.db
    if dump.schema != schema_version(db, host):
        raise Failure("RESTORE_INCOMPATIBLE_VERSION")
    pools = dump.tables.get("pool", {})
    if not pools:
        raise Failure("INTERNAL_ERROR", "Failure(\"hd\"): the backup has no pool")
    master = next(iter(pools.values()))["master"]
    hosts = dump.tables.get("host", {})
    if master not in hosts:
        raise Failure("INTERNAL_ERROR", "Db_exn.DBCache_NotFound(\"missing row\", \"host\", \"%s\")" % master)
    target = Pool(world, pool.name)
    target.db.nfs = None  # the NFS servers learn nothing from a database being loaded
    _load(target.db, dump)
    new = target.db
    with new.lock:
        for other in [ref for ref in new.refs("host") if ref != master]:
            _remove_member(new, other)
        _remap_nics(db, host, new, master)
        new.update("host", master, uuid=db.get("host", host)["uuid"])
        dom0 = new.get("host", master)["control_domain"]
        if new.exists("VM", dom0):
            new.update("VM", dom0, uuid=db.get("VM", db.get("host", host)["control_domain"])["uuid"])
    return target, master


def _load(new, dump):
    """The dump's records, with the relation sets rebuilt by the database."""
    model = new.model
    new.loading = True
    try:
        for cls in model.classes:
            for ref, record in dump.tables.get(cls, {}).items():
                new.create(cls, {key: value for key, value in record.items() if key != "current_operations"}, ref=ref)
        for cls, fields in _DERIVED.items():
            for record in new.tables[cls].values():
                for name in fields:
                    record[name] = []
        for cls in _CHILDREN:
            for ref in new.refs(cls):
                new.relink(cls, ref)
    finally:
        new.loading = False


def _remove_member(db, host):
    record = db.get("host", host)
    for cls, field in (("PIF", "PIFs"), ("PBD", "PBDs"), ("host_cpu", "host_CPUs")):
        for ref in list(record[field]):
            if cls == "PIF" and db.exists("PIF_metrics", db.get("PIF", ref)["metrics"]):
                db.delete("PIF_metrics", db.get("PIF", ref)["metrics"])
            db.delete(cls, ref)
    dom0 = record["control_domain"]
    if db.exists("VM", dom0):
        for cls, field in (("VBD", "VBDs"), ("VIF", "VIFs"), ("console", "consoles")):
            for ref in db.get("VM", dom0)[field]:
                db.delete(cls, ref)
        db.delete("VM", dom0)
    if db.exists("host_metrics", record["metrics"]):
        db.delete("host_metrics", record["metrics"])
    db.delete("host", host)


def _remap_nics(db, host, new, master):
    """prepare_database_for_restore's PIF pass, in its order."""
    mine = [db.get("PIF", pif) for pif in db.get("host", host)["PIFs"]]
    macs = {pif["device"]: pif["MAC"] for pif in mine if pif["physical"]}
    management = [pif for pif in mine if pif["management"]]
    management = management[0] if len(management) == 1 else None
    found, devices = False, []
    for pif in list(new.get("host", master)["PIFs"]):
        record = new.get("PIF", pif)
        device = record["device"]
        devices.insert(0, device)
        is_management = management is not None and device == management["device"]
        changes = {"management": is_management}
        found = found or is_management
        if record["physical"]:
            if device not in macs:
                raise Failure("RESTORE_TARGET_MISSING_DEVICE", device)
            changes["MAC"] = macs[device]
        if is_management:  # the inventory keeps this host's configuration (dbsync rereads it)
            changes.update({key: management[key] for key in _MANAGEMENT_KEYS})
        new.update("PIF", pif, **changes)
    if not found and management is not None:
        raise Failure("RESTORE_TARGET_MGMT_IF_NOT_IN_BACKUP", *devices)


# ---- the restart ----------------------------------------------------------------------------------
def restart(world, pool, host, target, master):
    """xapi's fuse, the reboot, and the start on the restored database."""
    address = pool.address_of(host)
    fuse = max(RESTORE_FUSE, FUSE_REAL_MIN * world.clock.speed)
    world.clock.later(fuse, lambda: _down(world, pool, host, target, master, address))


def _down(world, pool, host, target, master, address):
    if pool not in world.pools or world.hosts.get(address, (None, None))[0] is not pool:
        return  # powered off, failed or reinstalled meanwhile: the restore never took effect
    machine = world.lab.machine_of(pool) if world.lab is not None else None
    index = world.pools.index(pool)
    _start_state(pool.db, host, target.db, master, world.nfs)
    world.remove_pool(pool)
    world.hosts_changed()
    world.clock.later(REBOOT_TIME, lambda: _up(world, pool, target, master, address, (index, machine)))


def _up(world, pool, target, master, address, place):
    index, machine = place
    if world.lab is not None and machine is not None:
        with world.lab.lock:
            if machine.installed is None or machine.installed[0] is not pool or machine.stage != "host":
                return  # the machine was powered off or failed while it rebooted
            machine.installed = (target, master, address)
    world.pools.insert(min(index, len(world.pools)), target)
    with target.db.lock:
        set_live(target.db, master, True)
    world.register_host(target, master)
    world.hosts_changed()


def _start_state(old, host, db, master, store):
    """What a starting xapi corrects in the restored database (dbsync)."""
    current = old.get("host", host)
    with db.lock:
        for cls, table in db.tables.items():
            if "current_operations" in db.model.classes[cls].fields:
                for ref in [ref for ref, record in table.items() if record["current_operations"]]:
                    db.update(cls, ref, current_operations={})
        db.update("host", master, address=current["address"], hostname=current["hostname"],
                  software_version=dict(current["software_version"]), enabled=True)
        db.private[master] = {"root_password": old.private.get(host, {}).get("root_password", "")}
        dom0 = db.get("host", master)["control_domain"]
        for vm, record in db.records("VM").items():
            if vm != dom0 and record["power_state"] in ("Running", "Paused"):
                halt_in_db(db, vm)
            elif vm != dom0:
                db.update("VM", vm, resident_on=NULL_REF, scheduled_to_be_resident_on=NULL_REF)
        for cls in ("VBD", "VIF"):
            for ref, record in db.records(cls).items():
                if record["VM"] != dom0 and record["currently_attached"]:
                    db.update(cls, ref, currently_attached=False)
        for pbd in db.get("host", master)["PBDs"]:
            record = db.get("PBD", pbd)
            sr = db.get("SR", record["SR"])
            plugged = sr["type"] == "nfs" and sr["shared"] and nfs_sr.export_present(store, sr, record["device_config"])
            db.update("PBD", pbd, currently_attached=plugged)
        nfs_sr.link_content(db, store)
        db.counters.update(old.counters)
        set_live(db, master, False)
        for cls in db.derivers:
            for ref in db.refs(cls):
                db.refresh(cls, ref)
        db.nfs = store
