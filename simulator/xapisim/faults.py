"""Fault injection: settings, not code edits. Rules match calls by wire name.

A rule drops the connection, delays the answer (real seconds) or answers an error code,
for the next `count` matching calls or for a `fraction` of them (seeded, so a run repeats).
A `drop` rule with `after` lets the call run first and then drops its answer: the change is made,
the client never hears of it (a connection broken after the request was sent). A `midway` rule
lets the call start and breaks it off after the fraction `at` of its simulated duration: the
operations that honour it (migrations) fail their task with `code` and `params`, or with their
own error when the rule names none; it matches the method without `Async.`.
"""

import fnmatch
import random
import threading

from .errors import DropConnection, Failure
from .model import load_model

ACTIONS = ("drop", "delay", "error", "midway")


class Rule:
    def __init__(self, method="*", action="error", code=None, params=(), seconds=0.0,
                 count=None, fraction=1.0, host=None, at=0.5, after=False):
        if action not in ACTIONS:
            raise ValueError("action must be one of %s, got %r" % (", ".join(ACTIONS), action))
        if code is None and action == "error":
            code = "INTERNAL_ERROR"
        if code is not None and not load_model().error_known(code):
            raise ValueError("code %r is not a XenAPI error code (errors.json)" % (code,))
        if not 0.0 < float(at) < 1.0:
            raise ValueError("at must be between 0 and 1 (a fraction of the operation's duration), got %r" % (at,))
        if after not in (True, False) or (after and action != "drop"):
            raise ValueError("after (true or false) is for action drop only, got %r" % (after,))
        if not isinstance(method, str) or not isinstance(params, (list, tuple)):
            raise ValueError("method must be a string and params a list")
        if not 0.0 <= float(fraction) <= 1.0:
            raise ValueError("fraction must be between 0 and 1, got %r" % fraction)
        if count is not None and int(count) < 1:
            raise ValueError("count must be at least 1, got %r" % count)
        self.method = method
        self.action = action
        self.code = code
        self.params = [str(p) for p in params]
        self.seconds = float(seconds)
        self.remaining = None if count is None else int(count)
        self.fraction = float(fraction)
        self.host = host
        self.at = float(at)
        self.after = after
        self.hits = 0

    def matches(self, method, address):
        if self.host and self.host != address:
            return False
        return self.method == method or fnmatch.fnmatchcase(method, self.method)

    def describe(self):
        return {"method": self.method, "action": self.action, "code": self.code, "params": self.params,
                "seconds": self.seconds, "remaining": self.remaining, "fraction": self.fraction,
                "host": self.host, "hits": self.hits, **({"at": self.at} if self.action == "midway" else {}),
                **({"after": self.after} if self.action == "drop" else {})}


class Faults:
    def __init__(self, seed=0):
        self._rules = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def add(self, **settings):
        rule = Rule(**settings)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self):
        with self._lock:
            self._rules.clear()

    def describe(self):
        with self._lock:
            return [rule.describe() for rule in self._rules]

    def pick(self, method, address, midway=False):
        """The rule that fires for this call, if any (used up as it fires): a rule acting before
        the call, or with `midway` one that breaks the operation off as it runs."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if (rule.action == "midway") != midway or not rule.matches(method, address) or rule.remaining == 0:
                    continue
                if rule.fraction < 1.0 and self._random.random() >= rule.fraction:
                    continue
                rule.hits += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                return rule
        return None

    def apply(self, method, address, stopping):
        """Act on a matching rule before the call is dispatched; True when the answer is to be
        dropped after the call has run (a drop rule with `after`)."""
        rule = self.pick(method, address)
        if rule is None:
            return False
        if rule.action == "drop" and rule.after:
            return True
        if rule.action == "drop":
            raise DropConnection()
        if rule.action == "delay":
            stopping.wait(rule.seconds)
            return False
        raise Failure(rule.code, *rule.params)
