# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pool_restore: a pool database onto a freshly installed host (PUT /pool/xmldbdump, a dry run
first, then the real one and xapi's restart), or chosen VMs from their metadata into a pool (PUT
/import_metadata), their shared storage attached first (SR.probe, SR.introduce). Every file is
checked against the backup's manifest before anything is sent."""

import os
import time

from ._backup_files import BackupError, check_database, load_manifest, manifests, resolve, stems_of, verified
from ._errors import InputError, XenAPIConnectionError, XenAPIError, XenAPITimeout
from ._module import ModuleFailure
from ._pool_backup import is_guest
from ._sr_attach import SharedStorage
from ._tasks import wait_for_task

EVENT_WAIT = 10.0


class PoolRestore:
    def __init__(self, module):
        self.module = module
        self.params = module.params

    def run(self):
        folder, manifest, database = self._source()
        if self.params["vms"]:
            return self._import_vms(folder, manifest)
        return self._restore_database(folder, manifest, database)

    # ---- the backup --------------------------------------------------------------------------
    def _source(self):
        """(folder, manifest or None, database path), every file checked: nothing is sent from a
        backup that is truncated or corrupt."""
        params = self.params
        try:
            folder, manifest_path, database = resolve(params["src"])
            if params["name"] and os.path.isdir(params["src"]):
                stems = stems_of(folder, params["name"])
                if not stems:
                    raise InputError("name: %s holds no backup named %r (there are: %s)" % (
                        folder, params["name"], ", ".join(stem for stem, dummy in manifests(folder)) or "none"))
                manifest_path = os.path.join(folder, stems[-1] + ".json")
            manifest = load_manifest(manifest_path) if manifest_path else None
            if manifest is not None:
                manifest["path"] = manifest_path
                database = verified(folder, manifest["database"])
            elif params["vms"]:
                raise BackupError("%s is a bare database file; vms needs a backup with its manifest "
                                  "(<name>-<time>.json) and the VMs' metadata files" % database)
            check_database(database)
        except BackupError as exc:
            raise InputError("src: %s" % exc) from None
        return folder, manifest, database

    # ---- the whole database --------------------------------------------------------------------
    def _restore_database(self, folder, manifest, database):
        client = self.module.client
        pool = self._pool(client)
        restored = {"source": manifest["path"] if manifest else database, "database": True, "pool": None,
                    "vms": [], "srs": []}
        if manifest is not None and pool["uuid"] == manifest["pool"]["uuid"] and not self.params["force"]:
            # restored already (a second run): only what is still detached is attached; going back to the
            # backup's state on the same pool is what force is for
            restored["pool"] = {"uuid": pool["uuid"], "name": pool["name_label"]}
            return self._finish(client, manifest, restored, changed=False)
        own = self._check_target(client)
        diff = {"before": {"pool": pool["name_label"] or pool["uuid"], "vms": own},
                "after": {"pool": manifest["pool"]["name"] if manifest else "(the backup's)",
                          "vms": sorted(g["name"] for g in manifest["guests"]) if manifest else "(the backup's)"}}
        self._put_database(client, database, dry_run=True)
        if self.module.check_mode or self.params["dry_run"]:
            restored["pool"] = manifest["pool"] if manifest else None
            restored["vms"] = manifest["guests"] if manifest else []
            return {"changed": not self.params["dry_run"], "restored": restored, "diff": diff,
                    "msg": "xapi's dry run of the restore passed; nothing changed"}
        self._put_database(client, database, dry_run=False)
        pool = self._wait_restored(client, pool["uuid"])
        restored["pool"] = {"uuid": pool["uuid"], "name": pool["name_label"]}
        return dict(self._finish(client, manifest, restored, changed=True), diff=diff)

    @staticmethod
    def _pool(client):
        return next(iter(client.call("pool.get_all_records").values()))

    def _check_target(self, client):
        """A database goes onto a standalone host; one that runs VMs of its own needs force."""
        hosts = client.call("host.get_all_records")
        url = client.url
        if len(hosts) > 1:
            raise ModuleFailure("hostname: %s is the master of a pool of %d hosts; restore the database onto a "
                                "freshly installed standalone host" % (url, len(hosts)))
        own = sorted(vm["name_label"] for vm in client.call("VM.get_all_records").values() if is_guest(vm))
        if own and not self.params["force"]:
            raise ModuleFailure("hostname: %s has %d VMs of its own (%s); restoring the database replaces them all: "
                                "set force: true if that is wanted" % (url, len(own), ", ".join(own[:10])))
        return own

    def _put_database(self, client, database, dry_run):
        with open(database, "rb") as handle:
            body = handle.read()
        task = client.call("task.create", "pool_restore", "restore of the pool database (dry run)" if dry_run
                           else "restore of the pool database")
        response = client.http_request("PUT", "/pool/xmldbdump",
                                       {"dry_run": "true" if dry_run else "false", "task_id": task},
                                       timeout=max(client.timeout, 300), data=body)
        if response.status_code == 200 and not dry_run:
            return  # xapi restarts now, with the task's database gone
        operation = "the restore%s of %s onto %s" % (" (dry run)" if dry_run else "", database, client.url)
        try:
            wait_for_task(client, task, client.timeout, operation)
        except XenAPIError as exc:
            raise ModuleFailure("src: %s" % exc.message, xapi_error=exc.to_dict()) from None
        if response.status_code != 200:
            raise XenAPIConnectionError("%s answered HTTP %d to %s: %s" % (client.url, response.status_code, operation,
                                                                           client.page_text(response)))

    def _wait_restored(self, client, old_uuid):
        """xapi restarts with the restored database: until the host answers again with another pool.
        While it is down, calls are refused (the client retries them) and the sessions are gone (the
        client logs in again)."""
        deadline = time.monotonic() + self.params["timeout"]
        token = ""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise XenAPITimeout("%s did not come back with the restored database within %d seconds"
                                    % (client.url, self.params["timeout"]))
            try:
                pool = self._pool(client)
                if pool["uuid"] != old_uuid:
                    return pool
                wait = min(remaining, EVENT_WAIT)
                token = client.call("event.from", ["pool"], token, wait, timeout=wait + client.timeout)["token"]
            except XenAPIConnectionError:
                token = ""  # down for its restart: ask again (the client waited for it)
            except XenAPIError as exc:
                if exc.code not in ("SESSION_INVALID", "HOST_STILL_BOOTING", "EVENTS_LOST"):
                    raise
                token = ""

    def _finish(self, client, manifest, restored, changed):
        """After a restore: the backup's shared storage attached, its VMs listed with the power state
        they had (a playbook starts the ones that ran)."""
        storage = SharedStorage(client, self.module.check_mode)
        if manifest is not None:
            restored["srs"] = [storage.attach(sr) for sr in manifest["srs"]]
            present = {vm["uuid"] for vm in client.call("VM.get_all_records").values()}
            restored["vms"] = [dict(guest, present=guest["uuid"] in present) for guest in manifest["guests"]]
        changed = changed or storage.changed
        return {"changed": changed, "restored": restored}

    # ---- chosen VMs from their metadata --------------------------------------------------------
    def _import_vms(self, folder, manifest):
        entries = self._chosen(manifest)
        try:
            files = {entry["uuid"]: verified(folder, entry) for entry in entries}
        except BackupError as exc:
            raise InputError("src: %s" % exc) from None
        client = self.module.client
        storage = SharedStorage(client, self.module.check_mode)
        by_uuid = {sr["uuid"]: sr for sr in manifest["srs"]}
        restored = {"source": manifest["path"], "database": False, "pool": None, "vms": [], "srs": []}
        existing = {vm["uuid"] for vm in client.call("VM.get_all_records").values()}
        wanted = [entry for entry in entries if entry["uuid"] not in existing]
        for sr_uuid in sorted({disk["sr"] for entry in wanted for disk in entry["disks"]}):
            if sr_uuid not in by_uuid:
                raise ModuleFailure("src: the backup does not say how to attach storage repository %s (not shared when "
                                    "it was backed up)" % sr_uuid)
            restored["srs"].append(storage.attach(by_uuid[sr_uuid]))
        for entry in entries:
            vm = {"uuid": entry["uuid"], "name": entry["name"], "power_state": entry["power_state"],
                  "created": entry in wanted}
            if entry in wanted:
                self._put_metadata(client, files[entry["uuid"]], entry)
            restored["vms"].append(vm)
        pool = self._pool(client)
        restored["pool"] = {"uuid": pool["uuid"], "name": pool["name_label"]}
        return {"changed": bool(wanted) or storage.changed, "restored": restored}

    def _chosen(self, manifest):
        known = {entry["uuid"]: entry for entry in manifest["vms"]}
        named = {}
        for entry in manifest["vms"]:
            named.setdefault(entry["name"], []).append(entry)
        chosen = []
        for wanted in self.params["vms"]:
            if wanted in known:
                chosen.append(known[wanted])
            elif len(named.get(wanted, [])) == 1:
                chosen.append(named[wanted][0])
            elif wanted in named:
                raise InputError("vms: %d VMs of the backup are named %r; give the uuid (%s)" % (
                    len(named[wanted]), wanted, ", ".join(e["uuid"] for e in named[wanted])))
            else:
                raise InputError("vms: %r is not in the backup %s, which has the metadata of: %s" % (
                    wanted, manifest["path"], ", ".join(sorted(named)) or "no VM"))
        return chosen

    def _put_metadata(self, client, path, entry):
        if self.module.check_mode:
            return
        with open(path, "rb") as handle:
            body = handle.read()
        task = client.call("task.create", "pool_restore", "import of the metadata of VM %s" % entry["name"])
        params = {"task_id": task, "restore": "true", "force": "false", "dry_run": str(self.params["dry_run"]).lower()}
        response = client.http_request("PUT", "/import_metadata", params, timeout=max(client.timeout, 300), data=body)
        try:
            wait_for_task(client, task, client.timeout, "the import of VM %s from %s" % (entry["name"], path))
        except XenAPIError as exc:
            raise ModuleFailure("vms: %s" % exc.message, xapi_error=exc.to_dict()) from None
        if response.status_code != 200:
            raise XenAPIConnectionError("%s answered HTTP %d to the import of VM %s: %s" % (
                client.url, response.status_code, entry["name"], client.page_text(response)))
