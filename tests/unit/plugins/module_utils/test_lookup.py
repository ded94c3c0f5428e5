"""Name/uuid lookups against the simulator: not found lists close names, ambiguous lists uuids."""

import os
import subprocess
import sys

import pytest

from ansible_collections.xapi.xenserver.plugins.module_utils._client import XenAPIClient
from ansible_collections.xapi.xenserver.plugins.module_utils._lookup import LookupFailed, find, resolve


@pytest.fixture
def client(sim):
    with XenAPIClient(sim.url(), "root", sim.password, ca_path=sim.ca_path) as connected:
        yield connected


def test_find_by_name_and_uuid(client):
    ref, record = find(client, "VM", name="web-01")
    assert record["name_label"] == "web-01"
    assert find(client, "VM", uuid=record["uuid"])[0] == ref
    assert resolve(client, "VM", record["uuid"])[0] == ref
    assert resolve(client, "VM", "web-01")[0] == ref


def test_not_found_lists_close_names(client):
    with pytest.raises(LookupFailed) as failure:
        find(client, "VM", name="Debian Bookworm 21", keep=lambda r: r["is_a_template"])
    assert str(failure.value).startswith("no VM named 'Debian Bookworm 21'; close names: 'Debian Bookworm 12'")


def test_ambiguous_name_lists_the_uuids(client):
    template = client.call("VM.get_by_name_label", "Debian Bookworm 12")[0]
    first = client.call("VM.clone", template, "twin")
    second = client.call("VM.clone", template, "twin")
    uuids = sorted(client.call("VM.get_uuid", ref) for ref in (first, second))
    with pytest.raises(LookupFailed) as failure:
        find(client, "VM", name="twin")
    assert str(failure.value) == "2 VMs are named 'twin' (uuids %s, %s): give the uuid instead" % tuple(uuids)


def test_unknown_uuid(client):
    with pytest.raises(LookupFailed) as failure:
        find(client, "SR", uuid="00000000-0000-0000-0000-000000000000")
    assert str(failure.value) == "no storage repository has uuid 00000000-0000-0000-0000-000000000000"


def test_int_field_table_is_current():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    script = os.path.join(root, "scripts", "gen-int-fields.py")
    done = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
