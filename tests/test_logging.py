"""The ``useparagon`` logger: ``PARAGON_LOG`` set-up, and records that carry metadata only.

Records name the method, the route template, the status, the attempt, the elapsed time and the request id; never
an id from the path, the proxied path, a query string, a header or a body.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator

import httpx
import pytest
from useparagon import RetryPolicy
from useparagon._logging import logger as paragon_logger

from tests.support import PROJECT_ID, MakeHarness, SessionCall, json_response

FAST_RETRIES = RetryPolicy(initial_delay=0.0)
ME_ROUTE = "GET /projects/{projectId}/sdk/me"
PROXY_POST_ROUTE = "POST /projects/{projectId}/sdk/proxy/{integrationType}/{path}"
# What follows the status in a DEBUG record: "in 0.3 ms (attempt 1, request id req-1)".
ELAPSED = r"in \d+\.\d ms"


@pytest.fixture(autouse=True)
def pristine_logger() -> Iterator[None]:
    """Each test starts with the ``useparagon`` logger as an application that never configured it has it (no
    handlers, level NOTSET), and leaves it that way: ``PARAGON_LOG`` makes a client add a handler."""
    handlers, level = list(paragon_logger.handlers), paragon_logger.level
    paragon_logger.handlers.clear()
    paragon_logger.setLevel(logging.NOTSET)
    yield
    paragon_logger.handlers[:] = handlers
    paragon_logger.setLevel(level)


def _user(request: httpx.Request) -> httpx.Response:
    return json_response(
        200, {"authenticated": True, "userId": "user-123", "integrations": {}}, **{"x-request-id": "req-1"}
    )


def _ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "useparagon"]


def _messages(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(record.levelno, record.getMessage()) for record in _ours(caplog)]


def _assert_records(caplog: pytest.LogCaptureFixture, expected: list[tuple[int, str]]) -> None:
    """Our records, in order, match ``expected`` (level, regular expression of the whole message)."""
    got = _messages(caplog)
    assert [level for level, _ in got] == [level for level, _ in expected], got
    for (_, message), (_, pattern) in zip(got, expected, strict=True):
        assert re.fullmatch(pattern, message), (message, pattern)


# ---------------------------------------------------------------------------------------------------------------------
# PARAGON_LOG


def test_the_logger_is_named_useparagon() -> None:
    """The module logger is the one applications configure by name."""
    assert paragon_logger is logging.getLogger("useparagon")
    assert paragon_logger.name == "useparagon"


@pytest.mark.parametrize(
    ("value", "level"),
    [("debug", logging.DEBUG), ("info", logging.INFO), ("DEBUG", logging.DEBUG), (" Info\n", logging.INFO)],
)
def test_paragon_log_adds_one_stderr_handler_and_sets_the_level(
    value: str, level: int, monkeypatch: pytest.MonkeyPatch, make_harness: MakeHarness
) -> None:
    """``PARAGON_LOG=info|debug`` (any case, surrounding blanks ignored) gives the logger exactly one stderr
    handler, however many clients are built, and sets its level."""
    monkeypatch.setenv("PARAGON_LOG", value)
    make_harness(_user)
    make_harness(_user)
    make_harness(_user)
    (handler,) = paragon_logger.handlers
    assert type(handler) is logging.StreamHandler
    assert handler.stream is sys.stderr
    assert paragon_logger.level == level


@pytest.mark.parametrize("value", [None, "", "warning", "verbose", "1", "true"])
def test_without_paragon_log_the_logger_is_left_alone(
    value: str | None, monkeypatch: pytest.MonkeyPatch, make_harness: MakeHarness
) -> None:
    """Unset, empty or unknown ``PARAGON_LOG``: no handler is added and the level is not touched."""
    if value is None:
        monkeypatch.delenv("PARAGON_LOG", raising=False)
    else:
        monkeypatch.setenv("PARAGON_LOG", value)
    harness = make_harness(_user)
    harness.run(harness.session.get_user())
    assert paragon_logger.handlers == []
    assert paragon_logger.level == logging.NOTSET


def test_an_application_handler_is_kept(monkeypatch: pytest.MonkeyPatch, make_harness: MakeHarness) -> None:
    """When the application already gave the logger a handler, ``PARAGON_LOG`` sets the level but adds none."""
    own = logging.NullHandler()
    paragon_logger.addHandler(own)
    monkeypatch.setenv("PARAGON_LOG", "debug")
    make_harness(_user)
    assert paragon_logger.handlers == [own]
    assert paragon_logger.level == logging.DEBUG


def test_the_handler_writes_one_line_per_record_to_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], make_harness: MakeHarness
) -> None:
    """The added handler prints ``[time useparagon LEVEL] message`` lines to stderr, nothing to stdout."""
    monkeypatch.setenv("PARAGON_LOG", "debug")
    harness = make_harness(_user)
    harness.run(harness.session.get_user())
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert re.fullmatch(
        rf"\[\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d{{3}} useparagon DEBUG\] "
        rf"GET /projects/\{{projectId\}}/sdk/me -> 200 {ELAPSED} \(attempt 1, request id req-1\)",
        line,
    ), line


# ---------------------------------------------------------------------------------------------------------------------
# What records contain


def test_a_response_is_logged_at_debug_with_metadata(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, make_harness: MakeHarness
) -> None:
    """One DEBUG record per response: route template, status, elapsed, attempt and the x-request-id."""
    monkeypatch.setenv("PARAGON_LOG", "debug")
    harness = make_harness(_user)
    harness.run(harness.session.get_user())
    (record,) = _ours(caplog)
    assert record.levelno == logging.DEBUG
    assert record.exc_info is None
    assert re.fullmatch(
        rf"GET /projects/\{{projectId\}}/sdk/me -> 200 {ELAPSED} \(attempt 1, request id req-1\)", record.getMessage()
    )
    assert PROJECT_ID not in record.getMessage()


def test_a_missing_request_id_is_logged_as_none(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, make_harness: MakeHarness
) -> None:
    """Without a request id header the record says so rather than dropping the field."""
    monkeypatch.setenv("PARAGON_LOG", "debug")
    harness = make_harness(lambda request: json_response(200, []))
    harness.run(harness.session.get_credentials())
    _assert_records(
        caplog,
        [
            (
                logging.DEBUG,
                rf"GET /projects/\{{projectId\}}/sdk/credentials -> 200 {ELAPSED} \(attempt 1, request id None\)",
            )
        ],
    )


def test_a_hostile_request_id_cannot_split_the_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, make_harness: MakeHarness
) -> None:
    """A request id with CR/LF (from a broken proxy or a hostile server) is flattened and bounded."""
    monkeypatch.setenv("PARAGON_LOG", "debug")
    forged = "req-1\r\n[2026-01-01 00:00:00,000 useparagon INFO] forged " + "x" * 300
    harness = make_harness(lambda request: httpx.Response(200, json=[], headers=[(b"x-request-id", forged.encode())]))
    harness.run(harness.session.get_credentials())
    (record,) = _ours(caplog)
    message = record.getMessage()
    assert "\r" not in message
    assert "\n" not in message
    assert "request id req-1 [2026-01-01 00:00:00,000 useparagon INFO] forged xxx" in message
    assert len(message) < 200


def test_proxy_records_carry_no_ids_path_query_headers_or_body(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, make_harness: MakeHarness
) -> None:
    """A proxied POST is logged by its route template: not the project id, the integration, the third-party path,
    the query string, an extra header nor the body."""
    monkeypatch.setenv("PARAGON_LOG", "debug")
    harness = make_harness(lambda request: json_response(201, {"output": {"id": "M1"}}, **{"x-request-id": "req-9"}))
    result = harness.run(
        harness.session.request(
            "slack",
            "conversations/C0123ABC/messages",
            method="POST",
            params={"cursor": "QUERY-VALUE-42"},
            headers={"X-Api-Key": "HEADER-VALUE-42"},
            body={"text": "BODY-VALUE-42"},
        )
    )
    assert result == {"id": "M1"}
    (record,) = _ours(caplog)
    message = record.getMessage()
    assert re.fullmatch(
        rf"POST /projects/\{{projectId\}}/sdk/proxy/\{{integrationType\}}/\{{path\}} -> 201 {ELAPSED} "
        r"\(attempt 1, request id req-9\)",
        message,
    )
    texts = message + repr(record.args)
    for private in (PROJECT_ID, "slack", "conversations", "C0123ABC", "cursor", "QUERY-VALUE-42", "HEADER-VALUE-42"):
        assert private not in texts
    assert "BODY-VALUE-42" not in texts
    assert "?" not in texts


CALLS_WITH_IDS: list[tuple[SessionCall, str]] = [
    (lambda s: s.workflow("wf-SECRET-ID-1"), "POST /projects/{projectId}/sdk/triggers/{workflowId}"),
    (lambda s: s.disable_workflow("wf-SECRET-ID-1"), "DELETE /projects/{projectId}/sdk/workflows/{workflowId}"),
    (lambda s: s.get_credential("cred-SECRET-ID-1"), "GET /projects/{projectId}/sdk/credentials/{credentialId}"),
]


@pytest.mark.parametrize(("call", "route"), CALLS_WITH_IDS, ids=["workflow", "disable_workflow", "get_credential"])
def test_ids_in_the_path_are_not_logged(
    call: SessionCall,
    route: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    make_harness: MakeHarness,
) -> None:
    """Workflow and credential ids stay out of the record: it shows the route template."""
    monkeypatch.setenv("PARAGON_LOG", "debug")
    harness = make_harness(lambda request: json_response(200, {"id": "cred-SECRET-ID-1"}))
    harness.run(call(harness.session))
    (record,) = _ours(caplog)
    assert record.getMessage().startswith(f"{route} -> 200 in ")
    assert "SECRET-ID" not in record.getMessage() + repr(record.args)
    assert PROJECT_ID not in record.getMessage()


def test_retries_are_logged_at_info_with_the_delay(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, make_harness: MakeHarness
) -> None:
    """503 with ``retry-after-ms: 20`` then 200: DEBUG for each response with its attempt number, and between
    them one INFO record naming the route, the wait, the reason and the retry number."""
    monkeypatch.setenv("PARAGON_LOG", "debug")
    responses = iter(
        [json_response(503, {"message": "busy"}, **{"retry-after-ms": "20"}), _user(httpx.Request("GET", "/"))]
    )
    harness = make_harness(lambda request: next(responses))
    harness.run(harness.session.get_user())
    _assert_records(
        caplog,
        [
            (logging.DEBUG, rf"GET /projects/\{{projectId\}}/sdk/me -> 503 {ELAPSED} \(attempt 1, request id None\)"),
            (logging.INFO, r"retrying GET /projects/\{projectId\}/sdk/me in 0\.02 s after status 503 \(retry 1\)"),
            (logging.DEBUG, rf"GET /projects/\{{projectId\}}/sdk/me -> 200 {ELAPSED} \(attempt 2, request id req-1\)"),
        ],
    )
    assert len(harness.requests) == 2


def test_the_elapsed_time_of_a_retried_attempt_excludes_the_wait(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, make_harness: MakeHarness
) -> None:
    """After a 100 ms Retry-After the second attempt's elapsed time is its own, not the wait's."""
    monkeypatch.setenv("PARAGON_LOG", "debug")
    responses = iter([json_response(429, {}, **{"retry-after-ms": "100"}), _user(httpx.Request("GET", "/"))])
    harness = make_harness(lambda request: next(responses))
    harness.run(harness.session.get_user())
    last = _ours(caplog)[-1].getMessage()
    elapsed = re.search(r"in (\d+\.\d) ms", last)
    assert elapsed is not None
    assert float(elapsed.group(1)) < 50.0, last


def test_connection_errors_are_retried_with_an_info_record(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, make_harness: MakeHarness
) -> None:
    """A connection error has no response (so no DEBUG record); each retry is one INFO record with the error kind."""
    monkeypatch.setenv("PARAGON_LOG", "debug")
    calls = iter([True, True, False])

    def handler(request: httpx.Request) -> httpx.Response:
        if next(calls):
            raise httpx.ConnectError("refused", request=request)
        return _user(request)

    harness = make_harness(handler, retry=FAST_RETRIES)
    harness.run(harness.session.get_user())
    _assert_records(
        caplog,
        [
            (logging.INFO, r"retrying GET /projects/\{projectId\}/sdk/me in 0\.00 s after ConnectError \(retry 1\)"),
            (logging.INFO, r"retrying GET /projects/\{projectId\}/sdk/me in 0\.00 s after ConnectError \(retry 2\)"),
            (logging.DEBUG, rf"GET /projects/\{{projectId\}}/sdk/me -> 200 {ELAPSED} \(attempt 3, request id req-1\)"),
        ],
    )


def test_paragon_log_info_shows_retries_but_not_responses(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, make_harness: MakeHarness
) -> None:
    """At INFO the per-response DEBUG records are filtered out by the logger's level; the retry is kept."""
    monkeypatch.setenv("PARAGON_LOG", "info")
    responses = iter([json_response(503, {}, **{"retry-after-ms": "1"}), _user(httpx.Request("GET", "/"))])
    harness = make_harness(lambda request: next(responses))
    harness.run(harness.session.get_user())
    _assert_records(
        caplog, [(logging.INFO, r"retrying GET /projects/\{projectId\}/sdk/me in 0\.00 s after status 503 \(retry 1\)")]
    )


# ---------------------------------------------------------------------------------------------------------------------
# Subscribers


def test_a_raising_callback_is_logged_with_its_traceback_and_the_call_succeeds(
    caplog: pytest.LogCaptureFixture, make_harness: MakeHarness
) -> None:
    """A subscriber that raises: one ERROR record with ``exc_info`` of that exception; the uninstall still
    returns normally, after both requests."""
    integrations = [{"id": "int-1", "type": "salesforce", "isActive": True, "configs": [], "workflows": []}]
    harness = make_harness(
        lambda request: json_response(200, integrations if request.method == "GET" else {"success": True})
    )
    failure = RuntimeError("subscriber bug")

    def callback(event: object, user: object) -> None:
        raise failure

    harness.client.subscribe("onIntegrationUninstall", callback)
    assert harness.run(harness.session.uninstall_integration("salesforce")) is None
    assert [request.method for request in harness.requests] == ["GET", "DELETE"]
    (record,) = [record for record in _ours(caplog) if record.levelno >= logging.WARNING]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "a onIntegrationUninstall subscriber raised; the other subscribers still run"
    assert record.exc_info is not None
    assert record.exc_info[1] is failure
