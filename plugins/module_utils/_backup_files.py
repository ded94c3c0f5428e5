# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pool backups as files on the controller: names, manifests, checksums, retention.

One backup is, in one folder:
  <name>-<UTC stamp>.db            the pool database (GET /pool/xmldbdump)
  <name>-<UTC stamp>.vm-<uuid>.xva a VM's metadata (GET /export_metadata), for the VMs asked for
  <name>-<UTC stamp>.json          the manifest: what the files are, their sizes and SHA-256
Every file is created with mode 0600 and written under a temporary name first: the database
holds the pool's secrets, and a half-written file must never look like a backup."""

import hashlib
import json
import os
import re
from xml.etree import ElementTree

KIND = "xapi.xenserver.pool_backup"
FORMAT = 1
CHUNK = 1024 * 1024
STAMP = re.compile(r"^(?P<name>.+)-(?P<stamp>\d{8}T\d{6}Z(?:-\d+)?)\.json$")
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class BackupError(Exception):
    """A backup that cannot be used: the message names the file and what is wrong."""


def file_name(label):
    """A pool's name as a file name prefix."""
    return UNSAFE.sub("_", label).strip("._") or "pool"


def new_stem(folder, name, when):
    """<name>-<stamp>, not yet used in `folder` (two backups in one second get -2, -3, ...)."""
    stem = "%s-%s" % (name, when.strftime("%Y%m%dT%H%M%SZ"))
    candidate, number = stem, 1
    while os.path.exists(os.path.join(folder, candidate + ".json")):
        number += 1
        candidate = "%s-%d" % (stem, number)
    return candidate


def write_chunks(path, chunks):
    """Write an iterable of bytes to `path` (mode 0600) by way of a temporary file: (size, sha256)."""
    partial = path + ".part"
    digest, size = hashlib.sha256(), 0
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in chunks:
                if chunk:
                    handle.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    return size, digest.hexdigest()


def write_manifest(path, manifest):
    write_chunks(path, [json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8") + b"\n"])


def digest_of(path):
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _order(stamp):
    base, dummy, number = stamp.partition("-")
    return base, int(number or 1)


def manifests(folder):
    """[(stem, manifest path)] of the backups in `folder`, oldest first."""
    found = []
    for entry in os.listdir(folder):
        match = STAMP.match(entry)
        if match:
            found.append((_order(match.group("stamp")), entry[:-len(".json")], os.path.join(folder, entry)))
    return [(stem, path) for dummy, stem, path in sorted(found)]


def files_of(folder, stem):
    """Every file of one backup (the manifest last, so a half-removed backup is never listed as whole)."""
    return sorted(os.path.join(folder, entry) for entry in os.listdir(folder)
                  if entry.startswith(stem + ".") and not entry.endswith(".json")) + [os.path.join(folder, stem + ".json")]


def stems_of(folder, name):
    """The backups of pool `name` in `folder`, oldest first."""
    if not os.path.isdir(folder):
        return []
    return [stem for stem, dummy in manifests(folder) if STAMP.match(stem + ".json").group("name") == name]


def beyond(stems, keep):
    """The oldest of `stems` past the newest `keep`; keep 0 keeps all."""
    return stems[:len(stems) - keep] if keep and len(stems) > keep else []


def load_manifest(path):
    try:
        with open(path, "rb") as handle:
            manifest = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError("%s is not a readable backup manifest: %s" % (path, exc)) from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise BackupError("%s is not a manifest of xapi.xenserver.pool_backup" % path)
    if manifest.get("format") != FORMAT:
        raise BackupError("%s has manifest format %r; this collection reads format %d"
                          % (path, manifest.get("format"), FORMAT))
    return manifest


def verified(folder, entry):
    """The path of one file a manifest lists ({file, size, sha256}), after checking both."""
    path = os.path.join(folder, entry["file"])
    if not os.path.isfile(path):
        raise BackupError("%s is missing" % path)
    size, digest = digest_of(path)
    if size != entry["size"]:
        raise BackupError("%s has %d bytes where the backup wrote %d: it is truncated or was changed"
                          % (path, size, entry["size"]))
    if digest != entry["sha256"]:
        raise BackupError("%s does not match its SHA-256 in the manifest (%s, found %s): it is corrupt"
                          % (path, entry["sha256"], digest))
    return path


def check_database(path):
    """A pool database dump is one whole XML document <database> with a <manifest>: reading it to
    the end finds a truncated or corrupt file before anything is sent."""
    root, has_manifest = None, False
    try:
        for event, element in ElementTree.iterparse(path, events=("start", "end")):
            if event == "end":
                element.clear()  # only read to the end, not kept
            elif root is None:
                root = element.tag
                if root != "database":
                    break
            elif element.tag == "manifest":
                has_manifest = True
    except ElementTree.ParseError as exc:
        raise BackupError("%s is not a whole pool database (XML: %s): it is truncated or corrupt" % (path, exc)) from None
    if root != "database" or not has_manifest:
        raise BackupError("%s is not a pool database dump (no <database> with a <manifest>)" % path)


def resolve(src):
    """(folder, manifest path or None, database path) from a manifest, a database file or a
    folder (its newest backup)."""
    if os.path.isdir(src):
        found = manifests(src)
        if not found:
            raise BackupError("%s holds no backup (no <name>-<stamp>.json manifest)" % src)
        return src, found[-1][1], None
    if not os.path.isfile(src):
        raise BackupError("%s does not exist" % src)
    folder = os.path.dirname(os.path.abspath(src))
    if src.endswith(".json"):
        return folder, src, None
    return folder, None, src
