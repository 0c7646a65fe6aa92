"""The client side of tests/test_memory.py: one call against a loopback server, with its own peak RSS measured.

``python -m tests.memclient`` reads a JSON spec on stdin (the server's URL, the signing key's PEM, the flavour and
the calls to make), makes a warm-up call, records the peak RSS (``ru_maxrss``, KiB on Linux) as the baseline, makes
the hostile call, records the peak RSS again and prints one JSON object: what was raised or received, and the
growth of the peak in MiB. The PEM travels on stdin so it never appears in a command line.

Why it forks first: Linux carries the peak RSS of the memory image a process had before ``execve`` into
``ru_maxrss`` (a child spawned by a 500 MiB pytest process starts with ``ru_maxrss`` = 500 MiB), which would hide
any growth below the parent's peak. A child forked from this small fresh interpreter starts with its own count.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import traceback
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict


class CallSpec(TypedDict):
    # "request": user.request(integration, path); "stream": iterate user.stream(integration, path);
    # "get_user": user.get_user() (integration and path unused)
    mode: str
    integration: str
    path: str


class Spec(TypedDict):
    url: str
    pem: str
    flavor: str  # "sync" or "async"
    options: dict[str, Any]  # more Paragon(...) arguments, e.g. max_retries
    warm_up: CallSpec
    call: CallSpec
    follow_up: CallSpec | None  # a call made after the hostile one, on the same client


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _outcome(error: BaseException | None) -> dict[str, Any]:
    if error is None:
        return {"error": None}
    body = getattr(error, "body", None)
    return {
        "error": type(error).__name__,
        "message": str(error),
        "limit": getattr(error, "limit", None),
        "status_code": getattr(error, "status_code", None),
        "body_chars": len(body) if isinstance(body, str) else None,
    }


class Download:
    """What a streamed download handed out: byte count, CRC-32 and the largest piece."""

    def __init__(self) -> None:
        self.bytes = 0
        self.crc32 = 0
        self.largest_piece = 0

    def add(self, piece: bytes) -> None:
        self.bytes += len(piece)
        self.crc32 = zlib.crc32(piece, self.crc32)
        self.largest_piece = max(self.largest_piece, len(piece))

    def report(self) -> dict[str, int]:
        return {"bytes": self.bytes, "crc32": self.crc32, "largest_piece": self.largest_piece}


def run_sync(spec: Spec) -> dict[str, Any]:
    from useparagon import Paragon

    from tests.support import PROJECT_ID

    client = Paragon(
        project_id=PROJECT_ID, signing_key=spec["pem"], api_url=spec["url"], proxy_url=spec["url"], **spec["options"]
    )
    with client:
        user = client.authenticate("user-1")

        def make(call: CallSpec, download: Download) -> None:
            if call["mode"] == "stream":
                with user.stream(call["integration"], call["path"]) as response:
                    for piece in response.iter_bytes():
                        download.add(piece)
            elif call["mode"] == "get_user":
                user.get_user()
            else:
                user.request(call["integration"], call["path"])

        return measured(spec, make)


def run_async(spec: Spec) -> dict[str, Any]:
    from useparagon import AsyncParagon

    from tests.support import PROJECT_ID

    async def main() -> dict[str, Any]:
        client = AsyncParagon(
            project_id=PROJECT_ID,
            signing_key=spec["pem"],
            api_url=spec["url"],
            proxy_url=spec["url"],
            **spec["options"],
        )
        async with client:
            user = client.authenticate("user-1")

            async def make(call: CallSpec, download: Download) -> None:
                if call["mode"] == "stream":
                    async with user.stream(call["integration"], call["path"]) as response:
                        async for piece in response.aiter_bytes():
                            download.add(piece)
                elif call["mode"] == "get_user":
                    await user.get_user()
                else:
                    await user.request(call["integration"], call["path"])

            return await measured_async(spec, make)

    return asyncio.run(main())


def _report(baseline: int, peak: int, error: BaseException | None, download: Download) -> dict[str, Any]:
    return {
        "baseline_kib": baseline,
        "peak_kib": peak,
        "delta_mib": (peak - baseline) / 1024,
        **_outcome(error),
        **download.report(),
    }


def measured(spec: Spec, make: Callable[[CallSpec, Download], None]) -> dict[str, Any]:
    make(spec["warm_up"], Download())
    baseline = peak_kib()
    download = Download()
    error: BaseException | None = None
    try:
        make(spec["call"], download)
    except Exception as raised:  # reported, not handled
        error = raised
    report = _report(baseline, peak_kib(), error, download)
    if spec["follow_up"] is not None:
        make(spec["follow_up"], Download())
    return report


async def measured_async(spec: Spec, make: Callable[[CallSpec, Download], Awaitable[None]]) -> dict[str, Any]:
    await make(spec["warm_up"], Download())
    baseline = peak_kib()
    download = Download()
    error: BaseException | None = None
    try:
        await make(spec["call"], download)
    except Exception as raised:  # reported, not handled
        error = raised
    report = _report(baseline, peak_kib(), error, download)
    if spec["follow_up"] is not None:
        await make(spec["follow_up"], Download())
    return report


def child() -> int:
    spec: Spec = json.load(sys.stdin)
    report = run_sync(spec) if spec["flavor"] == "sync" else run_async(spec)
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


def main() -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked child
        code = 1
        try:
            code = child()
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
