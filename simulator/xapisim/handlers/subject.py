"""Subjects (the users and groups of the directory allowed to log in) and their roles
[xenapi-notes §3.2; xen-api ocaml/xapi/xapi_subject.ml]."""

from .. import roles
from ..errors import Failure
from . import extauth
from .generic import constructor_fields
from .registry import handles


def _rbac_licensed(call):
    return call.db.get("pool", call.pool.ref)["restrictions"].get("restrict_rbac") != "true"


@handles("subject.create")
def create(call, args):
    """The passed other_config is ignored: the directory fills it. A new subject has no role
    where RBAC is licensed (it cannot log in until it gets one), else pool-admin."""
    db = call.db
    subject_identifier = constructor_fields(call, "subject", args)["subject_identifier"]
    if any(db.get("host", host)["external_auth_type"] == "AD" for host in db.refs("host")):
        extauth.licensed(call, "AD")
    if db.find("subject", subject_identifier=subject_identifier):
        raise Failure("SUBJECT_ALREADY_EXISTS")
    initial = [] if _rbac_licensed(call) else [roles.role_ref("pool-admin")]
    information = extauth.query(call, lambda directory: directory.info(subject_identifier))
    return db.create("subject", {"subject_identifier": subject_identifier, "other_config": information,
                                 "roles": initial})


@handles("subject.add_to_roles")
def add_to_roles(call, self, role):
    """Any role object is valid here, a permission too (Xapi_role.is_valid_role)."""
    extauth.licensed(call, "RBAC")
    if not call.db.exists("role", role):
        raise Failure("ROLE_NOT_FOUND")
    current = call.db.get("subject", self)["roles"]
    if role in current:
        raise Failure("ROLE_ALREADY_EXISTS")
    call.db.update("subject", self, roles=list(current) + [role])


@handles("subject.remove_from_roles")
def remove_from_roles(call, self, role):
    extauth.licensed(call, "RBAC")
    current = call.db.get("subject", self)["roles"]
    if role not in current:
        raise Failure("ROLE_NOT_FOUND")
    call.db.update("subject", self, roles=[r for r in current if r != role])


@handles("subject.get_permissions_name_label")
def get_permissions_name_label(call, self):
    db = call.db
    names = set()
    for role in db.get("subject", self)["roles"]:
        if db.exists("role", role):
            names.update(db.get("role", p)["name_label"] for p in roles.permissions_of(db, role))
    return sorted(names)
