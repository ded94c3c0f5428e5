"""The bare-metal lab: machines with Redfish BMCs, network boot from a TFTP root, answerfiles
and installation repositories from an HTTP root, and the hosts they become.

A scenario's `machines:` list makes one; each machine:

    {name, mac, firmware: bios|uefi, bmc_address, bmc_username (admin), bmc_password,
     address (its free loopback address, for DHCP), disks: {sda: 480, ...} (GiB),
     memory_gib (256), cpus (32), nics (2)}

Serving it (Simulator.serve) puts the TFTP root and the HTTP root under <state dir>/lab/ and
serves the HTTP root on http://127.0.62.1 (the simulator's port when free); the BMCs answer
Redfish on their addresses (lab/redfish.py); the boot and the installer are lab/machine.py.
"""

import ipaddress
import os
import threading
import urllib.parse

from .answerfile import InstallError
from .httproot import SOURCES, HttpRoot, make_sources, treeinfo_product
from .machine import Machine
from .redfish import endpoint

HTTP_ADDRESS = "127.0.62.1"
GIB = 1024 ** 3
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


class SpecError(ValueError):
    """The scenario's machines cannot be built."""


def _loopback(value, key):
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        raise SpecError("%s: %r is not an IP address" % (key, value)) from None
    if address not in LOOPBACK:
        raise SpecError("%s: %s is not a loopback address (127.0.0.0/8)" % (key, value))
    return str(address)


def _machine_spec(index, spec, taken):
    key = "machines[%d]" % index
    if not isinstance(spec, dict):
        raise SpecError("%s must be a mapping" % key)
    for field in ("name", "mac", "bmc_address", "bmc_password", "address", "disks"):
        if field not in spec:
            raise SpecError("%s needs '%s'" % (key, field))
    mac = str(spec["mac"]).lower()
    parts = mac.split(":")
    if len(parts) != 6 or not all(len(part) == 2 and all(c in "0123456789abcdef" for c in part) for part in parts):
        raise SpecError("%s.mac: %r is not a MAC address" % (key, spec["mac"]))
    firmware = spec.get("firmware", "bios")
    if firmware not in ("bios", "uefi"):
        raise SpecError("%s.firmware: %r is not bios or uefi" % (key, firmware))
    if not isinstance(spec["disks"], dict) or not spec["disks"]:
        raise SpecError("%s.disks must map disk names to sizes in GiB" % key)
    result = {"name": str(spec["name"]), "mac": mac, "firmware": firmware,
              "bmc_address": _loopback(spec["bmc_address"], key + ".bmc_address"),
              "bmc_username": str(spec.get("bmc_username", "admin")), "bmc_password": str(spec["bmc_password"]),
              "address": _loopback(spec["address"], key + ".address"),
              "disks": {str(name): int(float(size) * GIB) for name, size in spec["disks"].items()},
              "memory": int(spec.get("memory_gib", 256) * GIB), "cpus": int(spec.get("cpus", 32)),
              "nics": int(spec.get("nics", 2))}
    for field in ("bmc_address", "address"):
        if result[field] in taken:
            raise SpecError("%s.%s: %s is used twice" % (key, field, result[field]))
        taken.add(result[field])
    return result


