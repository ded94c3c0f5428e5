"""The XenAPI data model, read from xenapi.json: classes, fields, messages, enums.

Everything generic in the simulator (records, implicit messages, parameter checks, RBAC,
the coverage table) is driven from here, never from hand-written lists.
"""

import functools
import json
import os
from dataclasses import dataclass, field

from .values import EPOCH_DT, NULL_REF, DateTime

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")

# Classes whose objects produce no events [xenapi-notes §3.8].
NO_EVENT_CLASSES = frozenset({"session", "user", "data_source", "auth", "event", "role"})
# No Async. variants for these classes, nor for generated accessors [xenapi-notes §1.6].
NO_ASYNC_CLASSES = frozenset({"session", "event", "task", "data_source", "blob"})

# Trailing parameters that clients may omit, with xapi's defaults [xenapi-notes §1.4].
PARAM_DEFAULTS = {
    "session.login_with_password": {"version": "1.1", "originator": ""},
    "VM.snapshot": {"ignore_vdis": []},
    "VM.migrate_send": {"vgpu_map": {}},
    "VM.assert_can_migrate": {"vgpu_map": {}},
    "host.evacuate": {"network": NULL_REF, "evacuate_batch_size": 0},
    "host.disable_external_auth": {"config": {}},
    "pool.disable_external_auth": {"config": {}},
    "host.emergency_ha_disable": {"soft": False},
    "host.apply_edition": {"force": False},
    "Bond.create": {"mode": "balance-slb", "properties": {}},
    "VDI.snapshot": {"driver_params": {}},
    "VDI.clone": {"driver_params": {}},
    "VDI.copy": {"sr": NULL_REF, "base_vdi": NULL_REF, "into_vdi": NULL_REF},
}


@dataclass(frozen=True)
class XType:
    """A parsed XenAPI type: kind is one of string, int, float, bool, datetime, void,
    ref, enum, set, map, record, option; `of` names the class or enum, `args` the inner types."""

    kind: str
    of: str = ""
    args: tuple = ()

    def __str__(self):
        if self.kind in ("ref", "record"):
            return "%s %s" % (self.of, self.kind)
        if self.kind == "enum":
            return "enum " + self.of
        if self.kind in ("set", "option"):
            return "%s %s" % (self.args[0], self.kind)
        if self.kind == "map":
            return "(%s -> %s) map" % self.args
        return self.kind


@functools.lru_cache(maxsize=None)
def parse_type(text):
    text = text.strip()
    if text == "an event batch":  # event.from's result: {events, valid_ref_counts, token}
        return XType("record", of="event_batch")
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for index, char in enumerate(text):
            depth += char == "("
            depth -= char == ")"
            if depth == 0 and index < len(text) - 1:
                break
        else:
            return parse_type(text[1:-1])
    for suffix in (" set", " option"):
        if text.endswith(suffix):
            return XType(suffix.strip(), args=(parse_type(text[: -len(suffix)]),))
    if text.endswith(" map"):
        inner = text[: -len(" map")].strip()
        assert inner.startswith("(") and inner.endswith(")"), text
        inner = inner[1:-1]
        depth = 0
        for index in range(len(inner) - 1):
            depth += inner[index] == "("
            depth -= inner[index] == ")"
            if depth == 0 and inner[index : index + 4] == " -> ":
                return XType("map", args=(parse_type(inner[:index]), parse_type(inner[index + 4 :])))
        raise ValueError("bad map type %r" % text)
    if text.endswith(" ref"):
        return XType("ref", of=text[:-4])
    if text.endswith(" record"):
        return XType("record", of=text[: -len(" record")])
    if text.startswith("enum "):
        return XType("enum", of=text[5:])
    assert text in ("string", "int", "float", "bool", "datetime", "void"), text
    return XType(text)


@dataclass
class Field:
    name: str
    type: XType
    qualifier: str
    default: object
    state: str
    has_default: bool = False  # the model declares one; fields without one are mandatory in create

    @property
    def writable(self):
        return self.qualifier == "RW"

    @property
    def current(self):
        return self.state != "Removed_s"


@dataclass
class Param:
    name: str
    type: XType


@dataclass(eq=False)  # hashed by identity: handlers are cached per message
class Message:
    cls: str
    name: str
    params: list  # without the session parameter
    result: XType
    roles: tuple
    implicit: bool
    takes_session: bool
    defaults: dict = field(default_factory=dict)

    @property
    def wire_name(self):
        return "%s.%s" % (self.cls, self.name)

    @property
    def required_count(self):
        return len(self.params) - len(self.defaults)

    @property
    def has_async(self):
        if self.cls in NO_ASYNC_CLASSES:
            return False
        if self.implicit:
            return self.name in ("create", "destroy")
        return True


