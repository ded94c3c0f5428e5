"""Rolling maintenance of a pool: what Ansible and the modules add to the simulated work.

ansible-playbook runs the role xapi.xenserver.rolling_maintenance on a fresh pool3 (members first,
the master last; each host disabled and evacuated, its three pending updates applied with the
reboot they need, put back in service, its VMs moved back), the simulator served from this process
at --speed S (default 40). Per host, all on time.monotonic():

  wall        from its first task starting to its last task ending (a callback plugin written for
              the run records when each task starts and ends)
  simulated   the time at least one simulator task was pending: the evacuation and its migrations,
              the updates, the reboot, the moves back (a follower on the pool's task table records
              each task's start and end); times the speed, the simulated seconds
  overhead    wall - simulated, split in two:
  Ansible     the time no module ran (a follower on the session table: a module runs from its login
              to its logout); "start-up" is the part of it inside module tasks: Ansible starting the
              module (worker, templating, AnsiballZ, the Python process, imports, arguments) until
              its login, and after its logout until the task's result is in; the rest is between
              tasks and in tasks that run no module
  modules     the modules' own calls, and how soon they notice that an operation ended (a rebooting
              master's return included: the module logs in again once the host answers)

No figure is asserted; a task that fails stops the bench with its name and message.
Writes tests/output/bench/rolling.json.

    .venv/bin/python tests/benchmarks/bench_rolling.py [--speed S]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import ROOT, collection_path

sys.path.insert(0, os.path.join(ROOT, "simulator"))  # when xapisim is not installed in this interpreter

PLAYBOOK = """\
- name: Rolling maintenance of the pool
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: xapi.xenserver.rolling_maintenance
"""

CALLBACK = '''\
import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Each task's start and end, on time.monotonic(), one JSON line each in $BENCH_TIMES."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_times"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, **event):
        with open(os.environ["BENCH_TIMES"], "a", encoding="utf-8") as handle:
            handle.write(json.dumps(dict(event, at=time.monotonic())) + "\\n")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._write(event="start", uuid=task._uuid, task=str(task.get_name()))

    def _end(self, result, status):
        answer = result._result
        self._write(event=status, uuid=result._task._uuid, msg=str(answer.get("msg", "")),
                    items=len(answer.get("results") or []))

    def v2_runner_on_ok(self, result):
        self._end(result, "ok")

    def v2_runner_on_skipped(self, result):
        self._end(result, "skipped")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._end(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_unreachable(self, result):
        self._end(result, "failed")
'''


class Recorder:
    """When each task of the pool was pending and each session logged in: [start, end or None]."""

    def __init__(self, db):
        self.tasks = {}
        self.sessions = {}
        db.followers.setdefault("task", []).append(self._task)
        db.followers.setdefault("session", []).append(self._session)

    def _task(self, db, ref, old, new):
        if old is None and new["status"] == "pending":
            self.tasks[ref] = [time.monotonic(), None]
        elif ref in self.tasks and self.tasks[ref][1] is None and (new is None or new["status"] != "pending"):
            self.tasks[ref][1] = time.monotonic()

    def _session(self, db, ref, old, new):
        if old is None:
            self.sessions[ref] = [time.monotonic(), None]
        elif new is None and ref in self.sessions:
            self.sessions[ref][1] = time.monotonic()


def covered(intervals, low, high):
    """Seconds of [low, high] within at least one of the intervals (an open one lasts to high)."""
    clipped = sorted((max(s, low), min(high if e is None else e, high)) for s, e in intervals)
    total, reach = 0.0, low
    for start, end in clipped:
        if end > max(start, reach):
            total += end - max(start, reach)
            reach = end
    return total


def run_role(sim, work):
    """ansible-playbook with the role; -> (its start, its end, [tasks]): name, start, end, status, msg, items."""
    with open(os.path.join(work, "bench_times.py"), "w", encoding="utf-8") as handle:
        handle.write(CALLBACK)
    with open(os.path.join(work, "playbook.yml"), "w", encoding="utf-8") as handle:
        handle.write(PLAYBOOK)
    with open(os.path.join(work, "vars.json"), "w", encoding="utf-8") as handle:
        json.dump({"rolling_maintenance_pool_host": sim.master_address(),
                   "rolling_maintenance_port": str(sim.listeners.port),
                   "rolling_maintenance_pool_password": sim.password,
                   "rolling_maintenance_ca_path": sim.ca_path,
                   "rolling_maintenance_move_back": True}, handle)
    times = os.path.join(work, "times.jsonl")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".state", "collections"),
               ANSIBLE_CALLBACK_PLUGINS=work, ANSIBLE_CALLBACKS_ENABLED="bench_times", BENCH_TIMES=times,
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_NOCOLOR="1")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    started = time.monotonic()
    ran = subprocess.run([playbook, os.path.join(work, "playbook.yml"), "-e", "@" + os.path.join(work, "vars.json")],
                         env=env, capture_output=True, text=True, check=False, timeout=600)
    ended = time.monotonic()
    tasks, by_uuid = [], {}
    with open(times, encoding="utf-8") as handle:
        for event in map(json.loads, handle):
            if event["event"] == "start":
                by_uuid[event["uuid"]] = {"name": event["task"], "start": event["at"], "end": None, "status": None}
                tasks.append(by_uuid[event["uuid"]])
            else:
                by_uuid[event["uuid"]].update(end=event["at"], status=event["event"], msg=event["msg"],
                                              items=event["items"])
    failed = ["%s: %s" % (task["name"], task["msg"]) for task in tasks if task["status"] == "failed"]
    if ran.returncode != 0 or failed:
        raise SystemExit("rolling_maintenance failed (ansible-playbook exit %d):\n  %s\n--- its output, last lines:\n%s"
                         % (ran.returncode, "\n  ".join(failed) or "no task failed", ran.stdout[-3000:] + ran.stderr[-2000:]))
    return started, ended, tasks


def module_runs(task, sessions):
    """When the modules of a task ran: each session of a loop's items; for one module, from its first
    login to its last logout (a rebooting master forgets sessions: the module logs in again)."""
    inside = [(start, task["end"] if end is None else end) for start, end in sessions if task["start"] <= start <= task["end"]]
    if not inside or task["items"]:
        return inside
    return [(min(start for start, dummy in inside), max(end for dummy, end in inside))]


def per_host(host, tasks, recorder, speed):
    mine = [task for task in tasks if task["name"].endswith(" " + host)]
    if not mine:
        raise SystemExit("no task of the role is named after %s: did its task names change?" % host)
    low, high = mine[0]["start"], mine[-1]["end"]
    pending = list(recorder.tasks.values())
    runs = [module_runs(task, recorder.sessions.values()) for task in mine]
    engaged = pending + [run for task_runs in runs for run in task_runs]  # a module or the simulator at work
    busy = covered(pending, low, high)
    ansible = (high - low) - covered(engaged, low, high)
    modules = [(task, task_runs) for task, task_runs in zip(mine, runs) if task_runs]
    startup = sum((task["end"] - task["start"]) - covered(engaged, task["start"], task["end"]) for task, dummy in modules)
    count = sum(len(task_runs) for dummy, task_runs in modules)
    overhead = (high - low) - busy
    return {"host": host, "start": low, "wall_s": high - low, "simulated_s": busy, "simulated_sim_s": busy * speed,
            "overhead_s": overhead, "ansible_s": ansible, "startup_s": startup, "module_runs": count,
            "to_login_s": [task_runs[0][0] - task["start"] for task, task_runs in modules], "startup_per_run_s": startup / count,
            "modules_s": overhead - ansible, "startup_share": startup / overhead, "tasks": len(mine)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--speed", type=float, default=40.0)
    parser.add_argument("--output", default=os.path.join(ROOT, "tests", "output", "bench", "rolling.json"))
    args = parser.parse_args(argv)
    collection_path()
    from xapisim import Simulator

    with Simulator("pool3", speed=args.speed).serve() as sim, tempfile.TemporaryDirectory(prefix="bench-rolling-") as work:
        recorder = Recorder(sim.world.pools[0].db)
        hosts = [host["name"] for host in sim.endpoints()["hosts"]]
        started, ended, tasks = run_role(sim, work)
    order = sorted(hosts, key=lambda host: min(t["start"] for t in tasks if t["name"].endswith(" " + host)))
    unfinished = [ref for ref, (dummy, end) in recorder.tasks.items() if end is None]
    if unfinished:
        raise SystemExit("simulator tasks still pending after the role: %s" % ", ".join(unfinished))
    rows = [per_host(host, tasks, recorder, args.speed) for host in order]
    overhead = statistics.median(row["overhead_s"] for row in rows)
    startup = sum(row["startup_s"] for row in rows)
    to_login = statistics.median(seconds for row in rows for seconds in row["to_login_s"])
    runs = sum(row["module_runs"] for row in rows)
    share = startup / sum(row["overhead_s"] for row in rows)
    before = rows[0]["start"] - started
    print("rolling_maintenance on pool3 at speed %g: ansible-playbook %.1f s, of which %.1f s before the first host"
          % (args.speed, ended - started, before))
    print("  host     wall   simulated (sim s)  overhead  = Ansible, of it start-up (module runs)  + modules")
    for row in rows:
        print("  %-6s %5.1f s   %5.1f s (%4.0f)     %5.1f s     %5.1f s        %5.1f s (%d)             %5.1f s"
              % (row["host"], row["wall_s"], row["simulated_s"], row["simulated_sim_s"], row["overhead_s"],
                 row["ansible_s"], row["startup_s"], row["module_runs"], row["modules_s"]))
    print("  overhead per host: median %.1f s; Ansible start-up %.2f s per module run, %.0f %% of the overhead "
          "(a module task's start to its login: median %.2f s)" % (overhead, startup / runs, 100 * share, to_login))
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump({"speed": args.speed, "playbook_s": ended - started, "before_first_host_s": before, "hosts": rows,
                   "overhead_median_s": overhead, "startup_per_run_s": startup / runs, "startup_share": share,
                   "to_login_median_s": to_login, "tasks": tasks}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
