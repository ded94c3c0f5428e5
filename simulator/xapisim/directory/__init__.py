"""The directory behind external authentication [xenapi-notes §3.2]: who a name is, what a SID
is, which groups hold it, whether a password is right, whether join credentials and an OU are
good. Handlers speak only this interface and turn its errors into xapi's codes the way xapi's
winbind plugin does (xen-api ocaml/xapi/extauth_plugin_ADwinbind.ml).

Backends: builtin.Builtin (users and groups of a scenario's `directory:` key), ldap.Ldap (a
real Active Directory on loopback, e.g. Samba: `serve --directory ldap://127.0.0.1`) and
pam.Pam (the host's local accounts, for auth_type PAM).

A backend never keeps a password where it could be seen: not in a record, a log or an error.
"""

import abc
import ipaddress
import urllib.parse

# Failure classes of xapi's Auth_signature.Auth_service_error, as the suffix xapi gives the
# error code (AUTH_ENABLE_FAILED + suffix). The winbind plugin of XenServer 8 raises only these:
# its message table has no entry for PERMISSION_DENIED, UNAVAILABLE, INVALID_OU or INVALID_ACCOUNT
# (the removed PBIS plugin had), so a refused OU or right is a plain AUTH_ENABLE_FAILED.
GENERIC = ""
LOOKUP = "_DOMAIN_LOOKUP_FAILED"
CREDENTIALS = "_WRONG_CREDENTIALS"
NO_TRUSTED_CERTS = "_NO_TRUSTED_CERTS"

IDMAP_BASE = 3000000  # winbind's idmap range on a XenServer host: uid/gid = base + RID
DOMAIN_ADMINS_RID = 512
DOMAIN_USERS_RID = 513

# what Samba's `net ads join` says when the directory refuses the join user's password: the
# text xapi's tag_from_err_msg matches ("bad username or authentication") for WRONG_CREDENTIALS
LOGON_FAILURE = ("Failed to join domain: failed to connect to AD: The attempted logon is invalid. This is either "
                 "due to a bad username or authentication information.")
ACCOUNT_DISABLED = ("Failed to join domain: failed to connect to AD: The referenced account is currently disabled "
                    "and cannot be logged on to.")


class DirectoryError(Exception):
    """xapi's Auth_service_error: a failure class (GENERIC, LOOKUP, ...) and the message xapi passes on."""

    def __init__(self, tag, message):
        super().__init__(message)
        self.tag = tag
        self.message = message


class NotFound(Exception):
    """The directory knows no such name or SID (xapi's Subject_cannot_be_resolved)."""


class AuthFailure(Exception):
    """A login the directory refuses (xapi's Auth_failure), with the plugin's message."""


class Directory(abc.ABC):
    """One domain. `domain` is its DNS name; the methods raise DirectoryError when the
    directory cannot answer."""

    domain = ""

    @abc.abstractmethod
    def serves(self, service_name):
        """Whether `service_name` (a domain's DNS name) is this directory's domain."""

    @abc.abstractmethod
    def netbios(self):
        """The domain's NetBIOS name (the workgroup)."""

    @abc.abstractmethod
    def join(self, user, password, ou):
        """Check the join credentials (and the OU the computer account goes to, when given)."""

    @abc.abstractmethod
    def leave(self, user, password):
        """Check the credentials that remove a computer account."""

    @abc.abstractmethod
    def sid_of(self, name):
        """`DOMAIN\\name`, `name@domain` or a bare name -> SID; NotFound."""

    @abc.abstractmethod
    def info(self, sid):
        """Subject information as xapi's plugin returns it (subject-name, ...); NotFound."""

    @abc.abstractmethod
    def groups(self, sid):
        """The SIDs of the domain groups that hold `sid`, transitively; NotFound."""

    @abc.abstractmethod
    def authenticate(self, name, password):
        """The SID of the user whose password this is; AuthFailure otherwise."""


def split_name(name):
    """-> (domain part or None, account): DOMAIN\\name, name@domain or a bare name."""
    if "\\" in name:
        domain, account = name.split("\\", 1)
        return domain, account
    if "@" in name:
        account, domain = name.rsplit("@", 1)
        return domain, account
    return None, name


def base_dn(domain):
    return ",".join("DC=%s" % label for label in domain.split("."))


def ou_dn(ou, domain):
    """The DN `net ads join createcomputer=OU` creates the account in: a DN (OU=b,OU=a, the
    domain's DC= part added when missing) or a path `a/b` read from the top down."""
    base = base_dn(domain)
    if "=" in ou:
        dn = ",".join(part.strip() for part in ou.split(","))
        return dn if dn.lower().endswith(base.lower()) else "%s,%s" % (dn, base)
    parts = [part for part in ou.split("/") if part]
    return ",".join(["OU=%s" % part for part in reversed(parts)] + [base])


def user_info(netbios, domain, sam, rid, upn="", display_name="", gecos="", disabled=False, expired=False,
              locked=False, password_expired=False, uid=None, gid=None):
    """A user's subject information, keys and values as query_subject_information_user."""
    name = "%s\\%s" % (netbios, sam)
    if display_name:
        shown = "%s\\%s" % (netbios, display_name)
    elif gecos and gecos != "<null>":
        shown = "%s\\%s" % (netbios, gecos)
    else:
        shown = name
    return {
        "subject-name": name,
        "subject-gecos": gecos,
        "subject-displayname": shown,
        "subject-uid": str(IDMAP_BASE + rid if uid is None else uid),
        "subject-gid": str(IDMAP_BASE + DOMAIN_USERS_RID if gid is None else gid),
        "subject-upn": upn or "%s@%s" % (sam, domain),
        "subject-account-disabled": _bool(disabled),
        "subject-account-locked": _bool(locked),
        "subject-account-expired": _bool(expired),
        "subject-password-expired": _bool(password_expired),
        "subject-is-group": "false",
    }


def group_info(netbios, sam, rid, sid, gid=None):
    """A group's subject information, as query_subject_information_group."""
    return {"subject-name": "%s\\%s" % (netbios, sam), "subject-gid": str(IDMAP_BASE + rid if gid is None else gid),
            "subject-sid": sid, "subject-is-group": "true"}


def _bool(value):
    return "true" if value else "false"


def rid_of(sid):
    return int(sid.rsplit("-", 1)[1])


def parse_url(url):
    """-> (use_ssl, address, port); a ValueError that says why for anything but ldap(s) on loopback."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
        raise ValueError("--directory: %r is not an ldap:// or ldaps:// URL" % url)
    if parts.username or parts.password or parts.path not in ("", "/"):
        raise ValueError("--directory: give only ldap[s]://ADDRESS[:PORT]; the credentials are the ones "
                         "pool.enable_external_auth is given")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        raise ValueError("--directory: %r is not an IP address" % parts.hostname) from None
    if not address.is_loopback:
        raise ValueError("--directory: %s is not a loopback address (127.0.0.0/8, ::1); the simulator talks "
                         "to nothing else" % address)
    use_ssl = parts.scheme == "ldaps"
    return use_ssl, str(address), parts.port or (636 if use_ssl else 389)


def from_url(url):
    """--directory URL -> the LDAP backend (ldap:// or ldaps:// on a loopback address)."""
    from .ldap import Ldap  # ldap3 is only needed when a real directory is used

    return Ldap(url)
