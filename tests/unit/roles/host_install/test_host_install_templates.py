# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role host_install's answerfile and network boot entries, rendered as the template module does
(jinja2, trim_blocks), compared with golden files and checked against the installer's schema
(host-installer answerfile.py, xenapi-notes §4). UPDATE_GOLDEN=1 rewrites the golden files."""

import os
import re
from xml.etree import ElementTree

import jinja2
import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = os.path.join(HERE, "..", "..", "..", "..", "roles", "host_install")
GOLDEN = os.path.join(HERE, "golden")

POOL = {
    "host_install_source_url": "http://127.0.0.1:8080/xs8/",
    "host_install_root_password": "s3cret<&>pw",
    "host_install_tftp_root": "/srv/tftp",
    "host_install_http_root": "/srv/http",
    "host_install_http_url": "http://127.0.0.1:8080/",
    "host_install_ntp_servers": ["127.0.0.123", "ntp.example.com"],
    "host_install_dns_servers": ["127.0.0.53"],
    "host_install_timezone": "Europe/Berlin",
}
BMC = {"bmc_url": "https://127.0.60.1", "bmc_username": "admin", "bmc_password": "bmc-secret"}
CASES = {
    "static_bios": dict(POOL, host_install_machine=dict(
        BMC, name="node1", mac="52:54:00:AA:00:01", address="127.0.61.1/24", gateway="127.0.61.254",
        hostname="node1.lab", primary_disk="sda")),
    "dhcp": dict(POOL, host_install_ntp_servers=[], host_install_dns_servers=[], host_install_network_backend="bridge",
                 host_install_machine=dict(BMC, name="node2", mac="52:54:00:aa:00:02", address="dhcp", hostname="node2",
                                           primary_disk="sda", guest_storage=False)),
    "two_disks": dict(POOL, host_install_post_install_script_url="http://127.0.0.1:8080/post.sh",
                      host_install_machine=dict(BMC, name="node3", mac="52:54:00:aa:00:03", address="127.0.61.3/16",
                                                gateway="127.0.0.1", hostname="node3", primary_disk="sda",
                                                guest_disks=["sdb", "sdc"])),
    "uefi": dict(POOL, host_install_http_url="http://127.0.0.1:8080",
                 host_install_machine=dict(BMC, name="node4", mac="52:54:00:AA:00:04", firmware="uefi", interface="eth1",
                                           address="127.0.61.4/24", gateway="127.0.61.254", hostname="node4",
                                           primary_disk="nvme0n1", guest_disks=["sdb"])),
}
# element -> allowed attributes, from answerfile.py's parseFreshInstall/parseCommon
SCHEMA = {
    "primary-disk": {"guest-storage", "sr-at-end", "preserve-first-partition", "fs-type"},
    "guest-disk": set(), "keymap": set(), "root-password": {"type"}, "source": {"type"},
    "admin-interface": {"name", "hwaddr", "proto", "vlan", "protov6"},
    "name-server": set(), "hostname": set(), "timezone": set(), "ntp": {"source"}, "ntp-server": set(),
    "network-backend": set(), "script": {"stage", "type"},
}
ORDERED_ONCE = ["primary-disk", "keymap", "root-password", "admin-interface", "hostname", "timezone"]


def role_yaml(*path):
    with open(os.path.join(ROLE, *path)) as handle:
        return yaml.safe_load(handle)


def environment():
    return jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, "templates")), trim_blocks=True,
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def context(case):
    """defaults, then the role's vars (lazy templates, resolved), then the case."""
    env = environment()
    values = dict(role_yaml("defaults", "main.yml"))
    values.update(CASES[case])
    lazy = {}
    for key, value in role_yaml("vars", "main.yml").items():
        if key == "host_install_machine":
            continue  # the case gives the machine itself
        if isinstance(value, str) and "{{" in value:
            lazy[key] = value
        else:
            values[key] = value
    for dummy in range(3):  # vars that use other vars
        for key, text in lazy.items():
            try:
                values[key] = env.from_string(text).render(values)
            except jinja2.UndefinedError:
                continue
    return values


def render(case):
    values = context(case)
    env = environment()
    uefi = values["host_install_machine"].get("firmware") == "uefi"
    return {
        "answerfile": env.get_template("answerfile.xml.j2").render(values),
        "boot": env.get_template("grub.cfg.j2" if uefi else "pxelinux.cfg.j2").render(values),
        "boot_path": values["__host_install_boot_entry"],
        "answerfile_path": values["__host_install_answerfile"],
        "answerfile_url": values["host_install_answerfile_url"],
    }


