"""The XenAPI client against the simulator: redirects, sessions, TLS, both protocols, timeouts."""

import pytest

from ansible_collections.xapi.xenserver.plugins.module_utils._client import XenAPIClient
from ansible_collections.xapi.xenserver.plugins.module_utils._errors import XenAPIConnectionError
from ansible_collections.xapi.xenserver.plugins.module_utils._errors import XenAPIError, XenAPITimeout
from ansible_collections.xapi.xenserver.plugins.module_utils._tasks import run_async


def client_for(sim, address="127.0.10.1", **options):
    options.setdefault("ca_path", sim.ca_path)
    return XenAPIClient(sim.url(address), "root", sim.password, **options)


def counters(sim):
    from xapisim.control import counters as read

    return read(sim)


def test_login_at_a_member_goes_to_the_master(sim):
    with client_for(sim, "127.0.10.3") as client:
        assert client.url == sim.url("127.0.10.1")
        assert len(client.call("host.get_all")) == 3
    assert counters(sim)["open_sessions"] == 0


def test_hostname_forms(sim):
    port = sim.listeners.port
    for hostname in ("127.0.10.1:%d" % port, "https://127.0.10.1:%d/" % port):
        with XenAPIClient(hostname, "root", sim.password, ca_path=sim.ca_path) as client:
            assert client.call("pool.get_all")
    with pytest.raises(ValueError):
        XenAPIClient("ftp://127.0.10.1", "root", "x")


def test_expired_session_logs_in_again(sim):
    with client_for(sim) as client:
        old = client.session_ref
        sim.call("127.0.10.1", "session.logout", old)
        assert client.call("pool.get_all")
        assert client.session_ref != old
    assert counters(sim)["open_sessions"] == 0


def test_logout_on_failure(sim):
    with pytest.raises(XenAPIError):
        with client_for(sim) as client:
            client.call("VM.get_record", "OpaqueRef:nope")
    assert counters(sim)["open_sessions"] == 0


def test_wrong_password_names_the_user_never_the_password(sim):
    client = XenAPIClient(sim.url(), "root", "not-the-password", ca_path=sim.ca_path)
    with pytest.raises(XenAPIError) as failure:
        client.login()
    assert failure.value.code == "SESSION_AUTHENTICATION_FAILED"
    assert "root" in str(failure.value) and "not-the-password" not in str(failure.value)


def test_tls_is_verified_by_default(sim):
    client = XenAPIClient(sim.url(), "root", sim.password)  # system store: does not know the simulator's CA
    with pytest.raises(XenAPIConnectionError) as failure:
        client.login()
    assert "certificate" in str(failure.value) and "ca_path" in str(failure.value)
    with client_for(sim) as trusted:
        assert trusted.call("pool.get_all")


def test_validate_certs_false_works_and_warns(sim):
    with XenAPIClient(sim.url(), "root", sim.password, validate_certs=False) as client:
        assert client.call("pool.get_all")
        assert any("validate_certs" in warning for warning in client.warnings)


def test_jsonrpc_and_xmlrpc_give_identical_results(sim):
    with client_for(sim, protocol="jsonrpc") as json_client, client_for(sim, protocol="xmlrpc") as xml_client:
        for method, params in [("VM.get_all_records", ()), ("host.get_all_records", ()), ("SR.get_all_records", ()),
                               ("host_metrics.get_all_records", ()), ("pool.get_all", ())]:
            assert json_client.call(method, *params) == xml_client.call(method, *params), method
        vm = json_client.call("VM.get_by_name_label", "web-01")[0]
        for method in ("VM.get_record", "VM.get_memory_static_max", "VM.get_VCPUs_max", "VM.get_domid"):
            assert json_client.call(method, vm) == xml_client.call(method, vm), method
        host = json_client.call("host.get_all")[0]
        free = json_client.call("host.compute_free_memory", host)
        assert isinstance(free, int) and xml_client.call("host.compute_free_memory", host) == free
        assert isinstance(json_client.call("VM.get_memory_static_max", vm), int)
        batch_json = json_client.call("event.from", ["host"], "", 1.0)
        batch_xml = xml_client.call("event.from", ["host"], "", 1.0)
        assert [e["snapshot"] for e in batch_json["events"]] == [e["snapshot"] for e in batch_xml["events"]]


def test_big_ints_go_out_as_strings_over_xmlrpc(sim):
    with client_for(sim, protocol="xmlrpc") as client:
        vm = client.call("VM.get_by_name_label", "build-01")[0]
        eight_gib = 8 * 1024 ** 3
        client.call("VM.set_memory_limits", vm, eight_gib, eight_gib, eight_gib, eight_gib)
        assert client.call("VM.get_memory_static_max", vm) == eight_gib


def test_request_timeout(sim):
    sim.world.faults.add(method="VM.get_all", action="delay", seconds=2.0)
    with client_for(sim, timeout=0.3, retry_deadline=0.0) as client:
        with pytest.raises(XenAPIConnectionError) as failure:
            client.call("VM.get_all")
        assert "did not answer within" in str(failure.value)


def test_reads_are_retried_after_a_dropped_connection(sim):
    sim.world.faults.add(method="VM.get_all", action="drop", count=2)
    with client_for(sim, retry_deadline=10.0) as client:
        assert client.call("VM.get_all")
    assert counters(sim)["calls"]["VM.get_all"] == 3


def test_writes_are_never_retried_blindly(sim):
    sim.world.faults.add(method="VM.start", action="drop", count=1)
    with client_for(sim, retry_deadline=10.0) as client:
        vm = client.call("VM.get_by_name_label", "build-01")[0]
        with pytest.raises(XenAPIConnectionError):
            client.call("VM.start", vm, False, False)
    assert counters(sim)["calls"]["VM.start"] == 1


def test_unreachable_host(sim):
    client = XenAPIClient("https://127.0.99.99:%d" % sim.listeners.port, "root", "x", ca_path=sim.ca_path,
                          retry_deadline=0.5)
    with pytest.raises(XenAPIConnectionError) as failure:
        client.login()
    assert "cannot connect to https://127.0.99.99" in str(failure.value)


def test_async_task_waited_with_events(sim):
    with client_for(sim) as client:
        vm = client.call("VM.get_by_name_label", "build-01")[0]
        assert run_async(client, "VM.start", vm, False, False, timeout=30) == ""
        assert client.call("VM.get_power_state", vm) == "Running"
        clone = run_async(client, "VM.clone", client.call("VM.get_by_name_label", "Debian Bookworm 12")[0], "c1")
        assert client.call("VM.get_name_label", clone) == "c1"
        with pytest.raises(XenAPIError) as failure:
            run_async(client, "VM.start", vm, False, False, operation="start VM build-01")
        assert failure.value.code == "VM_BAD_POWER_STATE"
        assert "start VM build-01" in str(failure.value)
        assert client.call("task.get_all") == []  # every task destroyed


def test_task_deadline_names_the_operation(sim):
    sim.world.clock.speed = 1.0  # a boot now takes 20 s
    with client_for(sim) as client:
        vm = client.call("VM.get_by_name_label", "build-01")[0]
        with pytest.raises(XenAPITimeout) as failure:
            run_async(client, "VM.start", vm, False, False, timeout=0.5, operation="start VM build-01")
        assert "start VM build-01 did not finish within 0 seconds" in str(failure.value) or \
            "start VM build-01 did not finish" in str(failure.value)
        assert client.call("task.get_all") == []
