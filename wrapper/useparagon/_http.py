"""Sending one API call: timeouts, retries with backoff, Retry-After, logging and error mapping.

The decisions live in ``_Attempts`` (no I/O); ``SyncSender`` and ``AsyncSender`` only perform the sends and sleeps,
so the two clients cannot drift apart.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Generic, Literal, TypeAlias, TypeVar

import attrs
import httpx

from ._config import ServiceURLs
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    InvalidRequestError,
    preview,
    status_error_class,
)
from ._logging import logger
from ._retry import RetryPolicy

T = TypeVar("T")
Service: TypeAlias = Literal["api", "proxy", "actionkit"]

_REQUEST_ID_HEADERS = ("x-request-id", "x-paragon-request-id", "request-id", "x-amzn-requestid")
# A JWT anywhere in server-provided text (an echoed Authorization header, say) never reaches a message.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class ResponseMismatch(ValueError):
    """Raised by a parser when a success response does not have the documented shape."""


@attrs.frozen(slots=True)
class Call(Generic[T]):
    """One HTTP call to a Paragon service, already validated: nothing here comes unchecked from the caller."""

    method: str
    service: Service
    path: str
    # The method and path template, e.g. "GET /projects/{projectId}/sdk/me": messages and logs show it as is.
    route: str
    parse: Callable[[httpx.Response], T]
    params: tuple[tuple[str, str], ...] | None = None
    headers: Mapping[str, str] | None = None
    content: bytes | None = None


@attrs.define
class Transport:
    """What every send needs to know, shared by all user sessions of one client."""

    urls: ServiceURLs
    timeout: httpx.Timeout
    retry: RetryPolicy
    headers: Mapping[str, str]
    _bases: dict[str, tuple[str, str]] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._bases = {
            service: (url, httpx.URL(url).host)
            for service, url in (("api", self.urls.api), ("proxy", self.urls.proxy), ("actionkit", self.urls.actionkit))
        }

    def build_request(self, client: httpx.Client | httpx.AsyncClient, call: Call[Any], token: str) -> httpx.Request:
        base, host = self._bases[call.service]
        headers = {**self.headers, "Authorization": f"Bearer {token}"}
        if call.headers:
            headers.update(call.headers)
        request = client.build_request(
            call.method,
            _parse_url(base + call.path),
            params=call.params,
            headers=headers,
            content=call.content,
            timeout=self.timeout,
        )
        # Defence in depth: every caller-supplied piece was validated, but the token must never leave for another host.
        if request.url.host != host:
            raise InvalidRequestError(f"refusing to send {call.route} to a host other than the configured one")
        return request


class _Attempts(Generic[T]):
    """The retry state of one call: feed it each outcome, it answers with a wait, a result or an exception."""

    __slots__ = ("attempt_started", "call", "deadline", "request", "result", "retries", "started")

    def __init__(self, transport: Transport, call: Call[T], request: httpx.Request) -> None:
        self.call = call
        self.request = request
        self.retries = 0
        self.started = time.monotonic()
        self.deadline = self.started + transport.retry.total_deadline
        # Timed with our own clock: httpx sets ``response.elapsed`` only when a response stream closes, and a
        # response built in memory (MockTransport, FakeParagon) has none, so reading it there raises RuntimeError.
        self.attempt_started = self.started
        self.result: T

    def on_response(self, retry: RetryPolicy, response: httpx.Response) -> float | None:
        """None when finished (``result`` is set); a wait in seconds before the next attempt; or raises."""
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
        if 200 <= status < 300:
            try:
                self.result = call.parse(response)
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise _validation_error(call, response, error) from None
            return None
        failure = _status_error(call, response)
        delay = retry.delay_after_status(call.method, status, response.headers, self.retries, time.time())
        return self._next_wait(delay, failure, f"status {status}")

    def on_error(self, retry: RetryPolicy, error: httpx.HTTPError) -> float:
        call = self.call
        wrapped = _transport_error(call, error)
        if not isinstance(error, httpx.TransportError):
            raise wrapped from error
        delay = retry.delay_after_error(call.method, error, self.retries)
        return self._next_wait(delay, wrapped, type(error).__name__, cause=error)

    def _next_wait(self, delay: float | None, error: APIError, reason: str, cause: Exception | None = None) -> float:
        if delay is None or time.monotonic() + delay > self.deadline:
            raise error from cause
        self.retries += 1
        # The sender sleeps ``delay`` and then sends the next attempt.
        self.attempt_started = time.monotonic() + delay
        logger.info(
            "retrying %s in %.2f s after %s (retry %d)",
            self.call.route,
            delay,
            reason,
            self.retries,
        )
        return delay


class SyncSender:
    def __init__(self, transport: Transport, client: httpx.Client) -> None:
        self.transport = transport
        self.client = client

    def send(self, call: Call[T], token: str) -> T:
        transport = self.transport
        attempts = _Attempts(transport, call, transport.build_request(self.client, call, token))
        while True:
            try:
                # auth=None: an injected client's own auth= would replace the user's bearer token.
                response = self.client.send(attempts.request, auth=None, follow_redirects=False)
            except httpx.HTTPError as error:
                time.sleep(attempts.on_error(transport.retry, error))
                continue
            wait = attempts.on_response(transport.retry, response)
            if wait is None:
                return attempts.result
            time.sleep(wait)


class AsyncSender:
    def __init__(self, transport: Transport, client: httpx.AsyncClient) -> None:
        self.transport = transport
        self.client = client

    async def send(self, call: Call[T], token: str) -> T:
        transport = self.transport
        attempts = _Attempts(transport, call, transport.build_request(self.client, call, token))
        while True:
            try:
                response = await self.client.send(attempts.request, auth=None, follow_redirects=False)
            except httpx.HTTPError as error:
                await asyncio.sleep(attempts.on_error(transport.retry, error))
                continue
            wait = attempts.on_response(transport.retry, response)
            if wait is None:
                return attempts.result
            await asyncio.sleep(wait)


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


def _scrub(text: str) -> str:
    return _JWT.sub("[redacted token]", text)


def _decode_body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return response.content.decode("utf-8", errors="replace")


def _describe(body: Any) -> str:
    """The server's own explanation, flattened: Paragon's ``message`` may be a list of validation errors."""
    if body is None:
        return "(empty body)"
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str) and message:
            return message
        if isinstance(message, list) and message:
            return "; ".join(_validation_messages(message)) or json.dumps(message)
        return json.dumps(body, ensure_ascii=False)
    return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)


def _validation_messages(errors: list[Any]) -> list[str]:
    messages: list[str] = []
    for item in errors:
        if isinstance(item, str):
            messages.append(item)
        elif isinstance(item, dict):
            constraints = item.get("constraints")
            if isinstance(constraints, dict):
                messages.extend(str(text) for text in constraints.values())
            children = item.get("children")
            if isinstance(children, list):
                messages.extend(_validation_messages(children))
    return messages


def _status_error(call: Call[Any], response: httpx.Response) -> APIStatusError:
    status = response.status_code
    body = _decode_body(response)
    request_id = _request_id(response.headers)
    reason = httpx.codes.get_reason_phrase(status)
    cls = status_error_class(status)
    if 300 <= status < 400:
        detail = "unexpected redirect (redirects are not followed, so the user token never leaves Paragon's hosts)"
    else:
        detail = _describe(body)
    message = f"{call.route} returned {status}{' ' + reason if reason else ''}: {preview(_scrub(detail))}"
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
        error.args = (message + " (a third-party API error relayed by Paragon's proxy)",)
    if request_id:
        error.args = (f"{error.args[0]} [request id {request_id}]",)
    return error


def _validation_error(call: Call[Any], response: httpx.Response, cause: Exception) -> APIResponseValidationError:
    body = _decode_body(response)
    shown = (
        "(empty body)" if body is None else preview(_scrub(body if isinstance(body, str) else json.dumps(body)), 200)
    )
    message = (
        f"{call.route} returned {response.status_code} with a body that does not match the API"
        f" ({type(cause).__name__}): {shown}"
    )
    return APIResponseValidationError(
        message, method=call.method, route=call.route, status_code=response.status_code, body=body
    )


def _transport_error(call: Call[Any], error: httpx.HTTPError) -> APIError:
    # str() of some httpx exceptions is empty (ReadTimeout), and others quote the full URL with its query string.
    kind = type(error).__name__
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"{call.route} timed out ({kind})", method=call.method, route=call.route)
    return APIConnectionError(
        f"{call.route} failed: could not get a response ({kind})", method=call.method, route=call.route
    )
