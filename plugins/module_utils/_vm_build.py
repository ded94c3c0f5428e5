# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A new VM from a template, a VM or a snapshot, the way xapi expects: fast clone (same SRs)
or full copy (to an SR), then VM.provision, which makes the disks a template lists in
other_config:disks (after pointing them at the chosen SR). Each of those calls runs once: when its
answer is lost, the task it started is waited on (no second VM, no second set of disks)."""

import re

from ._tasks import run_async

DISK_SR = re.compile(r'(<disk\b[^>]*?\bsr=")[^"]*(")')


def provision_disks_on(disks_xml, sr_uuid):
    """other_config:disks with every disk on `sr_uuid`."""
    return DISK_SR.sub(lambda match: match.group(1) + sr_uuid + match.group(2), disks_xml)


def create_vm(client, source_ref, name, clone, sr_ref, sr_uuid, timeout):
    """-> the new VM's ref (halted, not a template)."""
    if clone:
        vm_ref = run_async(client, "VM.clone", source_ref, name, timeout=timeout, operation="clone for VM %s" % name,
                           once=True)
    else:
        vm_ref = run_async(client, "VM.copy", source_ref, name, sr_ref, timeout=timeout,
                           operation="copy for VM %s" % name, once=True)
    record = client.call("VM.get_record", vm_ref)
    if record["is_a_template"]:
        disks = record["other_config"].get("disks")
        if disks and sr_uuid:
            client.call("VM.remove_from_other_config", vm_ref, "disks")
            client.call("VM.add_to_other_config", vm_ref, "disks", provision_disks_on(disks, sr_uuid))
        if disks:
            run_async(client, "VM.provision", vm_ref, timeout=timeout, operation="provision of VM %s" % name,
                      once=True)
        else:
            client.call("VM.set_is_a_template", vm_ref, False)
    return vm_ref


def own_disks(client, state):
    """The VM's own disks (not shared with another VM, not ISOs), which destroying it destroys: [(vdi_ref, vdi)]."""
    own = []
    for vbd_ref, vbd, vdi_ref, vdi in state.disks(config_drive=True):
        if vdi is None or [r for r in vdi["VBDs"] if r != vbd_ref]:
            continue
        if client.call("SR.get_content_type", vdi["SR"]) == "iso":
            continue
        own.append((vdi_ref, vdi))
    return own


def destroy_vm(client, state, keep_disks):
    """VM.destroy, then the VM's own disks (not shared with another VM, not ISOs) unless kept."""
    own = [] if keep_disks else [vdi_ref for vdi_ref, dummy in own_disks(client, state)]
    client.call("VM.destroy", state.ref)
    for vdi_ref in own:
        client.call("VDI.destroy", vdi_ref)
    return len(own)
