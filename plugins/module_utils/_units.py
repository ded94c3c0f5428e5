# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sizes with units: 10GiB, 512MiB, 1.5TiB, 2G (=GiB), or a number of bytes."""

import re

UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024 ** 2, "mb": 1000 ** 2, "mib": 1024 ** 2,
         "g": 1024 ** 3, "gb": 1000 ** 3, "gib": 1024 ** 3, "t": 1024 ** 4, "tb": 1000 ** 4, "tib": 1024 ** 4}
SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


class BadSize(ValueError):
    pass


def parse_size(value, option):
    """bytes (int) from an int or a text with a unit; BadSize names the option and the value."""
    if isinstance(value, bool):
        raise BadSize("%s: %r is not a size (use bytes, or a unit: 10GiB, 512MiB)" % (option, value))
    if isinstance(value, int):
        size = value
    else:
        match = SIZE.match(str(value))
        unit = match.group(2).lower() if match else None
        if match is None or unit not in UNITS:
            raise BadSize("%s: %r is not a size (use bytes, or a unit: 10GiB, 512MiB)" % (option, value))
        size = int(float(match.group(1)) * UNITS[unit])
    if size <= 0:
        raise BadSize("%s: %r must be more than 0 bytes" % (option, value))
    return size


def human(size):
    for unit, factor in (("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if size >= factor:
            return "%g%s" % (round(size / factor, 2), unit)
    return "%d bytes" % size
