"""NFS SRs on the world's NFS servers (xapisim/nfs.py) [SM libs/sm/drivers/NFSSR.py probe, attach,
FileSR.scan; libs/sm/nfs.py scan_srlist, soft_mount; xen-api ocaml/xapi/xapi_sr.ml probe, scan]:

- SR.probe(host, {server, serverpath}, "nfs", {}) mounts the export and lists the SR folders
  found there, as NFSSR answers: `<SRlist><SR><UUID>uuid</UUID></SR>...</SRlist>` (minidom's
  pretty print, as the driver returns it); an export no server has is NFSMount (73).
- PBD.plug of an NFS SR mounts <serverpath>/<sr uuid>: no such folder is NFSMount (73).
- SR.scan of an NFS SR (a PBD plugged) makes the database agree with the folder: VDIs found
  there come back with their uuids, names, sizes, locations; VDIs whose files are gone and that
  no VBD uses are forgotten. Other SRs hold exactly what the database says: nothing changes.

A follower keeps the folder in step with every VDI write of the SR in any pool; SR.forget (and a
pool's end) leave it alone, VDI.destroy and SR.destroy remove the data.
"""

from xml.dom import minidom

from ..errors import Failure
from ..nfs import VDI_FIELDS
from ..values import new_ref
from . import storage
from .registry import follows, handles
from .sm import assert_driver, reach_host, sm_error

MOUNT_FAILED = "mount failed on server `%s` with return code 32"  # nfs.soft_mount: mount.nfs, no such export


def _store(db):
    return getattr(db, "nfs", None)


def _config(db, sr):
    """The device config of the SR's PBDs (they all name the same export)."""
    for pbd in db.get("SR", sr)["PBDs"]:
        config = db.tables["PBD"][pbd]["device_config"]
        if "server" in config and "serverpath" in config:
            return config
    return None


def mount_error(server):
    return sm_error("NFSMount", MOUNT_FAILED % server)


# ---- keeping the folder in step ----------------------------------------------------------------
@follows("VDI")
def _follow_vdi(db, ref, old, new):
    store = _store(db)
    record = new or old
    sr = db.tables["SR"].get(record["SR"])
    if store is None or sr is None or sr["type"] != "nfs" or not store.holds(sr["uuid"]):
        return
    if new is not None:
        store.write_vdi(sr["uuid"], new, db.private.setdefault(ref, {}))
    elif not db.private.get(old["SR"], {}).get("forgetting"):
        store.remove_vdi(sr["uuid"], old["uuid"])


def created(db, sr, config):
    """SR.create made an NFS SR: its folder on the export, with whatever VDIs it has already."""
    store = _store(db)
    record = db.get("SR", sr)
    if store is None or record["type"] != "nfs":
        return
    store.create_sr(config["server"], config["serverpath"], record["uuid"])
    for vdi in record["VDIs"]:
        store.write_vdi(record["uuid"], db.get("VDI", vdi), db.private.setdefault(vdi, {}))


def destroyed(db, sr_record):
    store = _store(db)
    if store is not None and sr_record["type"] == "nfs":
        store.remove_sr(sr_record["uuid"])


def register_pool(db):
    """A scenario's NFS SRs are on their servers from the start."""
    for sr, record in db.records("SR").items():
        config = _config(db, sr)
        if record["type"] == "nfs" and config is not None:
            created(db, sr, config)


def assert_mountable(db, sr_record, config):
    """NFSSR.attach: the SR's folder must be on the export."""
    store = _store(db)
    if store is not None and sr_record["type"] == "nfs" and \
            not store.has_sr(config["server"], config["serverpath"], sr_record["uuid"]):
        raise mount_error(config["server"])


def link_content(db, store):
    """After a restore: the disks of NFS SRs read their content from the server again."""
    for vdi, record in db.records("VDI").items():
        sr = db.tables["SR"].get(record["SR"])
        if sr is not None and sr["type"] == "nfs":
            data = store.data_of(sr["uuid"], record["uuid"])
            if data is not None:
                db.private[vdi] = data


def export_present(store, sr_record, config):
    return store is not None and config is not None and \
        store.has_sr(config.get("server", ""), config.get("serverpath", ""), sr_record["uuid"])


# ---- SR.probe ----------------------------------------------------------------------------------
def srlist_xml(uuids):
    """nfs.scan_srlist: the SR folders as minidom pretty-prints them."""
    dom = minidom.Document()
    root = dom.createElement("SRlist")
    dom.appendChild(root)
    for uuid in uuids:
        entry = dom.createElement("SR")
        root.appendChild(entry)
        child = dom.createElement("UUID")
        entry.appendChild(child)
        child.appendChild(dom.createTextNode(uuid))
    return dom.toprettyxml()


@handles("SR.probe")
def probe(call, host, device_config, sr_type, sm_config):
    """NFSSR.probe: the server must answer (108, or DNS 140), serverpath given (101), the export
    mountable (73); -> the SR uuids found there. Other drivers' probes are not simulated."""
    db = call.db
    db.get("host", host)
    sr_type = sr_type.lower()
    assert_driver(db, sr_type)
    if sr_type != "nfs":
        raise Failure("NOT_IMPLEMENTED", "SR.probe of %s SRs is not simulated" % sr_type)
    if "server" not in device_config:
        raise sm_error("ConfigServerMissing")
    reach_host(device_config["server"], "NFSTarget")
    if "serverpath" not in device_config:
        raise sm_error("ConfigServerPathMissing")
    store = _store(db)
    if store is None or not store.has_export(device_config["server"], device_config["serverpath"]):
        raise mount_error(device_config["server"])
    call.spend(1.0)
    return srlist_xml(store.srs_at(device_config["server"], device_config["serverpath"]))


# ---- SR.scan -----------------------------------------------------------------------------------
@handles("SR.scan")
def scan(call, sr):
    """Sm.assert_pbd_is_plugged, then the driver's view of the SR becomes the database's."""
    db = call.db
    with db.lock:
        record = db.get("SR", sr)
        store = _store(db)
        if record["type"] != "nfs" or store is None:
            return
        storage.assert_plugged(db, sr)
        if not store.holds(record["uuid"]):
            raise sm_error("SRUnavailable", "no such directory /var/run/sr-mount/%s" % record["uuid"])
        found = store.vdis(record["uuid"])
        known = {db.tables["VDI"][vdi]["uuid"]: vdi for vdi in record["VDIs"]}
        for uuid, (fields, data) in found.items():
            if uuid not in known:
                ref = new_ref()
                db.private[ref] = data  # shared storage: the same bytes in every pool
                db.create("VDI", dict({name: fields[name] for name in VDI_FIELDS}, SR=sr), ref=ref)
        for uuid, vdi in known.items():
            if uuid not in found and not db.tables["VDI"][vdi]["VBDs"]:
                db.delete("VDI", vdi)
    call.spend(1.0)
