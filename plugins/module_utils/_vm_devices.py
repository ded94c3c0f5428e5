# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A VM's disks, CD drive and NICs: desired vs current -> changes, each with what it does.

Disks and NICs are matched by position (disks[0] is the first disk, networks[0] is device 0).
A disk may grow, never shrink; one is removed only when the caller says so.
"""

from ._units import human

NEW_VDI = {"name_description": "", "type": "user", "sharable": False, "read_only": False, "other_config": {},
           "xenstore_data": {}, "sm_config": {}, "tags": []}
NEW_VBD = {"bootable": False, "mode": "RW", "type": "Disk", "unpluggable": True, "empty": False,
           "other_config": {"owner": "true"}, "qos_algorithm_type": "", "qos_algorithm_params": {}}
NEW_VIF = {"MTU": 1500, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {},
           "locking_mode": "network_default", "ipv4_allowed": [], "ipv6_allowed": []}


class DeviceError(ValueError):
    """A device option asks for something impossible (the message names the option)."""


class DeviceChange:
    def __init__(self, key, before, after, action, needs_halt=False):
        self.key = key
        self.before = before
        self.after = after
        self.action = action  # fn(client, vm_ref, running)
        self.needs_halt = needs_halt

    def apply(self, client, vm_ref, running=False):
        self.action(client, vm_ref, running)


def _free_positions(state):
    used = {vbd["userdevice"] for vbd in (state.get(r) for r in state.record["VBDs"]) if vbd}
    number = 0
    while True:
        if str(number) not in used and number != 3:  # 3 is where XenServer puts the CD drive
            yield str(number)
            used.add(str(number))
        number += 1


def free_position(state):
    """The next free position; positions handed out earlier in this run stay taken."""
    if state.positions is None:
        state.positions = _free_positions(state)
    return next(state.positions)


def disk_changes(state, disks, remove_disks, default_sr):
    """disks: [{name, size, sr_ref, sr}] (sr_ref None: default_sr)."""
    changes = []
    current = state.disks()
    for index, want in enumerate(disks):
        option = "disks[%d]" % index
        if index < len(current):
            vbd_ref, vbd, vdi_ref, vdi = current[index]
            if want.get("size") is not None and want["size"] < vdi["virtual_size"]:
                raise DeviceError("%s.size: %s is smaller than the disk's %s; a disk cannot shrink"
                                  % (option, human(want["size"]), human(vdi["virtual_size"])))
            if want.get("size") is not None and want["size"] > vdi["virtual_size"]:
                # the SRs of XenServer 8 (VHD on NFS, EXT, LVM) grow a disk only while it is detached
                changes.append(DeviceChange("%s.size" % option, vdi["virtual_size"], want["size"],
                                            _resize(vdi_ref, want["size"]), needs_halt=True))
            if want.get("name") and want["name"] != vdi["name_label"]:
                changes.append(DeviceChange("%s.name" % option, vdi["name_label"], want["name"],
                                            _rename(vdi_ref, want["name"])))
            continue
        if want.get("size") is None:
            raise DeviceError("%s.size: needed for a new disk" % option)
        name = want.get("name") or "%s %d" % (state.record["name_label"], index)
        sr_ref = want.get("sr_ref") or default_sr
        changes.append(DeviceChange(option, None, {"name": name, "size": want["size"], "sr": want.get("sr")},
                                    _add_disk(name, want["size"], sr_ref, free_position(state), not current and index == 0)))
    for index in range(len(disks), len(current)):
        vbd_ref, vbd, vdi_ref, vdi = current[index]
        if remove_disks:
            changes.append(DeviceChange("disks[%d]" % index, {"name": vdi["name_label"], "size": vdi["virtual_size"]},
                                        None, _remove_disk(vbd_ref, vbd, vdi_ref, vdi)))
    return changes


def _resize(vdi_ref, size):
    def action(client, vm_ref, running):
        client.call("VDI.resize", vdi_ref, size)
    return action


def _rename(vdi_ref, name):
    def action(client, vm_ref, running):
        client.call("VDI.set_name_label", vdi_ref, name)
    return action


def _made_at(client, vm_ref, cls, field, position):
    """A find for VBD.create or VIF.create (see XenAPIClient.call): the VM's device at that position
    (the position was free before: a device there now is the one the lost call made)."""
    def find():
        refs = client.call("VM.get_%ss" % cls, vm_ref)
        return next((ref for ref in refs if client.call("%s.get_%s" % (cls, field), ref) == str(position)), None)
    return find


def _add_disk(name, size, sr_ref, position, bootable):
    def action(client, vm_ref, running):
        vdi = client.call("VDI.create", dict(NEW_VDI, name_label=name, SR=sr_ref, virtual_size=size))
        vbd = client.call("VBD.create", dict(NEW_VBD, VM=vm_ref, VDI=vdi, userdevice=position, bootable=bootable),
                          find=_made_at(client, vm_ref, "VBD", "userdevice", position))
        if running:
            client.call("VBD.plug", vbd)
    return action


def _remove_disk(vbd_ref, vbd, vdi_ref, vdi):
    def action(client, vm_ref, running):
        if running and vbd["currently_attached"]:
            client.call("VBD.unplug", vbd_ref)
        client.call("VBD.destroy", vbd_ref)
        if vdi is not None and [r for r in vdi["VBDs"] if r != vbd_ref] == []:
            client.call("VDI.destroy", vdi_ref)  # only a disk no other VM uses
    return action


def cdrom_changes(state, cdrom, iso_ref, iso_name):
    """cdrom: {iso: name or None}; iso_ref resolved by the caller (None: empty drive)."""
    vbd_ref, vbd = state.cdrom()
    current = state.get(vbd["VDI"])["name_label"] if vbd and not vbd["empty"] and state.get(vbd["VDI"]) else None
    if vbd is not None and current == iso_name:
        return []
    position = vbd["userdevice"] if vbd is not None else _cd_position(state)
    return [DeviceChange("cdrom", {"iso": current} if vbd else None, {"iso": iso_name},
                         _set_cd(vbd_ref, vbd, iso_ref, position))]


def _cd_position(state):
    used = {vbd["userdevice"] for vbd in (state.get(r) for r in state.record["VBDs"]) if vbd}
    return "3" if "3" not in used else free_position(state)


def _set_cd(vbd_ref, vbd, iso_ref, position):
    def action(client, vm_ref, running):
        if running and vbd is not None:
            if not vbd["empty"]:
                client.call("VBD.eject", vbd_ref)
            if iso_ref:
                client.call("VBD.insert", vbd_ref, iso_ref)
            return
        if vbd is not None:
            client.call("VBD.destroy", vbd_ref)
        new = client.call("VBD.create", dict(NEW_VBD, VM=vm_ref, VDI=iso_ref or "OpaqueRef:NULL", userdevice=position,
                                             type="CD", mode="RO", empty=not iso_ref, other_config={}),
                          find=_made_at(client, vm_ref, "VBD", "userdevice", position))
        if running:
            client.call("VBD.plug", new)
    return action


def nic_changes(state, networks):
    """networks: [{network (as given), network_ref (None if it matches by name), mac}]."""
    changes = []
    current = state.nics()
    for index, want in enumerate(networks):
        if index < len(current):
            vif_ref, vif, network = current[index]
            same_network = want.get("network_ref") is None
            same_mac = not want.get("mac") or want["mac"].lower() == vif["MAC"].lower()
            if same_network and same_mac:
                continue
            before = {"network": network["name_label"] if network else None, "mac": vif["MAC"]}
            changes.append(DeviceChange("networks[%d]" % index, before, {"network": want["network"], "mac": want.get("mac")},
                                        _replace_nic(vif_ref, vif, want.get("network_ref") or vif["network"],
                                                     want.get("mac") or "", str(index))))
        else:
            changes.append(DeviceChange("networks[%d]" % index, None, {"network": want["network"], "mac": want.get("mac")},
                                        _replace_nic(None, None, want["network_ref"], want.get("mac") or "", str(index))))
    for index in range(len(networks), len(current)):
        vif_ref, vif, network = current[index]
        changes.append(DeviceChange("networks[%d]" % index, {"network": network["name_label"] if network else None,
                                                             "mac": vif["MAC"]}, None, _replace_nic(vif_ref, vif, None, "", "")))
    return changes


def _replace_nic(vif_ref, vif, network_ref, mac, device):
    def action(client, vm_ref, running):
        if vif_ref is not None:
            if running and vif["currently_attached"]:
                client.call("VIF.unplug", vif_ref)
            client.call("VIF.destroy", vif_ref)
        if network_ref is None:
            return
        new = client.call("VIF.create", dict(NEW_VIF, VM=vm_ref, network=network_ref, MAC=mac, device=device),
                          find=_made_at(client, vm_ref, "VIF", "device", device))
        if running:
            client.call("VIF.plug", new)
    return action
