"""FakeParagon's Task History API: the project's workflow executions, behind the project API key.

As Paragon documents it (docs.useparagon.com/apis/task-history): pages of 100 with a ``nextLink``, the filters, one
execution with its steps, a step's input and output, replays (``201``), and 1,000 requests per 10 minutes. Choices
where Paragon is silent:
- Only the project's API key is accepted (a user token gets ``401``); another project's path gets ``404``.
- Past the rate limit: ``429`` with ``Retry-After`` (whole seconds until the oldest request of the window leaves it).
- A query parameter it does not define, a status outside the four, a date that is not ISO 8601, a negative or
  non-integer ``offset``, or a ``sortBy`` other than ``ASC``/``DESC``: ``400``.
- ``nextLink`` points at the host the request named (Paragon's name ``zeus.useparagon.com``), with the request's query
  and the next ``offset``.
- A replay answers ``EXECUTING`` and, the fake running nothing, is ``SUCCEEDED`` when read back.
- Every workflow run the fake records (a request trigger, an App Event) becomes a ``SUCCEEDED`` execution.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from useparagon_api.operations import LIST_WORKFLOW_EXECUTIONS

from ._http import ApiError, CoreRequest, Outcome, error_outcome, invalid, json_outcome
from ._model import WorkflowTrigger, stable_id
from ._state import Project
from ._store import EXECUTION_STATUSES, Execution, StepRun, TaskHistory

# Paragon's Task History answers pages of 100 executions.
PAGE_SIZE = 100
_QUERY = frozenset({"userId", "workflowId", "integration", "status", "beforeDate", "afterDate", "offset", "sortBy"})


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_moment(text: str) -> dt.datetime:
    """ISO 8601 text as an aware datetime (a date, or a datetime without a zone, is read as UTC)."""
    value = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def new_execution(
    project: Project,
    history: TaskHistory,
    *,
    user_id: str,
    workflow_id: str,
    integration: str,
    status: str,
    started: dt.datetime,
    duration_ms: int,
    steps: Iterable[tuple[str, str, str, Any, Any]],
    execution_id: str = "",
    replay_of: str | None = None,
) -> Execution:
    """Adds an execution; ``steps`` are (id, type, status, input, output), spread evenly over its duration."""
    serial = len(history.executions)
    execution_id = execution_id or stable_id("workflow-execution", project.id, str(serial))
    given = list(steps)
    span = dt.timedelta(milliseconds=duration_ms / max(len(given), 1))
    runs = []
    for index, (step_id, kind, step_status, data_in, data_out) in enumerate(given):
        start = started + span * index
        runs.append(
            StepRun(
                id=step_id or stable_id("step-execution", execution_id, str(index)),
                step_id=stable_id("workflow-step", workflow_id, kind, str(index)),
                type=kind,
                status=step_status,
                start=start,
                end=start + span,
                input=data_in,
                output=data_out,
            )
        )
    execution = Execution(
        execution_id, user_id, workflow_id, integration, status, started, duration_ms, runs, replay_of
    )
    history.executions.append(execution)
    return execution


def record_runs(project: Project, runs: Iterable[WorkflowTrigger]) -> None:
    """The workflow runs just recorded (a request trigger, an App Event), as Task History shows them."""
    history: TaskHistory = project.task_history
    for run in runs:
        workflow = project.find_workflow(run.workflow_id)
        kind = "TRIGGER/REQUEST" if run.source == "request" else "TRIGGER/APP_EVENT"
        new_execution(
            project,
            history,
            user_id=run.user_id,
            workflow_id=run.workflow_id,
            integration="" if workflow is None else workflow.integration_type,
            status="SUCCEEDED",
            started=dt.datetime.now(dt.UTC),
            duration_ms=25,
            steps=[("", kind, "SUCCEEDED", run.body, run.body)],
        )


# Rendering


def _step(execution: Execution, index: int) -> dict[str, Any]:
    runs = execution.steps
    run = runs[index]
    return {
        "id": run.id,
        "stepId": run.step_id,
        "workflowExecutionId": execution.id,
        "status": run.status,
        "type": run.type,
        "start": iso(run.start),
        "end": iso(run.end),
        "next": [runs[index + 1].id] if index + 1 < len(runs) else [],
        "prev": runs[index - 1].id if index else None,
        "inputSize": str(len(repr(run.input))),
        "outputSize": str(len(repr(run.output))),
    }


def render(execution: Execution, *, with_steps: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": execution.id,
        "userId": execution.user_id,
        "taskCount": sum(1 for run in execution.steps if not run.type.startswith("TRIGGER/")),
        "runDuration": execution.duration_ms,
        "workflowId": execution.workflow_id,
        "status": execution.status,
        "dateStarted": iso(execution.date_started),
    }
    ended = execution.date_ended
    if ended is not None:
        body["dateEnded"] = iso(ended)
    if with_steps:
        body["stepExecutions"] = [_step(execution, index) for index in range(len(execution.steps))]
    return body


# Handlers: (project, history, path params, query, request) -> Outcome, under the project's lock


Handler = Callable[[Project, TaskHistory, Mapping[str, str], httpx.QueryParams, CoreRequest], Outcome]


def list_executions(
    project: Project, history: TaskHistory, params: Mapping[str, str], query: httpx.QueryParams, request: CoreRequest
) -> Outcome:
    for name, value in query.multi_items():
        if name not in _QUERY:
            raise invalid(name[:100], "whitelistValidation", f"property {name[:100]} should not exist")
        if not value:
            raise invalid(name, "isNotEmpty", f"{name} should not be empty")
    status = query.get("status")
    if status is not None and status not in EXECUTION_STATUSES:
        raise invalid(
            "status", "isEnum", f"status must be one of the following values: {', '.join(EXECUTION_STATUSES)}"
        )
    before, after = _moment(query, "beforeDate"), _moment(query, "afterDate")
    offset = _offset(query.get("offset"))
    order = query.get("sortBy", "DESC")
    if order not in ("ASC", "DESC"):
        raise invalid("sortBy", "isEnum", "sortBy must be one of the following values: ASC, DESC")
    wanted = {"userId": "user_id", "workflowId": "workflow_id", "integration": "integration"}
    chosen = [
        e
        for e in history.executions
        if all(query.get(name) in (None, getattr(e, field)) for name, field in wanted.items())
        and status in (None, e.status)
        and (before is None or e.date_started < before)
        and (after is None or e.date_started > after)
    ]
    chosen.sort(key=lambda e: (e.date_started, e.id), reverse=order == "DESC")
    page = chosen[offset : offset + PAGE_SIZE]
    next_link = None
    if offset + PAGE_SIZE < len(chosen):
        following = [(k, v) for k, v in query.multi_items() if k != "offset"] + [("offset", str(offset + PAGE_SIZE))]
        host = request.headers.get("host", "api.useparagon.com")
        path = LIST_WORKFLOW_EXECUTIONS.path.format_map({"projectId": project.id})
        next_link = f"http://{host}{path}?{urlencode(following)}"
    body = {"workflowExecutions": [render(e) for e in page], "nextLink": next_link, "total": len(chosen)}
    return json_outcome(200, body)


def _moment(query: httpx.QueryParams, name: str) -> dt.datetime | None:
    text = query.get(name)
    if text is None:
        return None
    try:
        return parse_moment(text)
    except ValueError:
        raise invalid(name, "isISO8601", f"{name} must be a valid ISO 8601 date string") from None


def _offset(text: str | None) -> int:
    if text is None:
        return 0
    if not text.isdigit() or not text.isascii():
        raise invalid("offset", "min", "offset must be an integer not less than 0")
    return int(text)


def _execution(history: TaskHistory, params: Mapping[str, str]) -> Execution:
    execution = history.find(params["executionId"])
    if execution is None:
        raise ApiError(404, "Workflow execution not found.")
    return execution


def get_execution(
    project: Project, history: TaskHistory, params: Mapping[str, str], query: httpx.QueryParams, request: CoreRequest
) -> Outcome:
    return json_outcome(200, render(_execution(history, params), with_steps=True))


def get_step_execution(
    project: Project, history: TaskHistory, params: Mapping[str, str], query: httpx.QueryParams, request: CoreRequest
) -> Outcome:
    execution = _execution(history, params)
    run = next((r for r in execution.steps if r.id == params["stepExecutionId"]), None)
    if run is None:
        raise ApiError(404, "Step execution not found.")
    return json_outcome(200, {"isLargeInput": False, "isLargeOutput": False, "input": run.input, "output": run.output})


def replay_execution(
    project: Project, history: TaskHistory, params: Mapping[str, str], query: httpx.QueryParams, request: CoreRequest
) -> Outcome:
    original = _execution(history, params)
    replay = new_execution(
        project,
        history,
        user_id=original.user_id,
        workflow_id=original.workflow_id,
        integration=original.integration,
        status="SUCCEEDED",
        started=dt.datetime.now(dt.UTC),
        duration_ms=original.duration_ms,
        steps=[("", r.type, "SUCCEEDED", r.input, r.output) for r in original.steps],
        replay_of=original.id,
    )
    body = render(replay)
    body.update(status="EXECUTING")
    body.pop("dateEnded", None)
    body.pop("taskCount", None)
    body.pop("runDuration", None)
    return json_outcome(201, body)


OPERATIONS: dict[str, Handler] = {
    "listWorkflowExecutions": list_executions,
    "getWorkflowExecution": get_execution,
    "getStepExecution": get_step_execution,
    "replayWorkflowExecution": replay_execution,
}


def handle(project: Project, operation_id: str, params: Mapping[str, str], query: str, request: CoreRequest) -> Outcome:
    """One Task History request: the project, the API key, the rate limit, then the operation."""
    try:
        with project.lock:
            if params["projectId"] != project.id:
                raise ApiError(404, "Project not found.")
            history: TaskHistory = project.task_history
            _check_api_key(project.api_key, request.headers.get("authorization"))
            _count(history)
            return OPERATIONS[operation_id](project, history, params, httpx.QueryParams(query), request)
    except ApiError as exc:
        outcome = error_outcome(exc.status, exc.message, exc.code)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return Outcome(outcome.status, (*outcome.headers, ("Retry-After", retry_after)), outcome.body)
        return outcome


def _check_api_key(api_key: str, authorization: str | None) -> None:
    scheme, _, given = (authorization or "").strip().partition(" ")
    given = given.strip()
    if not authorization or scheme.lower() != "bearer" or not given:
        raise ApiError(401, "Unauthorized: the Task History API needs 'Authorization: Bearer <API key>'.")
    if not hmac.compare_digest(given.encode(), api_key.encode()):
        if given.count(".") == 2 and given.startswith("ey"):
            raise ApiError(401, "Unauthorized: the Task History API takes the project's API key, not a user token.")
        raise ApiError(401, "Unauthorized: the API key is not valid for this project.")


class _RateLimited(ApiError):
    def __init__(self, retry_after: str) -> None:
        super().__init__(429, "Too many requests: the Task History API allows 1,000 requests per 10 minutes.")
        self.retry_after = retry_after


def _count(history: TaskHistory) -> None:
    limit, window = history.rate_limit
    now = time.monotonic()
    times = history.request_times
    while times and times[0] <= now - window:
        times.popleft()
    if len(times) >= limit:
        raise _RateLimited(str(max(1, math.ceil(times[0] + window - now))))
    times.append(now)
