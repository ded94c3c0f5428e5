"""Storage motion: the disks of a VM going to other SRs, in its pool or into another pool's
database, as VM.migrate_send leaves them [xenapi-notes §3.5; xen-api xapi_vm_migrate.ml
check_vdi_map, assert_sr_support_operations, assert_can_migrate_vdis, migrate_send',
vdi_copy_fun, intra_pool_vdi_remap, intra_pool_fix_suspend_sr, find_cds_to_eject].

Which disks: the VM's (not empty, not CDs: each must be in the map), its snapshots' (where
their origin goes, else the destination's default SR) and suspend images (to the
destination's suspend SR). The copies are made on the target SRs before the time passes (they
take their space, as a mirror does) and dropped if the migration fails; once it succeeds the
VBDs point at them and the old disks are gone. A copy has the disk's size, metadata and content.
"""

import collections

from ..errors import Failure
from ..values import NULL_REF
from . import placement, storage
from .vdi import destroy_vdi

MIGRATION_FEATURES = ("VDI_SNAPSHOT", "VDI_MIRROR")  # what source and destination SRs must offer
_COPIED = ("name_label", "name_description", "type", "sharable", "read_only", "other_config", "xenstore_data",
           "on_boot", "allow_caching", "tags", "is_a_snapshot", "snapshot_time", "metadata_latest")

Move = collections.namedtuple("Move", "vdi sr")


def vm_disks(db, record):
    """xapi's vdi_filter: the VDIs of the VM's VBDs that are neither empty nor CDs."""
    disks = []
    for vbd in record["VBDs"]:
        vbd_record = db.tables["VBD"].get(vbd)
        if vbd_record and not vbd_record["empty"] and vbd_record["type"] != "CD" and vbd_record["VDI"] in db.tables["VDI"]:
            disks.append(vbd_record["VDI"])
    return disks


def check_vdi_map(db, record, vdi_map):
    for vdi in vm_disks(db, record):
        if vdi not in vdi_map:
            raise Failure("VDI_NOT_IN_MAP", vdi)


def _assert_features(db, sr):
    missing = [f for f in MIGRATION_FEATURES if f not in storage.sm_features(db, db.get("SR", sr))]
    if missing:
        raise Failure("SR_DOES_NOT_SUPPORT_MIGRATION", sr, ";".join(missing))


def assert_sr_support(db, vdi_map, target):
    """Every disk that changes SR leaves an SR and reaches one that can mirror."""
    for vdi, sr in vdi_map.items():
        source_sr = db.get("VDI", vdi)["SR"]
        if target.intra and source_sr == sr:
            continue
        _assert_features(db, source_sr)
        target.db.get("SR", sr)
        _assert_features(target.db, sr)


def assert_can_migrate_vdis(db, vdi_map):
    for vdi, sr in vdi_map.items():
        record = db.get("VDI", vdi)
        if record["SR"] != sr:
            if record["cbt_enabled"]:
                raise Failure("VDI_CBT_ENABLED", vdi)
            if "key_hash" in record["sm_config"]:
                raise Failure("VDI_IS_ENCRYPTED", vdi)


def assert_no_reset_disks(db, record):
    for vdi in vm_disks(db, record):
        if db.get("VDI", vdi)["on_boot"] == "reset":
            raise Failure("VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION", vdi)


def _suspend_target(target):
    pool = target.db.get("pool", target.pool.ref)
    for sr in (pool["suspend_image_SR"], target.db.get("host", target.host)["suspend_image_sr"], pool["default_SR"]):
        if sr != NULL_REF and target.db.exists("SR", sr):
            return sr
    return None


