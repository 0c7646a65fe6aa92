"""Caller input checked before any network I/O: URL ids, proxy paths, headers, query parameters, JSON bodies.

Every function raises :class:`InvalidRequestError` (a ``ValueError``) whose message names the parameter and says
why. Messages never contain raw control characters (values are shown ``repr()``-escaped and truncated), and never
echo a header value, a query value or the content of a proxy path: those can carry third-party secrets.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Mapping
from typing import NoReturn
from urllib.parse import quote, unquote

from ._constants import (
    MAX_HEADER_NAME_LENGTH,
    MAX_HEADER_VALUE_LENGTH,
    MAX_ID_LENGTH,
    MAX_JSON_DEPTH,
    MAX_PERCENT_DECODE_ROUNDS,
    MAX_PROXY_PATH_LENGTH,
)
from ._errors import InvalidRequestError
from ._patterns import lazy_pattern

__all__ = [
    "encode_json_body",
    "proxy_path",
    "validate_header_value",
    "validate_headers",
    "validate_id",
    "validate_integration_type",
    "validate_query_params",
]

_SHOWN_CHARS = 40

# Ids are UUIDs or simple tokens; ":" stays allowed for "ext:<externalId>"-style values.
_ID = lazy_pattern(r"[A-Za-z0-9][A-Za-z0-9._:~-]*")
# "salesforce", "googleCalendar", "custom.my-app": dot-separated labels, so never "." or ".." nor an empty label.
_INTEGRATION_TYPE = lazy_pattern(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")

# C0, DEL, C1 (U+0085 is a line break) and the Unicode line/paragraph separators all split a log line.
_CONTROL = lazy_pattern(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATE = lazy_pattern(r"[\ud800-\udfff]")

# A path made only of these needs neither decoding nor encoding: the hot path for "chat.postMessage" and friends.
_PLAIN_PATH = lazy_pattern(r"[A-Za-z0-9._~!$&'()*+,;=:@/-]+")
_UNSAFE_PATH_CHAR = lazy_pattern(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\?#\ud800-\udfff]|%(?![0-9A-Fa-f]{2})")
# RFC 3986 pchar, plus "%" because a valid escape the caller already wrote must not be encoded twice.
_SEGMENT_SAFE = "!$&'()*+,;=:@%-._~"
# An encoded "/" written as such ("group%2Fproject", GitLab's way to name a namespaced project) stays inside its
# segment. Every "%" is a valid escape by the time this splits, so each match is a whole escape, never a fragment.
_ENCODED_SLASH = lazy_pattern(r"%2[Ff]")
# What a decoding server might treat as a path separator once it has decoded a segment.
_DECODED_SEPARATOR = lazy_pattern(r"[/\\]")

# RFC 7230 token; h11 rejects anything else only once the request is being sent.
_HEADER_NAME = lazy_pattern(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Visible ASCII with inner spaces: httpx cannot encode non-ASCII values and h11 refuses surrounding whitespace.
_HEADER_VALUE = lazy_pattern(r"(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?")
# Owned by the client (credentials, framing, Paragon's control headers) or hop-by-hop (RFC 7230 §6.1).
_RESERVED_HEADERS = frozenset(
    {
        "authorization",
        "connection",
        "content-length",
        "host",
        "keep-alive",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_PARAGON_HEADER_PREFIX = "x-paragon-"


def _fail(message: str) -> NoReturn:
    raise InvalidRequestError(message)


def show_input(value: object) -> str:
    """Caller input as a message may show it: a str bounded and escaped (a 10 kB or CR/LF-laden value cannot bloat
    or split a log line), anything else by its type's name (repr() of a huge int even raises ValueError)."""
    if not isinstance(value, str):
        return _type_name(value)
    if len(value) <= _SHOWN_CHARS:
        return repr(value)
    return repr(value[:_SHOWN_CHARS]) + "…"


def _type_name(value: object) -> str:
    name = type(value).__qualname__
    return name if name.isascii() and name.isprintable() else repr(name)


def _describe_bad_char(char: str) -> str:
    if char in "/\\":
        return f"must not contain {char!r} (it would change the URL path)"
    if char in "?#":
        return f"must not contain {char!r} (it would start a query or fragment)"
    if char == "%":
        return "must not contain '%' (ids are never percent-encoded)"
    if char.isspace() or _CONTROL().match(char):
        return "must not contain whitespace or control characters"
    return f"must not contain {char!r}"


