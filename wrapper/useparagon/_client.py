"""``Paragon`` and ``AsyncParagon``: configuration, user tokens, one shared connection pool, user sessions."""

from __future__ import annotations

import copy
import os
import weakref
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

import attrs
import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from . import _web
from ._config import (
    ServiceURLs,
    resolve_project_id,
    resolve_service_urls,
    resolve_signing_key_source,
    resolve_timeout,
)
from ._constants import (
    ACCEPT_ENCODING,
    DEFAULT_LIMITS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TOKEN_TTL,
    ENV_SIGNING_KEY,
    ENV_SIGNING_KEY_PATH,
    USER_AGENT_PREFIX,
)
from ._errors import ConfigurationError, InvalidRequestError
from ._events import AsyncCallback, Callback, EventHub, EventName
from ._http import AsyncSender, SyncSender, Transport
from ._logging import configure_from_environment
from ._pool import AsyncPool, SyncPool
from ._retry import RetryPolicy
from ._secret import RedactedEnvironment, Secret
from ._session import AsyncUserSession, UserSession
from ._signing import TokenSigner, load_signing_key, load_signing_key_file
from ._tokens import GivenToken, MintedToken, TokenSource
from ._types import NOT_GIVEN, NotGiven
from ._version import __version__

SigningKeyArgument = str | bytes | RSAPrivateKey | None


def _wrapped_key(signing_key: SigningKeyArgument) -> Secret[str | bytes] | RSAPrivateKey | None:
    # PEM text is wrapped on entry, so no frame of a configuration error holds the key (error trackers record locals).
    if isinstance(signing_key, str | bytes):
        return Secret(signing_key)
    return signing_key


def _resolve_max_response_bytes(value: int | NotGiven | None) -> int | None:
    if value is NOT_GIVEN:
        return DEFAULT_MAX_RESPONSE_BYTES
    if value is None:  # no cap, on purpose
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"max_response_bytes must be a positive int or None, got {type(value).__name__}")
    return value


