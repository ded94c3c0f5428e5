"""xapi's rules around external auth that need no real directory (pool3's built-in example.test):
the pool's checks and rollback, auth types, licences, subject revalidation, sessions by SID,
roles and permissions, scenarios that start joined."""

import pytest
import yaml
from conftest import DOMAIN_PASSWORDS, SPEED, error, join_config, wait_until

from xapisim import Failure, Simulator, scenario
from xapisim.scenario import ScenarioError


def auth_types(domain):
    return [domain("host.get_external_auth_type", host) for host in domain.hosts]


def test_a_failing_member_rolls_the_pool_back(builtin_domain):
    domain = builtin_domain
    member = domain.hosts[1]
    domain("host.set_hostname_live", member, "12345")  # winbind's netbios name may not be all digits
    assert error(domain.enable) == ["POOL_AUTH_ENABLE_FAILED", member, "hostname '12345' cannot contain only digits."]
    assert auth_types(domain) == ["", "", ""]
    assert domain("host.get_external_auth_configuration", domain.master) == {}
    domain("host.set_hostname_live", member, "xs-a1")
    assert error(domain.enable) == ["POOL_AUTH_ENABLE_FAILED_DUPLICATE_HOSTNAME", domain.master,
                                    "At least two hosts in the pool have the same hostname"]


def test_auth_types(builtin_domain):
    domain = builtin_domain
    for auth_type in ("LDAP", ""):
        assert error(domain, "pool.enable_external_auth", domain.pool, join_config(), "example.test", auth_type) == [
            "AUTH_UNKNOWN_TYPE", auth_type]
    # PAM: nothing to check on enabling; the host's own accounts, where only root lives
    domain("pool.enable_external_auth", domain.pool, {}, "", "PAM")
    assert auth_types(domain) == ["PAM", "PAM", "PAM"]
    assert domain("auth.get_subject_identifier", "root") == "u0"
    assert domain("auth.get_subject_information_from_identifier", "u0")["subject-name"] == "root"
    assert error(domain, "auth.get_subject_identifier", "alice") == ["SUBJECT_CANNOT_BE_RESOLVED"]
    assert error(domain.login, "alice", DOMAIN_PASSWORDS["alice"]) == [
        "SESSION_AUTHENTICATION_FAILED", "alice", "Authentication failure"]
    domain("pool.disable_external_auth", domain.pool, {})
    assert auth_types(domain) == ["", "", ""]


def test_one_host_at_a_time(builtin_domain):
    domain = builtin_domain
    member = domain.hosts[2]
    domain("host.enable_external_auth", member, join_config(), "example.test", "AD")
    assert auth_types(domain) == ["", "", "AD"]
    assert error(domain.enable) == ["POOL_AUTH_ALREADY_ENABLED", member]
    domain("host.disable_external_auth", member, {})
    domain("host.disable_external_auth", member, {})  # disabled already: nothing to do
    assert auth_types(domain) == ["", "", ""]


def test_licences(builtin_domain):
    domain = builtin_domain
    db = domain.sim.world.pools[0].db
    db.update("pool", domain.pool, restrictions={**db.get("pool", domain.pool)["restrictions"], "restrict_ad": "true"})
    assert error(domain.enable) == ["POOL_AUTH_ENABLE_FAILED", domain.master, "LICENCE_RESTRICTION: [ AD ]"]
    db.update("pool", domain.pool, restrictions={"restrict_ad": "false", "restrict_rbac": "true"})
    domain.enable()
    # without RBAC a new subject is a pool admin, and roles cannot change
    subject = domain("subject.create", {"subject_identifier": domain.sid("bob"), "other_config": {}})
    pool_admin = domain("role.get_by_name_label", "pool-admin")[0]
    assert domain("subject.get_roles", subject) == [pool_admin]
    assert error(domain, "subject.add_to_roles", subject, pool_admin) == ["LICENCE_RESTRICTION", "RBAC"]
    session = domain.login("bob", DOMAIN_PASSWORDS["bob"])
    bob = domain.as_session(session)
    assert "pool.enable_external_auth" in bob("session.get_rbac_permissions", session)
    bob("VM.destroy", bob("VM.get_by_name_label", "build-01")[0])


def test_joining_drops_subjects_the_domain_does_not_know(builtin_domain):
    domain = builtin_domain
    domain.enable()
    kept = domain.allow("alice", "read-only")
    domain("pool.disable_external_auth", domain.pool, {})
    # a subject left from an earlier domain: its SID means nothing to example.test
    stranger = domain.sim.world.pools[0].db.create("subject", {"subject_identifier": "S-1-5-21-1-2-3-1104",
                                                               "other_config": {}, "roles": []})
    assert domain("auth.get_subject_information_from_identifier", "S-1-5-21-1-2-3-1104") == {}  # from the record
    domain.enable()
    assert domain("subject.get_all") == [kept]
    assert error(domain, "subject.get_record", stranger) == ["HANDLE_INVALID", "subject", stranger]


