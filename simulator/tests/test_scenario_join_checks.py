"""Scenario keys for pool-join preconditions: a pool's own `product`, and external
authentication already enabled on a pool's hosts or on one host; pool.join then fails
with xapi's codes for them."""

import pytest
import yaml
from conftest import error, wait_until

from xapisim import ScenarioError, Simulator

PASSWORD = "secret-pw"
MASTER, XCP, AD, AD_SAME, MIXED_1, MIXED_2 = ("127.0.20.1", "127.0.20.2", "127.0.20.3", "127.0.20.4",
                                              "127.0.20.5", "127.0.20.6")
SCENARIO = {
    "description": "a XenServer master and hosts that differ from it",
    "product": "xenserver",
    "pools": [
        {"hosts": [{"name": "master", "address": MASTER}]},
        {"product": "xcp-ng", "hosts": [{"name": "xcp", "address": XCP}]},
        {"external_auth": {"type": "AD", "service_name": "example.test"},
         "hosts": [{"name": "ad", "address": AD}]},
        {"hosts": [{"name": "mixed-1", "address": MIXED_1},
                   {"name": "mixed-2", "address": MIXED_2,
                    "external_auth": {"type": "AD", "service_name": "Corp.Example.Test", "user": "joe@corp.example.test",
                                      "ou": "OU=Servers"}}]},
    ],
}


def write(tmp_path, data, name="joinchecks"):
    path = tmp_path / ("%s.yaml" % name)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


@pytest.fixture
def sim(tmp_path):
    simulator = Simulator(write(tmp_path, SCENARIO), speed=500.0, password=PASSWORD)
    yield simulator
    simulator.stop()


def login(sim, address):
    session = sim.call(address, "session.login_with_password", "root", PASSWORD, "1.0", "tests")

    def call(method, *params):
        return sim.call(address, method, session, *params)

    return call


def this_host(call):
    return call("host.get_record", call("pool.get_master", call("pool.get_all")[0]))


def test_a_pool_has_its_own_product(sim):
    assert sim.world.scenario_name == "joinchecks"
    xcp = login(sim, XCP)
    record = this_host(xcp)
    assert record["software_version"]["product_brand"] == "XCP-ng"
    assert record["software_version"]["product_version"] == "8.3.0"
    assert record["edition"] == "xcp-ng"
    assert xcp("SR.get_by_name_label", "XCP-ng Tools")
    master = this_host(login(sim, MASTER))
    assert master["software_version"]["product_brand"] == "XenServer"
    assert master["software_version"]["product_version"] == "8.4.0"


def test_external_auth_on_a_pool_and_on_one_host(sim):
    ad = this_host(login(sim, AD))
    assert ad["external_auth_type"] == "AD" and ad["external_auth_service_name"] == "example.test"
    configuration = ad["external_auth_configuration"]
    assert configuration["domain"] == "example.test" and configuration["user"] == "administrator@example.test"
    assert configuration["workgroup"] == "EXAMPLE" and configuration["netbios_name"] == "AD"
    assert configuration["ldaps"] == "false" and int(configuration["machine_pwd_last_change_time"]) > 0
    assert "pass" not in configuration and PASSWORD not in configuration.values()
    mixed = login(sim, MIXED_1)
    records = {r["hostname"]: r for r in (mixed("host.get_record", h) for h in mixed("host.get_all"))}
    assert records["mixed-1"]["external_auth_type"] == "" and records["mixed-1"]["external_auth_configuration"] == {}
    second = records["mixed-2"]
    assert second["external_auth_type"] == "AD" and second["external_auth_service_name"] == "Corp.Example.Test"
    assert second["external_auth_configuration"]["user"] == "joe@corp.example.test"
    assert second["external_auth_configuration"]["ou"] == "OU=Servers"
    assert second["external_auth_configuration"]["workgroup"] == "CORP"
    master = this_host(login(sim, MASTER))
    assert master["external_auth_type"] == "" and master["external_auth_service_name"] == ""


def test_another_product_is_not_compatible(sim):
    assert error(login(sim, XCP), "pool.join", MASTER, "root", PASSWORD) == ["HOSTS_NOT_COMPATIBLE"]
    assert error(login(sim, XCP), "pool.join_force", MASTER, "root", PASSWORD) == ["HOSTS_NOT_COMPATIBLE"]


def test_external_auth_must_match(sim):
    assert error(login(sim, AD), "pool.join", MASTER, "root", PASSWORD) == ["POOL_JOINING_EXTERNAL_AUTH_MISMATCH"]
    # the other way round too: the joiner has none, the master has AD
    assert error(login(sim, MASTER), "pool.join", AD, "root", PASSWORD) == ["POOL_JOINING_EXTERNAL_AUTH_MISMATCH"]


def test_a_failed_join_changes_nothing(sim):
    before = {address: sim.world.pool_of_host(address)[0] for address in (MASTER, XCP, AD)}
    for address in (XCP, AD):
        error(login(sim, address), "pool.join", MASTER, "root", PASSWORD)
    assert {address: sim.world.pool_of_host(address)[0] for address in (MASTER, XCP, AD)} == before
    assert len(login(sim, MASTER)("host.get_all")) == 1


def test_the_same_domain_in_another_case_joins(tmp_path):
    data = {"pools": [{"external_auth": {"type": "AD", "service_name": "example.test"},
                       "hosts": [{"name": "one", "address": "127.0.21.1"}]},
                      {"external_auth": {"type": "AD", "service_name": "EXAMPLE.TEST"},
                       "hosts": [{"name": "two", "address": "127.0.21.2"}]}]}
    with Simulator(write(tmp_path, data), speed=500.0, password=PASSWORD) as simulator:
        login(simulator, "127.0.21.2")("pool.join", "127.0.21.1", "root", PASSWORD)
        wait_until(lambda: simulator.world.pool_of_host("127.0.21.2")[0]
                   is simulator.world.pool_of_host("127.0.21.1")[0])
        assert len(login(simulator, "127.0.21.1")("host.get_all")) == 2


@pytest.mark.parametrize("change, message", [
    ({"product": "xcp"}, "pools[1].product: 'xcp' is not one of xenserver, xcp-ng"),
    ({"external_auth": {"type": "LDAP", "service_name": "example.test"}},
     "pools[1].external_auth.type: 'LDAP' is not one of AD, PAM"),
    ({"external_auth": {"type": "AD"}}, "pools[1].external_auth.service_name: the domain's DNS name is needed"),
    ({"external_auth": "AD"}, "pools[1].external_auth must be a mapping with type and service_name"),
    ({"hosts": [{"name": "b", "address": "127.0.22.2", "external_auth": {"type": "AD", "service_name": ""}}]},
     "pools[1].hosts[0].external_auth.service_name: the domain's DNS name is needed"),
])
def test_bad_keys_are_named(tmp_path, change, message):
    pool = {"hosts": [{"name": "b", "address": "127.0.22.2"}]}
    pool.update(change)
    data = {"pools": [{"hosts": [{"name": "a", "address": "127.0.22.1"}]}, pool]}
    with pytest.raises(ScenarioError) as failure:
        Simulator(write(tmp_path, data), speed=500.0, password=PASSWORD)
    assert str(failure.value).startswith(message)


def test_a_bad_top_level_product_is_named(tmp_path):
    with pytest.raises(ScenarioError, match=r"^product: 'xen' is not one of xenserver, xcp-ng"):
        Simulator(write(tmp_path, {"product": "xen", "pools": [{"hosts": 1}]}), speed=500.0)
