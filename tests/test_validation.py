"""Input validation that runs before any network I/O: proxy paths, ids, integration types, headers, JSON bodies and
query parameters, each hostile or mistaken value refused with a message that names the argument."""

from __future__ import annotations

import enum
import random
import string
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from useparagon._constants import (
    MAX_HEADER_NAME_LENGTH,
    MAX_HEADER_VALUE_LENGTH,
    MAX_ID_LENGTH,
    MAX_JSON_DEPTH,
    MAX_PERCENT_DECODE_ROUNDS,
    MAX_PROXY_PATH_LENGTH,
)
from useparagon._errors import InvalidRequestError
from useparagon._validation import (
    encode_json_body,
    proxy_path,
    validate_header_value,
    validate_headers,
    validate_id,
    validate_integration_type,
    validate_query_params,
)

DOT = "is a dot-segment once decoded"
DOT_INSIDE = "contains a dot-segment once decoded and split at its encoded '/' or '\\'"
SCHEME = "must not contain ':' in its first segment"
ENCODED_BACKSLASH = "contains an encoded '\\' (such as %5C)"
HIDDEN_SLASH = "contains a '/' encoded other than as one %2F"
EMPTY_PIECE = "has an encoded '/' (%2F) at its start or end or two in a row"
BLANK = "path must not be blank"
CONTROL = "must not contain control characters"
ENCODED_CONTROL = "contains an encoded control character"
QUERY = "pass query parameters with params="
BAD_PERCENT = "'%' that is not followed by two hex digits"
EMPTY = "must not be empty"
EMPTY_SEGMENT = "must not contain an empty segment"
BACKSLASH = "must not contain backslashes"
NOT_STR = "path must be a str, not"


def _rejected(call: Any, *args: Any, **kwargs: Any) -> str:
    """Run ``call`` expecting InvalidRequestError (also a ValueError); return its message after common checks."""
    with pytest.raises(InvalidRequestError) as caught:
        call(*args, **kwargs)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert message
    assert message.isprintable(), f"raw control character in {message!r}"
    assert len(message) < 500
    return message


# ---------------------------------------------------------------------------------------------------------------------
# Proxy paths

HOSTILE_PATHS: list[tuple[object, str]] = [
    # Dot segments and their encodings, other hosts and schemes, backslashes, queries, control characters, length
    ("..", DOT),
    ("../x", DOT),
    ("a/../../b", DOT),
    (".", DOT),
    ("a/./b", DOT),
    ("%2e%2e", DOT),
    ("%2E%2e/x", DOT),
    ("a/%252e%252e/b", DOT),
    ("..%2f", DOT_INSIDE),
    ("//evil.com/x", "must not start with '//'"),
    ("https://evil.com", SCHEME),
    ("HTTPS://evil.com", SCHEME),
    ("http:evil", SCHEME),
    ("javascript:alert(1)", SCHEME),
    ("file:///etc/passwd", SCHEME),
    ("evil.com:443/x", SCHEME),
    ("a\\..\\b", BACKSLASH),
    ("x?admin=1", QUERY),
    ("x#f", "must not contain '#'"),
    ("a\r\nX-Injected: y", CONTROL),
    ("\thttps://evil.com", CONTROL),
    ("a\x00b", CONTROL),
    ("a" * 10_000, f"must be at most {MAX_PROXY_PATH_LENGTH} characters (got 10000)"),
    (None, NOT_STR),
    (b"v1/charges", NOT_STR),
    (42, NOT_STR),
    (["v1", "charges"], NOT_STR),
    # empty and separators
    ("", EMPTY),
    ("/", EMPTY),
    # blank: only whitespace, raw or encoded (TAB, LF and friends are control characters)
    (" ", BLANK),
    ("   ", BLANK),
    ("/ ", BLANK),
    (" /", BLANK),
    (" / ", BLANK),
    ("\u00a0", BLANK),
    ("\u3000", BLANK),
    ("%20", BLANK),
    ("%20/%C2%A0", BLANK),
    (" %2F ", BLANK),
    ("a//b", EMPTY_SEGMENT),
    ("/a//", EMPTY_SEGMENT),
    ("/https://evil.com", SCHEME),
    ("\\\\evil.com\\x", BACKSLASH),
    ("a/%2F/b", EMPTY_PIECE),
    ("a%5cb", ENCODED_BACKSLASH),
    ("a%5C..%5Cb", DOT_INSIDE),
    ("a%252fb", HIDDEN_SLASH),
    ("a/%25252F/b", HIDDEN_SLASH),
    # an encoded "/" is allowed inside a segment, but each piece it separates is checked like a segment
    ("a%2F..%2Fb", DOT_INSIDE),
    ("%2e%2e%2fadmin", DOT_INSIDE),
    ("x/%252e%252e%252Fy", DOT_INSIDE),
    ("a%2F%2E%2E", DOT_INSIDE),
    ("..%5Cx", DOT_INSIDE),
    ("x/a%2F.", DOT_INSIDE),
    ("x/a%2f..;jsessionid=1%2Fb", DOT_INSIDE),
    ("x/a%2F%EF%BC%8E%EF%BC%8E%2Fb", DOT_INSIDE),
    ("x/a%2F\uff0e\uff0e", DOT_INSIDE),
    ("x/a%2f%2e%2e%5cb", DOT_INSIDE),
    ("x/a%2F%2e%2e%20", DOT_INSIDE),
    ("a%2F", EMPTY_PIECE),
    ("%2Fa", EMPTY_PIECE),
    ("x/a%2F%2Fb", EMPTY_PIECE),
    ("%2F%2Fevil.com%2Fx", EMPTY_PIECE),
    ("x/%2f", EMPTY_PIECE),
    ("a%2Fhttps:", SCHEME),
    ("https:%2F%2Fevil.com", SCHEME),
    ("a%2Fb%253A", SCHEME),
    ("x/a%2F%0Ab", ENCODED_CONTROL),
    ("x/a%2Fb%5Cc", ENCODED_BACKSLASH),
    ("x/a%2Fb%252Fc", HIDDEN_SLASH),
    ("x/a%2F\uff0fb", HIDDEN_SLASH),
    # dot-segments in every encoding and case
    ("%2e", DOT),
    ("%2E", DOT),
    (".%2e", DOT),
    ("%2e.", DOT),
    ("a/.%2E/b", DOT),
    ("%252e%252e", DOT),
    ("%25252e", DOT),
    ("%252E%252e/x", DOT),
    ("a/..;/admin", DOT),
    ("a/%2e%2e;jsessionid=1/b", DOT),
    ("a/.../b", DOT),
    ("a/.. /b", DOT),
    ("a/%2e%2e%20/b", DOT),
    # NFKC-normalising servers: fullwidth and compatibility dots, percent signs and solidus
    ("\uff0e\uff0e", DOT),
    ("a/\uff0e/b", DOT),
    ("%EF%BC%8E%EF%BC%8E", DOT),
    ("\uff05\uff12\uff45", DOT),
    ("a/\uff05\uff12\uff45\uff05\uff12\uff45/b", DOT),
    ("a/\u2025/b", DOT),
    ("a/\u2024\u2024/b", DOT),
    ("a\uff0fb", HIDDEN_SLASH),
    ("a%EF%BC%8Fb", HIDDEN_SLASH),
    ("https\uff1a", SCHEME),
    # schemes hidden by encoding
    ("https%3A", SCHEME),
    ("https%3a//evil.com", SCHEME),
    ("https%253A", SCHEME),
    # query and fragment smuggling
    ("x/?a", QUERY),
    ("?", QUERY),
    ("a/b#", "must not contain '#'"),
    # control characters, raw and encoded
    ("a\nb", CONTROL),
    ("a\rb", CONTROL),
    ("x\x7f", CONTROL),
    ("x\x85", CONTROL),
    ("\u2028x", CONTROL),
    ("x/\u2029", CONTROL),
    ("a/%0d%0aX-Injected:%20y", ENCODED_CONTROL),
    ("a/%00", ENCODED_CONTROL),
    ("a/%7F", ENCODED_CONTROL),
    ("a/%C2%85", ENCODED_CONTROL),
    ("a/%250a", ENCODED_CONTROL),
    # malformed percent-escapes
    ("100%", BAD_PERCENT),
    ("a%2", BAD_PERCENT),
    ("a%zz/b", BAD_PERCENT),
    ("a/%%32e", BAD_PERCENT),
    # invalid Unicode
    ("a\ud800", "lone surrogate"),
    # lengths
    ("a" * (MAX_PROXY_PATH_LENGTH + 1), f"must be at most {MAX_PROXY_PATH_LENGTH} characters"),
    ("\u00e9" * 1000, "once percent-encoded (got 6000)"),
    # nesting deeper than the decoder follows: fail closed
    ("%" + "25" * MAX_PERCENT_DECODE_ROUNDS + "2e", f"more than {MAX_PERCENT_DECODE_ROUNDS} levels deep"),
]


