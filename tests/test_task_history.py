"""Task History from the client: the API key setting, the exact requests, nextLink paging, the rate limit, FakeParagon.

Every test runs against ``Paragon`` and ``AsyncParagon`` (``make_harness``), over ``httpx.MockTransport`` or over the
in-process FakeParagon.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    APIResponseValidationError,
    AsyncParagon,
    AuthenticationError,
    ConfigurationError,
    InternalServerError,
    InvalidRequestError,
    Paragon,
    RateLimitError,
    RetryPolicy,
    StepExecutionDetail,
    WorkflowExecution,
    WorkflowExecutionDetail,
    WorkflowExecutionList,
    WorkflowExecutionStatus,
)
from useparagon.testing import FakeParagon, FakeStep

from tests.support import API, PROJECT_ID, Harness, MakeHarness, json_response, trusting_fake, unchecked

KEY = "paragon-api-key-7c1e"
BASE = f"{API}/projects/{PROJECT_ID}/task-history/workflow-executions"
EXECUTION = {
    "id": "c70cafa5-4f80-45c7-b5b3-71454f6d638d",
    "userId": "user-123",
    "taskCount": 1,
    "runDuration": 1477,
    "workflowId": "c395c170-4541-499c-afd1-0eccfaae49c9",
    "status": "SUCCEEDED",
    "dateEnded": "2023-02-20T06:21:43.751Z",
    "dateStarted": "2023-02-20T06:21:42.274Z",
}
FAST = RetryPolicy(initial_delay=0.0)
ClientCall = Callable[[Paragon | AsyncParagon], object]


def page(*ids: str, next_link: str | None = None, total: int | None = None) -> dict[str, Any]:
    executions = [{**EXECUTION, "id": execution_id} for execution_id in ids]
    return {"workflowExecutions": executions, "nextLink": next_link, "total": len(ids) if total is None else total}


def always(status: int, body: Any, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _request: json_response(status, body, **headers)


def drain(harness: Harness, value: Any) -> list[Any]:
    """Every item of a (sync or async) iterator."""
    if hasattr(value, "__aiter__"):

        async def collect() -> list[Any]:
            return [item async for item in value]

        return harness.run(collect())
    return list(value)


# -- The API key setting ----------------------------------------------------------------------------------------------


CALLS: list[tuple[str, ClientCall]] = [
    ("list", lambda c: c.list_workflow_executions()),
    ("iter", lambda c: c.iter_workflow_executions()),
    ("get", lambda c: c.get_workflow_execution("ex-1")),
    ("step", lambda c: c.get_step_execution("ex-1", "st-1")),
    ("replay", lambda c: c.replay_workflow_execution("ex-1")),
]


@pytest.mark.parametrize("call", [c for _, c in CALLS], ids=[name for name, _ in CALLS])
def test_a_call_without_an_api_key_is_a_configuration_error_before_any_request(
    call: ClientCall, make_harness: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ``api_key=`` and no ``PARAGON_API_KEY``: each call (the iterator when it is made, not first iterated)
    raises ConfigurationError naming both, and nothing is sent."""
    monkeypatch.delenv("PARAGON_API_KEY", raising=False)
    harness = make_harness(always(200, page()))
    with pytest.raises(ConfigurationError) as caught:
        harness.run(call(harness.client))
    assert "api_key=" in str(caught.value)
    assert "PARAGON_API_KEY" in str(caught.value)
    assert harness.requests == []


