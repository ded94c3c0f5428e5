"""A directory from a scenario's `directory:` key: one domain, its users (with passwords) and
groups (with members, users or groups), and the OUs a computer account may go to.

    directory:
      domain: example.test          # the service_name to join
      netbios: EXAMPLE               # default: the first label, upper-cased
      users:
        - {name: Administrator, password: "...", join: true}   # join: may join computers
        - {name: alice, password: "...", display_name: Alice Liddell}
        - {name: dave, password: "...", disabled: true}
      groups:
        - {name: vm-operators, members: [alice, helpdesk]}
      ous: ["OU=Servers"]            # CN=Computers is always there

SIDs are derived from the domain name (S-1-5-21-a-b-c) and the order of the entries: as in a
fresh AD, Administrator is RID 500, Domain Admins 512, Domain Users 513 (every user's primary
group), and the others count from 1103, users first, then groups.
"""

import hashlib
import hmac
import struct

from . import (ACCOUNT_DISABLED, CREDENTIALS, DOMAIN_ADMINS_RID, DOMAIN_USERS_RID, GENERIC, LOGON_FAILURE,
               AuthFailure, Directory, DirectoryError, NotFound, group_info, ou_dn, split_name, user_info)

FIRST_RID = 1103
ADMINISTRATOR_RID = 500
USER_FLAGS = ("join", "disabled", "locked", "expired", "password_expired")


class SpecError(ValueError):
    """The `directory:` key is wrong; the message names the key and the value."""


class Account:
    def __init__(self, name, rid, sid, is_group):
        self.name = name
        self.rid = rid
        self.sid = sid
        self.is_group = is_group
        self.password = None
        self.display_name = ""
        self.upn = ""
        self.flags = {}
        self.members = []  # of a group: Accounts


def domain_sid(domain):
    """S-1-5-21-a-b-c, the same for the same domain name."""
    digest = hashlib.md5(domain.lower().encode("utf-8")).digest()
    return "S-1-5-21-%d-%d-%d" % struct.unpack("<3I", digest[:12])


class Builtin(Directory):
    def __init__(self, domain, netbios, ous=()):
        self.domain = domain.lower()
        self._netbios = netbios.upper()
        self.sid = domain_sid(self.domain)
        self.accounts = {}  # lower-case name -> Account
        self.by_sid = {}
        self.ous = {ou_dn("CN=Computers", self.domain).lower()} | {ou_dn(ou, self.domain).lower() for ou in ous}
        self.add("Domain Admins", DOMAIN_ADMINS_RID, is_group=True)
        self.add("Domain Users", DOMAIN_USERS_RID, is_group=True)

    def add(self, name, rid, is_group):
        account = Account(name, rid, "%s-%d" % (self.sid, rid), is_group)
        self.accounts[name.lower()] = account
        self.by_sid[account.sid] = account
        return account

    # ---- the interface ---------------------------------------------------------------------------
    def serves(self, service_name):
        return service_name.lower() == self.domain

    def netbios(self):
        return self._netbios

    def join(self, user, password, ou):
        account = self._credentials(user, password)
        if ou is not None:
            dn = ou_dn(ou, self.domain)
            if dn.lower() not in self.ous:
                raise DirectoryError(GENERIC, "Failed to join domain: failed to precreate account in ou %s: "
                                     "No such object" % dn)
        if not account.flags.get("join"):
            where = ou_dn(ou, self.domain) if ou is not None else ou_dn("CN=Computers", self.domain)
            raise DirectoryError(GENERIC, "Failed to join domain: failed to precreate account in ou %s: "
                                 "Insufficient access" % where)

    def leave(self, user, password):
        self._credentials(user, password)

    def sid_of(self, name):
        return self._find(name).sid

    def info(self, sid):
        account = self.by_sid.get(sid)
        if account is None:
            raise NotFound(sid)
        if account.is_group:
            return group_info(self._netbios, account.name, account.rid, account.sid)
        flags = account.flags
        return user_info(self._netbios, self.domain, account.name, account.rid, upn=account.upn,
                         display_name=account.display_name, gecos=account.display_name,
                         disabled=flags.get("disabled"), expired=flags.get("expired"), locked=flags.get("locked"),
                         password_expired=flags.get("password_expired"))

    def groups(self, sid):
        account = self.by_sid.get(sid)
        if account is None:
            raise NotFound(sid)
        found, todo = [], list(self._containing(account))
        if not account.is_group:
            todo.insert(0, self.accounts["domain users"])
        while todo:
            group = todo.pop(0)
            if group.sid not in found:
                found.append(group.sid)
                todo.extend(self._containing(group))
        return found

    def authenticate(self, name, password):
        try:
            account = self._find(name)
        except NotFound:
            raise AuthFailure("objectSid not found in ldap result") from None
        if account.is_group or account.flags.get("disabled") or not _same(password, account.password):
            raise AuthFailure("failed to authenticate user '%s\\%s'" % (self._netbios, account.name))
        return account.sid

    # ---- helpers -----------------------------------------------------------------------------------
    def _containing(self, account):
        return [group for group in self.accounts.values() if group.is_group and account in group.members]

    def _find(self, name):
        domain, account_name = split_name(name)
        if domain is not None and domain.lower() not in (self.domain, self._netbios.lower()):
            raise NotFound(name)
        account = self.accounts.get(account_name.lower())
        if account is None:
            raise NotFound(name)
        return account

    def _credentials(self, user, password):
        """The join user's account, when the password is right (a UPN of another domain is not)."""
        domain, name = split_name(user)
        account = self.accounts.get(name.lower())
        if (domain is not None and domain.lower() != self.domain) or account is None or account.is_group \
                or not _same(password, account.password):
            raise DirectoryError(CREDENTIALS, LOGON_FAILURE)
        if account.flags.get("disabled"):
            raise DirectoryError(GENERIC, ACCOUNT_DISABLED)
        return account


