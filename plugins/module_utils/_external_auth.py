# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pool's Active Directory membership: pool.enable_external_auth and disable_external_auth,
which xapi runs on every host (and rolls back on the first that fails)."""

from ._auth_errors import explain
from ._diff import Differences
from ._errors import InputError, XenAPIError
from ._tasks import run_async

# keys of external_auth_configuration never returned (xapi stores no password, but be sure)
HIDDEN_KEYS = ("pass", "password")


def auth_view(hosts):
    """What the pool's hosts say of their external authentication; `consistent` is false when they disagree."""
    per_host = sorted(({"name": h["name_label"], "type": h["external_auth_type"] or None,
                        "domain": h["external_auth_service_name"] or None} for h in hosts.values()),
                      key=lambda h: h["name"])
    kinds = {(h["type"], (h["domain"] or "").lower()) for h in per_host}
    consistent = len(kinds) == 1
    first = next(iter(hosts.values()), None)
    joined = consistent and per_host[0]["type"] == "AD"
    configuration = {}
    if joined and first is not None:
        configuration = {k: v for k, v in first["external_auth_configuration"].items() if k not in HIDDEN_KEYS}
    return {"enabled": joined, "domain": per_host[0]["domain"] if joined else None,
            "type": per_host[0]["type"] if consistent else None, "consistent": consistent,
            "hosts": per_host, "configuration": configuration}


def account_name(username, domain):
    """xapi wants the joining account as a UPN: DOMAIN\\user and bare names become user@domain."""
    if "\\" in username:
        username = username.split("\\", 1)[1]
    return username if "@" in username else "%s@%s" % (username, domain)


class ExternalAuth:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.diff = Differences()

    def run(self):
        client = self.module.client
        hosts = client.call("host.get_all_records")
        self.names = {ref: h["name_label"] for ref, h in hosts.items()}
        before = auth_view(hosts)
        if self.params["state"] == "absent":
            changed = self._leave(client, before)
        else:
            changed = self._join(client, before)
        after = auth_view(client.call("host.get_all_records")) if changed and not self.module.check_mode else before
        return {"changed": changed, "auth": after, "diff": self.diff.diff()}

    # ---- join ---------------------------------------------------------------------------------
    def _join(self, client, before):
        params = self.params
        domain = params["domain"]
        if before["enabled"] and before["domain"].lower() == domain.lower():
            return False
        leave_first = before["type"] is not None or not before["consistent"]
        if leave_first and not params["rejoin"]:
            raise InputError("rejoin: %s; set rejoin: true to leave and join %s" % (self._describe(before), domain))
        self.diff.add("domain", before["domain"], domain)
        self.diff.add("hosts", [h["domain"] for h in before["hosts"]], [domain] * len(before["hosts"]))
        if self.module.check_mode:
            return True
        pool_ref = next(iter(client.call("pool.get_all")))
        if leave_first:
            self._disable(client, pool_ref, {})
        config = {"user": account_name(params["domain_username"], domain), "pass": params["domain_password"]}
        if params["ou"]:
            config["ou"] = params["ou"]
        if params["netbios_name"]:
            config["netbios-name"] = params["netbios_name"]
        if params["ldaps"] is not None:
            config["ldaps"] = "true" if params["ldaps"] else "false"
        client.add_secret(params["domain_password"])
        try:
            run_async(client, "pool.enable_external_auth", pool_ref, config, domain, "AD",
                      timeout=params["timeout"], operation="joining the pool to %s" % domain)
        except XenAPIError as exc:
            raise explain(exc, self.names, domain=domain, user=config["user"], ou=params["ou"]) from None
        return True

    def _describe(self, state):
        if not state["consistent"]:
            return "the hosts disagree (%s)" % ", ".join("%s: %s" % (h["name"], h["domain"] or "no domain")
                                                         for h in state["hosts"])
        return "the pool is joined to %s" % state["domain"] if state["domain"] else \
            "the pool uses %s authentication" % state["type"]

    # ---- leave --------------------------------------------------------------------------------
    def _leave(self, client, before):
        if all(h["type"] is None for h in before["hosts"]):
            return False
        self.diff.add("domain", before["domain"], None)
        self.diff.add("hosts", [h["domain"] for h in before["hosts"]], [None] * len(before["hosts"]))
        if self.module.check_mode:
            return True
        config = {}
        if self.params["disable_machine_account"]:
            config = {"user": account_name(self.params["domain_username"], before["domain"] or ""),
                      "pass": self.params["domain_password"]}
            client.add_secret(self.params["domain_password"])
        self._disable(client, next(iter(client.call("pool.get_all"))), config)
        return True

    def _disable(self, client, pool_ref, config):
        try:
            run_async(client, "pool.disable_external_auth", pool_ref, config, timeout=self.params["timeout"],
                      operation="leaving the domain")
        except XenAPIError as exc:
            raise explain(exc, self.names, user=config.get("user", "")) from None
