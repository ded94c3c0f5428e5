"""Fixtures: the simulator in-process, or served on loopback over HTTPS (threaded).

Every test talks to a real simulator; nothing is mocked. Speed 500 makes a 20 s boot take
40 ms of real time.
"""

import json
import pathlib
import ssl
import subprocess
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


# ---- external authentication: the pool3 domain example.test, built in or a real Samba AD DC ----------

REPO = pathlib.Path(__file__).resolve().parents[2]
# test fixtures: the users of pool3's built-in directory and of scripts/samba-dc
DOMAIN_PASSWORDS = {"Administrator": "Passw0rd!x", "alice": "Wonder1and!", "bob": "Builder#42b",
                    "carol": "Sunny#Day7", "dave": "Locked#Out9"}


def join_config(**changes):
    """The join credentials of example.test with some keys changed; None removes a key."""
    config = {"user": "Administrator@example.test", "pass": DOMAIN_PASSWORDS["Administrator"], **changes}
    return {key: value for key, value in config.items() if value is not None}


@pytest.fixture(scope="session")
def samba_dc(tmp_path_factory):
    """A Samba AD DC for EXAMPLE.TEST on 127.0.0.1 (scripts/samba-dc), for the whole run. It
    fails, not skips, without samba: make test installs it (make samba)."""
    state = tmp_path_factory.mktemp("samba-dc")
    script = str(REPO / "scripts" / "samba-dc")
    started = subprocess.run([script, "start", str(state)], capture_output=True, text=True, timeout=120, check=False)
    if started.returncode != 0:
        pytest.fail("scripts/samba-dc start failed (make samba installs samba):\n%s" % started.stderr)
    yield json.loads(started.stdout.strip().splitlines()[-1])
    subprocess.run([script, "stop", str(state)], capture_output=True, timeout=60, check=True)


class Domain:
    """pool3 at speed 500 with a directory, in-process: root's session, and calls as anyone."""

    def __init__(self, directory=None):
        self.sim = Simulator("pool3", speed=SPEED, password="secret-pw", directory=directory)
        self.root = self.login("root", "secret-pw")
        self.pool = self("pool.get_all")[0]
        self.master = self("pool.get_master", self.pool)
        self.hosts = [self.master] + [h for h in self("host.get_all") if h != self.master]

    def __call__(self, method, *params):
        return self.sim.call(MASTER, method, self.root, *params)

    def login(self, user, password):
        return self.sim.call(MASTER, "session.login_with_password", user, password)

    def as_session(self, session):
        return lambda method, *params: self.sim.call(MASTER, method, session, *params)

    def enable(self, config=None):
        return self("pool.enable_external_auth", self.pool, config or join_config(), "example.test", "AD")

    def sid(self, name):
        return self("auth.get_subject_identifier", name)

    def allow(self, name, *roles):
        """A subject for a user or group of the domain, with these roles."""
        subject = self("subject.create", {"subject_identifier": self.sid(name), "other_config": {}})
        for role in roles:
            self("subject.add_to_roles", subject, self("role.get_by_name_label", role)[0])
        return subject


@pytest.fixture(params=["builtin", "samba"])
def domain(request):
    """The same tests against pool3's built-in example.test and against Samba's."""
    url = request.getfixturevalue("samba_dc")["url"] if request.param == "samba" else None
    found = Domain(url)
    yield found
    found.sim.stop()


@pytest.fixture
def builtin_domain():
    found = Domain()
    yield found
    found.sim.stop()
