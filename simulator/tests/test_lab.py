"""The bare-metal lab: Redfish BMCs, network boot from the TFTP root, the installer checking
its answerfile, and the fresh hosts it leaves (xapisim/lab/)."""

import json
import os
import subprocess
import sys
import threading

import pytest
import requests
import XenAPI

from xapisim.lab import machine as lab_machine

from conftest import sdk_session, wait_until

SPEED = 4000.0  # an install (POST, installer, 600 s, reboot, boot) takes about 0.2 s
SOURCE = "xenserver-8.4/"


@pytest.fixture
def lab(served_factory):
    sim = served_factory("lab", speed=SPEED)
    sim.lab = sim.endpoints()["lab"]
    return sim


class Bmc:
    def __init__(self, sim, name):
        self.sim = sim
        self.spec = next(m for m in sim.lab["machines"] if m["name"] == name)
        self.url = self.spec["bmc_url"] + "/redfish/v1/Systems/1"
        self.http = requests.Session()
        self.http.auth = (self.spec["bmc_username"], self.spec["bmc_password"])
        self.http.verify = sim.ca_path
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify

    def system(self):
        answer = self.http.get(self.url, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def patch(self, **boot):
        return self.http.patch(self.url, json={"Boot": boot}, timeout=10)

    def reset(self, kind):
        return self.http.post(self.url + "/Actions/ComputerSystem.Reset", json={"ResetType": kind}, timeout=10)

    def log(self):
        answer = self.http.get(self.url + "/LogServices/Log/Entries", timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["Members"]

    def messages(self):
        return [entry["Message"] for entry in self.log()]

    def wait_for(self, text, deadline=10.0):
        """The first log entry containing `text`, once it is there."""
        found = []

        def logged():
            found[:] = [entry for entry in self.log() if text in entry["Message"]]
            return bool(found)

        wait_until(logged, deadline)
        return found[0]

    def netboot(self, mode=None):
        boot = {"BootSourceOverrideEnabled": "Once", "BootSourceOverrideTarget": "Pxe"}
        if mode:
            boot["BootSourceOverrideMode"] = mode
        assert self.patch(**boot).status_code in (200, 204)
        answer = self.reset("On" if self.system()["PowerState"] == "Off" else "ForceRestart")
        assert answer.status_code == 204, answer.text


def boot_entry(sim, name, answerfile_url, broken=False):
    machine = next(m for m in sim.lab["machines"] if m["name"] == name)
    dashed = "01-" + machine["mac"].replace(":", "-")
    root = sim.lab["tftp_root"]
    if machine["firmware"] == "uefi":
        path = os.path.join(root, "EFI", "xenserver", "grub.cfg-" + dashed)
        text = ("set timeout=1\nmenuentry 'XenServer install' {\n"
                "  multiboot2 /EFI/xenserver/xen.gz dom0_mem=max:8192M dom0_max_vcpus=1-16 com1=115200,8n1 console=com1,vga\n"
                "  module2 /EFI/xenserver/vmlinuz console=hvc0 console=tty0 answerfile_device=eth0 answerfile=%s install\n"
                "%s}\n" % (answerfile_url, "" if broken else "  module2 /EFI/xenserver/install.img\n"))
    else:
        path = os.path.join(root, "pxelinux.cfg", dashed)
        text = ("default xenserver\nlabel xenserver\n  kernel mboot.c32\n"
                "  append xenserver/xen.gz dom0_max_vcpus=1-16 dom0_mem=max:8192M com1=115200,8n1 console=com1,vga --- "
                "xenserver/vmlinuz console=hvc0 console=tty0 answerfile=%s install%s\n"
                % (answerfile_url, "" if broken else " --- xenserver/install.img"))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def answerfile(sim, name, primary="sda", guests=("sdb",), password="Install-Pw1", source=None, interface=None,
               extra="", root="installation"):
    interface = interface if interface is not None else (
        '<admin-interface name="eth0" proto="static"><ipaddr>127.0.70.1</ipaddr><subnet>255.255.255.0</subnet>'
        '<gateway>127.0.70.254</gateway></admin-interface>')
    parts = ['<?xml version="1.0"?>', '<%s sr-type="ext">' % root]
    if primary is not None:
        parts.append("<primary-disk>%s</primary-disk>" % primary)
    parts += ["<guest-disk>%s</guest-disk>" % guest for guest in guests]
    parts.append("<keymap>us</keymap>")
    if password is not None:
        parts.append('<root-password type="plaintext">%s</root-password>' % password)
    parts.append('<source type="url">%s</source>' % (source or sim.lab["source_url"]))
    parts += [interface, extra, "</%s>" % root]
    path = os.path.join(sim.lab["http_root"], "%s.xml" % name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(parts))
    return sim.lab["http_url"] + "%s.xml" % name


def good_extra(hostname):
    return ("<name-server>127.0.53.1</name-server><name-server>127.0.53.2</name-server>"
            "<hostname>%s</hostname><timezone>Europe/Berlin</timezone>"
            '<ntp source="manual"/><ntp-server>127.0.123.1</ntp-server><ntp-server>127.0.123.2</ntp-server>' % hostname)


def login(sim, address, password):
    session = sdk_session(sim, address)
    session.xenapi.login_with_password("root", password, "1.0", "xapisim-tests")
    return session


def installed(sim, address):
    """The host answers XenAPI at `address` (and the simulator listens there)."""
    wait_until(lambda: address in sim.world.hosts and address in sim.listeners.sockets, 15.0)
    return True


# ---- the scenario and endpoints.json ------------------------------------------------------------------

def test_lab_endpoints_list_machines_roots_and_source(lab):
    assert lab.world.pools == [] and lab.world.hosts == {}
    machines = lab.lab["machines"]
    assert [m["name"] for m in machines] == ["node%d" % n for n in range(1, 7)]
    assert [m["firmware"] for m in machines] == ["bios", "bios", "uefi", "uefi", "bios", "uefi"]
    for number, machine in enumerate(machines, 1):
        assert machine["mac"] == "52:54:00:00:00:%02x" % number
        assert machine["bmc_url"] == "https://127.0.60.%d:%d" % (number, lab.listeners.port)
        assert machine["address"] == "127.0.61.%d" % number and machine["bmc_username"] == "admin"
        assert machine["disks"][:2] == ["sda", "sdb"]
    assert machines[3]["disks"] == ["sda", "sdb", "nvme0n1"]
    assert lab.lab["tftp_root"] == os.path.join(lab.state_dir, "lab", "tftp")
    assert lab.lab["http_root"] == os.path.join(lab.state_dir, "lab", "http")
    assert lab.lab["http_url"].startswith("http://127.0.62.1:") and lab.lab["xenapi_port"] == lab.listeners.port
    assert lab.lab["source_url"] == lab.lab["http_url"] + SOURCE
    treeinfo = requests.get(lab.lab["source_url"] + ".treeinfo", timeout=10)
    assert treeinfo.status_code == 200 and "version = 8.4.0" in treeinfo.text
    with open(os.path.join(lab.state_dir, "endpoints.json"), encoding="utf-8") as handle:
        assert json.load(handle)["lab"] == lab.lab
    control = requests.get(lab.url(lab.control_address) + "/_sim/lab", verify=lab.ca_path, timeout=10).json()
    assert [m["power"] for m in control["machines"]] == ["Off"] * 6


# ---- Redfish ----------------------------------------------------------------------------------------

def test_redfish_needs_basic_auth(lab):
    bmc = Bmc(lab, "node1")
    root = requests.get(bmc.spec["bmc_url"] + "/redfish/v1", verify=lab.ca_path, timeout=10)
    assert root.status_code == 200 and root.json()["Systems"] == {"@odata.id": "/redfish/v1/Systems"}
    for auth in (None, ("admin", "wrong"), ("root", bmc.spec["bmc_password"]), ("admin", "bmc-node2-Pw")):
        answer = requests.get(bmc.url, auth=auth, verify=lab.ca_path, timeout=10)
        assert answer.status_code == 401 and "WWW-Authenticate" in answer.headers
        assert answer.json()["error"]["@Message.ExtendedInfo"]
        assert requests.post(bmc.url + "/Actions/ComputerSystem.Reset", auth=auth, json={"ResetType": "On"},
                             verify=lab.ca_path, timeout=10).status_code == 401
    assert bmc.system()["PowerState"] == "Off"
    systems = bmc.http.get(bmc.spec["bmc_url"] + "/redfish/v1/Systems", timeout=10).json()
    assert systems["Members"] == [{"@odata.id": "/redfish/v1/Systems/1"}]


def test_redfish_boot_override_and_power(lab):
    bmc = Bmc(lab, "node3")
    system = bmc.system()
    assert system["Id"] == "1" and system["PowerState"] == "Off" and system["Status"]["State"] == "Enabled"
    assert system["Boot"]["BootSourceOverrideEnabled"] == "Disabled" and system["Boot"]["BootSourceOverrideMode"] == "UEFI"
    assert bmc.patch(BootSourceOverrideEnabled="Once", BootSourceOverrideTarget="Pxe",
                     BootSourceOverrideMode="UEFI").status_code == 204
    boot = bmc.system()["Boot"]
    assert (boot["BootSourceOverrideEnabled"], boot["BootSourceOverrideTarget"]) == ("Once", "Pxe")
    refused = bmc.patch(BootSourceOverrideTarget="Floppy")
    assert refused.status_code == 400 and "Floppy" in json.dumps(refused.json())
    assert bmc.patch(BootSourceOverrideMode="Legacy").status_code == 400  # a UEFI-only machine
    assert Bmc(lab, "node1").patch(BootSourceOverrideMode="UEFI").status_code == 400
    assert bmc.reset("Reboot").status_code == 400
    assert bmc.http.post(bmc.url + "/Actions/ComputerSystem.Reset", json={}, timeout=10).status_code == 400
    assert bmc.reset("ForceOff").status_code == 409
    assert bmc.reset("On").status_code == 204
    assert bmc.system()["PowerState"] == "On"
    again = bmc.reset("On")
    assert again.status_code == 409
    assert again.json()["error"]["@Message.ExtendedInfo"][0]["Message"] == "The system is already powered on."
    bmc.wait_for("PXE: no boot entry for 52:54:00:00:00:03")  # the one-time override is used up
    assert bmc.system()["Boot"]["BootSourceOverrideEnabled"] == "Disabled"
    assert bmc.reset("ForceOff").status_code == 204 and bmc.system()["PowerState"] == "Off"
    assert bmc.reset("PowerCycle").status_code == 204 and bmc.system()["PowerState"] == "On"
    assert bmc.reset("GracefulShutdown").status_code == 204 and bmc.system()["PowerState"] == "Off"
    entries = bmc.log()
    assert all({"Id", "Created", "Severity", "Message"} <= set(entry) for entry in entries)
    assert bmc.http.get(bmc.url + "/Nothing", timeout=10).status_code == 404
    assert bmc.http.post(bmc.url + "/LogServices/Log/Actions/LogService.ClearLog", json={}, timeout=10).status_code == 204
    assert bmc.log() == []


def test_no_boot_entry_then_no_bootable_device(lab):
    bmc = Bmc(lab, "node1")
    bmc.netboot()
    missing = bmc.wait_for("PXE: no boot entry for 52:54:00:00:00:01")
    assert missing["Severity"] == "Warning"
    assert bmc.wait_for("no bootable device")["Severity"] == "Critical"
    assert bmc.system()["PowerState"] == "On" and lab.world.hosts == {}


@pytest.mark.parametrize("name", ["node1", "node3"])
def test_malformed_boot_entry(lab, name):
    bmc = Bmc(lab, name)
    boot_entry(lab, name, answerfile(lab, name), broken=True)
    bmc.netboot()
    entry = bmc.wait_for("PXE: cannot boot")
    assert entry["Severity"] == "Critical" and "install.img" in entry["Message"]
    assert bmc.system()["PowerState"] == "On"


# ---- the installer refuses ----------------------------------------------------------------------

REFUSALS = {
    "no primary disk": ({"primary": None}, "Installation failed: no primary disk given (<primary-disk>)"),
    "no such disk": ({"primary": "sdx"}, "Installation failed: primary disk 'sdx' not found (disks: sda, sdb)"),
    "no such guest disk": ({"guests": ("nvme0n1",)},
                           "Installation failed: guest disk 'nvme0n1' not found (disks: sda, sdb)"),
    "not loopback": ({"interface": '<admin-interface name="eth0" proto="static"><ipaddr>10.0.0.5</ipaddr>'
                                   '<subnet>255.255.255.0</subnet><gateway>10.0.0.1</gateway></admin-interface>'},
                     "Installation failed: admin interface address 10.0.0.5 is not a loopback address"),
    "not an address": ({"interface": '<admin-interface name="eth0" proto="static"><ipaddr>127.0.0.300</ipaddr>'
                                     '<subnet>255.0.0.0</subnet><gateway>127.0.0.1</gateway></admin-interface>'},
                       "Installation failed: admin interface address: '127.0.0.300' is not an IPv4 address"),
    "address of a BMC": ({"interface": '<admin-interface name="eth0" proto="static"><ipaddr>127.0.60.2</ipaddr>'
                                       '<subnet>255.0.0.0</subnet><gateway>127.0.0.1</gateway></admin-interface>'},
                         "Installation failed: admin interface address 127.0.60.2 is already in use (node2's BMC)"),
    "no such interface": ({"interface": '<admin-interface name="eth7" proto="dhcp"/>'},
                          "Installation failed: admin interface 'eth7' not found (interfaces: eth0, eth1)"),
    "unknown source": ({"source": "http://127.0.62.1:1/nothing/"},
                       "Installation failed: source 'http://127.0.62.1:1/nothing/' is not an installation repository"),
    "no root password": ({"password": None}, "Installation failed: no root password given (<root-password>)"),
    "upgrade": ({"root": "upgrade"}, "Installation failed: mode 'fresh'"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_installer_refuses(lab, case):
    options, message = REFUSALS[case]
    if case == "upgrade":  # root <upgrade> is read as an installation: this one is good
        options, message = {}, "Installation started"
    bmc = Bmc(lab, "node2")
    boot_entry(lab, "node2", answerfile(lab, "node2", **options))
    bmc.netboot()
    entry = bmc.wait_for(message.split(":", maxsplit=1)[0] if case == "upgrade" else "Installation ")
    assert entry["Message"].startswith(message), entry["Message"]
    if case != "upgrade":
        assert entry["Severity"] == "Critical"
        assert bmc.system()["PowerState"] == "On" and lab.world.hosts == {} and lab.world.pools == []


def test_answerfile_that_is_not_there_or_not_xml(lab):
    bmc = Bmc(lab, "node5")
    boot_entry(lab, "node5", lab.lab["http_url"] + "missing.xml")
    bmc.netboot()
    assert "HTTP 404" in bmc.wait_for("Installation failed")["Message"]
    path = os.path.join(lab.lab["http_root"], "broken.xml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("<installation><primary-disk>sda</installation>")
    boot_entry(lab, "node5", "file://" + path)
    bmc.log()
    bmc.http.post(bmc.url + "/LogServices/Log/Actions/LogService.ClearLog", json={}, timeout=10)
    bmc.netboot()
    assert "not valid XML" in bmc.wait_for("Installation failed")["Message"]


def test_static_address_taken_by_another_install(lab):
    first, second = Bmc(lab, "node1"), Bmc(lab, "node2")
    boot_entry(lab, "node1", answerfile(lab, "node1", extra=good_extra("one")))
    first.netboot()
    first.wait_for("Installation complete")
    boot_entry(lab, "node2", answerfile(lab, "node2", extra=good_extra("two")))
    second.netboot()
    entry = second.wait_for("Installation failed")
    assert entry["Message"] == ("Installation failed: admin interface address 127.0.70.1 is already in use "
                                "(host one)") or "the host installed on node1" in entry["Message"]


# ---- good installs ------------------------------------------------------------------------------

def _check_host(lab, address, password, hostname, mode="Static"):
    session = login(lab, address, password)
    try:
        api = session.xenapi
        host = api.host.get_all()[0]
        record = api.host.get_record(host)
        assert record["hostname"] == hostname and record["name_label"] == hostname
        assert record["address"] == address
        pif = api.PIF.get_record(api.host.get_management_interface(host))
        assert pif["IP"] == address and pif["ip_configuration_mode"] == mode
        assert api.pool.get_record(api.pool.get_all()[0])["master"] == host
        return record, pif, api.host.get_all()
    finally:
        session.xenapi.session.logout()


def test_good_bios_install_static(lab):
    bmc = Bmc(lab, "node1")
    url = answerfile(lab, "node1", extra=good_extra("xs-lab-01"))
    boot_entry(lab, "node1", url)
    bmc.netboot(mode="Legacy")
    assert bmc.wait_for("PXE: booting the installer from pxelinux.cfg/01-52-54-00-00-00-01")["Severity"] == "OK"
    bmc.wait_for("Installation complete")
    bmc.wait_for("started from disk")
    record, pif, hosts = _check_host(lab, "127.0.70.1", "Install-Pw1", "xs-lab-01")
    assert len(hosts) == 1
    assert record["software_version"]["product_version"] == "8.4.0"
    assert record["software_version"]["product_brand"] == "XenServer"
    assert pif["DNS"] == "127.0.53.1,127.0.53.2" and pif["netmask"] == "255.255.255.0"
    assert pif["gateway"] == "127.0.70.254" and pif["device"] == "eth0" and pif["MAC"] == "52:54:00:00:00:01"
    assert record["other_config"]["ntp_source"] == "manual"
    assert record["other_config"]["ntp_servers"] == "127.0.123.1,127.0.123.2"
    assert record["other_config"]["timezone"] == "Europe/Berlin"
    system = bmc.system()
    assert system["PowerState"] == "On" and system["Boot"]["BootSourceOverrideEnabled"] == "Disabled"
    with pytest.raises(XenAPI.Failure):
        login(lab, "127.0.70.1", "xapisim")
    messages = bmc.messages()
    assert messages.index("Installation complete") > messages.index(next(m for m in messages if "started" in m))


def test_good_uefi_install_dhcp_from_a_file_url(lab):
    bmc = Bmc(lab, "node3")
    url = answerfile(lab, "node3", guests=(), interface='<admin-interface name="eth0" proto="dhcp"/>',
                     extra="<hostname>xs-lab-03</hostname>")
    path = os.path.join(lab.lab["http_root"], "node3.xml")
    assert url.endswith("/node3.xml")
    boot_entry(lab, "node3", "file://" + path)
    bmc.netboot(mode="UEFI")
    assert "EFI/xenserver/grub.cfg-01-52-54-00-00-00-03" in bmc.wait_for("PXE: booting")["Message"]
    bmc.wait_for("Installation complete")
    installed(lab, "127.0.61.3")
    record, pif, dummy = _check_host(lab, "127.0.61.3", "Install-Pw1", "xs-lab-03", mode="DHCP")
    assert record["other_config"]["ntp_source"] == "dhcp" and pif["DNS"] == ""


def test_two_guest_disks_make_one_local_sr(lab):
    bmc = Bmc(lab, "node4")
    boot_entry(lab, "node4", answerfile(lab, "node4", guests=("sdb", "nvme0n1"),
                                        interface='<admin-interface name="eth1" proto="dhcp"/>',
                                        extra="<hostname>xs-lab-04</hostname>"))
    bmc.netboot()
    installed(lab, "127.0.61.4")
    session = login(lab, "127.0.61.4", "Install-Pw1")
    try:
        api = session.xenapi
        pool = api.pool.get_all()[0]
        local = api.pool.get_default_SR(pool)
        sr = api.SR.get_record(local)
        assert sr["type"] == "ext" and sr["name_label"] == "Local storage"
        assert int(sr["physical_size"]) == (480 - 46 + 1900 + 3800) * 1024 ** 3
        assert api.PBD.get_device_config(sr["PBDs"][0]) == {"device": "/dev/sda3,/dev/sdb,/dev/nvme0n1"}
        host = api.host.get_all()[0]
        assert api.PIF.get_device(api.host.get_management_interface(host)) == "eth1"
    finally:
        session.xenapi.session.logout()


def test_xcp_ng_source_installs_its_version(lab):
    bmc = Bmc(lab, "node6")
    boot_entry(lab, "node6", answerfile(lab, "node6", source=lab.lab["http_url"] + "xcp-ng-8.3/",
                                        interface='<admin-interface name="eth0" proto="dhcp"/>'))
    bmc.netboot()
    installed(lab, "127.0.61.6")
    record, dummy, dummy2 = _check_host(lab, "127.0.61.6", "Install-Pw1", "localhost.localdomain", mode="DHCP")
    assert record["software_version"]["product_version"] == "8.3.0"
    assert record["other_config"]["ntp_source"] == "dhcp"


def test_four_machines_install_in_parallel(lab):
    names = ["node1", "node2", "node3", "node4"]
    for number, name in enumerate(names, 1):
        interface = ('<admin-interface name="eth0" proto="static"><ipaddr>127.0.71.%d</ipaddr><subnet>255.255.255.0'
                     '</subnet><gateway>127.0.71.254</gateway></admin-interface>' % number)
        boot_entry(lab, name, answerfile(lab, name, interface=interface, extra=good_extra("xs-par-%d" % number)))
    bmcs = [Bmc(lab, name) for name in names]
    threads = [threading.Thread(target=bmc.netboot) for bmc in bmcs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for number, bmc in enumerate(bmcs, 1):
        bmc.wait_for("started from disk")
        installed(lab, "127.0.71.%d" % number)
        _check_host(lab, "127.0.71.%d" % number, "Install-Pw1", "xs-par-%d" % number)
    assert len(lab.world.pools) == 4


def test_reinstall_replaces_the_host(lab):
    bmc = Bmc(lab, "node5")
    boot_entry(lab, "node5", answerfile(lab, "node5", extra=good_extra("first")))
    bmc.netboot()
    bmc.wait_for("started from disk")
    installed(lab, "127.0.70.1")
    bmc.http.post(bmc.url + "/LogServices/Log/Actions/LogService.ClearLog", json={}, timeout=10)
    boot_entry(lab, "node5", answerfile(lab, "node5", password="Second-Pw2",
                                        interface='<admin-interface name="eth0" proto="dhcp"/>',
                                        extra="<hostname>second</hostname>"))
    bmc.netboot()
    bmc.wait_for("Installation started")
    wait_until(lambda: "127.0.70.1" not in lab.world.hosts)
    bmc.wait_for("started from disk")
    installed(lab, "127.0.61.5")
    _check_host(lab, "127.0.61.5", "Second-Pw2", "second", mode="DHCP")
    assert len(lab.world.pools) == 1 and list(lab.world.hosts) == ["127.0.61.5"]


def test_power_off_and_on_boots_the_installed_host(lab):
    bmc = Bmc(lab, "node2")
    boot_entry(lab, "node2", answerfile(lab, "node2", interface='<admin-interface name="eth0" proto="dhcp"/>'))
    bmc.netboot()
    installed(lab, "127.0.61.2")
    assert bmc.reset("ForceOff").status_code == 204
    assert "127.0.61.2" not in lab.world.hosts
    assert bmc.reset("On").status_code == 204  # no override: from disk
    installed(lab, "127.0.61.2")
    session = login(lab, "127.0.61.2", "Install-Pw1")
    host = session.xenapi.host.get_all()[0]
    session.xenapi.host.disable(host)
    session.xenapi.host.shutdown(host)
    wait_until(lambda: bmc.system()["PowerState"] == "Off")
    assert "shut down by the operating system" in bmc.messages()[-1]


def test_install_interrupted_by_power_off(lab, monkeypatch):
    monkeypatch.setattr(lab_machine, "INSTALL_TIME", 1e6)
    bmc = Bmc(lab, "node1")
    boot_entry(lab, "node1", answerfile(lab, "node1"))
    bmc.netboot()
    bmc.wait_for("Installation started")
    assert bmc.reset("ForceOff").status_code == 204
    assert "Installation interrupted" in bmc.messages()[-1]
    assert bmc.reset("On").status_code == 204
    bmc.wait_for("no bootable device")


def test_reset_rebuilds_the_lab_and_keeps_serving_the_http_root(lab):
    bmc = Bmc(lab, "node6")
    boot_entry(lab, "node6", answerfile(lab, "node6", interface='<admin-interface name="eth0" proto="dhcp"/>'))
    bmc.netboot()
    installed(lab, "127.0.61.6")
    control = requests.post(lab.url(lab.control_address) + "/_sim/reset", verify=lab.ca_path, timeout=30)
    assert control.status_code == 200 and control.json()["lab"]["machines"][5]["name"] == "node6"
    assert lab.world.hosts == {} and lab.world.pools == []
    assert bmc.system()["PowerState"] == "Off" and bmc.log() == []
    http_url = control.json()["lab"]["http_url"]
    assert requests.get(http_url + SOURCE + ".treeinfo", timeout=10).status_code == 200


def test_serve_detach_prints_the_lab(tmp_path):
    state = tmp_path / "state"
    started = subprocess.run([sys.executable, "-m", "xapisim", "serve", "--scenario", "lab", "--state-dir", str(state),
                              "--detach", "--lifetime", "120", "--speed", str(SPEED)],
                             capture_output=True, text=True, timeout=90, check=False)
    try:
        assert started.returncode == 0, started.stderr
        endpoints = json.loads(started.stdout.strip().splitlines()[-1])
        assert endpoints["scenario"] == "lab" and endpoints["hosts"] == [] and endpoints["pools"] == []
        lab = endpoints["lab"]
        assert lab["tftp_root"] == str(state / "lab" / "tftp") and os.path.isdir(lab["tftp_root"])
        assert requests.get(lab["source_url"] + ".treeinfo", timeout=10).status_code == 200
        machine = lab["machines"][0]
        answer = requests.get(machine["bmc_url"] + "/redfish/v1/Systems/1", verify=endpoints["ca"], timeout=10,
                              auth=(machine["bmc_username"], machine["bmc_password"]))
        assert answer.status_code == 200 and answer.json()["PowerState"] == "Off"
    finally:
        subprocess.run([sys.executable, "-m", "xapisim", "stop", "--state-dir", str(state)], capture_output=True,
                       timeout=60, check=False)


def test_static_slash_32_with_a_gateway_elsewhere_installs(lab):
    """The installer does not check that the gateway is in the subnet (host-installer writes it as given)."""
    bmc = Bmc(lab, "node1")
    interface = ('<admin-interface name="eth0" proto="static"><ipaddr>127.0.61.1</ipaddr><subnet>255.255.255.255'
                 '</subnet><gateway>127.0.0.1</gateway></admin-interface>')
    boot_entry(lab, "node1", answerfile(lab, "node1", interface=interface,
                                        extra='<hostname>node1</hostname><network-backend>openvswitch</network-backend>'))
    bmc.netboot()
    installed(lab, "127.0.61.1")
    record, pif, dummy = _check_host(lab, "127.0.61.1", "Install-Pw1", "node1")
    assert pif["netmask"] == "255.255.255.255" and pif["gateway"] == "127.0.0.1"
    assert record["other_config"]["ntp_source"] == "default"
