"""Host calls: memory, time, enable/disable, evacuate, reboot/shutdown/power_on, power-on mode,
syslog, hostname, allowed ops [xenapi-notes §3.3; xen-api ocaml/xapi/xapi_host.ml,
xapi_host_helpers.ml, vm_evacuation.ml, xapi_secret.ml]."""

import datetime
import string
import time

from .. import membership
from ..errors import Failure
from ..values import format_datetime, now
from . import placement, pool, updates
from .evacuation import evacuation_plan
from .registry import derives, handles
from .vm_lifecycle import next_domid

POWER_OFF_DELAY = 10.0  # xapi_host.ml: the shutdown command runs 10 s after the call returns
HOSTNAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-.")


@derives("host")
def allowed_operations(db, record):
    if record["current_operations"]:
        return {"allowed_operations": []}
    metrics = db.tables["host_metrics"].get(record["metrics"])
    if metrics is not None and not metrics["live"]:
        return {"allowed_operations": ["power_on"]}
    if record["enabled"]:
        ops = ["provision", "evacuate", "vm_start", "vm_resume", "vm_migrate"]
    else:
        ops = ["provision", "evacuate", "shutdown", "reboot", "apply_updates", "enable"]
    return {"allowed_operations": ops}


@handles("host.compute_free_memory")
def compute_free_memory(call, host):
    return placement.free_memory(call.db, host)


@handles("host.compute_memory_overhead")
def compute_memory_overhead(call, host):
    return call.db.get("host", host)["memory_overhead"]


@handles("host.get_servertime")
def get_servertime(call, host):
    call.db.get("host", host)
    return format_datetime(datetime.datetime.now(datetime.timezone.utc))


@handles("host.get_server_localtime")
def get_server_localtime(call, host):
    call.db.get("host", host)
    return format_datetime(datetime.datetime.now())


@handles("host.get_management_interface")
def get_management_interface(call, host):
    for pif in call.db.get("host", host)["PIFs"]:
        if call.db.tables["PIF"][pif]["management"]:
            return pif
    return "OpaqueRef:NULL"


@handles("host.disable")
def disable(call, host):
    """No-op when disabled already; with HA, refused when the plan would break."""
    db = call.db
    record = db.get("host", host)
    pool_record = db.get("pool", call.pool.ref)
    if pool_record["ha_enabled"] and record["enabled"] and pool.ha_tolerable(db) - 1 < pool_record["ha_plan_exists_for"]:
        raise Failure("HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN")
    if record["enabled"]:
        db.update("host", host, enabled=False)


@handles("host.enable")
def enable(call, host):
    """Takes the host operation `enable`; pending update guidance refuses
    (HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY); a host going down (reboot/shutdown started) stays
    disabled until it is back: HOST_DISABLED_UNTIL_REBOOT."""
    db = call.db
    with call.operation("host", host, "enable") as record:
        if not record["enabled"]:
            updates.assert_no_pending_guidance(db, host)
            if db.private.get(host, {}).get("disabled_until_reboot"):
                raise Failure("HOST_DISABLED_UNTIL_REBOOT", host)
            db.update("host", host, enabled=True)


# ---- evacuation (evacuation.py) -------------------------------------------------------------

def _move(db, pool_, vm, target):
    """A VM leaving a host that powers off: resident on the target at once, a new domain."""
    with db.lock:
        record = db.update("VM", vm, resident_on=target, domid=next_domid(db))
        for console in record["consoles"]:
            db.update("console", console, location="https://%s/console?ref=%s" % (pool_.address_of(target), vm))


# ---- power -----------------------------------------------------------------------------------

def _power_off(world, pool_, host, reboot, task):
    """The host goes down. First xapi's prepare_for_poweroff (vm_evacuation.ensure_no_vms): the
    VMs the evacuation plan can place move to the other enabled hosts, the others are shut down;
    then PBDs are unplugged, the host is not live, its address refuses connections; a reboot
    brings it back (enabled) after the boot time."""
    from .vm_lifecycle import halt_in_db

    db = pool_.db
    if not db.exists("host", host):
        return
    address = pool_.address_of(host)
    with db.lock:
        for vm, target in evacuation_plan(db, host).items():
            if not isinstance(target, tuple):
                _move(db, pool_, vm, target)
        for vm in list(db.get("host", host)["resident_VMs"]):
            if not db.get("VM", vm)["is_control_domain"]:
                halt_in_db(db, vm)
        for pbd in db.get("host", host)["PBDs"]:
            db.update("PBD", pbd, currently_attached=False)
        membership.set_live(db, host, False)
    world.unregister_host(address)
    world.hosts_changed()
    if reboot:
        world.clock.later(pool.HOST_BOOT, lambda: _power_on(world, pool_, host, task))
    else:
        _clear_operation(db, host, task)


def _clear_operation(db, host, task):
    with db.lock:
        if db.exists("host", host):
            current = dict(db.get("host", host)["current_operations"])
            current.pop(task, None)
            db.update("host", host, current_operations=current)
        if db.exists("task", task):
            db.delete("task", task)


