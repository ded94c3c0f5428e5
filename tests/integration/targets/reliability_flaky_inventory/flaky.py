# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-inventory --list with a *.xenserver.yml (two pools, read at members' addresses, with disks and
networks) while 5% of the XenAPI calls lose their connection before the answer (a seeded fraction). Every
run succeeds and lists exactly what a run without faults lists; the simulator stops with no session open."""

import json
import os
import subprocess
import tempfile
from pathlib import Path

from xapisim_process import control, simulator

RUNS = 8


def main():
    work = Path(os.environ.get("OUTPUT_DIR") or tempfile.mkdtemp())
    with simulator("twopools", work / "xapisim-flaky") as info:
        members = [h["url"] for h in info["hosts"] if not h["master"]]
        config = work / "flaky.xenserver.yml"
        config.write_text(json.dumps({  # JSON is YAML
            "plugin": "xapi.xenserver.vms", "with_disks": True, "with_networks": True, "include_hosts": True,
            "pools": [{"hostname": url, "password": info["password"], "ca_path": info["ca"]} for url in members]}))
        clean = inventory(config)
        assert len(clean["_meta"]["hostvars"]) == 6, sorted(clean["_meta"]["hostvars"])  # 2 VMs, 4 hosts
        control(info, "POST", "faults", {"method": "*", "action": "drop", "fraction": 0.05})
        control(info, "POST", "counters/reset", {})
        for run in range(RUNS):
            assert inventory(config) == clean, "run %d under faults lists another inventory" % run
        drops = control(info, "GET", "faults")[0]["hits"]
        calls = control(info, "GET", "counters")["total_calls"]
        print("ok   %d ansible-inventory runs, %d XenAPI calls, %d connections dropped, 0 failures"
              % (RUNS, calls, drops))
        assert drops >= 5, drops


def inventory(config):
    env = dict(os.environ, ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true")  # a failed source fails the run
    answer = subprocess.run(["ansible-inventory", "-i", str(config), "--list"], capture_output=True, text=True,
                            check=False, env=env)
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout)


if __name__ == "__main__":
    main()
