"""The pool database backup over HTTP [xen-api ocaml/xapi/pool_db_backup.ml
pull_database_backup_handler, push_database_restore_handler; datamodel.ml get/put_pool_xml_db_sync
(_R_POOL_ADMIN); xe pool-dump-database / pool-restore-database]:

    GET /pool/xmldbdump?session_id=<ref>[&task_id=<ref>]
        200, Content-Type text/xml: the database (dbxml.py); the task ends success, result "".
    PUT /pool/xmldbdump?session_id=<ref>[&dry_run=true|false][&task_id=<ref>]   body: a dump
        200, empty body: checked (dry_run=true) or restored, the host reboots (restore.py); the
        task ends success, result "".

Refusals: 401 (no valid session; the task fails SESSION_AUTHENTICATION_FAILED), 403 (not
pool-admin; RBAC_PERMISSION_DENIED [http/get_pool_xml_db_sync or http/put_pool_xml_db_sync, msg]),
400 (PUT without Content-Length), 500 with xapi's error page for every failure of the restore,
whose task ends failure with error_info [code, params...]: INTERNAL_ERROR [parse error] for a body
that is not a database, RESTORE_INCOMPATIBLE_VERSION, RESTORE_TARGET_MISSING_DEVICE [device],
RESTORE_TARGET_MGMT_IF_NOT_IN_BACKUP [devices]. Nothing changes on a refusal. Difference kept:
xapi sends its 200 before it reads the body, so its client learns a failure from the task only.
"""

from . import dbxml, restore
from .errors import Failure
from .httpaction import POOL_ADMIN, Action, failed, flag, query_of, read_body
from .transfer import Body, Refused

ROUTES = frozenset({("GET", "/pool/xmldbdump"), ("PUT", "/pool/xmldbdump")})
MAX_DUMP = 512 * 1024 * 1024  # a 10,000-VM pool dumps to about 300 MiB


def serve(handler, world, verb, address):
    query = query_of(handler.path)
    cookie = handler.headers.get("Cookie", "")
    handler.close_connection = True  # xapi closes the connection after either
    try:
        if verb == "GET":
            action = Action(world, address, query, cookie, "get_pool_xml_db_sync", POOL_ADMIN)
            body = dbxml.dump(action.db, dbxml.schema_version(action.db, action.host))
            action.succeed()
            handler._send(200, body, "text/xml", {"Content-Disposition": 'attachment; filename="database.xml"'})
            return
        action = Action(world, address, query, cookie, "put_pool_xml_db_sync", POOL_ADMIN)
        dump = read_body(handler, MAX_DUMP)
        action.progress(0.5)
        try:
            _restore(world, action, dump, flag(query, "dry_run"))
        except Failure as failure:
            action.fail(failure)
            handler._error_page(500, failed(failure))
            return
        action.succeed()
        handler._send(200, b"", "text/plain")
    except Refused as refused:
        if verb == "PUT":
            length = handler.headers.get("Content-Length", "").strip()
            Body(handler.rfile, int(length) if length.isdigit() else None,
                 "chunked" in handler.headers.get("Transfer-Encoding", "").lower()).drain()
        handler._error_page(refused.status, refused.text)


def _restore(world, action, body, dry_run):
    """restore_from_xml: parse, check, prepare; the restart unless a dry run."""
    dump = dbxml.parse(action.db.model, body)
    target, master = restore.prepare(world, action.pool, action.host, dump)
    if not dry_run:
        restore.restart(world, action.pool, action.host, target, master)
