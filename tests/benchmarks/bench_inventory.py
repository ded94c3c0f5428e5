"""The xapi.xenserver.vms inventory plugin on the simulator's `large` scenario, side by side in one run.

- XenAPI calls of one inventory run at 100 VMs and at 10,000 VMs (the simulator's counters): the same number;
- `ansible-inventory --list` wall time against its floor: (a) a plain script that logs in, fetches and decodes
  the same get_all_records over JSON-RPC and logs out, plus (b) `ansible-inventory --list` on a script
  inventory printing the plugin's own result (same hosts, vars and groups), precomputed. Target: <= 1.3x;
- at 1,000 VMs, the plugin's read against fetching per VM the way community.general's xenserver_guest_info
  does (one get_record per VM and per VBD, VDI, VIF, network and metrics, through the XenAPI SDK).
  Target: >= 20x; the whole ansible-inventory run against the same reads is printed too;
- the records from the cache (jsonfile) against the records read from the pool, all a cache can replace.
  Target: >= 5x; whole cached and uncached runs are printed too (ansible-inventory's own part is in both).
Medians of interleaved repetitions; the figures are printed, nothing is asserted on time.

    .venv/bin/python tests/benchmarks/bench_inventory.py [--reps N]
"""

import argparse
import json
import os
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

import requests
import XenAPI
from benchlib import ROOT, collection_path, start_simulator, stop_simulator

TARGETS = {"floor": 1.3, "per_vm": 20.0, "cache": 5.0}
CLASSES = ("pool", "host", "VM", "VM_guest_metrics", "VIF", "network")
SCENARIO = """description: bench_inventory, %(vms)d VMs on 4 hosts
product: xenserver
pools:
  - name: pool-bench
    hosts: 4
    first_address: 127.0.20.1
    host_name: "xb{n:02d}"
    memory_gib: 1024
    default_sr: NFS storage
    srs:
      - {name: NFS storage, type: nfs, size_gib: 65536, device_config: {server: 127.0.100.1, serverpath: /export/vms}}
    vms:
      - {name: "vm-{n:05d}", count: %(running)d, template: "Debian Bookworm 12", power_state: Running, memory_mib: 512}
      - {name: "off-{n:05d}", count: %(halted)d, template: "Debian Bookworm 12", power_state: Halted, memory_mib: 512}
"""


def timed(function):
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def ansible_env():
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".state", "collections"),
                ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true", ANSIBLE_HOST_KEY_CHECKING="false")


def inventory_list(source, *extra):
    binary = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")
    answer = subprocess.run([binary, "-i", source, "--list"] + list(extra), capture_output=True, text=True,
                            check=True, env=ansible_env())
    return answer.stdout


def write_config(work, name, endpoints, **options):
    master = next(h for h in endpoints["hosts"] if h["master"])
    config = dict({"plugin": "xapi.xenserver.vms", "hostname": master["url"], "password": endpoints["password"],
                   "ca_path": endpoints["ca"]}, **options)
    path = os.path.join(work, "%s.xenserver.yml" % name)
    with open(path, "w") as handle:
        json.dump(config, handle)
    return path


def calls_of(endpoints, action):
    control = endpoints["control"]
    requests.post(control + "counters/reset", data=b"{}", verify=endpoints["ca"], timeout=60).raise_for_status()
    action()
    answer = requests.get(control + "counters", verify=endpoints["ca"], timeout=60)
    return sum(answer.json()["calls"].values())


def connection(endpoints):
    master = next(h for h in endpoints["hosts"] if h["master"])
    return {"hostname": master["url"], "password": endpoints["password"], "ca_path": endpoints["ca"]}


def floor_fetch(endpoints):
    """(a): login, the same get_all_records decoded from JSON, logout; nothing else."""
    master = next(h for h in endpoints["hosts"] if h["master"])
    session = requests.Session()

    def call(method, *params):
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1})
        return json.loads(session.post(master["url"] + "/jsonrpc", data=body, timeout=300, verify=endpoints["ca"],
                                       headers={"Content-Type": "application/json"}).content)["result"]

    ref = call("session.login_with_password", "root", endpoints["password"], "1.0", "bench")
    for cls in CLASSES:
        call("%s.get_all_records" % cls, ref)
    call("session.logout", ref)
    session.close()


