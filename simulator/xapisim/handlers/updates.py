"""Applying updates and their guidance: host.apply_updates, host.restart_agent (a toolstack restart),
host.emergency_clear_mandatory_guidance, pool.check_update_readiness, and the HTTP GET /updates
xapi serves the list of available updates at [xen-api ocaml/xapi/xapi_host.ml apply_updates,
repository.ml apply_updates / get_pool_updates_in_json, repository_helpers.ml (guidance),
updateinfo.ml (the JSON), xapi_pool.ml get_updates_handler, dbsync_slave.ml remove_pending_guidances].

    GET /updates?session_id=<ref>[&host_refs=<ref>;<ref>...]      (the pool master)
    -> {"hosts": [{"ref", "guidance": {"mandatory", "recommended", "full"}, "RPMS", "updates", "livepatches"}],
        "updates": [{"id", "summary", "description", "special-info", "URL", "type", "issued", "severity",
                     "livepatches", "guidance", "title"}], "hash"}

Only the updates some asked-for host lacks are listed. Guidance here is mandatory guidance only
(the scenario's `guidance`). A host's software_version changes once an update is in effect: at once
without guidance, after a toolstack restart (or a boot) for RestartToolstack, after a boot for
RebootHost. Livepatches are not simulated.
"""

import json
from urllib.parse import parse_qs, urlsplit

from ..errors import Failure
from ..values import now
from . import placement, repository
from .registry import HANDLERS, handles

APPLY_SECONDS = 30.0  # yum upgrade on the host, simulated seconds ...
APPLY_PER_UPDATE = 10.0  # ... and per update
TOOLSTACK_DELAY = 1.0  # xapi_host.ml restart_agent: the restart script runs 1 s after the call returns
TOOLSTACK_RESTART = 10.0  # the host's API is down this long
# Guidance.t in its declaration order (GuidanceSet's order), and as host.pending_guidances names it
ORDER = ("RebootHost", "RestartToolstack", "EvacuateHost", "RestartDeviceModel", "RebootHostOnLivePatchFailure",
         "RebootHostOnKernelLivePatchFailure", "RebootHostOnXenLivePatchFailure", "RestartVM")
PENDING_NAMES = {"RebootHost": "reboot_host", "RestartToolstack": "restart_toolstack",
                 "RestartDeviceModel": "restart_device_model", "RestartVM": "restart_vm",
                 "RebootHostOnLivePatchFailure": "reboot_host_on_livepatch_failure",
                 "RebootHostOnKernelLivePatchFailure": "reboot_host_on_kernel_livepatch_failure",
                 "RebootHostOnXenLivePatchFailure": "reboot_host_on_xen_livepatch_failure"}
# repository_helpers.ml GuidanceSet.precedences: the higher one makes the lower ones needless
PRECEDENCES = (("RebootHost", ("RestartToolstack", "EvacuateHost", "RestartDeviceModel")),
               ("EvacuateHost", ("RestartDeviceModel",)), ("RestartVM", ("RestartDeviceModel",)))
# what a toolstack restart and a boot clear from host.pending_guidances (dbsync_slave.ml)
CLEARED_BY_RESTART = ("restart_toolstack",)
CLEARED_BY_BOOT = ("restart_toolstack", "reboot_host", "reboot_host_on_livepatch_failure",
                   "reboot_host_on_kernel_livepatch_failure", "reboot_host_on_xen_livepatch_failure")
ROUTES = frozenset({("GET", "/updates")})
HTTP_ROLES = frozenset({"pool-admin", "pool-operator"})  # the get_updates HTTP action: _R_POOL_OP


# ---- guidance ------------------------------------------------------------------------------------

def resort(guidances):
    result = set(guidances)
    for higher, lowers in PRECEDENCES:
        if higher in result:
            result -= set(lowers)
    return [g for g in ORDER if g in result]


def mandatory(updates):
    """The mandatory guidance of a set of updates, reduced by precedence."""
    return resort(u["guidance"] for u in updates if u["guidance"])


def host_guidance(updates):
    """reduce_guidance: mandatory, then recommended and full less what comes before (all empty
    beyond mandatory here)."""
    return {"mandatory": mandatory(updates), "recommended": [], "full": []}


def update_guidance(update):
    tasks = [update["guidance"]] if update["guidance"] else []
    return {"mandatory": tasks, "recommended": [], "full": tasks, "livepatch": []}


# ---- the JSON of /updates ------------------------------------------------------------------------

def rpm_names(update):
    return ["%s-%s.x86_64.rpm" % (package, update["version"]) for package in update["packages"]]


def update_json(update):
    return {"id": update["name"], "summary": update["summary"], "description": update["description"],
            "special-info": "", "URL": "", "type": update["type"], "issued": update["issued"] + "T00:00:00Z",
            "severity": update["severity"], "livepatches": [], "guidance": update_guidance(update),
            "title": update["summary"]}


def host_json(host, updates):
    return {"ref": host, "guidance": host_guidance(updates),
            "RPMS": sorted(name for u in updates for name in rpm_names(u)),
            "updates": sorted(u["name"] for u in updates), "livepatches": []}


