# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Errors of the XenAPI client, with messages in words a XenServer administrator knows.

Nothing here imports Ansible: modules and the inventory plugin adapt these errors.
"""

MASK = "********"

# code -> what it means for an admin; {0}, {1}... are the error's parameters.
FRIENDLY = {
    "SESSION_AUTHENTICATION_FAILED": "authentication failed for user {0}: wrong username or password",
    "SESSION_AUTHORIZATION_FAILED": "user {0} is not authorised to log in: {1}",
    "SESSION_INVALID": "the session expired or was logged out",
    "HOST_IS_SLAVE": "this host is a pool member; the pool master is {0}",
    "HANDLE_INVALID": "the {0} object no longer exists",
    "UUID_INVALID": "no {0} has uuid {1}",
    "VM_BAD_POWER_STATE": "the VM must be {1}, but it is {2}",
    "VM_IS_TEMPLATE": "the VM is a template; {1} is not allowed on templates",
    "OTHER_OPERATION_IN_PROGRESS": "another operation ({2}) is in progress on this {0}",
    "HOST_NOT_ENOUGH_FREE_MEMORY": "not enough free memory on the host: {0} bytes needed, {1} available",
    "NO_HOSTS_AVAILABLE": "no host in the pool can run the VM",
    "RBAC_PERMISSION_DENIED": "permission denied for {0}: {1}",
    "TASK_CANCELLED": "the task was cancelled",
    "MESSAGE_METHOD_UNKNOWN": "the host does not know the call {0} (too old a XenServer version?)",
    "SR_FULL": "the storage repository is full: {0} bytes requested, {1} available",
    "JOINING_HOST_CANNOT_HAVE_RUNNING_VMS": "the joining host has running VMs: shut them down or move them first",
    "JOINING_HOST_CANNOT_HAVE_RUNNING_OR_SUSPENDED_VMS":
        "the joining host has running or suspended VMs: shut them down or move them first",
    "JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS": "the joining host has shared storage: detach (forget) its shared SRs first",
    "JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS":
        "the joining host is the master of a pool with other members: eject them or join them one by one",
    "POOL_JOINING_HOST_MUST_HAVE_SAME_PRODUCT_VERSION":
        "the joining host runs another product version than the pool master: update it to the master's version",
    "POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION": "the joining host has API version {0}, the master {1}: update it",
    "POOL_JOINING_EXTERNAL_AUTH_MISMATCH":
        "the joining host's external authentication (Active Directory) differs from the pool's: make them the same",
    "JOINING_HOST_CONNECTION_FAILED": "the joining host could not reach the pool master at its address",
    "HOST_CANNOT_DESTROY_SELF": "the pool master cannot be ejected: designate another master first",
    "HA_IS_ENABLED": "HA is enabled on the pool: disable it first",
    "VDI_IN_USE": "a disk of this storage is in use by a running VM: shut the VM down or move its disks first",
    "SR_NOT_EMPTY": "the storage repository still has disks: delete them first",
    "SR_HAS_PBD": "the storage repository is still attached (plugged) on a host: unplug it first",
}


class XenAPIError(Exception):
    """A failure XenAPI answered: code and parameters as xapi sent them (secrets masked)."""

    def __init__(self, code, params=(), method=None, secrets=()):
        self.code = str(code)
        self.params = [mask(str(p), secrets) for p in params]
        self.method = method
        super().__init__(self.message)

    @property
    def message(self):
        template = FRIENDLY.get(self.code)
        text = None
        if template is not None:
            try:
                text = template.format(*self.params)
            except IndexError:
                text = None
        detail = "%s %s" % (self.code, self.params) if self.params else self.code
        text = "%s (%s)" % (text, detail) if text else detail
        return "%s failed: %s" % (self.method, text) if self.method else text

    def to_dict(self):
        return {"code": self.code, "params": list(self.params)}


class XenAPIConnectionError(Exception):
    """The host could not be reached, refused the TLS certificate, or did not answer in time."""


class XenAPITimeout(Exception):
    """A wait (task, event) did not finish before its deadline."""


def mask(text, secrets):
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


class InputError(Exception):
    """An option asks for something impossible; the message names the option and the value.
    Raised before any change is made."""
