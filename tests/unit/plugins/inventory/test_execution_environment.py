"""meta/execution-environment.yml builds: ansible-builder lays out its build context (no
container engine needed for that), with the collection's Python and system requirements."""

import os
import subprocess
import sys

import pytest

META = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "meta"))


def test_ansible_builder_creates_the_build_context(tmp_path):
    builder = os.path.join(os.path.dirname(sys.executable), "ansible-builder")
    if not os.path.exists(builder):
        pytest.fail("ansible-builder is not installed (requirements/ansible-2.21.txt has it)")
    done = subprocess.run([builder, "create", "-f", os.path.join(META, "execution-environment.yml"), "-c", str(tmp_path)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(os.path.join(META, "ee-requirements.txt"), encoding="utf-8") as handle:
        wanted = [line.split("#")[0].strip() for line in handle if line.split("#")[0].strip()]
    with open(tmp_path / "_build" / "requirements.txt", encoding="utf-8") as handle:
        built = handle.read()
    assert wanted and all(requirement in built for requirement in wanted)
    assert (tmp_path / "_build" / "bindep.txt").exists()
