"""The NoCloud config drive: read back by an independent ISO 9660 reader (pycdlib), the same
bytes for the same files, and through a disk of the simulator with put_vdi."""

import io

import pycdlib
import pytest
import requests

from ansible_collections.xapi.xenserver.plugins.module_utils._client import XenAPIClient
from ansible_collections.xapi.xenserver.plugins.module_utils._config_drive import build_iso, content_digest
from ansible_collections.xapi.xenserver.plugins.module_utils._errors import XenAPIConnectionError

USER_DATA = b"#cloud-config\nhostname: web1\nusers:\n  - name: ops\n"
META_DATA = b"instance-id: 5b0a0e6c\nlocal-hostname: web1\n"
NETWORK = b"version: 2\nethernets:\n  eth0:\n    dhcp4: true\n"


def read_iso(image):
    """{'label', 'joliet_label', 'files' (Joliet name -> bytes), 'iso_names'} as pycdlib reads them."""
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(image))
    try:
        assert iso.has_joliet()
        files = {}
        for child in iso.list_children(joliet_path="/"):
            if child.is_file():
                assert child.extent_location() < iso.pvd.space_size  # an empty file's too
                name = child.file_identifier().decode("utf-16-be")
                out = io.BytesIO()
                iso.get_file_from_iso_fp(out, joliet_path="/" + name)
                files[name] = out.getvalue()
        iso_names = {}
        for child in iso.list_children(iso_path="/"):
            if child.is_file():
                name = child.file_identifier().decode("ascii")
                out = io.BytesIO()
                iso.get_file_from_iso_fp(out, iso_path="/" + name)
                iso_names[name] = out.getvalue()
        return {"label": iso.pvd.volume_identifier.decode("ascii").rstrip(),
                "joliet_label": iso.joliet_vd.volume_identifier.decode("utf-16-be").rstrip(),
                "files": files, "iso_names": iso_names, "blocks": iso.pvd.space_size}
    finally:
        iso.close()


def test_a_nocloud_image_reads_back_with_label_names_and_contents():
    image = build_iso({"user-data": USER_DATA, "meta-data": META_DATA, "network-config": NETWORK})
    found = read_iso(image)
    assert found["label"] == found["joliet_label"] == "cidata"
    assert found["files"] == {"user-data": USER_DATA, "meta-data": META_DATA, "network-config": NETWORK}
    # the primary tree is valid ISO 9660 level 1 too, with the same data
    assert found["iso_names"] == {"USER_DAT.;1": USER_DATA, "META_DAT.;1": META_DATA, "NETWORK_.;1": NETWORK}
    assert found["blocks"] * 2048 == len(image)


def test_only_the_files_given_and_text_is_utf8():
    found = read_iso(build_iso({"user-data": "#cloud-config\nfqdn: caf\u00e9.example\n", "meta-data": "", "vendor-data": ""}))
    assert found["files"] == {"user-data": "#cloud-config\nfqdn: caf\u00e9.example\n".encode("utf-8"), "meta-data": b"",
                              "vendor-data": b""}


def test_other_labels_and_many_files_across_directory_sectors():
    files = {"file-%02d-%s" % (index, "x" * 50): b"%d" % index for index in range(80)}
    files.update({"a.b.c": b"one", "A.B.C.": b"two", "empty": b""})
    found = read_iso(build_iso(files, label="config-2"))
    assert found["label"] == "config-2"
    assert found["files"] == files
    assert len(found["iso_names"]) == len(files)  # level-1 names made unique


def test_same_files_same_bytes_and_digest():
    files = {"user-data": USER_DATA, "meta-data": META_DATA}
    image = build_iso(files)
    assert build_iso(dict(reversed(list(files.items())))) == image
    assert content_digest(files) == content_digest({"meta-data": META_DATA.decode(), "user-data": USER_DATA})
    changed = {"user-data": USER_DATA + b"# one more line\n", "meta-data": META_DATA}
    assert build_iso(changed) != image and content_digest(changed) != content_digest(files)
    assert content_digest({"user-data": b"ab", "meta-data": b""}) != content_digest({"user-data": b"a", "meta-data": b"b"})
    assert len(content_digest(files)) == 64


@pytest.mark.parametrize("files, label", [({"": b""}, "cidata"), ({"a/b": b""}, "cidata"), ({"x;1": b""}, "cidata"),
                                          ({"x" * 65: b""}, "cidata"), ({}, ""), ({}, "x" * 17), ({}, "two words")])
def test_bad_names_and_labels(files, label):
    with pytest.raises(ValueError):
        build_iso(files, label)


def client_for(sim):
    return XenAPIClient(sim.url("127.0.10.1"), "root", sim.password, ca_path=sim.ca_path)


def new_vdi(client, size, read_only=False):
    pool = client.call("pool.get_all")[0]
    return client.call("VDI.create", {"SR": client.call("pool.get_default_SR", pool), "name_label": "cloud-init",
                                      "name_description": "", "virtual_size": size, "type": "user",
                                      "sharable": False, "read_only": read_only, "other_config": {}})


def export(sim, client, vdi):
    response = requests.get(sim.url() + "/export_raw_vdi", params={"session_id": client.session_ref, "vdi": vdi,
                                                                   "format": "raw"},
                            verify=sim.ca_path, timeout=30)
    assert response.status_code == 200
    return response.content


def test_put_vdi_round_trip_through_the_simulator(sim):
    files = {"user-data": USER_DATA, "meta-data": META_DATA, "network-config": NETWORK}
    image = build_iso(files)
    with client_for(sim) as client:
        vdi = new_vdi(client, 1 << 20)
        client.put_vdi(vdi, image)
        exported = export(sim, client, vdi)
        assert exported == image
        assert read_iso(exported)["files"] == files


def test_put_vdi_logs_in_again_when_the_session_expired(sim):
    with client_for(sim) as client:
        vdi = new_vdi(client, 1 << 20)
        old = client.session_ref
        sim.call("127.0.10.1", "session.logout", old)
        client.put_vdi(vdi, b"after a new login")
        assert client.session_ref != old
        assert export(sim, client, vdi) == b"after a new login"


def test_put_vdi_errors_say_why_and_never_show_the_session(sim):
    with client_for(sim) as client:
        with pytest.raises(XenAPIConnectionError) as failure:
            client.put_vdi(new_vdi(client, 1 << 20, read_only=True), b"x")
        assert "HTTP 500" in str(failure.value) and "VDI_READ_ONLY" in str(failure.value)
        vdi = new_vdi(client, 1 << 20)
        size = client.call("VDI.get_virtual_size", vdi)
        with pytest.raises(XenAPIConnectionError) as failure:
            client.put_vdi(vdi, bytes(size + 1))
        assert "do not fit" in str(failure.value) and "%d bytes" % (size + 1) in str(failure.value)
        with pytest.raises(XenAPIConnectionError) as failure:
            client.put_vdi("OpaqueRef:no-such-disk", b"x")
        assert "UUID_INVALID" in str(failure.value)
        assert client.session_ref not in str(failure.value)
