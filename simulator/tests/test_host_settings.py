"""Host settings and power [xenapi-notes §3.3; xen-api ocaml/xapi/xapi_host.ml set_power_on_mode,
syslog_reconfigure, xapi_secret.ml clean_out_passwds, vm_evacuation.ml ensure_no_vms]: the
power-on mode and its secrets, remote syslog, and what a reboot does with the VMs still there."""

from conftest import error, wait_until

GIB = 1024 ** 3


def host(api, name):
    return api("host.get_by_name_label", name)[0]


def secret(api, value):
    return api("secret.get_uuid", api("secret.create", {"value": value, "other_config": {}}))


def test_power_on_mode_stores_any_mode_and_cleans_out_the_old_secrets(api):
    xs2 = host(api, "xs-a2")
    first = secret(api, "bmc-one")
    api("host.set_power_on_mode", xs2, "IPMI", {"power_on_ip": "127.0.50.2", "power_on_user": "admin",
                                                "power_on_password_secret": first})
    assert api("host.get_power_on_mode", xs2) == "IPMI"
    assert api("host.get_power_on_config", xs2)["power_on_password_secret"] == first
    second = secret(api, "bmc-two")
    api("host.set_power_on_mode", xs2, "IPMI", {"power_on_password_secret": second})
    assert error(api, "secret.get_by_uuid", first)[0] == "UUID_INVALID"
    assert api("secret.get_value", api("secret.get_by_uuid", second)) == "bmc-two"
    # the same uuid again: xapi still destroys the old configuration's secrets
    api("host.set_power_on_mode", xs2, "IPMI", {"power_on_password_secret": second})
    assert error(api, "secret.get_by_uuid", second)[0] == "UUID_INVALID"
    api("host.set_power_on_mode", xs2, "my_power_script", {})  # a custom script: xapi checks no name
    assert api("host.get_power_on_mode", xs2) == "my_power_script"
    api("host.set_power_on_mode", xs2, "", {})
    assert api("host.get_power_on_config", xs2) == {}
    assert error(api, "host.set_power_on_mode", "OpaqueRef:nope", "", {})[:2] == ["HANDLE_INVALID", "host"]


def test_syslog_reconfigure_applies_the_logging_destination(api):
    xs2 = host(api, "xs-a2")
    db = api.sim.world.pools[0].db
    api("host.set_logging", xs2, {"syslog_destination": "127.0.60.1"})
    assert "syslog_remote" not in db.private.get(xs2, {})  # set_logging alone applies nothing
    api("host.syslog_reconfigure", xs2)
    assert db.private[xs2]["syslog_remote"] == "127.0.60.1"
    api("host.set_logging", xs2, {})
    api("host.syslog_reconfigure", xs2)
    assert db.private[xs2]["syslog_remote"] == ""


def test_syslog_reconfigure_on_a_member_that_is_down(api):
    xs3 = host(api, "xs-a3")
    metrics = api("host.get_metrics", xs3)
    api("host.disable", xs3)
    api("host.shutdown", xs3)
    wait_until(lambda: api("host_metrics.get_live", metrics) is False)
    assert error(api, "host.syslog_reconfigure", xs3) == ["HOST_OFFLINE", xs3]


def test_reboot_moves_the_vms_that_can_move_and_halts_the_others(api):
    xs2 = host(api, "xs-a2")
    local = next(sr for sr in api("SR.get_by_name_label", "Local storage")
                 if api("PBD.get_host", api("SR.get_PBDs", sr)[0]) == xs2)
    pinned = api.vm("web-02")
    disk = api("VDI.create", {"name_label": "local", "SR": local, "virtual_size": GIB, "type": "user",
                              "sharable": False, "read_only": False, "other_config": {}})
    api("VBD.create", {"VM": pinned, "VDI": disk, "userdevice": "autodetect", "bootable": False, "mode": "RW",
                       "type": "Disk", "empty": False, "other_config": {}, "qos_algorithm_type": "",
                       "qos_algorithm_params": {}})
    movable = api.vm("db-02")
    assert api("host.get_vms_which_prevent_evacuation", xs2) == {pinned: ["VM_REQUIRES_SR", pinned, local]}
    api("host.disable", xs2)
    api("host.reboot", xs2)
    metrics = api("host.get_metrics", xs2)
    wait_until(lambda: api("host_metrics.get_live", metrics) is False)
    assert api("VM.get_power_state", movable) == "Running"
    assert api("VM.get_resident_on", movable) in (host(api, "xs-a1"), host(api, "xs-a3"))
    assert api("VM.get_power_state", pinned) == "Halted"
    wait_until(lambda: api("host_metrics.get_live", metrics) is True)
    assert api("host.get_enabled", xs2) is True
    assert [vm for vm in api("host.get_resident_VMs", xs2) if not api("VM.get_is_control_domain", vm)] == []
