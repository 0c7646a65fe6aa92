"""The loopback server: HTTP/1.1 keep-alive, concurrency, CORS, JSON errors for bad requests, clean shutdown, bursts
of new connections, and clients that hang up."""

from __future__ import annotations

import errno
import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from useparagon.testing import FakeParagon, FakeServer, ProxyRequest, _server

T = TypeVar("T")


def _fake_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("FakeParagon")]


@pytest.fixture
def server(fake: FakeParagon) -> Iterator[FakeServer]:
    """``fake`` on loopback for one test."""
    with fake.serve() as running:
        yield running


def _auth(fake: FakeParagon, user: str = "u1") -> dict[str, str]:
    return {"Authorization": f"Bearer {fake.sign_user_token(user)}"}


def test_url_and_repr(fake: FakeParagon) -> None:
    """The port is bound at creation, so ``url`` is usable before the server runs."""
    server = fake.serve()
    try:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.port > 0
        assert repr(server) == f"FakeServer(url={server.url!r}, running=False)"
    finally:
        server.close()


def test_keep_alive_reuses_one_connection(fake: FakeParagon, server: FakeServer) -> None:
    """Twenty sequential requests from one client travel on one HTTP/1.1 connection."""
    with httpx.Client(base_url=server.url) as client:
        for _ in range(20):
            response = client.get(f"/projects/{fake.project_id}/sdk/metadata", headers=_auth(fake))
            assert response.status_code == 200
            assert response.http_version == "HTTP/1.1"
            assert int(response.headers["content-length"]) == len(response.content)
    assert server.connections_accepted == 1


def test_concurrent_requests_are_served_in_parallel(fake: FakeParagon, server: FakeServer) -> None:
    """Eight requests in flight at once: a handler waits for all eight, which only works if they run concurrently."""
    barrier = threading.Barrier(8, timeout=5)

    def handler(request: ProxyRequest) -> tuple[int, Any]:
        barrier.wait()
        return 200, {"user": request.user_id}

    fake.on_proxy("slack", "wait", handler)
    for n in range(8):
        fake.user(f"u{n}").connect("slack")
    results: dict[int, int] = {}

    def call(n: int) -> None:
        with httpx.Client(base_url=server.url) as client:
            url = f"/projects/{fake.project_id}/sdk/proxy/slack/wait"
            results[n] = client.get(url, headers=_auth(fake, f"u{n}")).status_code

    threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == dict.fromkeys(range(8), 200)
    assert len(fake.user_ids) == 8


def test_state_is_consistent_under_concurrent_writes(fake: FakeParagon, server: FakeServer) -> None:
    """Concurrent App Events from many threads are all logged, none lost."""

    def send(n: int) -> None:
        with httpx.Client(base_url=server.url) as client:
            for i in range(10):
                client.post(
                    f"/projects/{fake.project_id}/sdk/events/trigger",
                    json={"name": "E", "payload": {"n": n, "i": i}},
                    headers=_auth(fake, f"u{n}"),
                )

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted((e.payload["n"], e.payload["i"]) for e in fake.events) == [
        (n, i) for n in range(6) for i in range(10)
    ]