@pytest.mark.parametrize(("path", "reason"), HOSTILE_PATHS, ids=[ascii(row[0])[:40] for row in HOSTILE_PATHS])
def test_hostile_proxy_paths_are_rejected(path: object, reason: str) -> None:
    """Every hostile path raises InvalidRequestError (a ValueError) with the expected reason and a clean message."""
    message = _rejected(proxy_path, path)
    assert reason in message
    assert message.startswith("path ")


def test_hostile_proxy_path_table_is_large_enough() -> None:
    """The hostile path table stays broad (at least 45 distinct inputs), so no class of attack drops out unnoticed."""
    assert len(HOSTILE_PATHS) >= 45
    assert len({repr(path) for path, _ in HOSTILE_PATHS}) == len(HOSTILE_PATHS)


@pytest.mark.parametrize(
    "path",
    ["bot123:ABCsecret/sendMessage", "a/%2e%2e/bot123:ABCsecret", "x?apikey=ABCsecret", "ABCsecret\n"],
)
def test_proxy_path_errors_never_echo_the_path(path: str) -> None:
    """Paths can carry third-party secrets (Telegram puts the bot token in the path), so messages never echo them."""
    assert "ABCsecret" not in _rejected(proxy_path, path)


ACCEPTED_PATHS: list[tuple[str, str]] = [
    ("/chat.postMessage", "chat.postMessage"),
    ("chat.postMessage", "chat.postMessage"),
    ("services/data/v59.0/sobjects/Contact", "services/data/v59.0/sobjects/Contact"),
    ("/v1/charges", "v1/charges"),
    ("files/a b", "files/a%20b"),
    ("files/a%20b", "files/a%20b"),
    ("files/a%2520b", "files/a%2520b"),
    ("files/100%25", "files/100%25"),
    ("pages/caf\u00e9", "pages/caf%C3%A9"),
    ("pages/cafe\u0301", "pages/cafe%CC%81"),
    ("pages/caf%c3%a9", "pages/caf%c3%a9"),
    ("emoji/\U0001f600", "emoji/%F0%9F%98%80"),
    ("users/me:activity", "users/me:activity"),
    ("v1/documents/abc:batchUpdate", "v1/documents/abc:batchUpdate"),
    ("users/a@b.co", "users/a@b.co"),
    ("v1/items/", "v1/items/"),
    ("/a/", "a/"),
    ("a/.hidden/b..", "a/.hidden/b.."),
    ("a/...x", "a/...x"),
    ("a/%2e%2e-x", "a/%2e%2e-x"),
    ("x/a%2Eb", "x/a%2Eb"),
    ("x/%3F", "x/%3F"),
    ("x/%23", "x/%23"),
    ("x/;", "x/;"),
    ("q/a+b=c&d,e;f!g$h'(i)*", "q/a+b=c&d,e;f!g$h'(i)*"),
    ("x/~user_name-1", "x/~user_name-1"),
    ('x/a"b<c>d', "x/a%22b%3Cc%3Ed"),
    ("x/{id}|[0]^`", "x/%7Bid%7D%7C%5B0%5D%5E%60"),
    ("x/\u00a0", "x/%C2%A0"),
    ("x/\uff41", "x/%EF%BD%81"),
    ("x/\u202e", "x/%E2%80%AE"),
    ("files/ ", "files/%20"),
    # an encoded "/" inside a segment (GitLab's namespaced project ids) is sent as written, never decoded
    ("projects/group%2Fproject", "projects/group%2Fproject"),
    ("projects/group%2fsub%2Fproject/issues", "projects/group%2fsub%2Fproject/issues"),
    (
        "/projects/group%2Fproject/repository/files/src%2Fmain.py/raw",
        "projects/group%2Fproject/repository/files/src%2Fmain.py/raw",
    ),
    ("a%2fb", "a%2fb"),
    ("repos/a%2Fb/", "repos/a%2Fb/"),
    ("projects/my group%2Fcaf\u00e9", "projects/my%20group%2Fcaf%C3%A9"),
    ("files/dir%2F.hidden%2Fa..b%2F...x", "files/dir%2F.hidden%2Fa..b%2F...x"),
    ("x/a%2F%2e%2e-b", "x/a%2F%2e%2e-b"),
    ("x/a%2F%20", "x/a%2F%20"),
    ("users/me%2Fx:activity", "users/me%2Fx:activity"),
    ("a" * MAX_PROXY_PATH_LENGTH, "a" * MAX_PROXY_PATH_LENGTH),
    ("%" + "25" * (MAX_PERCENT_DECODE_ROUNDS - 2) + "41", "%" + "25" * (MAX_PERCENT_DECODE_ROUNDS - 2) + "41"),
]


