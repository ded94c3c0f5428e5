"""Async tasks and events: progress, cancel, destroy; event.from tokens, timeouts,
subscriptions, add/mod/del; the legacy register/next."""

import threading
import time

from conftest import MASTER, error
from xapisim import Failure


def finished(api, task, deadline=10.0):
    token, end = "", time.monotonic() + deadline
    while time.monotonic() < end:
        batch = api("event.from", ["task/%s" % task], token, 1.0)
        token = batch["token"]
        for event in batch["events"]:
            if event["operation"] == "mod" and event["snapshot"]["status"] not in ("pending", "cancelling"):
                return event["snapshot"]
            if event["operation"] == "add" and event["snapshot"]["status"] not in ("pending", "cancelling"):
                return event["snapshot"]
    raise AssertionError("task did not finish")


def test_task_record_as_xapi_makes_it(api):
    vm = api.vm("build-01")
    task = api("Async.VM.start", vm, False, False)
    record = api("task.get_record", task)
    assert record["name_label"] == "Async.VM.start"
    assert record["status"] in ("pending", "success")
    assert record["type"] == "<none/>"
    assert record["resident_on"] == api("pool.get_master", api("pool.get_all")[0])
    final = finished(api, task)
    assert final["status"] == "success" and final["progress"] == 1.0
    assert final["finished"] != "19700101T00:00:00Z"
    assert final["allowed_operations"] == []


def test_progress_is_reported_as_it_goes(world_sim, api):
    world_sim.world.clock.speed = 40.0
    vm = api.vm("build-01")
    task = api("Async.VM.start", vm, False, False)
    seen, token = set(), ""
    while True:
        batch = api("event.from", ["task/%s" % task], token, 2.0)
        token = batch["token"]
        for event in batch["events"]:
            seen.add(event["snapshot"]["progress"])
        if api("task.get_status", task) != "pending":
            break
    assert len([p for p in seen if 0.0 < p < 1.0]) >= 2


def test_cancel_a_running_task(world_sim, api):
    world_sim.world.clock.speed = 10.0
    vm = api.vm("build-01")
    task = api("Async.VM.start", vm, False, False)
    assert "cancel" in api("task.get_allowed_operations", task)
    api("task.cancel", task)
    final = finished(api, task)
    assert final["status"] == "cancelled"
    assert final["error_info"] == ["TASK_CANCELLED", task]
    assert api("VM.get_power_state", vm) == "Halted"
    assert api("VM.get_scheduled_to_be_resident_on", vm) == "OpaqueRef:NULL"


def test_destroy_and_client_tasks(api):
    task = api("task.create", "my job", "made by a client")
    assert api("task.get_status", task) == "pending"
    api("task.set_progress", task, 0.5)
    api("task.set_status", task, "success")
    assert api("task.get_progress", task) == 0.5
    api("task.destroy", task)
    assert error(api, "task.get_record", task) == ["HANDLE_INVALID", "task", task]


def test_no_async_for_accessors(api):
    failure = error(api, "Async.VM.get_record", api.vm("build-01"))
    assert failure[0] == "Fault"


def test_event_from_first_call_lists_every_object(api):
    batch = api("event.from", ["vm", "host"], "", 1.0)
    vms = [e for e in batch["events"] if e["class"] == "vm"]
    hosts = [e for e in batch["events"] if e["class"] == "host"]
    assert len(vms) == len(api("VM.get_all")) and len(hosts) == 3
    assert all(e["operation"] == "add" and "snapshot" in e for e in batch["events"])
    assert batch["valid_ref_counts"]["vm"] == len(vms)
    assert set(batch["valid_ref_counts"]) >= {"vm", "host", "sr", "task", "session", "pool"}
    generation, messages = batch["token"].split(",")
    assert len(generation) == 20 and len(messages) == 20


