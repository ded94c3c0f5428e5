#!/usr/bin/env bash
# The target is named after the pool module. ansible-test plays a role target as "roles: [pool]"
# from inside the collection, which would run the collection's own role xapi.xenserver.pool: so
# this target plays its tasks itself, after the role setup_xapisim.
set -eux
ANSIBLE_ROLES_PATH=.. ansible-playbook runme.yml -i "${INVENTORY_PATH}" "$@"
