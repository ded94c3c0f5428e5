#!/usr/bin/env bash
# A host with 3 VMs on a shared NFS SR is backed up, fails (the lab wipes it), is recovered by
# playbooks/recover_host.yml (installed again, database restored, VMs started), and checked; a
# second recovery run changes nothing. Broken backups are refused first, with the host unchanged.
set -eux
export ANSIBLE_ROLES_PATH=..
collection=$(../setup_xapisim/files/collection-root.sh)
vars="${OUTPUT_DIR}/recover-vars.json"
# the simulator (started detached by setup_xapisim) stops however the test ends
trap '"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" -m xapisim stop --state-dir "${OUTPUT_DIR}/xapisim-lab" || true' EXIT
ansible-playbook prepare.yml -i "${INVENTORY_PATH}" -e "recover_vars_file=${vars}" "$@"
ansible-playbook "${collection}/playbooks/recover_host.yml" -i "${INVENTORY_PATH}" -e "@${vars}" -e recover_hosts=testhost "$@"
ansible-playbook verify.yml -i "${INVENTORY_PATH}" -e "@${vars}" "$@"
# a second run: the machine is installed and the host restored already, the VMs run
ansible-playbook "${collection}/playbooks/recover_host.yml" -i "${INVENTORY_PATH}" -e "@${vars}" -e recover_hosts=testhost "$@" \
  | tee "${OUTPUT_DIR}/second-run.txt"
grep -E "^testhost +: .*changed=0 .*failed=0" "${OUTPUT_DIR}/second-run.txt"
ansible-playbook metadata.yml -i "${INVENTORY_PATH}" -e "@${vars}" "$@"
# the end: the simulator stops, and no XenAPI session may be left open
"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" -m xapisim stop --state-dir "${OUTPUT_DIR}/xapisim-lab" --no-open-sessions
