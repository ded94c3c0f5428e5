"""The vm module on a large pool, and how soon a finished task is noticed.

1. A `vm` run that changes nothing, on the `large` scenario (10,000 VMs) and on `standalone`:
   XenAPI calls made (from the simulator's counters) and time, side by side. Targets: at most
   8 calls, and large within 1.2x of standalone (the run must not read the whole pool).
2. Task completion: the same tasks waited on with event.from (our _tasks.wait_for_task) and with
   community.general's way (task.get_status every 2 s); the delay from the simulator marking
   the task finished to the client noticing it. Target: event.from median within 50 ms.

Each simulator runs in its own process (HTTPS with its CA), as a pool would; its counters come
from the control API. The finish time of a task is the simulator's time.monotonic(), the same
clock as the client's on Linux. Writes tests/output/bench/vm.json.

    .venv/bin/python tests/benchmarks/bench_vm.py [--reps N]
"""

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import threading
import time

import requests
from benchlib import ROOT, collection_path, start_simulator, stop_simulator

VM_OPTIONS = {"state": "running", "vcpus": 2, "memory": "2GiB", "tags": ["web"]}
TARGET_CALLS = 8
TARGET_RATIO = 1.2
TARGET_NOTICE_MS = 50.0
POLL_INTERVAL = 2.0  # community.general's wait_for_task


class Served:
    """A simulator in its own process, and its control API."""

    def __init__(self, scenario, speed):
        self.state_dir, self.endpoints = start_simulator(scenario, speed)
        self.url = next(h["url"] for h in self.endpoints["hosts"] if h["master"])
        self.password = self.endpoints["password"]
        self.ca_path = self.endpoints["ca"]
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would replace the simulator's CA

    def counters(self, reset=False):
        url = self.endpoints["control"] + ("counters/reset" if reset else "counters")
        answer = self.http.post(url, verify=self.ca_path) if reset else self.http.get(url, verify=self.ca_path)
        return answer.json()

    def stop(self):
        stop_simulator(self.state_dir)


def run_module(module, args):
    from ansible.module_utils.testing import patch_module_args

    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
    return json.loads(out.getvalue())


def vm_run(sim, vm_name, reps):
    from ansible_collections.xapi.xenserver.plugins.modules import vm

    args = dict(VM_OPTIONS, name=vm_name, hostname=sim.url, password=sim.password, ca_path=sim.ca_path)
    first = run_module(vm, args)  # brings the VM to the state asked once
    if first.get("failed"):
        raise SystemExit("vm failed: %s" % first["msg"])
    times, calls = [], []
    for dummy in range(reps):
        sim.counters(reset=True)
        started = time.perf_counter()
        result = run_module(vm, args)
        times.append(time.perf_counter() - started)
        calls.append(sim.counters()["total_calls"])
        if result.get("changed") or result.get("failed"):
            raise SystemExit("the second vm run was not a no-op: %s" % result)
    return {"median_s": statistics.median(times), "samples_s": times, "calls": max(calls)}


def notice_delays(sim, tasks):
    """Start `tasks` VM starts/shutdowns; wait each with event.from and with 2 s polling."""
    from ansible_collections.xapi.xenserver.plugins.module_utils._client import XenAPIClient
    from ansible_collections.xapi.xenserver.plugins.module_utils._tasks import wait_for_task

    delays = {"event_from_ms": [], "polling_2s_ms": []}
    with XenAPIClient(sim.url, "root", sim.password, ca_path=sim.ca_path) as client:
        vm = client.call("VM.get_by_name_label", "db-01")[0]
        pause = threading.Event()
        for index in range(tasks):
            method = "VM.hard_shutdown" if client.call("VM.get_power_state", vm) == "Running" else "VM.start"
            params = [vm] if method == "VM.hard_shutdown" else [vm, False, False]
            task = client.call("Async." + method, *params)
            if index % 2 == 0:
                wait_for_task(client, task, 60, method)
                noticed = time.monotonic()
                delays["event_from_ms"].append((noticed - sim.counters()["tasks_finished_at"][task]) * 1000)
            else:
                while client.call("task.get_status", task) == "pending":
                    pause.wait(POLL_INTERVAL)
                noticed = time.monotonic()
                delays["polling_2s_ms"].append((noticed - sim.counters()["tasks_finished_at"][task]) * 1000)
                client.call("task.destroy", task)
    return {name: {"median": statistics.median(values), "samples": values} for name, values in delays.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=12)
    parser.add_argument("--output", default=os.path.join(ROOT, "tests", "output", "bench", "vm.json"))
    args = parser.parse_args(argv)
    collection_path()
    results = {}
    for scenario, vm_name in (("standalone", "web-01"), ("large", "web-00001")):
        sim = Served(scenario, speed=200)
        try:
            results[scenario] = vm_run(sim, vm_name, args.reps)
        finally:
            sim.stop()
    sim = Served("pool3", speed=20)  # a start takes 1 s: time to wait
    try:
        notice = notice_delays(sim, args.tasks)
    finally:
        sim.stop()
    ratio = results["large"]["median_s"] / results["standalone"]["median_s"]
    print("vm run that changes nothing (medians of %d)" % args.reps)
    for scenario in ("standalone", "large"):
        print("  %-10s %6.1f ms  %d XenAPI calls" % (scenario, results[scenario]["median_s"] * 1000,
                                                     results[scenario]["calls"]))
    print("  large / standalone: %.2fx (target <= %.1fx: %s); calls <= %d: %s"
          % (ratio, TARGET_RATIO, "met" if ratio <= TARGET_RATIO else "MISSED", TARGET_CALLS,
             "met" if results["large"]["calls"] <= TARGET_CALLS else "MISSED"))
    print("task completion noticed after (median): event.from %.1f ms, 2 s polling %.0f ms (target <= %.0f ms: %s)"
          % (notice["event_from_ms"]["median"], notice["polling_2s_ms"]["median"], TARGET_NOTICE_MS,
             "met" if notice["event_from_ms"]["median"] <= TARGET_NOTICE_MS else "MISSED"))
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump({"vm_run": results, "ratio_large_over_standalone": ratio, "notice": notice}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
