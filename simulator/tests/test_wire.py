"""The wire as xapi writes and reads it [xenapi-notes §1.1-1.3]: XML-RPC at / and /RPC2,
JSON-RPC 1.0 and 2.0 at /jsonrpc, their envelopes, value encodings, alternative names,
system.listMethods, CORS and the HTTP 500 answers to malformed requests.

Answers are checked as raw bytes or parsed from the raw XML, never through a client
library that would hide how a value was typed.
"""

import json
import re
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import pytest
import requests
import XenAPI
from conftest import JsonRpc, sdk_session, wait_until

from xapisim.model import load_model

DATETIME = re.compile(r"\d{8}T\d{2}:\d{2}:\d{2}Z\Z")
XML_PROLOG = b'<?xml version="1.0"?><methodResponse><params><param>'
XML_END = b"</param></params></methodResponse>"


def post(sim, path, body, address=None, headers=None):
    return requests.post(sim.url(address) + path, data=body, verify=sim.ca_path or False, timeout=30,
                         headers=headers or {})


def call_xml(method, *values):
    """A methodCall whose params are raw <value> elements."""
    params = "".join("<param>%s</param>" % value for value in values)
    return ('<?xml version="1.0"?><methodCall><methodName>%s</methodName><params>%s</params></methodCall>'
            % (escape(method), params)).encode("utf-8")


def text(value):
    return "<value>%s</value>" % escape(value)


def decode(value):
    """A <value> element as a tree that keeps the XML-RPC typing: untyped text is
    ("", text), typed scalars (tag, text), arrays lists and structs dicts."""
    children = list(value)
    if not children:
        return ("", value.text or "")
    inner = children[0]
    if inner.tag == "struct":
        return {member.find("name").text or "": decode(member.find("value")) for member in inner}
    if inner.tag == "array":
        return [decode(item) for item in inner.find("data")]
    return (inner.tag, inner.text or "")


def response_value(raw):
    """The top value of a methodResponse, decoded."""
    root = ElementTree.fromstring(raw)
    assert root.tag == "methodResponse"
    return decode(root.find("params/param/value"))


def xml_rpc(sim, method, *values, path="/", address=None):
    """(Status, Value or ErrorDescription) of a raw XML-RPC call, typing kept."""
    response = post(sim, path, call_xml(method, *values), address)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml"
    envelope = response_value(response.content)
    assert set(envelope) in ({"Status", "Value"}, {"Status", "ErrorDescription"})
    status = envelope["Status"][1]
    return status, envelope["Value" if status == "Success" else "ErrorDescription"]


def xml_login(sim, path="/"):
    status, value = xml_rpc(sim, "session.login_with_password", text("root"), text(sim.password), path=path)
    assert status == "Success"
    return value[1]


def strings(description):
    return [item[1] for item in description]


@pytest.fixture
def session(served):
    return xml_login(served)


def vm_ref(rpc, name):
    return rpc("VM.get_by_name_label", rpc.session, name)[0]


# ---- XML-RPC endpoints and envelopes ---------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/RPC2", "/json"])
def test_xmlrpc_paths_serve_the_same_api(served, path):
    session = xml_login(served, path)
    assert re.fullmatch(r"OpaqueRef:[0-9a-f-]{36}", session)
    status, value = xml_rpc(served, "VM.get_all", text(session), path=path)
    assert status == "Success" and len(value) == 40 and all(kind == "" for kind, dummy in value)


def test_xmlrpc_success_envelope_bytes(served, session):
    """void is an empty <value>, strings carry no <string> tag, the prolog is ocaml-rpc's."""
    response = post(served, "/", call_xml("session.logout", text(session)))
    assert response.content == (XML_PROLOG + b"<value><struct><member><name>Status</name><value>Success</value>"
                                b"</member><member><name>Value</name><value></value></member></struct></value>"
                                + XML_END)


