"""VM settings the model makes explicit, with xapi's validation and power-state rules
[xenapi-notes §2.7 VM; xen-api xapi_vm.ml, xapi_vm_helpers.ml, message_forwarding.ml VM]:
HA restart priority, shadow memory, NVRAM, template flag, BIOS strings, boot order delays,
domain type and boot policy.
"""

from ..errors import Failure
from ..values import now
from .registry import handles
from .vm_lifecycle import _locked

HA_PRIORITIES = ("restart", "best-effort", "")
HVM_DEFAULT_BOOT_POLICY = "BIOS order"
GENERIC_BIOS_STRINGS = {
    "bios-vendor": "Xen", "bios-version": "", "system-manufacturer": "Xen", "system-product-name": "HVM domU",
    "system-version": "", "system-serial-number": "", "baseboard-manufacturer": "", "baseboard-product-name": "",
    "baseboard-version": "", "baseboard-serial-number": "", "baseboard-asset-tag": "",
    "baseboard-location-in-chassis": "", "enclosure-asset-tag": "", "hp-rombios": "", "oem-1": "Xen",
    "oem-2": "MS_VM_CERT/SHA1/bdbeb6e0a816d43fa6d3fe8aaef04c2bad9d3e3d",
}
SETTABLE_BIOS_KEYS = ("bios-vendor", "bios-version", "system-manufacturer", "system-product-name", "system-version",
                      "system-serial-number", "baseboard-manufacturer", "baseboard-product-name", "baseboard-version",
                      "baseboard-serial-number", "baseboard-asset-tag", "baseboard-location-in-chassis",
                      "enclosure-asset-tag")
BIOS_STRING_LIMIT = 512


def ocaml_float(value):
    """A float as OCaml's string_of_float writes it in error parameters: 0.5, 1., 1e-05."""
    text = "%.12g" % value
    return text if any(c in text for c in ".ein") else text + "."


def _assert_halted(db, vm):
    """assert_initial_power_state_is Halted: VM_BAD_POWER_STATE [vm, "halted", actual]."""
    power = db.get("VM", vm)["power_state"]
    if power != "Halted":
        raise Failure("VM_BAD_POWER_STATE", vm, "halted", power.lower())


@handles("VM.set_ha_restart_priority")
def set_ha_restart_priority(call, vm, value):
    """One of restart, best-effort or ""; a running VM is protected at once (ha_always_run)."""
    db = call.db
    with db.lock:
        record = db.get("VM", vm)
        if value not in HA_PRIORITIES:
            raise Failure("INVALID_VALUE", "ha_restart_priority", value)
        if record["ha_restart_priority"] != value:
            changes = {"ha_restart_priority": value}
            if record["power_state"] == "Running":
                changes["ha_always_run"] = value == "restart"
            db.update("VM", vm, **changes)


@handles("VM.set_ha_always_run")
def set_ha_always_run(call, vm, value):
    """Deprecated: true is restart priority "restart", false is none."""
    set_ha_restart_priority(call, vm, "restart" if value else "")


def _validate_multiplier(multiplier):
    if multiplier < 1.0:
        raise Failure("INVALID_VALUE", "multiplier", ocaml_float(multiplier))


@handles("VM.set_HVM_shadow_multiplier")
def set_hvm_shadow_multiplier(call, vm, value):
    with _locked(call, vm, "changing_shadow_memory"):
        _validate_multiplier(value)
        call.db.update("VM", vm, HVM_shadow_multiplier=value)


@handles("VM.set_shadow_multiplier_live")
def set_shadow_multiplier_live(call, vm, multiplier):
    with _locked(call, vm, "changing_shadow_memory_live"):
        _validate_multiplier(multiplier)
        call.db.update("VM", vm, HVM_shadow_multiplier=multiplier)


@handles("VM.set_NVRAM")
def set_nvram(call, vm, value):
    with _locked(call, vm, "changing_NVRAM"):
        call.db.update("VM", vm, NVRAM=dict(value))


@handles("VM.add_to_NVRAM")
def add_to_nvram(call, vm, key, value):
    db = call.db
    with _locked(call, vm, "changing_NVRAM"), db.lock:
        current = db.get("VM", vm)["NVRAM"]
        if key in current:
            raise Failure("MAP_DUPLICATE_KEY", "VM", "NVRAM", vm, key)
        db.update("VM", vm, NVRAM={key: value, **current})


