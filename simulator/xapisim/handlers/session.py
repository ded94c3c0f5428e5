"""Sessions: login, logout, local (member) logins, password change [xenapi-notes §1.5]."""

import hmac

from ..errors import Failure
from ..values import NULL_REF, now
from .registry import handles

# xapi waits before refusing a password, against brute force; simulated seconds.
FAILED_LOGIN_DELAY = 5.0
# fn(call, host, uname, pwd) -> (session fields, role and permission names), None when it does
# not apply, or raises the refusal; external auth adds one (external_login.py)
AUTHENTICATORS = []


def root_password(db, host):
    return db.private.get(host, {}).get("root_password", "")


def password_matches(given, expected):
    return hmac.compare_digest(str(given).encode("utf-8"), str(expected).encode("utf-8"))


def authenticate(call, host, uname, pwd):
    """Session fields for valid credentials; SESSION_AUTHENTICATION_FAILED after the delay.
    root is always checked locally; other users only by external auth, when it is enabled."""
    if uname == "root" and password_matches(pwd, root_password(call.db, host)):
        return {"is_local_superuser": True, "auth_user_name": "root"}, None
    if uname != "root":
        for authenticator in AUTHENTICATORS:
            found = authenticator(call, host, uname, pwd)
            if found is not None:
                return found
    call.clock.wait(FAILED_LOGIN_DELAY)
    raise Failure("SESSION_AUTHENTICATION_FAILED", uname, "Authentication failure")


def open_session(call, host, originator, fields, roles=None, local=False):
    stamp = now()
    record = {
        "this_host": host, "this_user": NULL_REF, "last_active": stamp, "validation_time": stamp,
        "pool": False, "originator": originator, "is_local_superuser": False, "subject": NULL_REF,
        "auth_user_sid": "", "auth_user_name": "", "rbac_permissions": [], "parent": NULL_REF,
    }
    record.update(fields)
    session = call.db.create("session", record)
    state = call.db.private.setdefault(session, {})
    if roles is not None:
        state["roles"] = set(roles)
    if local:
        state["local_host"] = host
    call.world.counters.logins += 1
    return session


def close_session(call, session):
    if not call.db.exists("session", session):
        return
    for task in call.db.private.get(session, {}).get("tasks", ()):
        if call.db.exists("task", task):
            if call.db.get("task", task)["status"] == "pending":
                call.db.private[task]["session"] = None
            else:
                call.db.delete("task", task)
    call.db.delete("session", session)
    call.world.counters.logouts += 1
    with call.db.changed:
        call.db.changed.notify_all()  # event.from waiters of this session must notice


@handles("session.login_with_password")
def login_with_password(call, uname, pwd, version, originator):
    fields, roles = authenticate(call, call.host, uname, pwd)
    return open_session(call, call.host, originator, fields, roles)


@handles("session.slave_local_login_with_password")
def slave_local_login(call, uname, pwd):
    if uname != "root" or not password_matches(pwd, root_password(call.db, call.host)):
        call.clock.wait(FAILED_LOGIN_DELAY)
        raise Failure("SESSION_AUTHENTICATION_FAILED", uname, "Authentication failure")
    return open_session(call, call.host, "", {"is_local_superuser": True, "auth_user_name": "root"}, local=True)


@handles("session.logout", "session.local_logout")
def logout(call):
    close_session(call, call.session)


@handles("session.change_password")
def change_password(call, old_pwd, new_pwd):
    """Only the local superuser may; xapi does not check old_pwd (CA-13567) and syncs the
    new password to every host of the pool."""
    if not call.db.get("session", call.session)["is_local_superuser"]:
        raise Failure("USER_IS_NOT_LOCAL_SUPERUSER", "Failed to change password for user root")
    for host in call.db.refs("host"):
        call.db.private.setdefault(host, {})["root_password"] = new_pwd


def _subject_identifiers(db, record):
    """The SIDs a session of an external user stands for: its user's, and its subject's when
    that is one of the user's groups."""
    sids = {record["auth_user_sid"]}
    subject = db.tables["subject"].get(record["subject"])
    if subject is not None:
        sids.add(subject["subject_identifier"])
    return sids - {""}


@handles("session.get_all_subject_identifiers")
def get_all_subject_identifiers(call):
    db = call.db
    sids = set()
    for record in db.records("session").values():
        if not record["is_local_superuser"]:
            sids |= _subject_identifiers(db, record)
    return sorted(sids)


@handles("session.logout_subject_identifier")
def logout_subject_identifier(call, subject_identifier):
    """Every session of that user or group ends, but the caller's and the local superuser's."""
    db = call.db
    for session, record in db.records("session").items():
        if (not record["is_local_superuser"] and session != call.session
                and subject_identifier in _subject_identifiers(db, record)):
            close_session(call, session)
