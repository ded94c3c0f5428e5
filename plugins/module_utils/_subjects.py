# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Directory users and groups allowed in the pool (subjects) and their RBAC roles."""

from ._auth_errors import explain
from ._diff import Differences
from ._errors import InputError, XenAPIError

ROLES = ("pool-admin", "pool-operator", "vm-power-admin", "vm-admin", "vm-operator", "read-only")


def subject_view(record, role_names):
    other = record["other_config"]
    return {"uuid": record["uuid"], "name": other.get("subject-name") or record["subject_identifier"],
            "sid": record["subject_identifier"], "upn": other.get("subject-upn") or None,
            "is_group": other.get("subject-is-group") == "true",
            "roles": sorted(role_names[ref] for ref in record["roles"])}


class RoleNames(dict):
    """role ref -> name, asking the pool once per unknown ref (permissions are role objects too)."""

    def __init__(self, client):
        super().__init__()
        self.client = client

    def __missing__(self, ref):
        self[ref] = self.client.call("role.get_name_label", ref)
        return self[ref]

    def ref(self, name):
        refs = self.client.call("role.get_by_name_label", name)
        self[refs[0]] = name
        return refs[0]


class Subjects:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.diff = Differences()

    def wanted(self):
        """[(name, roles or None, state)] from O(name)/O(roles)/O(state) or O(subjects)."""
        params = self.params
        if params["subjects"] is not None:
            return [(item["name"], item["roles"], item["state"]) for item in params["subjects"]]
        return [(params["name"], params["roles"], params["state"])]

    def run(self):
        client = self.module.client
        self.role_names = RoleNames(client)
        existing = client.call("subject.get_all_records")
        by_sid = {record["subject_identifier"]: (ref, record) for ref, record in existing.items()}
        before = {self._name(r): subject_view(r, self.role_names)["roles"] for r in existing.values()}
        plan = []  # (action, name, ref or sid, roles)
        self.single_sid = None
        listed = set()
        for name, roles, state in self.wanted():
            sid = self._sid(name, existing, must=state == "present")
            if sid is None:
                continue
            listed.add(sid)
            self.single_sid = sid
            ref, record = by_sid.get(sid, (None, None))
            if state == "absent":
                if ref is not None:
                    plan.append(("destroy", self._name(record), ref, None))
            elif ref is None:
                if not roles:
                    raise InputError("roles: needed to add %s (one or more of %s)" % (name, ", ".join(ROLES)))
                plan.append(("create", self._directory_name(sid, name), sid, sorted(set(roles))))
            elif roles is not None and sorted(set(roles)) != before[self._name(record)]:
                plan.append(("roles", self._name(record), ref, sorted(set(roles))))
        if self.params["exclusive"]:
            plan.extend(("destroy", self._name(record), ref, None)
                        for sid, (ref, record) in sorted(by_sid.items()) if sid not in listed)
        after = dict(before)
        for action, name, dummy, roles in plan:
            if action == "destroy":
                after.pop(name, None)
            else:
                after[name] = roles
        if after != before:
            self.diff.add("subjects", before, after)
        if plan and not self.module.check_mode:
            for action, name, target, roles in plan:
                self._apply(client, action, target, roles)
        return self._result(client, bool(plan))

    def _name(self, record):
        return record["other_config"].get("subject-name") or record["subject_identifier"]

    def _directory_name(self, sid, given):
        """How the directory spells the subject (DOMAIN\\name), as its subject record will."""
        info = self.module.client.call("auth.get_subject_information_from_identifier", sid)
        return info.get("subject-name") or given

    def _sid(self, name, existing, must):
        """The directory's SID for name; for a name it no longer knows, the SID of a subject of that name."""
        try:
            return self.module.client.call("auth.get_subject_identifier", name)
        except XenAPIError as exc:
            if exc.code == "SUBJECT_CANNOT_BE_RESOLVED":
                known = [r["subject_identifier"] for r in existing.values()
                         if self._name(r).lower() == name.lower() or r["other_config"].get("subject-upn", "").lower()
                         == name.lower()]
                if known:
                    return known[0]
                if not must:
                    return None
                raise InputError("name: the directory does not know %s; give DOMAIN\\name or name@domain of an existing "
                                 "user or group" % name) from None
            raise explain(exc, {}, name=name) from None

    def _apply(self, client, action, target, roles):
        if action == "destroy":
            client.call("subject.destroy", target)
            return
        if action == "create":
            sid = target
            target = client.call("subject.create", {"subject_identifier": sid, "other_config": {}},
                                 find=lambda: next(iter(client.call("subject.get_all_records_where",
                                                                    'field "subject_identifier" = "%s"' % sid)), None))
        current = set(self.role_names[ref] for ref in client.call("subject.get_roles", target))
        for role in sorted(set(roles) - current):
            client.call("subject.add_to_roles", target, self.role_names.ref(role))
        for role in sorted(current - set(roles)):
            client.call("subject.remove_from_roles", target, self.role_names.ref(role))

    def _result(self, client, changed):
        records = client.call("subject.get_all_records")
        views = sorted((subject_view(r, self.role_names) for r in records.values()), key=lambda v: v["name"].lower())
        result = {"changed": changed, "diff": self.diff.diff(), "subjects": views}
        if self.params["subjects"] is None:
            result["subject"] = next((v for v in views if v["sid"] == self.single_sid), None)
        return result
