"""Transport policy: what is retried, how often, how long each wait is, what is raised.

Every end-to-end case drives a real session call through ``httpx.MockTransport`` in both flavours and counts the
requests that reached the transport. Waits stay near zero through ``RetryPolicy(initial_delay=0.0)`` and millisecond
``Retry-After`` values; the planned waits themselves are read from the ``useparagon`` logger's "retrying" records and
from ``RetryPolicy``'s pure decision methods, so nothing here sleeps for long.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from useparagon import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    UnprocessableEntityError,
)
from useparagon._constants import DEFAULT_MAX_RETRIES, HTTPMethod
from useparagon._retry import parse_retry_after

from tests.support import API, PROJECT_ID, PROXY, Harness, SessionCall, json_response

MakeHarness = Callable[..., Harness]
Fault = Callable[[httpx.Request], httpx.Response]

# No backoff sleeps: the decisions are what is under test, not the clock.
FAST = RetryPolicy(initial_delay=0.0)


class _Switch:
    """A handler whose behaviour each test replaces, so one client serves many tests."""

    def __init__(self) -> None:
        self.handler: Fault = _ok

    def __call__(self, request: httpx.Request) -> httpx.Response:
        return self.handler(request)


@pytest.fixture(scope="module")
def _harnesses() -> Iterator[dict[tuple[Any, ...], tuple[Harness, _Switch]]]:
    """Clients built once per module: loading (validating) an RSA key costs ~40 ms, and this module has ~600 cases."""
    made: dict[tuple[Any, ...], tuple[Harness, _Switch]] = {}
    yield made
    for harness, _ in made.values():
        harness.close()


@pytest.fixture
def harness_for(flavor: str, rsa_pem: str, _harnesses: dict[tuple[Any, ...], tuple[Harness, _Switch]]) -> MakeHarness:
    """``harness_for(handler, retry=..., **Paragon options)``: a fresh-looking harness (no recorded requests)
    over a client shared by every test with the same flavour and options."""

    def make(handler: Fault, *, retry: RetryPolicy = FAST, **options: Any) -> Harness:
        key = (flavor, retry, *sorted(options.items()))
        if key not in _harnesses:
            switch = _Switch()
            _harnesses[key] = (Harness(flavor, switch, rsa_pem, retry=retry, **options), switch)
        harness, switch = _harnesses[key]
        switch.handler = handler
        harness.requests.clear()
        return harness

    return make


PROXY_ROUTE = "{method} /projects/{{projectId}}/sdk/proxy/{{integrationType}}/{{path}}"
PROXY_URL = f"{PROXY}/projects/{PROJECT_ID}/sdk/proxy/salesforce/sobjects/Contact"
CONTACT = {"LastName": "Lovelace", "Email": "ada@example.com"}
RETRYING = re.compile(r"retrying (?P<route>.+) in (?P<delay>\d+\.\d\d) s after (?P<reason>.+) \(retry (?P<retry>\d+)\)")


def _raise(kind: type[httpx.TransportError]) -> Fault:
    def fault(request: httpx.Request) -> httpx.Response:
        raise kind(f"injected {kind.__name__}", request=request)

    return fault


def _status(code: int, **headers: str) -> Fault:
    def fault(_request: httpx.Request) -> httpx.Response:
        return json_response(code, {"message": f"injected {code}"}, **headers)

    return fault


def _ok(_request: httpx.Request) -> httpx.Response:
    return json_response(200, {"output": {"id": "003"}})


# Retry-After values that keep the suite fast: 1 ms.
RETRY_AFTER = {"Retry-After": "0.001"}

FAULTS: dict[str, Fault] = {
    "ConnectError": _raise(httpx.ConnectError),
    "ConnectTimeout": _raise(httpx.ConnectTimeout),
    "PoolTimeout": _raise(httpx.PoolTimeout),
    "ReadTimeout": _raise(httpx.ReadTimeout),
    "WriteTimeout": _raise(httpx.WriteTimeout),
    "RemoteProtocolError": _raise(httpx.RemoteProtocolError),
    "400": _status(400),
    "401": _status(401),
    "403": _status(403),
    "404": _status(404),
    "409": _status(409),
    "422": _status(422),
    "408": _status(408),
    "429": _status(429),
    "429+Retry-After": _status(429, **RETRY_AFTER),
    "500": _status(500),
    "502": _status(502),
    "503": _status(503),
    "503+Retry-After": _status(503, **RETRY_AFTER),
    "504": _status(504),
}

METHODS = ("GET", "PUT", "DELETE", "POST", "PATCH")

# The fault matrix: every fault against every verb, default max_retries=2, so never more than 3 attempts.
# A replayable call (GET, PUT, DELETE to Paragon's API; only GET through the proxy, where a provider's PUT or DELETE
# need not be idempotent) retries network errors and 408/429/500/502/503/504. A write retries only what certainly
# did not take effect: what never left (ConnectError, ConnectTimeout, PoolTimeout), and Paragon's own refusals (408,
# 429, 503 with Retry-After). A 500, 502 or 504 may come after the work was done, so a write is never repeated on it.
#
#  fault                 replayable write  raised once attempts run out
FAULT_MATRIX: list[tuple[str, int, int, type[APIError]]] = [
    ("ConnectError",          3,     3,    APIConnectionError),
    ("ConnectTimeout",        3,     3,    APITimeoutError),
    ("PoolTimeout",           3,     3,    APITimeoutError),
    ("ReadTimeout",           3,     1,    APITimeoutError),
    ("WriteTimeout",          3,     1,    APITimeoutError),
    ("RemoteProtocolError",   3,     1,    APIConnectionError),
    ("400",                   1,     1,    BadRequestError),
    ("401",                   1,     1,    AuthenticationError),
    ("403",                   1,     1,    PermissionDeniedError),
    ("404",                   1,     1,    NotFoundError),
    ("409",                   1,     1,    ConflictError),
    ("422",                   1,     1,    UnprocessableEntityError),
    ("408",                   3,     3,    APIStatusError),
    ("429",                   3,     3,    RateLimitError),
    ("429+Retry-After",       3,     3,    RateLimitError),
    ("500",                   3,     1,    InternalServerError),
    ("502",                   3,     1,    InternalServerError),
    ("503",                   3,     1,    InternalServerError),
    ("503+Retry-After",       3,     3,    InternalServerError),
    ("504",                   3,     1,    InternalServerError),
]  # fmt: skip

# Which verbs may be replayed: through the Proxy API only GET, to Paragon's own API the idempotent ones.
PROXY_REPLAYABLE = frozenset({"GET"})
SDK_REPLAYABLE = frozenset({"GET", "PUT", "DELETE"})


def _matrix_cases(methods: tuple[str, ...], replayable: frozenset[str]) -> Iterator[Any]:
    for fault, replayed, written, raised in FAULT_MATRIX:
        for method in methods:
            attempts = replayed if method in replayable else written
            yield pytest.param(method, fault, attempts, raised, id=f"{method}-{fault}")


def _assert_mapped(error: APIError, fault: str, method: HTTPMethod, route: str) -> None:
    """The error names the call, keeps the httpx cause or the status, and has a non-empty message."""
    assert error.method == method
    assert error.route == route
    assert str(error)
    assert route in str(error)
    if isinstance(error, APIStatusError):
        assert error.status_code == int(fault[:3])
        assert error.body == {"message": f"injected {fault[:3]}"}
    else:
        assert type(error.__cause__).__name__ == fault
        assert fault in str(error)


def test_the_fault_matrix_is_complete_and_bounded() -> None:
    """20 faults x 5 methods = 100 documented cases, none of them above 1 + DEFAULT_MAX_RETRIES attempts."""
    assert [row[0] for row in FAULT_MATRIX] == list(FAULTS)
    cases = list(_matrix_cases(METHODS, PROXY_REPLAYABLE))
    assert len(cases) == 100
    assert max(case.values[2] for case in cases) == 1 + DEFAULT_MAX_RETRIES == 3


@pytest.mark.parametrize(("method", "fault", "attempts", "raised"), list(_matrix_cases(METHODS, PROXY_REPLAYABLE)))
def test_fault_matrix_through_the_proxy(
    harness_for: MakeHarness, method: HTTPMethod, fault: str, attempts: int, raised: type[APIError]
) -> None:
    """Every verb x every fault: the exact number of attempts, each the same request, and the exact error class."""
    harness = harness_for(FAULTS[fault])
    body = None if method in ("GET", "DELETE") else CONTACT
    with pytest.raises(raised) as caught:
        harness.run(harness.session.request("salesforce", "sobjects/Contact", method=method, body=body))
    assert type(caught.value) is raised
    assert len(harness.requests) == attempts
    assert {(request.method, str(request.url)) for request in harness.requests} == {(method, PROXY_URL)}
    _assert_mapped(caught.value, fault, method, PROXY_ROUTE.format(method=method))


# The SDK calls themselves, one per verb: (session call, URL, route).
SDK_CALLS: dict[str, tuple[SessionCall, str, str]] = {
    "GET": (lambda s: s.get_user(), f"{API}/projects/{PROJECT_ID}/sdk/me", "GET /projects/{projectId}/sdk/me"),
    "POST": (
        lambda s: s.event("Contact Created", {"email": "ada@example.com"}),
        f"{API}/projects/{PROJECT_ID}/sdk/events/trigger",
        "POST /projects/{projectId}/sdk/events/trigger",
    ),
    "DELETE": (
        lambda s: s.disable_workflow("wf-1"),
        f"{API}/projects/{PROJECT_ID}/sdk/workflows/wf-1",
        "DELETE /projects/{projectId}/sdk/workflows/{workflowId}",
    ),
    "PATCH": (
        lambda s: s.set_user_metadata({"Email": "ada@example.com"}),
        f"{API}/projects/{PROJECT_ID}/sdk/me",
        "PATCH /projects/{projectId}/sdk/me",
    ),
}


@pytest.mark.parametrize(
    ("method", "fault", "attempts", "raised"), list(_matrix_cases(("GET", "DELETE", "POST", "PATCH"), SDK_REPLAYABLE))
)
def test_fault_matrix_on_sdk_calls(
    harness_for: MakeHarness, method: HTTPMethod, fault: str, attempts: int, raised: type[APIError]
) -> None:
    """get_user (GET), disable_workflow (DELETE), event (POST), set_user_metadata (PATCH) follow the same table."""
    call, url, route = SDK_CALLS[method]
    harness = harness_for(FAULTS[fault])
    with pytest.raises(raised) as caught:
        harness.run(call(harness.session))
    assert type(caught.value) is raised
    assert len(harness.requests) == attempts
    assert {(request.method, str(request.url)) for request in harness.requests} == {(method, url)}
    _assert_mapped(caught.value, fault, method, route)


NEVER_DUPLICATED = ["500", "502", "503", "504", "ReadTimeout", "WriteTimeout", "RemoteProtocolError"]


# Three POST calls whose target may act on a duplicate: a proxied CRM write, a workflow trigger, an App Event.
POST_CALLS: dict[str, SessionCall] = {
    "proxy": lambda s: s.request("salesforce", "sobjects/Contact", method="POST", body=CONTACT),
    "workflow": lambda s: s.workflow("wf-1", body={"contact": CONTACT}),
    "event": lambda s: s.event("Contact Created", CONTACT),
}


@pytest.mark.parametrize("fault", NEVER_DUPLICATED)
@pytest.mark.parametrize("call", list(POST_CALLS))
def test_a_post_that_may_have_arrived_is_never_sent_twice(harness_for: MakeHarness, call: str, fault: str) -> None:
    """With the DEFAULT policy, a POST whose request may have reached the server is sent exactly once."""
    harness = harness_for(FAULTS[fault], retry=RetryPolicy())
    with pytest.raises(APIError):
        harness.run(POST_CALLS[call](harness.session))
    (request,) = harness.requests
    assert request.method == "POST"
    assert request.content


# Statuses that retry a write when Paragon itself sends them: here they come from the provider.
RELAYED_REFUSALS = ["408", "429", "429+Retry-After", "503+Retry-After"]
PROXY_WRITES = ["POST", "PUT", "PATCH", "DELETE"]


@pytest.mark.parametrize("fault", [*RELAYED_REFUSALS, "500", "502", "504"])
@pytest.mark.parametrize("method", PROXY_WRITES)
def test_a_raw_proxied_write_is_never_retried(harness_for: MakeHarness, method: HTTPMethod, fault: str) -> None:
    """With raw=True every status is the provider's, so a write is sent once, Retry-After or not."""
    harness = harness_for(FAULTS[fault])
    body = None if method == "DELETE" else CONTACT
    with pytest.raises(APIStatusError):
        harness.run(harness.session.request("salesforce", "sobjects/Contact", method=method, body=body, raw=True))
    assert [request.method for request in harness.requests] == [method]


