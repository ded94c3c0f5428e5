# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Records of many objects of several classes in one call.

event.from with an empty token and one subscription per object ("vbd/OpaqueRef:...") answers
with an `add` event, carrying the object's record, for each one that exists. So reading a
VM's devices, disks, networks and SRs costs a fixed number of calls, whatever their number.
"""

from ._records import NULL_REF


def fetch(client, refs_by_class):
    """{class: refs} -> {ref: record} for those that exist."""
    subscriptions = sorted({"%s/%s" % (cls.lower(), ref)
                            for cls, refs in refs_by_class.items() for ref in refs
                            if ref and ref != NULL_REF})
    if not subscriptions:
        return {}
    batch = client.call("event.from", subscriptions, "", 0.0)
    return {event["ref"]: event["snapshot"] for event in batch["events"]
            if event.get("operation") != "del" and "snapshot" in event}
