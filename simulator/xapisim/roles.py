"""RBAC roles and permissions as xapi publishes them [xenapi-notes §2.6].

Roles and permissions are role objects. A role's uuid is the MD5 of its name read as a
UUID, its ref OpaqueRef:<uuid>; a permission is a message's lower-cased wire name.
"""

import hashlib
import uuid

ROLES = ("pool-admin", "pool-operator", "vm-power-admin", "vm-admin", "vm-operator", "read-only")
DESCRIPTIONS = {
    "pool-admin": "The Pool Administrator role has full access to all features and settings, including accessing "
                  "Dom0 and managing subjects, roles and external authentication",
    "pool-operator": "The Pool Operator role manages host- and pool-wide resources, including setting up storage, "
                     "creating resource pools and managing patches, high availability (HA) and workload balancing "
                     "(WLB)",
    "vm-power-admin": "The VM Power Administrator role has full access to VM and template management and can choose "
                      "where to start VMs and use the dynamic memory control and VM snapshot features",
    "vm-admin": "The VM Administrator role can manage VMs and templates",
    "vm-operator": "The VM Operator role can use VMs and interact with VM consoles",
    "read-only": "The Read-Only role can log in with basic read-only access",
}


def role_uuid(name):
    return str(uuid.UUID(bytes=hashlib.md5(name.encode("utf-8")).digest()))


def role_ref(name):
    return "OpaqueRef:" + role_uuid(name)


def install_roles(db, model):
    """Create every role and permission object of the model in a pool's database."""
    permissions = {}  # permission name -> roles allowed
    for cls in model.classes.values():
        for message in cls.messages.values():
            permissions.setdefault(message.wire_name.lower(), set()).update(message.roles)
    for name in sorted(permissions):
        db.create("role", {"uuid": role_uuid(name), "name_label": name, "name_description": "",
                           "subroles": [], "is_internal": True}, ref=role_ref(name))
    for name in ROLES:
        subroles = [role_ref(p) for p, allowed in sorted(permissions.items()) if name in allowed]
        db.create("role", {"uuid": role_uuid(name), "name_label": name, "name_description": DESCRIPTIONS[name],
                           "subroles": subroles, "is_internal": False}, ref=role_ref(name))


def roles_allowing(db, permission_name):
    return [ref for ref, record in db.tables["role"].items()
            if not record["is_internal"] and role_ref(permission_name) in record["subroles"]]


def permissions_of(db, role):
    """Xapi_role.get_permissions: the leaves under a role; a permission is its own leaf."""
    subroles = db.get("role", role)["subroles"]
    if not subroles:
        return [role]
    found = []
    for subrole in subroles:
        for permission in permissions_of(db, subrole):
            if permission not in found:
                found.append(permission)
    return found


def session_permissions(db, roles):
    """What a session of someone holding `roles` may do (Xapi_session.get_permissions): the
    names of the roles and of every permission under them."""
    names = set()
    for role in roles:
        if db.exists("role", role):
            names.add(db.get("role", role)["name_label"])
            names.update(db.get("role", p)["name_label"] for p in permissions_of(db, role))
    return names
