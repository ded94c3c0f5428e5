"""A machine's BMC: the Redfish calls a provisioning tool uses, with basic auth (DMTF DSP0266).

    GET   /redfish/v1                                            service root (no auth)
    GET   /redfish/v1/Systems                                    one member: /redfish/v1/Systems/1
    GET   /redfish/v1/Systems/1                                  PowerState, Boot, Status
    PATCH /redfish/v1/Systems/1                                  {"Boot": {BootSourceOverride*}} -> 204
    POST  /redfish/v1/Systems/1/Actions/ComputerSystem.Reset     {"ResetType"} -> 204
    GET   /redfish/v1/Systems/1/LogServices/Log/Entries          the BMC's log
    POST  /redfish/v1/Systems/1/LogServices/Log/Actions/LogService.ClearLog
Errors are Redfish error bodies: {"error": {"code", "message", "@Message.ExtendedInfo": [...]}}.
"""

import base64
import binascii
import hmac
import json
import logging

from .machine import MODES, OVERRIDE_ENABLED, OVERRIDE_TARGETS, Conflict

LOG = logging.getLogger("xapisim")
RESET_TYPES = ("On", "ForceOff", "ForceRestart", "PowerCycle", "GracefulShutdown", "GracefulRestart")
MAX_BODY = 64 * 1024
SYSTEM = "/redfish/v1/Systems/1"
LOG_ENTRIES = SYSTEM + "/LogServices/Log/Entries"


class _Error(Exception):
    def __init__(self, status, message_id, message):
        super().__init__(message)
        self.status, self.message_id, self.message = status, message_id, message


