#!/usr/bin/env bash
# Issue 12, concurrency: 20 forks on one pool (each its own VM, and all of them one shared VM) while 10% of
# the mutating calls are refused with OTHER_OPERATION_IN_PROGRESS; see concurrency.py.
set -eux
PYTHONPATH=../setup_xapisim/files "${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" concurrency.py "$@"