def test_xmlrpc_failure_envelope_bytes(served, session):
    response = post(served, "/RPC2", call_xml("VM.get_record", text(session), text("OpaqueRef:nope")))
    assert response.status_code == 200
    assert response.content == (XML_PROLOG + b"<value><struct><member><name>Status</name><value>Failure</value>"
                                b"</member><member><name>ErrorDescription</name><value><array><data>"
                                b"<value>HANDLE_INVALID</value><value>VM</value><value>OpaqueRef:nope</value>"
                                b"</data></array></value></member></struct></value>" + XML_END)


# ---- JSON-RPC envelopes ---------------------------------------------------------------------------

def jsonrpc_post(sim, body):
    response = requests.post(sim.url() + "/jsonrpc", data=json.dumps(body), verify=sim.ca_path, timeout=30,
                             headers={"Content-Type": "application/json"})
    return response


def test_jsonrpc_v1_envelopes(served):
    login = {"method": "session.login_with_password", "params": ["root", served.password], "id": 7}
    response = jsonrpc_post(served, login)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    answer = response.json()
    assert list(answer) == ["result", "error", "id"]
    assert answer["error"] is None and answer["id"] == 7 and answer["result"].startswith("OpaqueRef:")
    session = answer["result"]
    failed = jsonrpc_post(served, {"method": "VM.get_record", "params": [session, "OpaqueRef:x"], "id": "req-1"})
    assert failed.content == b'{"result":null,"error":["HANDLE_INVALID","VM","OpaqueRef:x"],"id":"req-1"}'
    done = jsonrpc_post(served, {"method": "session.logout", "params": [session], "id": 8})
    assert done.content == b'{"result":"","error":null,"id":8}'


def test_jsonrpc_v2_envelopes(served):
    login = {"jsonrpc": "2.0", "method": "session.login_with_password", "params": ["root", served.password], "id": 1}
    answer = jsonrpc_post(served, login).json()
    assert list(answer) == ["jsonrpc", "result", "id"]
    assert answer["jsonrpc"] == "2.0" and answer["id"] == 1
    session = answer["result"]
    failed = jsonrpc_post(served, {"jsonrpc": "2.0", "method": "VM.get_by_uuid", "params": [session, "u-1"],
                                   "id": "two"})
    assert failed.content == (b'{"jsonrpc":"2.0","error":{"code":1,"message":"UUID_INVALID",'
                              b'"data":["VM","u-1"]},"id":"two"}')
    done = jsonrpc_post(served, {"jsonrpc": "2.0", "method": "session.logout", "params": [session], "id": 3})
    assert done.content == b'{"jsonrpc":"2.0","result":"","id":3}'


def test_jsonrpc_v2_params_may_be_absent_null_or_an_object(served):
    """ocaml-rpc: v2 params absent or null are [], an object is one parameter."""
    for body in ({"jsonrpc": "2.0", "method": "VM.get_all", "id": 1},
                 {"jsonrpc": "2.0", "method": "VM.get_all", "params": None, "id": 1}):
        assert jsonrpc_post(served, body).json()["error"] == {
            "code": 1, "message": "MESSAGE_PARAMETER_COUNT_MISMATCH", "data": ["VM.get_all", "0", "-1"]}
    answer = jsonrpc_post(served, {"jsonrpc": "2.0", "method": "session.logout", "params": {"a": 1}, "id": 1}).json()
    assert answer["error"] == {"code": 1, "message": "INTERNAL_ERROR",
                               "data": ["Failure(\"Expected string, got '{a:I(1)}'\")"]}


# ---- value encodings -----------------------------------------------------------------------------

def test_ints_are_untyped_strings_in_xmlrpc_and_numbers_in_json(served, session, rpc):
    db = vm_ref(rpc, "db-01")
    status, value = xml_rpc(served, "VM.get_memory_static_max", text(session), text(db))
    assert (status, value) == ("Success", ("", "8589934592"))  # beyond 2^31, no <i4>/<int>
    assert xml_rpc(served, "VM.get_VCPUs_max", text(session), text(db)) == ("Success", ("", "4"))
    assert rpc("VM.get_memory_static_max", rpc.session, db) == 8589934592
    raw = post(served, "/", call_xml("VM.get_VCPUs_max", text(session), text(db))).content
    assert b"<name>Value</name><value>4</value>" in raw


