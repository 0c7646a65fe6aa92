"""Deadlines over real loopback sockets: ``timeout`` bounds an attempt's whole wall time, ``total_deadline`` the call.

httpx's timeouts bound each socket read, so a server that sends one byte every 250 ms never trips a 1 s read
timeout: before this, such a server held ``get_user()``, ``request()`` and ``event()`` for as long as it liked.
Every case here drips for far longer than the timeout (50 s), so a client without a whole-attempt deadline fails
the upper bound. Bounds are generous (the machine is shared): an attempt never ends *before* its timeout, and ends
within 3 s after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import APITimeoutError, AsyncParagon, InternalServerError, Paragon, RetryPolicy

from tests.rawserver import Connection, RawServer, Request, raw_server
from tests.support import PROJECT_ID

DRIP_INTERVAL = 0.25
DRIP_BYTES = 200  # 50 s of dripping: far past every timeout below
SLACK = 3.0  # how late an attempt may end on a loaded machine


def drip_body(connection: Connection, _request: Request) -> None:
    """Headers at once, then the body one byte at a time."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {DRIP_BYTES}\r\n\r\n"
    if connection.send(head.encode()):
        connection.drip(b" " * DRIP_BYTES, DRIP_INTERVAL)


def drip_head(connection: Connection, _request: Request) -> None:
    """The status line and headers themselves, one byte at a time (the response never even starts)."""
    head = "HTTP/1.1 200 OK\r\n" + "".join(f"X-Padding-{n}: {'x' * 10}\r\n" for n in range(10))
    connection.drip(head.encode(), DRIP_INTERVAL)


def drip_chunked(connection: Connection, _request: Request) -> None:
    """A chunked body whose chunks are one byte each, 250 ms apart, that never ends."""
    if not connection.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"):
        return
    for _ in range(DRIP_BYTES):
        if not connection.send(b"1\r\n \r\n") or connection.wait(DRIP_INTERVAL):
            return


def unavailable_for_long(connection: Connection, _request: Request) -> None:
    connection.json(503, {"message": "maintenance"}, {"Retry-After": "30"})


BEHAVIOURS = {"drip-body": drip_body, "drip-head": drip_head, "drip-chunked": drip_chunked}


@pytest.fixture
def server() -> Iterator[RawServer]:
    with raw_server() as running:
        for name, behaviour in BEHAVIOURS.items():
            running.on(name, behaviour)
        running.on("unavailable", unavailable_for_long)
        yield running


Run = Callable[[Any], Any]


def make_client(flavor: str, server: RawServer, key: rsa.RSAPrivateKey, **options: Any) -> Paragon | AsyncParagon:
    settings: dict[str, Any] = {
        "project_id": PROJECT_ID,
        "signing_key": key,
        "api_url": server.url,
        "proxy_url": server.url,
        **options,
    }
    return Paragon(**settings) if flavor == "sync" else AsyncParagon(**settings)


def timed(client: Paragon | AsyncParagon, action: Callable[[], Any]) -> tuple[BaseException | None, float]:
    """Run ``action`` (in a fresh event loop for the async client, which is closed in it), timing it; the exception
    it raised, if any. The client is closed afterwards."""
    started = time.monotonic()
    try:
        if isinstance(client, AsyncParagon):

            async def run() -> None:
                try:
                    await action()
                finally:
                    await client.aclose()

            asyncio.run(run())
        else:
            with client:
                action()
    except Exception as error:  # the test inspects it
        return error, time.monotonic() - started
    return None, time.monotonic() - started


