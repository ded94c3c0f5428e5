"""Built-in scenarios look like fresh installs; user scenarios are validated."""

import pytest

from xapisim import ScenarioError, Simulator, builtin_names
from xapisim.templates import template_specs


def test_builtins():
    assert set(builtin_names()) >= {"standalone", "pool3", "twopools", "large"}


@pytest.mark.parametrize("name", ["standalone", "pool3", "twopools"])
def test_each_host_looks_like_a_fresh_install(name):
    sim = Simulator(name, speed=100)
    try:
        for pool in sim.world.pools:
            db = pool.db
            assert len(db.tables["pool"]) == 1
            for host, record in db.tables["host"].items():
                assert record["address"].startswith("127.")
                dom0 = db.get("VM", record["control_domain"])
                assert dom0["is_control_domain"] and dom0["resident_on"] == host and dom0["domid"] == 0
                assert dom0["name_label"] == "Control domain on host: %s" % record["hostname"]
                srs = {db.get("SR", db.get("PBD", pbd)["SR"])["name_label"] for pbd in record["PBDs"]}
                assert {"Local storage", "DVD drives", "Removable storage", "XenServer Tools"} <= srs
                management = [db.get("PIF", p) for p in record["PIFs"] if db.get("PIF", p)["management"]]
                assert len(management) == 1 and management[0]["IP"] == record["address"]
                assert management[0]["device"] == "eth0"
                assert record["software_version"]["product_brand"] == "XenServer"
                assert record["API_version_major"] == 2
            templates = [r["name_label"] for r in db.tables["VM"].values() if r["is_default_template"]]
            assert len(templates) == len(template_specs())
            assert {"Debian Bookworm 12", "Windows Server 2022 (64-bit)", "Other install media"} <= set(templates)
            roles = {r["name_label"] for r in db.tables["role"].values() if not r["is_internal"]}
            assert roles == {"pool-admin", "pool-operator", "vm-power-admin", "vm-admin", "vm-operator", "read-only"}
            assert db.tables["role"]["OpaqueRef:0165f154-ba3e-034e-6b27-5d271af109ba"]["name_label"] == "pool-admin"
            networks = {r["name_label"] for r in db.tables["network"].values()}
            assert "Pool-wide network associated with eth0" in networks
    finally:
        sim.stop()


def test_pool3_shares_storage_and_two_networks():
    sim = Simulator("pool3", speed=100)
    db = sim.world.pools[0].db
    nfs = db.find("SR", name_label="NFS storage")[0]
    assert db.get("SR", nfs)["shared"] and len(db.get("SR", nfs)["PBDs"]) == 3
    iso = db.find("SR", name_label="ISO library")[0]
    assert db.get("SR", iso)["content_type"] == "iso" and db.get("SR", iso)["VDIs"]
    assert db.get("pool", db.refs("pool")[0])["default_SR"] == nfs
    physical = [r for r in db.tables["network"].values() if r["PIFs"]]
    assert len(physical) == 2 and all(len(r["PIFs"]) == 3 for r in physical)
    sim.stop()


def test_twopools_are_separate():
    sim = Simulator("twopools", speed=100)
    assert len(sim.world.pools) == 2
    a, b = sim.world.pools
    assert a.address_of(a.master) == "127.0.10.1" and b.address_of(b.master) == "127.0.11.1"
    assert not set(a.db.tables["VM"]) & set(b.db.tables["VM"])
    sim.stop()


def test_large_scenario_holds_ten_thousand_vms():
    sim = Simulator("large", speed=100)
    db = sim.world.pools[0].db
    vms = [r for r in db.tables["VM"].values() if not r["is_a_template"] and not r["is_control_domain"]]
    assert len(vms) == 10000
    assert len(db.tables["host"]) == 64
    running = [r for r in vms if r["power_state"] == "Running"]
    assert len(running) == 6000 and all(r["resident_on"] in db.tables["host"] for r in running)
    sim.stop()


def _write(tmp_path, text):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    return str(path)


def test_user_scenario_file(tmp_path):
    path = _write(tmp_path, "pools:\n  - name: lab\n    hosts: [{name: h1, address: 127.0.50.1}]\n")
    sim = Simulator(path, speed=100)
    assert list(sim.world.hosts) == ["127.0.50.1"]
    sim.stop()


@pytest.mark.parametrize("text,words", [
    ("pools:\n  - hosts: [{name: h1, address: 10.0.0.1}]\n", ["pools[0].hosts[0].address", "10.0.0.1", "loopback"]),
    ("pools: []\n", ["pools"]),
    ("pools:\n  - hosts: [{name: h1, address: 127.0.50.1}]\n    vms: [{template: Nope}]\n",
     ["pools[0].vms[0].template", "Nope"]),
    ("pools:\n  - hosts: 1\n    srs: [{name: s, type: nfs, device_config: {server: 192.168.1.5}}]\n",
     ["device_config.server", "192.168.1.5"]),
    ("pools: [\n", ["not valid YAML"]),
])
def test_bad_scenarios_are_refused_with_a_clear_message(tmp_path, text, words):
    with pytest.raises(ScenarioError) as failure:
        Simulator(_write(tmp_path, text))
    for word in words:
        assert word in str(failure.value)


def test_unknown_scenario_name():
    with pytest.raises(ScenarioError) as failure:
        Simulator("no-such-scenario")
    assert "no-such-scenario" in str(failure.value) and "pool3" in str(failure.value)
