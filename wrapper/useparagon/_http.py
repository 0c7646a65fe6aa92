"""Sending one API call: deadlines, bounded reads, retries with backoff, Retry-After, logging and error mapping.

The decisions live in ``_Attempts`` (no I/O); ``SyncSender`` and ``AsyncSender`` only send, read and sleep, so
the two clients cannot drift apart.

Time: ``timeout`` bounds each attempt's whole wall time (connect, send, the full body), and the retry policy's
``total_deadline`` bounds the call, sleeps included. The sync pool enforces the attempt's deadline on every socket
operation (``_pool``); the async sender runs each attempt under ``asyncio.timeout``; an injected client's reads
are still checked between chunks.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import re
import socket
import time
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import attrs
import httpx

from ._body import BodyTooLarge, read_body, read_body_async
from ._calls import Call
from ._config import ServiceURLs
from ._constants import MAX_ERROR_BODY_BYTES
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    InvalidRequestError,
    ParagonError,
    ResponseTooLargeError,
    preview,
    status_error_class,
)
from ._logging import logger
from ._patterns import lazy_pattern
from ._pool import ATTEMPT_DEADLINE, AsyncPool, SyncPool
from ._relayed import not_enabled_hint, provider_message
from ._retry import RetryPolicy
from ._secret import Secret
from ._stream import AsyncStreamedResponse, StreamedResponse
from ._types import safe_attrs_repr

T = TypeVar("T")

_REQUEST_ID_HEADERS = ("x-request-id", "x-paragon-request-id", "request-id", "x-amzn-requestid")
# Runs of base64url characters and dots: a character class without alternation, so the search is linear in the
# text's length whatever it holds (a JWT pattern with nested repeats took 13 s on 180 KB of "eyJ").
_TOKEN_RUN = lazy_pattern(r"[A-Za-z0-9_.\-]{16,}")
_REDACTED_TOKEN = "[redacted token]"
# Enough text for any message preview; scrubbing and summarising never look further into a body.
_MESSAGE_SOURCE_CHARS = 8192
_MAX_VALIDATION_DEPTH = 16
_MAX_VALIDATION_MESSAGES = 50


def _attempt_budget(timeout: httpx.Timeout) -> float | None:
    values = [value for value in (timeout.connect, timeout.read, timeout.write, timeout.pool) if value is not None]
    return max(values) if values else None


@attrs.define(repr=False)
class SendSettings:
    """What every send needs to know, shared by all user sessions of one client."""

    __repr__ = safe_attrs_repr

    urls: ServiceURLs
    timeout: httpx.Timeout
    retry: RetryPolicy
    headers: Mapping[str, str]
    max_response_bytes: int | None
    _bases: dict[str, tuple[str, str]] = attrs.field(init=False, repr=False)
    attempt_budget: float | None = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._bases = {
            service: (url, httpx.URL(url).host)
            for service, url in (
                ("api", self.urls.api),
                ("proxy", self.urls.proxy),
                ("actionkit", self.urls.actionkit),
                ("sync", self.urls.sync),
            )
        }
        self.attempt_budget = _attempt_budget(self.timeout)

    def build_request(
        self, client: httpx.Client | httpx.AsyncClient, call: Call[Any], token: Secret[str]
    ) -> httpx.Request:
        base, host = self._bases[call.service]
        request = client.build_request(
            call.method,
            _parse_url(base + call.path),
            params=call.params,
            # Built in the call, never bound to a local: error trackers record every frame's locals.
            headers={**self.headers, "Authorization": "Bearer " + token.reveal(), **(call.headers or {})},
            content=call.content,
            timeout=self.timeout,  # pragma: no mutate (begin() replaces the request's timeouts before each attempt)
        )
        # Defence in depth: every caller-supplied piece was validated, but the token must never leave for another host.
        if request.url.host != host:
            raise InvalidRequestError(f"refusing to send {call.route} to a host other than the configured one")
        return request


class _Attempts(Generic[T]):
    """The retry state of one call: feed it each outcome, it answers with a wait, a result or an exception."""

    __slots__ = (
        "attempt_started",
        "call",
        "deadline",
        "ends",
        "request",
        "result",
        "retries",
        "settings",
        "started",
        "token",
    )

    def __init__(self, settings: SendSettings, call: Call[T], request: httpx.Request, token: Secret[str]) -> None:
        self.settings = settings
        self.call = call
        self.request = request
        self.token = token
        self.retries = 0
        self.started = time.monotonic()
        self.deadline = self.started + settings.retry.total_deadline
        # Timed with our own clock: httpx sets ``response.elapsed`` only when a response stream closes, and a
        # response built in memory (MockTransport, FakeParagon) has none, so reading it there raises RuntimeError.
        self.attempt_started = self.started  # pragma: no mutate (begin() sets it before any response is read)
        self.ends = self.deadline  # pragma: no mutate (begin() sets it before any use)
        self.result: T

    def begin(self) -> float:
        """Start an attempt: the monotonic time it must end by. Each phase's own timeout is capped to fit in it."""
        now = time.monotonic()
        self.attempt_started = now
        budget = self.settings.attempt_budget
        # Computed without a round trip through the deadline: (now + 60) - now is not always 60.0.
        left = max(self.deadline - now, 0.0)
        if budget is not None and budget < left:
            left = budget
            self.ends = now + budget
        else:
            self.ends = self.deadline
        ends = self.ends
        timeouts = self.settings.timeout
        self.request.extensions["timeout"] = {
            "connect": left if timeouts.connect is None else min(timeouts.connect, left),
            "read": left if timeouts.read is None else min(timeouts.read, left),
            "write": left if timeouts.write is None else min(timeouts.write, left),
            "pool": left if timeouts.pool is None else min(timeouts.pool, left),
        }
        return ends

    def body_limit(self, response: httpx.Response) -> tuple[int | None, bool]:
        """How much of this response's body to read, and whether to cut it there (an error body) rather than fail."""
        if response.is_success:
            return self.settings.max_response_bytes, False
        return MAX_ERROR_BODY_BYTES, True

    def on_response(self, response: httpx.Response, content: bytes | None) -> float | None:
        """None when finished (``result`` is set); a wait in seconds before the next attempt; or raises.

        ``content`` is the body read under the limits: the whole body for a success, at most
        ``MAX_ERROR_BODY_BYTES`` (plus one piece, telling it was cut) for a failure, and None for a stream.
        """
        call = self.call
        status = response.status_code
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s -> %d in %.1f ms (attempt %d, request id %s)",
                call.route,
                status,
                max(0.0, time.monotonic() - self.attempt_started) * 1000,
                self.retries + 1,
                _request_id(response.headers),
            )
        # The raw body may echo the token; frames of the errors raised below must not hold it in a local.
        if 200 <= status < 300:
            del content
            if call.stream:
                self.result = response  # type: ignore[assignment]
                return None
            try:
                self.result = call.parse(response)
            except ParagonError:
                raise
            except Exception as error:  # a parser may fail in any way on hostile JSON
                raise _validation_error(call, response, error, self.token) from None
            return None
        failure = _status_error(call, response, content or b"", self.token)
        del content
        delay = self.settings.retry.delay_after_status(
            status,
            response.headers,
            self.retries,
            time.time(),
            replayable=call.replayable,
            from_paragon=not call.relayed_status and not failure.is_integration_error,
        )
        return self._next_wait(delay, failure, f"status {status}")

    def on_error(self, error: httpx.HTTPError) -> float:
        call = self.call
        wrapped = _transport_error(call, self.request, error, self.settings, self.token)
        _drop_tracebacks(error)
        if not isinstance(error, httpx.TransportError):
            raise wrapped from error
        delay = self.settings.retry.delay_after_error(error, self.retries, replayable=call.replayable)
        return self._next_wait(delay, wrapped, type(error).__name__, cause=error)

    def stream_error(self, error: httpx.HTTPError) -> APIError:
        """A failure while a streamed body is being read: never retried (part of it was handed out)."""
        _drop_tracebacks(error)
        return _transport_error(self.call, self.request, error, self.settings, self.token)

    def on_too_large(self, response: httpx.Response) -> ResponseTooLargeError:
        limit = self.settings.max_response_bytes or 0
        call = self.call
        return ResponseTooLargeError(
            f"{call.route} returned {response.status_code} with a body over {limit:,} bytes (max_response_bytes),"
            " so reading stopped there; raise the limit with with_options(max_response_bytes=…), or for a large"
            " download through the proxy use stream()",
            method=call.method,
            route=call.route,
            status_code=response.status_code,
            limit=limit,
        )

    def on_unusable_client(self, error: RuntimeError) -> APIConnectionError:
        # httpx raises RuntimeError when an injected client was closed meanwhile, or belongs to a closed event loop.
        call = self.call
        return APIConnectionError(
            f"{call.route} failed: the HTTP client cannot send ({preview(_scrub(str(error), self.token), 200)})",
            method=call.method,
            route=call.route,
        )

    def _next_wait(self, delay: float | None, error: APIError, reason: str, cause: Exception | None = None) -> float:
        if delay is None or time.monotonic() + delay >= self.deadline:
            raise error from cause
        self.retries += 1
        logger.info(
            "retrying %s in %.2f s after %s (retry %d)",
            self.call.route,
            delay,
            reason,
            self.retries,
        )
        return delay


