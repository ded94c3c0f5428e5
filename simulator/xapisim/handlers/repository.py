"""Update repositories and syncing, the XenServer 8 / XCP-ng 8.3 update model: Repository.introduce,
forget, set_gpgkey_path; pool.set_repositories, add_repository, remove_repository, sync_updates,
configure_update_sync, set_update_sync_enabled [xen-api ocaml/xapi/repository.ml,
repository_helpers.ml, xapi_pool.ml, xapi_pool_helpers.ml].

The remote side: what each repository URL serves is the pool's update sources
(db.counters["update_sources"], URL -> list of updates), filled from the scenario's `updates:` key
or by publish(). An update is a dict: name (the updateinfo id), summary, version (version-release
of its packages), packages, guidance (RebootHost, RestartToolstack or none), issued, type,
severity, software_version (the host's software_version keys it changes once it is in effect).

A sync copies each enabled repository's list into the pool's mirror (the repository's private
state), as reposync does; the checksum of the mirror (sha256 of its canonical JSON, standing in for
updateinfo.xml.gz) becomes Repository.hash and is what pool.sync_updates returns. A URL the sources
do not know cannot be reached (REPOSYNC_FAILED). What a host has installed is its private
`updates_installed` (update names); what is pending for it is the mirror minus that.
"""

import contextlib
import copy
import datetime
import hashlib
import json
from urllib.parse import urlsplit

from ..errors import Failure
from ..values import EPOCH_DT, now
from . import placement
from .registry import handles

SYNC_SECONDS = 20.0  # reposync of one repository, simulated seconds
GPGKEY_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# xapi_pool_helpers.ml: a blocking pool operation in progress refuses the others with its own code
BLOCKING_OPS = {
    "ha_enable": "HA_ENABLE_IN_PROGRESS", "ha_disable": "HA_DISABLE_IN_PROGRESS",
    "cluster_create": "CLUSTER_CREATE_IN_PROGRESS", "designate_new_master": "DESIGNATE_NEW_MASTER_IN_PROGRESS",
    "tls_verification_enable": "TLS_VERIFICATION_ENABLE_IN_PROGRESS",
    "configure_repositories": "CONFIGURE_REPOSITORIES_IN_PROGRESS", "sync_updates": "SYNC_UPDATES_IN_PROGRESS",
    "apply_updates": "APPLY_UPDATES_IN_PROGRESS",
}
# the repositories a fresh install knows of, per product [guess: names and URLs as the products document them]
PRODUCT_REPOSITORIES = {
    "xenserver": (("base", "https://repo.ops.xenserver.com/xs8/base"),
                  ("normal", "https://repo.ops.xenserver.com/xs8/normal")),
    "xcp-ng": (("base", "https://updates.xcp-ng.org/8/8.3/base/x86_64/"),
               ("updates", "https://updates.xcp-ng.org/8/8.3/updates/x86_64/")),
}
GUIDANCES = {"reboot_host": "RebootHost", "restart_toolstack": "RestartToolstack", "none": None}
UPDATE_TYPES = ("security", "bugfix", "enhancement")
SEVERITIES = ("None", "High")


class SpecError(ValueError):
    """An `updates:` entry of a scenario that cannot be: the message starts with the key path."""


# ---- the scenario's `updates:` key -----------------------------------------------------------