def pool_updates_json(db, hosts):
    """Repository.get_pool_updates_in_json for `hosts` (refs)."""
    with db.lock:
        repo = repository.single_update_repository(db)
        if repository.mirror(db, repo) is None:  # never synced: no local repository to read
            raise Failure("GET_UPDATES_FAILED")
        per_host = [(host, repository.pending(db, host, repo)) for host in hosts]
        wanted = {u["name"] for dummy, updates in per_host for u in updates}
        listed = [u for u in repository.mirror(db, repo) if u["name"] in wanted]
        return {"hosts": [host_json(host, updates) for host, updates in per_host],
                "updates": [update_json(u) for u in sorted(listed, key=lambda u: u["name"])],
                "hash": db.get("Repository", repo)["hash"]}


class Refused(Exception):
    def __init__(self, status, text):
        super().__init__(text)
        self.status = status
        self.text = text


def serve(handler, world, verb, address):
    """GET /updates: 401 without a valid session, 403 for roles below pool-operator, 400 for a
    host_refs with an unknown or no host, 404 when no update repository is enabled, 500
    GET_UPDATES_FAILED before the first sync. Served by the master only."""
    del verb
    try:
        payload = _updates(world, address, handler.path, handler.headers.get("Cookie", ""))
    except Refused as refused:
        handler._error_page(refused.status, refused.text)
        return
    handler._send(200, json.dumps(payload).encode("utf-8"), "application/json")


def _updates(world, address, path, cookie):
    pool, host = world.pool_of_host(address)
    if pool is None:
        raise Refused(404, "Not found: no host at %s" % address)
    db = pool.db
    query = {key: values[-1] for key, values in parse_qs(urlsplit(path).query, keep_blank_values=True).items()}
    session = query.get("session_id")
    for part in cookie.split(";"):
        name, dummy, value = part.strip().partition("=")
        if name == "session_id" and session is None:
            session = value
    state = db.private.get(session, {})
    if session is None or session not in db.tables["session"] or state.get("local_host") not in (None, host):
        raise Refused(401, "Access to the resource /updates requires authentication (a valid session_id).")
    roles = state.get("roles")
    if roles is not None and not roles & HTTP_ROLES:
        raise Refused(403, "Access to the resource /updates is forbidden to this session's roles.")
    if host != pool.master:
        raise Refused(500, "HOST_IS_SLAVE %s: xapisim serves /updates on the pool master only"
                      % pool.address_of(pool.master))
    hosts = db.refs("host")
    if "host_refs" in query:
        asked = query["host_refs"].split(";")
        if not asked or any(ref not in hosts for ref in asked):
            raise Refused(400, "Invalid 'host_refs' in query")
        hosts = asked
    try:
        return pool_updates_json(db, hosts)
    except Failure as failure:
        if failure.code in ("NO_REPOSITORY_ENABLED", "INVALID_UPDATEINFO_XML"):
            raise Refused(404, "can't get updates for pool: %s" % " ".join(failure.description)) from None
        raise Refused(500, " ".join(failure.description)) from None


# ---- host.apply_updates ------------------------------------------------------------------------

def _pending_guidances(db, host):
    return db.get("host", host)["pending_guidances"]


@handles("host.apply_updates")
def apply_updates(call, self, update_hash):
    """xapi 24's order: the pool operation apply_updates (one host at a time), HA_IS_ENABLED, the
    host is disabled if it is not, the host operation apply_updates, then pending mandatory guidance
    (HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY [host]), the single enabled update repository, the
    hash (UPDATEINFO_HASH_MISMATCH), the host's answer (GET_HOST_UPDATES_FAILED [host] when it is
    down), and HOST_EVACUATION_IS_REQUIRED [host] when the guidance reboots or evacuates it and VMs
    still run there. The host is not enabled again: its pending guidance says what comes next.
    -> livepatch failures ([] here)."""
    db = call.db
    db.get("host", self)
    with repository.pool_operation(call, "apply_updates"):
        if db.get("pool", call.pool.ref)["ha_enabled"]:
            raise Failure("HA_IS_ENABLED")
        if db.get("host", self)["enabled"]:
            db.update("host", self, enabled=False)

        def valid(record):
            if record["enabled"]:
                raise Failure("HOST_NOT_DISABLED")

        with call.operation("host", self, "apply_updates", check=valid):
            _apply(call, self, update_hash)
    db.update("host", self, last_software_update=now(), latest_synced_updates_applied="yes",
              last_update_hash=update_hash)
    return []


