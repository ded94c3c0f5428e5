"""The XenServer 8 update model: repositories, pool.sync_updates, host.apply_updates with xapi's
checks and guidance, what a toolstack restart and a reboot clear, and the scenario's updates: key."""

import re

import pytest
from conftest import MASTER, error, wait_until

from xapisim import ScenarioError, Simulator
from xapisim.handlers import repository

NORMAL = "https://repo.ops.xenserver.com/xs8/normal"
POOL3_UPDATES = ["XS8-2024-0912", "XS8-2024-0915", "XS8-2024-0920"]


@pytest.fixture
def pool(api):
    """pool3 with names: api.pool, api.hosts by name, api.db, api.normal (the update repository)."""
    api.pool = api("pool.get_all")[0]
    api.hosts = {api("host.get_name_label", h): h for h in api("host.get_all")}
    api.db = api.sim.world.pools[0].db
    api.normal = api("Repository.get_by_name_label", "normal")[0]
    return api


def drained(api, name):
    """The host disabled and its VMs moved to the others."""
    host = api.hosts[name]
    api("host.disable", host)
    api("host.evacuate", host, "OpaqueRef:NULL", 0)
    return host


def back(api, host):
    wait_until(lambda: api.sim.world.pool_of_host(api("host.get_address", host))[0] is not None
               and api("host.get_enabled", host) and not api("host.get_current_operations", host))


def publish(api, **spec):
    return repository.publish(api.db, NORMAL, spec)


def test_pool3_starts_configured_and_synced(pool):
    api = pool
    repositories = api("pool.get_repositories", api.pool)
    assert [api("Repository.get_name_label", r) for r in repositories] == ["base", "normal"]
    record = api("Repository.get_record", api.normal)
    assert record["update"] is True and record["binary_url"] == NORMAL and re.fullmatch("[0-9a-f]{64}", record["hash"])
    assert api("Repository.get_hash", repositories[0]) == ""  # not an update repository
    assert api("pool.get_last_update_sync", api.pool) != "19700101T00:00:00Z"
    for host in api.hosts.values():
        record = api("host.get_record", host)
        assert record["latest_synced_updates_applied"] == "no" and record["pending_guidances"] == []
        assert record["last_update_hash"] == ""


def test_sync_returns_the_hash_which_changes_with_the_repository(pool):
    api = pool
    old = api("Repository.get_hash", api.normal)
    assert api("pool.sync_updates", api.pool, False, "", "") == old  # the same content, the same checksum
    assert api("pool.sync_updates", api.pool, True, "token", "id") == old
    publish(api, name="XS8-2024-1001", guidance="none")
    assert api("Repository.get_hash", api.normal) == old  # not before a sync
    new = api("pool.sync_updates", api.pool, False, "", "")
    assert new != old and api("Repository.get_hash", api.normal) == new
    host = drained(api, "xs-a2")
    assert error(api, "host.apply_updates", host, old) == ["UPDATEINFO_HASH_MISMATCH"]
    assert error(api, "host.apply_updates", host, "") == ["UPDATEINFO_HASH_MISMATCH"]
    api("host.apply_updates", host, new)


def test_apply_with_reboot_guidance(pool):
    api = pool
    update_hash = api("Repository.get_hash", api.normal)
    host = api.hosts["xs-a2"]
    software = api("host.get_software_version", host)
    assert any(api("VM.get_is_control_domain", vm) is False for vm in api("host.get_resident_VMs", host))
    # xapi disables the host itself, then refuses: the reboot guidance needs the VMs gone first
    assert error(api, "host.apply_updates", host, update_hash) == ["HOST_EVACUATION_IS_REQUIRED", host]
    assert api("host.get_enabled", host) is False
    api("host.evacuate", host, "OpaqueRef:NULL", 0)
    assert api("host.apply_updates", host, update_hash) == []
    record = api("host.get_record", host)
    # RebootHost makes RestartToolstack needless (GuidanceSet precedences)
    assert record["pending_guidances"] == ["reboot_host"]
    assert record["latest_synced_updates_applied"] == "yes" and record["last_update_hash"] == update_hash
    assert record["last_software_update"] != "19700101T00:00:00Z" and record["enabled"] is False
    assert record["software_version"] == software  # xen and xapi change when the host restarts
    assert record["updates_requiring_reboot"] == []  # the legacy pool_update field: not this model's
    assert error(api, "host.enable", host) == ["HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY", host]
    assert error(api, "host.apply_updates", host, update_hash) == ["HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY", host]
    api("host.reboot", host)
    back(api, host)
    record = api("host.get_record", host)
    assert record["pending_guidances"] == [] and record["enabled"] is True
    assert record["software_version"] == dict(software, xen="4.17.5-4", build_number="release/nile/master/61",
                                              date="2024-09-12", xapi_build="24.19.3")
    assert api("host.get_latest_synced_updates_applied", api.hosts["xs-a3"]) == "no"
    assert api("host.apply_updates", host, update_hash) == []  # nothing left: still a success
    assert api("host.get_pending_guidances", host) == []


