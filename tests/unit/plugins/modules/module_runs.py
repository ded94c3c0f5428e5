"""Running a module in-process against the simulator, and what the simulator says about it afterwards:
the calls that may have changed something, a cheap fingerprint of every record, and the whole state dump.

Nothing here mocks: the modules talk HTTPS to a real threaded simulator, and what changed is read from
the simulator's own database and counters (the in-process equivalents of /_sim/state and /_sim/counters).
"""

import contextlib
import io
import json
import re

from ansible.module_utils.testing import patch_module_args

from xapisim.control import counters, state

# As tests/integration/targets/setup_xapisim/tasks/counters.yml: every call may change something except
# sessions, event.from and the getters/assertions; compute_ (host.compute_free_memory) reads too.
READ_CALL = re.compile(r"^(session\.|event\.from$|[A-Za-z_]+\.(get_|assert_|compute_))")
TRACEBACK = "Traceback (most recent call last)"


class NotJson(AssertionError):
    """The module printed something that is not one JSON document."""


def run_main(module, args):
    """main() of `module` with these arguments; its JSON result. Anything but SystemExit propagates (an
    uncaught exception is a test failure with its traceback); output that is not one JSON object raises NotJson."""
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
        else:
            raise AssertionError("%s.main() returned without exit_json or fail_json" % module.__name__)
    text = out.getvalue()
    try:
        result = json.loads(text)
    except ValueError:
        raise NotJson("%s printed something that is not JSON: %r" % (module.__name__, text[:2000])) from None
    if not isinstance(result, dict):
        raise NotJson("%s printed JSON that is not an object: %r" % (module.__name__, text[:2000]))
    return result


def traceback_in(result):
    """The Python traceback the result carries (exception key, or anywhere in msg), or None."""
    for key in ("exception", "msg", "module_stderr", "module_stdout"):
        value = result.get(key)
        if value is not None and TRACEBACK in str(value):
            return str(value)
    return None


def writes(sim):
    """The methods called since the last counters reset that may change something (sorted)."""
    return sorted(method for method in counters(sim)["calls"] if not READ_CALL.match(method))


def fingerprint(sim):
    """Every record of every pool, cheaply: per class (sessions aside) how many records, the last one
    created or modified and its generation, and how many were deleted. Any create, change or delete of a
    record moves it. Sessions are left out: a run logs in and out, and the dump shows none is left behind.
    Deleted tasks are not counted: an Async call that xapi refused had a task, which the client destroyed
    (a task left behind still shows in the count and the last one made)."""
    world = sim.world
    prints = []
    for pool in world.pools:
        db = pool.db
        with db.lock:
            prints.append((pool.name, tuple(
                (cls, len(db.tables[cls]), next(reversed(db.touched[cls].items()), None),
                 len(db.deleted[cls]) if cls != "task" else None)
                for cls in sorted(db.tables) if cls != "session")))
    return (tuple(prints), tuple(sorted(world.hosts)))


def dump(sim):
    """The whole state, serialized: every record of every pool (GET /_sim/state), the NFS exports and
    the hosts that answer. Byte-compared before and after a run."""
    return json.dumps({"state": state(sim), "nfs": sim.world.nfs.describe(), "hosts": sorted(sim.world.hosts)},
                      sort_keys=True, default=repr)


def connection(sim, address="127.0.10.1"):
    return {"hostname": sim.url(address), "password": sim.password, "ca_path": sim.ca_path}
