# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""XenServerModule: AnsibleModule with the connection options, a client that always logs out,
and XenAPI errors turned into fail_json(msg, xapi_error={code, params})."""

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.common.validation import check_type_int

from ._client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, XenAPIClient, normalize_url, with_host
from ._errors import InputError, XenAPIConnectionError, XenAPIError, XenAPITimeout
from ._lookup import LookupFailed


def connection_argument_spec():
    return dict(
        hostname=dict(type="str", required=True, aliases=["pool"], fallback=(env_fallback, ["XENSERVER_HOST"])),
        username=dict(type="str", default="root", aliases=["user", "admin"], fallback=(env_fallback, ["XENSERVER_USER"])),
        password=dict(type="str", no_log=True, aliases=["pass", "pwd"], fallback=(env_fallback, ["XENSERVER_PASSWORD"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["XENSERVER_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["XENSERVER_CA_PATH"])),
        protocol=dict(type="str", default="jsonrpc", choices=["jsonrpc", "xmlrpc"]),
        request_timeout=dict(type="float", default=60.0),
    )


class ModuleFailure(Exception):
    """A failure the module itself detects (bad input found late): msg and extra result keys."""

    def __init__(self, msg, **extra):
        super().__init__(msg)
        self.msg = msg
        self.extra = extra


class CheckedAnsibleModule(AnsibleModule):
    """AnsibleModule that names the option where ansible-core does not:
    - an option with suboptions given as something else than a dictionary (or a list of them for a list
      option): ansible-core fails on it with a TypeError (an int) or with a message that names no option
      (a string). Such an option is checked as a plain dictionary (or list of them) instead: ansible-core
      names it when that fails, and `misshapen` lists it for the module to refuse when that passes;
    - a NUL character in an option: the invocation log refuses it ("Failed to log to syslog (embedded null
      character)"). It is logged as \\x00 instead, so the option gets its own check;
    - an int option given infinity, a list of three large ints or a huge exponent: ansible-core's int check fails
      with an OverflowError or a MemoryError. Int options are checked by checked_int instead, which refuses those
      as the check refuses any other value it cannot convert."""

    misshapen = ()

    def _load_params(self):
        super()._load_params()
        spec = _int_checked(self.argument_spec)
        misshapen = []
        for name, option in self.argument_spec.items():
            value = self.params.get(name)
            if not option.get("options") or value is None:
                continue
            items = value if option.get("type") == "list" and isinstance(value, list) else [value]
            if not all(isinstance(item, dict) for item in items):
                spec[name] = dict(option, options=None)
                misshapen.append((name, value))
        self.argument_spec = spec
        self.misshapen = misshapen

    def _log_to_syslog(self, msg):
        super()._log_to_syslog(msg.replace("\x00", "\\x00"))

    def refuse_misshapen(self):
        """After a validation that passed (a string that parses as key=value): refuse what `misshapen` lists."""
        for name, value in self.misshapen:
            kind = "a dictionary" if self.argument_spec[name].get("type") == "dict" else "a list of dictionaries"
            self.fail_json(msg="%s: %r is not %s of its options" % (name, value, kind))


def checked_int(value):
    """ansible-core's check_type_int, with the errors it lets out (OverflowError: inf, a list of 3 large ints;
    MemoryError: 1e999999999999999999) as its TypeError."""
    try:
        return check_type_int(value)
    except (OverflowError, MemoryError):
        raise TypeError("%r cannot be converted to an int" % (value,)) from None


checked_int.__name__ = "int"  # as ansible-core names the type in its messages


def _int_checked(spec):
    """The argument spec with checked_int for type int, in suboptions too."""
    result = {}
    for name, option in spec.items():
        option = dict(option)
        if option.get("type") == "int":
            option["type"] = checked_int
        if option.get("options"):
            option["options"] = _int_checked(option["options"])
        result[name] = option
    return result


class XenServerModule:
    def __init__(self, argument_spec, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        self.ansible = CheckedAnsibleModule(argument_spec=spec, **kwargs)
        self.ansible.refuse_misshapen()
        self.params = self.ansible.params
        self.check_mode = self.ansible.check_mode
        self._client = None
        if not 0 < self.params["request_timeout"] < float("inf"):
            self.ansible.fail_json(msg="request_timeout: %r is not a number of seconds above 0" % self.params["request_timeout"])
        if not HAS_REQUESTS:
            self.ansible.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))

    @property
    def client(self):
        if self._client is None:
            params = self.params
            try:
                self._client = XenAPIClient(params["hostname"], params["username"], params["password"],
                                            validate_certs=params["validate_certs"], ca_path=params["ca_path"],
                                            protocol=params["protocol"], timeout=params["request_timeout"],
                                            retry_deadline=params["request_timeout"])
            except ValueError as exc:  # the text names the option: hostname or ca_path
                raise ModuleFailure(str(exc)) from None
            for warning in self._client.warnings:
                self.ansible.warn(warning)
            self._client.login()
        return self._client

    def reconnect(self, host):
        """Talk to `host` from now on (same scheme and port): after a master change or a new management
        address. The session goes along (it belongs to the pool); a new login happens only if the pool
        forgot it, so no session is left behind."""
        if self._client is None:
            self.params = dict(self.params, hostname=with_host(normalize_url(self.params["hostname"]), host))
            return self.client
        self._client.move_to(host)
        self.params = dict(self.params, hostname=self._client.url)
        return self._client

    def run(self, work):
        """result = work(self); exit_json(**result), or fail_json with a clear message. The
        client logs out in every case."""
        try:
            result = work(self)
        except XenAPIError as exc:
            self._fail(exc.message, xapi_error=exc.to_dict())
        except (XenAPIConnectionError, XenAPITimeout, LookupFailed, InputError, ValueError) as exc:
            self._fail(str(exc))
        except ModuleFailure as exc:
            self._fail(exc.msg, **exc.extra)
        else:
            self._close()
            self.ansible.exit_json(**result)

    def _close(self):
        if self._client is not None:
            for note in self._client.notes:  # lost answers, and what was found before sending again
                self.ansible.warn(note)
            self._client.logout()
            self._client = None

    def _fail(self, msg, **extra):
        self._close()
        self.ansible.fail_json(msg=msg, **extra)
