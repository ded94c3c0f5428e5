#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: host_update
short_description: Applies the pool's updates to a host, rebooting it when they need it
version_added: 0.1.0
description:
  - Brings a host up to date with the pool's update repository, the XenServer 8 and XCP-ng 8.3 way
    (C(pool.sync_updates), C(host.apply_updates)); the pool's update repositories must be configured already.
  - The pool syncs with its repository first when its last sync is older than O(sync_max_age). The list of what the
    host lacks is the one XenCenter reads (HTTP C(GET /updates) on the pool master).
  - xapi applies all the updates a host lacks at once. The host is disabled first, and evacuated when the updates ask
    for a reboot (or an evacuation) of the host; when some of its VMs cannot leave, the module names them and changes
    nothing.
  - Afterwards the host does what the updates' guidance asks for. A toolstack restart (C(restart_toolstack)) is always
    done, it does not touch VMs. A reboot (C(reboot_host)) is done with O(reboot=auto) and waited on until the host is
    back and enabled.
  - The host ends enabled if it was enabled before, except when it still waits for a reboot (O(reboot=never)), as xapi
    does not enable a host whose update guidance is pending.
  - A host that waits for a reboot from earlier updates is rebooted with O(reboot=auto), also when nothing is left to
    apply.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.change_module
options:
  host:
    description: The host to update, by name or uuid.
    type: str
    required: true
  updates:
    description:
      - V(all) applies whatever the host lacks.
      - A list of update names (the repository's update ids, for example V(XS8-2024-0912)) says which updates must be
        on the host. When the host lacks one of them, it gets all the updates it lacks (xapi applies them together).
        When it lacks none of them, nothing happens.
      - A name that no host of the pool lacks, while this host lacks others, is an error (it is applied everywhere
        already, or it is not in the repository); the module syncs once before it says so.
    type: list
    elements: str
    default: [all]
  reboot:
    description:
      - V(auto) reboots the host when its updates need it (evacuated and disabled first; it comes back enabled).
      - V(never) only reports it in RV(reboot_required); the host stays disabled until someone reboots it.
    type: str
    choices: [auto, never]
    default: auto
  shutdown_stuck_vms:
    description:
      - When the host must be evacuated, shut down the VMs that cannot leave it (clean shutdown, then hard) instead of
        failing; they are listed in the diff under C(shut_down). They stay halted.
    type: bool
    default: false
  sync_max_age:
    description:
      - The pool syncs with its update repository first when its last sync (C(pool.last_update_sync)) is older than
        this many seconds by the pool master's clock, or when it has never synced. V(0) always syncs.
      - Check mode never syncs; it reports from the last sync.
    type: int
    default: 3600
  timeout:
    description: Seconds each step (sync, evacuation, applying the updates, reboot or toolstack restart) may take.
    type: int
    default: 3600
notes:
  - HA must be disabled on the pool while updates are applied (xapi refuses otherwise).
  - xapi applies updates to one host of the pool at a time; run the module with C(serial) or C(throttle) of 1 across
    hosts, or use the C(xapi.xenserver.rolling_maintenance) role.
  - The legacy ISO updates (C(pool_update), XenServer 7 and Citrix Hypervisor) are not handled.
"""

EXAMPLES = r"""
- name: Bring xs2 up to date, rebooting it if the updates need it
  xapi.xenserver.host_update:
    hostname: 192.0.2.10
    password: "{{ pool_password }}"
    host: xs2

- name: Make sure the Xen security fix is on xs3; report a reboot rather than doing it
  xapi.xenserver.host_update:
    hostname: 192.0.2.10
    password: "{{ pool_password }}"
    host: xs3
    updates: [XS8-2024-0912]
    reboot: never
  register: xs3_updates

- name: What would be applied to each host (check mode syncs nothing)
  xapi.xenserver.host_update:
    hostname: 192.0.2.10
    password: "{{ pool_password }}"
    host: "{{ item }}"
  loop: [xs1, xs2, xs3]
  check_mode: true
"""

RETURN = r"""
host:
  description:
    - The host after the run (in check mode, as it is), with uuid, name, address, enabled, software_version,
      pending_updates (the update names it still lacks), pending_guidances (what xapi waits for, such as
      C(reboot_host)), latest_synced_updates_applied (C(yes), C(no), C(unknown)), last_software_update.
  returned: success
  type: dict
  sample:
    name: xs2
    enabled: true
    pending_updates: []
    pending_guidances: []
    latest_synced_updates_applied: "yes"
    software_version: {product_version: 8.4.0, xen: 4.17.5-4}
applied:
  description: The names of the updates applied (in check mode, that would be applied).
  returned: success
  type: list
  elements: str
  sample: [XS8-2024-0912, XS8-2024-0915]
reboot_required:
  description: Whether the updates (applied now, or earlier and waiting) need the host rebooted; see RV(rebooted).
  returned: success
  type: bool
rebooted:
  description: Whether the module rebooted the host (in check mode, would reboot it).
  returned: success
  type: bool
guidances:
  description:
    - What the updates ask for after they are applied, as xapi's C(host.pending_guidances) names it
      (C(reboot_host), C(restart_toolstack), ...), including guidance earlier updates left pending.
  returned: success
  type: list
  elements: str
  sample: [reboot_host]
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._host_updates import HostUpdates
from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule


def main():
    module = XenServerModule(
        argument_spec=dict(
            host=dict(type="str", required=True), updates=dict(type="list", elements="str", default=["all"]),
            reboot=dict(type="str", choices=["auto", "never"], default="auto"),
            shutdown_stuck_vms=dict(type="bool", default=False),
            sync_max_age=dict(type="int", default=3600), timeout=dict(type="int", default=3600)),
        supports_check_mode=True)
    module.run(lambda m: HostUpdates(m).run())


if __name__ == "__main__":
    main()