def test_a_raw_proxied_get_is_still_retried(harness_for: MakeHarness) -> None:
    """Reading is safe to repeat whoever answered: a raw GET that gets 503 is retried to the limit."""
    harness = harness_for(FAULTS["503+Retry-After"])
    with pytest.raises(InternalServerError):
        harness.run(harness.session.request("salesforce", "sobjects/Contact", raw=True))
    assert len(harness.requests) == 3


def _integration_error(code: int, **headers: str) -> Fault:
    def fault(_request: httpx.Request) -> httpx.Response:
        body = {"message": "Request failed", "meta": {"isIntegrationError": True}}
        return json_response(code, body, **headers)

    return fault


@pytest.mark.parametrize(("status", "headers"), [(429, {}), (429, RETRY_AFTER), (503, RETRY_AFTER), (408, {})])
@pytest.mark.parametrize("method", PROXY_WRITES)
def test_a_provider_refusal_relayed_by_the_proxy_never_retries_a_write(
    harness_for: MakeHarness, method: HTTPMethod, status: int, headers: dict[str, str]
) -> None:
    """``meta.isIntegrationError`` marks the provider's status: a write is sent once even on 429 or 503+RA."""
    harness = harness_for(_integration_error(status, **headers))
    body = None if method == "DELETE" else CONTACT
    with pytest.raises(APIStatusError) as caught:
        harness.run(harness.session.request("salesforce", "sobjects/Contact", method=method, body=body))
    assert caught.value.is_integration_error
    assert len(harness.requests) == 1


