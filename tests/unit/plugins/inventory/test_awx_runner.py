"""The inventory plugin and a playbook run through ansible-runner the way AWX runs a job: a
private data directory, the connection in environment variables as a credential type's
injector sets them, an inventory source file, and job events that must not hold the password."""

import json
import os
import sys

import ansible_runner
import pytest
from ansible_collections.xapi.xenserver.plugins.module_utils import _client

PLAYBOOK = """\
- name: The running VMs of the pool, as an AWX job template would use them
  hosts: xenserver_power_running
  gather_facts: false
  connection: local
  tasks:
    - name: Each VM's record, asked from the controller
      xapi.xenserver.vm_info:
        uuid: "{{ xenserver_uuid }}"
      delegate_to: localhost
      register: info

    - name: It is the VM the inventory named
      ansible.builtin.assert:
        that: info.vms[0].name == xenserver_name
"""


def collections_path():
    """The folder that holds ansible_collections/xapi/xenserver (this collection)."""
    here = os.path.dirname(os.path.abspath(_client.__file__))
    return os.path.abspath(os.path.join(here, "..", "..", "..", "..", ".."))


@pytest.fixture
def job_dir(tmp_path, sim):
    """A private data dir laid out as AWX lays it out for a job."""
    for folder in ("env", "inventory", "project"):
        (tmp_path / folder).mkdir()
    master = sim.url("127.0.10.1")
    # the injector of the custom credential type (docs/awx.md): env vars, the CA as a file
    (tmp_path / "env" / "envvars").write_text(json.dumps({
        "XENSERVER_HOST": master, "XENSERVER_USER": "root", "XENSERVER_PASSWORD": sim.password,
        "XENSERVER_CA_PATH": sim.ca_path, "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_INVENTORY_ENABLED": "xapi.xenserver.vms", "PATH": os.path.dirname(sys.executable) + os.pathsep
        + os.environ.get("PATH", "")}), encoding="utf-8")
    (tmp_path / "inventory" / "pool.xenserver.yml").write_text("plugin: xapi.xenserver.vms\n", encoding="utf-8")
    (tmp_path / "project" / "site.yml").write_text(PLAYBOOK, encoding="utf-8")
    return tmp_path


def test_a_job_through_ansible_runner_shows_no_password(job_dir, sim, monkeypatch):
    # the runner starts ansible-playbook from PATH, as in an execution environment
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    run = ansible_runner.run(private_data_dir=str(job_dir), playbook="site.yml", quiet=True)
    stdout = run.stdout.read()
    assert run.status == "successful", stdout
    events = list(run.events)
    ok = [e for e in events if e["event"] == "runner_on_ok" and e["event_data"].get("task") == "It is the VM the inventory named"]
    assert sorted(e["event_data"]["host"] for e in ok) == ["db-01", "db-02", "web-01", "web-02", "web-03"]
    # what AWX stores and shows of a job: its events and its output (runner's own "command" and
    # "env" artifacts hold the injected variables, as AWX's job environment does)
    event_files = [p.read_text(encoding="utf-8") for p in (job_dir / "artifacts").rglob("job_events/*.json")]
    assert len(event_files) == len(events) and events
    for text in [json.dumps(events), stdout] + event_files:
        assert sim.password not in text
