"""Benchmarks of the xapisim simulator, side by side in one run.

    .venv/bin/python tests/benchmarks/bench_simulator.py [--quick] [--server process|inprocess]

Measures (see docs/performance.md for what each figure means):

  1. load     wall time of Simulator("large") in a fresh process, and that process's peak RSS
  2. records  VM.get_all_records over JSON-RPC against the served simulator (HTTPS, requests,
              keep-alive; time from sending the request to the last byte of the body, no
              decoding), next to json.dumps of the same records in this process
  3. calls    8 clients in parallel making small calls (VM.get_power_state) over JSON-RPC
              with keep-alive for a few seconds: total calls/s
  +  context  VM.get_all_records over XML-RPC: the raw body, and the official XenAPI SDK

By default the simulator is served by a separate process (python -m xapisim serve), so the
clients in this process and the server do not share one interpreter lock. Figures are
compared with targets as ratios and reported; nothing here fails on a time. The exit status
is non-zero only if a call went wrong (an error, a wrong answer).

Results go to tests/output/bench/simulator.json; the table goes to stdout.
"""

import argparse
import datetime
import gc
import ipaddress
import json
import multiprocessing
import os
import platform
import resource
import secrets
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import xmlrpc.client
from pathlib import Path

import requests
import XenAPI

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "simulator"))  # when xapisim is not installed in this interpreter

OUTPUT = ROOT / "tests" / "output" / "bench" / "simulator.json"
TARGETS = {"load_seconds": 10.0, "records_ratio": 2.0, "calls_per_second": 500.0}
SMALL_CALL = "VM.get_power_state"
MAX_CALLS_PER_CLIENT = 100_000  # the parallel phase ends at its duration or at this count per client
BIG_TIMEOUT = 120  # seconds for one get_all_records
SMALL_TIMEOUT = 10

LOAD_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from xapisim import Simulator
t1 = time.perf_counter()
rss_imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t2 = time.perf_counter()
sim = Simulator(sys.argv[1])
t3 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
vms = sim.world.pools[0].db.records("VM").values()
guests = sum(1 for v in vms if not v["is_a_template"] and not v["is_control_domain"])
hosts = sum(len(pool.db.tables["host"]) for pool in sim.world.pools)
sim.stop()
print(json.dumps({"import_s": t1 - t0, "load_s": t3 - t2, "rss_imported_kib": rss_imported,
                  "peak_rss_kib": peak, "guests": guests, "vm_records": len(vms), "hosts": hosts}))
"""


class BenchError(Exception):
    """A call went wrong: the figures would mean nothing."""


# ---- helpers -------------------------------------------------------------------------------
def median(samples):
    return statistics.median(samples) if samples else None


def process_cpu_seconds(pid):
    """User + system CPU of a whole process (all its threads), from /proc."""
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    times = os.times()
    return times.user + times.system


def peak_rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit():
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, check=False,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "simulator/xapisim"], check=False,
                               capture_output=True, text=True, timeout=10)
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def child_env():
    path = [str(ROOT / "simulator")] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def http_session():
    """requests with the simulator's CA passed per call: REQUESTS_CA_BUNDLE and proxies are ignored."""
    session = requests.Session()
    session.trust_env = False
    return session


class Endpoint:
    """Where the simulator answers: master URL, CA, root password; pid when it is another process."""

    def __init__(self, url, ca, password, pid=None):
        host = urllib.parse.urlsplit(url).hostname
        if ipaddress.ip_address(host) not in ipaddress.ip_network("127.0.0.0/8"):
            raise BenchError("%s is not on loopback: the benchmarks only talk to 127.0.0.0/8" % url)
        self.url = url
        self.ca = ca
        self.password = password
        self.pid = pid


