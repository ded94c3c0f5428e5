# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The XenAPI client: JSON-RPC (default) or XML-RPC over one keep-alive requests.Session.

- login at any pool member: HOST_IS_SLAVE sends it to the master, transparently;
- SESSION_INVALID: one re-login, then the call again;
- a connection that could not be opened is retried for any call (nothing was sent); a call whose
  answer was lost (the connection broke after it was sent) is sent again, with backoff until a
  deadline, only when that is safe: reads, logins, logouts, task.cancel/destroy and setters; a map or
  set change (add_to_, remove_from_, add_, remove_) after its field shows it did not run yet; a call
  given `find` (creations) after find() shows it made nothing, else what it made is its answer. Any
  other write is never sent twice: its error says that it may have run. `notes` says what was found;
- TLS verified by default (system store, or ca_path); every request has a timeout;
- logout always, also on failure (use it as a context manager).
No Ansible imports, and no XenAPI SDK: modules and the inventory plugin adapt its errors.
"""

import itertools
import json
import os
import random
import re
import time
import warnings
import xmlrpc.client
from urllib.parse import urlsplit, urlunsplit

from ._errors import MASK, XenAPIConnectionError, XenAPIError
from ._xenapi_ints import INT_FIELDS, INT_RESULTS

try:
    import requests
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import SSLError, Timeout
    from urllib3.exceptions import InsecureRequestWarning

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # reported by the module with missing_required_lib
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

API_VERSION = "2.21"
DEFAULT_TIMEOUT = 60.0
RETRY_DEADLINE = 30.0
READ_MESSAGES = ("get_", "query_", "compute_", "list_", "retrieve_", "assert_")
READ_CALLS = frozenset(["event.from", "event_from", "event.get_current_id", "system.listMethods"])
# a TLS failure that says the certificate is not trusted (or ca_path holds no certificate): final, not retried
UNTRUSTED = ("certificate verify failed", "NO_CERTIFICATE_OR_CRL_FOUND")
# writes that may be sent again when their answer was lost: a second login opens one more session only, a
# second logout, task.cancel or task.destroy fails saying the first one ran (callers expect those errors),
# a setter sets the same value again
AGAIN_CALLS = frozenset(["session.login_with_password", "session.slave_local_login_with_password", "session.logout",
                         "task.cancel", "task.destroy"])
# map and set changes: (prefix, whether the key or item is in the field once the call ran)
FIELD_CHANGES = (("add_to_", True), ("remove_from_", False), ("add_", True), ("remove_", False))
_CLASSES_BY_LOWER = {name.lower(): name for name in INT_FIELDS}


class Backoff:
    """Waits between tries of a call that did not run (a host that does not answer, or a call refused
    with OTHER_OPERATION_IN_PROGRESS): 0.2 s doubling to 5 s, with jitter so that many clients do
    not come back at once, until the deadline (seconds from now). There is no event to wait on
    for a host that is down or for another client's operation, so this is a bounded sleep."""

    def __init__(self, seconds):
        self.deadline = time.monotonic() + seconds
        self.delay = 0.2

    def wait(self):
        """Wait before the next try: True, or False (no wait) when the deadline would pass."""
        if time.monotonic() + self.delay > self.deadline:
            return False
        time.sleep(self.delay * (0.5 + random.random()))
        self.delay = min(self.delay * 2, 5.0)
        return True


def normalize_url(hostname):
    """host, host:port or http(s)://host[:port][/] -> scheme://host[:port] (https by default)."""
    text = str(hostname).strip()
    if not text:
        raise ValueError("hostname is empty")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # an unclosed [IPv6 address, a port that is not a number from 1 to 65535
        valid = False
    if not valid:
        raise ValueError("hostname %r is not a host name, an address or an http(s) URL" % hostname)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def with_host(url, host):
    """The same URL (scheme, port) at another host: where a pool member sends us."""
    parts = urlsplit(url)
    netloc = host if parts.port is None else "%s:%d" % (host, parts.port)
    return urlunsplit((parts.scheme, netloc, "", "", ""))


