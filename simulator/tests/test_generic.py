"""Messages generated from the data model [xenapi-notes §1.4, §2.1; xen-api
ocaml/idl/ocaml_backend/gen_server.ml, ocaml/database/db_filter_*.ml, ocaml/xapi/exnHelper.ml]:
records, lookups, field accessors, map and set helpers, filters, and the generic failures
with their exact parameters."""

import pytest
from conftest import error

from xapisim.handlers import implemented
from xapisim.model import load_model

PARSE_ERROR = "Stdlib.Parsing.Parse_error"
LEX_ERROR = 'Failure("lexing: empty token")'


def names(api, records):
    return sorted(record["name_label"] for record in records.values())


def test_records_and_listings_agree(api):
    records = api("VM.get_all_records")
    assert sorted(api("VM.get_all")) == sorted(records)
    fields = {f.name for f in load_model().classes["VM"].record_fields}
    for ref, record in records.items():
        assert set(record) == fields
        assert api("VM.get_record", ref) == record
    hosts = api("host.get_all_records")
    assert len(hosts) == 3 and sorted(api("host.get_all")) == sorted(hosts)


def test_get_by_uuid(api):
    vm = api.vm("web-01")
    uuid = api("VM.get_uuid", vm)
    assert api("VM.get_by_uuid", uuid) == vm
    assert error(api, "VM.get_by_uuid", "00000000-0000-0000-0000-000000000000") == [
        "UUID_INVALID", "VM", "00000000-0000-0000-0000-000000000000"]
    host_uuid = api("host.get_uuid", api("host.get_all")[0])
    assert error(api, "SR.get_by_uuid", host_uuid) == ["UUID_INVALID", "SR", host_uuid]
    assert error(api, "VM_guest_metrics.get_by_uuid", "x") == ["UUID_INVALID", "VM_guest_metrics", "x"]


def test_get_by_name_label_returns_a_set(api):
    assert api("VM.get_by_name_label", "web-01") == [api.vm("web-01")]
    assert api("VM.get_by_name_label", "no such VM") == []
    assert sorted(api("SR.get_by_name_label", "NFS storage")) == sorted(
        api("SR.get_all_where", 'field "name__label"="NFS storage"'))


def test_getters_of_every_field(api):
    vm = api.vm("db-01")
    record = api("VM.get_record", vm)
    for name, value in record.items():
        assert api("VM.get_" + name, vm) == value, name


def test_setters_only_for_rw_fields(api):
    vm = api.vm("build-01")
    assert api("VM.set_name_label", vm, "renamed") is None
    assert api("VM.get_name_label", vm) == "renamed"
    assert api("VM.set_user_version", vm, 7) is None and api("VM.get_user_version", vm) == 7
    for read_only in ("VM.set_power_state", "VM.set_uuid", "VM.set_resident_on", "host.set_enabled"):
        assert error(api, read_only, vm, "x") == ["MESSAGE_METHOD_UNKNOWN", read_only]
    assert error(api, "host.add_to_software_version", vm, "k", "v") == [
        "MESSAGE_METHOD_UNKNOWN", "host.add_to_software_version"]


def test_map_helpers(api):
    vm = api.vm("build-01")
    before = api("VM.get_other_config", vm)
    api("VM.add_to_other_config", vm, "owner", "alice")
    assert api("VM.get_other_config", vm) == {**before, "owner": "alice"}
    assert list(api("VM.get_other_config", vm)) == ["owner", *before]  # xapi's add_to_map puts it first
    assert error(api, "VM.add_to_other_config", vm, "owner", "bob") == [
        "MAP_DUPLICATE_KEY", "VM", "other_config", vm, "owner"]
    assert api("VM.get_other_config", vm)["owner"] == "alice"
    api("VM.remove_from_other_config", vm, "owner")
    api("VM.remove_from_other_config", vm, "owner")  # a missing key is no error
    assert api("VM.get_other_config", vm) == before
    assert error(api, "VM.add_to_other_config", "OpaqueRef:NULL", "k", "v") == [
        "HANDLE_INVALID", "VM", "OpaqueRef:NULL"]
    assert error(api, "VM.add_to_other_config", vm, "", "v") == ["INTERNAL_ERROR", "Db_exn.Empty_key_in_map"]
    assert error(api, "VM.set_other_config", vm, {"": "v"}) == ["INTERNAL_ERROR", "Db_exn.Empty_key_in_map"]
    assert api("VM.get_other_config", vm) == before


