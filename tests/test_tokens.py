"""Token sources for user sessions: reading a given token, and minting, caching and refreshing our own."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon._constants import PERMISSIONS_CLAIM, TOKEN_CLOCK_SKEW, TOKEN_REFRESH_MARGIN
from useparagon._errors import InvalidRequestError, UserTokenError
from useparagon._signing import TokenSigner
from useparagon._tokens import GivenToken, MintedToken, TokenClaims, TokenSource, inspect_user_token

PROJECT_ID = "proj-1"
NOW = 1_750_000_000  # 2025-06-15T15:06:40Z
NOW_ISO = "2025-06-15T15:06:40Z"
HMAC_SECRET = "a-shared-secret-that-is-at-least-32-bytes-long"
NAN_EXP = b'{"sub": "u", "exp": NaN}'
INFINITE_EXP = b'{"sub": "u", "exp": Infinity}'


def _b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unsigned(header: Any, payload: Any, signature: str = "c2lnbmF0dXJl") -> str:
    """A token with arbitrary segments: the client never checks signatures, so any signature bytes will do."""
    return f"{_b64(header)}.{_b64(payload)}.{signature}"


def _rs256(key: rsa.RSAPrivateKey, payload: dict[str, Any], **headers: Any) -> str:
    return jwt.encode(payload, key, algorithm="RS256", headers=headers or None)


class Clock:
    """A settable clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class SlowSigner(TokenSigner):
    """Sleeps inside every signature, releasing the GIL mid-mint, so an unlocked cache would let every racer sign."""

    def issue_checked(self, *args: Any, **kwargs: Any) -> tuple[str, int]:
        time.sleep(0.01)
        return super().issue_checked(*args, **kwargs)


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _assert_token_not_leaked(text: str, token: object) -> None:
    """No 12-character piece of the token (of any of its segments) appears in ``text``."""
    if isinstance(token, bytes):
        token = token.decode("latin-1")
    if not isinstance(token, str) or len(token) < 12:
        return
    pieces = {text[i : i + 12] for i in range(len(text) - 11)}
    assert not [piece for piece in pieces if piece in token], text


# --- inspect_user_token ----------------------------------------------------------------------------------------

RS = {"alg": "RS256", "typ": "JWT"}
NOT_A_JWT = "the user token is not a JWT: expected three base64url segments separated by '.'"

