"""FakeParagon in process: httpx transports (sync and async) that answer any host from the shared core.

Faults play out as they would on a socket: a dropped connection raises ``httpx.RemoteProtocolError``, and latency
longer than the request's read timeout waits out the timeout and raises ``httpx.ReadTimeout``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
import httpx

from ._http import CoreRequest, Outcome

Handle = Callable[[CoreRequest], Outcome]


def _core_request(request: httpx.Request, body: bytes) -> CoreRequest:
    return CoreRequest(request.method, request.url.raw_path.decode("ascii"), request.headers, body)


def _wait(outcome: Outcome, request: httpx.Request) -> tuple[float, bool]:
    """How long to sleep, and whether the read timeout expires first."""
    timeouts = request.extensions.get("timeout", {})
    read = timeouts.get("read") if isinstance(timeouts, dict) else None
    if read is not None and outcome.delay > read:
        return float(read), True
    return outcome.delay, False


def _response(outcome: Outcome, request: httpx.Request, timed_out: bool) -> httpx.Response:
    if timed_out:
        raise httpx.ReadTimeout("timed out", request=request)
    if outcome.drop:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
    headers = list(outcome.headers)
    if not any(name.lower() == "content-length" for name, _ in headers):
        headers.append(("Content-Length", str(len(outcome.body))))
    # A stream, not content=: httpx reads content= at once, and a client that streams the body (stream(),
    # download_synced_file) would find it already consumed.
    return httpx.Response(
        outcome.status,
        headers=headers,
        stream=httpx.ByteStream(outcome.body),
        request=request,
        extensions={"http_version": b"HTTP/1.1"},
    )


class FakeTransport(httpx.BaseTransport):
    """``httpx.Client(transport=fake.transport())``."""

    def __init__(self, handle: Handle) -> None:
        self._handle = handle

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        outcome = self._handle(_core_request(request, request.read()))
        delay, timed_out = _wait(outcome, request)
        if delay:
            time.sleep(delay)
        return _response(outcome, request, timed_out)


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=fake.async_transport())``; sleeps without blocking the event loop."""

    def __init__(self, handle: Handle) -> None:
        self._handle = handle

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        outcome = self._handle(_core_request(request, await request.aread()))
        delay, timed_out = _wait(outcome, request)
        if delay:
            await anyio.sleep(delay)
        return _response(outcome, request, timed_out)