def _sequence(*steps: Fault) -> Fault:
    """A handler that answers the n-th request with the n-th step, and fails the test on one request too many."""
    remaining = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        assert remaining, f"unexpected extra request {request.method} {request.url}"
        return remaining.pop(0)(request)

    return handler


@pytest.mark.parametrize(
    ("method", "failures"),
    [
        ("GET", ["503"]),
        ("GET", ["ReadTimeout", "ConnectError"]),
        ("GET", ["502", "504"]),
        ("GET", ["RemoteProtocolError"]),
        ("PUT", ["429", "408"]),
        ("DELETE", ["408", "503+Retry-After"]),
        ("POST", ["429"]),
        ("POST", ["ConnectError", "503+Retry-After"]),
        ("PATCH", ["ConnectTimeout"]),
        ("PATCH", ["PoolTimeout", "429+Retry-After"]),
    ],
)
def test_success_after_failures_returns_the_result(
    harness_for: MakeHarness, method: HTTPMethod, failures: list[str]
) -> None:
    """A call that succeeds after 1 or 2 retried failures returns the unwrapped proxy output."""
    harness = harness_for(_sequence(*(FAULTS[name] for name in failures), _ok))
    body = None if method in ("GET", "DELETE") else CONTACT
    assert harness.run(harness.session.request("salesforce", "sobjects/Contact", method=method, body=body)) == {
        "id": "003"
    }
    assert len(harness.requests) == len(failures) + 1


