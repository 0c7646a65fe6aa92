"""Task History calls as data: the project's workflow executions, which the project API key (not a user token) reads.

Nothing here does I/O; ``AsyncParagon`` (and the generated ``Paragon``) send these calls with the API key. Paragon
answers pages of 100 executions with a ``nextLink`` whose host is ``zeus.useparagon.com`` whichever host was called:
the next page is asked for on the configured API host with that link's query, so the API key never goes to a host
an answer names.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal, TypeAlias, get_args

import attrs
import httpx
from useparagon_api.types import UNSET, Unset

from ._calls import Call, call_for, paging_error, parsed, remember_cursor
from ._errors import InvalidRequestError
from ._validation import show_input, validate_id, validate_integration_type, validate_text

if TYPE_CHECKING:
    from useparagon_api.models import (
        StepExecutionDetail,
        WorkflowExecution,
        WorkflowExecutionDetail,
        WorkflowExecutionList,
    )

ExecutionStatus: TypeAlias = Literal["EXECUTING", "FAILED", "SUCCEEDED", "DELAYED"]
"""The states Task History filters by (docs.useparagon.com/apis/task-history)."""
SortOrder: TypeAlias = Literal["ASC", "DESC"]
DateArgument: TypeAlias = "dt.datetime | dt.date | str"

_STATUSES: tuple[str, ...] = get_args(ExecutionStatus)
_SORT_ORDERS: tuple[str, ...] = get_args(SortOrder)
# A connected user's id, a workflow id: query values, so any printable text of a sane length.
# A link that keeps coming back, or a result that never ends, is a server fault, not a reason to loop forever.
MAX_EXECUTION_PAGES = 100_000


@attrs.frozen
class ExecutionQuery:
    """The filters of one Task History search, checked, with the spec's query names."""

    user_id: str | Unset = UNSET
    workflow_id: str | Unset = UNSET
    integration: str | Unset = UNSET
    status: str | Unset = UNSET
    before_date: str | Unset = UNSET
    after_date: str | Unset = UNSET
    sort_by: str | Unset = UNSET
    offset: int | Unset = UNSET


def execution_query(
    *,
    user_id: object = None,
    workflow_id: object = None,
    integration: object = None,
    status: object = None,
    after_date: object = None,
    before_date: object = None,
    sort_by: object = None,
    offset: object = None,
) -> ExecutionQuery:
    """The search's filters, each checked before any request; None leaves a filter out."""
    if status is not None and status not in _STATUSES:
        raise InvalidRequestError(f"status must be one of {', '.join(_STATUSES)}, got {show_input(status)}")
    if sort_by is not None and sort_by not in _SORT_ORDERS:
        raise InvalidRequestError(f"sort_by must be 'ASC' or 'DESC', got {show_input(sort_by)}")
    skip: int | Unset = UNSET
    if offset is not None:
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidRequestError(f"offset must be an int >= 0, got {show_input(offset)}")
        skip = offset
    after, before = _moment(after_date, "after_date"), _moment(before_date, "before_date")
    return ExecutionQuery(
        user_id=UNSET if user_id is None else validate_text(user_id, name="user_id"),
        workflow_id=UNSET if workflow_id is None else validate_text(workflow_id, name="workflow_id"),
        integration=UNSET if integration is None else validate_integration_type(integration),
        status=UNSET if status is None else str(status),
        before_date=before,
        after_date=after,
        sort_by=UNSET if sort_by is None else str(sort_by),
        offset=skip,
    )


def _moment(value: object, name: str) -> str | Unset:
    """ISO 8601 text for a date or datetime (an aware one in UTC, with ``Z``), or checked ISO 8601 text as given."""
    if value is None:
        return UNSET
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            try:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            except OverflowError:  # datetime.min at +01:00 (or max at -01:00) has no UTC form
                raise InvalidRequestError(f"{name} is out of range once converted to UTC") from None
            return value.isoformat(timespec="milliseconds") + "Z"
        # Naive: sent as written, as the docs' own examples are (2023-02-16T00:00:00).
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        try:
            dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
        except ValueError:
            raise InvalidRequestError(
                f"{name} must be a datetime, a date or ISO 8601 text such as '2023-02-22' or '2023-02-22T00:00:00Z',"
                f" got {show_input(value)}"
            ) from None
        return text
    raise InvalidRequestError(f"{name} must be a datetime, a date or ISO 8601 text, not {type(value).__name__}")


