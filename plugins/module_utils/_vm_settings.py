# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A VM's settings: desired vs current -> changes, each with the calls that make it and
whether xapi allows it only while the VM is halted."""

from ._vm_view import FOLDER_KEY


class Change:
    def __init__(self, key, before, after, calls, needs_halt=False):
        self.key = key
        self.before = before
        self.after = after
        self.calls = calls  # [(method, params without the VM ref)]
        self.needs_halt = needs_halt

    def apply(self, client, vm_ref, running=False):
        for method, params in self.calls:
            client.call(method, vm_ref, *params)


def _memory(spec, record):
    """The four limits the options ask for, or None when memory is not managed."""
    if spec.get("memory") is None and spec.get("memory_min") is None:
        return None
    static_max = spec["memory"] if spec.get("memory") is not None else record["memory_static_max"]
    dynamic_min = spec["memory_min"] if spec.get("memory_min") is not None else static_max
    return {"static_min": min(record["memory_static_min"], dynamic_min), "static_max": static_max,
            "dynamic_min": dynamic_min, "dynamic_max": static_max}


def settings_changes(spec, record):
    """spec: the module's normalised options (None = leave alone)."""
    changes = []

    def simple(key, current, desired, method, needs_halt=False, value=None):
        if desired is not None and current != desired:
            changes.append(Change(key, current, desired, [(method, [desired if value is None else value])], needs_halt))

    simple("name", record["name_label"], spec.get("name_label"), "VM.set_name_label")
    simple("description", record["name_description"], spec.get("description"), "VM.set_name_description")
    # xapi keeps 0 < VCPUs_at_startup <= VCPUs_max at every step: lower vcpus before lowering the max
    vcpus_first = spec.get("vcpus_max") is not None and spec["vcpus_max"] < record["VCPUs_at_startup"]
    if vcpus_first:
        simple("vcpus", record["VCPUs_at_startup"], spec.get("vcpus"), "VM.set_VCPUs_at_startup", needs_halt=True)
    simple("vcpus_max", record["VCPUs_max"], spec.get("vcpus_max"), "VM.set_VCPUs_max", needs_halt=True)
    if not vcpus_first:
        simple("vcpus", record["VCPUs_at_startup"], spec.get("vcpus"), "VM.set_VCPUs_at_startup", needs_halt=True)
    memory = _memory(spec, record)
    current_memory = {key: record["memory_" + key] for key in ("static_min", "static_max", "dynamic_min", "dynamic_max")}
    if memory is not None and memory != current_memory:
        halted_only = memory["static_max"] != current_memory["static_max"] or memory["static_min"] != current_memory["static_min"]
        order = [memory["static_min"], memory["static_max"], memory["dynamic_min"], memory["dynamic_max"]]
        call = ("VM.set_memory_limits", order) if halted_only else \
            ("VM.set_memory_dynamic_range", [memory["dynamic_min"], memory["dynamic_max"]])
        changes.append(Change("memory", current_memory, memory, [call], needs_halt=halted_only))
    firmware = record["HVM_boot_params"].get("firmware", "bios")
    if spec.get("firmware") is not None and spec["firmware"] != firmware:
        params = dict(record["HVM_boot_params"], firmware=spec["firmware"])
        changes.append(Change("firmware", firmware, spec["firmware"], [("VM.set_HVM_boot_params", [params])], True))
    secure = record["platform"].get("secureboot") == "true"
    if spec.get("secure_boot") is not None and spec["secure_boot"] != secure:
        platform = dict(record["platform"], secureboot="true" if spec["secure_boot"] else "false")
        changes.append(Change("secure_boot", secure, spec["secure_boot"], [("VM.set_platform", [platform])], True))
    simple("ha_restart_priority", record["ha_restart_priority"], spec.get("ha_restart_priority"),
           "VM.set_ha_restart_priority")
    if spec.get("affinity_ref") is not None and spec["affinity_ref"] != record["affinity"]:
        changes.append(Change("affinity", spec.get("affinity_before"), spec["affinity"],
                              [("VM.set_affinity", [spec["affinity_ref"]])]))
    changes += _map_changes("folder", record["other_config"], {FOLDER_KEY: spec["folder"]} if spec.get("folder") is not None else {})
    changes += _map_changes("other_config", record["other_config"], spec.get("other_config") or {})
    tags = spec.get("tags")
    if tags is not None and sorted(set(tags)) != sorted(set(record["tags"])):
        calls = [("VM.add_tags", [t]) for t in sorted(set(tags) - set(record["tags"]))]
        calls += [("VM.remove_tags", [t]) for t in sorted(set(record["tags"]) - set(tags))]
        changes.append(Change("tags", sorted(record["tags"]), sorted(set(tags)), calls))
    return changes


def _map_changes(key, current, desired):
    calls, before, after = [], {}, {}
    for name, value in sorted(desired.items()):
        if current.get(name) == value:
            continue
        before[name], after[name] = current.get(name), value
        if name in current:
            calls.append(("VM.remove_from_other_config", [name]))
        calls.append(("VM.add_to_other_config", [name, value]))
    if not calls:
        return []
    if key == "folder":
        return [Change("folder", before[FOLDER_KEY], after[FOLDER_KEY], calls)]
    return [Change("other_config", before, after, calls)]
