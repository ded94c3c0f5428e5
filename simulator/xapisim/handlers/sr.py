"""SRs and PBDs [xenapi-notes §3.7; xen-api ocaml/xapi/xapi_sr.ml, xapi_pbd.ml, xapi_sr_operations.ml,
message_forwarding.ml SR; SM libs/sm/drivers/*.py, libs/sm/core/XE_SR_ERRORCODES.xml, util._testHost]:
SR.create per driver with the driver's device_config checks and error numbers, introduce,
forget, destroy, PBD create/plug/unplug/destroy.

The simulated drivers reach nothing: a server or target must be a loopback IP address (or
`localhost`); another IP address is the driver's connection failure (NFS: NFSTarget, 108), a
host name the driver's DNSError (140), as the SM's own connection test reports them. Device
config keys ending in "password" are kept as secrets (<key>_secret), never echoed.
"""

from ..errors import Failure
from ..values import NULL_REF, new_uuid
from . import nfs_sr
from .generic import constructor_fields
from .registry import handles
from .sm import assert_driver, sm_error, reach_host

GIB = 1024 ** 3
# the size a simulated driver reports for a new SR of each type (the SM's SR.stat)
NEW_SR_SIZE = {"nfs": 2048 * GIB, "smb": 2048 * GIB, "iso": 100 * GIB, "lvmoiscsi": 1024 * GIB, "lvm": 512 * GIB,
               "ext": 512 * GIB}


def _check_nfs(config):
    if "server" not in config:
        raise sm_error("ConfigServerMissing")
    reach_host(config["server"], "NFSTarget")
    if "serverpath" not in config:
        raise sm_error("ConfigServerPathMissing")


def _check_smb(config):
    if "server" not in config:
        raise sm_error("ConfigServerMissing")
    server = config["server"].replace("\\", "/")
    host = server[2:].split("/")[0] if server.startswith("//") else ""
    if not host:
        raise sm_error("SMBMount", "mount failed: bad share %s" % config["server"])
    try:
        reach_host(host, "SMBMount")
    except Failure:
        raise sm_error("SMBMount", "mount error(113): could not connect to %s" % host) from None


def _check_iso(config):
    if "location" not in config:
        raise sm_error("ConfigLocationMissing")
    location = config["location"]
    if "legacy_mode" in config or "type" not in config:
        return
    if config["type"] == "cifs":
        target = location.replace("\\", "/")
        host = target[2:].split("/")[0] if target.startswith("//") else ""
        if not host:
            raise sm_error("ISOLocationStringError")
        reach_host(host, "ISOMountFailure")
    else:
        if ":" not in location:
            raise sm_error("ISOLocationStringError")
        reach_host(location.split(":")[0], "NFSTarget")


def _check_iscsi(config):
    if not config.get("target"):
        raise sm_error("ConfigTargetMissing")
    if not config.get("targetIQN"):
        raise sm_error("ConfigTargetIQNMissing")
    for target in config["target"].split(","):
        reach_host(target.strip(), "ISCSITarget")
    if not config.get("SCSIid"):
        raise sm_error("ConfigSCSIid")


def _check_device(config):
    if "device" not in config:
        raise sm_error("ConfigDeviceMissing")


DRIVER_CHECKS = {"nfs": _check_nfs, "smb": _check_smb, "iso": _check_iso, "lvmoiscsi": _check_iscsi,
                 "lvm": _check_device, "ext": _check_device}


def driver_check(sr_type, config):
    """What the SM driver refuses when it loads the device config and attaches."""
    check = DRIVER_CHECKS.get(sr_type)
    if check is not None:
        check(config)


# ---- secrets ---------------------------------------------------------------------------------------
def _with_secrets(db, config):
    """Keys ending in "password" become <key>_secret (a secret's uuid), one secret per PBD."""
    result = {}
    for key, value in config.items():
        if key.endswith("password"):
            secret = db.create("secret", {"value": value, "other_config": {}})
            result[key + "_secret"] = db.get("secret", secret)["uuid"]
        elif key.endswith("password_secret") and value in db.uuids["secret"]:
            copy = db.create("secret", {"value": db.get("secret", db.uuids["secret"][value])["value"],
                                        "other_config": {}})
            result[key] = db.get("secret", copy)["uuid"]
        else:
            result[key] = value
    return result


def _plain(db, config):
    """The device config the driver sees: secrets resolved."""
    result = dict(config)
    for key, value in config.items():
        if key.endswith("password_secret") and value in db.uuids["secret"]:
            result[key[:-len("_secret")]] = db.get("secret", db.uuids["secret"][value])["value"]
    return result


def _drop_secrets(db, config):
    for key, value in config.items():
        if key.endswith("_secret") and value in db.uuids["secret"]:
            db.delete("secret", db.uuids["secret"][value])