def test_the_api_key_comes_from_the_argument_else_the_environment(
    make_harness: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``api_key=`` wins over ``PARAGON_API_KEY``; the variable (trailing newline and all) fills in without it."""
    monkeypatch.setenv("PARAGON_API_KEY", "env-key-1\n")
    from_env = make_harness(always(200, page()))
    harness = make_harness(always(200, page()), api_key=f" {KEY}\n")
    for built, expected in ((from_env, "env-key-1"), (harness, KEY)):
        built.run(built.client.list_workflow_executions())
        (request,) = built.requests
        assert request.headers["authorization"] == f"Bearer {expected}"


@pytest.mark.parametrize("value", ["", "   ", "Bearer abc", "two words", "tab\there", unchecked(12345)], ids=repr)
def test_a_malformed_api_key_is_refused_without_echoing_it(value: Any, rsa_key: rsa.RSAPrivateKey) -> None:
    """An empty key, one with a space or a control character, or not a str: ConfigurationError at construction,
    whose message never repeats the value."""
    with pytest.raises(ConfigurationError) as caught:
        Paragon(project_id=PROJECT_ID, signing_key=rsa_key, api_key=value)
    if isinstance(value, str) and value.strip():
        assert value not in str(caught.value)
    assert "api_key" in str(caught.value)


def test_the_api_key_is_not_in_any_repr(make_harness: MakeHarness) -> None:
    """The client, its with_options copy and its settings keep the key out of their reprs."""
    harness = make_harness(always(200, page()), api_key=KEY)
    client = harness.client
    for value in (client, client.with_options(max_retries=0), client.urls, client.retry, harness.session):
        assert KEY not in repr(value)
    harness.run(client.with_options(max_retries=0).list_workflow_executions())
    assert harness.requests[0].headers["authorization"] == f"Bearer {KEY}"


# -- Exact requests ---------------------------------------------------------------------------------------------------


def test_list_sends_every_filter(make_harness: MakeHarness) -> None:
    """Each filter under its documented name; an aware datetime in UTC with ``Z``, a date as a date, the rest as
    given; the answer parsed, enums included."""
    harness = make_harness(always(200, page("ex-1", next_link=f"{BASE}?offset=100", total=140)), api_key=KEY)
    result = harness.run(
        harness.client.list_workflow_executions(
            user_id="test@example.com",
            workflow_id="wf-1",
            integration="salesforce",
            status="FAILED",
            after_date=dt.datetime(2023, 2, 16, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            before_date=dt.date(2023, 2, 23),
            sort_by="ASC",
            offset=0,
        )
    )
    (request,) = harness.requests
    assert request.method == "GET"
    assert str(request.url) == (
        f"{BASE}?userId=test%40example.com&workflowId=wf-1&integration=salesforce&status=FAILED"
        "&beforeDate=2023-02-23&afterDate=2023-02-16T00%3A00%3A00.000Z&offset=0&sortBy=ASC"
    )
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.content == b""
    assert isinstance(result, WorkflowExecutionList)
    assert (result.total, result.next_link) == (140, f"{BASE}?offset=100")
    (execution,) = result.workflow_executions
    assert execution.status is WorkflowExecutionStatus.SUCCEEDED
    assert execution.run_duration == 1477
    assert execution.date_started == dt.datetime(2023, 2, 20, 6, 21, 42, 274000, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("kwargs", "query"),
    [
        ({}, ""),
        ({"after_date": dt.datetime(2023, 2, 16)}, "?afterDate=2023-02-16T00%3A00%3A00"),  # noqa: DTZ001 -- naive on purpose
        ({"before_date": "2023-02-22T10:00:00Z"}, "?beforeDate=2023-02-22T10%3A00%3A00Z"),
        ({"sort_by": "DESC", "offset": 200}, "?offset=200&sortBy=DESC"),
    ],
    ids=["none", "naive datetime", "text", "sort and offset"],
)
def test_list_sends_only_the_filters_given(kwargs: dict[str, Any], query: str, make_harness: MakeHarness) -> None:
    """A filter left out is not sent (Paragon's defaults apply); a naive datetime and ISO text go as written."""
    harness = make_harness(always(200, page()), api_key=KEY)
    harness.run(harness.client.list_workflow_executions(**kwargs))
    assert str(harness.requests[0].url) == BASE + query


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"status": "RUNNING"}, "status must be one of EXECUTING, FAILED, SUCCEEDED, DELAYED"),
        ({"sort_by": "asc"}, "sort_by must be 'ASC' or 'DESC'"),
        ({"offset": -1}, "offset must be an int >= 0"),
        ({"offset": True}, "offset must be an int >= 0"),
        ({"after_date": "last week"}, "after_date must be a datetime, a date or ISO 8601 text"),
        ({"before_date": 1700000000}, "before_date must be a datetime, a date or ISO 8601 text, not int"),
        (
            {"after_date": dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=1)))},
            "after_date is out of range once converted to UTC",
        ),
        ({"user_id": " "}, "user_id must be non-blank printable text"),
        ({"user_id": "a\nb"}, "user_id must be non-blank printable text"),
        ({"workflow_id": 5}, "workflow_id must be a str, not int"),
        ({"integration": "sales/force"}, "integration must not contain '/'"),
    ],
)
def test_bad_filters_are_refused_before_any_request(
    kwargs: dict[str, Any], fragment: str, make_harness: MakeHarness
) -> None:
    """Each bad filter: InvalidRequestError naming it, for the list and the iterator alike, and nothing sent."""
    harness = make_harness(always(200, page()), api_key=KEY)
    names = ["list_workflow_executions"] + ([] if "offset" in kwargs else ["iter_workflow_executions"])
    for name in names:
        with pytest.raises(InvalidRequestError) as caught:
            harness.run(getattr(harness.client, name)(**kwargs))
        assert fragment in str(caught.value)
    assert harness.requests == []