def _send(handler, status, payload=None, extra=None):
    body = json.dumps(payload).encode("utf-8") if payload is not None else b""
    handler.send_response(status)
    if payload is not None:
        handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("OData-Version", "4.0")
    for key, value in (extra or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


def _error_body(message_id, message):
    return {"error": {"code": "Base.1.8.GeneralError",
                      "message": "A general error has occurred. See ExtendedInfo for more information.",
                      "@Message.ExtendedInfo": [{"@odata.type": "#Message.v1_1_1.Message",
                                                 "MessageId": "Base.1.8." + message_id, "Message": message,
                                                 "Severity": "Warning", "Resolution": "None"}]}}


def _read_body(handler):
    """The raw body (read away even when it is refused, so the connection stays usable)."""
    length = handler.headers.get("Content-Length", "0").strip()
    if not length.isdigit() or int(length) > MAX_BODY:
        handler.close_connection = True
        raise _Error(400, "MalformedJSON", "The request body needs a Content-Length of at most %d." % MAX_BODY)
    return handler.rfile.read(int(length))


def _json(raw):
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise _Error(400, "MalformedJSON", "The request body submitted was malformed JSON.") from None
    if not isinstance(data, dict):
        raise _Error(400, "MalformedJSON", "The request body must be a JSON object.")
    return data


def _authorized(handler, machine):
    header = handler.headers.get("Authorization", "")
    scheme, dummy, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, dummy, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return (hmac.compare_digest(user.encode("utf-8"), machine.bmc_username.encode("utf-8"))
            and hmac.compare_digest(password.encode("utf-8"), machine.bmc_password.encode("utf-8")))


def service_root():
    return {"@odata.id": "/redfish/v1", "@odata.type": "#ServiceRoot.v1_5_0.ServiceRoot", "Id": "RootService",
            "Name": "Root Service", "RedfishVersion": "1.8.0", "Systems": {"@odata.id": "/redfish/v1/Systems"}}


def system(machine):
    power = machine.power_state()
    with machine.lab.lock:
        boot = dict(machine.override)
        stage = machine.stage
    boot["BootSourceOverrideTarget@Redfish.AllowableValues"] = list(OVERRIDE_TARGETS)
    boot["BootSourceOverrideMode@Redfish.AllowableValues"] = [MODES[machine.firmware]]
    return {
        "@odata.id": SYSTEM, "@odata.type": "#ComputerSystem.v1_10_0.ComputerSystem", "Id": "1",
        "Name": machine.name, "HostName": machine.name, "Manufacturer": "xapisim", "Model": "Lab machine",
        "SerialNumber": "XAPISIM-%s" % machine.mac.replace(":", "").upper(), "SystemType": "Physical",
        "PowerState": power, "Boot": boot,
        "Status": {"State": "Enabled", "Health": "Critical" if stage == "halted" else "OK"},
        "MemorySummary": {"TotalSystemMemoryGiB": machine.memory // 1024 ** 3},
        "ProcessorSummary": {"Count": max(1, machine.cpus // 16), "LogicalProcessorCount": machine.cpus},
        "BiosVersion": "2.19.1" if machine.firmware == "bios" else "2.19.1 (UEFI)",
        "LogServices": {"@odata.id": SYSTEM + "/LogServices"},
        "Actions": {"#ComputerSystem.Reset": {"target": SYSTEM + "/Actions/ComputerSystem.Reset",
                                              "ResetType@Redfish.AllowableValues": list(RESET_TYPES)}},
    }


def _patch(machine, body):
    boot = body.get("Boot")
    if not isinstance(boot, dict) or not boot:
        raise _Error(400, "PropertyMissing", "The property Boot is a required property and must be included.")
    allowed = {"BootSourceOverrideEnabled": OVERRIDE_ENABLED, "BootSourceOverrideTarget": OVERRIDE_TARGETS,
               "BootSourceOverrideMode": (MODES[machine.firmware],)}
    for key, value in boot.items():
        if key not in allowed:
            raise _Error(400, "PropertyUnknown", "The property %s is not in the list of valid properties." % key)
        if value not in allowed[key]:
            raise _Error(400, "PropertyValueNotInList",
                         "The value %s for the property %s is not in the list of acceptable values (%s)."
                         % (json.dumps(value), key, ", ".join(allowed[key])))
    with machine.lab.lock:
        machine.override.update(boot)
        if machine.override["BootSourceOverrideTarget"] == "None":
            machine.override["BootSourceOverrideEnabled"] = "Disabled"
        elif boot.get("BootSourceOverrideEnabled") is None and machine.override["BootSourceOverrideEnabled"] == "Disabled":
            machine.override["BootSourceOverrideEnabled"] = "Once"


def _reset(machine, body):
    kind = body.get("ResetType")
    if kind is None:
        raise _Error(400, "ActionParameterMissing",
                     "The action ComputerSystem.Reset requires the parameter ResetType to be present in the request body.")
    if kind not in RESET_TYPES:
        raise _Error(400, "ActionParameterValueNotInList", "The value %s for the parameter ResetType in the action "
                     "ComputerSystem.Reset is not in the list of acceptable values (%s)."
                     % (json.dumps(kind), ", ".join(RESET_TYPES)))
    try:
        machine.reset(kind)
    except Conflict as exc:
        raise _Error(409, "OperationNotAllowed", str(exc)) from None


def _entries(machine):
    with machine.lab.lock:
        entries = [dict(entry, **{"@odata.id": "%s/%s" % (LOG_ENTRIES, entry["Id"]),
                                  "@odata.type": "#LogEntry.v1_4_0.LogEntry", "Name": "Log Entry " + entry["Id"],
                                  "EntryType": "Event"}) for entry in machine.log]
    return {"@odata.id": LOG_ENTRIES, "@odata.type": "#LogEntryCollection.LogEntryCollection",
            "Name": "Log Entry Collection", "Members@odata.count": len(entries), "Members": entries}


def _route(raw, machine, verb, path):
    routes = {
        ("GET", "/redfish/v1/Systems"): lambda: (200, {
            "@odata.id": "/redfish/v1/Systems", "@odata.type": "#ComputerSystemCollection.ComputerSystemCollection",
            "Name": "Computer System Collection", "Members@odata.count": 1, "Members": [{"@odata.id": SYSTEM}]}),
        ("GET", SYSTEM): lambda: (200, system(machine)),
        ("PATCH", SYSTEM): lambda: (204, _patch(machine, _json(raw))),
        ("POST", SYSTEM + "/Actions/ComputerSystem.Reset"): lambda: (204, _reset(machine, _json(raw))),
        ("GET", SYSTEM + "/LogServices"): lambda: (200, {
            "@odata.id": SYSTEM + "/LogServices", "Name": "Log Service Collection", "Members@odata.count": 1,
            "Members": [{"@odata.id": SYSTEM + "/LogServices/Log"}]}),
        ("GET", SYSTEM + "/LogServices/Log"): lambda: (200, {
            "@odata.id": SYSTEM + "/LogServices/Log", "Id": "Log", "Name": "System Event Log",
            "Entries": {"@odata.id": LOG_ENTRIES}}),
        ("GET", LOG_ENTRIES): lambda: (200, _entries(machine)),
        ("POST", SYSTEM + "/LogServices/Log/Actions/LogService.ClearLog"): lambda: (204, machine.clear_log()),
    }
    action = routes.get((verb, path))
    if action is None:
        if any(route_path == path for dummy, route_path in routes):
            raise _Error(405, "OperationNotAllowed", "%s is not allowed on %s." % (verb, path))
        raise _Error(404, "ResourceMissingAtURI", "The resource at the URI %s was not found." % path)
    return action()


def serve(handler, machine, verb, path):
    """Answer one request to `machine`'s BMC."""
    path = path.rstrip("/") or "/"
    try:
        if path in ("/redfish", "/redfish/v1") and verb == "GET":
            _send(handler, 200, service_root() if path == "/redfish/v1" else {"v1": "/redfish/v1/"})
            return
        raw = _read_body(handler) if verb in ("POST", "PATCH", "PUT") else b""
        if not _authorized(handler, machine):
            raise _Error(401, "AccessDenied", "While attempting to establish a connection to %s, the service denied "
                         "access." % path)
        status, payload = _route(raw, machine, verb, path)
        _send(handler, status, payload if status != 204 else None)
    except _Error as exc:
        extra = {"WWW-Authenticate": 'Basic realm="Redfish"'} if exc.status == 401 else None
        _send(handler, exc.status, _error_body(exc.message_id, exc.message), extra)
    except Exception as exc:  # a bug of the simulator: say so, as a BMC's 500, rather than drop the connection
        LOG.exception("lab BMC %s: %s %s", machine.name, verb, path)
        handler.close_connection = True
        _send(handler, 500, _error_body("InternalError", "xapisim: %s" % exc))


def endpoint(machine):
    """The world's extra endpoint for this BMC's address."""
    return lambda handler, verb, path: serve(handler, machine, verb, path)
