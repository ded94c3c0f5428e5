"""VM settings that are explicit in the model [xenapi-notes §2.7 VM; xen-api ocaml/xapi/xapi_vm.ml,
xapi_vm_helpers.ml, message_forwarding.ml VM]: their validation, parameters and power-state rules."""

from conftest import error

from xapisim.handlers.vm_settings import GENERIC_BIOS_STRINGS, ocaml_float


def test_ha_restart_priority(api):
    halted, running = api.vm("build-01"), api.vm("web-01")
    api("VM.set_ha_restart_priority", halted, "restart")
    assert api("VM.get_ha_restart_priority", halted) == "restart" and api("VM.get_ha_always_run", halted) is False
    api("VM.set_ha_restart_priority", running, "restart")
    assert api("VM.get_ha_always_run", running) is True  # a running VM is protected at once
    api("VM.set_ha_restart_priority", running, "best-effort")
    assert api("VM.get_ha_always_run", running) is False
    assert error(api, "VM.set_ha_restart_priority", halted, "always") == [
        "INVALID_VALUE", "ha_restart_priority", "always"]
    api("VM.set_ha_always_run", running, True)
    assert api("VM.get_ha_restart_priority", running) == "restart" and api("VM.get_ha_always_run", running) is True
    api("VM.set_ha_always_run", running, False)
    assert api("VM.get_ha_restart_priority", running) == "" and api("VM.get_ha_always_run", running) is False


def test_shadow_multiplier(api):
    halted, running = api.vm("build-01"), api.vm("web-01")
    api("VM.set_HVM_shadow_multiplier", halted, 2.0)
    assert api("VM.get_HVM_shadow_multiplier", halted) == 2.0
    assert error(api, "VM.set_HVM_shadow_multiplier", halted, 0.5) == ["INVALID_VALUE", "multiplier", "0.5"]
    assert error(api, "VM.set_HVM_shadow_multiplier", running, 2.0) == [
        "VM_BAD_POWER_STATE", running, "halted", "running"]
    api("VM.set_shadow_multiplier_live", running, 1.5)
    assert api("VM.get_HVM_shadow_multiplier", running) == 1.5
    assert error(api, "VM.set_shadow_multiplier_live", running, 0.0) == ["INVALID_VALUE", "multiplier", "0."]
    assert error(api, "VM.set_shadow_multiplier_live", halted, 1.5) == [
        "VM_BAD_POWER_STATE", halted, "running", "halted"]
    assert "changing_shadow_memory_live" not in api("VM.get_allowed_operations", running)  # xapi does not list it
    assert (ocaml_float(1.0), ocaml_float(1e-5), ocaml_float(2.25)) == ("1.", "1e-05", "2.25")


def test_nvram(api):
    halted, running = api.vm("build-01"), api.vm("web-01")
    api("VM.set_NVRAM", halted, {"EFI-variables": "abc"})
    api("VM.add_to_NVRAM", halted, "other", "x")
    assert api("VM.get_NVRAM", halted) == {"EFI-variables": "abc", "other": "x"}
    assert error(api, "VM.add_to_NVRAM", halted, "other", "y") == ["MAP_DUPLICATE_KEY", "VM", "NVRAM", halted, "other"]
    api("VM.remove_from_NVRAM", halted, "other")
    api("VM.remove_from_NVRAM", halted, "absent")
    assert api("VM.get_NVRAM", halted) == {"EFI-variables": "abc"}
    assert error(api, "VM.set_NVRAM", running, {}) == ["VM_BAD_POWER_STATE", running, "halted", "running"]
    assert error(api, "VM.add_to_NVRAM", running, "k", "v") == ["VM_BAD_POWER_STATE", running, "halted", "running"]


