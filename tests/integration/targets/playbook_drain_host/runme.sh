#!/usr/bin/env bash
# playbooks/drain_host.yml on pool3: xs-a2 out of service (its VMs elsewhere, noted on the host),
# then back (enabled, the same VMs on it again); a second "back" changes nothing.
set -eux
export ANSIBLE_ROLES_PATH=..
collection=$(../setup_xapisim/files/collection-root.sh)
vars="${OUTPUT_DIR}/drain-vars.json"
trap '"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" -m xapisim stop --state-dir "${OUTPUT_DIR}/xapisim-pool3" || true' EXIT
run() { ansible-playbook "$@" -i "${INVENTORY_PATH}" -e "@${vars}" -e drain_host_play_hosts=testhost -e drain_host_name=xs-a2; }
ansible-playbook start.yml -i "${INVENTORY_PATH}" -e "drain_vars_file=${vars}"
run "${collection}/playbooks/drain_host.yml" -e drain_host_phase=out
ansible-playbook check.yml -i "${INVENTORY_PATH}" -e "@${vars}" -e phase=out
run "${collection}/playbooks/drain_host.yml" -e drain_host_phase=back
ansible-playbook check.yml -i "${INVENTORY_PATH}" -e "@${vars}" -e phase=back
run "${collection}/playbooks/drain_host.yml" -e drain_host_phase=back | tee "${OUTPUT_DIR}/again.txt"
grep -E "^testhost +: .*changed=0 .*failed=0" "${OUTPUT_DIR}/again.txt"
# the end: the simulator stops, and no XenAPI session may be left open
"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" -m xapisim stop --state-dir "${OUTPUT_DIR}/xapisim-pool3" --no-open-sessions
