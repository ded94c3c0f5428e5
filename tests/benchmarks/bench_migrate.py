"""Live migration with the vm_migrate module: how soon it returns once the migration has ended.

On pool3, served by a simulator in its own process (HTTPS with its CA, --speed 200: web-01's 2 GiB
move in 10 simulated seconds, 50 ms), vm_migrate's main() is run in this process, as bench_vm runs
the vm module, to move web-01 back and forth between two hosts. For each run: from the simulator
marking the VM.pool_migrate task finished (tasks_finished_at, time.monotonic: the same clock as
this process's on Linux) to the module returning, which covers noticing the end (event.from),
destroying the task, reading the VM for the result and logging out. Target: median under 50 ms.
Writes tests/output/bench/migrate.json.

    .venv/bin/python tests/benchmarks/bench_migrate.py [--runs N]
"""

import argparse
import json
import os
import statistics
import sys
import time

from bench_vm import Served, run_module
from benchlib import ROOT, collection_path

VM_NAME = "web-01"
SPEED = 200
MIGRATION_SECONDS = 4 + 3 * 2  # simulated: set-up, then 3 s per GiB of web-01's memory
TARGET_MEDIAN_MS = 50.0


def hosts_of(sim):
    """(the host web-01 runs on, another host of the pool)."""
    from ansible_collections.xapi.xenserver.plugins.module_utils._client import XenAPIClient

    with XenAPIClient(sim.url, "root", sim.password, ca_path=sim.ca_path) as client:
        vm = client.call("VM.get_by_name_label", VM_NAME)[0]
        here = client.call("host.get_name_label", client.call("VM.get_resident_on", vm))
    return here, next(h["name"] for h in sim.endpoints["hosts"] if h["name"] != here)


def migrations(sim, runs):
    """-> {"after_end_ms": [...], "run_ms": [...]}: each run moves web-01 to the other host."""
    from ansible_collections.xapi.xenserver.plugins.modules import vm_migrate

    here, there = hosts_of(sim)
    args = {"vm": VM_NAME, "hostname": sim.url, "password": sim.password, "ca_path": sim.ca_path}
    samples = {"after_end_ms": [], "run_ms": []}
    finished = set(sim.counters()["tasks_finished_at"])
    for dummy in range(runs):
        started = time.monotonic()
        result = run_module(vm_migrate, dict(args, host=there))
        returned = time.monotonic()
        if result.get("failed") or not result.get("moved") or result["vm"]["host"]["name"] != there:
            raise SystemExit("vm_migrate to %s did not move %s there: %s" % (there, VM_NAME, result))
        ended = sim.counters()["tasks_finished_at"]
        tasks = [ref for ref in ended if ref not in finished]
        if len(tasks) != 1:
            raise SystemExit("expected one finished migration task, found %d: %s" % (len(tasks), tasks))
        finished.update(tasks)
        samples["after_end_ms"].append((returned - ended[tasks[0]]) * 1000)
        samples["run_ms"].append((returned - started) * 1000)
        here, there = there, here
    return samples


def summary(values):
    return {"median": statistics.median(values), "p90": statistics.quantiles(values, n=10)[-1], "samples": values}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--output", default=os.path.join(ROOT, "tests", "output", "bench", "migrate.json"))
    args = parser.parse_args(argv)
    if args.runs < 2:
        parser.error("--runs: at least 2 (a median and a p90)")
    collection_path()
    sim = Served("pool3", speed=SPEED)
    try:
        samples = migrations(sim, args.runs)
    finally:
        sim.stop()
    after_end, run = summary(samples["after_end_ms"]), summary(samples["run_ms"])
    met = after_end["median"] < TARGET_MEDIAN_MS
    print("vm_migrate, %s moved back and forth %d times on pool3 (speed %d)" % (VM_NAME, args.runs, SPEED))
    print("  whole run: median %.1f ms, p90 %.1f ms (of which the migration: %d simulated s = %.0f ms)"
          % (run["median"], run["p90"], MIGRATION_SECONDS, MIGRATION_SECONDS * 1000.0 / SPEED))
    print("  returned after the migration task ended: median %.1f ms, p90 %.1f ms (target median < %.0f ms: %s)"
          % (after_end["median"], after_end["p90"], TARGET_MEDIAN_MS, "met" if met else "MISSED"))
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump({"speed": SPEED, "runs": args.runs, "after_end_ms": after_end, "run_ms": run}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
