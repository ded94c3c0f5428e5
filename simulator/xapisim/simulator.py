"""The simulator as a library: build a world, call it in-process, or serve it on loopback.

    sim = Simulator("pool3", speed=100)
    sim.call("127.0.10.1", "session.login_with_password", "root", sim.password)  # in-process
    with Simulator("pool3", speed=100).serve() as sim:                             # threaded server
        sim.url("127.0.10.1"), sim.ca_path
"""

import gc
import json
import os
import secrets
import shutil
import tempfile
import threading

from . import directory as directories
from . import scenario as scenarios
from .dispatch import dispatch
from .tls import CertificateAuthority

CONTROL_ADDRESS = "127.0.0.1"


class Simulator:
    def __init__(self, scenario="standalone", speed=1.0, password=None, tls=True, port=0, state_dir=None,
                 seed=0, directory=None):
        self.scenario = scenario
        self.speed = speed
        self.password = password or secrets.token_urlsafe(12)
        self.tls = tls
        self.port = port
        self.seed = seed
        self.control_address = CONTROL_ADDRESS
        self._own_state_dir = state_dir is None  # made by serve() when needed, removed by stop()
        self.state_dir = state_dir
        self.stopping = threading.Event()
        self.ca = None
        self.listeners = None
        self.world = None
        self._load_lock = threading.Lock()
        self._endpoints_lock = threading.Lock()  # hosts change from several threads (timers, calls, the lab)
        # --directory: a real AD every pool of every scenario loaded authenticates against
        self.directory = directories.from_url(directory) if directory else None
        self.load(scenario)

    # ---- the world ---------------------------------------------------------------------------
    def load(self, scenario):
        """Build `scenario` afresh and serve it (the old world's sessions and tasks are gone)."""
        with self._load_lock:
            world = scenarios.build(scenario, speed=self.speed if self.world is None else self.world.clock.speed,
                                    root_password=self.password, seed=self.seed)
            if self.directory is not None:
                world.directory = self.directory
            old, self.world, self.scenario = self.world, world, scenario
            world.on_hosts_changed = self._hosts_changed
            # a world is hundreds of thousands of long-lived objects: keep the cyclic GC off them
            gc.collect()
            gc.freeze()
            if old is not None:
                old.stop()
            if self.listeners is not None:
                self._attach_lab()
                self.listeners.sync(self.addresses())
                self._write_endpoints()
        return world

    def _hosts_changed(self):
        """A host joined, left, rebooted: listen on the addresses that answer now."""
        if self.listeners is not None and not self.stopping.is_set():
            self.listeners.sync(self.addresses())
            self._write_endpoints()

    def addresses(self):
        return [self.control_address] + list(self.world.hosts) + list(self.world.extra_endpoints)

    def call(self, address, method, *params):
        """In-process call (no HTTP): the value, or xapisim.errors.Failure."""
        return dispatch(self.world, address, method, list(params), "inprocess")

    # ---- serving -----------------------------------------------------------------------------
    @property
    def ca_path(self):
        return self.ca.ca_path if self.ca else None

    def url(self, address=None):
        address = address or self.master_address()
        return "%s://%s:%d" % ("https" if self.tls else "http", address, self.listeners.port)

    def master_address(self, pool_index=0):
        pool = self.world.pools[pool_index]
        return pool.address_of(pool.master)

    def serve(self):
        from .server import Listeners

        if self.tls and self.ca is None:
            self.ca = CertificateAuthority(self._state_dir())
        self.listeners = Listeners(self, self.port)
        for dummy in range(20):
            try:
                self.listeners.sync(self.addresses())
                break
            except OSError:
                if self.port:  # a fixed port is the caller's choice: say it is taken
                    raise
                self.listeners.close()
                self.listeners = Listeners(self, 0)
        self.listeners.start()
        self._attach_lab()
        self._write_endpoints()
        return self

    def _attach_lab(self):
        """The lab's TFTP and HTTP roots under the state dir; its HTTP root served (xapisim/lab)."""
        if self.world.lab is not None:
            self.world.lab.attach(self._state_dir(), self.listeners.port, self.tls)

    def endpoints(self):
        hosts, pools = [], []
        for index, pool in enumerate(self.world.pools):
            master = pool.master
            members = []
            for host in pool.db.refs("host"):
                record = pool.db.get("host", host)
                entry = {"name": record["name_label"], "uuid": record["uuid"], "address": record["address"],
                         "pool": pool.name, "pool_index": index, "master": host == master}
                if self.listeners is not None:
                    entry["url"] = self.url(record["address"])
                hosts.append(entry)
                members.append(record["address"])
            pools.append({"name": pool.name, "master": pool.address_of(master), "hosts": members})
        result = {"scenario": self.world.scenario_name, "username": "root", "password": self.password,
                  "tls": self.tls, "speed": self.world.clock.speed, "pools": pools, "hosts": hosts}
        if self.listeners is not None:
            result.update({"port": self.listeners.port, "ca": self.ca_path,
                           "control": "%s/_sim/" % self.url(self.control_address)})
            if self.world.lab is not None:
                result["lab"] = self.world.lab.endpoints()
        return result

    def _state_dir(self):
        if self.state_dir is None:
            self.state_dir = tempfile.mkdtemp(prefix="xapisim-")
        os.makedirs(self.state_dir, exist_ok=True)
        return self.state_dir

    def _write_endpoints(self):
        path = os.path.join(self._state_dir(), "endpoints.json")
        temporary = path + ".tmp"
        with self._endpoints_lock:
            with open(temporary, "w", encoding="utf-8") as handle:
                os.chmod(temporary, 0o600)  # it holds the root password
                json.dump(self.endpoints(), handle, indent=2)
            os.replace(temporary, path)

    def stop(self):
        """New requests get 503 at once; calls in flight end with an error answer (their
        simulated waits are cut short) before the connections close. Stopping twice is fine."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        self.world.stop()
        if self.listeners is not None:
            self.listeners.calls.wait_idle(5.0)
            self.listeners.close()
        if self._own_state_dir and self.state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
