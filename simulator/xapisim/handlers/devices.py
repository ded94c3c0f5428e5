"""What VBD and VIF rules share [xenapi-notes §2.3; xen-api xapi_vbd_helpers.ml,
xapi_vif_helpers.ml]: device numbers, the guest's hotplug support, the VM operations that
block hotplug, and the follower that recomputes a VM's devices when the VM changes.
"""

import re

from ..values import NULL_REF
from .registry import follows

# VM operations during which no device may be plugged or unplugged
BLOCKING_VM_OPS = ("clean_shutdown", "hard_shutdown", "suspend", "pause")
_DISK_NAME = re.compile(r"^(?:xvd|hd|sd)([a-z]+)\d*$")


def disk_number(text):
    """A VBD device string ("0", "xvdb", "hdd", "sda1") as a disk number, or None."""
    if text.isdigit():
        return int(text)
    match = _DISK_NAME.match(text)
    if match is None:
        return None
    number = 0
    for letter in match.group(1):
        number = number * 26 + ord(letter) - ord("a") + 1
    return number - 1


def disk_name(number):
    """The name a disk number gets in the guest: 0 -> xvda, 3 -> xvdd, 26 -> xvdaa."""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return "xvd" + letters


def device_name(vbd_record):
    """The VBD's device once attached: what it had, else the name of its userdevice."""
    if vbd_record["device"]:
        return vbd_record["device"]
    number = disk_number(vbd_record["userdevice"])
    return disk_name(number) if number is not None else ""


def domain_type(db, vm_record):
    """Helpers.domain_type: the running domain's type, else the configured one (or the one
    the boot policy implies)."""
    if vm_record["power_state"] != "Halted":
        metrics = db.tables["VM_metrics"].get(vm_record["metrics"])
        if metrics and metrics["current_domain_type"] not in ("", "unspecified"):
            return metrics["current_domain_type"]
    if vm_record["domain_type"] != "unspecified":
        return vm_record["domain_type"]
    return "hvm" if vm_record["HVM_boot_policy"] else "pv"


def hotplug_error(db, vm, vm_record, kind):
    """Why a running HVM guest cannot hotplug `kind` ("VBD" or "VIF") devices, as
    (code, params), or None: guests with PV drivers can unless they say otherwise."""
    if vm_record["power_state"] != "Running" or domain_type(db, vm_record) != "hvm":
        return None
    metrics = db.tables["VM_guest_metrics"].get(vm_record["guest_metrics"])
    if metrics is not None:
        claim = metrics["can_use_hotplug_" + kind.lower()]
        if claim == "yes":
            return None
        if claim == "no":
            return "OPERATION_NOT_ALLOWED", ["VM states it does not support %s hotplug." % kind]
        if metrics["PV_drivers_detected"] or metrics["PV_drivers_version"]:
            return None
    return "VM_MISSING_PV_DRIVERS", [vm]


def blocking_vm_op(vm, vm_record):
    """OPERATION_NOT_ALLOWED params when a VM operation in progress blocks hotplug, or None."""
    for op in vm_record["current_operations"].values():
        if op in BLOCKING_VM_OPS:
            return ["Current operation on VM:%s is %s" % (vm, op)]
    return None


_VM_KEYS = ("power_state", "current_operations", "guest_metrics", "domain_type", "HVM_boot_policy")


@follows("VM")
def _vm_changed(db, ref, old, new):
    """A VM's devices' valid operations follow its power state, operations and guest."""
    if new is None or old is None or all(old[key] == new[key] for key in _VM_KEYS):
        return
    for cls, field in (("VBD", "VBDs"), ("VIF", "VIFs")):
        for device in new[field]:
            db.refresh(cls, device)


@follows("VDI")
def _vdi_changed(db, ref, old, new):
    """A VBD's valid operations look at its VDI's operations and management."""
    if new is None or old is None:
        return
    if old["current_operations"] != new["current_operations"] or old["managed"] != new["managed"]:
        for vbd in new["VBDs"]:
            db.refresh("VBD", vbd)


def vm_of(db, record):
    vm = record["VM"]
    return vm, db.tables["VM"].get(vm) if vm != NULL_REF else None
