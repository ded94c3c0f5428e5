"""Disaster recovery on the bare-metal lab: a host with VMs on NFS is backed up, its hardware fails
(POST /_sim/lab/<machine>/fail), the machine is installed again over the network, and the backup is
restored onto the fresh host: the same VMs, disks, MACs, and the NFS SR attached."""

import pytest
import requests
import XenAPI
from conftest import JsonRpc, wait_until
from test_lab import SPEED, Bmc, answerfile, boot_entry, good_extra, installed

ADDRESS = "127.0.70.1"
PASSWORD = "Install-Pw1"
NFS = {"server": "127.0.100.9", "serverpath": "/export/lab"}


@pytest.fixture
def lab(served_factory):
    sim = served_factory("lab", speed=SPEED)
    sim.lab = sim.endpoints()["lab"]
    return sim


class Host:
    def __init__(self, sim):
        self.sim = sim
        self.rpc = JsonRpc(sim, ADDRESS)
        self.session = self.rpc("session.login_with_password", "root", PASSWORD, "1.0", "tests")

    def __call__(self, method, *params):
        return self.rpc(method, self.session, *params)

    def http(self, verb, path, **options):
        options.setdefault("params", {})
        options["params"] = {"session_id": self.session, **options["params"]}
        return requests.request(verb, self.sim.url(ADDRESS) + path, verify=self.sim.ca_path, timeout=60, **options)

    def task(self, verb, path, data=None, **query):
        task = self("task.create", path, "")
        answer = self.http(verb, path, params={"task_id": task, **query}, data=data)
        return answer, self("task.get_record", task)


def install(lab, bmc):
    bmc.http.post(bmc.url + "/LogServices/Log/Actions/LogService.ClearLog", json={}, timeout=10)
    bmc.netboot()
    bmc.wait_for("started from disk")
    installed(lab, ADDRESS)
    return Host(lab)


def guest(host):
    """A VM with a disk on a new NFS SR and a NIC on eth0's network; -> its facts."""
    master = host("host.get_all")[0]
    sr = host("SR.create", master, NFS, 0, "Lab NFS", "", "nfs", "user", True, {})
    template = host("VM.get_by_name_label", "Debian Bookworm 12")[0]
    vm = host("VM.clone", template, "db-01")
    host("VM.set_is_a_template", vm, False)
    vdi = host("VDI.create", {"SR": sr, "name_label": "db-01 disk", "name_description": "", "virtual_size": 4 << 30,
                              "type": "user", "sharable": False, "read_only": False, "other_config": {}})
    host("VBD.create", {"VM": vm, "VDI": vdi, "userdevice": "0", "bootable": True, "mode": "RW", "type": "Disk",
                        "empty": False, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    network = host("PIF.get_network", host("host.get_management_interface", master))
    vif = host("VIF.create", {"device": "0", "network": network, "VM": vm, "MAC": "", "MTU": 1500, "other_config": {},
                              "qos_algorithm_type": "", "qos_algorithm_params": {}})
    assert host.http("PUT", "/import_raw_vdi", params={"vdi": vdi, "format": "raw"}, data=b"#cloud-config\n").ok
    return {"vm": host("VM.get_uuid", vm), "vdi": host("VDI.get_uuid", vdi), "sr": host("SR.get_uuid", sr),
            "mac": host("VIF.get_MAC", vif), "vif": host("VIF.get_uuid", vif)}


def test_a_failed_host_comes_back_from_its_backup(lab):
    bmc = Bmc(lab, "node1")
    boot_entry(lab, "node1", answerfile(lab, "node1", password=PASSWORD, extra=good_extra("xs-dr-01")))
    first = install(lab, bmc)
    facts = guest(first)

    answer, task = first.task("GET", "/pool/xmldbdump")
    assert answer.status_code == 200 and task["status"] == "success"
    backup = answer.content
    answer, task = first.task("PUT", "/pool/xmldbdump", data=backup, dry_run="true")
    assert answer.status_code == 200 and task["status"] == "success"
    vms = sorted(first("VM.get_all"))
    for broken in (backup[:len(backup) // 3], backup.replace(b"<database>", b"<databank>", 1)):
        answer, task = first.task("PUT", "/pool/xmldbdump", data=broken, dry_run="false")
        assert answer.status_code == 500 and task["status"] == "failure" and task["error_info"][0] == "INTERNAL_ERROR"
    assert sorted(first("VM.get_all")) == vms and ADDRESS in lab.world.hosts

    control = lab.url(lab.control_address) + "/_sim/"
    failed = requests.post(control + "lab/node1/fail", verify=lab.ca_path, timeout=10)
    assert failed.status_code == 200 and failed.json()["power"] == "Off" and failed.json()["installed"] is None
    assert requests.post(control + "lab/node9/fail", verify=lab.ca_path, timeout=10).status_code == 404
    wait_until(lambda: ADDRESS not in lab.listeners.sockets)
    with pytest.raises(requests.ConnectionError):
        first.http("GET", "/pool/xmldbdump")
    assert lab.world.pools == [] and bmc.system()["PowerState"] == "Off"
    exports = requests.get(control + "nfs", verify=lab.ca_path, timeout=10).json()
    assert [vdi["uuid"] for vdi in exports[0]["srs"][facts["sr"]]] == [facts["vdi"]]

    fresh = install(lab, bmc)
    with pytest.raises(XenAPI.Failure):
        fresh("VM.get_by_uuid", facts["vm"])
    new_uuid = fresh("host.get_uuid", fresh("host.get_all")[0])
    installed_pool = lab.world.pool_of_host(ADDRESS)[0]
    answer, task = fresh.task("PUT", "/pool/xmldbdump", data=backup, dry_run="false")
    assert answer.status_code == 200 and task["status"] == "success"
    wait_until(lambda: lab.world.pool_of_host(ADDRESS)[0] not in (None, installed_pool), 15)
    wait_until(lambda: ADDRESS in lab.listeners.sockets, 15)
    with pytest.raises(XenAPI.Failure) as refused:
        fresh("session.get_uuid", fresh.session)
    assert refused.value.details[0] == "SESSION_INVALID"

    back = Host(lab)
    host = back("host.get_all")[0]
    assert back("host.get_uuid", host) == new_uuid and back("host.get_address", host) == ADDRESS
    vm = back("VM.get_by_uuid", facts["vm"])
    assert back("VM.get_power_state", vm) == "Halted" and back("VM.get_name_label", vm) == "db-01"
    vif = back("VM.get_VIFs", vm)[0]
    assert (back("VIF.get_uuid", vif), back("VIF.get_MAC", vif)) == (facts["vif"], facts["mac"])
    vdi = back("VBD.get_VDI", back("VM.get_VBDs", vm)[0])
    assert back("VDI.get_uuid", vdi) == facts["vdi"]
    sr = back("VDI.get_SR", vdi)
    assert back("SR.get_uuid", sr) == facts["sr"]
    assert [back("PBD.get_currently_attached", pbd) for pbd in back("SR.get_PBDs", sr)] == [True]
    content = back.http("GET", "/export_raw_vdi", params={"vdi": vdi, "format": "raw"})
    assert content.content == b"#cloud-config\n"
    machine = requests.get(control + "lab", verify=lab.ca_path, timeout=10).json()["machines"][0]
    assert machine["installed"] == ADDRESS and machine["host_uuid"] == new_uuid and machine["power"] == "On"
    back("VM.start", vm, False, False)
    assert back("VM.get_power_state", vm) == "Running"
