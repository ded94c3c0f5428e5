# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A detached simulator for a target's own script: started, its control API, and stopped with no
session open (a target that ends cleanly fails when a session is left), or stopped anyway on failure."""

import contextlib
import json
import subprocess
import sys

import requests

PYTHON = sys.executable


@contextlib.contextmanager
def simulator(scenario, state_dir, speed=50):
    """Yields the endpoints of a simulator serving `scenario` from `state_dir`."""
    started = subprocess.run([PYTHON, "-m", "xapisim", "serve", "--detach", "--scenario", scenario, "--state-dir",
                              str(state_dir), "--speed", str(speed), "--lifetime", "600"],
                             check=True, capture_output=True, text=True)
    info = json.loads(started.stdout.strip().splitlines()[-1])
    try:
        yield info
    except BaseException:
        subprocess.run([PYTHON, "-m", "xapisim", "stop", "--state-dir", str(state_dir)], check=False)
        raise
    done = subprocess.run([PYTHON, "-m", "xapisim", "stop", "--state-dir", str(state_dir), "--no-open-sessions"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def control(info, verb, path, body=None):
    """One call to the simulator's control API: its JSON answer."""
    answer = requests.request(verb, info["control"] + path, json=body, verify=info["ca"], timeout=30)
    answer.raise_for_status()
    return answer.json()