@pytest.mark.parametrize("encoded, expected", [
    ("<value><string>5000000000</string></value>", "5000000000"),
    ("<value>6000000000</value>", "6000000000"),
    ("<value><i8>7000000000</i8></value>", "7000000000"),
    ("<value><int>42</int></value>", "42"),
    ("<value><i4>-43</i4></value>", "-43"),
])
def test_int_params_accept_typed_ints_and_decimal_strings(served, session, rpc, encoded, expected):
    vm = vm_ref(rpc, "build-01")
    assert xml_rpc(served, "VM.set_user_version", text(session), text(vm), encoded) == ("Success", ("", ""))
    assert xml_rpc(served, "VM.get_user_version", text(session), text(vm)) == ("Success", ("", expected))


def test_int_params_in_json_as_numbers_or_strings(rpc):
    vm = vm_ref(rpc, "build-01")
    rpc("VM.set_user_version", rpc.session, vm, "8000000000")
    assert rpc("VM.get_user_version", rpc.session, vm) == 8000000000
    rpc("VM.set_user_version", rpc.session, vm, 9000000000)
    assert rpc("VM.get_user_version", rpc.session, vm) == 9000000000


def test_sdk_sends_big_ints_as_strings(sdk):
    vm = sdk.xenapi.VM.get_by_name_label("build-01")[0]
    assert sdk.xenapi.VM.set_user_version(vm, str(2 ** 40)) == ""
    assert sdk.xenapi.VM.get_user_version(vm) == str(2 ** 40)


def test_datetimes_bools_floats_and_void(served, session, rpc):
    status, value = xml_rpc(served, "session.get_last_active", text(session), text(session))
    assert status == "Success" and value[0] == "dateTime.iso8601" and DATETIME.match(value[1])
    epoch = xml_rpc(served, "VM.get_snapshot_time", text(session), text(vm_ref(rpc, "web-01")))
    assert epoch == ("Success", ("dateTime.iso8601", "19700101T00:00:00Z"))
    assert DATETIME.match(rpc("session.get_last_active", rpc.session, rpc.session))
    template = vm_ref(rpc, "Debian Bookworm 12")
    assert xml_rpc(served, "VM.get_is_a_template", text(session), text(template)) == ("Success", ("boolean", "1"))
    assert xml_rpc(served, "VM.get_is_a_template", text(session), text(vm_ref(rpc, "web-01"))) == (
        "Success", ("boolean", "0"))
    assert xml_rpc(served, "VM.get_HVM_shadow_multiplier", text(session), text(template)) == (
        "Success", ("double", "1"))
    assert rpc("VM.get_HVM_shadow_multiplier", rpc.session, template) == 1.0
    assert rpc("VM.get_is_a_template", rpc.session, template) is True
    assert xml_rpc(served, "VM.set_name_description", text(session), text(template), text("d")) == (
        "Success", ("", ""))
    assert rpc("VM.set_name_description", rpc.session, template, "") == ""


def test_records_structs_arrays_and_null_refs(served, session, rpc):
    halted = vm_ref(rpc, "build-01")
    status, record = xml_rpc(served, "VM.get_record", text(session), text(halted))
    assert status == "Success" and isinstance(record, dict)
    assert record["resident_on"] == ("", "OpaqueRef:NULL") and record["affinity"] == ("", "OpaqueRef:NULL")
    assert record["tags"] == [("", "ci")] and record["power_state"] == ("", "Halted")
    assert record["is_a_template"] == ("boolean", "0") and record["memory_static_max"] == ("", "4294967296")
    assert record["blocked_operations"] == {} and record["name_label"] == ("", "build-01")
    json_record = rpc("VM.get_record", rpc.session, halted)
    assert set(json_record) == set(record)
    assert json_record["resident_on"] == "OpaqueRef:NULL" and json_record["memory_static_max"] == 4294967296
    mine = rpc("session.get_record", rpc.session, rpc.session)
    assert mine["subject"] == mine["this_user"] == mine["parent"] == "OpaqueRef:NULL"


