# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Async calls and their tasks: waited on with event.from on the task itself (no polling,
no fixed sleep), destroyed afterwards, with a deadline that names the operation."""

import time
import xmlrpc.client

from ._errors import XenAPIError, XenAPITimeout

EVENT_WAIT = 30.0  # longest single event.from; the loop goes on until the deadline


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
    """Block until the task ends; its result, or XenAPIError with the task's error_info."""
    deadline = time.monotonic() + timeout
    token = ""
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _cancel(client, task)
                raise XenAPITimeout("%s did not finish within %d seconds" % (operation, timeout))
            wait = min(remaining, EVENT_WAIT)
            batch = client.call("event.from", ["task/%s" % task], token, wait, timeout=wait + client.timeout)
            token = batch["token"]
            for event in batch["events"]:
                if event.get("operation") == "del":
                    raise XenAPIError("HANDLE_INVALID", ["task", task], operation)
                snapshot = event.get("snapshot") or {}
                status = snapshot.get("status")
                if status == "success":
                    return parse_task_result(snapshot.get("result", ""))
                if status in ("failure", "cancelled"):
                    info = snapshot.get("error_info") or ["TASK_CANCELLED", task]
                    raise XenAPIError(info[0], info[1:], operation, client._secrets())
    finally:
        try:
            client.call("task.destroy", task)
        except XenAPIError:
            pass  # already gone


def _cancel(client, task):
    try:
        client.call("task.cancel", task)
    except XenAPIError:
        pass  # it finished meanwhile, or cannot be cancelled: destroy follows


def run_async(client, method, *params, **options):
    """Async.<method>(*params), waited on; options: timeout (seconds), operation (for errors)."""
    timeout = options.get("timeout", 600)
    operation = options.get("operation", method)
    task = client.call("Async." + method, *params)
    return wait_for_task(client, task, timeout, operation)
