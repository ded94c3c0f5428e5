"""Wire-level value markers shared by the database and both wire encoders.

Records are stored ready for JSON (ints as ints, datetimes as xapi's string form), so
JSON-RPC can hand them to json.dumps untouched. The two marker types below only tell the
XML-RPC encoder what xapi would put on the wire, where the JSON form is the same.
"""

import datetime
import uuid as _uuid

NULL_REF = "OpaqueRef:NULL"
EPOCH = "19700101T00:00:00Z"


class DateTime(str):
    """A datetime in xapi's wire form, YYYYMMDDTHH:MM:SSZ (XML-RPC <dateTime.iso8601>)."""

    __slots__ = ()


class Int32(int):
    """An int that xapi sends as <i4> in XML-RPC (only event.from's valid_ref_counts)."""

    __slots__ = ()


EPOCH_DT = DateTime(EPOCH)


def format_datetime(moment):
    return DateTime(moment.strftime("%Y%m%dT%H:%M:%SZ"))


def now():
    return format_datetime(datetime.datetime.now(datetime.timezone.utc))


def parse_datetime(text):
    """Accept xapi's form, with or without Z, and RFC 3339 with dashes; return DateTime."""
    cleaned = text.strip().replace("-", "").replace("Z", "").replace("z", "")
    cleaned = cleaned.split(".")[0].split("+")[0]
    moment = datetime.datetime.strptime(cleaned, "%Y%m%dT%H:%M:%S")
    return format_datetime(moment)


def new_uuid():
    return str(_uuid.uuid4())


def new_ref():
    return "OpaqueRef:" + str(_uuid.uuid4())
