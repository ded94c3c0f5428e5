"""A real Active Directory on loopback (Samba's AD DC in the tests): `serve --directory
ldap://127.0.0.1` (or ldaps://) makes every pool authenticate against it.

- Joining is a SIMPLE bind with the credentials given to pool.enable_external_auth (user@REALM
  when the user has no domain part; the service name is the realm), then a look at the OU.
  Those credentials stay in this process's memory, as the stand-in for the machine account a
  real join creates; every later query binds with them. Nothing is written to the directory.
- Queries read sAMAccountName, userPrincipalName, objectSid, tokenGroups (the transitive groups,
  what winbind's --user-domgroups answers), userAccountControl; a login is a SIMPLE bind as the
  user. The server must allow simple binds without TLS (`ldap server require strong auth = no`)
  or be reached over ldaps://.
"""

import datetime
import ssl
import struct
import threading
import warnings

with warnings.catch_warnings():  # ldap3 2.9.1 imports names that pyasn1 0.6 marks deprecated
    warnings.simplefilter("ignore", DeprecationWarning)
    import ldap3
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars

from . import (ACCOUNT_DISABLED, CREDENTIALS, GENERIC, LOGON_FAILURE, LOOKUP, AuthFailure, Directory, DirectoryError,
               NotFound, group_info, ou_dn, parse_url, rid_of, split_name, user_info)

CONNECT_TIMEOUT = 5  # seconds
RECEIVE_TIMEOUT = 15
UAC_DISABLED = 0x2
UF_LOCKOUT = 0x10
UF_PASSWORD_EXPIRED = 0x800000
NEVER_EXPIRES = (0, 0x7FFFFFFFFFFFFFFF)
FILETIME_EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)
DISABLED_BIND = "data 533"  # AD's sub-code of invalidCredentials for a disabled account
INFO_ATTRIBUTES = ["sAMAccountName", "userPrincipalName", "displayName", "gecos", "userAccountControl",
                   "msDS-User-Account-Control-Computed", "accountExpires", "objectClass"]


def sid_string(raw):
    """A binary objectSid -> S-1-5-21-..."""
    revision, count = raw[0], raw[1]
    authority = int.from_bytes(raw[2:8], "big")
    subs = struct.unpack("<%dI" % count, raw[8:8 + 4 * count])
    return "S-%d-%d-%s" % (revision, authority, "-".join(str(sub) for sub in subs))


def _first(entry, name, default=""):
    value = entry["attributes"].get(name)
    if isinstance(value, list):
        return value[0] if value else default
    return default if value is None else value


