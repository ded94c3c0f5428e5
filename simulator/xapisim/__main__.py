"""python -m xapisim serve --scenario NAME|FILE --state-dir DIR [--port N] [--no-tls] [--speed F]"""

import argparse
import logging
import signal
import sys
import threading

from .scenario import ScenarioError, builtin_names
from .simulator import Simulator


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
    serve.add_argument("--verbose", action="store_true")
    commands.add_parser("scenarios", help="list the built-in scenarios")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "scenarios":
        print("\n".join(builtin_names()))
        return 0
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="xapisim: %(levelname)s %(message)s")
    if args.speed <= 0:
        print("xapisim: --speed must be positive, got %s" % args.speed, file=sys.stderr)
        return 2
    try:
        sim = Simulator(args.scenario, speed=args.speed, password=args.password, tls=not args.no_tls,
                        port=args.port, state_dir=args.state_dir).serve()
    except ScenarioError as exc:
        print("xapisim: %s" % exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print("xapisim: cannot listen on port %d: %s" % (args.port, exc.strerror), file=sys.stderr)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print("xapisim: serving %s on port %d; endpoints in %s/endpoints.json"
          % (args.scenario, sim.listeners.port, args.state_dir), flush=True)
    done.wait()
    sim.stop()
    print("xapisim: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
