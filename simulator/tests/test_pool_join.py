"""pool.join on the hosts3 scenario: xapi's pre-join checks in xapi's order with their codes,
and what a join leaves: one database, the joiner's address answering HOST_IS_SLAVE."""

import pytest
import XenAPI
from conftest import JsonRpc, error, sdk_session, wait_until

from xapisim import Simulator, install

PASSWORD = "secret-pw"
XS1, XS2, XS3 = "127.0.10.1", "127.0.10.2", "127.0.10.3"


@pytest.fixture
def sim():
    simulator = Simulator("hosts3", speed=500.0, password=PASSWORD)
    yield simulator
    simulator.stop()


def login(sim, address):
    session = sim.call(address, "session.login_with_password", "root", PASSWORD, "1.0", "tests")

    def call(method, *params):
        return sim.call(address, method, session, *params)

    call.session = session
    return call


def pool_db(sim, address):
    return sim.world.pool_of_host(address)[0].db


def joined(sim, address, master=XS1):
    wait_until(lambda: sim.world.pool_of_host(address)[0] is sim.world.pool_of_host(master)[0])


def start_pool2():
    """hosts3 with xs2 joined to xs1: (sim, api on xs1, xs1 host ref, xs2 host ref)."""
    sim = Simulator("hosts3", speed=500.0, password=PASSWORD)
    xs2 = login(sim, XS2)
    (host2,) = xs2("host.get_all")
    xs2("pool.join", XS1, "root", PASSWORD)
    joined(sim, XS2)
    api = login(sim, XS1)
    host1 = api("pool.get_master", api("pool.get_all")[0])
    return sim, api, host1, host2


def test_three_standalone_hosts():
    with Simulator("hosts3", speed=500.0, password=PASSWORD) as simulator:
        assert len(simulator.world.pools) == 3
        for index, address in enumerate((XS1, XS2, XS3)):
            api = login(simulator, address)
            (pool,) = api("pool.get_all")
            assert api("pool.get_name_label", pool) == ""
            (host,) = api("host.get_all")
            assert api("host.get_name_label", host) == "xs%d" % (index + 1)
            assert len(api("host.get_PIFs", host)) == 2
            srs = [api("SR.get_record", sr) for sr in api("SR.get_all")]
            assert [sr["name_label"] for sr in srs if sr["shared"] and not sr["is_tools_sr"]] == []
            assert any(sr["name_label"] == "Local storage" for sr in srs)


def test_join_moves_the_host_into_the_pool(sim):
    xs1, xs2 = login(sim, XS1), login(sim, XS2)
    (host2,) = xs2("host.get_all")
    uuid2 = xs2("host.get_uuid", host2)
    vm = new_vm(xs2, "halted-on-xs2")
    local2 = xs2("SR.get_by_name_label", "Local storage")[0]
    old_pool = xs2("pool.get_all")[0]
    xs2("pool.join", XS1, "root", PASSWORD)
    # the coordinator has the host at once, with its dom0, CPUs, NICs, local SRs and VMs
    assert xs1("host.get_by_uuid", uuid2) == host2
    assert len(xs1("host.get_all")) == 2 and len(xs1("pool.get_all")) == 1
    record = xs1("host.get_record", host2)
    assert record["address"] == XS2 and len(record["host_CPUs"]) == 32 and len(record["PIFs"]) == 2
    assert xs1("host.get_metrics", host2) and xs1("VM.get_resident_on", record["control_domain"]) == host2
    assert xs1("VM.get_name_label", vm) == "halted-on-xs2"
    assert xs1("SR.get_record", local2)["PBDs"] and xs1("PBD.get_host", xs1("SR.get_PBDs", local2)[0]) == host2
    for pif in record["PIFs"]:
        device = xs1("PIF.get_device", pif)
        network = xs1("PIF.get_network", pif)
        assert xs1("network.get_bridge", network) == "xenbr" + device[3:]
        assert len(xs1("network.get_PIFs", network)) == 2  # the pool's network, shared with xs1's NIC
    tools = xs1("SR.get_all_records_where", 'field "is_tools_sr" = "true"')
    assert len(tools) == 1 and len(next(iter(tools.values()))["PBDs"]) == 2
    joined(sim, XS2)
    # the joiner's address now answers HOST_IS_SLAVE; its old sessions and pool are gone
    assert error(sim.call, XS2, "session.login_with_password", "root", PASSWORD) == ["HOST_IS_SLAVE", XS1]
    assert error(xs2, "pool.get_all")[0] == "SESSION_INVALID"
    assert error(xs1, "pool.get_record", old_pool)[0] == "HANDLE_INVALID"
    assert len(sim.world.pools) == 2


