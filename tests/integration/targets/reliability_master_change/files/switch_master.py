#!/usr/bin/env python
"""From the side, while a playbook runs against a pool member: the pool master changes, each time while
a module is in the middle of a call. For each switch WATCHED:AFTER:HELD:HOST: once WATCHED has been
called AFTER times, a fault rule holds the next HELD call (a delay before the simulator serves it); once
the rule has caught one (a module waits in that call), pool.designate_new_master makes HOST the master,
and the held call then reaches a host that is no longer the master. Prints one JSON object per switch.

    switch_master.py STATE_DIR WATCHED:AFTER:HELD:HOST [...]
"""

import json
import ssl
import sys
import threading
import time
import urllib.request

DEADLINE = 300.0  # for the whole playbook
HOLD = 3.0  # seconds the caught call waits: much longer than a designation (0.2 s at --speed 50)


class Simulator:
    def __init__(self, state_dir):
        with open("%s/endpoints.json" % state_dir, encoding="utf-8") as handle:
            self.endpoints = json.load(handle)
        self.context = ssl.create_default_context(cafile=self.endpoints["ca"])
        self.deadline = time.monotonic() + DEADLINE
        self.pause = threading.Event()

    def control(self, path, body=None, method=None):
        data = b"" if method == "DELETE" else None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.endpoints["control"] + path, data=data,
                                         method=method or ("POST" if data else "GET"),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self.context, timeout=30) as answer:
            return json.load(answer)

    def rpc(self, address, method, *params):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode("utf-8")
        url = "https://%s:%d/jsonrpc" % (address, self.endpoints["port"])
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self.context, timeout=60) as answer:
            reply = json.load(answer)
        if reply.get("error"):
            raise RuntimeError("%s: %s" % (method, reply["error"]))
        return reply["result"]

    def wait_for(self, what, condition):
        """Wait until condition() holds (read every 20 ms), or fail naming what was awaited."""
        while not condition():
            if time.monotonic() > self.deadline:
                raise RuntimeError("gave up waiting for %s" % what)
            self.pause.wait(0.02)

    def master(self):
        return self.control("state?classes=pool")["pools"][0]["master"]

    def designate(self, name):
        master = self.master()
        session = self.rpc(master, "session.login_with_password", "root", self.endpoints["password"], "2.21",
                           "switch_master")
        try:
            hosts = self.rpc(master, "host.get_all_records", session)
            ref = next(ref for ref, record in hosts.items() if record["name_label"] == name)
            self.rpc(master, "pool.designate_new_master", session, ref)
        finally:
            self.rpc(self.master(), "session.logout", session)
        return master


def main(state_dir, *switches):
    sim = Simulator(state_dir)
    for switch in switches:
        watched, after, held, host = switch.split(":")
        sim.wait_for("%s calls of %s" % (after, watched),
                     lambda: sim.control("counters")["calls"].get(watched, 0) >= int(after))
        sim.control("faults", {"method": held, "action": "delay", "seconds": HOLD, "count": 1})
        sim.wait_for("a %s call to hold" % held,
                     lambda: any(rule["method"] == held and rule["hits"] for rule in sim.control("faults")))
        old = sim.designate(host)
        counters = sim.control("counters")
        print(json.dumps({"held": held, "from": old, "to": sim.master(), "calls": counters["total_calls"],
                          "open_sessions": counters["open_sessions"]}), flush=True)
        sim.control("faults", method="DELETE")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