def test_event_from_times_out_with_a_fresh_token(api):
    first = api("event.from", ["vm"], "", 1.0)
    started = time.monotonic()
    batch = api("event.from", ["vm"], first["token"], 0.3)
    assert batch["events"] == []
    assert time.monotonic() - started >= 0.25
    assert batch["token"] >= first["token"]


def test_event_from_mod_add_del(api):
    token = api("event.from", ["vm"], "", 1.0)["token"]
    vm = api.vm("build-01")
    api("VM.set_name_description", vm, "changed")
    batch = api("event.from", ["vm"], token, 1.0)
    assert [(e["operation"], e["ref"]) for e in batch["events"]] == [("mod", vm)]
    assert batch["events"][0]["snapshot"]["name_description"] == "changed"
    token = batch["token"]
    clone = api("VM.clone", vm, "a-clone")
    batch = api("event.from", ["vm"], token, 1.0)
    assert ("add", clone) in [(e["operation"], e["ref"]) for e in batch["events"]]
    token = batch["token"]
    api("VM.destroy", clone)
    batch = api("event.from", ["vm"], token, 1.0)
    assert [(e["operation"], e["ref"]) for e in batch["events"]] == [("del", clone)]
    assert "snapshot" not in batch["events"][0]


def test_event_from_wakes_on_a_change(api):
    token = api("event.from", ["vm"], "", 1.0)["token"]
    vm = api.vm("build-01")
    threading.Timer(0.2, lambda: api("VM.add_tags", vm, "woken")).start()
    started = time.monotonic()
    batch = api("event.from", ["vm"], token, 10.0)
    assert time.monotonic() - started < 5.0
    assert batch["events"][0]["snapshot"]["tags"][-1] == "woken"


def test_per_object_subscription(api):
    web, db = api.vm("web-01"), api.vm("db-01")
    token = api("event.from", ["vm/%s" % web], "", 1.0)["token"]
    api("VM.add_tags", db, "x")
    api("VM.add_tags", web, "y")
    batch = api("event.from", ["vm/%s" % web], token, 1.0)
    assert [e["ref"] for e in batch["events"]] == [web]


def test_event_from_errors(api):
    assert error(api, "event.from", ["nonsense"], "", 1.0) == ["EVENT_SUBSCRIPTION_PARSE_FAILURE", "nonsense"]
    assert error(api, "event.from", ["vm"], "garbage", 1.0) == ["EVENT_FROM_TOKEN_PARSE_FAILURE", "garbage"]


def test_logout_ends_a_waiting_event_from(world_sim):
    session = world_sim.call(MASTER, "session.login_with_password", "root", "secret-pw")
    token = world_sim.call(MASTER, "event.from", session, ["vm"], "", 1.0)["token"]
    outcome = {}

    def wait():
        try:
            world_sim.call(MASTER, "event.from", session, ["vm"], token, 30.0)
        except Failure as failure:
            outcome["error"] = failure.description

    waiter = threading.Thread(target=wait)
    waiter.start()
    threading.Event().wait(0.1)
    world_sim.call(MASTER, "session.logout", session)
    waiter.join(timeout=10)
    assert outcome["error"] == ["SESSION_INVALID", session]


def test_legacy_register_next(api):
    assert error(api, "event.next") == ["SESSION_NOT_REGISTERED", api.session]
    api("event.register", ["vm"])
    vm = api.vm("build-01")
    api("VM.add_tags", vm, "legacy")
    events = api("event.next")
    assert [(e["class"], e["operation"], e["ref"]) for e in events] == [("vm", "mod", vm)]
    api("event.unregister", ["vm"])
    assert error(api, "event.next") == ["SESSION_NOT_REGISTERED", api.session]


def test_inject_and_current_id(api):
    before = api("event.get_current_id")
    vm = api.vm("build-01")
    token = api("event.inject", "VM", vm)
    assert api("event.get_current_id") > before
    assert int(token.split(",")[0]) == api("event.get_current_id")
    assert error(api, "event.inject", "VM", "OpaqueRef:nope") == ["HANDLE_INVALID", "VM", "OpaqueRef:nope"]
