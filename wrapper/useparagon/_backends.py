"""The network backends under the pools of ``_pool``: imported when a pool first builds its transport.

httpcore (and, through it, anyio) loads with the first transport rather than with ``import useparagon``, as it does
for httpx itself. The sync backend enforces each attempt's deadline (``ATTEMPT_DEADLINE``) on every connect, read
and write; both backends remember the streams they open so that a forked child can release the inherited ones
without writing a byte to them (see ``_pool``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import ssl
import time
import weakref
from collections.abc import Iterable
from typing import Any, ClassVar

import httpcore
import httpx

from ._pool import ATTEMPT_DEADLINE

__all__ = ["DeadlineTransport", "TrackingAsyncTransport"]

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


@functools.cache
def _verified_tls() -> ssl.SSLContext:
    # Loading the CA bundle costs about 50 ms of CPU, which httpx pays for every client it makes; one context serves
    # every pool (the only change httpcore makes to it, ALPN set to HTTP/1.1 on each connection, is the same for all).
    return httpx.create_ssl_context()


def _pool_settings(limits: httpx.Limits) -> dict[str, Any]:
    # What httpx.HTTPTransport would give its pool by default: verified TLS and the limits.
    return {
        "ssl_context": _verified_tls(),
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }


class DeadlineTransport(httpx.HTTPTransport):
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


class TrackingAsyncTransport(httpx.AsyncHTTPTransport):
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