@pytest.mark.parametrize(("path", "expected"), ACCEPTED_PATHS, ids=[ascii(row[0])[:40] for row in ACCEPTED_PATHS])
def test_accepted_proxy_paths_encode_exactly(path: str, expected: str) -> None:
    """Legitimate paths are kept or percent-encoded exactly once, with no leading slash."""
    assert proxy_path(path) == expected


BASE = "https://proxy.useparagon.com/projects/p/sdk/proxy/slack/"
PREFIX = b"/projects/p/sdk/proxy/slack/"


def _fully_decoded(segment: str) -> str:
    while (decoded := unquote(segment)) != segment:
        segment = decoded
    return segment


def _assert_stays_under_the_proxy_prefix(path: str) -> None:
    """The built URL keeps Paragon's scheme, host and proxy prefix; httpx normalises nothing away."""
    try:
        suffix = proxy_path(path)
    except InvalidRequestError:
        return
    assert suffix.isascii()
    assert not suffix.startswith("/")
    joined = BASE + suffix
    url = httpx.URL(joined)
    assert url.scheme == "https"
    assert url.host == "proxy.useparagon.com"
    assert url.raw_path == joined.removeprefix("https://proxy.useparagon.com").encode("ascii")
    assert url.raw_path.startswith(PREFIX)
    assert url.query == b""
    assert url.fragment == ""
    segments = url.raw_path[len(PREFIX) :].decode("ascii").split("/")
    for index, segment in enumerate(segments):
        assert segment or index == len(segments) - 1
        decoded = _fully_decoded(segment)
        assert "\\" not in decoded
        # An encoded "/" may stay inside a segment: whatever it separates once decoded is a name, never a dot-segment.
        pieces = decoded.split("/")
        assert all(pieces) or pieces == [""]
        assert not {".", ".."} & set(pieces)
    assert ":" not in _fully_decoded(segments[0])


def _sweep(count: int, draw: Callable[[random.Random], str], check: Callable[[str], None]) -> None:
    """``check`` on ``count`` inputs drawn from a fixed seed. Each property below runs a few hundred Hypothesis
    examples (its search and shrinking) and a sweep like this for bulk: a sweep's example costs a fiftieth as much."""
    rng = random.Random(20261201)  # noqa: S311 - reproducible test inputs, not secrets
    for _ in range(count):
        path = draw(rng)
        try:
            check(path)
        except AssertionError as error:
            raise AssertionError(f"for {path!r}: {error}") from error


# Printable ASCII, controls, dots and slashes look-alikes, a surrogate, and letters from other scripts.
_ANY_CHARACTER = string.printable + "\x00\x7f\x85\xa0\u00e9\u2024\u2215\u3002\uff0e\uff0f\ufe52\ud800\U0001f600"


def test_any_text_sweep() -> None:
    """The property below over 5,000 seeded strings of up to 24 characters."""
    _sweep(
        5000,
        lambda rng: "".join(rng.choices(_ANY_CHARACTER, k=rng.randint(0, 24))),
        _assert_stays_under_the_proxy_prefix,
    )


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(st.text())
def test_any_text_is_rejected_or_stays_under_the_proxy_prefix(path: str) -> None:
    """Hypothesis, arbitrary text: a typed error, or a URL on Paragon's host under /projects/p/sdk/proxy/slack/."""
    _assert_stays_under_the_proxy_prefix(path)