BAD_TOKENS: list[tuple[str, Any, str]] = [
    ("none", None, "the user token must be a str, got NoneType"),
    ("bytes", b"a.b.c", "the user token must be a str, got bytes"),
    ("int", 42, "the user token must be a str, got int"),
    ("empty", "", "the user token is empty"),
    ("garbage", "this is not a token", NOT_A_JWT),
    ("two-segments", f"{_b64(RS)}.{_b64({'sub': 'u'})}", NOT_A_JWT),
    ("four-segments", _unsigned(RS, {"sub": "u"}) + ".xyz", NOT_A_JWT),
    ("empty-signature", _unsigned(RS, {"sub": "u"}, signature=""), NOT_A_JWT),
    ("padded-base64", _unsigned(RS, {"sub": "u"}) + "==", NOT_A_JWT),
    ("inner-newline", _unsigned(RS, {"sub": "u"}).replace(".", ".\n", 1), NOT_A_JWT),
    ("bearer-prefix", "Bearer " + _unsigned(RS, {"sub": "u"}), "pass the user token without its 'Bearer ' prefix"),
    (
        "header-not-json",
        f"{_b64(b'not json at all')}.{_b64({'sub': 'u'})}.c2ln",
        "the user token's header is not a base64url-encoded JSON object",
    ),
    (
        "header-bad-base64-length",
        f"abcde.{_b64({'sub': 'u'})}.c2ln",
        "the user token's header is not a base64url-encoded JSON object",
    ),
    (
        "payload-not-json",
        f"{_b64(RS)}.{_b64(b'{sub: u}')}.c2ln",
        "the user token's payload is not a base64url-encoded JSON object",
    ),
    (
        "payload-array",
        _unsigned(RS, ["sub", "u"]),
        "the user token's payload is not a base64url-encoded JSON object",
    ),
    (
        "payload-not-utf8",
        f"{_b64(RS)}.{_b64(bytes([0xFF, 0xFE, 0x7B]))}.c2ln",
        "the user token's payload is not a base64url-encoded JSON object",
    ),
    (
        "hs256",
        jwt.encode({"sub": "u"}, HMAC_SECRET, algorithm="HS256"),
        "the user token is signed with 'HS256'; Paragon requires RS256",
    ),
    (
        "alg-none",
        _unsigned({"alg": "none"}, {"sub": "u"}),
        "the user token is signed with 'none'; Paragon requires RS256",
    ),
    (
        "no-alg",
        _unsigned({"typ": "JWT"}, {"sub": "u"}),
        "the user token is signed with another algorithm; Paragon requires RS256",
    ),
    (
        "alg-long",
        _unsigned({"alg": "x" * 40}, {"sub": "u"}),
        "the user token is signed with another algorithm; Paragon requires RS256",
    ),
    (
        "no-sub",
        _unsigned(RS, {"exp": NOW + 60}),
        "the user token has no user id: it needs a non-empty 'sub' (or 'id') claim",
    ),
    (
        "empty-sub",
        _unsigned(RS, {"sub": ""}),
        "the user token has no user id: it needs a non-empty 'sub' (or 'id') claim",
    ),
    (
        "sub-null",
        _unsigned(RS, {"sub": None}),
        "the user token has no user id: it needs a non-empty 'sub' (or 'id') claim",
    ),
    (
        "sub-bool",
        _unsigned(RS, {"sub": True}),
        "the user token has no user id: it needs a non-empty 'sub' (or 'id') claim",
    ),
    (
        "sub-object",
        _unsigned(RS, {"sub": {}}),
        "the user token has no user id: it needs a non-empty 'sub' (or 'id') claim",
    ),
    (
        "expired",
        _unsigned(RS, {"sub": "u", "exp": NOW - 1}),
        "the user token expired at 2025-06-15T15:06:39Z; sign a new one",
    ),
    ("expires-now", _unsigned(RS, {"sub": "u", "exp": NOW}), f"the user token expired at {NOW_ISO}; sign a new one"),
    (
        "exp-zero",
        _unsigned(RS, {"sub": "u", "exp": 0}),
        "the user token expired at 1970-01-01T00:00:00Z; sign a new one",
    ),
    (
        "exp-far-past",
        _unsigned(RS, {"sub": "u", "exp": -(10**15)}),
        f"the user token expired at {-(10**15)} (seconds since the epoch); sign a new one",
    ),
    (
        "exp-string",
        _unsigned(RS, {"sub": "u", "exp": str(NOW + 60)}),
        "the user token's 'exp' claim must be a number of seconds",
    ),
    ("exp-bool", _unsigned(RS, {"sub": "u", "exp": True}), "the user token's 'exp' claim must be a number of seconds"),
    ("exp-nan", f"{_b64(RS)}.{_b64(NAN_EXP)}.c2ln", "the user token's 'exp' claim must be a number of seconds"),
    (
        "exp-infinity",
        f"{_b64(RS)}.{_b64(INFINITE_EXP)}.c2ln",
        "the user token's 'exp' claim must be a number of seconds",
    ),
    (
        "iat-string",
        _unsigned(RS, {"sub": "u", "iat": "yesterday"}),
        "the user token's 'iat' claim must be a number of seconds",
    ),
    (
        "aud-number",
        _unsigned(RS, {"sub": "u", "aud": 5}),
        "the user token's 'aud' claim must be a string or a list of strings",
    ),
    (
        "aud-mixed-list",
        _unsigned(RS, {"sub": "u", "aud": ["a", 1]}),
        "the user token's 'aud' claim must be a string or a list of strings",
    ),
    (
        "deep-json",
        f"{_b64(RS)}.{_b64(b'[' * 100_000)}.c2ln",
        "the user token's payload is not a base64url-encoded JSON object",
    ),
]


@pytest.mark.parametrize(("token", "message"), [row[1:] for row in BAD_TOKENS], ids=[row[0] for row in BAD_TOKENS])
def test_bad_tokens_rejected_without_echoing_them(token: Any, message: str) -> None:
    """Malformed, non-RS256, user-less and expired tokens raise UserTokenError; the message never holds the token."""
    with pytest.raises(UserTokenError) as info:
        inspect_user_token(token, now=NOW)
    assert str(info.value) == message
    assert isinstance(info.value, InvalidRequestError)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    _assert_token_not_leaked(str(info.value), token)
    _assert_token_not_leaked(repr(info.value), token)


