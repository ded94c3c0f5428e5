# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""cloud-init for a VM: a NoCloud config drive (an ISO 9660 image labelled cidata) on a small
read-only disk of the VM. The digest of its content is kept on the disk, so a run with the
same user-data changes nothing, and new user-data replaces the drive."""

from ._config_drive import build_iso, content_digest
from ._vm_devices import DeviceChange, NEW_VBD, NEW_VDI, free_position
from ._vm_state import CONFIG_DRIVE_KEY

DIGEST_KEY = "config-drive-sha256"
DRIVE_SIZE = 16 * 1024 * 1024


def drive_files(cloud_init, vm_uuid, hostname):
    files = {"meta-data": "instance-id: %s\nlocal-hostname: %s\n" % (vm_uuid, hostname),
             "user-data": cloud_init.get("user_data") or "#cloud-config\n{}\n"}
    if cloud_init.get("network_config"):
        files["network-config"] = cloud_init["network_config"]
    return files


def cloud_init_changes(state, cloud_init, find_sr):
    """find_sr() -> the SR for a new drive; called only when the drive must change."""
    files = drive_files(cloud_init, state.record["uuid"], state.record["name_label"])
    digest = content_digest(files)
    current = state.config_drive()
    before = current[3]["other_config"].get(DIGEST_KEY) if current else None
    if before == digest:
        return []
    return [DeviceChange("cloud_init", {"sha256": before}, {"sha256": digest},
                         _replace_drive(current, files, digest, find_sr(), free_position(state)))]


def _replace_drive(current, files, digest, sr_ref, position):
    def action(client, vm_ref, running):
        image = build_iso(files)
        vdi = client.call("VDI.create", dict(NEW_VDI, name_label="cloud-init config drive", SR=sr_ref,
                                             virtual_size=max(DRIVE_SIZE, len(image)),
                                             other_config={CONFIG_DRIVE_KEY: "true", DIGEST_KEY: digest}))
        client.put_vdi(vdi, image)
        vbd = client.call("VBD.create", dict(NEW_VBD, VM=vm_ref, VDI=vdi, userdevice=position, mode="RO"))
        if running:
            client.call("VBD.plug", vbd)
        if current is not None:
            old_vbd_ref, old_vbd, old_vdi_ref, dummy = current
            if running and old_vbd["currently_attached"]:
                client.call("VBD.unplug", old_vbd_ref)
            client.call("VBD.destroy", old_vbd_ref)
            client.call("VDI.destroy", old_vdi_ref)
    return action
