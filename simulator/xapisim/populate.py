"""What a scenario adds to fresh hosts: shared SRs, extra networks, and VMs made from templates.

VMs are written straight into the database, as they would look after their clone, provision
and start, so that a world of 10,000 VMs loads in seconds.
"""

import time

from . import install
from .errors import Failure
from .handlers import guest
from .handlers.vm_lifecycle import next_domid
from .templates import template_fields, template_specs
from .values import NULL_REF, new_uuid, now

GIB = 1024 ** 3
MIB = 1024 ** 2


def _error(message):
    from .scenario import ScenarioError

    return ScenarioError(message)


def shared_storage(db, pool_spec, pool_index):
    from .scenario import loopback

    for index, sr_spec in enumerate(pool_spec.get("srs", [])):
        key = "pools[%d].srs[%d]" % (pool_index, index)
        device_config = {str(k): str(v) for k, v in (sr_spec.get("device_config") or {}).items()}
        for field in ("server", "target"):
            if field in device_config:
                loopback(device_config[field], "%s.device_config.%s" % (key, field))
        if "location" in device_config and ":" in device_config["location"]:
            loopback(device_config["location"].split(":")[0], key + ".device_config.location")
        sr_type = sr_spec.get("type", "nfs")
        if sr_type not in install.SM_DRIVERS:
            raise _error("%s.type: %r is not one of %s" % (key, sr_type, ", ".join(install.SM_DRIVERS)))
        hosts = db.refs("host")
        sr = install._sr(db, hosts[0], sr_spec["name"], sr_type, sr_spec.get("content_type", "user"),
                         int(sr_spec.get("size_gib", 2048) * GIB), shared=bool(sr_spec.get("shared", True)),
                         device_config=device_config, name_description=sr_spec.get("description", ""),
                         other_config={"auto-scan": "true"} if sr_type == "iso" else {})
        for host in hosts[1:]:
            install.attach_sr(db, sr, host, device_config)
        for iso in sr_spec.get("isos", []):
            db.create("VDI", {"name_label": iso, "SR": sr, "type": "user", "read_only": True, "sharable": True,
                              "virtual_size": 700 * MIB, "physical_utilisation": 700 * MIB, "location": iso,
                              "managed": True})


AUTH_TYPES = ("AD", "PAM")


def external_auth(db, host, auth_spec, key):
    """A host that starts with external authentication enabled: the fields as
    host.enable_external_auth leaves them (the password is not stored) [xenapi-notes §3.2]."""
    if not auth_spec:
        return
    if not isinstance(auth_spec, dict):
        raise _error("%s must be a mapping with type and service_name" % key)
    auth_type = auth_spec.get("type", "AD")
    if auth_type not in AUTH_TYPES:
        raise _error("%s.type: %r is not one of %s" % (key, auth_type, ", ".join(AUTH_TYPES)))
    service_name = str(auth_spec.get("service_name") or "")
    if not service_name:
        raise _error("%s.service_name: the domain's DNS name is needed, e.g. example.test" % key)
    configuration = {}
    if auth_type == "AD":
        hostname = db.get("host", host)["hostname"]
        configuration = {"domain": service_name, "user": str(auth_spec.get("user", "administrator@" + service_name)),
                         "workgroup": service_name.split(".", maxsplit=1)[0].upper()[:15],
                         "netbios_name": hostname.upper()[:15], "ldaps": "false",
                         "machine_pwd_last_change_time": str(int(time.time()))}
        if auth_spec.get("ou"):
            configuration["ou"] = str(auth_spec["ou"])
    db.update("host", host, external_auth_type=auth_type, external_auth_service_name=service_name,
              external_auth_configuration=configuration)


def updates(db, pool_ref, spec, key, product):
    """The pool's update repositories and the updates they serve (handlers/repository.py)."""
    if spec is None:
        return
    from .handlers import repository

    try:
        repository.install(db, pool_ref, spec, product)
    except repository.SpecError as exc:
        raise _error("%s%s" % (key, exc)) from None


def networks(db, pool_spec, pool_index):
    for index, net_spec in enumerate(pool_spec.get("networks", [])):
        bridge = net_spec.get("bridge", "xapi%d" % index)
        db.create("network", {"name_label": net_spec["name"], "name_description": net_spec.get("description", ""),
                              "bridge": bridge, "MTU": int(net_spec.get("mtu", 1500)), "managed": True,
                              "other_config": {}})


def default_sr(db, pool_ref, pool_spec, locals_, pool_index):
    name = pool_spec.get("default_sr")
    if name:
        found = db.find("SR", name_label=name)
        if not found:
            raise _error("pools[%d].default_sr: no SR named %r" % (pool_index, name))
        sr = found[0]
    else:
        sr = next(iter(locals_.values()))
    db.update("pool", pool_ref, default_SR=sr, suspend_image_SR=sr, crash_dump_SR=sr)
    for host in locals_:
        db.update("host", host, suspend_image_sr=sr, crash_dump_sr=sr)


def _network_for(db, name):
    if name.startswith("eth"):
        found = db.find("network", bridge="xenbr" + name[3:])
    else:
        found = db.find("network", name_label=name)
    return found[0] if found else None


