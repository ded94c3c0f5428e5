"""Wire parameters -> typed values, with xapi's lenient rules [xenapi-notes §1.2].

An int accepts a decimal string (Python's xmlrpc cannot send ints beyond 2^31), a float
accepts ints and numeric strings, a bool must be a bool, enums match case-insensitively.
A value of the wrong shape is FIELD_TYPE_ERROR naming the parameter; an unknown enum value
is INVALID_VALUE with the parameter and the value.
"""

from .errors import Failure
from .values import DateTime, parse_datetime


def coerce(model, xtype, value, name):
    kind = xtype.kind
    if kind in ("string", "ref"):
        if isinstance(value, str):
            return value
    elif kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
    elif kind == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif kind == "bool":
        if isinstance(value, bool):
            return value
    elif kind == "datetime":
        if isinstance(value, DateTime):
            return value
        if isinstance(value, str):
            try:
                return parse_datetime(value)
            except ValueError:
                pass
    elif kind == "enum":
        if isinstance(value, str):
            for member in model.enums[xtype.of]:
                if member.lower() == value.lower():
                    return member
            raise Failure("INVALID_VALUE", name, value)
    elif kind == "set":
        if isinstance(value, list):
            return [coerce(model, xtype.args[0], item, name) for item in value]
    elif kind == "map":
        if isinstance(value, dict):
            key_type, value_type = xtype.args
            return {str(coerce(model, key_type, k, name)): coerce(model, value_type, v, name) for k, v in value.items()}
    elif kind == "record":
        if isinstance(value, dict):
            fields = model.classes[xtype.of].fields
            return {k: coerce(model, fields[k].type, v, k) if k in fields else v for k, v in value.items()}
    elif kind == "option":
        return None if value in (None, "") else coerce(model, xtype.args[0], value, name)
    raise Failure("FIELD_TYPE_ERROR", name)
