"""Joining and leaving a domain: host.enable/disable_external_auth and pool.enable/disable_external_auth
[xenapi-notes §3.2; xen-api ocaml/xapi/xapi_host.ml enable_external_auth, disable_external_auth_common;
xapi_pool.ml enable_external_auth, disable_external_auth, revalidate_subjects; message_forwarding.ml].

Where xapi's messages echo what it was given, they echo the join user, never the password:
no error of these calls carries config's `pass`.
"""

import threading

from ..directory import DirectoryError, NotFound
from ..errors import Failure
from . import extauth
from .registry import handles
from .session import close_session

SESSION_REVALIDATION_INTERVAL = 300.0  # simulated seconds (xapi's session_revalidation_interval)


def _serialized(call):
    """xapi serializes enabling and disabling (serialize_host_enable_disable_extauth)."""
    with call.db.lock:
        return call.db.private.setdefault(call.pool.ref, {}).setdefault("extauth_lock", threading.RLock())


def _exn_text(failure):
    """ExnHelper.string_of_exn of an API error: CODE: [ p1; p2 ]."""
    return "%s: [ %s ]" % (failure.code, "; ".join(failure.params))


# ---- one host ---------------------------------------------------------------------------------------

def enable_on_host(call, host, config, service_name, auth_type):
    if auth_type == "AD":  # message_forwarding asserts the licence before the host is asked
        extauth.licensed(call, "AD")
    with _serialized(call):
        record = call.db.get("host", host)
        if record["external_auth_type"] != "":
            raise Failure("AUTH_ALREADY_ENABLED", record["external_auth_type"], record["external_auth_service_name"])
        if auth_type not in extauth.AUTH_TYPES:  # "" included
            raise Failure("AUTH_UNKNOWN_TYPE", auth_type)
        configuration = record["external_auth_configuration"]
        if auth_type == "AD":
            try:
                configuration = extauth.on_enable(call, host, config, service_name)
            except DirectoryError as error:  # nothing was written: the rollback is implicit
                raise Failure("AUTH_ENABLE_FAILED" + error.tag, error.message) from None
        call.db.update("host", host, external_auth_type=auth_type, external_auth_service_name=service_name,
                       external_auth_configuration=configuration)


def disable_on_host(call, host, config):
    """A no-op when disabled; otherwise the plugin's on_disable, then the fields are cleared even
    when on_disable failed, and its failure is raised afterwards."""
    with _serialized(call):
        record = call.db.get("host", host)
        if record["external_auth_type"] == "":
            return
        failure = None
        if record["external_auth_type"] == "AD":
            try:
                extauth.on_disable(call, host, config)
            except DirectoryError as error:
                failure = Failure("AUTH_DISABLE_FAILED" + error.tag, error.message)
        call.db.update("host", host, external_auth_type="", external_auth_service_name="")
        if failure is not None:
            raise failure


@handles("host.enable_external_auth")
def host_enable_external_auth(call, host, config, service_name, auth_type):
    enable_on_host(call, host, config, service_name, auth_type)


@handles("host.disable_external_auth")
def host_disable_external_auth(call, host, config):
    disable_on_host(call, host, config)


# ---- the pool ---------------------------------------------------------------------------------------

def _hosts(call):
    """The coordinator first, then the members (get_master_slaves_list)."""
    master = call.pool.master
    return [master] + [host for host in call.db.refs("host") if host != master]


@handles("pool.enable_external_auth")
def pool_enable_external_auth(call, pool, config, service_name, auth_type):
    with _serialized(call):
        _pool_enable(call, pool, config, service_name, auth_type)


def _pool_enable(call, pool, config, service_name, auth_type):
    db = call.db
    db.get("pool", pool)
    hosts = _hosts(call)
    for host in hosts:
        if db.get("host", host)["external_auth_type"] != "":
            raise Failure("POOL_AUTH_ALREADY_ENABLED", host)
    if len({db.get("host", host)["hostname"] for host in hosts}) != len(hosts):
        raise Failure("POOL_AUTH_ENABLE_FAILED_DUPLICATE_HOSTNAME", hosts[0],
                      "At least two hosts in the pool have the same hostname")
    enabled = []
    for index, host in enumerate(hosts):
        try:
            enable_on_host(call, host, config, service_name, auth_type)
        except Failure as failure:
            _roll_back(call, enabled + [host], config)
            raise _pool_failure(failure, host) from None
        enabled.append(host)
        call.progress((index + 1) / len(hosts))
    _revalidate_subjects(call)


def _roll_back(call, hosts, config):
    """Best effort: every host enabled so far, and the one that failed, is disabled again."""
    for host in hosts:
        try:
            disable_on_host(call, host, config)
        except Failure:
            pass


def _pool_failure(failure, host):
    """xapi's mapping of a host's failure to the pool's: POOL_ + the host's AUTH_ENABLE_FAILED*
    code, AUTH_UNKNOWN_TYPE as it is, anything else POOL_AUTH_ENABLE_FAILED with the error as text."""
    if len(failure.params) == 1 and failure.code == "AUTH_UNKNOWN_TYPE":
        return failure
    if len(failure.params) == 1 and failure.code.startswith("AUTH_ENABLE_FAILED"):
        return Failure("POOL_" + failure.code, host, failure.params[0])
    return Failure("POOL_AUTH_ENABLE_FAILED", host, _exn_text(failure))


def _revalidate_subjects(call):
    """Subjects the new domain cannot resolve are destroyed (CA-59647); winbind turns every
    query failure into Not_found, so a directory error also removes the subject."""
    auth_type, service_name = extauth.plugin(call)
    for subject, record in call.db.records("subject").items():
        try:
            extauth.directory(call, auth_type, service_name).info(record["subject_identifier"])
        except (NotFound, DirectoryError):  # the same to xapi here
            call.db.delete("subject", subject)


@handles("pool.disable_external_auth")
def pool_disable_external_auth(call, pool, config):
    with _serialized(call):
        _pool_disable(call, pool, config)


def _pool_disable(call, pool, config):
    """Every host is asked, even after a failure; the first failure is reported. Sessions of
    external users end only when every host left cleanly (revalidate_all_sessions)."""
    db = call.db
    db.get("pool", pool)
    failures = []
    for host in _hosts(call):
        try:
            disable_on_host(call, host, config)
        except Failure as failure:
            name = db.get("host", host)["name_label"]
            detail = failure.params[0] if len(failure.params) == 1 else _exn_text(failure)
            failures.append((host, failure.code if len(failure.params) == 1 else "", "%s: %s" % (name, detail)))
    if failures:  # the periodic revalidation ends the external sessions later
        call.clock.later(SESSION_REVALIDATION_INTERVAL, lambda: _end_external_sessions(call))
        host, code, message = failures[0]
        if code.startswith("AUTH_DISABLE_FAILED"):
            raise Failure("POOL_" + code, host, message)
        raise Failure("POOL_AUTH_DISABLE_FAILED", host, message)
    _end_external_sessions(call)


def _end_external_sessions(call):
    """revalidate_all_sessions once external auth is off: every session of an external user
    ends, the caller's own too."""
    if call.db.get("host", call.pool.master)["external_auth_type"] != "":
        return
    for session, record in call.db.records("session").items():
        if not record["is_local_superuser"]:
            close_session(call, session)
