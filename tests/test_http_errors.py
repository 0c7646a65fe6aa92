"""The exact text of every error the sender builds: status errors, responses that do not match the API, transport
failures, and the redaction of the user's token and of anything shaped like a JWT.

Each case runs for both clients over ``httpx.MockTransport`` (``tests/support.py``); the pure helpers that bound
what a message looks at (``_validation_messages``, ``_scrub``) are also checked on their own, at and one past each
limit.
"""

from __future__ import annotations

import errno
import json
import socket
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    RetryPolicy,
)
from useparagon._constants import MAX_ERROR_BODY_BYTES
from useparagon._http import _scrub, _validation_messages
from useparagon.testing import FakeParagon

from tests.support import Harness, MakeHarness, json_response, trusting_fake

ME = "GET /projects/{projectId}/sdk/me"
PROXY_ROUTE = "GET /projects/{projectId}/sdk/proxy/{integrationType}/{path}"
REDIRECT = "unexpected redirect (redirects are not followed, so the user token never leaves Paragon's hosts)"
# A JWT-shaped run followed by more base64url characters: redacting the user's token leaves "_tail" in place,
# while the JWT-shape fallback alone would swallow it with the token.
TAIL = "_tail"


def _token(request: httpx.Request) -> str:
    return request.headers["authorization"].removeprefix("Bearer ")


def _status_error(harness: Harness) -> APIStatusError:
    with pytest.raises(APIStatusError) as caught:
        harness.run(harness.session.get_user())
    return caught.value


def _proxy_error(harness: Harness) -> APIConnectionError:
    with pytest.raises(APIConnectionError) as caught:
        harness.run(harness.session.request("salesforce", "query"))
    return caught.value


# -- Status errors -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "content", "expected"),
    [
        (404, b'{"message": "User not found"}', f"{ME} returned 404 Not Found: User not found"),
        (499, b'{"message": "client closed"}', f"{ME} returned 499: client closed"),
        (404, b"", f"{ME} returned 404 Not Found: (empty body)"),
        (404, b'{"message": 42}', f'{ME} returned 404 Not Found: {{"message": 42}}'),
        (404, b'{"message": [{"x": 1}]}', f'{ME} returned 404 Not Found: {{"message": [{{"x": 1}}]}}'),
        (300, b'{"message": "moved"}', f"{ME} returned 300 Multiple Choices: {REDIRECT}"),
        (399, b"", f"{ME} returned 399: {REDIRECT}"),
        (400, b'{"message": ["a", {"constraints": {"c": "b"}}]}', f"{ME} returned 400 Bad Request: a; b"),
    ],
    ids=["reason", "no reason phrase", "empty", "message not text", "list without text", "300", "399", "list"],
)
def test_a_status_error_message_is_exact(make_harness: MakeHarness, status: int, content: bytes, expected: str) -> None:
    """Route, status, the reason phrase when the status has one, and the server's own explanation (or its raw text)."""
    harness = make_harness(lambda _r: httpx.Response(status, content=content), max_retries=0)
    error = _status_error(harness)
    assert str(error) == expected
    assert (error.method, error.route, error.status_code) == ("GET", ME, status)


def test_a_status_error_lists_nested_validation_messages_16_levels_deep(make_harness: MakeHarness) -> None:
    """NestJS validation errors: the top level and 16 levels of children, joined with "; "."""
    harness = make_harness(lambda _r: json_response(400, {"message": _chain(18)}))
    error = _status_error(harness)
    assert str(error) == f"{ME} returned 400 Bad Request: " + "; ".join(str(level) for level in range(17))


def test_a_relayed_provider_error_says_so_before_the_request_id(make_harness: MakeHarness) -> None:
    body = {"message": "Salesforce: INVALID_SESSION_ID", "meta": {"isIntegrationError": True}}
    harness = make_harness(lambda _r: json_response(502, body, **{"x-request-id": "r-9"}), max_retries=0)
    with pytest.raises(InternalServerError) as caught:
        harness.run(harness.session.request("salesforce", "query"))
    assert str(caught.value) == (
        f"{PROXY_ROUTE} returned 502 Bad Gateway: Salesforce: INVALID_SESSION_ID"
        " (a third-party API error relayed by Paragon's proxy) [request id r-9]"
    )


