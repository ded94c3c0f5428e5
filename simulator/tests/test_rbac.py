"""RBAC for sessions of domain users [xenapi-notes §1.4, §2.6; xen-api ocaml/xapi/rbac.ml]: a call
beyond the roles of the user's subjects is RBAC_PERMISSION_DENIED [permission, message], checked
after the session and, for an Async call, inside the task; root keeps every right."""

import XenAPI
from conftest import DOMAIN_PASSWORDS, SPEED, error, join_config, sdk_session, wait_until

from xapisim import Simulator

DENIED_DESTROY = ["RBAC_PERMISSION_DENIED", "vm.destroy", "No permission in user session. (Roles with this "
                  "permission: pool-admin, pool-operator, vm-power-admin, vm-admin)"]


def test_a_vm_operator_starts_vms_but_does_not_destroy_them(domain):
    domain.enable()
    domain.allow("vm-operators", "vm-operator")
    alice = domain.as_session(domain.login("EXAMPLE\\alice", DOMAIN_PASSWORDS["alice"]))
    vm = alice("VM.get_by_name_label", "build-01")[0]
    assert alice("VM.get_record", vm)["power_state"] == "Halted"
    alice("VM.start", vm, False, False)
    assert alice("VM.get_power_state", vm) == "Running"
    alice("VM.hard_shutdown", vm)
    assert error(alice, "VM.destroy", vm) == DENIED_DESTROY
    assert error(alice, "VM.set_name_label", vm, "renamed")[:2] == ["RBAC_PERMISSION_DENIED", "vm.set_name_label"]
    assert error(alice, "pool.enable_external_auth", domain.pool, {}, "example.test", "AD") == [
        "RBAC_PERMISSION_DENIED", "pool.enable_external_auth",
        "No permission in user session. (Roles with this permission: pool-admin)"]
    assert error(alice, "subject.create", {"subject_identifier": "S-1-1", "other_config": {}})[:2] == [
        "RBAC_PERMISSION_DENIED", "subject.create"]
    # an Async call gets its task; the denial is the task's error
    task = alice("Async.VM.destroy", vm)
    wait_until(lambda: alice("task.get_status", task) != "pending")
    assert alice("task.get_error_info", task) == DENIED_DESTROY
    assert domain("VM.get_power_state", vm) == "Halted"
    domain("VM.destroy", vm)  # root may


def test_roles_add_up_over_the_user_and_its_groups(builtin_domain):
    domain = builtin_domain
    domain.enable()
    domain.allow("helpdesk", "read-only")
    carol = domain.as_session(domain.login("carol", DOMAIN_PASSWORDS["carol"]))
    vm = carol("VM.get_by_name_label", "build-01")[0]
    assert error(carol, "VM.start", vm, False, False)[:2] == ["RBAC_PERMISSION_DENIED", "vm.start"]
    own = domain.allow("carol", "vm-admin")
    session = domain.login("carol", DOMAIN_PASSWORDS["carol"])
    assert domain("session.get_subject", session) == domain("subject.get_all")[0]  # the first subject that matches
    carol = domain.as_session(session)
    carol("VM.set_name_label", vm, "carol's")
    assert error(carol, "VM.pool_migrate", vm, domain.hosts[1], {})[:2] == ["RBAC_PERMISSION_DENIED", "vm.pool_migrate"]
    # a session keeps the permissions it was given at login
    domain("subject.remove_from_roles", own, domain("role.get_by_name_label", "vm-admin")[0])
    carol("VM.set_name_label", vm, "still carol's")


def test_a_permission_can_be_a_role(builtin_domain):
    """xapi's subject.add_to_roles takes any role object, a permission too."""
    domain = builtin_domain
    domain.enable()
    subject = domain.allow("bob", "read-only")
    domain("subject.add_to_roles", subject, domain("role.get_by_name_label", "vm.clean_reboot")[0])
    bob = domain.as_session(domain.login("bob", DOMAIN_PASSWORDS["bob"]))
    vm = bob("VM.get_by_name_label", "web-01")[0]
    bob("VM.clean_reboot", vm)
    assert error(bob, "VM.clean_shutdown", vm)[:2] == ["RBAC_PERMISSION_DENIED", "vm.clean_shutdown"]
    assert "vm.clean_reboot" in domain("subject.get_permissions_name_label", subject)


def test_over_the_wire_with_the_sdk(samba_dc):
    """The official SDK logs in as a domain user of the real DC and meets the same refusal."""
    sim = Simulator("pool3", speed=SPEED, password="secret-pw", directory=samba_dc["url"]).serve()
    try:
        root = sdk_session(sim)
        root.xenapi.login_with_password("root", "secret-pw", "1.0", "tests")
        pool = root.xenapi.pool.get_all()[0]
        root.xenapi.pool.enable_external_auth(pool, join_config(), "example.test", "AD")
        subject = root.xenapi.subject.create({"subject_identifier": root.xenapi.auth.get_subject_identifier(
            "vm-operators"), "other_config": {}})
        root.xenapi.subject.add_to_roles(subject, root.xenapi.role.get_by_name_label("vm-operator")[0])
        alice = sdk_session(sim)
        alice.xenapi.login_with_password("alice@example.test", DOMAIN_PASSWORDS["alice"], "1.0", "tests")
        vm = alice.xenapi.VM.get_by_name_label("build-01")[0]
        alice.xenapi.VM.start(vm, False, False)
        try:
            alice.xenapi.VM.destroy(vm)
            raise AssertionError("VM.destroy must be refused")
        except XenAPI.Failure as failure:
            assert failure.details == DENIED_DESTROY
        assert alice.xenapi.session.get_auth_user_name(alice._session) == "EXAMPLE\\alice"
        alice.xenapi.session.logout()
        root.xenapi.session.logout()
    finally:
        sim.stop()


def test_root_keeps_every_right_with_external_auth(builtin_domain):
    domain = builtin_domain
    domain.enable()
    record = domain("session.get_record", domain.root)
    assert record["is_local_superuser"] is True and record["rbac_permissions"] == []
    vm = domain("VM.get_by_name_label", "build-01")[0]
    domain("VM.destroy", vm)
    assert domain("session.get_all_subject_identifiers") == []
