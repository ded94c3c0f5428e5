# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A cloud-init NoCloud config drive: a small ISO 9660 image labelled cidata.

The image has one root directory, written twice: in the primary volume descriptor with
level-1 names (USER_DAT.;1: what every ISO reader can read) and in a Joliet supplementary
descriptor with the real names (user-data), which Linux, the BSDs and Windows show. That is
what `genisoimage -volid cidata -joliet` makes, minus Rock Ridge, which nothing here needs.
Every timestamp is fixed, so the same files give the same bytes: the image can be compared.
No Ansible imports.
"""

import hashlib
import struct

SECTOR = 2048
FIRST_FREE = 23  # 0-15 system area, 16 primary, 17 Joliet, 18 terminator, 19-22 path tables
MAX_NAME = 64  # Joliet's limit, in characters
MAX_LABEL = 16  # the Joliet volume id holds 16 UCS-2 characters
JOLIET_FORBIDDEN = set("*/:;?\\\0")
D_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# fixed times: 2000-01-01 00:00:00 UTC, as a directory record and as a volume descriptor want it
RECORD_DATE = bytes([100, 1, 1, 0, 0, 0, 0])
VOLUME_DATE = b"2000010100000000\x00"
NO_DATE = b"0000000000000000\x00"
APPLICATION = "XAPI.XENSERVER CONFIG DRIVE"


def _as_bytes(data):
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def content_digest(files: dict[str, bytes]) -> str:
    """sha256 (hex) of the names and contents, independent of the image layout: what a VM
    records to know whether its config drive holds this content already."""
    digest = hashlib.sha256(b"nocloud-config-drive\0")
    for name in sorted(files):
        encoded, data = name.encode("utf-8"), _as_bytes(files[name])
        digest.update(b"%d:%s%d:%s" % (len(encoded), encoded, len(data), data))
    return digest.hexdigest()


def _both16(value):
    return struct.pack("<H", value) + struct.pack(">H", value)


def _both32(value):
    return struct.pack("<I", value) + struct.pack(">I", value)


def _sectors(size):
    return (size + SECTOR - 1) // SECTOR


def _record(ident, extent, size, is_dir=False):
    """A directory record; its length must be even, hence the pad byte after an even-length id."""
    pad = b"\0" if len(ident) % 2 == 0 else b""
    body = (_both32(extent) + _both32(size) + RECORD_DATE + bytes([2 if is_dir else 0, 0, 0]) + _both16(1)
            + bytes([len(ident)]) + ident + pad)
    return bytes([2 + len(body), 0]) + body


def _pack(records):
    """Records never cross a sector boundary (ECMA-119 6.8.1.1): a record that does not fit
    starts the next sector."""
    out = bytearray()
    for record in records:
        room = SECTOR - len(out) % SECTOR
        if len(record) > room:
            out += bytes(room)
        out += record
    return bytes(out) + bytes(-len(out) % SECTOR)


def _level1_names(names):
    """ISO 9660 level 1 (8.3, d-characters) names, unique: the primary tree must be valid too."""
    taken, result = set(), {}
    for name in sorted(names):
        stem, dot, ext = name.upper().rpartition(".")
        if not dot:
            stem, ext = ext, ""
        stem = "".join(c if c in D_CHARACTERS else "_" for c in stem)[:8] or "_"
        ext = "".join(c if c in D_CHARACTERS else "_" for c in ext)[:3]
        candidate, number = stem, 0
        while "%s.%s" % (candidate, ext) in taken:
            number += 1
            candidate = stem[:8 - len(str(number))] + str(number)
        taken.add("%s.%s" % (candidate, ext))
        result[name] = ("%s.%s;1" % (candidate, ext)).encode("ascii")
    return result


def _directory(idents, own_extent, extents, sizes):
    """The root directory: '.', '..' (the root's parent is itself), then the files, in id order."""
    length = _directory_size(idents)
    dots = [_record(b"\0", own_extent, length, True), _record(b"\1", own_extent, length, True)]
    return _pack(dots + [_record(idents[name], extents[name], sizes[name]) for name in sorted(idents, key=idents.get)])


def _directory_size(idents):
    """A record's length depends on its id only: pack them with placeholder extents to measure."""
    return len(_pack([_record(b"\0", 0, 0, True), _record(b"\1", 0, 0, True)]
                     + [_record(ident, 0, 0) for ident in idents.values()]))


def _descriptor(kind, text, label, total, root, path_table_size, path_tables):
    """A primary (kind 1, ASCII text) or Joliet supplementary (kind 2, UCS-2 text) descriptor."""
    joliet = kind == 2
    escapes = b"%/E" if joliet else b""  # UCS-2 level 3: what marks a supplementary descriptor as Joliet
    little, big = path_tables
    out = (bytes([kind]) + b"CD001\x01\x00" + text("", 32) + text(label, 32) + bytes(8) + _both32(total)
           + escapes.ljust(32, b"\0") + _both16(1) + _both16(1) + _both16(SECTOR) + _both32(path_table_size)
           + struct.pack("<II", little, 0) + struct.pack(">II", big, 0) + root
           + text("", 128) + text("", 128) + text("", 128) + text(APPLICATION, 128)
           + text("", 37) + text("", 37) + text("", 37)
           + VOLUME_DATE + VOLUME_DATE + NO_DATE + VOLUME_DATE + b"\x01\x00")
    return out.ljust(SECTOR, b"\0")


def _ascii_text(value, size):
    return value.encode("ascii").ljust(size, b" ")


def _ucs2_text(value, size):
    return (value.encode("utf-16-be") + " ".encode("utf-16-be") * size)[:size - size % 2].ljust(size, b"\0")


def _path_tables(root_extent):
    """The one entry of a tree that is only a root: little- and big-endian."""
    return struct.pack("<BBIH", 1, 0, root_extent, 1) + b"\0\0", struct.pack(">BBIH", 1, 0, root_extent, 1) + b"\0\0"


def _check(files, label):
    if not label or len(label) > MAX_LABEL or not all(32 < ord(c) < 127 for c in label):
        raise ValueError("label %r: 1 to %d printable ASCII characters, no spaces" % (label, MAX_LABEL))
    for name in files:
        if not name or name in (".", "..") or len(name) > MAX_NAME or JOLIET_FORBIDDEN & set(name):
            raise ValueError("file name %r: 1 to %d characters, none of * / : ; ? \\" % (name, MAX_NAME))
        if len(_as_bytes(files[name])) >= 1 << 32:
            raise ValueError("file %s: ISO 9660 files are under 4 GiB" % name)


def build_iso(files: dict[str, bytes], label: str = "cidata") -> bytes:
    """bytes of an ISO 9660 image holding `files` (name -> bytes or str) in its root directory."""
    _check(files, label)
    data = {name: _as_bytes(content) for name, content in files.items()}
    level1 = _level1_names(data)
    joliet = {name: name.encode("utf-16-be") for name in data}
    primary_extent = FIRST_FREE
    primary_length = _directory_size(level1)
    joliet_extent = primary_extent + primary_length // SECTOR
    joliet_length = _directory_size(joliet)
    extents, sizes, next_extent = {}, {}, joliet_extent + joliet_length // SECTOR
    for name in sorted(data):
        extents[name], sizes[name] = next_extent, len(data[name])
        next_extent += max(1, _sectors(len(data[name])))  # an empty file too: no extent beyond the volume
    total = next_extent

    primary_root = _record(b"\0", primary_extent, primary_length, True)
    joliet_root = _record(b"\0", joliet_extent, joliet_length, True)
    primary_tables, joliet_tables = _path_tables(primary_extent), _path_tables(joliet_extent)
    image = bytearray(16 * SECTOR)
    image += _descriptor(1, _ascii_text, label, total, primary_root, 10, (19, 20))
    image += _descriptor(2, _ucs2_text, label, total, joliet_root, 10, (21, 22))
    image += (b"\xffCD001\x01").ljust(SECTOR, b"\0")  # the set terminator
    for table in primary_tables + joliet_tables:
        image += table.ljust(SECTOR, b"\0")
    image += _directory(level1, primary_extent, extents, sizes)
    image += _directory(joliet, joliet_extent, extents, sizes)
    for name in sorted(data):
        image += data[name].ljust(max(1, _sectors(len(data[name]))) * SECTOR, b"\0")
    return bytes(image)