def test_the_joiner_takes_the_pool_root_password():
    with Simulator("hosts3", speed=500.0, password=PASSWORD) as simulator:
        xs2 = login(simulator, XS2)
        xs2("session.change_password", PASSWORD, "other-pw")
        xs1 = login(simulator, XS1)
        xs2("pool.join", XS1, "root", PASSWORD)
        joined(simulator, XS2)
        assert simulator.call(XS2, "session.slave_local_login_with_password", "root", PASSWORD).startswith("OpaqueRef:")
        assert error(simulator.call, XS2, "session.slave_local_login_with_password", "root", "other-pw")[0] == \
            "SESSION_AUTHENTICATION_FAILED"
        assert xs1("host.get_all")


def test_async_join_is_a_task(sim):
    xs2 = login(sim, XS2)
    task = xs2("Async.pool.join", XS1, "root", PASSWORD)
    wait_until(lambda: pool_db(sim, XS2).get("task", task)["status"] != "pending")
    assert pool_db(sim, XS2).get("task", task)["status"] == "success"
    joined(sim, XS2)


def test_join_errors_in_xapi_order(sim):
    xs1, xs2, xs3 = login(sim, XS1), login(sim, XS2), login(sim, XS3)
    # an address nothing answers on; a member; wrong credentials (the coordinator's refusal)
    assert error(xs2, "pool.join", "127.0.10.9", "root", PASSWORD) == ["JOINING_HOST_CONNECTION_FAILED"]
    wrong = ["SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure"]
    assert error(xs2, "pool.join", XS1, "root", "wrong") == wrong
    # joining itself
    itself = ["OPERATION_NOT_ALLOWED", "Host cannot become slave of itself"]
    assert error(xs2, "pool.join", XS2, "root", PASSWORD) == itself
    xs3("pool.join", XS1, "root", PASSWORD)
    joined(sim, XS3)
    assert error(xs2, "pool.join", XS3, "root", PASSWORD) == ["HOST_IS_SLAVE", XS1]
    # the coordinator of others cannot join anywhere
    assert error(xs1, "pool.join", XS2, "root", PASSWORD) == ["JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS"]
    assert error(xs1, "pool.join", XS1, "root", PASSWORD) == ["OPERATION_NOT_ALLOWED", "Host is already part of a pool"]


def new_vm(api, name="vm"):
    """A halted VM cloned from a built-in template."""
    vm = api("VM.clone", api("VM.get_by_name_label", "Debian Bookworm 12")[0], name)
    api("VM.set_is_a_template", vm, False)
    return vm


