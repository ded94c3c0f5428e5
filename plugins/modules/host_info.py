#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: host_info
short_description: Hosts of the pool with software version, memory, CPU and management address
version_added: 0.1.0
description:
  - Reads every host of the pool, or the one named by O(name) or O(uuid).
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.info_module
options:
  name:
    description: Only the host with this name label.
    type: str
  uuid:
    description: Only the host with this uuid.
    type: str
"""

EXAMPLES = r"""
- name: Every host of the pool
  xapi.xenserver.host_info:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
  register: hosts

- name: One host
  xapi.xenserver.host_info:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    name: xs-a2
"""

RETURN = r"""
hosts:
  description: The hosts, sorted by name.
  returned: success
  type: list
  elements: dict
  contains:
    uuid:
      description: uuid.
      type: str
      returned: always
    name:
      description: Name label.
      type: str
      returned: always
    hostname:
      description: Host name.
      type: str
      returned: always
    address:
      description: Management address.
      type: str
      returned: always
    enabled:
      description: Whether new VMs may start there.
      type: bool
      returned: always
    master:
      description: Whether it is the pool master.
      type: bool
      returned: always
    live:
      description: Whether the host is up.
      type: bool
      returned: always
    product_brand:
      description: XenServer or XCP-ng.
      type: str
      returned: always
    product_version:
      description: For example 8.4.0.
      type: str
      returned: always
    software_version:
      description: The whole software_version map.
      type: dict
      returned: always
    memory:
      description: total and free memory in bytes.
      type: dict
      returned: always
    cpu:
      description: count, sockets, vendor, model and speed (MHz).
      type: dict
      returned: always
    resident_vms:
      description: Number of VMs running there (dom0 excluded).
      type: int
      returned: always
  sample:
    - uuid: 5e8f1c2a-1b4d-4e0a-8f3b-7c6d5e4f3a21
      name: xs-a1
      address: 127.0.10.1
      product_version: 8.4.0
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._lookup import find
from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule


def host_facts(client, params):
    master = next(iter(client.call("pool.get_all_records").values()))["master"]
    if params["name"] or params["uuid"]:
        ref, record = find(client, "host", name=params["name"], uuid=params["uuid"], option=None if params["uuid"] else "name")
        hosts = {ref: record}
    else:
        hosts = client.call("host.get_all_records")
    metrics = client.call("host_metrics.get_all_records") if len(hosts) > 3 else None
    result = []
    for ref, host in hosts.items():
        metric = metrics.get(host["metrics"], {}) if metrics is not None else client.call(
            "host_metrics.get_record", host["metrics"])
        cpu = host["cpu_info"]
        version = host["software_version"]
        result.append({
            "uuid": host["uuid"], "name": host["name_label"], "hostname": host["hostname"],
            "address": host["address"], "enabled": host["enabled"], "master": ref == master,
            "live": metric.get("live", False), "product_brand": version.get("product_brand"),
            "product_version": version.get("product_version"), "software_version": version,
            "memory": {"total": metric.get("memory_total"), "free": client.call("host.compute_free_memory", ref)},
            "cpu": {"count": int(cpu.get("cpu_count", 0)), "sockets": int(cpu.get("socket_count", 0)),
                    "vendor": cpu.get("vendor"), "model": cpu.get("modelname"), "speed": cpu.get("speed")},
            "resident_vms": len(host["resident_VMs"]) - 1,
        })
    return sorted(result, key=lambda h: h["name"])


def main():
    module = XenServerModule(argument_spec=dict(name=dict(type="str"), uuid=dict(type="str")),
                             mutually_exclusive=[("name", "uuid")], supports_check_mode=True)
    module.run(lambda m: {"changed": False, "hosts": host_facts(m.client, m.params)})


if __name__ == "__main__":
    main()
