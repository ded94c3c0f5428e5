#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: pool
short_description: The pool's name, default SRs, master, HA, other_config and tags
version_added: 0.1.0
description:
  - Sets what is given; leaves the rest alone.
  - O(master) hands the master role to another member and waits until it is in charge; the module goes on
    talking to the new master.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.change_module
options:
  name:
    description: The pool's name.
    type: str
  description:
    description: The pool's description.
    type: str
  default_sr:
    description: Default SR for new disks (name or uuid).
    type: str
  suspend_image_sr:
    description: SR for the memory images of suspended VMs (name or uuid).
    type: str
  crash_dump_sr:
    description: SR for crash dumps (name or uuid).
    type: str
  master:
    description:
      - The host (name or uuid) that must be the pool master.
      - xapi refuses a master change while HA is enabled; the module refuses it before any change unless the same
        task sets O(ha.enabled=false) (HA is disabled first). With O(ha.enabled=true), the master changes first.
    type: str
  ha:
    description: High availability.
    type: dict
    suboptions:
      enabled:
        description: HA on or off.
        type: bool
      heartbeat_srs:
        description:
          - Shared SRs for VM disks (names or uuids; not ISO libraries) for the heartbeat; needed to enable HA.
          - Checked before any change is made. Used when HA is enabled; they do not move the heartbeat of a pool
            where HA is already on.
        type: list
        elements: str
      failures_to_tolerate:
        description: Host failures HA plans for (0 or more); may be given without O(ha.enabled).
        type: int
  other_config:
    description: Keys of C(other_config) to set; others are left alone. Values are stored as text (booleans as C(true)/C(false)).
    type: dict
  tags:
    description: The pool's tags, exactly.
    type: list
    elements: str
  timeout:
    description: Seconds a master change or an HA change may take.
    type: int
    default: 600
"""

EXAMPLES = r"""
- name: Name the pool and set its default SR
  xapi.xenserver.pool:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    name: production
    default_sr: NFS storage

- name: Enable HA with its heartbeat on the NFS SR, planning for one host failure
  xapi.xenserver.pool:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    ha:
      enabled: true
      heartbeat_srs: [NFS storage]
      failures_to_tolerate: 1

- name: Make xs2 the master (HA must be off for that)
  xapi.xenserver.pool:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    master: xs2
    ha:
      enabled: false
"""

RETURN = r"""
pool:
  description:
    - The pool (uuid, name, description, master, default_sr, suspend_image_sr, crash_dump_sr, ha, other_config, tags).
    - C(ha) has C(enabled), C(failures_to_tolerate) and C(heartbeat_srs) (the names of the SRs holding HA's statefiles).
  returned: success
  type: dict
  sample: {name: production, master: xs1, default_sr: NFS storage, ha: {enabled: false, failures_to_tolerate: 0, heartbeat_srs: []}}
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._pool_settings import PoolSettings


def main():
    module = XenServerModule(
        argument_spec=dict(
            name=dict(type="str"), description=dict(type="str"), default_sr=dict(type="str"),
            suspend_image_sr=dict(type="str"), crash_dump_sr=dict(type="str"), master=dict(type="str"),
            ha=dict(type="dict", options=dict(enabled=dict(type="bool"), heartbeat_srs=dict(type="list", elements="str"),
                                              failures_to_tolerate=dict(type="int"))),
            other_config=dict(type="dict"), tags=dict(type="list", elements="str"), timeout=dict(type="int", default=600)),
        supports_check_mode=True)
    module.run(lambda m: PoolSettings(m).run())


if __name__ == "__main__":
    main()
