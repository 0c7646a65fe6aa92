"""The connection pools a client sends through: one per process (and, for asyncio, per event loop).

A forked child (gunicorn ``--preload``, Celery prefork, ``multiprocessing``) inherits the parent's keep-alive
sockets. Two processes reading one socket get each other's responses, so a child never touches a connection it did
not open: it gets a fresh pool, and the inherited sockets are released without writing a byte to them (no FIN, no
TLS close_notify), which would corrupt the parent's stream.

The sync pool's network backend also enforces each attempt's deadline on every connect, read and write, so a
server that drips one byte at a time cannot hold a call past its timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Iterable
from typing import Any, ClassVar

import httpcore
import httpx

from ._errors import ClientClosedError, ConfigurationError

__all__ = ["ATTEMPT_DEADLINE", "AsyncPool", "SyncPool"]

# The monotonic time by which the current attempt must finish, set by the sender around each attempt.
ATTEMPT_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "useparagon_attempt_deadline", default=None
)

# What a forked child inherited from its parent's async pools: their descriptors are closed, and the objects are
# kept referenced so that garbage collection never runs a transport finaliser on them.
_INHERITED: list[object] = []


def _budget(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    deadline = ATTEMPT_DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the attempt's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    __slots__ = ("_inner",)

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _budget(timeout, httpcore.ConnectTimeout))
        return _DeadlineBackend.track(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    def release_without_writing(self) -> None:
        sock = self._inner.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            # detach() forgets the descriptor without a shutdown or TLS alert; os.close() then drops this
            # process's reference alone, so the peer sees nothing while the parent still holds the socket.
            fd = sock.detach()
            if fd >= 0:
                os.close(fd)


class _DeadlineBackend(httpcore.NetworkBackend):
    # Every stream ever opened by this process's pools, so a forked child can release the inherited ones.
    streams: ClassVar[weakref.WeakSet[_DeadlineStream]] = weakref.WeakSet()

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    @classmethod
    def track(cls, inner: httpcore.NetworkStream) -> _DeadlineStream:
        stream = _DeadlineStream(inner)
        cls.streams.add(stream)
        return stream

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        budget = _budget(timeout, httpcore.ConnectTimeout)
        return self.track(self._inner.connect_tcp(host, port, budget, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        budget = _budget(timeout, httpcore.ConnectTimeout)
        return self.track(self._inner.connect_unix_socket(path, budget, socket_options))

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _pool_settings(limits: httpx.Limits) -> dict[str, Any]:
    # What httpx.HTTPTransport would give its pool by default: verified TLS and the limits.
    return {
        "ssl_context": httpx.create_ssl_context(),
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport over a pool whose sockets honour ``ATTEMPT_DEADLINE``."""

    def __init__(self, limits: httpx.Limits) -> None:
        # httpx.HTTPTransport offers no network_backend argument; its handle_request and close only use _pool.
        self._pool = httpcore.ConnectionPool(network_backend=_DeadlineBackend(), **_pool_settings(limits))


class _TrackingAsyncBackend(httpcore.AsyncNetworkBackend):
    """anyio's backend, remembering every stream it opens so that a forked child can release the inherited ones."""

    streams: ClassVar[weakref.WeakSet[httpcore.AsyncNetworkStream]] = weakref.WeakSet()

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        self.streams.add(stream)
        return stream

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        self.streams.add(stream)
        return stream

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _TrackingAsyncTransport(httpx.AsyncHTTPTransport):
    def __init__(self, limits: httpx.Limits) -> None:
        self._pool = httpcore.AsyncConnectionPool(network_backend=_TrackingAsyncBackend(), **_pool_settings(limits))


def _release_inherited_streams() -> None:
    sync_streams = list(_DeadlineBackend.streams)
    _DeadlineBackend.streams = weakref.WeakSet()
    for sync_stream in sync_streams:
        sync_stream.release_without_writing()
    # An asyncio transport cannot give up its socket, so the child closes its copy of each descriptor (nothing is
    # written: the parent still holds the socket) and keeps the transports referenced for good, so that no
    # finaliser ever closes that descriptor number again once it is reused.
    inherited = list(_TrackingAsyncBackend.streams)
    _TrackingAsyncBackend.streams = weakref.WeakSet()
    _INHERITED.append(inherited)
    released: set[int] = set()
    for stream in inherited:
        sock = stream.get_extra_info("socket")
        fd = sock.fileno() if sock is not None else -1
        if fd >= 0 and fd not in released:
            released.add(fd)
            with contextlib.suppress(OSError):
                os.close(fd)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_release_inherited_streams)


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
        return httpx.Client(transport=_DeadlineTransport(self._limits), limits=self._limits)

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
        return httpx.AsyncClient(transport=_TrackingAsyncTransport(self._limits), limits=self._limits)

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
