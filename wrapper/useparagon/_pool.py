"""The connection pools a client sends through: one per process (and, for asyncio, per event loop).

A forked child (gunicorn ``--preload``, Celery prefork, ``multiprocessing``) inherits the parent's keep-alive
sockets. Two processes reading one socket get each other's responses, so a child never touches a connection it did
not open: it gets a fresh pool, and the inherited sockets are released without writing a byte to them (no FIN, no
TLS close_notify), which would corrupt the parent's stream.

The sync pool's network backend also enforces each attempt's deadline on every connect, read and write, so a
server that drips one byte at a time cannot hold a call past its timeout. Those backends (and httpcore with them)
live in ``_backends``, imported when a pool first builds its transport.
"""

from __future__ import annotations

import contextvars
import os
import threading
from typing import TYPE_CHECKING

import httpx

from ._errors import ClientClosedError, ConfigurationError

if TYPE_CHECKING:
    import asyncio

__all__ = ["ATTEMPT_DEADLINE", "AsyncPool", "SyncPool"]

# The monotonic time by which the current attempt must finish, set by the sender around each attempt.
ATTEMPT_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "useparagon_attempt_deadline", default=None
)


def _forked_injected_client() -> ConfigurationError:
    return ConfigurationError(
        "this client's http_client= was created in another process (before a fork); its connections belong to "
        "that process. Create the Paragon client (and its http_client) in each worker process, for example in "
        "gunicorn's post_fork hook, or let Paragon own its pool (it replaces it after a fork by itself)"
    )


def _closed() -> ClientClosedError:
    return ClientClosedError("this Paragon client is closed; create a new one")


class SyncPool:
    """The ``httpx.Client`` of one ``Paragon`` (shared with its ``with_options`` copies)."""

    __slots__ = ("_client", "_closed", "_limits", "_lock", "_owned", "_pid")

    def __init__(self, injected: httpx.Client | None, limits: httpx.Limits) -> None:
        self._owned = injected is None
        self._limits = limits
        self._client = injected if injected is not None else self._new_client()
        self._pid = os.getpid()
        self._closed = False
        self._lock = threading.Lock()

    def _new_client(self) -> httpx.Client:
        from ._backends import DeadlineTransport

        return httpx.Client(transport=DeadlineTransport(self._limits), limits=self._limits)

    @property
    def client(self) -> httpx.Client:
        return self._client

    def get(self) -> httpx.Client:
        """The client to send through in this process; raises before any I/O when there is none."""
        if self._closed or self._client.is_closed:
            raise _closed()
        if self._pid != os.getpid():
            self._after_fork()
        return self._client

    def _after_fork(self) -> None:
        if not self._owned:
            raise _forked_injected_client()
        with self._lock:
            if self._pid != os.getpid():
                # The inherited sockets were released by the at-fork hook; the old pool object is just dropped.
                self._client = self._new_client()
                self._pid = os.getpid()

    def close(self) -> None:
        self._closed = True
        if self._owned and self._pid == os.getpid():
            self._client.close()


class AsyncPool:
    """The ``httpx.AsyncClient`` of one ``AsyncParagon``: one per event loop, since a connection belongs to the loop
    that opened it (one client used by two ``asyncio.run()`` calls would otherwise write a request on a socket whose
    loop is closed, then fail reading the answer)."""

    __slots__ = ("_clients", "_closed", "_injected", "_last", "_limits", "_lock", "_pid")

    def __init__(self, injected: httpx.AsyncClient | None, limits: httpx.Limits) -> None:
        self._injected = injected
        self._limits = limits
        # Loops in several threads may look up their pools at once.
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._closed = False
        # The owned pool is made now (so a config error shows at construction) and adopted by the first loop.
        self._clients: dict[asyncio.AbstractEventLoop | None, httpx.AsyncClient] = {}
        self._last: tuple[asyncio.AbstractEventLoop | None, httpx.AsyncClient] | None = None
        if injected is None:
            self._clients[None] = self._new_client()

    def _new_client(self) -> httpx.AsyncClient:
        from ._backends import TrackingAsyncTransport

        return httpx.AsyncClient(transport=TrackingAsyncTransport(self._limits), limits=self._limits)

    def get(self) -> httpx.AsyncClient:
        if self._closed:
            raise _closed()
        injected = self._injected
        if injected is not None:
            if injected.is_closed:
                raise _closed()
            if self._pid != os.getpid():
                raise _forked_injected_client()
            return injected
        import asyncio

        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0] is loop and self._pid == os.getpid():
            return last[1]
        return self._for_loop(loop)

    def _for_loop(self, loop: asyncio.AbstractEventLoop) -> httpx.AsyncClient:
        with self._lock:
            if self._pid != os.getpid():
                # The inherited sockets were released by the at-fork hook; their objects stay referenced there.
                self._clients = {}
                self._pid = os.getpid()
            clients = self._clients
            client = clients.get(loop)
            if client is None:
                # A closed loop's connections can never be used or closed again; drop them with their loop (their
                # sockets are closed when collected, with the ResourceWarning asyncio gives any unclosed transport).
                for stale in [known for known in clients if known is not None and known.is_closed()]:
                    del clients[stale]
                client = clients.pop(None, None) or self._new_client()
                clients[loop] = client
            self._last = (loop, client)
            return client

    async def aclose(self) -> None:
        import asyncio

        self._closed = True
        self._last = None
        if self._injected is not None or self._pid != os.getpid():
            return
        with self._lock:
            clients, self._clients = self._clients, {}
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for loop, client in clients.items():
            if loop is None or loop is current:
                await client.aclose()
            elif loop.is_running():
                # Another thread's loop: its pool is closed on that loop, where its connections live.
                asyncio.run_coroutine_threadsafe(client.aclose(), loop)