SALESFORCE_400 = [
    {"message": "Required fields are missing: [Name]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Name"]}
]
# (the provider's body Paragon relays, what str(error) says after the status)
PROVIDER_BODIES: dict[str, tuple[Any, str]] = {
    "Salesforce": (SALESFORCE_400, "REQUIRED_FIELD_MISSING: Required fields are missing: [Name]"),
    "Slack": ({"ok": False, "error": "channel_not_found"}, "channel_not_found"),
    "Google": (
        {"error": {"code": 400, "message": "Invalid value at 'start.date'", "status": "INVALID_ARGUMENT"}},
        "400: Invalid value at 'start.date'",
    ),
    "HubSpot": (
        {"status": "error", "message": "Property values were not valid", "category": "VALIDATION_ERROR"},
        "VALIDATION_ERROR: Property values were not valid",
    ),
    "OAuth": (
        {"error": "invalid_grant", "error_description": "Token has been expired"},
        "invalid_grant: Token has been expired",
    ),
    "JSON:API": ({"errors": [{"title": "Invalid Attribute", "detail": "Name is too short"}]}, "Name is too short"),
    "plain text": ("Bad Request: missing 'channel'", "Bad Request: missing 'channel'"),
}


@pytest.mark.parametrize(("data", "says"), list(PROVIDER_BODIES.values()), ids=list(PROVIDER_BODIES))
def test_a_relayed_provider_error_says_what_the_provider_said(make_harness: MakeHarness, data: Any, says: str) -> None:
    """Paragon's generic "Request failed with status code 400" gives way to the provider's own message."""
    body = {
        "message": "Request failed with status code 400",
        "status": 400,
        "meta": {"isIntegrationError": True, "status": 400, "data": data},
    }
    harness = make_harness(lambda _r: json_response(400, body), max_retries=0)
    with pytest.raises(APIStatusError) as caught:
        harness.run(harness.session.request("salesforce", "query"))
    assert (
        str(caught.value)
        == f"{PROXY_ROUTE} returned 400 Bad Request: {says} (a third-party API error relayed by Paragon's proxy)"
    )
    assert caught.value.body == body


def test_a_relayed_provider_message_is_bounded_and_never_carries_the_token(make_harness: MakeHarness) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        said = f"bad token {_token(request)} " + "x" * 5000
        return json_response(400, {"message": "Request failed", "meta": {"isIntegrationError": True, "data": said}})

    harness = make_harness(echo, max_retries=0)
    with pytest.raises(APIStatusError) as caught:
        harness.run(harness.session.request("salesforce", "query"))
    (request,) = harness.requests
    message = str(caught.value)
    assert _token(request) not in message
    assert message.startswith(f"{PROXY_ROUTE} returned 400 Bad Request: bad token [redacted token] xxx")
    assert len(message) < 500 + 200


def test_a_relayed_error_without_a_provider_message_keeps_paragons(make_harness: MakeHarness) -> None:
    body = {"message": "Request failed with status code 500", "meta": {"isIntegrationError": True, "data": {"n": 1}}}
    harness = make_harness(lambda _r: json_response(500, body), max_retries=0)
    with pytest.raises(InternalServerError) as caught:
        harness.run(harness.session.request("salesforce", "query"))
    assert str(caught.value) == (
        f"{PROXY_ROUTE} returned 500 Internal Server Error: Request failed with status code 500"
        " (a third-party API error relayed by Paragon's proxy)"
    )


@pytest.mark.parametrize(("length", "shown"), [(100, "r" * 100), (101, "r" * 99 + "…")])
def test_a_request_id_is_kept_to_100_characters(make_harness: MakeHarness, length: int, shown: str) -> None:
    harness = make_harness(lambda _r: json_response(404, {"message": "gone"}, **{"x-request-id": "r" * length}))
    error = _status_error(harness)
    assert error.request_id == shown
    assert str(error) == f"{ME} returned 404 Not Found: gone [request id {shown}]"


