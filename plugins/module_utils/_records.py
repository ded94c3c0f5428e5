# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Records for output: identified by uuid (never an OpaqueRef), NULL refs as None."""

NULL_REF = "OpaqueRef:NULL"


class UuidIndex:
    """ref -> uuid for the tables a result mentions, read once with get_all_records."""

    def __init__(self, tables):
        self._uuids = {}
        for records in tables.values():
            for ref, record in records.items():
                self._uuids[ref] = record.get("uuid")

    def __call__(self, ref):
        if ref in (None, "", NULL_REF):
            return None
        return self._uuids.get(ref)

    def many(self, refs):
        return [u for u in (self(ref) for ref in refs) if u is not None]


def ref_or_none(ref):
    return None if ref in (None, "", NULL_REF) else ref


def pick(record, *names):
    return {name: record.get(name) for name in names}


class Related:
    """Records of one class for the refs a result needs: one get_record each when they are
    few, one get_all_records when they are many (calls do not grow with the pool)."""

    BULK_FROM = 3

    def __init__(self, client, cls):
        self.client = client
        self.cls = cls
        self.records = {}
        self._all = False

    def load(self, refs):
        wanted = {r for r in refs if r not in (None, "", NULL_REF) and r not in self.records}
        if not wanted or self._all:
            return self
        if len(wanted) >= self.BULK_FROM:
            self.records = self.client.call("%s.get_all_records" % self.cls)
            self._all = True
        else:
            for ref in wanted:
                self.records[ref] = self.client.call("%s.get_record" % self.cls, ref)
        return self

    def get(self, ref):
        return self.records.get(ref)