@pytest.mark.parametrize(
    ("max_retries", "method", "fault", "attempts"),
    [
        (0, "GET", "503", 1),
        (0, "GET", "ReadTimeout", 1),
        (0, "POST", "ConnectError", 1),
        (0, "POST", "429", 1),
        (1, "GET", "502", 2),
        (5, "DELETE", "502", 1),
        (5, "GET", "503", 6),
        (5, "PUT", "ConnectTimeout", 6),
        (5, "POST", "429", 6),
        (5, "PATCH", "503+Retry-After", 6),
        (5, "POST", "ReadTimeout", 1),
        (5, "PATCH", "500", 1),
        (5, "GET", "404", 1),
    ],
)
def test_max_retries_bounds_the_attempts(
    harness_for: MakeHarness, max_retries: int, method: HTTPMethod, fault: str, attempts: int
) -> None:
    """``max_retries=N`` allows at most N + 1 attempts, and never turns a non-retryable case into a retried one."""
    harness = harness_for(FAULTS[fault], max_retries=max_retries)
    assert harness.client.retry.max_retries == max_retries
    body = None if method in ("GET", "DELETE") else CONTACT
    with pytest.raises(APIError):
        harness.run(harness.session.request("salesforce", "sobjects/Contact", method=method, body=body))
    assert len(harness.requests) == attempts


def test_max_retries_5_can_succeed_on_the_sixth_attempt(harness_for: MakeHarness) -> None:
    """Five failures then a success: the caller gets the result after exactly 6 attempts."""
    harness = harness_for(_sequence(*[FAULTS["503"]] * 5, _ok), max_retries=5)
    assert harness.run(harness.session.request("salesforce", "sobjects/Contact")) == {"id": "003"}
    assert len(harness.requests) == 6


def test_with_options_max_retries_applies_to_the_derived_client_only(harness_for: MakeHarness) -> None:
    """``with_options(max_retries=0)`` makes 1 attempt; the original client still makes 3."""
    harness = harness_for(FAULTS["503"])
    derived = harness.client.with_options(max_retries=0).authenticate("user-123")
    with pytest.raises(InternalServerError):
        harness.run(derived.get_user())
    assert len(harness.requests) == 1
    with pytest.raises(InternalServerError):
        harness.run(harness.session.get_user())
    assert len(harness.requests) == 4


@pytest.mark.parametrize(
    ("method", "failures"),
    [
        ("GET", ["503", "ReadTimeout"]),
        ("PUT", ["429", "408"]),
        ("DELETE", ["503+Retry-After", "ConnectError"]),
        ("POST", ["429", "ConnectError"]),
        ("PATCH", ["ConnectError", "503+Retry-After"]),
    ],
)
def test_each_retry_resends_the_identical_request(
    harness_for: MakeHarness, method: HTTPMethod, failures: list[str]
) -> None:
    """Attempts 1-3 carry the same method, URL, headers (the same Authorization) and body bytes."""
    harness = harness_for(_sequence(*(FAULTS[name] for name in failures), _ok))
    body = None if method in ("GET", "DELETE") else CONTACT
    harness.run(
        harness.session.request("salesforce", "sobjects/Contact", method=method, body=body, params={"fields": "Id"})
    )
    first, *others = harness.requests
    assert len(others) == 2
    assert first.headers["authorization"].startswith("Bearer ey")
    for other in others:
        assert other.method == first.method == method
        assert other.url == first.url
        assert other.headers.multi_items() == first.headers.multi_items()
        assert other.content == first.content
    assert (first.content != b"") is (body is not None)


# -- Retry-After ------------------------------------------------------------------------------------------------------

# Fri, 29 Sep 2023 16:26:37 GMT: the clock every parsing row is evaluated at.
NOW = 1696004797.0
HUGE = "99999999999999999999999999999999999"

