"""A VM moving into another pool's database, as xapi's metadata import (restore mode) leaves
it after a cross-pool VM.migrate_send [xenapi-notes §3.5; xen-api xapi_vm_migrate.ml
inter_pool_metadata_transfer, import.ml].

The VM and its snapshots get new refs in the destination; VM, VBD and VIF keep their uuids
(not in copy mode, which makes new ones), everything else gets new ones. References follow the
objects that came along (the disk copies, the mapped networks, the destination host for a
running VM); any other reference to the old pool becomes NULL (affinity, suspend SR, blobs). Without copy, the source pool
forgets the VM, its snapshots, their devices and the old disks.
"""

from ..relations import derived_fields
from ..values import NULL_REF, new_ref
from .vdi import destroy_vdi
from .vm_lifecycle import next_domid

_DERIVED = derived_fields()
REF_PREFIX = "OpaqueRef:"
_KEEP_UUID = frozenset({"VM", "VBD", "VIF"})
_DEVICES = (("VBD", "VBDs"), ("VIF", "VIFs"), ("console", "consoles"), ("VTPM", "VTPMs"))


def _objects(db, vm):
    """[(class, ref)] of the VM and what goes with it, parents before children."""
    owners = [vm] + list(db.get("VM", vm)["snapshots"])
    found = []
    for owner in owners:
        record = db.get("VM", owner)
        for cls, field in (("VM_metrics", "metrics"), ("VM_guest_metrics", "guest_metrics")):
            if db.exists(cls, record[field]):
                found.append((cls, record[field]))
    found += [("VM", owner) for owner in owners]
    for owner in owners:
        record = db.get("VM", owner)
        found += [(cls, ref) for cls, field in _DEVICES for ref in record[field] if db.exists(cls, ref)]
    return found


def _copy(cls, record, mapping, keep_uuid):
    """The record for the destination: sets the database keeps empty, no operations, refs mapped."""

    def ref(value):
        return value if value == NULL_REF else mapping.get(value, NULL_REF)

    fields = {}
    for name, value in record.items():
        if name in _DERIVED.get(cls, ()):
            value = []
        elif name in ("current_operations", "allowed_operations"):
            value = {} if name == "current_operations" else []
        elif name == "uuid" and not keep_uuid:
            value = ""
        elif isinstance(value, str) and value.startswith(REF_PREFIX):
            value = ref(value)
        elif isinstance(value, list) and value and all(isinstance(v, str) and v.startswith(REF_PREFIX) for v in value):
            value = [mapped for mapped in map(ref, value) if mapped != NULL_REF]
        fields[name] = value
    return fields


def transfer(source, target, vm, created, vif_map, copy):
    """Re-create `vm` in `target` (a Destination); returns its new ref. Caller holds both
    databases' locks; `created` maps old disks to their copies in the target."""
    db, dest = source, target.db
    objects = _objects(db, vm)
    mapping = dict(created)
    mapping.update((ref, new_ref()) for dummy, ref in objects)
    mapping.update((vif, network) for vif, network in vif_map.items())
    running = db.get("VM", vm)["power_state"] == "Running"
    address = target.pool.address_of(target.host)
    for cls, ref in objects:
        fields = _copy(cls, db.get(cls, ref), mapping, cls in _KEEP_UUID and not copy)
        if cls == "VIF":
            fields["network"] = vif_map.get(ref, NULL_REF)
        elif cls == "VBD" and fields["VDI"] == NULL_REF and fields["type"] == "CD":
            fields["empty"] = True
        elif cls == "VM" and ref == vm and running:
            fields.update(resident_on=target.host, domid=next_domid(dest), blobs={})
        elif cls == "VM":
            fields.update(domid=-1, blobs={})
        elif cls == "console":
            fields["location"] = "https://%s/console?ref=%s" % (address, mapping[vm])
        dest.create(cls, fields, ref=mapping[ref])
        if ref in db.private and cls != "VDI":
            dest.private[mapping[ref]] = dict(db.private[ref])
    for cls, ref in objects:
        dest.relink(cls, mapping[ref])
        dest.refresh(cls, mapping[ref])
    if not copy:
        _forget(db, objects, created)
    return mapping[vm]


def _forget(db, objects, created):
    """The source pool's side of a move: devices, then VMs and metrics, then the old disks."""
    order = {"VBD": 0, "VIF": 0, "console": 0, "VTPM": 0, "VM": 1, "VM_metrics": 2, "VM_guest_metrics": 2}
    for cls, ref in sorted(objects, key=lambda item: order.get(item[0], 3)):
        if db.exists(cls, ref):
            db.delete(cls, ref)
    for old in created:
        if db.exists("VDI", old):
            destroy_vdi(db, old)
