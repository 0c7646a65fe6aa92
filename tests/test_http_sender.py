"""The send loop (``useparagon._http``) driven with hand-built calls: which verbs are replayed, where a call may go.

The session's own methods only use GET, POST, PUT, PATCH and DELETE; the sender decides for any ``Call``. Each case
runs through a real session's sender (sync and async) over ``httpx.MockTransport`` and counts the requests sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from useparagon import APIStatusError, APITimeoutError, InternalServerError, InvalidRequestError, RetryPolicy
from useparagon._calls import Call

from tests.support import API, PROJECT_ID, Harness, json_response

MakeHarness = Callable[..., Harness]
FAST = RetryPolicy(initial_delay=0.0)
PATH = f"/projects/{PROJECT_ID}/sdk/me"


def _call(method: str, path: str = PATH, **options: Any) -> Call[Any]:
    return Call(
        method=method,
        service="api",
        path=path,
        route=f"{method} /projects/{{projectId}}/sdk/me",
        parse=_json,
        **options,
    )


def _json(response: httpx.Response) -> Any:
    return response.json()


def _send(harness: Harness, call: Call[Any]) -> Any:
    return harness.run(harness.session._send(call))


def _read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("injected", request=request)


def _unavailable(_request: httpx.Request) -> httpx.Response:
    return json_response(500, {"message": "injected 500"})


# RFC 9110 §9.2.2: repeating these cannot do more than the first attempt did, so a failure after the request may have
# arrived (a read timeout, a 500) is retried; POST and PATCH are not idempotent and are sent once.
REPLAYED = {"GET": True, "HEAD": True, "OPTIONS": True, "PUT": True, "DELETE": True, "TRACE": True}
NOT_REPLAYED = {"POST": False, "PATCH": False, "CONNECT": False}


@pytest.mark.parametrize(("method", "replayed"), list({**REPLAYED, **NOT_REPLAYED}.items()))
def test_idempotent_verbs_are_replayed_after_a_read_timeout(
    make_harness: MakeHarness, method: str, replayed: bool
) -> None:
    """A read timeout may come after the server acted: only an idempotent verb is sent again (3 attempts)."""
    harness = make_harness(_read_timeout, retry=FAST)
    with pytest.raises(APITimeoutError):
        _send(harness, _call(method))
    assert [request.method for request in harness.requests] == [method] * (3 if replayed else 1)


@pytest.mark.parametrize(("method", "replayed"), list({**REPLAYED, **NOT_REPLAYED}.items()))
def test_idempotent_verbs_are_replayed_after_a_500(make_harness: MakeHarness, method: str, replayed: bool) -> None:
    """A 500 may come after the work was done: HEAD, OPTIONS and TRACE retry like GET, a POST never does."""
    harness = make_harness(_unavailable, retry=FAST)
    with pytest.raises(InternalServerError):
        _send(harness, _call(method))
    assert len(harness.requests) == (3 if replayed else 1)


def test_an_explicit_replayable_flag_wins_over_the_verb(make_harness: MakeHarness) -> None:
    """``replayable=False`` makes even a GET a single attempt; ``replayable=True`` lets a POST be repeated."""
    harness = make_harness(_unavailable, retry=FAST)
    with pytest.raises(InternalServerError):
        _send(harness, _call("GET", replayable=False))
    assert len(harness.requests) == 1
    harness.requests.clear()
    with pytest.raises(InternalServerError):
        _send(harness, _call("POST", replayable=True))
    assert len(harness.requests) == 3


# -- The token never leaves for another host --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "@evil.example/steal",  # userinfo: https://api.useparagon.com@evil.example/steal
        ".evil.example/steal",  # another host name: api.useparagon.com.evil.example
        ":8443@evil.example/x",
    ],
)
def test_a_path_that_would_change_the_host_is_refused_before_sending(make_harness: MakeHarness, path: str) -> None:
    """Defence in depth: whatever a path holds, a request whose host is not the service's is never sent."""
    harness = make_harness(lambda _request: json_response(200, {}))
    with pytest.raises(InvalidRequestError) as caught:
        _send(harness, _call("GET", path))
    assert str(caught.value) == (
        "refusing to send GET /projects/{projectId}/sdk/me to a host other than the configured one"
    )
    assert harness.requests == []


def test_a_path_on_the_configured_host_is_sent_there(make_harness: MakeHarness) -> None:
    """The same check lets an ordinary path through, to the exact URL."""
    harness = make_harness(lambda _request: json_response(200, {"ok": True}))
    assert _send(harness, _call("GET")) == {"ok": True}
    (request,) = harness.requests
    assert str(request.url) == API + PATH


# -- Each attempt's timeouts ------------------------------------------------------------------------------------------


def _timeouts_seen(harness: Harness) -> list[dict[str, float]]:
    return [dict(request.extensions["timeout"]) for request in harness.requests]


