# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""XenServerModule: AnsibleModule with the connection options, a client that always logs out,
and XenAPI errors turned into fail_json(msg, xapi_error={code, params})."""

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

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


class XenServerModule:
    def __init__(self, argument_spec, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        self.ansible = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.ansible.params
        self.check_mode = self.ansible.check_mode
        self._client = None
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
            except ValueError as exc:
                raise ModuleFailure("hostname: %s" % exc) from None
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
