"""Issue 12, destructive operations: each one is refused (or not done) without its explicit option, and in check
mode with the option it lists what it would destroy and changes nothing (the simulator's whole state dump is the
same before and after).

| operation              | without its option                       | check mode with it lists     |
| disk removal           | vm: disks beyond the list are kept       | the disk (name, size)        |
| VM destroy with disks  | vm state=absent: a running VM is refused | the VM and its own disks     |
|                        | without force                            |                              |
| host eject             | pool_member: refused without             | the host                     |
|                        | allow_data_loss                          |                              |
| SR forget / destroy    | sr state=absent: refused without forget  | the SR and the action        |
|                        | or destroy                               |                              |
| leaving AD             | external_auth: only with state=absent    | the domain, every host's     |
| exclusive pruning      | subject: unlisted subjects are kept      | the subjects it would remove |
"""

import json

import pytest

from ansible_collections.xapi.xenserver.plugins.modules import external_auth, pool_member, sr, subject, vm
from xapisim.control import state

JOIN = {"domain": "example.test", "domain_username": "Administrator", "domain_password": "Passw0rd!x"}
NFS = {"server": "127.0.100.1", "serverpath": "/export/destructive"}


def two_disks(run_module, connection):
    disks = [{"name": "system"}, {"name": "scratch", "size": "1GiB"}]
    first = run_module(vm, dict(connection, name="build-01", disks=disks))
    assert not first.get("failed"), first


def joined_with_a_group(run_module, connection):
    assert run_module(external_auth, dict(connection, **JOIN))["changed"]
    group = run_module(subject, dict(connection, name="EXAMPLE\\vm-operators", roles=["vm-operator"]))
    assert group["changed"], group


def an_nfs_sr(run_module, connection):
    assert run_module(sr, dict(connection, name="to remove", type="nfs", device_config=NFS))["changed"]


# (operation, setup, module, arguments, the option, what refusing says or None when the default keeps everything,
#  what check mode lists: (diff key, before, after))
CASES = [
    ("disk removal", two_disks, vm, dict(name="build-01", disks=[{"name": "system"}]), {"remove_disks": True}, None,
     ("disks[1]", {"name": "scratch", "size": 1073741824}, None)),
    ("VM destroy with disks", None, vm, dict(name="web-01", state="absent"), {"force": True},
     "set force: true to shut it down and destroy it", ("disks", ["web-01 disk 0"], [])),
    ("host eject", None, pool_member, dict(host="xs-a2", state="absent"), {"allow_data_loss": True},
     "allow_data_loss: ejecting xs-a2 destroys its local VMs", None),
    ("SR forget", an_nfs_sr, sr, dict(name="to remove", state="absent"), {"forget": True}, "forget",
     ("action", None, "forget")),
    ("SR destroy", an_nfs_sr, sr, dict(name="to remove", state="absent"), {"destroy": True}, "destroy",
     ("action", None, "destroy")),
    ("leaving AD", joined_with_a_group, external_auth, dict(JOIN), {"state": "absent"}, None,
     ("domain", "example.test", None)),
    ("exclusive subject pruning", joined_with_a_group, subject,
     dict(subjects=[{"name": "bob@example.test", "roles": ["read-only"]}]), {"exclusive": True}, None,
     ("subjects", {"EXAMPLE\\vm-operators": ["vm-operator"], "EXAMPLE\\bob": ["read-only"]},
      {"EXAMPLE\\bob": ["read-only"]})),
]


def dump(sim):
    return json.dumps(state(sim), sort_keys=True)


@pytest.mark.parametrize("operation, setup, module, args, option, refusal, listed", CASES, ids=[c[0] for c in CASES])
def test_refused_without_its_option_and_listed_in_check_mode(sim, run_module, connection, operation, setup, module, args,
                                                             option, refusal, listed):
    master = dict(connection, hostname=sim.url("127.0.10.1"))
    if setup is not None:
        setup(run_module, master)
    before = dump(sim)
    without = run_module(module, dict(master, **args))
    if refusal is not None:
        assert without.get("failed") and refusal in without["msg"], without
        for name in option:
            assert name in without["msg"], without["msg"]
    elif module is subject:  # the unlisted group stays; bob is added
        assert not without.get("failed") and "EXAMPLE\\vm-operators" in [s["name"] for s in without["subjects"]]
        before = dump(sim)
    else:
        assert not without.get("failed") and not without["changed"], without
    assert dump(sim) == before, "%s changed something without %s" % (operation, option)

    checked = run_module(module, dict(master, _ansible_check_mode=True, _ansible_diff=True, **dict(args, **option)))
    assert checked["changed"] and not checked.get("failed"), checked
    assert dump(sim) == before, "check mode of %s changed something" % operation
    if listed is not None:
        key, was, would = listed
        assert checked["diff"]["before"].get(key) == was and checked["diff"]["after"].get(key) == would, checked["diff"]
    else:
        assert checked["diff"]["before"] != checked["diff"]["after"], checked["diff"]