def test_sessions_by_subject_identifier(builtin_domain):
    domain = builtin_domain
    domain.enable()
    domain.allow("vm-operators", "pool-operator")
    alice = [domain.login("alice", DOMAIN_PASSWORDS["alice"]) for dummy in range(2)]
    carol = domain.login("carol", DOMAIN_PASSWORDS["carol"])
    operators, alice_sid = domain.sid("vm-operators"), domain.sid("alice")
    assert sorted(domain("session.get_all_subject_identifiers")) == sorted([alice_sid, domain.sid("carol"), operators])
    # the caller's own session stays; the group's SID ends every session it let in
    domain.as_session(alice[0])("session.logout_subject_identifier", alice_sid)
    assert error(domain.as_session(alice[1]), "VM.get_all")[0] == "SESSION_INVALID"
    assert domain.as_session(alice[0])("VM.get_all")
    domain("session.logout_subject_identifier", operators)
    for session in (alice[0], carol):
        assert error(domain.as_session(session), "VM.get_all") == ["SESSION_INVALID", session]
    assert domain("VM.get_all")  # root's session is never logged out this way


def test_a_failed_leave_ends_the_sessions_at_the_next_revalidation(builtin_domain):
    domain = builtin_domain
    domain.enable()
    domain.allow("alice", "read-only")
    alice = domain.as_session(domain.login("alice", DOMAIN_PASSWORDS["alice"]))
    assert error(domain, "pool.disable_external_auth", domain.pool, join_config(**{"pass": "wrong"}))[0] == (
        "POOL_AUTH_DISABLE_FAILED")
    assert alice("VM.get_all")  # xapi revalidates external sessions every 300 s
    wait_until(lambda: not valid(alice), deadline=10)
    assert error(alice, "VM.get_all")[0] == "SESSION_INVALID"


def valid(call):
    try:
        call("VM.get_all")
    except Failure:
        return False
    return True


def test_async_join_reports_progress_and_success(builtin_domain):
    domain = builtin_domain
    task = domain("Async.pool.enable_external_auth", domain.pool, join_config(), "example.test", "AD")
    wait_until(lambda: domain("task.get_status", task) != "pending")
    assert domain("task.get_status", task) == "success" and domain("task.get_progress", task) == 1.0
    assert auth_types(domain) == ["AD", "AD", "AD"]


def test_roles_and_their_permissions(builtin_domain):
    domain = builtin_domain
    operator = domain("role.get_by_name_label", "vm-operator")[0]
    names = domain("role.get_permissions_name_label", operator)
    assert "vm.start" in names and "vm.destroy" not in names
    assert len(domain("role.get_permissions", operator)) == len(names)
    destroy = domain("role.get_by_name_label", "vm.destroy")[0]
    assert domain("role.get_permissions", destroy) == [destroy]
    holders = {domain("role.get_name_label", role) for role in domain("role.get_by_permission", destroy)}
    assert holders == {"pool-admin", "pool-operator", "vm-power-admin", "vm-admin"}
    by_name = domain("role.get_by_permission_name_label", "vm.destroy")
    assert set(by_name) == set(domain("role.get_by_permission", destroy))


def test_a_scenario_that_starts_joined(tmp_path):
    path = tmp_path / "joined.yaml"
    path.write_text("""
pools:
  - name: joined
    hosts: 2
    first_address: 127.0.30.1
    external_auth: {type: AD, service_name: example.test}
directory:
  domain: example.test
  users:
    - {name: erin, password: "Erin#pw1"}
  groups:
    - {name: admins, members: [erin]}
""", encoding="utf-8")
    sim = Simulator(str(path), speed=SPEED, password="pw")
    try:
        root = sim.call("127.0.30.1", "session.login_with_password", "root", "pw")
        group = sim.call("127.0.30.1", "auth.get_subject_identifier", root, "EXAMPLE\\admins")
        subject = sim.call("127.0.30.1", "subject.create", root, {"subject_identifier": group, "other_config": {}})
        sim.call("127.0.30.1", "subject.add_to_roles", root, subject,
                 sim.call("127.0.30.1", "role.get_by_name_label", root, "pool-admin")[0])
        erin = sim.call("127.0.30.1", "session.login_with_password", "erin@example.test", "Erin#pw1")
        assert sim.call("127.0.30.1", "session.get_auth_user_name", erin, erin) == "EXAMPLE\\erin"
    finally:
        sim.stop()


@pytest.mark.parametrize("directory, message", [
    ("example.test", "directory must be a mapping with a domain"),
    ({"domain": "example.test", "users": [{"name": "x"}]}, "directory.users[0].password: every user needs one"),
    ({"domain": "example.test", "groups": [{"name": "g", "members": ["nobody"]}]},
     "directory.groups[0].members: no user or group named 'nobody'"),
    ({"domain": "example.test", "users": [{"name": "a", "password": "p"}], "groups": [{"name": "A"}]},
     "directory.groups[0].name: 'A' is there twice"),
    ({"domain": "example.test", "netbios": "A-VERY-LONG-NETBIOS"},
     "directory.netbios: 'A-VERY-LONG-NETBIOS' is longer"),
])
def test_scenario_directory_errors(tmp_path, directory, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"pools": [{"hosts": 1, "first_address": "127.0.31.1"}], "directory": directory}),
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as failure:
        scenario.build(str(path))
    assert message in str(failure.value)