def _apply(call, host, update_hash):
    db = call.db
    with db.lock:
        if _pending_guidances(db, host):
            raise Failure("HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY", host)
        repo = repository.single_update_repository(db)
        if update_hash == "" or update_hash != db.get("Repository", repo)["hash"]:
            raise Failure("UPDATEINFO_HASH_MISMATCH")
        if not placement.host_is_live(db, host):
            raise Failure("GET_HOST_UPDATES_FAILED", host)
        updates = repository.pending(db, host, repo)
        if not updates:
            return
        guidance = mandatory(updates)
        guests = [vm for vm in db.get("host", host)["resident_VMs"] if not db.get("VM", vm)["is_control_domain"]]
        if guests and ("RebootHost" in guidance or "EvacuateHost" in guidance):
            raise Failure("HOST_EVACUATION_IS_REQUIRED", host)
    call.spend(APPLY_SECONDS + APPLY_PER_UPDATE * len(updates), steps=max(2, len(updates)))
    with db.lock:
        state = db.private.setdefault(host, {})
        state["updates_installed"] = list(state.get("updates_installed", [])) + [u["name"] for u in updates]
        for update in updates:
            _software_change(db, host, update)
        coming = [PENDING_NAMES[g] for g in guidance if g != "EvacuateHost"]
        current = _pending_guidances(db, host)
        db.update("host", host, pending_guidances=current + [g for g in coming if g not in current])


def _software_change(db, host, update):
    """An update's software_version keys: in effect now, or waiting for a toolstack restart or a boot."""
    changes = update["software_version"]
    if not changes:
        return
    if update["guidance"] is None:
        record = db.get("host", host)
        db.update("host", host, software_version=dict(record["software_version"], **changes))
        return
    when = "boot" if update["guidance"] == "RebootHost" else "restart"
    db.private.setdefault(host, {}).setdefault("software_pending", []).append((when, changes))


def host_started(db, host, boot):
    """The toolstack starts on the host (after a restart, or a boot): the guidance that asked for
    it is cleared (dbsync_slave.remove_pending_guidances) and the software changes waiting for it
    take effect. Called by host.py when a host comes back from a reboot."""
    if not db.exists("host", host):
        return
    record = db.get("host", host)
    cleared = CLEARED_BY_BOOT if boot else CLEARED_BY_RESTART
    software = dict(record["software_version"])
    waiting = db.private.get(host, {}).get("software_pending", [])
    for when, changes in waiting:
        if boot or when == "restart":
            software.update(changes)
    db.private.get(host, {})["software_pending"] = [(w, c) for w, c in waiting if not (boot or w == "restart")]
    db.update("host", host, software_version=software,
              pending_guidances=[g for g in record["pending_guidances"] if g not in cleared])


def assert_no_pending_guidance(db, host):
    """repository_helpers.assert_no_host_pending_mandatory_guidance: host.enable refuses too."""
    if _pending_guidances(db, host):
        raise Failure("HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY", host)


# ---- the toolstack -----------------------------------------------------------------------------

@handles("host.restart_agent")
def restart_agent(call, host):
    """Returns at once; a second later the host's toolstack stops (its address refuses connections;
    a coordinator forgets its sessions) and after TOOLSTACK_RESTART it is back: restart_toolstack
    guidance cleared, a disabled host enabled again unless guidance is still pending or it goes
    down for a reboot (xapi keeps a user's disable in memory only)."""
    db = call.db
    db.get("host", host)
    if host != call.pool.master and not placement.host_is_live(db, host):
        raise Failure("HOST_OFFLINE", host)
    world, pool = call.world, call.pool
    world.clock.later(TOOLSTACK_DELAY, lambda: _toolstack_down(world, pool, host))


def _toolstack_down(world, pool, host):
    if pool not in world.pools or not pool.db.exists("host", host) or not placement.host_is_live(pool.db, host):
        return
    world.unregister_host(pool.address_of(host))
    world.hosts_changed()
    world.clock.later(TOOLSTACK_RESTART, lambda: _toolstack_up(world, pool, host))


def _toolstack_up(world, pool, host):
    db = pool.db
    if pool not in world.pools or not db.exists("host", host):
        return
    with db.lock:
        host_started(db, host, boot=False)
        going_down = db.private.get(host, {}).get("disabled_until_reboot")
        if not going_down and not _pending_guidances(db, host):
            db.update("host", host, enabled=True)
        if host == pool.master:
            for session in db.refs("session"):
                db.delete("session", session)
    if placement.host_is_live(db, host):
        world.register_host(pool, host)
        world.hosts_changed()


@handles("host.emergency_clear_mandatory_guidance")
def emergency_clear_mandatory_guidance(call):
    """On the host the call reaches (a member takes it with a member-local session)."""
    call.db.update("host", call.host, pending_guidances=[])


# ---- readiness ---------------------------------------------------------------------------------

@handles("pool.check_update_readiness")
def check_update_readiness(call, self, requires_reboot):
    """[[HA_IS_ENABLED]] when HA is on; per host [HOST_OFFLINE, host] when it is down, and with
    requires_reboot the reasons its VMs cannot be evacuated. [] when the pool can be updated."""
    db = call.db
    blocking = HANDLERS["host.get_vms_which_prevent_evacuation"]
    errors = [["HA_IS_ENABLED"]] if db.get("pool", self)["ha_enabled"] else []
    for host in db.refs("host"):
        if not placement.host_is_live(db, host):
            errors.append(["HOST_OFFLINE", host])
        elif requires_reboot:
            errors += list(blocking(call, host).values())
    return errors
