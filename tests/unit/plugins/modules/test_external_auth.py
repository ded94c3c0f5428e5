"""external_auth, subject and auth_info against the simulator's built-in example.test directory (pool3)."""

import json

import yaml

from ansible_collections.xapi.xenserver.plugins.modules import auth_info, external_auth, subject, vm
from xapisim.control import counters

JOIN = {"domain": "example.test", "domain_username": "Administrator", "domain_password": "Passw0rd!x"}
READS = ("session.", "event.from", "auth.get_")


def writes(sim):
    return sorted(method for method in counters(sim)["calls"] if not method.startswith(READS) and ".get_" not in method)


def join(run_module, connection, **extra):
    return run_module(external_auth, dict(connection, **dict(JOIN, **extra)))


def test_join_check_diff_idempotent_and_leave(sim, run_module, connection):
    checked = run_module(external_auth, dict(connection, _ansible_check_mode=True, _ansible_diff=True, **JOIN))
    assert checked["changed"] and checked["diff"]["after"]["domain"] == "example.test", checked
    assert writes(sim) == []
    joined = join(run_module, connection)
    assert joined["changed"], joined
    auth = joined["auth"]
    assert auth["enabled"] and auth["domain"] == "example.test" and auth["consistent"]
    assert {h["domain"] for h in auth["hosts"]} == {"example.test"} and len(auth["hosts"]) == 3
    assert "pass" not in auth["configuration"]
    sim.world.counters.reset()
    again = join(run_module, connection)
    assert not again["changed"] and writes(sim) == []
    other = join(run_module, connection, domain="other.test")
    assert other["failed"] and other["msg"].startswith("rejoin: the pool is joined to example.test; set rejoin: true")
    left = run_module(external_auth, dict(connection, state="absent"))
    assert left["changed"] and not left["auth"]["enabled"] and left["auth"]["type"] is None
    assert not run_module(external_auth, dict(connection, state="absent"))["changed"]


def test_failures_say_what_to_fix_and_never_show_the_password(sim, run_module, connection):
    wrong = join(run_module, connection, domain_password="not-Passw0rd")
    assert wrong["failed"]
    assert wrong["msg"].startswith("username/password: the domain example.test refused the credentials of "
                                   "Administrator@example.test"), wrong
    bad_ou = join(run_module, connection, ou="OU=Nowhere,DC=example,DC=test")
    assert bad_ou["failed"] and bad_ou["msg"].startswith("ou: OU=Nowhere,DC=example,DC=test does not exist"), bad_ou
    for result in (wrong, bad_ou):
        text = json.dumps(result)
        assert "not-Passw0rd" not in text and "Passw0rd!x" not in text
        assert "\n" not in result["msg"]
    still = run_module(auth_info, connection)
    assert not still["auth"]["enabled"] and still["auth"]["consistent"]


def test_subjects_roles_exclusive_and_rbac(sim, run_module, connection):
    assert join(run_module, connection)["changed"]
    group = {"name": "EXAMPLE\\vm-operators", "roles": ["vm-operator"]}
    checked = run_module(subject, dict(connection, _ansible_check_mode=True, _ansible_diff=True, **group))
    assert checked["changed"] and checked["subject"] is None
    assert checked["diff"]["after"]["subjects"] == {"EXAMPLE\\vm-operators": ["vm-operator"]}, checked
    added = run_module(subject, dict(connection, **group))
    assert added["changed"] and added["subject"]["roles"] == ["vm-operator"] and added["subject"]["is_group"], added
    assert not run_module(subject, dict(connection, **group))["changed"]
    needs_roles = run_module(subject, dict(connection, name="bob@example.test"))
    assert needs_roles["failed"] and needs_roles["msg"].startswith("roles: needed to add bob@example.test")
    unknown = run_module(subject, dict(connection, name="EXAMPLE\\nobody", roles=["read-only"]))
    assert unknown["failed"] and unknown["msg"].startswith("name: the directory does not know EXAMPLE\\nobody")

    alice = dict(connection, username="EXAMPLE\\alice", password="Wonder1and!")
    me = run_module(auth_info, alice)
    assert me["session"] == {"user": "EXAMPLE\\alice", "local_superuser": False, "role": "vm-operator"}, me
    started = run_module(vm, dict(alice, name="build-01", state="running"))
    assert started["changed"] and started["vm"]["power_state"] == "running", started
    refused = run_module(vm, dict(alice, name="build-01", state="absent", force=True))
    assert refused["failed"] and "RBAC_PERMISSION_DENIED" in refused["msg"], refused

    listed = run_module(subject, dict(connection, exclusive=True, _ansible_diff=True, subjects=[
        {"name": "bob@example.test", "roles": ["read-only"]}]))
    assert listed["changed"]
    assert listed["diff"]["before"]["subjects"] == {"EXAMPLE\\vm-operators": ["vm-operator"]}
    assert listed["diff"]["after"]["subjects"] == {"EXAMPLE\\bob": ["read-only"]}
    assert [s["name"] for s in listed["subjects"]] == ["EXAMPLE\\bob"]
    gone = run_module(auth_info, alice)
    assert gone["failed"] and "alice" in gone["msg"], gone


def test_an_unknown_domain_and_hosts_that_disagree(sim_factory, run_module, tmp_path):
    scenario = {"pools": [{"hosts": [{"name": "xs1", "address": "127.0.50.1"},
                                     {"name": "xs2", "address": "127.0.50.2",
                                      "external_auth": {"type": "AD", "service_name": "example.test"}}]}],
                "directory": {"domain": "example.test", "users": [
                    {"name": "Administrator", "password": "Passw0rd!x", "join": True}]}}
    path = tmp_path / "disagree.yaml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    sim = sim_factory(str(path))
    connection = {"hostname": sim.url("127.0.50.1"), "password": sim.password, "ca_path": sim.ca_path}
    seen = run_module(auth_info, connection)["auth"]
    assert not seen["consistent"] and not seen["enabled"] and seen["type"] is None
    refused = join(run_module, connection)
    assert refused["failed"] and refused["msg"] == ("rejoin: the hosts disagree (xs1: no domain, xs2: example.test); "
                                                    "set rejoin: true to leave and join example.test"), refused
    unknown = join(run_module, connection, domain="nowhere.test", rejoin=True)
    assert unknown["failed"] and unknown["msg"].startswith(
        "domain: xs1 cannot find nowhere.test in DNS; check the domain name and the hosts' DNS servers"), unknown
    rejoined = join(run_module, connection, rejoin=True)
    assert rejoined.get("changed") and rejoined["auth"]["enabled"] and rejoined["auth"]["consistent"], rejoined
