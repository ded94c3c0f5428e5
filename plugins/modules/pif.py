#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: pif
short_description: The IP configuration of a host's network device, and the management interface
version_added: 0.1.0
description:
  - Sets the IPv4 and IPv6 configuration of one device (PIF) of one host, for example C(eth1) or C(bond0).
  - Options left out leave that part of the configuration as it is; nothing is written when the device already
    has the configuration asked for.
  - With O(management=true), the host's management interface moves to this device and the host takes the
    device's address. When that host is the one the module talks to (the pool master), the module logs in again
    at the new address and checks that the host answers there.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.change_module
options:
  host:
    description: The host, by name (name_label) or uuid.
    type: str
    required: true
  device:
    description: The device, for example C(eth1) or C(bond0) (the untagged PIF, not a VLAN).
    type: str
    required: true
  mode:
    description:
      - How the device gets its IPv4 address; needed with O(ip) and O(netmask). With only O(gateway) or O(dns),
        the device keeps its mode (and its address when static); a device without IPv4 configuration needs O(mode).
      - C(static) needs O(ip) and O(netmask); C(none) removes the IPv4 configuration (refused on the management
        interface; move that to another device first).
    type: str
    choices: [dhcp, static, none]
  ip:
    description: The IPv4 address, with O(mode=static).
    type: str
  netmask:
    description: The IPv4 netmask (C(255.255.255.0) or a prefix length such as C(24)), with O(mode=static).
    type: str
  gateway:
    description: The IPv4 gateway; an empty string removes it; when left out, the current one is kept.
    type: str
  dns:
    description: The IPv4 DNS servers, in order; when left out, the current ones are kept.
    type: list
    elements: str
  ipv6:
    description: The IPv6 configuration.
    type: dict
    suboptions:
      mode:
        description: How the device gets its IPv6 address.
        type: str
        choices: [dhcp, static, autoconf, none]
        required: true
      address:
        description: The IPv6 address with its prefix length (for example C(fd00::10/64)), with O(ipv6.mode=static).
        type: str
      gateway:
        description: The IPv6 gateway; when left out, the current one is kept.
        type: str
  management:
    description:
      - Whether the device carries the host's management interface. V(true) moves the management interface to it
        (the device needs an IPv4 configuration; give O(mode) when it has none); V(false) fails on the device that
        carries it.
    type: bool
"""

EXAMPLES = r"""
- name: A static address on eth1 of a host
  xapi.xenserver.pif:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    host: xs-a2
    device: eth1
    mode: static
    ip: 127.0.20.2
    netmask: 255.0.0.0
    gateway: 127.0.20.254
    dns: [127.0.20.53]

- name: DHCP on eth1
  xapi.xenserver.pif:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    host: xs-a3
    device: eth1
    mode: dhcp

- name: Only the DNS servers of eth1 (its mode and address stay)
  xapi.xenserver.pif:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    host: xs-a2
    device: eth1
    dns: [127.0.20.53, 127.0.20.54]

- name: Move the management interface of a host to eth1, at a new address
  xapi.xenserver.pif:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    host: xs-a2
    device: eth1
    mode: static
    ip: 127.0.30.2
    netmask: 255.0.0.0
    management: true
"""

RETURN = r"""
pif:
  description:
    - The device (host, device, mode, ip, netmask, gateway, dns, ipv6, management, attached, mac, network).
    - C(network) is the name of the device's network; C(dns) lists the IPv4 DNS servers.
    - In check mode, the configuration the device would have.
  returned: success
  type: dict
  sample:
    host: xs-a2
    device: eth1
    mode: static
    ip: 127.0.20.2
    netmask: 255.0.0.0
    gateway: 127.0.20.254
    dns: [127.0.20.53]
    ipv6: {mode: none, address: null, gateway: ""}
    management: false
    attached: true
    mac: 66:1e:87:2c:e7:79
    network: Pool-wide network associated with eth1
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._pif_manager import PifManager


def main():
    module = XenServerModule(
        argument_spec=dict(
            host=dict(type="str", required=True), device=dict(type="str", required=True),
            mode=dict(type="str", choices=["dhcp", "static", "none"]), ip=dict(type="str"), netmask=dict(type="str"),
            gateway=dict(type="str"), dns=dict(type="list", elements="str"),
            ipv6=dict(type="dict", options=dict(mode=dict(type="str", required=True, choices=["dhcp", "static", "autoconf", "none"]),
                                                address=dict(type="str"), gateway=dict(type="str"))),
            management=dict(type="bool")),
        supports_check_mode=True)
    module.run(lambda m: PifManager(m).run())


if __name__ == "__main__":
    main()
