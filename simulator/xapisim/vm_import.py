"""Importing VM metadata into a pool [xen-api ocaml/xapi/import.ml metadata_handler, handle_all,
assert_can_restore_backup and the per-class handlers, in their order: host, SR, VDI, VM (with its
metrics), network, VBD, VIF].

- host and SR: found by uuid, or left out (references to them become NULL);
- VDI: an ISO's by location on any ISO SR (else its CD is ejected); a disk's by location on the
  SR found by uuid: missing is VDI_LOCATION_MISSING [sr, location] (VDI_CONTENT_ID_MISSING when
  the SR is missing too), unless force, which leaves the disk out;
- VM: restore=true keeps its uuid, MAC seed and VIF MACs and bumps its version; a VM with that
  uuid must be Halted (VM_BAD_POWER_STATE [vm, halted, state]; force skips it) and older
  (VM_TO_IMPORT_IS_NOT_NEWER_VERSION [vm, existing, imported]; force replaces it); a MAC seed
  another VM uses is DUPLICATE_MAC_SEED [seed]. restore=false: new uuids, a new MAC seed, MACs
  made from it, version 0. Imported VMs are Halted (Suspended with their suspend image);
- network: by name, then by bridge, else made;
- VBD and VIF: restore=true reuses one of that uuid; a VBD attached to a disk that was not found
  is IMPORT_ERROR_ATTACHED_DISKS_NOT_FOUND, a disk VBD without its disk is left out, a CD
  without one is empty; a missing VM or network is IMPORT_ERROR_FAILED_TO_FIND_OBJECT [id].

Every check runs before anything is made, so a refusal changes nothing; dry_run stops there.
-> the new VMs' refs (those that are not snapshots, if any are not), as the task's result.
Differences kept: guest metrics are not imported, and the VBDs and VIFs of a VM that force
skipped are skipped with it (xapi fails the import halfway there).
"""

import xmlrpc.client

from .coerce import coerce
from .errors import Failure
from .handlers.vif import generated_mac
from .values import NULL_REF, new_ref, new_uuid, now, parse_datetime

GRANT_API_ACCESS = "grant_api_access"