def test_our_tokens_inspect_to_their_claims(rsa_key: rsa.RSAPrivateKey) -> None:
    """A token from TokenSigner reads back as exactly its sub, exp, iat and aud."""
    token = TokenSigner(rsa_key, PROJECT_ID, clock=lambda: NOW).sign("user-1", ttl=600)
    assert inspect_user_token(token, now=NOW) == TokenClaims(
        sub="user-1", exp=NOW + 600, iat=NOW - TOKEN_CLOCK_SKEW, aud=f"useparagon.com/{PROJECT_ID}"
    )


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"id": "legacy-user", "exp": NOW + 1}, TokenClaims(sub="legacy-user", exp=NOW + 1, iat=None, aud=None)),
        ({"id": 42}, TokenClaims(sub="42", exp=None, iat=None, aud=None)),
        ({"sub": "", "id": "fallback"}, TokenClaims(sub="fallback", exp=None, iat=None, aud=None)),
        ({"sub": "s", "id": "i"}, TokenClaims(sub="s", exp=None, iat=None, aud=None)),
        (
            {
                "sub": "firebase-uid",
                "aud": "my-firebase-app",
                "iss": "https://securetoken.google.com/my-firebase-app",
                "iat": NOW - 10,
                "exp": NOW + 3590,
            },
            TokenClaims(sub="firebase-uid", exp=NOW + 3590, iat=NOW - 10, aud="my-firebase-app"),
        ),
        (
            {"sub": "auth0|abc", "aud": ["api", "client"], "exp": NOW + 0.5},
            TokenClaims(sub="auth0|abc", exp=NOW, iat=None, aud=("api", "client")),
        ),
    ],
    ids=[
        "id-claim",
        "numeric-id",
        "empty-sub-falls-back-to-id",
        "sub-wins",
        "firebase",
        "auth0-list-aud-fractional-exp",
    ],
)
def test_accepted_foreign_tokens(rsa_key: rsa.RSAPrivateKey, payload: dict[str, Any], expected: TokenClaims) -> None:
    """RS256 tokens from elsewhere pass; `id` stands in for `sub` as in the JS SDK; a fractional exp ahead is valid."""
    assert inspect_user_token(_rs256(rsa_key, payload, kid="abc"), now=NOW) == expected


# --- MintedToken -----------------------------------------------------------------------------------------------


def _minted(rsa_key: rsa.RSAPrivateKey, clock: Clock, ttl: int = 3600, **kwargs: Any) -> MintedToken:
    return MintedToken(TokenSigner(rsa_key, PROJECT_ID, clock=clock), "user-1", ttl, **kwargs)


def test_minted_token_mints_once_and_caches(rsa_key: rsa.RSAPrivateKey) -> None:
    """The first get() signs; later ones return the cached token without another RSA signature."""
    source = _minted(rsa_key, Clock(NOW))
    assert source.mint_count == 0
    first = source.get().reveal()
    assert [source.get().reveal() for _ in range(1000)] == [first] * 1000
    assert source.mint_count == 1
    assert _claims(first) == {
        "sub": "user-1",
        "aud": f"useparagon.com/{PROJECT_ID}",
        "iat": NOW - 30,
        "exp": NOW + 3600,
    }


def test_minted_token_carries_permissions_and_claims(rsa_key: rsa.RSAPrivateKey) -> None:
    """permissions and extra claims given to the source end up in every token it mints."""
    source = _minted(rsa_key, Clock(NOW), ttl=60, permissions={"integration:*": True}, claims={"team": "t1"})
    claims = _claims(source.get().reveal())
    assert claims[PERMISSIONS_CLAIM] == {"integration:*": True}
    assert claims["team"] == "t1"


def test_fifty_threads_mint_once(rsa_key: rsa.RSAPrivateKey) -> None:
    """50 threads released together get one token from one signature, though signing is slow."""
    source = MintedToken(SlowSigner(rsa_key, PROJECT_ID, clock=Clock(NOW)), "user-1")
    barrier = threading.Barrier(50)

    def fetch(_: int) -> str:
        barrier.wait()
        return source.get().reveal()

    with ThreadPoolExecutor(max_workers=50) as pool:
        tokens = list(pool.map(fetch, range(50)))
    assert len(set(tokens)) == 1
    assert source.mint_count == 1


