"""A disk's raw content over HTTP: PUT /import_raw_vdi and GET /export_raw_vdi, as xapi serves
them [xen-api ocaml/xapi/import_raw_vdi.ml, export_raw_vdi.ml, xapi_http.ml].

    PUT /import_raw_vdi?session_id=<ref>&vdi=<ref or uuid>[&format=raw][&task_id=<ref>]   body: the bytes
    GET /export_raw_vdi?session_id=<ref>&vdi=<ref or uuid>[&format=raw]

xapi's checks in xapi's order: the session (401 when missing or unknown), the HTTP action's RBAC
(403), then the VDI and the format; a failure after that is its HTTP 500 page. An import writes
from the first byte of the disk, like a block device: a shorter image leaves the old tail.
The content lives in the VDI's simulator-private state (db.private[vdi]["content"]) and goes
with the VDI. Differences, kept on purpose: only the master serves (a member answers 500
HOST_IS_SLAVE where xapi would serve or redirect); only format=raw; an export returns the bytes
written so far, not virtual_size bytes padded with zeros.
"""

from urllib.parse import parse_qs, urlsplit

from .values import now

ROUTES = frozenset({("PUT", "/import_raw_vdi"), ("GET", "/export_raw_vdi")})
MAX_CONTENT = 64 * 1024 * 1024  # not an RPC, so not the 300 KiB RPC limit; a config drive is far smaller
MAX_DRAIN = 256 * 1024 * 1024  # a refused body is read away up to this, so the client sees the answer
FORMATS = ("raw", "vhd", "tar")  # what xapi knows; the simulator stores raw only
# the roles of xapi's put_import_raw_vdi and get_export_raw_vdi HTTP actions (_R_VM_ADMIN)
ROLES = frozenset({"pool-admin", "pool-operator", "vm-power-admin", "vm-admin"})


class Refused(Exception):
    def __init__(self, status, text):
        super().__init__(text)
        self.status = status
        self.text = text


class Body:
    """The PUT body: read whole once checked, or read away when the request is refused."""

    def __init__(self, rfile, length, chunked):
        self.rfile = rfile
        self.length = length
        self.remaining = length or 0
        self.chunked = chunked

    def read(self):
        data = self.rfile.read(self.remaining)
        self.remaining -= len(data)
        if self.remaining:
            raise Refused(500, "the client sent %d bytes of %d" % (len(data), self.length))
        return data

    def drain(self):
        """Beyond MAX_DRAIN the error page goes out unread and the connection closes."""
        if self.chunked:  # refused, but read to its end: the client then sees the answer
            self.chunked, budget = False, MAX_DRAIN
            while budget > 0:
                line = self.rfile.readline(100).split(b";")[0].strip()
                if not line or not all(c in b"0123456789abcdefABCDEF" for c in line):
                    return  # not chunked after all: the connection closes
                size = int(line, 16)
                if size == 0:  # the last chunk, then trailers up to an empty line
                    while self.rfile.readline(1000).strip():
                        pass
                    return
                self.rfile.read(size + 2)
                budget -= size
        while 0 < self.remaining <= MAX_DRAIN:
            chunk = self.rfile.read(min(self.remaining, 1 << 20))
            if not chunk:
                break
            self.remaining -= len(chunk)


def serve(handler, world, verb, address):
    """Answer one request of ROUTES; `handler` is the server's request handler."""
    query = {key: values[-1] for key, values in parse_qs(urlsplit(handler.path).query).items()}
    body = None
    if verb == "PUT":
        length = handler.headers.get("Content-Length", "").strip()
        chunked = "chunked" in handler.headers.get("Transfer-Encoding", "").lower()
        body = Body(handler.rfile, int(length) if length.isdigit() else None, chunked)
    try:
        if verb == "PUT":
            task = import_raw(world, address, query, handler.headers, body)
            handler.close_connection = True  # xapi closes the connection after an import
            handler._send(200, b"", "text/plain", {"Task-ID": task} if task else None)
        else:
            handler._send(200, export_raw(world, address, query), "application/octet-stream")
    except Refused as refused:
        if body is not None:
            body.drain()
        handler._error_page(refused.status, refused.text)


def _checked(world, address, query, action):
    """(pool, VDI ref) once the session, its roles, the host and the VDI are checked."""
    pool, host = world.pool_of_host(address)
    if pool is None:
        raise Refused(404, "Not found: no host at %s" % address)
    db = pool.db
    session = query.get("session_id")
    state = db.private.get(session, {})
    local_host = state.get("local_host")
    if session is None or session not in db.tables["session"] or local_host not in (None, host):
        raise Refused(401, "Access to the resource %s requires authentication (a valid session_id)." % action)
    roles = state.get("roles")
    if roles is not None and not roles & ROLES:
        raise Refused(403, "Access to the resource %s is forbidden to this session's roles." % action)
    if host != pool.master:
        raise Refused(500, "HOST_IS_SLAVE %s: xapisim serves %s on the pool master only"
                      % (pool.address_of(pool.master), action))
    vdi = query.get("vdi")
    if vdi is None:
        raise Refused(500, 'Failure("Missing vdi query parameter")')
    if vdi not in db.tables["VDI"]:
        vdi = db.uuids["VDI"].get(vdi)
        if vdi is None:
            raise Refused(500, "UUID_INVALID VDI %s: no VDI has this reference or uuid" % query["vdi"])
    fmt = query.get("format", "raw")
    if fmt not in FORMATS:
        raise Refused(404, "Unknown format %s" % fmt)
    if fmt != "raw":
        raise Refused(500, "xapisim transfers format=raw only, not %s" % fmt)
    return pool, vdi


def import_raw(world, address, query, headers, body):
    """Store the body at the start of the VDI; the task_id given, if any, ends with the import."""
    pool, vdi = _checked(world, address, query, "put_import_raw_vdi")
    db = pool.db
    task = query.get("task_id") if query.get("task_id") in db.tables["task"] else None
    try:
        if headers.get("Transfer-Encoding"):
            raise Refused(403, "import code cannot handle encoding: %s" % headers["Transfer-Encoding"])
        if body.length is None:
            raise Refused(500, 'Failure("We require a content-length: HTTP header")')
        record = db.get("VDI", vdi)
        if record["read_only"]:
            raise Refused(500, "VDI_READ_ONLY %s: a read-only disk cannot be written" % vdi)
        if body.length > min(record["virtual_size"], MAX_CONTENT):
            raise Refused(500, "%d bytes do not fit: VDI %s has %d (and xapisim keeps %d at most)"
                          % (body.length, vdi, record["virtual_size"], MAX_CONTENT))
        data = body.read()
        with db.lock:
            if not db.exists("VDI", vdi):
                raise Refused(500, "HANDLE_INVALID VDI %s: destroyed during the import" % vdi)
            state = db.private.setdefault(vdi, {})
            state["content"] = data + state.get("content", b"")[len(data):]
            _end_task(db, task, status="success", result="")
    except Refused as refused:
        with db.lock:
            _end_task(db, task, status="failure", error_info=["INTERNAL_ERROR", refused.text])
        raise
    return task


def export_raw(world, address, query):
    pool, vdi = _checked(world, address, query, "get_export_raw_vdi")
    return pool.db.private.get(vdi, {}).get("content", b"")


def _end_task(db, task, **outcome):
    if task is not None and db.exists("task", task) and db.get("task", task)["status"] == "pending":
        db.update("task", task, progress=1.0, finished=now(), allowed_operations=[], **outcome)
