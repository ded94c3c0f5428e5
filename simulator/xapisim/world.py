"""The simulated world: pools (one database each), hosts by address, time, faults, counters."""

import collections
import contextlib
import threading
import time

from .clock import Clock
from .db import Database
from .faults import Faults
from .model import load_model
from .nfs import NfsStore


class Pool:
    """One xapi pool: a database shared by its hosts; the master answers the API."""

    def __init__(self, world, name):
        self.world = world
        self.name = name
        self.db = Database(world.model)
        self.db.nfs = world.nfs
        from .handlers import install_derivers  # the behaviour modules own the derived fields

        install_derivers(self.db)

    @property
    def ref(self):
        refs = self.db.refs("pool")
        return refs[0] if refs else None

    @property
    def master(self):
        return self.db.get("pool", self.ref)["master"]

    def address_of(self, host_ref):
        return self.db.get("host", host_ref)["address"]


class Counters:
    FINISHED_KEPT = 1000

    def __init__(self):
        self._lock = threading.Lock()
        # task ref -> time.monotonic() when it ended: benchmarks measure how soon clients notice
        self.finished_at = collections.OrderedDict()
        self.calls = collections.Counter()
        self.protocols = collections.Counter()
        self.logins = 0
        self.logouts = 0

    def count(self, method, protocol):
        with self._lock:
            self.calls[method] += 1
            self.protocols[protocol] += 1

    def task_finished(self, task):
        with self._lock:
            self.finished_at[task] = time.monotonic()
            while len(self.finished_at) > self.FINISHED_KEPT:
                self.finished_at.popitem(last=False)

    def reset(self):
        with self._lock:
            self.calls.clear()
            self.protocols.clear()
            self.logins = self.logouts = 0


class World:
    def __init__(self, speed=1.0, root_password="xapisim", model=None, seed=0):
        self.model = model or load_model()
        self.clock = Clock(speed)
        self.root_password = root_password
        self.pools = []
        self.hosts = {}  # address -> (pool, host ref)
        self.faults = Faults(seed)
        self.counters = Counters()
        self.scenario_name = None
        self.extra_endpoints = {}  # address -> handler for non-XenAPI endpoints (BMCs, ...)
        self.tasks = set()  # running Async threads
        self.tasks_lock = threading.Lock()
        self.on_hosts_changed = None  # fn(): called when addresses start or stop answering (the server listens)
        self.directory = None  # the domain external authentication asks (xapisim.directory), if any
        self.lab = None  # the bare-metal lab (xapisim.lab.Lab): machines, BMCs, network boot, if any
        self.nfs = NfsStore()  # the NFS exports: they outlive the pools that use them

    def add_pool(self, name):
        pool = Pool(self, name)
        self.pools.append(pool)
        return pool

    def register_host(self, pool, host_ref):
        self.hosts[pool.address_of(host_ref)] = (pool, host_ref)

    def unregister_host(self, address):
        self.hosts.pop(address, None)

    def remove_pool(self, pool):
        """A pool whose database is gone: its sessions with it; waiters on it wake up."""
        if pool in self.pools:
            self.pools.remove(pool)
        for address, (owner, dummy) in list(self.hosts.items()):
            if owner is pool:
                del self.hosts[address]
        with pool.db.changed:
            pool.db.changed.notify_all()

    def hosts_changed(self):
        if self.on_hosts_changed is not None:
            self.on_hosts_changed()

    def open_sessions(self):
        return sum(len(pool.db.tables["session"]) for pool in self.pools)

    def pool_of_host(self, address):
        return self.hosts.get(address, (None, None))

    @staticmethod
    @contextlib.contextmanager
    def locked(*dbs):
        """Hold the locks of several pools' databases, always taken in the same order, so two
        cross-pool operations going opposite ways cannot deadlock."""
        with contextlib.ExitStack() as stack:
            for db in sorted(set(dbs), key=id):
                stack.enter_context(db.lock)
            yield

    def stop(self):
        self.clock.stop()
        if self.lab is not None:
            self.lab.stop()
        for pool in self.pools:
            with pool.db.changed:
                pool.db.changed.notify_all()
        with self.tasks_lock:
            running = list(self.tasks)
        for thread in running:
            thread.join(timeout=5)