def script_inventory(work, listed):
    """(b): a script inventory printing the plugin's result as it is."""
    data = os.path.join(work, "listed.json")
    with open(data, "w") as handle:
        handle.write(listed)
    script = os.path.join(work, "listed.py")
    with open(script, "w") as handle:
        handle.write("#!%s\nimport sys\nif '--host' in sys.argv:\n    print('{}')\nelse:\n"
                     "    sys.stdout.write(open(%r).read())\n" % (sys.executable, data))
    os.chmod(script, 0o755)
    return script


def per_vm_fetch(endpoints):
    """community.general's xenserver_guest_info, VM by VM: a get_record per object, through the SDK."""
    master = next(h for h in endpoints["hosts"] if h["master"])
    context = ssl.create_default_context(cafile=endpoints["ca"])
    sdk = XenAPI.Session(master["url"], transport=xmlrpc.client.SafeTransport(context=context))
    sdk.xenapi.login_with_password("root", endpoints["password"], "1.0", "bench")
    try:
        api = sdk.xenapi
        for ref in api.VM.get_all():
            vm = api.VM.get_record(ref)
            if vm["is_a_template"] or vm["is_control_domain"]:
                continue
            for vbd_ref in vm["VBDs"]:
                vbd = api.VBD.get_record(vbd_ref)
                if vbd["VDI"] != "OpaqueRef:NULL":
                    vdi = api.VDI.get_record(vbd["VDI"])
                    api.SR.get_record(vdi["SR"])
            for vif_ref in vm["VIFs"]:
                vif = api.VIF.get_record(vif_ref)
                api.network.get_record(vif["network"])
            if vm["guest_metrics"] != "OpaqueRef:NULL":
                api.VM_guest_metrics.get_record(vm["guest_metrics"])
            api.VM_metrics.get_record(vm["metrics"])
            if vm["resident_on"] != "OpaqueRef:NULL":
                api.host.get_record(vm["resident_on"])
    finally:
        sdk.xenapi.session.logout()


def cached_records_loader(cache_dir):
    """What a cached run does instead of reading the pool: the jsonfile cache plugin's get of the one entry."""
    from ansible.plugins.loader import cache_loader, init_plugin_loader
    init_plugin_loader()
    cache = cache_loader.get("ansible.builtin.jsonfile", _uri=cache_dir, _prefix="ansible_inventory_", _timeout=0)
    (entry,) = os.listdir(cache_dir)
    key = re.sub(r"^ansible_inventory_(s\d+_)?", "", entry)  # the cache adds a schema prefix of its own
    return lambda: cache.get(key)["records"]


