"""`serve --detach` with external auth: no password of a login, a join or a leave reaches the
simulator's log, with the built-in directory or with `--directory` pointing at Samba; and
`--directory` takes only ldap(s):// on loopback."""

import json
import subprocess
import sys
import types

import pytest
import XenAPI
from conftest import DOMAIN_PASSWORDS, JsonRpc, join_config, wait_until

WRONG_JOIN_PASSWORD = "Wr0ng-join-Pass!"
WRONG_USER_PASSWORD = "Wr0ng-alice-Pass!"


def xapisim(*arguments):
    return subprocess.run([sys.executable, "-m", "xapisim", *arguments], capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.fixture
def detached(tmp_path):
    """serve --detach, verbose (every request is logged); stopped at the end."""
    started = []

    def start(*options):
        done = xapisim("serve", "--detach", "--verbose", "--scenario", "pool3", "--speed", "200",
                       "--lifetime", "300", "--state-dir", str(tmp_path), *options)
        assert done.returncode == 0, done.stderr
        started.append(tmp_path)
        return json.loads(done.stdout)

    yield start
    for state in started:
        xapisim("stop", "--state-dir", str(state))


def caller(endpoints):
    master = next(host["url"] for host in endpoints["hosts"] if host["master"])
    return JsonRpc(types.SimpleNamespace(url=lambda address=None: master, ca_path=endpoints["ca"]))


@pytest.mark.parametrize("backend", ["builtin", "samba"])
def test_no_password_reaches_the_log(request, tmp_path, detached, backend):
    options = ("--directory", request.getfixturevalue("samba_dc")["url"]) if backend == "samba" else ()
    endpoints = detached(*options)
    rpc = caller(endpoints)
    root = rpc("session.login_with_password", "root", endpoints["password"], "1.0", "tests")
    pool = rpc("pool.get_all", root)[0]
    with pytest.raises(XenAPI.Failure) as refused:
        rpc("pool.enable_external_auth", root, pool, join_config(**{"pass": WRONG_JOIN_PASSWORD}), "example.test", "AD")
    assert refused.value.details[0] == "POOL_AUTH_ENABLE_FAILED_WRONG_CREDENTIALS"
    assert WRONG_JOIN_PASSWORD not in json.dumps(refused.value.details)
    task = rpc("Async.pool.enable_external_auth", root, pool, join_config(), "example.test", "AD")
    wait_until(lambda: rpc("task.get_status", root, task) != "pending", deadline=30)
    assert rpc("task.get_status", root, task) == "success", rpc("task.get_error_info", root, task)
    group = rpc("auth.get_subject_identifier", root, "vm-operators")
    subject = rpc("subject.create", root, {"subject_identifier": group, "other_config": {}})
    rpc("subject.add_to_roles", root, subject, rpc("role.get_by_name_label", root, "vm-operator")[0])
    alice = rpc("session.login_with_password", "alice@example.test", DOMAIN_PASSWORDS["alice"], "1.0", "tests")
    assert rpc("session.get_auth_user_name", alice, alice) == "EXAMPLE\\alice"
    with pytest.raises(XenAPI.Failure):
        rpc("session.login_with_password", "EXAMPLE\\alice", WRONG_USER_PASSWORD)
    rpc("pool.disable_external_auth", root, pool, join_config())
    rpc("session.logout", root)
    assert xapisim("stop", "--state-dir", str(tmp_path)).returncode == 0

    log = (tmp_path / "xapisim.log").read_text(encoding="utf-8")
    assert "POST /jsonrpc" in log  # verbose: every request was logged
    for secret in (endpoints["password"], WRONG_JOIN_PASSWORD, WRONG_USER_PASSWORD, DOMAIN_PASSWORDS["Administrator"],
                   DOMAIN_PASSWORDS["alice"]):
        assert secret not in log


@pytest.mark.parametrize("url, message", [
    ("http://127.0.0.1", "is not an ldap:// or ldaps:// URL"),
    ("ldap://192.0.2.10", "192.0.2.10 is not a loopback address"),
    ("ldap://dc.example.test", "'dc.example.test' is not an IP address"),
    ("ldap://admin:secret@127.0.0.1", "give only ldap[s]://ADDRESS[:PORT]"),
])
def test_directory_must_be_ldap_on_loopback(tmp_path, url, message):
    for detach in ((), ("--detach",)):
        done = xapisim("serve", *detach, "--scenario", "standalone", "--state-dir", str(tmp_path), "--directory", url)
        assert done.returncode == 2 and message in done.stderr, done.stderr


def test_an_unreachable_directory_is_a_domain_lookup_failure(served_factory):
    sim = served_factory("pool3", directory="ldap://127.0.0.1:9")  # nothing listens on the discard port
    rpc = JsonRpc(sim)
    root = rpc("session.login_with_password", "root", sim.password)
    pool = rpc("pool.get_all", root)[0]
    with pytest.raises(XenAPI.Failure) as refused:
        rpc("pool.enable_external_auth", root, pool, join_config(), "example.test", "AD")
    assert refused.value.details[0] == "POOL_AUTH_ENABLE_FAILED_DOMAIN_LOOKUP_FAILED"
    assert refused.value.details[2] == "Failed to look up domain example.test workgroup"
