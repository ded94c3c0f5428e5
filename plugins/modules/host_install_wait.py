#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: host_install_wait
short_description: Wait, in parallel, until freshly installed hosts answer XenAPI; say what the BMC says for those that do not
version_added: 0.1.0
description:
  - Tries a XenAPI login at each machine's address, all machines at once, with backoff, until the host answers with
    its product version and the root password works, or until O(timeout).
  - "While it waits it reads each machine's BMC log (Redfish) now and then; a new critical entry (the installer's
    C(Installation failed: ...)) ends that machine's wait at once."
  - For each machine that does not come up it reads the BMC's power state and its last log entries, and fails with
    one line per machine naming the BMC's reason; the machines that did come up are returned in RV(installed) all the same.
  - With O(wait=false) it only looks once at every machine and never fails; RV(installed) and RV(absent) say which
    answer as installed (used to leave installed machines alone).
  - Used by the role C(xapi.xenserver.host_install).
author: xapi.xenserver contributors (@xapi-xenserver)
attributes:
  check_mode:
    support: full
    description: It only reads.
  diff_mode:
    support: none
    description: It changes nothing.
options:
  machines:
    description: The machines to wait for.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the machine, used in results and messages.
        type: str
        required: true
      address:
        description: Where XenAPI answers once installed; an IP address, an IP address with prefix (CIDR) or a name.
        type: str
        required: true
      bmc_url:
        description: Base URL of the machine's BMC (C(https://bmc)); without it a failure cannot say what the machine says.
        type: str
      bmc_username:
        description: BMC account.
        type: str
      bmc_password:
        description: Password of O(machines[].bmc_username).
        type: str
      bmc_system:
        description: Redfish path of the machine's system (C(/redfish/v1/Systems/1)); found from C(/redfish/v1/Systems) when not given.
        type: str
      bmc_log_seen:
        description:
          - The BMC log entries that were there before the reset (as Redfish gives them, or their C(@odata.id));
            only newer ones count as the installation's.
        type: list
        elements: raw
        default: []
      previous_uuid:
        description: Host uuid of the installation being replaced; a host still answering with it is not installed yet.
        type: str
  username:
    description: The account of the installed hosts.
    type: str
    default: root
  password:
    description: The root password the installation set.
    type: str
    required: true
  port:
    description: HTTPS port of XenAPI when it is not 443.
    type: str
    default: ""
  validate_certs:
    description:
      - Verify the hosts' TLS certificates. A freshly installed host has a self-signed certificate, so give O(ca_path)
        or set this to V(false) knowingly (the root password could reach an impostor).
    type: bool
    default: true
  ca_path:
    description: CA certificate(s) that signed the hosts' certificates.
    type: path
  bmc_validate_certs:
    description: Verify the BMCs' TLS certificates.
    type: bool
    default: true
  bmc_ca_path:
    description: CA certificate(s) that signed the BMCs' certificates.
    type: path
  product_version:
    description: The product version the installation must answer with (a prefix, such as V(8.4)); empty accepts any.
    type: str
    default: ""
  timeout:
    description: Seconds to wait for all machines (they are waited for at the same time).
    type: int
    default: 3600
  wait:
    description: V(false) looks once at every machine and never fails.
    type: bool
    default: true
  request_timeout:
    description: Seconds each XenAPI or Redfish request may take.
    type: float
    default: 10
notes:
  - Runs on the controller; it does not belong to the module group C(xapi.xenserver.xenserver) because it talks to many hosts,
    not to one pool.
"""

EXAMPLES = r"""
- name: Wait for the installations
  xapi.xenserver.host_install_wait:
    machines:
      - name: node1
        address: 192.0.2.11/24
        bmc_url: https://bmc-node1.example.com
        bmc_username: admin
        bmc_password: "{{ bmc_password }}"
    password: "{{ root_password }}"
    ca_path: /etc/pki/xenserver-ca.pem
    timeout: 3600
  register: installed
"""

RETURN = r"""
installed:
  description: The machines that answer XenAPI as installed.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The machine's name.
      type: str
    url:
      description: Where XenAPI answered.
      type: str
    uuid:
      description: Host uuid.
      type: str
    hostname:
      description: The host's host name.
      type: str
    address:
      description: The host's management address.
      type: str
    product_version:
      description: For example 8.4.0.
      type: str
    seconds:
      description: Seconds waited for it.
      type: float
  sample:
    - name: node1
      url: https://192.0.2.11
      hostname: node1
      address: 192.0.2.11
      product_version: 8.4.0
      seconds: 412.5