def validate_id(value: object, *, name: str) -> str:
    """Check an id that goes into a URL path (project, workflow, integration, credential id); return it unchanged."""
    if not isinstance(value, str):
        _fail(f"{name} must be a str, not {_type_name(value)}")
    if _ID().fullmatch(value) and len(value) <= MAX_ID_LENGTH:
        return value
    if not value:
        _fail(f"{name} must be a non-empty string")
    if not value.strip():
        _fail(f"{name} must not be blank (got {show_input(value)})")
    if len(value) > MAX_ID_LENGTH:
        _fail(f"{name} must be at most {MAX_ID_LENGTH} characters (got {len(value)})")
    if value in (".", ".."):
        _fail(f"{name} must not be {value!r} (a dot-segment would move the request to another URL path)")
    for char in value:
        if not (char.isascii() and (char.isalnum() or char in "._:~-")):
            _fail(f"{name} {_describe_bad_char(char)} (got {show_input(value)})")
    _fail(f"{name} must start with a letter or a digit (got {show_input(value)})")


def validate_text(value: object, *, name: str, max_length: int = 1024) -> str:
    """A free-text argument (a filter, a cursor, an object's name): a non-blank printable str, bounded."""
    if not isinstance(value, str):
        _fail(f"{name} must be a str, not {_type_name(value)}")
    if not value.strip() or len(value) > max_length or not value.isprintable():
        _fail(f"{name} must be non-blank printable text of at most {max_length} characters, got {show_input(value)}")
    return value


def validate_integration_type(value: object, *, name: str = "integration") -> str:
    """Check an integration type ("salesforce", "googleCalendar", "custom.my-app"); return it unchanged."""
    if not isinstance(value, str):
        _fail(f"{name} must be a str, not {_type_name(value)}")
    if _INTEGRATION_TYPE().fullmatch(value) and len(value) <= MAX_ID_LENGTH:
        return value
    if not value:
        _fail(f"{name} must be a non-empty string")
    if not value.strip():
        _fail(f"{name} must not be blank (got {show_input(value)})")
    if len(value) > MAX_ID_LENGTH:
        _fail(f"{name} must be at most {MAX_ID_LENGTH} characters (got {len(value)})")
    for char in value:
        # Not mutated: "XX._-XX" allows only "X" more, which isalnum() already allows.
        if not (char.isascii() and (char.isalnum() or char in "._-")):  # pragma: no mutate
            _fail(f"{name} {_describe_bad_char(char)} (got {show_input(value)})")
    _fail(
        f"{name} must be an integration type such as 'salesforce' or 'custom.my-app': letters, digits, '_' and '-',"
        f" with single dots between them (got {show_input(value)})"
    )


def _decode_segment(segment: str, position: int) -> str:
    """Percent-decode and NFKC-normalise until stable, as the most eager server or proxy on the way might.

    NFKC matters because some servers normalise after decoding: fullwidth full stops (U+FF0E) become "..",
    fullwidth "%2e" becomes "%2e" and then ".", and the fullwidth solidus (U+FF0F) becomes "/".
    """
    for _ in range(MAX_PERCENT_DECODE_ROUNDS):
        decoded = unicodedata.normalize("NFKC", unquote(segment))
        if decoded == segment:
            return segment
        segment = decoded
    _fail(f"path segment {position} is percent-encoded more than {MAX_PERCENT_DECODE_ROUNDS} levels deep")


def _is_dot_segment(decoded: str) -> bool:
    # Tomcat-style servers drop ";params" before resolving dots ("..;x" is ".."), and Windows servers drop trailing
    # dots and spaces (".. " and "..." act like ".."); a segment of only dots and blanks has no honest use.
    core = decoded.split(";", 1)[0]
    return "." in core and not core.replace(".", "").strip()


def _describe_unsafe_path_char(char: str) -> str:
    if char == "\\":
        return "must not contain backslashes (some servers treat them as '/')"
    if char in "?#":
        return f"must not contain {char!r}: pass query parameters with params=, never in the path"
    if char == "%":
        return "must not contain a '%' that is not followed by two hex digits"
    if _SURROGATE().match(char):
        return "must be valid Unicode (it contains a lone surrogate)"
    return "must not contain control characters (CR, LF, TAB, NUL, DEL…)"


