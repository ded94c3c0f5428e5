# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backup files: names, retention order, modes, and the checks that refuse a broken backup."""

import datetime
import os
import stat

import pytest

from ansible_collections.xapi.xenserver.plugins.module_utils._backup_files import (
    FORMAT, KIND, BackupError, beyond, check_database, file_name, files_of, load_manifest, new_stem, resolve, stems_of,
    verified, write_chunks, write_manifest)

DATABASE = (b'<?xml version="1.0" encoding="UTF-8"?><database><manifest><pair key="schema_major_vsn" value="5"/>'
            b'</manifest><table name="VM"><row ref="OpaqueRef:1" uuid="u1"/></table></database>')
WHEN = datetime.datetime(2026, 11, 29, 2, 15, 0, tzinfo=datetime.timezone.utc)


def backup(folder, name, when):
    stem = new_stem(str(folder), name, when)
    size, digest = write_chunks(str(folder / (stem + ".db")), [DATABASE[:50], DATABASE[50:]])
    write_manifest(str(folder / (stem + ".json")), {"kind": KIND, "format": FORMAT,
                                                    "database": {"file": stem + ".db", "size": size, "sha256": digest}})
    return stem


def test_names_are_safe_and_unique_within_a_second(tmp_path):
    assert file_name("Site A / prod") == "Site_A_prod"
    assert file_name("///") == "pool"
    first = backup(tmp_path, "site", WHEN)
    second = backup(tmp_path, "site", WHEN)
    assert (first, second) == ("site-20261129T021500Z", "site-20261129T021500Z-2")


def test_retention_keeps_the_newest_of_one_name(tmp_path):
    stems = [backup(tmp_path, "site", WHEN + datetime.timedelta(minutes=n)) for n in range(3)]
    stems.append(backup(tmp_path, "site", WHEN + datetime.timedelta(minutes=2)))  # same second: -2 sorts after
    other = backup(tmp_path, "other", WHEN)
    assert stems_of(str(tmp_path), "site") == stems
    assert stems_of(str(tmp_path), "other") == [other]
    assert beyond(stems, 2) == stems[:2]
    assert beyond(stems, 0) == []
    assert files_of(str(tmp_path), stems[0]) == [str(tmp_path / (stems[0] + ".db")), str(tmp_path / (stems[0] + ".json"))]


def test_files_are_private_and_whole(tmp_path):
    stem = backup(tmp_path, "site", WHEN)
    for entry in os.listdir(tmp_path):
        assert stat.S_IMODE(os.stat(tmp_path / entry).st_mode) == 0o600, entry
    assert not any(entry.endswith(".part") for entry in os.listdir(tmp_path))
    manifest = load_manifest(str(tmp_path / (stem + ".json")))
    assert verified(str(tmp_path), manifest["database"]) == str(tmp_path / (stem + ".db"))
    check_database(str(tmp_path / (stem + ".db")))


def test_a_failed_download_leaves_no_file(tmp_path):
    def broken():
        yield b"<database>"
        raise IOError("connection reset")
    with pytest.raises(IOError):
        write_chunks(str(tmp_path / "x.db"), broken())
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("damage, words", [
    (lambda data: data[:len(data) // 2], "truncated"),
    (lambda data: data[:10] + bytes([data[10] ^ 1]) + data[11:], "corrupt"),
])
def test_a_damaged_database_is_refused_by_the_manifest(tmp_path, damage, words):
    stem = backup(tmp_path, "site", WHEN)
    path = tmp_path / (stem + ".db")
    path.write_bytes(damage(path.read_bytes()))
    manifest = load_manifest(str(tmp_path / (stem + ".json")))
    with pytest.raises(BackupError, match=words):
        verified(str(tmp_path), manifest["database"])


@pytest.mark.parametrize("content, words", [
    (DATABASE[:len(DATABASE) // 2], "not a whole pool database"),
    (b"<html><body>Forbidden</body></html>", "not a pool database dump"),
    (b"<database><table name='VM'/></database>", "not a pool database dump"),
    (b"", "not a whole pool database"),
])
def test_a_file_that_is_no_database_is_refused(tmp_path, content, words):
    path = tmp_path / "x.db"
    path.write_bytes(content)
    with pytest.raises(BackupError, match=words):
        check_database(str(path))


def test_resolve_finds_the_newest_backup_in_a_folder(tmp_path):
    backup(tmp_path, "site", WHEN)
    newest = backup(tmp_path, "site", WHEN + datetime.timedelta(hours=1))
    assert resolve(str(tmp_path)) == (str(tmp_path), str(tmp_path / (newest + ".json")), None)
    with pytest.raises(BackupError, match="does not exist"):
        resolve(str(tmp_path / "missing.json"))
    os.mkdir(tmp_path / "empty")
    with pytest.raises(BackupError, match="holds no backup"):
        resolve(str(tmp_path / "empty"))


def test_a_manifest_of_something_else_is_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"kind": "other"}')
    with pytest.raises(BackupError, match="not a manifest of xapi.xenserver.pool_backup"):
        load_manifest(str(path))
    path.write_text("{")
    with pytest.raises(BackupError, match="not a readable backup manifest"):
        load_manifest(str(path))