def test_join_refuses_running_vms_then_versions_then_shared_srs_then_auth(sim):
    xs2 = login(sim, XS2)
    db1, db2 = pool_db(sim, XS1), pool_db(sim, XS2)
    (host2,) = db2.refs("host")
    (host1,) = db1.refs("host")
    vm = new_vm(xs2)
    xs2("VM.start", vm, False, False)
    # HA on the joiner comes first
    db2.update("pool", db2.refs("pool")[0], ha_enabled=True)
    assert error(xs2, "pool.join", XS1, "root", PASSWORD) == ["HA_IS_ENABLED"]
    db2.update("pool", db2.refs("pool")[0], ha_enabled=False)
    assert error(xs2, "pool.join", XS1, "root", PASSWORD) == ["JOINING_HOST_CANNOT_HAVE_RUNNING_VMS"]
    xs2("VM.hard_shutdown", vm)
    software = dict(db2.get("host", host2)["software_version"])
    db2.update("host", host2, software_version=dict(software, platform_version="3.5.0"))
    assert error(xs2, "pool.join", XS1, "root", PASSWORD) == ["HOSTS_NOT_COMPATIBLE"]
    db2.update("host", host2, software_version=dict(software, xapi="25.1"))
    assert error(xs2, "pool.join", XS1, "root", PASSWORD) == ["HOSTS_NOT_HOMOGENEOUS", "Software version differs"]
    db2.update("host", host2, software_version=software)
    shared = db2.create("SR", {"name_label": "nfs", "type": "nfs", "shared": True, "content_type": "user"})
    assert error(xs2, "pool.join", XS1, "root", PASSWORD) == ["JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS"]
    db2.delete("SR", shared)
    db1.update("host", host1, external_auth_type="AD", external_auth_service_name="example.com")
    assert error(xs2, "pool.join", XS1, "root", PASSWORD) == ["POOL_JOINING_EXTERNAL_AUTH_MISMATCH"]
    db2.update("host", host2, external_auth_type="AD", external_auth_service_name="EXAMPLE.com")
    xs2("pool.join", XS1, "root", PASSWORD)
    joined(sim, XS2)


def test_shared_srs_of_the_pool_get_a_plugged_pbd_for_the_joiner():
    with Simulator("hosts3", speed=500.0, password=PASSWORD) as simulator:
        db1 = pool_db(simulator, XS1)
        (host1,) = db1.refs("host")
        sr = db1.create("SR", {"name_label": "NFS", "type": "nfs", "content_type": "user", "shared": True})
        install.attach_sr(db1, sr, host1, {"server": "127.0.100.1"})
        xs2 = login(simulator, XS2)
        (host2,) = xs2("host.get_all")
        xs2("pool.join", XS1, "root", PASSWORD)
        pbds = [db1.get("PBD", pbd) for pbd in db1.get("SR", sr)["PBDs"]]
        assert sorted(pbd["host"] for pbd in pbds) == sorted([host1, host2])
        assert all(pbd["currently_attached"] and pbd["device_config"] == {"server": "127.0.100.1"} for pbd in pbds)


def test_over_the_wire_the_joiner_answers_host_is_slave(served_factory):
    sim = served_factory("hosts3", password=PASSWORD)
    rpc2 = JsonRpc(sim, XS2)
    session = rpc2("session.login_with_password", "root", PASSWORD, "1.0", "tests")
    rpc2("pool.join", session, XS1, "root", PASSWORD)
    wait_until(lambda: rpc2.raw("session.login_with_password", "root", PASSWORD).get("error") is not None)
    answer = rpc2.raw("session.login_with_password", "root", PASSWORD)
    assert answer["error"]["message"] == "HOST_IS_SLAVE" and answer["error"]["data"] == [XS1]
    sdk = sdk_session(sim, XS2)
    with pytest.raises(XenAPI.Failure) as failure:
        sdk.xenapi.login_with_password("root", PASSWORD, "1.0", "tests")
    assert failure.value.details == ["HOST_IS_SLAVE", XS1]
    master = sdk_session(sim, XS1)
    master.xenapi.login_with_password("root", PASSWORD, "1.0", "tests")
    assert sorted(master.xenapi.host.get_record(h)["address"] for h in master.xenapi.host.get_all()) == [XS1, XS2]
    master.xenapi.session.logout()


def test_join_force_skips_only_the_homogeneity_checks(sim):
    xs2 = login(sim, XS2)
    db2 = pool_db(sim, XS2)
    (host2,) = db2.refs("host")
    db2.update("host", host2, software_version=dict(db2.get("host", host2)["software_version"], xapi="25.1"))
    assert error(xs2, "pool.join", XS1, "root", PASSWORD) == ["HOSTS_NOT_HOMOGENEOUS", "Software version differs"]
    xs2("pool.join_force", XS1, "root", PASSWORD)
    joined(sim, XS2)
