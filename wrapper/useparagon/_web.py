"""Connecting users from a web page: the page that runs Paragon's JS SDK, and the relay of its events to Python.

``connect_page`` (a whole HTML document) and ``connect_snippet`` (one ``<script>`` element for the app's own
template) load the SDK, authenticate it with a user token minted here, open the Connect Portal for an integration
(or only authenticate, for the app's own ``installIntegration`` calls), and POST each of the SDK's five events to
the app as ``{"type", "event", "userToken"}``. ``handle_relayed_event`` accepts such a POST only when its
``userToken`` verifies with this project's key (RS256 signature, ``exp``, ``aud``) and is for the expected user,
then fires the client's ``subscribe`` callbacks with a session for that user, as the client's own changes do.

What the relay proves: whoever sent the event holds a live token that this server minted for that user. It does not
prove the event happened (that user can send any event about themselves), so re-read what matters from Paragon
(``session.get_user()``) before acting on it.

The body holds a user token, so it stays wrapped (redacted repr) from the moment it arrives, and every refusal is
raised from a frame that holds only wrapped values, with nothing chained.

PyJWT (with cryptography) and the page template are imported on first use, not with ``useparagon``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from urllib.parse import urlsplit

from ._config import HOST_NAME
from ._constants import (
    DEFAULT_PAGE_TITLE,
    DEFAULT_SDK_HOST,
    DEFAULT_SDK_URL,
    DEFAULT_TOKEN_TTL,
    MAX_ID_LENGTH,
    MAX_PAGE_URL_LENGTH,
    MAX_RELAYED_EVENT_BYTES,
    SDK_SERVICE_URL_NAMES,
)
from ._errors import InvalidRequestError, UserTokenError
from ._events import EVENT_NAMES, adeliver, deliver
from ._patterns import lazy_pattern
from ._secret import Secret
from ._validation import encode_json_body, show_input, validate_headers, validate_integration_type

if TYPE_CHECKING:
    from useparagon_api.wire import SdkEvent

    from ._async_client import AsyncParagon
    from ._client import Paragon
    from ._signing import TokenSigner

__all__ = [
    "DEFAULT_SDK_URL",
    "MAX_RELAYED_EVENT_BYTES",
    "SDK_SERVICE_URL_NAMES",
    "ahandle_relayed_event",
    "connect_page",
    "connect_snippet",
    "handle_relayed_event",
]

# C0 and C1 control characters (CR, LF, NUL…): never part of a URL the page should fetch.
_URL_CONTROL = lazy_pattern(r"[\x00-\x1f\x7f-\x9f\\]")
# A CSP nonce is base64 (RFC 4648, either alphabet).
_NONCE = lazy_pattern(r"[A-Za-z0-9+/_=-]{1,256}")
# The string fields each event must carry (the JS SDK's EventInfo; it emits nothing without integrationId and type).
_REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "onIntegrationInstall": ("integrationId", "integrationType"),
    "onIntegrationUninstall": ("integrationId", "integrationType"),
    "onPortalOpen": ("integrationId", "integrationType"),
    "onPortalClose": ("integrationId", "integrationType"),
    "onWorkflowChange": ("integrationId", "workflowId"),
}
_USER_ID_FIELDS = ("userId", "user_id")


# -- the page ---------------------------------------------------------------------------------------------------


def connect_page(
    paragon: Paragon | AsyncParagon,
    user_id: str,
    *,
    integration: str | None = None,
    relay_url: str | None = None,
    relay_headers: Mapping[str, str] | None = None,
    connect_options: Mapping[str, Any] | None = None,
    sdk_url: str = DEFAULT_SDK_URL,
    sdk_host: str | None = None,
    sdk_urls: Mapping[str, str] | None = None,
    ttl: int = DEFAULT_TOKEN_TTL,
    permissions: Mapping[str, Any] | None = None,
    nonce: str | None = None,
    title: str = DEFAULT_PAGE_TITLE,
) -> str:
    """A complete HTML page that connects ``user_id`` with Paragon's JS SDK; serve it with ``Cache-Control: no-store``.

    The page loads the SDK from ``sdk_url``, calls ``paragon.authenticate(project_id, token)`` with a token signed
    here (``ttl``, ``permissions`` as for ``sign_user_token``), then ``paragon.connect(integration, connect_options)``
    to open the Connect Portal; with no ``integration`` it only authenticates, and ``window.useparagon.ready``
    resolves to the SDK for the app's own calls (``installIntegration``…). With ``relay_url``, each SDK event is
    POSTed there as JSON ``{"type", "event", "userToken"}`` (plus ``relay_headers``, e.g. a CSRF header) for
    ``handle_relayed_event``. ``sdk_host`` and ``sdk_urls`` (keys from ``SDK_SERVICE_URL_NAMES``) go to the SDK's
    ``configureGlobal`` for self-hosted Paragon or a local fake. ``nonce`` is set on the scripts for a CSP.

    The page holds the user's token, as any page running the SDK must: render it only for that signed-in user.
    """
    config = _page_config(
        paragon,
        user_id,
        integration=integration,
        relay_url=relay_url,
        relay_headers=relay_headers,
        connect_options=connect_options,
        sdk_url=sdk_url,
        sdk_host=sdk_host,
        sdk_urls=sdk_urls,
        ttl=ttl,
        permissions=permissions,
        nonce=nonce,
    )
    if not isinstance(title, str):
        raise InvalidRequestError(f"title must be a str, not {type(title).__name__}")
    from ._web_page import render_page

    return render_page(config, nonce, title)


def connect_snippet(
    paragon: Paragon | AsyncParagon,
    user_id: str,
    *,
    integration: str | None = None,
    relay_url: str | None = None,
    relay_headers: Mapping[str, str] | None = None,
    connect_options: Mapping[str, Any] | None = None,
    sdk_url: str = DEFAULT_SDK_URL,
    sdk_host: str | None = None,
    sdk_urls: Mapping[str, str] | None = None,
    ttl: int = DEFAULT_TOKEN_TTL,
    permissions: Mapping[str, Any] | None = None,
    nonce: str | None = None,
) -> str:
    """What ``connect_page`` does, as one ``<script>`` element to put in the app's own template (unescaped: it is
    HTML, e.g. ``{{ snippet|safe }}`` in Jinja or Django). Progress and errors go to the browser console; when
    Paragon's SDK is already on the page (``window.paragon``), that one is used."""
    config = _page_config(
        paragon,
        user_id,
        integration=integration,
        relay_url=relay_url,
        relay_headers=relay_headers,
        connect_options=connect_options,
        sdk_url=sdk_url,
        sdk_host=sdk_host,
        sdk_urls=sdk_urls,
        ttl=ttl,
        permissions=permissions,
        nonce=nonce,
    )
    from ._web_page import render_snippet

    return render_snippet(config, nonce)


