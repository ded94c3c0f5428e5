# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A host's service settings: remote syslog (the `logging` map), the power-on mode and its
configuration (passwords kept in XenAPI secrets, never shown), the DNS servers of its management
interface, and NTP servers where the host's XenAPI has them. Each plan_* compares, records the
diff and queues the calls; nothing is written until the queue runs."""

import re

from ._errors import MASK, InputError, XenAPIError
from ._pif_manager import ipv4_address, ipv4_settings, reconfigure_ip_call

POWER_ON_MODES = ("", "wake-on-lan", "iLO", "DRAC", "IPMI")
SECRET_SUFFIX = "password_secret"  # xapi: such a key holds the uuid of a secret (Xapi_secret.clean_out_passwds)
CHANGED = MASK + " (changed)"
SCRIPT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def string_map(option, value):
    """A dict option as XenAPI's (string -> string) map; booleans as true/false; None refused."""
    result = {}
    for key, item in (value or {}).items():
        if item is None:
            raise InputError("%s.%s: needs a value" % (option, key))
        result[str(key)] = ("true" if item else "false") if isinstance(item, bool) else str(item)
    return result


def power_on_mode(text):
    """"" (disabled), a built-in mode in any case, or the name of a custom power-on script (a Python module)."""
    known = dict((mode.lower(), mode) for mode in POWER_ON_MODES)
    if text.lower() in known:
        return known[text.lower()]
    if not SCRIPT_NAME.match(text):
        raise InputError("power_on_mode: %r is neither \"\" (disabled), wake-on-lan, iLO, DRAC, IPMI nor the name of a "
                         "custom power-on script (letters, digits and _)" % text)
    return text


def plan_ntp(host, ref, servers, diff):
    """NTP servers through host.set_ntp_custom_servers and host.set_ntp_mode(Custom), on a host whose record has
    ntp_custom_servers (newer xapi); the calls, or an InputError on hosts without them."""
    if servers is None:
        return []
    if "ntp_custom_servers" not in host:
        raise InputError("ntp_servers: the XenAPI of host %s (%s.%s) cannot set NTP servers; they are set at install "
                         "time, in the answerfile's <ntp-server> elements"
                         % (host["name_label"], host.get("API_version_major"), host.get("API_version_minor")))
    desired = sorted(set(server.strip() for server in servers if server and server.strip()))
    if not desired:
        raise InputError("ntp_servers: give at least one server")
    calls = []
    if diff.compare("ntp_servers", sorted(host["ntp_custom_servers"]), desired):
        calls.append(("host.set_ntp_custom_servers", ref, desired))
    if diff.compare("ntp_mode", host["ntp_mode"], "Custom"):  # xapi needs the servers before the mode
        calls.append(("host.set_ntp_mode", ref, "Custom"))
    return calls


class HostSettings:
    def __init__(self, client, ref, host, diff):
        self.client = client
        self.ref = ref
        self.host = host
        self.diff = diff
        self.calls = []  # (method, *args), or a function of the client

    def plan(self, params):
        self.plan_logging(params["logging"])
        self.plan_power_on(params["power_on_mode"], params["power_on_config"])
        self.plan_dns(params["dns_servers"])
        self.calls += plan_ntp(self.host, self.ref, params["ntp_servers"], self.diff)
        return self.calls

    def plan_logging(self, logging):
        """The whole logging map (host.set_logging replaces it), then host.syslog_reconfigure to apply it."""
        if logging is None:
            return
        desired = string_map("logging", logging)
        if self.diff.compare("logging", dict(self.host["logging"]), desired):
            self.calls += [("host.set_logging", self.ref, desired), ("host.syslog_reconfigure", self.ref)]

    def plan_dns(self, servers):
        """The IPv4 DNS servers of the management PIF; its mode, address, netmask and gateway stay."""
        if servers is None:
            return
        desired = [ipv4_address("dns_servers", server) for server in servers]
        pif = self.client.call("host.get_management_interface", self.ref)
        if pif == "OpaqueRef:NULL":
            raise InputError("dns_servers: host %s has no management interface" % self.host["name_label"])
        current = ipv4_settings(self.client.call("PIF.get_record", pif))
        if current["mode"] == "none":
            raise InputError("dns_servers: the management interface of %s has no IPv4 configuration" % self.host["name_label"])
        if self.diff.compare("dns_servers", current["dns"], desired):
            self.calls.append(reconfigure_ip_call(pif, dict(current, dns=desired)))

    # ---- power-on ------------------------------------------------------------------------------------
    def plan_power_on(self, mode, config):
        """host.set_power_on_mode(mode, config) when either differs; the config is the whole map. Values of keys
        ending in password_secret are passwords: compared with the secret the current config names, and stored
        in new secrets (xapi destroys the old configuration's secrets). The diff shows keys, never values."""
        if mode is None and config is None:
            return
        current_mode, current = self.host["power_on_mode"], dict(self.host["power_on_config"])
        mode = current_mode if mode is None else power_on_mode(mode)
        desired = None if config is None else string_map("power_on_config", config)
        differs = self.diff.compare("power_on_mode", current_mode, mode)
        if desired is not None:
            changed = [key for key in desired if key not in current or not self._same(key, current[key], desired[key])]
            if changed or set(current) - set(desired):
                self.diff.add("power_on_config", dict((key, MASK) for key in current),
                              dict((key, CHANGED if key in changed else MASK) for key in desired))
                differs = True
        if differs:
            self.calls.append(lambda client: self._set_power_on(client, mode, current if desired is None else desired,
                                                                desired is None))

    def _same(self, key, current, desired):
        if not key.endswith(SECRET_SUFFIX):
            return current == desired
        return self._secret_value(self.client, current) == desired

    @staticmethod
    def _secret_value(client, uuid):
        try:
            return client.call("secret.get_value", client.call("secret.get_by_uuid", uuid))
        except XenAPIError:
            return None

    def _set_power_on(self, client, mode, config, kept):
        """kept: config is the current one (its secrets are copied); else its password values go into new secrets."""
        made, final = [], dict(config)
        try:
            for key, value in sorted(config.items()):
                if key.endswith(SECRET_SUFFIX):
                    password = self._secret_value(client, value) if kept else value
                    if password is not None:
                        made.append(client.call("secret.create", {"value": password, "other_config": {}}))
                        final[key] = client.call("secret.get_uuid", made[-1])
            client.call("host.set_power_on_mode", self.ref, mode, final)
        except XenAPIError:
            for secret in made:
                try:
                    client.call("secret.destroy", secret)
                except XenAPIError:
                    continue  # the first failure is the one to report
            raise


def view(client, ref, host):
    """What the host result adds: logging, power_on_mode, power_on_config (its keys), dns_servers."""
    pif = client.call("host.get_management_interface", ref)
    dns = ipv4_settings(client.call("PIF.get_record", pif))["dns"] if pif != "OpaqueRef:NULL" else []
    return {"logging": host["logging"], "power_on_mode": host["power_on_mode"],
            "power_on_config": sorted(host["power_on_config"]), "dns_servers": dns}
