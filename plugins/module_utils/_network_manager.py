# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A network of the pool: plain (internal), a VLAN on one device of every host, or a bond over
devices of every host; its name, description, MTU, tags and other_config."""

from ._diff import Differences
from ._errors import InputError, XenAPIError
from ._lookup import LookupFailed
from ._tasks import run_async

NULL = "OpaqueRef:NULL"
BOND_MODES = ("balance-slb", "active-backup", "lacp")


class NetworkManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = None
        self.diff = Differences()
        self.hosts = {}
        self.pifs = {}

    # ---- reading ---------------------------------------------------------------------------------
    def _load(self):
        client = self.client
        self.hosts = client.call("host.get_all_records")
        self.pifs = client.call("PIF.get_all_records")
        refs = client.call("network.get_by_name_label", self.params["name"])
        if len(refs) > 1:
            uuids = ", ".join(sorted(client.call("network.get_uuid", ref) for ref in refs))
            raise LookupFailed("%d networks are named %r (uuids %s): rename one of them" % (len(refs), self.params["name"], uuids))
        if not refs:
            return None, None
        return refs[0], client.call("network.get_record", refs[0])

    def _host_order(self):
        """Pool members first, the master last (its management interface may move)."""
        master = next(iter(self.client.call("pool.get_all_records").values()))["master"]
        return sorted(self.hosts, key=lambda ref: (ref == master, self.hosts[ref]["name_label"]))

    def _device_pif(self, host, device):
        for ref, record in self.pifs.items():
            if record["host"] == host and record["device"] == device and record["VLAN"] == -1 and not record["bond_master_of"]:
                return ref
        return None

    def _network_pif(self, network, host):
        for ref, record in self.pifs.items():
            if record["host"] == host and record["network"] == network:
                return ref
        return None

    def _check_devices(self, option, devices):
        """Every host must have every device; the message names the option and the device."""
        known = sorted({record["device"] for record in self.pifs.values() if record["physical"]})
        for device in devices:
            lacking = sorted(self.hosts[host]["name_label"] for host in self.hosts if self._device_pif(host, device) is None)
            if len(lacking) == len(self.hosts):
                raise InputError("%s: no host has a device named %r (devices: %s)" % (option, device, ", ".join(known)))
            if lacking:
                raise InputError("%s: the hosts %s have no device named %r" % (option, ", ".join(lacking), device))

    def _validate(self):
        params = self.params
        vlan, bond = params["vlan"], params["bond"]
        if params["mtu"] is not None and not 68 <= params["mtu"] <= 9216:
            raise InputError("mtu: %d is not a valid MTU (68 to 9216)" % params["mtu"])
        if vlan is not None:
            if not 0 <= vlan["tag"] <= 4094:
                raise InputError("vlan.tag: %d is not a VLAN tag (0 to 4094)" % vlan["tag"])
            self._check_devices("vlan.device", [vlan["device"]])
        if bond is not None:
            devices = bond["devices"]
            if len(set(devices)) < 2:
                raise InputError("bond.devices: a bond needs at least two different devices, got %s" % ", ".join(devices))
            self._check_devices("bond.devices", devices)

    # ---- the run -----------------------------------------------------------------------------------
    def run(self):
        self.client = self.module.client
        network, record = self._load()
        if self.params["state"] == "absent":
            return self._absent(network, record)
        self._validate()
        calls = []
        if network is None:
            self._plan_new(calls)
        else:
            self._plan_settings(network, record, calls)
            self._plan_vlan(network, calls)
            self._plan_bond(network, calls)
        changed = self.diff.changed
        if changed and not self.module.check_mode:
            network = self._apply(network, calls)
        if network is None:
            view = self._predicted()
        else:
            self.pifs = self.client.call("PIF.get_all_records")
            view = self._view(network, self.client.call("network.get_record", network))
        return {"changed": changed, "network": view, "diff": self.diff.diff()}

    def _desired_view(self):
        params = self.params
        vlan, bond = params["vlan"], params["bond"]
        return {"name": params["name"], "description": params["description"] or "", "mtu": params["mtu"] or 1500,
                "vlan": dict(vlan) if vlan else None,
                "bond": {"devices": sorted(bond["devices"]), "mode": bond["mode"] or "balance-slb"} if bond else None,
                "tags": sorted(set(params["tags"] or [])), "other_config": dict(params["other_config"] or {})}

    def _predicted(self):
        view = self._desired_view()
        view.update(uuid=None, bridge=None, hosts=[])
        return view

    def _plan_new(self, calls):
        self.diff.add("network", None, self._desired_view())
        calls.append(("create", None))
        if self.params["vlan"]:
            calls.append(("pool_vlan", None))
        if self.params["bond"]:
            for host in self._host_order():
                calls.append(("bond_create", host))

    def _plan_settings(self, network, record, calls):
        params = self.params
        if params["description"] is not None and params["description"] != record["name_description"]:
            self.diff.add("description", record["name_description"], params["description"])
            calls.append(("call", ("network.set_name_description", network, params["description"])))
        if params["mtu"] is not None and params["mtu"] != record["MTU"]:
            self.diff.add("mtu", record["MTU"], params["mtu"])
            calls.append(("call", ("network.set_MTU", network, params["mtu"])))
        for key, value in sorted((params["other_config"] or {}).items()):
            if record["other_config"].get(key) != value:
                self.diff.add("other_config.%s" % key, record["other_config"].get(key), value)
                if key in record["other_config"]:
                    calls.append(("call", ("network.remove_from_other_config", network, key)))
                calls.append(("call", ("network.add_to_other_config", network, key, value)))
        if params["tags"] is not None and set(params["tags"]) != set(record["tags"]):
            self.diff.add("tags", sorted(record["tags"]), sorted(set(params["tags"])))
            calls += [("call", ("network.add_tags", network, tag)) for tag in sorted(set(params["tags"]) - set(record["tags"]))]
            calls += [("call", ("network.remove_tags", network, tag)) for tag in sorted(set(record["tags"]) - set(params["tags"]))]

    def _not_this_kind(self, option, host, pif):
        record = self.pifs[pif]
        raise InputError("%s: network %r is connected on host %s through %s, which is not what %s asks for; "
                         "remove the network (state=absent) first"
                         % (option, self.params["name"], self.hosts[host]["name_label"], record["device"], option))

    def _each_host(self, network, kind, calls):
        """(host, the network's PIF there) for every host that has one; a host without one gets a
        `<kind>_create` call, and the hosts gained go into the diff."""
        lacking = []
        for host in self._host_order():
            pif = self._network_pif(network, host)
            if pif is None:
                lacking.append(host)
                calls.append(("%s_create" % kind, host))
            else:
                yield host, pif
        if lacking:
            self.diff.add("%s.hosts" % kind, sorted(self.hosts[h]["name_label"] for h in self.hosts if h not in lacking),
                          sorted(self.hosts[h]["name_label"] for h in self.hosts))

    def _plan_vlan(self, network, calls):
        vlan = self.params["vlan"]
        if vlan is None:
            return
        for host, pif in self._each_host(network, "vlan", calls):
            record = self.pifs[pif]
            if record["VLAN"] != vlan["tag"] or record["device"] != vlan["device"]:
                self._not_this_kind("vlan", host, pif)

    def _plan_bond(self, network, calls):
        bond = self.params["bond"]
        if bond is None:
            return
        for host, pif in self._each_host(network, "bond", calls):
            record = self.pifs[pif]
            if not record["bond_master_of"]:
                self._not_this_kind("bond", host, pif)
            bond_ref = record["bond_master_of"][0]
            devices = sorted(self.pifs[member]["device"] for member in self._bond_members(bond_ref))
            if devices != sorted(set(bond["devices"])):
                self._not_this_kind("bond.devices", host, pif)
            mode = self.client.call("Bond.get_mode", bond_ref)
            if bond["mode"] is not None and bond["mode"] != mode:
                self.diff.add("bond.mode.%s" % self.hosts[host]["name_label"], mode, bond["mode"])
                calls.append(("call", ("Bond.set_mode", bond_ref, bond["mode"])))

    def _bond_members(self, bond_ref):
        return [ref for ref, record in self.pifs.items() if record["bond_slave_of"] == bond_ref]

    def _apply(self, network, calls):
        client, params = self.client, self.params
        timeout = params["timeout"]
        for kind, detail in calls:
            if kind == "create":
                # no network had this name (else there is nothing to create): one that has it now is the one made
                network = client.call("network.create", {
                    "name_label": params["name"], "name_description": params["description"] or "",
                    "MTU": params["mtu"] or 1500, "other_config": dict(params["other_config"] or {}),
                    "tags": sorted(set(params["tags"] or [])), "bridge": "", "managed": True},
                    find=lambda: next(iter(client.call("network.get_by_name_label", params["name"])), None))
            elif kind == "pool_vlan":
                client.call("pool.create_VLAN", params["vlan"]["device"], network, params["vlan"]["tag"])
            elif kind == "vlan_create":
                client.call("VLAN.create", self._device_pif(detail, params["vlan"]["device"]), params["vlan"]["tag"], network)
            elif kind == "bond_create":
                members = [self._device_pif(detail, device) for device in params["bond"]["devices"]]
                run_async(client, "Bond.create", network, members, "", params["bond"]["mode"] or "balance-slb", {},
                          timeout=timeout, operation="bond of %s on %s" % (", ".join(params["bond"]["devices"]),
                                                                           self.hosts[detail]["name_label"]))
            else:
                client.call(*detail)
        return network

    # ---- absent ------------------------------------------------------------------------------------
    def _absent(self, network, record):
        if network is None:
            return {"changed": False, "network": None, "diff": self.diff.diff()}
        self._assert_unused(record)
        pifs = [pif for pif in record["PIFs"] if pif in self.pifs]
        physical = [pif for pif in pifs if self.pifs[pif]["physical"]]
        if physical:
            raise InputError("name: network %r is the network of the physical device %s; it cannot be removed"
                             % (self.params["name"], self.pifs[physical[0]]["device"]))
        self.diff.add("network", self._view(network, record), None)
        if not self.module.check_mode:
            client = self.client
            for host in self._host_order():
                pif = self._network_pif(network, host)
                if pif is None:
                    continue
                pif_record = self.pifs[pif]
                if pif_record["bond_master_of"]:
                    run_async(client, "Bond.destroy", pif_record["bond_master_of"][0], timeout=self.params["timeout"],
                              operation="removal of the bond on %s" % self.hosts[host]["name_label"])
                elif pif_record["VLAN_master_of"] != NULL:
                    client.call("VLAN.destroy", pif_record["VLAN_master_of"])
            try:
                client.call("network.destroy", network)
            except XenAPIError as exc:
                if exc.code == "NETWORK_CONTAINS_VIF":
                    raise InputError(self._in_use_message(exc.params)) from None
                raise
        return {"changed": True, "network": None, "diff": self.diff.diff()}

    def _assert_unused(self, record):
        """Any VIF, attached or not: network.destroy would take a halted VM's VIFs with it."""
        if record["VIFs"]:
            raise InputError(self._in_use_message(record["VIFs"]))

    def _in_use_message(self, vifs):
        names = sorted({self.client.call("VM.get_name_label", self.client.call("VIF.get_VM", vif)) for vif in vifs})
        return ("state=absent: network %r is in use by the VMs %s (they have network interfaces on it); "
                "move their interfaces to another network or remove them first" % (self.params["name"], ", ".join(names)))

    # ---- the result --------------------------------------------------------------------------------
    def _view(self, network, record):
        hosts, vlan, bond = [], None, None
        for host in sorted(self.hosts, key=lambda ref: self.hosts[ref]["name_label"]):
            pif = self._network_pif(network, host)
            if pif is None:
                continue
            pif_record = self.pifs[pif]
            hosts.append({"host": self.hosts[host]["name_label"], "device": pif_record["device"],
                          "attached": pif_record["currently_attached"]})
            if pif_record["VLAN"] != -1 and vlan is None:
                vlan = {"tag": pif_record["VLAN"], "device": pif_record["device"]}
            if pif_record["bond_master_of"] and bond is None:
                bond_ref = pif_record["bond_master_of"][0]
                bond = {"devices": sorted(self.pifs[member]["device"] for member in self._bond_members(bond_ref)),
                        "mode": self.client.call("Bond.get_mode", bond_ref)}
        return {"uuid": record["uuid"], "name": record["name_label"], "description": record["name_description"],
                "bridge": record["bridge"], "mtu": record["MTU"], "vlan": vlan, "bond": bond, "hosts": hosts,
                "tags": sorted(record["tags"]), "other_config": record["other_config"]}
