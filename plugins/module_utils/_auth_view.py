# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading external authentication: the domain per host, the subjects, and the caller's own rights."""

from ._errors import XenAPIError
from ._external_auth import auth_view
from ._subjects import ROLES, RoleNames, subject_view


def read_auth(client):
    hosts = client.call("host.get_all_records")
    names = RoleNames(client)
    try:
        records = client.call("subject.get_all_records")
    except XenAPIError as exc:
        if exc.code != "RBAC_PERMISSION_DENIED":
            raise
        records = {}
    subjects = sorted((subject_view(r, names) for r in records.values()), key=lambda v: v["name"].lower())
    return {"auth": auth_view(hosts), "subjects": subjects, "session": own_session(client, names)}


def own_session(client, names):
    record = client.call("session.get_record", client.session_ref)
    superuser = bool(record["is_local_superuser"])
    role = "pool-admin" if superuser else effective_role(client, names, set(record["rbac_permissions"]))
    return {"user": record["auth_user_name"] or client.username, "local_superuser": superuser, "role": role}


def effective_role(client, names, permissions):
    """Roles are nested (each holds the rights of those below it): the first, from the top, held in full."""
    for role in ROLES:
        if set(client.call("role.get_permissions_name_label", names.ref(role))) <= permissions:
            return role
    return None
