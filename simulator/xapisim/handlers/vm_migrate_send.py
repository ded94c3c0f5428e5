"""Storage and cross-pool migration: VM.assert_can_migrate and VM.migrate_send with the map of
host.migrate_receive [xenapi-notes §3.5; xen-api message_forwarding.ml VM.migrate_send,
xapi_vm_migrate.ml assert_can_migrate, migrate_send', infer_vif_map].

Inside the pool the disks in the map move to their SRs (VIF mapping refused) and a running VM
then moves its memory to the destination host; into another pool the VM, its snapshots,
devices and disks go to that pool's database (mapped SRs and networks) with new refs. A halted
or suspended VM moves its disks only. Time: the disks' data, then a running VM's memory; a
failure (or a midway fault, or task.cancel) leaves the VM as it was on its source, no copy
behind.
"""

import contextlib

from ..errors import Failure
from ..values import NULL_REF
from . import cross_pool, placement, storage_motion
from .migrate_receive import destination
from .migration_checks import assert_operation, bool_option
from .migration_progress import Progress, disk_seconds, memory_seconds
from .registry import handles
from .vm_migrate import land, migrate_failed, reserved

VIF_MAP_IN_POOL = "VIF mapping is not allowed for intra-pool migration -all VIFs must be on the same network"
COPY_IN_POOL = ("Copy mode is disallowed on intra pool storage migration, try efficient alternatives, for "
                "example, VM.copy/clone.")


def infer_vif_map(db, record, vif_map, target):
    """Every VIF of the VM and its snapshots on a destination network: mapped, or taking the
    network of a mapped VIF with the same MAC; VIF_NOT_IN_MAP otherwise."""
    by_mac = {db.get("VIF", vif)["MAC"]: network for vif, network in vif_map.items()}
    vifs = list(record["VIFs"]) + [vif for snapshot in record["snapshots"] for vif in db.get("VM", snapshot)["VIFs"]]
    result = {}
    for vif in vifs:
        network = vif_map.get(vif) or by_mac.get(db.get("VIF", vif)["MAC"])
        if network is None:
            raise Failure("VIF_NOT_IN_MAP", vif)
        target.db.get("network", network)
        result[vif] = network
    return result


def assert_migratable(call, vm, target, vdi_map, vif_map, options):
    """xapi's assert_can_migrate; returns the VIF map a cross-pool migration uses."""
    db = call.db
    force, copy = bool_option(options, "force"), bool_option(options, "copy")
    with call.world.locked(db, target.db):
        record = db.get("VM", vm)
        storage_motion.check_vdi_map(db, record, vdi_map)
        storage_motion.assert_sr_support(db, vdi_map, target)
        if target.intra:
            placement.assert_can_run_on(db, vm, target.host, storage=False, cpu=not force)
            if record["power_state"] == "Running":
                _assert_disks_reachable(db, vm, record, vdi_map, target.host)
            if vif_map:
                raise Failure("OPERATION_NOT_ALLOWED", VIF_MAP_IN_POOL)
            vif_map = {}
        else:
            power = record["power_state"]
            if copy and not force and power != "Halted":
                raise Failure("VM_BAD_POWER_STATE", vm, "halted", power.lower())
            if not target.db.get("host", target.host)["enabled"]:
                raise Failure("HOST_DISABLED", target.host)
            vif_map = infer_vif_map(db, record, vif_map, target)
            if not force:  # the import's dry run compares CPUs; it knows no VM ref yet
                placement.assert_cpu_compatible(target.db, NULL_REF, record, target.host)
        storage_motion.assert_can_migrate_vdis(db, vdi_map)
    return vif_map


def _assert_disks_reachable(db, vm, record, vdi_map, host):
    """The simulator's own check (xapi fails later, in the storage layer): a running VM's disks
    must end on SRs its new host sees."""
    for vdi in storage_motion.vm_disks(db, record):
        sr = vdi_map.get(vdi, db.get("VDI", vdi)["SR"])
        if not placement.host_sees_sr(db, host, sr):
            raise Failure("VM_REQUIRES_SR", vm, sr)


