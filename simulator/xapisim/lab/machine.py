"""One bare-metal machine of the lab: power, the BMC's boot override and log, network boot,
the installer, and the host on its disk.

Simulated durations (scaled by the clock's speed): power-on self test POST_TIME, then the boot
source; the installer starts and reads its answerfile INSTALLER_BOOT after the PXE boot; a good
install takes INSTALL_TIME, then the machine reboots (POST again) and the host answers
HOST_BOOT after it booted from disk.
"""

import datetime
import os
import threading

from ..membership import set_live
from . import bootentry
from . import host as lab_host
from .answerfile import InstallError, fetch, parse

POST_TIME = 30.0
INSTALLER_BOOT = 60.0
INSTALL_TIME = 600.0
HOST_BOOT = 90.0
OVERRIDE_ENABLED = ("Disabled", "Once", "Continuous")
OVERRIDE_TARGETS = ("None", "Pxe", "Hdd")
MODES = {"bios": "Legacy", "uefi": "UEFI"}


class Conflict(Exception):
    """A power action the machine's state refuses (Redfish answers 409)."""


def _second_mac(mac):
    parts = mac.split(":")
    return ":".join(parts[:-1] + ["%02x" % ((int(parts[-1], 16) + 0x80) & 0xFF)])


class Machine:
    def __init__(self, lab, index, spec):
        self.lab = lab
        self.index = index
        self.name, self.mac, self.firmware = spec["name"], spec["mac"], spec["firmware"]
        self.bmc_address, self.bmc_username, self.bmc_password = (spec["bmc_address"], spec["bmc_username"],
                                                                  spec["bmc_password"])
        self.address = spec["address"]
        self.disks = spec["disks"]  # name -> bytes, in order
        self.memory, self.cpus, self.nic_count = spec["memory"], spec["cpus"], spec["nics"]
        self.power = "Off"
        self.stage = "off"  # off, firmware, installer, installing, booting, host, halted
        self.override = {"BootSourceOverrideEnabled": "Disabled", "BootSourceOverrideTarget": "None",
                         "BootSourceOverrideMode": MODES[self.firmware]}
        self.log = []
        self.last_boot = None
        self.installed = None  # (pool, host ref, address) on the disk
        self.installing_address = None
        self.generation = 0  # every power change: timers of an older one do nothing

    @property
    def world(self):
        return self.lab.world

    def nics(self):
        macs = {"eth0": self.mac}
        for number in range(1, self.nic_count):
            macs["eth%d" % number] = _second_mac(self.mac) if number == 1 else "%s:%02x" % (self.mac[:-3], number)
        return macs

    # ---- the BMC's log ---------------------------------------------------------------------
    def record(self, severity, message):
        with self.lab.lock:
            number = len(self.log) + 1
            created = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
            self.log.append({"Id": str(number), "Created": created, "Severity": severity, "Message": message})

    def clear_log(self):
        with self.lab.lock:
            self.log = []

    # ---- power -----------------------------------------------------------------------------
    def power_state(self):
        """On or Off; a host shut down by its own OS (host.shutdown) leaves the machine off."""
        with self.lab.lock:
            if self.stage == "host" and self.installed is not None:
                pool, host, dummy = self.installed
                if pool not in self.world.pools or not pool.db.exists("host", host):
                    return self.power
                record = pool.db.get("host", host)
                live = pool.db.get("host_metrics", record["metrics"])["live"]
                if not live and "reboot" not in record["current_operations"].values():
                    self.generation += 1
                    self.power, self.stage = "Off", "off"
                    self.record("OK", "System power off (shut down by the operating system)")
            return self.power

    def reset(self, kind):
        """A Redfish ResetType."""
        state = self.power_state()
        if kind == "On":
            if state == "On":
                raise Conflict("The system is already powered on.")
            self._power_on("System power on")
        elif kind in ("ForceOff", "GracefulShutdown"):
            if state == "Off":
                raise Conflict("The system is already powered off.")
            self._power_off("System power off (%s)" % kind)
        elif state == "Off":  # ForceRestart, PowerCycle, GracefulRestart of a machine that is off: it powers on
            self._power_on("System power on (%s)" % kind)
        else:
            self._power_off("System power off (%s)" % kind)
            self._power_on("System power on (%s)" % kind)

    def _power_off(self, message):
        with self.lab.lock:
            self.generation += 1
            stage, self.power, self.stage = self.stage, "Off", "off"
            self.installing_address = None
        self.record("OK", message)
        if stage == "installing":
            self.record("Warning", "Installation interrupted by power off: the disk holds no installation")
        self._host_down()

    def _host_down(self):
        if self.installed is None:
            return
        pool, host, address = self.installed
        if self.world.hosts.get(address, (None, None))[1] == host:
            if pool.db.exists("host", host):
                with pool.db.lock:
                    set_live(pool.db, host, False)
            self.world.unregister_host(address)
            self.world.hosts_changed()

    def _power_on(self, message):
        with self.lab.lock:
            self.generation += 1
            generation = self.generation
            self.power, self.stage = "On", "firmware"
        self.record("OK", message)
        self.world.clock.later(POST_TIME, lambda: self._boot(generation))

    def _current(self, generation):
        return generation == self.generation and not self.lab.stopped

    # ---- booting -----------------------------------------------------------------------------
    def _boot(self, generation):
        with self.lab.lock:
            if not self._current(generation):
                return
            enabled = self.override["BootSourceOverrideEnabled"]
            target = self.override["BootSourceOverrideTarget"] if enabled != "Disabled" else "None"
            if enabled == "Once":
                self.override.update(BootSourceOverrideEnabled="Disabled", BootSourceOverrideTarget="None")
        if target == "Pxe":
            self._pxe(generation)
        else:
            self._disk(generation)

    def _pxe(self, generation):
        tftp_root = self.lab.tftp_root
        try:
            found = bootentry.read(tftp_root, self.firmware, self.mac)
        except bootentry.BadEntry as exc:
            path = os.path.relpath(bootentry.entry_path(tftp_root, self.firmware, self.mac), tftp_root)
            self.last_boot = {"source": "Pxe", "entry": path, "result": "bad entry"}
            self.record("Critical", "PXE: cannot boot %s: %s" % (path, exc))
            self._halt(generation)
            return
        if found is None:
            self.last_boot = {"source": "Pxe", "entry": None, "result": "no entry"}
            self.record("Warning", "PXE: no boot entry for %s" % self.mac)
            self._disk(generation)
            return
        path, url = found
        path = os.path.relpath(path, tftp_root)
        self.last_boot = {"source": "Pxe", "entry": path, "answerfile": url, "result": "installer"}
        self.record("OK", "PXE: booting the installer from %s (answerfile %s)" % (path, url))
        with self.lab.lock:
            if self._current(generation):
                self.stage = "installer"
        self.world.clock.later(INSTALLER_BOOT, lambda: threading.Thread(
            target=self._installer, args=(generation, url), name="xapisim-lab-installer", daemon=True).start())

    def _disk(self, generation):
        if self.installed is None:
            if self.last_boot is None or self.last_boot.get("source") != "Pxe":
                self.last_boot = {"source": "Hdd", "result": "no bootable device"}
            self.record("Critical", "Boot failed: no bootable device (the disks hold no operating system)")
            self._halt(generation)
            return
        self.last_boot = {"source": "Hdd", "result": "host", "address": self.installed[2]}
        with self.lab.lock:
            if self._current(generation):
                self.stage = "booting"
        self.world.clock.later(HOST_BOOT, lambda: self._host_up(generation))

    def _halt(self, generation):
        with self.lab.lock:
            if self._current(generation):
                self.stage = "halted"

    def _host_up(self, generation):
        with self.lab.lock:
            if not self._current(generation) or self.installed is None:
                return
            pool, host, address = self.installed
            if pool not in self.world.pools or not pool.db.exists("host", host):
                return
            self.stage = "host"
        with pool.db.lock:
            set_live(pool.db, host, True)
            for session in pool.db.refs("session"):  # xapi keeps sessions in memory only
                pool.db.delete("session", session)
        self.world.register_host(pool, host)
        self.world.hosts_changed()
        self.record("OK", "%s started from disk: %s at %s" % (
            pool.db.get("host", host)["software_version"]["product_brand"], pool.db.get("host", host)["hostname"],
            address))

    # ---- the installer -------------------------------------------------------------------------
    def _installer(self, generation, url):
        if not self._current(generation):
            return
        try:
            body = fetch(url, "answerfile")
            settings = parse(body, self, lambda address: self.lab.check_address(self, address),
                             self.lab.source_product)
            with self.lab.lock:
                if not self._current(generation):
                    return
                self.lab.check_address(self, settings["interface"]["address"])
                self.installing_address = settings["interface"]["address"]
                self.stage = "installing"
        except InstallError as exc:
            if self._current(generation):
                self.last_boot["result"] = "installation failed"
                self.record("Critical", "Installation failed: %s" % exc)
                self._halt(generation)
            return
        self._wipe()
        disks = ", ".join([settings["primary_disk"]] + settings["guest_disks"])
        self.record("OK", "Installation started: %s from %s on %s, management %s %s (%s)" % (
            settings["hostname"], settings["source"], disks, settings["interface"]["device"],
            settings["interface"]["address"], settings["interface"]["mode"]))
        self.world.clock.later(INSTALL_TIME, lambda: self._complete(generation, settings))

    def _wipe(self):
        """The installer partitions the disks: the host that was there is gone."""
        if self.installed is None:
            return
        self._host_down()
        pool = self.installed[0]
        self.installed = None
        self.world.remove_pool(pool)
        self.world.hosts_changed()

    def _complete(self, generation, settings):
        if not self._current(generation):
            return
        pool, host = lab_host.create(self.world, self, settings, 20 + self.index)
        with self.lab.lock:
            self.installed = (pool, host, settings["interface"]["address"])
            self.installing_address = None
        if self.last_boot is not None:
            self.last_boot["result"] = "installed"
        self.record("OK", "Installation complete")
        self._power_on("System reset (the installer reboots)")

    # ---- for the control API -------------------------------------------------------------------------
    def fail(self):
        """Hardware failure: the machine dies and its disks are replaced. The host on it is gone (its
        pool leaves the world, its address stops answering); the machine is bare metal again and off,
        ready to be installed over the network. Shared storage (NFS) keeps what the host had there."""
        with self.lab.lock:
            self.generation += 1
            self.power, self.stage = "Off", "off"
            self.installing_address = None
            self.last_boot = None
        self.record("Critical", "Hardware failure: the system halted; its disks were replaced (no operating system)")
        self._wipe()

    def describe(self):
        power = self.power_state()
        with self.lab.lock:
            return {"name": self.name, "mac": self.mac, "firmware": self.firmware, "power": power,
                    "stage": self.stage, "boot": dict(self.override), "last_boot": self.last_boot,
                    "installed": self.installed[2] if self.installed else None,
                    "host_uuid": self._host_uuid(), "log": list(self.log)}

    def _host_uuid(self):
        """The uuid of the host on the disk (None on bare metal)."""
        if self.installed is None:
            return None
        pool, host, dummy = self.installed
        record = pool.db.tables["host"].get(host)
        return record["uuid"] if record else None
