"""Host operations and pool membership changes after a join: eject, designate_new_master,
disable/enable, evacuate, reboot/shutdown/power_on, set_hostname_live."""

import socket

import pytest
from conftest import JsonRpc, error, wait_until
from test_pool_join import PASSWORD, XS1, XS2, XS3, joined, login, new_vm, start_pool2


@pytest.fixture
def pool2():
    """hosts3 with xs2 joined to xs1: (sim, api on xs1, xs1 host ref, xs2 host ref)."""
    started = start_pool2()
    yield started
    started[0].stop()


def running_vm(api, host, name="vm"):
    vm = new_vm(api, name)
    api("VM.start_on", vm, host, False, False)
    wait_until(lambda: "pool_migrate" in api("VM.get_allowed_operations", vm))  # HVM: once the PV drivers report
    return vm


def test_eject_needs_halted_vms_and_brings_the_host_back_standalone(pool2):
    sim, api, host1, host2 = pool2
    assert error(api, "pool.eject", host1) == ["INTERNAL_ERROR", "Xapi_pool.Cannot_eject_master"]
    vm = running_vm(api, host2)
    assert error(api, "pool.eject", host2) == ["OPERATION_NOT_ALLOWED", "VM resident on host"]
    api("VM.hard_shutdown", vm)
    api("pool.eject", host2)
    assert api("host.get_all") == [host1]
    assert error(api, "host.get_record", host2)[0] == "HANDLE_INVALID"
    wait_until(lambda: sim.world.pool_of_host(XS2)[0] is not None)
    xs2 = login(sim, XS2)
    (fresh,) = xs2("host.get_all")
    assert fresh != host2 and xs2("host.get_address", fresh) == XS2 and xs2("host.get_name_label", fresh) == "xs2"
    assert xs2("pool.get_name_label", xs2("pool.get_all")[0]) == ""
    assert xs2("VM.get_by_name_label", "vm") == []  # its data is lost, as xapi says


def test_designate_new_master_moves_the_api(pool2):
    sim, api, host1, host2 = pool2
    pool = api("pool.get_all")[0]
    api("pool.designate_new_master", host1)  # the coordinator already: nothing happens
    api("pool.designate_new_master", host2)
    assert sim.call(XS2, "pool.get_master", api.session, pool) == host2  # the same session, now at xs2
    assert error(api, "pool.get_all") == ["HOST_IS_SLAVE", XS2]
    assert error(sim.call, XS1, "session.login_with_password", "root", PASSWORD) == ["HOST_IS_SLAVE", XS2]


def test_disable_enable(pool2):
    dummy, api, host1, host2 = pool2
    api("host.disable", host2)
    api("host.disable", host2)  # no-op
    assert api("host.get_enabled", host2) is False
    assert "reboot" in api("host.get_allowed_operations", host2)
    vm = new_vm(api)
    assert error(api, "VM.start_on", vm, host2, False, False) == ["HOST_DISABLED", host2]
    api("host.enable", host2)
    assert api("host.get_enabled", host2) is True


def test_evacuate_moves_vms_to_the_other_hosts(pool2):
    dummy, api, host1, host2 = pool2
    vms = [running_vm(api, host2, "vm-%d" % n) for n in range(2)]
    assert api("host.get_vms_which_prevent_evacuation", host2) == {}
    api("host.assert_can_evacuate", host2)
    api("host.disable", host2)
    api("host.evacuate", host2, "OpaqueRef:NULL", 0)
    assert all(api("VM.get_resident_on", vm) == host1 for vm in vms)
    assert all(api("VM.get_power_state", vm) == "Running" for vm in vms)