def test_strings_are_escaped_and_control_characters_dropped(served, session, rpc):
    """ocaml-rpc escapes & < > " and drops characters XML cannot carry (tab, LF, CR stay)."""
    vm = vm_ref(rpc, "build-01")
    rpc("VM.set_name_description", rpc.session, vm, 'a<b>&"c"\x01\x1f\td')
    assert rpc("VM.get_name_description", rpc.session, vm) == 'a<b>&"c"\x01\x1f\td'
    raw = post(served, "/", call_xml("VM.get_name_description", text(session), text(vm))).content
    assert b"<value>a&lt;b&gt;&amp;&quot;c&quot;\td</value>" in raw
    assert xml_rpc(served, "VM.get_name_description", text(session), text(vm)) == ("Success", ("", 'a<b>&"c"\td'))


def test_xmlrpc_empty_and_nil_values_are_read_as_xapi_does(served, session, rpc):
    vm = vm_ref(rpc, "build-01")
    assert xml_rpc(served, "VM.set_name_description", text(session), text(vm), "<value/>")[0] == "Success"
    assert rpc("VM.get_name_description", rpc.session, vm) == ""
    assert xml_rpc(served, "VM.set_tags", text(session), text(vm), "<value><array><data/></array></value>") == (
        "Success", ("", ""))
    assert rpc("VM.get_tags", rpc.session, vm) == []
    assert xml_rpc(served, "VM.set_other_config", text(session), text(vm), "<value><struct/></value>")[0] == "Success"
    assert rpc("VM.get_other_config", rpc.session, vm) == {}
    status, error = xml_rpc(served, "VM.set_name_description", text(session), text(vm), "<value><nil/></value>")
    assert (status, strings(error)) == ("Failure", ["INTERNAL_ERROR", "Failure(\"Expected string, got 'N'\")"])


# ---- method names --------------------------------------------------------------------------------

def test_alternative_wire_names(served, session, rpc):
    assert rpc("VM_get_all", rpc.session) == rpc("VM.get_all", rpc.session)
    assert rpc("VM_guest_metrics_get_all", rpc.session) == rpc("VM_guest_metrics.get_all", rpc.session)
    status, value = xml_rpc(served, "host_get_all", text(session))
    assert status == "Success" and len(value) == 3
    with pytest.raises(XenAPI.Failure) as failure:
        rpc("VM_start", rpc.session, vm_ref(rpc, "build-01"))
    assert failure.value.details == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM_start", "3", "1"]
    with pytest.raises(XenAPI.Failure) as failure:
        rpc("Async.VM_get_all", rpc.session)
    assert failure.value.details == ["Fault", "No async mode for this operation (rpc: VM_get_all)"]


def test_event_from_by_its_alternative_name(served):
    """watch-all-events.py calls session.xenapi.event_from(...)."""
    sdk = sdk_session(served)
    sdk.xenapi.login_with_password("root", served.password)
    try:
        batch = sdk.xenapi.event_from(["pool"], "", 0.0)
        assert [e["class"] for e in batch["events"]] == ["pool"] and batch["token"]
    finally:
        sdk.xenapi.session.logout()


def test_system_list_methods_is_a_bare_array(served):
    response = post(served, "/", call_xml("system.listMethods"))
    assert response.status_code == 200
    assert response.content.startswith(XML_PROLOG + b"<value><array><data><value>")
    names = response_value(response.content)
    assert isinstance(names, list) and all(kind == "" for kind, dummy in names)
    names = [name for dummy, name in names]
    assert {"VM.start", "VM.get_all", "VM.get_all_records_where", "session.login_with_password",
            "event.from", "task.cancel", "host.get_name_label", "VM.set_name_label"} <= set(names)
    declared = {message.wire_name for cls in load_model().classes.values() for message in cls.messages.values()}
    assert len(names) == len(set(names)) and set(names) == declared
    # xapi lists the synchronous wire names of its messages only (gen_server.ml), Async. ones
    # are served all the same; the model here is xenapi.json plus the get_all_*where messages
    assert not [name for name in names if name.startswith("Async.")]
    assert JsonRpc(served)("system.listMethods") == names


