#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: sr_info
short_description: Storage repositories with size, usage and where they are attached
version_added: 0.1.0
description:
  - Lists the pool's storage repositories, or those matching O(name), O(uuid) or O(type).
  - Secrets in C(device_config) (passwords, CHAP secrets) are never returned.
author: xapi.xenserver contributors (@xapi-xenserver)
extends_documentation_fragment:
  - xapi.xenserver.connection
  - xapi.xenserver.attributes.info_module
options:
  name:
    description: Only SRs with this name label.
    type: str
  uuid:
    description: Only the SR with this uuid.
    type: str
  type:
    description: Only SRs of this type (for example V(nfs), V(lvm), V(iso)).
    type: str
"""

EXAMPLES = r"""
- name: The NFS SRs and their free space
  xapi.xenserver.sr_info:
    hostname: 127.0.10.1
    password: "{{ xenserver_password }}"
    type: nfs
  register: nfs

- name: Free bytes of each
  ansible.builtin.debug:
    msg: "{{ nfs.srs | items2dict(key_name='name', value_name='free') }}"
"""

RETURN = r"""
srs:
  description: The SRs, sorted by name.
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
    description:
      description: Description.
      type: str
      returned: always
    type:
      description: The SR type (driver).
      type: str
      returned: always
    content_type:
      description: user, iso, disk...
      type: str
      returned: always
    shared:
      description: Whether every host of the pool may use it.
      type: bool
      returned: always
    default:
      description: Whether it is the pool's default SR.
      type: bool
      returned: always
    size:
      description: Physical size in bytes.
      type: int
      returned: always
    used:
      description: Bytes used.
      type: int
      returned: always
    free:
      description: Bytes free.
      type: int
      returned: always
    allocated:
      description: Sum of the virtual sizes of its disks, in bytes.
      type: int
      returned: always
    disks:
      description: Number of disks (VDIs) on it.
      type: int
      returned: always
    hosts:
      description: Where it is attached (host name, attached, device_config without secrets).
      type: list
      elements: dict
      returned: always
  sample:
    - name: NFS storage
      type: nfs
      shared: true
      size: 4398046511104
      free: 4365834256384
"""

from ansible_collections.xapi.xenserver.plugins.module_utils._lookup import find
from ansible_collections.xapi.xenserver.plugins.module_utils._module import XenServerModule
from ansible_collections.xapi.xenserver.plugins.module_utils._sr_view import view_srs


def list_srs(client, params):
    if params["uuid"] or params["name"]:
        refs = [find(client, "SR", uuid=params["uuid"])[0]] if params["uuid"] else client.call("SR.get_by_name_label", params["name"])
        srs = {ref: client.call("SR.get_record", ref) for ref in refs}
    else:
        srs = client.call("SR.get_all_records")
    if params["type"]:
        srs = {ref: sr for ref, sr in srs.items() if sr["type"] == params["type"]}
    return view_srs(client, srs)


def main():
    module = XenServerModule(argument_spec=dict(name=dict(type="str"), uuid=dict(type="str"), type=dict(type="str")),
                             mutually_exclusive=[("name", "uuid")], supports_check_mode=True)
    module.run(lambda m: {"changed": False, "srs": list_srs(m.client, m.params)})


if __name__ == "__main__":
    main()