def new_pbd(db, sr, host, config):
    """Xapi_pbd.create_common: one PBD per host and SR; SRmaster is the SM's own key."""
    for pbd in db.get("SR", sr)["PBDs"]:
        if db.tables["PBD"][pbd]["host"] == host:
            raise Failure("PBD_EXISTS", sr, host, pbd)
    if "SRmaster" in config:
        raise Failure("VALUE_NOT_SUPPORTED", "SRmaster", config["SRmaster"], "This key is for internal use only")
    return db.create("PBD", {"host": host, "SR": sr, "device_config": _with_secrets(db, config),
                             "currently_attached": False, "other_config": {}})


def _destroy_pbd(db, pbd):
    config = db.get("PBD", pbd)["device_config"]
    db.delete("PBD", pbd)
    _drop_secrets(db, config)


# ---- SRs ---------------------------------------------------------------------------------------------
def _introduce(db, uuid, name_label, name_description, sr_type, content_type, shared, sm_config, size=-1):
    uuid = uuid or new_uuid()
    if uuid in db.uuids["SR"]:
        raise Failure("SR_UUID_EXISTS", uuid)
    return db.create("SR", {"uuid": uuid, "name_label": name_label, "name_description": name_description,
                            "type": sr_type, "content_type": content_type, "shared": shared, "sm_config": sm_config,
                            "other_config": {}, "physical_size": size, "physical_utilisation": 0 if size >= 0 else -1,
                            "virtual_allocation": 0})


@handles("SR.create")
def sr_create(call, host, device_config, physical_size, name_label, name_description, sr_type, content_type,
              shared, sm_config):
    """xapi_sr.create: the SR and its PBDs (every host, master first, when shared), the driver's
    create (its errors remove both), then every PBD plugged."""
    db = call.db
    with db.lock:
        db.get("host", host)
        sr_type = sr_type.lower()
        assert_driver(db, sr_type)
        driver_check(sr_type, device_config)
        size = NEW_SR_SIZE.get(sr_type, max(physical_size, 0))
        if sr_type in ("lvm", "lvmoiscsi") and "allocation" not in sm_config:
            sm_config = dict(sm_config, allocation="thick")
        sr = _introduce(db, "", name_label, name_description, sr_type, content_type, shared, sm_config, size)
        master = call.pool.master
        hosts = [master] + [other for other in db.refs("host") if other != master] if shared else [host]
        pbds = [new_pbd(db, sr, member, device_config) for member in hosts]
        nfs_sr.created(db, sr, device_config)
        for pbd in pbds:
            db.update("PBD", pbd, currently_attached=True)
    call.spend(2.0)
    return sr


@handles("SR.introduce")
def sr_introduce(call, uuid, name_label, name_description, sr_type, content_type, shared, sm_config):
    """xapi_sr.introduce: the record only (sizes -1 until a PBD is plugged and the SR scanned)."""
    with call.db.lock:
        return _introduce(call.db, uuid, name_label, name_description, sr_type.lower(), content_type, shared,
                          sm_config)


def _forget_records(db, sr):
    """Xapi_sr.really_forget: PBDs, VDIs, the SR (the records only: what the SR holds stays)."""
    record = db.get("SR", sr)
    db.private.setdefault(sr, {})["forgetting"] = True
    for pbd in list(record["PBDs"]):
        _destroy_pbd(db, pbd)
    for vdi in list(record["VDIs"]):
        db.delete("VDI", vdi)
    db.delete("SR", sr)


def _assert_unplugged(db, sr, record):
    if any(db.tables["PBD"][pbd]["currently_attached"] for pbd in record["PBDs"]):
        raise Failure("SR_HAS_PBD", sr)


@handles("SR.forget")
def sr_forget(call, sr):
    """SR.forget: no attached PBD (SR_HAS_PBD [sr]); the records go, the data stays."""
    db = call.db
    with call.operation("SR", sr, "forget", check=lambda record: _assert_unplugged(db, sr, record)):
        with db.lock:
            _forget_records(db, sr)


def _destroy_check(db, sr, record):
    """xapi_sr_operations' order for destroy, then message_forwarding's asserts."""
    _assert_unplugged(db, sr, record)
    if not record["PBDs"]:
        raise Failure("SR_HAS_NO_PBDS", sr)
    if any(db.tables["VDI"][vdi]["managed"] and db.tables["VDI"][vdi]["type"] != "rrd" for vdi in record["VDIs"]):
        raise Failure("SR_NOT_EMPTY")
    if record["other_config"].get("indestructible") == "true":
        raise Failure("SR_INDESTRUCTIBLE", sr)
    for host, host_record in db.tables["host"].items():
        if host_record["local_cache_sr"] == sr:
            raise Failure("SR_IS_CACHE_SR", host)


