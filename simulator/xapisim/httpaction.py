"""What every HTTP action of xapi does before its own work [xen-api ocaml/xapi/xapi_http.ml
assert_credentials_ok, with_context; ocaml/idl/datamodel.ml http_actions]:

- the session: `session_id` in the query (or the cookie); missing or unknown is 401, and a
  task_id given ends `failure` with SESSION_AUTHENTICATION_FAILED;
- RBAC: the action's permission `http/<action>` must be among the session's roles, else 403,
  and the task ends `failure` with RBAC_PERMISSION_DENIED [permission, message];
- the task: `task_id` names a task the client made (task.create); the action ends it, `success`
  with its result or `failure` with error_info [code, params...].

Only the pool master serves (a member answers 500 HOST_IS_SLAVE, as transfer.py does).
"""

from urllib.parse import parse_qs, urlsplit

from .errors import Failure
from .transfer import Refused
from .values import now

POOL_ADMIN = frozenset({"pool-admin"})  # _R_POOL_ADMIN
VM_ADMIN = frozenset({"pool-admin", "pool-operator", "vm-power-admin", "vm-admin"})  # _R_VM_ADMIN


def query_of(path):
    return {key: values[-1] for key, values in parse_qs(urlsplit(path).query, keep_blank_values=True).items()}


def flag(query, name, default=False):
    """xapi's find_query_flag: true only when the value is "true"."""
    return query[name] == "true" if name in query else default


class Action:
    """One request of an HTTP action, once its session and roles are checked."""

    def __init__(self, world, address, query, cookie, action, roles):
        self.world, self.query, self.action = world, query, action
        pool, host = world.pool_of_host(address)
        if pool is None:
            raise Refused(404, "Not found: no host at %s" % address)
        self.pool, self.host, self.db = pool, host, pool.db
        session = query.get("session_id")
        for part in (cookie or "").split(";"):
            name, dummy, value = part.strip().partition("=")
            if name == "session_id" and session is None:
                session = value
        task = query.get("task_id")
        self.task = task if task in self.db.tables["task"] else None
        state = self.db.private.get(session, {})
        if session is None or session not in self.db.tables["session"] or \
                state.get("local_host") not in (None, host):
            self.fail(Failure("SESSION_AUTHENTICATION_FAILED"))
            raise Refused(401, "Access to the resource %s requires authentication (a valid session_id)." % action)
        self.session = session
        granted = state.get("roles")
        if granted is not None and not granted & roles and "http/" + action not in granted:
            self.fail(Failure("RBAC_PERMISSION_DENIED", "http/" + action,
                              "No permission in user session. (Roles with this permission: %s)"
                              % ", ".join(sorted(roles))))
            raise Refused(403, "Access to the resource %s is forbidden to this session's roles." % action)
        if host != pool.master:
            self.fail(Failure("HOST_IS_SLAVE", pool.address_of(pool.master)))
            raise Refused(500, "HOST_IS_SLAVE %s: xapisim serves %s on the pool master only"
                          % (pool.address_of(pool.master), action))

    def succeed(self, result=""):
        self._end(status="success", result=result)

    def fail(self, failure):
        self._end(status="failure", error_info=failure.description)

    def progress(self, value):
        with self.db.lock:
            if self.task is not None and self.db.exists("task", self.task):
                self.db.update("task", self.task, progress=value)

    def _end(self, **outcome):
        db = self.db
        with db.lock:
            record = db.tables["task"].get(self.task) if self.task is not None else None
            if record is not None and record["status"] == "pending":
                db.update("task", self.task, progress=1.0, finished=now(), allowed_operations=[], **outcome)
                self.world.counters.task_finished(self.task)


def failed(failure):
    """A XenAPI failure as the HTTP 500 page's text."""
    return " ".join(failure.description)


def read_body(handler, limit):
    """The PUT body (Content-Length needed, as xapi's importers ask), or Refused."""
    if handler.headers.get("Transfer-Encoding"):
        raise Refused(403, "import code cannot handle encoding: %s" % handler.headers["Transfer-Encoding"])
    length = handler.headers.get("Content-Length", "").strip()
    if not length.isdigit():
        raise Refused(400, "a Content-Length header is needed")
    if int(length) > limit:
        raise Refused(413, "%s bytes are more than xapisim takes (%d)" % (length, limit))
    return handler.rfile.read(int(length))
