"""The SM drivers' errors as xapi forwards them, and the connection test every network driver
makes first [SM libs/sm/core/XE_SR_ERRORCODES.xml, xs_errors.XenError, util._testHost]."""

import ipaddress

from ..errors import Failure
from .storage import backend_failure

# XE_SR_ERRORCODES.xml: name -> (value, description)
SM_ERRORS = {
    "ConfigDeviceMissing": (90, "The request is missing the device parameter"),
    "ConfigLocationMissing": (94, "The request is missing the location parameter"),
    "ConfigTargetMissing": (95, "The request is missing the target parameter"),
    "ConfigTargetIQNMissing": (96, "The request is missing or has an incorrect target IQN parameter"),
    "ConfigServerPathMissing": (101, "The request is missing the serverpath parameter"),
    "ConfigServerMissing": (102, "The request is missing the server parameter"),
    "ConfigSCSIid": (107, "The SCSIid parameter is missing or incorrect"),
    "SRUnavailable": (47, "The SR is not available"),
    "NFSMount": (73, "NFS mount error"),
    "NFSTarget": (108, "Unable to detect an NFS service on this target."),
    "SMBMount": (111, "SMB mount error"),
    "DNSError": (140, "Incorrect DNS name, unable to resolve."),
    "ISCSITarget": (141, "Unable to connect to ISCSI service on target"),
    "ISOMountFailure": (222, "Could not mount the directory specified in Device Configuration"),
    "ISOLocationStringError": (225, "Incorrect Location string format. String must be in the format SERVER:PATH for "
                                    "NFS targets, or \\\\SERVER\\PATH for CIFS targets"),
}


def sm_error(name, opterr=None):
    """xs_errors.XenError as xapi forwards it: SR_BACKEND_FAILURE_<value>."""
    number, description = SM_ERRORS[name]
    if opterr is not None:
        description += " [opterr=%s]" % opterr
    return backend_failure(number, description)


def reach_host(name, unreachable):
    """util._testHost in the simulator: loopback answers, other addresses do not, names do not resolve."""
    if name == "localhost":
        return
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        raise sm_error("DNSError") from None
    if not address.is_loopback:
        raise sm_error(unreachable)


def assert_driver(db, sr_type):
    if not any(sm["type"] == sr_type for sm in db.tables["SM"].values()):
        raise Failure("SR_UNKNOWN_DRIVER", sr_type)
