"""Where a VM may run: host memory accounting and the checks xapi makes before a start.

A host's free memory is its total, less its own overhead, less what every VM resident on it
or scheduled to it takes (dynamic max plus the VM's overhead). dom0 is a resident VM.
A start or a migration reserves its memory (scheduled_to_be_resident_on) before its time
passes, so two at once cannot both take the last free memory; a VM coming from another pool
reserves it as `incoming` (it has no record here yet).
"""

from ..errors import Failure


def footprint(vm):
    return vm["memory_dynamic_max"] + vm["memory_overhead"]


def free_memory(db, host, ignore=None):
    """What is left for another VM; `ignore` is a VM whose own memory does not count (xapi's
    memory check for a VM that may already be there)."""
    record = db.get("host", host)
    metrics = db.tables["host_metrics"].get(record["metrics"])
    total = metrics["memory_total"] if metrics else 0
    used = record["memory_overhead"]
    resident = record["resident_VMs"]
    for vm in resident:
        if vm != ignore:
            used += footprint(db.tables["VM"][vm])
    for vm, target in scheduled(db).items():
        # a VM migrating to the host it runs on counts once
        if target == host and vm != ignore and vm in db.tables["VM"] and vm not in resident:
            used += footprint(db.tables["VM"][vm])
    used += sum(size for target, size in incoming(db).values() if target == host)
    return total - used


def scheduled(db):
    """VMs on their way to a host (memory reserved, not yet resident): vm -> host."""
    return db.counters.setdefault("scheduled", {})


def incoming(db):
    """Memory reserved for VMs arriving from another pool: key -> (host, bytes)."""
    return db.counters.setdefault("incoming", {})


def host_is_live(db, host):
    metrics = db.tables["host_metrics"].get(db.get("host", host)["metrics"])
    return bool(metrics and metrics["live"])


def host_sees_sr(db, host, sr):
    record = db.get("SR", sr)
    for pbd in record["PBDs"]:
        pbd_record = db.tables["PBD"].get(pbd)
        if pbd_record and pbd_record["host"] == host and pbd_record["currently_attached"]:
            return True
    return False


def _host_sees_network(db, host, network):
    """A network with PIFs is where its PIFs are; a managed network without PIFs (internal) is
    where the running VMs on it are, so a VM on it stays with them (xapi_network_attach_helpers)."""
    record = db.get("network", network)
    pifs = [db.tables["PIF"][pif] for pif in record["PIFs"] if pif in db.tables["PIF"]]
    if record["PIFs"]:
        return any(pif["host"] == host for pif in pifs)
    if record["other_config"].get("assume_network_is_shared") == "true" or not record["managed"]:
        return True
    hosts = set()
    for vif in record["VIFs"]:
        vm = db.tables["VM"].get(db.tables["VIF"][vif]["VM"]) if vif in db.tables["VIF"] else None
        if vm is not None and vm["power_state"] == "Running":
            hosts.add(vm["resident_on"])
    return not hosts or host in hosts


def required_srs(db, record):
    """The SRs of the VM's disks (and of its suspend image when suspended)."""
    vdis = [db.tables["VBD"][vbd]["VDI"] for vbd in record["VBDs"] if vbd in db.tables["VBD"]]
    if record["power_state"] == "Suspended":
        vdis.append(record["suspend_VDI"])
    srs = []
    for vdi in vdis:
        if vdi in db.tables["VDI"] and db.tables["VDI"][vdi]["SR"] not in srs:
            srs.append(db.tables["VDI"][vdi]["SR"])
    return srs


def _feature_words(text):
    return [int(word, 16) for word in text.split("-") if word]


def assert_cpu_compatible(db, vm, record, host):
    """Cpuid_helpers.assert_vm_is_compatible: a VM that is not halted keeps the CPU it booted on
    (last_boot_CPU_flags): same vendor, and no feature the host lacks."""
    if record["power_state"] == "Halted":
        return
    info = db.get("host", host)["cpu_info"]
    flags = record["last_boot_CPU_flags"]
    field = "features_pv" if record["domain_type"] == "pv" else "features_hvm"
    if "vendor" not in info or field not in info:
        raise Failure("VM_INCOMPATIBLE_WITH_THIS_HOST", vm, host,
                      "Host does not have new leveling feature keys - not comparing VM's flags")
    if "vendor" in flags and flags["vendor"] != info["vendor"]:
        raise Failure("VM_INCOMPATIBLE_WITH_THIS_HOST", vm, host,
                      "VM last booted on a host which had a CPU from a different vendor.")
    if "features" in flags:
        have = _feature_words(info[field])
        need = _feature_words(flags["features"])
        have += [0] * (len(need) - len(have))
        if any(word & ~have[index] for index, word in enumerate(need)):
            raise Failure("VM_INCOMPATIBLE_WITH_THIS_HOST", vm, host,
                          "VM last booted on a CPU with features this host's CPU does not have.")


def assert_can_run_on(db, vm, host, memory=True, storage=True, cpu=False):
    """xapi's assert_can_boot_here for one host, in its order: live, enabled (not asked of a
    running VM staying where it is), CPU, storage, networks, memory (the VM's own memory not
    counted). An evacuation plan leaves memory to its bin packing, a storage migration the
    disks to its map; a halted VM has no CPU to compare."""
    record = db.get("VM", vm)
    if not host_is_live(db, host):
        raise Failure("HOST_NOT_LIVE")
    staying = record["power_state"] == "Running" and record["resident_on"] == host
    if not db.get("host", host)["enabled"] and not staying:
        raise Failure("HOST_DISABLED", host)
    if cpu:
        assert_cpu_compatible(db, vm, record, host)
    for sr in required_srs(db, record) if storage else ():
        if not host_sees_sr(db, host, sr):
            raise Failure("VM_REQUIRES_SR", vm, sr)
    for vif in record["VIFs"]:
        network = db.tables["VIF"][vif]["network"]
        if network in db.tables["network"] and not _host_sees_network(db, host, network):
            raise Failure("VM_REQUIRES_NETWORK", vm, network)
    needed, available = footprint(record), free_memory(db, host, ignore=vm)
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
