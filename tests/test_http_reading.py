"""The send loop around one response: size caps, slow and broken bodies, streams, injected clients and retries.

Both clients over ``httpx.MockTransport`` (``tests/support.py``); the delays are zero or a few tens of milliseconds.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import inspect
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncParagon,
    AsyncStreamedResponse,
    AsyncUserSession,
    InternalServerError,
    Paragon,
    ResponseTooLargeError,
    RetryPolicy,
    StreamedResponse,
)

from tests.support import PROJECT_ID, Harness, MakeHarness, json_response

ME = "GET /projects/{projectId}/sdk/me"
PROXY_ROUTE = "GET /projects/{projectId}/sdk/proxy/{integrationType}/{path}"
FAST = RetryPolicy(initial_delay=0.0)


def _token(request: httpx.Request) -> str:
    return request.headers["authorization"].removeprefix("Bearer ")


def _output(size: int) -> bytes:
    """A proxy response body ``{"output": "aaa…"}`` of exactly ``size`` bytes."""
    body = b'{"output": "' + b"a" * (size - 14) + b'"}'
    assert len(body) == size
    return body


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body for either client: ``pieces`` in turn, each after ``pause`` seconds, then ``error`` if any.

    ``blocking`` pauses with ``time.sleep`` even in the async client, as a busy or badly written transport would,
    so that only the sender's own checks between pieces can notice the time.
    """

    def __init__(
        self, pieces: list[bytes], pause: float = 0.0, error: Exception | None = None, *, blocking: bool = False
    ) -> None:
        self.pieces = pieces
        self.pause = pause
        self.error = error
        self.blocking = blocking

    def __iter__(self) -> Iterator[bytes]:
        for piece in self.pieces:
            time.sleep(self.pause)
            yield piece
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            if self.blocking:
                time.sleep(self.pause)
            else:
                await asyncio.sleep(self.pause)
            yield piece
        if self.error is not None:
            raise self.error


def _read_stream(harness: Harness) -> list[bytes]:
    """Open ``stream("box", "files/1")`` and read every piece, for either flavour."""
    session = harness.session
    if harness.flavor == "sync":
        with session.stream("box", "files/1") as download:  # type: ignore[union-attr]
            assert isinstance(download, StreamedResponse)
            return list(download.iter_bytes())

    async def read() -> list[bytes]:
        async with session.stream("box", "files/1") as download:  # type: ignore[union-attr]
            assert isinstance(download, AsyncStreamedResponse)
            return [piece async for piece in download.aiter_bytes()]

    pieces: list[bytes] = harness.run(read())
    return pieces


# -- max_response_bytes ------------------------------------------------------------------------------------------------


def test_a_body_at_exactly_the_cap_is_read(make_harness: MakeHarness) -> None:
    harness = make_harness(lambda _r: httpx.Response(200, content=_output(1000)), max_response_bytes=1000)
    assert harness.run(harness.session.request("salesforce", "query")) == "a" * 986


@pytest.mark.parametrize("streamed", [False, True], ids=["in memory", "streamed"])
def test_one_byte_over_the_cap_is_a_response_too_large_error(make_harness: MakeHarness, streamed: bool) -> None:
    """The exact error: the route, the status, the cap (with thousands separators), what to do instead."""
    content = _output(1001)

    def handler(_request: httpx.Request) -> httpx.Response:
        if streamed:
            return httpx.Response(201, stream=_Body([content[:600], content[600:]]))
        return httpx.Response(201, content=content)

    harness = make_harness(handler, max_response_bytes=1000, retry=FAST)
    with pytest.raises(ResponseTooLargeError) as caught:
        harness.run(harness.session.request("salesforce", "query"))
    error = caught.value
    assert str(error) == (
        f"{PROXY_ROUTE} returned 201 with a body over 1,000 bytes (max_response_bytes), so reading stopped there;"
        " raise the limit with with_options(max_response_bytes=…), or for a large download through the proxy use"
        " stream()"
    )
    assert (error.method, error.route, error.status_code, error.limit, error.body) == (
        "GET",
        PROXY_ROUTE,
        201,
        1000,
        None,
    )
    assert len(harness.requests) == 1


