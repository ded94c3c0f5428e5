"""What every migration checks besides placement: the VM may move at all (xapi_vm_lifecycle's
mobility, PCI and USB rules after the power-state rules of vm_operations), the destination
host takes a `vm_migrate` operation (xapi_host_helpers: creating and removing operations
exclude each other), and a migration network has an IP on that host
[xenapi-notes §3.5; xen-api xapi_vm_lifecycle.ml, xapi_host_helpers.ml,
xapi_network_attach_helpers.ml].
"""

import contextlib

from ..errors import Failure
from .vm_operations import check

MOVING_OPS = ("pool_migrate", "migrate_send")
CREATING_HOST_OPS = frozenset({"provision", "vm_resume", "vm_migrate"})
REMOVING_HOST_OPS = frozenset({"evacuate", "reboot", "shutdown"})


def bool_option(options, key):
    """OCaml's bool_of_string on an option: only "true" is true."""
    return options.get(key) == "true"


def _platform_flag(record, key):
    return str(record["platform"].get(key, "")).lower() in ("true", "1")


def is_mobile(db, record):
    """platform:nomigrate and nested-virt pin a VM; xenopsd captures them at boot in VM_metrics
    (the simulator reads both, its boots do not capture them)."""
    metrics = db.tables["VM_metrics"].get(record["metrics"]) if db is not None else None
    pinned = _platform_flag(record, "nomigrate") or _platform_flag(record, "nested-virt")
    if metrics is not None:
        pinned = pinned or metrics["nomigrate"] or metrics["nested_virt"]
    return not pinned


def assert_operation(db, vm, record, op, strict=True):
    """vm_operations.check, then the rules only moves have: VM_IS_IMMOBILE (not with force),
    VM_HAS_PCI_ATTACHED, VM_HAS_VUSBS."""
    check(db, vm, record, op)
    if op not in MOVING_OPS:
        return
    if strict and not is_mobile(db, record):
        raise Failure("VM_IS_IMMOBILE", vm)
    if record["attached_PCIs"]:
        raise Failure("VM_HAS_PCI_ATTACHED", vm)
    if record["VUSBs"]:
        raise Failure("VM_HAS_VUSBS", vm)


def assert_host_operation(db, host, op):
    """A VM arriving conflicts with the host leaving (evacuate, reboot, shutdown) and back."""
    current = db.get("host", host)["current_operations"]
    against = REMOVING_HOST_OPS if op in CREATING_HOST_OPS else CREATING_HOST_OPS if op in REMOVING_HOST_OPS else ()
    for task, other in current.items():
        if other in against:
            raise Failure("OTHER_OPERATION_IN_PROGRESS", "host", host, other, task)


@contextlib.contextmanager
def host_operation(db, host, op, task):
    """Hold `op` in the host's current_operations beside others it may run with."""
    with db.lock:
        assert_host_operation(db, host, op)
        db.update("host", host, current_operations=dict(db.get("host", host)["current_operations"], **{task: op}))
    try:
        yield
    finally:
        with db.lock:
            if db.exists("host", host):
                current = dict(db.get("host", host)["current_operations"])
                current.pop(task, None)
                db.update("host", host, current_operations=current)


def primary_address(db, pif):
    record = db.get("PIF", pif)
    if record["primary_address_type"] == "IPv6":
        addresses = [a.split("/")[0] for a in record["IPv6"] if not a.lower().startswith("fe80")]
        return (addresses[0] if addresses else ""), record["ipv6_configuration_mode"]
    return record["IP"], record["ip_configuration_mode"]


def host_pif(db, network, host):
    return next((pif for pif in db.get("network", network)["PIFs"]
                 if pif in db.tables["PIF"] and db.tables["PIF"][pif]["host"] == host), None)


def assert_ip_on_network(db, network, host):
    """assert_valid_ip_configuration_on_network_for_host (the `network` option of pool_migrate
    and evacuate): the host's PIF on the network, plugged, with an address; returns the address."""
    pif = host_pif(db, network, host) if db.exists("network", network) else None
    if pif is None:
        raise Failure("PIF_NOT_PRESENT", host, network)
    if not db.get("PIF", pif)["currently_attached"]:
        raise Failure("REQUIRED_PIF_IS_UNPLUGGED", pif)
    address, dummy = primary_address(db, pif)
    if not address:
        raise Failure("INTERFACE_HAS_NO_IP", pif)
    return address
