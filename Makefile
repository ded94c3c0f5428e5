# xapi.xenserver — make demo · make test · make bench · make sanity · make lint
# Every target installs what it needs into .venv (ansible-core 2.21, Python >= 3.12) and
# .venv-2.19 (ansible-core 2.19, Python 3.11), from PyPI. Python comes from PATH or pyenv.

SHELL := /bin/bash
PYTHON_MAIN := $(shell scripts/find-python 3.12)
PYTHON_OLD := $(shell scripts/find-python 3.11 3.11)
VENV := .venv
VENV_OLD := .venv-2.19
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STAMP_OLD := $(VENV_OLD)/.installed
STAMP_DOCS := $(VENV)/.installed-docs
STAMP_MOLECULE := $(VENV)/.installed-molecule
MAIN_VERSION = $(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
STATE := .state/demo

PHONY_LANES := test-runtime test-static integration-long integration-rest
.PHONY: demo test $(PHONY_LANES) test-simulator samba sanity sanity-main sanity-old units integration lint bench clean

$(STAMP): requirements/simulator.txt requirements/ansible-2.21.txt simulator/pyproject.toml
	@test -n "$(PYTHON_MAIN)" || { echo "make: no Python >= 3.12 found"; exit 1; }
	test -x $(PY) || $(PYTHON_MAIN) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/simulator.txt -r requirements/ansible-2.21.txt -e simulator
	touch $@

$(STAMP_OLD): requirements/ansible-2.19.txt
	@test -n "$(PYTHON_OLD)" || { echo "make: no Python 3.11 found"; exit 1; }
	test -x $(VENV_OLD)/bin/python || $(PYTHON_OLD) -m venv $(VENV_OLD)
	$(VENV_OLD)/bin/python -m pip install -q --disable-pip-version-check -r requirements/ansible-2.19.txt
	touch $@

# make test runs every suite in two lanes side by side (these machines have 2 CPUs): the suites that
# mostly wait on the simulator's time, and the static checks. Each lane's output is printed whole
# when the lane ends. The environments are made first, once.
test: $(STAMP) $(STAMP_OLD) $(STAMP_DOCS) $(STAMP_MOLECULE) samba
	@$(MAKE) --no-print-directory -j2 --output-sync=recurse test-runtime test-static

test-runtime:
	@$(MAKE) --no-print-directory -j1 test-simulator units integration-rest

test-static:
	@$(MAKE) --no-print-directory -j1 sanity lint docs molecule integration-long

# the Samba AD DC the simulator's directory tests start (scripts/samba-dc); installed only when missing
samba:
	@PATH="$$PATH:/usr/sbin:/sbin" command -v samba > /dev/null || { apt-get update && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y samba winbind krb5-user ldb-tools; }

test-simulator: $(STAMP) samba
	cd simulator && ../$(PY) -m pytest -q -p no:cacheprovider tests

sanity: sanity-main sanity-old

sanity-main: $(STAMP)
	scripts/ansible-test $(VENV) sanity --python $(MAIN_VERSION)

sanity-old: $(STAMP_OLD)
	scripts/ansible-test $(VENV_OLD) sanity --python 3.11

units: $(STAMP)
	scripts/ansible-test $(VENV) units --python-interpreter $(CURDIR)/$(PY)

integration: $(STAMP)
	scripts/ansible-test $(VENV) integration --python-interpreter $(CURDIR)/$(PY)

# the longest targets, run in make test's other lane so that both lanes take about as long
INTEGRATION_LONG := pool_backup_restore role_host_install reliability_master_change reliability_concurrency \
	reliability_flaky_inventory

integration-long: $(STAMP)
	scripts/ansible-test $(VENV) integration --python-interpreter $(CURDIR)/$(PY) $(INTEGRATION_LONG)

integration-rest: $(STAMP)
	scripts/ansible-test $(VENV) integration --python-interpreter $(CURDIR)/$(PY) $(addprefix --exclude ,$(INTEGRATION_LONG))

lint: $(STAMP)
	mkdir -p .state/collections/ansible_collections/xapi
	ln -sfn $(CURDIR) .state/collections/ansible_collections/xapi/xenserver
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.state/collections $(VENV)/bin/ansible-lint

# the collection's docs (plugins, roles, docs/docsite) through antsibull-docs' lint, references to other
# collections included; then the artifact built and imported by galaxy-importer, offline (scripts/check-artifact)
.PHONY: docs
$(STAMP_DOCS): $(STAMP) requirements/docs.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/docs.txt
	touch $@

docs: $(STAMP_DOCS)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs \
	  --validate-collection-refs all --disallow-unknown-collection-refs .
	scripts/check-artifact $(VENV)

# The roles' Molecule scenarios (extensions/molecule/: default driver on the controller, each scenario against its
# own simulator, started in create and stopped in destroy, also after a failure). Two molecule runs side by side, as
# the scenarios mostly wait on Ansible's start-up: the longest ones in one, every other scenario in the second. Each
# run writes .state/molecule/<run>.log; its recap is shown, and its whole log when it fails.
.PHONY: molecule
MOLECULE_FIRST := deploy rolling_maintenance active_directory
$(STAMP_MOLECULE): $(STAMP) requirements/molecule.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/molecule.txt
	touch $@

molecule: $(STAMP_MOLECULE)
	mkdir -p .state/collections/ansible_collections/xapi .state/molecule
	ln -sfn $(CURDIR) .state/collections/ansible_collections/xapi/xenserver
	@export PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/.state/collections" NO_COLOR=1; \
	  molecule test $(addprefix -s ,$(MOLECULE_FIRST)) > .state/molecule/first.log 2>&1 & pid=$$!; \
	  molecule test --all $(addprefix --exclude ,$(MOLECULE_FIRST)) > .state/molecule/rest.log 2>&1; rest=$$?; \
	  wait $$pid; first=$$?; \
	  for run in first:$$first rest:$$rest; do \
	    log=.state/molecule/$${run%:*}.log; \
	    if [ $${run#*:} = 0 ]; then sed -n '/^SCENARIO RECAP/,$$p' $$log; else cat $$log; fi; \
	  done; \
	  echo "molecule: $$SECONDS s"; [ $$first = 0 ] && [ $$rest = 0 ]

bench: $(STAMP)
	$(PY) tests/benchmarks/bench_simulator.py
	$(PY) tests/benchmarks/bench_client.py
	$(PY) tests/benchmarks/bench_vm.py
	$(PY) tests/benchmarks/bench_migrate.py
	$(PY) tests/benchmarks/bench_rolling.py
	$(PY) tests/benchmarks/bench_inventory.py

demo: $(STAMP)
	scripts/demo $(VENV) $(STATE)

clean:
	rm -rf $(VENV) $(VENV_OLD) .state tests/output simulator/*.egg-info