@handles("VM.remove_from_NVRAM")
def remove_from_nvram(call, vm, key):
    db = call.db
    with _locked(call, vm, "changing_NVRAM"), db.lock:
        current = db.get("VM", vm)["NVRAM"]
        db.update("VM", vm, NVRAM={k: v for k, v in current.items() if k != key})


@handles("VM.set_is_a_template")
def set_is_a_template(call, vm, value):
    """Making a template is an operation on a halted VM (make_into_template) and clears
    ha_always_run; making a VM of a template is its install time."""
    db = call.db
    if value:
        with _locked(call, vm, "make_into_template"):
            db.update("VM", vm, is_a_template=True, ha_always_run=False)
        return
    with db.lock:
        metrics = db.get("VM", vm)["metrics"]
        if db.exists("VM_metrics", metrics):
            db.update("VM_metrics", metrics, install_time=now())
        db.update("VM", vm, is_a_template=False)


@handles("VM.set_actions_after_crash")
def set_actions_after_crash(call, vm, value):
    call.db.get("VM", vm)
    call.db.update("VM", vm, actions_after_crash=value)


@handles("VM.set_bios_strings")
def set_bios_strings(call, vm, value):
    """Only once (VM_BIOS_STRINGS_ALREADY_SET); known keys, 1-512 printable ASCII characters;
    the generic strings fill in the rest."""
    db = call.db
    with db.lock:
        if db.get("VM", vm)["bios_strings"]:
            raise Failure("VM_BIOS_STRINGS_ALREADY_SET")
        for key, text in value.items():
            if key not in SETTABLE_BIOS_KEYS:
                raise Failure("INVALID_VALUE", key, "Unknown key")
            if not text:
                raise Failure("INVALID_VALUE", key, "Value provided is empty")
            if len(text) > BIOS_STRING_LIMIT:
                raise Failure("INVALID_VALUE", key, "%s has length more than %d characters" % (text, BIOS_STRING_LIMIT))
            if any(ord(c) < 32 or ord(c) >= 127 for c in text):
                raise Failure("INVALID_VALUE", key, text + " has non-printable ASCII characters")
        db.update("VM", vm, bios_strings={key: value.get(key, default) for key, default in GENERIC_BIOS_STRINGS.items()})


def _non_negative(field):
    def setter(call, vm, value):
        call.db.get("VM", vm)
        if value < 0:
            raise Failure("INVALID_VALUE", "%s must be non-negative" % field, value)
        call.db.update("VM", vm, **{field: value})

    return setter


for _field in ("start_delay", "shutdown_delay", "order"):
    handles("VM.set_" + _field)(_non_negative(_field))


@handles("VM.set_domain_type")
def set_domain_type(call, vm, value):
    """The boot policy follows: "BIOS order" for hvm, none otherwise."""
    call.db.get("VM", vm)
    if value == "unspecified":
        raise Failure("INVALID_VALUE", "domain_type", value)
    call.db.update("VM", vm, domain_type=value, HVM_boot_policy=HVM_DEFAULT_BOOT_POLICY if value == "hvm" else "")


@handles("VM.set_HVM_boot_policy")
def set_hvm_boot_policy(call, vm, value):
    """The domain type follows: pv without a boot policy, hvm with one."""
    call.db.get("VM", vm)
    call.db.update("VM", vm, HVM_boot_policy=value, domain_type="hvm" if value else "pv")


@handles("VM.set_has_vendor_device")
def set_has_vendor_device(call, vm, value):
    db = call.db
    with db.lock:
        _assert_halted(db, vm)
        db.update("VM", vm, has_vendor_device=value)


@handles("VM.set_memory_target_live")
def set_memory_target_live(call, vm, target):
    """Deprecated and a no-op in xapi (use set_memory_dynamic_range)."""
    call.db.get("VM", vm)


@handles("VM.get_cooperative")
def get_cooperative(call, vm):
    """Deprecated; xapi always answers true."""
    call.db.get("VM", vm)
    return True


@handles("VM.set_protection_policy")
def set_protection_policy(call, vm, value):
    """VM protection policies are gone (message_forwarding.ml answers NOT_IMPLEMENTED)."""
    raise Failure("NOT_IMPLEMENTED", "VM.set_protection_policy")
