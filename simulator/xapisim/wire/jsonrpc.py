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
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(not JSON)") from None
    if not isinstance(data, dict):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(not an object)")
    version = data.get("jsonrpc")
    if version not in (None, "2.0"):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(jsonrpc=%r)" % (version,))
    v2 = version == "2.0"
    method = data.get("method")
    params = data.get("params")
    request_id = data.get("id")
    if not isinstance(method, str):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(method)")
    if request_id is None or isinstance(request_id, (bool, dict, list, float)):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(id)")
    if params is None and v2:
        params = []
    if not isinstance(params, list):
        raise MalformedRequest("Jsonrpc.Malformed_method_request(params)")
    return Request(method, params, request_id, v2)


def success(request, value):
    value = "" if value is None else value
    if request.v2:
        return json.dumps({"jsonrpc": "2.0", "result": value, "id": request.id}).encode("utf-8")
    return json.dumps({"result": value, "error": None, "id": request.id}).encode("utf-8")


def failure(request, description):
    code, params = description[0], list(description[1:])
    if request.v2:
        error = {"code": 1, "message": code, "data": params}
        return json.dumps({"jsonrpc": "2.0", "error": error, "id": request.id}).encode("utf-8")
    return json.dumps({"result": None, "error": [code] + params, "id": request.id}).encode("utf-8")
