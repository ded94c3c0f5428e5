"""GET /updates: the available updates as xapi's get_updates_handler serves them (JSON), over HTTPS."""

import pytest
import requests
from conftest import JsonRpc, wait_until

MASTER, MEMBER = "127.0.10.1", "127.0.10.2"


def get(sim, session=None, address=MASTER, cookie=False, **query):
    params = dict(query)
    headers = {}
    if session is not None and cookie:
        headers["Cookie"] = "session_id=%s" % session
    elif session is not None:
        params["session_id"] = session
    return requests.get(sim.url(address) + "/updates", params=params, headers=headers, verify=sim.ca_path, timeout=30)


@pytest.fixture
def hosts(rpc):
    return {rpc("host.get_name_label", rpc.session, h): h for h in rpc("host.get_all", rpc.session)}


def test_every_host_and_its_updates(served, rpc, hosts):
    answer = get(served, rpc.session)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    body = answer.json()
    normal = rpc("Repository.get_by_name_label", rpc.session, "normal")[0]
    assert body["hash"] == rpc("Repository.get_hash", rpc.session, normal)
    assert sorted(entry["ref"] for entry in body["hosts"]) == sorted(hosts.values())
    entry = body["hosts"][0]
    assert entry["updates"] == ["XS8-2024-0912", "XS8-2024-0915", "XS8-2024-0920"]
    assert entry["guidance"] == {"mandatory": ["RebootHost"], "recommended": [], "full": []}
    assert "xen-hypervisor-4.17.5-4.xs8.x86_64.rpm" in entry["RPMS"] and entry["livepatches"] == []
    first = body["updates"][0]
    assert set(first) == {"id", "summary", "description", "special-info", "URL", "type", "issued", "severity",
                          "livepatches", "guidance", "title"}
    assert first["id"] == "XS8-2024-0912" and first["issued"] == "2024-09-12T00:00:00Z"
    assert first["guidance"]["mandatory"] == ["RebootHost"] and first["severity"] == "High"
    assert get(served, rpc.session, cookie=True).json() == body


def test_one_host_after_its_updates(served, rpc, hosts):
    host = hosts["xs-a3"]
    normal = rpc("Repository.get_by_name_label", rpc.session, "normal")[0]
    rpc("host.disable", rpc.session, host)
    rpc("host.evacuate", rpc.session, host, "OpaqueRef:NULL", 0)
    rpc("host.apply_updates", rpc.session, host, rpc("Repository.get_hash", rpc.session, normal))
    body = get(served, rpc.session, host_refs=host).json()
    assert [entry["ref"] for entry in body["hosts"]] == [host]
    assert body["hosts"][0]["updates"] == [] and body["hosts"][0]["guidance"]["mandatory"] == []
    assert body["updates"] == []  # only what some asked-for host lacks
    both = get(served, rpc.session, host_refs="%s;%s" % (host, hosts["xs-a2"])).json()
    assert len(both["updates"]) == 3


def test_refusals(served, rpc, hosts):
    assert get(served).status_code == 401
    assert get(served, "OpaqueRef:nonsense").status_code == 401
    assert get(served, rpc.session, host_refs="OpaqueRef:nonsense").status_code == 400
    assert get(served, rpc.session, host_refs="").status_code == 400
    member = get(served, rpc.session, address=MEMBER)
    assert member.status_code == 500 and "HOST_IS_SLAVE" in member.text
    pool = rpc("pool.get_all", rpc.session)[0]
    rpc("pool.set_repositories", rpc.session, pool, [])
    assert get(served, rpc.session).status_code == 404  # NO_REPOSITORY_ENABLED
    repositories = rpc("Repository.get_all", rpc.session)
    rpc("pool.set_repositories", rpc.session, pool, repositories)
    answer = get(served, rpc.session)  # enabled again but not synced since: no local repository yet
    assert answer.status_code == 500 and "GET_UPDATES_FAILED" in answer.text
    rpc("pool.sync_updates", rpc.session, pool, False, "", "")
    assert get(served, rpc.session).status_code == 200


def test_a_member_local_session_is_refused_at_the_master(served, hosts):
    member = JsonRpc(served, MEMBER)
    local = member("session.slave_local_login_with_password", "root", served.password)
    assert get(served, local).status_code == 401


def test_a_host_whose_toolstack_restarts_answers_nothing(served):
    """Not even on a connection it accepted before: the client sees it go, as with a real host."""
    rpc = JsonRpc(served)
    session = rpc("session.login_with_password", "root", served.password, "1.0", "xapisim-tests")
    master = rpc("pool.get_master", session, rpc("pool.get_all", session)[0])
    rpc("host.restart_agent", session, master)
    wait_until(lambda: served.world.pool_of_host(MASTER)[0] is None)
    with pytest.raises(requests.exceptions.ConnectionError):
        rpc("pool.get_all", session)
    wait_until(lambda: served.world.pool_of_host(MASTER)[0] is not None)
    fresh = JsonRpc(served)
    session = fresh("session.login_with_password", "root", served.password, "1.0", "xapisim-tests")
    assert fresh("host.get_enabled", session, master) is True
    fresh("session.logout", session)
