"""Check mode is pure: for every module that can change something, a check-mode run whose arguments would change
things says changed: true, and afterwards

- the simulator's whole state dump is byte-identical: every record of every pool (GET /_sim/state), the NFS
  exports and the addresses that answer. Nothing is excluded: a run's session is gone after its logout, and no
  record of the simulator changes by itself while it is idle (so no timestamp or counter needs to be left out);
- no call that may write reached xapi (the simulator's counters: everything but sessions, event.from, getters,
  assertions and compute_ calls);
- no file was written on the controller (pool_backup, pool_restore).

Two calls xapi counts as writes are allowed where a check needs them, and the dump shows what they made gone:
pool_restore's dry run of a database restore is xapi's own check (PUT /pool/xmldbdump?dry_run=true), followed by
a task the module makes and destroys (task.create, task.destroy); vm_migrate checks a storage migration with
VM.assert_can_migrate, whose "dest" argument is what host.migrate_receive answers (a session for the migration,
which the module logs out).
"""

import os

import pytest

from ansible_collections.xapi.xenserver.plugins.modules import (external_auth, host, host_update, network, pif, pool,
                                                                pool_backup, pool_member, pool_restore, sr, subject, vm,
                                                                vm_migrate, vm_snapshot)
from ansible_collections.xapi.xenserver.tests.unit.plugins.modules.module_runs import connection, dump, run_main, writes

JOIN = {"domain": "example.test", "domain_username": "Administrator", "domain_password": "Passw0rd!x"}
DRY_RUN_TASK = ["task.create", "task.destroy"]  # the task of xapi's dry run of a database restore, destroyed after
# a storage migration is checked with VM.assert_can_migrate, which needs the destination's host.migrate_receive: a
# session for the migration (its "dest" map), which the module logs out; nothing else
MIGRATE_RECEIVE = ["host.migrate_receive"]


def api(sim, address="127.0.10.1"):
    session = sim.call(address, "session.login_with_password", "root", sim.password)
    return lambda method, *params: sim.call(address, method, session, *params)


def other_host(sim, vm_name):
    """A host of pool3 the VM does not run on."""
    call = api(sim)
    here = call("VM.get_resident_on", call("VM.get_by_name_label", vm_name)[0])
    return next(call("host.get_name_label", ref) for ref in sorted(call("host.get_all")) if ref != here)


def local_sr(sim, host_name):
    """The uuid of the host's local storage (every host's is named "Local storage")."""
    call = api(sim)
    host_ref = call("host.get_by_name_label", host_name)[0]
    return next(call("SR.get_uuid", sr) for sr in call("SR.get_by_name_label", "Local storage")
                if any(call("PBD.get_host", pbd) == host_ref for pbd in call("SR.get_PBDs", sr)))


def files_under(path):
    found = []
    for root, dirs, files in os.walk(path):
        found += [os.path.join(root, entry) for entry in dirs + files]
    return sorted(found)


