# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The IP configuration of one PIF (a host's device): IPv4 mode, address, netmask, gateway and DNS,
IPv6, and whether it carries the host's management interface. A management move that changes the
address of the host the module talks to (the master) is followed by a new login at that address."""

import ipaddress
from urllib.parse import urlsplit

from ._diff import Differences
from ._errors import InputError, XenAPIConnectionError
from ._lookup import resolve

MODES = {"dhcp": "DHCP", "static": "Static", "none": "None"}
IPV6_MODES = {"dhcp": "DHCP", "static": "Static", "autoconf": "Autoconf", "none": "None"}


def ipv4_address(option, text):
    """One IPv4 address as text, or an InputError naming the option."""
    try:
        return str(ipaddress.IPv4Address(str(text).strip()))
    except ValueError:
        raise InputError("%s: %r is not an IPv4 address" % (option, text)) from None


def _netmask(text):
    text = str(text).strip()
    try:
        if text.isdigit():
            return str(ipaddress.IPv4Network("0.0.0.0/%s" % text).netmask)
        ipaddress.IPv4Network("0.0.0.0/%s" % text)
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise InputError("netmask: %r is not a netmask (for example 255.255.255.0 or 24)" % text) from None


def _ipv6_address(text):
    text = str(text).strip()
    try:
        if "/" not in text:
            raise ValueError(text)
        return str(ipaddress.IPv6Interface(text))
    except ValueError:
        raise InputError("ipv6.address: %r is not an IPv6 address with its prefix length (for example ::1/128)" % text) from None


def _ipv6_gateway(text):
    try:
        return str(ipaddress.IPv6Address(str(text).strip()))
    except ValueError:
        raise InputError("ipv6.gateway: %r is not an IPv6 address" % text) from None


def _split_dns(text):
    """xapi's DNS field: comma-separated, IPv4 and IPv6 entries mixed -> (v4, v6)."""
    v4, v6 = [], []
    for entry in (text or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            (v4 if ipaddress.ip_address(entry).version == 4 else v6).append(entry)
        except ValueError:
            continue
    return v4, v6


def ipv4_settings(record):
    """A PIF record's IPv4 configuration: {mode (dhcp, static, none), ip, netmask, gateway, dns (the IPv4 servers)}."""
    return {"mode": record["ip_configuration_mode"].lower(), "ip": record["IP"], "netmask": record["netmask"],
            "gateway": record["gateway"], "dns": _split_dns(record["DNS"])[0]}


def reconfigure_ip_call(pif, settings):
    """The PIF.reconfigure_ip call that gives a PIF these IPv4 settings (address and netmask only with static;
    xapi keeps the PIF's IPv6 DNS servers): (method, *args)."""
    static = settings["mode"] == "static"
    return ("PIF.reconfigure_ip", pif, MODES[settings["mode"]], settings["ip"] if static else "",
            settings["netmask"] if static else "", settings["gateway"], ",".join(settings["dns"]))


class PifManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = None
        self.diff = Differences()
        self.host = None
        self.host_record = None

    # ---- input -------------------------------------------------------------------------------------
    def _desired_ipv4(self):
        """None (leave IPv4 alone) or {mode, ip, netmask, gateway, dns}; None values keep the current."""
        params = self.params
        mode = params["mode"]
        given = [name for name in ("ip", "netmask", "gateway", "dns") if params[name] is not None]
        if mode is None:
            if not given:
                return None
            if params["ip"] is not None or params["netmask"] is not None:
                raise InputError("mode: needed with %s (static, dhcp or none)" % ", ".join(given))
            # only gateway or DNS: the device keeps its mode (_keep_mode)
        elif mode == "static":
            for name in ("ip", "netmask"):
                if not params[name]:
                    raise InputError("%s: needed with mode=static" % name)
        else:
            for name in ("ip", "netmask"):
                if params[name] is not None:
                    raise InputError("%s: only with mode=static (mode is %s)" % (name, mode))
        if mode == "none" and given:
            raise InputError("%s: not with mode=none" % given[0])
        desired = {"mode": mode, "ip": None, "netmask": None, "gateway": None, "dns": None}
        if mode == "static":
            desired["ip"] = ipv4_address("ip", params["ip"])
            desired["netmask"] = _netmask(params["netmask"])
        if params["gateway"] is not None:
            desired["gateway"] = ipv4_address("gateway", params["gateway"]) if params["gateway"] else ""
        if params["dns"] is not None:
            desired["dns"] = [ipv4_address("dns", entry) for entry in params["dns"]]
        return desired

    def _desired_ipv6(self):
        ipv6 = self.params["ipv6"]
        if ipv6 is None:
            return None
        mode = ipv6["mode"]
        if mode == "static" and not ipv6["address"]:
            raise InputError("ipv6.address: needed with ipv6.mode=static")
        if mode != "static" and ipv6["address"] is not None:
            raise InputError("ipv6.address: only with ipv6.mode=static (ipv6.mode is %s)" % mode)
        if mode == "none" and ipv6["gateway"]:
            raise InputError("ipv6.gateway: not with ipv6.mode=none")
        return {"mode": mode, "address": _ipv6_address(ipv6["address"]) if mode == "static" else None,
                "gateway": _ipv6_gateway(ipv6["gateway"]) if ipv6["gateway"] else ipv6["gateway"]}

    def _find_pif(self):
        client, device = self.client, self.params["device"]
        self.host, self.host_record = resolve(client, "host", self.params["host"], option="host")
        devices = {}
        for pif in self.host_record["PIFs"]:
            record = client.call("PIF.get_record", pif)
            if record["VLAN"] == -1:
                devices[record["device"]] = (pif, record)
        if device not in devices:
            raise InputError("device: host %s has no device named %r (devices: %s)"
                             % (self.host_record["name_label"], device, ", ".join(sorted(devices))))
        return devices[device]

    # ---- the run -----------------------------------------------------------------------------------
    def run(self):
        ipv4 = self._desired_ipv4()
        ipv6 = self._desired_ipv6()
        self.client = self.module.client
        pif, record = self._find_pif()
        ipv4 = self._keep_mode(record, ipv4)
        self._assert_management_keeps_ipv4(record, ipv4)
        if self.params["management"] is False and record["management"]:
            raise InputError("management: %s is the management interface of %s; move it by setting management: true on "
                             "another device" % (self.params["device"], self.host_record["name_label"]))
        current = self._view(record)
        calls = []
        self._plan_ipv4(pif, record, current, ipv4, calls)
        self._plan_ipv6(pif, record, current, ipv6, calls)
        if self.params["management"] and not record["management"]:
            self.diff.add("management", False, True)
            calls.append(("host.management_reconfigure", pif))
        changed = self.diff.changed
        if not changed:
            return {"changed": False, "pif": current, "diff": self.diff.diff()}
        if self.module.check_mode:
            return {"changed": True, "pif": self._predicted(current), "diff": self.diff.diff()}
        self._apply(pif, calls)
        return {"changed": True, "pif": self._view(self.client.call("PIF.get_record", pif)), "diff": self.diff.diff()}

    def _keep_mode(self, record, desired):
        """Only gateway or DNS given: the device keeps its IPv4 mode, and its address when static."""
        if desired is None or desired["mode"] is not None:
            return desired
        mode = record["ip_configuration_mode"].lower()
        if mode == "none":
            given = [name for name in ("gateway", "dns") if self.params[name] is not None]
            raise InputError("mode: needed with %s; %s of %s has no IPv4 configuration (give mode: static with ip and "
                             "netmask, or mode: dhcp)" % (", ".join(given), record["device"], self.host_record["name_label"]))
        static = mode == "static"
        return dict(desired, mode=mode, ip=record["IP"] if static else None, netmask=record["netmask"] if static else None)

    def _assert_management_keeps_ipv4(self, record, desired):
        """The management interface needs its IPv4 configuration; xapi's refusals (PIF_IS_MANAGEMENT_INTERFACE,
        PIF_HAS_NO_NETWORK_CONFIGURATION) name a PIF ref only, and could come after another write."""
        if record["primary_address_type"] != "IPv4" or (desired["mode"] if desired else record["ip_configuration_mode"].lower()) != "none":
            return
        device, host = record["device"], self.host_record["name_label"]
        if record["management"] and desired:
            raise InputError("mode: none would take the address of %s, the management interface of %s; move the management "
                             "interface to another device first (management: true there)" % (device, host))
        if self.params["management"] and not record["management"]:
            raise InputError("management: %s of %s has no IPv4 configuration to carry the management interface; give "
                             "mode: static (with ip and netmask) or mode: dhcp" % (device, host))

    def _plan_ipv4(self, pif, record, current, desired, calls):
        if desired is None:
            return
        after = {"mode": desired["mode"]}
        if desired["mode"] == "static":
            after.update(ip=desired["ip"], netmask=desired["netmask"])
        else:
            after.update(ip=current["ip"] if current["mode"] == desired["mode"] else "",
                         netmask=current["netmask"] if current["mode"] == desired["mode"] else "")
        after["gateway"] = current["gateway"] if desired["gateway"] is None else desired["gateway"]
        after["dns"] = current["dns"] if desired["dns"] is None else desired["dns"]
        if desired["mode"] == "none":
            after.update(gateway="", dns=[])
        keys = ("mode", "ip", "netmask", "gateway", "dns") if desired["mode"] == "static" else ("mode", "gateway", "dns")
        differ = False
        for key in keys:
            differ = self.diff.compare(key, current[key], after[key]) or differ
        if differ:
            calls.append(reconfigure_ip_call(pif, after))

    def _plan_ipv6(self, pif, record, current, desired, calls):
        if desired is None:
            return
        now = current["ipv6"]
        after = {"mode": desired["mode"], "address": desired["address"],
                 "gateway": now["gateway"] if desired["gateway"] is None else desired["gateway"]}
        if desired["mode"] == "none":
            after["gateway"] = ""
        differ = False
        for key in ("mode", "address", "gateway"):
            if key == "address" and desired["mode"] != "static":
                continue
            differ = self.diff.compare("ipv6.%s" % key, now[key], after[key]) or differ
        if differ:
            dummy, v6 = _split_dns(record["DNS"])
            calls.append(("PIF.reconfigure_ipv6", pif, IPV6_MODES[desired["mode"]], after["address"] or "",
                          after["gateway"] or "", ",".join(v6)))

    def _predicted(self, current):
        view = dict(current, ipv6=dict(current["ipv6"]))
        for key, value in self.diff.after.items():
            if key.startswith("ipv6."):
                view["ipv6"][key[len("ipv6."):]] = value
            else:
                view[key] = value
        return view

    # ---- writing -------------------------------------------------------------------------------------
    def _connected_address(self):
        return urlsplit(self.client.url).hostname

    def _apply(self, pif, calls):
        client = self.client
        old_address = self.host_record["address"]
        connected = self._connected_address() == old_address
        new_address = old_address
        for call in calls:
            method, args = call[0], call[1:]
            moves = method == "host.management_reconfigure" or (method == "PIF.reconfigure_ip" and self._is_management(pif))
            if moves and args[1:2] == ("Static",):
                new_address = args[2]
            elif moves:
                new_address = client.call("PIF.get_IP", pif) or new_address
            client.call(method, *args)
        if connected and new_address != old_address:
            self._follow(new_address)

    def _is_management(self, pif):
        return self.client.call("PIF.get_management", pif)

    def _follow(self, address):
        """The host the module talks to answers at its new address: log in there and check it is that host."""
        self.client = self.module.reconnect(address)
        answered = self.client.call("host.get_address", self.host)
        if answered != address:
            raise XenAPIConnectionError("host %s answers at %s but reports the address %s"
                                        % (self.host_record["name_label"], address, answered))

    # ---- the result --------------------------------------------------------------------------------
    def _view(self, record):
        client = self.client
        addresses = [address for address in record["IPv6"] if address]
        view = {"host": self.host_record["name_label"], "device": record["device"]}
        view.update(ipv4_settings(record))
        view["ipv6"] = {"mode": record["ipv6_configuration_mode"].lower(), "address": addresses[0] if addresses else None,
                        "gateway": record["ipv6_gateway"]}
        view.update(management=record["management"], attached=record["currently_attached"], mac=record["MAC"],
                    network=client.call("network.get_name_label", record["network"]))
        return view
