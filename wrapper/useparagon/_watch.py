"""Watching a user's state for changes made elsewhere (the Connect Portal in a browser, the dashboard).

Each poll reads ``GET /sdk/integrations`` (ids, connected or not) and ``GET /sdk/me`` (workflow switches); the
difference from the previous poll becomes ``onIntegrationInstall``, ``onIntegrationUninstall`` and
``onWorkflowChange`` events for the session's and the client's subscribers. The first poll only sets the baseline.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Self

import attrs
from useparagon_api.types import Unset

from ._errors import InvalidRequestError, ParagonError
from ._logging import logger

if TYPE_CHECKING:
    from useparagon_api.models import Integration
    from useparagon_api.wire import SdkEvent

__all__ = ["AsyncWatcher", "Snapshot", "Watcher", "diff", "snapshot"]

MIN_WATCH_INTERVAL = 1.0
DEFAULT_WATCH_INTERVAL = 30.0
# stop() waits this long for a poll in flight; the thread is a daemon, so it never blocks interpreter exit.
STOP_JOIN_SECONDS = 5.0


@attrs.frozen
class _IntegrationState:
    integration_id: str
    connected: bool
    workflows: dict[str, bool]


Snapshot = dict[str, _IntegrationState]


def _workflow_switches(user: object, integration_type: str) -> dict[str, bool]:
    from useparagon_api.models import AuthenticatedUser

    if not isinstance(user, AuthenticatedUser):
        return {}
    state = user.integrations.additional_properties.get(integration_type)
    if state is None:
        return {}
    switches: dict[str, bool] = {}
    for settings in (state.configured_workflows, state.workflow_settings):
        if isinstance(settings, Unset):
            continue
        for workflow_id, value in settings.additional_properties.items():
            enabled = getattr(value, "enabled", None)
            if isinstance(enabled, bool):
                switches[workflow_id] = enabled
    return switches


def snapshot(integrations: list[Integration], user: object) -> Snapshot:
    return {
        entry.type_: _IntegrationState(entry.id, entry.has_credential is True, _workflow_switches(user, entry.type_))
        for entry in integrations
    }


def diff(before: Snapshot, after: Snapshot) -> list[SdkEvent]:
    events: list[SdkEvent] = []
    for integration_type, now in after.items():
        then = before.get(integration_type)
        if then is None:
            continue
        if now.connected and not then.connected:
            events.append(
                {
                    "type": "onIntegrationInstall",
                    "integrationId": now.integration_id,
                    "integrationType": integration_type,
                }
            )
        elif then.connected and not now.connected:
            events.append(
                {
                    "type": "onIntegrationUninstall",
                    "integrationId": now.integration_id,
                    "integrationType": integration_type,
                }
            )
        for workflow_id, enabled in sorted(now.workflows.items()):
            if then.workflows.get(workflow_id, False) != enabled:
                events.append(
                    {
                        "type": "onWorkflowChange",
                        "integrationId": now.integration_id,
                        "workflowId": workflow_id,
                        "workflowStateChange": {"enabled": enabled},
                    }
                )
    return events


def check_interval(interval: object) -> float:
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not math.isfinite(interval):
        raise InvalidRequestError(f"interval must be a number of seconds, got {type(interval).__name__}")
    if interval < MIN_WATCH_INTERVAL:
        raise InvalidRequestError(f"interval must be at least {MIN_WATCH_INTERVAL:g} s (each poll is two requests)")
    return float(interval)


class Watcher:
    """A daemon thread polling one user's state; ``stop()`` (or the client's ``close()``) ends it."""

    def __init__(self, poll: Callable[[], Snapshot], emit: Callable[[SdkEvent], None], interval: float) -> None:
        self.interval = interval
        self._poll = poll
        self._emit = emit
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        # The baseline is read here, so a change made after watch() returns is never missed (and a failure shows).
        self._last: Snapshot | None = poll()
        self.polls = 1
        self._thread = threading.Thread(target=self._run, name="useparagon-watch", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, poll: Callable[[], Snapshot], emit: Callable[[SdkEvent], None], interval: float) -> Watcher:
        """Read the baseline, then poll every ``interval`` seconds on a daemon thread."""
        return cls(poll, emit, interval)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.poll_once()

    def poll_once(self) -> list[SdkEvent]:
        """Poll now (the thread also polls every ``interval``); the events fired."""
        with self._lock:
            try:
                current = self._poll()
            except ParagonError as error:
                # A failed poll is retried at the next interval; the baseline stays as it was.
                _log_failed_poll(error, self.interval)
                return []
            events = [] if self._last is None else diff(self._last, current)
            self._last = current
            self.polls += 1
        for event in events:
            self._emit(event)
        return events

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stopping.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(STOP_JOIN_SECONDS)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Watcher(interval={getattr(self, 'interval', None)!r}, polls={getattr(self, 'polls', 0)})"


class AsyncWatcher:
    """The asyncio twin of ``Watcher``: a task on the running loop; ``await stop()`` (or ``aclose()``) ends it."""

    def __init__(
        self,
        poll: Callable[[], Awaitable[Snapshot]],
        emit: Callable[[SdkEvent], Awaitable[None]],
        interval: float,
        baseline: Snapshot,
    ) -> None:
        import asyncio

        self.interval = interval
        self._poll = poll
        self._emit = emit
        self._last: Snapshot | None = baseline
        self.polls = 1
        self._task = asyncio.get_running_loop().create_task(self._run(), name="useparagon-watch")

    @classmethod
    async def start(
        cls, poll: Callable[[], Awaitable[Snapshot]], emit: Callable[[SdkEvent], Awaitable[None]], interval: float
    ) -> AsyncWatcher:
        """Read the baseline, then poll every ``interval`` seconds in a task on the running loop."""
        return cls(poll, emit, interval, await poll())

    async def _run(self) -> None:
        import asyncio

        while True:
            await asyncio.sleep(self.interval)
            await self.poll_once()

    async def poll_once(self) -> list[SdkEvent]:
        """Poll now (the task also polls every ``interval``); the events fired."""
        try:
            current = await self._poll()
        except ParagonError as error:
            _log_failed_poll(error, self.interval)
            return []
        events = [] if self._last is None else diff(self._last, current)
        self._last = current
        self.polls += 1
        for event in events:
            await self._emit(event)
        return events

    @property
    def running(self) -> bool:
        return not self._task.done()

    async def stop(self) -> None:
        import asyncio

        self._task.cancel()
        if self._task.get_loop() is asyncio.get_running_loop():
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        return f"AsyncWatcher(interval={getattr(self, 'interval', None)!r}, polls={getattr(self, 'polls', 0)})"


def _log_failed_poll(error: ParagonError, interval: float) -> None:
    logger.warning("watching a user's state: a poll failed (%s); retrying in %.0f s", type(error).__name__, interval)