def _page_config(
    paragon: Paragon | AsyncParagon,
    user_id: str,
    *,
    integration: str | None,
    relay_url: str | None,
    relay_headers: Mapping[str, str] | None,
    connect_options: Mapping[str, Any] | None,
    sdk_url: str,
    sdk_host: str | None,
    sdk_urls: Mapping[str, str] | None,
    ttl: int,
    permissions: Mapping[str, Any] | None,
    nonce: str | None,
) -> dict[str, Any]:
    """Check every argument, then sign the token: a bad argument fails before any signature is made."""
    if integration is not None:
        validate_integration_type(integration)
    if connect_options is not None:
        if integration is None:
            raise InvalidRequestError("connect_options applies only with an integration to connect")
        if not isinstance(connect_options, Mapping):
            raise InvalidRequestError(f"connect_options must be a mapping, not {type(connect_options).__name__}")
        encode_json_body(dict(connect_options), name="connect_options")
    if relay_url is not None:
        _check_url(relay_url, "relay_url", relative=True)
    headers = validate_headers(relay_headers, reserved=frozenset({"content-type"}))
    if headers and relay_url is None:
        raise InvalidRequestError("relay_headers applies only with a relay_url to send events to")
    _check_url(sdk_url, "sdk_url", relative=True)
    if sdk_host is not None and (not isinstance(sdk_host, str) or not HOST_NAME().fullmatch(sdk_host)):
        raise InvalidRequestError(
            f"sdk_host must be a bare host name such as 'mycompany.paragon.so' (no scheme or path), got {sdk_host!r}"
        )
    urls = _check_sdk_urls(sdk_urls)
    if nonce is not None and (not isinstance(nonce, str) or not _NONCE().fullmatch(nonce)):
        raise InvalidRequestError("nonce must be the CSP nonce of the response: 1 to 256 base64 characters")
    return {
        "projectId": paragon.project_id,
        "userToken": paragon.sign_user_token(user_id, ttl=ttl, permissions=permissions),
        "integration": integration,
        "connectOptions": dict(connect_options or {}),
        "relayUrl": relay_url,
        "relayHeaders": headers,
        "events": list(EVENT_NAMES),
        "sdkUrl": sdk_url,
        "sdkHost": sdk_host if sdk_host is not None else (DEFAULT_SDK_HOST if urls else None),
        "sdkUrls": urls,
        "nonce": nonce,
        "statusId": None,
    }


