"""Pool membership at the world level: a host moves into another pool's database (pool.join),
leaves it and comes back as a fresh standalone host (pool.eject), or goes down for a while
(host.reboot / shutdown) [xenapi-notes §3.1, §3.3].

Refs are OpaqueRef:<uuid>, unique across the world, so a moved object keeps its ref and its
uuid; references to objects the destination has its own of (networks by bridge, the tools SR
and its ISOs, the pool) are mapped, any other reference to something left behind becomes NULL.
"""

from . import install
from .relations import derived_fields
from .values import NULL_REF

_DERIVED = derived_fields()
REF_PREFIX = "OpaqueRef:"
# the classes that go along with a host, parents before children
MOVE_ORDER = ("host_metrics", "host", "host_cpu", "network", "PIF_metrics", "PIF", "SR", "PBD", "VDI", "VM_metrics",
              "VM_guest_metrics", "VM", "VBD", "VIF", "console", "VTPM", "host_crashdump", "host_patch", "PCI", "PGPU",
              "PUSB", "Feature", "Certificate")
_HOST_OWNED = ("host_cpu", "PIF", "host_crashdump", "host_patch", "PCI", "PGPU", "PUSB", "Feature", "Certificate")


def _tools_sr(db):
    return db.find_one("SR", is_tools_sr=True)


def _moving(db, host):
    """class -> refs: what leaves the joiner's database with its host."""
    record = db.get("host", host)
    moving = {cls: set() for cls in MOVE_ORDER}
    moving["host"].add(host)
    moving["host_metrics"].add(record["metrics"])
    for cls in _HOST_OWNED:
        moving[cls].update(db.find(cls, host=host))
    moving["PIF_metrics"].update(db.get("PIF", pif)["metrics"] for pif in moving["PIF"])
    for sr, sr_record in db.records("SR").items():
        if not sr_record["shared"]:
            moving["SR"].add(sr)
            moving["PBD"].update(sr_record["PBDs"])
            moving["VDI"].update(sr_record["VDIs"])
    for vm, vm_record in db.records("VM").items():
        if vm_record["is_default_template"]:
            continue
        moving["VM"].add(vm)
        moving["VM_metrics"].add(vm_record["metrics"])
        moving["VM_guest_metrics"].add(vm_record["guest_metrics"])
        for cls, field in (("VBD", "VBDs"), ("VIF", "VIFs"), ("console", "consoles"), ("VTPM", "VTPMs")):
            moving[cls].update(vm_record[field])
    for cls, refs in moving.items():
        refs.intersection_update(db.tables[cls])
    return moving


def _mapping(source, target, target_pool):
    """Refs of the joiner's own copies of pool-wide objects -> the pool's objects (made if missing)."""
    mapping = {source.refs("pool")[0]: target_pool}
    for network, record in source.records("network").items():
        found = target.find_one("network", bridge=record["bridge"])
        mapping[network] = found or network  # a network the pool lacks comes along
    tools, target_tools = _tools_sr(source), _tools_sr(target)
    if tools and target_tools:
        mapping[tools] = target_tools
        for vdi in source.get("SR", tools)["VDIs"]:
            location = source.get("VDI", vdi)["location"]
            found = target.find_one("VDI", SR=target_tools, location=location)
            if found:
                mapping[vdi] = found
    return mapping


def _copy(cls, record, moved, mapping):
    """The record for the new database: derived sets empty, operations none, refs mapped."""

    def ref(value):
        if value == NULL_REF or value in moved:
            return value
        return mapping.get(value, NULL_REF)

    fields = {}
    for name, value in record.items():
        if name in _DERIVED.get(cls, ()):
            value = []
        elif name == "current_operations":
            value = {}
        elif isinstance(value, str) and value.startswith(REF_PREFIX):
            value = ref(value)
        elif isinstance(value, list) and value and all(isinstance(v, str) and v.startswith(REF_PREFIX) for v in value):
            value = [mapped for mapped in map(ref, value) if mapped != NULL_REF]
        fields[name] = value
    return fields


def move_host(world, source_pool, host, target_pool):
    """pool.join's database work: the joiner's host and what hangs off it are re-created in the
    pool's database (same refs and uuids), its root password becomes the pool's, the pool's
    shared SRs get a plugged PBD for it. The joiner's own pool object and database stay until
    `switch_address` (the joiner's toolstack restart)."""
    source, target = source_pool.db, target_pool.db
    with source.lock, target.lock:
        moving = _moving(source, host)
        mapping = _mapping(source, target, target_pool.ref)
        moved = set().union(*moving.values())
        moving["network"] = {net for net in source.refs("network") if mapping.get(net) == net}
        moved |= moving["network"]
        created = []
        for cls in MOVE_ORDER:
            for ref in moving[cls]:
                target.create(cls, _copy(cls, source.get(cls, ref), moved, mapping), ref=ref)
                created.append((cls, ref))
                if ref in source.private:
                    target.private[ref] = dict(source.private[ref])
        for cls, ref in created:
            target.relink(cls, ref)
        master = target_pool.master
        target.private.setdefault(host, {})["root_password"] = target.private.get(master, {}).get("root_password", "")
        for sr, record in target.records("SR").items():
            if record["shared"] and not any(target.get("PBD", pbd)["host"] == host for pbd in record["PBDs"]):
                config = target.get("PBD", record["PBDs"][0])["device_config"] if record["PBDs"] else {}
                install.attach_sr(target, sr, host, config)
        for cls, ref in created:
            target.refresh(cls, ref)


