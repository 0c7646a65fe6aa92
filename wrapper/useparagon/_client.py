"""``Paragon``: the synchronous client, holding one connection pool and handing out user sessions.

This module is generated from another:
``python -m generator.unasync`` writes ``_client.py`` from ``_async_client.py``, and ``make check-generated``
fails when they differ. Edit the async module, then run ``make generate``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx

from . import _task_history
from ._base_client import FromWeb, ParagonBase, SigningKeyArgument, _wrapped_key
from ._constants import DEFAULT_LIMITS, DEFAULT_TOKEN_TTL
from ._errors import ConfigurationError
from ._events import Callback, EventHub, EventName
from ._http import SendSettings, SyncSender
from ._pool import SyncPool
from ._retry import RetryPolicy
from ._secret import Secret
from ._session import UserSession
from ._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    from useparagon_api.models import (
        StepExecutionDetail,
        WorkflowExecution,
        WorkflowExecutionDetail,
        WorkflowExecutionList,
    )

    from . import _web
    from ._calls import Call
    from ._task_history import DateArgument, ExecutionStatus, SortOrder

T = TypeVar("T")


class Paragon(ParagonBase):
    """The synchronous client. One instance holds one connection pool; share it, and its sessions, freely.

    Settings come from the arguments, else from ``PARAGON_PROJECT_ID``, ``PARAGON_SIGNING_KEY`` (PEM; a single
    line with literal ``\\n`` works) or ``PARAGON_SIGNING_KEY_PATH``, ``PARAGON_API_KEY`` (the project API key, for
    Task History) and ``PARAGON_HOST`` (self-hosted Paragon).
    An injected ``http_client`` keeps its transport (mocks, proxies, TLS settings), while this client's timeout,
    retry policy and no-redirect rule still apply to every request.
    """

    _sender: SyncSender

    def __init__(
        self,
        *,
        project_id: str | None = None,
        signing_key: SigningKeyArgument = None,
        signing_key_path: str | os.PathLike[str] | None = None,
        host: str | None = None,
        api_url: str | None = None,
        proxy_url: str | None = None,
        actionkit_url: str | None = None,
        hermes_url: str | None = None,
        sync_url: str | None = None,
        api_key: str | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        max_response_bytes: int | NotGiven | None = NOT_GIVEN,
        http_client: httpx.Client | None = None,
    ) -> None:
        key = _wrapped_key(signing_key)
        wrapped_api_key = None if api_key is None else Secret(api_key)
        del signing_key, api_key  # so no frame of a configuration error below holds a secret in a local
        super().__init__(
            project_id=project_id,
            signing_key=key,
            signing_key_path=signing_key_path,
            host=host,
            api_url=api_url,
            proxy_url=proxy_url,
            actionkit_url=actionkit_url,
            hermes_url=hermes_url,
            sync_url=sync_url,
            api_key=wrapped_api_key,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            max_response_bytes=max_response_bytes,
            events=EventHub(),
        )
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ConfigurationError(f"http_client must be an httpx.Client, got {type(http_client).__name__}")
        self._pool = SyncPool(http_client, DEFAULT_LIMITS)
        self._is_copy = False
        self._sender = self._sender_for(self._settings)

    def authenticate(
        self,
        user_id: str | None = None,
        *,
        user_token: str | None = None,
        ttl: int = DEFAULT_TOKEN_TTL,
        permissions: Mapping[str, Any] | None = None,
        **claims: Any,
    ) -> UserSession:
        """A session acting as one user: ``authenticate("user-123")`` signs (and renews) its token;
        ``authenticate(user_token="eyJ...")`` uses a token signed elsewhere. No request is made here (so it is not
        awaited, even on ``Paragon``)."""
        token = None if user_token is None else Secret(user_token)
        del user_token  # so no frame of a UserTokenError holds the token in a local
        return UserSession(
            project_id=self.project_id,
            sender=self._sender,
            token=self._token_source(user_id, token, ttl, permissions, claims),
            events=EventHub(),
            client_events=self._events,
            watchers=self._watchers,
        )

    def subscribe(self, event_name: EventName, callback: Callback) -> Callable[[], bool]:
        """Call ``callback(event, session)`` for every user's state change made through this client.

        ``AsyncParagon`` awaits a coroutine function; ``Paragon`` refuses one."""
        return self._events.subscribe(event_name, callback)

    # Verify an SDK event relayed by connect_page's page and fire this client's subscribers.
    if TYPE_CHECKING:
        handle_relayed_event = _web.handle_relayed_event
    else:
        handle_relayed_event = FromWeb("handle_relayed_event")

    # -- Task History: the project's workflow executions, with the project API key ---------------------------------

    def list_workflow_executions(
        self,
        *,
        user_id: str | None = None,
        workflow_id: str | None = None,
        integration: str | None = None,
        status: ExecutionStatus | None = None,
        after_date: DateArgument | None = None,
        before_date: DateArgument | None = None,
        sort_by: SortOrder | None = None,
        offset: int | None = None,
    ) -> WorkflowExecutionList:
        """Task History ``GET /task-history/workflow-executions``: one page (up to 100) of the project's workflow
        executions that match every filter given, newest first unless ``sort_by="ASC"``, with ``total`` and the
        ``next_link`` of the next page. ``after_date``/``before_date`` take a datetime (an aware one is sent in UTC),
        a date or ISO 8601 text. Needs the project API key (``api_key=``/``PARAGON_API_KEY``); Paragon allows 1,000
        Task History requests per 10 minutes, and a 429 is retried after its ``Retry-After`` when that is short."""
        query = _task_history.execution_query(
            user_id=user_id,
            workflow_id=workflow_id,
            integration=integration,
            status=status,
            after_date=after_date,
            before_date=before_date,
            sort_by=sort_by,
            offset=offset,
        )
        return self._send_with_api_key(_task_history.list_executions_call(self.project_id, query))

    def iter_workflow_executions(
        self,
        *,
        user_id: str | None = None,
        workflow_id: str | None = None,
        integration: str | None = None,
        status: ExecutionStatus | None = None,
        after_date: DateArgument | None = None,
        before_date: DateArgument | None = None,
        sort_by: SortOrder | None = None,
    ) -> Iterator[WorkflowExecution]:
        """Every execution ``list_workflow_executions`` matches (``for execution in ...``), page after page
        through ``nextLink``, fetched as the loop asks for them. Input is checked now. Each next page is asked for
        on the configured API host (Paragon's links name zeus.useparagon.com), so the API key goes nowhere else."""
        query = _task_history.execution_query(
            user_id=user_id,
            workflow_id=workflow_id,
            integration=integration,
            status=status,
            after_date=after_date,
            before_date=before_date,
            sort_by=sort_by,
        )
        self._require_api_key()
        return self._executions(_task_history.list_executions_call(self.project_id, query))

    def _executions(self, call: Call[WorkflowExecutionList]) -> Iterator[WorkflowExecution]:
        seen: set[str] = set()
        following: Call[WorkflowExecutionList] | None = call
        while following is not None:
            page = self._send_with_api_key(following)
            # The sync twin could `yield from`; an async generator cannot, and both come from this text.
            for execution in page.workflow_executions:  # noqa: RUF100, UP028
                yield execution
            following = _task_history.next_page_call(self.project_id, page, seen)

    def get_workflow_execution(self, execution_id: str) -> WorkflowExecutionDetail:
        """Task History ``GET /task-history/workflow-executions/{executionId}``: one execution with its steps
        (``step_executions``: type, status, timing, and the ids of the steps before and after)."""
        return self._send_with_api_key(_task_history.get_execution_call(self.project_id, execution_id))

    def get_step_execution(self, execution_id: str, step_execution_id: str) -> StepExecutionDetail:
        """Task History ``GET …/workflow-executions/{executionId}/step-executions/{stepExecutionId}``: one step's
        ``input`` and ``output`` (a failed step's output is its error)."""
        return self._send_with_api_key(_task_history.get_step_call(self.project_id, execution_id, step_execution_id))

    def replay_workflow_execution(self, execution_id: str) -> WorkflowExecution:
        """Task History ``POST …/workflow-executions/{executionId}/replay`` (beta at Paragon): run the execution
        again, with the workflow version it first ran with; returns the new execution (``EXECUTING``). Each call is
        a new run, so it is retried only when it certainly never reached Paragon."""
        return self._send_with_api_key(_task_history.replay_call(self.project_id, execution_id))

    def _send_with_api_key(self, call: Call[T]) -> T:
        return self._sender.send(call, self._require_api_key())

    def _sender_for(self, settings: SendSettings) -> SyncSender:
        return SyncSender(settings, self._pool)

    def close(self) -> None:
        """Close the connection pool (never an injected ``http_client``) and stop the watchers; later calls raise
        ``ClientClosedError``. A copy from ``with_options`` shares the pool and leaves it open."""
        if not self._is_copy:
            for watcher in list(self._watchers):
                watcher.stop()
            self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