def _check_url(value: object, name: str, *, relative: bool) -> str:
    """An http(s) URL, or (``relative``) a path on the page's own origin; never ``javascript:`` and the like."""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise InvalidRequestError(f"{name} must not be blank")
    if len(value) > MAX_PAGE_URL_LENGTH:
        raise InvalidRequestError(f"{name} must be at most {MAX_PAGE_URL_LENGTH} characters (got {len(value)})")
    if value != value.strip() or _URL_CONTROL().search(value):
        raise InvalidRequestError(
            f"{name} must not contain control characters or backslashes, nor start or end with whitespace"
        )
    if relative and value.startswith("/") and not value.startswith("//"):
        return value
    scheme = netloc = ""
    with contextlib.suppress(ValueError):
        parts = urlsplit(value)
        scheme, netloc = parts.scheme.lower(), parts.netloc
    if scheme not in ("http", "https") or not netloc:
        where = "an http(s) URL or a path starting with '/'" if relative else "an http(s) URL"
        raise InvalidRequestError(f"{name} must be {where}, got {show_input(value)}")
    return value


def _check_sdk_urls(sdk_urls: Mapping[str, str] | None) -> dict[str, str]:
    if sdk_urls is None:
        return {}
    if not isinstance(sdk_urls, Mapping):
        raise InvalidRequestError(f"sdk_urls must be a mapping, not {type(sdk_urls).__name__}")
    urls: dict[str, str] = {}
    for key, value in sdk_urls.items():
        if key not in SDK_SERVICE_URL_NAMES:
            raise InvalidRequestError(
                f"sdk_urls has an unknown key {show_input(str(key))}; the SDK reads: {', '.join(SDK_SERVICE_URL_NAMES)}"
            )
        urls[key] = _check_url(value, f"sdk_urls[{key!r}]", relative=False).rstrip("/")
    return urls


# -- the relay --------------------------------------------------------------------------------------------------