_TRICKY_SEGMENT = st.text(alphabet="./%2eEfF5cC3a:;\\ \uff0e", max_size=8)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.lists(_TRICKY_SEGMENT, max_size=6).map("/".join))
def test_encoding_tricks_are_rejected_or_stay_under_the_proxy_prefix(path: str) -> None:
    """Hypothesis over dots, percent signs, hex digits and separators: no encoding of '.', '..' or '/' gets through."""
    _assert_stays_under_the_proxy_prefix(path)


def test_encoding_tricks_sweep() -> None:
    """The property above over 5,000 seeded paths of the same alphabet and shape."""
    alphabet = "./%2eEfF5cC3a:;\\ \uff0e"
    _sweep(
        5000,
        lambda rng: "/".join("".join(rng.choices(alphabet, k=rng.randint(0, 8))) for _ in range(rng.randint(0, 6))),
        _assert_stays_under_the_proxy_prefix,
    )


_SLASH_TOKENS = st.sampled_from(["a", ".", "%2e", "%2F", "%2f", "%5C", "%252F"])


def _slash_oracle(path: str) -> bool:
    """Whether ``path`` (made of ``_SLASH_TOKENS``) is safe, by a model independent of the validator: decode each
    segment fully, cut it at every '/' and '\\', and require names that are not all dots; no backslash at all, no
    '/' hidden behind double encoding, and no empty name beside an encoded '/'."""
    for segment in path.split("/"):
        if "%5C" in segment or "%252F" in segment:
            return False
        for piece in _fully_decoded(segment).split("/"):
            if not piece or set(piece) == {"."}:
                return False
    return True


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.lists(_SLASH_TOKENS, min_size=1, max_size=5).map("".join), min_size=1, max_size=4).map("/".join))
def test_encoded_slashes_are_accepted_exactly_when_every_piece_is_a_name(path: str) -> None:
    """Hypothesis over dots, %2F, %5C and %252F: a path is sent as written iff, once decoded and cut at every
    separator, each piece is a non-empty name that is not a dot-segment; otherwise it is refused."""
    _assert_accepted_exactly_when_safe(path)


def _assert_accepted_exactly_when_safe(path: str) -> None:
    if _slash_oracle(path):
        assert proxy_path(path) == path
        _assert_stays_under_the_proxy_prefix(path)
    else:
        _rejected(proxy_path, path)


def test_encoded_slashes_sweep() -> None:
    """The property above over 5,000 seeded paths of the same tokens and shape."""
    tokens = ["a", ".", "%2e", "%2F", "%2f", "%5C", "%252F"]
    _sweep(
        5000,
        lambda rng: "/".join("".join(rng.choices(tokens, k=rng.randint(1, 5))) for _ in range(rng.randint(1, 4))),
        _assert_accepted_exactly_when_safe,
    )


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.from_regex(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,10}", fullmatch=True), min_size=1, max_size=5))
def test_plain_paths_come_back_unchanged(segments: list[str]) -> None:
    """Paths of unreserved characters need no encoding: the fast path returns them as given, minus one leading '/'."""
    path = "/".join(segments)
    if any(set(segment) == {"."} for segment in segments):
        _rejected(proxy_path, path)
    else:
        assert proxy_path(path) == path
        assert proxy_path("/" + path) == path


# ---------------------------------------------------------------------------------------------------------------------
# Ids and integration types

ID_NAMES = ["project_id", "workflow_id", "integration_id", "credential_id"]
HOSTILE_IDS: list[tuple[object, str]] = [
    # Values that would change the URL's meaning: empty, dot segments, separators, escapes, control characters
    ("", "must be a non-empty string"),
    (" ", "must not be blank"),
    (".", "must not be '.'"),
    ("..", "must not be '..'"),
    ("%2e", "must not contain '%'"),
    ("a/b", "must not contain '/'"),
    ("a?b", "must not contain '?'"),
    ("a\nb", "must not contain whitespace or control characters"),
    # non-str types
    (None, "must be a str, not NoneType"),
    (b"abc", "must be a str, not bytes"),
    (123, "must be a str, not int"),
    (uuid.UUID(int=1), "must be a str, not UUID"),
    # more
    ("a\\b", "must not contain '\\\\'"),
    ("a#b", "must not contain '#'"),
    ("a b", "must not contain whitespace or control characters"),
    ("a\x00", "must not contain whitespace or control characters"),
    ("a\u2028", "must not contain whitespace or control characters"),
    ("caf\u00e9", "must not contain '\u00e9'"),
    ("-abc", "must start with a letter or a digit"),
    (".abc", "must start with a letter or a digit"),
    ("x" * (MAX_ID_LENGTH + 1), f"must be at most {MAX_ID_LENGTH} characters (got {MAX_ID_LENGTH + 1})"),
]


@pytest.mark.parametrize("name", ID_NAMES)
@pytest.mark.parametrize(("value", "reason"), HOSTILE_IDS, ids=[ascii(row[0])[:30] for row in HOSTILE_IDS])
def test_hostile_ids_are_rejected(name: str, value: object, reason: str) -> None:
    """Every id that goes into a URL path rejects the values above and non-str types; the message names it."""
    message = _rejected(validate_id, value, name=name)
    assert message.startswith(f"{name} ")
    assert reason in message


@pytest.mark.parametrize("name", ID_NAMES)
@pytest.mark.parametrize(
    "value",
    [
        "7a6cf2b1-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
        "7A6CF2B1-3C4D-4E5F-8A9B-0C1D2E3F4A5B",
        str(uuid.UUID(int=0)),
        "ext:abc",
        "ext:user-123.v2",
        "salesforce",
        "a",
        "0",
        "A1_b-c~d.e",
        "a..b",
        "x" * MAX_ID_LENGTH,
    ],
)
def test_valid_ids_are_returned_unchanged(name: str, value: str) -> None:
    """UUIDs, ``ext:<externalId>`` values and simple tokens pass through untouched."""
    assert validate_id(value, name=name) is value