RETRY_AFTER_TABLE: list[tuple[str, dict[str, str], float | None]] = [
    ("integer seconds", {"retry-after": "20"}, 20.0),
    ("float seconds", {"retry-after": "1.5"}, 1.5),
    ("padded seconds", {"retry-after": " 3 "}, 3.0),
    ("header name in capitals", {"RETRY-AFTER": "7"}, 7.0),
    ("zero", {"retry-after": "0"}, None),
    ("negative", {"retry-after": "-10"}, None),
    ("inf", {"retry-after": "inf"}, None),
    ("-inf", {"retry-after": "-inf"}, None),
    ("nan", {"retry-after": "nan"}, None),
    # Parsed as asked; the policy then refuses to wait that long (see the policy table).
    ("huge", {"retry-after": HUGE}, 1e35),
    ("garbage", {"retry-after": "soon"}, None),
    ("a unit", {"retry-after": "20 seconds"}, None),
    ("empty", {"retry-after": ""}, None),
    ("absent", {}, None),
    ("HTTP-date 20 s ahead", {"retry-after": "Fri, 29 Sep 2023 16:26:57 GMT"}, 20.0),
    ("HTTP-date 61 s ahead", {"retry-after": "Fri, 29 Sep 2023 16:27:38 GMT"}, 61.0),
    ("HTTP-date in another zone", {"retry-after": "Fri, 29 Sep 2023 18:26:57 +0200"}, 20.0),
    ("RFC 850 date", {"retry-after": "Friday, 29-Sep-23 16:26:57 GMT"}, 20.0),
    ("HTTP-date now", {"retry-after": "Fri, 29 Sep 2023 16:26:37 GMT"}, None),
    ("HTTP-date in the past", {"retry-after": "Fri, 29 Sep 2023 16:26:27 GMT"}, None),
    ("date without a zone", {"retry-after": "Fri, 29 Sep 2023 16:26:57"}, None),
    ("invalid day name", {"retry-after": "Zun, 29 Sep 2023 16:26:57 GMT"}, None),
    ("invalid day of month", {"retry-after": "Fri, 32 Sep 2023 16:26:57 GMT"}, None),
    ("year out of range", {"retry-after": "Fri, 29 Sep 99999 16:26:57 GMT"}, None),
    ("retry-after-ms", {"retry-after-ms": "1500"}, 1.5),
    ("fractional retry-after-ms", {"retry-after-ms": "2.5"}, 0.0025),
    ("retry-after-ms wins over Retry-After", {"retry-after-ms": "1500", "retry-after": "20"}, 1.5),
    ("garbage retry-after-ms falls back", {"retry-after-ms": "soon", "retry-after": "20"}, 20.0),
    ("zero retry-after-ms falls back", {"retry-after-ms": "0", "retry-after": "20"}, 20.0),
    ("inf retry-after-ms falls back", {"retry-after-ms": "inf", "retry-after": "2"}, 2.0),
    ("nan retry-after-ms alone", {"retry-after-ms": "nan"}, None),
    ("negative retry-after-ms alone", {"retry-after-ms": "-5"}, None),
]


def test_the_clock_of_the_parsing_table() -> None:
    """NOW is the instant the table's dates are written against."""
    assert email.utils.formatdate(NOW, usegmt=True) == "Fri, 29 Sep 2023 16:26:37 GMT"
    assert len(RETRY_AFTER_TABLE) >= 18


@pytest.mark.parametrize(("headers", "expected"), [pytest.param(h, e, id=name) for name, h, e in RETRY_AFTER_TABLE])
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    """The server's requested wait, exactly, with ``now`` fixed; None for absent, unusable, zero or past values."""
    assert parse_retry_after(httpx.Headers(headers), NOW) == expected


def _headers(**values: str) -> httpx.Headers:
    return httpx.Headers({name.replace("_", "-"): value for name, value in values.items()})


# (method, status, response headers, retries already taken, planned wait or None for "give up"), at NOW, without
# jitter: initial_delay=0, so a backoff wait is exactly 0.0 and tells "backoff" apart from "Retry-After".
POLICY_TABLE: list[tuple[str, int, httpx.Headers, int, float | None]] = [
    ("GET", 503, _headers(retry_after="60"), 0, 60.0),
    ("GET", 503, _headers(retry_after="60.001"), 0, None),
    ("GET", 429, _headers(retry_after="61"), 0, None),
    ("GET", 429, _headers(retry_after=HUGE), 0, None),
    ("POST", 429, _headers(retry_after="61"), 0, None),
    ("GET", 503, _headers(retry_after_ms="60001"), 0, None),
    ("GET", 503, _headers(retry_after="Fri, 29 Sep 2023 16:27:37 GMT"), 0, 60.0),
    ("GET", 503, _headers(retry_after="Fri, 29 Sep 2023 16:27:38 GMT"), 0, None),
    ("GET", 503, _headers(retry_after="Fri, 29 Sep 2023 16:26:57 GMT"), 1, 20.0),
    ("GET", 503, _headers(retry_after="Fri, 29 Sep 2023 16:26:27 GMT"), 0, 0.0),
    ("GET", 503, _headers(retry_after="soon"), 0, 0.0),
    ("GET", 503, _headers(retry_after="0"), 0, 0.0),
    ("GET", 503, _headers(), 0, 0.0),
    ("GET", 503, _headers(retry_after="1"), 2, None),
    ("PUT", 408, _headers(), 0, 0.0),
    ("DELETE", 504, _headers(), 1, 0.0),
    ("GET", 404, _headers(retry_after="1"), 0, None),
    ("GET", 409, _headers(retry_after="1"), 0, None),
    ("GET", 501, _headers(), 0, None),
    ("POST", 400, _headers(retry_after="1"), 0, None),
    ("POST", 429, _headers(), 0, 0.0),
    ("POST", 429, _headers(retry_after="2"), 0, 2.0),
    ("POST", 503, _headers(), 0, None),
    ("POST", 503, _headers(retry_after="2"), 0, 2.0),
    ("POST", 503, _headers(retry_after="Fri, 29 Sep 2023 16:26:27 GMT"), 0, None),
    ("POST", 500, _headers(retry_after_ms="250"), 1, None),
    ("POST", 408, _headers(retry_after="1"), 0, 1.0),
    ("POST", 408, _headers(), 0, 0.0),
    ("PATCH", 502, _headers(retry_after="1"), 0, None),
    ("PATCH", 504, _headers(retry_after="1"), 0, None),
    ("PATCH", 504, _headers(), 0, None),
    ("PATCH", 429, _headers(retry_after="2"), 2, None),
]