def list_executions_call(project_id: str, query: ExecutionQuery) -> Call[WorkflowExecutionList]:
    """``GET /projects/{projectId}/task-history/workflow-executions`` with the query's filters."""
    from useparagon_api.api.task_history import list_workflow_executions
    from useparagon_api.models import ListWorkflowExecutionsSortBy, WorkflowExecutionList, WorkflowExecutionStatus

    request = list_workflow_executions.build_request(
        project_id,
        user_id=query.user_id,
        workflow_id=query.workflow_id,
        integration=query.integration,
        status=UNSET if isinstance(query.status, Unset) else WorkflowExecutionStatus(query.status),
        before_date=query.before_date,
        after_date=query.after_date,
        offset=query.offset,
        sort_by=UNSET if isinstance(query.sort_by, Unset) else ListWorkflowExecutionsSortBy(query.sort_by),
    )
    parse = parsed(list_workflow_executions.parse_response, WorkflowExecutionList)
    return call_for(list_workflow_executions.OPERATION, request, parse)


def next_page_call(project_id: str, page: WorkflowExecutionList, seen: set[str]) -> Call[WorkflowExecutionList] | None:
    """The call for the page after ``page``: its ``nextLink``'s query, on the configured host; None after the last.

    A link to another path, a link given twice or an endless result is the server's fault: refused, not followed.
    """
    from useparagon_api.operations import LIST_WORKFLOW_EXECUTIONS

    link = page.next_link
    if not isinstance(link, str) or not link or not page.workflow_executions:
        return None
    expected = LIST_WORKFLOW_EXECUTIONS.path.format_map({"projectId": project_id})
    try:
        url = httpx.URL(link)
        path = url.path
    except (httpx.InvalidURL, ValueError):
        path = None
    if path is None or path.rstrip("/") != expected:
        problem = "a nextLink that is not this project's workflow-executions URL"
        raise paging_error(LIST_WORKFLOW_EXECUTIONS, problem, "iter_workflow_executions")
    # The query is what is followed (on the configured host), so it is what must not repeat, whatever host it names.
    remember_cursor(
        str(url.params),
        seen,
        limit=MAX_EXECUTION_PAGES,
        name="nextLink",
        operation=LIST_WORKFLOW_EXECUTIONS,
        iterator="iter_workflow_executions",
    )
    return attrs.evolve(list_executions_call(project_id, ExecutionQuery()), params=tuple(url.params.multi_items()))


def get_execution_call(project_id: str, execution_id: object) -> Call[WorkflowExecutionDetail]:
    """``GET …/workflow-executions/{executionId}``: the execution and its steps."""
    from useparagon_api.api.task_history import get_workflow_execution
    from useparagon_api.models import WorkflowExecutionDetail

    request = get_workflow_execution.build_request(project_id, validate_id(execution_id, name="execution_id"))
    parse = parsed(get_workflow_execution.parse_response, WorkflowExecutionDetail)
    return call_for(get_workflow_execution.OPERATION, request, parse)


def get_step_call(project_id: str, execution_id: object, step_execution_id: object) -> Call[StepExecutionDetail]:
    """``GET …/workflow-executions/{executionId}/step-executions/{stepExecutionId}``: one step's input and output."""
    from useparagon_api.api.task_history import get_step_execution
    from useparagon_api.models import StepExecutionDetail

    request = get_step_execution.build_request(
        project_id,
        validate_id(execution_id, name="execution_id"),
        validate_id(step_execution_id, name="step_execution_id"),
    )
    return call_for(
        get_step_execution.OPERATION, request, parsed(get_step_execution.parse_response, StepExecutionDetail)
    )


def replay_call(project_id: str, execution_id: object) -> Call[WorkflowExecution]:
    """``POST …/workflow-executions/{executionId}/replay``: a new run. A POST, so retried only when it certainly
    did not arrive (the transport's rule for every write)."""
    from useparagon_api.api.task_history import replay_workflow_execution
    from useparagon_api.models import WorkflowExecution

    request = replay_workflow_execution.build_request(project_id, validate_id(execution_id, name="execution_id"))
    parse = parsed(replay_workflow_execution.parse_response, WorkflowExecution)
    return call_for(replay_workflow_execution.OPERATION, request, parse)
