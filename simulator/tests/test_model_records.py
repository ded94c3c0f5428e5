"""Every record the simulator holds has exactly the model's current fields, with their types.

Walks xenapi.json (the shared data model) for every class a scenario has objects of, and
checks get_record over JSON-RPC and over XML-RPC (official SDK) against it.
"""

import re

import pytest

from conftest import JsonRpc, sdk_session
from xapisim.model import load_model

DATETIME = re.compile(r"^\d{8}T\d{2}:\d{2}:\d{2}Z$")
MODEL = load_model()


def check_json_value(xtype, value, where):
    kind = xtype.kind
    if kind in ("string",):
        assert isinstance(value, str), where
    elif kind == "int":
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif kind == "float":
        assert isinstance(value, (float, int)) and not isinstance(value, bool), where
    elif kind == "bool":
        assert isinstance(value, bool), where
    elif kind == "datetime":
        assert isinstance(value, str) and DATETIME.match(value), where
    elif kind == "ref":
        assert isinstance(value, str) and value.startswith("OpaqueRef:"), where
    elif kind == "enum":
        assert value in MODEL.enums[xtype.of], where
    elif kind == "set":
        assert isinstance(value, list), where
        for item in value:
            check_json_value(xtype.args[0], item, where + "[]")
    elif kind == "map":
        assert isinstance(value, dict), where
        for key, item in value.items():
            assert isinstance(key, str), where
            check_json_value(xtype.args[1], item, "%s[%s]" % (where, key))
    else:
        raise AssertionError("unexpected field type %s at %s" % (xtype, where))


def check_xml_value(xtype, value, where):
    """What Python's xmlrpc.client makes of xapi's encoding: ints arrive as strings."""
    kind = xtype.kind
    if kind == "int":
        assert isinstance(value, str) and re.match(r"^-?\d+$", value), where
    elif kind == "datetime":
        assert type(value).__name__ == "DateTime" and DATETIME.match(value.value), where
    elif kind == "set":
        assert isinstance(value, list), where
        for item in value:
            check_xml_value(xtype.args[0], item, where + "[]")
    elif kind == "map":
        assert isinstance(value, dict), where
        for key, item in value.items():
            check_xml_value(xtype.args[1], item, "%s[%s]" % (where, key))
    elif kind == "float":
        assert isinstance(value, float), where
    else:
        check_json_value(xtype, value, where)


def classes_held(sim):
    db = sim.world.pools[0].db
    return sorted(cls for cls, table in db.tables.items() if table)


def test_pool3_holds_the_objects_of_a_real_pool(served):
    held = set(classes_held(served))
    assert {"pool", "host", "host_metrics", "host_cpu", "VM", "VM_metrics", "VM_guest_metrics", "VBD", "VDI",
            "VIF", "SR", "PBD", "network", "PIF", "PIF_metrics", "SM", "role", "console"} <= held


def test_every_record_has_exactly_the_model_fields_json(served):
    caller = JsonRpc(served)
    session = caller("session.login_with_password", "root", served.password)
    checked = 0
    for cls in classes_held(served):
        if cls == "session":
            refs = [session]
        else:
            refs = list(served.world.pools[0].db.tables[cls])[:3]
        definition = MODEL.classes[cls]
        expected = {f.name for f in definition.record_fields}
        for ref in refs:
            record = caller("%s.get_record" % cls, session, ref)
            assert set(record) == expected, cls
            for field in definition.record_fields:
                check_json_value(field.type, record[field.name], "%s.%s" % (cls, field.name))
            checked += 1
    caller("session.logout", session)
    assert checked > 40


def test_removed_fields_are_not_returned(served):
    caller = JsonRpc(served)
    session = caller("session.login_with_password", "root", served.password)
    metrics = caller("host_metrics.get_all", session)[0]
    record = caller("host_metrics.get_record", session, metrics)
    assert "memory_free" not in record  # Removed_s in the model
    assert "memory_total" in record
    caller("session.logout", session)


@pytest.mark.parametrize("cls", ["VM", "host", "SR", "VDI", "pool", "PIF", "network", "VBD", "VIF", "task"])
def test_records_through_the_official_sdk(served, cls):
    session = sdk_session(served)
    session.xenapi.login_with_password("root", served.password)
    if cls == "task":
        vm = session.xenapi.VM.get_by_name_label("build-01")[0]
        session.xenapi.Async.VM.start(vm, False, False)
    records = getattr(session.xenapi, cls).get_all_records()
    assert records
    definition = MODEL.classes[cls]
    for ref, record in list(records.items())[:5]:
        assert set(record) == {f.name for f in definition.record_fields}
        for field in definition.record_fields:
            check_xml_value(field.type, record[field.name], "%s.%s" % (cls, field.name))
        assert getattr(session.xenapi, cls).get_record(ref) == record or cls == "task"
    session.xenapi.session.logout()
