# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Power: from the state a VM is in to the one asked for, with xapi's calls; and waiting
for the guest to report an address (event.from, never polling)."""

import time

from ._errors import XenAPIError, XenAPITimeout
from ._fetch import fetch
from ._records import NULL_REF
from ._tasks import run_async

# (current, desired) -> (calls, needs force); a call is (method, extra params after the VM)
PLAN = {
    ("halted", "running"): ([("VM.start", [False, False])], False),
    ("suspended", "running"): ([("VM.resume", [False, False])], False),
    ("paused", "running"): ([("VM.unpause", [])], False),
    ("running", "halted"): ([("VM.clean_shutdown", [])], False),
    ("paused", "halted"): ([("VM.hard_shutdown", [])], True),
    ("suspended", "halted"): ([("VM.hard_shutdown", [])], True),
    ("running", "suspended"): ([("VM.suspend", [])], False),
    ("paused", "suspended"): ([("VM.unpause", []), ("VM.suspend", [])], False),
    ("running", "paused"): ([("VM.pause", [])], False),
    ("halted", "paused"): ([("VM.start", [True, False])], False),
    ("suspended", "paused"): ([("VM.resume", [True, False])], False),
    ("running", "restarted"): ([("VM.clean_reboot", [])], False),
    ("paused", "restarted"): ([("VM.hard_reboot", [])], False),
    ("halted", "restarted"): ([("VM.start", [False, False])], False),
    ("suspended", "restarted"): ([("VM.resume", [False, False])], False),
}
FORCED = {"VM.clean_shutdown": "VM.hard_shutdown", "VM.clean_reboot": "VM.hard_reboot"}


class PowerError(ValueError):
    pass


def power_plan(current, desired, force):
    """The calls that take a VM from `current` to `desired` (lower-case xapi states)."""
    if desired == current and desired != "restarted":
        return []
    if (current, desired) not in PLAN:
        raise PowerError("a %s VM cannot become %s directly" % (current, desired))
    calls, needs_force = PLAN[(current, desired)]
    if needs_force and not force:
        raise PowerError("the VM is %s: going to %s loses its memory state; set force: true to do it"
                         % (current, desired))
    if force:
        calls = [(FORCED.get(method, method), params) for method, params in calls]
    return calls


def run_power(client, vm_ref, calls, timeout, name):
    for method, params in calls:
        try:
            run_async(client, method, vm_ref, *params, timeout=timeout, operation="%s of VM %s" % (method, name))
        except XenAPIError as exc:
            if exc.code == "VM_LACKS_FEATURE" and method in FORCED:
                raise PowerError("VM %s cannot shut down or reboot cleanly (no guest agent yet); "
                                 "set force: true for a hard one" % name) from None
            raise


def wait_for_ip(client, vm_ref, timeout, name):
    """Block until the guest agent reports an IPv4 address; the address."""
    deadline = time.monotonic() + timeout
    subscriptions = ["vm/%s" % vm_ref]
    token = ""
    metrics_ref = NULL_REF
    while True:
        if metrics_ref != NULL_REF:
            metrics = fetch(client, {"VM_guest_metrics": [metrics_ref]}).get(metrics_ref)
            address = _address(metrics)
            if address:
                return address
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise XenAPITimeout("VM %s reported no IP address within %d seconds" % (name, timeout))
        batch = client.call("event.from", subscriptions, token, min(remaining, 30.0),
                            timeout=min(remaining, 30.0) + client.timeout)
        token = batch["token"]
        for event in batch["events"]:
            snapshot = event.get("snapshot") or {}
            if event["class"] == "vm" and snapshot.get("guest_metrics", NULL_REF) != metrics_ref:
                metrics_ref = snapshot["guest_metrics"]
                subscriptions = ["vm/%s" % vm_ref, "vm_guest_metrics/%s" % metrics_ref]
            elif event["class"] == "vm_guest_metrics" and _address(snapshot):
                return _address(snapshot)


def _address(metrics):
    networks = (metrics or {}).get("networks", {})
    for key in sorted(networks):
        if key.endswith("/ip") or "/ipv4/" in key:
            return networks[key]
    return None