class Ldap(Directory):
    def __init__(self, url):
        use_ssl, address, port = parse_url(url)
        self.url = url
        tls = ldap3.Tls(validate=ssl.CERT_NONE) if use_ssl else None  # a test DC's self-signed certificate
        self._server = ldap3.Server(address, port=port, use_ssl=use_ssl, tls=tls, get_info=ldap3.NONE,
                                    connect_timeout=CONNECT_TIMEOUT)
        self._base = None  # the domain's DN, read from the root DSE
        self._netbios = None
        self._domain_sid = None
        self._machine = None  # (bind name, password) of the last join: memory only
        self._lock = threading.Lock()

    @property
    def domain(self):
        return self._naming_context().replace("DC=", "").replace(",", ".").lower()

    # ---- connections -------------------------------------------------------------------------------
    def _connection(self, user=None, password=None):
        """A bound connection, or None when the directory refuses the credentials (its answer
        is in .last_refusal); DirectoryError(LOOKUP) when it cannot be reached."""
        if user is None:
            connection = ldap3.Connection(self._server, receive_timeout=RECEIVE_TIMEOUT, read_only=True)
        else:
            connection = ldap3.Connection(self._server, user=user, password=password, authentication=ldap3.SIMPLE,
                                          receive_timeout=RECEIVE_TIMEOUT, read_only=True)
        try:
            if connection.bind():
                return connection
        except LDAPException:
            raise DirectoryError(LOOKUP, "Failed to look up domain %s workgroup" % (self._base_domain() or self.url)) \
                from None
        refusal = str(connection.result.get("message", ""))
        connection.unbind()
        raise _Refused(refusal)

    def _naming_context(self):
        if self._base is None:
            connection = self._connection()
            try:
                connection.search("", "(objectClass=*)", ldap3.BASE, attributes=["defaultNamingContext"])
                self._base = str(_first(connection.response[0], "defaultNamingContext"))
            finally:
                connection.unbind()
        return self._base

    def _base_domain(self):
        return self._base.replace("DC=", "").replace(",", ".").lower() if self._base else ""

    def _realm_name(self, user):
        return user if "@" in user else "%s@%s" % (user, self.domain.upper())

    def _machine_connection(self):
        machine = self._machine
        if machine is None:
            raise DirectoryError(GENERIC, "no machine account in %s: join the domain through this simulator first"
                                 % self.domain)
        try:
            return self._connection(*machine)
        except _Refused:
            raise DirectoryError(GENERIC, "the machine account of %s was refused by the domain controller"
                                 % self.domain) from None

    def _search(self, connection, base, expression, attributes, scope=ldap3.SUBTREE):
        try:
            connection.search(base, expression, scope, attributes=attributes)
        except LDAPException as exc:
            raise DirectoryError(GENERIC, "ldap query failed: %s" % type(exc).__name__) from None
        return [entry for entry in connection.response or () if entry.get("type") == "searchResEntry"]

    def _learn(self, connection):
        """The domain's NetBIOS name and SID, read once with a bound connection."""
        base = self._naming_context()
        if self._netbios is None:
            found = self._search(connection, "CN=Partitions,CN=Configuration,%s" % base,
                                 "(&(objectClass=crossRef)(nCName=%s))" % escape_filter_chars(base), ["nETBIOSName"])
            self._netbios = str(_first(found[0], "nETBIOSName")) if found else base.split(",", maxsplit=1)[0][3:].upper()
        if self._domain_sid is None:
            found = self._search(connection, base, "(objectClass=*)", ["objectSid"], ldap3.BASE)
            self._domain_sid = sid_string(found[0]["raw_attributes"]["objectSid"][0])

    # ---- the interface -----------------------------------------------------------------------------
    def serves(self, service_name):
        try:
            return service_name.lower() == self.domain
        except DirectoryError:
            return False

    def netbios(self):
        if self._netbios is None:
            connection = self._machine_connection()
            try:
                self._learn(connection)
            finally:
                connection.unbind()
        return self._netbios

    def join(self, user, password, ou):
        name = self._realm_name(user)
        connection = self._bound_or_refused(name, password)
        try:
            self._learn(connection)
            if ou is not None:
                dn = ou_dn(ou, self.domain)
                if not self._search(connection, dn, "(objectClass=*)", ["objectClass"], ldap3.BASE):
                    raise DirectoryError(GENERIC, "Failed to join domain: failed to precreate account in ou %s: "
                                         "No such object" % dn)
        finally:
            connection.unbind()
        with self._lock:
            self._machine = (name, password)

    def leave(self, user, password):
        self._bound_or_refused(self._realm_name(user), password).unbind()

    def _bound_or_refused(self, name, password):
        if not password:  # an empty password would be an unauthenticated bind, which AD accepts
            raise DirectoryError(CREDENTIALS, LOGON_FAILURE)
        try:
            return self._connection(name, password)
        except _Refused as refused:
            raise DirectoryError(GENERIC if DISABLED_BIND in str(refused) else CREDENTIALS,
                                 ACCOUNT_DISABLED if DISABLED_BIND in str(refused) else LOGON_FAILURE) from None

    def sid_of(self, name):
        return self._account(name)[0]

    def _account(self, name):
        """-> (SID, sAMAccountName) of a name in any of the three forms."""
        connection = self._machine_connection()
        try:
            self._learn(connection)
            domain, account = split_name(name)
            if domain is not None and domain.lower() not in (self.domain, self._netbios.lower()):
                raise NotFound(name)
            found = self._search(connection, self._naming_context(),
                                 "(sAMAccountName=%s)" % escape_filter_chars(account), ["objectSid", "sAMAccountName"])
        finally:
            connection.unbind()
        if not found:
            raise NotFound(name)
        return sid_string(found[0]["raw_attributes"]["objectSid"][0]), str(_first(found[0], "sAMAccountName"))

    def info(self, sid):
        connection = self._machine_connection()
        try:
            self._learn(connection)
            found = self._search(connection, self._naming_context(), "(objectSid=%s)" % escape_filter_chars(sid),
                                 INFO_ATTRIBUTES)
        finally:
            connection.unbind()
        if not found:
            raise NotFound(sid)
        entry = found[0]
        sam = str(_first(entry, "sAMAccountName"))
        if "group" in [str(c).lower() for c in entry["attributes"].get("objectClass", [])]:
            return group_info(self._netbios, sam, rid_of(sid), sid)
        control = int(_first(entry, "userAccountControl", 0) or 0)
        computed = int(_first(entry, "msDS-User-Account-Control-Computed", 0) or 0)
        display = str(_first(entry, "displayName"))
        return user_info(self._netbios, self.domain, sam, rid_of(sid), upn=str(_first(entry, "userPrincipalName")),
                         display_name=display, gecos=str(_first(entry, "gecos")) or display,
                         disabled=bool(control & UAC_DISABLED), expired=_expired(_first(entry, "accountExpires", 0)),
                         locked=bool(computed & UF_LOCKOUT), password_expired=bool(computed & UF_PASSWORD_EXPIRED))

    def groups(self, sid):
        connection = self._machine_connection()
        try:
            self._learn(connection)
            found = self._search(connection, self._naming_context(), "(objectSid=%s)" % escape_filter_chars(sid),
                                 ["sAMAccountName"])
            if not found:
                raise NotFound(sid)
            tokens = self._search(connection, found[0]["dn"], "(objectClass=*)", ["tokenGroups"], ldap3.BASE)
        finally:
            connection.unbind()
        raw = tokens[0]["raw_attributes"].get("tokenGroups", []) if tokens else []
        # domain groups only, as winbind's --user-domgroups (tokenGroups also has BUILTIN ones)
        prefix = self._domain_sid + "-"
        return [group for group in (sid_string(value) for value in raw) if group.startswith(prefix)]

    def authenticate(self, name, password):
        try:
            sid, sam = self._account(name)
        except NotFound:
            raise AuthFailure("objectSid not found in ldap result") from None
        failure = AuthFailure("failed to authenticate user '%s\\%s'" % (self._netbios, sam))
        if not password:
            raise failure
        try:
            self._connection("%s@%s" % (sam, self.domain.upper()), password).unbind()
        except _Refused:
            raise failure from None
        return sid


class _Refused(Exception):
    """The directory refused a bind; the text is its diagnostic message (never the password)."""


def _expired(account_expires):
    value = int(account_expires or 0)
    if value in NEVER_EXPIRES:
        return False
    return FILETIME_EPOCH + datetime.timedelta(microseconds=value // 10) < datetime.datetime.now(datetime.timezone.utc)
