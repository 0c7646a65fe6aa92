"""Error mapping: every failure becomes a typed useparagon exception with a bounded, secret-free message.

Statuses x body kinds, success responses that do not match the spec, and transport errors, for both clients.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import zlib
from collections.abc import Callable
from typing import Any, NamedTuple

import httpx
import pytest
import useparagon
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncParagon,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    CredentialNotFoundError,
    IntegrationNotInstalledError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    OptionalDependencyError,
    Paragon,
    ParagonError,
    PermissionDeniedError,
    RateLimitError,
    SigningKeyError,
    ToolArgumentsError,
    ToolCallError,
    UnknownToolError,
    UnprocessableEntityError,
    UserTokenError,
    WorkflowNotFoundError,
)
from useparagon import _errors as errors_module
from useparagon._errors import status_error_class

from tests.support import PROJECT_ID, Handler, Harness, MakeHarness, SessionCall, json_response

GET_USER_ROUTE = "GET /projects/{projectId}/sdk/me"
REQUEST_ID = "req-7f3a9c"
SECRET_QUERY = "q=canary-query-value"

# -- Status x body -----------------------------------------------------------------------------------------------------

EXPECTED_CLASS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    500: InternalServerError,
    502: InternalServerError,
    503: InternalServerError,
    520: InternalServerError,
    418: APIStatusError,
    302: APIStatusError,
}

HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)
UPSTREAM_TEXT = "upstream connect error or disconnect/reset before headers. reset reason: connection termination"
HUGE = "BEGIN " + "Z" * 100_000


class BodyKind(NamedTuple):
    """A response body, what ``APIStatusError.body`` should hold, its ``code``, and text the message shows."""

    content: Callable[[int], bytes]
    content_type: str
    body: Callable[[int], Any]
    code: str | None
    shown: str


def _paragon(status: int) -> dict[str, Any]:
    return {"message": "Insufficient permissions for this action.", "code": "7210", "status": status}


def _validation(status: int) -> dict[str, Any]:
    return {
        "message": [
            {"property": "meta", "constraints": {"isObject": "meta must be an object"}, "children": []},
            "name should not be empty",
        ],
        "error": "Bad Request",
        "statusCode": status,
    }


BODY_KINDS: dict[str, BodyKind] = {
    "paragon json": BodyKind(
        lambda s: json.dumps(_paragon(s)).encode(), "application/json", _paragon, "7210", "Insufficient permissions"
    ),
    "validation list": BodyKind(
        lambda s: json.dumps(_validation(s)).encode(),
        "application/json",
        _validation,
        None,
        "meta must be an object; name should not be empty",
    ),
    "html 502 page": BodyKind(lambda _s: HTML_502.encode(), "text/html", lambda _s: HTML_502, None, "502 Bad Gateway"),
    "empty": BodyKind(lambda _s: b"", "", lambda _s: None, None, "(empty body)"),
    "non-json text": BodyKind(
        lambda _s: UPSTREAM_TEXT.encode(), "text/plain", lambda _s: UPSTREAM_TEXT, None, "upstream connect error"
    ),
    "huge 100 kB": BodyKind(lambda _s: HUGE.encode(), "text/plain", lambda _s: HUGE, None, "BEGIN ZZZ"),
}


def _status_handler(status: int, kind: BodyKind) -> Handler:
    def handler(_request: httpx.Request) -> httpx.Response:
        headers = {"x-request-id": REQUEST_ID}
        if kind.content_type:
            headers["content-type"] = kind.content_type
        if 300 <= status < 400:
            headers["location"] = "https://attacker.example/collect"
        return httpx.Response(status, content=kind.content(status), headers=headers)

    return handler


def assert_clean_message(message: str, harness: Harness) -> None:
    """Never empty, one line, no ids, no token, no query string, no more than 500 characters of any body."""
    assert message.strip()
    assert "\r" not in message
    assert "\n" not in message
    assert PROJECT_ID not in message
    for request in harness.requests:
        assert request.headers["authorization"].removeprefix("Bearer ") not in message
    assert SECRET_QUERY not in message
    assert "canary-query-value" not in message
    assert "Z" * 501 not in message


@pytest.mark.parametrize("kind", BODY_KINDS.values(), ids=BODY_KINDS.keys())
@pytest.mark.parametrize("status", EXPECTED_CLASS.keys())
def test_status_and_body_map_to_a_typed_error(make_harness: MakeHarness, status: int, kind: BodyKind) -> None:
    """Exact class, status_code, body, request_id and code; a message naming the route and status, bounded."""
    harness = make_harness(_status_handler(status, kind), max_retries=0)
    with pytest.raises(APIStatusError) as caught:
        harness.run(harness.session.get_user())
    error = caught.value
    assert type(error) is EXPECTED_CLASS[status]
    assert status_error_class(status) is EXPECTED_CLASS[status]
    assert error.status_code == status
    assert error.body == kind.body(status)
    assert error.request_id == REQUEST_ID
    assert error.code == kind.code
    assert (error.method, error.route) == ("GET", GET_USER_ROUTE)
    assert error.headers["x-request-id"] == REQUEST_ID
    assert len(harness.requests) == 1
    message = str(error)
    assert GET_USER_ROUTE in message
    assert str(status) in message
    assert REQUEST_ID in message
    if 300 <= status < 400:
        assert "redirect" in message
        assert "attacker.example" not in message
    else:
        assert kind.shown in message
    assert_clean_message(message, harness)
    assert len(message) < 800
    assert error.is_integration_error is False


def test_huge_bodies_are_kept_whole_on_the_error() -> None:
    """The message shows a preview, but ``body`` keeps all 100 kB for whoever needs it."""
    assert len(BODY_KINDS["huge 100 kB"].body(500)) == len(HUGE) > 100_000


@pytest.mark.parametrize("retries", [0, 2])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_not_followed(make_harness: MakeHarness, status: int, retries: int) -> None:
    """A redirect is an APIStatusError after exactly one request: the token never follows a Location header."""
    harness = make_harness(
        lambda _r: httpx.Response(status, headers={"location": "https://attacker.example/collect"}),
        max_retries=retries,
    )
    with pytest.raises(APIStatusError) as caught:
        harness.run(harness.session.request("slack", "chat.postMessage", method="POST", body={"text": "x"}))
    assert type(caught.value) is APIStatusError
    assert caught.value.status_code == status
    assert [request.url.host for request in harness.requests] == ["proxy.useparagon.com"]


REQUEST_ID_HEADERS: list[tuple[dict[str, str], str | None]] = [
    ({"x-request-id": "a-1"}, "a-1"),
    ({"x-paragon-request-id": "p-2"}, "p-2"),
    ({"request-id": "r-3"}, "r-3"),
    ({"x-amzn-requestid": "amz-4"}, "amz-4"),
    ({"x-request-id": "first", "x-amzn-requestid": "second"}, "first"),
    ({"x-request-id": ""}, None),
    ({}, None),
]


@pytest.mark.parametrize(("headers", "expected"), REQUEST_ID_HEADERS, ids=[str(row[0]) for row in REQUEST_ID_HEADERS])
def test_request_id_comes_from_the_response_headers(
    make_harness: MakeHarness, headers: dict[str, str], expected: str | None
) -> None:
    """The request id is read from the usual headers, in order; none means None (and no "[request id" text)."""
    harness = make_harness(lambda _r: json_response(404, {"message": "Not Found"}, **headers))
    with pytest.raises(NotFoundError) as caught:
        harness.run(harness.session.get_user())
    assert caught.value.request_id == expected
    assert ("[request id" in str(caught.value)) is (expected is not None)


def test_request_id_with_line_breaks_stays_on_one_line(make_harness: MakeHarness) -> None:
    """A hostile request id header cannot inject a log line through the message."""
    harness = make_harness(lambda _r: httpx.Response(500, headers=[(b"x-request-id", b"abc\tdef  ghi")]), max_retries=0)
    with pytest.raises(InternalServerError) as caught:
        harness.run(harness.session.get_user())
    assert caught.value.request_id == "abc def ghi"
    assert "\t" not in str(caught.value)


def test_body_with_crlf_cannot_forge_log_lines(make_harness: MakeHarness) -> None:
    """CR/LF in a server's message are flattened: the message stays one line."""
    body = {"message": "bad input\r\n2025-01-01 INFO useparagon: forged line\n\rmore"}
    harness = make_harness(lambda _r: json_response(400, body))
    with pytest.raises(BadRequestError) as caught:
        harness.run(harness.session.get_user())
    assert "bad input 2025-01-01 INFO useparagon: forged line more" in str(caught.value)
    assert_clean_message(str(caught.value), harness)