async def test_concurrent_tasks_and_threads_mint_once(rsa_key: rsa.RSAPrivateKey) -> None:
    """Tasks on the event loop and worker threads sharing a source still mint once."""
    source = MintedToken(SlowSigner(rsa_key, PROJECT_ID, clock=Clock(NOW)), "user-1")

    async def on_loop() -> str:
        await asyncio.sleep(0)
        return source.get().reveal()

    def in_thread() -> str:
        return source.get().reveal()

    tokens = await asyncio.gather(*[on_loop() for _ in range(20)], *[asyncio.to_thread(in_thread) for _ in range(20)])
    assert len(set(tokens)) == 1
    assert source.mint_count == 1


@pytest.mark.parametrize(
    ("ttl", "refresh_after"),
    [
        (24 * 3600, 24 * 3600 - TOKEN_REFRESH_MARGIN),
        (3600, 3600 - TOKEN_REFRESH_MARGIN),
        (2 * TOKEN_REFRESH_MARGIN, TOKEN_REFRESH_MARGIN),  # margin and half-life coincide
        (TOKEN_REFRESH_MARGIN, TOKEN_REFRESH_MARGIN / 2),  # ttl=60: half-life, not "already due"
        (10, 5),
        (1, 0.5),
    ],
)
def test_minted_token_refreshes_at_the_refresh_point_not_before(
    rsa_key: rsa.RSAPrivateKey, ttl: int, refresh_after: float
) -> None:
    """The token is reused until max(exp - margin, half-life), then replaced by one signed at the new time."""
    clock = Clock(NOW)
    source = _minted(rsa_key, clock, ttl=ttl)
    first = source.get().reveal()
    clock.now = NOW + refresh_after - 0.001
    assert source.get().reveal() == first
    assert source.mint_count == 1
    clock.now = NOW + refresh_after
    second = source.get().reveal()
    assert source.mint_count == 2
    assert second != first or ttl == 1  # ttl=1 at NOW + 0.5 truncates to the same second: same claims
    assert _claims(second)["exp"] == int(NOW + refresh_after) + ttl
    clock.now = NOW + refresh_after + 0.001
    assert source.get().reveal() == second
    assert source.mint_count == 2


@pytest.mark.parametrize("ttl", [1, 2, 60, 3600])
@pytest.mark.parametrize("start_fraction", [0.0, 0.3, 0.999])
def test_minted_token_never_served_expired_nor_resigned_every_call(
    rsa_key: rsa.RSAPrivateKey, ttl: int, start_fraction: float
) -> None:
    """Walking the clock in 0.05 s steps over 3 lifetimes: every token served has exp > now, and minting happens
    about twice per lifetime at most (the clock truncates to whole seconds in the token, not in the cache)."""
    clock = Clock(NOW + start_fraction)
    source = _minted(rsa_key, clock, ttl=ttl)
    steps = int(3 * ttl / 0.05) if ttl <= 2 else 200
    step = 0.05 if ttl <= 2 else 3 * ttl / 200
    seen: dict[str, int] = {}
    for i in range(steps):
        clock.now = NOW + start_fraction + i * step
        token = source.get().reveal()
        if token not in seen:
            seen[token] = _claims(token)["exp"]
        assert seen[token] > clock.now
    assert source.mint_count <= 2 * 3 + 1


def test_get_with_explicit_now(rsa_key: rsa.RSAPrivateKey) -> None:
    """get(now) decides and signs at the given instant, not the clock's."""
    source = _minted(rsa_key, Clock(0.0), ttl=60)
    assert _claims(source.get(NOW).reveal())["exp"] == NOW + 60
    assert source.get(NOW + 29).reveal() == source.get(NOW).reveal()
    assert _claims(source.get(NOW + 30).reveal())["exp"] == NOW + 90
    assert source.mint_count == 2


