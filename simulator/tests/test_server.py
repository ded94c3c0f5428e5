"""The server: robustness against bad requests, many hosts on loopback, TLS or plain HTTP,
fault injection and the control API (/_sim/ on 127.0.0.1), several pools in one process."""

import http.client
import json
import os
import socket
import ssl
import threading
import time
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import pytest
import requests
import XenAPI
from conftest import JsonRpc, sdk_session, wait_until

from xapisim import Simulator

MAX_RPC_BODY = 300 * 1024  # xapi's Constants.http_limit_max_rpc_size


def details(call, *args):
    with pytest.raises(XenAPI.Failure) as failure:
        call(*args)
    return failure.value.details


def control(sim, verb, path, body=None, raw=None):
    response = requests.request(verb, sim.url(sim.control_address) + "/_sim/" + path,
                                json=body if raw is None else None, data=raw,
                                verify=sim.ca_path or False, timeout=30)
    assert response.headers["Content-Type"] == "application/json"
    return response.status_code, response.json()


def login(sim, address=None):
    return JsonRpc(sim, address)("session.login_with_password", "root", sim.password)


def xml_body(method, *strings):
    params = "".join("<param><value>%s</value></param>" % escape(value) for value in strings)
    return ('<?xml version="1.0"?><methodCall><methodName>%s</methodName><params>%s</params></methodCall>'
            % (escape(method), params)).encode("utf-8")


def xml_error(response):
    """The ErrorDescription of an XML-RPC failure answer."""
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    members = {m.find("name").text: m.find("value") for m in root.find("params/param/value/struct")}
    assert members["Status"].text == "Failure"
    return [value.text or "" for value in members["ErrorDescription"].find("array/data")]


def still_serves(sim, http=None):
    """A normal call works (on `http`, a requests.Session, when given)."""
    http = http or requests.Session()
    response = http.post(sim.url() + "/jsonrpc", verify=sim.ca_path or False, timeout=30, json={
        "jsonrpc": "2.0", "method": "session.login_with_password", "params": ["root", sim.password], "id": 1})
    assert response.status_code == 200 and response.json()["result"].startswith("OpaqueRef:")
    return True


# ---- robustness ------------------------------------------------------------------------------------

def test_malformed_bodies_close_the_connection_and_the_server_goes_on(served):
    http = requests.Session()
    for path, body in (("/", b"<methodCall><methodName>x</methodName><params><param>"),
                       ("/jsonrpc", b'{"method": "VM.get_all", "params": [], "id": '),
                       ("/jsonrpc", "{\"method\": \"\u00e9\", \"params\": [], \"id\": 1\x00}".encode("utf-8"))):
        response = http.post(served.url() + path, data=body, verify=served.ca_path, timeout=30)
        assert response.status_code == 500 and response.headers["Connection"] == "close"
        assert still_serves(served, http)


def test_a_100_mb_body_is_refused_and_the_connection_can_be_reopened(served):
    """xapi's Http_svr.read_body refuses bodies over http_limit_max_rpc_size: HTTP 500."""
    http = requests.Session()
    response = http.post(served.url() + "/", data=b"x" * (100 * 1024 * 1024), verify=served.ca_path, timeout=60,
                         headers={"Content-Type": "text/xml"})
    assert response.status_code == 500 and response.headers["Connection"] == "close"
    assert "Client_requested_size_over_limit" in response.text
    assert still_serves(served, http)


def test_the_body_limit_is_xapis(served):
    template = xml_body("session.login_with_password", "root", served.password, "1.0", "")
    padding = MAX_RPC_BODY - len(template)
    exact = xml_body("session.login_with_password", "root", served.password, "1.0", "o" * padding)
    assert len(exact) == MAX_RPC_BODY
    response = requests.post(served.url() + "/", data=exact, verify=served.ca_path, timeout=30)
    assert response.status_code == 200 and b"<value>Success</value>" in response.content
    over = xml_body("session.login_with_password", "root", served.password, "1.0", "o" * (padding + 1))
    assert requests.post(served.url() + "/", data=over, verify=served.ca_path, timeout=30).status_code == 500


def test_a_request_without_content_length_is_refused(served):
    connection = http.client.HTTPSConnection("127.0.10.1", served.listeners.port, timeout=30,
                                             context=ssl.create_default_context(cafile=served.ca_path))
    connection.putrequest("POST", "/")
    connection.putheader("Content-Type", "text/xml")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 500 and response.getheader("Connection") == "close"
    assert b"We require a content-length: HTTP header" in response.read()
    connection.close()
    assert still_serves(served)