class SyncSender:
    def __init__(self, settings: SendSettings, pool: SyncPool) -> None:
        self.settings = settings
        self.pool = pool

    def send(self, call: Call[T], token: Secret[str]) -> T:
        return self._run(call, token).result

    def open_stream(self, call: Call[Any], token: Secret[str]) -> StreamedResponse:
        attempts = self._run(call, token)
        return StreamedResponse(attempts.result, attempts.ends, attempts.stream_error)

    def _run(self, call: Call[T], token: Secret[str]) -> _Attempts[T]:
        client = self.pool.get()
        attempts = _Attempts(self.settings, call, self.settings.build_request(client, call, token), token)
        while True:
            ends = attempts.begin()
            outer = ATTEMPT_DEADLINE.set(ends)
            try:
                wait = self._attempt(client, attempts, ends)
            except httpx.HTTPError as error:
                wait = attempts.on_error(error)
            finally:
                ATTEMPT_DEADLINE.reset(outer)
            if wait is None:
                return attempts
            time.sleep(wait)

    @staticmethod
    def _attempt(client: httpx.Client, attempts: _Attempts[T], ends: float) -> float | None:
        try:
            # auth=None: an injected client's own auth= would replace the user's bearer token.
            response = client.send(attempts.request, auth=None, follow_redirects=False, stream=True)
        except RuntimeError as error:
            raise attempts.on_unusable_client(error) from None
        if attempts.call.stream and response.is_success:
            return attempts.on_response(response, None)
        limit, truncate = attempts.body_limit(response)
        try:
            # Passed on without a local: the raw body may echo the token, and error trackers record locals.
            return attempts.on_response(response, read_body(response, limit, ends, truncate=truncate))
        except BodyTooLarge:
            raise attempts.on_too_large(response) from None