class JsonRpc:
    def __init__(self, endpoint, session=None):
        self.endpoint = endpoint
        self.url = endpoint.url + "/jsonrpc"
        self.http = session or http_session()
        self.ids = 0
        self.session_ref = None

    def body(self, method, *params):
        self.ids += 1
        return json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": self.ids}).encode()

    def call(self, method, *params, timeout=SMALL_TIMEOUT):
        response = self.http.post(self.url, data=self.body(method, *params), verify=self.endpoint.ca,
                                  headers={"Content-Type": "application/json"}, timeout=timeout)
        response.raise_for_status()
        answer = response.json()
        if answer.get("error"):
            raise BenchError("%s: %s" % (method, answer["error"]))
        return answer["result"]

    def login(self):
        self.session_ref = self.call("session.login_with_password", "root", self.endpoint.password, "1.0",
                                     "xapisim-bench")
        return self.session_ref

    def logout(self):
        if self.session_ref:
            self.call("session.logout", self.session_ref)
            self.session_ref = None

    def connections_opened(self):
        pools = self.http.get_adapter(self.url).poolmanager.pools
        return sum(pools[key].num_connections for key in pools.keys())


# ---- 1. load -------------------------------------------------------------------------------
def bench_load(scenario, runs):
    samples = []
    for dummy in range(runs):
        done = subprocess.run([sys.executable, "-c", LOAD_CHILD, scenario], capture_output=True, text=True, check=False,
                              timeout=300, env=child_env())
        if done.returncode != 0:
            raise BenchError("loading %s failed:\n%s" % (scenario, done.stderr[-2000:]))
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    loads = [s["load_s"] for s in samples]
    return {
        "runs": runs, "load_s": loads, "load_s_median": median(loads), "load_s_min": min(loads),
        "import_s_median": median([s["import_s"] for s in samples]),
        "peak_rss_mib": max(s["peak_rss_kib"] for s in samples) / 1024,
        "rss_after_import_mib": max(s["rss_imported_kib"] for s in samples) / 1024,
        "hosts": samples[0]["hosts"], "guests": samples[0]["guests"], "vm_records": samples[0]["vm_records"],
    }


