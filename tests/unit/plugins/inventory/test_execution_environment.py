"""The execution environment: ansible-builder's own introspection (what runs inside an EE build)
finds the collection's Python and system requirements through meta/execution-environment.yml, and
ansible-builder lays out the build context of docs/examples/execution-environment.yml (no container
engine is needed for either)."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def requirements(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return [line.split("#")[0].strip() for line in handle if line.split("#")[0].strip()]


def test_introspection_finds_the_collections_requirements(tmp_path):
    introspect = pytest.importorskip("ansible_builder._target_scripts.introspect")
    # as an EE build installs it: <data dir>/ansible_collections/xapi/xenserver
    (tmp_path / "ansible_collections" / "xapi").mkdir(parents=True)
    os.symlink(ROOT, tmp_path / "ansible_collections" / "xapi" / "xenserver")
    found = introspect.process(data_dir=str(tmp_path))
    assert found["python"]["xapi.xenserver"] == requirements("meta/ee-requirements.txt")
    assert found["system"]["xapi.xenserver"] == requirements("meta/ee-bindep.txt")


def test_ansible_builder_creates_the_build_context_of_the_example(tmp_path):
    builder = os.path.join(os.path.dirname(sys.executable), "ansible-builder")
    if not os.path.exists(builder):
        pytest.fail("ansible-builder is not installed (requirements/ansible-2.21.txt has it)")
    definition = os.path.join(ROOT, "docs", "examples", "execution-environment.yml")
    done = subprocess.run([builder, "create", "-f", definition, "-c", str(tmp_path), "--output-filename", "Containerfile"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(tmp_path / "_build" / "requirements.yml", encoding="utf-8") as handle:
        assert "xapi.xenserver" in handle.read()
    with open(tmp_path / "Containerfile", encoding="utf-8") as handle:
        assert "introspect" in handle.read()