def assert_pure(sim, module, args, tmp_path, allowed=()):
    """A check-mode run of `module` with `args`: changed, and nothing changed."""
    before = dump(sim)
    files = files_under(tmp_path)
    sim.world.counters.reset()
    result = run_main(module, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert not result.get("failed"), result
    assert result["changed"] is True, result
    assert [call for call in writes(sim) if call not in allowed] == [], writes(sim)
    assert dump(sim) == before, "%s changed the simulator in check mode" % module.__name__
    assert files_under(tmp_path) == files, "%s wrote files in check mode" % module.__name__
    return result


# (module, id, the arguments as a function of the simulator and a folder)
POOL3_CASES = [
    (vm, "vm-create", lambda sim, tmp: {"name": "dry-vm", "template": "Debian Bookworm 12", "memory": "2GiB"}),
    (vm, "vm-settings-and-power", lambda sim, tmp: {
        "name": "web-01", "description": "changed", "vcpus": 4, "memory": "4GiB", "tags": ["other"], "force": True,
        "state": "restarted", "networks": [{"network": "Pool-wide network associated with eth1"}],
        "disks": [{"size": "20GiB"}, {"size": "1GiB"}], "cdrom": {"iso": "Rocky-9.4-x86_64-minimal.iso"}}),
    (vm, "vm-cloud-init", lambda sim, tmp: {"name": "build-01", "cloud_init": {"user_data": "#cloud-config\n"}}),
    (vm, "vm-absent", lambda sim, tmp: {"name": "db-01", "state": "absent", "force": True}),
    (vm_snapshot, "vm_snapshot-present", lambda sim, tmp: {"vm": "web-01", "name": "dry", "with_memory": True}),
    (vm_migrate, "vm_migrate-host", lambda sim, tmp: {"vm": "web-02", "host": other_host(sim, "web-02")}),
    (vm_migrate, "vm_migrate-storage", lambda sim, tmp: {"vm": "build-01", "sr": local_sr(sim, "xs-a1"), "live": False},
     MIGRATE_RECEIVE),
    (host, "host-settings", lambda sim, tmp: {"name": "xs-a2", "name_label": "renamed", "description": "changed",
                                              "tags": ["t"], "other_config": {"k": "v"}, "dns_servers": ["127.0.0.53"],
                                              "logging": {"syslog_destination": "127.0.0.1"}, "power_on_mode": "wake-on-lan"}),
    (host, "host-drain-and-reboot", lambda sim, tmp: {"name": "xs-a2", "enabled": False, "evacuate": True,
                                                      "power": "rebooted"}),
    (host_update, "host_update", lambda sim, tmp: {"host": "xs-a1"}),
    (network, "network-new", lambda sim, tmp: {"name": "dry", "mtu": 9000, "tags": ["t"]}),
    (network, "network-vlan", lambda sim, tmp: {"name": "dry vlan", "vlan": {"tag": 42, "device": "eth1"}}),
    (network, "network-bond", lambda sim, tmp: {"name": "dry bond", "bond": {"devices": ["eth0", "eth1"]}}),
    (network, "network-settings", lambda sim, tmp: {"name": "Pool-wide network associated with eth1", "mtu": 9000,
                                                    "description": "changed"}),
    (pif, "pif-static", lambda sim, tmp: {"host": "xs-a2", "device": "eth1", "mode": "static", "ip": "192.0.2.10",
                                          "netmask": "24", "ipv6": {"mode": "static", "address": "2001:db8::10/64"}}),
    (pif, "pif-management", lambda sim, tmp: {"host": "xs-a3", "device": "eth1", "mode": "static", "ip": "127.0.20.3",
                                              "netmask": "255.0.0.0", "management": True}),
    (pool, "pool-settings", lambda sim, tmp: {"name": "dry", "description": "changed", "default_sr": local_sr(sim, "xs-a1"),
                                              "other_config": {"k": "v"}, "tags": ["t"]}),
    (pool, "pool-ha", lambda sim, tmp: {"ha": {"enabled": True, "heartbeat_srs": ["NFS storage"], "failures_to_tolerate": 1}}),
    (pool, "pool-master", lambda sim, tmp: {"master": "xs-a2"}),
    (pool_member, "pool_member-eject", lambda sim, tmp: {"host": "xs-a3", "state": "absent", "allow_data_loss": True}),
    (sr, "sr-create", lambda sim, tmp: {"name": "dry NFS", "type": "nfs", "shared": True, "default": True,
                                        "device_config": {"server": "127.0.100.1", "serverpath": "/export/dry"}}),
    (sr, "sr-settings", lambda sim, tmp: {"name": "ISO library", "description": "changed", "plugged": False}),
    (sr, "sr-forget", lambda sim, tmp: {"name": "ISO library", "state": "absent", "forget": True}),
    (external_auth, "external_auth-join", lambda sim, tmp: dict(JOIN)),
    (pool_backup, "pool_backup", lambda sim, tmp: {"dest": str(tmp / "backups"), "vms": ["web-01"]}),
]


@pytest.mark.parametrize("module, make_args, allowed", [(case[0], case[2], case[3] if len(case) > 3 else ()) for case in POOL3_CASES],
                         ids=[case[1] for case in POOL3_CASES])
def test_check_mode_changes_nothing(sim, tmp_path, module, make_args, allowed):
    assert_pure(sim, module, dict(connection(sim), **make_args(sim, tmp_path)), tmp_path, allowed)


def test_check_mode_of_what_needs_something_first(sim, tmp_path):
    """Reverting to and destroying a snapshot, subjects of a joined pool, leaving the domain, importing VMs
    from a backup: what they need is made first (not in check mode), then the check-mode run."""
    conn = connection(sim)
    call = api(sim)
    call("VM.snapshot", call("VM.get_by_name_label", "web-01")[0], "before")
    assert_pure(sim, vm_snapshot, dict(conn, vm="web-01", name="before", state="reverted"), tmp_path)
    assert_pure(sim, vm_snapshot, dict(conn, vm="web-01", name="before", state="absent"), tmp_path)

    assert run_main(external_auth, dict(conn, **JOIN))["changed"]
    assert_pure(sim, subject, dict(conn, name="EXAMPLE\\alice", roles=["vm-operator"]), tmp_path)
    assert_pure(sim, subject, dict(conn, subjects=[{"name": "EXAMPLE\\vm-operators", "roles": ["vm-admin"]},
                                                   {"name": "bob@example.test", "roles": ["read-only"]}]), tmp_path)
    assert run_main(subject, dict(conn, name="EXAMPLE\\alice", roles=["vm-operator"]))["changed"]
    assert_pure(sim, subject, dict(conn, name="EXAMPLE\\alice", roles=["pool-admin"]), tmp_path)
    assert_pure(sim, subject, dict(conn, name="EXAMPLE\\alice", state="absent"), tmp_path)
    assert_pure(sim, subject, dict(conn, name="EXAMPLE\\bob", roles=["read-only"], exclusive=True), tmp_path)
    assert_pure(sim, external_auth, dict(conn, state="absent"), tmp_path)
    assert_pure(sim, external_auth, dict(conn, domain="other.test", domain_username="Administrator",
                                         domain_password="Passw0rd!x", rejoin=True), tmp_path)

    made = run_main(sr, dict(conn, name="empty", type="nfs", device_config={"server": "127.0.100.1", "serverpath": "/export/e"}))
    assert made["changed"] and not made.get("failed"), made
    assert_pure(sim, sr, dict(conn, name="empty", state="absent", destroy=True), tmp_path)

    backups = tmp_path / "backups"
    made = run_main(pool_backup, dict(conn, dest=str(backups), name="pool3", vms=["build-01"]))
    assert made["changed"] and not made.get("failed"), made
    assert_pure(sim, pool_backup, dict(conn, dest=str(backups), name="pool3", keep=1), tmp_path)
    build = call("VM.get_by_name_label", "build-01")[0]
    for vbd in call("VM.get_VBDs", build):
        call("VBD.destroy", vbd)
    call("VM.destroy", build)
    result = assert_pure(sim, pool_restore, dict(conn, src=str(backups), vms=["build-01"]), tmp_path)
    assert [(vm_["name"], vm_["created"]) for vm_ in result["restored"]["vms"]] == [("build-01", True)]


def test_check_mode_of_a_join(sim_factory, tmp_path):
    sim = sim_factory("hosts3")
    assert_pure(sim, pool_member, dict(connection(sim), host="127.0.10.2", host_password=sim.password), tmp_path)


def test_check_mode_of_a_database_restore(sim_factory, tmp_path):
    """A backup of one host restored onto another standalone host (force: it has VMs of its own): check mode runs
    xapi's dry run, which changes nothing."""
    sim = sim_factory("hosts3")
    source = connection(sim, "127.0.10.2")
    made = run_main(pool_backup, dict(source, dest=str(tmp_path / "backups")))
    assert made["changed"] and not made.get("failed"), made
    result = assert_pure(sim, pool_restore, dict(connection(sim), src=str(tmp_path / "backups"), force=True), tmp_path,
                         allowed=DRY_RUN_TASK)
    assert result["restored"]["database"] is True and writes(sim) == DRY_RUN_TASK  # xapi's dry run did run