# ---- serving -------------------------------------------------------------------------------
class ServerProcess:
    """python -m xapisim serve in its own process; SIGTERM stops it."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.state_dir = tempfile.mkdtemp(prefix="xapisim-bench-")
        self.log_path = os.path.join(self.state_dir, "server.log")
        self.process = None
        self.startup_s = None

    def start(self, timeout=300):
        log = open(self.log_path, "wb")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "xapisim", "serve", "--scenario", self.scenario, "--state-dir", self.state_dir],
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
            env=child_env())
        log.close()
        # the server says "xapisim: serving ..." once endpoints.json is written and every address listens
        watchdog = threading.Timer(timeout, self.process.kill)
        watchdog.start()
        line = self.process.stdout.readline()
        watchdog.cancel()
        if not line.startswith(b"xapisim: serving"):
            raise BenchError("the server did not start within %d s (exit %s):\n%s"
                             % (timeout, self.process.poll(), self.log()))
        self.startup_s = time.perf_counter() - started
        path = os.path.join(self.state_dir, "endpoints.json")
        with open(path, encoding="utf-8") as handle:
            endpoints = json.load(handle)
        master = next(h for h in endpoints["hosts"] if h["master"] and h["pool_index"] == 0)
        return Endpoint(master["url"], endpoints["ca"], endpoints["password"], pid=self.process.pid)

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        peak = None
        if self.process is not None and self.process.poll() is None:
            peak = peak_rss_kib(self.process.pid)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        shutil.rmtree(self.state_dir, ignore_errors=True)
        return peak


# ---- 2. get_all_records ----------------------------------------------------------------------
def bench_records(endpoint, records, reps):
    """Served JSON-RPC get_all_records and json.dumps of `records`, interleaved rep by rep so that
    both see the same machine conditions."""
    rpc = JsonRpc(endpoint)
    session = rpc.login()
    url = rpc.url
    # warm-up, and a check that the answer is what it should be (not timed)
    answer = rpc.call("VM.get_all_records", session, timeout=BIG_TIMEOUT)
    count = len(answer)
    del answer
    json.dumps(records)
    body = rpc.body("VM.get_all_records", session)
    served, headers, dumps, served_bytes, dumps_bytes = [], [], [], 0, 0
    for dummy in range(reps):
        started = time.perf_counter()
        text = json.dumps(records)
        dumps.append(time.perf_counter() - started)
        dumps_bytes = len(text)
        del text
        started = time.perf_counter()
        response = rpc.http.post(url, data=body, headers={"Content-Type": "application/json"},
                                 verify=endpoint.ca, stream=True, timeout=BIG_TIMEOUT)
        headers.append(time.perf_counter() - started)  # the server has encoded the answer
        payload = response.raw.read()  # to the last byte; no JSON decoding
        served.append(time.perf_counter() - started)
        if response.status_code != 200 or len(payload) != int(response.headers["Content-Length"]):
            raise BenchError("get_all_records: HTTP %s, %d of %s bytes" % (
                response.status_code, len(payload), response.headers.get("Content-Length")))
        served_bytes = len(payload)
        del payload
    connections = rpc.connections_opened()
    rpc.logout()
    served = {"reps": reps, "s": served, "s_median": median(served), "s_min": min(served), "bytes": served_bytes,
              "headers_s": headers, "headers_s_median": median(headers), "records": count,
              "connections_opened": connections}
    dumps = {"reps": reps, "s": dumps, "s_median": median(dumps), "s_min": min(dumps), "bytes": dumps_bytes,
             "records": len(records)}
    return {"served": served, "dumps": dumps, "ratio": served["s_median"] / dumps["s_median"]}


# ---- XML-RPC context -------------------------------------------------------------------------
def bench_xmlrpc_records(endpoint, raw_reps, sdk_reps):
    result = {}
    http = http_session()
    url = endpoint.url + "/"

    def post(body, stream=False):
        return http.post(url, data=body, headers={"Content-Type": "text/xml"}, verify=endpoint.ca,
                         stream=stream, timeout=BIG_TIMEOUT)

    answer = xmlrpc.client.loads(post(xmlrpc.client.dumps(
        ("root", endpoint.password, "1.0", "xapisim-bench"), "session.login_with_password")).content)[0][0]
    if answer.get("Status") != "Success":
        raise BenchError("XML-RPC login: %s" % answer)
    session = answer["Value"]
    body = xmlrpc.client.dumps((session,), "VM.get_all_records").encode()
    post(body).close()  # warm-up
    times, size = [], 0
    for dummy in range(raw_reps):
        started = time.perf_counter()
        response = post(body, stream=True)
        payload = response.raw.read()
        times.append(time.perf_counter() - started)
        size = len(payload)
        del payload
    post(xmlrpc.client.dumps((session,), "session.logout")).close()
    result["raw"] = {"reps": raw_reps, "s": times, "s_median": median(times), "bytes": size}

    if sdk_reps:
        context = ssl.create_default_context(cafile=endpoint.ca)
        sdk = XenAPI.Session(endpoint.url, transport=xmlrpc.client.SafeTransport(context=context))
        sdk.xenapi.login_with_password("root", endpoint.password, "1.0", "xapisim-bench")
        try:
            times, count = [], 0
            for dummy in range(sdk_reps):
                started = time.perf_counter()
                records = sdk.xenapi.VM.get_all_records()
                times.append(time.perf_counter() - started)
                count = len(records)
                del records
        finally:
            sdk.xenapi.session.logout()
        result["sdk"] = {"reps": sdk_reps, "s": times, "s_median": median(times), "records": count}
    return result


# ---- 3. small calls in parallel ----------------------------------------------------------------
def _client_loop(endpoint, vm_refs, index, slot, logged_in, start, stop, out):
    rpc = JsonRpc(endpoint)
    session = rpc.login()
    rpc.call(SMALL_CALL, session, vm_refs[index % len(vm_refs)])  # the connection is open before the start
    latencies, errors = [], 0
    logged_in.wait(timeout=SMALL_TIMEOUT * 6)
    start.wait()
    window_start = time.monotonic()  # system-wide clock: comparable between client processes
    n = 0
    while not stop.is_set() and n < MAX_CALLS_PER_CLIENT:
        ref = vm_refs[(index * 7919 + n) % len(vm_refs)]
        began = time.perf_counter()
        try:
            state = rpc.call(SMALL_CALL, session, ref)
            if state not in ("Halted", "Running", "Suspended", "Paused"):
                errors += 1
        except (requests.RequestException, BenchError, ValueError):
            errors += 1
        latencies.append(time.perf_counter() - began)
        n += 1
    window_end = time.monotonic()
    connections = rpc.connections_opened()
    try:
        rpc.logout()
    except (requests.RequestException, BenchError):
        errors += 1
    out[slot] = {"calls": n, "errors": errors, "latencies": latencies, "connections": connections,
                 "window": (window_start, window_end)}


def _client_threads(endpoint, vm_refs, clients, duration, first, ready=None, server_pid=None):
    """Run `clients` client threads in this process for `duration` seconds once all are
    logged in (and, with `ready`, once every other client process is too)."""
    start, stop = threading.Event(), threading.Event()
    logged_in = threading.Barrier(clients + 1)  # every client has logged in and made its first call
    out = [None] * clients
    threads = [threading.Thread(target=_client_loop, args=(endpoint, vm_refs, first + i, i, logged_in, start, stop, out),
                                name="bench-client-%d" % (first + i), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    logged_in.wait(timeout=SMALL_TIMEOUT * 6)
    if ready is not None:
        ready()
    cpu_before = own_cpu_seconds()
    server_before = process_cpu_seconds(server_pid) if server_pid else None
    start.set()
    stop.wait(duration)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    cpu = own_cpu_seconds() - cpu_before  # the clients' logouts are in these two, a call each
    server_cpu = process_cpu_seconds(server_pid) - server_before if server_pid else None
    done = [o for o in out if o is not None]
    return {"calls": sum(o["calls"] for o in done),
            "errors": sum(o["errors"] for o in done) + clients - len(done),
            "window": (min((o["window"][0] for o in done), default=0.0),
                       max((o["window"][1] for o in done), default=0.0)),
            "latencies": [x for o in done for x in o["latencies"]],
            "connections_opened": sum(o["connections"] for o in done), "client_cpu_s": cpu,
            "server_cpu_s": server_cpu}


def run_clients(endpoint, vm_refs, clients, duration):
    """`clients` threads in this process."""
    return _merge([_client_threads(endpoint, vm_refs, clients, duration, 0, server_pid=endpoint.pid)])


def _client_process(endpoint_fields, vm_refs, clients, first, duration, barrier, queue):
    endpoint = Endpoint(*endpoint_fields)
    queue.put(_client_threads(endpoint, vm_refs, clients, duration, first,
                              ready=lambda: barrier.wait(timeout=120)))


def run_client_processes(endpoint, vm_refs, processes, clients, duration):
    """The same clients spread over `processes` processes, so that they do not share one GIL."""
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(processes + 1), context.Queue()
    fields = (endpoint.url, endpoint.ca, endpoint.password)
    share = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    children = [context.Process(target=_client_process, daemon=True,
                                args=(fields, vm_refs, share[i], sum(share[:i]), duration, barrier, queue))
                for i in range(processes)]
    for child in children:
        child.start()
    try:
        barrier.wait(timeout=120)
        server_before = process_cpu_seconds(endpoint.pid) if endpoint.pid else None
        runs = [queue.get(timeout=duration + 120) for dummy in children]
        server_cpu = process_cpu_seconds(endpoint.pid) - server_before if endpoint.pid else None
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.terminate()
    runs[0]["server_cpu_s"] = server_cpu
    return _merge(runs)


def _merge(runs):
    if any(r["calls"] == 0 for r in runs):
        raise BenchError("a client process made no calls")
    window = (min(r["window"][0] for r in runs), max(r["window"][1] for r in runs))
    server_cpu = runs[0].get("server_cpu_s")
    return {"calls": sum(r["calls"] for r in runs), "errors": sum(r["errors"] for r in runs),
            "elapsed_s": window[1] - window[0], "latencies": [x for r in runs for x in r["latencies"]],
            "connections_opened": sum(r["connections_opened"] for r in runs),
            "client_cpu_s": sum(r["client_cpu_s"] for r in runs), "server_cpu_s": server_cpu}


def _per(numerator, denominator, scale):
    return scale * numerator / denominator if numerator is not None and denominator else None


def summarise_calls(run, clients, processes):
    latencies = sorted(run.pop("latencies"))
    n = len(latencies)
    run.update({
        "clients": clients, "client_processes": processes,
        "calls_per_s": _per(run["calls"], run["elapsed_s"], 1),
        "latency_ms_p50": latencies[n // 2] * 1000 if n else None,
        "latency_ms_p99": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else None,
        "server_cpu_percent": _per(run["server_cpu_s"], run["elapsed_s"], 100),
        "client_cpu_percent": _per(run["client_cpu_s"], run["elapsed_s"], 100),
        "server_cpu_ms_per_call": _per(run["server_cpu_s"], run["calls"], 1000),
        "client_cpu_ms_per_call": _per(run["client_cpu_s"], run["calls"], 1000),
    })
    return run


def bench_calls(endpoint, clients, duration, spread):
    rpc = JsonRpc(endpoint)
    session = rpc.login()
    vm_refs = sorted(rpc.call("VM.get_all", session, timeout=BIG_TIMEOUT))[:1000]
    rpc.logout()
    results = {"call": SMALL_CALL, "duration_s": duration}
    results["single"] = summarise_calls(run_clients(endpoint, vm_refs, 1, duration / 2), 1, 1)
    results["parallel"] = summarise_calls(run_clients(endpoint, vm_refs, clients, duration), clients, 1)
    if spread and endpoint.pid:
        results["parallel_spread"] = summarise_calls(
            run_client_processes(endpoint, vm_refs, spread, clients, duration), clients, spread)
    return results


# ---- report ----------------------------------------------------------------------------------
def fmt_s(value):
    return "-" if value is None else ("%.3f s" % value if value < 10 else "%.1f s" % value)


def verdict(ok):
    return "met" if ok else "MISSED"


def table(results):
    """The figures as rows: measure, value, ratio, target, status."""
    load, rec, calls, xml = results["load"], results["records"], results["calls"], results["xmlrpc"]
    dumps_s = rec["dumps"]["s_median"]
    rows = [
        ("1  Simulator(%r) construction, fresh process" % results["scenario"], fmt_s(load["load_s_median"]),
         "", "< %g s" % TARGETS["load_seconds"], verdict(load["load_s_median"] < TARGETS["load_seconds"])),
        ("   peak RSS of that process (%.0f MiB after import)" % load["rss_after_import_mib"],
         "%.0f MiB" % load["peak_rss_mib"], "", "", ""),
        ("2  VM.get_all_records served, JSON-RPC (%d records, %.1f MB)"
         % (rec["served"]["records"], rec["served"]["bytes"] / 1e6), fmt_s(rec["served"]["s_median"]),
         "%.2fx" % rec["ratio"], "<= %gx" % TARGETS["records_ratio"],
         verdict(rec["ratio"] <= TARGETS["records_ratio"])),
        ("   of which until the response headers arrived", fmt_s(rec["served"]["headers_s_median"]),
         "%.2fx" % (rec["served"]["headers_s_median"] / dumps_s), "", ""),
        ("   json.dumps of the same records in this process (%.1f MB)" % (rec["dumps"]["bytes"] / 1e6),
         fmt_s(dumps_s), "1.00x", "", ""),
        ("   context: XML-RPC raw body received (%.1f MB)" % (xml["raw"]["bytes"] / 1e6),
         fmt_s(xml["raw"]["s_median"]), "%.2fx" % (xml["raw"]["s_median"] / dumps_s), "", ""),
    ]
    if "sdk" in xml:
        rows.append(("   context: XML-RPC with the XenAPI SDK, parsing included", fmt_s(xml["sdk"]["s_median"]),
                     "%.2fx" % (xml["sdk"]["s_median"] / dumps_s), "", ""))
    par = calls["parallel"]
    rows += [
        ("3  %s, %d clients (threads) in parallel" % (calls["call"], par["clients"]),
         "%.0f calls/s" % par["calls_per_s"], "", ">= %g/s" % TARGETS["calls_per_second"],
         verdict(par["calls_per_s"] >= TARGETS["calls_per_second"])),
        ("   latency p50 / p99", "%.1f / %.1f ms" % (par["latency_ms_p50"], par["latency_ms_p99"]), "", "", ""),
    ]
    if par["server_cpu_percent"] is not None:
        rows += [
            ("   CPU busy: server process / client process",
             "%.0f%% / %.0f%%" % (par["server_cpu_percent"], par["client_cpu_percent"]), "", "", ""),
            ("   CPU per call: server / client (requests)",
             "%.2f / %.2f ms" % (par["server_cpu_ms_per_call"], par["client_cpu_ms_per_call"]), "", "", ""),
        ]
    single = calls["single"]
    rows.append(("   context: 1 client", "%.0f calls/s" % single["calls_per_s"],
                 "p50 %.1f ms" % single["latency_ms_p50"], "", ""))
    spread = calls.get("parallel_spread")
    if spread:
        rows.append(("   context: %d clients in %d client processes" % (spread["clients"], spread["client_processes"]),
                     "%.0f calls/s" % spread["calls_per_s"], "server %.0f%%" % (spread["server_cpu_percent"] or 0),
                     "", ""))
    header = ("measure", "value", "ratio", "target", "")
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]

    def line(row):
        cells = [cell.ljust(width) if i in (0, 4) else cell.rjust(width)
                 for i, (cell, width) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(row) for row in rows])


# ---- main ------------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--scenario", default="large")
    parser.add_argument("--server", choices=("process", "inprocess"), default="process",
                        help="serve from a separate process (default, fairer) or from a thread of this process")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of get_all_records and json.dumps")
    parser.add_argument("--load-runs", type=int, default=3, help="fresh processes that load the scenario")
    parser.add_argument("--sdk-reps", type=int, default=2, help="XenAPI SDK get_all_records calls (0: skip)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of the parallel small calls")
    parser.add_argument("--spread", type=int, default=2,
                        help="also run the clients spread over this many processes (0: skip)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, shorter phases, no SDK")
    parser.add_argument("--output", default=str(OUTPUT))
    args = parser.parse_args(argv)
    if args.quick:
        args.reps, args.load_runs, args.sdk_reps, args.duration = 3, 1, 0, 1.5
    if args.clients < 1 or args.reps < 1 or args.load_runs < 1 or not 0 < args.duration <= 60:
        parser.error("--clients, --reps, --load-runs must be >= 1 and --duration in (0, 60]")

    from xapisim import Simulator

    results = {
        "benchmark": "xapisim", "scenario": args.scenario, "server": args.server,
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "cpu_model": cpu_model(), "python": platform.python_version(),
                    "platform": platform.platform(), "openssl": ssl.OPENSSL_VERSION,
                    "requests": requests.__version__},
        "commit": git_commit(), "targets": TARGETS,
        "settings": {"reps": args.reps, "load_runs": args.load_runs, "sdk_reps": args.sdk_reps,
                     "clients": args.clients, "duration_s": args.duration, "spread": args.spread},
    }

    def say(text):
        print("bench: " + text, file=sys.stderr, flush=True)

    say("1/4 loading %r in %d fresh process(es)" % (args.scenario, args.load_runs))
    results["load"] = bench_load(args.scenario, args.load_runs)

    password = secrets.token_urlsafe(12)
    server = sim = None
    try:
        if args.server == "process":
            say("2/4 starting python -m xapisim serve --scenario %s" % args.scenario)
            server = ServerProcess(args.scenario)
            endpoint = server.start()
            results["server_startup_s"] = server.startup_s
            sim = Simulator(args.scenario, password=password)  # only for json.dumps of its records
        else:
            say("2/4 serving %s from this process" % args.scenario)
            sim = Simulator(args.scenario, password=password).serve()
            endpoint = Endpoint(sim.url(), sim.ca_path, password)
        say("   VM.get_all_records over JSON-RPC and json.dumps of the same records, %d times each" % args.reps)
        results["records"] = bench_records(endpoint, sim.world.pools[0].db.records("VM"), args.reps)
        if server is not None:  # the clients below must not carry this world's garbage collection
            sim.stop()
            sim = None
            gc.collect()
        say("3/4 VM.get_all_records over XML-RPC (raw%s)" % (" and XenAPI SDK" if args.sdk_reps else ""))
        results["xmlrpc"] = bench_xmlrpc_records(endpoint, min(args.reps, 3), args.sdk_reps)
        say("4/4 %s: 1 client for %.1f s, then %d in parallel for %.1f s"
            % (SMALL_CALL, args.duration / 2, args.clients, args.duration))
        results["calls"] = bench_calls(endpoint, args.clients, args.duration,
                                       min(args.spread, args.clients) if args.server == "process" else 0)
    finally:
        if server is not None:
            peak = server.stop()
            results["server_peak_rss_mib"] = peak / 1024 if peak else None
        if sim is not None:
            sim.stop()
    results["bench_process_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    load, calls = results["load"], results["calls"]
    results["summary"] = {
        "load_s": load["load_s_median"], "load_peak_rss_mib": load["peak_rss_mib"],
        "records_served_s": results["records"]["served"]["s_median"],
        "records_dumps_s": results["records"]["dumps"]["s_median"],
        "records_ratio": results["records"]["ratio"],
        "xmlrpc_raw_s": results["xmlrpc"]["raw"]["s_median"],
        "xmlrpc_sdk_s": results["xmlrpc"].get("sdk", {}).get("s_median"),
        "calls_per_s": calls["parallel"]["calls_per_s"],
        "met": {"load": load["load_s_median"] < TARGETS["load_seconds"],
                "records": results["records"]["ratio"] <= TARGETS["records_ratio"],
                "calls": calls["parallel"]["calls_per_s"] >= TARGETS["calls_per_second"]},
    }
    errors = sum(calls[k]["errors"] for k in ("single", "parallel", "parallel_spread") if k in calls)
    results["errors"] = errors

    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    where = ("server in its own process (python -m xapisim serve), clients in this process"
             if args.server == "process" else "server in a thread of this process, sharing it with the clients")
    print()
    print("xapisim benchmarks: scenario %r, %d hosts, %d guest VMs (%d VM records)"
          % (args.scenario, load["hosts"], load["guests"], load["vm_records"]))
    print("machine: %d CPUs (%s), Python %s, %s"
          % (os.cpu_count(), cpu_model(), platform.python_version(), ssl.OPENSSL_VERSION))
    print("%s; HTTPS with the simulator's CA, requests with keep-alive; medians of %d repetitions"
          % (where, args.reps))
    print()
    print(table(results))
    print()
    if results.get("server_startup_s") is not None:
        print("server process: ready in %.1f s, peak RSS %.0f MiB" % (
            results["server_startup_s"], results.get("server_peak_rss_mib") or 0))
    print("results: %s" % output)
    if errors:
        print("bench: %d calls went wrong; the figures are not to be trusted" % errors, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