@dataclass
class ClassDef:
    name: str
    fields: dict  # name -> Field, every field of the model
    messages: dict  # name -> Message
    state: str

    @functools.cached_property
    def record_fields(self):
        """The fields get_record returns: all but those removed from the model."""
        return [f for f in self.fields.values() if f.current]

    @functools.cached_property
    def defaults(self):
        return {f.name: f.default for f in self.record_fields}

    @property
    def has_events(self):
        return self.name not in NO_EVENT_CLASSES

    @property
    def has_name_label(self):
        return "name_label" in self.fields


class Model:
    def __init__(self, path=None, errors_path=None):
        path = path or os.path.join(DATA_DIR, "xenapi.json")
        errors_path = errors_path or os.path.join(DATA_DIR, "errors.json")
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
        with open(errors_path, encoding="utf-8") as handle:
            self.errors = json.load(handle)["errors"]
        self.enums = {}
        self.classes = {}
        for cls in raw:
            for enum in cls.get("enums", []):
                self.enums[enum["name"]] = [value["name"] for value in enum["values"]]
        for cls in raw:
            self.classes[cls["name"]] = self._class(cls)
        self.lower_names = {name.lower(): name for name in self.classes}

    def _class(self, raw):
        fields = {}
        for item in raw["fields"]:
            xtype = parse_type(item["type"])
            default = self.parse_default(xtype, item["default"]) if "default" in item else self.zero(xtype)
            fields[item["name"]] = Field(item["name"], xtype, item["qualifier"], default,
                                         item["lifecycle"]["state"], "default" in item)
        messages = {}
        for item in raw["messages"]:
            params = [Param(p["name"], parse_type(p["type"])) for p in item["params"]]
            takes_session = bool(params) and params[0].type == XType("ref", of="session")
            if takes_session:
                params = params[1:]
            wire = "%s.%s" % (raw["name"], item["name"])
            defaults = PARAM_DEFAULTS.get(wire, {})
            defaults = {p.name: defaults[p.name] for p in params if p.name in defaults}
            messages[item["name"]] = Message(
                raw["name"], item["name"], params, parse_type(item["result"][0]), tuple(item["roles"]),
                bool(item.get("implicit")), takes_session, defaults)
        listing = messages.get("get_all_records")
        if listing is not None:  # on the wire, though the model leaves them out [xenapi-notes §2.1]
            expr = [Param("expr", XType("string"))]
            for name, result in (("get_all_records_where", listing.result), ("get_all_where", messages["get_all"].result)):
                messages.setdefault(name, Message(raw["name"], name, expr, result, listing.roles, True, True))
        return ClassDef(raw["name"], fields, messages, raw["lifecycle"]["state"])

    def zero(self, xtype):
        kind = xtype.kind
        if kind == "enum":
            return self.enums[xtype.of][0]
        return {
            "string": "", "int": 0, "float": 0.0, "bool": False, "datetime": EPOCH_DT, "ref": NULL_REF,
            "set": [], "map": {}, "record": {}, "option": None, "void": "",
        }[kind]

    def parse_default(self, xtype, text):
        """Turn the model's printed default (OCaml-ish syntax) into a stored value."""
        kind = xtype.kind
        text = text.strip()
        if kind == "string":
            return text[1:-1] if text.startswith('"') else text
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "bool":
            return text == "true"
        if kind == "datetime":
            return DateTime(text)
        if kind == "ref":
            return NULL_REF if text in ("Null", "OpaqueRef:NULL", "") else text
        if kind == "enum":
            return text
        body = text[1:-1].strip() if text.startswith("{") else text
        if kind == "set":
            items = [part.strip() for part in body.split(",") if part.strip()] if body else []
            return [self.parse_default(xtype.args[0], item) for item in items]
        if kind == "map":
            result = {}
            for pair in (p for p in body.split(",") if p.strip()):
                key, value = pair.split("->")
                result[key.strip().strip('"')] = self.parse_default(xtype.args[1], value.strip())
            return result
        return self.zero(xtype)

    def message(self, cls, name):
        owner = self.classes.get(cls)
        return owner.messages.get(name) if owner else None

    def error_known(self, code):
        return code in self.errors


@functools.lru_cache(maxsize=None)
def load_model():
    return Model()
