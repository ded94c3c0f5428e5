"""Scenarios: YAML descriptions of pools, hosts, storage, networks and VMs -> a World.

Built-ins live in xapisim/scenarios/ (standalone, pool3, twopools, large); any other YAML
file with the same keys works. Every address must be on loopback (127.0.0.0/8).

A pool may set its own `product` (overriding the top-level one), and a pool or one of its
hosts may start with external authentication enabled: `external_auth: {type: AD, service_name:
example.test}` leaves the host fields as host.enable_external_auth would [xenapi-notes §3.2].
A top-level `directory:` is the domain those pools join: users, groups, OUs (xapisim/directory/builtin.py).
`updates:` (top level, or a pool's own) is what the pool's update repository serves, the pool's
repositories configured and synced (handlers/repository.py): a list of {name, version, guidance
(reboot_host, restart_toolstack, none), summary, packages, issued, type, software_version}, or
{available: that list, synced: false} for a pool that has not synced yet.
`machines:` (top level) is a bare-metal lab of powered-off machines with Redfish BMCs that
network-boot the installer (xapisim/lab/); `pools` may then be empty.
"""

import ipaddress
import os

import yaml

from . import install, lab, populate
from .directory import builtin as builtin_directory
from .handlers import nfs_sr
from .values import NULL_REF
from .world import World

BUILTIN_DIR = os.path.join(os.path.dirname(__file__), "scenarios")
GIB = 1024 ** 3


class ScenarioError(ValueError):
    """The scenario cannot be built; the message names the key and the value."""


def builtin_names():
    return sorted(name[:-5] for name in os.listdir(BUILTIN_DIR) if name.endswith(".yaml"))


def load(name_or_path):
    """A built-in name or a YAML file path -> (name, scenario dict)."""
    path = name_or_path
    if not os.path.exists(path):
        path = os.path.join(BUILTIN_DIR, "%s.yaml" % name_or_path)
        if not os.path.exists(path):
            raise ScenarioError("scenario %r is neither a file nor one of the built-ins (%s)"
                                % (name_or_path, ", ".join(builtin_names())))
    with open(path, encoding="utf-8") as handle:
        try:
            data = yaml.safe_load(handle)
        except yaml.YAMLError as exc:
            raise ScenarioError("scenario %s is not valid YAML: %s" % (path, exc)) from None
    if not isinstance(data, dict) or not isinstance(data.get("pools") or [], list) \
            or not (data.get("pools") or data.get("machines")):
        raise ScenarioError("scenario %s must be a mapping with a non-empty list 'pools' (or 'machines')" % path)
    return os.path.splitext(os.path.basename(path))[0], data


def loopback(value, key):
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        raise ScenarioError("%s: %r is not an IP address" % (key, value)) from None
    if address not in ipaddress.ip_network("127.0.0.0/8"):
        raise ScenarioError("%s: %s is not a loopback address (127.0.0.0/8); the simulator never "
                            "hands out other addresses" % (key, value))
    return str(address)


def _host_specs(pool_spec, pool_index, product, password):
    hosts = pool_spec.get("hosts", 1)
    if isinstance(hosts, int):
        first = ipaddress.ip_address(loopback(pool_spec.get("first_address", "127.0.%d.1" % (10 + pool_index)),
                                              "pools[%d].first_address" % pool_index))
        pattern = pool_spec.get("host_name", "xs%d-{n:02d}" % (pool_index + 1))
        hosts = [{"name": pattern.format(n=i + 1), "address": str(first + i)} for i in range(hosts)]
    if not isinstance(hosts, list) or not hosts:
        raise ScenarioError("pools[%d].hosts must be a count or a non-empty list" % pool_index)
    specs = []
    for index, host in enumerate(hosts):
        key = "pools[%d].hosts[%d]" % (pool_index, index)
        if "name" not in host or "address" not in host:
            raise ScenarioError("%s needs a name and an address" % key)
        specs.append({
            "name": str(host["name"]), "address": loopback(host["address"], key + ".address"),
            "memory": int(host.get("memory_gib", pool_spec.get("memory_gib", 256)) * GIB),
            "cpus": int(host.get("cpus", pool_spec.get("cpus", 32))),
            "nics": int(host.get("nics", pool_spec.get("nics", 2))),
            "local_sr_type": host.get("local_sr_type", pool_spec.get("local_sr_type", "lvm")),
            "local_sr_size": int(host.get("local_sr_gib", pool_spec.get("local_sr_gib", 1800)) * GIB),
            "product": product, "root_password": host.get("root_password", password),
            "external_auth": host.get("external_auth", pool_spec.get("external_auth")),
            "external_auth_key": (key if "external_auth" in host else "pools[%d]" % pool_index) + ".external_auth",
        })
    return specs


def _product(value, key):
    if value not in install.PRODUCTS:
        raise ScenarioError("%s: %r is not one of %s" % (key, value, ", ".join(install.PRODUCTS)))
    return value


def build(name_or_path, speed=1.0, root_password="xapisim", seed=0):
    name, data = load(name_or_path)
    world = World(speed=speed, root_password=root_password, seed=seed)
    world.scenario_name = name
    world.description = data.get("description", "")
    default_product = _product(data.get("product", "xenserver"), "product")
    if data.get("directory") is not None:
        try:
            world.directory = builtin_directory.from_spec(data["directory"])
        except builtin_directory.SpecError as exc:
            raise ScenarioError(str(exc)) from None
    seen = set()
    for pool_index, pool_spec in enumerate(data.get("pools") or []):
        product = _product(pool_spec.get("product", default_product), "pools[%d].product" % pool_index)
        specs = _host_specs(pool_spec, pool_index, product, root_password)
        for spec in specs:
            if spec["address"] in seen:
                raise ScenarioError("address %s is used by two hosts" % spec["address"])
            seen.add(spec["address"])
        pool = world.add_pool(pool_spec.get("name", ""))
        db = pool.db
        db.loading = True
        try:
            db.counters["pool_index"] = pool_index
            pool_ref = install.create_pool(db, world.model, pool.name, product)
            locals_ = {}
            for spec in specs:
                host, local = install.install_host(db, pool_ref, spec)
                locals_[host] = local
                populate.external_auth(db, host, spec["external_auth"], spec["external_auth_key"])
                if db.get("pool", pool_ref)["master"] == NULL_REF:
                    db.update("pool", pool_ref, master=host)
            populate.shared_storage(db, pool_spec, pool_index)
            populate.networks(db, pool_spec, pool_index)
            populate.default_sr(db, pool_ref, pool_spec, locals_, pool_index)
            populate.vms(db, pool_spec, pool_index)
            populate.updates(db, pool_ref, pool_spec.get("updates", data.get("updates")),
                             "pools[%d].updates" % pool_index if "updates" in pool_spec else "updates", product)
        finally:
            db.loading = False
        nfs_sr.register_pool(db)
        for host in db.refs("host"):
            world.register_host(pool, host)
    if data.get("machines"):
        try:
            world.lab = lab.Lab(world, data["machines"], seen)
        except lab.SpecError as exc:
            raise ScenarioError(str(exc)) from None
    return world
