# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Joining a host to a pool and ejecting it: pool.join on the joiner, then waiting (event.from)
until the master knows it enabled with its storage plugged."""

import time
from urllib.parse import urlsplit

from ._client import XenAPIClient, with_host
from ._errors import InputError, XenAPITimeout
from ._tasks import run_async


def _view(record):
    return {"uuid": record["uuid"], "name": record["name_label"], "address": record["address"],
            "enabled": record["enabled"]}


class PoolMembership:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.diff = {"before": {}, "after": {}}

    def run(self):
        client = self.module.client
        hosts = client.call("host.get_all_records")
        self.diff["before"]["hosts"] = sorted(h["name_label"] for h in hosts.values())
        member = next(((ref, h) for ref, h in hosts.items()
                       if self.params["host"] in (h["address"], h["name_label"])), None)
        if self.params["state"] == "absent":
            return self._eject(client, member, hosts)
        if member is not None:
            return self._result(False, _view(member[1]), hosts)
        return self._join(client, hosts)

    def _joiner(self):
        params = self.params
        master_url = self.module.client.url
        return XenAPIClient(with_host(master_url, self.params["host"]), params["host_username"],
                            params["host_password"] or "", validate_certs=params["validate_certs"],
                            ca_path=params["ca_path"], protocol=params["protocol"], timeout=params["request_timeout"],
                            retry_deadline=params["request_timeout"])

    def _join(self, client, hosts):
        joiner = self._joiner()
        try:
            joiner.login()
            if joiner.url != with_host(joiner.url, self.params["host"]):
                # the host answered HOST_IS_SLAVE: it is in a pool; ours, if its master is ours
                if urlsplit(joiner.url).hostname == urlsplit(client.url).hostname:
                    return self._result(False, None, hosts)
                raise InputError("host: %s is a member of the pool of %s, not of this pool; eject it there first"
                                 % (self.params["host"], urlsplit(joiner.url).hostname))
            name = joiner.call("host.get_name_label", joiner.call("session.get_this_host", joiner.session_ref))
            self.diff["after"]["hosts"] = sorted(self.diff["before"]["hosts"] + [name])
            if self.module.check_mode:
                return self._result(True, None, hosts)
            master = urlsplit(client.url).hostname
            run_async(joiner, "pool.join", master, self.params["username"], self.params["password"] or "",
                      timeout=self.params["timeout"], operation="join of host %s to the pool of %s"
                      % (self.params["host"], master))
        finally:
            joiner.logout()
        return self._result(True, self._wait_member(client), client.call("host.get_all_records"))

    def _wait_member(self, client):
        """Until the master knows the new host enabled, with every PBD of it plugged."""
        deadline = time.monotonic() + self.params["timeout"]
        token = ""
        while True:
            hosts = client.call("host.get_all_records")
            found = next(((ref, h) for ref, h in hosts.items() if h["address"] == self.params["host"]), None)
            if found is not None and found[1]["enabled"]:
                pbds = [client.call("PBD.get_currently_attached", pbd) for pbd in found[1]["PBDs"]]
                if all(pbds):
                    return _view(found[1])
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise XenAPITimeout("host %s joined but was not enabled with its storage plugged within %d seconds"
                                    % (self.params["host"], self.params["timeout"]))
            batch = client.call("event.from", ["host", "pbd"], token, min(remaining, 30.0),
                                timeout=min(remaining, 30.0) + client.timeout)
            token = batch["token"]

    def _eject(self, client, member, hosts):
        if member is None:
            return self._result(False, None, hosts)
        ref, record = member
        if not self.params["allow_data_loss"]:
            raise InputError("allow_data_loss: ejecting %s destroys its local VMs and disks, and it starts afresh; set "
                             "allow_data_loss: true to do it" % record["name_label"])
        self.diff["after"]["hosts"] = sorted(h for h in self.diff["before"]["hosts"] if h != record["name_label"])
        if not self.module.check_mode:
            run_async(client, "pool.eject", ref, timeout=self.params["timeout"],
                      operation="eject of host %s" % record["name_label"])
        return self._result(True, None, hosts)

    def _result(self, changed, view, hosts):
        if not changed:
            self.diff["after"] = dict(self.diff["before"])
        return {"changed": changed, "host": view, "diff": self.diff}
