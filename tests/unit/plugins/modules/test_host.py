"""The host module against the simulator."""

import json

from ansible_collections.xapi.xenserver.plugins.modules import host
from xapisim.control import counters

READS = ("session.", "event.from")


def writes(sim):
    return sorted(method for method in counters(sim)["calls"] if not method.startswith(READS) and ".get_" not in method)


def test_settings_idempotent_and_check_mode(sim, run_module, connection):
    args = dict(connection, name="xs-a2", description="rack 2", other_config={"rack": "2"}, tags=["b"],
                host_name="xs-a2.example.test")
    checked = run_module(host, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and checked["diff"]["after"]["description"] == "rack 2" and writes(sim) == []
    done = run_module(host, args)
    assert done["changed"] and done["host"]["hostname"] == "xs-a2.example.test" and done["host"]["tags"] == ["b"]
    sim.world.counters.reset()
    assert not run_module(host, args)["changed"] and writes(sim) == []


def test_disable_with_evacuation_then_enable(sim, run_module, connection):
    before = run_module(host, dict(connection, name="xs-a1"))["host"]
    assert before["resident_vms"] > 0
    drained = run_module(host, dict(connection, name="xs-a1", enabled=False, evacuate=True, _ansible_diff=True))
    assert drained["changed"] and not drained["host"]["enabled"] and drained["host"]["resident_vms"] == 0
    assert drained["diff"]["after"] == {"enabled": False, "evacuated": True}
    assert not run_module(host, dict(connection, name="xs-a1", enabled=False, evacuate=True))["changed"]
    enabled = run_module(host, dict(connection, name="xs-a1", enabled=True))
    assert enabled["changed"] and enabled["host"]["enabled"]


def test_reboot_a_member(sim, run_module, connection):
    result = run_module(host, dict(connection, name="xs-a3", power="rebooted", timeout=120))
    assert result["changed"], result
    assert result["host"]["enabled"] and result["host"]["resident_vms"] == 0
    assert sim.call("127.0.10.1", "host.get_enabled", sim.call("127.0.10.1", "session.login_with_password", "root",
                                                               sim.password), sim.world.pools[0].db.find_one("host", name_label="xs-a3"))


def api(sim, address="127.0.10.1"):
    session = sim.call(address, "session.login_with_password", "root", sim.password)
    return lambda method, *params: sim.call(address, method, session, *params)


def test_logging_set_exactly_and_applied(sim, run_module, connection):
    args = dict(connection, name="xs-a2", logging={"syslog_destination": "127.0.60.1"})
    checked = run_module(host, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and writes(sim) == []
    assert checked["diff"] == {"before": {"logging": {}}, "after": {"logging": {"syslog_destination": "127.0.60.1"}}}
    done = run_module(host, args)
    assert done["changed"] and done["host"]["logging"] == {"syslog_destination": "127.0.60.1"}
    assert writes(sim) == ["host.set_logging", "host.syslog_reconfigure"]
    ref = api(sim)("host.get_by_name_label", "xs-a2")[0]
    assert sim.world.pools[0].db.private[ref]["syslog_remote"] == "127.0.60.1"
    sim.world.counters.reset()
    assert not run_module(host, args)["changed"] and writes(sim) == []
    off = run_module(host, dict(args, logging={}))
    assert off["changed"] and off["host"]["logging"] == {}
    assert sim.world.pools[0].db.private[ref]["syslog_remote"] == ""


def test_power_on_password_in_a_secret_never_shown(sim, run_module, connection):
    config = {"power_on_ip": "127.0.50.2", "power_on_user": "bmc-operator", "power_on_password_secret": "the-secret"}
    args = dict(connection, name="xs-a2", power_on_mode="ipmi", power_on_config=config)
    checked = run_module(host, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and writes(sim) == [] and "the-secret" not in json.dumps(checked)
    assert checked["diff"]["after"]["power_on_mode"] == "IPMI"
    assert checked["diff"]["after"]["power_on_config"] == {"power_on_ip": "******** (changed)", "power_on_user": "******** (changed)",
                                                           "power_on_password_secret": "******** (changed)"}
    done = run_module(host, dict(args, _ansible_diff=True))
    assert done["changed"] and "the-secret" not in json.dumps(done)
    assert done["host"]["power_on_mode"] == "IPMI"
    assert done["host"]["power_on_config"] == ["power_on_ip", "power_on_password_secret", "power_on_user"]
    call = api(sim)
    ref = call("host.get_by_name_label", "xs-a2")[0]
    stored = call("host.get_power_on_config", ref)
    assert stored["power_on_ip"] == "127.0.50.2" and stored["power_on_password_secret"] != "the-secret"
    assert call("secret.get_value", call("secret.get_by_uuid", stored["power_on_password_secret"])) == "the-secret"
    sim.world.counters.reset()
    assert not run_module(host, args)["changed"] and writes(sim) == []
    # a new password: a new secret, the old one destroyed by xapi
    other = run_module(host, dict(args, power_on_config=dict(config, power_on_password_secret="new-secret"), _ansible_diff=True))
    assert other["changed"] and "new-secret" not in json.dumps(other)
    assert other["diff"]["after"]["power_on_config"]["power_on_password_secret"] == "******** (changed)"
    assert other["diff"]["after"]["power_on_config"]["power_on_ip"] == "********"
    assert call("secret.get_all_records_where", 'field "uuid" = "%s"' % stored["power_on_password_secret"]) == {}
    # the mode alone: the configuration (and its password) stays
    wol = run_module(host, dict(connection, name="xs-a2", power_on_mode="wake-on-lan"))
    assert wol["changed"] and wol["host"]["power_on_config"] == ["power_on_ip", "power_on_password_secret", "power_on_user"]
    kept = call("host.get_power_on_config", ref)["power_on_password_secret"]
    assert call("secret.get_value", call("secret.get_by_uuid", kept)) == "new-secret"
    bad = run_module(host, dict(connection, name="xs-a2", power_on_mode="my script"))
    assert bad["failed"] and bad["msg"].startswith("power_on_mode: 'my script' is neither")


def test_dns_servers_keep_the_management_address(sim, run_module, connection):
    args = dict(connection, name="xs-a1", dns_servers=["127.0.20.53", "127.0.20.54"])
    checked = run_module(host, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert checked["changed"] and writes(sim) == []
    assert checked["diff"] == {"before": {"dns_servers": []}, "after": {"dns_servers": ["127.0.20.53", "127.0.20.54"]}}
    done = run_module(host, args)
    assert done["changed"] and done["host"]["dns_servers"] == ["127.0.20.53", "127.0.20.54"]
    assert done["host"]["address"] == "127.0.10.1" and writes(sim) == ["PIF.reconfigure_ip"]
    call = api(sim)
    pif = call("host.get_management_interface", call("host.get_by_name_label", "xs-a1")[0])
    record = call("PIF.get_record", pif)
    assert (record["ip_configuration_mode"], record["IP"], record["netmask"], record["DNS"]) == \
        ("Static", "127.0.10.1", "255.0.0.0", "127.0.20.53,127.0.20.54")
    sim.world.counters.reset()
    assert not run_module(host, args)["changed"] and writes(sim) == []
    bad = run_module(host, dict(connection, name="xs-a1", dns_servers=["dns.example.com"]))
    assert bad["failed"] and bad["msg"] == "dns_servers: 'dns.example.com' is not an IPv4 address"


def test_ntp_servers_fail_clearly_on_xenapi_2_21(sim, run_module, connection):
    result = run_module(host, dict(connection, name="xs-a1", ntp_servers=["ntp.example.com"], description="changed"))
    assert result["failed"] and "\n" not in result["msg"]
    assert result["msg"].startswith("ntp_servers: the XenAPI of host xs-a1 (2.21) cannot set NTP servers")
    assert "<ntp-server>" in result["msg"] and writes(sim) == []


def test_disable_without_evacuate_leaves_the_vms(sim, run_module, connection):
    result = run_module(host, dict(connection, name="xs-a2", enabled=False, _ansible_diff=True))
    assert result["changed"] and result["diff"]["after"] == {"enabled": False}
    assert not result["host"]["enabled"] and result["host"]["resident_vms"] == 2
    sim.world.counters.reset()
    drained = run_module(host, dict(connection, name="xs-a2", enabled=False, evacuate=True, _ansible_diff=True))
    assert drained["changed"] and drained["diff"]["after"] == {"evacuated": True} and drained["host"]["resident_vms"] == 0
    assert "host.disable" not in writes(sim)


def test_evacuation_refused_names_the_vms(sim, run_module, connection):
    call = api(sim)
    xs2 = call("host.get_by_name_label", "xs-a2")[0]
    local = next(sr for sr in call("SR.get_by_name_label", "Local storage")
                 if call("PBD.get_host", call("SR.get_PBDs", sr)[0]) == xs2)
    vm = call("VM.get_by_name_label", "web-02")[0]
    disk = call("VDI.create", {"name_label": "local", "SR": local, "virtual_size": 1 << 30, "type": "user",
                               "sharable": False, "read_only": False, "other_config": {}})
    call("VBD.create", {"VM": vm, "VDI": disk, "userdevice": "autodetect", "bootable": False, "mode": "RW",
                        "type": "Disk", "empty": False, "other_config": {}, "qos_algorithm_type": "",
                        "qos_algorithm_params": {}})
    sim.world.counters.reset()
    result = run_module(host, dict(connection, name="xs-a2", enabled=False, evacuate=True))
    assert result["failed"] and writes(sim) == []
    assert result["msg"] == ("evacuate: these VMs cannot leave xs-a2, nothing was changed: web-02 (VM_REQUIRES_SR: "
                             "its disks are on an SR the other hosts cannot reach); set shutdown_stuck_vms: true to "
                             "shut them down instead")
    assert call("host.get_enabled", xs2) is True
    drained = run_module(host, dict(connection, name="xs-a2", enabled=False, evacuate=True, shutdown_stuck_vms=True,
                                    _ansible_diff=True))
    assert drained["changed"] and drained["diff"]["after"]["shut_down"] == ["web-02"], drained
    assert call("VM.get_power_state", vm) == "Halted"
    assert drained["host"]["resident_vms"] == 0 and not drained["host"]["enabled"]


def test_an_evacuation_broken_off_names_the_vm_and_what_is_left(sim, run_module, connection):
    call = api(sim)
    xs2 = call("host.get_by_name_label", "xs-a2")[0]
    names = sorted(call("VM.get_name_label", vm) for vm in call("host.get_resident_VMs", xs2)
                   if not call("VM.get_is_control_domain", vm))
    sim.world.faults.add(method="VM.pool_migrate", action="midway", at=0.5, count=1)
    broken = run_module(host, dict(connection, name="xs-a2", enabled=False, evacuate=True))
    assert broken["failed"] and broken["msg"].startswith("evacuation of xs-a2 stopped: the migration of "), broken
    assert "stays disabled: " in broken["msg"] and broken["msg"].endswith("(VM_MIGRATE_FAILED)")
    left = broken["msg"].split("stays disabled: ", 1)[1].split(" (")[0].split(", ")
    assert set(left) <= set(names) and left
    assert call("host.get_enabled", xs2) is False
