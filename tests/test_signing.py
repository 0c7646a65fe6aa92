"""Loading the signing key and signing user tokens."""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from useparagon._constants import MAX_TOKEN_TTL, MIN_RSA_KEY_BITS, PERMISSIONS_CLAIM, TOKEN_CLOCK_SKEW
from useparagon._errors import ConfigurationError, InvalidRequestError, SigningKeyError
from useparagon._signing import TokenSigner, load_signing_key, load_signing_key_file

PROJECT_ID = "7f1c9a52-6f58-4a7d-9d87-0b1c2d3e4f50"
AUDIENCE = f"useparagon.com/{PROJECT_ID}"
# A fixed instant with a fractional part, so truncation (never rounding up into the future) is exercised.
FROZEN = 1_750_000_000.75
PASSPHRASE = b"correct horse battery staple"
BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{17,}")


def _pem(key: Any, fmt: serialization.PrivateFormat, encryption: Any = None) -> str:
    data: bytes = key.private_bytes(serialization.Encoding.PEM, fmt, encryption or serialization.NoEncryption())
    return data.decode()


@pytest.fixture(scope="session")
def key_texts(rsa_key: rsa.RSAPrivateKey, rsa_pem: str) -> dict[str, Any]:
    """Every key rendering the tests need, good and bad, built once from two generated keys."""
    # Deliberately too short: it is the key the loader must refuse.
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "useparagon test")])
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=30))
        .sign(rsa_key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    encrypt = serialization.BestAvailableEncryption(PASSPHRASE)
    lines = rsa_pem.splitlines()
    return {
        "pkcs8": rsa_pem,
        "pkcs1": _pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL),
        "encrypted_pkcs8": _pem(rsa_key, serialization.PrivateFormat.PKCS8, encrypt),
        "encrypted_pkcs1": _pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL, encrypt),
        "ec": _pem(ec.generate_private_key(ec.SECP256R1()), serialization.PrivateFormat.PKCS8),
        "ec_traditional": _pem(ec.generate_private_key(ec.SECP256R1()), serialization.PrivateFormat.TraditionalOpenSSL),
        "rsa_1024": _pem(small, serialization.PrivateFormat.PKCS8),
        "public": rsa_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        "public_pkcs1": rsa_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        .decode(),
        "certificate": cert_pem,
        "truncated": "\n".join(lines[: len(lines) // 2]),
        "damaged": "\n".join([*lines[: len(lines) // 2], lines[-1]]),
        "der": rsa_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        "base64_garbage": base64.b64encode(os.urandom(300)).decode(),
    }


def _signer(key: rsa.RSAPrivateKey, now: float = FROZEN) -> TokenSigner:
    return TokenSigner(key, PROJECT_ID, clock=lambda: now)


def _segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _assert_no_key_material(err: BaseException) -> None:
    for text in (str(err), repr(err), *map(str, err.args)):
        assert BASE64_RUN.search(text) is None, text
    assert err.__cause__ is None
    assert err.__context__ is None
    assert err.__suppress_context__ is True


# --- signing ----------------------------------------------------------------------------------------------------


def test_round_trip_with_required_claims(rsa_key: rsa.RSAPrivateKey) -> None:
    """A token verifies with the public key, RS256 only, the project audience and sub/iat/exp required."""
    now = float(int(time.time()))
    token = _signer(rsa_key, now).sign("user-123")
    claims = jwt.decode(
        token,
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience=AUDIENCE,
        options={"require": ["sub", "iat", "exp"]},
    )
    assert claims == {"sub": "user-123", "aud": AUDIENCE, "iat": int(now) - TOKEN_CLOCK_SKEW, "exp": int(now) + 3600}


def test_header_is_rs256_jwt(rsa_key: rsa.RSAPrivateKey) -> None:
    """The header is exactly {"alg": "RS256", "typ": "JWT"} (PyJWT would default to HS256 if not told)."""
    assert _segment(_signer(rsa_key).sign("u"), 0) == {"alg": "RS256", "typ": "JWT"}


@pytest.mark.parametrize("ttl", [1, 60, 3600, MAX_TOKEN_TTL])
def test_lifetime_is_ttl_plus_skew_and_iat_not_in_future(rsa_key: rsa.RSAPrivateKey, ttl: int) -> None:
    """exp - iat == ttl + skew; iat is back-dated from the truncated clock, never rounded up past now."""
    claims = _segment(_signer(rsa_key).sign("u", ttl=ttl), 1)
    assert claims["exp"] - claims["iat"] == ttl + TOKEN_CLOCK_SKEW
    assert claims["iat"] == int(FROZEN) - TOKEN_CLOCK_SKEW
    assert claims["iat"] <= FROZEN
    assert claims["exp"] == int(FROZEN) + ttl


@pytest.fixture
def set_tz() -> Iterator[Callable[[str], None]]:
    """Switch the process's local timezone; the original one is restored afterwards."""
    original = os.environ.get("TZ")

    def switch(zone: str) -> None:
        os.environ["TZ"] = zone
        time.tzset()

    yield switch
    if original is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = original
    time.tzset()


def test_identical_under_any_local_timezone(rsa_key: rsa.RSAPrivateKey, set_tz: Callable[[str], None]) -> None:
    """UTC and New York (4-5 h apart) give byte-identical tokens: no naive datetime is involved."""
    tokens, offsets = [], []
    for zone in ("UTC", "America/New_York", "Asia/Kolkata"):
        set_tz(zone)
        offsets.append(time.strftime("%z", time.localtime(FROZEN)))
        tokens.append(_signer(rsa_key).sign("user-123", permissions={"integration:*": True}))
    assert offsets == ["+0000", "-0400", "+0530"]  # the switch really happened
    assert len(set(tokens)) == 1
    assert _segment(tokens[0], 1)["exp"] == int(FROZEN) + 3600


def test_permissions_and_extra_claims(rsa_key: rsa.RSAPrivateKey) -> None:
    """permissions= lands under Paragon's permissions claim; other keyword claims are added as given."""
    permissions = {"integration:*": False, "integration:slack": True}
    token = _signer(rsa_key).sign("u", ttl=60, permissions=permissions, email="a@b.co", **{"org:id": 7})
    assert _segment(token, 1) == {
        "sub": "u",
        "aud": AUDIENCE,
        "iat": int(FROZEN) - TOKEN_CLOCK_SKEW,
        "exp": int(FROZEN) + 60,
        PERMISSIONS_CLAIM: permissions,
        "email": "a@b.co",
        "org:id": 7,
    }


def test_permissions_claim_may_be_passed_by_name(rsa_key: rsa.RSAPrivateKey) -> None:
    """The permissions claim given as a raw keyword claim (without permissions=) is kept as is."""
    raw: dict[str, Any] = {PERMISSIONS_CLAIM: {"credential:*": False}}
    token = _signer(rsa_key).sign("u", **raw)
    assert _segment(token, 1)[PERMISSIONS_CLAIM] == {"credential:*": False}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sub": "admin"}, "claims may not override sub; they are set by the signer"),
        ({"iat": 0}, "claims may not override iat; they are set by the signer"),
        ({"exp": 2**40}, "claims may not override exp; they are set by the signer"),
        ({"aud": "useparagon.com/other"}, "claims may not override aud; they are set by the signer"),
        ({"exp": 1, "sub": "x"}, "claims may not override exp, sub; they are set by the signer"),
        (
            {"permissions": {"a": True}, PERMISSIONS_CLAIM: {"b": True}},
            f"pass permissions either as permissions= or as {PERMISSIONS_CLAIM!r}, not both",
        ),
        ({"permissions": [("integration:*", True)]}, "permissions must be a mapping, got list"),
        ({"tags": {"a", "b"}}, "the token claims could not be encoded: Object of type set is not JSON serializable"),
        ({"iss": 5}, "the token claims could not be encoded: Issuer (iss) must be a string."),
    ],
    ids=["sub", "iat", "exp", "aud", "two", "permissions-twice", "permissions-list", "unserialisable", "iss-int"],
)
def test_bad_claims_rejected(rsa_key: rsa.RSAPrivateKey, kwargs: dict[str, Any], message: str) -> None:
    """Reserved claims cannot be overridden, and claims that cannot be encoded raise a typed error."""
    with pytest.raises(InvalidRequestError) as info:
        _signer(rsa_key).sign("u", **kwargs)
    assert str(info.value) == message


BAD_USER_IDS = [
    ("", "user_id must not be empty or whitespace"),
    ("   ", "user_id must not be empty or whitespace"),
    ("\t\n", "user_id must not be empty or whitespace"),
    (" user", "user_id must not have leading or trailing whitespace"),
    ("user\n", "user_id must not have leading or trailing whitespace"),
    ("a\nb", "user_id must not contain control characters or line breaks"),
    ("a\rb", "user_id must not contain control characters or line breaks"),
    ("a\x00b", "user_id must not contain control characters or line breaks"),
    ("a\x1bb", "user_id must not contain control characters or line breaks"),
    ("a\x7fb", "user_id must not contain control characters or line breaks"),
    ("a\x85b", "user_id must not contain control characters or line breaks"),
    ("a\u2028b", "user_id must not contain control characters or line breaks"),
    (None, "user_id must be a str, got NoneType"),
    (123, "user_id must be a str, got int"),
    (b"user", "user_id must be a str, got bytes"),
    (["user"], "user_id must be a str, got list"),
]


@pytest.mark.parametrize(("user_id", "message"), BAD_USER_IDS)
def test_bad_user_id_rejected(rsa_key: rsa.RSAPrivateKey, user_id: Any, message: str) -> None:
    """Empty, padded, control-character and non-str user ids raise InvalidRequestError (a ValueError)."""
    with pytest.raises(InvalidRequestError) as info:
        _signer(rsa_key).sign(user_id)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == message


@pytest.mark.parametrize("user_id", ["user-123", "a@b.co", "ünïcødé-用户", "x" * 1000, "a b"])
def test_unusual_but_valid_user_ids_accepted(rsa_key: rsa.RSAPrivateKey, user_id: str) -> None:
    """Emails, non-ASCII, long ids and inner spaces are the caller's business and go into sub unchanged."""
    assert _segment(_signer(rsa_key).sign(user_id), 1)["sub"] == user_id


@pytest.mark.parametrize(
    ("ttl", "message"),
    [
        (0, f"ttl must be between 1 and {MAX_TOKEN_TTL} seconds, got 0"),
        (-1, f"ttl must be between 1 and {MAX_TOKEN_TTL} seconds, got -1"),
        (MAX_TOKEN_TTL + 1, f"ttl must be between 1 and {MAX_TOKEN_TTL} seconds, got {MAX_TOKEN_TTL + 1}"),
        (10**20, f"ttl must be between 1 and {MAX_TOKEN_TTL} seconds, got {10**20}"),
        (True, "ttl must be an int number of seconds, got bool"),
        (False, "ttl must be an int number of seconds, got bool"),
        (3600.0, "ttl must be an int number of seconds, got float"),
        ("3600", "ttl must be an int number of seconds, got str"),
        (None, "ttl must be an int number of seconds, got NoneType"),
        (datetime.timedelta(hours=1), "ttl must be an int number of seconds, got timedelta"),
    ],
)
def test_bad_ttl_rejected(rsa_key: rsa.RSAPrivateKey, ttl: Any, message: str) -> None:
    """ttl must be an int in [1, MAX_TOKEN_TTL]; bools and floats are refused rather than coerced."""
    with pytest.raises(InvalidRequestError) as info:
        _signer(rsa_key).sign("u", ttl=ttl)
    assert str(info.value) == message


def test_signer_repr_hides_key(rsa_key: rsa.RSAPrivateKey, rsa_pem: str) -> None:
    """The signer's repr shows the project only: no key, no clock."""
    text = repr(_signer(rsa_key))
    assert text == f"TokenSigner(project_id={PROJECT_ID!r})"
    assert all(line not in text for line in rsa_pem.splitlines())


def test_signer_uses_real_clock_by_default(rsa_key: rsa.RSAPrivateKey) -> None:
    """Without an injected clock, iat/exp follow time.time()."""
    before = int(time.time())
    claims = _segment(TokenSigner(rsa_key, PROJECT_ID).sign("u"), 1)
    after = int(time.time())
    assert before - TOKEN_CLOCK_SKEW <= claims["iat"] <= after - TOKEN_CLOCK_SKEW
    assert claims["exp"] - claims["iat"] == 3600 + TOKEN_CLOCK_SKEW


@pytest.mark.parametrize(
    ("project_id", "message"),
    [
        ("", "project_id must be a non-empty str"),
        ("  ", "project_id must be a non-empty str"),
        (None, "project_id must be a non-empty str"),
        ("proj ect", "project_id must not contain whitespace or control characters"),
        ("proj\n", "project_id must not contain whitespace or control characters"),
    ],
)
def test_bad_project_id_rejected(rsa_key: rsa.RSAPrivateKey, project_id: Any, message: str) -> None:
    """The project id becomes the audience, so it must be a clean non-empty string."""
    with pytest.raises(ConfigurationError) as info:
        TokenSigner(rsa_key, project_id)
    assert str(info.value) == message


def test_signer_rejects_key_objects_that_cannot_sign_rs256(key_texts: dict[str, Any]) -> None:
    """A key object passed directly is checked like a loaded one: EC and short RSA keys are refused."""
    ec_key = ec.generate_private_key(ec.SECP256R1())
    small = serialization.load_pem_private_key(key_texts["rsa_1024"].encode(), password=None)
    with pytest.raises(SigningKeyError) as info:
        TokenSigner(ec_key, PROJECT_ID)  # type: ignore[arg-type]
    assert str(info.value) == f"the signing key must be an RSA private key, got {type(ec_key).__name__}"
    with pytest.raises(SigningKeyError) as info:
        TokenSigner("-----BEGIN PRIVATE KEY-----", PROJECT_ID)  # type: ignore[arg-type]
    assert str(info.value) == "the signing key must be an RSA private key, got str"
    with pytest.raises(SigningKeyError) as info:
        TokenSigner(small, PROJECT_ID)  # type: ignore[arg-type]
    assert str(info.value) == f"the signing key is a 1024-bit RSA key; Paragon needs at least {MIN_RSA_KEY_BITS} bits"


# --- loading the key --------------------------------------------------------------------------------------------

GOOD_KEYS: dict[str, tuple[Callable[[dict[str, Any]], str | bytes], bytes | None]] = {
    "pkcs8-str": (lambda k: k["pkcs8"], None),
    "pkcs8-bytes": (lambda k: k["pkcs8"].encode(), None),
    "pkcs1-str": (lambda k: k["pkcs1"], None),
    "single-line-escaped": (lambda k: k["pkcs8"].replace("\n", "\\n"), None),
    "single-line-escaped-bytes": (lambda k: k["pkcs8"].replace("\n", "\\n").encode(), None),
    "escaped-crlf": (lambda k: k["pkcs8"].replace("\n", "\\r\\n"), None),
    "crlf": (lambda k: k["pkcs8"].replace("\n", "\r\n"), None),
    "quoted-padded": (lambda k: '  "' + k["pkcs8"].replace("\n", "\\n") + '"\n', None),
    "single-quoted": (lambda k: "'" + k["pkcs8"] + "'", None),
    "newlines-as-spaces": (lambda k: k["pkcs8"].replace("\n", " "), None),
    "unwrapped-body": (
        lambda k: (
            "-----BEGIN PRIVATE KEY-----\n" + "".join(k["pkcs8"].splitlines()[1:-1]) + "\n-----END PRIVATE KEY-----"
        ),
        None,
    ),
    "certificate-then-key": (lambda k: k["certificate"] + k["pkcs8"], None),
    "encrypted-pkcs8": (lambda k: k["encrypted_pkcs8"], PASSPHRASE),
    "encrypted-pkcs1": (lambda k: k["encrypted_pkcs1"], PASSPHRASE),
    "encrypted-pkcs1-escaped": (lambda k: k["encrypted_pkcs1"].replace("\n", "\\n"), PASSPHRASE),
}


@pytest.mark.parametrize("case", list(GOOD_KEYS))
def test_good_keys_load(key_texts: dict[str, Any], rsa_key: rsa.RSAPrivateKey, case: str) -> None:
    """PEM as str or bytes, env-style escaped, CRLF, quoted, unwrapped, bundled or encrypted: the same key loads."""
    build, passphrase = GOOD_KEYS[case]
    key = load_signing_key(build(key_texts), passphrase=passphrase)
    assert key.private_numbers() == rsa_key.private_numbers()


def test_single_line_key_signs(key_texts: dict[str, Any], rsa_key: rsa.RSAPrivateKey) -> None:
    """The env-style single-line key signs a token that verifies against the original public key."""
    key = load_signing_key(key_texts["pkcs8"].replace("\n", "\\n"))
    token = _signer(key, float(int(time.time()))).sign("u")
    assert jwt.decode(token, rsa_key.public_key(), algorithms=["RS256"], audience=AUDIENCE)["sub"] == "u"


_RS256_NEEDS_RSA = "Paragon user tokens are RS256 and need an RSA key"
_FROM_SETTINGS = "Signing Key from Settings > SDK Setup"
BAD_KEYS: list[tuple[str, Callable[[dict[str, Any]], Any], object, str]] = [
    ("empty", lambda k: "", None, "the signing key is empty"),
    ("empty-bytes", lambda k: b"", None, "the signing key is empty"),
    ("whitespace", lambda k: "  \n\t", None, "the signing key is empty"),
    ("empty-quotes", lambda k: '""', None, "the signing key is empty"),
    (
        "garbage",
        lambda k: "not a key at all",
        None,
        "the signing key is not a PEM private key: expected text starting with '-----BEGIN PRIVATE KEY-----' "
        "or '-----BEGIN RSA PRIVATE KEY-----'",
    ),
    (
        "base64-garbage",
        lambda k: k["base64_garbage"],
        None,
        "the signing key is not a PEM private key: expected text starting with '-----BEGIN PRIVATE KEY-----' "
        "or '-----BEGIN RSA PRIVATE KEY-----'",
    ),
    (
        "truncated",
        lambda k: k["truncated"],
        None,
        "the signing key is truncated: it has no '-----END PRIVATE KEY-----' line matching its BEGIN line",
    ),
    ("damaged", lambda k: k["damaged"], None, "the signing key could not be parsed: the PEM is damaged or truncated"),
    (
        "encrypted-no-passphrase",
        lambda k: k["encrypted_pkcs8"],
        None,
        "the signing key is encrypted; pass its passphrase",
    ),
    (
        "encrypted-pkcs1-no-passphrase",
        lambda k: k["encrypted_pkcs1"],
        None,
        "the signing key is encrypted; pass its passphrase",
    ),
    (
        "wrong-passphrase",
        lambda k: k["encrypted_pkcs8"],
        b"wrong",
        "the signing key could not be decrypted: wrong passphrase, or the PEM is damaged",
    ),
    (
        "wrong-passphrase-pkcs1",
        lambda k: k["encrypted_pkcs1"],
        b"wrong",
        "the signing key could not be decrypted: wrong passphrase, or the PEM is damaged",
    ),
    (
        "passphrase-for-plain-key",
        lambda k: k["pkcs8"],
        PASSPHRASE,
        "a passphrase was given but the signing key is not encrypted",
    ),
    ("ec-pkcs8", lambda k: k["ec"], None, f"the signing key is not an RSA key; {_RS256_NEEDS_RSA}"),
    (
        "ec-traditional",
        lambda k: k["ec_traditional"],
        None,
        f"the signing key is an elliptic-curve (EC) key; {_RS256_NEEDS_RSA}",
    ),
    (
        "rsa-1024",
        lambda k: k["rsa_1024"],
        None,
        f"the signing key is a 1024-bit RSA key; Paragon needs at least {MIN_RSA_KEY_BITS} bits",
    ),
    (
        "public-key",
        lambda k: k["public"],
        None,
        f"the signing key is a public key; Paragon signs with the private {_FROM_SETTINGS}",
    ),
    (
        "public-key-pkcs1",
        lambda k: k["public_pkcs1"],
        None,
        f"the signing key is a public key; Paragon signs with the private {_FROM_SETTINGS}",
    ),
    (
        "certificate",
        lambda k: k["certificate"],
        None,
        f"the signing key is a certificate, not a private key; use the {_FROM_SETTINGS}",
    ),
    (
        "unknown-block",
        lambda k: "-----BEGIN FOO-----\nAAAA\n-----END FOO-----",
        None,
        "the signing key holds a PEM block of type 'FOO', not a private key",
    ),
    (
        "der-bytes",
        lambda k: k["der"],
        None,
        "the signing key is not PEM text (DER and other binary formats are not supported)",
    ),
    ("none", lambda k: None, None, "the signing key must be a PEM str or bytes, got NoneType"),
    ("int", lambda k: 42, None, "the signing key must be a PEM str or bytes, got int"),
    (
        "bytearray",
        lambda k: bytearray(k["pkcs8"].encode()),
        None,
        "the signing key must be a PEM str or bytes, got bytearray",
    ),
    ("str-passphrase", lambda k: k["encrypted_pkcs8"], "pw", "the signing key passphrase must be bytes, got str"),
]


@pytest.mark.parametrize(
    ("build", "passphrase", "message"), [row[1:] for row in BAD_KEYS], ids=[r[0] for r in BAD_KEYS]
)
def test_bad_keys_raise_signing_key_error_without_key_material(
    key_texts: dict[str, Any], build: Callable[[dict[str, Any]], Any], passphrase: Any, message: str
) -> None:
    """Each bad key raises SigningKeyError with an exact message, no base64 run > 16 chars, nothing chained."""
    with pytest.raises(SigningKeyError) as info:
        load_signing_key(build(key_texts), passphrase=passphrase)
    assert str(info.value) == message
    assert isinstance(info.value, ConfigurationError)
    _assert_no_key_material(info.value)


def test_key_file_loads(tmp_path: Path, key_texts: dict[str, Any], rsa_key: rsa.RSAPrivateKey) -> None:
    """A PEM file (str path or Path, plain or encrypted) loads the same key."""
    plain = tmp_path / "paragon.pem"
    plain.write_text(key_texts["pkcs8"])
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_text(key_texts["encrypted_pkcs8"])
    assert load_signing_key_file(plain).private_numbers() == rsa_key.private_numbers()
    assert load_signing_key_file(str(plain)).private_numbers() == rsa_key.private_numbers()
    assert load_signing_key_file(encrypted, passphrase=PASSPHRASE).private_numbers() == rsa_key.private_numbers()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "cannot read the signing key file {path!r}: No such file or directory"),
        ("directory", "cannot read the signing key file {path!r}: Is a directory"),
        ("public", "the signing key file {path!r} is a public key; Paragon signs with the private " + _FROM_SETTINGS),
        ("empty", "the signing key file {path!r} is empty"),
        ("huge", "the signing key file {path!r} is too large to be a PEM key"),
    ],
)
def test_bad_key_files_name_the_path(tmp_path: Path, key_texts: dict[str, Any], case: str, message: str) -> None:
    """File problems name the path and the reason, never the file's content."""
    path = tmp_path / "key.pem"
    if case == "directory":
        path.mkdir()
    elif case == "public":
        path.write_text(key_texts["public"])
    elif case == "empty":
        path.write_text("")
    elif case == "huge":
        path.write_text(key_texts["pkcs8"] * 40)
    with pytest.raises(SigningKeyError) as info:
        load_signing_key_file(path)
    assert str(info.value) == message.format(path=str(path))
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "the signing key path is empty"),
        ("  ", "the signing key path is empty"),
        (
            "pkcs8",
            "the signing key path looks like a PEM key, not a file path; pass it as the signing key instead",
        ),
        (
            "escaped",
            "the signing key path looks like a PEM key, not a file path; pass it as the signing key instead",
        ),
        (None, "the signing key path must be a str or os.PathLike, got NoneType"),
        (b"/tmp/key.pem", "the signing key path must be a str or os.PathLike, got bytes"),
    ],
)
def test_bad_key_paths_rejected(key_texts: dict[str, Any], path: Any, message: str) -> None:
    """A PEM passed where a path belongs is refused without being echoed back as a path."""
    if path == "pkcs8":
        path = key_texts["pkcs8"]
    elif path == "escaped":
        path = key_texts["pkcs8"].replace("\n", "\\n")
    with pytest.raises(SigningKeyError) as info:
        load_signing_key_file(path)
    assert str(info.value) == message
    _assert_no_key_material(info.value)
