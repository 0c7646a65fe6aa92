"""Scripted faults: latency, error statuses, dropped connections and malformed bodies, per route.

Faults on a route fire in the order they were added. Latency faults add up and let the request go on; the first
other fault that still has uses left decides the answer. ``times=None`` means every matching request, forever.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

import attrs

FaultKind = Literal["latency", "status", "drop", "html", "truncated_json", "empty_json"]
MalformedKind = Literal["html", "truncated_json", "empty_json"]
MALFORMED_KINDS: tuple[MalformedKind, ...] = ("html", "truncated_json", "empty_json")


@attrs.define
class Fault:
    """A scripted fault; ``hits`` counts the requests it hit, ``remaining`` the uses left (``None``: unlimited)."""

    route: str
    kind: FaultKind
    operation_ids: frozenset[str] = attrs.field(repr=False)
    seconds: float = 0.0
    status: int = 0
    retry_after: str | None = None
    times: int | None = 1
    hits: int = 0

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else max(self.times - self.hits, 0)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


@attrs.frozen
class FaultPlan:
    delay: float = 0.0
    terminal: Fault | None = None


def _check_times(times: int | None) -> int | None:
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError("times must be a positive int, or None for every request")
    return times


class Faults:
    """What ``FakeParagon.faults`` is: scripts faults by route (operationId, ``"METHOD /template"`` or ``"*"``)."""

    def __init__(self, lock: threading.RLock, resolve: Callable[[str], frozenset[str]]) -> None:
        self._lock = lock
        self._resolve = resolve
        self._faults: list[Fault] = []

    def __repr__(self) -> str:
        return f"Faults({self.pending!r})"

    @property
    def pending(self) -> list[Fault]:
        """The faults that still have uses left, in firing order."""
        with self._lock:
            return [fault for fault in self._faults if not fault.exhausted]

    def latency(self, route: str, seconds: float, *, times: int | None = 1) -> Fault:
        """Delay the answer by ``seconds``. In process, a delay beyond the read timeout raises ``ReadTimeout``."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        return self._add(route, "latency", times, seconds=float(seconds))

    def status(
        self, route: str, status: int, *, retry_after: float | str | None = None, times: int | None = 1
    ) -> Fault:
        """Answer ``status`` (e.g. 429, 500, 503) with Paragon's error body; ``retry_after`` sets ``Retry-After``."""
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("status must be an int from 400 to 599")
        header = None
        if retry_after is not None:
            header = retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
        return self._add(route, "status", times, status=status, retry_after=header)

    def drop(self, route: str, *, times: int | None = 1) -> Fault:
        """Close the connection without answering (in process: ``httpx.RemoteProtocolError``)."""
        return self._add(route, "drop", times)

    def malformed(self, route: str, kind: MalformedKind = "html", *, times: int | None = 1) -> Fault:
        """A broken body: ``"html"`` (a load balancer's 502 page), ``"truncated_json"`` (the real answer cut in
        half, the request having been processed) or ``"empty_json"`` (200, JSON content type, no bytes)."""
        if kind not in MALFORMED_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MALFORMED_KINDS)}")
        return self._add(route, kind, times)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, operation_id: str) -> FaultPlan:
        """Consumes the faults that fire for one request to ``operation_id``."""
        with self._lock:
            delay = 0.0
            for fault in self._faults:
                if fault.exhausted or operation_id not in fault.operation_ids:
                    continue
                fault.hits += 1
                if fault.kind != "latency":
                    return FaultPlan(delay, fault)
                delay += fault.seconds
            return FaultPlan(delay)

    def _add(
        self,
        route: str,
        kind: FaultKind,
        times: int | None,
        *,
        seconds: float = 0.0,
        status: int = 0,
        retry_after: str | None = None,
    ) -> Fault:
        operation_ids = self._resolve(route)
        fault = Fault(route, kind, operation_ids, seconds, status, retry_after, _check_times(times))
        with self._lock:
            self._faults.append(fault)
        return fault
