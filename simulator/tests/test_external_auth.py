"""External authentication end to end, against pool3's built-in example.test and against a
real Samba AD DC [xenapi-notes §3.2; xen-api xapi_pool.ml, xapi_host.ml, extauth_plugin_ADwinbind.ml,
xapi_auth.ml, xapi_subject.ml, xapi_session.ml]: joining (and the ways it fails), what the
directory says, subjects, logins of domain users, leaving."""

import pytest
from conftest import DOMAIN_PASSWORDS, error, join_config

LOGON_FAILURE = ("Failed to join domain: failed to connect to AD: The attempted logon is invalid. This is either "
                 "due to a bad username or authentication information.")
ORIGIN = "HTTP request from Internet with User-Agent: unknown"


def auth_types(domain):
    return [domain("host.get_external_auth_type", host) for host in domain.hosts]


def test_wrong_password_bad_ou_and_unknown_domain(domain):
    assert error(domain.enable, join_config(**{"pass": "not-the-password"})) == [
        "POOL_AUTH_ENABLE_FAILED_WRONG_CREDENTIALS", domain.master, LOGON_FAILURE]
    assert error(domain.enable, join_config(user="nobody@example.test")) == [
        "POOL_AUTH_ENABLE_FAILED_WRONG_CREDENTIALS", domain.master, LOGON_FAILURE]
    # winbind has no INVALID_OU class: Samba's text in a plain POOL_AUTH_ENABLE_FAILED
    assert error(domain.enable, join_config(ou="OU=Nowhere")) == [
        "POOL_AUTH_ENABLE_FAILED", domain.master,
        "Failed to join domain: failed to precreate account in ou OU=Nowhere,DC=example,DC=test: No such object"]
    assert error(domain, "pool.enable_external_auth", domain.pool, {"user": "Administrator@corp.test", "pass": "x"},
                 "corp.test", "AD") == [
        "POOL_AUTH_ENABLE_FAILED_DOMAIN_LOOKUP_FAILED", domain.master, "Failed to look up domain corp.test workgroup"]
    assert auth_types(domain) == ["", "", ""]
    assert error(domain, "auth.get_subject_identifier", "alice") == ["AUTH_IS_DISABLED"]


def test_join_writes_each_host_and_keeps_no_password(domain):
    domain.enable(join_config(ou="OU=Servers"))
    for host, name in zip(domain.hosts, ("xs-a1", "xs-a2", "xs-a3"), strict=True):
        record = domain("host.get_record", host)
        assert record["external_auth_type"] == "AD" and record["external_auth_service_name"] == "example.test"
        configuration = dict(record["external_auth_configuration"])
        assert float(configuration.pop("machine_pwd_last_change_time")) > 0
        assert configuration == {"domain": "example.test", "user": "Administrator@example.test",
                                 "workgroup": "EXAMPLE", "netbios_name": name, "ldaps": "false", "ou": "OU=Servers"}
    everything = repr([domain("host.get_all_records"), domain("pool.get_all_records"), domain("task.get_all_records")])
    assert DOMAIN_PASSWORDS["Administrator"] not in everything
    assert error(domain.enable) == ["POOL_AUTH_ALREADY_ENABLED", domain.master]
    assert error(domain, "host.enable_external_auth", domain.hosts[1], {}, "example.test", "AD") == [
        "AUTH_ALREADY_ENABLED", "AD", "example.test"]