@pytest.mark.parametrize(
    ("user_id", "ttl", "kwargs", "message"),
    [
        ("", 60, {}, "user_id must not be empty or whitespace"),
        ("a\nb", 60, {}, "user_id must not contain control characters or line breaks"),
        ("u", 0, {}, "ttl must be between 1 and 86400 seconds, got 0"),
        ("u", 60, {"claims": {"sub": "other"}}, "claims may not override sub; they are set by the signer"),
        ("u", 60, {"permissions": "all"}, "permissions must be a mapping, got str"),
    ],
)
def test_minted_token_validates_at_construction(
    rsa_key: rsa.RSAPrivateKey, user_id: Any, ttl: Any, kwargs: dict[str, Any], message: str
) -> None:
    """Bad arguments fail when the source is made (the session is created), not on its first request."""
    with pytest.raises(InvalidRequestError) as info:
        MintedToken(TokenSigner(rsa_key, PROJECT_ID), user_id, ttl, **kwargs)
    assert str(info.value) == message


def test_minted_token_repr_has_no_token(rsa_key: rsa.RSAPrivateKey) -> None:
    """The repr names the user, ttl and mint count only."""
    source = _minted(rsa_key, Clock(NOW), ttl=60)
    token = source.get().reveal()
    assert repr(source) == "MintedToken(user_id='user-1', ttl=60, mint_count=1)"
    assert token not in repr(source)
    assert source.user_id == "user-1"
    assert source.ttl == 60


# --- GivenToken ------------------------------------------------------------------------------------------------


def test_given_token_served_until_it_expires(rsa_key: rsa.RSAPrivateKey) -> None:
    """A valid token is returned as is; at its exp it raises a clear UserTokenError that omits the token."""
    token = _rs256(rsa_key, {"sub": "user-9", "exp": NOW + 100})
    clock = Clock(NOW)
    source = GivenToken(token, clock)
    assert source.user_id == "user-9"
    assert source.get().reveal() == token
    clock.now = NOW + 99.9
    assert source.get().reveal() == token
    clock.now = NOW + 100
    with pytest.raises(UserTokenError) as info:
        source.get().reveal()
    assert str(info.value) == "the user token expired at 2025-06-15T15:08:20Z; sign a new one"
    _assert_token_not_leaked(str(info.value), token)
    with pytest.raises(UserTokenError):
        source.get(now=NOW + 10**6).reveal()
    assert source.get(now=NOW).reveal() == token


def test_given_token_rejected_at_construction(rsa_key: rsa.RSAPrivateKey) -> None:
    """An already expired or malformed token fails when the session is created."""
    expired = _rs256(rsa_key, {"sub": "u", "exp": NOW - 5})
    with pytest.raises(UserTokenError) as info:
        GivenToken(expired, Clock(NOW))
    assert str(info.value) == "the user token expired at 2025-06-15T15:06:35Z; sign a new one"
    with pytest.raises(UserTokenError) as info:
        GivenToken(None, Clock(NOW))  # type: ignore[arg-type]
    assert str(info.value) == "the user token must be a str, got NoneType"


def test_given_token_without_exp_never_expires_client_side(rsa_key: rsa.RSAPrivateKey) -> None:
    """Without exp the client cannot know; the token is sent and Paragon decides."""
    token = _rs256(rsa_key, {"id": "legacy"})
    source = GivenToken(token, Clock(NOW))
    assert source.get(now=NOW + 10**9).reveal() == token
    assert source.user_id == "legacy"


def test_given_token_strips_surrounding_whitespace(rsa_key: rsa.RSAPrivateKey) -> None:
    """A token read from a file or env var with a trailing newline is served without it (it goes in a header)."""
    token = _rs256(rsa_key, {"sub": "u", "exp": NOW + 60})
    assert GivenToken(f"  {token}\n", Clock(NOW)).get().reveal() == token


def test_given_token_repr_has_no_token(rsa_key: rsa.RSAPrivateKey) -> None:
    """The repr names the user and expiry only."""
    token = _rs256(rsa_key, {"sub": "user-9", "exp": NOW + 100})
    source = GivenToken(token, Clock(NOW))
    assert repr(source) == f"GivenToken(user_id='user-9', exp={NOW + 100})"
    assert source.claims == TokenClaims(sub="user-9", exp=NOW + 100, iat=None, aud=None)


def test_sources_satisfy_the_protocol(rsa_key: rsa.RSAPrivateKey) -> None:
    """Both sources fit TokenSource, which is what a user session holds."""
    sources: list[TokenSource] = [
        _minted(rsa_key, Clock(NOW)),
        GivenToken(_rs256(rsa_key, {"sub": "user-1"}), Clock(NOW)),
    ]
    assert [source.user_id for source in sources] == ["user-1", "user-1"]