def _reserve_incoming(target, key, record):
    """The destination pool's host takes the VM's memory (xenopsd would refuse it there)."""
    db = target.db
    with db.lock:
        needed, available = placement.footprint(record), placement.free_memory(db, target.host)
        if needed > available:
            raise Failure("HOST_NOT_ENOUGH_FREE_MEMORY", needed, available)
        placement.incoming(db)[key] = (target.host, needed)


def send(call, vm, target, vdi_map, vif_map, options):
    """migrate_send': the disks, then a running VM's memory, then the VM where it now is."""
    db, world = call.db, call.world
    copy = bool_option(options, "copy")
    if copy and target.intra:
        raise Failure("OPERATION_NOT_ALLOWED", COPY_IN_POOL)
    with world.locked(db, target.db):
        record = db.get("VM", vm)
        storage_motion.check_vdi_map(db, record, vdi_map)
        storage_motion.assert_no_reset_disks(db, record)
        moves = storage_motion.plan(db, vm, vdi_map, target)
        storage_motion.assert_can_migrate_vdis(db, dict(vdi_map, **{move.vdi: move.sr for move in moves}))
        storage_motion.eject_moving_cds(db, record, vdi_map)
    live = record["power_state"] == "Running"
    source_host = record["resident_on"] if db.exists("host", record["resident_on"]) else call.pool.master
    failed = migrate_failed(db, vm, source_host, target.db, target.host)
    key = call.current_task()
    with contextlib.ExitStack() as stack:
        if live and target.intra:
            stack.enter_context(reserved(call, vm, target.host, check=False))
        stack.callback(placement.incoming(target.db).pop, key, None)
        with world.locked(db, target.db):
            created = storage_motion.prepare(db, moves, target)
        try:
            seconds = [disk_seconds(db.get("VDI", move.vdi)) for move in moves]
            progress = Progress(call, sum(seconds) + (memory_seconds(record) if live else 0.0), failed)
            for part in seconds:
                progress.spend(part)
            if live:
                if not target.intra:
                    _reserve_incoming(target, key, record)
                progress.spend(memory_seconds(record))
            progress.finish()
            return _commit(call, vm, target, created, vif_map, copy, failed, live, key)
        except BaseException:
            storage_motion.discard(target.db, created)
            raise


def _commit(call, vm, target, created, vif_map, copy, failed, live, key):
    db = call.db
    with call.world.locked(db, target.db):
        if live and db.get("VM", vm)["power_state"] != "Running":
            raise failed("The VM changed its power state during migration")
        if target.intra:
            storage_motion.commit_in_pool(db, vm, created, target.host)
            if live:
                land(db, call.pool, vm, target.host, failed)
            return vm
        moved = cross_pool.transfer(db, target, vm, created, vif_map, copy)
        placement.incoming(target.db).pop(key, None)
        return moved


@handles("VM.assert_can_migrate")
def assert_can_migrate(call, vm, dest, live, vdi_map, vif_map, options, vgpu_map):
    call.db.get("VM", vm)
    assert_migratable(call, vm, destination(call, dest), vdi_map, vif_map, options)


@handles("VM.migrate_send")
def migrate_send(call, vm, dest, live, vdi_map, vif_map, options, vgpu_map):
    """`live` is not read, as in xapi: a running VM moves live, any other as it is."""
    db = call.db
    db.get("VM", vm)
    if "host" not in dest:
        raise Failure("INTERNAL_ERROR", "Not_found")
    with call.operation("VM", vm, "migrate_send", check=lambda record: assert_operation(db, vm, record, "migrate_send")):
        target = destination(call, dest)
        vif_map = assert_migratable(call, vm, target, vdi_map, vif_map, options)
        return send(call, vm, target, vdi_map, vif_map, options)
