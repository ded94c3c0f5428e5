"""Logins of directory users once external auth is enabled [xenapi-notes §1.5; xen-api
ocaml/xapi/xapi_session.ml login_with_password]: the directory checks the password, the user's
SID and its groups' SIDs are matched with the pool's subjects, and the session gets the
permissions of their roles. Every refusal comes after xapi's anti brute-force delay.
"""

from ..directory import AuthFailure, DirectoryError, NotFound
from ..errors import Failure
from ..roles import session_permissions
from . import extauth, session

# Context.get_origin of an HTTP call; xapi sees every client through stunnel
ORIGIN = "HTTP request from Internet with User-Agent: unknown"
SUSPENSION_FIELDS = ("subject-account-disabled", "subject-account-expired", "subject-account-locked",
                     "subject-password-expired")


def _refusal(call, code, uname, message):
    """The failure to raise, once the delay has passed."""
    call.clock.wait(session.FAILED_LOGIN_DELAY)
    if code in ("SESSION_AUTHENTICATION_FAILED", "SESSION_AUTHORIZATION_FAILED"):
        return Failure(code, uname, message)
    return Failure(code, "session.login_with_password", message)


def _information(call, directory, sid):
    """is_subject_suspended: the subject record's information first, the directory's when the
    record is missing or says suspended."""
    for record in call.db.records("subject").values():
        if record["subject_identifier"] == sid and not _suspended(record["other_config"]):
            return record["other_config"]
    try:
        return directory.info(sid)
    except NotFound:
        return {}


def _suspended(information):
    return any(information.get(field, "true").lower() != "false" for field in SUSPENSION_FIELDS)


def login(call, host, uname, pwd):
    """-> (session fields, role and permission names), or None when the host has no external
    auth; raises the refusal otherwise."""
    record = call.db.get("host", host)
    if record["external_auth_type"] == "":
        return None
    try:
        directory = extauth.directory(call, record["external_auth_type"], record["external_auth_service_name"])
        sid = directory.authenticate(uname, pwd)
    except (AuthFailure, DirectoryError) as failure:
        raise _refusal(call, "SESSION_AUTHENTICATION_FAILED", uname, str(failure)) from None
    try:
        information = _information(call, directory, sid)
    except DirectoryError as failure:
        raise _refusal(call, "SESSION_AUTHORIZATION_FAILED", uname, failure.message) from None
    if _suspended(information):
        raise _refusal(call, "SESSION_AUTHORIZATION_FAILED", uname,
                       "User %s (subject_id %s, from %s) suspended in external directory" % (uname, sid, ORIGIN))
    try:
        closure = [sid] + directory.groups(sid)
    except NotFound:  # xapi's message has its last two values swapped
        raise _refusal(call, "SESSION_AUTHORIZATION_FAILED", uname,
                       "Failed to obtain the group membership closure for user %s (subject_id %s, from %s): user not "
                       "found in external directory" % (uname, ORIGIN, sid)) from None
    except DirectoryError as failure:
        raise _refusal(call, "SESSION_AUTHORIZATION_FAILED", uname, failure.message) from None
    matching = [(ref, rec) for ref, rec in call.db.records("subject").items() if rec["subject_identifier"] in closure]
    if not matching:
        raise _refusal(call, "SESSION_AUTHORIZATION_FAILED", uname,
                       "Subject %s (identifier %s, from %s) has no access rights in this pool" % (uname, sid, ORIGIN))
    permissions = session_permissions(call.db, [role for dummy, rec in matching for role in rec["roles"]])
    if not permissions:
        raise _refusal(call, "RBAC_PERMISSION_DENIED", uname,
                       "Subject %s (identifier %s) has no roles in this pool" % (uname, sid))
    fields = {"is_local_superuser": False, "subject": matching[0][0], "auth_user_sid": sid,
              "auth_user_name": information.get("subject-name", ""), "rbac_permissions": sorted(permissions)}
    return fields, permissions


session.AUTHENTICATORS.append(login)
