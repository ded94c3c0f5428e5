"""XML-RPC as xapi speaks it [xenapi-notes §1.2].

Requests are parsed with the standard library (expat); answers are written by hand because
xapi's encoding differs from Python's: ints go as untyped strings, member names and strings
carry no <string> tag, and void is an empty value.
"""

import xmlrpc.client

from ..values import DateTime, Int32, parse_datetime


class MalformedRequest(Exception):
    """The body cannot be an XML-RPC call; xapi answers HTTP 500."""


def parse_request(body):
    """bytes -> (method name, params list) with datetimes as DateTime strings."""
    try:
        params, method = xmlrpc.client.loads(body, use_builtin_types=False)
    except Exception as exc:  # expat, ResponseError, ValueError on bad ints: all are "malformed"
        raise MalformedRequest("Xmlrpc.Parse_error(%s)" % type(exc).__name__) from None
    if method is None:  # an empty <methodName/> is a name, "", as in ocaml-rpc
        raise MalformedRequest("Xmlrpc.Parse_error(no methodName)")
    return method, [_from_python(p) for p in params]


def _from_python(value):
    if isinstance(value, xmlrpc.client.DateTime):
        return parse_datetime(value.value)
    if isinstance(value, xmlrpc.client.Binary):
        return value.data.decode("latin-1")
    if isinstance(value, list):
        return [_from_python(v) for v in value]
    if isinstance(value, dict):
        return {k: _from_python(v) for k, v in value.items()}
    return value


# Characters XML 1.0 cannot carry: ocaml-rpc drops them from strings (encode_buf), so a
# name set through JSON-RPC with a control character still reads as valid XML.
_DROPPED = {code: None for code in range(32) if code not in (9, 10, 13)}


def _escape(text):
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    if not text.isprintable():
        text = text.translate(_DROPPED)
    return text


def encode_value(value, out):
    kind = type(value)
    if kind is str:
        out.append("<value>%s</value>" % _escape(value))
    elif kind is dict:
        out.append("<value><struct>")
        for key, item in value.items():
            out.append("<member><name>%s</name>" % _escape(str(key)))
            encode_value(item, out)
            out.append("</member>")
        out.append("</struct></value>")
    elif kind is list or kind is tuple:
        out.append("<value><array><data>")
        for item in value:
            encode_value(item, out)
        out.append("</data></array></value>")
    elif kind is bool:
        out.append("<value><boolean>%d</boolean></value>" % value)
    elif kind is DateTime:
        out.append("<value><dateTime.iso8601>%s</dateTime.iso8601></value>" % value)
    elif kind is Int32:
        out.append("<value><i4>%d</i4></value>" % value)
    elif kind is int:
        out.append("<value>%d</value>" % value)
    elif kind is float:
        out.append("<value><double>%.16g</double></value>" % value)
    elif value is None:
        out.append("<value></value>")
    else:
        out.append("<value>%s</value>" % _escape(str(value)))


def value_to_string(value):
    """The XML-RPC text of one value: what xapi puts in task.result."""
    out = []
    encode_value(value, out)
    return "".join(out)


def _response(struct):
    out = ['<?xml version="1.0"?><methodResponse><params><param>']  # as ocaml-rpc writes it
    encode_value(struct, out)
    out.append("</param></params></methodResponse>")
    return "".join(out).encode("utf-8")


def success(value):
    return _response({"Status": "Success", "Value": "" if value is None else value})


def failure(description):
    return _response({"Status": "Failure", "ErrorDescription": list(description)})


def raw(value):
    """system.listMethods answers without the Status wrapper."""
    return _response(value)
