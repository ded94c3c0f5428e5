#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: host
short_description: A host's settings, whether it takes VMs, reboot and shutdown
version_added: 0.1.0
description:
  - Sets a host's name, description, host name, C(other_config) and tags.
  - O(enabled=false) stops new VMs from starting there; with O(evacuate=true) its VMs move to other hosts
    first, or the module lists the VMs that cannot move and changes nothing.
  - O(power=rebooted) or O(power=shutdown) disables and evacuates the host, then reboots (waiting until it is
    back and enabled) or shuts it down (waiting until it is down).
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.change_module
options:
  name:
    description: The host's name label (to find it).
    type: str
  uuid:
    description: The host's uuid.
    type: str
  name_label:
    description: A new name label.
    type: str
  description:
    description: The host's description.
    type: str
  host_name:
    description:
      - The host's host name (set live). Not O(hostname), which is the connection's.
    type: str
  enabled:
    description: Whether new VMs may start on the host.
    type: bool
  evacuate:
    description: With O(enabled=false), move the host's VMs to other hosts first.
    type: bool
    default: false
  power:
    description: V(rebooted) reboots the host (always a change); V(shutdown) shuts it down.
    type: str
    choices: [rebooted, shutdown]
  other_config:
    description: Keys of C(other_config) to set; others are left alone.
    type: dict
  tags:
    description: The host's tags, exactly.
    type: list
    elements: str
  timeout:
    description: Seconds an evacuation, reboot or shutdown may take.
    type: int
    default: 1800
notes:
  - O(name) or O(uuid) is required.
  - NTP servers are not in XenAPI 2.21 (XenServer 8 sets them in dom0); DNS is part of the management PIF's IP settings.
"""

EXAMPLES = r"""
- name: Drain xs2 and reboot it
  xapi.xenserver.host:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    name: xs2
    power: rebooted
"""

RETURN = r"""
host:
  description: The host (uuid, name, description, hostname, address, enabled, other_config, tags, resident_vms).
  returned: success
  type: dict
  sample: {name: xs2, address: 127.0.10.2, enabled: true, resident_vms: 0}
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._host_manager import HostManager
from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule


def main():
    module = XenServerModule(
        argument_spec=dict(
            name=dict(type="str"), uuid=dict(type="str"), name_label=dict(type="str"), description=dict(type="str"),
            host_name=dict(type="str"), enabled=dict(type="bool"), evacuate=dict(type="bool", default=False),
            power=dict(type="str", choices=["rebooted", "shutdown"]), other_config=dict(type="dict"),
            tags=dict(type="list", elements="str"), timeout=dict(type="int", default=1800)),
        required_one_of=[("name", "uuid")], mutually_exclusive=[("name", "uuid")], supports_check_mode=True)
    module.run(lambda m: HostManager(m).run())


if __name__ == "__main__":
    main()
