"""pool_member's refused joins, the paths the integration target pool_join_checks cannot reach:
the module's own reads fail (xapi's message stays), the master refuses the credentials pool.join
passes on (the options are named, the master's password masked)."""

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.xapi.xenserver.plugins.modules import pool_member

SCENARIO = os.path.join(os.path.dirname(__file__), "..", "..", "..", "integration", "targets", "pool_join_checks",
                        "files", "join_checks.yaml")
MASTER, BUSY, CLEAN = "127.0.40.1", "127.0.40.2", "127.0.40.8"


@pytest.fixture
def run(capsys):
    def call(args):
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                pool_member.main()
        return json.loads(capsys.readouterr().out)

    return call


def test_without_the_facts_the_message_is_still_clear(sim_factory, run):
    sim = sim_factory(SCENARIO)
    sim.world.faults.add(method="VM.get_all_records_where", code="INTERNAL_ERROR", params=["down"], host=BUSY)
    result = run({"hostname": sim.url(MASTER), "password": sim.password, "ca_path": sim.ca_path,
                  "host": BUSY, "host_password": sim.password})
    assert result["failed"] and result["xapi_error"] == {"code": "JOINING_HOST_CANNOT_HAVE_RUNNING_VMS", "params": []}
    assert result["msg"] == ("join of host %s to the pool of %s failed: the joining host has running VMs: shut them down "
                             "or migrate them to another host first; halted VMs may stay "
                             "(JOINING_HOST_CANNOT_HAVE_RUNNING_VMS)" % (BUSY, MASTER))


def test_the_master_refusing_the_join_names_the_options(sim_factory, run):
    sim = sim_factory(SCENARIO)
    sim.world.faults.add(method="Async.pool.join", code="SESSION_AUTHENTICATION_FAILED",
                         params=["root", "%s refused" % sim.password], host=CLEAN, count=1)
    result = run({"hostname": sim.url(MASTER), "password": sim.password, "ca_path": sim.ca_path,
                  "host": CLEAN, "host_password": sim.password})
    assert result["failed"] and sim.password not in json.dumps(result)
    assert result["msg"].startswith("join of host %s to the pool of %s failed: authentication failed for user root: "
                                    "wrong username or password; check the options username and password "
                                    "(SESSION_AUTHENTICATION_FAILED ['root', '" % (CLEAN, MASTER))
