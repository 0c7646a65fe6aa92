"""Memory under hostile response bodies, measured, not assumed: a gigabyte, a gzip bomb, a gigabyte error body.

The raw loopback server (tests/rawserver.py, threads in this process) streams each body from one repeated buffer,
so the server itself stays small; the client runs in a subprocess (tests/memclient.py) that measures its own peak
RSS (``ru_maxrss``) after a warm-up call and again after the hostile call. Before bodies were read as a stream
against ``max_response_bytes``, ``response.read()`` kept the whole body (then a copy of it): gigabytes for each case
below. Now the client stops at the cap (32 MiB, counted after decompression) or, for an error, at 1 MiB, and hangs
up; the bounds are generous because the machines running this are shared.

``stream()`` is the way to download something large: 300 MB go through it with a small, flat peak.
"""

from __future__ import annotations

import asyncio
import json
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import AsyncParagon, InternalServerError, Paragon, ResponseTooLargeError
from useparagon._constants import DEFAULT_MAX_RESPONSE_BYTES, MAX_ERROR_BODY_BYTES

from tests.memclient import CallSpec, Spec
from tests.rawserver import MAX_SECONDS, Connection, RawServer, Request, raw_server
from tests.support import PROJECT_ID

ROOT = Path(__file__).resolve().parent.parent
FLAVORS = ["sync", "async"]

PIECE = 64 * 1024
GIGABYTE = 1_000_000_000
DOWNLOAD_BYTES = 300_000_000
FORTY_MB = 40_000_000
GZIP_BOMB_INFLATED = 1 << 30  # 1 GiB of zeros
# Peak RSS growth allowed for a call that must stop at the 32 MiB cap (or the 1 MiB error cap): the old code
# needed more than a gigabyte, so even a loaded machine's noise cannot blur the difference.
CAPPED_BOUND_MIB = 150
# For stream(): pieces are handed out and dropped, so the peak must not follow the 300 MB downloaded.
STREAM_BOUND_MIB = 100
# A subprocess that has not answered by then is stuck (a healthy one takes a few seconds).
CHILD_TIMEOUT = 120


@attrs.define
class Pumped:
    """What the server sent for one response, and why it stopped: "complete", "client left" or "stopped"."""

    sent: int = 0
    crc32: int = 0
    outcome: str = ""
    done: threading.Event = attrs.field(factory=threading.Event)