def test_set_helpers(api):
    vm = api.vm("web-02")
    assert api("VM.get_tags", vm) == ["web"]
    api("VM.add_tags", vm, "blue")
    api("VM.add_tags", vm, "blue")
    assert sorted(api("VM.get_tags", vm)) == ["blue", "web"]
    api("VM.add_tags", vm, "web")
    assert sorted(api("VM.get_tags", vm)) == ["blue", "web"]
    api("VM.remove_tags", vm, "web")
    api("VM.remove_tags", vm, "absent")
    assert api("VM.get_tags", vm) == ["blue"]
    api("VM.set_tags", vm, [])
    assert api("VM.get_tags", vm) == []


VMS = ["build-01", "db-01", "db-02", "web-01", "web-02", "web-03"]
DOM0S = ["Control domain on host: xs-a%d" % n for n in (1, 2, 3)]


@pytest.mark.parametrize("expr, expected", [
    ('field "name__label"="web-01"', ["web-01"]),
    ('field "name__label" = "web-01" or field "name__label"="db-01"', ["db-01", "web-01"]),
    ('field "is_a_template"="false" and field "is_control_domain"="false"', VMS),
    ('field "is_a_template"="false" and not (field "power_state"="Running")', ["build-01"]),
    ('(field "tags"="(\'web\')") and\n\tfield "power_state"="Running"', ["web-01", "web-02", "web-03"]),
    ('field "tags"="(\'db\')" or field "tags"="(\'ci\')"', ["build-01", "db-01", "db-02"]),
    # "and" and "or" share one precedence and group to the left
    ('field "name__label"="web-01" or field "name__label"="db-01" and false', []),
    ('false and field "name__label"="web-01" or field "name__label"="db-01"', ["db-01"]),
    # "not" has the lowest precedence: it takes the rest of the expression
    ('field "is_a_template"="false" and not field "name__label"="db-01" or field "name__label"="db-02"',
     sorted(DOM0S + ["build-01", "web-01", "web-02", "web-03"])),
    ('"a"="a" and field "resident_on"="OpaqueRef:NULL" and field "is_a_template"="false"', ["build-01"]),
    ('"x"="y"', []),
])
def test_get_all_records_where(api, expr, expected):
    records = api("VM.get_all_records_where", expr)
    assert names(api, records) == expected
    assert sorted(api("VM.get_all_where", expr)) == sorted(records)
    for ref, record in records.items():
        assert api("VM.get_record", ref) == record


def test_where_true_and_not_false_list_everything(api):
    everything = sorted(api("VM.get_all"))
    assert sorted(api("VM.get_all_where", "true")) == everything
    assert sorted(api("VM.get_all_where", "not false")) == everything
    assert api("VM.get_all_records_where", "false") == {}


@pytest.mark.parametrize("expr, reason", [
    ('field "name__label"=', PARSE_ERROR),
    ('"web-01"', PARSE_ERROR),
    ("", PARSE_ERROR),
    ('(field "name__label"="x"', PARSE_ERROR),
    ('field "name__label"="x")', PARSE_ERROR),
    ('and field "name__label"="x"', PARSE_ERROR),
    ('field "a"="b" "c"', PARSE_ERROR),
    ('field "a"="b" or', PARSE_ERROR),
    ('true = "x"', PARSE_ERROR),
    ('field "a" <> "b"', LEX_ERROR),
    ('name__label="web-01"', LEX_ERROR),
    ('field "a"="b" AND true', LEX_ERROR),
    ("field 'a'='b'", LEX_ERROR),
    ('field "a"="b"\r', LEX_ERROR),
    # the lexer runs as the parser asks: a syntax error before a bad character wins
    ('field "a"= = "b" <>', PARSE_ERROR),
])
def test_bad_filter_expressions(api, expr, reason):
    assert error(api, "VM.get_all_records_where", expr) == ["INVALID_VALUE", expr, reason]
    assert error(api, "VM.get_all_where", expr) == ["INVALID_VALUE", expr, reason]


