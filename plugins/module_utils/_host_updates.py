# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One host's updates from the pool's update repository (XenServer 8, XCP-ng 8.3):
pool.sync_updates, the list of what the host lacks (HTTP GET /updates, as XenCenter reads it),
host.apply_updates with that list's hash, then what the updates' guidance asks for: a reboot
(disabling and evacuating first, with the host module's HostManager) or a toolstack restart.

xapi applies every pending update of the host at once; a list of names says which updates must
be there, so the host is updated when one of them is pending."""

import datetime
import json
import re

from ._diff import Differences
from ._errors import InputError, XenAPIConnectionError, XenAPIError
from ._host_manager import HostManager
from ._lookup import LookupFailed, resolve
from ._module import ModuleFailure
from ._tasks import run_async

REBOOT_GUIDANCES = ("reboot_host", "reboot_host_on_livepatch_failure", "reboot_host_on_kernel_livepatch_failure",
                    "reboot_host_on_xen_livepatch_failure")
# updateinfo's guidance -> host.pending_guidances' names
PENDING_NAMES = {"RebootHost": "reboot_host", "RestartToolstack": "restart_toolstack", "EvacuateHost": "evacuate_host",
                 "RestartDeviceModel": "restart_device_model", "RestartVM": "restart_vm"}
# what the update calls fail with, in words; {host} is the host's name
MESSAGES = {
    "NO_REPOSITORY_ENABLED": "the pool has no update repository enabled: configure its repositories first "
                             "(XenCenter, or pool.set_repositories)",
    "MULTIPLE_UPDATE_REPOSITORIES_ENABLED": "the pool has more than one update repository enabled: enable one",
    "REPOSYNC_FAILED": "the pool could not sync with its update repositories: check their URLs, the repository proxy "
                       "and the pool master's network",
    "UPDATEINFO_HASH_MISMATCH": "the pool synced newer updates while the module ran: run it again",
    "SYNC_UPDATES_IN_PROGRESS": "the pool is syncing its updates already: run again once that ends",
    "APPLY_UPDATES_IN_PROGRESS": "updates are being applied to another host of the pool (one host at a time): "
                                 "run again once that ends",
    "CONFIGURE_REPOSITORIES_IN_PROGRESS": "the pool's repositories are being configured: run again once that ends",
    "HA_IS_ENABLED": "HA is enabled on the pool, and xapi applies updates only with HA disabled: disable it first",
    "HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY": "{host} waits for a reboot or toolstack restart from earlier updates",
    "HOST_EVACUATION_IS_REQUIRED": "the updates of {host} need it evacuated, and VMs still run there",
    "GET_HOST_UPDATES_FAILED": "{host} did not answer which updates it lacks: is it up?",
    "GET_UPDATES_FAILED": "the pool could not list its updates",
    "APPLY_UPDATES_FAILED": "applying the updates failed on {host} (see its /var/log/yum.log)",
}


def parse_datetime(text):
    """xapi's datetime (20240912T10:00:00Z, XML-RPC or JSON) -> aware datetime."""
    cleaned = re.sub(r"[-:Z]", "", str(text)).split(".")[0]
    return datetime.datetime.strptime(cleaned, "%Y%m%dT%H%M%S").replace(tzinfo=datetime.timezone.utc)


class _HostOptions:
    """What HostManager reads of its module: the client, its timeout, no `enabled` wish."""

    def __init__(self, module):
        self.module = module
        self.params = {"timeout": module.params["timeout"], "enabled": None,
                       "shutdown_stuck_vms": module.params["shutdown_stuck_vms"]}
        self.check_mode = module.check_mode

    @property
    def client(self):
        return self.module.client


class HostUpdates:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = None
        self.ref = None
        self.host = None
        self.name = None
        self.hosts = HostManager(_HostOptions(module))
        self.synced = False

    # ---- the run -----------------------------------------------------------------------------
    def run(self):
        params = self.params
        wanted = list(params["updates"] or ["all"])
        if "all" in wanted and len(wanted) > 1:
            raise InputError("updates: 'all' cannot be combined with update names (%s)" % ", ".join(w for w in wanted if w != "all"))
        self.client = client = self.module.client
        try:
            self.ref, self.host = resolve(client, "host", params["host"])
        except LookupFailed as exc:
            raise InputError("host: %s" % exc) from None
        self.name = self.host["name_label"]
        pool = client.call("pool.get_all")[0]
        pool_record = client.call("pool.get_record", pool)
        repository = self._update_repository(pool_record)
        if self._sync_due(pool_record, repository):
            if not self.module.check_mode:
                self._sync(pool)
            elif repository["hash"] == "":
                return self._unknown()
            else:
                self.module.ansible.warn("check mode does not sync: the updates listed are those of the pool's last "
                                         "sync (%s)" % pool_record["last_update_sync"])
        listing = self._listing([self.ref])
        if wanted != ["all"]:
            listing = self._check_names(pool, wanted, listing)
        entry = listing["hosts"][0]
        pending = list(entry["updates"])
        needed = bool(pending) if wanted == ["all"] else any(name in pending for name in wanted)
        coming = [PENDING_NAMES.get(g, g) for g in entry["guidance"]["mandatory"]] if needed else []
        waiting = list(self.host["pending_guidances"])
        guidances = sorted(set(waiting + [g for g in coming if g != "evacuate_host"]))
        reboot_required = any(g in REBOOT_GUIDANCES for g in guidances)
        reboot = reboot_required and self.params["reboot"] == "auto"
        toolstack = "restart_toolstack" in guidances and not reboot_required
        diff = Differences()
        if needed:
            diff.add("updates", pending, [])
        if reboot:
            diff.add("rebooted", False, True)
        elif toolstack:
            diff.add("toolstack_restarted", False, True)
        result = {"changed": diff.changed, "applied": pending if needed else [], "reboot_required": reboot_required,
                  "rebooted": reboot, "guidances": guidances, "diff": diff.diff()}
        if not diff.changed:
            return dict(result, host=self._view(pending))
        evacuate = reboot or "reboot_host" in coming or "evacuate_host" in coming
        self._preflight(pool_record, needed, evacuate, waiting)
        if self.hosts.stuck:
            diff.add("shut_down", [], self.hosts.diff.after["shut_down"])
            result["diff"] = diff.diff()
        if self.module.check_mode:
            return dict(result, host=self._view(pending))
        guidances = self._change(needed, reboot, evacuate, waiting, listing["hash"])
        return dict(result, guidances=guidances, host=self._view(self._listing([self.ref])["hosts"][0]["updates"]))

    # ---- reading -----------------------------------------------------------------------------
    def _update_repository(self, pool_record):
        found = []
        for ref in pool_record["repositories"]:
            record = self.client.call("Repository.get_record", ref)
            if record["update"]:
                found.append(record)
        if len(found) != 1:
            raise ModuleFailure(MESSAGES["NO_REPOSITORY_ENABLED" if not found else "MULTIPLE_UPDATE_REPOSITORIES_ENABLED"])
        return found[0]

    def _sync_due(self, pool_record, repository):
        """Never synced, or longer ago than sync_max_age seconds by the master's clock."""
        if repository["hash"] == "":
            return True
        master_time = parse_datetime(self.client.call("host.get_servertime", pool_record["master"]))
        age = (master_time - parse_datetime(pool_record["last_update_sync"])).total_seconds()
        return age >= self.params["sync_max_age"]

    def _sync(self, pool):
        self._call(run_async, self.client, "pool.sync_updates", pool, False, "", "", timeout=self.params["timeout"],
                   operation="pool.sync_updates")
        self.synced = True

    def _listing(self, host_refs=None):
        """GET /updates (the master's list of what the hosts lack, from its last sync), with the
        client's session; one new login when the session expired (HTTP 401)."""
        client = self.client
        query = {"host_refs": ";".join(host_refs)} if host_refs else {}
        response = client.http_get("/updates", query)
        if response.status_code == 404:
            raise ModuleFailure(MESSAGES["NO_REPOSITORY_ENABLED"])
        if response.status_code != 200:
            raise XenAPIConnectionError("%s answered HTTP %d to GET /updates: %s"
                                        % (client.url, response.status_code, client.page_text(response)))
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise XenAPIConnectionError("%s answered something that is not JSON to GET /updates" % client.url) from exc

    def _check_names(self, pool, wanted, listing):
        """A name this host lacks is wanted; one another host lacks is here already. A name no host
        lacks, while this one lacks others, is unknown: a sync first (not in check mode), then an error."""
        pending = set(listing["hosts"][0]["updates"])
        if not pending:
            return listing  # the host has every update of the repository
        for attempt in (1, 2):
            known = pending | {u["id"] for u in self._listing()["updates"]}
            unknown = [name for name in wanted if name not in known]
            if not unknown:
                return listing
            if attempt == 2 or self.synced or self.module.check_mode:
                break
            self._sync(pool)
            listing = self._listing([self.ref])
            pending = set(listing["hosts"][0]["updates"])
        raise InputError("updates: %s %s not pending on any host of the pool, while %s lacks %s (already applied "
                         "everywhere, or not in the pool's update repository)"
                         % (", ".join(repr(n) for n in unknown), "is" if len(unknown) == 1 else "are", self.name,
                            ", ".join(sorted(pending))))

    def _preflight(self, pool_record, needed, evacuate, waiting):
        """Before any change (and in check mode): the host is up, HA is off, no reboot from earlier
        updates stands in the way, its VMs can leave."""
        client = self.client
        if not client.call("host_metrics.get_live", self.host["metrics"]):
            raise ModuleFailure("host: %s is not running (not live): power it on first" % self.name)
        if needed and pool_record["ha_enabled"]:
            raise ModuleFailure(MESSAGES["HA_IS_ENABLED"])
        if needed and self.params["reboot"] == "never" and any(g in REBOOT_GUIDANCES for g in waiting):
            raise InputError("reboot: %s waits for a reboot from earlier updates (%s) before xapi applies more: reboot "
                             "it first, or use reboot=auto" % (self.name, ", ".join(waiting)))
        if evacuate and self.hosts.guests(client, self.host):
            try:
                self.hosts.check_evacuation(client, self.ref, self.host)
            except InputError as exc:
                raise InputError("host: %s needs to be evacuated for its updates, %s"
                                 % (self.name, str(exc).split(": ", 1)[-1])) from None

    def _unknown(self):
        self.module.ansible.warn("the pool has not synced with its update repository yet and check mode does not sync: "
                                 "which updates %s lacks is not known" % self.name)
        return {"changed": True, "applied": [], "reboot_required": False, "rebooted": False,
                "guidances": list(self.host["pending_guidances"]), "diff": {"before": {}, "after": {}},
                "host": self._view(None)}

    # ---- changing ----------------------------------------------------------------------------
    def _change(self, needed, reboot, evacuate, waiting, update_hash):
        """Disable (and evacuate when a reboot comes or xapi asks for it), settle what earlier
        updates wait for, apply, settle again; the host ends as enabled as it was. -> the
        guidance the applied updates asked for."""
        client, ref = self.client, self.ref
        # disabled only because xapi refuses to enable it while guidance is pending: enabled is what it was
        was_enabled = self.host["enabled"] or bool(waiting)
        coming = []
        evacuate = evacuate and bool(self.hosts.guests(client, self.host))
        self.hosts.drain_and_power(client, ref, self.host, self.host["enabled"], evacuate, None)
        self.hosts.stuck = []  # shut down now: not again before a reboot
        if waiting:
            self._settle(waiting, reboot)
        if needed:
            warnings = self._call(run_async, client, "host.apply_updates", ref, update_hash,
                                  timeout=self.params["timeout"], operation="host.apply_updates")
            for warning in warnings or []:
                self.module.ansible.warn("%s: %s" % (self.name, " ".join(warning)))
            coming = client.call("host.get_pending_guidances", ref)
            self._settle(coming, reboot)
        enabled = client.call("host.get_enabled", ref)
        pending = client.call("host.get_pending_guidances", ref)
        if was_enabled and not enabled and not pending:
            client.call("host.enable", ref)
        elif not was_enabled and enabled:
            client.call("host.disable", ref)  # a reboot or toolstack restart enabled it: as it was
        if pending:
            self.module.ansible.warn("%s stays disabled: xapi enables a host only when no update guidance is pending "
                                     "(%s); reboot it (reboot=auto, or the host module's power=rebooted)"
                                     % (self.name, ", ".join(pending)))
        return sorted(set(waiting + coming))

    def _settle(self, guidances, reboot):
        """A reboot (reboot=auto) or a toolstack restart, waited on until the host is back and enabled."""
        record = self.client.call("host.get_record", self.ref)
        if any(g in REBOOT_GUIDANCES for g in guidances):
            if reboot:
                self._call(self.hosts.drain_and_power, self.client, self.ref, record, False, False, "rebooted")
        elif "restart_toolstack" in guidances:
            # xapi enables the host by itself once its toolstack is back: wait for that as for a reboot
            self.client.call("host.restart_agent", self.ref)
            self._call(self.hosts._wait_power, self.ref, record, "rebooted")

    def _call(self, function, *args, **options):
        try:
            return function(*args, **options)
        except XenAPIError as exc:
            self._fail(exc)
        return None

    def _fail(self, exc):
        message = MESSAGES.get(exc.code)
        if message is None:
            raise exc
        raise ModuleFailure("%s failed: %s" % (exc.method, message.format(host=self.name)), xapi_error=exc.to_dict())

    # ---- the result --------------------------------------------------------------------------
    def _view(self, pending):
        record = self.client.call("host.get_record", self.ref)
        return {"uuid": record["uuid"], "name": record["name_label"], "address": record["address"],
                "enabled": record["enabled"], "software_version": record["software_version"],
                "pending_updates": pending, "pending_guidances": sorted(record["pending_guidances"]),
                "latest_synced_updates_applied": record.get("latest_synced_updates_applied"),
                "last_software_update": record.get("last_software_update")}