def test_cors_preflight(fake: FakeParagon, server: FakeServer) -> None:
    """OPTIONS answers 204 with the CORS headers a browser needs, without a token."""
    with httpx.Client(base_url=server.url) as client:
        response = client.options(
            f"/projects/{fake.project_id}/sdk/me",
            headers={
                "Origin": "http://localhost:3000",
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "PATCH" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "authorization, content-type"
    assert response.headers["access-control-max-age"] == "600"


def test_cors_headers_on_every_answer(fake: FakeParagon, server: FakeServer) -> None:
    """Actual responses (errors included) carry Allow-Origin and expose Retry-After and X-Request-Id."""
    with httpx.Client(base_url=server.url) as client:
        response = client.get(f"/projects/{fake.project_id}/sdk/me", headers={"Origin": "http://app.test"})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "http://app.test"
    assert "Retry-After" in response.headers["access-control-expose-headers"]
    assert response.headers["x-request-id"].startswith("req_fake_")


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/nope", "Cannot GET /nope"),
        ("TRACE", "/projects/p/sdk/me", "Cannot TRACE /projects/p/sdk/me"),
        ("POST", "/projects/p/sdk/me", "Cannot POST /projects/p/sdk/me"),
        ("GET", "/projects//sdk/me", "Cannot GET /projects//sdk/me"),
        ("GET", "/projects/p/sdk/proxy/", "Cannot GET /projects/p/sdk/proxy/"),
    ],
)
def test_unknown_routes_get_nest_style_404(server: FakeServer, method: str, path: str, message: str) -> None:
    """An unknown route or method gets a JSON 404 the way Paragon's NestJS services answer it."""
    with httpx.Client(base_url=server.url) as client:
        response = client.request(method, path)
    assert (response.status_code, response.json()) == (404, {"message": message, "status": 404})


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"NOT A REQUEST\r\n\r\n", 400, None),
        (b"GET /x HTTP/1.1 extra\r\n\r\n", 400, None),
        (b"GET /x HTTP/2.0\r\n\r\n", 505, None),
        (b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, "Invalid Content-Length."),
        (b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "Invalid chunked body."),
    ],
)
def test_malformed_requests_get_json_errors(server: FakeServer, raw: bytes, status: int, message: str | None) -> None:
    """Broken requests get a JSON error body (never http.server's HTML page) and the connection is closed.

    ``None``: http.server's own wording, which differs between Python versions.
    """
    with socket.create_connection((server.host, server.port), timeout=5) as connection:
        connection.sendall(raw)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status}".encode())
    assert b"Content-Type: application/json" in head
    error = json.loads(body)
    assert set(error) == {"message", "status"}
    assert error["status"] == status
    if message is None:
        assert isinstance(error["message"], str)
        assert error["message"]
    else:
        assert error["message"] == message


