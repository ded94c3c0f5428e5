"""Sessions as xapi keeps them [xenapi-notes §1.4, §1.5; xen-api ocaml/xapi/xapi_session.ml,
session_check.ml, rbac.ml]: login and its failures, logout, HOST_IS_SLAVE on pool members,
member-local logins, password change, RBAC, and sessions shared by both protocols."""

import re
import ssl
import time
import xmlrpc.client

import pytest
import requests
import XenAPI
from conftest import JsonRpc, sdk_session, wait_until

MASTER, MEMBER, OTHER_MEMBER = "127.0.10.1", "127.0.10.2", "127.0.10.3"
SESSION_REF = re.compile(r"OpaqueRef:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def details(call, *args):
    with pytest.raises(XenAPI.Failure) as failure:
        call(*args)
    return failure.value.details


def control(sim, verb, path, body=None):
    response = requests.request(verb, sim.url(sim.control_address) + "/_sim/" + path, json=body,
                                verify=sim.ca_path or False, timeout=30)
    return response.status_code, response.json()


def open_sessions(sim):
    status, counters = control(sim, "GET", "counters")
    assert status == 200
    return counters["open_sessions"]


def test_login_makes_a_root_session(served):
    rpc = JsonRpc(served)
    session = rpc("session.login_with_password", "root", served.password, "1.0", "my-tool")
    assert SESSION_REF.match(session)
    record = rpc("session.get_record", session, session)
    master = rpc("host.get_by_name_label", session, "xs-a1")[0]
    assert record["this_host"] == master and record["this_user"] == "OpaqueRef:NULL"
    assert record["is_local_superuser"] is True and record["pool"] is False
    assert record["subject"] == record["parent"] == "OpaqueRef:NULL"
    assert record["auth_user_name"] == "root" and record["auth_user_sid"] == ""
    assert record["originator"] == "my-tool" and record["rbac_permissions"] == []
    assert rpc("session.get_this_host", session, session) == master


def test_login_with_defaults_and_extra_params(served):
    """version and originator have defaults; with defaults, extra params are ignored."""
    rpc = JsonRpc(served)
    short = rpc("session.login_with_password", "root", served.password)
    assert rpc("session.get_originator", short, short) == ""
    extra = rpc("session.login_with_password", "root", served.password, "1.0", "o", "unexpected")
    assert rpc("session.get_originator", extra, extra) == "o"
    assert details(rpc, "session.login_with_password", "root") == [
        "MESSAGE_PARAMETER_COUNT_MISMATCH", "session.login_with_password", "2", "1"]


def test_wrong_password_fails_after_the_scaled_delay(served_factory):
    sim = served_factory("pool3", speed=50)
    rpc = JsonRpc(sim)
    start = time.monotonic()
    assert details(rpc, "session.login_with_password", "root", "wrong") == [
        "SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure"]
    assert time.monotonic() - start >= 5.0 / 50
    assert control(sim, "POST", "speed", {"speed": 20})[0] == 200
    start = time.monotonic()
    assert details(rpc, "session.login_with_password", "admin", sim.password)[:2] == [
        "SESSION_AUTHENTICATION_FAILED", "admin"]  # the message is PAM's
    assert time.monotonic() - start >= 5.0 / 20
    assert open_sessions(sim) == 0


def test_logout_then_session_invalid(served):
    rpc = JsonRpc(served)
    session = rpc("session.login_with_password", "root", served.password)
    assert rpc("session.logout", session) == ""
    assert details(rpc, "VM.get_all", session) == ["SESSION_INVALID", session]
    assert details(rpc, "session.logout", session) == ["SESSION_INVALID", session]


def test_unknown_session(served):
    rpc = JsonRpc(served)
    assert details(rpc, "VM.get_all", "OpaqueRef:nope") == ["SESSION_INVALID", "OpaqueRef:nope"]
    assert details(rpc, "VM.frobnicate", "OpaqueRef:nope") == ["SESSION_INVALID", "OpaqueRef:nope"]
    # a member looks the session up in the pool's database first (session_check.ml)
    member = JsonRpc(served, MEMBER)
    assert details(member, "VM.get_all", "OpaqueRef:nope") == ["SESSION_INVALID", "OpaqueRef:nope"]
    assert details(rpc, "VM.get_all", 5) == ["INTERNAL_ERROR", "Failure(\"Expected string, got 'I(5)'\")"]


@pytest.mark.parametrize("address", [MEMBER, OTHER_MEMBER])
def test_members_answer_host_is_slave(served, address):
    member = JsonRpc(served, address)
    assert details(member, "session.login_with_password", "root", served.password) == ["HOST_IS_SLAVE", MASTER]
    assert details(member, "session.login_with_password", "root", "wrong") == ["HOST_IS_SLAVE", MASTER]
    sdk = sdk_session(served, address)
    assert details(sdk.xenapi.login_with_password, "root", served.password) == ["HOST_IS_SLAVE", MASTER]
    session = JsonRpc(served)("session.login_with_password", "root", served.password)
    assert details(member, "VM.get_all", session) == ["HOST_IS_SLAVE", MASTER]
    assert details(member, "VM.frobnicate", session) == ["HOST_IS_SLAVE", MASTER]
    assert details(member, "session.logout", session) == ["HOST_IS_SLAVE", MASTER]
    assert details(member, "VM.start", session) == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.start", "3", "0"]


def test_member_local_login_works_on_that_member_only(served):
    member, other, master = JsonRpc(served, MEMBER), JsonRpc(served, OTHER_MEMBER), JsonRpc(served)
    local = member("session.slave_local_login_with_password", "root", served.password)
    assert SESSION_REF.match(local)
    assert sorted(member("VM.get_all", local)) == sorted(master("VM.get_all", master(
        "session.login_with_password", "root", served.password)))
    assert details(master, "VM.get_all", local) == ["SESSION_INVALID", local]
    assert details(other, "VM.get_all", local) == ["SESSION_INVALID", local]
    assert details(member, "session.slave_local_login_with_password", "root", "wrong") == [
        "SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure"]
    assert member("session.local_logout", local) == ""
    assert details(member, "VM.get_all", local) == ["SESSION_INVALID", local]
    on_master = master("session.slave_local_login_with_password", "root", served.password)
    assert master("pool.get_all", on_master) and details(member, "pool.get_all", on_master) == [
        "SESSION_INVALID", on_master]


def test_change_password(served):
    """xapi does not check old_pwd (CA-13567) and syncs the new password to every host."""
    rpc = JsonRpc(served)
    session = rpc("session.login_with_password", "root", served.password)
    assert rpc("session.change_password", session, "not-the-old-one", "new-secret") == ""
    assert details(rpc, "session.login_with_password", "root", served.password)[:2] == [
        "SESSION_AUTHENTICATION_FAILED", "root"]
    assert SESSION_REF.match(rpc("session.login_with_password", "root", "new-secret"))
    assert SESSION_REF.match(JsonRpc(served, OTHER_MEMBER)(
        "session.slave_local_login_with_password", "root", "new-secret"))
    assert rpc("VM.get_all", session)  # the session that changed it goes on


def test_open_session_counter_goes_back_to_zero(served):
    assert open_sessions(served) == 0
    control(served, "POST", "counters/reset")
    xml = sdk_session(served)
    xml.xenapi.login_with_password("root", served.password)
    rpc = JsonRpc(served, version="")
    json_session = rpc("session.login_with_password", "root", served.password)
    member = JsonRpc(served, MEMBER)
    local = member("session.slave_local_login_with_password", "root", served.password)
    assert open_sessions(served) == 3
    xml.xenapi.session.logout()
    rpc("session.logout", json_session)
    member("session.local_logout", local)
    assert open_sessions(served) == 0
    counters = control(served, "GET", "counters")[1]
    assert counters["logins"] == counters["logouts"] == 3
    assert counters["calls"]["session.login_with_password"] == 2
    assert counters["protocols"] == {"xmlrpc": 2, "jsonrpc": 4}


def test_sessions_are_shared_between_xmlrpc_and_jsonrpc(served):
    """Plain xmlrpc.client (the SDK would log in again on SESSION_INVALID)."""
    xml = xmlrpc.client.ServerProxy(served.url(), context=ssl.create_default_context(cafile=served.ca_path))
    rpc = JsonRpc(served)
    xml_session = xml.session.login_with_password("root", served.password)["Value"]
    assert sorted(rpc("VM.get_all", xml_session)) == sorted(xml.VM.get_all(xml_session)["Value"])
    assert rpc("session.logout", xml_session) == ""
    assert xml.VM.get_all(xml_session) == {"Status": "Failure", "ErrorDescription": ["SESSION_INVALID", xml_session]}
    json_session = rpc("session.login_with_password", "root", served.password)
    assert xml.session.get_uuid(json_session, json_session)["Status"] == "Success"
    assert xml.session.logout(json_session) == {"Status": "Success", "Value": ""}
    assert details(rpc, "VM.get_all", json_session) == ["SESSION_INVALID", json_session]


def test_rbac_permission_denied(served):
    """No public way makes a session with roles yet (external auth is not simulated), so
    the test gives a root session the read-only role in the simulator's private state."""
    rpc = JsonRpc(served)
    session = rpc("session.login_with_password", "root", served.password)
    served.world.pools[0].db.private[session]["roles"] = {"read-only"}
    vm = rpc("VM.get_by_name_label", session, "build-01")[0]
    assert rpc("VM.get_record", session, vm)["name_label"] == "build-01"
    assert details(rpc, "VM.start", session, vm, False, False) == [
        "RBAC_PERMISSION_DENIED", "vm.start", "No permission in user session. (Roles with this permission: "
        "pool-admin, pool-operator, vm-power-admin, vm-admin, vm-operator)"]
    # an Async call gets its task; RBAC is checked as the task runs, and the task fails
    task = rpc("Async.VM.start", session, vm, False, False)
    wait_until(lambda: rpc("task.get_status", session, task) != "pending")
    assert rpc("task.get_status", session, task) == "failure"
    assert rpc("task.get_error_info", session, task) == [
        "RBAC_PERMISSION_DENIED", "vm.start", "No permission in user session. (Roles with this permission: "
        "pool-admin, pool-operator, vm-power-admin, vm-admin, vm-operator)"]
    assert rpc("VM.get_power_state", session, vm) == "Halted"
    assert details(rpc, "VM.set_name_label", session, vm, "x") == [
        "RBAC_PERMISSION_DENIED", "vm.set_name_label", "No permission in user session. (Roles with this "
        "permission: pool-admin, pool-operator, vm-power-admin, vm-admin)"]
    assert details(rpc, "session.change_password", session, "a", "b") == [
        "RBAC_PERMISSION_DENIED", "session.change_password",
        "No permission in user session. (Roles with this permission: )"]
    # an unknown method is first tried as an extension: host.call_extension's permission
    assert details(rpc, "VM.frobnicate", session, vm) == [
        "RBAC_PERMISSION_DENIED", "host.call_extension",
        "No permission in user session. (Roles with this permission: pool-admin)"]
    # parameter count and session come before RBAC
    assert details(rpc, "VM.start", session, vm) == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.start", "3", "1"]
    assert details(JsonRpc(served, MEMBER), "VM.start", session, vm, False, False) == ["HOST_IS_SLAVE", MASTER]
    served.world.pools[0].db.private[session]["roles"] = {"vm-admin"}
    assert rpc("VM.set_name_label", session, vm, "renamed") == ""
    assert rpc("session.logout", session) == ""
