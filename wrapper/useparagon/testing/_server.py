"""FakeParagon over real loopback HTTP/1.1: stdlib ``ThreadingHTTPServer``, keep-alive, one thread per connection.

``close()`` stops accepting, shuts down every open connection (so idle keep-alive threads wake up), interrupts
scripted latency, and joins every thread: nothing outlives the ``with`` block.

A burst of new connections waits in the listen backlog rather than being refused, and a client that hangs up in the
middle of a request or a response costs that connection only: nothing is printed. Anything else that goes wrong
while serving a connection is a bug in the server and is printed to stderr with its traceback.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx

from ._http import CoreRequest, Outcome, error_body, json_outcome
from ._transport import Handle

MAX_BODY_BYTES = 16 * 1024 * 1024
# How often serve_forever() looks for a shutdown request: close() returns within about this long.
POLL_INTERVAL = 0.02
# An idle keep-alive connection is closed after this long, like a load balancer would.
IDLE_TIMEOUT = 60.0
# Connections the kernel completes before the accept loop takes them. socketserver's default of 5 made a test's burst
# of 64 simultaneous clients see resets or stalls; the kernel may cap it lower (net.core.somaxconn, 4096 on Linux 5.4+).
LISTEN_BACKLOG = 128
# What an OSError says when the client went away mid-request or mid-response (most are ConnectionError already).
_CLIENT_GONE_ERRNOS = frozenset(
    {errno.EPIPE, errno.ECONNRESET, errno.ECONNABORTED, errno.ENOTCONN, errno.ESHUTDOWN, errno.ENETRESET}
)


def _client_went_away(error: BaseException | None) -> bool:
    """Whether ``error`` only says that the other end of the connection is gone (a reset, a broken pipe)."""
    return isinstance(error, ConnectionError) or (isinstance(error, OSError) and error.errno in _CLIENT_GONE_ERRNOS)


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], handle: Handle) -> None:
        super().__init__(address, _Handler)
        self.handle_core = handle
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.accepted = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
            self.accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Called from the except block around one connection's handling. A client hanging up is routine for a test
        # server (timeouts, cancelled tasks, killed processes) and ends only that connection; anything else is a bug.
        if _client_went_away(sys.exc_info()[1]):
            return
        super().handle_error(request, client_address)

    def abort_connections(self) -> None:
        with self._connections_lock:
            for connection in list(self._connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeParagon"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    # Headers and body leave in separate writes; with Nagle on, each answer waits out the client's delayed ACK.
    disable_nagle_algorithm = True
    server: _Server

    def do_any(self) -> None:
        try:
            body = self._read_body()
        except ValueError as exc:
            self._send(json_outcome(400, error_body(400, str(exc))))
            self.close_connection = True
            return
        headers = httpx.Headers([(k, v) for k, v in self.headers.items()])
        try:
            outcome = self.server.handle_core(CoreRequest(self.command, self.path, headers, body))
        except Exception:
            # A test's proxy or action handler raised: say so loudly, answer 500 (never a traceback on the wire).
            traceback.print_exc(file=sys.stderr)
            outcome = json_outcome(500, error_body(500, "FakeParagon: a registered handler raised; see stderr."))
        if outcome.delay and self.server.stopping.wait(outcome.delay):
            self.close_connection = True
            return
        if outcome.drop:
            self.close_connection = True
            return
        self._send(outcome)

    def __getattr__(self, name: str) -> Any:
        # Every method (TRACE, PROPFIND…) reaches the core, which answers unknown ones 404 as NestJS does.
        if name.startswith("do_"):
            return self.do_any
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length", "0").strip() or "0"
        if not length_header.isdigit():
            raise ValueError("Invalid Content-Length.")
        length = int(length_header)
        if length > MAX_BODY_BYTES:
            raise ValueError("Request body too large.")
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise ValueError("Invalid chunked body.") from None
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise ValueError("Request body too large.")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _send(self, outcome: Outcome) -> None:
        self.send_response(outcome.status)
        for name, value in outcome.headers:
            self.send_header(name, value)
        if outcome.status >= 200 and outcome.status not in (204, 304):
            self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        if self.command != "HEAD" and outcome.body:
            self.wfile.write(outcome.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server answers malformed requests with an HTML page; Paragon answers JSON. A request line too broken
        # to name its version would otherwise get a bare HTTP/0.9 answer with no status line.
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            self.request_version = self.protocol_version
        self._send(json_outcome(code, error_body(code, message or "Bad request")))

    def log_message(self, format: str, *args: Any) -> None:
        # FakeParagon.requests is the log; stderr stays quiet (and no request line can leak a token there).
        return


class FakeServer:
    """FakeParagon listening on loopback. ``url`` is known as soon as it is created (the port is bound)."""

    def __init__(self, handle: Handle, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), handle)
        self._thread: threading.Thread | None = None
        self._serving = False
        self._teardown_lock = threading.Lock()
        bound_host, bound_port = self._server.server_address[:2]
        shown = bound_host.decode() if isinstance(bound_host, bytes | bytearray) else str(bound_host)
        self.host: str = shown
        self.port = int(bound_port)
        self.url = f"http://{shown}:{self.port}" if ":" not in shown else f"http://[{shown}]:{self.port}"

    def __repr__(self) -> str:
        return f"FakeServer(url={self.url!r}, running={self.running})"

    @property
    def connections_accepted(self) -> int:
        """How many TCP connections the server accepted (keep-alive reuses one)."""
        return self._server.accepted

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> FakeServer:
        """Serve in a background thread; returns self."""
        if self._thread is None and not self._serving:
            self._serving = True
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(POLL_INTERVAL,), name=f"FakeParagon {self.url}"
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until ``close()`` is called from another one or Ctrl-C; then clean up."""
        if self._serving:
            raise RuntimeError("this FakeServer is already serving")
        self._serving = True
        try:
            self._server.serve_forever(POLL_INTERVAL)
        except KeyboardInterrupt:
            pass
        finally:
            self._teardown()

    def close(self) -> None:
        if self._serving and not self._server.stopping.is_set():
            # Only a running serve_forever() ever acknowledges shutdown(); calling it otherwise would hang.
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join()
        self._teardown()

    def _teardown(self) -> None:
        with self._teardown_lock:
            if self._server.stopping.is_set():
                return
            self._server.stopping.set()
        self._server.abort_connections()
        self._server.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