def test_toolstack_guidance_is_cleared_by_a_toolstack_restart(pool):
    api = pool
    host = drained(api, "xs-a3")
    api("host.apply_updates", host, api("Repository.get_hash", api.normal))
    api("host.reboot", host)
    back(api, host)
    publish(api, name="XS8-2024-1002", version="24.19.4-1.xs8", packages=["xapi-core"], guidance="restart_toolstack",
            software_version={"xapi_build": "24.19.4"})
    update_hash = api("pool.sync_updates", api.pool, False, "", "")
    assert api("host.get_latest_synced_updates_applied", host) == "no"
    # no reboot: VMs may stay; xapi disables the host all the same
    api("host.apply_updates", host, update_hash)
    assert api("host.get_pending_guidances", host) == ["restart_toolstack"]
    assert api("host.get_enabled", host) is False
    assert api("host.get_software_version", host)["xapi_build"] == "24.19.3"
    api("host.restart_agent", host)
    back(api, host)  # xapi enables a host again when its toolstack starts and nothing is pending
    assert api("host.get_pending_guidances", host) == []
    assert api("host.get_software_version", host)["xapi_build"] == "24.19.4"


def test_an_update_without_guidance_is_in_effect_at_once(pool):
    api = pool
    host = drained(api, "xs-a3")
    api("host.apply_updates", host, api("Repository.get_hash", api.normal))
    api("host.reboot", host)
    back(api, host)
    publish(api, name="XS8-2024-1003", packages=["xsconsole"], software_version={"date": "2024-10-03"})
    api("host.apply_updates", host, api("pool.sync_updates", api.pool, False, "", ""))
    assert api("host.get_pending_guidances", host) == [] and api("host.get_enabled", host) is False
    assert api("host.get_software_version", host)["date"] == "2024-10-03"
    api("host.enable", host)


def test_restarting_the_coordinators_toolstack_ends_its_sessions(pool):
    api = pool
    api("host.restart_agent", api.hosts["xs-a1"])
    wait_until(lambda: api.sim.world.pool_of_host(MASTER)[0] is None)
    wait_until(lambda: api.sim.world.pool_of_host(MASTER)[0] is not None)
    assert error(api, "pool.get_all")[0] == "SESSION_INVALID"


def test_one_pool_operation_at_a_time(pool):
    api = pool
    host = drained(api, "xs-a2")
    task = api("Async.pool.sync_updates", api.pool, False, "", "")
    wait_until(lambda: api("pool.get_current_operations", api.pool))
    assert error(api, "host.apply_updates", host, "x") == ["SYNC_UPDATES_IN_PROGRESS"]
    assert error(api, "pool.set_repositories", api.pool, []) == ["SYNC_UPDATES_IN_PROGRESS"]
    wait_until(lambda: api("task.get_status", task) == "success")
    assert api("pool.get_current_operations", api.pool) == {}
    assert api("task.get_result", task) == "<value>%s</value>" % api("Repository.get_hash", api.normal)


def test_apply_updates_refusals(pool):
    api = pool
    update_hash = api("Repository.get_hash", api.normal)
    (nfs,) = api("SR.get_by_name_label", "NFS storage")
    api("pool.enable_ha", [nfs], {})
    host = api.hosts["xs-a2"]
    assert error(api, "host.apply_updates", host, update_hash) == ["HA_IS_ENABLED"]
    assert api("host.get_enabled", host) is True  # refused before the host is disabled
    api("pool.disable_ha")
    host = drained(api, "xs-a3")
    api("host.shutdown", host)
    wait_until(lambda: api("host_metrics.get_live", api("host.get_metrics", host)) is False
               and not api("host.get_current_operations", host))
    assert error(api, "host.apply_updates", host, update_hash) == ["GET_HOST_UPDATES_FAILED", host]
    assert error(api, "pool.sync_updates", api.pool, False, "", "") == ["GET_HOST_UPDATES_FAILED", host]
    assert api("pool.check_update_readiness", api.pool, False) == [["HOST_OFFLINE", host]]


