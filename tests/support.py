"""Test support shared by the wrapper's tests: constants and the sync/async harness."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from useparagon import AsyncParagon, AsyncUserSession, Paragon, UserSession

PROJECT_ID = "38b1f170-0c43-4eae-9a04-ab85325d99f7"
API = "https://api.useparagon.com"
PROXY = "https://proxy.useparagon.com"
ACTIONKIT = "https://actionkit.useparagon.com"

Handler = Callable[[httpx.Request], httpx.Response]


class Harness:
    """One client, sync or async, over ``httpx.MockTransport``: the same test body drives both flavours.

    ``call("get_user")`` calls the session's method and, for the async client, runs the coroutine to completion;
    ``requests`` records every request that reached the transport (so "0 requests" is checkable).
    """

    def __init__(self, flavor: str, handler: Handler, default_key: str | RSAPrivateKey, /, **options: Any) -> None:
        self.flavor = flavor
        self.requests: list[httpx.Request] = []
        self._handler = handler
        self._loop = asyncio.new_event_loop() if flavor == "async" else None
        transport = httpx.MockTransport(self._record)
        options.setdefault("project_id", PROJECT_ID)
        options.setdefault("signing_key", default_key)
        self.http: httpx.Client | httpx.AsyncClient
        if flavor == "sync":
            self.http = httpx.Client(transport=transport)
            self.client: Paragon | AsyncParagon = Paragon(http_client=self.http, **options)
        else:
            self.http = httpx.AsyncClient(transport=transport)
            self.client = AsyncParagon(http_client=self.http, **options)
        self.session: UserSession | AsyncUserSession = self.client.authenticate("user-123")

    def _record(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self._handler(request)

    def run(self, value: Any) -> Any:
        """``value`` itself, or the result of awaiting it on this harness's event loop."""
        if inspect.isawaitable(value):
            assert self._loop is not None
            return self._loop.run_until_complete(value)
        return value

    def call(self, method: str, /, *args: Any, **kwargs: Any) -> Any:
        return self.run(getattr(self.session, method)(*args, **kwargs))

    def close(self) -> None:
        http = self.http
        if isinstance(http, httpx.AsyncClient):
            self.run(http.aclose())
        else:
            http.close()
        if self._loop is not None:
            self._loop.close()


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)