class Importer:
    def __init__(self, db, objects, restore, force, task=None):
        self.db, self.model = db, db.model
        self.restore, self.force, self.task = restore, force, task
        self.exported = {ident: (cls, self._typed(cls, record)) for cls, ident, record in objects}
        self.table = {}  # export id -> ref here (found, or to be made)
        self.plan = []  # (class, export id, record to create, ref, replaced VM or None)
        self.skipped = set()
        self.replaced = set()  # VMs here that the import replaces (their VBDs and VIFs go first)

    def _typed(self, cls, record):
        definition = self.model.classes.get(cls)
        if definition is None or not isinstance(record, dict):
            return record
        typed = {}
        for name, value in record.items():
            field = definition.fields.get(name)
            if field is not None and field.current:
                typed[name] = coerce(self.model, field.type, _plain(value), name)
        return typed

    def of_class(self, cls):
        return [(ident, record) for ident, (kind, record) in self.exported.items() if kind == cls]

    def lookup(self, ident):
        if ident not in self.table:
            raise Failure("IMPORT_ERROR_FAILED_TO_FIND_OBJECT", ident)
        return self.table[ident]

    # ---- the checks, in import.ml's order ---------------------------------------------------------
    def check(self):
        if self.restore:
            self._mac_seeds()
        for ident, record in self.of_class("host"):
            self._found(ident, self.db.uuids["host"].get(record.get("uuid")))
        for ident, record in self.of_class("SR"):
            self._found(ident, self.db.uuids["SR"].get(record.get("uuid")))
        for ident, record in self.of_class("VDI"):
            self._vdi(ident, record)
        for ident, record in self.of_class("VM"):
            self._vm(ident, record)
        for ident, record in self.of_class("network"):
            self._network(ident, record)
        for ident, record in self.of_class("VBD"):
            self._vbd(ident, record)
        for ident, record in self.of_class("VIF"):
            self._vif(ident, record)

    def _found(self, ident, ref):
        if ref is not None:
            self.table[ident] = ref

    def _make(self, cls, ident, record, replaces=None):
        ref = new_ref()
        self.table[ident] = ref
        self.plan.append((cls, ident, record, ref, replaces))

    def _vdi(self, ident, record):
        sr_cls, sr_record = self.exported.get(record["SR"], (None, {}))
        db = self.db
        if sr_cls == "SR" and sr_record.get("content_type") == "iso":
            isos = {sr for sr, rec in db.tables["SR"].items() if rec["content_type"] == "iso" and rec["type"] != "udev"}
            found = [vdi for vdi, rec in db.tables["VDI"].items()
                     if rec["location"] == record["location"] and rec["SR"] in isos]
            self._found(ident, found[0] if len(found) == 1 else None)
            return
        sr = self.table.get(record["SR"])
        found = [vdi for vdi, rec in db.tables["VDI"].items()
                 if sr is not None and rec["SR"] == sr and rec["location"] == record["location"]]
        if len(found) == 1:
            self.table[ident] = found[0]
        elif not self.force:
            raise Failure("VDI_LOCATION_MISSING", sr, record["location"]) if sr is not None \
                else Failure("VDI_CONTENT_ID_MISSING")

    def _vm(self, ident, record):
        db = self.db
        default_template = record.get("is_default_template") or (
            record.get("is_a_template") and record.get("other_config", {}).get("default_template") == "true")
        templates = db.by_name("VM", record.get("name_label", ""))
        if default_template and templates:
            self.table[ident] = templates[0]
            return
        existing = db.uuids["VM"].get(record["uuid"]) if self.restore else None
        if existing is not None:
            state = db.get("VM", existing)
            if state["power_state"] != "Halted":
                if self.force:
                    self.skipped.add(ident)
                    return
                raise Failure("VM_BAD_POWER_STATE", existing, "halted", state["power_state"].lower())
            if state["version"] >= record.get("version", 0) and not self.force:
                raise Failure("VM_TO_IMPORT_IS_NOT_NEWER_VERSION", existing, state["version"], record.get("version", 0))
        elif not self.force:
            other = {key: value for key, value in record.get("other_config", {}).items() if key != "default_template"}
            record = dict(record, is_default_template=False, other_config=other)
        if existing is not None:
            self.replaced.add(existing)
        metrics = self.exported.get(record.get("metrics"))
        if metrics is not None and metrics[0] == "VM_metrics":  # the VM's metrics come along with it
            self._make("VM_metrics", record["metrics"], {key: value for key, value in metrics[1].items() if key != "uuid"})
        self._make("VM", ident, record, replaces=existing)

    def _network(self, ident, record):
        db = self.db
        found = db.by_name("network", record.get("name_label", "")) or db.find("network", bridge=record.get("bridge"))
        if found:
            self.table[ident] = found[0]
        else:
            self._make("network", ident, record)

    def _device_owner(self, ident, record):
        """The VM a VBD or VIF goes with, or None when force skipped it."""
        if record["VM"] in self.skipped:
            return None
        return self.lookup(record["VM"])

    def _existing(self, cls, record):
        """restore=true reuses a device of that uuid, unless its VM is being replaced."""
        existing = self.db.uuids[cls].get(record["uuid"]) if self.restore else None
        if existing is None or self.db.get(cls, existing)["VM"] in self.replaced:
            return None
        return existing

    def _vbd(self, ident, record):
        existing = self._existing("VBD", record)
        if existing is not None:
            self.table[ident] = existing
            return
        if self._device_owner(ident, record) is None:
            return
        dummy, vm_record = self.exported.get(record["VM"], (None, {}))
        has_qemu = vm_record.get("domain_type") in ("hvm", "pv_in_pvh", "pvh") or bool(vm_record.get("HVM_boot_policy"))
        found = record["VDI"] in self.table
        if record.get("currently_attached") and not found and not (record["type"] == "CD" and has_qemu):
            raise Failure("IMPORT_ERROR_ATTACHED_DISKS_NOT_FOUND")
        if not found and record["type"] == "Disk":
            return
        if not found:
            record = dict(record, VDI=NULL_REF, empty=True)
        self._make("VBD", ident, record)

    def _vif(self, ident, record):
        existing = self._existing("VIF", record)
        if existing is not None:
            self.table[ident] = existing
            return
        if self._device_owner(ident, record) is None:
            return
        self.lookup(record["network"])
        self._make("VIF", ident, dict(record, MAC=record["MAC"] if self.restore else ""))

    def _mac_seeds(self):
        """assert_can_restore_backup: a MAC seed in use by an unrelated VM is DUPLICATE_MAC_SEED."""
        db = self.db
        existing = [(rec["other_config"]["mac_seed"], rec) for rec in db.tables["VM"].values()
                    if "mac_seed" in rec["other_config"]]
        for dummy, record in self.of_class("VM"):
            seed = record.get("other_config", {}).get("mac_seed")
            for other_seed, other in existing:
                if seed == other_seed and not self._compatible(record, other):
                    raise Failure("DUPLICATE_MAC_SEED", other_seed)

    def _origin(self, record, exported):
        if not record.get("is_a_snapshot"):
            return record.get("uuid")
        source = record.get("snapshot_of", NULL_REF)
        if exported and source in self.exported:
            return self.exported[source][1].get("uuid")
        return self.db.tables["VM"].get(source, {}).get("uuid")

    def _compatible(self, imported, other):
        if not imported.get("is_a_snapshot") and not other["is_a_snapshot"]:
            return imported.get("uuid") == other["uuid"]
        mine, theirs = self._origin(imported, True), self._origin(other, False)
        return mine is not None and mine == theirs

    # ---- making it ------------------------------------------------------------------------------
    def apply(self):
        """-> the refs of the VMs made (or found as default templates)."""
        db = self.db
        with db.lock:
            for cls, ident, record, ref, replaces in self.plan:
                if replaces is not None and db.exists("VM", replaces):
                    _destroy_vm(db, replaces)
                db.create(cls, self._fields(cls, record), ref=ref)
            for cls, ident, record, ref, dummy in self.plan:
                if cls == "VM" and record.get("is_a_snapshot") and record.get("snapshot_of") in self.table:
                    db.update("VM", ref, snapshot_of=self.table[record["snapshot_of"]])
        return self.result()

    def result(self):
        """complete_import: the VMs that are not snapshots, or all when every one is."""
        vms = [(self.table[ident], record.get("is_a_snapshot", False)) for ident, record in self.of_class("VM")
               if ident in self.table]
        plain = [ref for ref, snapshot in vms if not snapshot]
        return plain or [ref for ref, dummy in vms]

    def _fields(self, cls, record):
        definition = self.model.classes[cls]
        fields = {}
        for name, value in record.items():
            field = definition.fields.get(name)
            if field is None or not field.current or name in ("current_operations", "allowed_operations"):
                continue
            if field.type.kind == "ref":
                value = self.table.get(value, NULL_REF) if value != NULL_REF else value
            elif field.type.kind == "set" and field.type.args[0].kind == "ref":
                value = []  # the database rebuilds relation sets from the children
            fields[name] = value
        if "uuid" in fields and not (self.restore and cls in ("VM", "VBD", "VIF")):
            fields["uuid"] = new_uuid()
        finish = {"VM": self._finish_vm, "VBD": self._finish_device, "VIF": self._finish_vif,
                  "network": self._finish_network}.get(cls)
        fields = finish(fields, record) if finish else fields
        return {name: value for name, value in fields.items()
                if name in definition.fields and definition.fields[name].current}

    def _finish_vm(self, fields, record):
        other = {key: value for key, value in fields.get("other_config", {}).items() if key != GRANT_API_ACCESS}
        if not self.restore:
            other["mac_seed"] = new_uuid()
        if self.task is not None:
            other["import_task"] = self.task
        suspended = record.get("power_state") == "Suspended" and fields.get("suspend_VDI", NULL_REF) != NULL_REF
        fields.update(other_config=other, version=record.get("version", 0) + 1 if self.restore else 0,
                      power_state="Suspended" if suspended else "Halted", resident_on=NULL_REF,
                      scheduled_to_be_resident_on=NULL_REF, domid=-1, appliance=NULL_REF, protection_policy=NULL_REF,
                      suspend_VDI=fields.get("suspend_VDI", NULL_REF) if suspended else NULL_REF,
                      guest_metrics=NULL_REF, snapshot_of=NULL_REF, parent=NULL_REF)
        if fields.get("metrics", NULL_REF) == NULL_REF:
            fields["metrics"] = self.db.create("VM_metrics", {"install_time": now(), "last_updated": now()})
        return fields

    @staticmethod
    def _finish_device(fields, dummy):
        return dict(fields, currently_attached=False, metrics=NULL_REF)

    def _finish_vif(self, fields, record):
        """A MAC blanked by a plain import is made from the new VM's MAC seed, as VIF.create does."""
        if not fields.get("MAC"):
            seed = self.db.get("VM", fields["VM"])["other_config"].get("mac_seed") or new_uuid()
            device = fields.get("device", "0")
            fields.update(MAC=generated_mac(int(device) if device.isdigit() else 0, seed), MAC_autogenerated=True)
        return self._finish_device(fields, record)

    def _finish_network(self, fields, dummy):
        return dict(fields, other_config=dict(fields.get("other_config", {}), **(
            {"import_task": self.task} if self.task else {})))


def _destroy_vm(db, vm):
    """The VM a restore replaces: its devices and records go, its disks stay."""
    record = db.get("VM", vm)
    for cls, field in (("VBD", "VBDs"), ("VIF", "VIFs"), ("console", "consoles")):
        for ref in record[field]:
            if db.exists(cls, ref):
                db.delete(cls, ref)
    if db.exists("VM_metrics", record["metrics"]):
        db.delete("VM_metrics", record["metrics"])
    db.delete("VM", vm)


def _plain(value):
    """xmlrpc.client's values as the simulator keeps them."""
    if isinstance(value, xmlrpc.client.DateTime):
        return parse_datetime(value.value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
