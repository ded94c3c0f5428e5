"""Storage rules shared by the VDI, VBD and VM handlers [xenapi-notes §2.3, §3.7]:
what a VDI takes of its SR, the SM driver's features, and which VDI operations are valid
when (the check that raises xapi's errors also computes VDI.allowed_operations).

SR.physical_utilisation and SR.virtual_allocation are the sums of physical_utilisation and
virtual_size over the SR's VDIs, kept by a follower on every VDI write, so whatever makes or
drops a VDI (VDI.create, clones, suspend images, scenarios) keeps its SR right.
Space model (the simulator's, not an SM's): a new disk on a thick SR (LVM) takes its virtual
size, on a thin one (file-based VHD) the VHD metadata only; a disk fits when its virtual size
is at most the SR's free space (physical_size - physical_utilisation), else SR_FULL
[requested, maximum].
"""

import functools

from ..errors import Failure
from ..values import NULL_REF, new_uuid, now
from .registry import derives, follows

MIB = 1024 ** 2
GIB = 1024 ** 3
THICK_TYPES = frozenset({"lvm", "lvmoiscsi", "lvmohba"})
VHD_TYPES = frozenset({"lvm", "lvmoiscsi", "lvmohba", "ext", "nfs", "smb", "file"})
FILE_TYPES = frozenset({"ext", "nfs", "smb", "file"})
VHD_BLOCK = 2 * MIB
MAX_VHD_SIZE = 2040 * GIB
# VDI operations xapi lists in allowed_operations (pre-Ely set, less blocked and force_unlock)
VDI_LISTED_OPS = ("clone", "copy", "resize", "resize_online", "snapshot", "destroy", "forget", "update",
                  "generate_config")
# operations allowed on a VDI that a running VM has attached (xapi_vdi.ml)
LIVE_OPS = frozenset({"snapshot", "resize_online", "blocked", "clone", "revert_to", "mirror", "enable_cbt",
                      "disable_cbt", "data_destroy"})
VDI_OP_FEATURE = {"snapshot": "VDI_SNAPSHOT", "destroy": "VDI_DELETE", "resize": "VDI_RESIZE",
                  "update": "VDI_UPDATE", "resize_online": "VDI_RESIZE_ONLINE",
                  "generate_config": "VDI_GENERATE_CONFIG", "clone": "VDI_CLONE", "revert_to": "VDI_CLONE",
                  "mirror": "VDI_MIRROR", "set_on_boot": "VDI_RESET_ON_BOOT"}
SR_OP_FEATURE = {"vdi_create": "VDI_CREATE", "vdi_destroy": "VDI_DELETE", "vdi_resize": "VDI_RESIZE",
                 "vdi_snapshot": "VDI_SNAPSHOT", "vdi_introduce": "VDI_INTRODUCE", "vdi_mirror": "VDI_MIRROR",
                 "vdi_set_on_boot": "VDI_RESET_ON_BOOT", "update": "SR_UPDATE"}


def backend_failure(number, reason):
    """An SM driver's error as xapi forwards it: SR_BACKEND_FAILURE_<n> ["", reason, stderr]
    (sm_exec.ml); the catalogue declares SR_BACKEND_FAILURE [status, stdout, stderr]."""
    declared = Failure("SR_BACKEND_FAILURE", "", reason, "")
    return Failure.raw("%s_%d" % (declared.code, number), *declared.params)


# ---- space ---------------------------------------------------------------------------------
def is_thick(sr_record):
    allocation = sr_record["sm_config"].get("allocation")
    if allocation:
        return allocation == "thick"
    return sr_record["type"] in THICK_TYPES


