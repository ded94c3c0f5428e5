# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Desired vs current: one comparison decides `changed` and builds the diff."""


class Differences:
    def __init__(self):
        self.before = {}
        self.after = {}

    def compare(self, key, current, desired):
        """Record key if desired is given (not None) and differs; True when it does."""
        if desired is None or current == desired:
            return False
        self.before[key] = current
        self.after[key] = desired
        return True

    def add(self, key, before, after):
        self.before[key] = before
        self.after[key] = after

    @property
    def changed(self):
        return bool(self.after)

    def diff(self):
        return {"before": dict(self.before), "after": dict(self.after)}