@pytest.mark.parametrize(("method", "status", "headers", "retries_taken", "expected"), POLICY_TABLE)
def test_delay_after_status(
    method: HTTPMethod, status: int, headers: httpx.Headers, retries_taken: int, expected: float | None
) -> None:
    """Retry-After is obeyed exactly up to 60 s and a longer one ends the call; without it, backoff (or give up)."""
    replayable = method in SDK_REPLAYABLE
    assert FAST.delay_after_status(status, headers, retries_taken, NOW, replayable=replayable) == expected


@pytest.mark.parametrize(
    ("status", "headers"),
    [(408, _headers()), (429, _headers()), (429, _headers(retry_after="1")), (503, _headers(retry_after="1"))],
)
def test_a_relayed_status_never_retries_a_write(status: int, headers: httpx.Headers) -> None:
    """Paragon's own 408/429/503+Retry-After retry a write; the same status from a third party does not."""
    assert FAST.delay_after_status(status, headers, 0, NOW, replayable=False) is not None
    assert FAST.delay_after_status(status, headers, 0, NOW, replayable=False, from_paragon=False) is None
    # A replayable call is retried whoever sent the status.
    assert FAST.delay_after_status(status, headers, 0, NOW, replayable=True, from_paragon=False) is not None


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        httpx.ReadTimeout,
        httpx.WriteTimeout,
        httpx.RemoteProtocolError,
        httpx.ReadError,
        httpx.WriteError,
    ],
)
def test_delay_after_error(method: HTTPMethod, error: type[httpx.TransportError]) -> None:
    """Idempotent verbs retry every transport error; POST/PATCH only those raised before the request left."""
    never_sent = error in (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
    retried = never_sent or method in ("GET", "PUT", "DELETE")
    instance = error("injected")
    replayable = method in SDK_REPLAYABLE
    assert FAST.delay_after_error(instance, 0, replayable=replayable) == (0.0 if retried else None)
    assert FAST.delay_after_error(instance, 1, replayable=replayable) == (0.0 if retried else None)
    assert FAST.delay_after_error(instance, 2, replayable=replayable) is None


def _retry_records(caplog: pytest.LogCaptureFixture) -> list[dict[str, str]]:
    found = []
    for record in caplog.records:
        if record.name == "useparagon" and record.getMessage().startswith("retrying"):
            assert record.levelno == logging.INFO
            match = RETRYING.fullmatch(record.getMessage())
            assert match, record.getMessage()
            found.append(match.groupdict())
    return found


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "0.05"},
        {"retry-after-ms": "50"},
        # If retry-after-ms did not win, 61 s would end the call after 1 attempt.
        {"retry-after-ms": "50", "Retry-After": "61"},
    ],
    ids=["Retry-After", "retry-after-ms", "retry-after-ms-wins"],
)
def test_retry_after_is_honoured_exactly(
    harness_for: MakeHarness, caplog: pytest.LogCaptureFixture, method: HTTPMethod, headers: dict[str, str]
) -> None:
    """Each planned wait is the server's 0.05 s (logged at INFO), really slept, and the third attempt succeeds."""
    caplog.set_level(logging.INFO, logger="useparagon")
    harness = harness_for(_sequence(_status(503, **headers), _status(503, **headers), _ok))
    body = None if method == "GET" else CONTACT
    started = time.monotonic()
    assert harness.run(harness.session.request("salesforce", "sobjects/Contact", method=method, body=body)) == {
        "id": "003"
    }
    elapsed = time.monotonic() - started
    assert len(harness.requests) == 3
    route = PROXY_ROUTE.format(method=method)
    assert _retry_records(caplog) == [
        {"route": route, "delay": "0.05", "reason": "status 503", "retry": "1"},
        {"route": route, "delay": "0.05", "reason": "status 503", "retry": "2"},
    ]
    assert elapsed >= 0.09


