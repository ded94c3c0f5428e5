"""VM metadata over HTTP [xen-api ocaml/xapi/export.ml metadata_handler, import.ml metadata_handler;
datamodel.ml get_export_metadata / put_import_metadata (_R_VM_ADMIN)]:

    GET /export_metadata?session_id=<ref>&uuid=<vm uuid>|ref=<vm ref>[&export_snapshots=true|false]
        [&all=true[&include_dom0=true|false]][&task_id=<ref>]
        200, Content-Type application/octet-stream, Content-Disposition attachment; filename="export.xva":
        a tar holding ova.xml (vm_metadata.py); the task ends success, result "".
    PUT /import_metadata?session_id=<ref>[&restore=true|false][&force=true|false][&dry_run=true|false]
        [&task_id=<ref>]   body: such a tar (or gzip of it)
        200, empty body: the task ends success, result the new VMs' refs as XML-RPC
        (<value><array><data><value>OpaqueRef:...</value></data></array></value>).

Refusals: 401/403 as every HTTP action (httpaction.py); 500 with xapi's error page for the rest,
whose task ends failure with error_info [code, params...]: UUID_INVALID [VM, uuid] (export),
IMPORT_ERROR_PREMATURE_EOF, IMPORT_ERROR_UNEXPECTED_FILE [ova.xml, found], IMPORT_ERROR [msg]
(a body that is no XVA), IMPORT_INCOMPATIBLE_VERSION, and vm_import.py's. A refusal changes
nothing. Difference kept: xapi's importer sends its 200 before it reads the body.
"""

from . import vm_import, vm_metadata
from .errors import Failure
from .httpaction import VM_ADMIN, Action, failed, flag, query_of, read_body
from .transfer import Body, Refused
from .wire.xmlrpc import value_to_string

ROUTES = frozenset({("GET", "/export_metadata"), ("PUT", "/import_metadata")})
MAX_METADATA = 64 * 1024 * 1024


def serve(handler, world, verb, address):
    query = query_of(handler.path)
    cookie = handler.headers.get("Cookie", "")
    handler.close_connection = True
    action = None
    try:
        name = "get_export_metadata" if verb == "GET" else "put_import_metadata"
        action = Action(world, address, query, cookie, name, VM_ADMIN)
        if verb == "GET":
            body = export(action, query)
            action.succeed()
            extra = {"Content-Disposition": 'attachment; filename="export.xva"'}
            if action.task is not None:
                extra["Task-ID"] = action.task
            handler._send(200, body, "application/octet-stream", extra)
            return
        data = read_body(handler, MAX_METADATA)
        result = import_(action, query, data)
        action.succeed(value_to_string(result))
        handler._send(200, b"", "text/plain", {"Task-ID": action.task} if action.task else None)
    except Refused as refused:
        if verb == "PUT":
            length = handler.headers.get("Content-Length", "").strip()
            Body(handler.rfile, int(length) if length.isdigit() else None, False).drain()
        handler._error_page(refused.status, refused.text)
    except Failure as failure:
        action.fail(failure)
        handler._error_page(500, failed(failure))


def export(action, query):
    db = action.db
    with db.lock:
        if flag(query, "all"):
            with_dom0 = flag(query, "include_dom0", True)
            vms = [vm for vm, record in db.tables["VM"].items()
                   if not record["is_default_template"]
                   and not (record["is_a_template"] and record["other_config"].get("default_template") == "true")
                   and (with_dom0 or not record["is_control_domain"])]
        elif "ref" in query:
            db.get("VM", query["ref"])
            vms = [query["ref"]]
        elif "uuid" in query:
            vms = [db.by_uuid("VM", query["uuid"])]
        else:
            raise Failure("INTERNAL_ERROR", "Not_found: the query needs uuid, ref or all=true")
    if not vms:
        raise Failure("INTERNAL_ERROR", "Failure(\"need to specify at least one VM\")")
    xml = vm_metadata.ova_xml(db, action.host, vms, flag(query, "export_snapshots", True))
    return vm_metadata.archive(xml)


def import_(action, query, body):
    xml = vm_metadata.read_archive(body)
    version, objects = vm_metadata.parse_header(xml)
    mine = vm_metadata.version(action.db, action.host)
    if version > (mine["xapi_major"], mine["xapi_minor"]):
        raise Failure("IMPORT_INCOMPATIBLE_VERSION")
    try:
        importer = vm_import.Importer(action.db, objects, restore=flag(query, "restore"), force=flag(query, "force"),
                                      task=action.task)
        with action.db.lock:
            importer.check()
            if flag(query, "dry_run"):
                return importer.result()
            return importer.apply()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a record missing what every export has
        raise Failure("IMPORT_ERROR", "%s: %s" % (type(exc).__name__, exc)) from None
