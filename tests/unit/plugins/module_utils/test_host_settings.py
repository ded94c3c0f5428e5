"""_host_settings: NTP planning for hosts whose XenAPI has the NTP calls (newer than 2.21, which
the simulator follows: there only the refusal is reachable), the power-on mode's names, and the
host's record from the simulator for the refusal."""

import pytest

from ansible_collections.xapi.xenserver.plugins.module_utils._client import XenAPIClient
from ansible_collections.xapi.xenserver.plugins.module_utils._diff import Differences
from ansible_collections.xapi.xenserver.plugins.module_utils._errors import InputError
from ansible_collections.xapi.xenserver.plugins.module_utils._host_settings import plan_ntp, power_on_mode, string_map
from ansible_collections.xapi.xenserver.plugins.module_utils._lookup import find


def newer_host(**fields):
    """A host record as a newer xapi returns it: the 2.21 fields plus ntp_mode and ntp_custom_servers."""
    record = {"name_label": "xs-new", "API_version_major": 2, "API_version_minor": 30, "ntp_mode": "DHCP",
              "ntp_custom_servers": []}
    record.update(fields)
    return record


def test_ntp_from_dhcp_sets_the_servers_then_the_mode():
    diff = Differences()
    calls = plan_ntp(newer_host(), "OpaqueRef:h", ["ntp2.example.com", "ntp1.example.com", "ntp1.example.com"], diff)
    assert calls == [("host.set_ntp_custom_servers", "OpaqueRef:h", ["ntp1.example.com", "ntp2.example.com"]),
                     ("host.set_ntp_mode", "OpaqueRef:h", "Custom")]
    assert diff.diff() == {"before": {"ntp_servers": [], "ntp_mode": "DHCP"},
                           "after": {"ntp_servers": ["ntp1.example.com", "ntp2.example.com"], "ntp_mode": "Custom"}}


def test_ntp_custom_already_compares_as_a_set():
    host = newer_host(ntp_mode="Custom", ntp_custom_servers=["b.example", "a.example"])
    diff = Differences()
    assert plan_ntp(host, "OpaqueRef:h", ["a.example", "b.example"], diff) == [] and not diff.changed
    assert plan_ntp(host, "OpaqueRef:h", ["a.example"], diff) == [("host.set_ntp_custom_servers", "OpaqueRef:h", ["a.example"])]
    assert plan_ntp(host, "OpaqueRef:h", None, Differences()) == []
    with pytest.raises(InputError, match="^ntp_servers: give at least one server$"):
        plan_ntp(host, "OpaqueRef:h", [" "], Differences())


def test_ntp_refused_on_the_simulators_xenapi(sim):
    with XenAPIClient(sim.url(), "root", sim.password, ca_path=sim.ca_path) as client:
        ref, record = find(client, "host", name="xs-a3")
    with pytest.raises(InputError) as failure:
        plan_ntp(record, ref, ["ntp.example.com"], Differences())
    assert str(failure.value) == ("ntp_servers: the XenAPI of host xs-a3 (2.21) cannot set NTP servers; they are set at "
                                  "install time, in the answerfile's <ntp-server> elements")


def test_power_on_mode_names():
    assert [power_on_mode(mode) for mode in ("", "WAKE-ON-LAN", "ipmi", "ilo", "drac", "my_plugin")] == \
        ["", "wake-on-lan", "IPMI", "iLO", "DRAC", "my_plugin"]
    for bad in ("my plugin", "../x", "1abc"):
        with pytest.raises(InputError, match="^power_on_mode: "):
            power_on_mode(bad)


def test_string_map():
    assert string_map("logging", {"a": 1, "b": True, "c": "x"}) == {"a": "1", "b": "true", "c": "x"}
    with pytest.raises(InputError, match=r"^logging\.a: needs a value$"):
        string_map("logging", {"a": None})
