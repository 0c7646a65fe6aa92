"""The loopback server: HTTP/1.1 keep-alive, concurrency, CORS, JSON errors for bad requests, clean shutdown."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from useparagon.testing import FakeParagon, FakeServer, ProxyRequest


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
        ("GET", "/projects/p/sdk/proxy/slack/", "Cannot GET /projects/p/sdk/proxy/slack/"),
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