def _in_ten_minutes() -> dict[str, str]:
    return {"Retry-After": email.utils.formatdate(time.time() + 600, usegmt=True)}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    ("status", "headers"),
    [
        pytest.param(429, lambda: {"Retry-After": "61"}, id="429-61s"),
        pytest.param(503, lambda: {"Retry-After": "120"}, id="503-120s"),
        pytest.param(429, lambda: {"Retry-After": HUGE}, id="429-huge"),
        pytest.param(503, lambda: {"retry-after-ms": "60001"}, id="503-ms-over-cap"),
        pytest.param(429, _in_ten_minutes, id="429-date-10-min"),
    ],
)
def test_retry_after_over_the_cap_ends_the_call(
    harness_for: MakeHarness,
    caplog: pytest.LogCaptureFixture,
    method: HTTPMethod,
    status: int,
    headers: Callable[[], dict[str, str]],
) -> None:
    """Retry-After above 60 s: exactly 1 attempt, the status error raised at once, no retry planned, no sleep."""
    caplog.set_level(logging.INFO, logger="useparagon")
    harness = harness_for(_status(status, **headers()))
    body = None if method == "GET" else CONTACT
    started = time.monotonic()
    with pytest.raises(RateLimitError if status == 429 else InternalServerError):
        harness.run(harness.session.request("salesforce", "sobjects/Contact", method=method, body=body))
    assert time.monotonic() - started < 5.0
    assert len(harness.requests) == 1
    assert _retry_records(caplog) == []


def test_a_custom_retry_after_cap_is_obeyed(harness_for: MakeHarness) -> None:
    """``RetryPolicy(max_retry_after=0.01)``: a 0.05 s Retry-After is already too long, so 1 attempt."""
    harness = harness_for(_status(429, **{"Retry-After": "0.05"}), retry=RetryPolicy(max_retry_after=0.01))
    with pytest.raises(RateLimitError):
        harness.run(harness.session.get_user())
    assert len(harness.requests) == 1


def test_backoff_waits_stay_within_their_ceilings(harness_for: MakeHarness, caplog: pytest.LogCaptureFixture) -> None:
    """Without Retry-After the planned waits are jittered in [0, 0.01] then [0, 0.02] (initial 0.01, cap 0.02)."""
    caplog.set_level(logging.INFO, logger="useparagon")
    harness = harness_for(FAULTS["503"], retry=RetryPolicy(initial_delay=0.01, max_delay=0.02))
    with pytest.raises(InternalServerError):
        harness.run(harness.session.get_user())
    delays = [float(record["delay"]) for record in _retry_records(caplog)]
    assert len(delays) == 2
    assert 0.0 <= delays[0] <= 0.01
    assert 0.0 <= delays[1] <= 0.02


@pytest.mark.parametrize(
    ("retries_taken", "ceiling"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (64, 8.0), (1100, 8.0)],
)
def test_backoff_ceilings(retries_taken: int, ceiling: float) -> None:
    """Full jitter over 0.5 * 2**n capped at 8 s: rand=1 gives the ceiling, rand=0 gives 0; 2**1100 cannot overflow."""
    assert RetryPolicy().backoff(retries_taken, rand=lambda: 1.0) == ceiling
    assert RetryPolicy().backoff(retries_taken, rand=lambda: 0.0) == 0.0
    assert RetryPolicy().backoff(retries_taken, rand=lambda: 0.5) == ceiling / 2


def test_default_backoff_budget_and_jitter() -> None:
    """With the defaults a fully failed call plans at most 0.5 + 1.0 = 1.5 s of backoff, and the waits are jittered."""
    policy = RetryPolicy()
    assert sum(policy.backoff(n, rand=lambda: 1.0) for n in range(policy.max_retries)) == 1.5
    samples = [policy.backoff(1) for _ in range(200)]
    assert all(0.0 <= sample <= 1.0 for sample in samples)
    assert len(set(samples)) > 100


def test_the_total_deadline_refuses_a_wait_that_would_end_past_it(harness_for: MakeHarness) -> None:
    """``total_deadline=0.01``: a 0.05 s Retry-After cannot fit, so the call fails after 1 attempt without sleeping."""
    harness = harness_for(_status(503, **{"Retry-After": "0.05"}), retry=RetryPolicy(total_deadline=0.01))
    started = time.monotonic()
    with pytest.raises(InternalServerError):
        harness.run(harness.session.get_user())
    assert time.monotonic() - started < 0.05
    assert len(harness.requests) == 1


def test_the_total_deadline_stops_retries_midway(harness_for: MakeHarness) -> None:
    """``total_deadline=0.3`` with 0.2 s waits: the first retry fits (0.2 < 0.3), the second (0.4) does not."""
    harness = harness_for(_status(503, **{"Retry-After": "0.2"}), retry=RetryPolicy(total_deadline=0.3, max_retries=5))
    with pytest.raises(InternalServerError):
        harness.run(harness.session.get_user())
    assert len(harness.requests) == 2


# -- Mutation-testing additions: the exact edges of the policy's inputs and decisions ---------------------------------