def vhd_overhead(size):
    """The metadata of an empty VHD of `size` bytes: footers, header, BAT and BAT map."""
    blocks = size // MIB // 2
    overhead = _round_up(3 * 1024 + blocks * 4, 512)
    return _round_up(overhead + blocks // 8, 4096)


def _round_up(value, unit):
    return -(-value // unit) * unit


def round_size(sr_record, size):
    """The virtual size an SM gives a new or resized disk: VHD SRs round up to 2 MiB blocks
    and refuse more than 2040 GiB (SR_BACKEND_FAILURE_79, VDISize)."""
    if sr_record["type"] not in VHD_TYPES:
        return max(size, 0)
    if size < 0 or size > MAX_VHD_SIZE:
        raise backend_failure(79, "VDI Invalid size [opterr=VDI size must be between 1 MB and %d MB]"
                              % (MAX_VHD_SIZE // MIB))
    return _round_up(max(size, VHD_BLOCK), VHD_BLOCK)


def new_utilisation(sr_record, size):
    """What a new (empty, cloned or snapshot) disk of `size` bytes takes of the SR: all of it
    on a thick SR, the VHD metadata on a thin one, nothing on ISO and device SRs."""
    if is_thick(sr_record):
        return size
    return vhd_overhead(size) if sr_record["type"] in VHD_TYPES else 0


def free_space(sr_record):
    return max(sr_record["physical_size"] - sr_record["physical_utilisation"], 0)


def assert_space(db, sr, needed):
    """SR_FULL [requested, maximum] when `needed` bytes do not fit (SRs of unknown size fit anything)."""
    record = db.get("SR", sr)
    if record["physical_size"] > 0 and needed > free_space(record):
        raise Failure("SR_FULL", needed, free_space(record))


@follows("VDI")
def _account(db, ref, old, new):
    """Keep each SR's utilisation and allocation the sums over its VDIs."""
    deltas = {}
    for record, sign in ((old, -1), (new, 1)):
        if record is None or record["SR"] not in db.tables["SR"]:
            continue
        physical, virtual = deltas.get(record["SR"], (0, 0))
        deltas[record["SR"]] = (physical + sign * record["physical_utilisation"],
                                virtual + sign * record["virtual_size"])
    for sr, (physical, virtual) in deltas.items():
        if physical or virtual:
            sr_record = db.tables["SR"][sr]
            db.update("SR", sr, physical_utilisation=sr_record["physical_utilisation"] + physical,
                      virtual_allocation=sr_record["virtual_allocation"] + virtual)


# ---- the SM driver ------------------------------------------------------------------------------
def sm_features(db, sr_record):
    """The capabilities of the SR's driver; the tools SR hides create and delete (xapi_sr_operations.ml)."""
    cache = db.counters.setdefault("sm_features", {})
    key = (sr_record["type"], sr_record["is_tools_sr"])
    if key not in cache:
        features = set()
        for sm in db.tables["SM"].values():
            if sm["type"] == sr_record["type"]:
                features = set(sm["features"]) | set(sm["capabilities"])
                break
        if sr_record["is_tools_sr"]:
            features -= {"VDI_CREATE", "VDI_DELETE"}
        cache[key] = frozenset(features)
    return cache[key]


def assert_sr_operation(db, sr, op):
    """The SR side of a VDI operation: the driver must offer it (SR_OPERATION_NOT_SUPPORTED [sr])."""
    record = db.get("SR", sr)
    feature = SR_OP_FEATURE.get(op)
    if feature and feature not in sm_features(db, record):
        raise Failure("SR_OPERATION_NOT_SUPPORTED", sr)
    return record


def assert_plugged(db, sr):
    """Sm.assert_pbd_is_plugged: SR_HAS_NO_PBDS [sr] unless a PBD of the SR is attached."""
    for pbd in db.get("SR", sr)["PBDs"]:
        pbd_record = db.tables["PBD"].get(pbd)
        if pbd_record and pbd_record["currently_attached"]:
            return
    raise Failure("SR_HAS_NO_PBDS", sr)


# ---- VDI operations ---------------------------------------------------------------------------
def active_vbds(db, record):
    """The VDI's VBDs that a running VM has attached."""
    return [db.tables["VBD"][vbd] for vbd in record["VBDs"]
            if vbd in db.tables["VBD"] and db.tables["VBD"][vbd]["currently_attached"]]


def _vdi_facts(db, record):
    """What the VDI checks look at, as a hashable tuple (the allowed_operations cache key)."""
    sr_record = db.tables["SR"][record["SR"]]
    vbds = [db.tables["VBD"][vbd] for vbd in record["VBDs"] if vbd in db.tables["VBD"]]
    active = [vbd for vbd in vbds if vbd["currently_attached"]]
    ops = record["current_operations"].values()
    copying = "copy" in ops  # a copy reads the disk through a read-only attachment in dom0
    return (frozenset(sm_features(db, sr_record)), sr_record["type"], sr_record["is_tools_sr"],
            any(op != "copy" for op in ops), copying, bool(active) or copying, any(vbd["mode"] == "RW" for vbd in active),
            any(vbd["current_operations"] for vbd in vbds), record["type"], record["sharable"], record["on_boot"])


def _vdi_rule(facts, op):
    """The first of xapi's VDI rules that `op` breaks, as (code, kind of parameters), or None."""
    (features, sr_type, tools, busy, copying, active, active_rw, vbd_busy, vdi_type, sharable, on_boot) = facts
    blocked = active_rw if op == "copy" else op not in LIVE_OPS and active
    rules = (
        (busy, "OTHER_OPERATION_IN_PROGRESS", "vdi_op"),
        (blocked, "VDI_IN_USE", "vdi_and_op"),
        (vbd_busy, "OTHER_OPERATION_IN_PROGRESS", "vbd_op"),
        (op in VDI_OP_FEATURE and VDI_OP_FEATURE[op] not in features, "SR_OPERATION_NOT_SUPPORTED", "sr"),
        (op == "destroy" and sr_type == "udev", "VDI_IS_A_PHYSICAL_DEVICE", "vdi"),
        (op == "destroy" and tools, "SR_OPERATION_NOT_SUPPORTED", "sr"),
        (op in ("destroy", "forget") and vdi_type == "rrd", "VDI_HAS_RRDS", "vdi"),
        (op == "snapshot" and sharable, "VDI_IS_SHARABLE", "vdi"),
        (op in ("snapshot", "copy") and on_boot == "reset", "VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION", ""),
        (op == "snapshot" and copying, "OPERATION_NOT_ALLOWED", "during_copy"),
    )
    for broken, code, kind in rules:
        if broken:
            return code, kind
    return None


def vdi_check(db, ref, record, op):
    """Raise xapi's error if `op` is not valid for the VDI now (xapi_vdi.check_operation_error)."""
    if op == "resize":
        assert_plugged(db, record["SR"])
    broken = _vdi_rule(_vdi_facts(db, record), op)
    if broken is None:
        return
    code, kind = broken
    if kind == "vdi_op":
        task, other = next((t, o) for t, o in record["current_operations"].items() if o != "copy")
        raise Failure(code, "VDI", ref, other, task)
    if kind == "vbd_op":
        vbd_ops = next(ops for ops in (db.tables["VBD"][vbd]["current_operations"] for vbd in record["VBDs"]
                                       if vbd in db.tables["VBD"]) if ops)
        task, vbd_op = next(iter(vbd_ops.items()))
        raise Failure(code, "VDI", ref, vbd_op, task)
    params = {"vdi_and_op": (ref, op), "sr": (record["SR"],), "vdi": (ref,), "": (),
              "during_copy": ("Snapshot operation not allowed during copy.",)}[kind]
    raise Failure(code, *params)


@functools.lru_cache(maxsize=1024)
def _allowed_for(facts):
    return [op for op in VDI_LISTED_OPS if _vdi_rule(facts, op) is None]


@derives("VDI")
def vdi_allowed_operations(db, record):
    if record["SR"] not in db.tables["SR"]:
        return {"allowed_operations": []}
    return {"allowed_operations": list(_allowed_for(_vdi_facts(db, record)))}


@follows("VBD")
def _vbd_changed(db, ref, old, new):
    """A VDI's valid operations depend on its VBDs' attachment and operations."""
    if old is not None and new is not None and all(old[key] == new[key] for key in _VBD_KEYS):
        return
    for record in (old, new):
        if record is not None and record["VDI"] != NULL_REF:
            db.refresh("VDI", record["VDI"])


_VBD_KEYS = ("VDI", "currently_attached", "current_operations", "mode")


# ---- making VDIs ------------------------------------------------------------------------------------
def new_vdi(db, sr, fields, size, utilisation=None):
    """A VDI on `sr` as an SM leaves it (location, managed, vhd type), with `fields` on top."""
    sr_record = db.get("SR", sr)
    uuid = fields.get("uuid") or new_uuid()
    location = uuid if sr_record["type"] in FILE_TYPES else new_uuid()  # FileSR: the VHD file is <uuid>.vhd
    record = {"SR": sr, "uuid": uuid, "virtual_size": size, "location": location, "managed": True, "missing": False,
              "physical_utilisation": new_utilisation(sr_record, size) if utilisation is None else utilisation,
              "sm_config": {"vdi_type": "vhd"} if sr_record["type"] in VHD_TYPES else {}}
    record.update(fields)
    return db.create("VDI", record)


_COPIED = ("name_label", "name_description", "type", "sharable", "other_config", "xenstore_data", "on_boot",
           "allow_caching", "tags", "read_only")


def clone_vdi(db, vdi, snapshot=False):
    """A fast copy of `vdi` on its own SR (VDI.clone / VDI.snapshot): the SM copies the
    metadata xapi controls; a snapshot records what it is a snapshot of."""
    record = db.get("VDI", vdi)
    fields = {key: record[key] for key in _COPIED}
    if snapshot:
        fields.update(is_a_snapshot=True, snapshot_of=vdi, snapshot_time=now())
    return new_vdi(db, record["SR"], fields, record["virtual_size"])


def copy_vdi(db, vdi, sr):
    """A full copy of `vdi` on `sr` (VDI.copy): a fresh read-write VDI with the source's metadata."""
    record = db.get("VDI", vdi)
    sr_record = db.get("SR", sr)
    fields = {key: record[key] for key in _COPIED}
    fields["read_only"] = False  # CA-64962: a copy is always writable
    if is_thick(sr_record):
        utilisation = record["virtual_size"]
    else:
        utilisation = max(record["physical_utilisation"], vhd_overhead(record["virtual_size"]))
    return new_vdi(db, sr, fields, record["virtual_size"], utilisation=utilisation)


@follows("SM")
def _sm_changed(db, ref, old, new):
    db.counters.pop("sm_features", None)


# ---- SR operations -------------------------------------------------------------------------------
SR_OPS = ("scan", "destroy", "forget", "plug", "unplug", "update", "vdi_create", "vdi_introduce", "vdi_destroy",
          "vdi_resize", "vdi_clone", "vdi_snapshot", "vdi_mirror", "vdi_enable_cbt", "vdi_disable_cbt",
          "vdi_data_destroy", "vdi_list_changed_blocks", "vdi_set_on_boot", "pbd_create", "pbd_destroy")
SR_OP_DRIVER_FEATURE = dict(SR_OP_FEATURE, vdi_enable_cbt="VDI_CONFIG_CBT", vdi_disable_cbt="VDI_CONFIG_CBT",
                            vdi_data_destroy="VDI_CONFIG_CBT", vdi_list_changed_blocks="VDI_CONFIG_CBT")


@derives("SR")
def sr_allowed_operations(db, record):
    """xapi_sr_operations.valid_operations: what the driver offers, no destroy or forget while
    a PBD is attached (nor destroy without PBDs, or with managed VDIs), one operation at a time
    (plugs excepted)."""
    features = sm_features(db, record)
    refused = {op for op, feature in SR_OP_DRIVER_FEATURE.items() if feature not in features}
    pbds = [db.tables["PBD"][pbd] for pbd in record["PBDs"] if pbd in db.tables["PBD"]]
    if any(pbd["currently_attached"] for pbd in pbds):
        refused |= {"destroy", "forget"}
    elif not pbds or any(db.tables["VDI"][vdi]["managed"] and db.tables["VDI"][vdi]["type"] != "rrd"
                         for vdi in record["VDIs"] if vdi in db.tables["VDI"]):
        refused.add("destroy")
    ops = set(record["current_operations"].values())
    if ops:
        refused |= set(SR_OPS) - {"plug"}
        if ops - {"plug"}:
            refused.add("plug")
    return {"allowed_operations": [op for op in SR_OPS if op not in refused]}


@follows("PBD")
def _pbd_changed(db, ref, old, new):
    for record in (old, new):
        if record is not None and record["SR"] in db.tables["SR"]:
            db.refresh("SR", record["SR"])
