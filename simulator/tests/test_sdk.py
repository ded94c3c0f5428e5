"""The official XenAPI SDK (PyPI XenAPI), unchanged, over HTTPS verified with the CA."""

import time

import pytest
import XenAPI

from conftest import sdk_session


def details(call, *args):
    with pytest.raises(XenAPI.Failure) as failure:
        call(*args)
    return failure.value.details


def wait_task(sdk, task, deadline=10.0):
    """Wait for a task with event.from on that task only, as a careful client does."""
    token, end = "", time.monotonic() + deadline
    while time.monotonic() < end:
        batch = sdk.xenapi.event_from(["task/%s" % task], token, 5.0)
        token = batch["token"]
        for event in batch["events"]:
            if event["snapshot"]["status"] != "pending":
                return event["snapshot"]
    raise AssertionError("task %s did not finish" % task)


def test_login_and_get_all_records(sdk):
    records = sdk.xenapi.VM.get_all_records()
    names = {r["name_label"] for r in records.values()}
    assert {"web-01", "web-02", "web-03", "db-01", "db-02", "build-01"} <= names
    assert "Debian Bookworm 12" in names
    dom0 = [r for r in records.values() if r["is_control_domain"]]
    assert len(dom0) == 3 and all(r["power_state"] == "Running" for r in dom0)


def test_start_and_shutdown(sdk, served):
    vm = sdk.xenapi.VM.get_by_name_label("build-01")[0]
    assert sdk.xenapi.VM.get_power_state(vm) == "Halted"
    assert sdk.xenapi.VM.get_resident_on(vm) == "OpaqueRef:NULL"
    sdk.xenapi.VM.start(vm, False, False)
    record = sdk.xenapi.VM.get_record(vm)
    assert record["power_state"] == "Running"
    assert record["resident_on"] in sdk.xenapi.host.get_all()
    assert int(record["domid"]) > 0
    assert vm in sdk.xenapi.host.get_resident_VMs(record["resident_on"])
    sdk.xenapi.VM.hard_shutdown(vm)
    record = sdk.xenapi.VM.get_record(vm)
    assert record["power_state"] == "Halted" and record["resident_on"] == "OpaqueRef:NULL"
    assert record["domid"] == "-1"


def test_async_start_waited_with_event_from(sdk):
    vm = sdk.xenapi.VM.get_by_name_label("build-01")[0]
    task = sdk.xenapi.Async.VM.start(vm, False, False)
    assert task.startswith("OpaqueRef:")
    assert sdk.xenapi.task.get_name_label(task) == "Async.VM.start"
    final = wait_task(sdk, task)
    assert final["status"] == "success"
    assert final["result"] == "<value></value>"
    assert final["progress"] == 1.0
    assert sdk.xenapi.VM.get_power_state(vm) == "Running"
    sdk.xenapi.task.destroy(task)
    assert details(sdk.xenapi.task.get_record, task) == ["HANDLE_INVALID", "task", task]


def test_async_clone_result_is_the_new_ref_as_xml(sdk):
    template = sdk.xenapi.VM.get_by_name_label("Debian Bookworm 12")[0]
    task = sdk.xenapi.Async.VM.clone(template, "from-template")
    final = wait_task(sdk, task)
    assert final["status"] == "success"
    assert final["result"].startswith("<value>OpaqueRef:") and final["result"].endswith("</value>")
    clone = final["result"][len("<value>"):-len("</value>")]
    record = sdk.xenapi.VM.get_record(clone)
    assert record["name_label"] == "from-template"
    assert record["is_a_template"] and not record["is_default_template"]
    assert record["other_config"]["base_template_name"] == "Debian Bookworm 12"
    assert "default_template" not in record["other_config"]
    sdk.xenapi.VM.provision(clone)
    record = sdk.xenapi.VM.get_record(clone)
    assert not record["is_a_template"] and "disks" not in record["other_config"]
    assert len(record["VBDs"]) == 1
    vdi = sdk.xenapi.VBD.get_VDI(record["VBDs"][0])
    assert sdk.xenapi.VDI.get_virtual_size(vdi) == "10737418240"


def test_async_failure_carries_error_info(sdk):
    vm = sdk.xenapi.VM.get_by_name_label("web-01")[0]
    task = sdk.xenapi.Async.VM.start(vm, False, False)
    final = wait_task(sdk, task)
    assert final["status"] == "failure"
    assert final["error_info"] == ["VM_BAD_POWER_STATE", vm, "halted", "running"]


def test_errors_with_their_codes_and_parameters(sdk, served):
    vm = sdk.xenapi.VM.get_by_name_label("web-01")[0]
    template = sdk.xenapi.VM.get_by_name_label("Debian Bookworm 12")[0]
    assert details(sdk.xenapi.VM.start, vm, False, False) == ["VM_BAD_POWER_STATE", vm, "halted", "running"]
    halted = sdk.xenapi.VM.get_by_name_label("build-01")[0]
    assert details(sdk.xenapi.VM.hard_shutdown, halted) == [
        "VM_BAD_POWER_STATE", halted, "paused, suspended, running", "halted"]
    assert details(sdk.xenapi.VM.start, template, False, False) == ["VM_IS_TEMPLATE", template, "start"]
    assert details(sdk.xenapi.VM.get_record, "OpaqueRef:nope") == ["HANDLE_INVALID", "VM", "OpaqueRef:nope"]
    assert details(sdk.xenapi.VM.get_by_uuid, "not-a-uuid") == ["UUID_INVALID", "VM", "not-a-uuid"]
    assert details(sdk.xenapi.VM.start, vm) == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.start", "3", "1"]
    assert details(sdk.xenapi.VM.frobnicate, vm) == ["MESSAGE_METHOD_UNKNOWN", "VM.frobnicate"]
    assert details(sdk.xenapi.VM.destroy, template) == ["VM_CANNOT_DELETE_DEFAULT_TEMPLATE", template]


def test_wrong_password_and_member_login(served):
    session = sdk_session(served)
    with pytest.raises(XenAPI.Failure) as failure:
        session.xenapi.login_with_password("root", "wrong")
    assert failure.value.details[:2] == ["SESSION_AUTHENTICATION_FAILED", "root"]
    member = sdk_session(served, "127.0.10.2")
    with pytest.raises(XenAPI.Failure) as failure:
        member.xenapi.login_with_password("root", served.password)
    assert failure.value.details == ["HOST_IS_SLAVE", "127.0.10.1"]


def test_sdk_relogs_in_after_session_invalid(sdk, served):
    """XenAPI.py retries a SESSION_INVALID call after logging in again: the server must
    answer SESSION_INVALID for a logged-out session, as xapi does."""
    old = sdk._session
    served.call(served.master_address(), "session.logout", old)
    assert sdk.xenapi.pool.get_all()
    assert sdk._session != old


def test_not_enough_memory(sdk, served):
    host = sdk.xenapi.host.get_all()[0]
    free = int(sdk.xenapi.host.compute_free_memory(host))
    vm = sdk.xenapi.VM.get_by_name_label("build-01")[0]
    huge = str(free + 1024 ** 3)
    sdk.xenapi.VM.set_memory_limits(vm, huge, huge, huge, huge)
    needed = int(huge) + int(sdk.xenapi.VM.get_memory_overhead(vm))
    error = details(sdk.xenapi.VM.start_on, vm, host, False, False)
    assert error == ["HOST_NOT_ENOUGH_FREE_MEMORY", str(needed), str(free)]