def parse_update(spec, key):
    """One update of a scenario -> the dict the sources hold."""
    if not isinstance(spec, dict) or not spec.get("name"):
        raise SpecError("%s: an update needs at least a name (its updateinfo id)" % key)
    guidance = str(spec.get("guidance", "none"))
    if guidance not in GUIDANCES:
        raise SpecError("%s.guidance: %r is not one of %s" % (key, guidance, ", ".join(GUIDANCES)))
    issued = str(spec.get("issued", "2024-10-01"))
    try:
        datetime.date.fromisoformat(issued)
    except ValueError:
        raise SpecError("%s.issued: %r is not a date (YYYY-MM-DD)" % (key, issued)) from None
    update_type = str(spec.get("type", "bugfix"))
    if update_type not in UPDATE_TYPES:
        raise SpecError("%s.type: %r is not one of %s" % (key, update_type, ", ".join(UPDATE_TYPES)))
    severity = str(spec.get("severity", "High" if update_type == "security" else "None"))
    if severity not in SEVERITIES:
        raise SpecError("%s.severity: %r is not one of %s" % (key, severity, ", ".join(SEVERITIES)))
    software = spec.get("software_version") or {}
    if not isinstance(software, dict):
        raise SpecError("%s.software_version must be a mapping of software_version keys to values" % key)
    packages = spec.get("packages") or [str(spec["name"]).lower()]
    if not isinstance(packages, list):
        raise SpecError("%s.packages must be a list of package names" % key)
    name = str(spec["name"])
    return {"name": name, "summary": str(spec.get("summary", name)), "description": str(spec.get("description", "")),
            "version": str(spec.get("version", "1.0.0-1")), "packages": [str(p) for p in packages],
            "guidance": GUIDANCES[guidance], "issued": issued, "type": update_type, "severity": severity,
            "software_version": {str(k): str(v) for k, v in software.items()}}


def install(db, pool_ref, spec, product):
    """A pool whose update repositories are configured (the product's base and update
    repositories, introduced and enabled) and whose update repository serves `spec`'s updates:
    a list, or {available: list, synced: bool}. Synced (the default) as the pool's periodic sync
    leaves it: mirrors, hashes, last_update_sync and each host's latest_synced_updates_applied."""
    synced = True
    if isinstance(spec, dict):
        synced = bool(spec.get("synced", True))
        spec = spec.get("available", [])
    if not isinstance(spec, list):
        raise SpecError(": a list of updates, or a mapping with available (the list) and synced")
    updates = [parse_update(entry, "[%d]" % index) for index, entry in enumerate(spec)]
    names = [u["name"] for u in updates]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(": the update %s is listed twice" % duplicates[0])
    (base_name, base_url), (update_name, update_url) = PRODUCT_REPOSITORIES[product]
    sources = db.counters.setdefault("update_sources", {})
    sources[base_url] = []
    sources[update_url] = updates
    repositories = [_create(db, base_name, base_url, False), _create(db, update_name, update_url, True)]
    db.update("pool", pool_ref, repositories=repositories)
    if synced:
        for repository in repositories:
            _mirror(db, repository)
        available(db)
        db.update("pool", pool_ref, last_update_sync=now())


def _create(db, name, url, update):
    return db.create("Repository", {"name_label": name, "name_description": "", "binary_url": url,
                                    "source_url": url.rstrip("/") + "/source/", "update": update, "hash": ""})


def publish(db, url, spec):
    """A new update appears at `url` (a test's way to have the remote move on); a sync brings it."""
    update = parse_update(spec, "update")
    db.counters.setdefault("update_sources", {}).setdefault(url, []).append(update)
    return update


# ---- the mirror and what is pending ------------------------------------------------------------

def checksum(updates):
    return hashlib.sha256(json.dumps(updates, sort_keys=True).encode("utf-8")).hexdigest()


def mirror(db, repository):
    """The updates the pool's local copy of `repository` has, or None before its first sync."""
    return db.private.get(repository, {}).get("mirror")


def _mirror(db, repository):
    record = db.get("Repository", repository)
    source = db.counters.get("update_sources", {}).get(record["binary_url"])
    if source is None:
        raise Failure("REPOSYNC_FAILED")
    db.private.setdefault(repository, {})["mirror"] = copy.deepcopy(source)


def enabled(db):
    return list(db.get("pool", db.refs("pool")[0])["repositories"])


