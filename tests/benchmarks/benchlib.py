"""What the benchmarks share: the collection on sys.path, and a simulator in its own process."""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def collection_path():
    """Make `ansible_collections.xapi.xenserver` importable from this work tree."""
    base = os.path.join(ROOT, ".state", "collections")
    link = os.path.join(base, "ansible_collections", "xapi", "xenserver")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(ROOT, link)
    sys.path.insert(0, base)


def start_simulator(scenario, speed=1.0):
    """python -m xapisim serve --detach: (state dir, endpoints)."""
    state_dir = tempfile.mkdtemp(prefix="bench-")
    started = subprocess.run([sys.executable, "-m", "xapisim", "serve", "--detach", "--scenario", scenario,
                              "--state-dir", state_dir, "--speed", str(speed), "--lifetime", "900"],
                             capture_output=True, text=True, check=True, timeout=120)
    return state_dir, json.loads(started.stdout)


def stop_simulator(state_dir):
    subprocess.run([sys.executable, "-m", "xapisim", "stop", "--state-dir", state_dir], check=False, timeout=60)
