"""VDI.pool_migrate: one disk of a VM to another SR of the pool, as xapi does it, a storage
migration of the VM with only that disk remapped [xenapi-notes §3.5; xen-api
message_forwarding.ml VDI.pool_migrate, xapi_vm_migrate.ml vdi_pool_migrate].

The VM stays where it is when its host sees the new SR, else it moves to a host that sees all
its SRs; the answer is the disk's new ref (the VM's VBD now points at it).
"""

from ..errors import Failure
from . import placement
from .migrate_receive import Destination
from .migration_checks import assert_operation
from .registry import handles
from .vm_migrate_send import assert_migratable, send


def _host_seeing(db, vm, record, srs):
    """The VM's host if it sees every SR, else the first live enabled host that does."""
    here = record["resident_on"]
    candidates = ([here] if db.exists("host", here) else []) + sorted(db.refs("host"))
    for host in candidates:
        if placement.host_is_live(db, host) and all(placement.host_sees_sr(db, host, sr) for sr in srs):
            if host == here or db.get("host", host)["enabled"]:
                return host
    raise Failure("NO_HOSTS_AVAILABLE")


@handles("VDI.pool_migrate")
def pool_migrate(call, vdi, sr, options):
    db = call.db
    record = db.get("VDI", vdi)
    if not record["VBDs"]:
        raise Failure("VDI_NEEDS_VM_FOR_MIGRATE", vdi)
    vbd = record["VBDs"][0]
    vm = db.get("VBD", vbd)["VM"]
    with call.operation("VM", vm, "migrate_send", check=lambda vm_record: assert_operation(db, vm, vm_record, "migrate_send")):
        if record["type"] == "cbt_metadata":
            raise Failure("VDI_INCOMPATIBLE_TYPE", vdi, "cbt_metadata")
        if record["cbt_enabled"]:
            raise Failure("VDI_CBT_ENABLED", vdi)
        db.get("SR", sr)
        with db.lock:
            vm_record = db.get("VM", vm)
            vdi_map = {}
            for other in vm_record["VBDs"]:
                other_record = db.get("VBD", other)
                if not other_record["empty"] and db.exists("VDI", other_record["VDI"]):
                    vdi_map[other_record["VDI"]] = db.get("VDI", other_record["VDI"])["SR"]
            vdi_map[vdi] = sr
            host = _host_seeing(db, vm, vm_record, set(vdi_map.values()))
        target = Destination(call.pool, host, None, call.pool.address_of(host), intra=True)
        assert_migratable(call, vm, target, vdi_map, {}, {})
        send(call, vm, target, vdi_map, {}, {})
        return db.get("VBD", vbd)["VDI"]
