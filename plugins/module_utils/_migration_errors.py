# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What prevents a migration, in words: xapi names objects by ref, the admin by name."""

from ._errors import ExplainedError, XenAPIError

MIB = 1024 * 1024


class MigrationError(ExplainedError):
    """A refused or failed migration, explained; code and parameters as xapi sent them."""


def _name(client, cls, ref):
    try:
        return client.call("%s.get_name_label" % cls, ref)
    except XenAPIError:
        return ref


def _mib(value):
    try:
        return "%d MiB" % (int(value) // MIB)
    except ValueError:
        return value


def explain(error, client, vm_name, target):
    """XenAPIError of a migration call -> MigrationError saying what to fix (xapi's own words when
    there is nothing to add)."""
    code, params = error.code, list(error.params)
    text = None
    if code == "HOST_NOT_ENOUGH_FREE_MEMORY":
        if len(params) >= 2 and not params[0].startswith("OpaqueRef:"):
            text = "host: %s has %s free, %s needs %s; choose another host or free memory there" % (
                target, _mib(params[1]), vm_name, _mib(params[0]))
        else:
            text = "host: %s has not enough free memory for %s; choose another host or free memory there" % (target, vm_name)
    elif code == "VM_REQUIRES_SR" and len(params) >= 2:
        text = ("disk_map: %s has disks on %r, which %s cannot reach; move them with sr or disk_map (storage migration)"
                % (vm_name, _name(client, "SR", params[1]), target))
    elif code == "VM_REQUIRES_NETWORK" and len(params) >= 2:
        text = ("network_map: %s is on network %r, which %s has no interface on; map it with network_map"
                % (vm_name, _name(client, "network", params[1]), target))
    elif code == "VM_BAD_POWER_STATE" and len(params) >= 3:
        text = ("live: %s is %s, and a live migration needs it running; start it first, or set live: false to move "
                "it as it is (with its disks)" % (vm_name, params[2].lower()))
    elif code == "HOST_DISABLED":
        text = "host: %s is disabled (in maintenance?); enable it or choose another host" % target
    elif code in ("VM_IS_IMMOBILE", "VM_HAS_PCI_ATTACHED", "VM_HAS_VGPU", "VM_HAS_SRIOV_VIF"):
        text = "%s cannot move: it is tied to its host (%s); shut it down or detach the device first" % (
            vm_name, code.lower().replace("_", " "))
    elif code == "VM_MIGRATE_FAILED":
        detail = params[3] if len(params) > 3 else "no reason given"
        text = "the migration of %s to %s failed: %s" % (vm_name, target, detail)
    elif code == "NO_HOSTS_AVAILABLE":
        text = "host: no other host can run %s (memory, storage or networks)" % vm_name
    elif code == "OTHER_OPERATION_IN_PROGRESS":
        text = "%s is busy with another operation; try again when it ends" % vm_name
    if text is None:
        return MigrationError(error, error.message, with_code=False)
    return MigrationError(error, text)
