# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pool object: names, default/suspend/crash-dump SRs, other_config, tags, master, HA."""

from ._diff import Differences
from ._errors import InputError, XenAPIError
from ._lookup import LookupFailed, resolve
from ._tasks import run_async

SR_OPTIONS = (("default_sr", "default_SR", "pool.set_default_SR"),
              ("suspend_image_sr", "suspend_image_SR", "pool.set_suspend_image_SR"),
              ("crash_dump_sr", "crash_dump_SR", "pool.set_crash_dump_SR"))


def _string_map(option, value):
    """A dict option as xapi's (string -> string) map: numbers as text, booleans as true/false (xapi
    stores text: an int given as is would differ on every run)."""
    result = {}
    for key, item in value.items():
        if item is None:
            raise InputError("%s.%s: needs a value" % (option, key))
        result[str(key)] = ("true" if item else "false") if isinstance(item, bool) else str(item)
    return result


class PoolSettings:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.diff = Differences()
        self.calls = []  # (method, params), made in this order outside check mode

    def run(self):
        client = self.module.client
        ref, pool = next(iter(client.call("pool.get_all_records").items()))
        params = self.params
        self._simple("name", pool["name_label"], params["name"], "pool.set_name_label", ref)
        self._simple("description", pool["name_description"], params["description"], "pool.set_name_description", ref)
        for option, field, method in SR_OPTIONS:
            if params[option] is not None:
                sr_ref, sr = self._resolve(client, option, "SR", params[option])
                if sr_ref != pool[field]:
                    current = client.call("SR.get_name_label", pool[field]) if pool[field] != "OpaqueRef:NULL" else None
                    self.diff.add(option, current, sr["name_label"])
                    self.calls.append((method, [ref, sr_ref]))
        self._map(ref, pool["other_config"], params["other_config"] or {})
        self._tags(ref, pool["tags"], params["tags"])
        ha_off, ha_on = self._ha(client, ref, pool)
        master_ref = self._master(client, pool, ha_off)
        changed = self.diff.changed
        if changed and not self.module.check_mode:
            self._make(client, self.calls + ha_off)
            if master_ref is not None:
                client = self._designate(client, master_ref)
            self._make(client, ha_on)
        return {"changed": changed, "pool": self._view(self.module.client), "diff": self.diff.diff()}

    def _make(self, client, calls):
        for method, args in calls:
            if method.startswith("Async."):
                run_async(client, method[len("Async."):], *args, timeout=self.params["timeout"],
                          operation="%s on the pool" % method[len("Async."):])
            else:
                client.call(method, *args)

    def _master(self, client, pool, ha_off):
        """The host to designate, or None. xapi refuses a master change while HA is on
        (HA_IS_ENABLED): refused here, before any write, unless this task turns HA off first."""
        if self.params["master"] is None:
            return None
        master_ref, master = self._resolve(client, "master", "host", self.params["master"])
        if master_ref == pool["master"]:
            return None
        if pool["ha_enabled"] and not ha_off:
            raise InputError("master: %s cannot become the pool master while HA is enabled (xapi refuses with HA_IS_ENABLED); "
                             "disable HA first, or in the same task with ha.enabled: false" % master["name_label"])
        self.diff.add("master", client.call("host.get_name_label", pool["master"]), master["name_label"])
        return master_ref

    def _simple(self, key, current, desired, method, ref):
        if desired is not None and desired != current:
            self.diff.add(key, current, desired)
            self.calls.append((method, [ref, desired]))

    def _map(self, ref, current, desired):
        for key, value in sorted(_string_map("other_config", desired).items()):
            if current.get(key) != value:
                self.diff.add("other_config.%s" % key, current.get(key), value)
                if key in current:
                    self.calls.append(("pool.remove_from_other_config", [ref, key]))
                self.calls.append(("pool.add_to_other_config", [ref, key, value]))

    def _tags(self, ref, current, desired):
        if desired is None or set(desired) == set(current):
            return
        self.diff.add("tags", sorted(current), sorted(set(desired)))
        self.calls += [("pool.add_tags", [ref, tag]) for tag in sorted(set(desired) - set(current))]
        self.calls += [("pool.remove_tags", [ref, tag]) for tag in sorted(set(current) - set(desired))]

    def _ha(self, client, ref, pool):
        """-> (calls before a master change: HA off, calls after it: HA on). Every check is made
        here, before any write: a failing enable_ha must not leave the other settings half done."""
        ha = self.params["ha"] or {}
        enabled, tolerate = ha.get("enabled"), ha.get("failures_to_tolerate")
        ha_off, ha_on = [], []
        if tolerate is not None and tolerate < 0:
            raise InputError("ha.failures_to_tolerate: %d is negative (give 0 or more host failures)" % tolerate)
        if enabled and not pool["ha_enabled"]:
            srs = self._heartbeat_srs(client, ha.get("heartbeat_srs"))
            self.diff.add("ha", {"enabled": False}, {"enabled": True, "heartbeat_srs": ha["heartbeat_srs"]})
            ha_on.append(("Async.pool.enable_ha", [srs, {}]))
        elif enabled is False and pool["ha_enabled"]:
            self.diff.add("ha", {"enabled": True}, {"enabled": False})
            ha_off.append(("Async.pool.disable_ha", []))
        if tolerate is not None and tolerate != pool["ha_host_failures_to_tolerate"]:
            self.diff.add("ha.failures_to_tolerate", pool["ha_host_failures_to_tolerate"], tolerate)
            call = ("pool.set_ha_host_failures_to_tolerate", [ref, tolerate])
            # with HA off, xapi takes any number (there is no plan to keep): set it before enabling, after disabling;
            # with HA staying on, xapi checks the failover plan: first of all, so a refusal leaves the rest as it was
            if enabled is False:
                ha_off.append(call)
            elif pool["ha_enabled"]:
                self.calls.insert(0, call)
            else:
                ha_on.insert(0, call)
        return ha_off, ha_on

    def _heartbeat_srs(self, client, names):
        """The heartbeat SRs' refs; each must exist, be shared and hold VM disks (xapi's errors
        for these, SR_HAS_NO_PBDS and SR_OPERATION_NOT_SUPPORTED, name a ref only)."""
        if not names:
            raise InputError("ha.heartbeat_srs: needed to enable HA (shared SRs for the heartbeat)")
        refs = []
        for name in names:
            try:
                sr_ref, sr = resolve(client, "SR", name)
            except LookupFailed as exc:
                raise InputError("ha.heartbeat_srs: %s" % exc) from None
            described = "%r (%s)" % (sr["name_label"], sr["uuid"])
            if not sr["shared"]:
                raise InputError("ha.heartbeat_srs: %s is not a shared SR; HA needs a heartbeat SR every host "
                                 "reaches (NFS, iSCSI, HBA)" % described)
            if sr["content_type"] == "iso":
                raise InputError("ha.heartbeat_srs: %s holds ISO images; HA needs a shared SR for VM disks "
                                 "(NFS, iSCSI, HBA)" % described)
            refs.append(sr_ref)
        return refs

    @staticmethod
    def _resolve(client, option, cls, name):
        try:
            return resolve(client, cls, name)
        except LookupFailed as exc:
            raise InputError("%s: %s" % (option, exc)) from None

    def _designate(self, client, master_ref):
        """Hand the master role over; the task ends once the new master is in charge, so the
        module then talks to it (connection retries cover a master that is still starting)."""
        address = client.call("host.get_address", master_ref)
        run_async(client, "pool.designate_new_master", master_ref, timeout=self.params["timeout"],
                  operation="designation of %s as master" % address)
        return self.module.reconnect(address)

    @staticmethod
    def _statefile_srs(client, statefiles):
        """The names of the SRs holding HA's statefiles (pool.ha_statefiles: VDI refs as strings)."""
        names = set()
        for vdi in statefiles:
            try:
                names.add(client.call("SR.get_name_label", client.call("VDI.get_SR", vdi)))
            except XenAPIError:
                continue  # a statefile gone meanwhile
        return sorted(names)

    def _view(self, client):
        ref, pool = next(iter(client.call("pool.get_all_records").items()))
        names = {"heartbeat_srs": self._statefile_srs(client, pool["ha_statefiles"])}
        for option, field, dummy in SR_OPTIONS:
            names[option] = client.call("SR.get_name_label", pool[field]) if pool[field] != "OpaqueRef:NULL" else None
        return dict({"uuid": pool["uuid"], "name": pool["name_label"], "description": pool["name_description"],
                     "master": client.call("host.get_name_label", pool["master"]),
                     "ha": {"enabled": pool["ha_enabled"], "failures_to_tolerate": pool["ha_host_failures_to_tolerate"],
                            "heartbeat_srs": names.pop("heartbeat_srs")},
                     "other_config": pool["other_config"], "tags": pool["tags"]}, **names)
