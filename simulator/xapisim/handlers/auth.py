"""auth.*: what the pool's directory says about names and SIDs [xenapi-notes §3.2; xen-api
ocaml/xapi/xapi_auth.ml]. AUTH_IS_DISABLED without external auth, SUBJECT_CANNOT_BE_RESOLVED
for what the directory does not know, AUTH_SERVICE_ERROR [message] when it cannot answer."""

from . import extauth
from .registry import handles


@handles("auth.get_subject_identifier")
def get_subject_identifier(call, subject_name):
    return extauth.query(call, lambda directory: directory.sid_of(subject_name))


@handles("auth.get_subject_information_from_identifier")
def get_subject_information_from_identifier(call, subject_identifier):
    """A subject of the pool answers from its record (even with external auth disabled), any
    other SID from the directory."""
    for record in call.db.records("subject").values():
        if record["subject_identifier"] == subject_identifier:
            return record["other_config"]
    return extauth.query(call, lambda directory: directory.info(subject_identifier))


@handles("auth.get_group_membership")
def get_group_membership(call, subject_identifier):
    return extauth.query(call, lambda directory: directory.groups(subject_identifier))
