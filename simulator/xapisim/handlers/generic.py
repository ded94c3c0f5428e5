"""Handlers generated from the model for implicit messages [xenapi-notes §2.1]:
get_record, get_all(_records)(_where), get_by_uuid, get_by_name_label, get_/set_<field>,
add_to_/remove_from_<map>, add_/remove_<set>, create and destroy.
"""

import functools

from ..errors import Failure
from ..filters import compile_filter
from ..model import load_model


@functools.lru_cache(maxsize=None)
def generic_handler(message):
    cls, name = message.cls, message.name
    fields = load_model().classes[cls].fields
    simple = {
        "get_record": lambda call, ref: call.db.get(cls, ref),
        "get_all": lambda call: call.db.refs(cls),
        "get_all_records": lambda call: call.db.records(cls),
        "get_all_where": lambda call, expr: list(_where(call, cls, expr)),
        "get_all_records_where": lambda call, expr: _where(call, cls, expr),
        "get_by_uuid": lambda call, uuid: call.db.by_uuid(cls, uuid),
        "get_by_name_label": lambda call, label: call.db.by_name(cls, label),
        "create": lambda call, record: create(call, cls, record),
        "destroy": lambda call, ref: call.db.delete(cls, _existing(call, cls, ref)),
    }
    if name in simple:
        return simple[name]
    for prefix, make in _FIELD_MESSAGES:
        if name.startswith(prefix) and name[len(prefix):] in fields:
            return make(cls, fields[name[len(prefix):]])
    return None


def _existing(call, cls, ref):
    call.db.get(cls, ref)
    return ref


def _where(call, cls, expr):
    predicate = compile_filter(expr)
    return {ref: rec for ref, rec in call.db.records(cls).items() if predicate(rec)}


def _getter(cls, field):
    if not field.current:
        return lambda call, ref: _removed(call)
    name = field.name
    return lambda call, ref: call.db.get(cls, ref)[name]


def _removed(call):
    raise Failure("MESSAGE_REMOVED")


def _empty_key():
    """xapi's database refuses a map with an empty key (Db_exn.Empty_key_in_map)."""
    return Failure("INTERNAL_ERROR", "Db_exn.Empty_key_in_map")


def _setter(cls, field):
    name = field.name
    is_map = field.type.kind == "map"

    def set_field(call, ref, value):
        call.db.get(cls, ref)
        if is_map and "" in value:
            raise _empty_key()
        call.db.update(cls, ref, **{name: value})

    return set_field


def _map_add(cls, field):
    """As xapi's add_to_map: a new key goes first; an existing one is MAP_DUPLICATE_KEY."""
    name = field.name

    def add_to(call, ref, key, value):
        with call.db.lock:
            current = call.db.get(cls, ref)[name]
            if key == "":
                raise _empty_key()
            if key in current:
                raise Failure("MAP_DUPLICATE_KEY", cls, name, ref, key)
            call.db.update(cls, ref, **{name: {key: value, **current}})

    return add_to


def _map_remove(cls, field):
    name = field.name

    def remove_from(call, ref, key):
        with call.db.lock:
            current = call.db.get(cls, ref)[name]
            if key in current:
                call.db.update(cls, ref, **{name: {k: v for k, v in current.items() if k != key}})

    return remove_from


def _set_add(cls, field):
    name = field.name

    def add(call, ref, value):
        with call.db.lock:
            current = call.db.get(cls, ref)[name]
            if value not in current:
                call.db.update(cls, ref, **{name: current + [value]})

    return add


def _set_remove(cls, field):
    name = field.name

    def remove(call, ref, value):
        with call.db.lock:
            current = call.db.get(cls, ref)[name]
            if value in current:
                call.db.update(cls, ref, **{name: [v for v in current if v != value]})

    return remove


_FIELD_MESSAGES = (
    ("get_", _getter),
    ("set_", _setter),
    ("add_to_", _map_add),
    ("remove_from_", _map_remove),
    ("add_", _set_add),
    ("remove_", _set_remove),
)


def constructor_fields(call, cls, record):
    """The fields a create message takes from its record: RO/constructor and RW ones, with
    their defaults; a field without a default that the record lacks is an error, as in xapi."""
    definition = call.model.classes[cls]
    fields = {}
    for field in definition.record_fields:
        if field.qualifier == "RO/runtime":
            continue
        if field.name in record:
            fields[field.name] = record[field.name]
        elif not field.has_default:
            raise Failure("INTERNAL_ERROR", 'Server_helpers.Dispatcher_FieldNotFound("%s")' % field.name)
        else:
            fields[field.name] = field.default
    return fields


def create(call, cls, record, **extra):
    """The generic constructor (constructor_fields, then `extra`)."""
    fields = constructor_fields(call, cls, record)
    fields.update(extra)
    return call.db.create(cls, fields)
