"""A VM's metadata as xapi exports it: a tar holding only ova.xml [xen-api ocaml/xapi/export.ml
update_table, make_*, vm_metadata, export_metadata; importexport.ml header, version;
import.ml with_open_archive]. ova.xml is one XML-RPC value:

    {"version": {hostname, date, product_version, product_brand, build_number, xapi_major,
                 xapi_minor, export_vsn},
     "objects": [{"class": "VM"|"VBD"|"VIF"|"network"|"VDI"|"SR"|"VM_metrics"|"VM_guest_metrics"|"host",
                  "id": "Ref:N", "snapshot": <the record as get_record gives it>}, ...]}

References between exported objects are "Ref:N"; the VM's VIFs and their networks, its VBDs and
their VDIs and SRs, its snapshots (export_snapshots, true by default), metrics, guest metrics and
host are in it. What export.ml blanks (operations, PBDs, PIFs, metrics of devices, ...) is blank.
"""

import gzip
import io
import tarfile
import time
import xmlrpc.client
from xml.parsers.expat import ExpatError

from .errors import Failure
from .values import NULL_REF, DateTime, Int32
from .wire.xmlrpc import encode_value

OVA_XML = "ova.xml"
EXPORT_VSN = 2
EXPORT_ORDER = ("host", "VM", "VM_metrics", "VM_guest_metrics", "VBD", "VIF", "network", "VDI", "SR")
_HOST_BLANK = {"PIFs": [], "PBDs": [], "PGPUs": [], "PCIs": [], "host_CPUs": [], "license_params": {}, "blobs": {},
               "external_auth_type": "", "external_auth_service_name": "", "external_auth_configuration": {},
               "metrics": NULL_REF, "patches": [], "crashdumps": [], "logging": {}, "supported_bootloaders": [],
               "cpu_configuration": {}, "other_config": {}, "capabilities": [], "software_version": {},
               "sched_policy": "", "ha_statefiles": [], "ha_network_peers": [], "tags": []}
_SNAPSHOT_FIELDS = {"is_a_snapshot": False, "snapshot_of": NULL_REF, "snapshots": [], "transportable_snapshot_id": "",
                    "parent": NULL_REF}


# ---- export ---------------------------------------------------------------------------------------
def _table(db, vms, with_snapshots):
    """export.ml update_table: internal ref -> "Ref:N" for everything that goes."""
    table = {}

    def add(ref):
        if ref != NULL_REF and ref not in table:
            table[ref] = "Ref:%d" % len(table)

    def add_vm(vm, snapshots):
        if vm not in db.tables["VM"] or vm in table:
            return
        add(vm)
        record = db.get("VM", vm)
        for vif in record["VIFs"]:
            if vif in db.tables["VIF"]:
                add(vif)
                add(db.get("VIF", vif)["network"])
        for vbd in record["VBDs"]:
            if vbd in db.tables["VBD"]:
                add(vbd)
                vbd_record = db.get("VBD", vbd)
                if not vbd_record["empty"] and vbd_record["VDI"] in db.tables["VDI"]:
                    add(vbd_record["VDI"])
                    add(db.get("VDI", vbd_record["VDI"])["SR"])
        if snapshots:
            for snapshot in record["snapshots"]:
                add_vm(snapshot, False)
        if record["power_state"] == "Suspended" and record["suspend_VDI"] in db.tables["VDI"]:
            add(record["suspend_VDI"])
            add(db.get("VDI", record["suspend_VDI"])["SR"])
        for ref in (record["metrics"], record["guest_metrics"], record["resident_on"], record["affinity"]):
            add(ref)
        if snapshots and record["parent"] in db.tables["VM"]:
            add_vm(record["parent"], False)

    for vm in vms:
        add_vm(vm, with_snapshots)
    return table


