"""The providers behind the fake Proxy API: built-in fakes, an echo, and the handlers a test registers.

A handler takes a ``ProxyRequest`` and returns ``(status, body)`` or ``(status, body, headers)``; ``body`` is
JSON-able (sent as ``application/json``) or ``bytes`` (sent as is, ``application/octet-stream`` unless the headers
say otherwise). Paragon's side — the wrapping, raw mode and error relaying — is ``relay`` below.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import httpx

JSON_TYPE = "application/json"
# The JS SDK's default Content-Type for proxy calls ("infer it"): the provider gets application/json for a JSON body,
# and no Content-Type for any other body (the SDK sends objects as JSON, strings as they are).
INFER_CONTENT_TYPE = "auto"
# What the provider sees of the caller's headers: not Paragon's token, not Paragon's own controls.
_HIDDEN_HEADERS = frozenset({"authorization", "cookie", "host", "content-length", "connection", "transfer-encoding"})

ProxyReply = tuple[int, Any] | tuple[int, Any, Mapping[str, str]]


@attrs.frozen
class ProxyRequest:
    """What a provider handler receives: the method, the integration, the provider path (no leading ``/``), the
    query, the headers meant for the provider (no ``Authorization``, no ``X-Paragon-*``), the body and the user.

    ``url`` is the full provider URL of a call made with ``X-Paragon-Proxy-Url`` (``path`` and ``query`` are then its
    own), else ``None``."""

    method: str
    integration: str
    path: str
    query: httpx.QueryParams
    headers: httpx.Headers
    body: bytes = attrs.field(repr=False)
    user_id: str
    credential_id: str
    url: str | None = None

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


ProxyHandler = Callable[[ProxyRequest], ProxyReply]


@attrs.frozen
class ProviderResponse:
    status: int
    content_type: str
    body: bytes
    headers: Mapping[str, str]

    def parsed(self) -> Any:
        """The body as Paragon's ``output``: parsed JSON, else the text, else ``None`` for an empty body."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body.decode("utf-8", "replace")


def provider_headers(headers: httpx.Headers, body: bytes = b"") -> httpx.Headers:
    kept = httpx.Headers(
        [
            (k, v)
            for k, v in headers.items()
            if k.lower() not in _HIDDEN_HEADERS and not k.lower().startswith("x-paragon-")
        ]
    )
    if kept.get("content-type", "").strip().lower() == INFER_CONTENT_TYPE:
        del kept["content-type"]
        if _is_json(body):
            kept["Content-Type"] = JSON_TYPE
    return kept


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def to_provider_response(reply: ProxyReply) -> ProviderResponse:
    if not isinstance(reply, tuple) or len(reply) not in (2, 3) or not isinstance(reply[0], int):
        raise TypeError("a proxy handler must return (status, body) or (status, body, headers)")
    status, body = reply[0], reply[1]
    headers = {str(k): str(v) for k, v in (reply[2] if len(reply) == 3 else {}).items()}
    declared = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    rest = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
    if isinstance(body, bytes | bytearray):
        return ProviderResponse(status, declared or "application/octet-stream", bytes(body), rest)
    return ProviderResponse(status, declared or JSON_TYPE, json.dumps(body).encode(), rest)


class ProviderRegistry:
    """Handlers by (integration, path, method); a test's handlers win over the built-ins, the echo comes last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: dict[tuple[str, str, str], ProxyHandler] = {}
        self._counter = itertools.count(1)

    def register(self, integration: str, path: str, handler: ProxyHandler, method: str) -> None:
        with self._lock:
            self._handlers[(integration, path.lstrip("/") or "*", method.upper())] = handler

    def call(self, request: ProxyRequest) -> ProviderResponse:
        handler = self._find(request)
        return to_provider_response(handler(request))

    def _find(self, request: ProxyRequest) -> ProxyHandler:
        with self._lock:
            for path, method in itertools.product((request.path, "*"), (request.method, "*")):
                handler = self._handlers.get((request.integration, path, method))
                if handler is not None:
                    return handler
        return self._builtin(request) or echo

    def _builtin(self, request: ProxyRequest) -> ProxyHandler | None:
        if request.integration == "slack" and request.path == "chat.postMessage" and request.method == "POST":
            return self._slack_post_message
        if request.integration == "salesforce" and request.method == "POST" and _SOBJECT.fullmatch(request.path):
            return self._salesforce_create
        return None

    def _slack_post_message(self, request: ProxyRequest) -> ProxyReply:
        body = request.json if isinstance(request.json, dict) else {}
        channel = body.get("channel")
        if not channel:
            return 200, {"ok": False, "error": "channel_not_found"}
        ts = f"1700000000.{next(self._counter):06d}"
        message = {"type": "message", "text": body.get("text", ""), "ts": ts}
        return 200, {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _salesforce_create(self, request: ProxyRequest) -> ProxyReply:
        match = _SOBJECT.fullmatch(request.path)
        sobject = match.group(1) if match else ""
        prefix = _SALESFORCE_PREFIXES.get(sobject, "a00")
        return 201, {"id": f"{prefix}{next(self._counter):015d}", "success": True, "errors": []}


_SOBJECT = re.compile(r"services/data/v\d+\.\d+/sobjects/(\w+)/?")
_SALESFORCE_PREFIXES = {"Account": "001", "Contact": "003", "Lead": "00Q", "Opportunity": "006"}


def echo(request: ProxyRequest) -> ProxyReply:
    """The default provider: answers 200 with what it received (method, path, query, JSON body or text)."""
    body = request.json if request.json is not None else (request.body.decode("utf-8", "replace") or None)
    query = {key: request.query.get_list(key) for key in request.query}
    flat = {key: values[0] if len(values) == 1 else values for key, values in query.items()}
    echoed = {"method": request.method, "path": request.path, "query": flat, "body": body}
    return 200, echoed if request.url is None else {**echoed, "url": request.url}


def relayed_status(provider_status: int) -> int:
    """The status Paragon answers a provider failure with (the spec documents 400/401/403/404/429/502 for proxy
    calls): those 4xx pass through, any other 4xx becomes 400, and every 5xx (or other failure) becomes 502."""
    if provider_status in (400, 401, 403, 404, 429):
        return provider_status
    if 400 <= provider_status < 500:
        return 400
    return 502