class AsyncSender:
    def __init__(self, settings: SendSettings, pool: AsyncPool) -> None:
        self.settings = settings
        self.pool = pool

    async def send(self, call: Call[T], token: Secret[str]) -> T:
        return (await self._run(call, token)).result

    async def open_stream(self, call: Call[Any], token: Secret[str]) -> AsyncStreamedResponse:
        attempts = await self._run(call, token)
        return AsyncStreamedResponse(attempts.result, attempts.ends, attempts.stream_error)

    async def _run(self, call: Call[T], token: Secret[str]) -> _Attempts[T]:
        import asyncio

        client = self.pool.get()
        attempts = _Attempts(self.settings, call, self.settings.build_request(client, call, token), token)
        while True:
            ends = attempts.begin()
            try:
                async with asyncio.timeout_at(_loop_time(ends)):
                    wait = await self._attempt(client, attempts, ends)
            except httpx.HTTPError as error:
                wait = attempts.on_error(error)
            except TimeoutError:
                # asyncio.timeout cannot tell in which phase it struck, so it counts as a read timeout: a write
                # may have reached the server and is not repeated.
                wait = attempts.on_error(httpx.ReadTimeout("the attempt's deadline passed", request=attempts.request))
            if wait is None:
                return attempts
            await asyncio.sleep(wait)

    @staticmethod
    async def _attempt(client: httpx.AsyncClient, attempts: _Attempts[T], ends: float) -> float | None:
        try:
            response = await client.send(attempts.request, auth=None, follow_redirects=False, stream=True)
        except RuntimeError as error:
            raise attempts.on_unusable_client(error) from None
        if attempts.call.stream and response.is_success:
            return attempts.on_response(response, None)
        limit, truncate = attempts.body_limit(response)
        try:
            # Passed on without a local: the raw body may echo the token, and error trackers record locals.
            return attempts.on_response(response, await read_body_async(response, limit, ends, truncate=truncate))
        except BodyTooLarge:
            raise attempts.on_too_large(response) from None