def test_filter_on_a_field_the_database_lacks(api):
    assert error(api, "VM.get_all_records_where", 'field "nope"="x"') == [
        "INTERNAL_ERROR", "missing field", "nope", ""]


def test_handle_invalid(api):
    vm = api.vm("web-01")
    assert error(api, "VM.get_record", "OpaqueRef:nope") == ["HANDLE_INVALID", "VM", "OpaqueRef:nope"]
    assert error(api, "host.get_name_label", vm) == ["HANDLE_INVALID", "host", vm]
    assert error(api, "VM.set_name_label", "OpaqueRef:NULL", "x") == ["HANDLE_INVALID", "VM", "OpaqueRef:NULL"]
    assert error(api, "VM_guest_metrics.get_os_version", vm) == ["HANDLE_INVALID", "VM_guest_metrics", vm]
    assert error(api, "SR.get_record", "") == ["HANDLE_INVALID", "SR", ""]


def test_message_method_unknown(api, world_sim):
    assert error(api, "VM.frobnicate", api.vm("web-01")) == ["MESSAGE_METHOD_UNKNOWN", "VM.frobnicate"]
    assert error(api, "nosuchclass.get_all") == ["MESSAGE_METHOD_UNKNOWN", "nosuchclass.get_all"]
    assert error(api, "vm.get_all") == ["MESSAGE_METHOD_UNKNOWN", "vm.get_all"]  # class names are exact
    assert error(world_sim.call, "127.0.10.1", "VM.frobnicate") == ["MESSAGE_METHOD_UNKNOWN", "VM.frobnicate"]


@pytest.mark.parametrize("method, params, expected, received", [
    ("VM.start", ["VM"], "3", "1"),
    ("VM.start", ["VM", False, False, True], "3", "4"),
    ("VM.get_all", ["extra"], "0", "1"),
    ("VM.get_record", [], "1", "0"),
    ("VM.add_to_other_config", ["VM", "k"], "3", "2"),
    ("VM_get_record", ["VM", "extra"], "1", "2"),
])
def test_message_parameter_count_mismatch(api, method, params, expected, received):
    """Counts exclude the session and name the method as it was called."""
    params = [api.vm("build-01") if p == "VM" else p for p in params]
    assert error(api, method, *params) == ["MESSAGE_PARAMETER_COUNT_MISMATCH", method, expected, received]


def test_parameter_count_without_a_session_param(world_sim):
    call = world_sim.call
    assert error(call, "127.0.10.1", "VM.get_all") == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.get_all", "0", "-1"]
    assert error(call, "127.0.10.1", "session.login_with_password") == [
        "MESSAGE_PARAMETER_COUNT_MISMATCH", "session.login_with_password", "2", "0"]
    assert error(call, "127.0.10.1", "session.slave_local_login_with_password", "root", "pw", "x") == [
        "MESSAGE_PARAMETER_COUNT_MISMATCH", "session.slave_local_login_with_password", "2", "3"]


def test_trailing_defaults(world_sim):
    session = world_sim.call("127.0.10.1", "session.login_with_password", "root", "secret-pw")
    assert world_sim.call("127.0.10.1", "session.get_originator", session, session) == ""


def failure_text(message):
    return "Failure(\"%s\")" % message