def _same(given, expected):
    return expected is not None and hmac.compare_digest(str(given).encode("utf-8"), str(expected).encode("utf-8"))


def from_spec(spec, key="directory"):
    """A scenario's `directory:` mapping -> Builtin; SpecError names what is wrong."""
    if not isinstance(spec, dict) or not spec.get("domain"):
        raise SpecError("%s must be a mapping with a domain (its DNS name, e.g. example.test)" % key)
    domain = str(spec["domain"])
    netbios = str(spec.get("netbios") or domain.split(".", maxsplit=1)[0].upper()[:15])
    if len(netbios) > 15:
        raise SpecError("%s.netbios: %r is longer than 15 characters" % (key, netbios))
    directory = Builtin(domain, netbios, [str(ou) for ou in _list(spec, "ous", key)])
    rid = FIRST_RID
    users, groups = _list(spec, "users", key), _list(spec, "groups", key)
    for kind, entries in (("users", users), ("groups", groups)):
        for index, entry in enumerate(entries):
            where = "%s.%s[%d]" % (key, kind, index)
            if not isinstance(entry, dict) or not entry.get("name"):
                raise SpecError("%s needs a name" % where)
            name = str(entry["name"])
            if name.lower() in directory.accounts:
                raise SpecError("%s.name: %r is there twice" % (where, name))
            if name.lower() == "administrator":
                account = directory.add(name, ADMINISTRATOR_RID, kind == "groups")
                directory.accounts["domain admins"].members.append(account)
            else:
                account = directory.add(name, rid, kind == "groups")
                rid += 1
            if kind == "users":
                if "password" not in entry:
                    raise SpecError("%s.password: every user needs one" % where)
                account.password = str(entry["password"])
                account.display_name = str(entry.get("display_name", ""))
                account.upn = str(entry.get("upn", ""))
                account.flags = {flag: bool(entry.get(flag, False)) for flag in USER_FLAGS}
    for index, entry in enumerate(groups):
        group = directory.accounts[str(entry["name"]).lower()]
        for member in entry.get("members") or []:
            found = directory.accounts.get(str(member).lower())
            if found is None:
                raise SpecError("%s.groups[%d].members: no user or group named %r" % (key, index, member))
            group.members.append(found)
    return directory


def _list(spec, name, key):
    value = spec.get(name) or []
    if not isinstance(value, list):
        raise SpecError("%s.%s must be a list" % (key, name))
    return value
