"""Events: event.from with tokens, the legacy register/next, inject [xenapi-notes §3.8].

Events are read off the database's generations, as xapi does: an object changed since the
token gives one event with its current record, whatever number of writes it saw.
"""

import time

from ..errors import Failure
from ..values import Int32
from .registry import handles


def _subscriptions(call, classes):
    """-> (class names, {class: set of refs} for object subscriptions, or None)."""
    model = call.model
    names, objects = set(), {}
    everything = [c.name for c in model.classes.values() if c.has_events]
    for entry in classes:
        kind, slash, ref = entry.partition("/")
        if kind == "*" and not slash:
            names.update(everything)
            continue
        cls = model.lower_names.get(kind.lower())
        if cls is None or not model.classes[cls].has_events or (slash and not ref):
            raise Failure("EVENT_SUBSCRIPTION_PARSE_FAILURE", entry)
        names.add(cls)
        if slash:
            objects.setdefault(cls, set()).add(ref)
    whole = names - set(objects)
    objects = {cls: refs for cls, refs in objects.items() if cls not in whole} or None
    return sorted(names), objects


def _parse_token(token):
    if token == "":
        return 0
    try:
        return int(token.split(",")[0])
    except ValueError:
        raise Failure("EVENT_FROM_TOKEN_PARSE_FAILURE", token) from None


def _event_record(event):
    generation, cls, operation, ref, snapshot = event
    record = {"id": str(generation), "timestamp": "%.6f" % time.time(), "class": cls.lower(),
              "operation": operation, "ref": ref}
    if snapshot is not None:
        record["snapshot"] = snapshot
    return record


def _wait_for_events(call, since, classes, objects, timeout):
    db = call.db
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        with db.lock:
            if not db.exists("session", call.session):
                raise Failure("SESSION_INVALID", call.session)
            events = db.changes_since(since, classes, objects)
            generation = db.generation
            if events:
                return events
        remaining = deadline - time.monotonic()
        if remaining <= 0 or call.clock.stopping.is_set():
            return []
        db.wait(generation, remaining, call.clock.stopping)


@handles("event.from")
def event_from(call, classes, token, timeout):
    names, objects = _subscriptions(call, classes)
    since = _parse_token(token)
    events = _wait_for_events(call, since, names, objects, timeout)
    db = call.db
    with db.lock:
        counts = {cls.lower(): Int32(len(table)) for cls, table in db.tables.items()}
        new_token = db.token() if not events else "%020d,%020d" % (events[-1][0], db.message_generation)
    return {"events": [_event_record(e) for e in events], "valid_ref_counts": counts, "token": new_token}


@handles("event.register")
def register(call, classes):
    names = _subscriptions(call, classes)[0]
    state = call.db.private.setdefault(call.session, {})
    state.setdefault("registered", set()).update(names)
    state.setdefault("next_generation", call.db.generation)


@handles("event.unregister")
def unregister(call, classes):
    names = _subscriptions(call, classes)[0]
    state = call.db.private.setdefault(call.session, {})
    state["registered"] = state.get("registered", set()) - set(names)


@handles("event.next")
def event_next(call):
    state = call.db.private.get(call.session, {})
    if not state.get("registered"):
        raise Failure("SESSION_NOT_REGISTERED", call.session)
    since = state["next_generation"]
    events = []
    while not events:
        events = _wait_for_events(call, since, sorted(state["registered"]), None, 60.0)
        if call.clock.stopping.is_set():
            break
    state["next_generation"] = events[-1][0] if events else call.db.generation
    return [_event_record(e) for e in events]


@handles("event.get_current_id")
def get_current_id(call):
    return call.db.generation


@handles("event.inject")
def inject(call, cls, ref):
    name = call.model.lower_names.get(cls.lower())
    if name is None or not call.db.exists(name, ref):
        raise Failure("HANDLE_INVALID", cls, ref)
    call.db.touch(name, ref)
    return call.db.token()
