"""Receiving a VM: host.migrate_receive on the destination pool, and what a sending pool makes
of the map it returns (xapi_vm_migrate.remote_of_dest) [xenapi-notes §3.5; xen-api
xapi_host.ml migrate_receive, xapi_vm_migrate.ml remote_of_dest, migration_type].

The map names the destination host by ref: a host of the sender's own pool makes the
migration intra-pool, any other a cross-pool one, reached at the map's `master` address (a
pool of the same World) with the map's session.
"""

import urllib.parse

from ..errors import Failure
from .migration_checks import host_pif, primary_address
from .registry import handles
from .session import open_session

_SESSION_FIELDS = ("is_local_superuser", "subject", "auth_user_sid", "auth_user_name", "rbac_permissions", "pool")


@handles("host.migrate_receive")
def migrate_receive(call, host, network, options):
    """A session for the sender (a child of the caller's, with its rights), and the URLs of this
    host's address on `network` and of the pool's coordinator."""
    db = call.db
    db.get("host", host)
    db.get("network", network)
    pif = host_pif(db, network, host)
    if pif is None:
        raise Failure("HOST_CANNOT_ATTACH_NETWORK", host, network)
    address, mode = primary_address(db, pif)
    if not address:
        raise Failure("PIF_HAS_NO_NETWORK_CONFIGURATION" if mode == "None" else "INTERFACE_HAS_NO_IP", pif)
    caller = db.get("session", call.session)
    fields = {key: caller[key] for key in _SESSION_FIELDS}
    roles = db.private.get(call.session, {}).get("roles")
    session = open_session(call, host, "", dict(fields, parent=call.session), roles)
    query = urllib.parse.urlencode({"session_id": session}, safe=":")
    return {"SM": "http://%s/services/SM?%s" % (address, query), "host": host,
            "xenops": "http://%s/services/xenops?%s" % (address, query), "session_id": session,
            "master": "http://%s" % call.pool.address_of(call.pool.master)}


class Destination:
    """A resolved migrate_receive map: where the VM goes and whether it leaves its pool."""

    def __init__(self, pool, host, session, address, intra):
        self.pool = pool
        self.db = pool.db
        self.host = host
        self.session = session
        self.address = address  # the destination host's migration address (xenops URL)
        self.intra = intra


def _entry(dest, key):
    if key not in dest:
        raise Failure("INTERNAL_ERROR", "Not_found")  # xapi's List.assoc on a map that lacks the key
    return dest[key]


def _address(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Failure("INTERNAL_ERROR", "Cannot extract foreign IP address from: %s" % url)
    return parts.hostname


def destination(call, dest):
    """remote_of_dest: the keys in xapi's order, the coordinator answering at `master`, the
    session valid there, the host known there."""
    master_url = _entry(dest, "master")
    xenops_url = _entry(dest, "xenops")
    session = _entry(dest, "session_id")
    address = _address(xenops_url)
    master_address = _address(master_url)
    host = _entry(dest, "host")
    _entry(dest, "SM")
    intra = call.db.exists("host", host)
    pool, answering = call.world.pool_of_host(master_address)
    if pool is None:
        raise Failure("CANNOT_CONTACT_HOST", address)
    if answering != pool.master:
        raise Failure("HOST_IS_SLAVE", pool.address_of(pool.master))
    if intra:
        pool = call.pool
    if session not in pool.db.tables["session"]:
        raise Failure("SESSION_INVALID", session)
    if not pool.db.exists("host", host):
        raise Failure("HANDLE_INVALID", "host", host)
    return Destination(pool, host, session, address, intra)