def test_what_the_directory_says(domain):
    domain.enable()
    alice = domain.sid("alice")
    assert alice.startswith("S-1-5-21-") and alice.endswith("-1103")
    assert domain.sid("EXAMPLE\\alice") == domain.sid("alice@example.test") == domain.sid("ALICE") == alice
    assert domain("auth.get_subject_information_from_identifier", alice) == {
        "subject-name": "EXAMPLE\\alice", "subject-gecos": "Alice Liddell",
        "subject-displayname": "EXAMPLE\\Alice Liddell", "subject-uid": "3001103", "subject-gid": "3000513",
        "subject-upn": "alice@example.test", "subject-account-disabled": "false",
        "subject-account-locked": "false", "subject-account-expired": "false",
        "subject-password-expired": "false", "subject-is-group": "false"}
    dave = domain("auth.get_subject_information_from_identifier", domain.sid("dave"))
    assert dave["subject-account-disabled"] == "true"
    operators = domain.sid("vm-operators")
    assert domain("auth.get_subject_information_from_identifier", operators) == {
        "subject-name": "EXAMPLE\\vm-operators", "subject-gid": str(3000000 + int(operators.rsplit("-", 1)[1])),
        "subject-sid": operators, "subject-is-group": "true"}
    domain_users = alice.rsplit("-", 1)[0] + "-513"
    # carol is in helpdesk, helpdesk in vm-operators: the membership is transitive
    assert sorted(domain("auth.get_group_membership", domain.sid("carol"))) == sorted(
        [domain_users, domain.sid("helpdesk"), operators])
    assert sorted(domain("auth.get_group_membership", alice)) == sorted([domain_users, operators])
    assert error(domain, "auth.get_subject_identifier", "nobody") == ["SUBJECT_CANNOT_BE_RESOLVED"]
    assert error(domain, "auth.get_subject_identifier", "OTHER\\alice") == ["SUBJECT_CANNOT_BE_RESOLVED"]
    assert error(domain, "auth.get_subject_information_from_identifier", alice + "9") == ["SUBJECT_CANNOT_BE_RESOLVED"]


def test_subjects_and_logins(domain):
    domain.enable()
    operators = domain.sid("vm-operators")
    subject = domain("subject.create", {"subject_identifier": operators, "other_config": {"subject-name": "ignored"}})
    record = domain("subject.get_record", subject)
    assert record["other_config"]["subject-name"] == "EXAMPLE\\vm-operators" and record["roles"] == []
    assert error(domain, "subject.create", {"subject_identifier": operators, "other_config": {}}) == [
        "SUBJECT_ALREADY_EXISTS"]
    assert error(domain, "subject.create", {"subject_identifier": operators + "9", "other_config": {}}) == [
        "SUBJECT_CANNOT_BE_RESOLVED"]
    alice = domain.sid("alice")
    # a subject without roles lets nobody in
    assert error(domain.login, "EXAMPLE\\alice", DOMAIN_PASSWORDS["alice"]) == [
        "RBAC_PERMISSION_DENIED", "session.login_with_password",
        "Subject EXAMPLE\\alice (identifier %s) has no roles in this pool" % alice]
    role = domain("role.get_by_name_label", "vm-operator")[0]
    domain("subject.add_to_roles", subject, role)
    assert error(domain, "subject.add_to_roles", subject, role) == ["ROLE_ALREADY_EXISTS"]
    assert error(domain, "subject.add_to_roles", subject, "OpaqueRef:nothing") == ["ROLE_NOT_FOUND"]
    assert "vm.start" in domain("subject.get_permissions_name_label", subject)
    assert "vm.destroy" not in domain("subject.get_permissions_name_label", subject)

    session = domain.login("alice@example.test", DOMAIN_PASSWORDS["alice"])
    record = domain("session.get_record", session)
    assert record["is_local_superuser"] is False and record["subject"] == subject
    assert record["auth_user_sid"] == alice and record["auth_user_name"] == "EXAMPLE\\alice"
    assert "vm-operator" in record["rbac_permissions"] and "vm.start" in record["rbac_permissions"]
    assert "pool.enable_external_auth" not in record["rbac_permissions"]
    carol = domain.login("EXAMPLE\\carol", DOMAIN_PASSWORDS["carol"])  # through helpdesk, nested
    assert domain("session.get_auth_user_name", carol) == "EXAMPLE\\carol"

    bob = domain.sid("bob")
    assert error(domain.login, "bob", DOMAIN_PASSWORDS["bob"]) == [
        "SESSION_AUTHORIZATION_FAILED", "bob",
        "Subject bob (identifier %s, from %s) has no access rights in this pool" % (bob, ORIGIN)]
    assert error(domain.login, "EXAMPLE\\alice", "wrong") == [
        "SESSION_AUTHENTICATION_FAILED", "EXAMPLE\\alice", "failed to authenticate user 'EXAMPLE\\alice'"]
    assert error(domain.login, "dave", DOMAIN_PASSWORDS["dave"]) == [
        "SESSION_AUTHENTICATION_FAILED", "dave", "failed to authenticate user 'EXAMPLE\\dave'"]
    assert error(domain.login, "nobody", "x")[:2] == ["SESSION_AUTHENTICATION_FAILED", "nobody"]
    assert error(domain.login, "root", "wrong")[:2] == ["SESSION_AUTHENTICATION_FAILED", "root"]
    assert sorted(domain("session.get_all_subject_identifiers")) == sorted({alice, domain.sid("carol"), operators})

    domain("subject.remove_from_roles", subject, role)
    assert error(domain, "subject.remove_from_roles", subject, role) == ["ROLE_NOT_FOUND"]
    domain("subject.destroy", subject)
    assert domain("subject.get_all") == []


