"""The NFS servers of the world: exports keyed by (server, serverpath), each holding SR folders
(named by SR uuid, as NFSSR keeps them under the export) and their VDIs.

An SR made by SR.create type nfs lives here with its VDIs (uuid, name, size, location, the
content the simulator keeps for the disk), so it outlives the pool that made it: a host wiped
by hardware failure leaves its NFS data behind, and SR.probe, SR.introduce, PBD.plug and SR.scan
find it again. The VDI's content dict is shared with every pool that has the SR attached, as
shared storage is. Pools keep it in step through a follower (handlers/nfs_sr.py).
"""

import posixpath
import threading

# what the SR folder keeps of a VDI (the rest is xapi's database)
VDI_FIELDS = ("uuid", "name_label", "name_description", "virtual_size", "physical_utilisation", "type", "sharable",
              "read_only", "location", "sm_config", "managed", "on_boot", "allow_caching")


def export_key(server, serverpath):
    """(server, normalised path): /export/vms/ and /export//vms are one export."""
    path = posixpath.normpath("/" + str(serverpath).strip().strip("/")) if str(serverpath).strip() else "/"
    return str(server).strip(), path


class NfsStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.exports = {}  # (server, path) -> {sr uuid: {vdi uuid: {"fields": {...}, "data": dict}}}
        self.where = {}  # sr uuid -> (server, path)

    # ---- exports and SR folders ----------------------------------------------------------------
    def has_export(self, server, serverpath):
        with self.lock:
            return export_key(server, serverpath) in self.exports

    def create_sr(self, server, serverpath, sr_uuid):
        """NFSSR.create: the export (made on demand: the simulated servers export any path) and
        the SR's folder."""
        key = export_key(server, serverpath)
        with self.lock:
            self.exports.setdefault(key, {}).setdefault(sr_uuid, {})
            self.where[sr_uuid] = key

    def remove_sr(self, sr_uuid):
        """SR.destroy: the folder and its disks go; the export stays."""
        with self.lock:
            key = self.where.pop(sr_uuid, None)
            if key is not None:
                self.exports.get(key, {}).pop(sr_uuid, None)

    def srs_at(self, server, serverpath):
        with self.lock:
            return sorted(self.exports.get(export_key(server, serverpath), {}))

    def has_sr(self, server, serverpath, sr_uuid):
        with self.lock:
            return self.where.get(sr_uuid) == export_key(server, serverpath)

    def holds(self, sr_uuid):
        with self.lock:
            return sr_uuid in self.where

    # ---- disks ---------------------------------------------------------------------------------
    def _folder(self, sr_uuid):
        key = self.where.get(sr_uuid)
        return None if key is None else self.exports[key][sr_uuid]

    def write_vdi(self, sr_uuid, record, data):
        with self.lock:
            folder = self._folder(sr_uuid)
            if folder is not None:
                folder[record["uuid"]] = {"fields": {name: record[name] for name in VDI_FIELDS}, "data": data}

    def remove_vdi(self, sr_uuid, vdi_uuid):
        with self.lock:
            folder = self._folder(sr_uuid)
            if folder is not None:
                folder.pop(vdi_uuid, None)

    def vdis(self, sr_uuid):
        """vdi uuid -> (fields, shared content dict) of the SR's folder ({} when there is none)."""
        with self.lock:
            folder = self._folder(sr_uuid) or {}
            return {uuid: (dict(entry["fields"]), entry["data"]) for uuid, entry in folder.items()}

    def data_of(self, sr_uuid, vdi_uuid):
        with self.lock:
            entry = (self._folder(sr_uuid) or {}).get(vdi_uuid)
            return None if entry is None else entry["data"]

    def describe(self):
        """For the control API: export -> SR uuid -> VDIs (uuid, name, size, content length)."""
        with self.lock:
            return [{"server": server, "serverpath": path,
                     "srs": {sr: [{"uuid": uuid, "name_label": entry["fields"]["name_label"],
                                   "virtual_size": entry["fields"]["virtual_size"],
                                   "content_bytes": len(entry["data"].get("content", b""))}
                                  for uuid, entry in sorted(folder.items())]
                             for sr, folder in sorted(srs.items())}}
                    for (server, path), srs in sorted(self.exports.items())]
