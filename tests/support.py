"""Test support shared by the wrapper's tests: constants, the session-method list and the sync/async harness."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, overload

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from useparagon import AsyncParagon, AsyncUserSession, Paragon, UserSession
from useparagon.testing import FakeParagon

PROJECT_ID = "38b1f170-0c43-4eae-9a04-ab85325d99f7"
API = "https://api.useparagon.com"
PROXY = "https://proxy.useparagon.com"
ACTIONKIT = "https://actionkit.useparagon.com"
SYNC = "https://sync.useparagon.com"

T = TypeVar("T")
Handler = Callable[[httpx.Request], httpx.Response]
Session = UserSession | AsyncUserSession
# One session call with its arguments, for tables of cases: ``lambda s: s.request("slack", "auth.test")``. mypy checks
# the method name and arguments against both session classes; ``Harness.run`` completes what it returns.
SessionCall = Callable[[Session], object]

# Every public method of a session (the async session has the same names; test_public_api checks that).
SESSION_METHODS: frozenset[str] = frozenset(
    name for name, value in vars(UserSession).items() if not name.startswith("_") and inspect.isfunction(value)
)


def case(call: SessionCall, id: str) -> Any:
    """``pytest.param(call, id=id)`` for a parametrized session call; typed, so mypy checks the lambda's body."""
    return pytest.param(call, id=id)


def unchecked(value: object) -> Any:
    """A deliberately ill-typed argument (a hostile or mistaken caller): mypy lets it through, the client must not."""
    return value


class Harness:
    """One client, sync or async, over ``httpx.MockTransport``: the same test body drives both flavours.

    ``run(harness.session.get_user())`` calls the session method directly (so mypy checks the name and arguments for
    both flavours) and, for the async client, runs the coroutine to completion on this harness's event loop;
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
        self.session: Session = self.client.authenticate("user-123")

    def _record(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self._handler(request)

    @overload
    def run(self, value: Awaitable[T]) -> T: ...
    @overload
    def run(self, value: T) -> T: ...
    def run(self, value: Any) -> Any:
        """``value`` itself, or the result of awaiting it on this harness's event loop."""
        if inspect.isawaitable(value):
            assert self._loop is not None, "an awaitable from a sync harness"
            return self._loop.run_until_complete(value)
        return value

    def close(self) -> None:
        http = self.http
        if isinstance(http, httpx.AsyncClient):
            self.run(http.aclose())
        else:
            http.close()
        if self._loop is not None:
            close_loop(self._loop)


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close ``loop`` as ``asyncio.run`` does: first close the async generators still open, and let the tasks closing
    dropped ones end (asyncio's finalizer makes one per generator, a chain for httpx's nested streams)."""
    loop.run_until_complete(loop.shutdown_asyncgens())
    for _ in range(10):
        pending = asyncio.all_tasks(loop)
        if not pending:
            break
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


class MakeHarness(Protocol):
    """The ``make_harness`` fixture (tests/conftest.py): ``make_harness(handler, **Paragon options)``, closed at
    teardown, once per flavour (the ``flavor`` fixture is parametrized over "sync" and "async")."""

    def __call__(self, handler: Handler, /, **options: Any) -> Harness: ...


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def trusting_fake(key: RSAPrivateKey, **options: Any) -> FakeParagon:
    """A FakeParagon of the harness's project that trusts the harness's tokens (the public half of ``key``)."""
    from cryptography.hazmat.primitives import serialization

    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return FakeParagon(project_id=PROJECT_ID, public_key_pem=public.decode(), **options)
