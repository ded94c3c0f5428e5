"""From a wire name and its parameters to a handler, with xapi's checks in xapi's order
[xenapi-notes §1.4; xen-api ocaml/idl/ocaml_backend/gen_server.ml]: parameter count,
parameter types (unmarshalling), session (HOST_IS_SLAVE on members), async mode, RBAC
(inside the task for an Async call), then the handler, synchronously or as an Async task.
"""

import logging
import threading
import traceback

from . import handlers
from .call import Call, new_task
from .clock import Stopped
from .coerce import coerce
from .errors import DropConnection, Failure
from .model import XType
from .values import now
from .wire.xmlrpc import value_to_string

LOG = logging.getLogger("xapisim")
ASYNC_PREFIX = "Async."
LOGIN_MESSAGES = frozenset({"session.login_with_password"})
# the one session-less call a pool member serves itself; login_with_password gets HOST_IS_SLAVE
MEMBER_ALLOWED = frozenset({"session.slave_local_login_with_password"})


SESSION_REF = XType("ref", of="session")


class Resolved:
    __slots__ = ("message", "handler", "is_async", "name")

    def __init__(self, message, handler, is_async, name):
        self.message = message
        self.handler = handler
        self.is_async = is_async
        self.name = name  # as called, without Async.: what xapi names in its errors


def resolve_name(method):
    """The name xapi looks up, and names in its errors: the wire name without Async."""
    return method[len(ASYNC_PREFIX):] if method.startswith(ASYNC_PREFIX) else method


def resolve(model, method):
    """Wire name -> Resolved, or None for an unknown method. Accepts Class_message too
    (xapi matches both names once it has taken Async. off)."""
    is_async = method.startswith(ASYNC_PREFIX)
    name = resolve_name(method)
    cls, dot, message_name = name.partition(".")
    message = model.message(cls, message_name) if dot else None
    if message is None and not dot:
        for candidate in model.classes:
            if name.startswith(candidate + "_"):
                message = model.message(candidate, name[len(candidate) + 1:]) or message
    if message is None:
        return None
    return Resolved(message, handlers.lookup(message), is_async, name)


def list_methods(model):
    """system.listMethods: the synchronous wire names only, as xapi lists them."""
    return sorted(message.wire_name for cls in model.classes.values() for message in cls.messages.values())


def dispatch(world, address, method, params, protocol="xmlrpc"):
    """Serve one call received at `address`; returns the result value or raises Failure.
    Whatever else goes wrong is INTERNAL_ERROR, as xapi's dispatch_exn_wrapper answers."""
    world.counters.count(method, protocol)
    answer_lost = world.faults.apply(method, address, world.clock.stopping)
    try:
        result = _answer(world, address, method, params)
    except Failure:
        if answer_lost:
            raise DropConnection() from None
        raise
    if answer_lost:
        raise DropConnection()
    return result


def _answer(world, address, method, params):
    try:
        return _dispatch(world, address, method, params)
    except (Failure, DropConnection):
        raise
    except Stopped:
        raise Failure("INTERNAL_ERROR", "xapisim is shutting down") from None
    except Exception as exc:
        LOG.error("dispatch of %s failed:\n%s", method, traceback.format_exc())
        raise Failure("INTERNAL_ERROR", "%s: %s" % (type(exc).__name__, exc)) from None


def _dispatch(world, address, method, params):
    pool, host = world.pool_of_host(address)
    if pool is None:
        raise Failure("HOST_OFFLINE", address)
    if method == "system.listMethods":
        return list_methods(world.model)
    if method.startswith("system.isAlive"):
        return params[0] if params else ""
    resolved = resolve(world.model, method)
    if resolved is None:
        if params:  # xapi then looks for an extension script: a host.call_extension for RBAC
            session = _check_session(pool, host, coerce(world.model, SESSION_REF, params[0], "session_id"))
            _check_rbac(pool, session, world.model.message("host", "call_extension"))
        raise Failure("MESSAGE_METHOD_UNKNOWN", resolve_name(method))
    message = resolved.message
    args = list(params[1:] if message.takes_session else params)
    received = len(params) - 1 if message.takes_session else len(params)
    # Without defaults the parameter list must match exactly; with defaults, trailing ones
    # may be omitted and extra ones are ignored (gen_server.ml: `a :: b :: default_args`).
    if received < message.required_count or (received > len(message.params) and not message.defaults):
        raise Failure("MESSAGE_PARAMETER_COUNT_MISMATCH", resolved.name, message.required_count, received)
    args = args[:len(message.params)]
    for missing in message.params[len(args):]:
        args.append(message.defaults[missing.name])
    session = coerce(world.model, SESSION_REF, params[0], "session_id") if message.takes_session else None
    args = [coerce(world.model, p.type, value, p.name) for p, value in zip(message.params, args, strict=True)]
    if message.takes_session:
        _check_session(pool, host, session)
    elif pool.master != host and message.wire_name not in MEMBER_ALLOWED:
        raise Failure("HOST_IS_SLAVE", pool.address_of(pool.master))
    if resolved.is_async and not message.has_async:
        raise Failure.raw("Fault", "No async mode for this operation (rpc: %s)" % resolved.name)
    if message.takes_session and not resolved.is_async:
        _check_rbac(pool, session, message)
    if resolved.handler is None:
        raise Failure("NOT_IMPLEMENTED", message.wire_name)
    call = Call(world, pool, host, session, (ASYNC_PREFIX if resolved.is_async else "") + message.wire_name)
    if resolved.is_async:
        handler = resolved.handler
        if message.takes_session:
            handler = _rbac_checked(handler, pool, session, message)
        return _start_async(world, call, handler, args)
    try:
        return _run(resolved.handler, call, args)
    finally:
        call.finish()


def _check_session(pool, host, session):
    """xapi's Session_check: a member-local session is valid on its host only; any other
    must exist in the pool's database, and on a member it gets HOST_IS_SLAVE."""
    local_host = pool.db.private.get(session, {}).get("local_host")
    if local_host is not None:
        if local_host != host:
            raise Failure("SESSION_INVALID", session)
        return session
    if session not in pool.db.tables["session"]:
        raise Failure("SESSION_INVALID", session)
    if pool.master != host:
        raise Failure("HOST_IS_SLAVE", pool.address_of(pool.master))
    return session


def _check_rbac(pool, session, message):
    """xapi's Rbac.check: the message's permission (its lower-cased wire name) must be among the
    session's role and permission names; the local superuser (None) may do everything."""
    state = pool.db.private.get(session, {})
    roles = state.get("roles")
    if roles is None or roles & set(message.roles) or message.wire_name.lower() in roles:
        return
    allowed = ", ".join(message.roles)
    raise Failure("RBAC_PERMISSION_DENIED", message.wire_name.lower(),
                  "No permission in user session. (Roles with this permission: %s)" % allowed)


def _rbac_checked(handler, pool, session, message):
    """xapi checks RBAC when the operation runs: for an Async call that is in the task, so a
    denial is the task's error_info, not the call's answer."""

    def run(call, *args):
        _check_rbac(pool, session, message)
        return handler(call, *args)

    return run


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
            world.counters.task_finished(task)

    thread = threading.Thread(target=run, name="xapisim-" + call.wire_name, daemon=True)
    with world.tasks_lock:
        world.tasks.add(thread)
    thread.start()
    return task
