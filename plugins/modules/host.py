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
  - Sets a host's name, description, host name, C(other_config), tags, remote syslog (O(logging)), power-on mode
    (O(power_on_mode), O(power_on_config)), the DNS servers of its management interface (O(dns_servers)) and, where
    the host's XenAPI has them, its NTP servers (O(ntp_servers)).
  - O(enabled=false) stops new VMs from starting there and does nothing else; VMs running there keep running there.
  - With O(evacuate=true) as well, the host's running VMs move to the other hosts (also when the host is disabled
    already), or, when some cannot move, the module lists them with the reason and changes nothing.
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
    description:
      - With O(enabled=false), move the host's running VMs to the other enabled hosts (after disabling it).
      - Without it, O(enabled=false) only disables the host.
    type: bool
    default: false
  shutdown_stuck_vms:
    description:
      - With O(evacuate=true) (or O(power)), shut down the VMs that cannot leave the host (clean shutdown, then
        hard) instead of failing; they are listed in the diff under C(shut_down).
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
  logging:
    description:
      - The host's C(logging) map, exactly (set with C(host.set_logging), which replaces the map), then applied with
        C(host.syslog_reconfigure); nothing is written when it is already so.
      - C(syslog_destination) is the remote syslog server (host name or address) the host sends its logs to;
        V({}) stops remote logging.
    type: dict
  power_on_mode:
    description:
      - How the pool powers the host on (C(host.power_on)). V("") disables it; V(wake-on-lan), V(IPMI), V(iLO),
        V(DRAC) (any case), or the name of a custom power-on script in the host's plugin folder.
      - The iLO and DRAC scripts are gone from newer XenServer versions; prefer V(IPMI).
      - When left out with O(power_on_config) given, the current mode is kept.
    type: str
  power_on_config:
    description:
      - The configuration of the power-on mode, exactly (for IPMI C(power_on_ip), C(power_on_user) and
        C(power_on_password_secret)). When left out, the current configuration is kept.
      - The value of a key ending in C(password_secret) is the password itself. The module keeps it in a XenAPI
        secret and stores the secret's uuid, which is what xapi's power-on scripts read; a password already stored
        is compared through its secret, so the same password changes nothing.
      - Values are never returned nor shown in the diff; the diff shows the keys, with C(******** (changed)) where a
        value changes, and the result lists the keys only.
    type: dict
  dns_servers:
    description:
      - The IPv4 DNS servers of the host's management interface, in order. Set with C(PIF.reconfigure_ip), which
        keeps the interface's mode, address, netmask and gateway (as the M(xapi.xenserver.pif) module does).
    type: list
    elements: str
  ntp_servers:
    description:
      - The host's NTP servers (any order). Only on hosts whose XenAPI has C(host.set_ntp_custom_servers) (newer than
        XenAPI 2.21, the host record has C(ntp_custom_servers)); they are set and the NTP mode becomes C(Custom).
      - On other hosts, XenServer 8 among them, the module fails naming this option; set the servers at install
        time in the answerfile (C(<ntp-server>)), for example with the C(host_install) role.
    type: list
    elements: str
  timeout:
    description: Seconds an evacuation, reboot or shutdown may take.
    type: int
    default: 1800
notes:
  - O(name) or O(uuid) is required.
  - Settings are written first, then the host is disabled, evacuated, enabled, rebooted or shut down.
"""

EXAMPLES = r"""
- name: Remote syslog, DNS servers and IPMI power-on for xs2
  xapi.xenserver.host:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    name: xs2
    logging:
      syslog_destination: syslog.example.com
    dns_servers: [192.0.2.53, 192.0.2.54]
    power_on_mode: IPMI
    power_on_config:
      power_on_ip: 192.0.2.102
      power_on_user: admin
      power_on_password_secret: "{{ bmc_password }}"

- name: Stop new VMs from starting on xs3, leaving its running VMs where they are
  xapi.xenserver.host:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    name: xs3
    enabled: false

- name: Disable xs3 and move its VMs to the other hosts
  xapi.xenserver.host:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    name: xs3
    enabled: false
    evacuate: true

- name: Drain xs2 and reboot it
  xapi.xenserver.host:
    hostname: 127.0.10.1
    password: "{{ pool_password }}"
    name: xs2
    power: rebooted
"""

RETURN = r"""
host:
  description:
    - The host (uuid, name, description, hostname, address, enabled, other_config, tags, resident_vms, logging,
      power_on_mode, power_on_config, dns_servers); in check mode, as it is.
    - C(power_on_config) lists the keys of the power-on configuration only, never its values.
    - C(dns_servers) are the IPv4 DNS servers of the management interface.
  returned: success
  type: dict
  sample:
    name: xs2
    address: 127.0.10.2
    enabled: true
    resident_vms: 0
    logging: {syslog_destination: syslog.example.com}
    power_on_mode: IPMI
    power_on_config: [power_on_ip, power_on_password_secret, power_on_user]
    dns_servers: [192.0.2.53]
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._host_manager import HostManager
from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule


def main():
    module = XenServerModule(
        argument_spec=dict(
            name=dict(type="str"), uuid=dict(type="str"), name_label=dict(type="str"), description=dict(type="str"),
            host_name=dict(type="str"), enabled=dict(type="bool"), evacuate=dict(type="bool", default=False),
            shutdown_stuck_vms=dict(type="bool", default=False),
            power=dict(type="str", choices=["rebooted", "shutdown"]), other_config=dict(type="dict"),
            tags=dict(type="list", elements="str"), logging=dict(type="dict"), power_on_mode=dict(type="str"),
            power_on_config=dict(type="dict", no_log=True), dns_servers=dict(type="list", elements="str"),
            ntp_servers=dict(type="list", elements="str"), timeout=dict(type="int", default=1800)),
        required_one_of=[("name", "uuid")], mutually_exclusive=[("name", "uuid")], supports_check_mode=True)
    module.run(lambda m: HostManager(m).run())


if __name__ == "__main__":
    main()