def _record(db, cls, ref, table, with_snapshots):
    """make_<class>: the record with references made external (or blanked) as export.ml does."""
    model = db.model.classes[cls]
    record = dict(db.get(cls, ref))

    def lookup(value):
        return table.get(value, NULL_REF)

    for name, value in list(record.items()):
        kind = model.fields[name].type
        if kind.kind == "ref" and value in table:
            record[name] = table[value]
        elif kind.kind == "set" and kind.args[0].kind == "ref":
            record[name] = [table[item] for item in value if item in table]
    if "current_operations" in record:
        record.update(current_operations={}, allowed_operations=[])
    if cls == "host":
        record.update(_HOST_BLANK, crash_dump_sr=lookup(db.get(cls, ref)["crash_dump_sr"]),
                      suspend_image_sr=lookup(db.get(cls, ref)["suspend_image_sr"]))
    elif cls == "VM":
        original = db.get(cls, ref)
        record.update(crash_dumps=[], consoles=[], blobs={}, protection_policy=NULL_REF,
                      resident_on=lookup(original["resident_on"]), affinity=lookup(original["affinity"]),
                      metrics=lookup(original["metrics"]), guest_metrics=lookup(original["guest_metrics"]),
                      suspend_VDI=lookup(original["suspend_VDI"]))
        if not with_snapshots:
            record.update(_SNAPSHOT_FIELDS, snapshot_time=DateTime("19700101T00:00:00Z"))
        else:
            record.update(snapshot_of=lookup(original["snapshot_of"]), parent=lookup(original["parent"]),
                          snapshots=list(original["snapshots"]))
    elif cls in ("VBD", "VIF"):
        original = db.get(cls, ref)
        record.update(metrics=NULL_REF, VM=lookup(original["VM"]))
        if cls == "VBD":
            record["VDI"] = lookup(original["VDI"])
        else:
            record["network"] = lookup(original["network"])
    elif cls == "network":
        record["PIFs"] = []
    elif cls == "VDI":
        record.update(crash_dumps=[], SR=lookup(db.get(cls, ref)["SR"]))
    elif cls == "SR":
        record["PBDs"] = []
    return record


def version(db, host):
    software = db.get("host", host)["software_version"]
    major, dummy, minor = software.get("xapi", "24.19").partition(".")
    return {"hostname": software.get("hostname", ""), "date": software.get("date", ""),
            "product_version": software.get("product_version", ""), "product_brand": software.get("product_brand", ""),
            "build_number": software.get("build_number", ""), "xapi_major": Int32(int(major)),
            "xapi_minor": Int32(int(minor or 0)), "export_vsn": Int32(EXPORT_VSN)}


def ova_xml(db, host, vms, with_snapshots):
    with db.lock:
        table = _table(db, vms, with_snapshots)
        objects = []
        for cls in EXPORT_ORDER:
            for ref, ident in table.items():
                if ref in db.tables[cls]:
                    record = _record(db, cls, ref, table, with_snapshots)
                    objects.append({"class": cls, "id": ident, "snapshot": record})
        header = {"version": version(db, host), "objects": objects}
    out = []
    encode_value(header, out)
    return "".join(out).encode("utf-8")


def archive(xml):
    """The tar: ova.xml, then the end of the archive."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(OVA_XML)
        info.size, info.mtime, info.mode = len(xml), int(time.time()), 0o400
        tar.addfile(info, io.BytesIO(xml))
    return buffer.getvalue()


# ---- reading -------------------------------------------------------------------------------------
def read_archive(body):
    """with_open_archive: the first file must be ova.xml -> its bytes (gzip-compressed too)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError):
            raise Failure("IMPORT_ERROR_PREMATURE_EOF") from None
    if len(body) < tarfile.BLOCKSIZE:
        raise Failure("IMPORT_ERROR_PREMATURE_EOF")
    try:
        info = tarfile.TarInfo.frombuf(body[:tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
    except tarfile.TarError as exc:
        raise Failure("IMPORT_ERROR", "Invalid XVA file: not a tar archive (%s)" % exc) from None
    if info.name != OVA_XML:
        raise Failure("IMPORT_ERROR_UNEXPECTED_FILE", OVA_XML, info.name)
    start = tarfile.BLOCKSIZE
    if len(body) < start + info.size:
        raise Failure("IMPORT_ERROR_PREMATURE_EOF")
    return body[start:start + info.size]


def parse_header(xml):
    """ova.xml -> (version dict, [(class, id, record as the wire gives it)])."""
    wrapped = b"<?xml version='1.0'?><methodResponse><params><param>%s</param></params></methodResponse>" % xml
    try:
        (header,), dummy = xmlrpc.client.loads(wrapped, use_builtin_types=False)
        objects = [(item["class"], item["id"], item["snapshot"]) for item in header["objects"]]
        found = header["version"]
        version_of = (int(found["xapi_major"]), int(found["xapi_minor"]))
    except (ExpatError, xmlrpc.client.ResponseError, KeyError, TypeError, ValueError) as exc:  # header_of_rpc too
        raise Failure("IMPORT_ERROR", "Failed to read ova.xml: %s: %s" % (type(exc).__name__, exc)) from None
    return version_of, objects
