"""Reading a response body as a stream, against a size cap that counts decompressed bytes.

httpx's own decoders inflate a whole network chunk at once (a 64 KiB gzip chunk can become 64 MiB), and
``response.read()`` keeps whatever arrives. Here every ``zlib`` call is bounded with ``max_length``, so a body
that inflates without end costs at most the cap plus one piece before reading stops.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import AsyncGenerator, Iterable, Iterator
from contextlib import aclosing
from typing import cast

import httpx

__all__ = ["BodyTooLarge", "DecodedChunks", "read_body", "read_body_async"]

# Each inflate step yields at most this much, whatever the compression ratio.
_PIECE = 64 * 1024
_GZIP_WBITS = zlib.MAX_WBITS | 16
_GZIP_MAGIC = b"\x1f\x8b"


class BodyTooLarge(Exception):
    """Internal: the decoded body passed the limit (the sender turns this into a ParagonError)."""


class _Inflater:
    """One ``gzip`` or ``deflate`` layer; deflate bodies are zlib-wrapped or raw, as servers disagree."""

    __slots__ = ("_finished", "_gzip", "_raw_fallback", "_zlib")

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._finished = False
        self._raw_fallback = not gzip
        self._zlib = zlib.decompressobj(_GZIP_WBITS if gzip else zlib.MAX_WBITS)

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._finished:
            return
        while data:
            try:
                out = self._zlib.decompress(data, _PIECE)
            except zlib.error as error:
                if not self._raw_fallback:
                    raise httpx.DecodingError(f"the response body is not valid {self._name}: {error}") from None
                self._raw_fallback = False
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_fallback = False
            data = self._zlib.unconsumed_tail
            if out:
                yield out
            if self._zlib.eof:
                data = self._zlib.unused_data
                # A gzip body may be several members back to back; anything else after the end (padding, junk) is
                # ignored, as httpx and gzip(1) do.
                if not (self._gzip and data.startswith(_GZIP_MAGIC)):
                    self._finished = True
                    return
                self._zlib = zlib.decompressobj(_GZIP_WBITS)

    def flush(self) -> Iterator[bytes]:
        if self._finished:
            return
        rest = self._zlib.flush()
        if rest:
            yield rest

    @property
    def _name(self) -> str:
        return "gzip" if self._gzip else "deflate"


def _layers(headers: httpx.Headers) -> list[_Inflater]:
    # Content-Encoding lists codings in the order they were applied, so they are undone last to first. Codings
    # this client does not ask for (it sends Accept-Encoding: gzip, deflate) pass through as bytes, as in httpx.
    layers: list[_Inflater] = []
    for value in headers.get_list("content-encoding", split_commas=True):
        coding = value.strip().lower()
        if coding in ("gzip", "x-gzip"):
            layers.append(_Inflater(gzip=True))
        elif coding == "deflate":
            layers.append(_Inflater(gzip=False))
    layers.reverse()
    return layers


def _split(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), _PIECE):
        yield data[start : start + _PIECE]


def _through(layer: _Inflater, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from layer.decode(piece)


def _flushed(layers: list[_Inflater]) -> Iterator[bytes]:
    for index, layer in enumerate(layers):
        pieces: Iterable[bytes] = layer.flush()
        for later in layers[index + 1 :]:
            pieces = _through(later, pieces)
        yield from pieces


class DecodedChunks:
    """Turns raw network chunks into decoded pieces of at most 64 KiB, checking the limit and the deadline."""

    __slots__ = ("_deadline", "_layers", "_limit", "total")

    def __init__(self, headers: httpx.Headers, limit: int | None, deadline: float | None) -> None:
        self._layers = _layers(headers)
        self._limit = limit
        self._deadline = deadline
        self.total = 0

    def feed(self, raw: bytes) -> Iterator[bytes]:
        # Sockets deliver at most 64 KiB a read; an in-memory stream may hand over more at once.
        pieces: Iterable[bytes] = (raw,) if len(raw) <= _PIECE else _split(raw)
        for layer in self._layers:
            pieces = _through(layer, pieces)
        yield from self._counted(pieces)
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise httpx.ReadTimeout("the deadline passed while the body was arriving")

    def finish(self) -> Iterator[bytes]:
        yield from self._counted(_flushed(self._layers))

    def _counted(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        limit = self._limit
        for piece in pieces:
            self.total += len(piece)
            yield piece
            # After the yield, so a caller that truncates keeps the piece that crossed the limit.
            if limit is not None and self.total > limit:
                raise BodyTooLarge


def _already_read(response: httpx.Response, limit: int | None, truncate: bool) -> bytes | None:
    # In-memory transports (httpx.MockTransport, FakeParagon's) hand over responses that are already read.
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return None
    if limit is not None and len(content) > limit and not truncate:
        raise BodyTooLarge
    return content


def _keep(response: httpx.Response, parts: list[bytes]) -> bytes:
    content = b"".join(parts)
    # What httpx's own read() does, so .content, .text and .json() (and the generated parsers) see the body.
    response._content = content
    return content


def read_body(response: httpx.Response, limit: int | None, deadline: float | None, *, truncate: bool = False) -> bytes:
    """The decoded body, and the response closed. Past ``limit`` it raises ``BodyTooLarge``, or with ``truncate``
    stops reading and returns what it has: then ``len(result) > limit`` tells the body was cut."""
    try:
        content = _already_read(response, limit, truncate)
        if content is not None:
            return content
        chunks = DecodedChunks(response.headers, limit, deadline)
        parts: list[bytes] = []
        try:
            for raw in response.iter_raw():
                parts.extend(chunks.feed(raw))
            parts.extend(chunks.finish())
        except BodyTooLarge:
            if not truncate:
                raise
        return _keep(response, parts)
    finally:
        response.close()


async def read_body_async(
    response: httpx.Response, limit: int | None, deadline: float | None, *, truncate: bool = False
) -> bytes:
    try:
        content = _already_read(response, limit, truncate)
        if content is not None:
            return content
        chunks = DecodedChunks(response.headers, limit, deadline)
        parts: list[bytes] = []
        try:
            # Closed here, not by the garbage collector: an error's traceback can keep the generator alive past the
            # event loop, and then its finalizer runs on a closed loop.
            async with aclosing(cast("AsyncGenerator[bytes, None]", response.aiter_raw())) as raw_chunks:
                async for raw in raw_chunks:
                    parts.extend(chunks.feed(raw))
            parts.extend(chunks.finish())
        except BodyTooLarge:
            if not truncate:
                raise
        return _keep(response, parts)
    finally:
        await response.aclose()