def test_chunked_request_body(fake: FakeParagon, server: FakeServer) -> None:
    """A chunked request body is read whole."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        body = iter([b'{"meta": ', b'{"Name": "Ada"}}'])
        headers = {**_auth(fake), "Content-Type": "application/json"}
        connection.request(
            "PATCH", f"/projects/{fake.project_id}/sdk/me", body=body, headers=headers, encode_chunked=True
        )
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())["meta"]) == (200, {"Name": "Ada"})
    finally:
        connection.close()


def test_close_joins_every_thread_even_with_idle_keep_alive(fake: FakeParagon) -> None:
    """Exiting the ``with`` block stops the server while a client still holds an idle keep-alive connection."""
    before = _fake_threads()
    with fake.serve() as server, httpx.Client(base_url=server.url) as client:
        client.get("/nope")
        started = time.monotonic()
        server.close()
        assert time.monotonic() - started < 2
        assert not server.running
    assert _fake_threads() == before
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/nope")


def test_close_interrupts_latency(fake: FakeParagon) -> None:
    """A request sleeping in scripted latency does not hold up shutdown: its connection is closed."""
    fake.faults.latency("getUser", 30)
    errors: list[BaseException] = []
    server = fake.serve().start()

    def slow() -> None:
        try:
            httpx.get(f"{server.url}/projects/{fake.project_id}/sdk/me", timeout=10)
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.close()
    thread.join(5)
    assert time.monotonic() - started < 2
    assert len(errors) == 1
    assert isinstance(errors[0], httpx.RemoteProtocolError)


def test_serve_forever_blocks_until_closed(fake: FakeParagon) -> None:
    """The CLI entry point: ``serve_forever()`` serves in the calling thread until ``close()`` from another."""
    server = fake.serve()
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        response = httpx.get(f"{server.url}/projects/{fake.project_id}/sdk/metadata", headers=_auth(fake))
        assert response.status_code == 200
    finally:
        server.close()
        thread.join(5)
    assert not thread.is_alive()
    with pytest.raises(RuntimeError, match="already serving"):
        server.serve_forever()


def test_head_has_no_body(server: FakeServer) -> None:
    """HEAD gets the headers (Content-Length of the would-be body) and no body."""
    with httpx.Client(base_url=server.url) as client:
        response = client.head("/nope")
    assert response.status_code == 404
    assert response.content == b""
    assert int(response.headers["content-length"]) > 0


def test_a_trailing_slash_matches_like_express(fake: FakeParagon, server: FakeServer) -> None:
    """Express routes are not strict: ``/sdk/me/`` is ``/sdk/me``; a proxy path keeps its trailing slash."""
    fake.user("u1").connect("hubspot")
    with httpx.Client(base_url=server.url, headers=_auth(fake)) as client:
        assert client.get(f"/projects/{fake.project_id}/sdk/me/").json()["userId"] == "u1"
        echoed = client.get(f"/projects/{fake.project_id}/sdk/proxy/hubspot/a/b/").json()
    assert echoed["output"]["path"] == "a/b/"


# ---------------------------------------------------------------------------------------------------------------------
# Bursts of new connections, and clients that hang up

BURST = 64
# Generous for a loopback handshake and one small request even on a busy 2-core machine; no test measures time.
BURST_TIMEOUT = 30.0


def _at_once(count: int, task: Callable[[int], T]) -> list[T | Exception]:
    """Run ``task(0)`` … ``task(count - 1)`` in ``count`` threads released together by a barrier; return each
    result or the exception it raised, in order."""
    barrier = threading.Barrier(count, timeout=BURST_TIMEOUT)
    outcomes: list[T | Exception] = [RuntimeError("never ran")] * count

    def run(n: int) -> None:
        try:
            barrier.wait()
            outcomes[n] = task(n)
        except Exception as exc:  # reported through outcomes: a thread's exception would be lost
            outcomes[n] = exc

    threads = [threading.Thread(target=run, args=(n,), name=f"burst-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(4 * BURST_TIMEOUT)
    assert not [thread.name for thread in threads if thread.is_alive()]
    return outcomes


def _read_to_eof(connection: socket.socket) -> bytes:
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    return data


def test_a_burst_of_64_new_connections_is_served(fake: FakeParagon) -> None:
    """64 clients connect at the same moment, before the accept loop takes any of them (the worst case of a burst:
    a busy machine, a thread holding the GIL), then all POST an App Event at once: 64 answers 201, 64 events.

    The kernel completes a handshake only while the listen backlog has room; with socketserver's default of 5 the
    sixth client onwards is left retrying its SYN and times out, as 17 of 64 did in the issue.
    """
    server = fake.serve()  # bound and listening; nothing is accepted until start()
    connections: list[socket.socket] = []
    lock = threading.Lock()

    def connect(n: int) -> None:
        connection = socket.create_connection((server.host, server.port), timeout=BURST_TIMEOUT)
        with lock:
            connections.append(connection)

    token = fake.sign_user_token("u1")

    def post(n: int) -> bytes:
        body = json.dumps({"name": "Burst", "payload": {"n": n}}).encode()
        head = (
            f"POST /projects/{fake.project_id}/sdk/events/trigger HTTP/1.1\r\nHost: {server.host}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        connections[n].sendall(head.encode() + body)
        return _read_to_eof(connections[n]).partition(b"\r\n")[0]

    try:
        connected = _at_once(BURST, connect)
        assert [outcome for outcome in connected if outcome is not None] == []
        server.start()
        statuses = _at_once(BURST, post)
    finally:
        for connection in connections:
            connection.close()
        server.close()
    assert statuses == [b"HTTP/1.1 201 Created"] * BURST
    assert server.connections_accepted == BURST
    assert len(fake.requests) == BURST
    assert sorted(event.payload["n"] for event in fake.events) == list(range(BURST))


def _reset(connection: socket.socket) -> None:
    """Close with SO_LINGER 0: the kernel sends an RST, as for a killed client or a proxy giving up."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def _half_body(fake: FakeParagon) -> bytes:
    return (
        f"POST /projects/{fake.project_id}/sdk/events/trigger HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {fake.sign_user_token('u1')}\r\nContent-Type: application/json\r\n"
        'Content-Length: 1000\r\n\r\n{"name": "E", "pay'
    ).encode()