# The calls, each pointed at a dripping behaviour by the last segment of its path.
CALLS: dict[str, Callable[[Paragon | AsyncParagon, str], Callable[[], Any]]] = {
    "proxied GET": lambda client, behaviour: (
        lambda: client.authenticate("user-1").request("salesforce", f"objects/{behaviour}")
    ),
    "proxied POST": lambda client, behaviour: (
        lambda: client.authenticate("user-1").request(
            "salesforce", f"objects/{behaviour}", method="POST", body={"LastName": "Lovelace"}
        )
    ),
    "raw proxied GET": lambda client, behaviour: (
        lambda: client.authenticate("user-1").request("salesforce", f"objects/{behaviour}", raw=True)
    ),
}


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
@pytest.mark.parametrize("call", list(CALLS))
def test_a_dripping_server_ends_the_attempt_at_its_timeout(
    server: RawServer, rsa_key: rsa.RSAPrivateKey, flavor: str, behaviour: str, call: str
) -> None:
    """``timeout=1`` and one byte every 250 ms (headers or body): APITimeoutError after 1 s, not 50 s, with one
    request sent (max_retries=0)."""
    client = make_client(flavor, server, rsa_key, timeout=1.0, max_retries=0)
    error, elapsed = timed(client, CALLS[call](client, behaviour))
    assert isinstance(error, APITimeoutError), error
    assert "timed out" in str(error)
    assert 0.9 <= elapsed <= 1.0 + SLACK
    assert [request.behaviour for request in server.requests] == [behaviour]


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize(
    ("segment", "call"),
    [
        ("me", lambda user: user.get_user()),
        ("trigger", lambda user: user.event("Contact Created", {"email": "a@b.co"})),
        ("integrations", lambda user: user.get_integrations()),
    ],
    ids=["get_user", "event", "get_integrations"],
)
def test_sdk_calls_end_at_their_timeout_against_a_dripping_server(
    server: RawServer, rsa_key: rsa.RSAPrivateKey, flavor: str, segment: str, call: Callable[[Any], Any]
) -> None:
    """get_user(), event() and get_integrations() against a body that drips: APITimeoutError after ``timeout``."""
    server.on(segment, drip_body)
    client = make_client(flavor, server, rsa_key, timeout=1.0, max_retries=0)
    user = client.authenticate("user-1")
    error, elapsed = timed(client, lambda: call(user))
    assert isinstance(error, APITimeoutError), error
    assert 0.9 <= elapsed <= 1.0 + SLACK
    assert len(server.requests) == 1


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_the_total_deadline_bounds_every_attempt_and_wait(
    server: RawServer, rsa_key: rsa.RSAPrivateKey, flavor: str
) -> None:
    """``timeout=0.6``, ``total_deadline=1.5``, a GET that is retried: attempts of 0.6 s, 0.6 s, then what is left of
    the 1.5 s; the call ends at 1.5 s, not after three full attempts, and never sleeps past the deadline."""
    retry = RetryPolicy(max_retries=5, initial_delay=0.01, total_deadline=1.5)
    client = make_client(flavor, server, rsa_key, timeout=0.6, retry=retry)
    error, elapsed = timed(client, CALLS["proxied GET"](client, "drip-body"))
    assert isinstance(error, APITimeoutError), error
    assert 1.4 <= elapsed <= 1.5 + SLACK
    assert 2 <= len(server.requests) <= 3


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_no_timeout_per_attempt_still_ends_at_the_total_deadline(
    server: RawServer, rsa_key: rsa.RSAPrivateKey, flavor: str
) -> None:
    """``timeout=None`` turns off the per-attempt limit, not the call's: the drip ends at ``total_deadline``."""
    client = make_client(flavor, server, rsa_key, timeout=None, retry=RetryPolicy(max_retries=0, total_deadline=1.0))
    error, elapsed = timed(client, CALLS["proxied GET"](client, "drip-body"))
    assert isinstance(error, APITimeoutError), error
    assert 0.9 <= elapsed <= 1.0 + SLACK


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_retry_after_past_the_deadline_is_not_slept(
    server: RawServer, rsa_key: rsa.RSAPrivateKey, flavor: str
) -> None:
    """503 with ``Retry-After: 30`` and 10 s left of the call: the error at once, one request, no 30 s sleep."""
    retry = RetryPolicy(max_retry_after=60.0, total_deadline=10.0)
    client = make_client(flavor, server, rsa_key, retry=retry)
    error, elapsed = timed(client, CALLS["proxied GET"](client, "unavailable"))
    assert isinstance(error, InternalServerError), error
    assert elapsed <= SLACK
    assert len(server.requests) == 1


def test_an_injected_client_is_still_bounded_between_reads(server: RawServer, rsa_key: rsa.RSAPrivateKey) -> None:
    """With an injected ``httpx.Client`` (its own pool, which cannot enforce the deadline on each socket read), the
    body is still checked against the deadline between reads: the call ends within timeout + one drip interval."""
    with httpx.Client() as http:
        client = Paragon(
            project_id=PROJECT_ID,
            signing_key=rsa_key,
            proxy_url=server.url,
            timeout=1.0,
            max_retries=0,
            http_client=http,
        )
        error, elapsed = timed(client, CALLS["proxied GET"](client, "drip-body"))
    assert isinstance(error, APITimeoutError), error
    assert 0.9 <= elapsed <= 1.0 + DRIP_INTERVAL + SLACK


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_stream_is_bounded_by_the_same_deadline(server: RawServer, rsa_key: rsa.RSAPrivateKey, flavor: str) -> None:
    """``stream()`` hands the body over unread, but each read still has to finish within the attempt's deadline:
    a dripping download ends with APITimeoutError after ``timeout``, having handed out the bytes that came."""
    client = make_client(flavor, server, rsa_key, timeout=1.0, max_retries=0)
    received: list[bytes] = []

    def sync_download() -> None:
        assert isinstance(client, Paragon)
        with client.authenticate("user-1").stream("box", "files/drip-body") as download:
            received.extend(download.iter_bytes())

    async def async_download() -> None:
        assert isinstance(client, AsyncParagon)
        async with client.authenticate("user-1").stream("box", "files/drip-body") as download:
            async for piece in download.aiter_bytes():
                received.append(piece)

    error, elapsed = timed(client, sync_download if flavor == "sync" else async_download)
    assert isinstance(error, APITimeoutError), error
    assert 0.9 <= elapsed <= 1.0 + SLACK
    assert 0 < len(b"".join(received)) < DRIP_BYTES
