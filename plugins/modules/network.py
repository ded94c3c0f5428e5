#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: network
short_description: A pool network, plain, on a VLAN or over a bond, on every host
version_added: 0.1.0
description:
  - Creates, changes or removes a network of the pool, found by its name.
  - With O(vlan), the network is a VLAN on the same device of every host of the pool; a host that lacks it gets it.
  - With O(bond), the network is a bond over the same devices of every host; when a bonded device carries the
    management interface, the management interface (and its IP configuration) moves to the bond.
  - O(state=absent) removes the network's VLANs and bonds, then the network; it fails, changing nothing, while
    VMs have network interfaces attached to it.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.change_module
options:
  name:
    description: The network's name (name_label).
    type: str
    required: true
  state:
    description: Whether the network exists.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: The network's description.
    type: str
  mtu:
    description: The network's MTU (68 to 9216).
    type: int
  vlan:
    description: A VLAN on a device of every host; the network of a VLAN cannot be turned into another kind.
    type: dict
    suboptions:
      tag:
        description: The VLAN tag (0 to 4094).
        type: int
        required: true
      device:
        description: The device (PIF) carrying the VLAN on every host, for example C(eth1).
        type: str
        required: true
  bond:
    description: A bond over devices of every host.
    type: dict
    suboptions:
      devices:
        description: The bonded devices, at least two, for example C([eth0, eth1]).
        type: list
        elements: str
        required: true
      mode:
        description: The bond mode; when not given, a new bond is C(balance-slb) and an existing one keeps its mode.
        type: str
        choices: [balance-slb, active-backup, lacp]
  tags:
    description: The network's tags, exactly.
    type: list
    elements: str
  other_config:
    description: Keys of C(other_config) to set; others are left alone.
    type: dict
  timeout:
    description: Seconds a bond creation or removal may take on one host.
    type: int
    default: 600
"""

EXAMPLES = r"""
- name: A VLAN 42 network on eth1 of every host
  xapi.xenserver.network:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    name: storage
    mtu: 9000
    vlan:
      tag: 42
      device: eth1

- name: Bond eth0 and eth1 of every host (the management interface moves to the bond)
  xapi.xenserver.network:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    name: bond0
    bond:
      devices: [eth0, eth1]
      mode: active-backup

- name: Remove a network
  xapi.xenserver.network:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    name: storage
    state: absent
"""

RETURN = r"""
network:
  description:
    - The network (uuid, name, description, bridge, mtu, vlan, bond, hosts, tags, other_config); null once removed.
    - C(hosts) lists, per host, the device (PIF) connecting it to the network and whether it is attached.
    - In check mode a network still to be created has no uuid, bridge nor hosts.
  returned: success
  type: dict
  sample:
    uuid: 5e0e9ad2-3b8a-4b4f-9d36-8b0e5b8e1c2a
    name: storage
    bridge: xapi0
    mtu: 9000
    vlan: {tag: 42, device: eth1}
    bond: null
    hosts: [{host: xs1, device: eth1, attached: true}]
    tags: []
    other_config: {}
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._network_manager import NetworkManager


def main():
    module = XenServerModule(
        argument_spec=dict(
            name=dict(type="str", required=True), state=dict(type="str", default="present", choices=["present", "absent"]),
            description=dict(type="str"), mtu=dict(type="int"),
            vlan=dict(type="dict", options=dict(tag=dict(type="int", required=True), device=dict(type="str", required=True))),
            bond=dict(type="dict", options=dict(devices=dict(type="list", elements="str", required=True),
                                                mode=dict(type="str", choices=["balance-slb", "active-backup", "lacp"]))),
            tags=dict(type="list", elements="str"), other_config=dict(type="dict"), timeout=dict(type="int", default=600)),
        mutually_exclusive=[("vlan", "bond")],
        supports_check_mode=True)
    module.run(lambda m: NetworkManager(m).run())


if __name__ == "__main__":
    main()
