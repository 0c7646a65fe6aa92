"""Transport policy over real loopback HTTP: timeouts really fire, failed
connections are closed, ``timeout=None`` means no timeout, and one connection pool serves every user session.

The server is a threaded stdlib ``http.server`` on 127.0.0.1 (port 0), started for each test and shut down at its
teardown: handler threads are joined, idle keep-alive sockets are shut down first, and a slow handler's wait ends
as soon as the test does. The last segment of the proxied path picks the server's behaviour:

    ok              200 {"output": {"ok": true}}
    sleep-<ms>      wait <ms> milliseconds (cut short at teardown), then 200
    close           read the request, then close the connection without answering
    status-<code>   answer <code> with a JSON error body

Both flavours run every test; the clients own their httpx pool (``DEFAULT_LIMITS``), as a user's would.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    APIConnectionError,
    APITimeoutError,
    AsyncParagon,
    AsyncUserSession,
    InternalServerError,
    Paragon,
    RetryPolicy,
    UserSession,
)
from useparagon._constants import DEFAULT_LIMITS, HTTPMethod

from tests.support import PROJECT_ID, close_loop

OK = {"ok": True}
BODY = {"LastName": "Lovelace"}
LATE = 2.0  # how late a timer may fire, or a thread run, on a loaded 2-core machine (seconds)


class LoopbackServer(ThreadingHTTPServer):
    """Counts what the client really did: requests received, connections accepted, connections open at once."""

    daemon_threads = False  # server_close() joins every handler thread, so none outlives its test
    block_on_close = True
    request_queue_size = 256  # 100 clients connecting at once must not overflow the listen backlog

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self.requests: list[tuple[str, str]] = []  # (method, behaviour), in arrival order
        self.peers: list[int] = []  # the client port of every accepted connection
        self.open_connections = 0
        self.peak_connections = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def opened(self, sock: socket.socket, port: int) -> None:
        with self._lock:
            self._sockets.add(sock)
            self.peers.append(port)
            self.open_connections += 1
            self.peak_connections = max(self.peak_connections, self.open_connections)

    def closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
            self.open_connections -= 1

    def record(self, method: str, behaviour: str) -> None:
        with self._lock:
            self.requests.append((method, behaviour))

    def hang_up_all(self) -> None:
        """Shut down every still-open connection, so handler threads blocked reading a keep-alive socket end now."""
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed by its handler
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout tests) resets its connection: expected, and not worth a traceback."""

    def wait_until_all_closed(self, within: float = 2.0) -> int:
        """Open connections once every handler noticed its client hung up (or after ``within`` seconds)."""
        deadline = time.monotonic() + within
        while self.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.open_connections


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is visible
    timeout = 10  # no connection can pin a server thread for longer, whatever happens
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle + delayed ACK add 40 ms to each reused connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.opened(self.connection, self.client_address[1])

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output stays readable."""

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        behaviour = urllib.parse.urlsplit(self.path).path.rsplit("/", 1)[-1]
        self.server.record(self.command, behaviour)
        if behaviour == "close":
            self.close_connection = True
            return
        status = 200
        if behaviour.startswith("sleep-"):
            self.server.release.wait(int(behaviour.removeprefix("sleep-")) / 1000)
        elif behaviour.startswith("status-"):
            status = int(behaviour.removeprefix("status-"))
        body = json.dumps({"output": OK} if status == 200 else {"message": f"status {status}"}).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client timed out and hung up: nobody is left to answer
            self.close_connection = True

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A threaded loopback server for one test, shut down (threads joined, sockets closed) at teardown."""
    httpd = LoopbackServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="loopback-server")
    thread.start()
    try:
        yield httpd
    finally:
        httpd.release.set()
        httpd.shutdown()
        thread.join(5)
        httpd.hang_up_all()
        httpd.server_close()
        assert not thread.is_alive()


