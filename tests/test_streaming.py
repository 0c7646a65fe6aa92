"""``stream()``: large downloads through the Proxy API, read as they arrive (no size cap, the same deadlines).

Memory is measured in tests/test_memory.py and deadlines in tests/test_deadlines.py; here: the exact request, the
decoded pieces, errors and retries before the body is handed over, closing, and checks before any I/O.
"""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    AsyncParagon,
    AsyncStreamedResponse,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    Paragon,
    StreamedResponse,
)

from tests.rawserver import Connection, Request, raw_server
from tests.support import PROJECT_ID, PROXY, Harness, MakeHarness, SessionCall, case, unchecked

DOWNLOAD = bytes(range(256)) * 4096  # 1 MiB


def _file(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "application/pdf"}, stream=httpx.ByteStream(DOWNLOAD))


def _download(harness: Harness, *args: Any, **kwargs: Any) -> tuple[int, httpx.Headers, list[bytes]]:
    """Enter ``stream(...)``, read every piece, leave: (status, headers, pieces) for either flavour."""
    session = harness.session
    if harness.flavor == "sync":
        assert isinstance(harness.client, Paragon)
        with session.stream(*args, **kwargs) as download:  # type: ignore[union-attr]
            assert isinstance(download, StreamedResponse)
            return download.status_code, download.headers, list(download.iter_bytes())

    async def read() -> tuple[int, httpx.Headers, list[bytes]]:
        async with session.stream(*args, **kwargs) as download:  # type: ignore[union-attr]
            assert isinstance(download, AsyncStreamedResponse)
            return download.status_code, download.headers, [piece async for piece in download.aiter_bytes()]

    result: tuple[int, httpx.Headers, list[bytes]] = harness.run(read())
    return result


def test_the_exact_request_of_a_stream(make_harness: MakeHarness) -> None:
    """GET on the proxy URL, with the raw-response header, the query, the credential header and the user's token."""
    harness = make_harness(_file)
    status, headers, pieces = _download(
        harness, "box", "files/123/content", params={"version": "2"}, credential_id="cred-1"
    )
    (request,) = harness.requests
    assert request.method == "GET"
    assert str(request.url) == f"{PROXY}/projects/{PROJECT_ID}/sdk/proxy/box/files/123/content?version=2"
    assert request.headers["x-paragon-use-raw-response"] == "1"
    assert request.headers["x-paragon-credential"] == "cred-1"
    assert request.headers["authorization"].startswith("Bearer ey")
    assert (status, headers["content-type"]) == (200, "application/pdf")
    assert b"".join(pieces) == DOWNLOAD
    assert max(len(piece) for piece in pieces) <= 64 * 1024


def test_a_compressed_download_arrives_decoded_in_bounded_pieces(make_harness: MakeHarness) -> None:
    """gzip is undone piece by piece: 8 MiB of zeros (8 KiB on the wire) come out as pieces of at most 64 KiB."""
    zeros = bytes(8 * 1024 * 1024)
    harness = make_harness(
        lambda _r: httpx.Response(
            200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(gzip.compress(zeros))
        )
    )
    _, _, pieces = _download(harness, "gdrive", "files/1")
    assert b"".join(pieces) == zeros
    assert len(pieces) >= 128
    assert max(len(piece) for piece in pieces) <= 64 * 1024


def test_a_failed_download_raises_before_anything_is_handed_over(make_harness: MakeHarness) -> None:
    """The provider's 404 is a NotFoundError with its body, raised on entering the block."""
    harness = make_harness(lambda _r: httpx.Response(404, json={"message": "no such file"}))
    with pytest.raises(NotFoundError, match="no such file") as caught:
        _download(harness, "box", "files/404")
    assert caught.value.body == {"message": "no such file"}
    assert len(harness.requests) == 1


def test_a_download_is_retried_until_its_body_starts(make_harness: MakeHarness) -> None:
    """A GET stream is retried like any GET (503 then 200): the caller only ever sees the good response."""
    answers = [httpx.Response(503, json={"message": "busy"}), _file(httpx.Request("GET", PROXY))]
    harness = make_harness(lambda _r: answers.pop(0), retry=_instant_retries())
    _, _, pieces = _download(harness, "box", "files/1")
    assert b"".join(pieces) == DOWNLOAD
    assert len(harness.requests) == 2


def test_a_streamed_write_is_never_retried(make_harness: MakeHarness) -> None:
    """A POST stream (an export that creates a job, say) answered 503 with Retry-After is sent once."""
    harness = make_harness(
        lambda _r: httpx.Response(503, json={"message": "busy"}, headers={"retry-after": "0.001"}),
        retry=_instant_retries(),
    )
    with pytest.raises(InternalServerError):
        _download(harness, "box", "exports", method="POST", body={"format": "csv"})
    assert len(harness.requests) == 1


@pytest.mark.parametrize(
    "call",
    [
        case(lambda s: s.stream("box", "../admin"), id="dotdot"),
        case(lambda s: s.stream("box", ""), id="empty"),
        case(lambda s: s.stream("box", "files/1", method=unchecked("TRACE")), id="trace"),
        case(lambda s: s.stream("box", "files/1", body={"a": 1}), id="get-with-body"),
        case(lambda s: s.stream("b ox", "files/1"), id="space"),
    ],
)
def test_bad_input_is_refused_when_stream_is_called(make_harness: MakeHarness, call: SessionCall) -> None:
    """Input is checked by ``stream(...)`` itself, before the ``with`` block and before any I/O."""
    harness = make_harness(_file)
    with pytest.raises(InvalidRequestError):
        call(harness.session)
    assert harness.requests == []


def _instant_retries() -> Any:
    from useparagon import RetryPolicy

    return RetryPolicy(initial_delay=0.0)


def _endless(connection: Connection, _request: Request) -> None:
    """A download far larger than anything the test reads, sent until the client hangs up."""
    if not connection.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n"):
        return
    piece = bytes(64 * 1024)
    for _ in range(100_000):
        if not connection.send(piece):
            return


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_leaving_the_block_early_closes_the_connection(flavor: str, rsa_key: rsa.RSAPrivateKey) -> None:
    """Reading 1 MiB of an endless download and leaving the block closes that connection (the server's sending
    ends); the next call opens a new one and works."""
    with raw_server() as server:
        server.on("endless", _endless)
        options: dict[str, Any] = {"project_id": PROJECT_ID, "signing_key": rsa_key, "proxy_url": server.url}
        if flavor == "sync":
            with Paragon(**options) as client:
                user = client.authenticate("user-1")
                with user.stream("box", "files/endless") as download:
                    read = 0
                    for piece in download.iter_bytes():
                        read += len(piece)
                        if read >= 1024 * 1024:
                            break
                assert user.request("box", "files/ok") == {"path": server.requests[-1].path}
        else:

            async def main() -> None:
                async with AsyncParagon(**options) as client:
                    user = client.authenticate("user-1")
                    async with user.stream("box", "files/endless") as download:
                        read = 0
                        async for piece in download.aiter_bytes():
                            read += len(piece)
                            if read >= 1024 * 1024:
                                break
                    assert await user.request("box", "files/ok") == {"path": server.requests[-1].path}

            asyncio.run(main())
        assert [request.behaviour for request in server.requests] == ["endless", "ok"]
        assert server.requests[0].port != server.requests[1].port