def single_update_repository(db):
    """repository_helpers.get_single_enabled_update_repository."""
    found = [r for r in enabled(db) if db.get("Repository", r)["update"]]
    if not found:
        raise Failure("NO_REPOSITORY_ENABLED")
    if len(found) > 1:
        raise Failure("MULTIPLE_UPDATE_REPOSITORIES_ENABLED")
    return found[0]


def installed(db, host):
    return db.private.get(host, {}).get("updates_installed", [])


def pending(db, host, repository):
    """The updates of the repository's mirror the host has not installed (mirror order)."""
    done = set(installed(db, host))
    return [u for u in mirror(db, repository) or [] if u["name"] not in done]


def available(db):
    """repository.ml set_available_updates: every host is asked what it lacks (a host that is down
    cannot answer: GET_HOST_UPDATES_FAILED), its latest_synced_updates_applied follows, and each
    enabled update repository's hash becomes its mirror's checksum. -> the hash."""
    repository = single_update_repository(db)
    if mirror(db, repository) is None:
        raise Failure("GET_UPDATES_FAILED")
    for host in db.refs("host"):
        if not placement.host_is_live(db, host):
            raise Failure("GET_HOST_UPDATES_FAILED", host)
        db.update("host", host, latest_synced_updates_applied="no" if pending(db, host, repository) else "yes")
    for ref in enabled(db):
        if db.get("Repository", ref)["update"]:
            db.update("Repository", ref, hash=checksum(mirror(db, ref) or []))
    return db.get("Repository", repository)["hash"]


# ---- pool operations ---------------------------------------------------------------------------

@contextlib.contextmanager
def pool_operation(call, op):
    """xapi_pool_helpers.with_pool_operation: `op` in the pool's current_operations meanwhile; a
    blocking operation in progress refuses with its own code (SYNC_UPDATES_IN_PROGRESS, ...), any
    other with OTHER_OPERATION_IN_PROGRESS [pool, ref] (where xapi would wait for it)."""
    db, pool_ref, task = call.db, call.pool.ref, call.current_task()
    with db.lock:
        current = db.get("pool", pool_ref)["current_operations"]
        for other in current.values():
            if other in BLOCKING_OPS:
                raise Failure(BLOCKING_OPS[other])
            raise Failure("OTHER_OPERATION_IN_PROGRESS", "pool", pool_ref)
        db.update("pool", pool_ref, current_operations=dict(current, **{task: op}))
    try:
        yield
    finally:
        with db.lock:
            if db.exists("pool", pool_ref):
                current = dict(db.get("pool", pool_ref)["current_operations"])
                current.pop(task, None)
                db.update("pool", pool_ref, current_operations=current)


# ---- Repository --------------------------------------------------------------------------------

def _assert_url(url):
    """repository_helpers.assert_url_is_valid with an empty domain allowlist: http or https and a host."""
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise Failure("INVALID_BASE_URL", url)


def _assert_gpgkey_path(path):
    if path and not set(path) <= GPGKEY_CHARACTERS:
        raise Failure("INVALID_GPGKEY_PATH", path)


@handles("Repository.introduce")
def introduce(call, name_label, name_description, binary_url, source_url, update, gpgkey_path):
    """Both URLs are checked (an empty source URL is INVALID_BASE_URL too); a repository with the
    same name or binary URL exists already: REPOSITORY_ALREADY_EXISTS [it]."""
    db = call.db
    _assert_url(binary_url)
    _assert_url(source_url)
    _assert_gpgkey_path(gpgkey_path)
    with db.lock:
        for ref, record in db.records("Repository").items():
            if record["name_label"] == name_label or record["binary_url"] == binary_url:
                raise Failure("REPOSITORY_ALREADY_EXISTS", ref)
        return db.create("Repository", {"name_label": name_label, "name_description": name_description,
                                        "binary_url": binary_url, "source_url": source_url, "update": update,
                                        "hash": "", "gpgkey_path": gpgkey_path})


@handles("Repository.forget")
def forget(call, self):
    db = call.db
    with db.lock:
        db.get("Repository", self)
        if self in enabled(db):
            raise Failure("REPOSITORY_IS_IN_USE")
        db.delete("Repository", self)


