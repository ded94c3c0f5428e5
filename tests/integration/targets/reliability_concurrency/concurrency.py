# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-playbook with forks 20 over 20 hosts (connection local) against one pool: each fork makes,
starts, tags and stops its own VM, and all 20 snapshot and mark one shared VM at once (the simulator holds
the VM's current_operations during a snapshot, so forks collide), while 10% of the mutating calls are
refused with OTHER_OPERATION_IN_PROGRESS (a seeded fraction). Every task succeeds; the refusals were waited
out; every fork's VM, snapshot and mark is there; the simulator stops with no session open."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xapisim_process import control, simulator

PYTHON = sys.executable
FORKS = 20
BUSY = ["Async.VM.start", "Async.VM.clean_shutdown", "Async.VM.hard_shutdown", "Async.VM.snapshot",
        "Async.VM.clone", "Async.VM.provision", "VM.add_to_other_config", "VM.add_tags", "VM.set_tags"]


def main():
    work = Path(os.environ.get("OUTPUT_DIR") or tempfile.mkdtemp())
    with simulator("pool3", work / "xapisim-concurrency") as info:
        master = [h["url"] for h in info["hosts"] if h["master"]][0]
        names = ["fork-%02d" % n for n in range(1, FORKS + 1)]
        inventory = work / "forks.json"
        inventory.write_text(json.dumps({"forks": {"hosts": {name: {} for name in names}, "vars": {
            "ansible_connection": "local", "ansible_python_interpreter": PYTHON,
            "connection": {"hostname": master, "password": info["password"], "ca_path": info["ca"]}}}}))
        rules = [control(info, "POST", "faults", {"method": method, "action": "error", "fraction": 0.1,
                                                  "code": "OTHER_OPERATION_IN_PROGRESS",
                                                  "params": ["VM", "OpaqueRef:dummy", "dummy"]})
                 for method in BUSY]
        control(info, "POST", "counters/reset", {})
        begun = time.monotonic()
        env = dict(os.environ, ANSIBLE_FORKS=str(FORKS), ANSIBLE_HOST_KEY_CHECKING="false")
        run = subprocess.run(["ansible-playbook", "-i", str(inventory), "--forks", str(FORKS),
                              str(Path(__file__).with_name("forks.yml"))],
                             capture_output=True, text=True, check=False, env=env)
        seconds = time.monotonic() - begun
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
        recap = [line for line in run.stdout.splitlines() if line.startswith("fork-")]
        assert len(recap) == FORKS and all("failed=0" in line and "unreachable=0" in line for line in recap), recap
        injected = sum(rule["hits"] for rule in control(info, "GET", "faults"))
        seen = control(info, "GET", "counters")
        vms = control(info, "GET", "state?classes=VM")["pools"][0]["tables"]["VM"].values()
        by_name = {}
        for vm in vms:
            by_name.setdefault(vm["name_label"], []).append(vm)
        shared = [vm for vm in by_name["web-01"] if not vm["is_a_snapshot"]][0]
        for name in names:
            mine = [vm for vm in by_name.get(name, []) if not vm["is_a_template"]]
            assert len(mine) == 1 and mine[0]["power_state"] == "Halted" and name in mine[0]["tags"], (name, mine)
            assert len(by_name.get("shared-" + name, [])) == 1, name
            assert shared["other_config"].get(name) == "yes", name
        print("ok   %d forks, %d tasks, %d XenAPI calls, %d OTHER_OPERATION_IN_PROGRESS injected (all waited out), "
              "0 failures, %.0f s" % (FORKS, FORKS * 4, seen["total_calls"], injected, seconds))
        assert injected >= 10, injected
        assert len(rules) == len(BUSY)


if __name__ == "__main__":
    main()
