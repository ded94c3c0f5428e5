"""python -m xapisim serve --scenario NAME|FILE --state-dir DIR [--port N] [--no-tls] [--speed F]
                          [--detach] [--lifetime S] [--directory ldap://127.0.0.1]
python -m xapisim stop --state-dir DIR [--no-open-sessions]
python -m xapisim scenarios
"""

import argparse
import json
import logging
import os
import signal
import ssl
import sys
import threading
import time
import urllib.request

from . import scenario
from .directory import parse_url as parse_directory_url
from .scenario import ScenarioError, builtin_names
from .simulator import Simulator

READY_TIMEOUT = 60.0


def _parser():
    parser = argparse.ArgumentParser(prog="python -m xapisim", description="A XenAPI simulator of XenServer 8 pools.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a scenario on loopback until SIGTERM or Ctrl-C")
    serve.add_argument("--scenario", default="standalone",
                       help="a built-in (%s) or a YAML file" % ", ".join(builtin_names()))
    serve.add_argument("--state-dir", required=True, help="where endpoints.json and ca.pem are written")
    serve.add_argument("--port", type=int, default=0, help="the port of every address (0: any free port)")
    serve.add_argument("--no-tls", action="store_true", help="plain HTTP instead of HTTPS")
    serve.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    serve.add_argument("--password", default=None, help="root password of every host (default: random)")
    serve.add_argument("--detach", action="store_true",
                       help="run in the background; print endpoints.json once it is serving (stop it with 'stop')")
    serve.add_argument("--lifetime", type=float, default=None,
                       help="stop by itself after this many seconds (a safety net for test runs)")
    serve.add_argument("--directory", default=None,
                       help="ldap://ADDRESS[:PORT] or ldaps://...: every pool's external auth asks this Active "
                            "Directory (e.g. scripts/samba-dc) instead of the scenario's; loopback only")
    serve.add_argument("--verbose", action="store_true")
    stop = commands.add_parser("stop", help="stop a simulator started with serve --detach")
    stop.add_argument("--state-dir", required=True)
    stop.add_argument("--no-open-sessions", action="store_true",
                      help="stop, and exit 3 when a XenAPI session was still open (a client that never logged out)")
    commands.add_parser("scenarios", help="list the built-in scenarios")
    return parser


def _pid_path(state_dir):
    return os.path.join(state_dir, "xapisim.pid")


def _serve(args):
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="xapisim: %(levelname)s %(message)s")
    try:
        sim = Simulator(args.scenario, speed=args.speed, password=args.password, tls=not args.no_tls,
                        port=args.port, state_dir=args.state_dir, directory=args.directory).serve()
    except (ScenarioError, ValueError) as exc:
        print("xapisim: %s" % exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print("xapisim: cannot listen on port %d: %s" % (args.port, exc.strerror), file=sys.stderr)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: done.set())
    signal.signal(signal.SIGINT, lambda *_args: done.set())
    with open(_pid_path(args.state_dir), "w", encoding="utf-8") as handle:
        handle.write(str(os.getpid()))
    print("xapisim: serving %s on port %d; endpoints in %s/endpoints.json"
          % (args.scenario, sim.listeners.port, args.state_dir), flush=True)
    done.wait(args.lifetime)
    sim.stop()
    if os.path.exists(_pid_path(args.state_dir)):
        os.remove(_pid_path(args.state_dir))
    print("xapisim: stopped", flush=True)
    return 0


def _detach(args):
    """Fork a server into its own session; wait until it serves; print its endpoints."""
    try:
        scenario.load(args.scenario)  # a bad scenario or directory is said here, not in a log nobody reads
        if args.directory:
            parse_directory_url(args.directory)
    except (ScenarioError, ValueError) as exc:
        print("xapisim: %s" % exc, file=sys.stderr)
        return 2
    os.makedirs(args.state_dir, exist_ok=True)
    endpoints = os.path.join(args.state_dir, "endpoints.json")
    for stale in (endpoints, _pid_path(args.state_dir)):
        if os.path.exists(stale):
            os.remove(stale)
    log_path = os.path.join(args.state_dir, "xapisim.log")
    child = os.fork()
    if child == 0:  # the server: its own session, output to the log, never returns here
        os.setsid()
        if os.fork():
            os._exit(0)
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os._exit(_serve(args))
    os.waitpid(child, 0)
    pause, deadline = threading.Event(), time.monotonic() + READY_TIMEOUT
    while not (os.path.exists(endpoints) and os.path.exists(_pid_path(args.state_dir))):
        if time.monotonic() > deadline:
            print("xapisim: not serving after %.0f s; see %s" % (READY_TIMEOUT, log_path), file=sys.stderr)
            return 1
        pause.wait(0.05)
    with open(endpoints, encoding="utf-8") as handle:
        print(json.dumps(json.load(handle)))
    return 0


def _open_sessions(state_dir):
    """The sessions still open, as 'originator (user)' texts, read from the control API; None when the
    simulator cannot be asked."""
    try:
        with open(os.path.join(state_dir, "endpoints.json"), encoding="utf-8") as handle:
            endpoints = json.load(handle)
        context = ssl.create_default_context(cafile=endpoints["ca"]) if endpoints.get("ca") else None
        with urllib.request.urlopen(endpoints["control"] + "state?classes=session", context=context,
                                    timeout=30) as answer:
            pools = json.load(answer)["pools"]
    except (OSError, ValueError, KeyError):
        return None
    return ["%s (%s)" % (record.get("originator") or "no originator", record.get("auth_user_name") or "root")
            for pool in pools for record in pool["tables"].get("session", {}).values()]


def _stop(state_dir, no_open_sessions=False):
    open_sessions = _open_sessions(state_dir) if no_open_sessions else []
    code = _terminate(state_dir)
    if open_sessions:
        print("xapisim: %d session(s) still open at stop: %s" % (len(open_sessions), ", ".join(sorted(open_sessions))),
              file=sys.stderr)
        return 3
    return code


def _terminate(state_dir):
    try:
        with open(_pid_path(state_dir), encoding="utf-8") as handle:
            pid = int(handle.read())
    except (OSError, ValueError):
        print("xapisim: no simulator runs from %s" % state_dir, file=sys.stderr)
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return 0
    pause, deadline = threading.Event(), time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return 0
        pause.wait(0.05)
    print("xapisim: process %d did not stop within 30 s" % pid, file=sys.stderr)
    return 1


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "scenarios":
        print("\n".join(builtin_names()))
        return 0
    if args.command == "stop":
        return _stop(args.state_dir, args.no_open_sessions)
    if args.speed <= 0:
        print("xapisim: --speed must be positive, got %s" % args.speed, file=sys.stderr)
        return 2
    if args.detach:
        return _detach(args)
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