def test_get_step_and_replay_send_exactly_one_request_each(make_harness: MakeHarness) -> None:
    """GET the execution, GET one step, POST the replay (no body, 201): the documented paths, typed answers."""
    detail = {**EXECUTION, "stepExecutions": [{"id": "st-1", "type": "TRIGGER/CRON", "status": "SUCCEEDED"}]}
    answers = {
        ("GET", "/ex-1"): (200, detail),
        ("GET", "/ex-1/step-executions/st-1"): (200, {"isLargeInput": False, "input": {}, "output": "Error: x"}),
        ("POST", "/ex-1/replay"): (201, {"id": "ex-2", "workflowId": "wf-1", "status": "EXECUTING"}),
    }

    def answer(request: httpx.Request) -> httpx.Response:
        status, body = answers[(request.method, request.url.path.removeprefix(BASE.removeprefix(API)))]
        return json_response(status, body)

    harness = make_harness(answer, api_key=KEY)
    client = harness.client
    execution = harness.run(client.get_workflow_execution("ex-1"))
    step = harness.run(client.get_step_execution("ex-1", "st-1"))
    replay = harness.run(client.replay_workflow_execution("ex-1"))
    assert [(r.method, str(r.url), r.content) for r in harness.requests] == [
        ("GET", f"{BASE}/ex-1", b""),
        ("GET", f"{BASE}/ex-1/step-executions/st-1", b""),
        ("POST", f"{BASE}/ex-1/replay", b""),
    ]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in harness.requests)
    assert isinstance(execution, WorkflowExecutionDetail)
    assert isinstance(execution.step_executions, list)
    assert execution.step_executions[0].type_ == "TRIGGER/CRON"
    assert isinstance(step, StepExecutionDetail)
    assert step.output == "Error: x"
    assert step.is_large_input is False
    assert isinstance(replay, WorkflowExecution)
    assert replay.status is WorkflowExecutionStatus.EXECUTING


@pytest.mark.parametrize("bad_id", ["", "..", "a/b", "a?b", unchecked(None)])
def test_bad_ids_are_refused_before_any_request(bad_id: Any, make_harness: MakeHarness) -> None:
    """An execution or step id that would change the URL path: InvalidRequestError, nothing sent."""
    harness = make_harness(always(200, {}), api_key=KEY)
    client = harness.client
    for call in (
        lambda: client.get_workflow_execution(bad_id),
        lambda: client.get_step_execution("ex-1", bad_id),
        lambda: client.replay_workflow_execution(bad_id),
    ):
        with pytest.raises(InvalidRequestError):
            harness.run(call())
    assert harness.requests == []


# -- Paging through nextLink ------------------------------------------------------------------------------------------


def test_the_iterator_follows_next_link_on_the_configured_host(make_harness: MakeHarness) -> None:
    """Three pages: each nextLink (on zeus.useparagon.com, as Paragon writes them) is asked for on the configured
    host with the link's query; the executions come out in order, and iteration stops at a null nextLink."""
    zeus = f"https://zeus.useparagon.com/projects/{PROJECT_ID}/task-history/workflow-executions"
    pages = {
        None: page("a", "b", next_link=f"{zeus}?status=FAILED&sortBy=ASC&offset=100"),
        "100": page("c", next_link=f"{zeus}?status=FAILED&sortBy=ASC&offset=200"),
        "200": page("d", next_link=None),
    }
    harness = make_harness(lambda request: json_response(200, pages[request.url.params.get("offset")]), api_key=KEY)
    iterator = harness.client.iter_workflow_executions(status="FAILED", sort_by="ASC")
    assert harness.requests == []  # nothing is fetched before the loop asks
    executions = drain(harness, iterator)
    assert [e.id for e in executions] == ["a", "b", "c", "d"]
    assert [str(r.url) for r in harness.requests] == [
        f"{BASE}?status=FAILED&sortBy=ASC",
        f"{BASE}?status=FAILED&sortBy=ASC&offset=100",
        f"{BASE}?status=FAILED&sortBy=ASC&offset=200",
    ]