def head(
    status: int, length: int, content_type: str = "application/json", extra: dict[str, str] | None = None
) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", f"Content-Length: {length}"]
    lines += [f"{name}: {value}" for name, value in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def body_pieces(total: int, prefix: bytes = b"", suffix: bytes = b"", fill: bytes = b"a") -> Iterator[bytes]:
    """``total`` bytes, ``prefix`` + ``fill`` repeated + ``suffix``, in pieces of 64 KiB cut from one buffer."""
    block = (fill * (PIECE // len(fill) + 1))[:PIECE]
    yield prefix
    left = total - len(prefix) - len(suffix)
    while left > 0:
        size = min(left, PIECE)
        yield block if size == PIECE else block[:size]
        left -= size
    yield suffix


def pump(connection: Connection, response_head: bytes, pieces: Iterable[bytes], record: Pumped) -> None:
    """Send a response piece by piece until it is complete, the client hangs up or the server stops."""
    started = time.monotonic()
    try:
        if not connection.send(response_head):
            record.outcome = "client left"
            return
        for piece in pieces:
            if connection.server.stopping.is_set() or time.monotonic() - started > MAX_SECONDS:
                record.outcome = "stopped"
                return
            if not connection.send(piece):
                record.outcome = "client left"
                return
            record.sent += len(piece)
            record.crc32 = zlib.crc32(piece, record.crc32)
        record.outcome = "complete"
    finally:
        record.done.set()


def serve(server: RawServer, name: str, response_head: bytes, make_pieces: Callable[[], Iterable[bytes]]) -> Pumped:
    """Answer requests whose last path segment is ``name`` with ``response_head`` then ``make_pieces()``."""
    record = Pumped()

    def behaviour(connection: Connection, _request: Request) -> None:
        pump(connection, response_head, make_pieces(), record)

    server.on(name, behaviour)
    return record


@attrs.frozen
class GzipBomb:
    data: bytes
    build_seconds: float


@pytest.fixture(scope="session")
def gzip_bomb() -> GzipBomb:
    """One gzip member that inflates to 1 GiB of zeros (about 1 MB compressed; built once, in about half a second).

    Deflating the whole gibibyte took 6 s of CPU per run. After a full flush a deflate stream starts afresh, so the
    compressed form of one MiB of zeros, flushed so, repeats verbatim: deflate one MiB, repeat it, then the final
    block and the gzip trailer (CRC-32 and length of the inflated whole).
    """
    started = time.perf_counter()
    block = bytes(1 << 20)
    repeats = GZIP_BOMB_INFLATED >> 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    flushed_block = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(repeats):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # gzip, deflate, no flags or mtime, best compression, any OS
    trailer = struct.pack("<II", crc, GZIP_BOMB_INFLATED % 2**32)
    data = header + flushed_block * repeats + compressor.flush() + trailer
    return GzipBomb(data, time.perf_counter() - started)


@pytest.fixture
def server() -> Iterator[RawServer]:
    with raw_server() as running:
        yield running


def request_call(path: str, integration: str = "salesforce") -> CallSpec:
    return {"mode": "request", "integration": integration, "path": path}


def run_client(
    server: RawServer,
    pem: str,
    flavor: str,
    call: CallSpec,
    *,
    warm_up: CallSpec | None = None,
    follow_up: CallSpec | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Run tests/memclient.py against ``server``: its JSON report (outcome and peak RSS growth of ``call``)."""
    spec: Spec = {
        "url": server.url,
        "pem": pem,
        "flavor": flavor,
        "options": options,
        "warm_up": warm_up or request_call("objects/ok"),
        "call": call,
        "follow_up": follow_up,
    }
    finished = subprocess.run(
        [sys.executable, "-m", "tests.memclient"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    report: dict[str, Any] = json.loads(finished.stdout)
    return report


def test_the_gzip_bomb_inflates_to_a_gibibyte(gzip_bomb: GzipBomb, record_property: Any) -> None:
    """The bomb is what it claims: one gzip member, about a thousandth of its inflated size, whose trailer says
    1 GiB (ISIZE); inflating a bounded piece of it gives zeros. Its build time is recorded (~0.5 s here)."""
    record_property("gzip_bomb_build_seconds", round(gzip_bomb.build_seconds, 2))
    data = gzip_bomb.data
    assert data[:2] == b"\x1f\x8b"
    assert len(data) < 2 * 1024 * 1024
    assert int.from_bytes(data[-4:], "little") == GZIP_BOMB_INFLATED % 2**32
    # Three MiB: across two of the repeated blocks' boundaries.
    assert zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(data, 3 << 20) == bytes(3 << 20)


GET_USER: CallSpec = {"mode": "get_user", "integration": "", "path": ""}  # GET .../sdk/me: behaviour "me"


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize(
    ("name", "call"), [("huge", request_call("objects/huge")), ("me", GET_USER)], ids=["request", "get_user"]
)
def test_a_gigabyte_body_stops_at_the_cap_with_a_small_peak(
    server: RawServer, rsa_pem: str, flavor: str, name: str, call: CallSpec
) -> None:
    """200 with a 1 GB JSON body (Content-Length: 1e9), from the proxy and from the API: ResponseTooLargeError
    (limit 32 MiB, status 200), a peak growth far below the body's size, and the client hangs up long before the
    server has sent it all."""
    record = serve(
        server, name, head(200, GIGABYTE), lambda: body_pieces(GIGABYTE, prefix=b'{"output": "', suffix=b'"}')
    )
    report = run_client(server, rsa_pem, flavor, call)
    assert report["error"] == "ResponseTooLargeError", report
    assert report["limit"] == DEFAULT_MAX_RESPONSE_BYTES
    assert report["status_code"] == 200
    assert "max_response_bytes" in report["message"]
    assert report["delta_mib"] < CAPPED_BOUND_MIB, report
    assert record.done.wait(MAX_SECONDS)
    assert record.outcome == "client left"
    assert record.sent < GIGABYTE // 10


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_gzip_bomb_stops_at_the_cap_after_decompression(
    server: RawServer, rsa_pem: str, flavor: str, gzip_bomb: GzipBomb
) -> None:
    """200 with Content-Encoding: gzip and ~1 MB that inflates to 1 GiB: the cap counts inflated bytes, so it is
    ResponseTooLargeError with a small peak (httpx's own decoder would inflate each network chunk whole)."""
    data = gzip_bomb.data
    serve(
        server,
        "gzip-bomb",
        head(200, len(data), extra={"Content-Encoding": "gzip"}),
        lambda: (data[start : start + PIECE] for start in range(0, len(data), PIECE)),
    )
    report = run_client(server, rsa_pem, flavor, request_call("objects/gzip-bomb"))
    assert report["error"] == "ResponseTooLargeError", report
    assert report["limit"] == DEFAULT_MAX_RESPONSE_BYTES
    assert report["delta_mib"] < CAPPED_BOUND_MIB, report


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_gigabyte_error_body_is_cut_at_a_mebibyte_and_its_connection_dropped(
    server: RawServer, rsa_pem: str, flavor: str
) -> None:
    """500 with a 1 GB body on a keep-alive connection: InternalServerError saying the body was cut at 1 MiB, with
    ``body`` the first 1 MiB as text and a small peak. The warm-up's connection served the 500 (reuse is visible),
    and the connection is not reused afterwards: the next call comes on a new one."""
    record = serve(
        server,
        "keep-huge-500",
        head(500, GIGABYTE),
        lambda: body_pieces(GIGABYTE, prefix=b'{"message": "', suffix=b'"}'),
    )
    report = run_client(
        server,
        rsa_pem,
        flavor,
        request_call("objects/keep-huge-500"),
        warm_up=request_call("objects/keep-ok"),
        follow_up=request_call("objects/keep-ok"),
        max_retries=0,
    )
    assert report["error"] == InternalServerError.__name__, report
    assert report["status_code"] == 500
    assert f"(body cut at {MAX_ERROR_BODY_BYTES:,} bytes)" in report["message"]
    assert len(report["message"]) < 1000
    assert report["body_chars"] == MAX_ERROR_BODY_BYTES
    assert report["delta_mib"] < CAPPED_BOUND_MIB, report
    assert [request.behaviour for request in server.requests] == ["keep-ok", "keep-huge-500", "keep-ok"]
    warm_up, hostile, follow_up = server.ports
    assert hostile == warm_up
    assert follow_up != hostile
    assert record.done.wait(MAX_SECONDS)
    assert record.outcome == "client left"
    assert record.sent < GIGABYTE // 10


@pytest.mark.parametrize("flavor", FLAVORS)
def test_stream_downloads_300_mb_with_a_flat_peak(server: RawServer, rsa_pem: str, flavor: str) -> None:
    """``stream()`` through the proxy: every one of 300 MB arrives (count and CRC-32 equal to what was sent), in
    pieces of at most 64 KiB, and the peak grows by far less than the download: nothing is buffered."""
    record = serve(
        server,
        "content",
        head(200, DOWNLOAD_BYTES, "application/octet-stream"),
        lambda: body_pieces(DOWNLOAD_BYTES, fill=bytes(range(256))),
    )
    call: CallSpec = {"mode": "stream", "integration": "box", "path": "files/1/content"}
    report = run_client(server, rsa_pem, flavor, call)
    assert report["error"] is None, report
    assert record.done.wait(MAX_SECONDS)
    assert record.outcome == "complete"
    assert report["bytes"] == record.sent == DOWNLOAD_BYTES
    assert report["crc32"] == record.crc32
    assert 0 < report["largest_piece"] <= PIECE
    assert report["delta_mib"] < STREAM_BOUND_MIB, report


def test_the_measurement_sees_a_body_kept_in_memory(server: RawServer, rsa_pem: str) -> None:
    """The control that gives the bounds above their meaning: with no cap, a 200 MB body is read into memory (as
    every body was before), and the child's peak grows by more than the body itself (about 3x here: the pieces,
    the joined bytes, the parsed string), far past ``CAPPED_BOUND_MIB``. A measurement blind to growth (a
    ``ru_maxrss`` inherited from this process, say) would fail here."""
    size = 200_000_000
    prefix, suffix = b'{"output": "', b'"}'
    serve(server, "buffered", head(200, size), lambda: body_pieces(size, prefix=prefix, suffix=suffix))
    report = run_client(server, rsa_pem, "sync", request_call("objects/buffered"), max_response_bytes=None)
    assert report["error"] is None, report
    assert report["delta_mib"] > size / 2**20 > CAPPED_BOUND_MIB, report


def forty_mb_call(
    server: RawServer, flavor: str, key: rsa.RSAPrivateKey, options: dict[str, Any], derived: dict[str, Any]
) -> Any:
    """``request("salesforce", "objects/forty")`` on a client made with ``options``, through ``with_options(**derived)``
    when given; what it returned, or the exception it raised."""
    settings: dict[str, Any] = {
        "project_id": PROJECT_ID,
        "signing_key": key,
        "api_url": server.url,
        "proxy_url": server.url,
        **options,
    }
    try:
        if flavor == "sync":
            with Paragon(**settings) as client:
                used = client.with_options(**derived) if derived else client
                return used.authenticate("user-1").request("salesforce", "objects/forty")

        async def main() -> Any:
            async with AsyncParagon(**settings) as client:
                used = client.with_options(**derived) if derived else client
                return await used.authenticate("user-1").request("salesforce", "objects/forty")

        return asyncio.run(main())
    except Exception as error:  # the test inspects it
        return error


def serve_forty_mb(server: RawServer) -> Pumped:
    prefix, suffix = b'{"output": "', b'"}'
    return serve(server, "forty", head(200, FORTY_MB), lambda: body_pieces(FORTY_MB, prefix=prefix, suffix=suffix))


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize(
    ("options", "derived"),
    [({"max_response_bytes": None}, {}), ({}, {"max_response_bytes": None})],
    ids=["Paragon(max_response_bytes=None)", "with_options(max_response_bytes=None)"],
)
def test_no_cap_lets_a_40_mb_body_through(
    server: RawServer, rsa_key: rsa.RSAPrivateKey, flavor: str, options: dict[str, Any], derived: dict[str, Any]
) -> None:
    """``max_response_bytes=None`` means no cap, on purpose: a 40 MB body (over the default 32 MiB) is returned."""
    serve_forty_mb(server)
    output = forty_mb_call(server, flavor, rsa_key, options, derived)
    assert isinstance(output, str), output
    assert len(output) == FORTY_MB - len('{"output": ""}')


@pytest.mark.parametrize("flavor", FLAVORS)
def test_the_default_cap_refuses_a_40_mb_body(server: RawServer, rsa_key: rsa.RSAPrivateKey, flavor: str) -> None:
    """The same 40 MB body with the default cap (32 MiB): ResponseTooLargeError naming the limit."""
    serve_forty_mb(server)
    error = forty_mb_call(server, flavor, rsa_key, {}, {})
    assert isinstance(error, ResponseTooLargeError), error
    assert error.limit == DEFAULT_MAX_RESPONSE_BYTES
    assert error.status_code == 200
    assert error.body is None
    assert f"{DEFAULT_MAX_RESPONSE_BYTES:,}" in str(error)