def small_scenario(work, vms):
    path = os.path.join(work, "bench-%d.yaml" % vms)
    with open(path, "w") as handle:
        handle.write(SCENARIO % {"vms": vms, "running": vms * 6 // 10, "halted": vms - vms * 6 // 10})
    return path


def median(samples):
    return statistics.median(samples)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--output", default=os.path.join(ROOT, "tests", "output", "bench", "inventory.json"))
    args = parser.parse_args(argv)
    collection_path()
    from ansible_collections.xapi.xenserver.plugins.module_utils._inventory_records import read_pool
    work = tempfile.mkdtemp(prefix="bench-inventory-")
    figures = {}
    simulators = []
    try:
        # calls at 100 and 1,000 VMs; per-VM fetch against the plugin at 1,000 VMs
        for vms in (100, 1000):
            state_dir, endpoints = start_simulator(small_scenario(work, vms))
            simulators.append(state_dir)
            config = write_config(work, "small%d" % vms, endpoints)
            figures["calls_%d" % vms] = calls_of(endpoints, lambda: inventory_list(config))
            if vms == 1000:
                plugin = [timed(lambda: inventory_list(config)) for dummy in range(args.reps)]
                per_vm = [timed(lambda: per_vm_fetch(endpoints)) for dummy in range(max(1, args.reps // 2))]
                figures["per_vm_calls_1000"] = calls_of(endpoints, lambda: per_vm_fetch(endpoints))
                figures["plugin_1000_s"], figures["per_vm_1000_s"] = median(plugin), median(per_vm)
                figures["read_pool_1000_s"] = median([timed(lambda: read_pool(connection(endpoints), True, False))
                                                      for dummy in range(3)])
            stop_simulator(state_dir)
            simulators.remove(state_dir)

        state_dir, endpoints = start_simulator("large")
        simulators.append(state_dir)
        config = write_config(work, "large", endpoints)
        cached = write_config(work, "cached", endpoints, cache=True, cache_plugin="ansible.builtin.jsonfile",
                              cache_connection=os.path.join(work, "cache"))
        figures["calls_10000"] = calls_of(endpoints, lambda: inventory_list(config))
        listed = inventory_list(config)
        script = script_inventory(work, listed)
        same = json.loads(inventory_list(script)) == json.loads(listed)
        inventory_list(cached)  # fills the cache
        load_cached = cached_records_loader(os.path.join(work, "cache"))
        figures["records_cached_s"] = median([timed(load_cached) for dummy in range(3)])
        figures["records_read_s"] = median([timed(lambda: read_pool(connection(endpoints), True, False))
                                            for dummy in range(3)])
        samples = {"plugin": [], "fetch": [], "script": [], "cached": []}
        runs = {"plugin": lambda: inventory_list(config), "fetch": lambda: floor_fetch(endpoints),
                "script": lambda: inventory_list(script), "cached": lambda: inventory_list(cached)}
        for dummy in range(args.reps):
            for name, run in runs.items():
                samples[name].append(timed(run))
        figures.update({"%s_s" % name: median(values) for name, values in samples.items()})
        figures["hosts_10000"] = len(json.loads(listed)["_meta"]["hostvars"])
        figures["script_same_result"] = same
    finally:
        for state_dir in simulators:
            stop_simulator(state_dir)
        shutil.rmtree(work, ignore_errors=True)

    floor = figures["fetch_s"] + figures["script_s"]
    figures["floor_s"] = floor
    figures["floor_ratio"] = figures["plugin_s"] / floor
    figures["per_vm_ratio"] = figures["per_vm_1000_s"] / figures["plugin_1000_s"]
    figures["cache_ratio"] = figures["plugin_s"] / figures["cached_s"]
    figures["read_ratio"] = figures["per_vm_1000_s"] / figures["read_pool_1000_s"]
    figures["records_cache_ratio"] = figures["records_read_s"] / figures["records_cached_s"]
    print("XenAPI calls of one inventory run: %d at 100 VMs, %d at 1,000, %d at 10,000 (per VM, SDK: %d at 1,000)"
          % (figures["calls_100"], figures["calls_1000"], figures["calls_10000"], figures["per_vm_calls_1000"]))
    print("large (%d VMs): ansible-inventory --list %.2f s; floor %.2f s = fetch+decode %.2f s + script inventory "
          "%.2f s (same result: %s); ratio %.2fx (target <= %.1fx)"
          % (figures["hosts_10000"], figures["plugin_s"], floor, figures["fetch_s"], figures["script_s"],
             same, figures["floor_ratio"], TARGETS["floor"]))
    print("1,000 VMs: the plugin's read (read_pool) %.3f s, per-VM get_record through the SDK %.2f s: %.0fx faster "
          "(target >= %.0fx)" % (figures["read_pool_1000_s"], figures["per_vm_1000_s"], figures["read_ratio"],
                                 TARGETS["per_vm"]))
    print("1,000 VMs: the plugin's whole ansible-inventory run %.2f s: %.1fx faster than the per-VM reads"
          % (figures["plugin_1000_s"], figures["per_vm_ratio"]))
    print("large: the records from the cache %.2f s, read from the pool %.2f s: %.1fx faster (target >= %.0fx)"
          % (figures["records_cached_s"], figures["records_read_s"], figures["records_cache_ratio"], TARGETS["cache"]))
    print("large: whole runs, cached %.2f s, uncached %.2f s: %.1fx (ansible-inventory's own part is the same in both)"
          % (figures["cached_s"], figures["plugin_s"], figures["cache_ratio"]))
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(figures, handle, indent=2)


if __name__ == "__main__":
    main()
