"""New VMs from old: clone (fast, same SRs), copy (full, to an SR) and provision (a template's
disks from other_config.disks) [xenapi-notes §3.4, copy/clone/snapshot family].
"""

from xml.etree import ElementTree

from ..errors import Failure
from ..values import NULL_REF, new_uuid, now
from . import storage
from .registry import handles
from .vm_operations import check

CLONE_SECONDS_PER_DISK = 1.0
COPY_SECONDS_PER_GIB = 0.5
_RUNTIME = ("resident_on", "scheduled_to_be_resident_on", "domid", "guest_metrics", "suspend_VDI",
            "current_operations", "allowed_operations", "snapshot_of", "snapshot_time", "is_a_snapshot",
            "snapshot_info", "snapshot_metadata", "transportable_snapshot_id", "parent", "is_default_template",
            "is_control_domain", "metrics", "uuid")


def _mac(db):
    number = db.counters["next_mac"] = db.counters.get("next_mac", 0) + 1
    return "02:16:3e:%02x:%02x:%02x" % ((number >> 16) & 255, (number >> 8) & 255, number & 255)


def _check_sr_space(db, sr, needed):
    record = db.get("SR", sr)
    if record["type"] == "iso" or record["content_type"] == "iso":
        raise Failure("OPERATION_NOT_ALLOWED", "Cannot copy a VM's disks to an ISO SR")
    storage.assert_space(db, sr, needed)


def _check_disk_space(db, disks, sr):
    """Every SR that gets new disks must have room for all of them (full copies to `sr`, or
    fast clones on each disk's own SR when sr is None)."""
    needs = {}
    for dummy, vdi in disks:
        if vdi is None:
            continue
        record = db.get("VDI", vdi)
        if sr is None:
            target = record["SR"]
            needs[target] = needs.get(target, 0) + storage.new_utilisation(db.get("SR", target), record["virtual_size"])
        else:
            target = sr if sr != NULL_REF else record["SR"]
            needs[target] = needs.get(target, 0) + record["virtual_size"]
    for target, needed in needs.items():
        if sr is None:
            storage.assert_space(db, target, needed)
        else:
            _check_sr_space(db, target, needed)


def duplicate(call, vm, name, sr=None, disk_seconds=0.0):
    """A new VM with the record, devices and (copies of) disks of `vm`."""
    db = call.db
    record = db.get("VM", vm)
    fields = {key: value for key, value in record.items() if key not in _RUNTIME and key not in
              ("VBDs", "VIFs", "consoles", "crash_dumps", "VTPMs", "VUSBs", "VGPUs", "attached_PCIs", "snapshots",
               "children", "blobs")}
    other = {k: v for k, v in record["other_config"].items() if k not in ("default_template", "xensource_internal")}
    other["mac_seed"] = new_uuid()
    if record["is_a_template"] and not record["is_a_snapshot"]:
        other["base_template_name"] = record["name_label"]
    fields.update({"name_label": name, "other_config": other, "power_state": "Halted",
                   "is_a_template": record["is_a_template"] and not record["is_a_snapshot"]})
    if record["is_a_snapshot"]:
        fields["is_a_template"] = False
    disks = []
    for vbd in record["VBDs"]:
        vbd_record = db.get("VBD", vbd)
        vdi = vbd_record["VDI"]
        if vdi != NULL_REF and vdi in db.tables["VDI"] and vbd_record["type"] == "Disk":
            disks.append((vbd_record, vdi))
        else:
            disks.append((vbd_record, None))
    _check_disk_space(db, disks, sr)
    if disk_seconds:
        call.spend(disk_seconds * max(1, len(disks)))
    with db.lock:
        metrics = db.create("VM_metrics", {"install_time": now(), "last_updated": now()})
        new_vm = db.create("VM", dict(fields, metrics=metrics))
        for vbd_record, vdi in disks:
            vbd_fields = {k: v for k, v in vbd_record.items()
                          if k not in ("uuid", "VM", "VDI", "allowed_operations", "current_operations",
                                       "currently_attached", "metrics")}
            new_vdi = vbd_record["VDI"]
            if vdi is not None and sr is None:
                new_vdi = storage.clone_vdi(db, vdi)
            elif vdi is not None:
                new_vdi = storage.copy_vdi(db, vdi, sr if sr != NULL_REF else db.get("VDI", vdi)["SR"])
            db.create("VBD", dict(vbd_fields, VM=new_vm, VDI=new_vdi, currently_attached=False,
                                  empty=new_vdi == NULL_REF))
        for vif in record["VIFs"]:
            vif_record = db.get("VIF", vif)
            vif_fields = {k: v for k, v in vif_record.items()
                          if k not in ("uuid", "VM", "allowed_operations", "current_operations", "currently_attached",
                                       "metrics")}
            db.create("VIF", dict(vif_fields, VM=new_vm, MAC=_mac(db), currently_attached=False))
    return new_vm


