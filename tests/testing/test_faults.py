"""Scripted faults: statuses with Retry-After, latency and timeouts, dropped connections, malformed bodies."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from useparagon.testing import FakeParagon

from tests.testing.support import IN_PROCESS_URL, Api


@pytest.mark.parametrize(
    ("status", "retry_after", "header", "message"),
    [
        (429, 2, "2", "Too many requests."),
        (429, 0.5, "0.5", "Too many requests."),
        (429, "Wed, 21 Oct 2026 07:28:00 GMT", "Wed, 21 Oct 2026 07:28:00 GMT", "Too many requests."),
        (500, None, None, "Internal server error"),
        (502, None, None, "Bad gateway"),
        (503, 1, "1", "Service unavailable"),
    ],
)
def test_status_fault_then_recovery(api: Api, status: int, retry_after: Any, header: str | None, message: str) -> None:
    """A status fault answers Paragon's error body (and Retry-After) ``times`` times, then the route recovers."""
    fault = api.fake.faults.status("getUser", status, retry_after=retry_after, times=2)
    for _ in range(2):
        response = api.call("GET", "/sdk/me")
        assert (response.status_code, response.json()) == (status, {"message": message, "status": status})
        assert response.headers.get("retry-after") == header
    assert api.call("GET", "/sdk/me").status_code == 200
    assert (fault.hits, fault.remaining, api.fake.faults.pending) == (2, 0, [])


def test_faults_only_hit_their_route(api: Api) -> None:
    """A fault on getUser leaves other operations alone and is not consumed by them."""
    api.fake.faults.status("getUser", 500)
    assert api.call("GET", "/sdk/metadata").status_code == 200
    assert api.call("GET", "/sdk/me").status_code == 500


@pytest.mark.parametrize(
    ("route", "hit", "missed"),
    [
        ("GET /projects/{projectId}/sdk/me", "/sdk/me", "/sdk/metadata"),
        ("proxyPost", "/sdk/proxy/slack/chat.postMessage", "/sdk/me"),
        ("*", "/sdk/metadata", None),
    ],
)
def test_route_keys(api: Api, route: str, hit: str, missed: str | None) -> None:
    """Routes are named by operationId, ``"METHOD /template"``, or ``"*"`` for all."""
    api.fake.faults.status(route, 503, times=None)
    method = "POST" if "proxy" in hit else "GET"
    assert api.call(method, hit).status_code == 503
    if missed is not None:
        assert api.call("GET", missed).status_code == 200


def test_times_none_is_forever(api: Api) -> None:
    """``times=None`` keeps failing."""
    fault = api.fake.faults.status("getUser", 500, times=None)
    assert {api.call("GET", "/sdk/me").status_code for _ in range(5)} == {500}
    assert (fault.hits, fault.remaining) == (5, None)
    api.fake.faults.clear()
    assert api.call("GET", "/sdk/me").status_code == 200


def test_faults_fire_in_order(api: Api) -> None:
    """Queued faults on one route fire first-added first."""
    api.fake.faults.status("getUser", 429)
    api.fake.faults.status("getUser", 503)
    assert [api.call("GET", "/sdk/me").status_code for _ in range(3)] == [429, 503, 200]


def test_requests_log_records_faults(api: Api) -> None:
    """``fake.requests`` records the status each request got, faults included."""
    api.fake.faults.status("getUser", 429)
    api.call("GET", "/sdk/me")
    api.call("GET", "/sdk/me")
    path = f"/projects/{api.fake.project_id}/sdk/me"
    assert [(r.method, r.path, r.status, r.operation_id) for r in api.fake.requests] == [
        ("GET", path, 429, "getUser"),
        ("GET", path, 200, "getUser"),
    ]


def test_html_502(api: Api) -> None:
    """``malformed(kind="html")`` answers a load balancer's HTML 502 page."""
    api.fake.faults.malformed("getUser", "html")
    response = api.call("GET", "/sdk/me")
    assert (response.status_code, response.headers["content-type"]) == (502, "text/html")
    assert response.text.startswith("<html>")


def test_empty_json(api: Api) -> None:
    """``empty_json`` answers 200 with a JSON content type and no bytes."""
    api.fake.faults.malformed("getUser", "empty_json")
    response = api.call("GET", "/sdk/me")
    assert (response.status_code, response.headers["content-type"], response.content) == (200, "application/json", b"")


def test_truncated_json_after_processing(api: Api) -> None:
    """``truncated_json`` cuts the real answer in half, after the request changed state."""
    api.fake.faults.malformed("updateUserMetadata", "truncated_json")
    response = api.call("PATCH", "/sdk/me", json={"meta": {"Name": "Ada"}})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert api.fake.user("u1").meta == {"Name": "Ada"}


def test_truncated_json_on_a_bodiless_answer(api: Api) -> None:
    """A truncated 201 with no body becomes a lone ``{``, so there is still JSON to choke on."""
    api.fake.faults.malformed("sendAppEvent", "truncated_json")
    response = api.call("POST", "/sdk/events/trigger", json={"name": "E", "payload": {}})
    assert (response.status_code, response.content) == (200, b"{")


