"""The built-in templates of a fresh XenServer 8 install (data/templates.yaml)."""

import functools
import os

import yaml

from .values import new_uuid

DATA = os.path.join(os.path.dirname(__file__), "data", "templates.yaml")


@functools.lru_cache(maxsize=None)
def template_specs():
    with open(DATA, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    specs = []
    for entry in data["templates"]:
        spec = dict(data["defaults"])
        spec.update(entry)  # maps are complete per template: replace, never merge
        specs.append(spec)
    return specs


def provision_xml(disks, sr_uuid=""):
    """other_config.disks: what VM.provision reads to make the template's disks."""
    parts = ['<disk device="%s" size="%d" sr="%s" bootable="%s" type="%s"/>'
             % (d["device"], d["size"], sr_uuid, str(d.get("bootable", False)).lower(), d.get("type", "system"))
             for d in disks]
    return "<provision>%s</provision>" % "".join(parts)


def template_fields(spec):
    fields = {key: value for key, value in spec.items() if key != "disks"}
    other = dict(fields.get("other_config", {}))
    other["default_template"] = "true"
    other["mac_seed"] = new_uuid()
    if spec.get("disks"):
        other["disks"] = provision_xml(spec["disks"])
    fields["other_config"] = other
    fields["power_state"] = "Halted"
    return fields


def install_templates(db):
    for spec in template_specs():
        metrics = db.create("VM_metrics", {})
        db.create("VM", dict(template_fields(spec), metrics=metrics))


def find_template(db, name):
    for ref, record in db.tables["VM"].items():
        if record["is_a_template"] and record["name_label"] == name and not record["is_a_snapshot"]:
            return ref
    return None
