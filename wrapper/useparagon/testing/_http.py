"""The fake's HTTP vocabulary, independent of any server: a request in, an outcome out.

Both adapters (the httpx transports and the loopback server) turn their requests into ``CoreRequest`` and play
back the ``Outcome``: sleep ``delay``, then either drop the connection or send ``status``/``headers``/``body``.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import httpx

JSON_TYPE = "application/json"
CORS_ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_ALLOW_HEADERS = (
    "Authorization, Content-Type, Accept, X-Paragon-Credential, X-Paragon-Configuration-Id, "
    "X-Paragon-Use-Raw-Response, X-Paragon-SDK-Version, X-Paragon-Proxy-Url, X-Paragon-User-Metadata"
)
CORS_MAX_AGE = "600"

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too many requests.",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


@attrs.frozen
class CoreRequest:
    """``target`` is the raw request target: percent-encoded path plus ``?query``, as it came off the wire."""

    method: str
    target: str
    headers: httpx.Headers
    body: bytes = attrs.field(repr=False)


@attrs.frozen
class Outcome:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    delay: float = 0.0
    drop: bool = False


class ApiError(Exception):
    """Raised by operation handlers; becomes Paragon's error body ``{"message", "status"[, "code"]}``."""

    def __init__(self, status: int, message: str | list[dict[str, Any]], *, code: str | None = None) -> None:
        super().__init__(message if isinstance(message, str) else "validation failed")
        self.status = status
        self.message = message
        self.code = code


def json_outcome(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Outcome:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Outcome(status, (("Content-Type", JSON_TYPE), *headers), body)


def empty_outcome(status: int) -> Outcome:
    return Outcome(status)


def error_body(status: int, message: str | list[dict[str, Any]], code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "status": status}
    if code is not None:
        body["code"] = code
    return body


def error_outcome(status: int, message: str | list[dict[str, Any]] | None = None, code: str | None = None) -> Outcome:
    return json_outcome(status, error_body(status, message or _REASONS.get(status, "Error"), code))


def not_enabled() -> ApiError:
    return ApiError(404, "Integration not enabled for user.", code="integration_not_enabled")


def invalid(prop: str, constraint: str, text: str) -> ApiError:
    """A 400 in class-validator's shape, as Paragon's NestJS validation answers."""
    return ApiError(400, [{"property": prop, "constraints": {constraint: text}}])


def cors_headers(request_headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    origin = request_headers.get("origin")
    headers = [
        ("Access-Control-Allow-Origin", origin or "*"),
        ("Access-Control-Expose-Headers", "Retry-After, X-Request-Id, Content-Type"),
    ]
    if origin:
        headers.append(("Vary", "Origin"))
    return tuple(headers)


def preflight(request_headers: httpx.Headers) -> Outcome:
    """The answer to a CORS preflight (the core adds the Allow-Origin headers every answer gets)."""
    requested = request_headers.get("access-control-request-headers")
    return Outcome(
        204,
        (
            ("Access-Control-Allow-Methods", CORS_ALLOW_METHODS),
            ("Access-Control-Allow-Headers", requested or CORS_ALLOW_HEADERS),
            ("Access-Control-Max-Age", CORS_MAX_AGE),
        ),
    )


HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