def test_each_phase_keeps_its_own_timeout_while_the_call_has_time(make_harness: MakeHarness) -> None:
    """Every attempt carries the client's per-phase timeouts unchanged when the total deadline is far away."""
    timeout = httpx.Timeout(connect=1.0, read=2.0, write=3.0, pool=4.0)
    harness = make_harness(_read_timeout, retry=FAST, timeout=timeout)
    with pytest.raises(APITimeoutError):
        _send(harness, _call("GET"))
    assert _timeouts_seen(harness) == [{"connect": 1.0, "read": 2.0, "write": 3.0, "pool": 4.0}] * 3


def test_a_phase_without_a_timeout_gets_the_attempt_budget(make_harness: MakeHarness) -> None:
    """``None`` for a phase means "no limit of its own": it still ends with the attempt, at the longest phase."""
    timeout = httpx.Timeout(connect=None, read=2.5, write=None, pool=0.5)
    harness = make_harness(lambda _request: json_response(200, {}), retry=FAST, timeout=timeout)
    _send(harness, _call("GET"))
    assert _timeouts_seen(harness) == [{"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 0.5}]


def test_every_phase_is_cut_to_what_is_left_of_the_total_deadline(make_harness: MakeHarness) -> None:
    """A total deadline shorter than a phase's timeout caps that phase (and any phase without a limit) to it."""
    timeout = httpx.Timeout(connect=0.01, read=30.0, write=None, pool=0.02)
    harness = make_harness(
        lambda _request: json_response(200, {}), retry=RetryPolicy(total_deadline=5.0), timeout=timeout
    )
    _send(harness, _call("GET"))
    (seen,) = _timeouts_seen(harness)
    assert seen["connect"] == 0.01
    assert seen["pool"] == 0.02
    assert 4.0 < seen["read"] <= 5.0
    assert seen["write"] == seen["read"]


def test_without_any_timeout_an_attempt_may_use_the_whole_deadline(make_harness: MakeHarness) -> None:
    """``timeout=None``: no phase has a limit, so each is bounded by the call's total deadline alone."""
    harness = make_harness(lambda _request: json_response(200, {}), retry=RetryPolicy(total_deadline=7.0), timeout=None)
    _send(harness, _call("GET"))
    (seen,) = _timeouts_seen(harness)
    assert set(seen) == {"connect", "read", "write", "pool"}
    assert len(set(seen.values())) == 1
    assert 6.0 < seen["read"] <= 7.0


# -- What each attempt logs, and which statuses count as success ------------------------------------------------------

DEBUG_LINE = re.compile(
    r"GET /projects/\{projectId\}/sdk/me -> (?P<status>\d+) in (?P<ms>\d+\.\d) ms"
    r" \(attempt (?P<attempt>\d+), request id (?P<request_id>.+)\)"
)


def test_each_attempt_is_logged_at_debug_with_its_status_number_and_request_id(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """One DEBUG line per attempt: route, status, elapsed milliseconds, attempt number and the server's request id."""
    caplog.set_level(logging.DEBUG, logger="useparagon")
    answers = iter(
        [
            json_response(503, {"message": "busy"}, **{"x-request-id": "req-1"}),
            json_response(200, {"ok": True}, **{"x-paragon-request-id": "req-2"}),
        ]
    )
    harness = make_harness(lambda _request: next(answers), retry=FAST)
    assert _send(harness, _call("GET")) == {"ok": True}
    lines = [record.getMessage() for record in caplog.records if record.levelno == logging.DEBUG]
    found = [match.groupdict() for line in lines if (match := DEBUG_LINE.fullmatch(line))]
    assert [(item["status"], item["attempt"], item["request_id"]) for item in found] == [
        ("503", "1", "req-1"),
        ("200", "2", "req-2"),
    ]
    assert all(0.0 <= float(item["ms"]) < 5000 for item in found)


def test_without_a_request_id_the_debug_line_says_none(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """A response without any request id header logs ``request id None``."""
    caplog.set_level(logging.DEBUG, logger="useparagon")
    harness = make_harness(lambda _request: json_response(200, {}), retry=FAST)
    _send(harness, _call("GET"))
    lines = [record.getMessage() for record in caplog.records if record.levelno == logging.DEBUG]
    assert any(line.endswith("(attempt 1, request id None)") for line in lines)


@pytest.mark.parametrize(("status", "success"), [(200, True), (204, True), (299, True), (300, False), (199, False)])
def test_only_2xx_is_parsed_as_a_result(make_harness: MakeHarness, status: int, success: bool) -> None:
    """200 through 299 go to the parser; 1xx-looking and 3xx statuses are errors, never parsed."""
    harness = make_harness(lambda _request: httpx.Response(status, content=b'{"v": 1}'), retry=FAST)
    if success:
        assert _send(harness, _call("GET")) == {"v": 1}
    else:
        with pytest.raises(APIStatusError) as caught:
            _send(harness, _call("GET"))
        assert caught.value.status_code == status
    assert len(harness.requests) == 1
