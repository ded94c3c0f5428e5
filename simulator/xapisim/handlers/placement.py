"""Where a VM may run: host memory accounting and the checks xapi makes before a start.

A host's free memory is its total, less its own overhead, less what every VM resident on it
or scheduled to it takes (dynamic max plus the VM's overhead). dom0 is a resident VM.
A start reserves its memory (scheduled_to_be_resident_on) before the boot time passes, so
two starts at once cannot both take the last free memory.
"""

from ..errors import Failure
from ..values import NULL_REF


def footprint(vm):
    return vm["memory_dynamic_max"] + vm["memory_overhead"]


def free_memory(db, host):
    record = db.get("host", host)
    metrics = db.tables["host_metrics"].get(record["metrics"])
    total = metrics["memory_total"] if metrics else 0
    used = record["memory_overhead"]
    for vm in record["resident_VMs"]:
        used += footprint(db.tables["VM"][vm])
    for vm, target in scheduled(db).items():
        if target == host and vm in db.tables["VM"]:
            used += footprint(db.tables["VM"][vm])
    return total - used


def scheduled(db):
    """VMs on their way to a host (memory reserved, not yet resident): vm -> host."""
    return db.counters.setdefault("scheduled", {})


def host_is_live(db, host):
    metrics = db.tables["host_metrics"].get(db.get("host", host)["metrics"])
    return bool(metrics and metrics["live"])


def _host_sees_sr(db, host, sr):
    record = db.get("SR", sr)
    for pbd in record["PBDs"]:
        pbd_record = db.tables["PBD"].get(pbd)
        if pbd_record and pbd_record["host"] == host and pbd_record["currently_attached"]:
            return True
    return False


def _host_sees_network(db, host, network):
    pifs = db.get("network", network)["PIFs"]
    return not pifs or any(db.tables["PIF"][pif]["host"] == host for pif in pifs if pif in db.tables["PIF"])


def assert_can_run_on(db, vm, host, memory=True):
    """xapi's checks for one host, in its order: enabled, live, storage, network, memory
    (an evacuation plan leaves memory to its own bin packing)."""
    record = db.get("VM", vm)
    host_record = db.get("host", host)
    if not host_record["enabled"]:
        raise Failure("HOST_DISABLED", host)
    if not host_is_live(db, host):
        raise Failure("HOST_NOT_LIVE")
    for vbd in record["VBDs"]:
        vdi = db.tables["VBD"][vbd]["VDI"]
        if vdi != NULL_REF and vdi in db.tables["VDI"]:
            sr = db.tables["VDI"][vdi]["SR"]
            if not _host_sees_sr(db, host, sr):
                raise Failure("VM_REQUIRES_SR", vm, sr)
    for vif in record["VIFs"]:
        network = db.tables["VIF"][vif]["network"]
        if network in db.tables["network"] and not _host_sees_network(db, host, network):
            raise Failure("VM_REQUIRES_NETWORK", vm, network)
    needed, available = footprint(record), free_memory(db, host)
    if memory and needed > available:
        raise Failure("HOST_NOT_ENOUGH_FREE_MEMORY", needed, available)


def choose_host(db, vm):
    """The host a start without start_on picks: the affinity host if it can take the VM,
    else the able host with the most free memory. Caller holds the database lock."""
    affinity = db.get("VM", vm)["affinity"]
    if affinity in db.tables["host"]:
        try:
            assert_can_run_on(db, vm, affinity)
            return affinity
        except Failure:
            pass
    first_error = None
    for host in sorted(db.tables["host"], key=lambda h: -free_memory(db, h)):
        try:
            assert_can_run_on(db, vm, host)
            return host
        except Failure as failure:
            first_error = first_error or failure
    if first_error is not None and first_error.code in ("HOST_NOT_ENOUGH_FREE_MEMORY", "VM_REQUIRES_SR",
                                                        "VM_REQUIRES_NETWORK"):
        raise first_error
    raise Failure("NO_HOSTS_AVAILABLE")
