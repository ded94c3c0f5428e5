#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: pool_info
short_description: The pool, its master, hosts, storage repositories and networks
version_added: 0.1.0
description:
  - Reads the pool that O(hostname) belongs to, with one bulk call per kind of object.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.info_module
options: {}
"""

EXAMPLES = r"""
- name: Read the pool
  xapi.xenserver.pool_info:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    ca_path: /etc/pki/xenserver-ca.pem
  register: info

- name: Show the master and the default SR
  ansible.builtin.debug:
    msg: "{{ info.pool.master.name }} - {{ info.pool.default_sr.name }}"
"""

RETURN = r"""
pool:
  description: The pool.
  returned: success
  type: dict
  contains:
    uuid:
      description: The pool's uuid.
      type: str
      returned: always
    name:
      description: Its name (empty on a fresh standalone host).
      type: str
      returned: always
    description:
      description: Its description.
      type: str
      returned: always
    master:
      description: The master (uuid, name, address).
      type: dict
      returned: always
    default_sr:
      description: The default SR (uuid, name), or null.
      type: dict
      returned: always
    ha_enabled:
      description: Whether HA is on.
      type: bool
      returned: always
    tags:
      description: Tags.
      type: list
      elements: str
      returned: always
    other_config:
      description: other_config.
      type: dict
      returned: always
    hosts:
      description: The hosts (uuid, name, address, enabled, master).
      type: list
      elements: dict
      returned: always
    srs:
      description: Storage repositories (uuid, name, type, content_type, shared, size, used, free, default) in bytes.
      type: list
      elements: dict
      returned: always
    networks:
      description: Networks (uuid, name, bridge, mtu, managed).
      type: list
      elements: dict
      returned: always
  sample:
    uuid: 2b1a4f0e-8d6c-4c1e-9a57-3f0d6a1c9e21
    name: pool-a
    master: {uuid: 5e8f1c2a-1b4d-4e0a-8f3b-7c6d5e4f3a21, name: xs-a1, address: 127.0.10.1}
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._records import NULL_REF


def pool_facts(client):
    pools = client.call("pool.get_all_records")
    hosts = client.call("host.get_all_records")
    srs = client.call("SR.get_all_records")
    networks = client.call("network.get_all_records")
    pool = next(iter(pools.values()))
    master = hosts.get(pool["master"], {})
    default_sr = srs.get(pool["default_SR"]) if pool["default_SR"] != NULL_REF else None
    return {
        "uuid": pool["uuid"], "name": pool["name_label"], "description": pool["name_description"],
        "master": {"uuid": master.get("uuid"), "name": master.get("name_label"), "address": master.get("address")},
        "default_sr": {"uuid": default_sr["uuid"], "name": default_sr["name_label"]} if default_sr else None,
        "ha_enabled": pool["ha_enabled"], "tags": pool["tags"], "other_config": pool["other_config"],
        "hosts": sorted(({"uuid": h["uuid"], "name": h["name_label"], "address": h["address"], "enabled": h["enabled"],
                          "master": ref == pool["master"]} for ref, h in hosts.items()), key=lambda h: h["name"]),
        "srs": sorted(({"uuid": s["uuid"], "name": s["name_label"], "type": s["type"], "content_type": s["content_type"],
                        "shared": s["shared"], "size": s["physical_size"], "used": s["physical_utilisation"],
                        "free": s["physical_size"] - s["physical_utilisation"], "default": ref == pool["default_SR"]}
                       for ref, s in srs.items()), key=lambda s: s["name"]),
        "networks": sorted(({"uuid": n["uuid"], "name": n["name_label"], "bridge": n["bridge"], "mtu": n["MTU"],
                             "managed": n["managed"]} for n in networks.values()), key=lambda n: n["name"]),
    }


def main():
    module = XenServerModule(argument_spec={}, supports_check_mode=True)
    module.run(lambda m: {"changed": False, "pool": pool_facts(m.client)})


if __name__ == "__main__":
    main()
