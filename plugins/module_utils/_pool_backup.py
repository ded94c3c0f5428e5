# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pool_backup: the pool database (GET /pool/xmldbdump) and chosen VMs' metadata (GET
/export_metadata) downloaded to files on the controller, with a manifest and a retention count."""

import datetime
import os

from ._backup_files import (CHUNK, FORMAT, KIND, BackupError, beyond, check_database, file_name, files_of, new_stem,
                            stems_of, write_chunks, write_manifest)
from ._errors import InputError, XenAPIConnectionError
from ._lookup import resolve
from ._module import ModuleFailure
from ._records import Related

SECRET_WORDS = ("password", "secret")


def is_guest(vm):
    return not (vm["is_a_template"] or vm["is_a_snapshot"] or vm["is_control_domain"])


def public_config(device_config):
    """An SR's device_config without its passwords (xapi keeps those in secrets anyway)."""
    return {k: v for k, v in device_config.items() if not any(word in k.lower() for word in SECRET_WORDS)}


class PoolBackup:
    def __init__(self, module):
        self.module = module
        self.params = module.params

    def run(self):
        params = self.params
        if params["keep"] < 0:
            raise InputError("keep: %d is not a count of backups; give 0 (keep all) or more" % params["keep"])
        dest = params["dest"]
        if os.path.exists(dest) and not os.path.isdir(dest):
            raise InputError("dest: %s is not a folder" % dest)
        client = self.module.client
        pool = next(iter(client.call("pool.get_all_records").values()))
        master = client.call("host.get_record", pool["master"])
        name = file_name(params["name"] or pool["name_label"] or master["name_label"])
        vms = client.call("VM.get_all_records")
        chosen = [resolve(client, "VM", wanted, keep=is_guest, option="vms") for wanted in params["vms"]]
        existing = stems_of(dest, name)
        stem = new_stem(dest, name, datetime.datetime.now(datetime.timezone.utc))
        doomed = beyond(existing + [stem], params["keep"])
        result = {"changed": True, "diff": {"before": {"backups": existing},
                                            "after": {"backups": [s for s in existing + [stem] if s not in doomed]}}}
        if self.module.check_mode:
            result["backup"] = {"path": os.path.join(dest, stem + ".db"), "manifest": os.path.join(dest, stem + ".json"),
                                "pool": pool["name_label"],
                                "vms": [{"name": vm["name_label"], "uuid": vm["uuid"]} for dummy, vm in chosen]}
            result["removed"] = [os.path.join(dest, s + ".json") for s in doomed]
            return result
        if not os.path.isdir(dest):
            try:
                os.makedirs(dest, mode=0o700)
            except (OSError, ValueError) as exc:  # no permission, a file on the way, a name too long, a NUL
                raise InputError("dest: %r cannot be made a folder: %s" % (dest, exc)) from None
        manifest = {"kind": KIND, "format": FORMAT, "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                    "pool": {"uuid": pool["uuid"], "name": pool["name_label"],
                             "master": {"uuid": master["uuid"], "name": master["name_label"],
                                        "address": master["address"]}},
                    "database": self._database(client, dest, stem),
                    "guests": sorted(({"uuid": vm["uuid"], "name": vm["name_label"],
                                       "power_state": vm["power_state"].lower()}
                                      for vm in vms.values() if is_guest(vm)), key=lambda g: g["name"]),
                    "srs": self._shared_srs(client),
                    "vms": [self._metadata(client, dest, stem, vm) for dummy, vm in chosen]}
        write_manifest(os.path.join(dest, stem + ".json"), manifest)
        removed = []
        for old in doomed:
            for path in files_of(dest, old):
                os.remove(path)
                removed.append(path)
        database = manifest["database"]
        result["backup"] = {"path": os.path.join(dest, database["file"]), "manifest": os.path.join(dest, stem + ".json"),
                            "size": database["size"], "sha256": database["sha256"], "created": manifest["created"],
                            "pool": pool["name_label"],
                            "vms": [{"name": entry["name"], "uuid": entry["uuid"], "path": os.path.join(dest, entry["file"]),
                                     "size": entry["size"], "sha256": entry["sha256"]} for entry in manifest["vms"]]}
        result["removed"] = removed
        return result

    def _download(self, client, path, what, params=None):
        response = client.http_get(path, params, stream=True)
        try:
            if response.status_code != 200:
                raise XenAPIConnectionError("%s answered HTTP %d to GET %s (%s): %s"
                                            % (client.url, response.status_code, path, what, client.page_text(response)))
            return response.iter_content(CHUNK)
        except BaseException:
            response.close()
            raise

    def _database(self, client, dest, stem):
        target = os.path.join(dest, stem + ".db")
        size, digest = write_chunks(target, self._download(client, "/pool/xmldbdump", "the pool database"))
        try:
            check_database(target)
        except BackupError as exc:
            os.remove(target)
            raise ModuleFailure("the pool database from %s did not arrive whole: %s" % (client.url, exc)) from None
        return {"file": os.path.basename(target), "size": size, "sha256": digest}

    def _metadata(self, client, dest, stem, vm):
        target = os.path.join(dest, "%s.vm-%s.xva" % (stem, vm["uuid"]))
        size, digest = write_chunks(target, self._download(
            client, "/export_metadata", "the metadata of VM %s" % vm["name_label"],
            {"uuid": vm["uuid"], "export_snapshots": "false"}))
        vbds = Related(client, "VBD").load(vm["VBDs"])
        disks = [vbds.get(ref)["VDI"] for ref in vm["VBDs"] if vbds.get(ref)["type"] == "Disk"]
        vdis = Related(client, "VDI").load(disks)
        srs = Related(client, "SR").load([vdis.get(ref)["SR"] for ref in disks if vdis.get(ref)])
        return {"uuid": vm["uuid"], "name": vm["name_label"], "power_state": vm["power_state"].lower(),
                "file": os.path.basename(target), "size": size, "sha256": digest,
                "disks": [{"vdi": vdis.get(ref)["uuid"], "name": vdis.get(ref)["name_label"],
                           "sr": srs.get(vdis.get(ref)["SR"])["uuid"]} for ref in disks if vdis.get(ref)]}

    @staticmethod
    def _shared_srs(client):
        """The pool's shared SRs with what it takes to attach them again (SR.probe / SR.introduce)."""
        srs = []
        pbds = client.call("PBD.get_all_records")
        for ref, sr in client.call("SR.get_all_records").items():
            if not sr["shared"] or sr.get("is_tools_sr"):
                continue  # local storage goes with the host; the tools ISOs come with every install
            config = next((pbd["device_config"] for pbd in pbds.values() if pbd["SR"] == ref), {})
            srs.append({"uuid": sr["uuid"], "name": sr["name_label"], "description": sr["name_description"],
                        "type": sr["type"], "content_type": sr["content_type"], "shared": True,
                        "device_config": public_config(config)})
        return sorted(srs, key=lambda s: s["name"])
