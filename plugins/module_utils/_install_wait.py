# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waiting for freshly installed hosts, all of them at once.

Each machine has its own thread that tries a XenAPI login at the machine's new address with backoff
(a refused connection costs nothing) until the host answers with its product version and the root
password works, or until the deadline. While it waits it reads the machine's BMC log now and then:
a new critical entry (the installer's "Installation failed: ...") ends that machine's wait early.
For each machine that does not come up, the BMC is read once more (power state, its last log
entries) so that the failure says what the machine says, not just "timed out".
No Ansible imports: the module host_install_wait adapts the results.
"""

import concurrent.futures
import re
import threading
import time
import warnings
from urllib.parse import urlsplit

from ._client import XenAPIClient, normalize_url
from ._errors import XenAPIConnectionError, XenAPIError

try:
    import requests
    from urllib3.exceptions import InsecureRequestWarning
except ImportError:  # the module reports the missing library through XenAPIClient
    requests = None
    InsecureRequestWarning = Warning

FATAL_MESSAGE = re.compile(r"install(ation|er)?\s+(failed|aborted|error)", re.IGNORECASE)


def xenapi_url(address, port=""):
    """https://address[:port] for an address given as an IP, an IP/prefix (CIDR) or a name."""
    host = str(address).split("/", 1)[0].strip()
    if port not in (None, ""):
        host = "%s:%s" % (host, port)
    return normalize_url(host)


def entry_key(entry):
    """What identifies a BMC log entry across reads (ids alone may start again after the log is cleared)."""
    return "%s|%s|%s" % (entry.get("@odata.id") or entry.get("Id") or "", entry.get("Created"), entry.get("Message"))


def is_fatal(entry):
    """A log entry that means the installation will not finish."""
    return entry.get("Severity") == "Critical" or bool(FATAL_MESSAGE.search(str(entry.get("Message", ""))))


def describe_entry(entry):
    return "%s %s: %s" % (entry.get("Created", "?"), entry.get("Severity", "?"), entry.get("Message", ""))


class Bmc:
    """The few Redfish reads the wait needs: the system, its power state, its log entries."""

    def __init__(self, url, username, password, verify=True, system=None, timeout=10.0):
        self.url = str(url).rstrip("/")
        self.auth = (username or "", password or "")
        self.verify = verify
        self.system = system or None
        self.timeout = timeout

    def get(self, path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureRequestWarning)
            response = requests.get(self.url + path, auth=self.auth, verify=self.verify, timeout=self.timeout,
                                    headers={"Accept": "application/json"})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise BmcError("%s answered HTTP %d to GET %s" % (self.url, response.status_code, path))
        return response.json()

    def system_path(self):
        if self.system is None:
            systems = self.get("/redfish/v1/Systems") or {}
            members = systems.get("Members") or []
            if not members:
                raise BmcError("%s lists no system under /redfish/v1/Systems" % self.url)
            self.system = members[0]["@odata.id"]
        return self.system

    def power_state(self):
        record = self.get(self.system_path()) or {}
        return record.get("PowerState", "unknown")

    def log_entries(self):
        answer = self.get(self.system_path() + "/LogServices/Log/Entries")
        return list((answer or {}).get("Members") or [])


class BmcError(Exception):
    pass


def bmc_reason(exc):
    if isinstance(exc, BmcError):
        return str(exc)
    text = str(exc)
    for marker in ("certificate verify failed", "Connection refused", "timed out", "Name or service not known"):
        if marker in text:
            return "%s: %s" % (type(exc).__name__, marker)
    return "%s: %s" % (type(exc).__name__, text[:200])


class Waiter:
    """Waits for a list of machines concurrently. `machines`: dicts with name, address and optionally
    bmc_url, bmc_username, bmc_password, bmc_system, bmc_log_seen (entries there before the reset) and
    previous_uuid (the host uuid of the installation being replaced: answering with it is not done)."""

    first_delay = 1.0
    max_delay = 5.0  # a refused connection costs nothing; a host that came up is seen within seconds
    bmc_interval = 10.0
    log_lines = 5

    def __init__(self, machines, password, username="root", port="", validate_certs=True, ca_path=None,
                 bmc_validate_certs=True, bmc_ca_path=None, product_version="", request_timeout=10.0,
                 client_factory=XenAPIClient, bmc_factory=Bmc, clock=time.monotonic):
        self.machines = list(machines)
        self.password = password
        self.username = username
        self.port = port
        self.validate_certs = validate_certs
        self.ca_path = ca_path or None
        self.bmc_verify = (bmc_ca_path or True) if bmc_validate_certs else False
        self.product_version = product_version or ""
        self.request_timeout = float(request_timeout)
        self.client_factory = client_factory
        self.bmc_factory = bmc_factory
        self.clock = clock
        self.stop = threading.Event()

    # ---- one look at one host ---------------------------------------------------------------------
    def probe(self, machine):
        """(facts, None) when the host answers as installed, else (None, the reason in words)."""
        url = xenapi_url(machine["address"], self.port)
        try:
            client = self.client_factory(url, self.username, self.password, validate_certs=self.validate_certs,
                                         ca_path=self.ca_path, timeout=self.request_timeout, retry_deadline=0)
        except ValueError as exc:
            return None, "address %r: %s" % (machine["address"], exc)
        try:
            client.login()
            hosts = client.call("host.get_all_records")
            ref, host = _the_host(hosts, url)
            version = host.get("software_version") or {}
            facts = {"name": machine["name"], "url": url, "uuid": host.get("uuid"), "ref": ref,
                     "hostname": host.get("hostname"), "address": host.get("address"),
                     "name_label": host.get("name_label"), "product_brand": version.get("product_brand"),
                     "product_version": version.get("product_version")}
        except XenAPIError as exc:
            if exc.code == "SESSION_AUTHENTICATION_FAILED":
                return None, "XenAPI at %s answers but refuses the root password" % url
            return None, "XenAPI at %s: %s" % (url, exc.message)
        except XenAPIConnectionError as exc:
            return None, str(exc)
        finally:
            client.logout()
        if machine.get("previous_uuid") and facts["uuid"] == machine["previous_uuid"]:
            return None, "%s still answers as the installation being replaced (host uuid %s)" % (url, facts["uuid"])
        if self.product_version and not str(facts["product_version"]).startswith(self.product_version):
            return None, "%s answers with product version %s, not product_version %s" % (
                url, facts["product_version"], self.product_version)
        return facts, None

    def probe_all(self):
        """One look at every machine, in parallel: (installed facts, {name: reason})."""
        answers = self._parallel(self.probe)
        installed = [facts for facts, reason in answers if facts]
        absent = {machine["name"]: reason for machine, (facts, reason) in zip(self.machines, answers) if not facts}
        return installed, absent

    # ---- waiting ------------------------------------------------------------------------------------
    def wait_all(self, timeout):
        """Wait for every machine until `timeout` seconds: (installed facts, failures). A failure is a
        dict with name, msg (one line naming the BMC's reason), power_state, log and xenapi."""
        deadline = self.clock() + float(timeout)
        results = self._parallel(lambda machine: self.wait_one(machine, deadline))
        installed = [result for ok, result in results if ok]
        failed = [result for ok, result in results if not ok]
        return installed, failed

    def wait_one(self, machine, deadline):
        started = self.clock()
        seen = set(entry_key(entry) if isinstance(entry, dict) else str(entry) for entry in machine.get("bmc_log_seen") or [])
        bmc = self._bmc(machine)
        delay = self.first_delay
        next_bmc_read = started + self.bmc_interval
        tries = 0
        while True:
            tries += 1
            facts, reason = self.probe(machine)
            if facts:
                facts.update(seconds=round(self.clock() - started, 1), tries=tries)
                return True, facts
            now = self.clock()
            if bmc is not None and now >= next_bmc_read:
                next_bmc_read = now + self.bmc_interval
                fatal = self._fatal_entries(bmc, seen)
                if fatal:
                    return False, self.failure(machine, bmc, seen, "the installation failed", reason, fatal)
            if now >= deadline:
                headline = "no installed host answered XenAPI within %d s" % round(deadline - started)
                return False, self.failure(machine, bmc, seen, headline, reason, None)
            if self.stop.wait(min(delay, max(deadline - now, 0.0))):
                return False, self.failure(machine, bmc, seen, "the wait was stopped", reason, None)
            delay = min(delay * 1.5, self.max_delay)

    def _bmc(self, machine):
        if not machine.get("bmc_url"):
            return None
        return self.bmc_factory(machine["bmc_url"], machine.get("bmc_username"), machine.get("bmc_password"),
                                verify=self.bmc_verify, system=machine.get("bmc_system"),
                                timeout=self.request_timeout)

    @staticmethod
    def _fatal_entries(bmc, seen):
        try:
            entries = bmc.log_entries()
        except Exception:  # a BMC that does not answer now may later; the final report says it
            return []
        return [entry for entry in entries if entry_key(entry) not in seen and is_fatal(entry)]

    def failure(self, machine, bmc, seen, headline, xenapi_reason, fatal):
        """What the machine and its BMC say, as one line and as data."""
        report = {"name": machine["name"], "xenapi": xenapi_reason, "power_state": None, "log": []}
        parts = []
        if bmc is None:
            parts.append("no BMC given")
        else:
            try:
                report["power_state"] = bmc.power_state()
                entries = bmc.log_entries()
            except Exception as exc:  # requests, JSON or Redfish shape: the line says which
                parts.append("BMC %s did not answer: %s" % (bmc.url, bmc_reason(exc)))
            else:
                new = [entry for entry in entries if entry_key(entry) not in seen]
                fatal = fatal or [entry for entry in new if is_fatal(entry)]
                shown = (fatal or new or entries)[-self.log_lines:]
                report["log"] = [{"created": entry.get("Created"), "severity": entry.get("Severity"),
                                  "message": entry.get("Message")} for entry in shown]
                parts.append("BMC power state %s" % report["power_state"])
                if fatal:
                    headline = "%s: %s" % (headline, fatal[-1].get("Message", ""))
                if shown:
                    parts.append("BMC log: %s" % " | ".join(describe_entry(entry) for entry in shown))
                else:
                    parts.append("BMC log: nothing new since the reset")
        parts.append("last XenAPI attempt: %s" % xenapi_reason)
        report["msg"] = "%s: %s; %s" % (machine["name"], headline, "; ".join(parts))
        return report

    def _parallel(self, work):
        if not self.machines:
            return []
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(self.machines), 64)) as pool:
            return list(pool.map(work, self.machines))


def _the_host(hosts, url):
    """The host record of a freshly installed (single-host) pool; with several hosts, the one at url."""
    if len(hosts) == 1:
        return next(iter(hosts.items()))
    wanted = urlsplit(url).hostname
    for ref, host in hosts.items():
        if host.get("address") == wanted:
            return ref, host
    if not hosts:
        raise XenAPIConnectionError("%s answers XenAPI but lists no host" % url)
    return sorted(hosts.items())[0]