def _power_on(world, pool_, host, task):
    """The host is up: live, enabled, storage plugged, answering at its address. A coordinator's
    sessions do not survive its restart (xapi keeps sessions in memory only)."""
    db = pool_.db
    if pool_ not in world.pools or not db.exists("host", host):
        return
    with db.lock:
        db.private.setdefault(host, {}).pop("disabled_until_reboot", None)
        updates.host_started(db, host, boot=True)
        for pbd in db.get("host", host)["PBDs"]:
            db.update("PBD", pbd, currently_attached=True)
        other = db.get("host", host)["other_config"]
        db.update("host", host, enabled=True, other_config=dict(other, boot_time="%.1f" % time.time()))
        membership.set_live(db, host, True)
        if host == pool_.master:
            for session in db.refs("session"):
                db.delete("session", session)
    _clear_operation(db, host, task)
    world.register_host(pool_, host)
    world.hosts_changed()


def _shutdown_or_reboot(call, host, reboot):
    db = call.db
    with db.lock:
        record = db.get("host", host)
        if record["enabled"]:
            raise Failure("HOST_NOT_DISABLED")
        if record["current_operations"]:
            task, op = list(record["current_operations"].items())[0]
            raise Failure("OTHER_OPERATION_IN_PROGRESS", "host", host, op, task)
        task = db.create("task", {"name_label": "Host is rebooting" if reboot else "Host is shutting down",
                                  "name_description": "Host is rebooting" if reboot else "Host is shutting down",
                                  "status": "pending", "created": now(), "resident_on": call.pool.master})
        db.update("host", host, current_operations={task: "shutdown"})
        db.private.setdefault(host, {})["disabled_until_reboot"] = True
    world = call.world
    world.clock.later(POWER_OFF_DELAY, lambda: _power_off(world, call.pool, host, reboot, task))


@handles("host.reboot")
def reboot(call, host):
    _shutdown_or_reboot(call, host, True)


@handles("host.shutdown")
def shutdown(call, host):
    _shutdown_or_reboot(call, host, False)


@handles("host.power_on")
def power_on(call, host):
    """Needs a power-on mode (wake-on-lan, iLO, DRAC, a plugin); a live host is not powered on."""
    db = call.db
    record = db.get("host", host)
    if record["power_on_mode"] == "":
        raise Failure("HOST_POWER_ON_MODE_DISABLED")
    if placement.host_is_live(db, host):
        raise Failure("HOST_IS_LIVE", host)
    with db.lock:
        task = db.create("task", {"name_label": "Host is powering on", "status": "pending", "created": now(),
                                  "resident_on": call.pool.master})
        db.update("host", host, current_operations={task: "power_on"})
    world = call.world
    world.clock.later(pool.HOST_BOOT, lambda: _power_on(world, call.pool, host, task))


@handles("host.set_power_on_mode")
def set_power_on_mode(call, self, power_on_mode, power_on_config):
    """xapi_host.set_power_on_mode: no check of the mode (empty, wake-on-lan, IPMI, or the name of
    a custom power-on script; the iLO and DRAC scripts are gone from newer xapi). The secrets the
    old configuration names (keys ending in password_secret hold a secret's uuid) are destroyed,
    even when the new configuration names them again (Xapi_secret.clean_out_passwds)."""
    db = call.db
    with db.lock:
        old = db.get("host", self)["power_on_config"]
        db.update("host", self, power_on_mode=power_on_mode, power_on_config=dict(power_on_config))
        for key, uuid in old.items():
            if key.endswith("password_secret"):
                secret = db.find_one("secret", uuid=uuid)
                if secret is not None:
                    db.delete("secret", secret)


def _check_live(call, host):
    """message_forwarding.check_live: a call forwarded to a member that is down fails."""
    if host != call.pool.master and not placement.host_is_live(call.db, host):
        raise Failure("HOST_OFFLINE", host)


@handles("host.syslog_reconfigure")
def syslog_reconfigure(call, host):
    """The host rereads logging:syslog_destination and runs xe-syslog-reconfigure --remote=<it>
    (or --noremote when empty). What it applied is kept in the host's private state."""
    db = call.db
    record = db.get("host", host)
    _check_live(call, host)
    with db.lock:
        db.private.setdefault(host, {})["syslog_remote"] = record["logging"].get("syslog_destination", "")


@handles("host.set_hostname_live")
def set_hostname_live(call, host, hostname):
    """xapi_host.ml set_hostname_live: letters, digits, '-' and '.', no '-' at either end."""
    db = call.db
    db.get("host", host)
    if not hostname:
        raise Failure("HOST_NAME_INVALID", "hostname empty")
    if len(hostname) > 255:
        raise Failure("HOST_NAME_INVALID", "hostname is too long")
    if hostname[0] == "-" or hostname[-1] == "-" or not set(hostname) <= HOSTNAME_CHARACTERS:
        raise Failure("HOST_NAME_INVALID", "hostname contains invalid characters")
    with db.lock:
        record = db.update("host", host, hostname=hostname)
        dom0 = record["control_domain"]
        if db.exists("VM", dom0):
            db.update("VM", dom0, name_label="Control domain on host: %s" % hostname)


@handles("host.list_methods")
def list_methods(call):
    from ..dispatch import list_methods as names

    return names(call.model)
