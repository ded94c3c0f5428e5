"""Wire parameters -> typed values, as xapi unmarshals them [xenapi-notes §1.2].

xapi's generated server converts every parameter with ocaml-rpc's `*_of_rpc` before it
checks the session (xen-api ocaml/idl/ocaml_backend/gen_server.ml). The rules are lenient
where ocaml-rpc is (src/lib/rpc.ml): an int accepts a decimal string (Python's xmlrpc cannot
send ints beyond 2^31), a float accepts ints and numeric strings, an enum matches without
regard to case. A value of the wrong shape makes ocaml-rpc `failwith`, and xapi's catch-all
(ocaml/xapi/exnHelper.ml) answers INTERNAL_ERROR with the printed exception, e.g.
INTERNAL_ERROR ['Failure("Expected bool, got \\'S(yes)\\'")'] or ['Failure("Unknown tag/contents")'].
"""

import re

from .errors import Failure
from .values import DateTime, parse_datetime

_INT64 = re.compile(r"[+-]?(?:0[xX](?P<hex>[0-9a-fA-F_]+)|0[oO](?P<oct>[0-7_]+)|0[bB](?P<bin>[01_]+)"
                    r"|(?:0[uU])?(?P<dec>[0-9][0-9_]*))\Z")


def _ocaml_escaped(text):
    """OCaml's String.escaped, on the UTF-8 bytes (what %S prints inside the quotes)."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif char in "\n\t\r\b":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b"}[char])
        elif 32 <= byte <= 126:
            out.append(char)
        else:
            out.append("\\%03d" % byte)
    return "".join(out)


def _rpc(value):
    """ocaml-rpc's Rpc.to_string of a wire value: I(1), S(text), B(true), [..;..], {k:v}."""
    if isinstance(value, bool):
        return "B(%s)" % ("true" if value else "false")
    if isinstance(value, int):
        return "I(%d)" % value
    if isinstance(value, float):
        return "F(%g)" % value
    if isinstance(value, DateTime):
        return "D(%s)" % value
    if isinstance(value, str):
        return "S(%s)" % value
    if isinstance(value, (list, tuple)):
        return "[%s]" % ";".join(_rpc(item) for item in value)
    if isinstance(value, dict):
        return "{%s}" % ";".join("%s:%s" % (key, _rpc(item)) for key, item in value.items())
    return "N"


def unmarshal_error(message):
    """The answer xapi gives when ocaml-rpc fails with `Failure message`."""
    return Failure("INTERNAL_ERROR", 'Failure("%s")' % _ocaml_escaped(message))


def _int64(text):
    match = _INT64.match(text)
    if match:
        base, digits = next((b, match.group(g)) for g, b in (("hex", 16), ("oct", 8), ("bin", 2), ("dec", 10))
                            if match.group(g) is not None)
        digits = digits.replace("_", "")
        if digits:
            number = int(digits, base) * (-1 if text.startswith("-") else 1)
            if -(2 ** 63) <= number < 2 ** 63:
                return number
    raise unmarshal_error("Int64.of_string")


def coerce(model, xtype, value, name):
    kind = xtype.kind
    if kind in ("string", "ref"):
        if isinstance(value, str) and not isinstance(value, DateTime):
            return value
        raise unmarshal_error("Expected string, got '%s'" % _rpc(value))
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, str) and not isinstance(value, DateTime):
            return _int64(value)
        raise unmarshal_error("Expected int64, got '%s'" % _rpc(value))
    if kind == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and not isinstance(value, DateTime):
            try:
                return float(value.replace("_", ""))
            except ValueError:
                raise unmarshal_error("float_of_string") from None
        raise unmarshal_error("Expected float, got '%s'" % _rpc(value))
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise unmarshal_error("Expected bool, got '%s'" % _rpc(value))
    if kind == "datetime":
        if isinstance(value, str):
            try:
                return parse_datetime(value)
            except ValueError:
                raise Failure("INTERNAL_ERROR", "Invalid argument: Clock__Date.of_iso8601: %s" % value) from None
        raise unmarshal_error("Date.t_of_rpc")
    if kind == "enum":
        if isinstance(value, str):
            for member in model.enums[xtype.of]:
                if member.lower() == value.lower():
                    return member
        raise unmarshal_error("Unknown tag/contents")
    if kind == "set":
        if isinstance(value, list):
            return [coerce(model, xtype.args[0], item, name) for item in value]
        raise unmarshal_error("Expecting Rpc.Enum, but found '%s'" % _rpc(value))
    if kind == "map":
        if isinstance(value, dict):
            key_type, value_type = xtype.args
            return {str(coerce(model, key_type, k, name)): coerce(model, value_type, v, name) for k, v in value.items()}
        raise unmarshal_error("Expecting Rpc.Dict, but found '%s'" % _rpc(value))
    if kind == "record":
        if isinstance(value, dict):
            fields = model.classes[xtype.of].fields
            return {k: coerce(model, fields[k].type, v, k) if k in fields else v for k, v in value.items()}
        raise unmarshal_error("bad __structure")
    if kind == "option":
        return None if value in (None, "") else coerce(model, xtype.args[0], value, name)
    raise unmarshal_error("Expected %s, got '%s'" % (kind, _rpc(value)))
