# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Errors of the XenAPI client, with messages in words a XenServer administrator knows.

Nothing here imports Ansible: modules and the inventory plugin adapt these errors.
"""

import string

MASK = "********"

# code -> what it means for an admin; {0}, {1}... are the error's parameters, {name}s are facts the
# caller found (see XenAPIError), empty when it gave none.
FRIENDLY = {
    "SESSION_AUTHENTICATION_FAILED": "authentication failed for user {0}: wrong username or password{options}",
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
    # pool.join: the operation names the joining host and the master; {running}, {shared}, {members},
    # {versions} and {auth} are what the module found on them (empty when it did not look)
    "JOINING_HOST_CANNOT_HAVE_RUNNING_VMS":
        "the joining host has running VMs{running}: shut them down or migrate them to another host first; "
        "halted VMs may stay",
    "JOINING_HOST_CANNOT_HAVE_RUNNING_OR_SUSPENDED_VMS":
        "the joining host has running or suspended VMs{running}: shut them down or migrate them to another host first",
    "JOINING_HOST_CANNOT_HAVE_VMS_WITH_CURRENT_OPERATIONS":
        "a VM of the joining host has an operation in progress: wait until it ends, then join again",
    "JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS":
        "the joining host has shared storage{shared}: unplug and forget those SRs on it first; "
        "it gets the pool's shared SRs when it joins",
    "JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS":
        "the joining host is the master of a pool with other members{members}: eject them first; "
        "hosts join one at a time",
    "HOSTS_NOT_COMPATIBLE":
        "the joining host runs another product or platform version than the pool master{versions}: "
        "install the master's product and version on it",
    "HOSTS_NOT_HOMOGENEOUS":
        "the joining host does not match the pool master ({0}){versions}: give it the master's version and updates, "
        "and CPUs of the master's vendor",
    "POOL_JOINING_HOST_MUST_HAVE_SAME_PRODUCT_VERSION":
        "the joining host runs another product version than the pool master{versions}: update it to the master's version",
    "POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION":
        "the joining host has API version {0}, the master {1}: update it to the master's version",
    "POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA":
        "the joining host has database schema {0}, the master {1}: update it to the master's version",
    "POOL_JOINING_EXTERNAL_AUTH_MISMATCH":
        "the joining host's external authentication{auth} differs from the pool master's: disable it on the joining "
        "host, or enable the master's on it, before the join",
    "POOL_JOINING_HOST_HAS_BONDS": "the joining host has bonds: remove them on it first; make bonds after the join",
    "POOL_JOINING_HOST_HAS_TUNNELS": "the joining host has tunnels: remove them on it first",
    "POOL_JOINING_HOST_HAS_NETWORK_SRIOVS": "the joining host has SR-IOV networks: remove them on it first",
    "POOL_JOINING_HOST_HAS_NON_MANAGEMENT_VLANS":
        "the joining host has VLANs other than its management one: remove them on it first; the pool's VLANs reach it "
        "when it joins",
    "POOL_JOINING_HOST_MANAGEMENT_VLAN_DOES_NOT_MATCH":
        "the joining host's management interface is on VLAN {0}, the pool's on VLAN {1}: move it to the pool's VLAN",
    "POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH":
        "TLS verification is enabled on only one of the joining host and the pool: enable it on both first",
    "JOINING_HOST_CONNECTION_FAILED":
        "the joining host could not connect to the pool master: check that it reaches the master's address",
    "HOST_CANNOT_DESTROY_SELF": "the pool master cannot be ejected: designate another master first",
    "HA_IS_ENABLED": "HA is enabled on the pool: disable it first",
    "HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN": "HA could no longer restart the protected VMs after the host failures it plans for: "
                                              "lower ha.failures_to_tolerate, or add hosts or memory first",
    "VDI_IN_USE": "a disk of this storage is in use by a running VM: shut the VM down or move its disks first",
    "SR_NOT_EMPTY": "the storage repository still has disks: delete them first",
    "SR_HAS_PBD": "the storage repository is still attached (plugged) on a host: unplug it first",
}


class _Facts(string.Formatter):
    """str.format where a named field nobody gave is empty."""

    def get_value(self, key, args, kwargs):
        if isinstance(key, str):
            return kwargs.get(key, "")
        return super().get_value(key, args, kwargs)


class XenAPIError(Exception):
    """A failure XenAPI answered: code and parameters as xapi sent them (secrets masked).

    facts: named texts for the friendly message (e.g. running=" (vm1, vm2)"), masked too."""

    def __init__(self, code, params=(), method=None, secrets=(), facts=None):
        self.code = str(code)
        self.params = [mask(str(p), secrets) for p in params]
        self.method = method
        self.facts = {str(k): mask(str(v), secrets) for k, v in (facts or {}).items()}
        super().__init__(self.message)

    @property
    def message(self):
        template = FRIENDLY.get(self.code)
        text = None
        if template is not None:
            try:
                text = _Facts().format(template, *self.params, **self.facts)
            except IndexError:
                text = None
        detail = "%s %s" % (self.code, self.params) if self.params else self.code
        text = "%s (%s)" % (text, detail) if text else detail
        return "%s failed: %s" % (self.method, text) if self.method else text

    def to_dict(self):
        return {"code": self.code, "params": list(self.params)}


class ExplainedError(XenAPIError):
    """A XenAPIError put in words by the code that made the call, which knows the objects by name;
    code and parameters stay as xapi sent them. detail=True adds the parameters that are not refs
    (the directory's or the storage driver's own words); with_code=False leaves the code out (the
    explanation is xapi's own message already)."""

    def __init__(self, error, explanation, detail=False, with_code=True):
        self.explanation = explanation
        self.detail = detail
        self.with_code = with_code
        super().__init__(error.code, error.params, error.method)

    @property
    def message(self):
        if not self.with_code:
            return self.explanation
        said = [p for p in self.params if p and not p.startswith("OpaqueRef:")] if self.detail else []
        return "%s (%s%s)" % (self.explanation, self.code, ": %s" % "; ".join(said) if said else "")


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
