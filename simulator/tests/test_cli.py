"""`python -m xapisim serve` in a subprocess: the state folder, HTTPS or plain HTTP, a clean
stop on SIGTERM, and one clear line when the scenario cannot be served."""

import json
import os
import signal
import ssl
import subprocess
import sys
import xmlrpc.client

import pytest
import requests
import XenAPI
from conftest import wait_until


def serve(state_dir, *options):
    return subprocess.Popen([sys.executable, "-m", "xapisim", "serve", "--state-dir", str(state_dir), *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def endpoints_of(process, state_dir):
    """endpoints.json once the server has written it (the process must still run)."""
    path = os.path.join(state_dir, "endpoints.json")

    def ready():
        assert process.poll() is None, process.communicate()
        return os.path.exists(path)

    wait_until(ready, deadline=30)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def stop(process):
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


@pytest.fixture
def processes():
    started = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_serve_pool3_writes_its_state_and_stops_on_sigterm(tmp_path, processes):
    process = serve(tmp_path, "--scenario", "pool3", "--speed", "100")
    processes.append(process)
    endpoints = endpoints_of(process, tmp_path)
    port = endpoints["port"]
    assert endpoints["scenario"] == "pool3" and endpoints["tls"] is True and endpoints["speed"] == 100.0
    assert endpoints["username"] == "root" and endpoints["password"]
    assert endpoints["ca"] == str(tmp_path / "ca.pem") and (tmp_path / "ca.pem").read_text().startswith(
        "-----BEGIN CERTIFICATE-----")
    assert [(h["address"], h["url"], h["master"]) for h in endpoints["hosts"]] == [
        ("127.0.10.%d" % n, "https://127.0.10.%d:%d" % (n, port), n == 1) for n in (1, 2, 3)]
    assert endpoints["control"] == "https://127.0.0.1:%d/_sim/" % port
    assert oct(os.stat(tmp_path / "endpoints.json").st_mode & 0o777) == "0o600"

    context = ssl.create_default_context(cafile=endpoints["ca"])
    session = XenAPI.Session(endpoints["hosts"][0]["url"], transport=xmlrpc.client.SafeTransport(context=context))
    session.xenapi.login_with_password(endpoints["username"], endpoints["password"])
    assert len(session.xenapi.VM.get_all()) == 40
    member = XenAPI.Session(endpoints["hosts"][1]["url"], transport=xmlrpc.client.SafeTransport(context=context))
    with pytest.raises(XenAPI.Failure) as failure:
        member.xenapi.login_with_password("root", endpoints["password"])
    assert failure.value.details == ["HOST_IS_SLAVE", "127.0.10.1"]
    counters = requests.get(endpoints["control"] + "counters", verify=endpoints["ca"], timeout=10).json()
    assert counters["open_sessions"] == 1

    code, out, err = stop(process)
    assert code == 0, err
    assert out.splitlines() == ["xapisim: serving pool3 on port %d; endpoints in %s/endpoints.json" % (port, tmp_path),
                                "xapisim: stopped"]
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(endpoints["control"] + "counters", verify=endpoints["ca"], timeout=5)


def test_serve_without_tls(tmp_path, processes):
    process = serve(tmp_path, "--scenario", "standalone", "--no-tls", "--password", "pw-123")
    processes.append(process)
    endpoints = endpoints_of(process, tmp_path)
    assert endpoints["tls"] is False and endpoints["ca"] is None and endpoints["password"] == "pw-123"
    assert not (tmp_path / "ca.pem").exists()
    url = endpoints["hosts"][0]["url"]
    assert url == "http://127.0.10.1:%d" % endpoints["port"]
    answer = requests.post(url + "/jsonrpc", timeout=10, json={
        "jsonrpc": "2.0", "method": "session.login_with_password", "params": ["root", "pw-123"], "id": 1}).json()
    assert answer["result"].startswith("OpaqueRef:")
    assert stop(process)[0] == 0


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "xapisim", *args], capture_output=True, text=True, timeout=60, check=False,
                          cwd=cwd)


def test_an_unknown_scenario_exits_2_with_one_line(tmp_path):
    result = run("serve", "--scenario", "no-such-scenario", "--state-dir", str(tmp_path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "xapisim: scenario 'no-such-scenario' is neither a file nor one of the built-ins "
        "(hosts3, lab, large, pool3, standalone, twopools)"]
    assert not (tmp_path / "endpoints.json").exists()


@pytest.mark.parametrize("pool, key, address", [
    ("{name: p, hosts: [{name: h1, address: 127.0.20.1}, {name: h2, address: 10.1.2.3}]}",
     "pools[0].hosts[1].address", "10.1.2.3"),
    ("{name: p, hosts: 2, first_address: 192.168.1.10}", "pools[0].first_address", "192.168.1.10"),
])
def test_a_scenario_with_a_non_loopback_address_is_refused(tmp_path, pool, key, address):
    scenario = tmp_path / "mine.yaml"
    scenario.write_text("description: not on loopback\nproduct: xenserver\npools:\n  - %s\n" % pool)
    result = run("serve", "--scenario", str(scenario), "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("xapisim: %s: %s is not a loopback address" % (key, address))
    assert not (tmp_path / "state" / "endpoints.json").exists()


def test_scenarios_lists_the_built_ins():
    result = run("scenarios")
    assert result.returncode == 0 and result.stdout.split() == ["hosts3", "lab", "large", "pool3", "standalone", "twopools"]


def test_stop_says_which_sessions_are_still_open(tmp_path):
    """stop --no-open-sessions: a client that never logged out makes the stop exit 3, naming it."""
    started = run("serve", "--detach", "--scenario", "standalone", "--state-dir", str(tmp_path), "--lifetime", "120")
    assert started.returncode == 0, started.stderr
    endpoints = json.loads(started.stdout)
    context = ssl.create_default_context(cafile=endpoints["ca"])
    session = XenAPI.Session(endpoints["hosts"][0]["url"],
                             transport=xmlrpc.client.SafeTransport(context=context))
    session.xenapi.login_with_password("root", endpoints["password"], "2.21", "forgetful-client")
    result = run("stop", "--state-dir", str(tmp_path), "--no-open-sessions")
    assert result.returncode == 3
    assert result.stderr.splitlines() == ["xapisim: 1 session(s) still open at stop: forgetful-client (root)"]
    assert not (tmp_path / "xapisim.pid").exists()  # stopped all the same
    again = run("serve", "--detach", "--scenario", "standalone", "--state-dir", str(tmp_path), "--lifetime", "120")
    assert again.returncode == 0, again.stderr
    assert run("stop", "--state-dir", str(tmp_path), "--no-open-sessions").returncode == 0
