"""Friendly messages: xapi's parameters and the facts a caller found fill them; a fact nobody
gave is empty, and secrets are masked in both."""

from ansible_collections.xapi.xenserver.plugins.module_utils._errors import MASK, XenAPIError


def test_without_facts_the_text_reads_as_before():
    error = XenAPIError("SESSION_AUTHENTICATION_FAILED", ["root", "Authentication failure"], "session.login_with_password")
    assert error.message == ("session.login_with_password failed: authentication failed for user root: wrong username "
                             "or password (SESSION_AUTHENTICATION_FAILED ['root', 'Authentication failure'])")
    running = XenAPIError("JOINING_HOST_CANNOT_HAVE_RUNNING_VMS", [], "join of host 127.0.40.2 to the pool of 127.0.40.1")
    assert running.message == ("join of host 127.0.40.2 to the pool of 127.0.40.1 failed: the joining host has running "
                               "VMs: shut them down or migrate them to another host first; halted VMs may stay "
                               "(JOINING_HOST_CANNOT_HAVE_RUNNING_VMS)")


def test_facts_fill_the_text():
    error = XenAPIError("JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS", [], "join", facts={"shared": " (NFS a, NFS b)"})
    assert error.message.startswith("join failed: the joining host has shared storage (NFS a, NFS b): unplug and forget")
    assert error.facts == {"shared": " (NFS a, NFS b)"} and error.to_dict() == {
        "code": "JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS", "params": []}


def test_secrets_are_masked_in_parameters_and_facts():
    error = XenAPIError("SESSION_AUTHENTICATION_FAILED", ["root", "no s3cret-pw here"], "login", secrets=("s3cret-pw", None),
                        facts={"options": "; not s3cret-pw either"})
    assert "s3cret-pw" not in error.message and "s3cret-pw" not in str(error.to_dict())
    assert error.message.count(MASK) == 2


def test_braces_in_parameters_are_text_and_missing_parameters_leave_the_code():
    error = XenAPIError("HOSTS_NOT_HOMOGENEOUS", ["{0} {running}"], "join")
    assert error.message.startswith("join failed: the joining host does not match the pool master ({0} {running}): ")
    short = XenAPIError("POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION", ["2.21"], "join")
    assert short.message == "join failed: POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION ['2.21']"