class Loopback:
    """A ``Paragon`` or ``AsyncParagon`` whose SDK API and Proxy API are the loopback server."""

    def __init__(self, flavor: str, server: LoopbackServer, pem: str, **options: Any) -> None:
        self.flavor = flavor
        self.loop = asyncio.new_event_loop() if flavor == "async" else None
        options.setdefault("retry", RetryPolicy(initial_delay=0.0))
        settings: dict[str, Any] = {
            "project_id": PROJECT_ID,
            "signing_key": pem,
            "api_url": server.url,
            "proxy_url": server.url,
            **options,
        }
        self.paragon: Paragon | AsyncParagon = Paragon(**settings) if flavor == "sync" else AsyncParagon(**settings)
        self.user: UserSession | AsyncUserSession = self.paragon.authenticate("user-123")

    def run(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            assert self.loop is not None
            return self.loop.run_until_complete(value)
        return value

    def request(self, behaviour: str, method: HTTPMethod = "GET") -> Any:
        body = None if method in ("GET", "DELETE") else BODY
        return self.run(self.user.request("salesforce", f"objects/{behaviour}", method=method, body=body))

    @property
    def pool(self) -> httpcore.ConnectionPool | httpcore.AsyncConnectionPool:
        """The httpcore pool behind the client's own ``httpx`` transport (for asyncio: this loop's)."""
        http = self.paragon._pool.client if isinstance(self.paragon, Paragon) else self.run(self._loop_client())
        transport = http._transport
        assert isinstance(transport, httpx.HTTPTransport | httpx.AsyncHTTPTransport)
        return transport._pool

    async def _loop_client(self) -> httpx.AsyncClient:
        assert isinstance(self.paragon, AsyncParagon)
        return self.paragon._pool.get()

    def close(self) -> None:
        if isinstance(self.paragon, AsyncParagon):
            self.run(self.paragon.aclose())
        else:
            self.paragon.close()
        if self.loop is not None:
            close_loop(self.loop)


@pytest.fixture
def loopback(flavor: str, server: LoopbackServer, rsa_pem: str) -> Iterator[Callable[..., Loopback]]:
    """``loopback(**Paragon options)``: clients on the loopback server, closed before the server stops."""
    made: list[Loopback] = []

    def make(**options: Any) -> Loopback:
        client = Loopback(flavor, server, rsa_pem, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


# -- Timeouts ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "attempts"), [("GET", 3), ("POST", 1)])
def test_a_slow_endpoint_times_out_after_the_exact_attempts(
    loopback: Callable[..., Loopback], server: LoopbackServer, method: HTTPMethod, attempts: int
) -> None:
    """``timeout=0.2`` against a 5 s endpoint: APITimeoutError after 3 GET attempts (1 for a proxied POST), within
    attempts x 0.2 s + the largest possible backoff (0.05 + 0.1 s) + LATE, and the pool holds no connection after.
    LATE is how late a loaded machine may be; it stays far below the 5 s a timeout that never fired would take.

    Leaks are checked on the client's own httpcore pool (``_transport._pool.connections``): httpcore drops a
    connection from that list only once it is closed, and a connection that timed out mid-response can never be
    reused, so an empty list after the failure means no socket was left behind.
    """
    client = loopback(timeout=0.2, retry=RetryPolicy(initial_delay=0.05))
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as caught:
        client.request("sleep-5000", method)
    elapsed = time.monotonic() - started
    assert type(caught.value.__cause__) is httpx.ReadTimeout
    assert server.requests == [(method, "sleep-5000")] * attempts
    assert attempts * 0.2 <= elapsed <= attempts * 0.2 + 0.15 + LATE
    assert client.pool.connections == []
    assert len(server.peers) == attempts  # a timed-out connection is never reused


def test_timeout_none_means_no_timeout(loopback: Callable[..., Loopback], server: LoopbackServer) -> None:
    """A 0.3 s answer arrives with ``timeout=None``; with ``timeout=0.1`` it fails after 3 timed-out attempts."""
    patient = loopback(timeout=None)
    assert patient.paragon.timeout == httpx.Timeout(None)
    assert patient.request("sleep-300") == OK
    hasty = loopback(timeout=0.1)
    with pytest.raises(APITimeoutError):
        hasty.request("sleep-300")
    assert server.requests == [("GET", "sleep-300")] * 4
    assert hasty.pool.connections == []


# -- Connections closed by the server ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "attempts"), [("GET", 3), ("DELETE", 1), ("POST", 1), ("PATCH", 1)])
def test_a_server_that_hangs_up_without_answering(
    loopback: Callable[..., Loopback], server: LoopbackServer, method: HTTPMethod, attempts: int
) -> None:
    """The server reads the request and closes the connection: APIConnectionError (not a timeout) after 3 attempts
    for a proxied GET and 1 for a proxied write (the request did arrive, and a provider's DELETE need not be
    idempotent), and no connection left open on either side.

    Client side: the httpcore pool's connection list is empty. Server side: every accepted connection was closed.
    """
    client = loopback()
    with pytest.raises(APIConnectionError) as caught:
        client.request("close", method)
    assert type(caught.value) is APIConnectionError
    assert type(caught.value.__cause__) is httpx.RemoteProtocolError
    assert server.requests == [(method, "close")] * attempts
    assert client.pool.connections == []
    assert len(server.peers) == attempts
    assert server.wait_until_all_closed() == 0


@pytest.mark.parametrize(("method", "attempts"), [("GET", 3), ("POST", 1)])
def test_a_status_error_returns_its_connection_to_the_pool(
    loopback: Callable[..., Loopback], server: LoopbackServer, method: HTTPMethod, attempts: int
) -> None:
    """503s are read to the end and their connection goes back to the pool: every attempt reuses the one
    keep-alive connection, which is idle (not held by a leaked response) once the error is raised."""
    client = loopback()
    with pytest.raises(InternalServerError) as caught:
        client.request("status-503", method)
    assert caught.value.body == {"message": "status 503"}
    assert server.requests == [(method, "status-503")] * attempts
    assert len(server.peers) == 1
    (connection,) = client.pool.connections
    assert connection.is_idle()
    assert client.request("ok") == OK
    assert len(server.peers) == 1


# -- One pool for every user ------------------------------------------------------------------------------------------

USERS = 100
CALLS_PER_USER = 3
WORKERS = 20
MAX_CONNECTIONS = DEFAULT_LIMITS.max_connections or 0
# Connections httpcore may open to replace ones it found closed under it (see the tests below): a margin, far below
# what a real defect costs (a connection per session or per call: 100 or more).
REPLACED = 10


def test_one_pool_serves_every_user_session(
    loopback: Callable[..., Loopback], server: LoopbackServer, flavor: str
) -> None:
    """100 user sessions x 3 calls, 20 at a time (threads, or tasks behind a semaphore), go through the client's
    single httpx client: connections are kept alive and reused, so the server sees about 20 in all, far fewer
    than one per session (100) or per call (300).

    Not exactly 20: httpcore replaces a connection it finds closed (or past its keep-alive expiry, on a machine
    loaded enough to stall a worker) when it takes it from the pool, so a few more may open. The client never
    holds more than 20 at once: only 20 calls are ever in flight.
    """
    client = loopback()
    paragon = client.paragon
    sessions = [paragon.authenticate(f"user-{index}") for index in range(USERS)]
    assert {id(session._sender.pool) for session in sessions} == {id(paragon._pool)}

    if isinstance(paragon, Paragon):

        def calls(session: UserSession | AsyncUserSession) -> list[Any]:
            assert isinstance(session, UserSession)
            return [session.request("salesforce", "objects/ok") for _ in range(CALLS_PER_USER)]

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            results = [result for batch in pool.map(calls, sessions) for result in batch]
    else:

        async def everyone() -> list[Any]:
            slots = asyncio.Semaphore(WORKERS)

            async def calls(session: UserSession | AsyncUserSession) -> list[Any]:
                assert isinstance(session, AsyncUserSession)
                async with slots:
                    return [await session.request("salesforce", "objects/ok") for _ in range(CALLS_PER_USER)]

            batches = await asyncio.gather(*(calls(session) for session in sessions))
            return [result for batch in batches for result in batch]

        results = client.run(everyone())

    assert results == [OK] * (USERS * CALLS_PER_USER)
    assert len(server.requests) == USERS * CALLS_PER_USER
    assert len(server.peers) <= WORKERS + REPLACED, server.peers
    # The server counts a connection until its handler notices the hang-up, so a replaced one may overlap its
    # successor there; the client's own pool never holds more than one per call in flight.
    assert server.peak_connections <= WORKERS + REPLACED
    assert len(client.pool.connections) <= WORKERS


def test_a_burst_past_the_pool_limit_reuses_connections(
    loopback: Callable[..., Loopback], server: LoopbackServer
) -> None:
    """150 users call a 500 ms endpoint at the same instant: the pool opens up to 100 connections (its limit), the
    other calls wait for one and then reuse it, so the server accepts about 100 connections in all, not 150.

    (With httpx's default keep-alive limit of 20, httpcore closed each freed connection and opened a new one for
    every queued call: 150 connections for 150 calls. See DEFAULT_LIMITS.) A few replaced connections are allowed
    (REPLACED, as above).
    """
    burst = 150
    client = loopback()
    paragon = client.paragon
    sessions = [paragon.authenticate(f"user-{index}") for index in range(burst)]
    if isinstance(paragon, Paragon):
        start = threading.Barrier(burst)

        def call(session: UserSession | AsyncUserSession) -> Any:
            assert isinstance(session, UserSession)
            start.wait(5)
            return session.request("salesforce", "objects/sleep-500")

        with ThreadPoolExecutor(max_workers=burst) as pool:
            results = list(pool.map(call, sessions))
    else:

        async def everyone() -> list[Any]:
            return await asyncio.gather(*(session.request("salesforce", "objects/sleep-500") for session in sessions))

        results = client.run(everyone())
    assert results == [OK] * burst
    assert MAX_CONNECTIONS == 100
    assert len(server.peers) <= MAX_CONNECTIONS + REPLACED < burst, server.peers
    # The burst did fill the pool well past httpx's keep-alive default of 20, or the bound above would prove nothing
    # (the 500 ms answer leaves a loaded machine time to start 50 calls before the first connection is free).
    assert 50 <= server.peak_connections <= MAX_CONNECTIONS + REPLACED


def test_with_options_clients_share_the_pool(loopback: Callable[..., Loopback], server: LoopbackServer) -> None:
    """``with_options`` derives a client that sends through the same httpx client, so through the same pool."""
    client = loopback()
    derived = client.paragon.with_options(max_retries=0)
    assert derived._pool is client.paragon._pool
    session = derived.authenticate("user-7")
    assert client.run(session.request("salesforce", "objects/ok")) == OK
    assert client.run(client.user.request("salesforce", "objects/ok")) == OK
    with pytest.raises(InternalServerError):
        client.run(session.request("salesforce", "objects/status-503"))
    assert server.requests == [("GET", "ok"), ("GET", "ok"), ("GET", "status-503")]
    assert len(server.peers) == 1


def test_every_client_verifies_tls_with_one_shared_context(rsa_key: rsa.RSAPrivateKey) -> None:
    """Loading the CA bundle costs about 50 ms per context: clients, sync and async, share one verified context."""

    def context_of(transport: httpx.BaseTransport | httpx.AsyncBaseTransport) -> ssl.SSLContext:
        pool = getattr(transport, "_pool", None)
        assert isinstance(pool, httpcore.ConnectionPool | httpcore.AsyncConnectionPool)
        context = pool._ssl_context
        assert context is not None
        return context

    first, second = (Paragon(project_id=PROJECT_ID, signing_key=rsa_key) for _ in range(2))
    async_client = AsyncParagon(project_id=PROJECT_ID, signing_key=rsa_key)

    async def async_transport() -> httpx.AsyncBaseTransport:
        return async_client._pool.get()._transport

    contexts = [
        context_of(first._pool.get()._transport),
        context_of(second._pool.get()._transport),
        context_of(asyncio.run(async_transport())),
    ]
    first.close()
    second.close()
    asyncio.run(async_client.aclose())
    assert contexts[0] is contexts[1] is contexts[2]
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED
    assert contexts[0].check_hostname