@pytest.mark.parametrize(
    ("link", "fragment"),
    [
        (f"{BASE}?offset=100", "a nextLink it had already given"),
        (f"{API}/projects/{PROJECT_ID}/sdk/me?offset=100", "not this project's workflow-executions URL"),
        (f"{API}/projects/another-project/task-history/workflow-executions", "not this project's"),
        ("http://[::1", "not this project's workflow-executions URL"),
    ],
    ids=["repeated", "another path", "another project", "not a URL"],
)
def test_a_next_link_that_loops_or_leads_elsewhere_stops_the_iterator(
    link: str, fragment: str, make_harness: MakeHarness
) -> None:
    """A link given twice, or one to another path or project: APIResponseValidationError, never a request there."""
    harness = make_harness(always(200, page("a", next_link=link)), api_key=KEY)
    with pytest.raises(APIResponseValidationError) as caught:
        drain(harness, harness.client.iter_workflow_executions())
    assert fragment in str(caught.value)
    assert all(r.url.path == BASE.removeprefix(API) for r in harness.requests)
    assert len(harness.requests) == (2 if "already" in fragment else 1)


def test_the_same_next_query_under_another_host_is_still_a_loop(make_harness: MakeHarness) -> None:
    """Only the link's query is followed (on the configured host), so a query given again under another host is the
    server looping: stopped at the second page, not after 100,000."""
    path = BASE.removeprefix(API)
    links = iter([f"https://zeus.useparagon.com{path}?offset=100", f"https://elsewhere.example{path}?offset=100"])
    harness = make_harness(lambda _request: json_response(200, page("a", next_link=next(links))), api_key=KEY)
    with pytest.raises(APIResponseValidationError, match="a nextLink it had already given"):
        drain(harness, harness.client.iter_workflow_executions())
    assert [str(r.url) for r in harness.requests] == [BASE, f"{BASE}?offset=100"]


def test_an_empty_page_ends_the_iterator_even_with_a_next_link(make_harness: MakeHarness) -> None:
    """No executions but a nextLink (an offset past the end): the iteration ends instead of paging on."""
    harness = make_harness(always(200, page(next_link=f"{BASE}?offset=100")), api_key=KEY)
    assert drain(harness, harness.client.iter_workflow_executions()) == []
    assert len(harness.requests) == 1


# -- The rate limit and retries ---------------------------------------------------------------------------------------


def _limited_once(retry_after: str) -> Callable[[httpx.Request], httpx.Response]:
    sent: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        if len(sent) == 1:
            return json_response(429, {"message": "Too many requests.", "status": 429}, **{"retry-after": retry_after})
        return json_response(
            201 if request.method == "POST" else 200, page("a") if request.method == "GET" else EXECUTION
        )

    return answer


@pytest.mark.parametrize("method", ["list", "replay"])
def test_a_429_is_retried_after_its_retry_after(method: str, make_harness: MakeHarness) -> None:
    """Past Paragon's 1,000 requests per 10 minutes: a 429 with a short Retry-After is waited out and retried, the
    replay (a POST) too, since a 429 means Paragon refused it unprocessed."""
    harness = make_harness(_limited_once("0.01"), api_key=KEY)
    client = harness.client
    harness.run(client.list_workflow_executions() if method == "list" else client.replay_workflow_execution("ex-1"))
    assert len(harness.requests) == 2


def test_a_429_with_a_long_retry_after_fails_at_once(make_harness: MakeHarness) -> None:
    """A Retry-After of 10 minutes (the rate limit's window) is longer than max_retry_after: RateLimitError after
    one request, instead of a ten-minute sleep."""
    harness = make_harness(_limited_once("600"), api_key=KEY)
    with pytest.raises(RateLimitError) as caught:
        harness.run(harness.client.list_workflow_executions())
    assert caught.value.status_code == 429
    assert len(harness.requests) == 1