def test_an_echoed_token_and_query_never_reach_the_message(make_harness: MakeHarness) -> None:
    """A server echoing the Authorization header gets it redacted; the query string is never part of the message."""

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(401, {"message": f"invalid token: {request.headers['authorization']}"})

    harness = make_harness(handler)
    with pytest.raises(AuthenticationError) as caught:
        harness.run(harness.session.request("salesforce", "query", params={"q": "canary-query-value"}))
    (request,) = harness.requests
    assert request.url.query == SECRET_QUERY.encode()
    message = str(caught.value)
    assert "[redacted token]" in message
    assert "GET /projects/{projectId}/sdk/proxy/{integrationType}/{path}" in message
    assert_clean_message(message, harness)


# -- Proxy errors: the third-party provider vs Paragon ---------------------------------------------------------------

INTEGRATION_ERRORS: list[tuple[str, int, Any, type[APIStatusError], bool]] = [
    (
        "provider 502",
        502,
        {"message": "Salesforce: INVALID_SESSION_ID", "meta": {"isIntegrationError": True}},
        InternalServerError,
        True,
    ),
    (
        "provider 401",
        401,
        {"message": "invalid_auth", "code": "7410", "meta": {"isIntegrationError": True, "integration": "slack"}},
        AuthenticationError,
        True,
    ),
    ("provider 404", 404, {"message": "Not found", "meta": {"isIntegrationError": True}}, NotFoundError, True),
    ("paragon 401", 401, {"message": "Unauthorized", "code": "0101", "status": 401}, AuthenticationError, False),
    ("meta says false", 400, {"message": "x", "meta": {"isIntegrationError": False}}, BadRequestError, False),
    ("meta says 'true'", 400, {"message": "x", "meta": {"isIntegrationError": "true"}}, BadRequestError, False),
    ("meta is a list", 400, {"message": "x", "meta": [{"isIntegrationError": True}]}, BadRequestError, False),
    ("body is a list", 400, [{"meta": {"isIntegrationError": True}}], BadRequestError, False),
]


