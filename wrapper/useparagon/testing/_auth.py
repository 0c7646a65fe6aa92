"""The fake's side of Paragon User Tokens: an RSA key pair and RS256 verification as Paragon does it.

Failure messages say what is wrong with a token (expired, bad signature, wrong audience…) so a failing test is
easy to read; they never contain the token or any key material.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .._constants import MIN_RSA_KEY_BITS, TOKEN_AUDIENCE_TEMPLATE


class TokenRejected(Exception):
    """A request's user token is missing or invalid; the message is safe to send back."""


# The keys given to ``reusing_generated_key``, innermost last: ``generate_private_key`` hands out the last one.
_reused_keys: list[rsa.RSAPrivateKey] = []


def generate_private_key() -> rsa.RSAPrivateKey:
    """A new 2048-bit key (50-100 ms of CPU), or the key given to ``reusing_generated_key`` while that block runs."""
    if _reused_keys:
        return _reused_keys[-1]
    return rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_KEY_BITS)


@contextlib.contextmanager
def reusing_generated_key(key: rsa.RSAPrivateKey) -> Iterator[None]:
    """Within the block, a ``FakeParagon`` made without a key signs with ``key`` instead of generating one.

    For test suites that build hundreds of fakes whose key proves nothing (this project's own fixtures do): outside
    such a block, and so for every library user, each of those fakes still gets a fresh key. Not thread-safe.
    """
    if key.key_size < MIN_RSA_KEY_BITS:
        raise ValueError(f"a reused key must have at least {MIN_RSA_KEY_BITS} bits")
    _reused_keys.append(key)
    try:
        yield
    finally:
        _reused_keys.pop()


def private_key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def public_key_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.replace("\\n", "\n").encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError("signing_key_pem is not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("signing_key_pem is not an RSA private key")
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.replace("\\n", "\n").encode())
    except (ValueError, TypeError):
        raise ValueError("public_key_pem is not a PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("public_key_pem is not an RSA public key")
    return key


def sign(key: rsa.RSAPrivateKey, project_id: str, user_id: str, ttl: int, claims: Mapping[str, Any]) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": user_id,
        "aud": TOKEN_AUDIENCE_TEMPLATE.format(project_id=project_id),
        "iat": now,
        "exp": now + ttl,
    }
    payload.update(claims)
    # A claim given as None is left out, so a test can mint a token without `aud` (or without anything else).
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, key, algorithm="RS256")


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise TokenRejected("Unauthorized: no Authorization header.")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected("Unauthorized: the Authorization header is not a Bearer token.")
    return token.strip()


def verify(token: str, key: rsa.RSAPublicKey, project_id: str, *, require_audience: bool = False) -> str:
    """Returns the token's ``sub``, or raises ``TokenRejected``; ``require_audience``: the token must carry ``aud``
    (Managed Sync requires it; the other services check it only when present)."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            options={"require": ["exp"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise TokenRejected("Unauthorized: the user token has expired.") from None
    except jwt.InvalidSignatureError:
        raise TokenRejected("Unauthorized: the user token's signature does not match the project's key.") from None
    except jwt.MissingRequiredClaimError:
        raise TokenRejected("Unauthorized: the user token has no exp claim.") from None
    except jwt.ImmatureSignatureError:
        raise TokenRejected("Unauthorized: the user token is not valid yet (iat or nbf in the future).") from None
    except jwt.InvalidTokenError:
        raise TokenRejected("Unauthorized: the user token is not a well-formed RS256 JWT.") from None
    audience = TOKEN_AUDIENCE_TEMPLATE.format(project_id=project_id)
    if require_audience and "aud" not in claims:
        raise TokenRejected(f"Unauthorized: Managed Sync needs the user token's aud claim ({audience!r}).")
    if "aud" in claims:
        aud = claims["aud"]
        if not (aud == audience or (isinstance(aud, list) and audience in aud)):
            raise TokenRejected(f"Unauthorized: the user token's aud is not {audience!r}.")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise TokenRejected("Unauthorized: the user token has no sub claim.")
    return sub
