"""make demo: start the simulator, show what it serves through the official XenAPI SDK, stop it.

The collection's playbooks take this over as they land; until then this is the tour.
"""

import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import xmlrpc.client

import XenAPI


def wait_for(path, process, deadline=30.0):
    stop = threading.Event()
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        if process.poll() is not None:
            sys.exit("demo: the simulator exited with %s before it was ready" % process.returncode)
        stop.wait(0.05)
    sys.exit("demo: the simulator did not write %s in %.0f s" % (path, deadline))


def tour(endpoints):
    context = ssl.create_default_context(cafile=endpoints["ca"])
    master = next(h for h in endpoints["hosts"] if h["master"])
    session = XenAPI.Session(master["url"], transport=xmlrpc.client.SafeTransport(context=context))
    session.xenapi.login_with_password("root", endpoints["password"], "1.0", "xapi.xenserver demo")
    try:
        api = session.xenapi
        pool = api.pool.get_all_records()
        for record in pool.values():
            print("pool %r, master %s" % (record["name_label"], api.host.get_name_label(record["master"])))
        for host in api.host.get_all_records().values():
            print("  host %-8s %-12s %s %s" % (host["name_label"], host["address"],
                                              host["software_version"]["product_brand"],
                                              host["software_version"]["product_version"]))
        vms = {ref: r for ref, r in api.VM.get_all_records().items()
               if not r["is_a_template"] and not r["is_control_domain"]}
        for record in sorted(vms.values(), key=lambda r: r["name_label"]):
            print("  vm   %-10s %s" % (record["name_label"], record["power_state"]))
        halted = next(ref for ref, r in vms.items() if r["power_state"] == "Halted")
        print("starting %s with Async.VM.start, waiting with event.from ..." % vms[halted]["name_label"])
        task, token = api.Async.VM.start(halted, False, False), ""
        while api.task.get_status(task) == "pending":
            token = api.event_from(["task/%s" % task], token, 5.0)["token"]
        print("  task %s, VM now %s on %s" % (api.task.get_status(task), api.VM.get_power_state(halted),
                                              api.host.get_name_label(api.VM.get_resident_on(halted))))
        api.task.destroy(task)
    finally:
        session.xenapi.session.logout()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--scenario", default="pool3")
    args = parser.parse_args()
    os.makedirs(args.state_dir, exist_ok=True)
    endpoints_path = os.path.join(args.state_dir, "endpoints.json")
    if os.path.exists(endpoints_path):
        os.remove(endpoints_path)
    process = subprocess.Popen([sys.executable, "-m", "xapisim", "serve", "--scenario", args.scenario,
                                "--state-dir", args.state_dir, "--speed", "20"])
    try:
        wait_for(endpoints_path, process)
        with open(endpoints_path, encoding="utf-8") as handle:
            endpoints = json.load(handle)
        tour(endpoints)
        print("\nThe simulator wrote %s (addresses, URLs, the root password) and %s (its CA)."
              % (endpoints_path, endpoints["ca"]))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    print("simulator stopped (exit %d)" % process.returncode)
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