def test_an_error_body_is_cut_rather_than_refused(make_harness: MakeHarness) -> None:
    """``max_response_bytes`` caps successes; an error body is cut at 1 MiB and still becomes a status error."""
    harness = make_harness(
        lambda _r: httpx.Response(500, stream=_Body([b"x" * 700_000, b"y" * 700_000])),
        max_response_bytes=1000,
        max_retries=0,
    )
    with pytest.raises(InternalServerError) as caught:
        harness.run(harness.session.get_user())
    assert str(caught.value).endswith("… (body cut at 1,048,576 bytes)")
    assert caught.value.body == "x" * 700_000 + "y" * (1024 * 1024 - 700_000)


def _suspended_readers(response: httpx.Response) -> list[str]:
    """The client's async generators still suspended in reading ``response``: the ``aiter_raw`` it opened and its
    streams' own. (httpx's generators beneath ``aiter_raw`` are dropped when it closes, and asyncio closes them.)"""
    found = []
    for value in gc.get_objects():
        if inspect.isasyncgen(value) and value.ag_frame is not None and value.ag_code.co_name != "__aiter__":
            owner = value.ag_frame.f_locals.get("self")
            if owner is response or getattr(owner, "_response", None) is response:
                found.append(value.ag_code.co_name)
    return found


@pytest.mark.parametrize("flavor", ["async"])
@pytest.mark.parametrize("streamed", [False, True], ids=["read", "streamed"])
def test_an_abandoned_body_is_closed_at_once(make_harness: MakeHarness, streamed: bool) -> None:
    """A generator left to the garbage collector is closed late, on an event loop that may be gone by then ("Exception
    ignored in: <async_generator …>"), and an error's traceback keeps it alive; so the reader closes it itself."""
    responses: list[httpx.Response] = []

    def handler(_request: httpx.Request) -> httpx.Response:
        responses.append(httpx.Response(200, stream=_Body([_output(600), _output(600)])))
        return responses[-1]

    harness = make_harness(handler, max_response_bytes=1000, max_retries=0)
    session = harness.client.authenticate("user-123")
    assert isinstance(session, AsyncUserSession)

    async def read() -> tuple[BaseException, list[str]]:
        try:
            if not streamed:
                await session.request("salesforce", "query")
            async with session.stream("salesforce", "query") as download:
                async for _ in download.aiter_bytes():
                    raise ValueError("the caller gives up on the download")
        except (ResponseTooLargeError, ValueError) as error:
            return error, _suspended_readers(responses[0])
        raise AssertionError("no error")

    error, suspended = harness.run(read())
    assert type(error) is (ValueError if streamed else ResponseTooLargeError)
    assert suspended == []


# -- Slow bodies -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("blocking", [False, True], ids=["waiting", "blocking"])
def test_a_body_arriving_past_the_attempts_deadline_times_out(make_harness: MakeHarness, blocking: bool) -> None:
    """Each piece comes well within the read timeout, but the whole body not within the attempt's budget."""
    harness = make_harness(
        lambda _r: httpx.Response(200, stream=_Body([b'{"output": '] + [b" "] * 8 + [b"1}"], 0.03, blocking=blocking)),
        timeout=0.1,
        retry=RetryPolicy(max_retries=0, total_deadline=30.0),
    )
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as caught:
        harness.run(harness.session.request("salesforce", "query"))
    assert time.monotonic() - started < 0.25
    assert str(caught.value) == (
        f"{PROXY_ROUTE} timed out waiting for proxy.useparagon.com to answer"
        " (ReadTimeout; timeout 0.1 s per attempt, 30 s per call)"
    )


@pytest.mark.parametrize("flavor", ["async"])
def test_the_async_client_cuts_an_attempt_at_its_deadline(make_harness: MakeHarness) -> None:
    """A body that never arrives is abandoned when the attempt's time is up, as a read timeout of that request."""
    harness = make_harness(
        lambda _r: httpx.Response(200, stream=_Body([b"{}"], 2.0)),
        timeout=0.05,
        retry=RetryPolicy(max_retries=0, total_deadline=30.0),
    )
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as caught:
        harness.run(harness.session.get_user())
    assert time.monotonic() - started < 1.0
    cause = caught.value.__cause__
    assert isinstance(cause, httpx.ReadTimeout)
    assert str(cause) == "the attempt's deadline passed"
    assert cause.request is harness.requests[0]


