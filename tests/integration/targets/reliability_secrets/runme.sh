#!/usr/bin/env bash
# Secrets: every password of a run is a unique marker (the pool's root password, a BMC password kept
# for power-on, an SMB share's password, a wrong domain password), the playbook runs at -vvvv with
# --diff, then in check mode, the inventory runs with a jsonfile cache and the simulator logs every
# request; no output, diff, error, cache file or simulator log holds a marker.
set -eux
py="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}"
out="${OUTPUT_DIR}/secrets"
rm -rf "${out}" && mkdir -p "${out}"
set +x  # the markers stay out of this script's own trace too
suffix=$("${py}" -c 'import secrets; print(secrets.token_hex(8))')
root="Mk-root-${suffix}" bmc="Mk-bmc-${suffix}" smb="Mk-smb-${suffix}" ad="Mk-ad-${suffix}"
"${py}" -m xapisim serve --detach --scenario pool3 --state-dir "${out}/sim" --password "${root}" --verbose \
  --speed 200 --lifetime 600 > "${out}/endpoints.json"
set -x
trap '"${py}" -m xapisim stop --state-dir "${out}/sim" || true' EXIT
"${py}" - "${out}" <<'PY'
import json, os, sys
out = sys.argv[1]
e = json.load(open(os.path.join(out, "endpoints.json")))
master = next(h["url"] for h in e["hosts"] if h["master"])
json.dump({"hostname": master, "ca": e["ca"]}, open(os.path.join(out, "where.json"), "w"))
json.dump({"plugin": "xapi.xenserver.vms", "hostname": master, "ca_path": e["ca"], "cache": True,
           "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": os.path.join(out, "cache"),
           "with_disks": True, "with_other_config": True},
          open(os.path.join(out, "pool.xenserver.yml"), "w"))
PY
# the passwords go in through the environment, as AWX's credentials give them
set +x
export XENSERVER_PASSWORD="${root}" SECRETS_BMC="${bmc}" SECRETS_SMB="${smb}" SECRETS_AD="${ad}"
set -x
ansible-playbook -vvvv --diff secrets.yml -i "${INVENTORY_PATH}" -e "@${out}/where.json" > "${out}/run.log" 2>&1
ansible-playbook -vvvv --diff --check secrets.yml -i "${INVENTORY_PATH}" -e "@${out}/where.json" > "${out}/check.log" 2>&1
ansible-inventory -vvvv -i "${out}/pool.xenserver.yml" --list > "${out}/inventory.log" 2>&1
ansible-inventory -vvvv -i "${out}/pool.xenserver.yml" --list > "${out}/inventory-cached.log" 2>&1
"${py}" -m xapisim stop --state-dir "${out}/sim" --no-open-sessions
set +x
"${py}" search.py "${out}" "${root}" "${bmc}" "${smb}" "${ad}"
