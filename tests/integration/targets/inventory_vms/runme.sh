#!/usr/bin/env bash
# Golden-file tests of the xapi.xenserver.vms inventory plugin: golden.py starts the simulators, writes the
# config files, runs ansible-inventory --list and compares it (normalised) to files/*.json.
# UPDATE_GOLDEN=1 ./runme.sh rewrites the golden files.
set -eux
"${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" golden.py "$@"