def test_is_a_template(api):
    halted, running = api.vm("build-01"), api.vm("web-01")
    api("VM.set_ha_always_run", halted, True)
    api("VM.set_is_a_template", halted, True)
    record = api("VM.get_record", halted)
    assert record["is_a_template"] is True and record["ha_always_run"] is False
    assert error(api, "VM.set_is_a_template", halted, True) == ["VM_IS_TEMPLATE", halted, "make_into_template"]
    install_time = api("VM_metrics.get_install_time", record["metrics"])
    api("VM.set_is_a_template", halted, False)
    assert api("VM.get_is_a_template", halted) is False
    assert api("VM_metrics.get_install_time", record["metrics"]) >= install_time
    assert error(api, "VM.set_is_a_template", running, True) == ["VM_BAD_POWER_STATE", running, "halted", "running"]


def test_bios_strings(api):
    vm = api.vm("build-01")
    assert error(api, "VM.set_bios_strings", vm, {"colour": "blue"}) == ["INVALID_VALUE", "colour", "Unknown key"]
    assert error(api, "VM.set_bios_strings", vm, {"bios-vendor": ""}) == [
        "INVALID_VALUE", "bios-vendor", "Value provided is empty"]
    assert error(api, "VM.set_bios_strings", vm, {"bios-vendor": "x" * 513}) == [
        "INVALID_VALUE", "bios-vendor", "%s has length more than 512 characters" % ("x" * 513)]
    assert error(api, "VM.set_bios_strings", vm, {"bios-vendor": "caf\u00e9"}) == [
        "INVALID_VALUE", "bios-vendor", "caf\u00e9 has non-printable ASCII characters"]
    api("VM.set_bios_strings", vm, {"system-manufacturer": "Acme", "system-serial-number": "42"})
    assert api("VM.get_bios_strings", vm) == dict(GENERIC_BIOS_STRINGS, **{"system-manufacturer": "Acme",
                                                                           "system-serial-number": "42"})
    assert error(api, "VM.set_bios_strings", vm, {"bios-vendor": "again"}) == ["VM_BIOS_STRINGS_ALREADY_SET"]


def test_order_and_delays(api):
    vm = api.vm("build-01")
    for field in ("start_delay", "shutdown_delay", "order"):
        api("VM.set_" + field, vm, 30)
        assert api("VM.get_" + field, vm) == 30
        assert error(api, "VM.set_" + field, vm, -1) == ["INVALID_VALUE", "%s must be non-negative" % field, "-1"]


def test_domain_type_and_boot_policy(api):
    vm = api.vm("build-01")
    api("VM.set_domain_type", vm, "pvh")
    assert (api("VM.get_domain_type", vm), api("VM.get_HVM_boot_policy", vm)) == ("pvh", "")
    api("VM.set_domain_type", vm, "hvm")
    assert api("VM.get_HVM_boot_policy", vm) == "BIOS order"
    assert error(api, "VM.set_domain_type", vm, "unspecified") == ["INVALID_VALUE", "domain_type", "unspecified"]
    api("VM.set_HVM_boot_policy", vm, "")
    assert api("VM.get_domain_type", vm) == "pv"
    api("VM.set_HVM_boot_policy", vm, "BIOS order")
    assert api("VM.get_domain_type", vm) == "hvm"


def test_small_setters(api):
    halted, running = api.vm("build-01"), api.vm("web-01")
    api("VM.set_actions_after_crash", halted, "coredump_and_restart")
    assert api("VM.get_actions_after_crash", halted) == "coredump_and_restart"
    api("VM.set_has_vendor_device", halted, True)
    assert api("VM.get_has_vendor_device", halted) is True
    assert error(api, "VM.set_has_vendor_device", running, True) == ["VM_BAD_POWER_STATE", running, "halted", "running"]
    assert api("VM.get_cooperative", running) is True
    assert api("VM.set_memory_target_live", running, 1024) is None
    assert error(api, "VM.set_protection_policy", halted, "OpaqueRef:NULL") == [
        "NOT_IMPLEMENTED", "VM.set_protection_policy"]