def _check_segment(segment: str, index: int, plain: bool) -> bool:
    """Check one non-empty segment of a proxy path; return whether it has anything but whitespace.

    The segment is cut at each encoded "/" it contains (%2F or %2f, as written), and each piece is decoded
    separately. The decoded pieces are then cut again at any "/" or "\\" that decoding produced, so that whatever
    a server or intermediary decodes, no part of the segment is "." or "..". A ``plain`` segment needs no decoding.
    """
    position = index + 1
    pieces = [segment] if plain else [_decode_segment(piece, position) for piece in _ENCODED_SLASH().split(segment)]
    if index == 0 and any(":" in piece for piece in pieces):
        _fail(
            "path must not contain ':' in its first segment (it would read as a URL scheme such as 'https:');"
            " give a path relative to the integration's API"
        )
    parts = pieces if plain else [part for piece in pieces for part in _DECODED_SEPARATOR().split(piece)]
    if len(parts) == 1:
        if "." in parts[0] and _is_dot_segment(parts[0]):
            _fail(f"path segment {position} is a dot-segment once decoded; '.' and '..' would leave the proxy prefix")
    elif any("." in part and _is_dot_segment(part) for part in parts):
        _fail(
            f"path segment {position} contains a dot-segment once decoded and split at its encoded '/' or '\\';"
            " '.' and '..' would leave the proxy prefix"
        )
    if plain:
        return True
    for piece in pieces:
        if "\\" in piece:
            _fail(f"path segment {position} contains an encoded '\\' (such as %5C); some servers treat it as '/'")
        if "/" in piece:
            _fail(
                f"path segment {position} contains a '/' encoded other than as one %2F (such as %252F or a"
                " fullwidth solidus)"
            )
        if _CONTROL().search(piece):
            _fail(f"path segment {position} contains an encoded control character (such as %0A or %00)")
    if len(pieces) > 1 and not all(pieces):
        _fail(
            f"path segment {position} has an encoded '/' (%2F) at its start or end or two in a row;"
            " a server that decodes it would see an empty segment"
        )
    return any(piece.strip() for piece in pieces)


def proxy_path(path: object) -> str:
    """The Proxy API path to append after ``/projects/{p}/sdk/proxy/{integration}/`` (percent-encoded, no leading
    slash), or :class:`InvalidRequestError` when it could leave that prefix, reach another host, or smuggle a query.

    One leading "/" is optional and a trailing "/" is kept. Valid ``%XX`` escapes are kept as written; everything
    outside RFC 3986's pchar set is percent-encoded as UTF-8. An encoded "/" written as ``%2F`` (or ``%2f``) inside
    a segment is allowed and sent as written, never decoded: ``projects/group%2Fproject`` is how GitLab and others
    name an id that contains "/". It must sit between two non-empty names, and each name it separates is checked
    like a segment of its own. Every other way to hide a separator stays refused: ``%5C`` (an encoded backslash:
    no API we know of needs one, and servers that decode it often treat it as "/"), a double-encoded ``%252F``,
    or a fullwidth solidus.

    Every segment is checked after repeated percent-decoding and NFKC normalisation, and cut again at every "/"
    or "\\" that produces, so no decoding server or intermediary can turn any part of it into "." or "..", a
    control character, or a ``scheme:`` first segment. The first segment may not contain ":" at all (RFC 3986
    §4.2: it would read as a scheme); a path like ``users/me:activity`` is fine. A path that is empty or only
    whitespace (raw or encoded, such as ``" "`` or ``%20``) is refused.
    """
    if not isinstance(path, str):
        _fail(f"path must be a str, not {_type_name(path)}")
    if len(path) > MAX_PROXY_PATH_LENGTH:
        _fail(f"path must be at most {MAX_PROXY_PATH_LENGTH} characters (got {len(path)})")
    plain = _PLAIN_PATH().fullmatch(path) is not None
    if not plain and (bad := _UNSAFE_PATH_CHAR().search(path)):
        _fail(f"path {_describe_unsafe_path_char(bad.group()[0])}")
    body = path[1:] if path.startswith("/") else path
    if not body:
        _fail("path must not be empty (give the third-party API's path, such as 'chat.postMessage')")
    if body.startswith("/"):
        _fail("path must not start with '//' (a scheme-relative URL would name another host)")
    segments = body.split("/")
    last = len(segments) - 1
    blank = True
    for index, segment in enumerate(segments):
        if not segment:
            if index == last:
                continue
            _fail(f"path must not contain an empty segment ('//' after segment {index})")
        if _check_segment(segment, index, plain):
            blank = False
    if plain:
        return body
    if blank:
        _fail("path must not be blank (only whitespace); give the third-party API's path, such as 'chat.postMessage'")
    encoded = "/".join([quote(segment, safe=_SEGMENT_SAFE) for segment in segments])
    if len(encoded) > MAX_PROXY_PATH_LENGTH:
        _fail(f"path must be at most {MAX_PROXY_PATH_LENGTH} characters once percent-encoded (got {len(encoded)})")
    return encoded


