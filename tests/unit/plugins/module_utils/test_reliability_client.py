"""Issue 12, the client's part: a call whose answer is lost is sent again only when that is safe, after
looking whether it ran; otherwise its error says that it may have run. The master may move twice during
one call."""

import threading
import time

import pytest

from ansible_collections.xapi.xenserver.plugins.module_utils._client import XenAPIClient
from ansible_collections.xapi.xenserver.plugins.module_utils._errors import XenAPIConnectionError
from ansible_collections.xapi.xenserver.plugins.module_utils._tasks import run_async
from xapisim.control import counters

MASTER = "127.0.10.1"


def client_for(sim, address=MASTER):
    return XenAPIClient(sim.url(address), "root", sim.password, ca_path=sim.ca_path, retry_deadline=10.0)


def test_a_lost_write_is_not_sent_again_and_says_it_may_have_run(sim):
    sim.world.faults.add(method="VM.start", action="drop", count=1)
    with client_for(sim) as client:
        vm = client.call("VM.get_by_name_label", "build-01")[0]
        with pytest.raises(XenAPIConnectionError) as failure:
            client.call("VM.start", vm, False, False)
    assert str(failure.value) == ("the connection to %s broke after VM.start was sent (Remote end closed connection "
                                  "without response): it may have run; look before running it again" % sim.url(MASTER))
    assert counters(sim)["calls"]["VM.start"] == 1 and counters(sim)["open_sessions"] == 0


@pytest.mark.parametrize("after, sent", [(True, 1), (False, 2)])
def test_a_map_change_whose_answer_is_lost_is_looked_for_first(sim, after, sent):
    sim.world.faults.add(method="VM.add_to_other_config", action="drop", after=after, count=1)
    with client_for(sim) as client:
        vm = client.call("VM.get_by_name_label", "build-01")[0]
        client.call("VM.add_to_other_config", vm, "owner", "ops")
        assert client.call("VM.get_other_config", vm)["owner"] == "ops"
        assert client.notes == ["the answer to VM.add_to_other_config was lost (Remote end closed connection without "
                                "response); %s" % ("it had run, so it was not sent again" if after else
                                                   "it had not run, so it was sent again")]
    assert counters(sim)["calls"]["VM.add_to_other_config"] == sent


def test_logins_logouts_setters_and_task_calls_survive_lost_answers(sim):
    for method in ("session.login_with_password", "VM.set_name_description", "task.destroy", "session.logout"):
        sim.world.faults.add(method=method, action="drop", count=1)
    with client_for(sim, "127.0.10.2") as client:
        vm = client.call("VM.get_by_name_label", "build-01")[0]
        client.call("VM.set_name_description", vm, "again")
        assert run_async(client, "VM.clone", vm, "copy-of-build", once=True).startswith("OpaqueRef:")
    seen = counters(sim)
    assert seen["open_sessions"] == 0 and seen["calls"]["session.logout"] == 2
    assert seen["calls"]["Async.VM.clone"] == 1
    assert [rule["hits"] for rule in sim.world.faults.describe()] == [1, 1, 1, 1]
    assert len(sim.world.pools[0].db.find("VM", name_label="copy-of-build")) == 1
    assert sim.world.pools[0].db.find("task") == []


def test_an_async_creation_whose_answer_is_lost_is_waited_on_not_made_twice(sim):
    sim.world.faults.add(method="Async.VM.clone", action="drop", after=True, count=1)
    with client_for(sim) as client:
        template = client.call("VM.get_by_name_label", "Debian Bookworm 12")[0]
        clone = run_async(client, "VM.clone", template, "only-once", once=True)
        assert client.call("VM.get_name_label", clone) == "only-once"
        assert "it had run and made OpaqueRef:" in client.notes[0]
    assert counters(sim)["calls"]["Async.VM.clone"] == 1
    assert len(sim.world.pools[0].db.find("VM", name_label="only-once")) == 1


def test_the_master_moves_twice_during_one_call(sim):
    """VM.get_all is held at xs-a1 while xs-a2 becomes master, then held at xs-a2 while xs-a3 does: the
    call follows both HOST_IS_SLAVE answers."""
    session = sim.call(MASTER, "session.login_with_password", "root", sim.password)
    hosts = {sim.call(MASTER, "host.get_name_label", session, ref): ref for ref in sim.call(MASTER, "host.get_all", session)}
    pool = sim.call(MASTER, "pool.get_all", session)[0]
    holds = [sim.world.faults.add(method="VM.get_all", action="delay", seconds=0.5, count=1, host=address)
             for address in (MASTER, "127.0.10.2")]

    def switch():
        for hold, (address, name) in zip(holds, (("127.0.10.1", "xs-a2"), ("127.0.10.2", "xs-a3"))):
            deadline = time.monotonic() + 30
            while not hold.hits and time.monotonic() < deadline:
                pause.wait(0.01)
            sim.call(address, "pool.designate_new_master", session, hosts[name])

    pause = threading.Event()
    switcher = threading.Thread(target=switch)
    switcher.start()
    with client_for(sim) as client:
        assert len(client.call("VM.get_all")) > 6
        assert client.url == sim.url("127.0.10.3")
    switcher.join()
    sim.call("127.0.10.3", "session.logout", session)
    assert [hold.hits for hold in holds] == [1, 1] and counters(sim)["open_sessions"] == 0