class _ParagonBase:
    """What the sync and async clients share: settings, the signer, the transport policy and subscriptions."""

    _events: EventHub
    _transport: Transport

    def __init__(
        self,
        *,
        project_id: str | None,
        signing_key: Secret[str | bytes] | RSAPrivateKey | None,
        signing_key_path: str | os.PathLike[str] | None,
        host: str | None,
        api_url: str | None,
        proxy_url: str | None,
        actionkit_url: str | None,
        timeout: float | httpx.Timeout | NotGiven | None,
        max_retries: int | NotGiven,
        retry: RetryPolicy | None,
        max_response_bytes: int | NotGiven | None,
        allow_async_callbacks: bool,
    ) -> None:
        environ = RedactedEnvironment(os.environ)
        configure_from_environment()
        self.project_id = resolve_project_id(project_id, environ)
        self.urls: ServiceURLs = resolve_service_urls(host, api_url, proxy_url, actionkit_url, environ)
        source = resolve_signing_key_source(signing_key, signing_key_path, environ)
        self._signer: TokenSigner | None = None
        if source is not None:
            kind, value = source
            if isinstance(value, RSAPrivateKey):  # already loaded (from a KMS, a vault, a test fixture)
                key = value
            elif kind == "pem":
                key = load_signing_key(value)
            else:
                key = load_signing_key_file(str(value))
            self._signer = TokenSigner(key=key, project_id=self.project_id)
        policy = retry if retry is not None else RetryPolicy()
        if max_retries is not NOT_GIVEN:
            policy = attrs.evolve(policy, max_retries=max_retries)
        self._transport = Transport(
            urls=self.urls,
            timeout=resolve_timeout(timeout),
            retry=policy,
            headers={
                "Accept": "application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
                "User-Agent": f"{USER_AGENT_PREFIX}/{__version__}",
            },
            max_response_bytes=_resolve_max_response_bytes(max_response_bytes),
        )
        self._events = EventHub(allow_async=allow_async_callbacks)
        self._is_copy = False
        # Watchers started by this client's sessions (and its with_options copies): closing the client stops them.
        self._watchers: weakref.WeakSet[Any] = weakref.WeakSet()

    @property
    def timeout(self) -> httpx.Timeout:
        return self._transport.timeout

    @property
    def retry(self) -> RetryPolicy:
        return self._transport.retry

    def sign_user_token(
        self,
        user_id: str,
        *,
        ttl: int = DEFAULT_TOKEN_TTL,
        permissions: Mapping[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A Paragon User Token for ``user_id``, e.g. for your frontend's ``paragon.authenticate(projectId, token)``.

        RS256 with ``sub``, ``iat`` (back-dated 30 s for clock skew), ``exp = now + ttl`` and
        ``aud = "useparagon.com/{project_id}"``; ``permissions`` goes under Paragon's permissions claim.
        """
        return self._require_signer().sign(user_id, ttl=ttl, permissions=permissions, **claims)

    def _require_signer(self) -> TokenSigner:
        if self._signer is None:
            raise ConfigurationError(
                "signing user tokens needs the project's signing key: pass signing_key= or signing_key_path=, or set "
                f"{ENV_SIGNING_KEY} or {ENV_SIGNING_KEY_PATH}"
            )
        return self._signer

    def _token_source(
        self,
        user_id: str | None,
        user_token: Secret[str] | None,
        ttl: int,
        permissions: Mapping[str, Any] | None,
        claims: Mapping[str, Any],
    ) -> TokenSource:
        if user_token is not None:
            if user_id is not None:
                raise InvalidRequestError("pass either a user_id (to sign a token) or user_token=, not both")
            if ttl != DEFAULT_TOKEN_TTL or permissions is not None or claims:
                raise InvalidRequestError("ttl, permissions and claims apply only when useparagon signs the token")
            return GivenToken(user_token)
        if user_id is None:
            raise InvalidRequestError("pass a user_id (to sign a token) or user_token= (a token signed elsewhere)")
        return MintedToken(self._require_signer(), user_id, ttl, permissions, claims)

    @property
    def max_response_bytes(self) -> int | None:
        return self._transport.max_response_bytes

    def _derive(
        self,
        timeout: float | httpx.Timeout | NotGiven | None,
        max_retries: int | NotGiven,
        max_response_bytes: int | NotGiven | None,
    ) -> Self:
        clone = copy.copy(self)
        transport = self._transport
        clone._transport = attrs.evolve(
            transport,
            timeout=transport.timeout if timeout is NOT_GIVEN else resolve_timeout(timeout),
            retry=transport.retry
            if max_retries is NOT_GIVEN
            else attrs.evolve(transport.retry, max_retries=max_retries),
            max_response_bytes=transport.max_response_bytes
            if max_response_bytes is NOT_GIVEN
            else _resolve_max_response_bytes(max_response_bytes),
        )
        clone._is_copy = True
        return clone

    # The page that connects a user in the browser, with Paragon's JS SDK (see _web for the parameters).
    connect_page = _web.connect_page
    connect_snippet = _web.connect_snippet

    def __repr__(self) -> str:
        # getattr: a repr must work on an object whose __init__ failed half-way (a traceback renders it).
        urls = getattr(self, "urls", None)
        return (
            f"{type(self).__name__}(project_id={getattr(self, 'project_id', None)!r},"
            f" api_url={getattr(urls, 'api', None)!r})"
        )


class Paragon(_ParagonBase):
    """The synchronous client. One instance holds one connection pool; share it, and its sessions, freely.

    Settings come from the arguments, else from ``PARAGON_PROJECT_ID``, ``PARAGON_SIGNING_KEY`` (PEM; a single
    line with literal ``\\n`` works) or ``PARAGON_SIGNING_KEY_PATH``, and ``PARAGON_HOST`` (self-hosted Paragon).
    An injected ``http_client`` keeps its transport (mocks, proxies, TLS settings), while this client's timeout,
    retry policy and no-redirect rule still apply to every request.
    """

    def __init__(
        self,
        *,
        project_id: str | None = None,
        signing_key: SigningKeyArgument = None,
        signing_key_path: str | os.PathLike[str] | None = None,
        host: str | None = None,
        api_url: str | None = None,
        proxy_url: str | None = None,
        actionkit_url: str | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        max_response_bytes: int | NotGiven | None = NOT_GIVEN,
        http_client: httpx.Client | None = None,
    ) -> None:
        key = _wrapped_key(signing_key)
        del signing_key  # so no frame of a configuration error below holds the PEM in a local
        super().__init__(
            project_id=project_id,
            signing_key=key,
            signing_key_path=signing_key_path,
            host=host,
            api_url=api_url,
            proxy_url=proxy_url,
            actionkit_url=actionkit_url,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            max_response_bytes=max_response_bytes,
            allow_async_callbacks=False,
        )
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ConfigurationError(f"http_client must be an httpx.Client, got {type(http_client).__name__}")
        self._pool = SyncPool(http_client, DEFAULT_LIMITS)
        self._is_copy = False
        self._sender = SyncSender(self._transport, self._pool)

    def authenticate(
        self,
        user_id: str | None = None,
        *,
        user_token: str | None = None,
        ttl: int = DEFAULT_TOKEN_TTL,
        permissions: Mapping[str, Any] | None = None,
        **claims: Any,
    ) -> UserSession:
        """A session acting as one user: ``authenticate("user-123")`` signs (and renews) its token;
        ``authenticate(user_token="eyJ...")`` uses a token signed elsewhere. No request is made here."""
        token = None if user_token is None else Secret(user_token)
        del user_token  # so no frame of a UserTokenError holds the token in a local
        return UserSession(self, self._sender, self._token_source(user_id, token, ttl, permissions, claims))

    def subscribe(self, event_name: EventName, callback: Callback) -> Callable[[], bool]:
        """Call ``callback(event, session)`` for every user's state change made through this client."""
        return self._events.subscribe(event_name, callback)

    # Verify an SDK event relayed by connect_page's page and fire this client's subscribers.
    handle_relayed_event = _web.handle_relayed_event

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        max_response_bytes: int | NotGiven | None = NOT_GIVEN,
    ) -> Paragon:
        """A copy with another timeout, retry count or body cap, sharing this client's pool, key and subscriptions."""
        clone = self._derive(timeout, max_retries, max_response_bytes)
        clone._sender = SyncSender(clone._transport, self._pool)
        return clone

    def close(self) -> None:
        """Close the connection pool (never an injected ``http_client``); later calls raise ``ClientClosedError``.

        A copy from ``with_options`` shares the pool and leaves it open."""
        if not self._is_copy:
            for watcher in list(self._watchers):
                watcher.stop()
            self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class AsyncParagon(_ParagonBase):
    """The asyncio client: the same names as ``Paragon``, with awaitable calls. Callbacks may be sync or async."""

    def __init__(
        self,
        *,
        project_id: str | None = None,
        signing_key: SigningKeyArgument = None,
        signing_key_path: str | os.PathLike[str] | None = None,
        host: str | None = None,
        api_url: str | None = None,
        proxy_url: str | None = None,
        actionkit_url: str | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        max_response_bytes: int | NotGiven | None = NOT_GIVEN,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        key = _wrapped_key(signing_key)
        del signing_key  # so no frame of a configuration error below holds the PEM in a local
        super().__init__(
            project_id=project_id,
            signing_key=key,
            signing_key_path=signing_key_path,
            host=host,
            api_url=api_url,
            proxy_url=proxy_url,
            actionkit_url=actionkit_url,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            max_response_bytes=max_response_bytes,
            allow_async_callbacks=True,
        )
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationError(f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}")
        self._pool = AsyncPool(http_client, DEFAULT_LIMITS)
        self._is_copy = False
        self._sender = AsyncSender(self._transport, self._pool)

    def authenticate(
        self,
        user_id: str | None = None,
        *,
        user_token: str | None = None,
        ttl: int = DEFAULT_TOKEN_TTL,
        permissions: Mapping[str, Any] | None = None,
        **claims: Any,
    ) -> AsyncUserSession:
        """A session acting as one user (no request is made here, so this is not a coroutine)."""
        token = None if user_token is None else Secret(user_token)
        del user_token  # so no frame of a UserTokenError holds the token in a local
        return AsyncUserSession(self, self._sender, self._token_source(user_id, token, ttl, permissions, claims))

    def subscribe(self, event_name: EventName, callback: AsyncCallback) -> Callable[[], bool]:
        """Call ``callback(event, session)`` (sync or async) for every user's state change made through this client."""
        return self._events.subscribe(event_name, callback)

    # Verify an SDK event relayed by connect_page's page and fire (and await) this client's subscribers.
    handle_relayed_event = _web.ahandle_relayed_event

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        max_response_bytes: int | NotGiven | None = NOT_GIVEN,
    ) -> AsyncParagon:
        """A copy with another timeout, retry count or body cap, sharing this client's pool, key and subscriptions."""
        clone = self._derive(timeout, max_retries, max_response_bytes)
        clone._sender = AsyncSender(clone._transport, self._pool)
        return clone

    async def aclose(self) -> None:
        """Close the connection pool (never an injected ``http_client``); later calls raise ``ClientClosedError``."""
        if not self._is_copy:
            for watcher in list(self._watchers):
                await watcher.stop()
            await self._pool.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()
