"""A raw-socket HTTP/1.1 server on loopback whose answers tests script byte by byte.

``http.server`` cannot drip a status line, send a body forever or hold a connection open for a second client; this
can. Each test registers behaviours by name (the last segment of the request path picks one) and reads back what
arrived: every request with its connection's client port, so keep-alive reuse and new connections are visible.

The server stops on its own: every behaviour waits on ``stopping`` (set at teardown) and no loop runs longer than
``MAX_SECONDS``, so a client that never gives up cannot hang the suite.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs

# Nothing a behaviour does lasts longer than this, even when the client under test would wait forever.
MAX_SECONDS = 20.0


@attrs.define
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    port: int  # the client's port: one per connection

    @property
    def behaviour(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


Behaviour = Callable[["Connection", Request], None]


class Connection:
    """One accepted socket, with helpers to answer on it."""

    def __init__(self, server: RawServer, sock: socket.socket, port: int) -> None:
        self.server = server
        self.sock = sock
        self.port = port
        self._buffer = b""

    def read_request(self) -> Request | None:
        while b"\r\n\r\n" not in self._buffer:
            chunk = self._recv()
            if not chunk:
                return None
            self._buffer += chunk
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, path, _ = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self._buffer) < length:
            chunk = self._recv()
            if not chunk:
                return None
            self._buffer += chunk
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return Request(method, path, headers, body, self.port)

    def _recv(self) -> bytes:
        while not self.server.stopping.is_set():
            try:
                return self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return b""
        return b""

    def send(self, data: bytes) -> bool:
        """False once the client has gone away (the behaviour should stop)."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def respond(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bool:
        lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {"Content-Type": "application/json"}).items()]
        return self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> bool:
        return self.respond(status, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})})

    def drip(self, data: bytes, interval: float) -> None:
        """Send ``data`` one byte at a time, ``interval`` seconds apart, until done, stopped or the client leaves."""
        for index in range(len(data)):
            if not self.send(data[index : index + 1]) or self.wait(interval):
                return

    def wait(self, seconds: float) -> bool:
        """Sleep, cut short at teardown; True when the server is stopping."""
        return self.server.stopping.wait(seconds)


def _ok(connection: Connection, request: Request) -> None:
    connection.json(200, {"output": {"path": request.path}})


class RawServer:
    def __init__(self) -> None:
        self.behaviours: dict[str, Behaviour] = {"ok": _ok}
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        self._listener.settimeout(0.05)
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._acceptor = threading.Thread(target=self._accept, name="rawserver-accept", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    @property
    def ports(self) -> list[int]:
        return [request.port for request in self.requests]

    def on(self, name: str, behaviour: Behaviour) -> None:
        self.behaviours[name] = behaviour

    def start(self) -> RawServer:
        self._acceptor.start()
        return self

    def _accept(self) -> None:
        while not self.stopping.is_set() and time.monotonic() - self._started < MAX_SECONDS * 3:
            try:
                sock, (_, port) = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(0.05)
            thread = threading.Thread(target=self._serve, args=(sock, port), daemon=True)
            with self._lock:
                self._sockets.append(sock)
                self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, port: int) -> None:
        connection = Connection(self, sock, port)
        with contextlib.suppress(OSError):
            while not self.stopping.is_set():
                request = connection.read_request()
                if request is None:
                    break
                with self._lock:
                    self.requests.append(request)
                behaviour = self.behaviours.get(request.behaviour, _ok)
                sock.settimeout(None)
                behaviour(connection, request)
                sock.settimeout(0.05)
                if request.behaviour != "ok" and not request.behaviour.startswith("keep"):
                    break
        with contextlib.suppress(OSError):
            sock.close()

    def stop(self) -> None:
        self.stopping.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._acceptor.join(5)
        with self._lock:
            sockets, threads = list(self._sockets), list(self._threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(5)


@contextlib.contextmanager
def raw_server() -> Iterator[RawServer]:
    server = RawServer().start()
    try:
        yield server
    finally:
        server.stop()
