"""From a wire name and its parameters to a handler, with xapi's checks in xapi's order
[xenapi-notes §1.4]: parameter count, session (HOST_IS_SLAVE on members), RBAC, types,
then the handler, synchronously or as an Async task.
"""

import logging
import threading
import traceback

from . import handlers
from .call import Call, new_task
from .clock import Stopped
from .coerce import coerce
from .errors import Failure
from .values import now
from .wire.xmlrpc import value_to_string

LOG = logging.getLogger("xapisim")
ASYNC_PREFIX = "Async."
LOGIN_MESSAGES = frozenset({"session.login_with_password"})
MEMBER_ALLOWED = frozenset({"session.slave_local_login_with_password", "session.local_logout"})


class Resolved:
    __slots__ = ("message", "handler", "is_async")

    def __init__(self, message, handler, is_async):
        self.message = message
        self.handler = handler
        self.is_async = is_async


def resolve(model, method):
    """Wire name -> Resolved, or None for an unknown method. Accepts Class_message too."""
    is_async = method.startswith(ASYNC_PREFIX)
    name = method[len(ASYNC_PREFIX):] if is_async else method
    cls, dot, message_name = name.partition(".")
    message = model.message(cls, message_name) if dot else None
    if message is None and not dot and not is_async:
        for candidate in model.classes:
            if name.startswith(candidate + "_"):
                message = model.message(candidate, name[len(candidate) + 1:]) or message
    if message is None:
        return None
    return Resolved(message, handlers.lookup(message), is_async)


def list_methods(model):
    names = []
    for cls in model.classes.values():
        for message in cls.messages.values():
            names.append(message.wire_name)
            if message.has_async:
                names.append(ASYNC_PREFIX + message.wire_name)
    return sorted(names)


def dispatch(world, address, method, params, protocol="xmlrpc"):
    """Serve one call received at `address`; returns the result value or raises Failure."""
    world.counters.count(method, protocol)
    world.faults.apply(method, address, world.clock.stopping)
    pool, host = world.pool_of_host(address)
    if pool is None:
        raise Failure("HOST_OFFLINE", address)
    if method == "system.listMethods":
        return list_methods(world.model)
    if method.startswith("system.isAlive"):
        return params[0] if params else ""
    resolved = resolve(world.model, method)
    if resolved is None:
        if params:
            _check_session(world, pool, host, params[0], method)
        raise Failure("MESSAGE_METHOD_UNKNOWN", method)
    message = resolved.message
    args = list(params[1:] if message.takes_session else params)
    received = len(args) if (params or not message.takes_session) else 0
    if not message.required_count <= received <= len(message.params):
        raise Failure("MESSAGE_PARAMETER_COUNT_MISMATCH", message.wire_name, message.required_count, received)
    for missing in message.params[received:]:
        args.append(message.defaults[missing.name])
    session = None
    if message.takes_session:
        session = _check_session(world, pool, host, params[0], message.wire_name)
        _check_rbac(pool, session, message)
    elif pool.master != host and message.wire_name not in MEMBER_ALLOWED:
        raise Failure("HOST_IS_SLAVE", pool.address_of(pool.master))
    args = [coerce(world.model, p.type, value, p.name) for p, value in zip(message.params, args, strict=True)]
    if resolved.handler is None:
        raise Failure("NOT_IMPLEMENTED", message.wire_name)
    call = Call(world, pool, host, session, (ASYNC_PREFIX if resolved.is_async else "") + message.wire_name)
    if resolved.is_async:
        if not message.has_async:
            raise Failure.raw("Fault", "No async mode for this operation (rpc: %s)" % method)
        return _start_async(world, call, resolved.handler, args)
    try:
        return _run(resolved.handler, call, args)
    finally:
        call.finish()


def _check_session(world, pool, host, session, wire_name):
    if not isinstance(session, str):
        raise Failure("SESSION_INVALID", session)
    local_host = pool.db.private.get(session, {}).get("local_host")
    if local_host is not None:
        if local_host != host:
            raise Failure("SESSION_INVALID", session)
    elif pool.master != host and wire_name not in MEMBER_ALLOWED:
        raise Failure("HOST_IS_SLAVE", pool.address_of(pool.master))
    if session not in pool.db.tables["session"]:
        raise Failure("SESSION_INVALID", session)
    return session


def _check_rbac(pool, session, message):
    state = pool.db.private.get(session, {})
    roles = state.get("roles")
    if roles is None or roles & set(message.roles):  # None: the local superuser, allowed everything
        return
    allowed = ", ".join(message.roles)
    raise Failure("RBAC_PERMISSION_DENIED", message.wire_name.lower(),
                  "No permission in user session. (Roles with this permission: %s)" % allowed)


def _run(handler, call, args):
    try:
        return handler(call, *args)
    except Failure:
        raise
    except Stopped:
        raise Failure("INTERNAL_ERROR", "xapisim is shutting down") from None
    except Exception as exc:  # a simulator bug must not kill the server: answer as xapi would
        LOG.error("handler of %s failed:\n%s", call.wire_name, traceback.format_exc())
        raise Failure("INTERNAL_ERROR", "%s: %s" % (type(exc).__name__, exc)) from None


def _start_async(world, call, handler, args):
    task = new_task(call, call.wire_name)
    call.task = task

    def run():
        try:
            result = _run(handler, call, args)
            outcome = {"status": "success", "result": value_to_string("" if result is None else result)}
        except Failure as failure:
            status = "cancelled" if failure.code == "TASK_CANCELLED" else "failure"
            outcome = {"status": status, "error_info": failure.description}
        finally:
            with world.tasks_lock:
                world.tasks.discard(threading.current_thread())
        with call.db.lock:
            if not call.db.exists("task", task):
                return
            if call.db.get("task", task)["current_operations"].get("task") == "destroy":
                call.db.delete("task", task)  # destroyed while it ran: goes once it ends
            else:
                call.db.update("task", task, progress=1.0, finished=now(), allowed_operations=[], **outcome)

    thread = threading.Thread(target=run, name="xapisim-" + call.wire_name, daemon=True)
    with world.tasks_lock:
        world.tasks.add(thread)
    thread.start()
    return task
