# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One VM as it is now: its record and its devices, disks, networks, SRs, host, guest and
console, read with a fixed number of calls: VM.get_record, two event.from, and one name per
SR and network. The SR and network records themselves are not read: on a large pool they
list every disk and NIC of the pool."""

from ._fetch import fetch
from ._records import NULL_REF
from ._vm_view import vm_view

CONFIG_DRIVE_KEY = "config-drive"  # other_config of the VDI that carries cloud-init's NoCloud data


class VmState:
    def __init__(self, ref, record, related):
        self.ref = ref
        self.record = record
        self.related = related  # ref -> record, for every object the VM points at
        self.positions = None  # device positions handed out to new disks in this run

    @classmethod
    def load(cls, client, ref, record=None):
        record = record if record is not None else client.call("VM.get_record", ref)
        related = fetch(client, {"VBD": record["VBDs"], "VIF": record["VIFs"], "host": [record["resident_on"]],
                                 "VM_guest_metrics": [record["guest_metrics"]], "console": record["consoles"]})
        related.update(fetch(client, {"VDI": [r["VDI"] for key, r in related.items() if key in record["VBDs"]]}))
        named = {r["SR"]: "SR" for r in related.values() if "SR" in r and "virtual_size" in r}
        named.update({related[key]["network"]: "network" for key in record["VIFs"] if key in related})
        for named_ref, named_cls in named.items():
            if named_ref not in (None, "", NULL_REF):
                related[named_ref] = {"name_label": client.call("%s.get_name_label" % named_cls, named_ref)}
        return cls(ref, record, related)

    def get(self, ref):
        return self.related.get(ref) if ref not in (None, "", NULL_REF) else None

    @property
    def power_state(self):
        return self.record["power_state"].lower()

    def disks(self, config_drive=False):
        """(vbd ref, vbd, vdi ref, vdi) of the disks, in position order; the cloud-init
        config drive only if asked (it is not one of the disks the options list)."""
        found = []
        for vbd_ref in self.record["VBDs"]:
            vbd = self.get(vbd_ref)
            if vbd and vbd["type"] == "Disk":
                vdi = self.get(vbd["VDI"])
                if config_drive or not is_config_drive(vdi):
                    found.append((vbd_ref, vbd, vbd["VDI"], vdi))
        return sorted(found, key=lambda item: _position(item[1]["userdevice"]))

    def config_drive(self):
        """(vbd ref, vbd, vdi ref, vdi) of the cloud-init config drive, or None."""
        drives = [disk for disk in self.disks(config_drive=True) if is_config_drive(disk[3])]
        return drives[0] if drives else None

    def cdrom(self):
        """(vbd ref, vbd) of the CD drive, or (None, None)."""
        for vbd_ref in self.record["VBDs"]:
            vbd = self.get(vbd_ref)
            if vbd and vbd["type"] == "CD":
                return vbd_ref, vbd
        return None, None

    def nics(self):
        """(vif ref, vif, network) in device order."""
        found = []
        for vif_ref in self.record["VIFs"]:
            vif = self.get(vif_ref)
            if vif:
                found.append((vif_ref, vif, self.get(vif["network"])))
        return sorted(found, key=lambda item: _position(item[1]["device"]))

    def view(self):
        return vm_view(self.record, {key: self.related for key in
                                     ("VBD", "VDI", "VIF", "SR", "network", "host", "guest", "console")})


def is_config_drive(vdi):
    return bool(vdi) and vdi["other_config"].get(CONFIG_DRIVE_KEY) == "true"


def _position(text):
    return int(text) if str(text).isdigit() else 999
