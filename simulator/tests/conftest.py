"""Fixtures: the simulator in-process, or served on loopback over HTTPS (threaded).

Every test talks to a real simulator; nothing is mocked. Speed 500 makes a 20 s boot take
40 ms of real time.
"""

import ssl
import threading
import time
import xmlrpc.client

import pytest
import requests
import XenAPI

from xapisim import Failure, Simulator

SPEED = 500.0


@pytest.fixture
def world_sim():
    """pool3, in-process only (no sockets)."""
    sim = Simulator("pool3", speed=SPEED, password="secret-pw")
    yield sim
    sim.stop()


@pytest.fixture
def served():
    """pool3 served over HTTPS on loopback, with its own CA."""
    sim = Simulator("pool3", speed=SPEED, password="secret-pw").serve()
    yield sim
    sim.stop()


@pytest.fixture
def served_factory():
    """Serve any scenario with any options; stopped at the end of the test."""
    started = []

    def start(scenario="pool3", **options):
        options.setdefault("speed", SPEED)
        options.setdefault("password", "secret-pw")
        sim = Simulator(scenario, **options).serve()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


def sdk_session(sim, address=None):
    """The official XenAPI SDK, verifying the simulator's certificate with its CA."""
    context = ssl.create_default_context(cafile=sim.ca_path)
    return XenAPI.Session(sim.url(address), transport=xmlrpc.client.SafeTransport(context=context))


@pytest.fixture
def sdk(served):
    session = sdk_session(served)
    session.xenapi.login_with_password("root", served.password, "1.0", "xapisim-tests")
    yield session
    try:
        session.xenapi.session.logout()
    except XenAPI.Failure:
        pass


class JsonRpc:
    """A bare JSON-RPC 2.0 caller, to see the wire as it is."""

    def __init__(self, sim, address=None, version="2.0"):
        self.url = sim.url(address) + "/jsonrpc"
        self.verify = sim.ca_path or False
        self.http = requests.Session()
        self.version = version
        self.ids = 0

    def raw(self, method, *params):
        self.ids += 1
        body = {"method": method, "params": list(params), "id": self.ids}
        if self.version:
            body["jsonrpc"] = self.version
        response = self.http.post(self.url, json=body, verify=self.verify, timeout=30)
        response.raise_for_status()
        return response.json()

    def __call__(self, method, *params):
        answer = self.raw(method, *params)
        if "error" in answer and answer["error"]:
            error = answer["error"]
            raise XenAPI.Failure([error["message"]] + error["data"] if isinstance(error, dict) else error)
        return answer["result"]


@pytest.fixture
def rpc(served):
    caller = JsonRpc(served)
    session = caller("session.login_with_password", "root", served.password, "1.0", "xapisim-tests")
    caller.session = session
    yield caller
    caller("session.logout", session)


MASTER = "127.0.10.1"


@pytest.fixture
def api(world_sim):
    """In-process calls to pool3's master as root: api("VM.start", vm, False, False)."""
    session = world_sim.call(MASTER, "session.login_with_password", "root", "secret-pw")

    def call(method, *params):
        return world_sim.call(MASTER, method, session, *params)

    call.sim = world_sim
    call.session = session
    call.vm = lambda name: call("VM.get_by_name_label", name)[0]
    return call


def error(call, *args):
    """The ErrorDescription of a call that must fail."""
    with pytest.raises(Failure) as failure:
        call(*args)
    return failure.value.description


def wait_until(predicate, deadline=5.0):
    """Wait for a condition, checking every 10 ms, failing after `deadline` seconds."""
    end = time.monotonic() + deadline
    pause = threading.Event()
    while time.monotonic() < end:
        if predicate():
            return True
        pause.wait(0.01)
    raise AssertionError("condition not met in %.1f s" % deadline)