@pytest.mark.parametrize(
    ("status", "body", "cls", "relayed"),
    [row[1:] for row in INTEGRATION_ERRORS],
    ids=[r[0] for r in INTEGRATION_ERRORS],
)
def test_proxy_errors_tell_the_provider_from_paragon(
    make_harness: MakeHarness, status: int, body: Any, cls: type[APIStatusError], relayed: bool
) -> None:
    """Only ``meta.isIntegrationError: true`` marks a third-party failure, and only then does the message say so."""
    harness = make_harness(lambda _r: json_response(status, body), max_retries=0)
    with pytest.raises(APIStatusError) as caught:
        harness.run(harness.session.request("slack", "chat.postMessage", method="POST", body={"text": "hi"}))
    assert type(caught.value) is cls
    assert caught.value.is_integration_error is relayed
    assert ("third-party" in str(caught.value)) is relayed
    assert len(harness.requests) == 1


# -- 200 responses that do not match the spec ------------------------------------------------------------------------


class Mismatch(NamedTuple):
    call: SessionCall
    content: bytes
    route: str


ME = GET_USER_ROUTE
MISMATCHES: dict[str, Mismatch] = {
    "get_user html": Mismatch(lambda s: s.get_user(), b"<html><body>Welcome</body></html>", ME),
    "get_user []": Mismatch(lambda s: s.get_user(), b"[]", ME),
    "get_user null": Mismatch(lambda s: s.get_user(), b"null", ME),
    "get_user authenticated 'yes'": Mismatch(lambda s: s.get_user(), b'{"authenticated": "yes"}', ME),
    "get_user without userId": Mismatch(lambda s: s.get_user(), b'{"authenticated": true, "integrations": {}}', ME),
    "get_user integrations a string": Mismatch(
        lambda s: s.get_user(), b'{"authenticated": true, "userId": "u", "integrations": "slack"}', ME
    ),
    "get_user integration state not an object": Mismatch(
        lambda s: s.get_user(), b'{"authenticated": true, "userId": "u", "integrations": {"slack": 3}}', ME
    ),
    "get_user truncated": Mismatch(lambda s: s.get_user(), b'{"authenticated": true, "userId": "us', ME),
    "get_user bad utf-8": Mismatch(lambda s: s.get_user(), b'{"authenticated": true, "userId": "\xff\xfe"}', ME),
    "get_integrations item without id": Mismatch(
        lambda s: s.get_integrations(),
        b'[{"type": "slack", "isActive": true, "configs": [], "workflows": []}]',
        "GET /projects/{projectId}/sdk/integrations",
    ),
    "get_integrations an object": Mismatch(
        lambda s: s.get_integrations(), b'{"integrations": []}', "GET /projects/{projectId}/sdk/integrations"
    ),
    "get_credentials item without id": Mismatch(
        lambda s: s.get_credentials(), b'[{"status": "VALID"}]', "GET /projects/{projectId}/sdk/credentials"
    ),
    "get_credentials strings": Mismatch(
        lambda s: s.get_credentials(), b'["a", "b"]', "GET /projects/{projectId}/sdk/credentials"
    ),
    "get_credential a list": Mismatch(
        lambda s: s.get_credential("cred-1"), b"[]", "GET /projects/{projectId}/sdk/credentials/{credentialId}"
    ),
    "get_integration_metadata item without name": Mismatch(
        lambda s: s.get_integration_metadata(), b'[{"type": "slack"}]', "GET /projects/{projectId}/sdk/metadata"
    ),
    "get_integration_metadata empty body": Mismatch(
        lambda s: s.get_integration_metadata(), b"", "GET /projects/{projectId}/sdk/metadata"
    ),
    "list_actions html": Mismatch(lambda s: s.list_actions(), b"<!doctype html>", "GET /projects/{projectId}/actions"),
    "list_actions without actions": Mismatch(
        lambda s: s.list_actions(), b'{"errors": []}', "GET /projects/{projectId}/actions"
    ),
    "run_action truncated": Mismatch(lambda s: s.run_action("A"), b'{"ok": tr', "POST /projects/{projectId}/actions"),
    "workflow text": Mismatch(
        lambda s: s.workflow("wf-1"), b"OK", "POST /projects/{projectId}/sdk/triggers/{workflowId}"
    ),
    "request html": Mismatch(
        lambda s: s.request("slack", "a"),
        b"<html>login</html>",
        "GET /projects/{projectId}/sdk/proxy/{integrationType}/{path}",
    ),
    "uninstall lookup without ids": Mismatch(
        lambda s: s.uninstall_integration("salesforce"),
        b'[{"type": "salesforce", "isActive": true, "configs": [], "workflows": []}]',
        "GET /projects/{projectId}/sdk/integrations",
    ),
}