class Lab:
    def __init__(self, world, specs, taken=()):
        if not isinstance(specs, list) or not specs:
            raise SpecError("machines must be a non-empty list")
        self.world = world
        self.lock = threading.RLock()
        self.stopped = False
        taken = set(taken) | {"127.0.0.1", HTTP_ADDRESS}
        self.machines = [Machine(self, index, _machine_spec(index, spec, taken)) for index, spec in enumerate(specs)]
        names = [machine.name for machine in self.machines]
        if len(set(names)) != len(names):
            raise SpecError("machines: two machines have the same name")
        for machine in self.machines:
            world.extra_endpoints[machine.bmc_address] = endpoint(machine)
        self.tftp_root = self.http_root = None
        self.http = None
        self.port = None
        self.scheme = "https"

    # ---- serving -----------------------------------------------------------------------------
    def attach(self, state_dir, port, tls):
        """Make the roots under <state_dir>/lab and serve the HTTP root."""
        base = os.path.join(state_dir, "lab")
        self.tftp_root, self.http_root = os.path.join(base, "tftp"), os.path.join(base, "http")
        for folder in (os.path.join(self.tftp_root, "pxelinux.cfg"), os.path.join(self.tftp_root, "EFI", "xenserver"),
                       self.http_root):
            os.makedirs(folder, exist_ok=True)
        make_sources(self.http_root)
        self.port, self.scheme = port, "https" if tls else "http"
        if self.http is None:
            self.http = HttpRoot(self.http_root, HTTP_ADDRESS, port)

    def stop(self):
        with self.lock:
            self.stopped = True
        if self.http is not None:
            self.http.close()
            self.http = None

    # ---- what the installer asks ---------------------------------------------------------------
    def source_product(self, url):
        """The product of the installation repository at `url` (http on the lab's HTTP server, or
        file://), or None when it is not one."""
        parsed = urllib.parse.urlsplit(url.strip())
        path = urllib.parse.unquote(parsed.path)
        if parsed.scheme == "file":
            folder = path
        elif (parsed.scheme == "http" and self.http is not None and parsed.hostname == HTTP_ADDRESS
              and parsed.port == self.http.port):
            folder = os.path.normpath(os.path.join(self.http_root, path.lstrip("/")))
            if not (folder + os.sep).startswith(os.path.normpath(self.http_root) + os.sep):
                return None
        else:
            return None
        return treeinfo_product(folder)

    def check_address(self, machine, address):
        """InstallError when `address` is taken by anything but `machine`'s own old host."""
        with self.lock:
            owners = {"127.0.0.1": "the simulator's control address", HTTP_ADDRESS: "the lab's HTTP server"}
            for pool_address, (pool, host) in list(self.world.hosts.items()):
                owners[pool_address] = "host %s" % pool.db.get("host", host)["name_label"]
            for other in self.machines:
                owners[other.bmc_address] = "%s's BMC" % other.name
                if other is machine:
                    continue
                owners[other.address] = "%s's lab address" % other.name
                if other.installing_address:
                    owners[other.installing_address] = "%s, being installed" % other.name
                if other.installed:
                    owners[other.installed[2]] = "the host installed on %s" % other.name
            if machine.installed and machine.installed[2] == address:
                owners.pop(address, None)
            if address in owners:
                raise InstallError("admin interface address %s is already in use (%s)" % (address, owners[address]))

    def machine_of(self, pool):
        """The machine whose disk holds the host of `pool`, if any."""
        with self.lock:
            return next((m for m in self.machines if m.installed is not None and m.installed[0] is pool), None)

    # ---- descriptions ----------------------------------------------------------------------------
    def endpoints(self):
        http_url = self.http.url if self.http is not None else None
        machines = []
        for machine in self.machines:
            machines.append({"name": machine.name, "mac": machine.mac, "firmware": machine.firmware,
                             "bmc_url": "%s://%s:%d" % (self.scheme, machine.bmc_address, self.port or 0),
                             "bmc_username": machine.bmc_username, "bmc_password": machine.bmc_password,
                             "disks": list(machine.disks),
                             "disk_sizes_gib": {name: size // GIB for name, size in machine.disks.items()},
                             "nics": machine.nics(), "address": machine.address})
        sources = {http_url + folder + "/": product for folder, product in SOURCES.items()} if http_url else {}
        return {"machines": machines, "tftp_root": self.tftp_root, "http_root": self.http_root, "http_url": http_url,
                "source_url": http_url + "xenserver-8.4/" if http_url else None, "sources": sources,
                "xenapi_port": self.port}

    def describe(self):
        result = self.endpoints()
        result["machines"] = [dict(entry, **machine.describe()) for entry, machine in zip(result["machines"], self.machines)]
        return result
