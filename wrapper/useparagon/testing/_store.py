"""FakeParagon's state for the APIs beyond the SDK: Task History's executions, Managed Sync's syncs and what they sync.

Plain data, guarded by the project's lock like the rest of ``Project``; ``_task_history`` and ``_managed_sync`` serve
it, ``FakeParagon`` and ``FakeUser`` set it up.
"""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any, Literal

import attrs

# Task History allows 1,000 requests per 10 minutes (docs.useparagon.com/apis/task-history); the fake enforces it,
# and the client rides a 429 out with its Retry-After like any other.
TASK_HISTORY_RATE_LIMIT = (1000, 600.0)

SyncStatus = Literal["INITIALIZING", "ACTIVE", "IDLE", "DISABLED", "ERRORED"]
SYNC_STATUSES: tuple[SyncStatus, ...] = ("INITIALIZING", "ACTIVE", "IDLE", "DISABLED", "ERRORED")
ExecutionStatus = Literal["EXECUTING", "FAILED", "SUCCEEDED", "DELAYED"]
EXECUTION_STATUSES: tuple[ExecutionStatus, ...] = ("EXECUTING", "FAILED", "SUCCEEDED", "DELAYED")
PermissionRole = Literal["can_read", "can_write", "is_owner"]
# Each role and the roles it includes: an owner may write, a writer may read (inferred, as ReBAC models usually are).
ROLE_INCLUDES: dict[str, frozenset[str]] = {
    "can_read": frozenset({"can_read"}),
    "can_write": frozenset({"can_read", "can_write"}),
    "is_owner": frozenset({"can_read", "can_write", "is_owner"}),
}


@attrs.frozen
class FakeStep:
    """A step of a workflow execution, for ``FakeParagon.add_workflow_execution``: its ``type`` as Task History names
    it (``"TRIGGER/CRON"``, ``"ACTION/REQUEST"``…), its status, and the ``input``/``output`` that Get a step
    answers (a failed step's output is usually its error message). ``id`` defaults to a uuid5."""

    type: str = "ACTION/REQUEST"
    status: ExecutionStatus = "SUCCEEDED"
    input: Any = attrs.Factory(dict)
    output: Any = attrs.Factory(dict)
    id: str = ""


@attrs.define
class StepRun:
    id: str
    step_id: str
    type: str
    status: str
    start: dt.datetime
    end: dt.datetime
    input: Any
    output: Any


@attrs.define
class Execution:
    id: str
    user_id: str
    workflow_id: str
    integration: str
    status: str
    date_started: dt.datetime
    duration_ms: int
    steps: list[StepRun]
    replay_of: str | None = None

    @property
    def date_ended(self) -> dt.datetime | None:
        if self.status in ("EXECUTING", "DELAYED"):
            return None
        return self.date_started + dt.timedelta(milliseconds=self.duration_ms)


@attrs.frozen
class ExecutionRecord:
    """A workflow execution the fake's Task History knows (``FakeParagon.workflow_executions``): one added by a test,
    one made when a workflow ran (a request trigger, an App Event), or a replay (``replay_of`` names the original)."""

    id: str
    user_id: str
    workflow_id: str
    integration: str
    status: str
    date_started: str
    replay_of: str | None = None


class TaskHistory:
    def __init__(self) -> None:
        self.executions: list[Execution] = []
        # Task History's documented limit (requests, seconds), counted over a sliding window of request times.
        self.rate_limit: tuple[int, float] = TASK_HISTORY_RATE_LIMIT
        self.request_times: collections.deque[float] = collections.deque()

    def find(self, execution_id: str) -> Execution | None:
        return next((e for e in self.executions if e.id == execution_id), None)


@attrs.define
class Sync:
    id: str
    user_id: str
    integration: str
    pipeline: str
    credential_id: str
    configuration: dict[str, Any]
    configuration_name: str | None
    status: str
    date_created: str
    date_updated: str
    last_synced_at: str | None = None
    reason: str | None = None


@attrs.define
class SyncedFile:
    content: bytes = attrs.field(repr=False)
    content_type: str


class SyncStore:
    def __init__(self) -> None:
        self.syncs: dict[str, Sync] = {}
        # What each user's account holds, as a sync of (integration, pipeline) normalizes it: records in sync order.
        self.records: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        # File contents by (user id, integration, record id).
        self.files: dict[tuple[str, str, str], SyncedFile] = {}
        # The source's permissions by (user id, integration): object id -> person's email -> role.
        self.grants: dict[tuple[str, str], dict[str, dict[str, str]]] = {}

    def records_of(self, sync: Sync) -> list[dict[str, Any]]:
        return self.records.get((sync.user_id, sync.integration, sync.pipeline), [])
