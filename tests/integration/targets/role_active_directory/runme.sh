#!/usr/bin/env bash
# The active_directory role against a real Samba AD domain controller on 127.0.0.1, with the
# simulator authenticating every pool against it; then no password may show in the play's
# -vvvv output or in the simulator's and the DC's logs.
set -eu
root="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/xapi/xenserver"
# a short path: samba's unix sockets live under it, and a socket path may not pass 108 bytes
state=$(mktemp -d /tmp/samba-dc.XXXXXX)
log="${OUTPUT_DIR}/role_active_directory.log"
"$root/scripts/samba-dc" start "$state"
trap '"$root/scripts/samba-dc" stop "$state"; rm -rf "$state"' EXIT

status=0
ANSIBLE_ROLES_PATH=.. ansible-playbook runme.yml -i "${INVENTORY_PATH}" -e "xapisim_state_dir=${OUTPUT_DIR}/xapisim-ad" \
  -vvvv "$@" > "$log" 2>&1 || status=$?
grep -E '^(TASK|PLAY RECAP|fatal|ok:|changed:|failed:)|failed=' "$log" || true
[ "$status" -eq 0 ] || { tail -n 80 "$log"; exit "$status"; }

# what is searched must be there: the play's output with the module invocations, the simulator's
# log, and the DC's logs
grep -q 'refused the credentials of Administrator@example.test' "$log"
grep -q 'POST /jsonrpc' "${OUTPUT_DIR}/xapisim-ad/xapisim.log"
ls "$state"/samba.out > /dev/null

# the passwords of the test domain: the join account's, alice's and the wrong one tried
leaks=0
for secret in 'Passw0rd!x' 'Wonder1and!' 'Not-the-Passw0rd'; do
  if grep -rlF -- "$secret" "$log" "${OUTPUT_DIR}/xapisim-ad" "$state"/samba.out "$state"/log.* 2> /dev/null; then
    echo "a password shows in the files above" >&2
    leaks=1
  fi
done
[ "$leaks" -eq 0 ]
lines=$(wc -l < "$log")
echo "no password in ${lines} lines of -vvvv output nor in the simulator's and the DC's logs"
