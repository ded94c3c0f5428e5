"""Issue 12, TLS: a certificate that is not trusted fails at once with a message that says how to trust it
(ca_path), and nothing falls back to an unchecked connection: the simulator hears no call. validate_certs: false
works and warns once per run, in the client, a module and the inventory plugin (not once per call or host)."""

import json
import os
import subprocess
import sys

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.xapi.xenserver.plugins.module_utils import _client
from ansible_collections.xapi.xenserver.plugins.module_utils._client import XenAPIClient
from ansible_collections.xapi.xenserver.plugins.module_utils._errors import XenAPIConnectionError
from ansible_collections.xapi.xenserver.plugins.modules import vm_info
from xapisim.control import counters


def collections_path():
    here = os.path.dirname(os.path.abspath(_client.__file__))
    return os.path.abspath(os.path.join(here, "..", "..", "..", "..", ".."))


def run_vm_info(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            vm_info.main()
    return json.loads(capsys.readouterr().out)


def untrusted(sim, sim_factory):
    """(what, client options): no CA at all (the system store), and the CA of another simulator."""
    other = sim_factory()
    return [("the system store", {}), ("another CA", {"ca_path": other.ca_path})]


def test_an_untrusted_certificate_fails_saying_how_to_trust_it(sim, sim_factory):
    for what, options in untrusted(sim, sim_factory):
        sim.world.counters.reset()
        with pytest.raises(XenAPIConnectionError) as failure:
            with XenAPIClient(sim.url("127.0.10.1"), "root", sim.password, **options) as client:
                client.call("pool.get_all")
        message = str(failure.value)
        assert "not trusted" in message and "ca_path" in message, (what, message)
        assert sim.password not in message
        seen = counters(sim)
        assert seen["total_calls"] == 0 and seen["open_sessions"] == 0, (what, seen)  # no fallback reached xapi


def test_validate_certs_false_works_and_warns_once(sim):
    with XenAPIClient(sim.url("127.0.10.1"), "root", sim.password, validate_certs=False) as client:
        for dummy in range(5):
            assert client.call("pool.get_all")
    said = [warning for warning in client.warnings if "validate_certs" in warning]
    assert len(said) == 1, client.warnings


def test_a_module_fails_saying_ca_path_and_warns_once_without_checks(sim, capsys):
    base = {"hostname": sim.url("127.0.10.1"), "password": sim.password}
    refused = run_vm_info(capsys, base)
    assert refused["failed"] and "not trusted" in refused["msg"] and "ca_path" in refused["msg"], refused
    sim.world.counters.reset()
    answered = run_vm_info(capsys, dict(base, validate_certs=False))
    assert not answered.get("failed") and len(answered["vms"]) >= 6, answered
    said = [w for w in answered.get("warnings", []) if "validate_certs" in str(w)]
    assert len(said) == 1 and counters(sim)["total_calls"] > 3, answered.get("warnings")


def inventory(tmp_path, sim, **options):
    config = tmp_path / "tls.xenserver.yml"
    config.write_text(json.dumps(dict({"plugin": "xapi.xenserver.vms", "include_hosts": True, "with_disks": True,
                                       "pools": [{"hostname": sim.url(address), "password": sim.password}
                                                 for address in ("127.0.10.1", "127.0.10.2")]}, **options)))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_INVENTORY_ENABLED="xapi.xenserver.vms",
               ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true", NO_COLOR="1")
    env.pop("REQUESTS_CA_BUNDLE", None)
    binary = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")
    return subprocess.run([binary, "-i", str(config), "--list"], capture_output=True, text=True, check=False, env=env,
                          timeout=120)


def test_the_inventory_fails_saying_ca_path_and_warns_once_without_checks(sim, tmp_path):
    refused = inventory(tmp_path, sim)
    assert refused.returncode != 0 and "not trusted" in refused.stderr and "ca_path" in refused.stderr, refused.stderr
    assert counters(sim)["total_calls"] == 0
    listed = inventory(tmp_path, sim, validate_certs=False)
    assert listed.returncode == 0, listed.stderr
    hostvars = json.loads(listed.stdout)["_meta"]["hostvars"]
    assert len(hostvars) >= 9, sorted(hostvars)  # six VMs and three hosts, read through two addresses
    assert listed.stderr.count("validate_certs") == 1 and "Unverified HTTPS" not in listed.stderr, listed.stderr