@handles("VM.clone")
def clone(call, vm, new_name):
    with call.operation("VM", vm, "clone", check=lambda r: check(call.db, vm, r, "clone")):
        return duplicate(call, vm, new_name, disk_seconds=CLONE_SECONDS_PER_DISK)


@handles("VM.copy")
def copy(call, vm, new_name, sr):
    if sr != NULL_REF:
        call.db.get("SR", sr)
    with call.operation("VM", vm, "copy", check=lambda r: check(call.db, vm, r, "copy")):
        size = sum(call.db.get("VDI", call.db.get("VBD", vbd)["VDI"])["virtual_size"]
                   for vbd in call.db.get("VM", vm)["VBDs"] if call.db.get("VBD", vbd)["VDI"] in call.db.tables["VDI"])
        return duplicate(call, vm, new_name, sr=sr, disk_seconds=COPY_SECONDS_PER_GIB * size / 1024 ** 3)


def _provision_disks(db, vm, record):
    text = record["other_config"].get("disks", "")
    if not text:
        return []
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise Failure("INVALID_VALUE", "other_config:disks", str(exc)) from None
    disks = []
    for disk in root.findall("disk"):
        sr_uuid = disk.get("sr", "")
        if sr_uuid:
            sr = db.uuids["SR"].get(sr_uuid)
            if sr is None:
                raise Failure("UUID_INVALID", "sr", sr_uuid)
        else:
            pool = db.get("pool", db.refs("pool")[0])
            sr = pool["default_SR"]
            if sr not in db.tables["SR"]:
                raise Failure("SR_NOT_ATTACHED", sr)
        disks.append((disk.get("device", "0"), int(disk.get("size", "0")), sr, disk.get("bootable") == "true"))
    return disks


@handles("VM.provision")
def provision(call, vm):
    db = call.db
    with call.operation("VM", vm, "provision", check=lambda r: check(db, vm, r, "provision")) as record:
        disks = _provision_disks(db, vm, record)
        needs = {}
        for dummy, size, sr, dummy in disks:
            needs[sr] = needs.get(sr, 0) + size
        for sr, needed in needs.items():
            _check_sr_space(db, sr, needed)
        call.spend(CLONE_SECONDS_PER_DISK * max(1, len(disks)))
        with db.lock:
            for device, size, sr, bootable in disks:
                vdi = storage.new_vdi(db, sr, {"name_label": device, "name_description": "Created by template provisioner",
                                               "type": "system"}, storage.round_size(db.get("SR", sr), size))
                db.create("VBD", {"VM": vm, "VDI": vdi, "userdevice": device, "bootable": bootable, "mode": "RW",
                                  "type": "Disk", "unpluggable": True, "empty": False, "other_config": {"owner": ""}})
            other = {k: v for k, v in db.get("VM", vm)["other_config"].items() if k not in ("disks", "postinstall")}
            db.update("VM", vm, is_a_template=False, other_config=other)