def _loop_time(monotonic_deadline: float) -> float:
    # asyncio's clock is time.monotonic() in CPython's loops, but another loop may keep its own.
    import asyncio

    loop = asyncio.get_running_loop()
    return loop.time() + (monotonic_deadline - time.monotonic())


@functools.lru_cache(maxsize=1024)
def _parse_url(url: str) -> httpx.URL:
    # Parsing a URL is a third of what httpx spends building a request; a session repeats the same few URLs.
    return httpx.URL(url)


def _request_id(headers: httpx.Headers) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return preview(value, 100)
    return None


def _redact_jwt(match: re.Match[str]) -> str:
    run = match.group()
    start = run.find("eyJ")
    if start < 0 or run.count(".", start) < 2:
        return run
    return run[:start] + _REDACTED_TOKEN


def _scrub(text: str, token: Secret[str] | None = None) -> str:
    """``text`` without the user's token or anything shaped like a JWT; linear in ``len(text)``."""
    if token is not None and len(token):
        text = text.replace(token.reveal(), _REDACTED_TOKEN)
    return _TOKEN_RUN().sub(_redact_jwt, text)


def _without_token(content: bytes, token: Secret[str] | None) -> bytes:
    # A server echoing the request (an Authorization header in a debug body) must not park the token in .body.
    if token is None or not len(token):
        return content
    return content.replace(token.reveal().encode("utf-8", "replace"), _REDACTED_TOKEN.encode())


def _decode_body(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        # Not JSON, or JSON nested deeper than the parser's recursion allows: the text is still worth keeping.
        return content.decode("utf-8", errors="replace")


def _head(content: bytes) -> str:
    return content[:_MESSAGE_SOURCE_CHARS].decode("utf-8", errors="replace")


def _describe(body: Any, content: bytes) -> str:
    """The server's own explanation, flattened: Paragon's ``message`` may be a list of validation errors."""
    if body is None:
        return "(empty body)"
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str) and message:
            return message[:_MESSAGE_SOURCE_CHARS]
        if isinstance(message, list) and message:
            return "; ".join(_validation_messages(message, [], 0))[:_MESSAGE_SOURCE_CHARS] or _head(content)
    return _head(content)


def _validation_messages(errors: list[Any], messages: list[str], depth: int) -> list[str]:
    # NestJS class-validator errors nest through "children"; the walk is bounded in depth, count and total text.
    for item in errors:
        if len(messages) >= _MAX_VALIDATION_MESSAGES or sum(map(len, messages)) >= _MESSAGE_SOURCE_CHARS:
            break
        if isinstance(item, str):
            messages.append(item[:_MESSAGE_SOURCE_CHARS])
        elif isinstance(item, dict):
            constraints = item.get("constraints")
            if isinstance(constraints, dict):
                room = _MAX_VALIDATION_MESSAGES - len(messages)
                messages.extend(
                    str(text)[:_MESSAGE_SOURCE_CHARS] for text in itertools.islice(constraints.values(), room)
                )
            children = item.get("children")
            if isinstance(children, list) and depth < _MAX_VALIDATION_DEPTH:
                _validation_messages(children, messages, depth + 1)
    return messages


def _redacted(call: Call[Any], body: Any, content: bytes) -> tuple[Any, bytes]:
    """The body and its text as an error may keep them: a call whose answer may hold secrets redacts both."""
    if call.redact is None:
        return body, content
    body = call.redact(body)
    return body, b"" if body is None else json.dumps(body, default=str).encode()


def _status_error(call: Call[Any], response: httpx.Response, content: bytes, token: Secret[str]) -> APIStatusError:
    status = response.status_code
    cut = len(content) > MAX_ERROR_BODY_BYTES
    content = _without_token(content[:MAX_ERROR_BODY_BYTES], token)
    body = content.decode("utf-8", errors="replace") if cut else _decode_body(content)
    body, content = _redacted(call, body, content)
    request_id = _request_id(response.headers)
    reason = httpx.codes.get_reason_phrase(status)
    cls = status_error_class(status)
    if 300 <= status < 400:
        detail = "unexpected redirect (redirects are not followed, so the user token never leaves Paragon's hosts)"
    else:
        detail = _describe(body, content)
    head = f"{call.route} returned {status}{' ' + reason if reason else ''}"
    message = f"{head}: {preview(_scrub(detail, token))}"
    if cut:
        message += f" (body cut at {MAX_ERROR_BODY_BYTES:,} bytes)"
    error = cls(
        message,
        method=call.method,
        route=call.route,
        status_code=status,
        body=body,
        request_id=request_id,
        headers=response.headers,
    )
    if error.is_integration_error:
        said = provider_message(body)
        if said is not None:
            # Paragon's own message is a generic "Request failed with status code 400": the provider's says why.
            message = f"{head}: {preview(_scrub(said, token))}"
        message += " (a third-party API error relayed by Paragon's proxy)"
    hint = not_enabled_hint(body, call.integration) if status == 404 else None
    if hint is not None:
        message += f" ({hint})"
    if request_id:
        message += f" [request id {request_id}]"
    error.args = (message,)
    return error


