"""pool_info, host_info and vm_info against the simulator: results, call counts, no session left."""

from ansible_collections.xapi.xenserver.plugins.modules import host_info, pool_info, vm_info
from xapisim.control import counters


def test_pool_info(sim, run_module, connection):
    result = run_module(pool_info, connection)
    pool = result["pool"]
    assert result["changed"] is False
    assert pool["name"] == "pool-a"
    assert pool["master"]["address"] == "127.0.10.1" and pool["master"]["name"] == "xs-a1"
    assert [h["name"] for h in pool["hosts"]] == ["xs-a1", "xs-a2", "xs-a3"]
    assert pool["default_sr"]["name"] == "NFS storage"
    nfs = next(s for s in pool["srs"] if s["name"] == "NFS storage")
    assert nfs["shared"] and nfs["default"] and nfs["size"] == 4096 * 1024 ** 3 and nfs["free"] <= nfs["size"]
    assert "Pool-wide network associated with eth0" in [n["name"] for n in pool["networks"]]
    assert counters(sim)["open_sessions"] == 0


def test_host_info(sim, run_module, connection):
    hosts = run_module(host_info, connection)["hosts"]
    assert [h["name"] for h in hosts] == ["xs-a1", "xs-a2", "xs-a3"]
    first = hosts[0]
    assert first["master"] and first["address"] == "127.0.10.1" and first["enabled"] and first["live"]
    assert first["product_brand"] == "XenServer" and first["product_version"] == "8.4.0"
    assert first["memory"]["total"] == 128 * 1024 ** 3 and 0 < first["memory"]["free"] < first["memory"]["total"]
    assert first["cpu"]["count"] == 32
    one = run_module(host_info, dict(connection, name="xs-a2"))["hosts"]
    assert [h["name"] for h in one] == ["xs-a2"] and not one[0]["master"]


def test_vm_info_filters(sim, run_module, connection):
    vms = run_module(vm_info, connection)["vms"]
    assert [v["name"] for v in vms] == ["build-01", "db-01", "db-02", "web-01", "web-02", "web-03"]
    web = run_module(vm_info, dict(connection, tags=["web"], power_state="running"))["vms"]
    assert [v["name"] for v in web] == ["web-01", "web-02", "web-03"]
    vm = web[0]
    assert vm["power_state"] == "running" and vm["host"]["name"].startswith("xs-a")
    assert vm["ip"].startswith("127.") and vm["ips"] == [vm["ip"]]
    assert vm["disks"][0]["sr"] == "NFS storage" and vm["disks"][0]["size"] == 20 * 1024 ** 3
    assert vm["networks"][0]["network"] == "Pool-wide network associated with eth0"
    assert vm["console"]["protocol"] == "rfb" and vm["console"]["location"].startswith("https://127.0.10.")
    assert vm["template"] == "Debian Bookworm 12"
    halted = run_module(vm_info, dict(connection, name="build-01"))["vms"][0]
    assert halted["power_state"] == "halted" and halted["console"] is None and halted["host"] is None
    by_uuid = run_module(vm_info, dict(connection, uuid=halted["uuid"]))["vms"]
    assert [v["name"] for v in by_uuid] == ["build-01"]
    templates = run_module(vm_info, dict(connection, include_templates=True))["vms"]
    assert "Debian Bookworm 12" in [v["name"] for v in templates]
    assert counters(sim)["open_sessions"] == 0


def test_vm_info_calls_do_not_grow_with_vms(sim, run_module, connection):
    sim.world.counters.reset()
    run_module(vm_info, connection)
    calls = counters(sim)["total_calls"]
    assert calls <= 12  # login, a filtered listing, one bulk read per related class, logout


def test_bad_password_is_one_clear_line(sim, run_module, connection):
    result = run_module(pool_info, dict(connection, password="wrong-one"))
    assert result["failed"]
    assert "authentication failed for user root" in result["msg"]
    assert "wrong-one" not in json_text(result)
    assert result["xapi_error"]["code"] == "SESSION_AUTHENTICATION_FAILED"


def test_untrusted_certificate(sim, run_module, connection):
    result = run_module(pool_info, dict(connection, ca_path=None))
    assert result["failed"] and "certificate" in result["msg"] and "ca_path" in result["msg"]


def test_unreachable_host(sim, run_module, connection):
    result = run_module(pool_info, dict(connection, hostname="https://127.0.99.99:%d" % sim.listeners.port,
                                        request_timeout=2))
    assert result["failed"] and "cannot connect to https://127.0.99.99" in result["msg"]


def test_unknown_vm_uuid(sim, run_module, connection):
    result = run_module(vm_info, dict(connection, uuid="00000000-0000-0000-0000-000000000000"))
    assert result["failed"] and result["msg"] == "no VM has uuid 00000000-0000-0000-0000-000000000000"


def json_text(result):
    import json

    return json.dumps(result)


def test_sr_info(sim, run_module, connection):
    from ansible_collections.xapi.xenserver.plugins.modules import sr_info

    srs = run_module(sr_info, dict(connection, type="nfs"))["srs"]
    assert [s["name"] for s in srs] == ["NFS storage"]
    nfs = srs[0]
    assert nfs["shared"] and nfs["default"] and nfs["size"] == 4096 * 1024 ** 3
    assert nfs["free"] == nfs["size"] - nfs["used"] and nfs["disks"] >= 6
    assert [h["host"] for h in nfs["hosts"]] == ["xs-a1", "xs-a2", "xs-a3"]
    assert nfs["hosts"][0]["device_config"]["server"] == "127.0.100.1"
    local = run_module(sr_info, dict(connection, name="Local storage"))["srs"]
    assert len(local) == 3 and not local[0]["shared"] and len(local[0]["hosts"]) == 1
    assert counters(sim)["open_sessions"] == 0
