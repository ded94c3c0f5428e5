# -*- coding: utf-8 -*-
# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment:
    # Connection options of every module (the environment variables match community.general's).
    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - The pool master, or any pool member (the module follows it to the master).
      - A host name, an IP address, C(host:port), or an C(https://) URL. Without a scheme, HTTPS is used.
      - If not set, the environment variable E(XENSERVER_HOST) is used.
    type: str
    required: true
    aliases: [pool]
  username:
    description:
      - The user to log in as; C(root), or an Active Directory user with an RBAC role.
      - If not set, the environment variable E(XENSERVER_USER) is used, then V(root).
    type: str
    default: root
    aliases: [user, admin]
  password:
    description:
      - The password of O(username). It never appears in results, diffs or errors.
      - If not set, the environment variable E(XENSERVER_PASSWORD) is used.
    type: str
    aliases: [pass, pwd]
  validate_certs:
    description:
      - Verify the host's TLS certificate. Set V(false) only for a lab, because the password could reach an impostor.
      - If not set, the environment variable E(XENSERVER_VALIDATE_CERTS) is used, then V(true).
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file with the CA certificate(s) that signed the host certificates, instead of the system trust store.
      - If not set, the environment variable E(XENSERVER_CA_PATH) is used.
    type: path
  protocol:
    description:
      - V(jsonrpc) is faster; V(xmlrpc) is for hosts without JSON-RPC (the module also switches by itself).
    type: str
    choices: [jsonrpc, xmlrpc]
    default: jsonrpc
  request_timeout:
    description:
      - Seconds to wait for each answer of the host, and how long to keep trying to reach a host that does not
        answer. Modules with long operations have their own O(ignore:timeout) for the whole operation.
    type: float
    default: 60
notes:
  - Runs on the controller (or wherever the task is delegated) and talks to XenAPI over HTTPS; nothing runs in dom0.
"""