def golden(name, text):
    path = os.path.join(GOLDEN, name)
    if os.environ.get("UPDATE_GOLDEN"):
        with open(path, "w") as handle:
            handle.write(text)
    with open(path) as handle:
        return handle.read()


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_files(case):
    rendered = render(case)
    boot_suffix = "grub.cfg" if CASES[case]["host_install_machine"].get("firmware") == "uefi" else "pxelinux"
    assert rendered["answerfile"] == golden(case + ".xml", rendered["answerfile"])
    assert rendered["boot"] == golden("%s.%s" % (case, boot_suffix), rendered["boot"])


@pytest.mark.parametrize("case", sorted(CASES))
def test_answerfile_schema(case):
    machine = CASES[case]["host_install_machine"]
    pool = context(case)
    root = ElementTree.fromstring(render(case)["answerfile"])
    assert root.tag == "installation" and root.get("mode") == "fresh"
    for element in root:
        assert element.tag in SCHEMA, element.tag
        assert set(element.attrib) <= SCHEMA[element.tag], (element.tag, element.attrib)
    for tag in ORDERED_ONCE:
        assert len(root.findall(tag)) == 1, tag
    assert len(root.findall("source")) >= 1 and root.find("source").get("type") == "url"
    assert root.find("source").text == pool["host_install_source_url"]
    assert root.find("root-password").get("type") == "plaintext"
    assert root.find("root-password").text == pool["host_install_root_password"]  # escaped in the file, exact once parsed
    primary = root.find("primary-disk")
    assert primary.text == machine["primary_disk"]
    assert primary.get("guest-storage") == ("yes" if machine.get("guest_storage", True) else "no")
    assert [disk.text for disk in root.findall("guest-disk")] == machine.get("guest_disks", [])
    interface = root.find("admin-interface")
    assert interface.get("name") == machine.get("interface", "eth0")
    if machine["address"] == "dhcp":
        assert interface.get("proto") == "dhcp" and len(interface) == 0
    else:
        assert interface.get("proto") == "static"
        assert [child.tag for child in interface] == ["ipaddr", "subnet", "gateway"]
        address, prefix = machine["address"].split("/")
        assert interface.find("ipaddr").text == address
        bits = sum(bin(int(octet)).count("1") for octet in interface.find("subnet").text.split("."))
        assert bits == int(prefix)
        assert interface.find("gateway").text == machine["gateway"]
    assert [server.text for server in root.findall("name-server")] == pool["host_install_dns_servers"]
    assert root.find("hostname").text == machine["hostname"]
    assert root.find("timezone").text == pool["host_install_timezone"]
    ntp_servers = [server.text for server in root.findall("ntp-server")]
    assert ntp_servers == pool["host_install_ntp_servers"]
    if ntp_servers:
        assert root.find("ntp").get("source") == "manual"
    else:
        assert root.find("ntp") is None
    assert root.find("network-backend").text in ("openvswitch", "vswitch", "bridge")
    scripts = root.findall("script")
    if pool.get("host_install_post_install_script_url"):
        assert len(scripts) == 1 and scripts[0].get("stage") == "filesystem-populated" and scripts[0].get("type") == "url"
    else:
        assert not scripts


@pytest.mark.parametrize("case", sorted(CASES))
def test_boot_entry(case):
    machine = CASES[case]["host_install_machine"]
    rendered = render(case)
    mac = "01-" + machine["mac"].lower().replace(":", "-")
    url = "http://127.0.0.1:8080/answerfiles/%s.xml" % machine["name"]
    assert rendered["answerfile_url"] == url
    assert rendered["answerfile_path"] == "/srv/http/answerfiles/%s.xml" % machine["name"]
    lines = [line.strip() for line in rendered["boot"].splitlines()]
    if machine.get("firmware") == "uefi":
        assert rendered["boot_path"] == "/srv/tftp/EFI/xenserver/grub.cfg-" + mac
        assert any(re.match(r'menuentry ".*" \{$', line) for line in lines)
        assert "multiboot2 /EFI/xenserver/xen.gz dom0_mem=max:8192M dom0_max_vcpus=1-16 com1=115200,8n1 console=com1,vga" in lines
        assert ("module2 /EFI/xenserver/vmlinuz console=hvc0 console=tty0 answerfile_device=%s answerfile=%s install"
                % (machine.get("interface", "eth0"), url)) in lines
        assert "module2 /EFI/xenserver/install.img" in lines
    else:
        assert rendered["boot_path"] == "/srv/tftp/pxelinux.cfg/" + mac
        assert "default xenserver" in lines and "label xenserver" in lines and "kernel mboot.c32" in lines
        assert ("append xenserver/xen.gz dom0_max_vcpus=1-16 dom0_mem=max:8192M com1=115200,8n1 console=com1,vga --- "
                "xenserver/vmlinuz console=hvc0 console=tty0 answerfile=%s install --- xenserver/install.img" % url) in lines
    assert "bmc-secret" not in rendered["boot"] and "s3cret" not in rendered["boot"]