def test_async_variants_are_served(rpc):
    """Not listed, but served; the task's result is the XML-RPC text of the value."""
    task = rpc("Async.VM_appliance.create", rpc.session, {"name_label": "app"})
    assert task.startswith("OpaqueRef:") and rpc("task.get_name_label", rpc.session, task) == (
        "Async.VM_appliance.create")
    wait_until(lambda: rpc("task.get_status", rpc.session, task) != "pending")
    appliance = rpc("VM_appliance.get_by_name_label", rpc.session, "app")[0]
    assert rpc("task.get_result", rpc.session, task) == "<value>%s</value>" % appliance


# ---- HTTP: CORS, content types, malformed requests --------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/json", "/jsonrpc"])
def test_cors_preflight(served, path):
    response = requests.options(served.url() + path, verify=served.ca_path, timeout=30)
    assert response.status_code == 200 and response.content == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Headers"] == "X-Requested-With"
    assert response.headers["Access-Control-Allow-Methods"] == "PUT"
    asked = requests.options(served.url() + path, verify=served.ca_path, timeout=30,
                             headers={"Access-Control-Request-Headers": "content-type"})
    assert asked.headers["Access-Control-Allow-Headers"] == "content-type, X-Requested-With"


def test_answers_carry_content_type_and_cors(served, session):
    xml = post(served, "/", call_xml("VM.get_all", text(session)))
    assert xml.headers["Content-Type"] == "text/xml"
    assert xml.headers["Access-Control-Allow-Origin"] == "*"
    assert xml.headers["Access-Control-Allow-Headers"] == "X-Requested-With"
    answer = jsonrpc_post(served, {"method": "VM.get_all", "params": [session], "id": 1})
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


MALFORMED = [
    ("/", b"<methodCall><methodName>VM.get_all</methodName><params>"),
    ("/RPC2", b"this is not XML"),
    ("/", b""),
    ("/jsonrpc", b"{not json"),
    ("/jsonrpc", b"[1, 2]"),
    ("/jsonrpc", b'{"method": "VM.get_all", "params": []}'),
    ("/jsonrpc", b'{"method": "VM.get_all", "params": [], "id": null}'),
    ("/jsonrpc", b'{"jsonrpc": "2.0", "method": "VM.get_all", "params": []}'),
    ("/jsonrpc", b'{"jsonrpc": "1.0", "method": "VM.get_all", "params": [], "id": 1}'),
    ("/jsonrpc", b'{"jsonrpc": null, "method": "VM.get_all", "params": [], "id": 1}'),
    ("/jsonrpc", b'{"jsonrpc": 2.0, "method": "VM.get_all", "params": [], "id": 1}'),
    ("/jsonrpc", b'{"method": "VM.get_all", "id": 1}'),
    ("/jsonrpc", b'{"params": [], "id": 1}'),
    ("/jsonrpc", b'{"method": 5, "params": [], "id": 1}'),
    ("/jsonrpc", b'{"method": "VM.get_all", "params": "x", "id": 1}'),
    ("/jsonrpc", b'{"method": "VM.get_all", "params": [], "id": 1.5}'),
    ("/jsonrpc", b'{"method": "VM.get_all", "params": [], "id": true}'),
]


@pytest.mark.parametrize("path, body", MALFORMED)
def test_malformed_requests_get_http_500_html(served, path, body):
    response = post(served, path, body)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/html"
    assert response.headers["Connection"] == "close"
    assert response.text.startswith("<html><body><h1>HTTP 500 internal server error</h1>")
    assert xml_login(served)  # and the server goes on


def test_jsonrpc_id_may_be_a_string_or_an_int(served):
    for request_id in (0, -3, 2 ** 40, "", "abc"):
        answer = jsonrpc_post(served, {"jsonrpc": "2.0", "method": "system.listMethods", "id": request_id}).json()
        assert answer["id"] == request_id and isinstance(answer["result"], list)