absent:
  description: With O(wait=false), the machines that do not answer as installed, with the reason.
  returned: always
  type: dict
  sample: {node2: "cannot connect to https://192.0.2.12: Connection refused"}
failed_machines:
  description: The machines that did not come up, with what the BMC says.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The machine's name.
      type: str
    msg:
      description: One line naming the BMC's reason.
      type: str
    power_state:
      description: The BMC's power state.
      type: str
    log:
      description: The BMC's log entries since the reset (or its last ones), with created, severity and message.
      type: list
    xenapi:
      description: The last XenAPI attempt's error.
      type: str
"""

import re

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.xapi.xenserver.plugins.module_utils._client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.xapi.xenserver.plugins.module_utils._install_wait import Waiter, xenapi_url
from ansible_collections.xapi.xenserver.plugins.module_utils._module import CheckedAnsibleModule


def argument_spec():
    machine = dict(
        name=dict(type="str", required=True),
        address=dict(type="str", required=True),
        bmc_url=dict(type="str"),
        bmc_username=dict(type="str"),
        bmc_password=dict(type="str", no_log=True),
        bmc_system=dict(type="str"),
        bmc_log_seen=dict(type="list", elements="raw", default=[], no_log=False),
        previous_uuid=dict(type="str"),
    )
    return dict(
        machines=dict(type="list", elements="dict", required=True, options=machine),
        username=dict(type="str", default="root"),
        password=dict(type="str", required=True, no_log=True),
        port=dict(type="str", default=""),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        bmc_validate_certs=dict(type="bool", default=True),
        bmc_ca_path=dict(type="path"),
        product_version=dict(type="str", default=""),
        timeout=dict(type="int", default=3600),
        wait=dict(type="bool", default=True),
        request_timeout=dict(type="float", default=10.0),
    )


def run(params):
    """(result, failure message or None)"""
    waiter = Waiter(params["machines"], params["password"], username=params["username"], port=params["port"],
                    validate_certs=params["validate_certs"], ca_path=params["ca_path"],
                    bmc_validate_certs=params["bmc_validate_certs"], bmc_ca_path=params["bmc_ca_path"],
                    product_version=params["product_version"], request_timeout=params["request_timeout"])
    if not params["wait"]:
        installed, absent = waiter.probe_all()
        return {"changed": False, "installed": installed, "absent": absent, "failed_machines": []}, None
    installed, failed = waiter.wait_all(params["timeout"])
    result = {"changed": False, "installed": installed, "absent": {}, "failed_machines": failed}
    if failed:
        done = ", ".join(facts["name"] for facts in installed) or "none"
        lines = ["%d of %d machines did not come up (installed: %s):" % (len(failed), len(waiter.machines), done)]
        return result, "\n".join(lines + [report["msg"] for report in failed])
    return result, None


def main():
    module = CheckedAnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.refuse_misshapen()
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
    names = [machine["name"] for machine in module.params["machines"]]
    twice = sorted(set(name for name in names if names.count(name) > 1))
    if twice:
        module.fail_json(msg="machines: each name once, but %s appear more than once" % ", ".join(twice))
    if module.params["timeout"] < 0:
        module.fail_json(msg="timeout: seconds, 0 or more, got %d" % module.params["timeout"])
    if not 0 < module.params["request_timeout"] < float("inf"):
        module.fail_json(msg="request_timeout: %r is not a number of seconds above 0" % module.params["request_timeout"])
    port = module.params["port"]
    if port and not (re.match(r"^[0-9]+$", port) and 0 < int(port) < 65536):
        module.fail_json(msg="port: %r is not a port number (1 to 65535)" % port)
    for index, machine in enumerate(module.params["machines"]):
        try:
            xenapi_url(machine["address"], port)
        except ValueError as exc:
            module.fail_json(msg="machines[%d].address: %s" % (index, exc))
    if not module.params["validate_certs"]:
        module.warn("validate_certs is false: the installed hosts' TLS certificates are not checked, so the root "
                    "password could reach an impostor")
    result, failure = run(module.params)
    if failure:
        module.fail_json(msg=failure, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