HANG_UPS: list[tuple[str, Callable[[FakeParagon], bytes], bool]] = [
    ("connect, then reset", lambda fake: b"", True),
    ("half a request line, then reset", lambda fake: b"GET /projects/p/sdk/me HT", True),
    ("headers without their end, then reset", lambda fake: b"GET /nope HTTP/1.1\r\nHost: x\r\n", True),
    ("half a body, then reset", _half_body, True),
    ("a whole request, then reset", lambda fake: b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", True),
    ("half a request line, then close", lambda fake: b"GET /projects/p/sdk/me HT", False),
    ("half a body, then close", _half_body, False),
]


def _assert_still_serving(fake: FakeParagon, server: FakeServer) -> None:
    response = httpx.get(f"{server.url}/projects/{fake.project_id}/sdk/metadata", headers=_auth(fake), timeout=30)
    assert response.status_code == 200


@pytest.mark.parametrize(("case", "sent", "reset"), HANG_UPS, ids=[row[0] for row in HANG_UPS])
def test_clients_hanging_up_mid_request_print_nothing(
    fake: FakeParagon, capfd: pytest.CaptureFixture[str], case: str, sent: Callable[[FakeParagon], bytes], reset: bool
) -> None:
    """Five clients connect, send part of a request (or all of it) and reset or close the socket: the server prints
    no traceback (closing joins every connection's thread, so nothing is still pending) and keeps serving."""
    with fake.serve() as server:
        for _ in range(5):
            connection = socket.create_connection((server.host, server.port), timeout=30)
            connection.sendall(sent(fake))
            if reset:
                _reset(connection)
            else:
                connection.close()
        _assert_still_serving(fake, server)
    assert server.connections_accepted == 6
    assert capfd.readouterr().err == ""


def test_a_client_resetting_mid_response_prints_nothing(fake: FakeParagon, capfd: pytest.CaptureFixture[str]) -> None:
    """A client reads the first bytes of a 32 MiB answer (more than any socket buffer holds) and resets: the
    server's write fails with a reset or a broken pipe, which ends that connection quietly; the server keeps
    serving."""
    fake.on_proxy("hubspot", "big", lambda request: (200, b"x" * (32 << 20), {"Content-Type": "text/plain"}))
    fake.user("u1").connect("hubspot")
    with fake.serve() as server:
        for _ in range(3):
            connection = socket.create_connection((server.host, server.port), timeout=30)
            connection.sendall(
                f"GET /projects/{fake.project_id}/sdk/proxy/hubspot/big HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {fake.sign_user_token('u1')}\r\nX-Paragon-Use-Raw-Response: 1\r\n\r\n".encode()
            )
            head = b""
            while b"\r\n" not in head and (chunk := connection.recv(1024)):
                head += chunk
            assert head.startswith(b"HTTP/1.1 200 ")
            _reset(connection)
        _assert_still_serving(fake, server)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    "error",
    [RuntimeError("a bug in the server"), OSError(errno.EMFILE, "Too many open files")],
    ids=["RuntimeError", "OSError EMFILE"],
)
def test_server_errors_still_print_a_traceback(
    fake: FakeParagon, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """Only a client hanging up is kept quiet: any other failure while serving a connection is a bug in the fake,
    printed to stderr with its traceback; that connection is closed and the server keeps serving."""

    def broken(handler: object) -> bytes:
        raise error

    with fake.serve() as server:
        monkeypatch.setattr(_server._Handler, "_read_body", broken)
        with socket.create_connection((server.host, server.port), timeout=30) as connection:
            connection.sendall(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_to_eof(connection) == b""
        monkeypatch.undo()
        _assert_still_serving(fake, server)
    err = capfd.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert f"{type(error).__name__}: {error}" in err


@pytest.mark.parametrize(
    ("error", "quiet"),
    [
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), True),
        (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), True),
        (ConnectionAbortedError(errno.ECONNABORTED, "Software caused connection abort"), True),
        (OSError(errno.ENOTCONN, "Transport endpoint is not connected"), True),
        (OSError(errno.ESHUTDOWN, "Cannot send after transport endpoint shutdown"), True),
        (OSError(errno.ENETRESET, "Connection reset by network"), True),
        (OSError(errno.EMFILE, "Too many open files"), False),
        (OSError(errno.EBADF, "Bad file descriptor"), False),
        (OSError("no errno"), False),
        (RuntimeError("bug"), False),
        (ValueError("I/O operation on closed file."), False),
        (None, False),
    ],
    ids=repr,
)
def test_only_a_client_going_away_counts_as_a_hang_up(error: BaseException | None, quiet: bool) -> None:
    """The classification behind the quiet hang-ups: resets, broken pipes and aborted connections, never other
    errors."""
    assert _server._client_went_away(error) is quiet


def test_the_connect_portal_stand_in_page(fake: FakeParagon, http: httpx.Client) -> None:
    """The JS SDK's iframe URL, ``{CONNECT_PUBLIC_URL}/ui?projectId=…``, answers a small HTML page without a token
    (in process and over loopback); other methods and paths under it are still 404."""
    page = http.get("/ui", params={"projectId": fake.project_id})
    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert b"FakeParagon's stand-in for the Connect Portal" in page.content
    assert b"window.fakeParagonMessages" in page.content
    assert http.post("/ui").json() == {"message": "Cannot POST /ui", "status": 404}
    assert http.get("/ui/x").json() == {"message": "Cannot GET /ui/x", "status": 404}
    assert [(r.method, r.path, r.status, r.operation_id) for r in fake.requests] == [
        ("GET", "/ui", 200, None),
        ("POST", "/ui", 404, None),
        ("GET", "/ui/x", 404, None),
    ]