@pytest.mark.parametrize("method, args, text", [
    ("VM.start", ["VM", "yes", False], "Expected bool, got 'S(yes)'"),
    ("VM.start", ["VM", 1, False], "Expected bool, got 'I(1)'"),
    ("VM.set_user_version", ["VM", "abc"], "Int64.of_string"),
    ("VM.set_user_version", ["VM", "12 "], "Int64.of_string"),
    ("VM.set_user_version", ["VM", True], "Expected int64, got 'B(true)'"),
    ("VM.set_user_version", ["VM", 1.5], "Expected int64, got 'F(1.5)'"),
    ("VM.get_record", [123], "Expected string, got 'I(123)'"),
    ("VM.set_name_label", ["VM", ["a", 1]], "Expected string, got '[S(a);I(1)]'"),
    ("VM.set_actions_after_shutdown", ["VM", "explode"], "Unknown tag/contents"),
    ("VM.set_actions_after_shutdown", ["VM", 3], "Unknown tag/contents"),
    ("VM.set_tags", ["VM", "web"], "Expecting Rpc.Enum, but found 'S(web)'"),
    ("VM.set_other_config", ["VM", ["k", "v"]], "Expecting Rpc.Dict, but found '[S(k);S(v)]'"),
    ("VM.set_other_config", ["VM", {"k": 1}], "Expected string, got 'I(1)'"),
    ("task.set_progress", ["VM", "half"], "float_of_string"),
    ("task.set_progress", ["VM", False], "Expected float, got 'B(false)'"),
    ("VM.start", ["VM", 'say "hi"\\', False], "Expected bool, got 'S(say \\\"hi\\\"\\\\)'"),
    ("VM.start", ["VM", "é", False], "Expected bool, got 'S(\\195\\169)'"),
])
def test_wrong_parameter_types(api, method, args, text):
    """ocaml-rpc's unmarshalling fails with Failure, which xapi answers as INTERNAL_ERROR."""
    args = [api.vm("build-01") if a == "VM" else a for a in args]
    assert error(api, method, *args) == ["INTERNAL_ERROR", failure_text(text)]


def test_lenient_parameter_types(api):
    vm = api.vm("build-01")
    api("VM.set_user_version", vm, "0x10")
    assert api("VM.get_user_version", vm) == 16
    api("VM.set_user_version", vm, "-1_000")
    assert api("VM.get_user_version", vm) == -1000
    api("VM.set_actions_after_shutdown", vm, "RESTART")  # enums match without regard to case
    assert api("VM.get_actions_after_shutdown", vm) == "restart"
    task = api("task.create", "t", "")
    api("task.set_progress", task, "0.25")
    assert api("task.get_progress", task) == 0.25
    api("task.set_progress", task, 1)
    assert api("task.get_progress", task) == 1.0


def test_types_are_checked_before_the_session(world_sim):
    """gen_server.ml unmarshals every parameter before Session_check."""
    assert error(world_sim.call, "127.0.10.1", "VM.get_record", "OpaqueRef:bad", 5) == [
        "INTERNAL_ERROR", failure_text("Expected string, got 'I(5)'")]
    assert error(world_sim.call, "127.0.10.1", "VM.get_record", "OpaqueRef:bad", "x") == [
        "SESSION_INVALID", "OpaqueRef:bad"]


def test_unimplemented_explicit_message(api):
    """A message of the model the simulator does not implement says so, naming it."""
    model = load_model()
    message = next(m for cls in sorted(model.classes)
                   for m in sorted(model.classes[cls].messages.values(), key=lambda m: m.name)
                   if not m.implicit and m.takes_session and implemented(m) is None
                   and all(p.type.kind in ("string", "ref") for p in m.params))
    assert error(api, message.wire_name, *["OpaqueRef:x"] * len(message.params)) == [
        "NOT_IMPLEMENTED", message.wire_name]


def test_no_async_mode_for_generated_accessors(api):
    vm = api.vm("build-01")
    for method in ("Async.VM.get_record", "Async.VM.set_name_label", "Async.VM.get_all_records_where"):
        args = {"Async.VM.get_record": [vm], "Async.VM.set_name_label": [vm, "x"],
                "Async.VM.get_all_records_where": ["true"]}[method]
        assert error(api, method, *args) == [
            "Fault", "No async mode for this operation (rpc: %s)" % method[len("Async."):]]
    assert error(api, "Async.session.logout") == ["Fault", "No async mode for this operation (rpc: session.logout)"]