ODD_NAMES = ["VM.ünïcödé", "../../../etc/passwd", "..", "/", "VM.get_all/../x", "VM." + "x" * 100000,
             "<script>&amp;</script>", "", " VM.get_all", "VM.get_all ", "system.listMethods.x", "VM..get_all",
             ".get_all", "VM_", "_get_all", "vm.get_all", "VM.GET_ALL",
             # xapi takes Async. off before it looks the name up, and names what is left
             "Async.", "Async.Async.VM.get_all", "Async.VM.frobnicate", "Async.../x"]


@pytest.mark.parametrize("name", ODD_NAMES, ids=range(len(ODD_NAMES)))
def test_odd_method_names_are_unknown_methods(served, name):
    named = name[len("Async."):] if name.startswith("Async.") else name
    assert xml_error(requests.post(served.url() + "/", data=xml_body(name), verify=served.ca_path,
                                   timeout=30)) == ["MESSAGE_METHOD_UNKNOWN", named]
    session = login(served)
    assert details(JsonRpc(served), name, session) == ["MESSAGE_METHOD_UNKNOWN", named]
    assert details(JsonRpc(served, version=""), name, session, "more") == ["MESSAGE_METHOD_UNKNOWN", named]
    assert still_serves(served)


def test_a_control_character_in_a_json_method_name(served):
    name = "VM.get_all\x00\x07"
    assert details(JsonRpc(served), name) == ["MESSAGE_METHOD_UNKNOWN", name]


def run_in_thread(function):
    """Start function() in a thread; the returned dict gets "result" or "error"."""
    outcome = {}

    def run():
        try:
            outcome["result"] = function()
        except Exception as exc:  # the test looks at what the call ended with
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def wrong_login_in_flight(sim):
    """A login with a wrong password, which waits 5 simulated seconds before it fails."""
    outcome = run_in_thread(lambda: JsonRpc(sim)("session.login_with_password", "root", "wrong"))
    wait_until(lambda: control(sim, "GET", "counters")[1]["calls"].get("session.login_with_password"))
    return outcome


def test_a_call_in_flight_when_the_world_is_reset(served_factory):
    sim = served_factory("pool3", speed=1)  # the wrong login takes 5 s: the reset comes first
    started = time.monotonic()
    outcome = wrong_login_in_flight(sim)
    assert control(sim, "POST", "reset")[0] == 200
    outcome["thread"].join(10)
    assert outcome["error"].details == ["INTERNAL_ERROR", "xapisim is shutting down"]
    assert time.monotonic() - started < 5
    assert still_serves(sim)


def test_a_call_in_flight_when_the_simulator_stops(served_factory):
    sim = served_factory("pool3", speed=1)
    url = sim.url()
    outcome = wrong_login_in_flight(sim)
    sim.stop()
    outcome["thread"].join(10)
    assert outcome["error"].details == ["INTERNAL_ERROR", "xapisim is shutting down"]
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(url + "/jsonrpc", json={"method": "VM.get_all", "params": [], "id": 1},
                      verify=False, timeout=5)


# ---- many hosts, one port ----------------------------------------------------------------------------

def test_each_host_at_its_own_loopback_address_on_one_port(served):
    endpoints = control(served, "GET", "endpoints")[1]
    port = endpoints["port"]
    assert [h["address"] for h in endpoints["hosts"]] == ["127.0.10.1", "127.0.10.2", "127.0.10.3"]
    assert [h["url"] for h in endpoints["hosts"]] == ["https://127.0.10.%d:%d" % (n, port) for n in (1, 2, 3)]
    assert [h["master"] for h in endpoints["hosts"]] == [True, False, False]
    assert endpoints["pools"] == [{"name": "pool-a", "master": "127.0.10.1",
                                   "hosts": ["127.0.10.1", "127.0.10.2", "127.0.10.3"]}]
    assert endpoints["control"] == "https://127.0.0.1:%d/_sim/" % port
    session = login(served)
    host_names = {JsonRpc(served)("host.get_address", session, h): JsonRpc(served)("host.get_name_label", session, h)
                  for h in JsonRpc(served)("host.get_all", session)}
    assert host_names == {"127.0.10.1": "xs-a1", "127.0.10.2": "xs-a2", "127.0.10.3": "xs-a3"}
    for address in ("127.0.10.2", "127.0.10.3"):
        assert details(JsonRpc(served, address), "session.login_with_password", "root", served.password) == [
            "HOST_IS_SLAVE", "127.0.10.1"]
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://127.0.10.4:%d/" % port, verify=served.ca_path, timeout=5)


