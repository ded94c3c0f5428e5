# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Joining a host to a pool and ejecting it: pool.join on the joiner, then waiting (event.from)
until the master knows it enabled with its storage plugged.

A refused join says which host and what to fix: xapi's code gets the friendly text of _errors,
with what the module finds on the two hosts (running VMs, shared SRs, versions, external auth);
a refused login names the host and the options to check. Passwords are masked throughout."""

import re
import time
from urllib.parse import urlsplit

from ._client import XenAPIClient, normalize_url, with_host
from ._errors import InputError, XenAPIConnectionError, XenAPIError, XenAPITimeout
from ._tasks import run_async

# the joining host's address: a host name or an IPv4 address (no scheme, port or path)
HOST = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$")
RUNNING_VMS = 'field "power_state" = "Running" and field "is_control_domain" = "false"'
SHARED_SRS = 'field "shared" = "true" and field "is_tools_sr" = "false"'
_RUNNING_CODES = ("JOINING_HOST_CANNOT_HAVE_RUNNING_VMS", "JOINING_HOST_CANNOT_HAVE_RUNNING_OR_SUSPENDED_VMS")
_VERSION_CODES = ("HOSTS_NOT_COMPATIBLE", "HOSTS_NOT_HOMOGENEOUS", "POOL_JOINING_HOST_MUST_HAVE_SAME_PRODUCT_VERSION")


def _view(record):
    return {"uuid": record["uuid"], "name": record["name_label"], "address": record["address"],
            "enabled": record["enabled"]}


def _listed(names):
    names = sorted(names)
    return " (%s)" % ", ".join(names) if names else ""


def _product(record):
    software = record.get("software_version") or {}
    brand = software.get("product_brand") or software.get("platform_name") or "?"
    return "%s %s" % (brand, software.get("product_version") or software.get("platform_version") or "?")


def _auth(record):
    if not record.get("external_auth_type"):
        return "none"
    return "%s %s" % (record["external_auth_type"], record.get("external_auth_service_name", ""))


def relabel(error, operation, options, secrets):
    """The same XenAPI failure, said of `operation`; a refused login names the options to check."""
    facts = dict(error.facts)
    if error.code == "SESSION_AUTHENTICATION_FAILED":
        facts["options"] = "; check the options %s" % options
    return XenAPIError(error.code, error.params, operation, secrets, facts)


class PoolMembership:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.diff = {"before": {}, "after": {}}

    def _secrets(self):
        return (self.params["password"], self.params["host_password"])

    def run(self):
        try:
            client = self.module.client
        except XenAPIError as exc:
            pool = urlsplit(normalize_url(self.params["hostname"])).hostname
            raise relabel(exc, "login to the pool at %s" % pool, "username and password", self._secrets()) from None
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
        address = self.params["host"]
        if not HOST.match(address):
            raise InputError("host: %r is neither a host name nor an IP address" % address)
        joiner = self._joiner()
        try:
            try:
                joiner.login()
            except XenAPIError as exc:
                raise relabel(exc, "login to the joining host %s" % address, "host_username and host_password",
                              self._secrets()) from None
            except ValueError as exc:  # requests cannot make a URL of it (InvalidURL)
                raise InputError("host: %r is not a host name or an address (%s)" % (address, exc)) from None
            if joiner.url != with_host(joiner.url, address):
                # the host answered HOST_IS_SLAVE: it is in a pool; ours, if its master is ours
                if urlsplit(joiner.url).hostname == urlsplit(client.url).hostname:
                    return self._result(False, None, hosts)
                raise InputError("host: %s is a member of the pool of %s, not of this pool; eject it there first"
                                 % (address, urlsplit(joiner.url).hostname))
            me = joiner.call("host.get_record", joiner.call("session.get_this_host", joiner.session_ref))
            self.diff["after"]["hosts"] = sorted(self.diff["before"]["hosts"] + [me["name_label"]])
            if self.module.check_mode:
                return self._result(True, None, hosts)
            master = urlsplit(client.url).hostname
            operation = "join of host %s to the pool of %s" % (address, master)
            try:
                run_async(joiner, "pool.join", master, self.params["username"], self.params["password"] or "",
                          timeout=self.params["timeout"], operation=operation)
            except XenAPIError as exc:
                raise self._refused(exc, operation, client, joiner, me, hosts) from None
        finally:
            joiner.logout()
        return self._result(True, self._wait_member(client), client.call("host.get_all_records"))

    def _refused(self, error, operation, client, joiner, me, hosts):
        """The join's failure, said of the join (also when Async.pool.join itself was refused), with
        what the module finds on the hosts about it (reads only)."""
        facts = {}
        try:
            if error.code in _RUNNING_CODES:
                facts["running"] = _listed(r["name_label"] for r in joiner.call("VM.get_all_records_where",
                                                                                RUNNING_VMS).values())
            elif error.code == "JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS":
                facts["shared"] = _listed(r["name_label"] for r in joiner.call("SR.get_all_records_where",
                                                                               SHARED_SRS).values())
            elif error.code == "JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS":
                facts["members"] = _listed(r["name_label"] for r in joiner.call("host.get_all_records").values()
                                           if r["uuid"] != me["uuid"])
            elif error.code in _VERSION_CODES + ("POOL_JOINING_EXTERNAL_AUTH_MISMATCH",):
                theirs = hosts.get(client.call("pool.get_master", client.call("pool.get_all")[0])) or {}
                if error.code == "POOL_JOINING_EXTERNAL_AUTH_MISMATCH":
                    facts["auth"] = " (it: %s; the master: %s)" % (_auth(me), _auth(theirs))
                else:
                    facts["versions"] = " (it: %s; the master: %s)" % (_product(me), _product(theirs))
        except (XenAPIError, XenAPIConnectionError):
            facts = {}  # the failure as xapi said it is still clear
        if error.code == "SESSION_AUTHENTICATION_FAILED":  # the master refused the joining host our credentials
            facts["options"] = "; check the options username and password"
        return XenAPIError(error.code, error.params, operation, self._secrets(), facts)

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