def vms(db, pool_spec, pool_index):
    """Create the VMs of every `vms` entry: count copies of a template, in a power state."""
    hosts = db.refs("host")
    cursor = 0
    free = {h: _free(db, h) for h in hosts}
    for index, vm_spec in enumerate(pool_spec.get("vms", [])):
        key = "pools[%d].vms[%d]" % (pool_index, index)
        template_name = vm_spec.get("template", "Debian Bookworm 12")
        spec = next((s for s in template_specs() if s["name_label"] == template_name), None)
        if spec is None:
            raise _error("%s.template: no built-in template named %r" % (key, template_name))
        state = vm_spec.get("power_state", "Halted")
        if state not in ("Halted", "Running", "Suspended", "Paused"):
            raise _error("%s.power_state: %r is not Halted, Running, Suspended or Paused" % (key, state))
        sr_name = vm_spec.get("sr")
        sr = db.find("SR", name_label=sr_name)[0] if sr_name else db.get("pool", db.refs("pool")[0])["default_SR"]
        network = _network_for(db, vm_spec.get("network", "eth0"))
        if network is None:
            raise _error("%s.network: no network %r" % (key, vm_spec.get("network")))
        memory = int(vm_spec.get("memory_mib", 2048)) * MIB
        for number in range(1, int(vm_spec.get("count", 1)) + 1):
            name = str(vm_spec.get("name", "vm-{n:04d}")).format(n=number)
            host = NULL_REF
            if state in ("Running", "Paused"):
                for dummy in hosts:
                    candidate = hosts[cursor % len(hosts)]
                    cursor += 1
                    if free[candidate] >= memory:
                        host = candidate
                        free[candidate] -= memory
                        break
                else:
                    raise Failure("HOST_NOT_ENOUGH_FREE_MEMORY", memory, max(free.values()))
            _make_vm(db, spec, name, vm_spec, state, host, sr, network, memory)


def _free(db, host):
    from .handlers.placement import free_memory

    return free_memory(db, host)


def _make_vm(db, spec, name, vm_spec, state, host, sr, network, memory):
    fields = template_fields(spec)
    other = {k: v for k, v in fields["other_config"].items() if k not in ("default_template", "disks")}
    other["base_template_name"] = spec["name_label"]
    other["install-methods"] = other.get("install-methods", "cdrom")
    vcpus = int(vm_spec.get("vcpus", spec.get("VCPUs_max", 1)))
    fields.update({
        "uuid": new_uuid(),  # the template's uuid stays the template's
        "name_label": name, "name_description": vm_spec.get("description", ""), "is_a_template": False,
        "is_default_template": False, "other_config": {**other, **vm_spec.get("other_config", {})},
        "memory_static_max": memory, "memory_dynamic_max": memory, "memory_dynamic_min": memory,
        "memory_target": memory if state != "Halted" else 0, "VCPUs_max": vcpus, "VCPUs_at_startup": vcpus,
        "tags": list(vm_spec.get("tags", [])), "power_state": state, "resident_on": host,
        "domid": -1, "reference_label": "",
    })
    stamp = now()
    running = state in ("Running", "Paused")
    metrics = db.create("VM_metrics", {"install_time": stamp, "last_updated": stamp,
                                       "start_time": stamp if running else fields.get("start_time", "19700101T00:00:00Z"),
                                       "memory_actual": memory if running else 0,
                                       "VCPUs_number": vcpus if running else 0,
                                       "current_domain_type": spec.get("domain_type", "hvm") if running else "unspecified",
                                       "hvm": running})
    fields["metrics"] = metrics
    if running:
        fields["domid"] = next_domid(db)
    vm = db.create("VM", fields)
    disk_gib = vm_spec.get("disk_gib", 20)
    vdi = db.create("VDI", {"name_label": "%s disk 0" % name, "name_description": "Created by template provisioner",
                            "SR": sr, "virtual_size": int(disk_gib * GIB), "physical_utilisation": int(disk_gib * GIB) // 4,
                            "type": "system", "sharable": False, "read_only": False, "managed": True,
                            "location": new_uuid(), "sm_config": {"vdi_type": "vhd"}})
    db.create("VBD", {"VM": vm, "VDI": vdi, "device": "xvda", "userdevice": "0", "bootable": True, "mode": "RW",
                      "type": "Disk", "unpluggable": True, "empty": False, "currently_attached": running,
                      "other_config": {"owner": "true"}})
    db.create("VIF", {"VM": vm, "network": network, "device": "0", "MAC": _guest_mac(vm), "MTU": 1500,
                      "currently_attached": running, "locking_mode": "network_default", "other_config": {}})
    if running:
        db.create("console", {"protocol": "rfb", "VM": vm,
                              "location": "https://%s/console?ref=%s" % (db.get("host", host)["address"], vm)})
        if state == "Running":
            db.update("VM", vm, guest_metrics=db.create("VM_guest_metrics", guest.agent_report(db, vm)))
    return vm


def _guest_mac(vm):
    tail = vm[-6:]
    return "02:%s:%s:%s:%s:%s" % ("16", "3e", tail[0:2], tail[2:4], tail[4:6])