def test_leaving_ends_the_sessions_of_domain_users(domain):
    domain.enable()
    domain.allow("alice", "vm-operator")
    session = domain.login("alice", DOMAIN_PASSWORDS["alice"])
    domain("pool.disable_external_auth", domain.pool, {})
    assert auth_types(domain) == ["", "", ""]
    assert domain("host.get_external_auth_configuration", domain.master) == {}
    assert error(domain.as_session(session), "VM.get_all") == ["SESSION_INVALID", session]
    assert error(domain, "auth.get_subject_identifier", "alice") == ["AUTH_IS_DISABLED"]
    domain("pool.disable_external_auth", domain.pool, {})  # disabled already: nothing to do
    # the subjects stay, and a user of the domain is refused like any non-root user
    assert len(domain("subject.get_all")) == 1
    assert error(domain.login, "alice", DOMAIN_PASSWORDS["alice"]) == [
        "SESSION_AUTHENTICATION_FAILED", "alice", "Authentication failure"]


def test_leaving_with_credentials_removes_the_machine_account(domain):
    domain.enable()
    domain("pool.disable_external_auth", domain.pool, join_config())
    domain.enable()
    assert error(domain, "pool.disable_external_auth", domain.pool, {"user": "Administrator", "pass": "wrong"}) == [
        "POOL_AUTH_DISABLE_FAILED", domain.master, "xs-a1: Failed to clear the machine account for domain example.test"]
    assert auth_types(domain) == ["", "", ""]  # left anyway


@pytest.mark.parametrize("config, code, message", [
    (join_config(**{"pass": None}), "POOL_AUTH_ENABLE_FAILED", "enable requires pass"),
    (join_config(user=None), "POOL_AUTH_ENABLE_FAILED", "enable requires user"),
    (join_config(user="EXAMPLE\\Administrator"), "POOL_AUTH_ENABLE_FAILED",
     "SAM format for user detected in 'EXAMPLE\\Administrator'. This is not supported, please retry using UPN format"),
    (join_config(**{"netbios-name": "a-name-too-long-for-netbios"}), "POOL_AUTH_ENABLE_FAILED",
     "netbios-name exceeds 15 characters"),
    (join_config(**{"netbios-name": "12345"}), "POOL_AUTH_ENABLE_FAILED",
     "hostname '12345' cannot contain only digits."),
    (join_config(domain="other.test"), "POOL_AUTH_ENABLE_FAILED", "if present, config:domain must match service-name."),
    (join_config(ldaps="true"), "POOL_AUTH_ENABLE_FAILED_NO_TRUSTED_CERTS",
     "No trusted certs to setup TLS connection to DC. Note: ldaps does not support non-CA certs"),
    (join_config(user="alice@example.test", **{"pass": DOMAIN_PASSWORDS["alice"]}), "POOL_AUTH_ENABLE_FAILED",
     "Failed to join domain: failed to precreate account in ou CN=Computers,DC=example,DC=test: Insufficient access"),
    (join_config(user="dave@example.test", **{"pass": DOMAIN_PASSWORDS["dave"]}), "POOL_AUTH_ENABLE_FAILED",
     "Failed to join domain: failed to connect to AD: The referenced account is currently disabled and cannot be "
     "logged on to."),
])
def test_the_plugin_checks_in_its_order(builtin_domain, config, code, message):
    """The built-in directory lets only users marked join: true join (Samba lets anyone, up to its quota)."""
    domain = builtin_domain
    assert error(domain, "pool.enable_external_auth", domain.pool, config, "example.test", "AD") == [
        code, domain.master, message]
    assert auth_types(domain) == ["", "", ""]
