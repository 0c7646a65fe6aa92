"""Proxied responses read as they arrive: ``with user.stream(...) as download: for chunk in download.iter_bytes()``.

No size cap applies (that is the point), but the deadline rules do: every read must finish within the attempt's
timeout and the call's total deadline, counted from when the request was sent.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Iterator
from types import TracebackType
from typing import Any, Self, cast

import httpx

from ._body import DecodedChunks
from ._errors import APIError
from ._pool import ATTEMPT_DEADLINE

__all__ = ["AsyncStreamContext", "AsyncStreamedResponse", "StreamContext", "StreamedResponse"]


class _StreamBase:
    __slots__ = ("_chunks", "_ends", "_map_error", "_response", "headers", "status_code")

    def __init__(self, response: httpx.Response, ends: float, map_error: Callable[[httpx.HTTPError], APIError]) -> None:
        self._response = response
        self._ends = ends
        self._map_error = map_error
        self._chunks = DecodedChunks(response.headers, None, ends)
        self.status_code = response.status_code
        self.headers = response.headers

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{getattr(self, 'status_code', '?')}]>"


class StreamedResponse(_StreamBase):
    """A provider's response whose body has not been read yet. Close it (or leave the ``with`` block)."""

    __slots__ = ()

    def iter_bytes(self) -> Iterator[bytes]:
        """The body, decompressed, in pieces of at most 64 KiB as they arrive."""
        raw_chunks = self._response.iter_raw()
        try:
            while True:
                outer = ATTEMPT_DEADLINE.set(self._ends)
                try:
                    raw = next(raw_chunks, None)
                finally:
                    ATTEMPT_DEADLINE.reset(outer)
                if raw is None:
                    break
                yield from self._chunks.feed(raw)
            yield from self._chunks.finish()
        except httpx.HTTPError as error:
            raise self._map_error(error) from None
        finally:
            self._response.close()

    def read(self) -> bytes:
        """The whole body at once (it has no size cap here: prefer iterating for large downloads)."""
        return b"".join(self.iter_bytes())

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class AsyncStreamedResponse(_StreamBase):
    """The async twin of ``StreamedResponse``."""

    __slots__ = ("_reading",)

    def __init__(self, response: httpx.Response, ends: float, map_error: Callable[[httpx.HTTPError], APIError]) -> None:
        super().__init__(response, ends, map_error)
        self._reading: AsyncGenerator[bytes, None] | None = None

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        # Kept so that leaving ``async with`` closes a loop left by ``break`` or an error: Python closes an abandoned
        # async generator only when it is garbage, and that may be after the event loop has closed.
        self._reading = self._pieces()
        return self._reading

    async def _pieces(self) -> AsyncGenerator[bytes, None]:
        import asyncio

        raw_chunks = cast("AsyncGenerator[bytes, None]", self._response.aiter_raw())
        try:
            while True:
                loop = asyncio.get_running_loop()
                try:
                    async with asyncio.timeout_at(loop.time() + (self._ends - time.monotonic())):
                        raw = await anext(raw_chunks, None)
                except TimeoutError:
                    raise httpx.ReadTimeout("the deadline passed while the body was arriving") from None
                if raw is None:
                    break
                for piece in self._chunks.feed(raw):
                    yield piece
            for piece in self._chunks.finish():
                yield piece
        except httpx.HTTPError as error:
            raise self._map_error(error) from None
        finally:
            await raw_chunks.aclose()
            await self._response.aclose()

    async def read(self) -> bytes:
        return b"".join([piece async for piece in self.aiter_bytes()])

    async def aclose(self) -> None:
        if self._reading is not None:
            await self._reading.aclose()
        await self._response.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()


class StreamContext:
    """What ``UserSession.stream(...)`` returns: the request is sent when the ``with`` block is entered."""

    __slots__ = ("_open", "_response")

    def __init__(self, open_stream: Callable[[], StreamedResponse]) -> None:
        self._open = open_stream
        self._response: StreamedResponse | None = None

    def __enter__(self) -> StreamedResponse:
        self._response = self._open()
        return self._response

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._response is not None:
            self._response.close()


class AsyncStreamContext:
    """What ``AsyncUserSession.stream(...)`` returns, for ``async with``."""

    __slots__ = ("_open", "_response")

    def __init__(self, open_stream: Callable[[], Coroutine[Any, Any, AsyncStreamedResponse]]) -> None:
        self._open = open_stream
        self._response: AsyncStreamedResponse | None = None

    async def __aenter__(self) -> AsyncStreamedResponse:
        self._response = await self._open()
        return self._response

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._response is not None:
            await self._response.aclose()
