# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pool object: names, default/suspend/crash-dump SRs, other_config, tags, master, HA."""

from ._diff import Differences
from ._errors import InputError
from ._lookup import resolve
from ._tasks import run_async

SR_OPTIONS = (("default_sr", "default_SR", "pool.set_default_SR"),
              ("suspend_image_sr", "suspend_image_SR", "pool.set_suspend_image_SR"),
              ("crash_dump_sr", "crash_dump_SR", "pool.set_crash_dump_SR"))


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
                sr_ref, sr = resolve(client, "SR", params[option])
                if sr_ref != pool[field]:
                    current = client.call("SR.get_name_label", pool[field]) if pool[field] != "OpaqueRef:NULL" else None
                    self.diff.add(option, current, sr["name_label"])
                    self.calls.append((method, [ref, sr_ref]))
        self._map(ref, pool["other_config"], params["other_config"] or {})
        self._tags(ref, pool["tags"], params["tags"])
        self._ha(client, ref, pool)
        master_ref = None
        if params["master"] is not None:
            master_ref, master = resolve(client, "host", params["master"])
            if master_ref != pool["master"]:
                self.diff.add("master", client.call("host.get_name_label", pool["master"]), master["name_label"])
            else:
                master_ref = None
        changed = self.diff.changed
        if changed and not self.module.check_mode:
            for method, args in self.calls:
                if method.startswith("Async."):
                    run_async(client, method[len("Async."):], *args, timeout=params["timeout"],
                              operation="%s on the pool" % method[len("Async."):])
                else:
                    client.call(method, *args)
            if master_ref is not None:
                self._designate(client, master_ref)
        return {"changed": changed, "pool": self._view(self.module.client), "diff": self.diff.diff()}

    def _simple(self, key, current, desired, method, ref):
        if desired is not None and desired != current:
            self.diff.add(key, current, desired)
            self.calls.append((method, [ref, desired]))

    def _map(self, ref, current, desired):
        for key, value in sorted(desired.items()):
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
        ha = self.params["ha"]
        if ha is None or ha.get("enabled") is None:
            return
        if ha["enabled"] and not pool["ha_enabled"]:
            if not ha.get("heartbeat_srs"):
                raise InputError("ha.heartbeat_srs: needed to enable HA (shared SRs for the heartbeat)")
            srs = [resolve(client, "SR", name)[0] for name in ha["heartbeat_srs"]]
            self.diff.add("ha", {"enabled": False}, {"enabled": True, "heartbeat_srs": ha["heartbeat_srs"]})
            self.calls.append(("Async.pool.enable_ha", [srs, {}]))
        elif not ha["enabled"] and pool["ha_enabled"]:
            self.diff.add("ha", {"enabled": True}, {"enabled": False})
            self.calls.append(("Async.pool.disable_ha", []))
        tolerate = ha.get("failures_to_tolerate")
        if ha["enabled"] and tolerate is not None and tolerate != pool["ha_host_failures_to_tolerate"]:
            self.diff.add("ha.failures_to_tolerate", pool["ha_host_failures_to_tolerate"], tolerate)
            self.calls.append(("pool.set_ha_host_failures_to_tolerate", [ref, tolerate]))

    def _designate(self, client, master_ref):
        """Hand the master role over; the task ends once the new master is in charge, so the
        module then talks to it (connection retries cover a master that is still starting)."""
        address = client.call("host.get_address", master_ref)
        run_async(client, "pool.designate_new_master", master_ref, timeout=self.params["timeout"],
                  operation="designation of %s as master" % address)
        self.module.reconnect(address)

    def _view(self, client):
        ref, pool = next(iter(client.call("pool.get_all_records").items()))
        names = {}
        for option, field, dummy in SR_OPTIONS:
            names[option] = client.call("SR.get_name_label", pool[field]) if pool[field] != "OpaqueRef:NULL" else None
        return dict({"uuid": pool["uuid"], "name": pool["name_label"], "description": pool["name_description"],
                     "master": client.call("host.get_name_label", pool["master"]),
                     "ha": {"enabled": pool["ha_enabled"], "failures_to_tolerate": pool["ha_host_failures_to_tolerate"]},
                     "other_config": pool["other_config"], "tags": pool["tags"]}, **names)
