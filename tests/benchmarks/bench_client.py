"""Our XenAPI client against the official XenAPI SDK, side by side in one run.

VM.get_all_records on the simulator's `large` scenario (10,000 VMs), served by a separate
simulator process over HTTPS with its CA: our client over JSON-RPC (call plus decode) and
over XML-RPC, and the official SDK (XML-RPC, the only protocol it has). Medians of several
repetitions, interleaved so both see the same machine. Target: ours >= 8x faster.

    .venv/bin/python tests/benchmarks/bench_client.py [--reps N] [--scenario large]
"""

import argparse
import json
import os
import ssl
import statistics
import sys
import time
import xmlrpc.client

import XenAPI
from benchlib import ROOT, collection_path, start_simulator, stop_simulator

TARGET_RATIO = 8.0


def timed(function):
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--scenario", default="large")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--output", default=os.path.join(ROOT, "tests", "output", "bench", "client.json"))
    args = parser.parse_args(argv)
    collection_path()
    from ansible_collections.xapi.xenserver.plugins.module_utils._client import XenAPIClient

    state_dir, endpoints = start_simulator(args.scenario)
    try:
        master = next(h for h in endpoints["hosts"] if h["master"])
        ours_json = XenAPIClient(master["url"], "root", endpoints["password"], ca_path=endpoints["ca"])
        ours_xml = XenAPIClient(master["url"], "root", endpoints["password"], ca_path=endpoints["ca"], protocol="xmlrpc")
        context = ssl.create_default_context(cafile=endpoints["ca"])
        sdk = XenAPI.Session(master["url"], transport=xmlrpc.client.SafeTransport(context=context))
        sdk.xenapi.login_with_password("root", endpoints["password"], "1.0", "bench")
        ours_json.login()
        ours_xml.login()
        samples = {"ours_jsonrpc": [], "ours_xmlrpc": [], "sdk_xmlrpc": []}
        counts = {}
        calls = {"ours_jsonrpc": lambda: ours_json.call("VM.get_all_records"),
                 "ours_xmlrpc": lambda: ours_xml.call("VM.get_all_records"),
                 "sdk_xmlrpc": sdk.xenapi.VM.get_all_records}
        for name, call in calls.items():  # warm-up: connections, caches
            counts[name] = len(call())
        for dummy in range(args.reps):
            for name, call in calls.items():
                seconds, value = timed(call)
                samples[name].append(seconds)
                counts[name] = len(value)
        ours_json.logout()
        ours_xml.logout()
        sdk.xenapi.session.logout()
    finally:
        stop_simulator(state_dir)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratio = medians["sdk_xmlrpc"] / medians["ours_jsonrpc"]
    print("VM.get_all_records on %s (%d VM records), HTTPS, medians of %d" % (args.scenario, counts["ours_jsonrpc"], args.reps))
    for name, value in medians.items():
        print("  %-14s %7.3f s" % (name, value))
    print("  ratio: the SDK takes %.1fx as long as our client over JSON-RPC (target >= %.0fx: %s)"
          % (ratio, TARGET_RATIO, "met" if ratio >= TARGET_RATIO else "MISSED"))
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump({"scenario": args.scenario, "records": counts, "samples_s": samples, "median_s": medians,
                   "ratio_sdk_over_ours": ratio, "target_ratio": TARGET_RATIO}, handle, indent=2)
    if len(set(counts.values())) != 1:
        print("the three readers disagree on the number of records: %s" % counts, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