def _validation_error(
    call: Call[Any], response: httpx.Response, cause: Exception, token: Secret[str]
) -> APIResponseValidationError:
    content = _without_token(response.content, token)
    body, content = _redacted(call, _decode_body(content), content)
    shown = "(empty body)" if body is None else preview(_scrub(_head(content), token), 200)
    message = (
        f"{call.route} returned {response.status_code} with a body that does not match the API"
        f" ({type(cause).__name__}): {shown}"
    )
    return APIResponseValidationError(
        message, method=call.method, route=call.route, status_code=response.status_code, body=body
    )


def _where(request: httpx.Request) -> str:
    url = request.url
    return url.host if url.port is None else f"{url.host}:{url.port}"


def _transport_error(
    call: Call[Any], request: httpx.Request, error: httpx.HTTPError, settings: SendSettings, token: Secret[str]
) -> APIError:
    # str() of some httpx exceptions is empty (ReadTimeout), and others quote the full URL with its query string;
    # the message names the host and the reason, and never a URL.
    kind = type(error).__name__
    host = _where(request)
    reason = preview(_scrub(_without_url(_os_reason(error) or str(error)), token), 200)
    because = f": {reason} ({kind})" if reason else f" ({kind})"
    route = call.route
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(
            f"{route} timed out {_timeout_phase(error, host)} ({kind}; {_limits(settings)})",
            method=call.method,
            route=route,
        )
    if isinstance(error, httpx.ConnectError):
        text = f"{route} failed: could not connect to {host}{because}"
    elif isinstance(error, httpx.RemoteProtocolError):
        text = f"{route} failed: {host} closed the connection without a complete response{because}"
    elif isinstance(error, httpx.DecodingError):
        text = f"{route} failed: the response from {host} could not be decoded{because}"
    else:
        text = f"{route} failed: no usable response from {host}{because}"
    return APIConnectionError(text, method=call.method, route=route)


def _os_reason(error: BaseException) -> str | None:
    """The operating system's own words ("Connection refused", "Name or service not known") from the deepest
    ``OSError`` in the chain: anyio's "All connection attempts failed" hides the real reason one level down."""
    found: OSError | None = None
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError):
            found = current
        current = current.__cause__ or current.__context__
    if found is None:
        return None
    if isinstance(found, socket.gaierror) and found.strerror:
        return found.strerror
    if isinstance(found.errno, int) and found.errno > 0:
        return os.strerror(found.errno)
    return str(found) or None


_URL_IN_TEXT = lazy_pattern(r"[A-Za-z][A-Za-z0-9+.\-]{0,15}://\S*")


def _without_url(text: str) -> str:
    return _URL_IN_TEXT().sub("<url>", text)


def _timeout_phase(error: httpx.TimeoutException, host: str) -> str:
    if isinstance(error, httpx.ConnectTimeout):
        return f"connecting to {host}"
    if isinstance(error, httpx.WriteTimeout):
        return f"sending to {host}"
    if isinstance(error, httpx.PoolTimeout):
        return "waiting for a free connection in the pool"
    return f"waiting for {host} to answer"


def _limits(settings: SendSettings) -> str:
    budget = settings.attempt_budget
    per_attempt = "no timeout per attempt" if budget is None else f"timeout {budget:g} s per attempt"
    return f"{per_attempt}, {settings.retry.total_deadline:g} s per call"


def _drop_tracebacks(error: BaseException) -> None:
    # httpcore's frames hold the request's raw headers (the Authorization header among them) in their locals, and
    # error trackers that record locals walk the whole chain. The exception types and messages stay.
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        current = current.__cause__ or current.__context__