def validate_header_value(value: object, *, name: str) -> str:
    """Check a header value (an extra header, or an id sent in ``X-Paragon-Credential``…); return it unchanged.

    Printable ASCII only, no surrounding whitespace; the empty string is a valid header value. The value itself is
    never echoed: it may be a credential.
    """
    if not isinstance(value, str):
        _fail(f"{name} must be a str, not {_type_name(value)}")
    if len(value) > MAX_HEADER_VALUE_LENGTH:
        _fail(f"{name} must be at most {MAX_HEADER_VALUE_LENGTH} characters (got {len(value)})")
    if _HEADER_VALUE().fullmatch(value):
        return value
    if _CONTROL().search(value):  # TAB is a C0 control
        _fail(f"{name} must not contain control characters (CR, LF, NUL, TAB…)")
    if not value.isascii():
        _fail(f"{name} must be ASCII (encode other text first, for example as RFC 8187 or base64)")
    _fail(f"{name} must not start or end with whitespace")


def validate_headers(headers: Mapping[str, str] | None, *, reserved: frozenset[str] = frozenset()) -> dict[str, str]:
    """Check caller-supplied extra headers and return them in a new dict.

    Names must be RFC 7230 tokens. ``Authorization``, every ``X-Paragon-*`` header, framing and hop-by-hop headers
    (``Host``, ``Content-Length``, ``Transfer-Encoding``, ``Connection``…) and the names in ``reserved`` are the
    client's own and may not be overridden, in any letter case.
    """
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        _fail(f"headers must be a mapping of names to values, not {_type_name(headers)}")
    extra_reserved = {item.lower() for item in reserved}
    seen: set[str] = set()
    result: dict[str, str] = {}
    for key, value in headers.items():
        if not isinstance(key, str):
            _fail(f"headers names must be str, not {_type_name(key)}")
        if not key:
            _fail("headers names must not be empty")
        if len(key) > MAX_HEADER_NAME_LENGTH:
            _fail(f"headers names must be at most {MAX_HEADER_NAME_LENGTH} characters (got {len(key)})")
        if not _HEADER_NAME().fullmatch(key):
            _fail(f"headers name {show_input(key)} is not a valid HTTP header name (RFC 7230 token characters only)")
        lowered = key.lower()
        if lowered in _RESERVED_HEADERS or lowered in extra_reserved or lowered.startswith(_PARAGON_HEADER_PREFIX):
            _fail(f"headers must not set {key!r}: the client sets it itself")
        if lowered in seen:
            _fail(f"headers name {key!r} is given twice (header names are case-insensitive)")
        seen.add(lowered)
        result[key] = validate_header_value(value, name=f"headers[{key!r}]")
    return result