class _Sealed:
    """A relayed request body as it arrived (it carries a user token), behind a redacted repr."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<relayed event body>"


class _Relayed(NamedTuple):
    type: object
    event: dict[str, Any]
    token: Secret[str]
    named_users: tuple[object, ...]


_Problem = tuple[type[InvalidRequestError], str]
_MALFORMED = object()


def handle_relayed_event(
    paragon: Paragon,
    body: bytes | bytearray | str | Mapping[str, Any],
    *,
    expected_user_id: str | None = None,
) -> SdkEvent:
    """Verify an event relayed by ``connect_page``, fire the client's ``subscribe`` callbacks, and return it.

    ``body`` is the request body as it came (bytes or str, at most ``MAX_RELAYED_EVENT_BYTES``) or the JSON object
    a framework already parsed from it. The event is accepted only if its ``userToken`` is signed with this
    project's key, unexpired, for this project (``aud``), and for ``expected_user_id`` when given (pass the user
    your app's own login says is signed in). Callbacks get ``(event, session)``: the event as a typed dict with its
    ``type``, and a session authenticated with the relayed token. A refusal raises ``UserTokenError`` (the token or
    the user is wrong: answer 403) or ``InvalidRequestError`` (a malformed body: answer 400), before any callback.
    """
    sealed = _Sealed(body)
    del body  # from here on only wrapped values hold the token, so a traceback's locals show none
    event, token = _accept(paragon, sealed, expected_user_id)
    user = paragon.authenticate(user_token=token.reveal())
    deliver((paragon._events,), event, user)
    return event


async def ahandle_relayed_event(
    paragon: AsyncParagon,
    body: bytes | bytearray | str | Mapping[str, Any],
    *,
    expected_user_id: str | None = None,
) -> SdkEvent:
    """``handle_relayed_event`` for ``AsyncParagon``: sync and ``async def`` callbacks are run and awaited."""
    sealed = _Sealed(body)
    del body
    event, token = _accept(paragon, sealed, expected_user_id)
    user = paragon.authenticate(user_token=token.reveal())
    await adeliver((paragon._events,), event, user)
    return event


def _accept(paragon: Paragon | AsyncParagon, sealed: _Sealed, expected_user_id: object) -> tuple[SdkEvent, Secret[str]]:
    """The checked event and its token, or a typed refusal (raised here, where only wrapped values are held)."""
    if expected_user_id is not None and not isinstance(expected_user_id, str):
        raise InvalidRequestError(f"expected_user_id must be a str or None, not {type(expected_user_id).__name__}")
    signer = paragon._require_signer()  # verifying needs the key: ConfigurationError without one
    relayed = _parse(sealed)
    if not isinstance(relayed, _Relayed):
        raise relayed[0](relayed[1]) from None
    verdict = _verify(signer, relayed.token)
    if not isinstance(verdict, str):
        raise verdict[0](verdict[1]) from None
    if expected_user_id is not None and verdict != expected_user_id:
        raise UserTokenError(
            f"the relayed event's user token is for user {show_input(verdict)}, not {show_input(expected_user_id)}"
        )
    for named in relayed.named_users:
        if named != verdict:
            raise UserTokenError(f"the relayed event names another user than its token's {show_input(verdict)}")
    event = _event(relayed.type, relayed.event)
    if not isinstance(event, dict):
        raise event[0](event[1]) from None
    return cast("SdkEvent", event), relayed.token


def _parse(sealed: _Sealed) -> _Relayed | _Problem:
    """The relayed object's parts, or why it is refused. Returns problems instead of raising them, so no frame that
    held the parsed body (and its token) is on the stack when the refusal is raised."""
    value = sealed.value
    data: object
    if isinstance(value, bytes | bytearray | str):
        if len(value) > MAX_RELAYED_EVENT_BYTES:
            return InvalidRequestError, (
                f"the relayed event is larger than {MAX_RELAYED_EVENT_BYTES} bytes ({len(value)}); it was not read"
            )
        data = _loads(value)
        if data is _MALFORMED:
            return InvalidRequestError, "the relayed event is not valid JSON"
    elif isinstance(value, Mapping):
        data = value
    else:
        return InvalidRequestError, (
            "the relayed event must be the request body (bytes or str) or its parsed JSON object,"
            f" not {type(value).__name__}"
        )
    if not isinstance(data, Mapping):
        return InvalidRequestError, 'the relayed event must be a JSON object {"type", "event", "userToken"}'
    token = data.get("userToken")
    if not isinstance(token, str) or not token:
        return UserTokenError, "the relayed event has no userToken: it must carry the token its page was given"
    event = data.get("event")
    if not isinstance(event, Mapping):
        shown = "nothing" if "event" not in data else _json_type(event)
        return InvalidRequestError, f"the relayed event's payload ('event') must be a JSON object, got {shown}"
    named = tuple(source[field] for source in (data, event) for field in _USER_ID_FIELDS if field in source)
    return _Relayed(type=data.get("type"), event=dict(event), token=Secret(token), named_users=named)


def _loads(text: bytes | bytearray | str) -> object:
    # Decoding errors (UnicodeDecodeError is a ValueError) and absurd nesting are reported, never chained.
    with contextlib.suppress(ValueError, RecursionError):
        return json.loads(text, parse_constant=_reject_constant)
    return _MALFORMED


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _json_type(value: object) -> str:
    """What a JSON value is, with its article, for a message (the value itself is never shown)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def _verify(signer: TokenSigner, token: Secret[str]) -> str | _Problem:
    """The user id (``sub``) of a token this project signed and that is still valid, or why it is refused."""
    import jwt

    problem = "the relayed event's user token "
    try:
        claims = jwt.decode(
            token.reveal(),
            signer.key.public_key(),
            algorithms=["RS256"],
            audience=signer.audience,
            options={"require": ["exp", "sub", "aud"]},
        )
    except jwt.InvalidSignatureError:
        problem += "is not signed with this project's signing key"
    except jwt.InvalidAlgorithmError:
        problem += "is not signed with RS256, as every Paragon user token is"
    except jwt.ExpiredSignatureError:
        problem += "has expired: reload the page that sent it, or give it a longer ttl"
    except jwt.InvalidAudienceError:
        problem += f"is for another Paragon project: its 'aud' is not {signer.audience!r}"
    except jwt.MissingRequiredClaimError as exc:
        problem += f"has no {exc.claim!r} claim"
    except jwt.ImmatureSignatureError:
        problem += "was issued in the future: check this server's clock"
    except jwt.InvalidTokenError:
        problem += "is not a well-formed JWT"
    else:
        sub = claims.get("sub")
        if isinstance(sub, str) and sub:
            return sub
        problem += "has no user id ('sub')"
    return UserTokenError, problem


def _event(type_: object, payload: dict[str, Any]) -> dict[str, Any] | _Problem:
    """The SDK event as subscribers get it (``type`` first), or why it is refused."""
    if not isinstance(type_, str) or type_ not in _REQUIRED_FIELDS:
        shown = show_input(type_) if isinstance(type_, str) else _json_type(type_)
        return InvalidRequestError, f"unknown relayed event type {shown}; expected one of: {', '.join(EVENT_NAMES)}"
    if payload.get("type", type_) != type_:
        return InvalidRequestError, f"the relayed {type_} event's payload names another type"
    for field in _REQUIRED_FIELDS[type_]:
        value = payload.get(field)
        if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
            return InvalidRequestError, (
                f"the relayed {type_} event needs {field!r} as a non-empty string of at most {MAX_ID_LENGTH} characters"
            )
    if type_ == "onWorkflowChange" and not isinstance(payload.get("workflowStateChange"), Mapping):
        return InvalidRequestError, "the relayed onWorkflowChange event needs 'workflowStateChange' as a JSON object"
    return {"type": type_, **{key: value for key, value in payload.items() if key != "type"}}
