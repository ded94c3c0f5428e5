# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-inventory --list with several xapi.xenserver.vms config files against files/<name>.json.

The simulator's uuids and MACs are random: each is replaced by what it names (pool, class, name label;
MACs by VM and device) before the comparison. Also checked: the XenAPI calls of one run, the cache
(zero calls when cached, also after a compose change), unsafe values, the duplicate-name policies."""

import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))
PYTHON = sys.executable
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAC = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}")
UNSAFE_NAME = "{{ lookup('pipe','id') }}"
BASE_CALLS = ("session.login_with_password", "pool.get_all_records", "host.get_all_records", "VM.get_all_records",
              "VM_guest_metrics.get_all_records", "VIF.get_all_records", "network.get_all_records", "session.logout")


def _client_class():
    """The collection's own XenAPI client (it speaks the simulator's TLS the way the plugin does)."""
    candidates = [str(parent) for parent in HERE.parents] + os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)
    for candidate in candidates:
        if candidate and (Path(candidate) / "ansible_collections" / "xapi" / "xenserver").is_dir():
            sys.path.insert(0, candidate)
            break
    from ansible_collections.xapi.xenserver.plugins.module_utils._client import XenAPIClient
    return XenAPIClient


class Simulator:
    def __init__(self, scenario, work):
        self.state_dir = work / ("xapisim-" + scenario)
        answer = subprocess.run([PYTHON, "-m", "xapisim", "serve", "--detach", "--scenario", scenario, "--state-dir",
                                 str(self.state_dir), "--lifetime", "900"], check=True, capture_output=True, text=True)
        self.info = json.loads(answer.stdout.strip().splitlines()[-1])
        self.masters = [h["url"] for h in self.info["hosts"] if h["master"]]
        self.client_class = _client_class()

    def stop(self):
        subprocess.run([PYTHON, "-m", "xapisim", "stop", "--state-dir", str(self.state_dir)], check=False)

    def client(self, index=0):
        return self.client_class(self.masters[index], "root", self.info["password"], ca_path=self.info["ca"])

    def control(self, path, post=False):
        import requests
        url = self.info["control"] + path
        answer = requests.post(url, data=b"{}", verify=self.info["ca"], timeout=30) if post else \
            requests.get(url, verify=self.info["ca"], timeout=30)
        answer.raise_for_status()
        return answer.json()

    def labels(self):
        """{uuid or MAC: placeholder} for everything in every pool, as it is now."""
        labels = {}
        for index in range(len(self.masters)):
            with self.client(index) as client:
                pool = next(iter(client.call("pool.get_all_records").values()))["name_label"]
                vms = client.call("VM.get_all_records")
                for cls in ("pool", "host", "VM", "VDI", "SR", "network"):
                    for ref, record in client.call("%s.get_all_records" % cls).items():
                        labels[record["uuid"]] = "<uuid %s %s %s>" % (pool, cls, record["name_label"])
                for vif in client.call("VIF.get_all_records").values():
                    vm = vms.get(vif["VM"], {}).get("name_label")
                    labels[vif["MAC"]] = "<mac %s %s/%s>" % (pool, vm, vif["device"])
        return labels


def run_inventory(config, work, *extra, expect_failure=False):
    path = work / ("%s.xenserver.yml" % config["name"])
    body = dict(config)
    body.pop("name")
    path.write_text(json.dumps(body, indent=2))  # JSON is YAML
    env = dict(os.environ, ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true")  # a failed source fails the run
    answer = subprocess.run(["ansible-inventory", "-i", str(path), "--list"] + list(extra),
                            capture_output=True, text=True, check=False, env=env)
    if expect_failure:
        assert answer.returncode != 0, "%s: ansible-inventory should have failed" % config["name"]
        return answer.stdout + answer.stderr
    assert answer.returncode == 0, "%s: ansible-inventory failed:\n%s" % (config["name"], answer.stderr)
    warnings = [line for line in answer.stderr.splitlines() if "[WARNING]" in line and "default collection" not in line]
    assert not warnings, answer.stderr
    return json.loads(answer.stdout)


def normalised(inventory, labels, work):
    text = json.dumps(inventory, indent=2, sort_keys=True)
    text = text.replace(str(work), "<work>")
    text = UUID.sub(lambda m: labels.get(m.group(0), "<uuid unknown>"), text)
    text = MAC.sub(lambda m: labels.get(m.group(0), "<mac unknown>"), text)
    # sorted again: host names that were uuids sort by their placeholders now
    return json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def compare(name, inventory, labels, work):
    text = normalised(inventory, labels, work)
    golden = FILES / ("%s.json" % name)
    if UPDATE:
        golden.write_text(text)
        return
    expected = golden.read_text()
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(golden), "actual"))
        raise AssertionError("%s differs from its golden file:\n%s" % (name, diff))
    print("ok   %s matches files/%s.json" % (name, name))


def calls_of(sim, action):
    sim.control("counters/reset", post=True)
    result = action()
    calls = {k: v for k, v in sim.control("counters")["calls"].items() if v}
    return result, calls


def hostvars(inventory):
    return inventory["_meta"]["hostvars"]


def vm_ref(client, name):
    refs = client.call("VM.get_by_name_label", name)
    assert len(refs) == 1, (name, refs)
    return refs[0]


def pool3_tests(sim, work):
    connection = {"hostname": sim.masters[0], "password": sim.info["password"], "ca_path": sim.info["ca"]}
    base = dict(connection, plugin="xapi.xenserver.vms")
    with sim.client() as client:
        client.call("VM.set_name_label", vm_ref(client, "build-01"), UNSAFE_NAME)
        client.call("VM.add_to_other_config", vm_ref(client, "web-01"), "folder", "/prod/web")
        client.call("VM.add_tags", vm_ref(client, "db-01"), "backup nightly")
    labels = sim.labels()

    # defaults, and the XenAPI calls of one run: login, one get_all_records per class, logout
    inventory, calls = calls_of(sim, lambda: run_inventory(dict(base, name="defaults"), work))
    assert calls == {name: 1 for name in BASE_CALLS}, calls
    print("ok   defaults: XenAPI calls %s" % calls)
    compare("defaults", inventory, labels, work)
    # unsafe: the name is shown literally (never templated), as a host name and as a variable
    assert UNSAFE_NAME in hostvars(inventory), list(hostvars(inventory))
    assert hostvars(inventory)[UNSAFE_NAME]["xenserver_name"] == {"__ansible_unsafe": UNSAFE_NAME}

    compare("filters", run_inventory(dict(base, name="filters", filters=["power_state == 'running'"],
                                          exclude_filters=["'db' in tags", "name == 'web-02'"]), work), labels, work)
    constructed = dict(base, name="constructed", strict=True, prefix="xs_", group_by=["pool", "tags"],
                       compose={"ansible_user": "'admin' if xs_os.distro == 'windows' else 'root'",
                                "memory_gib": "xs_memory_mib // 1024"},
                       groups={"big": "xs_memory_mib >= 4096", "on_a1": "xs_host == 'xs-a1'"},
                       keyed_groups=[{"key": "xs_tags", "prefix": "tag"}, {"key": "xs_power_state", "prefix": "power"}],
                       ansible_host_network="Pool-wide network associated with eth0")
    compare("constructed", run_inventory(constructed, work), labels, work)
    # strict: an undefined variable in compose fails the run
    failure = run_inventory(dict(constructed, name="strict", compose={"x": "no_such_variable + 1"}), work,
                            expect_failure=True)
    assert "no_such_variable" in failure, failure
    compare("include_hosts", run_inventory(dict(base, name="include_hosts", include_hosts=True, with_networks=False,
                                                ansible_host_network="127.100.0.0/30"), work), labels, work)
    inventory, calls = calls_of(sim, lambda: run_inventory(dict(base, name="with_disks", with_disks=True,
                                                                with_other_config=True), work))
    assert calls == dict({name: 1 for name in BASE_CALLS}, **{"VBD.get_all_records": 1, "VDI.get_all_records": 1,
                                                              "SR.get_all_records": 1}), calls
    compare("with_disks", inventory, labels, work)

    # the cache: a cached run makes no call, also when compose changed; --flush-cache reads again
    cached = dict(base, name="cached", cache=True, cache_plugin="ansible.builtin.jsonfile",
                  cache_connection=str(work / "inventory-cache"), compose={"label": "xenserver_name | upper"})
    first, calls = calls_of(sim, lambda: run_inventory(cached, work))
    assert calls == {name: 1 for name in BASE_CALLS}, calls
    second, calls = calls_of(sim, lambda: run_inventory(cached, work))
    assert calls == {} and second == first, calls
    third, calls = calls_of(sim, lambda: run_inventory(dict(cached, compose={"label": "xenserver_name | lower"}), work))
    assert calls == {}, calls
    assert hostvars(third)["web-01"]["label"] == {"__ansible_unsafe": "web-01"}, hostvars(third)["web-01"]
    assert hostvars(first)["web-01"]["label"] == {"__ansible_unsafe": "WEB-01"}, hostvars(first)["web-01"]
    dummy, calls = calls_of(sim, lambda: run_inventory(cached, work, "--flush-cache"))
    assert calls == {name: 1 for name in BASE_CALLS}, calls
    # another class list (with_disks) is not answered from a cache that lacks it
    dummy, calls = calls_of(sim, lambda: run_inventory(dict(cached, with_disks=True), work))
    assert calls.get("VBD.get_all_records") == 1, calls
    print("ok   cache: no XenAPI call when cached, also after a compose change")

    # duplicate names: web-03 renamed web-01
    with sim.client() as client:
        client.call("VM.set_name_label", vm_ref(client, "web-03"), "web-01")
    compare("hostnames_expression", run_inventory(dict(base, name="hostnames_expression", group_by=[],
                                                       hostnames=["name ~ '.' ~ (host or 'off')"]), work), labels, work)
    compare("hostnames_uuid", run_inventory(dict(base, name="hostnames_uuid", group_by=["host"],
                                                 hostnames=["uuid"]), work), labels, work)
    compare("duplicates_uuid", run_inventory(dict(base, name="duplicates_uuid", group_by=["host"],
                                                  duplicate_names="uuid"), work), labels, work)
    inventory = run_inventory(dict(base, name="duplicates_suffix", group_by=[]), work)
    check_suffix(hostvars(inventory), "web-01")
    failure = run_inventory(dict(base, name="duplicates_error", duplicate_names="error"), work, expect_failure=True)
    assert "2 VMs are named 'web-01'" in failure, failure
    print("ok   duplicate names: suffix, uuid, error")


def check_suffix(variables, name):
    """suffix: the VM whose uuid sorts first keeps the name, the other is <name>_<first 8 of its uuid>."""
    twins = sorted((v["xenserver_uuid"]["__ansible_unsafe"], host) for host, v in variables.items()
                   if v["xenserver_name"]["__ansible_unsafe"] == name)
    assert len(twins) == 2, twins
    assert twins[0][1] == name and twins[1][1] == "%s_%s" % (name, twins[1][0][:8]), twins


def twopools_tests(sim, work):
    with sim.client(1) as client:
        template = client.call("VM.get_by_name_label", "Debian Bookworm 12")[0]
        client.call("VM.clone", template, "app-01")  # the same name as a VM of pool-a
        client.call("VM.set_is_a_template", vm_ref(client, "app-01"), False)
    labels = sim.labels()
    pools = [{"hostname": url, "password": sim.info["password"], "ca_path": sim.info["ca"]} for url in sim.masters]
    base = {"plugin": "xapi.xenserver.vms", "pools": pools}
    inventory, calls = calls_of(sim, lambda: run_inventory(dict(base, name="twopools",
                                                                hostnames=["name ~ '@' ~ pool"]), work))
    assert calls == {name: 2 for name in BASE_CALLS}, calls
    compare("twopools", inventory, labels, work)
    # duplicate_names applies across pools too
    check_suffix(hostvars(run_inventory(dict(base, name="twopools_suffix"), work)), "app-01")
    print("ok   twopools: one read per pool, duplicate names across pools")


def main():
    FILES.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="inventory_vms-", dir=os.environ.get("OUTPUT_DIR")))
    for scenario, tests in (("pool3", pool3_tests), ("twopools", twopools_tests)):
        sim = Simulator(scenario, work)
        try:
            tests(sim, work)
        finally:
            sim.stop()
    print("inventory_vms: all checks passed" + (" (golden files written)" if UPDATE else ""))


if __name__ == "__main__":
    main()
