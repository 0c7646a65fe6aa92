"""Where a user session's token comes from: minted and cached by our signer, or given by the caller.

Both sources are safe to share between threads and asyncio tasks: minting has no awaits, so one
``threading.Lock`` makes concurrent callers mint exactly once. Neither ever shows its token in a repr or message.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import attrs

from ._constants import DEFAULT_TOKEN_TTL, TOKEN_REFRESH_MARGIN
from ._errors import UserTokenError
from ._patterns import lazy_pattern
from ._secret import Secret
from ._signing import TokenSigner, validate_token_request
from ._types import safe_attrs_repr

__all__ = ["GivenToken", "MintedToken", "TokenClaims", "TokenSource", "inspect_user_token"]

_SEGMENT = r"[A-Za-z0-9_-]+"
_JWT_SHAPE = lazy_pattern(rf"{_SEGMENT}\.{_SEGMENT}\.{_SEGMENT}")
_SHORT_NAME = lazy_pattern(r"[A-Za-z0-9]{1,10}")


class TokenSource(Protocol):
    """What a user session needs from its token: who it is for, and a token valid right now."""

    @property
    def user_id(self) -> str: ...

    def get(self, now: float | None = None) -> Secret[str]: ...


@attrs.frozen(repr=False)
class TokenClaims:
    """The claims of a user token that matter before sending it (read without checking its signature)."""

    __repr__ = safe_attrs_repr

    sub: str
    exp: int | None
    iat: int | None
    aud: str | tuple[str, ...] | None


def inspect_user_token(token: str | Secret[str], *, now: float) -> TokenClaims:
    """Read a user token's claims and reject it if it is malformed or expired at ``now``.

    The signature is not checked: only Paragon holds the public key. Firebase and Auth0 ID tokens, which Paragon
    also accepts, pass as long as they are RS256. The user id is ``sub``, or ``id`` as the JS SDK also allows.
    """
    # The token is only ever revealed inside an expression, so no frame of a failure here holds it in a local.
    secret = token if isinstance(token, Secret) else Secret(token)
    del token
    if not isinstance(secret.reveal(), str):
        raise UserTokenError(f"the user token must be a str, got {type(secret.reveal()).__name__}")
    if not len(secret):
        raise UserTokenError("the user token is empty")
    if secret.reveal()[:7].lower() == "bearer ":
        raise UserTokenError("pass the user token without its 'Bearer ' prefix")
    if _JWT_SHAPE().fullmatch(secret.reveal()) is None:
        raise UserTokenError("the user token is not a JWT: expected three base64url segments separated by '.'")
    # The header and payload are plain base64 JSON; only the signature makes a token a credential.
    header_segment, payload_segment = secret.reveal().split(".")[:2]
    header = _decode_segment(header_segment, "header")
    payload = _decode_segment(payload_segment, "payload")
    alg = header.get("alg")
    if alg != "RS256":
        shown = repr(alg) if isinstance(alg, str) and _SHORT_NAME().fullmatch(alg) else "another algorithm"
        raise UserTokenError(f"the user token is signed with {shown}; Paragon requires RS256")
    return TokenClaims(
        sub=_user_id(payload),
        exp=_expiry(payload, now),
        iat=_optional_time(payload, "iat"),
        aud=_audience(payload),
    )


def _decode_segment(segment: str, name: str) -> dict[str, Any]:
    value: object = None
    # Reported below, outside the handler, so no decoder message (which may quote token bytes) is chained.
    with contextlib.suppress(binascii.Error, ValueError, RecursionError):
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    if not isinstance(value, dict):
        raise UserTokenError(f"the user token's {name} is not a base64url-encoded JSON object")
    return value


def _user_id(payload: Mapping[str, Any]) -> str:
    # The JS SDK takes `payload.sub || payload.id`: an empty sub falls through to id.
    for name in ("sub", "id"):
        value = payload.get(name)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    raise UserTokenError("the user token has no user id: it needs a non-empty 'sub' (or 'id') claim")


def _optional_time(payload: Mapping[str, Any], name: str) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserTokenError(f"the user token's {name!r} claim must be a number of seconds")
    return int(value)


def _expiry(payload: Mapping[str, Any], now: float) -> int | None:
    exp = _optional_time(payload, "exp")
    # Compare the claim as sent (it may be fractional), as the JS SDK's `Date.now() >= exp * 1000` does.
    if exp is not None and payload["exp"] <= now:
        raise UserTokenError(_expired_message(exp))
    return exp


def _audience(payload: Mapping[str, Any]) -> str | tuple[str, ...] | None:
    aud = payload.get("aud")
    if aud is None or isinstance(aud, str):
        return aud
    if isinstance(aud, list) and all(isinstance(item, str) for item in aud):
        return tuple(aud)
    raise UserTokenError("the user token's 'aud' claim must be a string or a list of strings")


def _expired_message(exp: int) -> str:
    try:
        moment = datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        moment = f"{exp} (seconds since the epoch)"
    return f"the user token expired at {moment}; sign a new one"


class MintedToken:
    """A user token signed on first use, cached, and replaced before it expires.

    The replacement happens ``TOKEN_REFRESH_MARGIN`` seconds before ``exp``, or at half the token's life when
    that comes later, so a short ``ttl`` is not re-signed on every call; never later than ``exp`` itself.
    """

    __slots__ = (
        "__weakref__",
        "_cached",
        "_lock",
        "_mint_count",
        "_request",
        "_signer",
        "_ttl",
        "_user_id",
    )

    def __init__(
        self,
        signer: TokenSigner,
        user_id: str,
        ttl: int = DEFAULT_TOKEN_TTL,
        permissions: Mapping[str, Any] | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> None:
        # Validated now, so a bad user id fails when the session is created, not on its first request.
        self._request = validate_token_request(user_id, ttl, permissions, claims or {})
        self._user_id, self._ttl, _ = self._request
        self._signer = signer
        self._lock = threading.Lock()
        _LIVE_SOURCES.add(self)
        # (token, refresh_at) in one tuple: the lock-free fast path reads both atomically.
        self._cached: tuple[Secret[str], float] | None = None
        self._mint_count = 0

    @property
    def user_id(self) -> str:
        return self._user_id

    @property
    def ttl(self) -> int:
        return self._ttl

    @property
    def mint_count(self) -> int:
        """How many tokens this source has signed (each one is an RSA signature)."""
        return self._mint_count

    def get(self, now: float | None = None) -> Secret[str]:
        if now is None:
            now = self._signer.clock()
        cached = self._cached
        if cached is not None and now < cached[1]:
            return cached[0]
        with self._lock:
            cached = self._cached
            if cached is not None and now < cached[1]:
                return cached[0]
            token, exp = self._signer.issue_secret(self._request, now=now)
            refresh_at = min(exp, max(exp - TOKEN_REFRESH_MARGIN, now + self._ttl / 2))
            self._cached = (token, refresh_at)
            self._mint_count += 1
            return token

    def __repr__(self) -> str:
        # getattr: a repr must work on an object whose __init__ failed half-way (a traceback renders it).
        return (
            f"MintedToken(user_id={getattr(self, '_user_id', None)!r}, ttl={getattr(self, '_ttl', None)!r},"
            f" mint_count={getattr(self, '_mint_count', 0)})"
        )


# A thread that held a token's lock when another thread forked leaves it locked forever in the child; the child
# gets fresh locks (the cached tokens stay valid: they are not tied to a process).
_LIVE_SOURCES: weakref.WeakSet[MintedToken] = weakref.WeakSet()


def _fresh_locks_in_child() -> None:
    for source in list(_LIVE_SOURCES):
        source._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_locks_in_child)


class GivenToken:
    """A user token signed elsewhere (by the caller's backend, Firebase or Auth0), checked before any I/O."""

    __slots__ = ("_claims", "_clock", "_token")

    def __init__(self, token: str | Secret[str], clock: Callable[[], float] = time.time) -> None:
        secret = token if isinstance(token, Secret) else Secret(token)
        del token
        # A token read from a file or an env var often ends with a newline; it must not reach a header.
        if isinstance(secret.reveal(), str):
            secret = Secret(secret.reveal().strip())
        self._claims = inspect_user_token(secret, now=clock())
        self._token = secret
        self._clock = clock

    @property
    def user_id(self) -> str:
        return self._claims.sub

    @property
    def claims(self) -> TokenClaims:
        return self._claims

    def get(self, now: float | None = None) -> Secret[str]:
        exp = self._claims.exp
        if exp is not None and (self._clock() if now is None else now) >= exp:
            raise UserTokenError(_expired_message(exp))
        return self._token

    def __repr__(self) -> str:
        claims = getattr(self, "_claims", None)
        if claims is None:
            return "GivenToken(<not checked>)"
        return f"GivenToken(user_id={claims.sub!r}, exp={claims.exp!r})"
