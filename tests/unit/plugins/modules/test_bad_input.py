"""Bad input, property-based: every module gets generated bad argument sets (bad_input_cases.py) against a real
simulator, and for each one:

- it ends as one JSON result, without an uncaught exception and without a Python traceback in it;
- it fails, with a message that names the option the set got wrong (the wrong value itself does not count);
- it changes nothing: no record of the simulator is created, changed or deleted (fingerprint after every
  case, the whole state dump byte-compared every SAMPLE_EVERY cases and at the end), no file is written
  (pool_backup, pool_restore), and no call that may write reaches xapi, except for the inputs only xapi can
  judge (a domain password, an NFS server), whose refused call changes nothing either. One documented exception:
  host_update given an update name the pool does not know syncs the pool with its update repository before it
  refuses the name (only pool.sync_updates is allowed then, and what it refreshed becomes the state compared).

XAPI_BAD_INPUT_EXAMPLES sets the number of cases per module (1000 by default).
"""

import importlib
import json
import os
import pkgutil
import re
import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.configuration import set_hypothesis_home_dir

from ansible_collections.xapi.xenserver.plugins import modules as modules_package
from ansible_collections.xapi.xenserver.tests.unit.plugins.modules.bad_input_cases import cases
from ansible_collections.xapi.xenserver.tests.unit.plugins.modules.module_runs import (dump, fingerprint, run_main,
                                                                                       traceback_in, writes)
from xapisim import Simulator

EXAMPLES = int(os.environ.get("XAPI_BAD_INPUT_EXAMPLES", "1000"))
SAMPLE_EVERY = 50
WRITES_FILES = ("pool_backup", "pool_restore")  # the modules that write or read files on the controller
MODULE_NAMES = sorted(info.name for info in pkgutil.iter_modules(modules_package.__path__))
PASSWORD = "unit-secret"
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])


@pytest.fixture(autouse=True, scope="module")
def hypothesis_home(tmp_path_factory):
    """Hypothesis keeps caches (constants, unicode data) in its home folder: a temporary one, not the work tree
    (kept to the end of the session: hypothesis may write there as late as that)."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))


def module_of(name):
    return importlib.import_module("ansible_collections.xapi.xenserver.plugins.modules.%s" % name)


def context(sim, tmp_path):
    """What the cases need to know of the world: every name there is (so a made-up one surely is not), some
    uuids, where the simulator answers, and files: a backup made by pool_backup, a plain file, a bad manifest."""
    db = sim.world.pools[0].db
    names = {"root"}
    uuids = {}
    for cls in ("VM", "host", "SR", "network", "VDI", "pool", "PIF"):
        for record in db.records(cls).values():
            names.update(str(record.get(key, "")) for key in ("name_label", "device", "uuid", "hostname", "address"))
            uuids.setdefault(record.get("name_label"), record.get("uuid"))
    names.discard("")
    plain = tmp_path / "plain.txt"
    plain.write_text("not a backup\n")
    bad_manifest = tmp_path / "broken-20240101T000000Z.json"
    bad_manifest.write_text("{\"kind\": \"something else\"")
    backups = tmp_path / "backups"
    ctx = {"names": names, "uuids": uuids, "url": sim.url("127.0.10.1"), "password": sim.password, "ca_path": sim.ca_path,
           "port": sim.listeners.port, "tmp": str(tmp_path), "plain_file": str(plain), "bad_manifest": str(bad_manifest),
           "backup_dest": str(tmp_path / "new-backups"), "backup_src": str(backups)}
    made = run_main(module_of("pool_backup"), {"hostname": ctx["url"], "password": sim.password, "ca_path": sim.ca_path,
                                               "dest": str(backups), "name": "unit", "vms": ["web-01"]})
    assert made["changed"] and not made.get("failed"), made
    ctx["backup_database"] = made["backup"]["path"]
    return ctx


def prepare(name, sim, ctx):
    """What a module's base set needs in the world before the cases (subject: a pool joined to the domain)."""
    if name == "subject":
        joined = run_main(module_of("external_auth"), {"hostname": ctx["url"], "password": sim.password,
                                                       "ca_path": sim.ca_path, "domain": "example.test",
                                                       "domain_username": "Administrator", "domain_password": "Passw0rd!x"})
        assert joined["changed"] and not joined.get("failed"), joined