@pytest.mark.parametrize("address", ["127.0.10.1", "127.0.10.2", "127.0.10.3", "127.0.0.1"])
def test_every_address_has_its_own_certificate(served, address):
    context = ssl.create_default_context(cafile=served.ca_path)
    with socket.create_connection((address, served.listeners.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=address) as tls:
            assert tls.getpeercert()["subjectAltName"][0] == ("IP Address", address)


def test_two_pools_side_by_side(served_factory):
    sim = served_factory("twopools")
    endpoints = control(sim, "GET", "endpoints")[1]
    assert [h["address"] for h in endpoints["hosts"]] == ["127.0.10.1", "127.0.10.2", "127.0.11.1", "127.0.11.2"]
    assert [p["master"] for p in endpoints["pools"]] == ["127.0.10.1", "127.0.11.1"]
    a, b = login(sim, "127.0.10.1"), login(sim, "127.0.11.1")
    pool_a, pool_b = JsonRpc(sim, "127.0.10.1"), JsonRpc(sim, "127.0.11.1")
    assert details(JsonRpc(sim, "127.0.11.2"), "session.login_with_password", "root", sim.password) == [
        "HOST_IS_SLAVE", "127.0.11.1"]
    assert details(JsonRpc(sim, "127.0.10.2"), "VM.get_all", a) == ["HOST_IS_SLAVE", "127.0.10.1"]
    assert pool_a("pool.get_name_label", a, pool_a("pool.get_all", a)[0]) == "pool-a"
    assert pool_b("pool.get_name_label", b, pool_b("pool.get_all", b)[0]) == "pool-b"
    assert details(pool_b, "VM.get_all", a) == ["SESSION_INVALID", a]
    assert details(pool_a, "VM.get_all", b) == ["SESSION_INVALID", b]
    assert pool_a("VM.get_by_name_label", a, "app-01") and not pool_b("VM.get_by_name_label", b, "app-01")


def test_several_simulators_in_one_process(served_factory):
    first, second = served_factory("twopools"), served_factory("standalone")
    assert first.listeners.port != second.listeners.port
    one, two = login(first), login(second)
    assert len(JsonRpc(first)("host.get_all", one)) == 2 and len(JsonRpc(second)("host.get_all", two)) == 1
    assert login(first, "127.0.11.1")
    assert details(JsonRpc(second), "VM.get_all", one) == ["SESSION_INVALID", one]
    assert second.url("127.0.10.1") != first.url("127.0.10.1")


# ---- TLS and plain HTTP ---------------------------------------------------------------------------------

def test_tls_needs_the_simulators_ca(served):
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(served.url() + "/jsonrpc", json={"method": "VM.get_all", "params": [], "id": 1},
                      verify=True, timeout=10)
    assert still_serves(served)
    assert served.ca_path == os.path.join(served.state_dir, "ca.pem") and os.path.exists(served.ca_path)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(served.url().replace("https:", "http:") + "/jsonrpc", timeout=10,
                      json={"method": "VM.get_all", "params": [], "id": 1})
    assert still_serves(served)


def test_plain_http(served_factory):
    sim = served_factory("pool3", tls=False)
    assert sim.url().startswith("http://127.0.10.1:") and sim.ca_path is None
    endpoints = control(sim, "GET", "endpoints")[1]
    assert endpoints["tls"] is False and endpoints["ca"] is None
    assert endpoints["control"].startswith("http://127.0.0.1:")
    session = XenAPI.Session(sim.url())
    session.xenapi.login_with_password("root", sim.password)
    assert len(session.xenapi.VM.get_all()) == 40
    session.xenapi.session.logout()
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(sim.url().replace("http:", "https:") + "/", data=b"", verify=False, timeout=10)


# ---- fault injection -----------------------------------------------------------------------------------

def test_fault_drop_closes_the_connection(served):
    session = login(served)
    status, rule = control(served, "POST", "faults", {"method": "VM.get_all", "action": "drop", "count": 1})
    assert status == 200 and rule["action"] == "drop" and rule["remaining"] == 1
    with pytest.raises(requests.exceptions.ConnectionError):
        JsonRpc(served)("VM.get_all", session)
    assert len(JsonRpc(served)("VM.get_all", session)) == 40
    assert control(served, "GET", "faults")[1][0]["hits"] == 1


def test_fault_drop_after_the_call_ran(served):
    """after: the call runs, its answer is lost; a failing call's error is lost the same way."""
    session = login(served)
    rpc = JsonRpc(served)
    status, rule = control(served, "POST", "faults", {"method": "network.create", "action": "drop", "after": True,
                                                      "count": 2})
    assert status == 200 and rule["after"] is True and rule["remaining"] == 2
    record = {"name_label": "lost-answer", "name_description": "", "MTU": 1500, "other_config": {}}
    with pytest.raises(requests.exceptions.ConnectionError):
        rpc("network.create", session, record)
    assert len(rpc("network.get_by_name_label", session, "lost-answer")) == 1
    with pytest.raises(requests.exceptions.ConnectionError):
        rpc("network.create", session)  # MESSAGE_PARAMETER_COUNT_MISMATCH, and no answer either
    assert len(rpc("network.get_by_name_label", session, "lost-answer")) == 1
    assert rpc("network.create", session, dict(record, name_label="answered")).startswith("OpaqueRef:")
    assert control(served, "GET", "faults")[1][0]["hits"] == 2
    assert control(served, "POST", "faults", {"method": "*", "action": "drop"})[1]["after"] is False


def test_fault_delay(served):
    session = login(served)
    control(served, "POST", "faults", {"method": "VM.get_*", "action": "delay", "seconds": 0.3, "count": 1})
    start = time.monotonic()
    assert len(JsonRpc(served)("VM.get_all_records", session)) == 40
    assert time.monotonic() - start >= 0.3
    assert control(served, "GET", "faults")[1][0]["remaining"] == 0


def test_fault_error_for_count_calls_then_normal(served):
    session = login(served)
    rpc = JsonRpc(served)
    vm = rpc("VM.get_by_name_label", session, "web-01")[0]
    control(served, "POST", "faults", {"method": "VM.start", "action": "error", "code": "HOST_OFFLINE",
                                       "params": ["OpaqueRef:h", 7], "count": 2})
    for dummy in range(2):
        assert details(rpc, "VM.start", session, vm, False, False) == ["HOST_OFFLINE", "OpaqueRef:h", "7"]
    assert details(rpc, "VM.start", session, vm, False, False) == ["VM_BAD_POWER_STATE", vm, "halted", "running"]
    assert control(served, "DELETE", "faults") == (200, [])
    assert control(served, "GET", "faults") == (200, [])


def test_fault_on_one_host_only(served):
    control(served, "POST", "faults", {"method": "session.*", "action": "error", "code": "INTERNAL_ERROR",
                                       "params": ["member down"], "host": "127.0.10.2"})
    assert details(JsonRpc(served, "127.0.10.2"), "session.login_with_password", "root", served.password) == [
        "INTERNAL_ERROR", "member down"]
    assert details(JsonRpc(served, "127.0.10.3"), "session.login_with_password", "root", served.password) == [
        "HOST_IS_SLAVE", "127.0.10.1"]
    assert login(served)


def failure_pattern(sim, calls=30):
    control(sim, "POST", "faults", {"method": "pool.get_all", "action": "error", "code": "INTERNAL_ERROR",
                                    "params": ["flaky"], "fraction": 0.5})
    rpc, session = JsonRpc(sim), login(sim)
    pattern = ""
    for dummy in range(calls):
        try:
            rpc("pool.get_all", session)
            pattern += "."
        except XenAPI.Failure as failure:
            assert failure.details == ["INTERNAL_ERROR", "flaky"]
            pattern += "x"
    return pattern


def test_fault_fraction_repeats_with_its_seed(served_factory):
    first = failure_pattern(served_factory("standalone", seed=7))
    assert "x" in first and "." in first
    assert failure_pattern(served_factory("standalone", seed=7)) == first
    assert failure_pattern(served_factory("standalone", seed=8)) != first
    sim = served_factory("standalone", seed=7)
    failure_pattern(sim)
    control(sim, "POST", "reset")  # a fresh world starts the sequence again
    assert failure_pattern(sim) == first


# ---- control API ---------------------------------------------------------------------------------------

def test_control_endpoints_match_the_state_file(served):
    status, endpoints = control(served, "GET", "endpoints")
    with open(os.path.join(served.state_dir, "endpoints.json"), encoding="utf-8") as handle:
        assert status == 200 and json.load(handle) == endpoints
    assert endpoints["password"] == served.password and endpoints["username"] == "root"
    assert endpoints["scenario"] == "pool3" and endpoints["ca"] == served.ca_path


def test_control_counters(served):
    control(served, "POST", "counters/reset")
    session = login(served)
    sdk = sdk_session(served)
    sdk.xenapi.login_with_password("root", served.password)
    sdk.xenapi.VM.get_all()
    counters = control(served, "GET", "counters")[1]
    assert counters["calls"] == {"session.login_with_password": 2, "VM.get_all": 1}
    assert counters["protocols"] == {"jsonrpc": 1, "xmlrpc": 2} and counters["total_calls"] == 3
    assert counters["open_sessions"] == 2 and counters["logins"] == 2 and counters["logouts"] == 0
    JsonRpc(served)("session.logout", session)
    reset = control(served, "POST", "counters/reset")[1]
    assert reset["calls"] == {} and reset["total_calls"] == 0 and reset["open_sessions"] == 1


def test_control_reset_rebuilds_the_scenario(served):
    rpc = JsonRpc(served)
    session = login(served)
    vm = rpc("VM.get_by_name_label", session, "web-01")[0]
    rpc("VM.set_name_label", session, vm, "changed")
    status, endpoints = control(served, "POST", "reset")
    assert status == 200 and endpoints["scenario"] == "pool3"
    assert details(rpc, "VM.get_all", session) == ["SESSION_INVALID", session]
    fresh = login(served)
    assert rpc("VM.get_by_name_label", fresh, "changed") == []
    assert len(rpc("VM.get_by_name_label", fresh, "web-01")) == 1


def test_control_scenario_switches_the_served_hosts(served):
    port = served.listeners.port
    status, endpoints = control(served, "POST", "scenario", {"scenario": "twopools"})
    assert status == 200 and endpoints["scenario"] == "twopools" and endpoints["port"] == port
    assert login(served, "127.0.11.1")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://127.0.10.3:%d/" % port, verify=served.ca_path, timeout=5)
    with open(os.path.join(served.state_dir, "endpoints.json"), encoding="utf-8") as handle:
        assert json.load(handle)["scenario"] == "twopools"
    assert control(served, "GET", "state")[1]["scenario"] == "twopools"


def test_control_state(served):
    status, state = control(served, "GET", "state?classes=VM,host")
    assert status == 200 and state["scenario"] == "pool3"
    (pool,) = state["pools"]
    assert pool["name"] == "pool-a" and pool["master"] == "127.0.10.1"
    assert set(pool["tables"]) == {"VM", "host"}
    assert len(pool["tables"]["VM"]) == 40 and len(pool["tables"]["host"]) == 3
    assert {"VM", "host", "SR", "pool", "network"} <= set(control(served, "GET", "state")[1]["pools"][0]["tables"])


def test_control_speed(served):
    assert control(served, "POST", "speed", {"speed": 1000}) == (200, {"speed": 1000.0})
    assert control(served, "GET", "endpoints")[1]["speed"] == 1000.0
    assert served.world.clock.speed == 1000.0


@pytest.mark.parametrize("verb, path, body", [
    ("POST", "speed", {"speed": 0}),
    ("POST", "speed", {"speed": -5}),
    ("POST", "speed", {"speed": "fast"}),
    ("POST", "speed", {"speed": "inf"}),
    ("POST", "speed", {}),
    ("POST", "speed", b"{not json"),
    ("POST", "speed", b"[1]"),
    ("POST", "faults", {"method": "VM.start", "action": "explode"}),
    ("POST", "faults", {"method": "VM.start", "action": "error", "code": "NO_SUCH_ERROR_CODE"}),
    ("POST", "faults", {"method": "VM.start", "action": "error", "colour": "red"}),
    ("POST", "faults", {"method": "VM.start", "action": "error", "fraction": 2}),
    ("POST", "faults", {"method": "VM.start", "action": "error", "count": 0}),
    ("POST", "faults", {"method": "VM.start", "action": "delay", "seconds": "long"}),
    ("POST", "faults", {"method": ["VM.start"], "action": "drop"}),
    ("POST", "faults", {"method": "VM.start", "action": "delay", "after": True}),
    ("POST", "faults", {"method": "VM.start", "action": "drop", "after": "yes"}),
    ("POST", "scenario", {}),
    ("POST", "scenario", {"scenario": "no-such-scenario"}),
])
def test_control_refuses_bad_input_with_400(served, verb, path, body):
    before = control(served, "GET", "endpoints")[1]
    if isinstance(body, bytes):
        status, answer = control(served, verb, path, raw=body)
    else:
        status, answer = control(served, verb, path, body)
    assert status == 400 and answer["error"]
    assert control(served, "GET", "endpoints")[1] == before
    assert control(served, "GET", "faults")[1] == []
    assert still_serves(served)


def test_control_unknown_calls_are_404(served):
    assert control(served, "GET", "nope")[0] == 404
    assert control(served, "DELETE", "counters")[0] == 404
    on_a_host = requests.get(served.url() + "/_sim/endpoints", verify=served.ca_path, timeout=10)
    assert on_a_host.status_code == 404


def test_simulator_refuses_a_speed_of_zero():
    with pytest.raises(ValueError):
        Simulator("standalone", speed=0)