def plan(db, vm, vdi_map, target):
    """The disks that move and where: [Move], smallest first (xapi sorts by size)."""
    record = db.get("VM", vm)
    default_sr = target.db.get("pool", target.pool.ref)["default_SR"]
    default_sr = default_sr if target.db.exists("SR", default_sr) else None
    wanted = {vdi: vdi_map[vdi] for vdi in vm_disks(db, record)}
    for snapshot in record["snapshots"]:
        for vdi in vm_disks(db, db.get("VM", snapshot)):
            origin = db.get("VDI", vdi)["snapshot_of"]
            sr = vdi_map.get(vdi) or vdi_map.get(origin) or default_sr
            if sr is None:
                raise Failure("VDI_NOT_IN_MAP", vdi)
            wanted.setdefault(vdi, sr)
    for owner in [vm] + list(record["snapshots"]):
        owner_record = db.get("VM", owner)
        suspend = owner_record["suspend_VDI"]
        if owner_record["power_state"] != "Suspended" or not db.exists("VDI", suspend):
            continue
        if target.intra and placement.host_sees_sr(db, target.host, db.get("VDI", suspend)["SR"]):
            continue
        sr = vdi_map.get(suspend) or _suspend_target(target)
        if sr is None:
            raise Failure("VDI_NOT_IN_MAP", suspend)
        wanted.setdefault(suspend, sr)
    moves = [Move(vdi, sr) for vdi, sr in wanted.items() if not target.intra or db.get("VDI", vdi)["SR"] != sr]
    return sorted(moves, key=lambda move: db.get("VDI", move.vdi)["virtual_size"])


def eject_moving_cds(db, record, vdi_map):
    """CDs whose disc does not stay on its SR come out first (not from a suspended VM)."""
    if record["power_state"] == "Suspended":
        return
    for vbd in record["VBDs"]:
        vbd_record = db.get("VBD", vbd)
        vdi = vbd_record["VDI"]
        if vbd_record["type"] == "CD" and db.exists("VDI", vdi) and vdi_map.get(vdi) != db.get("VDI", vdi)["SR"]:
            db.update("VBD", vbd, VDI=NULL_REF, empty=True)


def _utilisation(record, sr_record):
    if storage.is_thick(sr_record):
        return record["virtual_size"]
    return max(record["physical_utilisation"], storage.vhd_overhead(record["virtual_size"]))


def prepare(db, moves, target):
    """The copies on their target SRs (room checked first, per SR): {old VDI: new VDI}.
    Caller holds both databases' locks."""
    needs = collections.Counter()
    for move in moves:
        needs[move.sr] += _utilisation(db.get("VDI", move.vdi), target.db.get("SR", move.sr))
    for sr, needed in needs.items():
        storage.assert_plugged(target.db, sr)
        storage.assert_space(target.db, sr, needed)
    created = {}
    # origins first, so that a snapshot's copy can name its origin's copy
    for move in sorted(moves, key=lambda m: db.get("VDI", m.vdi)["is_a_snapshot"]):
        record = db.get("VDI", move.vdi)
        fields = {key: record[key] for key in _COPIED}
        origin = record["snapshot_of"]
        fields["snapshot_of"] = created.get(origin, origin if target.intra else NULL_REF)
        copy = storage.new_vdi(target.db, move.sr, fields, record["virtual_size"],
                               utilisation=_utilisation(record, target.db.get("SR", move.sr)))
        if "content" in db.private.get(move.vdi, {}):
            target.db.private.setdefault(copy, {})["content"] = db.private[move.vdi]["content"]
        created[move.vdi] = copy
    return created


def discard(target_db, created):
    """A failed migration leaves no copy behind."""
    with target_db.lock:
        for copy in created.values():
            if target_db.exists("VDI", copy):
                destroy_vdi(target_db, copy)


def commit_in_pool(db, vm, created, host):
    """intra_pool_vdi_remap: the VM's and its snapshots' VBDs (and suspend images) use the
    copies, the old disks go; a suspend SR the new host cannot see is forgotten."""
    record = db.get("VM", vm)
    for owner in [vm] + list(record["snapshots"]):
        owner_record = db.get("VM", owner)
        for vbd in owner_record["VBDs"]:
            vdi = db.get("VBD", vbd)["VDI"]
            if vdi in created:
                db.update("VBD", vbd, VDI=created[vdi])
        if owner_record["suspend_VDI"] in created:
            db.update("VM", owner, suspend_VDI=created[owner_record["suspend_VDI"]])
        suspend_sr = owner_record["suspend_SR"]
        if host != NULL_REF and db.exists("SR", suspend_sr) and not placement.host_sees_sr(db, host, suspend_sr):
            db.update("VM", owner, suspend_SR=NULL_REF)
    for old in created:
        if db.exists("VDI", old):
            destroy_vdi(db, old)