@pytest.mark.parametrize(
    "value", ["salesforce", "googleCalendar", "hubspot", "custom.my-app", "custom.my_app.v2", "custom.0"]
)
def test_valid_integration_types_are_returned_unchanged(value: str) -> None:
    """Built-in types and ``custom.<slug>`` types are accepted as given."""
    assert validate_integration_type(value) is value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "integration must be a non-empty string"),
        (" ", "integration must not be blank"),
        (".", "integration must be an integration type such as"),
        ("..", "integration must be an integration type such as"),
        ("custom.", "integration must be an integration type such as"),
        ("custom..x", "integration must be an integration type such as"),
        (".custom", "integration must be an integration type such as"),
        ("%2e", "integration must not contain '%'"),
        ("a/b", "integration must not contain '/'"),
        ("a?b", "integration must not contain '?'"),
        ("a\nb", "integration must not contain whitespace or control characters"),
        ("ext:abc", "integration must not contain ':'"),
        ("custom.my app", "integration must not contain whitespace or control characters"),
        ("x" * (MAX_ID_LENGTH + 1), f"integration must be at most {MAX_ID_LENGTH} characters"),
        (None, "integration must be a str, not NoneType"),
        (b"slack", "integration must be a str, not bytes"),
    ],
)
def test_hostile_integration_types_are_rejected(value: object, reason: str) -> None:
    """Integration types reject dot-segments, separators and non-str types, naming the parameter."""
    assert reason in _rejected(validate_integration_type, value)


def test_integration_type_error_uses_the_given_name() -> None:
    """Callers that name the parameter differently (uninstall_integration's ``integration_type``) see that name."""
    assert _rejected(validate_integration_type, "..", name="integration_type").startswith("integration_type ")


# ---------------------------------------------------------------------------------------------------------------------
# Headers


@pytest.mark.parametrize("value", ["abc", "", "a  b", "Bearer x.y.z", "!~", "x" * MAX_HEADER_VALUE_LENGTH])
def test_valid_header_values_are_returned_unchanged(value: str) -> None:
    """Printable ASCII values, inner spaces and the empty value are accepted as given."""
    assert validate_header_value(value, name="X-Paragon-Credential") is value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("secret\r\nX-Injected: 1", "must not contain control characters"),
        ("secret\n", "must not contain control characters"),
        ("secret\r", "must not contain control characters"),
        ("secret\x00", "must not contain control characters"),
        ("secret\tx", "must not contain control characters"),
        ("secret\x7f", "must not contain control characters"),
        ("secret\u2028", "must not contain control characters"),
        ("secret-caf\u00e9", "must be ASCII"),
        (" secret", "must not start or end with whitespace"),
        ("secret ", "must not start or end with whitespace"),
        ("secret" * 2000, f"must be at most {MAX_HEADER_VALUE_LENGTH} characters (got 12000)"),
        (None, "must be a str, not NoneType"),
        (b"secret", "must be a str, not bytes"),
        (1, "must be a str, not int"),
    ],
)
def test_hostile_header_values_are_rejected_without_echoing(value: object, reason: str) -> None:
    """Header values with CR/LF/NUL/controls, non-ASCII or surrounding whitespace fail; the value is never shown."""
    message = _rejected(validate_header_value, value, name="X-Paragon-Credential")
    assert message.startswith("X-Paragon-Credential ")
    assert reason in message
    assert "secret" not in message


def test_valid_headers_are_copied() -> None:
    """Allowed extra headers come back as a new dict with the caller's spelling."""
    given_headers = {"X-Custom": "1", "Content-Type": "application/x-www-form-urlencoded", "accept": "text/csv"}
    result = validate_headers(given_headers)
    assert result == given_headers
    assert result is not given_headers
    assert validate_headers(None) == {}
    assert validate_headers({}) == {}


@pytest.mark.parametrize(
    ("headers", "reserved", "reason"),
    [
        ({"Authorization": "Bearer x"}, frozenset(), "must not set 'Authorization'"),
        ({"authorization": "Bearer x"}, frozenset(), "must not set 'authorization'"),
        ({"AUTHORIZATION": "Bearer x"}, frozenset(), "must not set 'AUTHORIZATION'"),
        ({"Proxy-Authorization": "x"}, frozenset(), "must not set"),
        ({"X-Paragon-Credential": "c"}, frozenset(), "must not set 'X-Paragon-Credential'"),
        ({"x-paragon-use-raw-response": "1"}, frozenset(), "must not set"),
        ({"X-PARAGON-PROXY-URL": "https://evil.com"}, frozenset(), "must not set"),
        ({"Host": "evil.com"}, frozenset(), "must not set 'Host'"),
        ({"content-length": "0"}, frozenset(), "must not set"),
        ({"Transfer-Encoding": "chunked"}, frozenset(), "must not set"),
        ({"Connection": "close"}, frozenset(), "must not set"),
        ({"Upgrade": "h2c"}, frozenset(), "must not set"),
        ({"X-Custom": "1"}, frozenset({"x-custom"}), "must not set 'X-Custom'"),
        ({"x-custom": "1"}, frozenset({"X-CUSTOM"}), "must not set 'x-custom'"),
        ({"": "1"}, frozenset(), "headers names must not be empty"),
        ({"X Custom": "1"}, frozenset(), "is not a valid HTTP header name"),
        ({"X:Custom": "1"}, frozenset(), "is not a valid HTTP header name"),
        ({"X\r\nInjected": "1"}, frozenset(), "is not a valid HTTP header name"),
        ({"caf\u00e9": "1"}, frozenset(), "is not a valid HTTP header name"),
        ({"x" * 257: "1"}, frozenset(), "headers names must be at most 256 characters"),
        ({1: "1"}, frozenset(), "headers names must be str, not int"),
        ({"X-A": "1", "x-a": "2"}, frozenset(), "is given twice"),
        ({"X-A": "a\r\nX-Injected: 1"}, frozenset(), "headers['X-A'] must not contain control characters"),
        ({"X-A": None}, frozenset(), "headers['X-A'] must be a str, not NoneType"),
        ([("X-A", "1")], frozenset(), "headers must be a mapping of names to values, not list"),
    ],
)
def test_hostile_headers_are_rejected(headers: Any, reserved: frozenset[str], reason: str) -> None:
    """Reserved, malformed, duplicated or badly valued headers fail before any I/O."""
    assert reason in _rejected(validate_headers, headers, reserved=reserved)


