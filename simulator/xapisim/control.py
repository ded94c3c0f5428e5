"""The control API under /_sim/ on the control address: for tests, benchmarks and the demo.

    GET    /_sim/endpoints          what endpoints.json holds
    GET    /_sim/counters           calls per method, open sessions, logins, logouts, and when each of
                                    the last tasks ended (time.monotonic, for benchmarks)
    POST   /_sim/counters/reset
    POST   /_sim/reset              rebuild the current scenario
    POST   /_sim/scenario           {"scenario": name or path} load another one
    GET    /_sim/state[?classes=VM,host]   every record of every pool
    GET    /_sim/faults             the rules in force
    POST   /_sim/faults             {"method", "action": drop|delay|error|midway, "code", "params",
                                     "seconds", "count", "fraction", "host", "at", "after"} add a rule
                                    (midway: a migration fails after the fraction `at` of its time;
                                    drop with after: the call runs, then its answer is lost)
    DELETE /_sim/faults             remove every rule
    POST   /_sim/speed              {"speed": F}
    GET    /_sim/lab                the bare-metal lab: machines (power, stage, boot override, last
                                    boot, installed address, host uuid, BMC log) and its endpoints (404 without one)
    POST   /_sim/lab/<machine>/fail hardware failure: the host on the machine is wiped (its pool leaves the
                                    world), the machine is bare metal and off; -> the machine as GET lab has it
    GET    /_sim/nfs                the NFS exports: server, serverpath, SR folders and their VDIs
"""

import json
import urllib.parse

from .scenario import ScenarioError


def _json(status, payload):
    return status, json.dumps(payload).encode("utf-8")


def _body(raw):
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def counters(sim):
    world = sim.world
    return {"calls": dict(world.counters.calls), "protocols": dict(world.counters.protocols),
            "total_calls": sum(world.counters.calls.values()), "open_sessions": world.open_sessions(),
            "logins": world.counters.logins, "logouts": world.counters.logouts,
            "tasks_finished_at": dict(world.counters.finished_at)}


def state(sim, classes=None):
    result = []
    for pool in sim.world.pools:
        with pool.db.lock:
            tables = {cls: dict(table) for cls, table in pool.db.tables.items()
                      if table and (not classes or cls in classes)}
        result.append({"name": pool.name, "master": pool.address_of(pool.master), "tables": tables})
    return {"scenario": sim.world.scenario_name, "pools": result}


def _fail_machine(sim, name):
    machine = next((m for m in sim.world.lab.machines if m.name == name), None)
    if machine is None:
        return _json(404, {"error": "no machine %s in the lab" % name})
    machine.fail()
    return _json(200, machine.describe())


def handle(sim, verb, raw_path, raw_body):
    """-> (HTTP status, JSON bytes)."""
    parsed = urllib.parse.urlsplit(raw_path)
    path = parsed.path.rstrip("/")
    query = urllib.parse.parse_qs(parsed.query)
    try:
        body = _body(raw_body)
        if (verb, path) == ("GET", "/_sim/endpoints"):
            return _json(200, sim.endpoints())
        if (verb, path) == ("GET", "/_sim/counters"):
            return _json(200, counters(sim))
        if (verb, path) == ("POST", "/_sim/counters/reset"):
            sim.world.counters.reset()
            return _json(200, counters(sim))
        if (verb, path) == ("POST", "/_sim/reset"):
            sim.load(sim.scenario)
            return _json(200, sim.endpoints())
        if (verb, path) == ("POST", "/_sim/scenario"):
            if "scenario" not in body:
                raise ValueError("the body needs 'scenario': a built-in name or a YAML file path")
            sim.load(body["scenario"])
            return _json(200, sim.endpoints())
        if (verb, path) == ("GET", "/_sim/state"):
            classes = set(query["classes"][0].split(",")) if "classes" in query else None
            return _json(200, state(sim, classes))
        if (verb, path) == ("GET", "/_sim/faults"):
            return _json(200, sim.world.faults.describe())
        if (verb, path) == ("POST", "/_sim/faults"):
            rule = sim.world.faults.add(**body)
            return _json(200, rule.describe())
        if (verb, path) == ("DELETE", "/_sim/faults"):
            sim.world.faults.clear()
            return _json(200, [])
        if (verb, path) == ("GET", "/_sim/lab") and sim.world.lab is not None:
            return _json(200, sim.world.lab.describe())
        if verb == "POST" and path.startswith("/_sim/lab/") and path.endswith("/fail") and sim.world.lab is not None:
            return _fail_machine(sim, path[len("/_sim/lab/"):-len("/fail")])
        if (verb, path) == ("GET", "/_sim/nfs"):
            return _json(200, sim.world.nfs.describe())
        if (verb, path) == ("POST", "/_sim/speed"):
            speed = float(body["speed"])
            if not 0 < speed < float("inf"):
                raise ValueError("speed must be a positive number, got %r" % body["speed"])
            sim.world.clock.speed = speed
            return _json(200, {"speed": sim.world.clock.speed})
        return _json(404, {"error": "no control call %s %s" % (verb, path)})
    except (ValueError, TypeError, KeyError, ScenarioError) as exc:
        return _json(400, {"error": str(exc)})