def test_a_short_total_deadline_caps_every_phase(make_harness: MakeHarness) -> None:
    """Under a second left in the call: every phase gets what is left, never a minimum of its own."""
    harness = make_harness(
        lambda _r: json_response(200, {"output": None}), retry=RetryPolicy(total_deadline=0.5), timeout=None
    )
    harness.run(harness.session.request("salesforce", "query"))
    (request,) = harness.requests
    seen = request.extensions["timeout"]
    assert set(seen) == {"connect", "read", "write", "pool"}
    assert all(0.3 < value <= 0.5 for value in seen.values())


# -- Streams -----------------------------------------------------------------------------------------------------------


def test_a_stream_broken_midway_is_a_connection_error_without_tracebacks(make_harness: MakeHarness) -> None:
    """The pieces before the failure were handed out; then one typed error, the OS reason, the token redacted."""
    errors: list[BaseException] = []

    def handler(request: httpx.Request) -> httpx.Response:
        try:
            raise OSError(errno.ECONNRESET, "reset")
        except OSError as os_error:
            error = httpx.ReadError(f"lost {_token(request)}_tail", request=request)
            error.__cause__ = os_error
            errors.extend([error, os_error])
        return httpx.Response(200, stream=_Body([b"first"], error=error))

    harness = make_harness(handler)
    pieces: list[bytes] = []
    with pytest.raises(APIConnectionError) as caught:
        pieces = _read_stream(harness)
    assert pieces == []
    assert str(caught.value) == (
        f"{PROXY_ROUTE} failed: no usable response from proxy.useparagon.com: Connection reset by peer (ReadError)"
    )
    assert (caught.value.method, caught.value.route) == ("GET", PROXY_ROUTE)
    assert all(error.__traceback__ is None for error in errors)
    assert len(harness.requests) == 1


def test_a_stream_error_keeps_the_token_out(make_harness: MakeHarness) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        error = httpx.ReadError(f"lost {_token(request)}_tail", request=request)
        return httpx.Response(200, stream=_Body([b"first"], error=error))

    with pytest.raises(APIConnectionError) as caught:
        _read_stream(make_harness(handler))
    assert str(caught.value) == (
        f"{PROXY_ROUTE} failed: no usable response from proxy.useparagon.com: lost [redacted token]_tail (ReadError)"
    )


def test_a_stream_arriving_past_the_attempts_deadline_times_out(make_harness: MakeHarness) -> None:
    harness = make_harness(
        lambda _r: httpx.Response(200, stream=_Body([b"x"] * 10, 0.03)),
        timeout=0.1,
        retry=RetryPolicy(max_retries=0, total_deadline=30.0),
    )
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as caught:
        _read_stream(harness)
    assert time.monotonic() - started < 0.25
    assert str(caught.value).startswith(f"{PROXY_ROUTE} timed out waiting for proxy.useparagon.com to answer")


# -- Injected clients --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [("x" * 300, "x" * 199 + "…"), ("{token}_tail", "Bearer [redacted token]_tail")],
    ids=["long", "token"],
)
def test_an_unusable_client_message_is_bounded_and_redacted(make_harness: MakeHarness, text: str, shown: str) -> None:
    """httpx raises RuntimeError for a client it cannot use (closed meanwhile, or bound to a closed event loop): one
    connection error, never retried, with at most 200 characters of httpx's words and no token."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise RuntimeError(text.replace("{token}", request.headers["authorization"]))

    harness = make_harness(handler)
    with pytest.raises(APIConnectionError) as caught:
        harness.run(harness.session.get_user())
    assert str(caught.value) == f"{ME} failed: the HTTP client cannot send ({shown})"
    assert (caught.value.method, caught.value.route) == ("GET", ME)
    assert caught.value.__cause__ is None
    assert len(harness.requests) == 1


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_an_injected_clients_auth_and_redirect_settings_are_ignored(flavor: str, rsa_key: rsa.RSAPrivateKey) -> None:
    """A client built with ``auth=`` and ``follow_redirects=True`` still sends the user's bearer token, once."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "attacker.example":
            return json_response(200, {})
        return httpx.Response(302, headers={"location": "https://attacker.example/collect"})

    options: dict[str, Any] = {"auth": ("user", "password"), "follow_redirects": True}

    def sync_call() -> None:
        with httpx.Client(transport=httpx.MockTransport(handler), **options) as http:
            Paragon(project_id=PROJECT_ID, signing_key=rsa_key, http_client=http).authenticate("u").get_user()

    async def async_call() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler), **options) as http:
            client = AsyncParagon(project_id=PROJECT_ID, signing_key=rsa_key, http_client=http)
            await client.authenticate("u").get_user()

    with pytest.raises(APIStatusError) as caught:
        sync_call() if flavor == "sync" else asyncio.run(async_call())
    assert caught.value.status_code == 302
    assert [request.url.host for request in seen] == ["api.useparagon.com"]
    assert seen[0].headers["authorization"].startswith("Bearer eyJ")


