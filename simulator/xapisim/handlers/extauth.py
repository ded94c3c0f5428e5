"""A host's external-auth plugin, as xapi's extauth.ml dispatches to extauth_plugin_ADwinbind.ml
(AD) or authx.ml (PAM): what enabling checks and writes, what disabling does, and the mapping
of directory failures to the codes of auth.* and subject.create.
"""

import hashlib
import string
import time

from ..directory import GENERIC, LOOKUP, NO_TRUSTED_CERTS, DirectoryError, NotFound
from ..directory.pam import Pam
from ..errors import Failure

AUTH_TYPES = ("AD", "PAM")
MAX_NETBIOS = 15
JOIN_DURATION = 5.0  # simulated seconds: net ads join, winbind restart, until winbind serves
PAM = Pam()


def licensed(call, feature):
    """Pool_features.assert_enabled: the pool's restrictions (restrict_ad, restrict_rbac)."""
    restrictions = call.db.get("pool", call.pool.ref)["restrictions"]
    if restrictions.get("restrict_%s" % feature.lower()) == "true":
        raise Failure("LICENCE_RESTRICTION", feature)


def directory(call, auth_type, service_name):
    """The directory a host of this auth type and service name asks: PAM its own accounts,
    AD the world's directory when it serves that domain (else the lookup fails, as winbind's)."""
    if auth_type == "PAM":
        return PAM
    found = call.world.directory
    if found is None or not found.serves(service_name):
        raise DirectoryError(LOOKUP, "Failed to look up domain %s workgroup" % service_name)
    return found


def plugin(call):
    """xapi's Ext_auth.d(): the plugin of the host answering (the coordinator)."""
    record = call.db.get("host", call.pool.master)
    if record["external_auth_type"] == "":
        raise Failure("AUTH_IS_DISABLED")
    if record["external_auth_type"] not in AUTH_TYPES:
        raise Failure("AUTH_UNKNOWN_TYPE", record["external_auth_type"])
    return record["external_auth_type"], record["external_auth_service_name"]


def query(call, ask):
    """Extauth.call_with_exception_handler around ask(directory): xapi's codes for its failures."""
    try:
        return ask(directory(call, *plugin(call)))
    except NotFound:
        raise Failure("SUBJECT_CANNOT_BE_RESOLVED") from None
    except DirectoryError as error:
        raise Failure("AUTH_SERVICE_ERROR", error.message) from None


# ---- enabling and disabling on one host (the AD plugin's on_enable / on_disable) --------------------

def _netbios_name(config, hostname):
    """build_netbios_name: config netbios-name, else the host name's first label; a longer one
    becomes 7 characters, '-' and 7 letters (xapi draws them at random; here they come from the name)."""
    if "netbios-name" in config:
        name = config["netbios-name"]
        if len(name) > MAX_NETBIOS:
            raise DirectoryError(GENERIC, "netbios-name exceeds %d characters" % MAX_NETBIOS)
        return name
    label = hostname.split(".")[0]
    if len(label) <= MAX_NETBIOS:
        return label
    digest = hashlib.sha256(label.encode("utf-8")).digest()
    return "%s-%s" % (label[:7], "".join(string.ascii_uppercase[b % 26] for b in digest[:7]))


def _required(config, key):
    if key not in config:
        raise DirectoryError(GENERIC, "enable requires %s" % key)
    return config[key]


def _ocaml_float(value):
    """string_of_float: %.12g, with a trailing '.' when that has no point."""
    text = "%.12g" % value
    return text if "." in text or "e" in text else text + "."


def on_enable(call, host, config, service_name):
    """The AD plugin's on_enable, in its order; -> external_auth_configuration. DirectoryError on
    failure. The password is only handed to the directory: never stored, logged or echoed."""
    user = _required(config, "user")
    password = _required(config, "pass")
    if "\\" in user:
        raise DirectoryError(GENERIC, "SAM format for user detected in '%s'. This is not supported, please retry "
                                      "using UPN format" % user)
    netbios_name = _netbios_name(config, call.db.get("host", host)["hostname"])
    if netbios_name.isdigit():
        raise DirectoryError(GENERIC, "hostname '%s' cannot contain only digits." % netbios_name)
    if "domain" in config and config["domain"] != service_name:
        raise DirectoryError(GENERIC, "if present, config:domain must match service-name.")
    found = directory(call, "AD", service_name)
    ldaps = config.get("ldaps", "").lower() == "true"
    if ldaps:  # a simulated host has no CA bundle for LDAPS (pool.install_ca_certificate is not simulated)
        raise DirectoryError(NO_TRUSTED_CERTS, "No trusted certs to setup TLS connection to DC. Note: ldaps does not "
                                               "support non-CA certs")
    ou = config.get("ou")
    found.join(user, password, ou)
    call.clock.wait(JOIN_DURATION)
    configuration = {"domain": service_name, "user": user, "workgroup": found.netbios(),
                     "netbios_name": netbios_name, "machine_pwd_last_change_time": _ocaml_float(time.time()),
                     "ldaps": "true" if ldaps else "false"}
    if ou is not None:
        configuration["ou"] = ou
    return configuration


def on_disable(call, host, config):
    """The AD plugin's on_disable: the configuration goes; with user and pass the machine
    account is removed, and a refusal is reported once the host has left anyway."""
    record = call.db.get("host", host)
    call.db.update("host", host, external_auth_configuration={})
    if "user" in config and "pass" in config:
        service_name = record["external_auth_service_name"]
        try:
            directory(call, "AD", service_name).leave(config["user"], config["pass"])
        except DirectoryError:
            raise DirectoryError(GENERIC, "Failed to clear the machine account for domain %s" % service_name) from None