# ---------------------------------------------------------------------------------------------------------------------
# JSON bodies


class _Color(enum.StrEnum):
    RED = "red"


class _Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"a": 1}, b'{"a":1}'),
        ({"text": "caf\u00e9 \U0001f600"}, '{"text":"caf\u00e9 \U0001f600"}'.encode()),
        ([1, 2.5, True, False, None, "x"], b'[1,2.5,true,false,null,"x"]'),
        ((1, (2,)), b"[1,[2]]"),
        ("s", b'"s"'),
        (None, b"null"),
        ({}, b"{}"),
        ({"a": {"b": [{"c": []}]}}, b'{"a":{"b":[{"c":[]}]}}'),
        ({"color": _Color.RED, "level": _Level.HIGH}, b'{"color":"red","level":3}'),
        ({"line": "a\nb\u2028"}, '{"line":"a\\nb\u2028"}'.encode()),
        (10**20, b"100000000000000000000"),
    ],
)
def test_json_bodies_encode_exactly(body: object, expected: bytes) -> None:
    """Bodies encode once, compactly, as UTF-8 without ASCII escaping."""
    assert encode_json_body(body) == expected


def _cycle() -> dict[str, object]:
    loop: dict[str, object] = {}
    loop["self"] = loop
    return loop


def _nested(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"a": [0, 0, float("nan")]}, 'body["a"][2] must be a finite number, not nan'),
        ({"a": float("inf")}, 'body["a"] must be a finite number, not inf'),
        ([float("-inf")], "body[0] must be a finite number, not -inf"),
        ({1: "x"}, "body has a key of type int; JSON object keys must be str"),
        ({"a": {None: 1}}, 'body["a"] has a key of type NoneType; JSON object keys must be str'),
        (
            {"a": {1, 2}},
            'body["a"] must be JSON-serialisable (dict, list, str, int, float, bool or None), not set',
        ),
        (b"x", "body must be JSON-serialisable (dict, list, str, int, float, bool or None), not bytes"),
        (
            {"when": object()},
            'body["when"] must be JSON-serialisable (dict, list, str, int, float, bool or None), not object',
        ),
        ({"a": "\ud800"}, 'body["a"] contains a lone surrogate, which cannot be encoded as UTF-8'),
        ({"\udfff": 1}, 'body["\\udfff"] contains a lone surrogate, which cannot be encoded as UTF-8'),
        ({"n": [10**5000]}, 'body["n"][0] is an integer too long to encode'),
        ({"a\nb": [float("nan")]}, 'body["a\\nb"][0] must be a finite number, not nan'),
    ],
)
def test_bad_json_bodies_name_the_first_bad_place(body: object, message: str) -> None:
    """Unencodable bodies raise InvalidRequestError naming the exact place and the reason."""
    assert _rejected(encode_json_body, body) == message


@pytest.mark.parametrize("body", [_cycle(), _nested(MAX_JSON_DEPTH + 1)], ids=["cycle", "too-deep"])
def test_cyclic_and_too_deep_json_bodies_are_rejected(body: object) -> None:
    """A reference cycle or pathological nesting is a clear error, not RecursionError."""
    assert f"is nested more than {MAX_JSON_DEPTH} levels deep" in _rejected(encode_json_body, body)


def test_json_nesting_at_the_limit_is_accepted() -> None:
    """Exactly MAX_JSON_DEPTH levels of containers still encode."""
    assert encode_json_body(_nested(MAX_JSON_DEPTH)) == b"[" * MAX_JSON_DEPTH + b"0" + b"]" * MAX_JSON_DEPTH


def test_json_error_uses_the_given_name() -> None:
    """The message names the parameter the caller used (``payload`` for event(), ``body`` by default)."""
    assert _rejected(encode_json_body, {"x": float("nan")}, name="payload") == (
        'payload["x"] must be a finite number, not nan'
    )


