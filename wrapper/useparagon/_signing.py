"""Loading the Paragon Signing Key and signing RS256 Paragon User Tokens.

Key errors are raised ``from None`` and outside any ``except`` block, so neither ``__cause__`` nor ``__context__``
can carry a parser message that quotes key bytes; messages name the problem, never the material.

PyJWT and cryptography are imported where a key is loaded or a token signed, not with this module: importing
``useparagon`` does not pay for them until something is signed.
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ._constants import (
    DEFAULT_TOKEN_TTL,
    MAX_TOKEN_TTL,
    MIN_RSA_KEY_BITS,
    PERMISSIONS_CLAIM,
    TOKEN_AUDIENCE_TEMPLATE,
    TOKEN_CLOCK_SKEW,
)
from ._errors import ConfigurationError, InvalidRequestError, SigningKeyError
from ._patterns import lazy_pattern
from ._secret import Secret
from ._types import safe_attrs_repr

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

__all__ = ["TokenSigner", "load_signing_key", "load_signing_key_file"]

RESERVED_CLAIMS = frozenset({"sub", "iat", "exp", "aud"})

# A PEM key is a few kilobytes; anything far larger is the wrong file, and is not read whole into memory.
_MAX_KEY_FILE_BYTES = 1 << 16

# Labels are matched on a bounded character set so a label can be quoted in a message without quoting key bytes.
_PEM_BLOCK = lazy_pattern(r"-----BEGIN ([A-Z0-9 ]{1,40})-----(.*?)-----END \1-----", re.DOTALL)
_PEM_BEGIN = lazy_pattern(r"-----BEGIN ([A-Z0-9 ]{1,40})-----")
_LOADABLE_LABELS = frozenset({"PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY"})
_WRONG_KIND = {
    "PUBLIC KEY": "is a public key; Paragon signs with the private Signing Key from Settings > SDK Setup",
    "RSA PUBLIC KEY": "is a public key; Paragon signs with the private Signing Key from Settings > SDK Setup",
    "CERTIFICATE": "is a certificate, not a private key; use the Signing Key from Settings > SDK Setup",
    "EC PRIVATE KEY": "is an elliptic-curve (EC) key; Paragon user tokens are RS256 and need an RSA key",
    "DSA PRIVATE KEY": "is a DSA key; Paragon user tokens are RS256 and need an RSA key",
    "OPENSSH PRIVATE KEY": (
        "is in OpenSSH format; Paragon user tokens need an RSA key in PEM format (-----BEGIN PRIVATE KEY-----)"
    ),
}


def load_signing_key(pem: str | bytes | Secret[str | bytes], *, passphrase: bytes | None = None) -> RSAPrivateKey:
    """Load the Paragon Signing Key, an RSA private key of at least 2048 bits in PEM.

    Accepts the PEM as Paragon's dashboard gives it, and as environment secrets usually hold it: on one line with
    literal ``\\n`` escapes, with ``\\r\\n`` line ends, surrounded by whitespace or quotes, or with its base64 body
    unwrapped. A file holding a certificate and the key together is fine: the private key block is used.
    """
    secret = pem if isinstance(pem, Secret) else Secret(pem)
    del pem  # so no frame of a failure below holds the PEM in a local (error trackers record locals)
    return _load(secret, passphrase, "the signing key")


def load_signing_key_file(path: str | os.PathLike[str], *, passphrase: bytes | None = None) -> RSAPrivateKey:
    """Load the Paragon Signing Key from a PEM file (``PARAGON_SIGNING_KEY_PATH``)."""
    if not isinstance(path, str | os.PathLike):
        raise SigningKeyError(f"the signing key path must be a str or os.PathLike, got {type(path).__name__}") from None
    text = os.fspath(path)
    if not isinstance(text, str):
        raise SigningKeyError("the signing key path must be a text path, not bytes") from None
    # A PEM pasted where a path belongs must not be echoed back as "the path".
    if "-----BEGIN" in text or "\n" in text or "\\n" in text:
        raise SigningKeyError(
            "the signing key path looks like a PEM key, not a file path; pass it as the signing key instead"
        ) from None
    if not text.strip():
        raise SigningKeyError("the signing key path is empty") from None
    problem = None
    try:
        with Path(text).open("rb") as file:
            data = Secret(file.read(_MAX_KEY_FILE_BYTES + 1))
    except OSError as exc:
        problem = f"cannot read the signing key file {text!r}: {exc.strerror or type(exc).__name__}"
    if problem is not None:
        raise SigningKeyError(problem) from None
    if len(data) > _MAX_KEY_FILE_BYTES:
        raise SigningKeyError(f"the signing key file {text!r} is too large to be a PEM key") from None
    return _load(data, passphrase, f"the signing key file {text!r}")


class _KeyProblem(Exception):
    """Internal: why a key cannot be used. Raised where the PEM text is in scope, caught before it can escape."""


def _load(secret: Secret[str | bytes], passphrase: object, source: str) -> RSAPrivateKey:
    # Only this frame (holding the wrapped key) is on the stack when SigningKeyError is raised; the frames that saw
    # the PEM text are gone, and nothing is chained.
    outcome = _parse_or_problem(secret, passphrase, source)
    if isinstance(outcome, str):
        raise SigningKeyError(outcome) from None
    return outcome


def _parse_or_problem(secret: Secret[str | bytes], passphrase: object, source: str) -> RSAPrivateKey | str:
    try:
        return _parse(secret.reveal(), passphrase, source)
    except _KeyProblem as problem:
        return str(problem)


def _parse(pem: object, passphrase: object, source: str) -> RSAPrivateKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    if not isinstance(pem, str | bytes):
        raise _KeyProblem(f"{source} must be a PEM str or bytes, got {type(pem).__name__}") from None
    if passphrase is not None and not isinstance(passphrase, bytes):
        raise _KeyProblem(f"the signing key passphrase must be bytes, got {type(passphrase).__name__}") from None
    if isinstance(pem, bytes):
        try:
            text = pem.decode("ascii")
        except UnicodeDecodeError:
            text = None
        if text is None:
            raise _KeyProblem(f"{source} is not PEM text (DER and other binary formats are not supported)") from None
    else:
        text = pem
    block, label = _private_key_block(_normalise(text), source)
    encrypted = label == "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" in block
    if encrypted and passphrase is None:
        raise _KeyProblem(f"{source} is encrypted; pass its passphrase") from None
    problem = None
    try:
        key = serialization.load_pem_private_key(block.encode("ascii"), password=passphrase)
    except TypeError:
        # cryptography raises TypeError only for a passphrase given to an unencrypted key (and the converse,
        # ruled out above).
        problem = f"a passphrase was given but {source} is not encrypted"
    except UnsupportedAlgorithm:
        problem = f"{source} uses an unsupported key type or encryption"
    except ValueError:
        if encrypted:
            problem = f"{source} could not be decrypted: wrong passphrase, or the PEM is damaged"
        else:
            problem = f"{source} could not be parsed: the PEM is damaged or truncated"
    if problem is not None:
        raise _KeyProblem(problem) from None
    if not isinstance(key, RSAPrivateKey):
        raise _KeyProblem(f"{source} is not an RSA key; Paragon user tokens are RS256 and need an RSA key") from None
    if key.key_size < MIN_RSA_KEY_BITS:
        raise _KeyProblem(
            f"{source} is a {key.key_size}-bit RSA key; Paragon needs at least {MIN_RSA_KEY_BITS} bits"
        ) from None
    return key


def _normalise(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    # Env-file style: the whole PEM on one line with literal \n (sometimes \r\n) escapes, as Paragon's docs show.
    text = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\r", "\n")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _private_key_block(text: str, source: str) -> tuple[str, str]:
    if not text:
        raise _KeyProblem(f"{source} is empty") from None
    blocks = [(m.group(1), m.group(2)) for m in _PEM_BLOCK().finditer(text)]
    for label, body in blocks:
        if label in _LOADABLE_LABELS:
            return f"-----BEGIN {label}-----\n{_rewrap(body)}\n-----END {label}-----\n", label
    for label, _ in blocks:
        if label in _WRONG_KIND:
            raise _KeyProblem(f"{source} {_WRONG_KIND[label]}") from None
    if blocks:
        raise _KeyProblem(f"{source} holds a PEM block of type {blocks[0][0]!r}, not a private key") from None
    begin = _PEM_BEGIN().search(text)
    if begin is not None:
        raise _KeyProblem(
            f"{source} is truncated: it has no '-----END {begin.group(1)}-----' line matching its BEGIN line"
        ) from None
    raise _KeyProblem(
        f"{source} is not a PEM private key: expected text starting with '-----BEGIN PRIVATE KEY-----' "
        "or '-----BEGIN RSA PRIVATE KEY-----'"
    ) from None


def _rewrap(body: str) -> str:
    # Secrets UIs sometimes turn newlines into spaces; cryptography wants 64-column base64. Legacy encrypted
    # PKCS#1 keys carry "Proc-Type:" headers whose layout matters, so those are passed through untouched.
    if ":" in body:
        return body.strip("\n")
    flat = "".join(body.split())
    return "\n".join(flat[i : i + 64] for i in range(0, len(flat), 64))


def _check_user_id(user_id: object) -> str:
    if not isinstance(user_id, str):
        raise InvalidRequestError(f"user_id must be a str, got {type(user_id).__name__}")
    if not user_id.strip():
        raise InvalidRequestError("user_id must not be empty or whitespace")
    if user_id != user_id.strip():
        raise InvalidRequestError("user_id must not have leading or trailing whitespace")
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in user_id):
        raise InvalidRequestError("user_id must not contain control characters or line breaks")
    return user_id


def _check_ttl(ttl: object) -> int:
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        raise InvalidRequestError(f"ttl must be an int number of seconds, got {type(ttl).__name__}")
    if not 0 < ttl <= MAX_TOKEN_TTL:
        raise InvalidRequestError(f"ttl must be between 1 and {MAX_TOKEN_TTL} seconds, got {ttl}")
    return ttl


def _check_extra_claims(permissions: object, claims: Mapping[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    reserved = sorted(RESERVED_CLAIMS.intersection(claims))
    if reserved:
        raise InvalidRequestError(f"claims may not override {', '.join(reserved)}; they are set by the signer")
    if permissions is not None:
        if not isinstance(permissions, Mapping):
            raise InvalidRequestError(f"permissions must be a mapping, got {type(permissions).__name__}")
        if PERMISSIONS_CLAIM in claims:
            raise InvalidRequestError(f"pass permissions either as permissions= or as {PERMISSIONS_CLAIM!r}, not both")
        extra[PERMISSIONS_CLAIM] = dict(permissions)
    extra.update(claims)
    return extra


TokenRequest = tuple[str, int, dict[str, Any]]
"""A checked user id, ttl and extra claims, from ``validate_token_request``."""


def validate_token_request(
    user_id: object, ttl: object, permissions: object, claims: Mapping[str, Any]
) -> TokenRequest:
    """Check what ``TokenSigner.sign`` would check, so a session fails at creation rather than at first use."""
    return _check_user_id(user_id), _check_ttl(ttl), _check_extra_claims(permissions, claims)


def _check_project_id(_: object, __: attrs.Attribute[str], project_id: str) -> None:
    if not isinstance(project_id, str) or not project_id.strip():
        raise ConfigurationError("project_id must be a non-empty str")
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in project_id):
        raise ConfigurationError("project_id must not contain whitespace or control characters")


def _check_key(_: object, __: attrs.Attribute[RSAPrivateKey], key: RSAPrivateKey) -> None:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    if not isinstance(key, RSAPrivateKey):
        raise SigningKeyError(f"the signing key must be an RSA private key, got {type(key).__name__}") from None
    if key.key_size < MIN_RSA_KEY_BITS:
        raise SigningKeyError(
            f"the signing key is a {key.key_size}-bit RSA key; Paragon needs at least {MIN_RSA_KEY_BITS} bits"
        ) from None


@attrs.frozen(repr=False)
class TokenSigner:
    """Signs Paragon User Tokens for one project with a key loaded once (reusing it skips RSA key checks)."""

    __repr__ = safe_attrs_repr

    key: RSAPrivateKey = attrs.field(repr=False, validator=_check_key)
    project_id: str = attrs.field(validator=_check_project_id)
    clock: Callable[[], float] = attrs.field(default=time.time, repr=False)

    @property
    def audience(self) -> str:
        return TOKEN_AUDIENCE_TEMPLATE.format(project_id=self.project_id)

    def sign(
        self,
        user_id: str,
        *,
        ttl: int = DEFAULT_TOKEN_TTL,
        permissions: Mapping[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """An RS256 token for ``user_id`` valid for ``ttl`` seconds, for the frontend's ``paragon.authenticate``.

        ``iat`` is back-dated by ``TOKEN_CLOCK_SKEW`` seconds so a Paragon clock slightly behind ours accepts it;
        ``permissions`` goes under Paragon's permissions claim; other keyword claims are added as they are.
        """
        return self.issue(user_id, ttl=ttl, permissions=permissions, claims=claims)[0]

    def issue_secret(self, request: TokenRequest, *, now: float | None = None) -> tuple[Secret[str], int]:
        """``issue_checked``, with the token wrapped: what sessions keep, so no frame or cache holds it in the
        clear."""
        issued = self.issue_checked(request, now=now)
        return Secret(issued[0]), issued[1]

    def issue(
        self,
        user_id: str,
        *,
        ttl: int = DEFAULT_TOKEN_TTL,
        permissions: Mapping[str, Any] | None = None,
        claims: Mapping[str, Any] | None = None,
        now: float | None = None,
    ) -> tuple[str, int]:
        """Like ``sign``, at ``now`` (default: the clock), also returning the token's ``exp``, for caches."""
        return self.issue_checked(validate_token_request(user_id, ttl, permissions, claims or {}), now=now)

    def issue_checked(self, request: TokenRequest, *, now: float | None = None) -> tuple[str, int]:
        """``issue`` for a request ``validate_token_request`` already checked: a session's is checked once, when
        the session is made, not again at every renewal."""
        user_id, ttl, extra = request
        # int() of an epoch float: the timestamps never pass through a (possibly naive, local) datetime.
        issued = int(self.clock() if now is None else now)
        payload = {
            "sub": user_id,
            "aud": self.audience,
            "iat": issued - TOKEN_CLOCK_SKEW,
            "exp": issued + ttl,
            **extra,
        }
        import jwt

        problem = None
        try:
            token = jwt.encode(payload, self.key, algorithm="RS256", headers={"typ": "JWT"})
        except (TypeError, ValueError) as exc:
            # These come from json.dumps or PyJWT's claim checks and name a type or a claim, never a value.
            problem = f"the token claims could not be encoded: {exc}"
        if problem is not None:
            raise InvalidRequestError(problem) from None
        return token, payload["exp"]
