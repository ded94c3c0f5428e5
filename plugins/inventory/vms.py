# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: vms
short_description: The VMs of XenServer and XCP-ng pools, read with a fixed number of XenAPI calls
version_added: 0.1.0
description:
  - One host per VM of one or more pools (templates, snapshots and the control domains only when asked), and the
    pools' hosts with O(include_hosts).
  - Each pool is read with one login, one C(get_all_records) per class it needs and one logout, whatever its size;
    several pools are read in parallel. The raw records are cached (O(cache)), so changing O(compose), O(groups) or
    O(keyed_groups) needs no new read.
  - Values from XenAPI are never trusted as templates (unsafe), so a VM name or tag is never templated.
  - Config files end in C(xenserver.yml) or C(xenserver.yaml).
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [xapi.xenserver.vms]
  hostname:
    description:
      - The pool master, or any member (a host name, an IP address, C(host:port) or an C(https://) URL).
      - Ignored when O(pools) is given.
    type: str
    env:
      - name: XENSERVER_HOST
  username:
    description: The user to log in as.
    type: str
    default: root
    env:
      - name: XENSERVER_USER
  password:
    description: The password of O(username).
    type: str
    env:
      - name: XENSERVER_PASSWORD
  validate_certs:
    description: Verify the pool's TLS certificate.
    type: bool
    default: true
    env:
      - name: XENSERVER_VALIDATE_CERTS
  ca_path:
    description: A PEM file with the CA certificate(s) that signed the hosts' certificates.
    type: path
    env:
      - name: XENSERVER_CA_PATH
  protocol:
    description: V(jsonrpc) (faster) or V(xmlrpc).
    type: str
    choices: [jsonrpc, xmlrpc]
    default: jsonrpc
  request_timeout:
    description: Seconds to wait for each answer.
    type: float
    default: 60
  pools:
    description:
      - Several pools, each with its own connection options (C(hostname), C(username), C(password),
        C(validate_certs), C(ca_path), C(protocol)); the options above are their defaults.
    type: list
    elements: dict
    default: []
  include_templates:
    description: Add templates too.
    type: bool
    default: false
  include_snapshots:
    description: Add snapshots too.
    type: bool
    default: false
  include_control_domain:
    description: Add each host's control domain (dom0) too.
    type: bool
    default: false
  include_hosts:
    description: Add the pools' hosts (in the group C(<prefix>hosts)), with their address as C(ansible_host).
    type: bool
    default: false
  hostnames:
    description:
      - How a VM is named in the inventory, in order of preference; the first that gives a value is used.
      - V(name_label), V(uuid), V(ip) (its first address), or a Jinja expression on the VM's variables
        (without the prefix, for example C(name ~ '.' ~ pool)).
    type: list
    elements: str
    default: [name_label]
  duplicate_names:
    description:
      - When several VMs get the same inventory name, V(suffix) keeps the name for the VM whose uuid sorts first and
        names the others C(name_<first 8 characters of the uuid>); V(uuid) names all of them by uuid; V(error) fails.
    type: str
    choices: [suffix, uuid, error]
    default: suffix
  ansible_host_network:
    description:
      - Which address becomes C(ansible_host), the first one on this network (by name) or in this CIDR
        (for example C(10.0.0.0/8)). Without it, the first IPv4 address the guest agent reports (else IPv6).
    type: str
  prefix:
    description: The prefix of the variables and of the groups this plugin makes.
    type: str
    default: xenserver_
  with_networks:
    description: Read NICs (MACs and networks; O(ansible_host_network) by name needs them); two more calls per pool.
    type: bool
    default: true
  with_disks:
    description: Read disks (name, size, SR per disk); three more calls per pool.
    type: bool
    default: false
  with_other_config:
    description: Add each VM's C(other_config) map.
    type: bool
    default: false
  group_by:
    description:
      - The groups to make, named C(<prefix><kind>_<value>) with kind C(pool), C(host), C(power), C(tag),
        C(folder) (its slashes as underscores) or C(os) (the distribution); other characters than letters, digits
        and underscores become underscores.
    type: list
    elements: str
    choices: [pool, host, power_state, tags, folder, os]
    default: [pool, host, power_state, tags, folder, os]
  filters:
    description:
      - Jinja expressions on a VM's variables (without the prefix); a VM is kept when every one is true.
    type: list
    elements: str
    default: []
  exclude_filters:
    description: Jinja expressions; a VM is left out when any one is true.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
# inventory/pools.xenserver.yml
plugin: xapi.xenserver.vms
pools:
  - hostname: 127.0.10.1
    ca_path: /etc/pki/xenserver-ca.pem
  - hostname: 127.0.11.1
    ca_path: /etc/pki/xenserver-ca.pem
hostnames: [name_label, uuid]
ansible_host_network: 127.0.0.0/8
filters:
  - power_state == 'running'
keyed_groups:
  - key: xenserver_os.distro
    prefix: distro
compose:
  ansible_user: "'admin' if 'windows' in (xenserver_os.name or '') else 'root'"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/xenserver-inventory
"""

import re
import warnings
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.xapi.xenserver.plugins.module_utils._errors import XenAPIConnectionError, XenAPIError
from ansible_collections.xapi.xenserver.plugins.module_utils._inventory_records import classes, read_pool
from ansible_collections.xapi.xenserver.plugins.module_utils._inventory_view import (
    host_facts, pool_name, preferred_address, vm_facts)

CACHE_VERSION = 1
CONNECTION_KEYS = ("hostname", "username", "password", "validate_certs", "ca_path", "protocol")
GROUP_SAFE = re.compile(r"[^A-Za-z0-9_]")


def _group(prefix, kind, value):
    return "%s%s_%s" % (prefix, kind, GROUP_SAFE.sub("_", str(value)).lower())


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "xapi.xenserver.vms"
    # every value set here is untrusted, the data-tagging form of unsafe (ansible-core >= 2.19);
    # wrapping each value again would cost a pass over 10,000 hosts and change nothing
    trusted_by_default = False

    def __init__(self):
        super().__init__()
        self._filters = None

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("xenserver.yml", "xenserver.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        self._filters = None
        key = self.get_cache_key(path)
        # what the cached records were read with: another pool list or other classes need a new read
        wanted = {"version": CACHE_VERSION, "pools": [c["hostname"] for c in self._connections()],
                  "classes": classes(self.get_option("with_networks"), self.get_option("with_disks"))}
        pools = None
        if self.get_option("cache") and cache:
            try:
                cached = self._cache[key]
            except KeyError:
                cached = None
            if isinstance(cached, dict) and all(cached.get(k) == v for k, v in wanted.items()):
                pools = cached["records"]
        if pools is None:
            pools = self._read_pools()
            if self.get_option("cache"):
                self._cache[key] = dict(wanted, records=pools)
        self._populate(pools)

    # ---- reading ----------------------------------------------------------------------------------
    def _connections(self):
        defaults = {k: self.get_option(k) for k in CONNECTION_KEYS}
        defaults["timeout"] = self.get_option("request_timeout")
        pools = self.get_option("pools") or [{}]
        connections = []
        for index, pool in enumerate(pools):
            unknown = sorted(set(pool) - set(CONNECTION_KEYS) - {"timeout"})
            if unknown:
                raise AnsibleParserError("pools[%d]: unknown option(s) %s; known: %s"
                                         % (index, ", ".join(unknown), ", ".join(CONNECTION_KEYS)))
            connection = dict(defaults, **{k: v for k, v in pool.items() if v is not None})
            if not connection.get("hostname"):
                raise AnsibleParserError("pools[%d].hostname (or hostname, or XENSERVER_HOST): needed" % index
                                         if self.get_option("pools") else "hostname (or XENSERVER_HOST): needed")
            connections.append(connection)
        return connections

    def _read_pools(self):
        connections = self._connections()
        with_networks, with_disks = self.get_option("with_networks"), self.get_option("with_disks")

        def read(connection):
            try:
                return read_pool(connection, with_networks, with_disks)
            except (XenAPIError, XenAPIConnectionError, ValueError) as exc:
                raise AnsibleError("pool %s: %s" % (connection["hostname"], exc)) from None

        # urllib3's warning per unchecked request is said once below instead; ignored here, around the threads,
        # as warnings filters are the process's and each client's own catch_warnings would race with the others
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Unverified HTTPS request")
            with ThreadPoolExecutor(max_workers=min(8, len(connections))) as pool:
                answers = list(pool.map(read, connections))
        unchecked = []
        for connection, (dummy, said) in zip(connections, answers):
            for warning in said:
                if warning.startswith("validate_certs is false"):
                    unchecked.append(str(connection["hostname"]))
                else:
                    self.display.warning(warning)
        if unchecked:  # once for the run, not once per pool, call or host
            self.display.warning("validate_certs is false: the TLS certificates of %s are not checked, so the password "
                                 "could reach an impostor" % ", ".join(unchecked))
        return [records for records, dummy in answers]

    # ---- populating -------------------------------------------------------------------------------
    def _populate(self, pools):
        prefix = self.get_option("prefix")
        options = {k: self.get_option(k) for k in ("include_templates", "include_snapshots", "include_control_domain",
                                                   "with_other_config")}
        named = [(records, pool_name(records)) for records in pools]
        # one list for all pools: duplicate_names applies across pools as well
        kept = [facts for records, name_of_pool in named
                for dummy, facts in vm_facts(records, name_of_pool, options) if self._kept(facts)]
        names = self._names(kept)
        group_by = set(self.get_option("group_by"))
        preference = self.get_option("ansible_host_network")
        inventory = self.inventory
        all_group = inventory.add_group(prefix.rstrip("_") + "_vms" if prefix else "vms")
        known_groups = set()
        construct = self._constructor()
        for facts, name in zip(kept, names):
            inventory.add_host(name, group=all_group)
            address = preferred_address(facts, preference)
            facts.pop("nics", None)  # only for ansible_host_network; macs and networks carry the rest
            for key, value in facts.items():
                inventory.set_variable(name, prefix + key, value)
            if address:
                inventory.set_variable(name, "ansible_host", address)
            for group in self._groups(prefix, facts, group_by):
                if group not in known_groups:
                    inventory.add_group(group)
                    known_groups.add(group)
                inventory.add_host(name, group=group)
            if construct:
                construct(name)
        if self.get_option("include_hosts"):
            hosts_group = inventory.add_group(prefix + "hosts")
            for records, name_of_pool in named:
                for dummy, facts in host_facts(records, name_of_pool):
                    inventory.add_host(facts["name"], group=hosts_group)
                    for key, value in facts.items():
                        inventory.set_variable(facts["name"], prefix + key, value)
                    inventory.set_variable(facts["name"], "ansible_host", facts["address"])

    def _constructor(self):
        """None without compose, groups and keyed_groups; else what applies them to one host."""
        compose, groups, keyed = self.get_option("compose"), self.get_option("groups"), self.get_option("keyed_groups")
        if not (compose or groups or keyed):
            return None
        strict = self.get_option("strict")

        def construct(name):
            variables = self.inventory.get_host(name).get_vars()
            self._set_composite_vars(compose, variables, name, strict=strict)
            self._add_host_to_composed_groups(groups, variables, name, strict=strict)
            self._add_host_to_keyed_groups(keyed, variables, name, strict=strict)
        return construct

    @staticmethod
    def _groups(prefix, facts, group_by):
        groups = []
        if "pool" in group_by and facts["pool"]:
            groups.append(_group(prefix, "pool", facts["pool"]))
        if "host" in group_by and facts["host"]:
            groups.append(_group(prefix, "host", facts["host"]))
        if "power_state" in group_by:
            groups.append(_group(prefix, "power", facts["power_state"]))
        if "tags" in group_by:
            groups.extend(_group(prefix, "tag", tag) for tag in facts["tags"])
        if "folder" in group_by and facts["folder"]:
            groups.append(_group(prefix, "folder", facts["folder"].strip("/")))
        if "os" in group_by and facts["os"]["distro"]:
            groups.append(_group(prefix, "os", facts["os"]["distro"]))
        return groups

    def _kept(self, facts):
        if self._filters is None:
            self._filters = (self.get_option("filters"), self.get_option("exclude_filters"))
        include, exclude = self._filters
        for expression in include:
            if not self._true(expression, facts):
                return False
        return not any(self._true(expression, facts) for expression in exclude)

    def _true(self, expression, facts):
        try:
            return bool(self._compose(expression, facts))
        except Exception as exc:
            raise AnsibleParserError("filters: %r cannot be evaluated for VM %s: %s" % (expression, facts["name"], exc)) from None

    def _names(self, kept):
        """The inventory name of each VM, by the hostnames preference, duplicates per duplicate_names."""
        wanted = []
        for facts in kept:
            name = None
            for choice in self.get_option("hostnames"):
                if choice == "name_label":
                    name = facts["name"]
                elif choice == "uuid":
                    name = facts["uuid"]
                elif choice == "ip":
                    name = (facts["ipv4"] or facts["ipv6"] or [None])[0]
                else:
                    try:
                        name = self._compose(choice, facts)
                    except Exception as exc:
                        raise AnsibleParserError("hostnames: %r cannot be evaluated for VM %s: %s"
                                                 % (choice, facts["name"], exc)) from None
                if name:
                    break
            wanted.append(str(name or facts["uuid"]))
        return self._deduplicated(kept, wanted)

    def _deduplicated(self, kept, wanted):
        by_name = {}
        for index, name in enumerate(wanted):
            by_name.setdefault(name, []).append(index)
        policy = self.get_option("duplicate_names")
        names = list(wanted)
        for name, indexes in by_name.items():
            if len(indexes) == 1:
                continue
            if policy == "error":
                raise AnsibleParserError("duplicate_names: %d VMs are named %r (uuids %s); name them apart, or choose "
                                         "duplicate_names: suffix or uuid" % (len(indexes), name, ", ".join(
                                             sorted(kept[i]["uuid"] for i in indexes))))
            ordered = sorted(indexes, key=lambda i: kept[i]["uuid"])
            for position, index in enumerate(ordered):
                if policy == "uuid":
                    names[index] = kept[index]["uuid"]
                elif position > 0:
                    names[index] = "%s_%s" % (name, kept[index]["uuid"][:8])
        return names
