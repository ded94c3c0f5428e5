"""Roles and the permissions under them [xenapi-notes §2.6; xen-api ocaml/xapi/xapi_role.ml]."""

from ..roles import permissions_of
from .registry import handles


@handles("role.get_permissions")
def get_permissions(call, self):
    """The permissions under a role; a permission answers itself."""
    return permissions_of(call.db, self)


@handles("role.get_permissions_name_label")
def get_permissions_name_label(call, self):
    return [call.db.get("role", p)["name_label"] for p in get_permissions(call, self)]


def _holding(call, matches):
    """Every role (not permission) with a permission that matches, in the static order."""
    db = call.db
    return [role for role, record in db.records("role").items()
            if record["subroles"] and any(matches(p) for p in permissions_of(db, role))]


@handles("role.get_by_permission")
def get_by_permission(call, permission):
    return _holding(call, lambda p: p == permission)


@handles("role.get_by_permission_name_label")
def get_by_permission_name_label(call, label):
    return _holding(call, lambda p: call.db.get("role", p)["name_label"] == label)
