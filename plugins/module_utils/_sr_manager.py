# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One SR: created with SR.create (a PBD per host when shared), made the pool default, its PBDs
plugged or unplugged, forgotten (data kept) or destroyed (data deleted). Passwords in
device_config never reach the output."""

import re

from ._diff import Differences
from ._errors import InputError, XenAPIError, mask
from ._lookup import LookupFailed, resolve
from ._sr_view import public, secret_values, view_sr
from ._tasks import run_async

NULL = "OpaqueRef:NULL"
SHARED_TYPES = ("nfs", "iso", "lvmoiscsi", "smb")
# SM error numbers (XE_SR_ERRORCODES.xml) that mean "this device_config key is missing (or wrong)"
MISSING_KEYS = {90: "device", 94: "location", 95: "target", 96: "targetIQN", 101: "serverpath", 102: "server",
                107: "SCSIid"}
# the keys each storage driver needs to create an SR: checked before any call, so nothing is sent
REQUIRED_KEYS = {"nfs": ("server", "serverpath"), "iso": ("location",), "smb": ("server",),
                 "lvmoiscsi": ("target", "targetIQN", "SCSIid"), "ext": ("device",), "lvm": ("device",)}
BACKEND_FAILURE = re.compile(r"^SR_BACKEND_FAILURE_(\d+)$")
# SM error numbers that mean "the driver cannot reach or mount what this device_config key names"; 140 (a name
# that does not resolve) is the key of the driver's server
UNREACHABLE_KEYS = {73: "serverpath", 108: "server", 111: "server", 141: "target", 222: "location", 225: "location"}
DNS_KEYS = {"nfs": "server", "smb": "server", "lvmoiscsi": "target", "iso": "location"}


class SRFailure(Exception):
    """A XenAPI failure already turned into one line: msg and the masked xapi_error."""

    def __init__(self, msg, xapi_error):
        super().__init__(msg)
        self.msg = msg
        self.xapi_error = xapi_error


class SRManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.diff = Differences()
        self.secrets = secret_values(self.params["device_config"])

    # ---- entry -------------------------------------------------------------------------------
    def run(self):
        params = self.params
        if params["state"] == "absent" and [params["forget"], params["destroy"]].count(True) != 1:
            raise InputError("state=absent needs exactly one of forget=true (detach the SR, keep its data) "
                             "or destroy=true (delete the SR and its data); got forget=%s, destroy=%s"
                             % (params["forget"], params["destroy"]))
        if params["state"] == "present" and (params["forget"] or params["destroy"]):
            raise InputError("forget, destroy: only for state=absent")
        try:
            client = self.module.client
            ref, record = self._existing(client)
            if params["state"] == "absent":
                ref = self._absent(client, ref, record)
            elif ref is None:
                ref = self._create(client)
            else:
                self._update(client, ref, record)
            sr = view_sr(client, ref)
        except XenAPIError as exc:
            raise SRFailure(self._message(exc), {"code": exc.code, "params": [self._mask(p) for p in exc.params]}) from None
        return {"changed": self.diff.changed, "sr": sr, "diff": self.diff.diff()}

    # ---- finding it ----------------------------------------------------------------------------
    def _existing(self, client):
        """(ref, record) of the SR with this name (and type, when given), or (None, None)."""
        name, sr_type = self.params["name"], self.params["type"]
        records = [(ref, client.call("SR.get_record", ref)) for ref in client.call("SR.get_by_name_label", name)]
        matching = [(ref, record) for ref, record in records if sr_type is None or record["type"] == sr_type]
        if len(matching) > 1:
            uuids = ", ".join(sorted(record["uuid"] for dummy, record in matching))
            raise LookupFailed("%d storage repositories are named %r (uuids %s): rename one" % (len(matching), name, uuids))
        if matching:
            return matching[0]
        if records and self.params["state"] == "present":
            raise InputError("type: the SR named %r is of type %s, not %s" % (name, records[0][1]["type"], sr_type))
        return None, None

    # ---- present -------------------------------------------------------------------------------
    def _create(self, client):
        params = self.params
        sr_type = params["type"]
        if sr_type is None:
            raise InputError("type: needed to create the SR %r (one of nfs, iso, lvmoiscsi, smb, ext, lvm)" % params["name"])
        shared = params["shared"] if params["shared"] is not None else sr_type in SHARED_TYPES
        content_type = params["content_type"] or ("iso" if sr_type == "iso" else "user")
        pool_ref, pool = next(iter(client.call("pool.get_all_records").items()))
        if params["host"] is not None:
            host_ref, host = resolve(client, "host", params["host"], option="host")
        else:
            host_ref, host = pool["master"], client.call("host.get_record", pool["master"])
        device_config = {key: str(value) for key, value in (params["device_config"] or {}).items()}
        missing = [key for key in REQUIRED_KEYS.get(sr_type, ()) if not device_config.get(key)]
        if missing:
            raise InputError("device_config.%s is missing: the %s driver needs %s; device_config has %s"
                             % (missing[0], sr_type, ", ".join(REQUIRED_KEYS[sr_type]),
                                ", ".join(sorted(device_config)) or "no keys"))
        after = {"exists": True, "type": sr_type, "shared": shared, "content_type": content_type,
                 "description": params["description"] or "", "device_config": public(device_config)}
        if not shared:
            after["host"] = host["name_label"]
        if params["default"] is not None:
            after["default"] = params["default"]
        if params["plugged"] is not None:
            after["plugged"] = params["plugged"]
        self.diff.add("exists", False, True)
        self.diff.before.update({key: None for key in after if key != "exists"})
        self.diff.after.update(after)
        if self.module.check_mode:
            return None
        ref = run_async(client, "SR.create", host_ref, device_config, 0, params["name"], params["description"] or "",
                        sr_type, content_type, shared, {}, timeout=params["timeout"],
                        operation="creating the SR %r" % params["name"], once=True)
        if params["default"]:
            client.call("pool.set_default_SR", pool_ref, ref)
        if params["plugged"] is False:
            self._plug(client, ref, False)
        return ref

    def _update(self, client, ref, record):
        params = self.params
        for option, field in (("shared", "shared"), ("content_type", "content_type")):
            if params[option] is not None and params[option] != record[field]:
                self.module.ansible.warn("%s: the SR %r exists with %s=%s; %s is only used at creation"
                                         % (option, params["name"], option, record[field], option))
        pool_ref, pool = next(iter(client.call("pool.get_all_records").items()))
        calls = []
        if self.diff.compare("description", record["name_description"], params["description"]):
            calls.append(("SR.set_name_description", [ref, params["description"]]))
        is_default = pool["default_SR"] == ref
        if self.diff.compare("default", is_default, params["default"]):
            calls.append(("pool.set_default_SR", [pool_ref, ref if params["default"] else NULL]))
        plugged = self._pbds(client, ref)
        if params["plugged"] is not None:
            wrong = [pbd for pbd, attached in plugged if attached != params["plugged"]]
            if wrong:
                self.diff.add("plugged", not params["plugged"] if len(wrong) == len(plugged) else "partly",
                              params["plugged"])
        if not self.diff.changed or self.module.check_mode:
            return
        for method, args in calls:
            client.call(method, *args)
        if "plugged" in self.diff.after:
            self._plug(client, ref, params["plugged"])

    # ---- absent --------------------------------------------------------------------------------
    def _absent(self, client, ref, record):
        if ref is None:
            return None
        action = "forget" if self.params["forget"] else "destroy"
        if action == "destroy":
            disks = [vdi for vdi in record["VDIs"] if self._managed_disk(client, vdi)]
            if disks:
                raise InputError("destroy: the SR %r still has %d disk%s: delete them first, or use forget=true to "
                                 "detach the SR and keep its data" % (record["name_label"], len(disks), "s" * (len(disks) != 1)))
        self.diff.add("exists", True, False)
        self.diff.add("action", None, action)
        if self.module.check_mode:
            return ref
        self._plug(client, ref, False)
        run_async(client, "SR.%s" % action, ref, timeout=self.params["timeout"],
                  operation="%s of the SR %r" % ("forgetting" if action == "forget" else "destroying", record["name_label"]))
        return None

    @staticmethod
    def _managed_disk(client, vdi):
        """What SR.destroy refuses to delete (SR_NOT_EMPTY): managed disks other than RRD stores."""
        try:
            record = client.call("VDI.get_record", vdi)
        except XenAPIError as exc:
            if exc.code == "HANDLE_INVALID":
                return False
            raise
        return record["managed"] and record["type"] != "rrd"

    # ---- PBDs ----------------------------------------------------------------------------------
    def _pbds(self, client, ref):
        """[(pbd, attached)], the master's first."""
        master = next(iter(client.call("pool.get_all_records").values()))["master"]
        pbds = [(pbd, client.call("PBD.get_record", pbd)) for pbd in client.call("SR.get_PBDs", ref)]
        pbds.sort(key=lambda item: item[1]["host"] != master)
        return [(pbd, record["currently_attached"]) for pbd, record in pbds]

    def _plug(self, client, ref, plugged):
        """Plug every PBD (the master's first) or unplug every one (the master's last)."""
        pbds = self._pbds(client, ref)
        if not plugged:
            pbds.reverse()
        for pbd, attached in pbds:
            if attached != plugged:
                run_async(client, "PBD.plug" if plugged else "PBD.unplug", pbd, timeout=self.params["timeout"],
                          operation="%s the SR %r" % ("plugging" if plugged else "unplugging", self.params["name"]))

    # ---- errors --------------------------------------------------------------------------------
    def _mask(self, text):
        return mask(str(text), self.secrets)

    def _message(self, exc):
        """One line; the device_config key the SM misses, named; no password."""
        found = BACKEND_FAILURE.match(exc.code)
        if found:
            reason = " ".join(str(p) for p in exc.params if str(p).strip()) or "no reason given"
            number = int(found.group(1))
            key = MISSING_KEYS.get(number)
            if key is not None:
                what = "is missing or incorrect" if "incorrect" in reason else "is missing"
                text = "device_config.%s %s: %s (%s)" % (key, what, reason, exc.code)
            else:
                wrong = UNREACHABLE_KEYS.get(number) or (DNS_KEYS.get(self.params["type"]) if number == 140 else None)
                text = "%sthe storage driver refused the SR %r: %s (%s)" % (
                    "device_config.%s: " % wrong if wrong else "", self.params["name"], reason, exc.code)
            return self._mask(text)
        return self._mask(exc.message)