@pytest.mark.parametrize("case", MISMATCHES.values(), ids=MISMATCHES.keys())
def test_success_responses_that_do_not_match_the_spec(make_harness: MakeHarness, case: Mismatch) -> None:
    """APIResponseValidationError after one request: never KeyError, JSONDecodeError, TypeError, a half-built model."""
    harness = make_harness(lambda _r: httpx.Response(200, content=case.content))
    with pytest.raises(APIError) as caught:
        harness.run(case.call(harness.session))
    error = caught.value
    assert type(error) is APIResponseValidationError
    assert error.status_code == 200
    assert error.route == case.route
    assert error.__cause__ is None
    message = str(error)
    assert message.startswith(case.route)
    assert "200" in message
    assert_clean_message(message, harness)
    assert len(harness.requests) == 1


def test_undecodable_content_encoding_is_a_typed_error(make_harness: MakeHarness) -> None:
    """A body that claims gzip but is not: APIConnectionError, with httpx's DecodingError as the cause."""
    harness = make_harness(lambda _r: httpx.Response(200, content=b"not gzip", headers={"content-encoding": "gzip"}))
    with pytest.raises(APIConnectionError) as caught:
        harness.run(harness.session.get_user())
    assert isinstance(caught.value.__cause__, httpx.DecodingError)
    assert len(harness.requests) == 1


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (gzip.compress(b'{"output": {"ok": true}}') + b"\x00" * 8, "gzip"),
        (gzip.compress(b'{"output": {"ok": ') + gzip.compress(b"true}}"), "gzip"),
        (gzip.compress(b'{"output": {"ok": true}}') + b"junk", "gzip"),
        (zlib.compress(b'{"output": {"ok": true}}'), "deflate"),
        (zlib.compress(b'{"output": {"ok": true}}')[2:-4], "deflate"),
    ],
    ids=["gzip+padding", "two gzip members", "gzip+junk", "zlib deflate", "raw deflate"],
)
def test_compressed_bodies_decode_as_httpx_would(make_harness: MakeHarness, body: bytes, encoding: str) -> None:
    """The bounded decoder reads what httpx reads: several gzip members, trailing padding or junk after the
    last one (ignored), zlib-wrapped and raw deflate."""
    harness = make_harness(
        lambda _r: httpx.Response(200, headers={"content-encoding": encoding}, stream=httpx.ByteStream(body))
    )
    assert harness.run(harness.session.request("salesforce", "query")) == {"ok": True}