# ---------------------------------------------------------------------------------------------------------------------
# Query parameters


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (None, []),
        ({}, []),
        ({"a": "x"}, [("a", "x")]),
        (
            {"n": 1, "f": 1.5, "t": True, "F": False, "big": 10**20},
            [("n", "1"), ("f", "1.5"), ("t", "true"), ("F", "false"), ("big", "100000000000000000000")],
        ),
        ({"ids": ["1", 2, False]}, [("ids", "1"), ("ids", "2"), ("ids", "false")]),
        ({"ids": ("a",), "q": "z"}, [("ids", "a"), ("q", "z")]),
        ({"ids": [], "q": "z"}, [("q", "z")]),
        ({"q": "a b&c=d\n"}, [("q", "a b&c=d\n")]),
        ({"color": _Color.RED, "level": _Level.HIGH}, [("color", "red"), ("level", "3")]),
        ({"caf\u00e9": "\u00e9"}, [("caf\u00e9", "\u00e9")]),
    ],
)
def test_query_params_become_exact_pairs(params: Any, expected: list[tuple[str, str]]) -> None:
    """Scalars become strings, booleans become true/false, lists repeat their key, order is kept."""
    assert validate_query_params(params) == expected


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"a": None}, "params['a'] is None; leave the parameter out"),
        ({"a": [1, None]}, "params['a'][1] is None"),
        ({"a": [[1]]}, "params['a'][0] must be a str, int, float or bool, or a list of them, not list"),
        ({"a": {"b": 1}}, "params['a'] must be a str, int, float or bool, or a list of them, not dict"),
        ({"a": b"x"}, "params['a'] must be a str, int, float or bool, or a list of them, not bytes"),
        ({"a": float("nan")}, "params['a'] must be a finite number, not nan"),
        ({"a": "\ud800"}, "params['a'] must be valid Unicode"),
        ({1: "x"}, "params keys must be str, not int"),
        ({"": "x"}, "params keys must not be empty"),
        ({"a\nb": "x"}, "params key 'a\\nb' must not contain control characters"),
        ({"a\x00": "x"}, "must not contain control characters"),
        ({"\ud800": "x"}, "must be valid Unicode"),
        ([("a", "x")], "params must be a mapping of names to values, not list"),
    ],
)
def test_bad_query_params_are_rejected(params: Any, reason: str) -> None:
    """None values, nested containers, non-finite numbers and bad keys fail instead of being dropped."""
    assert reason in _rejected(validate_query_params, params)


def test_query_params_error_uses_the_given_name() -> None:
    """The message names the parameter the caller used."""
    assert _rejected(validate_query_params, {"a": None}, name="query").startswith("query['a'] is None")


# ---------------------------------------------------------------------------------------------------------------------
# Exact limits and messages (mutation testing: each boundary exactly at its limit and one past it)


def _nested_objects(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = {"k": value}
    return value


def test_json_object_nesting_at_the_limit_is_accepted() -> None:
    """Exactly MAX_JSON_DEPTH levels of objects still encode, as lists do."""
    assert encode_json_body(_nested_objects(MAX_JSON_DEPTH)) == (
        b'{"k":' * MAX_JSON_DEPTH + b"0" + b"}" * MAX_JSON_DEPTH
    )


def test_json_object_nesting_one_past_the_limit_is_rejected() -> None:
    """One object more is refused before json.dumps runs, naming the route (cut short) and the limit."""
    message = _rejected(encode_json_body, _nested_objects(MAX_JSON_DEPTH + 1))
    assert message == "body" + '["k"]' * 31 + "[…" + (
        f" is nested more than {MAX_JSON_DEPTH} levels deep (or contains a reference cycle)"
    )


def test_json_list_nesting_one_past_the_limit_names_the_route() -> None:
    """The deepest list is named by its indexes: 256 of them do not fit, so the route is cut at 160 characters."""
    message = _rejected(encode_json_body, _nested(MAX_JSON_DEPTH + 1))
    assert message == "body" + "[0]" * 52 + "…" + (
        f" is nested more than {MAX_JSON_DEPTH} levels deep (or contains a reference cycle)"
    )


@pytest.mark.parametrize(
    ("key", "shown"),
    [("k" * 40, '"' + "k" * 40 + '"'), ("k" * 41, '"' + "k" * 40 + '"…'), ("\n" * 41, '"' + "\\n" * 40 + '"…')],
)
def test_a_json_key_in_a_message_is_cut_after_40_characters(key: str, shown: str) -> None:
    """A key up to 40 characters is shown whole; a longer one is cut there and marked with an ellipsis."""
    assert _rejected(encode_json_body, {key: float("nan")}) == f"body[{shown}] must be a finite number, not nan"


@pytest.mark.parametrize(("length", "cut"), [(155, False), (156, True)])
def test_a_json_route_in_a_message_is_cut_after_160_characters(length: int, cut: bool) -> None:
    """The name and route together are shown up to 160 characters; one more and they are cut there with '…'."""
    name = "n" * length
    route = name + '["a"]'
    assert len(route) == length + 5
    shown = route[:160] + "…" if cut else route
    assert _rejected(encode_json_body, {"a": float("nan")}, name=name) == f"{shown} must be a finite number, not nan"


class _Text(str):
    __slots__ = ()


class _Big(int):
    pass


class _Ratio(float):
    def __repr__(self) -> str:
        return "_Ratio(...)"


class _Shifting(list[object]):
    """A list that shows its items to the second reader only: json.dumps, between the validator's two walks."""

    def __init__(self, items: list[object]) -> None:
        super().__init__(items)
        self.reads = 0

    def __iter__(self) -> Iterator[object]:
        self.reads += 1
        return super().__iter__() if self.reads == 2 else iter(())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"k": _Text("\ud800")}, 'body["k"] contains a lone surrogate, which cannot be encoded as UTF-8'),
        ({"n": [_Big(10**5000)]}, 'body["n"][0] is an integer too long to encode'),
        ({"r": _Ratio("nan")}, 'body["r"] must be a finite number, not nan'),
        ({"r": [_Ratio("-inf")]}, 'body["r"][0] must be a finite number, not -inf'),
    ],
)
def test_subclasses_of_json_values_are_checked_as_their_base_value(body: object, message: str) -> None:
    """A str, int or float subclass is refused for what its value is (never by its own repr)."""
    assert _rejected(encode_json_body, body) == message