class _JSONProblem(Exception):
    """Raised inside the body walk; ``route`` collects the keys and indexes innermost first while unwinding."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)  # pragma: no mutate: never escapes this module; only .reason and .route are read
        self.reason = reason
        self.route: list[str | int] = []


def _check_json(value: object, depth: int, strict: bool) -> None:
    """Reject what ``json.dumps`` would reject or silently rewrite (non-str keys). ``strict`` also finds what fails
    only later (lone surrogates, integers too long to print); it runs once encoding has failed, to name the place."""
    if value is None:
        return
    # Subclasses (StrEnum, IntEnum, bool, float subclasses) encode as their base value, as json does.
    if isinstance(value, str):
        if strict:
            _check_json_str(value)
        return
    if isinstance(value, int):
        if strict:
            _check_json_int(value)
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _JSONProblem(f"must be a finite number, not {float.__repr__(value)}")
        return
    if isinstance(value, dict):
        if depth >= MAX_JSON_DEPTH:
            raise _JSONProblem(f"is nested more than {MAX_JSON_DEPTH} levels deep (or contains a reference cycle)")
        for key, item in value.items():
            if not isinstance(key, str):
                raise _JSONProblem(f"has a key of type {_type_name(key)}; JSON object keys must be str")
            try:
                if strict:
                    _check_json_str(key)
                _check_json(item, depth + 1, strict)
            except _JSONProblem as problem:
                problem.route.append(key)
                raise
        return
    if isinstance(value, list | tuple):
        if depth >= MAX_JSON_DEPTH:
            raise _JSONProblem(f"is nested more than {MAX_JSON_DEPTH} levels deep (or contains a reference cycle)")
        for index, item in enumerate(value):
            try:
                _check_json(item, depth + 1, strict)
            except _JSONProblem as problem:
                problem.route.append(index)
                raise
        return
    raise _JSONProblem(
        f"must be JSON-serialisable (dict, list, str, int, float, bool or None), not {_type_name(value)}"
    )


def _check_json_str(value: str) -> None:
    if _SURROGATE().search(value):
        raise _JSONProblem("contains a lone surrogate, which cannot be encoded as UTF-8")


def _check_json_int(value: int) -> None:
    try:
        int.__repr__(value)
    except ValueError:
        raise _JSONProblem("is an integer too long to encode") from None


def _json_route(name: str, route: list[str | int]) -> str:
    parts = [name]
    for step in reversed(route):
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            shown = json.dumps(step[:_SHOWN_CHARS])
            parts.append(f"[{shown}{'…' if len(step) > _SHOWN_CHARS else ''}]")
    text = "".join(parts)
    return text if len(text) <= 4 * _SHOWN_CHARS else text[: 4 * _SHOWN_CHARS] + "…"


def _json_failure(name: str, problem: _JSONProblem) -> NoReturn:
    _fail(f"{_json_route(name, problem.route)} {problem.reason}")


def encode_json_body(body: object, *, name: str = "body") -> bytes:
    """Encode a JSON request body as compact UTF-8 bytes, or raise :class:`InvalidRequestError` naming the first bad
    place (``body["a"][2] must be a finite number, not nan``).

    Accepts dict (str keys only: ``json`` would turn ``1`` into ``"1"`` and could duplicate keys), list, tuple,
    str, int, float (finite), bool and None, nested, and their subclasses.
    """
    try:
        # Not mutated: strict=None is the same falsy value, and a strict first walk (True) finds the same problems
        # (json.dumps fails on each, and the strict walk below names it), only more slowly.
        _check_json(body, 0, False)  # pragma: no mutate
    except _JSONProblem as problem:
        _json_failure(name, problem)
    try:
        text = json.dumps(
            body,
            ensure_ascii=False,  # pragma: no mutate: None is the same falsy value (True is killed by the tests)
            separators=(",", ":"),
            allow_nan=False,  # pragma: no mutate: defence in depth, _check_json has already refused NaN and inf
        )
        return text.encode("utf-8")  # pragma: no mutate: "UTF-8" names the same codec
    except (ValueError, RecursionError) as exc:  # UnicodeEncodeError is a ValueError
        try:
            _check_json(body, 0, True)
        except _JSONProblem as problem:
            _json_failure(name, problem)
        _fail(f"{name} could not be encoded as JSON ({type(exc).__name__})")


def _query_value(value: object, name: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if _SURROGATE().search(value):
            _fail(f"{name} must be valid Unicode (it contains a lone surrogate)")
        return str.__str__(value)
    if isinstance(value, int):
        try:
            return int.__repr__(value)
        except ValueError:
            _fail(f"{name} is an integer too long to send")
    if isinstance(value, float):
        if not math.isfinite(value):
            _fail(f"{name} must be a finite number, not {value!r}")
        return float.__repr__(value)
    if value is None:
        _fail(f"{name} is None; leave the parameter out instead of passing None")
    _fail(f"{name} must be a str, int, float or bool, or a list of them, not {_type_name(value)}")


def validate_query_params(params: Mapping[str, object] | None, *, name: str = "params") -> list[tuple[str, str]]:
    """Turn query parameters into ``(key, value)`` pairs; a list or tuple value repeats its key (an empty one sends
    nothing). Booleans become ``"true"``/``"false"``; None is rejected rather than silently dropped."""
    if params is None:
        return []
    if not isinstance(params, Mapping):
        _fail(f"{name} must be a mapping of names to values, not {_type_name(params)}")
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if not isinstance(key, str):
            _fail(f"{name} keys must be str, not {_type_name(key)}")
        if not key:
            _fail(f"{name} keys must not be empty")
        if _CONTROL().search(key):
            _fail(f"{name} key {show_input(key)} must not contain control characters")
        if _SURROGATE().search(key):
            _fail(f"{name} key {show_input(key)} must be valid Unicode (it contains a lone surrogate)")
        label = f"{name}[{show_input(key)}]"
        if isinstance(value, list | tuple):
            pairs.extend((key, _query_value(item, f"{label}[{index}]")) for index, item in enumerate(value))
        else:
            pairs.append((key, _query_value(value, label)))
    return pairs