def is_read(method):
    name = method.split(".", 1)[-1]
    return method in READ_CALLS or name.startswith(READ_MESSAGES)


def may_send_again(method):
    """True for a call that does no harm when it runs twice (reads included)."""
    return is_read(method) or method in AGAIN_CALLS or method.split(".", 1)[-1].startswith("set_")


class XenAPIClient:
    def __init__(self, hostname, username="root", password="", validate_certs=True, ca_path=None,
                 protocol="jsonrpc", timeout=DEFAULT_TIMEOUT, originator="xapi.xenserver",
                 retry_deadline=RETRY_DEADLINE):
        if not HAS_REQUESTS:
            raise XenAPIConnectionError("the Python library requests is required: %s" % REQUESTS_IMPORT_ERROR)
        if protocol not in ("jsonrpc", "xmlrpc"):
            raise ValueError("protocol must be jsonrpc or xmlrpc, got %r" % (protocol,))
        self.url = normalize_url(hostname)
        self.username = username
        self._password = password or ""
        self._extra_secrets = []  # other passwords sent in calls (AD join): masked in errors too
        self.protocol = protocol
        self.timeout = float(timeout)
        self.originator = originator
        self.retry_deadline = float(retry_deadline)
        self.session_ref = None
        self.warnings = []
        self.notes = []  # calls whose answer was lost, and what was found before sending them again
        self.calls = 0  # XenAPI calls made, logins and logouts included
        self.busy_waits = 0  # calls refused with OTHER_OPERATION_IN_PROGRESS and sent again after a wait
        self._ids = itertools.count(1)
        self.http = requests.Session()
        # given with each request: a session-level verify loses to REQUESTS_CA_BUNDLE in requests
        self._verify = True
        if not validate_certs:
            self._verify = False
            self.warnings.append("validate_certs is false: the TLS certificate of %s is not checked, so the "
                                 "password could reach an impostor" % self.url)
        elif ca_path:
            if not os.path.exists(ca_path):
                raise ValueError("ca_path: %r does not exist; give the PEM file (or the folder) of the CA certificates"
                                 % ca_path)
            self._verify = ca_path
        self.http.headers["User-Agent"] = "xapi.xenserver"

    # ---- session -----------------------------------------------------------------------------
    def login(self):
        for dummy in range(3):
            try:
                self.session_ref = self._rpc("session.login_with_password",
                                             [self.username, self._password, API_VERSION, self.originator])
                return self.session_ref
            except XenAPIError as exc:
                if exc.code == "HOST_IS_SLAVE" and exc.params:
                    self.url = with_host(self.url, exc.params[0])
                    continue
                raise
        raise XenAPIConnectionError("%s keeps sending the login elsewhere (HOST_IS_SLAVE)" % self.url)

    def logout(self):
        try:
            if self.session_ref is not None:
                try:
                    self._rpc("session.logout", [self.session_ref])
                except XenAPIError as exc:
                    if exc.code != "HOST_IS_SLAVE" or not exc.params:
                        raise
                    # the master moved while we worked: the session lives on in the pool, so end it there
                    self.move_to(exc.params[0])
                    self._rpc("session.logout", [self.session_ref])
        except (XenAPIError, XenAPIConnectionError):
            pass  # the session is gone either way; xapi expires what it cannot log out
        finally:
            self.session_ref = None
            self.http.close()

    def http_get(self, path, params=None, stream=False):
        """GET one of xapi's HTTP handlers (e.g. /updates) with this client's session: the
        requests response (its body read as it comes with `stream`); one new login when the
        session expired (HTTP 401)."""
        return self.http_request("GET", path, params, stream=stream)

    def http_request(self, verb, path, params=None, timeout=None, **options):
        """`verb` one of xapi's HTTP handlers with this client's session; options go to requests
        (data, stream). One new login and the request again when the session expired (HTTP 401):
        a refused request was not run, and the same body sent again does no harm."""
        if self.session_ref is None:
            self.login()
        for attempt in range(2):
            response = self._http(verb, path, timeout or self.timeout,
                                  params=dict(params or {}, session_id=self.session_ref), **options)
            if response.status_code != 401 or attempt:
                return response
            response.close()
            self.login()
        return response

    def scrub(self, text):
        """`text` without this client's session reference (it is as good as the password while it lasts)."""
        return self._scrub(text)

    def end_session(self, session_ref):
        """Log out a session this client did not open (e.g. the one host.migrate_receive makes)."""
        if not session_ref:
            return
        try:
            self._rpc("session.logout", [session_ref])
        except (XenAPIError, XenAPIConnectionError):
            pass  # already ended

    def move_to(self, host):
        """Talk to `host` from now on (same scheme and port), keeping the session: sessions belong to
        the pool, not to one host, so a new master or a new management address still knows it."""
        self.url = with_host(self.url, host)
        self.http.close()

    def __enter__(self):
        self.login()
        return self

    def __exit__(self, *exc_info):
        self.logout()

    # ---- calls -------------------------------------------------------------------------------
    def call(self, method, *params, **options):
        """Call a message that takes the session (given first, automatically). A forgotten session
        means a new login (twice at most); a moved master (HOST_IS_SLAVE: the call was refused, not run)
        means the same session at the new master (three moves at most); then the call again.

        options: timeout (seconds for the answer); find, for a call that makes something: when its
        answer is lost, find() gives what it made (the call's answer), or None when it made nothing
        (then it is sent again); find raising XenAPIError means it cannot tell (the call is not sent again)."""
        if self.session_ref is None:
            self.login()
        if "find" not in options:
            options["find"] = self._field_check(method, params)
        logins = moves = 0
        busy = Backoff(self.retry_deadline)
        while True:
            try:
                return self._rpc(method, [self.session_ref] + list(params), **options)
            except XenAPIError as exc:
                if exc.code == "SESSION_INVALID" and logins < 2:
                    logins += 1
                    self.login()
                elif exc.code == "HOST_IS_SLAVE" and exc.params and moves < 3:  # the master moved, maybe twice
                    moves += 1
                    self.move_to(exc.params[0])
                elif exc.code == "OTHER_OPERATION_IN_PROGRESS" and busy.wait():  # refused, not run: wait it out
                    self.busy_waits += 1
                else:
                    raise

    def _rpc(self, method, params, timeout=None, find=None):
        backoff = Backoff(self.retry_deadline)
        while True:
            try:
                self.calls += 1
                return self._send(method, params, timeout or self.timeout)
            except XenAPIConnectionError as exc:
                cause = exc.__cause__
                if cause is None:
                    raise  # an answer that is no XenAPI answer: the call was heard, and sending it again cannot help
                again = _not_sent(cause) or may_send_again(method)
                if not again:
                    if find is None:
                        raise self._lost(method, exc) from exc
                    try:
                        found = find()
                    except XenAPIError:
                        raise self._lost(method, exc) from exc
                    if found is not None:
                        made = " and made %s" % found if str(found).startswith("OpaqueRef:") else ""
                        self.notes.append("the answer to %s was lost (%s); it had run%s, so it was not sent again"
                                          % (method, _reason(cause), made))
                        return found
                    if isinstance(cause, Timeout):  # it may still be running: never a second one
                        raise self._lost(method, exc) from exc
                if not backoff.wait():
                    if again:
                        raise
                    raise XenAPIConnectionError("the answer to %s was lost (%s); it had not run, and the %.0f s for "
                                                "sending it again are over" % (method, _reason(cause),
                                                                               self.retry_deadline)) from exc
                if not again:
                    self.notes.append("the answer to %s was lost (%s); it had not run, so it was sent again"
                                      % (method, _reason(cause)))

    def _lost(self, method, exc):
        """The error of a write whose answer never came: it says that the write may have run."""
        if isinstance(exc.__cause__, Timeout):
            return XenAPIConnectionError("%s; it may still be running: look before running it again" % exc)
        return XenAPIConnectionError("the connection to %s broke after %s was sent (%s): it may have run; look "
                                     "before running it again" % (self.url, method, self._scrub(_reason(exc.__cause__))))

    def _field_check(self, method, params):
        """For a map or set change (VM.add_to_other_config, subject.add_to_roles, VM.remove_tags...): a
        find that reads the field and says whether the change is there ("", its answer) or not (None)."""
        cls, dummy, name = method.partition(".")
        if cls == "Async" or not params:
            return None
        for prefix, present in FIELD_CHANGES:
            if name.startswith(prefix) and len(params) >= 2:
                field, ref, key = name[len(prefix):], params[0], params[1]

                def check():
                    current = self.call("%s.get_%s" % (cls, field), ref, find=None)
                    there = key in current and (not isinstance(current, dict) or len(params) < 3
                                                or current[key] == params[2])
                    return "" if there == present else None

                return check
        return None

    def _send(self, method, params, timeout):
        if self.protocol == "jsonrpc":
            return self._send_json(method, params, timeout)
        return self._send_xml(method, params, timeout)

    def _post(self, path, body, content_type, timeout, method):
        return self._http("POST", path, timeout, method, data=body, headers={"Content-Type": content_type})

    def _http(self, verb, path, timeout, what=None, **options):
        url = self.url + path
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InsecureRequestWarning)  # said once in self.warnings
                return self.http.request(verb, url, timeout=timeout, verify=self._verify, **options)
        except SSLError as exc:
            error = XenAPIConnectionError(
                "the TLS certificate of %s is not trusted (%s); give ca_path the CA that signed it, or set "
                "validate_certs: false" % (self.url, self._scrub(_reason(exc))))
            if any(marker in str(exc) for marker in UNTRUSTED):
                raise error from None  # not trusted now, not trusted in a moment: no retry
            raise error from exc
        except Timeout as exc:
            raise XenAPIConnectionError("%s did not answer within %g s to %s" % (self.url, timeout, what or path)) from exc
        except RequestsConnectionError as exc:
            raise XenAPIConnectionError("cannot connect to %s: %s" % (self.url, self._scrub(_reason(exc)))) from exc

    # ---- a disk's content over HTTP ------------------------------------------------------------
    def put_vdi(self, vdi_ref, data, timeout=None):
        """Write `data` (bytes) at the start of a disk: HTTP PUT /import_raw_vdi on the master."""
        response = self.http_request("PUT", "/import_raw_vdi", {"vdi": vdi_ref, "format": "raw"}, timeout, data=data)
        if response.status_code != 200:
            raise XenAPIConnectionError("%s refused to write %d bytes to the disk %s: HTTP %d %s"
                                        % (self.url, len(data), vdi_ref, response.status_code,
                                           self.page_text(response)))

    def page_text(self, response):
        """The words of an HTTP error page, short, without the session reference."""
        return self._scrub(" ".join(re.sub(r"<[^>]*>", " ", response.text).split())[:300])

    def _scrub(self, text):
        """No session reference in a message: it is as good as the password while it lasts."""
        return text.replace(self.session_ref, MASK) if self.session_ref else text

    def _send_json(self, method, params, timeout):
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": next(self._ids)})
        response = self._post("/jsonrpc", body, "application/json", timeout, method)
        if response.status_code == 404:  # a host without JSON-RPC: speak XML-RPC from now on
            self.protocol = "xmlrpc"
            return self._send_xml(method, params, timeout)
        if response.status_code != 200:
            raise XenAPIConnectionError("%s answered HTTP %d to %s" % (self.url, response.status_code, method))
        try:
            answer = json.loads(response.content)  # bytes straight to json: no text decoding pass
        except ValueError as exc:
            raise XenAPIConnectionError("%s answered something that is not JSON-RPC to %s" % (self.url, method)) from exc
        error = answer.get("error")
        if error:
            if isinstance(error, dict):
                raise XenAPIError(error.get("message", "UNKNOWN"), error.get("data") or [], method, self._secrets())
            raise XenAPIError(error[0], error[1:], method, self._secrets())
        return answer.get("result")

    def _send_xml(self, method, params, timeout):
        body = xmlrpc.client.dumps(tuple(_ints_as_strings(params)), method, allow_none=True)
        response = self._post("/", body.encode("utf-8"), "text/xml", timeout, method)
        if response.status_code != 200:
            raise XenAPIConnectionError("%s answered HTTP %d to %s" % (self.url, response.status_code, method))
        try:
            (answer,), dummy = xmlrpc.client.loads(response.content)  # DateTime keeps xapi's text
        except Exception as exc:  # expat or xmlrpc parse errors: not a XenAPI answer
            raise XenAPIConnectionError("%s answered something that is not XML-RPC to %s" % (self.url, method)) from exc
        if answer.get("Status") != "Success":
            description = answer.get("ErrorDescription") or ["UNKNOWN"]
            raise XenAPIError(description[0], description[1:], method, self._secrets())
        return decode_xml_result(method, _plain(answer.get("Value", "")))

    def add_secret(self, secret):
        """Mask `secret` in every error this client raises from now on."""
        if secret:
            self._extra_secrets.append(secret)

    def _secrets(self):
        return tuple([self._password] + self._extra_secrets)