def test_an_echoed_token_is_redacted_in_the_body_and_the_message(make_harness: MakeHarness) -> None:
    """Exactly the token is replaced: the characters around it stay, in ``body`` and in the message."""
    harness = make_harness(lambda request: json_response(401, {"message": f"bad token {_token(request)}{TAIL}"}))
    with pytest.raises(AuthenticationError) as caught:
        harness.run(harness.session.get_user())
    assert caught.value.body == {"message": "bad token [redacted token]_tail"}
    assert str(caught.value) == f"{ME} returned 401 Unauthorized: bad token [redacted token]_tail"


@pytest.mark.parametrize(
    ("content", "body", "suffix"),
    [
        (b"A" * MAX_ERROR_BODY_BYTES, "A" * MAX_ERROR_BODY_BYTES, ""),
        (b"A" * (MAX_ERROR_BODY_BYTES + 1), "A" * MAX_ERROR_BODY_BYTES, " (body cut at 1,048,576 bytes)"),
        # The kept head happens to be JSON; a cut body is kept as text all the same.
        (b'"' + b"a" * (MAX_ERROR_BODY_BYTES - 2) + b'"tail', '"' + "a" * (MAX_ERROR_BODY_BYTES - 2) + '"', None),
        # The cut splits a two-byte character: its first byte becomes U+FFFD.
        (b"a" * (MAX_ERROR_BODY_BYTES - 1) + "é".encode() + b"b", "a" * (MAX_ERROR_BODY_BYTES - 1) + "\ufffd", None),
    ],
    ids=["exactly the cap", "one byte over", "json head", "split character"],
)
def test_an_error_body_is_kept_up_to_one_mebibyte(
    make_harness: MakeHarness, content: bytes, body: str, suffix: str | None
) -> None:
    """An error body at the cap is whole; one byte more and it is cut there, kept as text, and the message says so."""
    harness = make_harness(lambda _r: httpx.Response(500, content=content), max_retries=0)
    error = _status_error(harness)
    assert type(error) is InternalServerError
    assert error.body == body
    message = str(error)
    assert message.endswith(" (body cut at 1,048,576 bytes)") is (len(content) > MAX_ERROR_BODY_BYTES)
    if suffix is not None:
        assert message == f"{ME} returned 500 Internal Server Error: {body[:499]}…{suffix}"


# -- Success responses that do not match the API -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "shown", "cause"),
    [
        (b'{"authenticated": "yes"}', '{"authenticated": "yes"}', "ValueError"),
        (b"", "(empty body)", "JSONDecodeError"),
        (b'{"authenticated": "' + b"x" * 300 + b'"}', '{"authenticated": "' + "x" * 180 + "…", "ValueError"),
        (b'{"authenticated": "' + b"x" * 178 + b'"}', '{"authenticated": "' + "x" * 178 + '"}', "ValueError"),
    ],
    ids=["wrong type", "empty", "over 200 characters", "exactly 200 characters"],
)
def test_a_body_that_does_not_match_has_an_exact_message(
    make_harness: MakeHarness, content: bytes, shown: str, cause: str
) -> None:
    """The parser's exception type and at most 200 characters of the body; ``body`` is what was parsed."""
    harness = make_harness(lambda _r: httpx.Response(200, content=content))
    with pytest.raises(APIResponseValidationError) as caught:
        harness.run(harness.session.get_user())
    error = caught.value
    assert str(error) == f"{ME} returned 200 with a body that does not match the API ({cause}): {shown}"
    assert (error.method, error.route, error.status_code) == ("GET", ME, 200)
    assert error.body == (json.loads(content) if content else None)


def test_a_token_echoed_in_a_success_body_is_redacted(make_harness: MakeHarness) -> None:
    harness = make_harness(lambda request: json_response(200, {"authenticated": _token(request) + TAIL}))
    with pytest.raises(APIResponseValidationError) as caught:
        harness.run(harness.session.get_user())
    assert caught.value.body == {"authenticated": "[redacted token]_tail"}
    assert str(caught.value).endswith('(ValueError): {"authenticated":"[redacted token]_tail"}')


# -- Transport errors --------------------------------------------------------------------------------------------------


def _raised(error: BaseException) -> BaseException:
    """``error`` with a traceback of its own, as the operating system's errors arrive."""
    try:
        raise error
    except BaseException as caught:
        return caught


def _connect_error(request: httpx.Request, cause: BaseException | None, text: str = "connection failed") -> Any:
    error = httpx.ConnectError(text, request=request)
    error.__cause__ = cause
    return error


