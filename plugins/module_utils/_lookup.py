# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Name or uuid -> ref, per class, with errors that name the choices."""

import difflib
import re

from ._errors import XenAPIError

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
LABELS = {"VM": "VM", "SR": "storage repository", "host": "host", "network": "network", "VDI": "disk",
          "pool": "pool"}


class LookupFailed(Exception):
    """Not found, or ambiguous: the message lists what there is."""


def label(cls):
    return LABELS.get(cls, cls)


def plural(cls):
    text = label(cls)
    return text[:-1] + "ies" if text.endswith("y") else text + "s"


def by_uuid(client, cls, uuid):
    try:
        return client.call("%s.get_by_uuid" % cls, uuid)
    except XenAPIError as exc:
        if exc.code == "UUID_INVALID":
            raise LookupFailed("no %s has uuid %s" % (label(cls), uuid)) from None
        raise


def find(client, cls, name=None, uuid=None, keep=None, option=None):
    """The one ref named `name` (or with `uuid`); `keep(record)` filters candidates by name
    (e.g. no templates). -> (ref, record). With `option`, a failure's message starts with it."""
    try:
        return _find(client, cls, name, uuid, keep)
    except LookupFailed as exc:
        if option is None:
            raise
        raise LookupFailed("%s: %s" % (option, exc)) from None


def _find(client, cls, name, uuid, keep):
    if uuid:
        ref = by_uuid(client, cls, uuid)
        return ref, client.call("%s.get_record" % cls, ref)
    refs = client.call("%s.get_by_name_label" % cls, name)
    candidates = []
    for ref in refs:
        record = client.call("%s.get_record" % cls, ref)
        if keep is None or keep(record):
            candidates.append((ref, record))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise LookupFailed(not_found_message(client, cls, name, keep))
    uuids = ", ".join(sorted(record["uuid"] for dummy, record in candidates))
    raise LookupFailed("%d %s are named %r (uuids %s): give the uuid instead" % (len(candidates), plural(cls), name, uuids))


def resolve(client, cls, name_or_uuid, keep=None, option=None):
    """A reference option (template, sr, network, host) takes a name or a uuid; with `option`, a failure's
    message starts with it."""
    if UUID.match(str(name_or_uuid)):
        try:
            return find(client, cls, uuid=name_or_uuid)
        except LookupFailed:
            pass  # a name that looks like a uuid
    return find(client, cls, name=name_or_uuid, keep=keep, option=option)


def not_found_message(client, cls, name, keep=None):
    """Only on the failure path: the close names, so a typo is easy to see."""
    records = client.call("%s.get_all_records" % cls).values()
    names = sorted({r.get("name_label", "") for r in records if keep is None or keep(r)})
    close = difflib.get_close_matches(name or "", names, n=5, cutoff=0.5)
    text = "no %s named %r" % (label(cls), name)
    return text + ("; close names: %s" % ", ".join(repr(n) for n in close) if close else "")
