"""JSON-RPC 1.0 and 2.0 at /jsonrpc, as xapi answers it [xenapi-notes §1.3]."""

import json

from .xmlrpc import MalformedRequest


class Request:
    __slots__ = ("method", "params", "id", "v2")

    def __init__(self, method, params, request_id, v2):
        self.method = method
        self.params = params
        self.id = request_id
        self.v2 = v2


def parse_request(body):
    """As ocaml-rpc's Jsonrpc.version_id_and_call_of_string: "jsonrpc" absent is 1.0,
    "2.0" is 2.0, anything else (null too) is malformed; v1 needs a "params" array, v2 may
    omit it or send an object (one parameter); the id must be a non-null int or string."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(not JSON)") from None
    if not isinstance(data, dict):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(Invalid request body)")
    if "method" not in data:
        raise MalformedRequest("Jsonrpc.Malformed_method_request(Required field method is missing)")
    method = data["method"]
    if not isinstance(method, str):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(Invalid field 'method' in request body)")
    if "jsonrpc" in data and data["jsonrpc"] != "2.0":
        raise MalformedRequest("Jsonrpc.Malformed_method_request(Invalid field 'jsonrpc' in request body)")
    v2 = "jsonrpc" in data
    params = data.get("params")
    if v2 and params is None:
        params = []
    elif v2 and isinstance(params, dict):
        params = [params]
    elif not v2 and "params" not in data:
        raise MalformedRequest("Jsonrpc.Malformed_method_request(Required field params is missing)")
    if not isinstance(params, list):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(Invalid field 'params' in request body)")
    request_id = data.get("id")
    if request_id is None or isinstance(request_id, (bool, dict, list, float)):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(Invalid field 'id' in request body)")
    return Request(method, params, request_id, v2)


def _dumps(value):
    return json.dumps(value, separators=(",", ":")).encode("utf-8")  # compact, as Yojson writes it


def success(request, value):
    value = "" if value is None else value
    if request.v2:
        return _dumps({"jsonrpc": "2.0", "result": value, "id": request.id})
    return _dumps({"result": value, "error": None, "id": request.id})


def failure(request, description):
    code, params = description[0], list(description[1:])
    if request.v2:
        error = {"code": 1, "message": code, "data": params}
        return _dumps({"jsonrpc": "2.0", "error": error, "id": request.id})
    return _dumps({"result": None, "error": [code] + params, "id": request.id})