# -- Transport errors ------------------------------------------------------------------------------------------------

TRANSPORT_ERRORS: list[tuple[type[httpx.TransportError], str, type[APIConnectionError]]] = [
    (httpx.ConnectError, "[Errno 111] Connection refused", APIConnectionError),
    (httpx.ConnectError, "", APIConnectionError),
    (httpx.ConnectTimeout, "timed out", APITimeoutError),
    (httpx.ReadTimeout, "", APITimeoutError),
    (httpx.WriteTimeout, "The write operation timed out", APITimeoutError),
    (httpx.PoolTimeout, "", APITimeoutError),
    (httpx.RemoteProtocolError, "Server disconnected without sending a response.", APIConnectionError),
    (httpx.ReadError, "[Errno 104] Connection reset by peer", APIConnectionError),
    (httpx.WriteError, "[Errno 32] Broken pipe", APIConnectionError),
    (httpx.ProxyError, "407 Proxy Authentication Required", APIConnectionError),
]


@pytest.mark.parametrize(
    ("raised", "text", "expected"), TRANSPORT_ERRORS, ids=[f"{r[0].__name__}-{r[1][:12]}" for r in TRANSPORT_ERRORS]
)
def test_transport_errors_become_connection_errors(
    make_harness: MakeHarness,
    raised: type[httpx.TransportError],
    text: str,
    expected: type[APIConnectionError],
) -> None:
    """Exact class, a non-empty message naming the route and the failure, and httpx's exception as ``__cause__``."""
    thrown: list[httpx.TransportError] = []

    def handler(request: httpx.Request) -> httpx.Response:
        # httpx's own messages can quote the URL (with its query string) and more: none of it reaches ours.
        error = raised(
            f"{text} while talking to {request.url} with {request.headers['authorization']}", request=request
        )
        thrown.append(error)
        raise error

    harness = make_harness(handler, max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        harness.run(harness.session.request("salesforce", "query", params={"q": "canary-query-value"}))
    error = caught.value
    assert type(error) is expected
    assert error.__cause__ is thrown[0]
    assert error.route == "GET /projects/{projectId}/sdk/proxy/{integrationType}/{path}"
    message = str(error)
    assert message.startswith(error.route)
    assert raised.__name__ in message
    assert_clean_message(message, harness)
    assert len(harness.requests) == 1


# -- The exception tree ----------------------------------------------------------------------------------------------

HIERARCHY: list[tuple[type[Exception], tuple[type[BaseException], ...], tuple[type[BaseException], ...]]] = [
    (ConfigurationError, (ParagonError, ValueError), (APIError, LookupError)),
    (SigningKeyError, (ConfigurationError, ValueError), (InvalidRequestError,)),
    (InvalidRequestError, (ParagonError, ValueError), (ConfigurationError, APIError)),
    (UserTokenError, (InvalidRequestError, ValueError), (ConfigurationError,)),
    (ToolCallError, (InvalidRequestError, ValueError), (ConfigurationError, LookupError, APIError)),
    (UnknownToolError, (ToolCallError, LookupError), (ToolArgumentsError,)),
    (ToolArgumentsError, (ToolCallError, ValueError), (UnknownToolError, LookupError)),
    (OptionalDependencyError, (ParagonError, ImportError), (ValueError, APIError)),
    (IntegrationNotInstalledError, (ParagonError, LookupError), (ValueError, APIError)),
    (CredentialNotFoundError, (ParagonError, LookupError), (ValueError, APIError)),
    (WorkflowNotFoundError, (ParagonError, LookupError), (ValueError, APIError)),
    (APIError, (ParagonError,), (ValueError, LookupError)),
    (APIConnectionError, (APIError,), (APIStatusError,)),
    (APITimeoutError, (APIConnectionError,), ()),
    (APIResponseValidationError, (APIError,), (APIStatusError, APIConnectionError, ValueError)),
    (APIStatusError, (APIError,), (APIConnectionError,)),
    *(
        (cls, (APIStatusError,), (APIConnectionError, ValueError))
        for cls in (
            BadRequestError,
            AuthenticationError,
            PermissionDeniedError,
            NotFoundError,
            ConflictError,
            UnprocessableEntityError,
            RateLimitError,
            InternalServerError,
        )
    ),
]


@pytest.mark.parametrize(("cls", "bases", "not_bases"), HIERARCHY, ids=[row[0].__name__ for row in HIERARCHY])
def test_exception_hierarchy(
    cls: type[Exception], bases: tuple[type[BaseException], ...], not_bases: tuple[type[BaseException], ...]
) -> None:
    """Each exception's place in the tree drawn in ``_errors``' docstring."""
    expected: tuple[type[BaseException], ...] = (ParagonError, *bases)
    for base in expected:
        assert issubclass(cls, base), base
    for other in not_bases:
        assert not issubclass(cls, other), other


def test_every_public_exception_is_a_paragon_error() -> None:
    """Every exception useparagon exports derives from ParagonError, so one except clause catches them all."""
    exported = [getattr(useparagon, name) for name in useparagon.__all__]
    exceptions = [value for value in exported if isinstance(value, type) and issubclass(value, BaseException)]
    assert {cls.__name__ for cls in exceptions} == set(errors_module.__all__)
    assert all(issubclass(cls, ParagonError) for cls in exceptions)


STATUS_CLASSES: list[tuple[int, type[APIStatusError]]] = [
    (300, APIStatusError),
    (304, APIStatusError),
    (399, APIStatusError),
    (402, APIStatusError),
    (405, APIStatusError),
    (408, APIStatusError),
    (410, APIStatusError),
    (499, APIStatusError),
    (500, InternalServerError),
    (504, InternalServerError),
    (599, InternalServerError),
    (999, InternalServerError),
]


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_status_error_class_boundaries(status: int, cls: type[APIStatusError]) -> None:
    """Statuses without their own class fall back to APIStatusError; everything from 500 up is a server error."""
    assert status_error_class(status) is cls


def test_an_empty_message_falls_back_to_the_class_name() -> None:
    """A ParagonError is never created with an empty message."""
    assert str(InvalidRequestError("")) == "InvalidRequestError"
    assert InvalidRequestError("").message == "InvalidRequestError"


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_refused_connection_names_the_host_and_the_reason(flavor: str, rsa_key: rsa.RSAPrivateKey) -> None:
    """Over a real socket to a closed port: the message says which host could not be reached and why (the OS's
    reason), not just "could not get a response (ConnectError)"; no query string or token."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options: dict[str, Any] = {
        "project_id": PROJECT_ID,
        "signing_key": rsa_key,
        "proxy_url": f"http://127.0.0.1:{port}",
        "max_retries": 0,
    }
    if flavor == "sync":
        with Paragon(**options) as client, pytest.raises(APIConnectionError) as caught:
            client.authenticate("user-1").request("salesforce", "query", params={"q": "canary-query-value"})
    else:

        async def main() -> None:
            async with AsyncParagon(**options) as client:
                await client.authenticate("user-1").request("salesforce", "query", params={"q": "canary-query-value"})

        with pytest.raises(APIConnectionError) as caught:
            asyncio.run(main())
    message = str(caught.value)
    assert message.startswith("GET /projects/{projectId}/sdk/proxy/{integrationType}/{path} failed: ")
    assert f"could not connect to 127.0.0.1:{port}" in message
    assert "refused" in message.lower()
    assert "(ConnectError)" in message
    assert "canary-query-value" not in message
    assert "eyJ" not in message