def test_a_replay_is_not_retried_after_a_server_error(make_harness: MakeHarness) -> None:
    """A 500 may come after the replay started: not retried (one request), while a GET is (three)."""
    harness = make_harness(always(500, {"message": "boom"}), api_key=KEY, retry=FAST)
    with pytest.raises(InternalServerError):
        harness.run(harness.client.replay_workflow_execution("ex-1"))
    assert len(harness.requests) == 1
    with pytest.raises(InternalServerError):
        harness.run(harness.client.get_workflow_execution("ex-1"))
    assert len(harness.requests) == 4


# -- Against FakeParagon ----------------------------------------------------------------------------------------------


@pytest.fixture
def fake(rsa_key: rsa.RSAPrivateKey) -> FakeParagon:
    """A FakeParagon that trusts the harness's tokens and knows the harness's API key."""
    return trusting_fake(rsa_key, api_key=KEY)


def test_task_history_on_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """Added executions and a workflow run through the API, searched with filters, paged through nextLink (250
    executions, three pages), one read with its steps, one step's output, and a replay that Task History then lists."""
    sync_workflow = fake.workflow_id("salesforce", "Sync Contacts to Salesforce")
    slack_workflow = fake.workflow_id("slack", "Send Updates to Slack")
    fake.user("user-123").connect("salesforce").connect("slack").enable_workflow(slack_workflow)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    failed = FakeStep("ACTION/REQUEST", status="FAILED", output="Error: no auth mechanism defined")
    for minute in range(250):
        fake.add_workflow_execution(
            "user-123",
            sync_workflow,
            status="FAILED" if minute % 5 == 0 else "SUCCEEDED",
            steps=[FakeStep("TRIGGER/APP_EVENT"), failed if minute % 5 == 0 else FakeStep()],
            started_at=start + dt.timedelta(minutes=minute),
        )
    harness = make_harness(fake.transport().handle_request, api_key=KEY)
    client = harness.client
    harness.run(harness.session.workflow(slack_workflow, body={"text": "hi"}))

    everything = drain(harness, client.iter_workflow_executions(sort_by="ASC"))
    assert len(everything) == 251
    assert [e.date_started for e in everything] == sorted(e.date_started for e in everything)
    assert len(harness.requests) == 1 + 3
    first = harness.run(client.list_workflow_executions(status="FAILED", before_date=start + dt.timedelta(hours=1)))
    assert first.total == 12
    assert first.next_link is None
    assert all(e.status is WorkflowExecutionStatus.FAILED for e in first.workflow_executions)
    slack_runs = harness.run(client.list_workflow_executions(integration="slack"))
    (run,) = slack_runs.workflow_executions
    assert run.workflow_id == slack_workflow
    assert run.user_id == "user-123"

    detail = harness.run(client.get_workflow_execution(first.workflow_executions[0].id))
    steps = detail.step_executions
    assert isinstance(steps, list)
    assert [s.type_ for s in steps] == ["TRIGGER/APP_EVENT", "ACTION/REQUEST"]
    assert steps[0].next_ == [steps[1].id]
    step = harness.run(client.get_step_execution(detail.id, steps[1].id))
    assert step.output == "Error: no auth mechanism defined"

    replay = harness.run(client.replay_workflow_execution(detail.id))
    assert replay.status is WorkflowExecutionStatus.EXECUTING
    assert fake.workflow_executions[-1].replay_of == detail.id
    again = harness.run(client.get_workflow_execution(replay.id))
    assert again.status is WorkflowExecutionStatus.SUCCEEDED


def test_the_fakes_rate_limit_reaches_the_caller(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """Past the fake's limit (3 per 10 minutes here), its 429's Retry-After (about 600 s) is too long to wait:
    RateLimitError, with Paragon's message."""
    fake.set_task_history_rate_limit(3, 600)
    harness = make_harness(fake.transport().handle_request, api_key=KEY)
    for _ in range(3):
        harness.run(harness.client.list_workflow_executions())
    with pytest.raises(RateLimitError) as caught:
        harness.run(harness.client.list_workflow_executions())
    assert "1,000 requests per 10 minutes" in str(caught.value)
    assert len(harness.requests) == 4


def test_the_fake_refuses_another_key_and_a_user_token(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """The wrong API key: AuthenticationError whose message says so and holds no key."""
    harness = make_harness(fake.transport().handle_request, api_key="not-the-key")
    with pytest.raises(AuthenticationError) as caught:
        harness.run(harness.client.list_workflow_executions())
    assert "API key is not valid" in str(caught.value)
    assert "not-the-key" not in str(caught.value)