@handles("Repository.set_gpgkey_path")
def set_gpgkey_path(call, self, value):
    call.db.get("Repository", self)
    _assert_gpgkey_path(value)
    call.db.update("Repository", self, gpgkey_path=value)


# ---- pool: which repositories, syncing -------------------------------------------------------

def _forget_mirror(db, repository):
    db.private.get(repository, {}).pop("mirror", None)


def _now_enabled(db, pool_ref, repository):
    """A repository joining the enabled set: its hash is cleared and the pool counts as never synced."""
    db.update("Repository", repository, hash="")
    db.update("pool", pool_ref, last_update_sync=EPOCH_DT)


@handles("pool.set_repositories")
def set_repositories(call, self, value):
    db = call.db
    db.get("pool", self)
    for repository in value:
        db.get("Repository", repository)
    with pool_operation(call, "configure_repositories"), db.lock:
        existing = enabled(db)
        for repository in existing:
            if repository not in value:
                _forget_mirror(db, repository)
        for repository in value:
            if repository not in existing:
                _now_enabled(db, self, repository)
        db.update("pool", self, repositories=list(dict.fromkeys(value)))
        if not value:
            db.update("pool", self, last_update_sync=EPOCH_DT)


@handles("pool.add_repository")
def add_repository(call, self, value):
    db = call.db
    db.get("pool", self)
    db.get("Repository", value)
    with pool_operation(call, "configure_repositories"), db.lock:
        existing = enabled(db)
        if value not in existing:
            db.update("pool", self, repositories=existing + [value])
            _now_enabled(db, self, value)


@handles("pool.remove_repository")
def remove_repository(call, self, value):
    db = call.db
    db.get("pool", self)
    with pool_operation(call, "configure_repositories"), db.lock:
        existing = enabled(db)
        if value in existing:
            _forget_mirror(db, value)
        db.update("pool", self, repositories=[r for r in existing if r != value])
        if not enabled(db):
            db.update("pool", self, last_update_sync=EPOCH_DT)


@handles("pool.sync_updates")
def sync_updates(call, self, force, token, token_id):
    """Every enabled repository is mirrored (force: the old mirror goes first), then every host
    is asked what it lacks; -> the update repository's new hash. The token is not checked."""
    del token, token_id  # a CDN token: the simulated sources need none
    db = call.db
    db.get("pool", self)
    with pool_operation(call, "sync_updates"):
        repositories = enabled(db)
        for index, repository in enumerate(repositories):
            if force:
                _forget_mirror(db, repository)
            call.spend(SYNC_SECONDS, index / len(repositories), (index + 1) / len(repositories), steps=2)
            with db.lock:
                _mirror(db, repository)
        with db.lock:
            result = available(db)
            db.update("pool", self, last_update_sync=now())
        return result


@handles("pool.configure_update_sync")
def configure_update_sync(call, self, update_sync_frequency, update_sync_day):
    """Weekly takes a day 0..6 (INVALID_UPDATE_SYNC_DAY); daily ignores the day (stored as 0)."""
    call.db.get("pool", self)
    if update_sync_frequency == "weekly" and not 0 <= update_sync_day <= 6:
        raise Failure("INVALID_UPDATE_SYNC_DAY", update_sync_day)
    day = update_sync_day if update_sync_frequency == "weekly" else 0
    call.db.update("pool", self, update_sync_frequency=update_sync_frequency, update_sync_day=day)


@handles("pool.set_update_sync_enabled")
def set_update_sync_enabled(call, self, value):
    """Enabling needs a repository (NO_REPOSITORIES_CONFIGURED); the periodic sync itself is not simulated."""
    db = call.db
    if value and not db.get("pool", self)["repositories"]:
        raise Failure("NO_REPOSITORIES_CONFIGURED")
    db.update("pool", self, update_sync_enabled=value)
