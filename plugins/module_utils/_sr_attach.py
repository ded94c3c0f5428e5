# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A shared storage repository that exists on its server attached to a pool again: found with
SR.probe, made known with SR.introduce and a PBD per host, plugged, scanned (its disks come back
with their uuids). What a backup's manifest says of the SR is enough, except passwords: an SR
that needs one (CHAP, SMB) is attached with the sr module first."""

from xml.etree import ElementTree

from ._errors import XenAPIError
from ._module import ModuleFailure
from ._records import Related


def probed_uuids(text):
    """The SR uuids in SR.probe's XML answer (<SRlist><SR><UUID>...</UUID>...)."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return []
    return [node.text.strip() for node in root.iter("UUID") if node.text]


class SharedStorage:
    def __init__(self, client, check_mode):
        self.client = client
        self.check_mode = check_mode
        self.changed = False

    def attach(self, sr):
        """sr: {uuid, name, description, type, content_type, device_config} from a manifest.
        -> {uuid, name, introduced, plugged (host names)}."""
        client = self.client
        try:
            ref = client.call("SR.get_by_uuid", sr["uuid"])
        except XenAPIError as exc:
            if exc.code != "UUID_INVALID":
                raise
            ref = None
        view = {"uuid": sr["uuid"], "name": sr["name"], "introduced": ref is None, "plugged": []}
        if ref is None:
            self._probe(sr)
            self.changed = True
            if self.check_mode:
                return view
            ref = client.call("SR.introduce", sr["uuid"], sr["name"], sr.get("description", ""), sr["type"],
                              sr["content_type"], True, {})
            for host in client.call("host.get_all"):
                client.call("PBD.create", {"host": host, "SR": ref, "device_config": sr["device_config"],
                                           "other_config": {}})
        pbd_refs = client.call("SR.get_PBDs", ref)
        pbds = Related(client, "PBD").load(pbd_refs)  # one call for many hosts
        for pbd_ref in pbd_refs:
            pbd = pbds.get(pbd_ref)
            if pbd["currently_attached"]:
                continue
            view["plugged"].append(client.call("host.get_name_label", pbd["host"]))
            self.changed = True
            if not self.check_mode:
                client.call("PBD.plug", pbd_ref)
        if view["introduced"]:
            client.call("SR.scan", ref)  # its disks, with the uuids the VMs' metadata names
        return view

    def _probe(self, sr):
        client = self.client
        master = client.call("pool.get_master", client.call("pool.get_all")[0])
        try:
            text = client.call("SR.probe", master, sr["device_config"], sr["type"], {})
        except XenAPIError as exc:
            raise ModuleFailure("storage repository %s (%s): SR.probe of its %s storage %s failed: %s" % (
                sr["name"], sr["uuid"], sr["type"], sr["device_config"], exc.message), xapi_error=exc.to_dict()) from None
        found = probed_uuids(text)
        if sr["uuid"] not in found:
            raise ModuleFailure("storage repository %s (%s) is not on its %s storage %s any more (SR.probe finds %s)" % (
                sr["name"], sr["uuid"], sr["type"], sr["device_config"], ", ".join(found) or "no SR"))