# ---- XML-RPC decoding: the values JSON-RPC would have given ---------------------------------
def _ints_as_strings(value):
    """Python's xmlrpc cannot send ints beyond 2^31; xapi accepts ints as decimal strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_ints_as_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _ints_as_strings(v) for k, v in value.items()}
    return value


def _plain(value):
    if isinstance(value, xmlrpc.client.DateTime):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def decode_record(cls, record):
    fields = INT_FIELDS.get(cls)
    if not fields or not isinstance(record, dict):
        return record
    record = dict(record)
    for name, shape in fields.items():
        if name not in record:
            continue
        value = record[name]
        if shape == "int":
            record[name] = _as_int(value)
        elif shape == "set" and isinstance(value, list):
            record[name] = [_as_int(v) for v in value]
        elif shape == "map" and isinstance(value, dict):
            record[name] = {k: _as_int(v) for k, v in value.items()}
    return record


def decode_xml_result(method, value):
    cls, dummy, name = method.partition(".")
    if method in INT_RESULTS:
        return _as_int(value)
    if name == "get_record":
        return decode_record(cls, value)
    if name in ("get_all_records", "get_all_records_where") and isinstance(value, dict):
        return {ref: decode_record(cls, record) for ref, record in value.items()}
    if method in ("event.from", "event_from") and isinstance(value, dict):
        for event in value.get("events", []):
            if "snapshot" in event:
                event["snapshot"] = decode_record(_CLASSES_BY_LOWER.get(event.get("class", ""), ""), event["snapshot"])
        return value
    if name.startswith("get_"):
        shape = INT_FIELDS.get(cls, {}).get(name[4:])
        if shape:
            return decode_record(cls, {name[4:]: value})[name[4:]]
    return value


def _not_sent(exc):
    """True when the connection never opened: the request did not reach the host."""
    text = repr(exc)
    return "NewConnectionError" in text or "ConnectTimeoutError" in text or "Connection refused" in text


def _reason(exc):
    text = str(exc)
    for marker in ("certificate verify failed", "Connection refused", "Name or service not known",
                   "No route to host", "timed out", "Remote end closed connection without response",
                   "Connection reset by peer", "Connection aborted"):
        if marker in text:
            return marker
    return text[:200]