@handles("SR.destroy")
def sr_destroy(call, sr):
    """SR.destroy: PBDs unplugged, no managed VDIs; the driver deletes the SR, the records go."""
    db = call.db
    with call.operation("SR", sr, "destroy", check=lambda record: _destroy_check(db, sr, record)):
        call.spend(1.0)
        with db.lock:
            record = db.get("SR", sr)
            _forget_records(db, sr)
            nfs_sr.destroyed(db, record)


@handles("SR.set_shared")
def sr_set_shared(call, sr, value):
    """xapi_sr.set_shared: an SR with PBDs on several hosts stays shared (SR_HAS_MULTIPLE_PBDS [pbds])."""
    db = call.db
    with db.lock:
        pbds = db.get("SR", sr)["PBDs"]
        if not value and len(pbds) > 1:
            raise Failure("SR_HAS_MULTIPLE_PBDS", *pbds)
        db.update("SR", sr, shared=value)


@handles("SR.set_name_label")
def sr_set_name_label(call, sr, value):
    call.db.get("SR", sr)
    call.db.update("SR", sr, name_label=value)


@handles("SR.set_name_description")
def sr_set_name_description(call, sr, value):
    call.db.get("SR", sr)
    call.db.update("SR", sr, name_description=value)


@handles("SR.set_physical_size")
def sr_set_physical_size(call, sr, value):
    call.db.get("SR", sr)
    call.db.update("SR", sr, physical_size=value)


@handles("SR.get_supported_types")
def sr_supported_types(call):
    return sorted({sm["type"] for sm in call.db.tables["SM"].values()})


# ---- PBDs ---------------------------------------------------------------------------------------------
@handles("PBD.create")
def pbd_create(call, record):
    """Xapi_pbd.create: unplugged; PBD_EXISTS [sr, host, pbd] for a second PBD of a host."""
    fields = constructor_fields(call, "PBD", record)
    db = call.db
    with db.lock:
        db.get("SR", fields["SR"])
        db.get("host", fields["host"])
        pbd = new_pbd(db, fields["SR"], fields["host"], fields["device_config"])
        if fields["other_config"]:
            db.update("PBD", pbd, other_config=fields["other_config"])
        return pbd


@handles("PBD.plug")
def pbd_plug(call, pbd):
    """Xapi_pbd.plug: an SR that is not shared attaches on one host at a time (SR_NOT_SHARABLE
    [sr, host]); the driver checks its device config as it attaches."""
    db = call.db
    with db.lock:
        record = db.get("PBD", pbd)
        if record["currently_attached"]:
            return
        sr = record["SR"]
        sr_record = db.get("SR", sr)
        assert_driver(db, sr_record["type"])
        if not sr_record["shared"]:
            others = [other for other in sr_record["PBDs"] if other != pbd
                      and db.tables["PBD"][other]["currently_attached"]]
            if others:
                raise Failure("SR_NOT_SHARABLE", sr, db.tables["PBD"][others[0]]["host"])
        driver_check(sr_record["type"], _plain(db, record["device_config"]))
        nfs_sr.assert_mountable(db, sr_record, record["device_config"])
        db.update("PBD", pbd, currently_attached=True)
        if sr_record["physical_size"] < 0:  # introduced: xapi's -1 until the driver reports (the follower kept -1 + the VDIs' sum)
            db.update("SR", sr, physical_size=NEW_SR_SIZE.get(sr_record["type"], 0),
                      physical_utilisation=sr_record["physical_utilisation"] + 1)


@handles("PBD.unplug")
def pbd_unplug(call, pbd):
    """Xapi_pbd.unplug: disks of the SR that VMs on the PBD's host have attached are VDI_IN_USE [vdis]."""
    db = call.db
    with db.lock:
        record = db.get("PBD", pbd)
        if not record["currently_attached"]:
            return
        in_use = []
        for vm in db.get("host", record["host"])["resident_VMs"]:
            for vbd in db.tables["VM"][vm]["VBDs"]:
                vbd_record = db.tables["VBD"][vbd]
                vdi = vbd_record["VDI"]
                if vbd_record["currently_attached"] and not vbd_record["empty"] and vdi != NULL_REF \
                        and vdi in db.tables["VDI"] and db.tables["VDI"][vdi]["SR"] == record["SR"] \
                        and db.tables["VDI"][vdi]["type"] != "metadata":
                    in_use.append(vdi)
        if in_use:
            raise Failure("VDI_IN_USE", *in_use)
        db.update("PBD", pbd, currently_attached=False)


@handles("PBD.destroy")
def pbd_destroy(call, pbd):
    """Xapi_pbd.destroy: not while attached (OPERATION_NOT_ALLOWED); its secrets go with it."""
    db = call.db
    with db.lock:
        if db.get("PBD", pbd)["currently_attached"]:
            raise Failure("OPERATION_NOT_ALLOWED", "PBD is currently attached")
        _destroy_pbd(db, pbd)
