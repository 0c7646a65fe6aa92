"""Subscriptions to SDK events (``onIntegrationUninstall``…), per client and per user session."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_args

from ._errors import InvalidRequestError
from ._logging import logger

if TYPE_CHECKING:
    from useparagon_api.wire import SdkEvent

EventName: TypeAlias = Literal[
    "onIntegrationInstall", "onIntegrationUninstall", "onWorkflowChange", "onPortalOpen", "onPortalClose"
]
EVENT_NAMES: tuple[str, ...] = get_args(EventName)

Callback: TypeAlias = Callable[["SdkEvent", Any], object]
AsyncCallback: TypeAlias = Callable[["SdkEvent", Any], object | Awaitable[object]]


class EventHub:
    """Callbacks by event name. ``subscribe`` returns an idempotent unsubscribe function, as the JS SDK does."""

    # The sync client cannot await: it refuses coroutine functions up front.
    allows_async = False

    def __init__(self) -> None:
        self._callbacks: dict[str, list[AsyncCallback]] = {name: [] for name in EVENT_NAMES}
        self._lock = threading.Lock()

    def subscribe(self, event_name: object, callback: AsyncCallback) -> Callable[[], bool]:
        if not isinstance(event_name, str) or event_name not in self._callbacks:
            raise InvalidRequestError(f"unknown event {event_name!r}; subscribe to one of: {', '.join(EVENT_NAMES)}")
        if not callable(callback):
            raise InvalidRequestError(f"callback must be callable, got {type(callback).__name__}")
        if not self.allows_async and inspect.iscoroutinefunction(callback):
            raise InvalidRequestError("the sync Paragon client cannot await an async callback; use AsyncParagon")
        with self._lock:
            self._callbacks[event_name].append(callback)

        def unsubscribe() -> bool:
            """Stop this callback; True if it was still subscribed."""
            with self._lock:
                callbacks = self._callbacks[event_name]
                if callback in callbacks:
                    callbacks.remove(callback)
                    return True
                return False

        return unsubscribe

    def listening(self, event_name: str) -> bool:
        return bool(self._callbacks[event_name])

    def snapshot(self, event_name: str) -> list[AsyncCallback]:
        with self._lock:
            return list(self._callbacks[event_name])


class AsyncEventHub(EventHub):
    """The async client's hub: callbacks may be coroutine functions, awaited in order."""

    allows_async = True


def deliver(hubs: tuple[EventHub, ...], event: SdkEvent, user: Any) -> None:
    """Run every sync callback (the sync client's delivery)."""
    discard(emit(hubs, event, user), event["type"])


async def adeliver(hubs: tuple[EventHub, ...], event: SdkEvent, user: Any) -> None:
    """Run every callback and await the async ones (the async client's delivery)."""
    await settle(emit(hubs, event, user), event["type"])


def emit(hubs: tuple[EventHub, ...], event: SdkEvent, user: Any) -> list[Awaitable[object]]:
    """Run every callback; return the awaitables that async callbacks produced (the async client awaits them).

    A callback that raises is logged and skipped: the state change it reports already happened at Paragon.
    """
    pending: list[Awaitable[object]] = []
    for hub in hubs:
        for callback in hub.snapshot(event["type"]):
            try:
                result = callback(event, user)
            except Exception:
                logger.exception("a %s subscriber raised; the other subscribers still run", event["type"])
                continue
            if inspect.isawaitable(result):
                pending.append(result)
    return pending


async def settle(pending: list[Awaitable[object]], event_name: str) -> None:
    for awaitable in pending:
        try:
            await awaitable
        except Exception:
            logger.exception("a %s subscriber raised; the other subscribers still run", event_name)


def discard(pending: list[Awaitable[object]], event_name: str) -> None:
    """The sync client cannot await: close what an async callback returned and say so."""
    for awaitable in pending:
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()
        logger.warning(
            "a %s subscriber is async; the sync Paragon client cannot await it (use AsyncParagon)", event_name
        )