def test_drop_in_process_raises_remote_protocol_error(fake: FakeParagon) -> None:
    """In process, a dropped connection is ``httpx.RemoteProtocolError``, as httpx raises over a socket."""
    fake.faults.drop("getUser")
    with httpx.Client(transport=fake.transport(), base_url=IN_PROCESS_URL) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected"):
            client.get(f"/projects/{fake.project_id}/sdk/me")
        assert client.get(f"/projects/{fake.project_id}/sdk/metadata").status_code == 401
    assert fake.requests[0].status is None


def test_drop_over_http_closes_the_socket(fake: FakeParagon) -> None:
    """Over loopback, the server closes the connection without a byte; the next request works on a new one."""
    fake.faults.drop("getUser")
    with fake.serve() as server, httpx.Client(base_url=server.url) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(f"/projects/{fake.project_id}/sdk/me")
        assert client.get(f"/projects/{fake.project_id}/sdk/me").status_code == 401
        assert server.connections_accepted == 2


@pytest.fixture(params=["in-process", "loopback"])
def slow_client(request: pytest.FixtureRequest, fake: FakeParagon) -> Iterator[httpx.Client]:
    """A client with a 2 s read timeout, in process or over loopback: latencies well under it and far over it, so
    that a loaded machine cannot move an answer across it."""
    timeout = httpx.Timeout(5.0, read=2.0)
    if request.param == "in-process":
        with httpx.Client(transport=fake.transport(), base_url=IN_PROCESS_URL, timeout=timeout) as client:
            yield client
    else:
        with fake.serve() as server, httpx.Client(base_url=server.url, timeout=timeout) as client:
            yield client


def test_latency_within_the_timeout(fake: FakeParagon, slow_client: httpx.Client) -> None:
    """Latency below the read timeout delays the answer by about that long."""
    fake.faults.latency("getIntegrationMetadata", 0.1)
    started = time.monotonic()
    response = slow_client.get(f"/projects/{fake.project_id}/sdk/metadata")
    assert response.status_code == 401
    assert 0.1 <= time.monotonic() - started < 2.0


def test_latency_beyond_the_timeout_raises_read_timeout(fake: FakeParagon, slow_client: httpx.Client) -> None:
    """Latency beyond the read timeout is ``httpx.ReadTimeout``, in process as over a socket."""
    fake.faults.latency("getIntegrationMetadata", 60.0)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        slow_client.get(f"/projects/{fake.project_id}/sdk/metadata")
    # The 2 s timeout fired, not the 60 s latency ran out (the server's wait ends when the test tears it down).
    assert 1.9 <= time.monotonic() - started < 30.0


def test_latency_adds_up_before_a_status(api: Api) -> None:
    """Latency faults add up and let the request go on to the next fault."""
    api.fake.faults.latency("getUser", 0.05)
    api.fake.faults.latency("getUser", 0.05)
    api.fake.faults.status("getUser", 503)
    started = time.monotonic()
    assert api.call("GET", "/sdk/me").status_code == 503
    assert time.monotonic() - started >= 0.1


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda f: f.faults.status("nope", 500), "unknown route 'nope'"),
        (lambda f: f.faults.status("GET /nope", 500), "unknown route"),
        (lambda f: f.faults.status("getUser", 200), "status must be an int from 400 to 599"),
        (lambda f: f.faults.status("getUser", True), "status must be an int"),
        (lambda f: f.faults.latency("getUser", -1), "seconds must not be negative"),
        (lambda f: f.faults.drop("getUser", times=0), "times must be a positive int"),
        (lambda f: f.faults.drop("getUser", times=True), "times must be a positive int"),
        (lambda f: f.faults.malformed("getUser", "xml"), "kind must be one of html, truncated_json, empty_json"),
    ],
)
def test_bad_fault_scripts_are_refused(fake: FakeParagon, call: Any, error: str) -> None:
    """A fault that cannot fire fails when it is scripted, not silently at request time."""
    with pytest.raises(ValueError, match=error):
        call(fake)
    assert fake.faults.pending == []


@pytest.mark.asyncio
async def test_async_transport_latency_and_drop(fake: FakeParagon) -> None:
    """The async transport plays out latency without blocking the loop, and drops as RemoteProtocolError."""
    fake.faults.latency("getIntegrationMetadata", 0.05)
    fake.faults.drop("getUser")
    async with httpx.AsyncClient(transport=fake.async_transport(), base_url=IN_PROCESS_URL) as client:
        started = time.monotonic()
        response = await client.get(f"/projects/{fake.project_id}/sdk/metadata")
        assert response.status_code == 401
        assert time.monotonic() - started >= 0.05
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"/projects/{fake.project_id}/sdk/me")


@pytest.mark.asyncio
async def test_async_transport_read_timeout(fake: FakeParagon) -> None:
    """The async transport raises ReadTimeout when latency exceeds the read timeout."""
    fake.faults.latency("getUser", 1.0)
    timeout = httpx.Timeout(5.0, read=0.1)
    async with httpx.AsyncClient(transport=fake.async_transport(), base_url=IN_PROCESS_URL, timeout=timeout) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"/projects/{fake.project_id}/sdk/me")