def test_repositories(pool):
    api = pool
    base, normal = api("pool.get_repositories", api.pool)
    url = "https://mirror.example.test/xs8/normal"
    assert error(api, "Repository.introduce", "x", "", "ftp://mirror.example.test/", url, True, "") == \
        ["INVALID_BASE_URL", "ftp://mirror.example.test/"]
    assert error(api, "Repository.introduce", "x", "", url, "", True, "") == ["INVALID_BASE_URL", ""]
    assert error(api, "Repository.introduce", "x", "", url, url, True, "a/b") == ["INVALID_GPGKEY_PATH", "a/b"]
    assert error(api, "Repository.introduce", "normal", "", url, url, True, "") == ["REPOSITORY_ALREADY_EXISTS", normal]
    assert error(api, "Repository.introduce", "x", "", NORMAL, url, True, "") == ["REPOSITORY_ALREADY_EXISTS", normal]
    mirror = api("Repository.introduce", "mirror", "a local mirror", url, url, True, "RPM-GPG-KEY-XS")
    assert api("Repository.get_record", mirror)["hash"] == ""
    assert error(api, "Repository.forget", normal) == ["REPOSITORY_IS_IN_USE"]
    api("pool.add_repository", api.pool, mirror)
    assert api("pool.get_last_update_sync", api.pool) == "19700101T00:00:00Z"
    assert error(api, "pool.sync_updates", api.pool, False, "", "") == ["REPOSYNC_FAILED"]  # nothing answers there
    repository.publish(api.db, url, {"name": "XS8-2024-0912"})
    assert error(api, "pool.sync_updates", api.pool, False, "", "") == ["MULTIPLE_UPDATE_REPOSITORIES_ENABLED"]
    api("pool.remove_repository", api.pool, normal)
    update_hash = api("pool.sync_updates", api.pool, False, "", "")
    assert api("Repository.get_hash", mirror) == update_hash
    api("pool.set_repositories", api.pool, [base, normal])
    assert api("Repository.get_hash", normal) == ""
    host = drained(api, "xs-a2")
    assert error(api, "host.apply_updates", host, update_hash) == ["UPDATEINFO_HASH_MISMATCH"]
    api("pool.set_repositories", api.pool, [])
    assert error(api, "pool.sync_updates", api.pool, False, "", "") == ["NO_REPOSITORY_ENABLED"]
    assert error(api, "host.apply_updates", host, update_hash) == ["NO_REPOSITORY_ENABLED"]
    api("Repository.forget", mirror)
    assert api("Repository.get_all") == [base, normal]


def test_update_sync_schedule(pool):
    api = pool
    assert error(api, "pool.configure_update_sync", api.pool, "weekly", 7) == ["INVALID_UPDATE_SYNC_DAY", "7"]
    api("pool.configure_update_sync", api.pool, "daily", 3)
    assert api("pool.get_update_sync_day", api.pool) == 0
    api("pool.set_update_sync_enabled", api.pool, True)
    api("pool.set_repositories", api.pool, [])
    assert error(api, "pool.set_update_sync_enabled", api.pool, True) == ["NO_REPOSITORIES_CONFIGURED"]


def test_emergency_clear_mandatory_guidance(pool):
    api = pool
    host = drained(api, "xs-a1")  # the coordinator: the call clears the guidance of the host it reaches
    api("host.apply_updates", host, api("Repository.get_hash", api.normal))
    assert api("host.get_pending_guidances", host) == ["reboot_host"]
    api("host.emergency_clear_mandatory_guidance")
    assert api("host.get_pending_guidances", host) == []
    api("host.enable", host)


def test_check_update_readiness(pool):
    api = pool
    assert api("pool.check_update_readiness", api.pool, True) == []
    for name in ("xs-a2", "xs-a3"):
        api("host.disable", api.hosts[name])
    problems = api("pool.check_update_readiness", api.pool, True)
    assert problems and all(p[0] == "NO_HOSTS_AVAILABLE" for p in problems)


def _scenario(tmp_path, updates, product="xenserver"):
    path = tmp_path / "s.yaml"
    path.write_text("product: %s\npools:\n  - name: p\n    hosts: 1\n    updates: %s\n" % (product, updates))
    return str(path)


@pytest.mark.parametrize("updates, words", [
    ("[{name: A, guidance: reboot}]", "pools[0].updates[0].guidance: 'reboot' is not one of reboot_host"),
    ("[{version: 1}]", "pools[0].updates[0]: an update needs at least a name"),
    ("[{name: A}, {name: A}]", "pools[0].updates: the update A is listed twice"),
    ("[{name: A, issued: soon}]", "pools[0].updates[0].issued: 'soon' is not a date"),
    ("{available: 3}", "pools[0].updates: a list of updates"),
])
def test_bad_updates_in_a_scenario(tmp_path, updates, words):
    with pytest.raises(ScenarioError) as failure:
        Simulator(_scenario(tmp_path, updates))
    assert words in str(failure.value)


def test_a_pool_that_has_not_synced_yet(tmp_path):
    updates = "{synced: false, available: [{name: A, guidance: restart_toolstack}]}"
    with Simulator(_scenario(tmp_path, updates, "xcp-ng"), speed=500, password="pw") as sim:
        session = sim.call(MASTER, "session.login_with_password", "root", "pw")

        def api(method, *params):
            return sim.call(MASTER, method, session, *params)

        pool_ref = api("pool.get_all")[0]
        (host,) = api("host.get_all")
        assert [api("Repository.get_binary_url", r) for r in api("pool.get_repositories", pool_ref)] == \
            ["https://updates.xcp-ng.org/8/8.3/base/x86_64/", "https://updates.xcp-ng.org/8/8.3/updates/x86_64/"]
        assert api("host.get_latest_synced_updates_applied", host) == "unknown"
        assert api("pool.get_last_update_sync", pool_ref) == "19700101T00:00:00Z"
        update_hash = api("pool.sync_updates", pool_ref, False, "", "")
        assert api("host.get_latest_synced_updates_applied", host) == "no"
        api("host.apply_updates", host, update_hash)  # a lone host: nowhere to evacuate to, and no need
        assert api("host.get_pending_guidances", host) == ["restart_toolstack"]
