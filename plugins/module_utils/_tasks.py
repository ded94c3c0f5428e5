# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Async calls and their tasks: waited on with event.from on the task itself (no polling,
no fixed sleep), destroyed afterwards, with a deadline that names the operation. A task past
its deadline is cancelled, and its end awaited, so the error says what became of it."""

import time
import xmlrpc.client

from ._client import Backoff
from ._errors import XenAPIConnectionError, XenAPIError, XenAPITimeout

EVENT_WAIT = 30.0  # longest single event.from; the loop goes on until the deadline
CANCEL_WAIT = 30.0  # how long a cancelled task may take to end
RUNNING = ("pending", "cancelling")


def parse_task_result(text):
    """task.result holds the XML-RPC text of the value (<value>OpaqueRef:...</value>)."""
    if not text:
        return ""
    body = "<methodResponse><params><param>%s</param></params></methodResponse>" % text
    try:
        (value,), dummy = xmlrpc.client.loads(body)
    except Exception:  # not XML: xapi put the plain value there
        return text
    return value


def wait_for_task(client, task, timeout, operation):
    """Block until the task ends; its result, or XenAPIError with the task's error_info. Past the
    deadline the task is cancelled: XenAPITimeout naming the operation and saying how the task ended
    (or its result, when it succeeded before the cancellation took)."""
    deadline = time.monotonic() + timeout
    token = ""
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _cancel(client, task, token, "%s did not finish within %d seconds" % (operation, timeout),
                               operation)
            token, snapshot = _next(client, task, token, min(remaining, EVENT_WAIT), operation)
            if snapshot is not None and snapshot.get("status") not in RUNNING:
                return _outcome(client, task, snapshot, operation)
    finally:
        try:
            client.call("task.destroy", task)
        except (XenAPIError, XenAPIConnectionError):
            pass  # already gone, or the host is: xapi removes finished tasks itself in time


def _next(client, task, token, wait, operation):
    """One event.from on the task: (token, its latest snapshot or None)."""
    batch = client.call("event.from", ["task/%s" % task], token, wait, timeout=wait + client.timeout)
    snapshot = None
    for event in batch["events"]:
        if event.get("operation") == "del":
            raise XenAPIError("HANDLE_INVALID", ["task", task], operation)
        snapshot = event.get("snapshot") or snapshot
    return batch["token"], snapshot


def _outcome(client, task, snapshot, operation):
    if snapshot.get("status") == "success":
        return parse_task_result(snapshot.get("result", ""))
    info = snapshot.get("error_info") or ["TASK_CANCELLED", task]
    raise XenAPIError(info[0], info[1:], operation, client._secrets())


def _cancel(client, task, token, late, operation):
    """task.cancel, then the task's end awaited (CANCEL_WAIT at most); XenAPITimeout(late + how it
    ended), or the task's result when it succeeded after all."""
    try:
        client.call("task.cancel", task)
    except XenAPIError as exc:
        if exc.code != "OPERATION_NOT_ALLOWED":  # not allowed: it ended meanwhile (read below)
            raise XenAPITimeout("%s; cancelling its task failed: %s" % (late, exc)) from None
    deadline = time.monotonic() + CANCEL_WAIT
    while True:
        snapshot = client.call("task.get_record", task)
        status = snapshot["status"]
        if status not in RUNNING:
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise XenAPITimeout("%s; its task was cancelled but still runs %d seconds later" % (late, CANCEL_WAIT))
        token = _next(client, task, token, min(remaining, EVENT_WAIT), operation)[0]
    if status == "cancelled":
        raise XenAPITimeout("%s; its task was cancelled" % late)
    if status == "success":
        return _outcome(client, task, snapshot, operation)
    info = snapshot.get("error_info") or ["UNKNOWN"]
    raise XenAPITimeout("%s; its task failed before it could be cancelled: %s"
                        % (late, XenAPIError(info[0], info[1:], secrets=client._secrets())))


def _task_finder(client, method):
    """For an Async call that must not run twice: a find (see XenAPIClient.call) that gives the task
    the call started when its answer was lost, or None when it started none. It compares the tasks of
    this name with those that existed before the call."""
    where = 'field "name_label" = "Async.%s"' % method
    known = set(client.call("task.get_all_records_where", where))

    def find():
        started = sorted(set(client.call("task.get_all_records_where", where)) - known)
        return started[0] if started else None

    return find


def run_async(client, method, *params, **options):
    """Async.<method>(*params), waited on; options: timeout (seconds), operation (for errors), once
    (a call that makes something: when its answer is lost, the task it started is waited on instead
    of a second call)."""
    timeout = options.get("timeout", 600)
    operation = options.get("operation", method)
    deadline = time.monotonic() + timeout
    busy = Backoff(timeout)
    while True:
        if options.get("once"):
            task = client.call("Async." + method, *params, find=_task_finder(client, method))
        else:
            task = client.call("Async." + method, *params)
        try:
            return wait_for_task(client, task, max(deadline - time.monotonic(), 1), operation)
        except XenAPIError as exc:
            # the task found another operation on its object and did not run: wait it out (within the timeout)
            if exc.code != "OTHER_OPERATION_IN_PROGRESS" or not busy.wait():
                raise
            client.busy_waits += 1
