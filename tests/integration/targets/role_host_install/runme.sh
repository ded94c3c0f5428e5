#!/usr/bin/env bash
# ansible-test plays a role target as "roles: [<target>]"; this one plays setup_xapisim and its tasks itself.
set -eux
ANSIBLE_ROLES_PATH=.. ansible-playbook runme.yml -i "${INVENTORY_PATH}" "$@"