# -- Retries -----------------------------------------------------------------------------------------------------------


def test_each_retry_is_logged_with_its_reason(make_harness: MakeHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="useparagon")
    answers = iter([json_response(503, {"message": "busy"}), None, json_response(200, {"output": None})])

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if answer is None:
            raise httpx.ConnectError("refused", request=request)
        return answer

    harness = make_harness(handler, retry=FAST)
    assert harness.run(harness.session.request("salesforce", "query")) is None
    lines = [record.getMessage() for record in caplog.records if record.message.startswith("retrying")]
    assert lines == [
        f"retrying {PROXY_ROUTE} in 0.00 s after status 503 (retry 1)",
        f"retrying {PROXY_ROUTE} in 0.00 s after ConnectError (retry 2)",
    ]


def test_a_write_that_never_left_is_retried(make_harness: MakeHarness) -> None:
    """A POST is repeated only after a failure that proves it was never sent: a refused connection is one."""
    answers = iter([None, json_response(200, {"output": {"id": "003"}})])

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if answer is None:
            raise httpx.ConnectError("refused", request=request)
        return answer

    harness = make_harness(handler, retry=FAST)
    call = harness.session.request("salesforce", "sobjects/Contact", method="POST", body={"Name": "Ada"})
    assert harness.run(call) == {"id": "003"}
    assert [request.method for request in harness.requests] == ["POST", "POST"]


def test_a_retry_after_date_in_the_past_retries_at_once(make_harness: MakeHarness) -> None:
    answers = iter(
        [
            json_response(503, {"message": "busy"}, **{"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            json_response(200, {"output": 1}),
        ]
    )
    harness = make_harness(lambda _r: next(answers), retry=FAST)
    assert harness.run(harness.session.request("salesforce", "query")) == 1
    assert len(harness.requests) == 2


def test_a_wait_past_the_total_deadline_is_not_taken(make_harness: MakeHarness) -> None:
    """Retry-After of 2 s with 1 s left in the call: the error now, not after a wait that cannot help."""
    harness = make_harness(
        lambda _r: json_response(503, {"message": "busy"}, **{"retry-after": "2"}),
        retry=RetryPolicy(initial_delay=0.0, total_deadline=1.0),
    )
    started = time.monotonic()
    with pytest.raises(InternalServerError):
        harness.run(harness.session.get_user())
    assert time.monotonic() - started < 0.5
    assert len(harness.requests) == 1


def test_a_request_body_is_sent_as_given(make_harness: MakeHarness) -> None:
    harness = make_harness(lambda _r: json_response(200, {"output": {"id": "003"}}))
    harness.run(harness.session.request("salesforce", "sobjects/Contact", method="POST", body={"Name": "Ada"}))
    (request,) = harness.requests
    assert json.loads(request.content) == {"Name": "Ada"}


def test_the_debug_line_times_the_attempt_in_milliseconds(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="useparagon")

    def handler(_request: httpx.Request) -> httpx.Response:
        time.sleep(0.03)
        return json_response(200, {"output": None})

    harness = make_harness(handler)
    harness.run(harness.session.request("salesforce", "query"))
    found = [
        match for record in caplog.records if (match := re.search(r" -> 200 in (\d+\.\d) ms", record.getMessage()))
    ]
    assert len(found) == 1
    assert 25.0 <= float(found[0].group(1)) < 900.0