# Every day name RFC 9110 allows before the comma: IMF-fixdate and asctime use the short ones, RFC 850 the long ones.
# email.utils ignores the name itself, so each is checked here; a letter case other than the RFC's is still a day.
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
LONG_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@pytest.mark.parametrize("day", [*DAY_NAMES, *LONG_DAY_NAMES, "MON", "friday", "SUNDAY"])
def test_every_day_name_is_accepted_before_an_http_date(day: str) -> None:
    """All 14 English day names (in any letter case) introduce a date 20 s ahead; the name is not checked against it."""
    assert parse_retry_after(_headers(retry_after=f"{day}, 29 Sep 2023 16:26:57 GMT"), NOW) == 20.0


@pytest.mark.parametrize("day", ["Mo", "Mond", "Fri.", "Fre", "Vendredi", "1", "GMT"])
def test_anything_else_before_the_comma_is_not_a_date(day: str) -> None:
    """A word before the comma that is no day name makes the value unusable, though email.utils would drop it."""
    assert email.utils.parsedate_to_datetime(f"{day}, 29 Sep 2023 16:26:57 GMT") is not None
    assert parse_retry_after(_headers(retry_after=f"{day}, 29 Sep 2023 16:26:57 GMT"), NOW) is None


def test_the_day_name_is_the_text_before_the_first_comma() -> None:
    """A stray comma later in the date (which email.utils tolerates) does not hide a valid day name."""
    assert parse_retry_after(_headers(retry_after="Fri, 29 Sep 2023, 16:26:57 GMT"), NOW) == 20.0
    assert parse_retry_after(_headers(retry_after="Zun, 29 Sep 2023, 16:26:57 GMT"), NOW) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 0.001), ("0.5", 0.0005), ("0.001", 0.000001), ("60000", 60.0)],
)
def test_any_positive_retry_after_ms_is_obeyed(value: str, expected: float) -> None:
    """A millisecond wait below one millisecond is still a wait: only zero or less falls back to Retry-After."""
    assert parse_retry_after(_headers(retry_after_ms=value, retry_after="20"), NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.001", 0.001), ("1e-9", 1e-9), ("Fri, 29 Sep 2023 16:26:38 GMT", 1.0)],
)
def test_the_smallest_positive_retry_after_is_obeyed(value: str, expected: float) -> None:
    """Any wait above zero is the server's wish, in seconds or as a date one second ahead."""
    assert parse_retry_after(_headers(retry_after=value), NOW) == expected


def test_the_backoff_exponent_is_capped_at_2_to_the_64() -> None:
    """With a ceiling too high to matter, the exponent stops growing at 64 retries, so a huge count cannot overflow."""
    policy = RetryPolicy(initial_delay=1.0, max_delay=1e300)
    assert policy.backoff(63, rand=lambda: 1.0) == 2.0**63
    assert policy.backoff(64, rand=lambda: 1.0) == 2.0**64
    assert policy.backoff(65, rand=lambda: 1.0) == 2.0**64
    assert policy.backoff(10**6, rand=lambda: 1.0) == 2.0**64


@pytest.mark.parametrize(
    ("value", "shown"),
    [(-1, "-1"), (True, "True"), (False, "False"), (1.0, "1.0"), ("3", "'3'"), (None, "None"), (2**100 * -1, "-1267")],
)
def test_an_invalid_max_retries_is_refused(value: object, shown: str) -> None:
    """Only a non-negative int (not a bool, float or str) is a retry count; the message names it and the value."""
    with pytest.raises(ConfigurationError) as caught:
        RetryPolicy(max_retries=value)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"max_retries must be a non-negative int, got {shown}")


@pytest.mark.parametrize("value", [0, 1, 10**6])
def test_a_valid_max_retries_is_kept(value: int) -> None:
    """0 (one attempt) and any larger int are accepted as given."""
    assert RetryPolicy(max_retries=value).max_retries == value


SECONDS_FIELDS = ["initial_delay", "max_delay", "max_retry_after", "total_deadline"]


@pytest.mark.parametrize("field", SECONDS_FIELDS)
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (-0.001, "-0.001"),
        (-1, "-1"),
        (float("inf"), "inf"),
        (float("-inf"), "-inf"),
        (float("nan"), "nan"),
        (True, "True"),
        ("1", "'1'"),
        (None, "None"),
    ],
)
def test_an_invalid_number_of_seconds_is_refused(field: str, value: object, shown: str) -> None:
    """Each duration must be a finite number >= 0 (not a bool or str); the message names the field and the value."""
    with pytest.raises(ConfigurationError) as caught:
        RetryPolicy(**{field: value})  # type: ignore[arg-type]
    assert str(caught.value) == f"{field} must be a finite, non-negative number of seconds, got {shown}"


@pytest.mark.parametrize("field", SECONDS_FIELDS)
@pytest.mark.parametrize("value", [0, 0.0, 0.25, 3])
def test_a_valid_number_of_seconds_is_kept(field: str, value: float) -> None:
    """Zero and any finite positive int or float are accepted as given."""
    options: dict[str, Any] = {field: value}
    assert getattr(RetryPolicy(**options), field) == value