def test_what_only_json_dumps_refuses_is_still_an_invalid_request() -> None:
    """Neither of the validator's walks sees what json.dumps refuses: the message still names the parameter."""
    assert _rejected(encode_json_body, _Shifting([float("nan")])) == "body could not be encoded as JSON (ValueError)"
    assert _rejected(encode_json_body, {"h": _Shifting([float("inf")])}, name="payload") == (
        "payload could not be encoded as JSON (ValueError)"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"k": _Text("caf\u00e9")}, '{"k":"caf\u00e9"}'.encode()),
        ([_Big(7), _Ratio(0.5), True], b"[7,0.5,true]"),
    ],
)
def test_subclasses_of_json_values_encode_as_their_base_value(body: object, expected: bytes) -> None:
    """Valid subclass values pass the walk and encode as json encodes them."""
    assert encode_json_body(body) == expected


def test_an_integer_query_value_too_long_to_print_is_refused_by_name() -> None:
    """An int past Python's digit limit cannot become text: the message names the parameter and says why."""
    assert _rejected(validate_query_params, {"n": 10**5000}) == "params['n'] is an integer too long to send"
    assert _rejected(validate_query_params, {"n": [1, 10**5000]}) == "params['n'][1] is an integer too long to send"


@pytest.mark.parametrize(
    ("class_name", "shown"),
    [("Widget", "Widget"), ("Größe", "'Größe'"), ("a\nb", "'a\\nb'"), ("tab\there", "'tab\\there'")],
)
def test_a_type_name_in_a_message_is_escaped_unless_plain_ascii(class_name: str, shown: str) -> None:
    """A printable ASCII class name is shown as is; any other is repr()-escaped, so a message stays one safe line."""
    value = type(class_name, (), {})()
    assert _rejected(validate_id, value, name="workflow_id") == f"workflow_id must be a str, not {shown}"
    assert _rejected(validate_query_params, {"a": value}) == (
        f"params['a'] must be a str, int, float or bool, or a list of them, not {shown}"
    )


def test_an_empty_header_name_is_refused() -> None:
    """An empty name is not a header: refused with its own message."""
    assert _rejected(validate_headers, {"": "x"}) == "headers names must not be empty"


def test_a_header_name_at_the_length_limit_is_accepted() -> None:
    """A name of exactly MAX_HEADER_NAME_LENGTH characters is kept."""
    name = "X" * MAX_HEADER_NAME_LENGTH
    assert validate_headers({name: "v"}) == {name: "v"}


def test_a_header_name_one_past_the_length_limit_is_refused() -> None:
    """One character more is refused, with the limit and the length, never the name."""
    assert _rejected(validate_headers, {"X" * (MAX_HEADER_NAME_LENGTH + 1): "v"}) == (
        f"headers names must be at most {MAX_HEADER_NAME_LENGTH} characters (got {MAX_HEADER_NAME_LENGTH + 1})"
    )


@pytest.mark.parametrize("value", ["a" * MAX_ID_LENGTH, "custom." + "b" * (MAX_ID_LENGTH - 7)])
def test_an_integration_type_at_the_length_limit_is_accepted(value: str) -> None:
    """An integration type of exactly MAX_ID_LENGTH characters is returned unchanged."""
    assert len(value) == MAX_ID_LENGTH
    assert validate_integration_type(value) == value


@pytest.mark.parametrize("value", ["a" * (MAX_ID_LENGTH + 1), "custom." + "b" * (MAX_ID_LENGTH - 6)])
def test_an_integration_type_one_past_the_length_limit_is_refused(value: str) -> None:
    """One character more is refused with the limit and the length."""
    assert _rejected(validate_integration_type, value) == (
        f"integration must be at most {MAX_ID_LENGTH} characters (got {MAX_ID_LENGTH + 1})"
    )


@pytest.mark.parametrize("value", ["a\tb", "\t", "x\t"])
def test_a_tab_in_a_header_value_is_a_control_character(value: str) -> None:
    """TAB is refused as a control character (h11 would refuse it at send time), never echoed."""
    assert _rejected(validate_header_value, value, name="headers['X-A']") == (
        "headers['X-A'] must not contain control characters (CR, LF, NUL, TAB…)"
    )


def test_the_strict_walk_allows_the_same_depth() -> None:
    """A lone surrogate at the deepest allowed level is named as such, not as too deep, by the walk after json.dumps."""
    body: object = "\ud800"
    for _ in range(MAX_JSON_DEPTH):
        body = [body]
    assert _rejected(encode_json_body, body) == (
        "body" + "[0]" * 52 + "… contains a lone surrogate, which cannot be encoded as UTF-8"
    )


@pytest.mark.parametrize(
    ("call", "value", "message"),
    [
        (validate_headers, {"a b": "x"}, "headers name 'a b' is not a valid HTTP header name (RFC 7230 token"),
        (validate_integration_type, "  ", "integration must not be blank (got '  ')"),
        (validate_integration_type, "sales force", "integration must not contain whitespace or control characters"),
        (validate_integration_type, "a..b", "integration must be an integration type such as 'salesforce'"),
        (validate_query_params, {"\ud800": "x"}, "params key '\\ud800' must be valid Unicode"),
    ],
)
def test_messages_show_the_offending_name(call: Any, value: object, message: str) -> None:
    """Where a message shows the caller's (non-secret) input, it shows that input, escaped."""
    shown = _rejected(call, value)
    assert shown.startswith(message)
    if isinstance(value, str):
        assert shown.endswith(f"(got {value!r})")


def test_an_invalid_integration_type_at_the_length_limit_is_named_for_its_character() -> None:
    """At exactly MAX_ID_LENGTH characters the length is fine, so the bad character is what the message names."""
    value = "a" * (MAX_ID_LENGTH - 1) + "!"
    assert _rejected(validate_integration_type, value) == f"integration must not contain '!' (got {'a' * 40!r}…)"
