#!/usr/bin/env bash
# Print the root of the collection under test: ansible-test's copy of a target holds the tests only,
# so a target that runs the collection's playbooks finds them on the collections path.
set -eu
IFS=: read -ra roots <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
for root in "${roots[@]}"; do
  if [ -d "${root}/ansible_collections/xapi/xenserver/playbooks" ]; then
    echo "${root}/ansible_collections/xapi/xenserver"
    exit 0
  fi
done
echo "collection-root.sh: xapi.xenserver is on no path of ANSIBLE_COLLECTIONS_PATH (${ANSIBLE_COLLECTIONS_PATH:-})" >&2
exit 1
