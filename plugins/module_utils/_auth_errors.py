# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""External authentication failures in words that say what to fix.

xapi reports a pool-wide failure as POOL_<host code> [host, directory's message]; the host
is named, the option to fix is named, and the directory's message follows (its secrets are
already masked by the client)."""

from ._errors import ExplainedError

# code without its POOL_ prefix -> what to fix; {domain}, {user}, {host}, {ou} are filled in.
ADVICE = {
    "AUTH_ENABLE_FAILED_WRONG_CREDENTIALS":
        "username/password: the domain {domain} refused the credentials of {user}; check them",
    "AUTH_ENABLE_FAILED_PERMISSION_DENIED":
        "username: {user} may not join computers to {domain}{ou_text}; use an account with that right",
    "AUTH_ENABLE_FAILED_DOMAIN_LOOKUP_FAILED":
        "domain: {host} cannot find {domain} in DNS; check the domain name and the hosts' DNS servers",
    "AUTH_ENABLE_FAILED_UNAVAILABLE":
        "domain: no domain controller of {domain} answered {host}; check the network between them",
    "AUTH_ENABLE_FAILED_INVALID_OU":
        "ou: {ou} does not exist in {domain}; give an existing organisational unit",
    "AUTH_ENABLE_FAILED_INVALID_ACCOUNT":
        "username: {user} is not a usable account of {domain} (missing, disabled or locked)",
    "AUTH_ENABLE_FAILED_INVALID_TRUSTED_CERTS":
        "ldaps: the CA certificates installed on {host} are not valid for {domain}'s domain controllers",
    "AUTH_ENABLE_FAILED_NO_TRUSTED_CERTS":
        "ldaps: {host} has no CA certificate for {domain}'s domain controllers; install one (pool.install_ca_certificate) "
        "or set ldaps: false",
    "AUTH_ENABLE_FAILED_SETUP_TLS_CONNECTION":
        "ldaps: {host} could not set up TLS with {domain}'s domain controllers",
    "AUTH_ENABLE_FAILED_NO_SUPPORT_ENCRYPT_TYPE":
        "domain: {domain} offers no Kerberos encryption type {host} supports",
    "AUTH_ENABLE_FAILED_DUPLICATE_HOSTNAME":
        "{host} shares its host name with another host of the pool; give each host its own (host module, host_name)",
    "AUTH_ENABLE_FAILED":
        "joining {domain} failed on {host}; check domain, domain_username and ou",
    "AUTH_ALREADY_ENABLED":
        "{host} already uses external authentication; leave it first (state: absent) or set rejoin: true",
    "AUTH_UNKNOWN_TYPE":
        "the hosts do not know the authentication type AD",
    "AUTH_DISABLE_FAILED_WRONG_CREDENTIALS":
        "username/password: the domain refused the credentials of {user} when removing the machine account of {host}; "
        "the host left the domain, its machine account stays",
    "AUTH_DISABLE_FAILED_PERMISSION_DENIED":
        "username: {user} may not remove the machine account of {host}; the host left the domain, its machine account "
        "stays",
    "AUTH_DISABLE_FAILED_INVALID_ACCOUNT":
        "username: {user} is not a usable account of the domain; the host {host} left it, its machine account stays",
    "AUTH_DISABLE_FAILED":
        "leaving the domain failed on {host}",
    "AUTH_IS_DISABLED":
        "the pool is not joined to a domain; join it first (xapi.xenserver.external_auth)",
    "SUBJECT_CANNOT_BE_RESOLVED":
        "the directory does not know {name}",
    "AUTH_SERVICE_ERROR":
        "the directory could not be asked about {name}",
}


class _Facts(dict):
    def __missing__(self, key):
        return "?"


class AuthError(ExplainedError):
    """A XenAPI failure of external authentication, explained, with the directory's own words."""

    def __init__(self, error, explanation):
        super().__init__(error, explanation, detail=True)


def explain(error, host_names, **facts):
    """A XenAPIError of an auth call -> AuthError naming the host and the option to fix, or the error itself."""
    code = error.code[len("POOL_"):] if error.code.startswith("POOL_AUTH") else error.code
    said = " ".join(error.params).lower()
    if code == "AUTH_ENABLE_FAILED" and facts.get("ou") and facts["ou"].lower() in said:
        code = "AUTH_ENABLE_FAILED_INVALID_OU"  # winbind's join reports a missing OU as a generic failure
    template = ADVICE.get(code)
    if template is None:
        return error
    host = next((host_names.get(p) for p in error.params if p in host_names), None) or "a host"
    values = _Facts(facts, host=host)
    values["ou_text"] = " in %s" % values["ou"] if values.get("ou") else ""
    return AuthError(error, template.format_map(values))
