"""HTTP(S) on every address of the world, all on one port, plus the control address.

One acceptor thread watches every listening socket; each connection gets a thread (TLS
handshake included) and keeps its connection alive between requests, like xapi's clients
expect. What a request is for depends on the address it arrived at.
"""

import errno
import html
import http.server
import logging
import selectors
import socket
import threading

from . import backup_http, control, metadata_http, transfer
from .dispatch import dispatch
from .errors import DropConnection, Failure
from .handlers import updates as update_routes
from .wire import jsonrpc, xmlrpc

LOG = logging.getLogger("xapisim")
MAX_BODY = 300 * 1024  # xapi's Constants.http_limit_max_rpc_size: larger RPC bodies are refused (HTTP 500) ...
MAX_DRAIN = 1024 * 1024 * 1024  # ... after reading them away, up to this, so the client sees the answer
XMLRPC_PATHS = ("/", "/RPC2", "/json")
HTTP_ACTIONS = (transfer, update_routes, backup_http, metadata_http)
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "X-Requested-With"}
# xapi's Http_svr.response_internal_error
INTERNAL_ERROR_PAGE = ("<html><body><h1>HTTP 500 internal server error</h1>An unexpected error occurred; please wait a "
                       "while and try again. If the problem persists, please contact your support representative."
                       "<h1> Additional information </h1>%s</body></html>")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "xapi/24.19"
    sys_version = ""

    def log_message(self, *args):
        LOG.debug("%s %s", self.address_string(), args[0] % args[1:])

    # ---- plumbing --------------------------------------------------------------------------
    def _send(self, status, body, content_type, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in {**CORS, **(extra or {})}.items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _error_page(self, status, text):
        """An HTML error page; xapi closes the connection after every one."""
        self.close_connection = True
        if status == 500:
            body = INTERNAL_ERROR_PAGE % html.escape(text, quote=False)
        else:
            body = "<html><body><h1>HTTP %d</h1>%s</body></html>" % (status, html.escape(text, quote=False))
        self._send(status, body.encode("utf-8"), "text/html", {"Cache-Control": "no-cache, no-store"})

    def _read_body(self):
        """The request body, or None once an error page is sent: xapi needs a Content-Length
        and refuses more than http_limit_max_rpc_size with HTTP 500 (Http_svr.read_body)."""
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            self._error_page(500, 'Failure("We require a content-length: HTTP header")')
            return None
        length = int(length)
        if length > MAX_BODY:
            if length <= MAX_DRAIN:
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            self._error_page(500, "Http_svr.Client_requested_size_over_limit")
            return None
        return self.rfile.read(length)

    @property
    def _local_address(self):
        return self.connection.getsockname()[0]

    # ---- verbs -----------------------------------------------------------------------------
    def do_OPTIONS(self):
        """CORS preflight, as xapi's Http_svr.respond_to_options."""
        requested = self.headers.get("Access-Control-Request-Headers")
        allowed = "%s, X-Requested-With" % requested if requested else "X-Requested-With"
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", allowed)
        self.send_header("Access-Control-Allow-Methods", "PUT")
        self.end_headers()

    def do_GET(self):
        self._route("GET")

    def do_DELETE(self):
        self._route("DELETE")

    def do_POST(self):
        self._route("POST")

    def do_PUT(self):
        self._route("PUT")

    def do_PATCH(self):  # Redfish (the lab's BMCs)
        self._route("PATCH")

    def _route(self, verb):
        sim = self.server.sim
        path = self.path.split("?")[0]
        address = self._local_address
        if sim.stopping.is_set():
            self.close_connection = True
            body = self._read_body() if verb in ("POST", "PUT", "PATCH") else b""
            if body is not None:
                self._error_page(503, "xapisim is shutting down")
            return
        if address == sim.control_address and path.startswith("/_sim/"):
            body = self._read_body() if verb in ("POST", "PUT", "DELETE") else b""
            if body is not None:
                status, payload = control.handle(sim, verb, self.path, body)
                self._send(status, payload, "application/json")
            return
        extra = sim.world.extra_endpoints.get(address)
        if extra is not None:
            extra(self, verb, path)
            return
        for routes in HTTP_ACTIONS:  # xapi's HTTP handlers (disks, updates, backups, metadata): not RPCs
            if (verb, path) in routes.ROUTES:
                routes.serve(self, sim.world, verb, address)
                return
        if verb != "POST" or path not in XMLRPC_PATHS + ("/jsonrpc",):
            self._error_page(404, "Not found: %s %s" % (verb, path))
            return
        body = self._read_body()
        if body is None:
            return
        if address not in sim.world.hosts:  # down (reboot, toolstack restart) since this connection opened
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.server.calls.begin()
        try:
            if path == "/jsonrpc":
                self._jsonrpc(sim, address, body)
            else:
                self._xmlrpc(sim, address, body)
        except DropConnection:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        finally:
            self.server.calls.end()

    def _xmlrpc(self, sim, address, body):
        try:
            method, params = xmlrpc.parse_request(body)
        except xmlrpc.MalformedRequest as exc:
            self._error_page(500, str(exc))
            return
        try:
            value = dispatch(sim.world, address, method, params, "xmlrpc")
            payload = xmlrpc.raw(value) if method == "system.listMethods" else xmlrpc.success(value)
        except Failure as failure:
            payload = xmlrpc.failure(failure.description)
        self._send(200, payload, "text/xml")

    def _jsonrpc(self, sim, address, body):
        try:
            request = jsonrpc.parse_request(body)
        except xmlrpc.MalformedRequest as exc:
            self._error_page(500, str(exc))
            return
        try:
            value = dispatch(sim.world, address, request.method, request.params, "jsonrpc")
            payload = jsonrpc.success(request, value)
        except Failure as failure:
            payload = jsonrpc.failure(request, failure.description)
        self._send(200, payload, "application/json")


class InFlight:
    """Calls being answered: stopping lets them finish (with an error) before it closes."""

    def __init__(self):
        self._count = 0
        self._idle = threading.Condition()

    def begin(self):
        with self._idle:
            self._count += 1

    def end(self):
        with self._idle:
            self._count -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout):
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout)


