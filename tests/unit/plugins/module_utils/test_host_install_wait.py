# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The parallel wait of host_install: hosts that come up late, a failed installation ended early by
the BMC's log, a timeout reported with the BMC's power state, the replaced installation not counted."""

import threading
import time

from ansible_collections.xapi.xenserver.plugins.module_utils._errors import XenAPIConnectionError, XenAPIError
from ansible_collections.xapi.xenserver.plugins.module_utils._install_wait import Waiter, xenapi_url


class World:
    """Hosts that answer from a given moment on, and BMCs with logs."""

    def __init__(self):
        self.start = time.monotonic()
        self.up_at = {}  # url -> seconds after start
        self.uuid = {}
        self.password = "pw"
        self.logs = {}  # bmc url -> entries
        self.power = {}
        self.lock = threading.Lock()
        self.logins = 0

    def client(self, url, username, password, **options):
        world = self

        class Client:
            def login(self):
                with world.lock:
                    world.logins += 1
                if time.monotonic() - world.start < world.up_at.get(url, 1e9):
                    raise XenAPIConnectionError("cannot connect to %s: Connection refused" % url)
                if password != world.password:
                    raise XenAPIError("SESSION_AUTHENTICATION_FAILED", [username, "bad"], "session.login_with_password")

            def call(self, method):
                return {"OpaqueRef:h": {"uuid": world.uuid.get(url, "new-" + url), "hostname": url.split("//")[1],
                                        "address": url.split("//")[1].split(":")[0], "name_label": "x",
                                        "software_version": {"product_version": "8.4.0", "product_brand": "XenServer"}}}

            def logout(self):
                pass

        return Client()

    def bmc(self, url, username, password, verify=True, system=None, timeout=10):
        world = self

        class Bmc:
            def __init__(self):
                self.url = url

            def power_state(self):
                return world.power.get(url, "On")

            def log_entries(self):
                return list(world.logs.get(url, []))

        return Bmc()


def waiter(world, machines, **options):
    result = Waiter(machines, "pw", port="4443", client_factory=world.client, bmc_factory=world.bmc, **options)
    result.first_delay = 0.02
    result.max_delay = 0.05
    result.bmc_interval = 0.05
    return result


def machine(number, **extra):
    return dict(name="node%d" % number, address="127.0.61.%d/24" % number, bmc_url="https://127.0.60.%d" % number,
                bmc_username="admin", bmc_password="b", **extra)


def test_url_of_an_address():
    assert xenapi_url("127.0.61.1/24", "4443") == "https://127.0.61.1:4443"
    assert xenapi_url("node1.lab") == "https://node1.lab"


def test_all_come_up_in_parallel():
    world = World()
    machines = [machine(n) for n in range(1, 5)]
    for n in range(1, 5):
        world.up_at["https://127.0.61.%d:4443" % n] = 0.3
    started = time.monotonic()
    installed, failed = waiter(world, machines).wait_all(10)
    assert not failed
    assert sorted(host["name"] for host in installed) == ["node1", "node2", "node3", "node4"]
    assert all(host["product_version"] == "8.4.0" for host in installed)
    assert time.monotonic() - started < 2  # together, not one after the other


def test_failed_install_ends_early_with_the_bmc_reason_and_others_still_come_up():
    world = World()
    world.up_at["https://127.0.61.6:4443"] = 0.2
    old = {"@odata.id": "/log/1", "Created": "t0", "Severity": "Critical", "Message": "an old failure"}
    world.logs["https://127.0.60.5"] = [old, {"@odata.id": "/log/2", "Created": "t1", "Severity": "OK",
                                              "Message": "Installer started"},
                                        {"@odata.id": "/log/3", "Created": "t2", "Severity": "Critical",
                                         "Message": "Installation failed: primary disk 'sdx' not found"}]
    started = time.monotonic()
    installed, failed = waiter(world, [machine(5, bmc_log_seen=[old]), machine(6)]).wait_all(30)
    assert time.monotonic() - started < 5
    assert [host["name"] for host in installed] == ["node6"]
    assert [report["name"] for report in failed] == ["node5"]
    line = failed[0]["msg"]
    assert line.startswith("node5: the installation failed: Installation failed: primary disk 'sdx' not found")
    assert "BMC power state On" in line and "an old failure" not in line
    assert failed[0]["log"][-1]["message"] == "Installation failed: primary disk 'sdx' not found"


def test_timeout_says_what_the_bmc_says():
    world = World()
    world.power["https://127.0.60.7"] = "Off"
    installed, failed = waiter(world, [machine(7)]).wait_all(0.3)
    assert not installed
    assert "node7: no installed host answered XenAPI within 0 s" in failed[0]["msg"]
    assert "BMC power state Off" in failed[0]["msg"] and "nothing new since the reset" in failed[0]["msg"]
    assert "Connection refused" in failed[0]["msg"]
    assert failed[0]["power_state"] == "Off"


def test_wrong_password_and_the_replaced_installation_do_not_count():
    world = World()
    world.up_at["https://127.0.61.8:4443"] = 0
    world.uuid["https://127.0.61.8:4443"] = "old-uuid"
    facts, reason = waiter(world, []).probe(machine(8, previous_uuid="old-uuid"))
    assert facts is None and "installation being replaced" in reason
    world.password = "other"
    facts, reason = waiter(world, []).probe(machine(8))
    assert facts is None and "refuses the root password" in reason


def test_probe_all_looks_once():
    world = World()
    world.up_at["https://127.0.61.1:4443"] = 0
    installed, absent = waiter(world, [machine(1), machine(2)]).probe_all()
    assert [host["name"] for host in installed] == ["node1"]
    assert list(absent) == ["node2"] and world.logins == 2