OS_REASONS: list[tuple[str, BaseException | None, str]] = [
    ("refused", OSError(errno.ECONNREFUSED, "ignored"), ": Connection refused"),
    ("errno 1", OSError(errno.EPERM, "ignored"), ": Operation not permitted"),
    ("errno 0", OSError(0, "zero"), ": [Errno 0] zero"),
    ("no errno", OSError("the resolver gave up"), ": the resolver gave up"),
    ("empty", OSError(), ": connection failed"),
    ("dns", socket.gaierror(socket.EAI_NONAME, "Name or service not known"), ": Name or service not known"),
    ("no OS error", None, ": connection failed"),
]


@pytest.mark.parametrize(("cause", "reason"), [row[1:] for row in OS_REASONS], ids=[row[0] for row in OS_REASONS])
def test_a_connection_error_names_the_host_and_the_operating_systems_reason(
    make_harness: MakeHarness, cause: BaseException | None, reason: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise _connect_error(request, cause)

    error = _proxy_error(make_harness(handler, max_retries=0))
    assert str(error) == f"{PROXY_ROUTE} failed: could not connect to proxy.useparagon.com{reason} (ConnectError)"
    assert (error.method, error.route) == ("GET", PROXY_ROUTE)


def test_the_deepest_os_error_of_a_chain_with_a_cycle_is_found(make_harness: MakeHarness) -> None:
    """A chain that loops back on itself is walked once: the reason is found and the call does not hang."""

    def handler(request: httpx.Request) -> httpx.Response:
        os_error = OSError(errno.ECONNREFUSED, "refused")
        error = _connect_error(request, os_error)
        os_error.__context__ = error
        raise error

    error = _proxy_error(make_harness(handler, max_retries=0))
    assert (
        str(error)
        == f"{PROXY_ROUTE} failed: could not connect to proxy.useparagon.com: Connection refused (ConnectError)"
    )


TRANSPORT_TEXTS: list[tuple[type[httpx.HTTPError], str, str]] = [
    (httpx.ConnectError, "", "could not connect to proxy.useparagon.com (ConnectError)"),
    (
        httpx.RemoteProtocolError,
        "Server disconnected",
        "proxy.useparagon.com closed the connection without a complete response: Server disconnected"
        " (RemoteProtocolError)",
    ),
    (
        httpx.DecodingError,
        "bad gzip",
        "the response from proxy.useparagon.com could not be decoded: bad gzip (DecodingError)",
    ),
    (
        httpx.ReadError,
        "reset while reading https://proxy.useparagon.com/x?q=secret",
        "no usable response from proxy.useparagon.com: reset while reading <url> (ReadError)",
    ),
    (
        httpx.ReadError,
        "r" * 300,
        "no usable response from proxy.useparagon.com: " + "r" * 199 + "… (ReadError)",
    ),
]


@pytest.mark.parametrize(
    ("raised", "text", "expected"), TRANSPORT_TEXTS, ids=["empty", "protocol", "decoding", "url", "long"]
)
def test_a_transport_error_message_is_exact(
    make_harness: MakeHarness, raised: type[httpx.HTTPError], text: str, expected: str
) -> None:
    """The failure, the host, and at most 200 characters of httpx's reason with any URL replaced by <url>."""

    def handler(request: httpx.Request) -> httpx.Response:
        if issubclass(raised, httpx.RequestError):
            raise raised(text, request=request)
        raise raised(text)

    error = _proxy_error(make_harness(handler, max_retries=0))
    assert type(error) is APIConnectionError
    assert str(error) == f"{PROXY_ROUTE} failed: {expected}"
    assert error.method == "GET"


def test_a_token_in_a_transport_error_is_redacted(make_harness: MakeHarness) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError(f"peer said {_token(request)}{TAIL}", request=request)

    error = _proxy_error(make_harness(handler, max_retries=0))
    assert str(error) == (
        f"{PROXY_ROUTE} failed: no usable response from proxy.useparagon.com: peer said [redacted token]_tail"
        " (ReadError)"
    )


TIMEOUTS: list[tuple[type[httpx.TimeoutException], httpx.Timeout | None, str]] = [
    (httpx.ReadTimeout, httpx.Timeout(5.0), "waiting for proxy.useparagon.com to answer (ReadTimeout; timeout 5 s"),
    (httpx.ConnectTimeout, httpx.Timeout(0.5), "connecting to proxy.useparagon.com (ConnectTimeout; timeout 0.5 s"),
    (httpx.WriteTimeout, httpx.Timeout(2.0), "sending to proxy.useparagon.com (WriteTimeout; timeout 2 s"),
    (
        httpx.PoolTimeout,
        httpx.Timeout(1.0, pool=3.0),
        "waiting for a free connection in the pool (PoolTimeout; timeout 3 s",
    ),
    (httpx.ReadTimeout, None, "waiting for proxy.useparagon.com to answer (ReadTimeout; no timeout"),
]


@pytest.mark.parametrize(
    ("raised", "timeout", "expected"), TIMEOUTS, ids=["read", "connect", "write", "pool", "no timeout"]
)
def test_a_timeout_names_the_phase_and_both_limits(
    make_harness: MakeHarness, raised: type[httpx.TimeoutException], timeout: httpx.Timeout | None, expected: str
) -> None:
    """Which phase timed out, where, and the limits in force: the longest phase per attempt and the call's deadline."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise raised("", request=request)

    harness = make_harness(handler, retry=RetryPolicy(max_retries=0, total_deadline=30.0), timeout=timeout)
    with pytest.raises(APITimeoutError) as caught:
        harness.run(harness.session.request("salesforce", "query"))
    assert str(caught.value) == f"{PROXY_ROUTE} timed out {expected} per attempt, 30 s per call)"
    assert (caught.value.method, caught.value.route) == ("GET", PROXY_ROUTE)


def test_tracebacks_are_dropped_along_the_whole_chain(make_harness: MakeHarness) -> None:
    """The transport error and the OS error behind it keep their types and messages, but no frames (and locals)."""
    causes: list[BaseException] = []

    def handler(request: httpx.Request) -> httpx.Response:
        os_error = _raised(OSError(errno.ECONNRESET, "reset"))
        causes.append(os_error)
        raise _connect_error(request, os_error)

    error = _proxy_error(make_harness(handler, max_retries=0))
    transport = error.__cause__
    assert isinstance(transport, httpx.ConnectError)
    assert transport.__cause__ is causes[0]
    assert transport.__traceback__ is None
    assert causes[0].__traceback__ is None


def test_a_not_found_is_not_retried(make_harness: MakeHarness) -> None:
    harness = make_harness(lambda _r: json_response(404, {"message": "no"}), retry=RetryPolicy(initial_delay=0.0))
    with pytest.raises(NotFoundError):
        harness.run(harness.session.get_user())
    assert len(harness.requests) == 1


# -- The bounded helpers on their own ----------------------------------------------------------------------------------


def _chain(levels: int) -> list[Any]:
    """``levels`` validation errors, each the only child of the one before, with the messages "0", "1", ..."""
    node: dict[str, Any] = {"constraints": {"c": str(levels - 1)}}
    for level in range(levels - 2, -1, -1):
        node = {"constraints": {"c": str(level)}, "children": [node]}
    return [node]


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ([f"m{i}" for i in range(51)], [f"m{i}" for i in range(50)]),
        (
            [*(f"m{i}" for i in range(49)), {"constraints": {"a": "x", "b": "y", "c": "z"}}],
            [f"m{i}" for i in range(49)] + ["x"],
        ),
        (["a" * 8192, "b"], ["a" * 8192]),
        (["a" * 8191, "b", "c"], ["a" * 8191, "b"]),
        (["a" * 8193], ["a" * 8192]),
        ([{"constraints": {"n": 7}, "children": ["kid"]}], ["7", "kid"]),
        (_chain(17), [str(level) for level in range(17)]),
        (_chain(18), [str(level) for level in range(17)]),
    ],
    ids=["50 messages", "room for one more", "8192 characters", "one short", "one long", "children", "depth", "deeper"],
)
def test_validation_messages_are_bounded(errors: list[Any], expected: list[str]) -> None:
    """At most 50 messages and about 8 KiB of text, each message cut at 8 KiB, 16 levels of children below the top."""
    assert _validation_messages(errors, [], 0) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eyJhbGciOiJI.eyJzdWIiOiIx.c2lnbmF0dXJl", "[redacted token]"),
        ("Bearer xyz_eyJhbGciOiJI.eyJzdWIiOiIx.sig", "Bearer xyz_[redacted token]"),
        ("see abcdeyJhbGciOiJIUzI1.onlyonedot done", "see abcdeyJhbGciOiJIUzI1.onlyonedot done"),
        ("a.b.c.deyJhbGciOiJIUzI1NiJ9.payload", "a.b.c.deyJhbGciOiJIUzI1NiJ9.payload"),
        ("xxeyJaaaaaaaa.eyJbbbbbb.cc", "xx[redacted token]"),
        ("eyJ.a.b.c.d.e.f.g", "[redacted token]"),
        ("EYJhbGciOiJI.EYJzdWIiOiIx.sig", "EYJhbGciOiJI.EYJzdWIiOiIx.sig"),
        ("short eyJ.a.b", "short eyJ.a.b"),
    ],
    ids=["jwt", "prefix kept", "one dot", "dots before", "two eyJ", "many dots", "capitals", "under 16"],
)
def test_jwt_shaped_runs_are_redacted_from_their_first_eyJ(text: str, expected: str) -> None:
    """A run of 16+ base64url characters and dots holding "eyJ" followed by two dots loses everything from the
    first "eyJ"; anything else is left alone."""
    assert _scrub(text) == expected


# -- Against FakeParagon: a provider's error, and a name Paragon does not enable ---------------------------------------


@pytest.fixture
def fake(rsa_key: rsa.RSAPrivateKey) -> FakeParagon:
    """A FakeParagon that trusts the harness's tokens (same project, the public half of ``rsa_key``)."""
    return trusting_fake(rsa_key)


def test_salesforces_own_message_through_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    fake.user("user-123").connect("salesforce")
    fake.on_proxy("salesforce", "*", lambda request: (400, SALESFORCE_400))
    harness = make_harness(fake.transport().handle_request)
    with pytest.raises(BadRequestError) as caught:
        harness.run(harness.session.request("salesforce", "sobjects/Account", method="POST", body={"Phone": "1"}))
    assert str(caught.value).startswith(
        "POST /projects/{projectId}/sdk/proxy/{integrationType}/{path} returned 400 Bad Request:"
        " REQUIRED_FIELD_MISSING: Required fields are missing: [Name] (a third-party API error relayed by Paragon's"
        " proxy) [request id req_fake_"
    )


NOT_ENABLED_HINTS = {
    "Salesforce": "(integration names are case-sensitive and 'Salesforce' has capitals: use the type"
    " get_integration_metadata() lists, e.g. 'salesforce')",
    "salesforce": "(either the user has not connected 'salesforce', or it is not an integration of this project:"
    " get_integrations() lists the project's, with whether the user connected each)",
    "sales-force": "(either the user has not connected 'sales-force', or it is not an integration of this project:"
    " get_integrations() lists the project's, with whether the user connected each)",
}


@pytest.mark.parametrize("integration", list(NOT_ENABLED_HINTS))
def test_integration_not_enabled_says_what_to_check(
    make_harness: MakeHarness, fake: FakeParagon, integration: str
) -> None:
    """A wrong-case name, an unknown one and one the user never connected all get Paragon's 404; the message says
    which mistakes can cause it."""
    harness = make_harness(fake.transport().handle_request)
    with pytest.raises(NotFoundError) as caught:
        harness.run(harness.session.request(integration, "sobjects/Account"))
    assert str(caught.value).startswith(
        f"{PROXY_ROUTE} returned 404 Not Found: Integration not enabled for user. {NOT_ENABLED_HINTS[integration]}"
        " [request id req_fake_"
    )


def test_other_404s_get_no_integration_hint(make_harness: MakeHarness) -> None:
    harness = make_harness(lambda _r: json_response(404, {"message": "Not Found"}), max_retries=0)
    with pytest.raises(NotFoundError) as caught:
        harness.run(harness.session.request("Salesforce", "sobjects/Nope"))
    assert str(caught.value) == f"{PROXY_ROUTE} returned 404 Not Found: Not Found"
