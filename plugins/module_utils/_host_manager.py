# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One host: names and tags, service settings (_host_settings), enable/disable with evacuation,
reboot and shutdown (waited on)."""

import time

from . import _host_settings
from ._diff import Differences
from ._errors import InputError, XenAPIConnectionError, XenAPIError, XenAPITimeout
from ._lookup import find
from ._migration_errors import MigrationError
from ._tasks import run_async

# why a VM cannot leave, from host.get_vms_which_prevent_evacuation's codes
REASONS = {
    "VM_REQUIRES_SR": "its disks are on an SR the other hosts cannot reach",
    "VM_REQUIRES_NETWORK": "its network is not on the other hosts",
    "HOST_NOT_ENOUGH_FREE_MEMORY": "no other host has enough free memory",
    "NO_HOSTS_AVAILABLE": "no other host is enabled and live",
    "HOST_EVACUATE_VM_NOT_HA_PROTECTED": "HA does not protect it",
    "VM_IS_IMMOBILE": "it may not move",
    "VM_LACKS_FEATURE": "it has no PV drivers",
}


class HostManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.diff = Differences()
        self.calls = []  # (method, *args), or a function of the client
        self.stuck = []  # VMs that cannot leave and are shut down first (shutdown_stuck_vms)

    def run(self):
        client = self.module.client
        params = self.params
        ref, host = find(client, "host", name=params["name"], uuid=params["uuid"], option=None if params["uuid"] else "name")
        self._simple("name", host["name_label"], params["name_label"], "host.set_name_label", ref)
        self._simple("description", host["name_description"], params["description"], "host.set_name_description", ref)
        self._simple("host_name", host["hostname"], params["host_name"], "host.set_hostname_live", ref)
        for key, value in sorted(_host_settings.string_map("other_config", params["other_config"]).items()):
            if self.diff.compare("other_config.%s" % key, host["other_config"].get(key), value):
                if key in host["other_config"]:
                    self.calls.append(("host.remove_from_other_config", ref, key))
                self.calls.append(("host.add_to_other_config", ref, key, value))
        if params["tags"] is not None and set(params["tags"]) != set(host["tags"]):
            self.diff.add("tags", sorted(host["tags"]), sorted(set(params["tags"])))
            self.calls += [("host.add_tags", ref, t) for t in sorted(set(params["tags"]) - set(host["tags"]))]
            self.calls += [("host.remove_tags", ref, t) for t in sorted(set(host["tags"]) - set(params["tags"]))]
        self.calls += _host_settings.HostSettings(client, ref, host, self.diff).plan(params)
        live = client.call("host_metrics.get_live", host["metrics"])
        power = params["power"]
        if power == "shutdown" and not live:
            power = None
        disable = live and host["enabled"] and (params["enabled"] is False or power is not None)
        if params["enabled"] is not None and params["enabled"] != host["enabled"] and power is None:
            self.diff.add("enabled", host["enabled"], params["enabled"])
        # enabled=false alone only disables: running VMs stay; evacuate (or a power change) moves them first
        evacuate = live and (power is not None or (params["enabled"] is False and params["evacuate"])) \
            and bool(self.guests(client, host))
        if evacuate:
            self.check_evacuation(client, ref, host)
            self.diff.add("evacuated", False, True)
        if power is not None:
            self.diff.add("power", "running" if live else "off", power)
        changed = self.diff.changed
        if changed and not self.module.check_mode:
            for call in self.calls:
                if callable(call):
                    call(client)
                else:
                    client.call(call[0], *call[1:])
            self.drain_and_power(client, ref, host, disable, evacuate, power)
        return {"changed": changed, "host": self._view(self.module.client, ref), "diff": self.diff.diff()}

    def _simple(self, key, current, desired, method, ref):
        if self.diff.compare(key, current, desired):
            self.calls.append((method, ref, desired))

    @staticmethod
    def guests(client, host):
        """The VMs running on the host, its control domain aside."""
        return [vm for vm in host["resident_VMs"] if not client.call("VM.get_is_control_domain", vm)]

    def check_evacuation(self, client, ref, host):
        """Before any change: the VMs that cannot leave the host, by name and why."""
        blocking = client.call("host.get_vms_which_prevent_evacuation", ref)
        if blocking and self.params["shutdown_stuck_vms"]:
            self.stuck = sorted(blocking, key=lambda vm: client.call("VM.get_name_label", vm))
            self.diff.add("shut_down", [], [client.call("VM.get_name_label", vm) for vm in self.stuck])
        elif blocking:
            names = sorted("%s (%s: %s)" % (client.call("VM.get_name_label", vm), reason[0], REASONS.get(reason[0], "see xapi"))
                           for vm, reason in blocking.items())
            raise InputError("evacuate: these VMs cannot leave %s, nothing was changed: %s; set shutdown_stuck_vms: true "
                             "to shut them down instead" % (host["name_label"], "; ".join(names)))

    @staticmethod
    def _evacuation_failed(client, ref, host, error):
        """A VM's migration broke off the evacuation: say which VM (xapi names it by uuid) and
        what is left on the host, which stays disabled."""
        if error.code != "VM_MIGRATE_FAILED" or not error.params:
            return error
        try:
            vm = client.call("VM.get_name_label", client.call("VM.get_by_uuid", error.params[0]))
        except XenAPIError:
            vm = error.params[0]
        left = [client.call("VM.get_name_label", r) for r in HostManager.guests(client, client.call("host.get_record", ref))]
        reason = error.params[3] if len(error.params) > 3 else "no reason given"
        return MigrationError(error, "evacuation of %s stopped: the migration of %s failed (%s); still on it, and it "
                                     "stays disabled: %s" % (host["name_label"], vm, reason, ", ".join(sorted(left)) or "no VM"))

    def drain_and_power(self, client, ref, host, disable, evacuate, power):
        timeout = self.params["timeout"]
        if disable:
            client.call("host.disable", ref)
        for vm in self.stuck:
            name = client.call("VM.get_name_label", vm)
            try:
                run_async(client, "VM.clean_shutdown", vm, timeout=timeout, operation="shutdown of %s" % name)
            except XenAPIError:  # no PV drivers, or the guest ignored it
                run_async(client, "VM.hard_shutdown", vm, timeout=timeout, operation="hard shutdown of %s" % name)
        if evacuate:
            try:
                run_async(client, "host.evacuate", ref, timeout=timeout, operation="evacuation of %s" % host["name_label"])
            except XenAPIError as exc:
                raise self._evacuation_failed(client, ref, host, exc) from None
        if power is None:
            if self.params["enabled"] is True and not host["enabled"]:
                client.call("host.enable", ref)
            return
        client.call("host.reboot" if power == "rebooted" else "host.shutdown", ref)
        self._wait_power(ref, host, power)

    def _wait_power(self, ref, host, power):
        """Until the host is down (shutdown) or back up and enabled (reboot), with event.from.
        A rebooting master refuses connections (the client retries them until its own deadline)
        and forgets its sessions (the client logs in again)."""
        client = self.module.client
        deadline = time.monotonic() + self.params["timeout"]
        watched = ["host/%s" % ref, "host_metrics/%s" % host["metrics"]]
        token = ""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise XenAPITimeout("host %s did not %s within %d seconds" % (
                    host["name_label"], "come back" if power == "rebooted" else "shut down", self.params["timeout"]))
            try:
                if self._arrived(client, ref, host, power):
                    return
                batch = client.call("event.from", watched, token, min(remaining, 10.0),
                                    timeout=min(remaining, 10.0) + client.timeout)
                token = batch["token"]
            except XenAPIConnectionError:
                token = ""  # the master is down for its reboot: ask again

    @staticmethod
    def _arrived(client, ref, host, power):
        live = client.call("host_metrics.get_live", host["metrics"])
        if power == "shutdown":
            return not live
        return live and client.call("host.get_enabled", ref) and not client.call("host.get_current_operations", ref)

    def _view(self, client, ref):
        try:
            host = client.call("host.get_record", ref)
        except XenAPIError:
            return None
        view = {"uuid": host["uuid"], "name": host["name_label"], "description": host["name_description"],
                "hostname": host["hostname"], "address": host["address"], "enabled": host["enabled"],
                "other_config": host["other_config"], "tags": host["tags"],
                "resident_vms": len(host["resident_VMs"]) - 1}
        view.update(_host_settings.view(client, ref, host))
        return view