class Listeners:
    """Listening sockets, one per address, all on one port; and the connections they accept."""

    def __init__(self, sim, port):
        self.sim = sim
        self.port = port
        self.sockets = {}  # address -> listening socket
        self.selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self.selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._connections = set()
        self._thread = threading.Thread(target=self._accept_loop, name="xapisim-accept", daemon=True)
        self.closed = threading.Event()
        self.calls = InFlight()

    def _bind(self, address):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, self.port))
        sock.listen(128)
        sock.setblocking(False)
        if self.port == 0:
            self.port = sock.getsockname()[1]
        return sock

    def sync(self, addresses):
        """Listen on exactly these addresses (new ones bound, gone ones closed)."""
        with self._lock:
            for address in addresses:
                if address not in self.sockets:
                    sock = self._bind(address)
                    self.sockets[address] = sock
                    self.selector.register(sock, selectors.EVENT_READ, address)
            for address in list(self.sockets):
                if address not in addresses:
                    sock = self.sockets.pop(address)
                    self.selector.unregister(sock)
                    sock.close()
        self._wake_w.send(b"x")

    def start(self):
        self._thread.start()

    def _accept_loop(self):
        while not self.closed.is_set():
            for key, dummy in self.selector.select(timeout=1.0):
                if key.data is None:
                    self._wake_r.recv(4096)
                    continue
                try:
                    conn, peer = key.fileobj.accept()
                except OSError:
                    continue
                conn.setblocking(True)
                threading.Thread(target=self._serve, args=(conn, peer, key.data), daemon=True,
                                 name="xapisim-conn").start()

    def _serve(self, conn, peer, address):
        with self._lock:
            self._connections.add(conn)
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.sim.tls:
                conn.settimeout(30)
                conn = self.sim.ca.server_context(address).wrap_socket(conn, server_side=True)
                with self._lock:
                    self._connections.add(conn)
            conn.settimeout(None)
            Handler(conn, peer, self)
        except (OSError, ValueError) as exc:  # handshake refused, client went away: that client's problem
            if getattr(exc, "errno", None) not in (None, errno.ECONNRESET, errno.EPIPE):
                LOG.debug("connection from %s ended: %s", peer, exc)
        finally:
            with self._lock:
                self._connections.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.closed.set()
        self._wake_w.send(b"x")
        self._thread.join(timeout=5)
        with self._lock:
            for sock in self.sockets.values():
                sock.close()
            self.sockets.clear()
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.selector.close()
        self._wake_r.close()
        self._wake_w.close()
