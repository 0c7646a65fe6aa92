"""What ``Paragon`` and ``AsyncParagon`` share: configuration, the signer, user tokens, send settings, subscriptions."""

from __future__ import annotations

import copy
import os
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeAlias

import attrs
import httpx

from ._config import (
    ServiceURLs,
    resolve_api_key,
    resolve_project_id,
    resolve_service_urls,
    resolve_signing_key_source,
    resolve_timeout,
)
from ._constants import (
    ACCEPT_ENCODING,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TOKEN_TTL,
    ENV_API_KEY,
    ENV_SIGNING_KEY,
    ENV_SIGNING_KEY_PATH,
    USER_AGENT_PREFIX,
)
from ._errors import ConfigurationError, InvalidRequestError
from ._events import EventHub
from ._http import SendSettings
from ._logging import configure_from_environment
from ._retry import RetryPolicy
from ._secret import RedactedEnvironment, Secret
from ._types import NOT_GIVEN, NotGiven
from ._version import __version__

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    from . import _web
    from ._signing import TokenSigner
    from ._tokens import TokenSource

# A forward reference: cryptography loads with the first key, not with `import useparagon`.
SigningKeyArgument: TypeAlias = "str | bytes | RSAPrivateKey | None"


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


class FromWeb:
    """A client method defined in ``_web``, imported when first looked up: sending calls needs none of the connect
    page's code. Type checkers see the function itself."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __set_name__(self, owner: type, attribute: str) -> None:
        self._attribute = attribute

    def __get__(self, instance: object, owner: type) -> Any:
        from . import _web

        function = getattr(_web, self._name)
        setattr(owner, self._attribute, function)  # later lookups find the function itself
        return function if instance is None else function.__get__(instance, owner)


class ParagonBase:
    """What the sync and async clients share: settings, the signer, the transport policy and subscriptions."""

    _events: EventHub
    _settings: SendSettings
    _sender: Any

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
        hermes_url: str | None,
        timeout: float | httpx.Timeout | NotGiven | None,
        max_retries: int | NotGiven,
        retry: RetryPolicy | None,
        max_response_bytes: int | NotGiven | None,
        events: EventHub,
        api_key: Secret[str] | None = None,
        sync_url: str | None = None,
    ) -> None:
        environ = RedactedEnvironment(os.environ)
        configure_from_environment()
        self.project_id = resolve_project_id(project_id, environ)
        self.urls: ServiceURLs = resolve_service_urls(
            host, api_url, proxy_url, actionkit_url, environ, hermes_url=hermes_url, sync_url=sync_url
        )
        # The Task History API's credential: it reaches every user of the project, so it stays wrapped like the key.
        self._api_key = resolve_api_key(api_key, environ)
        source = resolve_signing_key_source(signing_key, signing_key_path, environ)
        self._signer: TokenSigner | None = None
        if source is not None:
            # Imported here: a client without a signing key (tokens signed elsewhere) loads no signer.
            from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

            from ._signing import TokenSigner, load_signing_key, load_signing_key_file

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
        self._settings = SendSettings(
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
        self._events = events
        self._is_copy = False
        # Watchers started by this client's sessions (and its with_options copies): closing the client stops them.
        self._watchers: weakref.WeakSet[Any] = weakref.WeakSet()

    @property
    def timeout(self) -> httpx.Timeout:
        return self._settings.timeout

    @property
    def retry(self) -> RetryPolicy:
        return self._settings.retry

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

    def _require_api_key(self) -> Secret[str]:
        if self._api_key is None:
            raise ConfigurationError(
                "the Task History API needs the project's API key (the dashboard's Settings > API Keys): pass"
                f" api_key= or set {ENV_API_KEY}"
            )
        return self._api_key

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
            from ._tokens import GivenToken

            return GivenToken(user_token)
        if user_id is None:
            raise InvalidRequestError("pass a user_id (to sign a token) or user_token= (a token signed elsewhere)")
        from ._tokens import MintedToken

        return MintedToken(self._require_signer(), user_id, ttl, permissions, claims)

    @property
    def max_response_bytes(self) -> int | None:
        return self._settings.max_response_bytes

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        max_response_bytes: int | NotGiven | None = NOT_GIVEN,
    ) -> Self:
        """A copy with another timeout, retry count or body cap, sharing this client's pool, key and subscriptions.

        Closing the copy leaves the shared pool open."""
        clone = copy.copy(self)
        settings = self._settings
        clone._settings = attrs.evolve(
            settings,
            timeout=settings.timeout if timeout is NOT_GIVEN else resolve_timeout(timeout),
            retry=settings.retry if max_retries is NOT_GIVEN else attrs.evolve(settings.retry, max_retries=max_retries),
            max_response_bytes=settings.max_response_bytes
            if max_response_bytes is NOT_GIVEN
            else _resolve_max_response_bytes(max_response_bytes),
        )
        clone._sender = clone._sender_for(clone._settings)
        clone._is_copy = True
        return clone

    def _sender_for(self, settings: SendSettings) -> Any:
        raise NotImplementedError

    # The page that connects a user in the browser, with Paragon's JS SDK (see _web for the parameters).
    if TYPE_CHECKING:
        connect_page = _web.connect_page
        connect_snippet = _web.connect_snippet
    else:
        connect_page = FromWeb("connect_page")
        connect_snippet = FromWeb("connect_snippet")

    def __repr__(self) -> str:
        # getattr: a repr must work on an object whose __init__ failed half-way (a traceback renders it).
        urls = getattr(self, "urls", None)
        return (
            f"{type(self).__name__}(project_id={getattr(self, 'project_id', None)!r},"
            f" api_url={getattr(urls, 'api', None)!r})"
        )