def switch_address(world, source_pool, host, target_pool):
    """The joiner restarted as a member: its address is the pool's, its old database is gone."""
    address = target_pool.address_of(host)
    world.remove_pool(source_pool)
    world.hosts[address] = (target_pool, host)
    world.hosts_changed()


def host_spec(db, host):
    """What install_host needs to install this host again as it is."""
    record = db.get("host", host)
    metrics = db.tables["host_metrics"].get(record["metrics"])
    local = [sr for sr in db.records("SR").values()
             if sr["content_type"] == "user" and not sr["shared"]
             and any(db.get("PBD", pbd)["host"] == host for pbd in sr["PBDs"])]
    product = next((name for name, values in install.PRODUCTS.items()
                    if values["product_brand"] == record["software_version"].get("product_brand")), "xenserver")
    return {"name": record["hostname"], "address": record["address"],
            "memory": metrics["memory_total"] if metrics else 256 * install.GIB,
            "cpus": len(record["host_CPUs"]) or 32,
            "nics": len([pif for pif in record["PIFs"] if db.get("PIF", pif)["physical"]]) or 1,
            "local_sr_type": local[0]["type"] if local else "lvm",
            "local_sr_size": local[0]["physical_size"] if local else 1800 * install.GIB,
            "product": product, "root_password": db.private.get(host, {}).get("root_password", world_password(db))}


def world_password(db):
    master = db.get("pool", db.refs("pool")[0])["master"]
    return db.private.get(master, {}).get("root_password", "")


def remove_host(db, host):
    """pool.eject on the coordinator: the host record and what hangs off it go; SRs only it saw
    are forgotten (their VDIs go; VBDs of remaining VMs on them go too) [xapi_pool.ml eject]."""
    with db.lock:
        record = db.get("host", host)
        for vm in list(record["resident_VMs"]):
            vm_record = db.get("VM", vm)
            if vm_record["is_control_domain"]:
                for cls, field in (("VBD", "VBDs"), ("VIF", "VIFs"), ("console", "consoles")):
                    for ref in vm_record[field]:
                        if db.exists(cls, ref):
                            db.delete(cls, ref)
                if db.exists("VM_metrics", vm_record["metrics"]):
                    db.delete("VM_metrics", vm_record["metrics"])
                db.delete("VM", vm)
        for pbd in list(record["PBDs"]):
            sr = db.get("PBD", pbd)["SR"]
            db.delete("PBD", pbd)
            if db.exists("SR", sr) and not db.get("SR", sr)["PBDs"]:
                db.private.setdefault(sr, {})["forgetting"] = True  # forgotten: the storage keeps the disks
                for vdi in list(db.get("SR", sr)["VDIs"]):
                    for vbd in list(db.get("VDI", vdi)["VBDs"]):
                        db.delete("VBD", vbd)
                    db.delete("VDI", vdi)
                db.delete("SR", sr)
        for pif in list(record["PIFs"]):
            metrics = db.get("PIF", pif)["metrics"]
            db.delete("PIF", pif)
            if db.exists("PIF_metrics", metrics):
                db.delete("PIF_metrics", metrics)
        for cls in ("host_cpu", "host_crashdump", "host_patch", "PCI", "PGPU", "PUSB", "Feature", "Certificate"):
            for ref in db.find(cls, host=host):
                db.delete(cls, ref)
        if db.exists("host_metrics", record["metrics"]):
            db.delete("host_metrics", record["metrics"])
        for vm in db.find("VM", affinity=host):
            db.update("VM", vm, affinity=NULL_REF)
        db.delete("host", host)
        db.private.pop(host, None)


def install_standalone(world, spec):
    """A host fresh from the installer, alone in a new pool (named ""), answering at its address."""
    pool = world.add_pool("")
    db = pool.db
    pool_ref = install.create_pool(db, world.model, "", spec["product"])
    host, local = install.install_host(db, pool_ref, spec)
    db.update("pool", pool_ref, master=host, default_SR=local, suspend_image_SR=local, crash_dump_SR=local)
    db.update("host", host, suspend_image_sr=local, crash_dump_sr=local)
    world.register_host(pool, host)
    world.hosts_changed()
    return pool, host


def set_live(db, host, live):
    if db.exists("host", host):
        metrics = db.get("host", host)["metrics"]
        if db.exists("host_metrics", metrics):
            db.update("host_metrics", metrics, live=live)
        db.refresh("host", host)