def files_under(path):
    found = []
    for root, dirs, files in os.walk(path):
        found += [os.path.join(root, entry) for entry in dirs + files]
    return sorted(found)


def spans_of(value):
    """The texts a message may show the wrong value as."""
    values = [value]
    if isinstance(value, (list, tuple)):
        values += list(value)
    elif isinstance(value, dict):
        values += list(value) + list(value.values())
    texts = set()
    for item in values:
        if item is None:
            continue
        texts.update({str(item), repr(item), json.dumps(item), json.dumps(item, ensure_ascii=False)})
    return [text for text in texts if text]


def names_a_culprit(msg, case):
    """True when msg names one of the options the case got wrong, other than inside the wrong value itself."""
    text = str(msg).split("Supported parameters include", maxsplit=1)[0]
    value_spans = []
    for shown in spans_of(case.value):
        start = text.find(shown)
        while start != -1:
            value_spans.append((start, start + len(shown)))
            start = text.find(shown, start + 1)
    for culprit in case.culprits:
        for match in re.finditer(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(culprit), text):
            if not any(start <= match.start() and match.end() <= end for start, end in value_spans):
                return True
    return False


class Tally:
    def __init__(self):
        self.cases = 0
        self.server_calls = 0
        self.refreshes = 0
        self.kinds = {}


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_bad_input_is_refused_by_name_and_changes_nothing(name, tmp_path):
    started = time.monotonic()
    module = module_of(name)
    sim = Simulator("pool3", speed=500, password=PASSWORD).serve()
    try:
        ctx = context(sim, tmp_path)
        prepare(name, sim, ctx)
        strategy, base = cases(name, module, ctx)
        checked = run_main(module, dict(base, _ansible_check_mode=True))
        assert not checked.get("failed"), "the base set of %s is not valid: %s" % (name, checked.get("msg"))
        baseline = {"state": dump(sim), "print_": fingerprint(sim)}
        files = files_under(ctx["tmp"])
        tally = Tally()

        @SETTINGS
        @given(strategy)
        def refused(case):
            tally.cases += 1
            tally.kinds[case.kind] = tally.kinds.get(case.kind, 0) + 1
            sim.world.counters.reset()
            result = run_main(module, case.args)
            assert traceback_in(result) is None, "%s: a traceback for %r:\n%s" % (name, case, traceback_in(result))
            assert result.get("failed"), "%s accepted %r: %s" % (name, case, result)
            assert names_a_culprit(result.get("msg"), case), "%s: the message does not name %s: %r (%r)" % (
                name, " or ".join(sorted(case.culprits)), result.get("msg"), case)
            sent = writes(sim)
            if case.refresh and sent:
                assert set(sent) <= case.refresh, "%s made write calls %s for %r" % (name, sent, case)
                tally.refreshes += 1
                baseline.update(state=dump(sim), print_=fingerprint(sim))  # the refreshed state is the one to keep
                return
            if sent:
                tally.server_calls += 1
            assert case.server or not sent, "%s made write calls %s for %r: %s" % (name, sent, case, result.get("msg"))
            assert fingerprint(sim) == baseline["print_"], "%s changed the simulator's records for %r: %s" % (
                name, case, result.get("msg"))
            if name in WRITES_FILES:
                assert files_under(ctx["tmp"]) == files, "%s wrote files for %r" % (name, case)
            if tally.cases % SAMPLE_EVERY == 0:
                assert dump(sim) == baseline["state"], "%s changed the simulator's state for %r" % (name, case)

        refused()
        assert dump(sim) == baseline["state"]
        assert tally.cases >= EXAMPLES, "%s: only %d cases generated" % (name, tally.cases)
    finally:
        sim.stop()
    print("\nbad input %s: %d cases, 0 failures, %d refused by xapi, %d after a sync, %.1f s; %s" % (
        name, tally.cases, tally.server_calls, tally.refreshes, time.monotonic() - started,
        ", ".join("%s %d" % item for item in sorted(tally.kinds.items()))))
