"""Live migration inside a pool: VM.pool_migrate, and VM.assert_can_boot_here, the check clients
make first [xenapi-notes §3.5; xen-api message_forwarding.ml VM.pool_migrate,
xapi_vm_migrate.ml pool_migrate, xapi_vm_helpers.ml assert_can_boot_here].

xapi's order: the CPU of the destination (unless force), the VM's operation checks (power
state, other operations, template, mobility, guest drivers, PCI), then reserving the
destination: assert_can_boot_here (live, enabled, storage, networks, memory) and a `vm_migrate`
operation on the host. The memory copy then takes its time while the VM keeps running on its
source (counted on both hosts); at the end it is resident on the destination with a new domain,
the same devices and guest metrics.
"""

import contextlib

from ..errors import Failure
from ..values import NULL_REF, now
from . import placement
from .migration_checks import assert_ip_on_network, assert_operation, bool_option, host_operation
from .migration_progress import Progress, memory_seconds
from .registry import handles
from .vm_lifecycle import next_domid


@handles("VM.assert_can_boot_here")
def assert_can_boot_here(call, self, host):
    db = call.db
    with db.lock:
        db.get("VM", self)
        db.get("host", host)
        placement.assert_can_run_on(db, self, host, cpu=True)


def migrate_failed(db, vm, source, dest_db, dest):
    """fn(message) -> VM_MIGRATE_FAILED [vm uuid, source host uuid, destination host uuid, message]."""
    uuids = [db.get("VM", vm)["uuid"], db.tables["host"].get(source, {}).get("uuid", ""),
             dest_db.tables["host"].get(dest, {}).get("uuid", "")]
    return lambda message: Failure("VM_MIGRATE_FAILED", *uuids, message)


def _unschedule(db, vm):
    with db.lock:
        placement.scheduled(db).pop(vm, None)
        if db.exists("VM", vm):
            db.update("VM", vm, scheduled_to_be_resident_on=NULL_REF)


@contextlib.contextmanager
def reserved(call, vm, host, check=True):
    """reserve_memory_for_vm / allocate_vm_to_host: (assert_can_boot_here without the CPU,) a
    `vm_migrate` operation on the host and the VM's memory scheduled there, all at once, until
    the block ends."""
    db = call.db
    with contextlib.ExitStack() as stack:
        with db.lock:
            if check:
                placement.assert_can_run_on(db, vm, host)
            stack.enter_context(host_operation(db, host, "vm_migrate", call.current_task()))
            stack.callback(_unschedule, db, vm)
            placement.scheduled(db)[vm] = host
            db.update("VM", vm, scheduled_to_be_resident_on=host)
        yield


def land(db, pool, vm, host, failed):
    """The domain runs on `host` now; a VM that stopped running meanwhile fails the migration."""
    with db.lock:
        record = db.get("VM", vm)
        if record["power_state"] != "Running":
            raise failed("The VM changed its power state during migration")
        placement.scheduled(db).pop(vm, None)
        record = db.update("VM", vm, resident_on=host, scheduled_to_be_resident_on=NULL_REF, domid=next_domid(db))
        for console in record["consoles"]:
            if db.exists("console", console):
                db.update("console", console, location="https://%s/console?ref=%s" % (pool.address_of(host), vm))
        if db.exists("VM_metrics", record["metrics"]):
            db.update("VM_metrics", record["metrics"], last_updated=now())


def live_migrate(call, vm, host, options, record):
    """The part after the VM's checks: reserve the destination, copy the memory, land."""
    db = call.db
    with reserved(call, vm, host):
        if "network" in options:
            assert_ip_on_network(db, options["network"], host)
        failed = migrate_failed(db, vm, record["resident_on"], db, host)
        progress = Progress(call, memory_seconds(record), failed)
        progress.spend(progress.total)
        land(db, call.pool, vm, host, failed)


@handles("VM.pool_migrate")
def pool_migrate(call, vm, host, options):
    db = call.db
    db.get("VM", vm)
    db.get("host", host)
    force = bool_option(options, "force")
    if not force:
        with db.lock:
            placement.assert_cpu_compatible(db, vm, db.get("VM", vm), host)
    strict = not force
    with call.operation("VM", vm, "pool_migrate", check=lambda rec: assert_operation(db, vm, rec, "pool_migrate", strict)):
        live_migrate(call, vm, host, options, db.get("VM", vm))