def test_evacuate_errors(pool2):
    sim, api, host1, host2 = pool2
    vm = running_vm(api, host2)
    api("host.disable", host1)
    assert api("host.get_vms_which_prevent_evacuation", host2) == {vm: ["NO_HOSTS_AVAILABLE", vm]}
    assert error(api, "host.assert_can_evacuate", host2) == ["CANNOT_EVACUATE_HOST", "NO_HOSTS_AVAILABLE,%s" % vm]
    assert error(api, "host.evacuate", host2, "OpaqueRef:NULL", 0) == ["NO_HOSTS_AVAILABLE", vm]
    api("host.enable", host1)
    db = sim.world.pool_of_host(XS1)[0].db
    metrics = db.get("host", host1)["metrics"]
    db.update("host_metrics", metrics, memory_total=17 << 28)  # xs1 has no room left for the VM
    assert error(api, "host.evacuate", host2, "OpaqueRef:NULL", 0) == ["HOST_NOT_ENOUGH_FREE_MEMORY", vm]
    assert api("VM.get_resident_on", vm) == host2


def test_reboot_needs_a_disabled_host_and_refuses_connections_while_down(served_factory):
    sim = served_factory("hosts3", password=PASSWORD)
    rpc = JsonRpc(sim, XS3)
    session = rpc("session.login_with_password", "root", PASSWORD, "1.0", "tests")
    (host,) = rpc("host.get_all", session)
    with pytest.raises(Exception) as failure:
        rpc("host.reboot", session, host)
    assert failure.value.details == ["HOST_NOT_DISABLED"]
    rpc("host.disable", session, host)
    rpc("host.reboot", session, host)
    assert rpc("host.get_current_operations", session, host) != {}
    assert error_code(rpc, "host.enable", session, host) == "OTHER_OPERATION_IN_PROGRESS"

    def refused():
        try:
            socket.create_connection((XS3, sim.listeners.port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False

    wait_until(refused)
    wait_until(lambda: not refused())
    rpc = JsonRpc(sim, XS3)
    session = rpc("session.login_with_password", "root", PASSWORD, "1.0", "tests")  # old sessions are gone
    assert rpc("host.get_enabled", session, host) is True
    assert rpc("host_metrics.get_live", session, rpc("host.get_metrics", session, host)) is True


def error_code(rpc, method, *params):
    answer = rpc.raw(method, *params)
    return answer["error"]["message"]


def test_shutdown_then_power_on(pool2):
    sim, api, dummy, host2 = pool2
    assert error(api, "host.power_on", host2) == ["HOST_POWER_ON_MODE_DISABLED"]
    api("host.disable", host2)
    api("host.shutdown", host2)
    metrics = api("host.get_metrics", host2)
    wait_until(lambda: api("host_metrics.get_live", metrics) is False)
    assert sim.world.pool_of_host(XS2)[0] is None
    assert api("host.get_allowed_operations", host2) == ["power_on"]
    sim.world.pool_of_host(XS1)[0].db.update("host", host2, power_on_mode="wake-on-lan")
    api("host.power_on", host2)
    wait_until(lambda: api("host_metrics.get_live", metrics) is True)
    assert api("host.get_enabled", host2) is True
    assert error(api, "host.power_on", host2) == ["HOST_IS_LIVE", host2]


def test_set_hostname_live(pool2):
    dummy, api, dummy_host, host2 = pool2
    assert error(api, "host.set_hostname_live", host2, "") == ["HOST_NAME_INVALID", "hostname empty"]
    assert error(api, "host.set_hostname_live", host2, "-bad") == ["HOST_NAME_INVALID", "hostname contains invalid characters"]
    assert error(api, "host.set_hostname_live", host2, "a" * 256) == ["HOST_NAME_INVALID", "hostname is too long"]
    api("host.set_hostname_live", host2, "node-2.example")
    assert api("host.get_hostname", host2) == "node-2.example"
    assert api("VM.get_name_label", api("host.get_control_domain", host2)) == "Control domain on host: node-2.example"


def test_join_three(pool2):
    sim, api, dummy, dummy_host = pool2
    login(sim, XS3)("pool.join", XS1, "root", PASSWORD)
    joined(sim, XS3)
    assert len(api("host.get_all")) == 3 and len(sim.world.pools) == 1
