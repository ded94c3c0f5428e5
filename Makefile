# xapi.xenserver — make demo · make test · make bench
# Everything is installed by these targets into .venv (Python >= 3.12 from PATH or pyenv).

SHELL := /bin/bash
PYTHON_MAIN := $(shell scripts/find-python 3.12)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-simulator
STATE := .state/demo

.PHONY: demo test test-simulator bench clean

$(STAMP): requirements/simulator.txt simulator/pyproject.toml
	@test -n "$(PYTHON_MAIN)" || { echo "make: no Python >= 3.12 found"; exit 1; }
	test -x $(PY) || $(PYTHON_MAIN) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/simulator.txt -e simulator
	touch $@

test: test-simulator

test-simulator: $(STAMP)
	cd simulator && ../$(PY) -m pytest -q -p no:cacheprovider tests

bench: $(STAMP)
	$(PY) tests/benchmarks/bench_simulator.py

demo: $(STAMP)
	$(PY) scripts/demo.py --state-dir $(STATE)

clean:
	rm -rf $(VENV) .state tests/output simulator/*.egg-info
