"""The client side of tests/test_linear_time.py: hostile response bodies through the full client, under a CPU limit.

``python -m tests.scrubclient [cpu_seconds]`` first limits its own CPU time (``RLIMIT_CPU``, ``CPU_SECONDS`` unless
given: past it the kernel sends SIGXCPU, which ends the process; core dumps are off), then reads a JSON spec
on stdin (the signing key's PEM, and the status, content type and body every request is answered with, through
``httpx.MockTransport``), makes each call of ``CALLS`` with the sync and the async client, and prints one JSON
object: what each call raised or returned, and the CPU time used. Work that grows quadratically with a megabyte of
body never gets to print it.

With ``control_regex`` in the spec it makes no call and runs ``re.sub(control_regex, "", body)`` instead: the test
that the CPU limit really ends a child doing super-linear work.
"""

from __future__ import annotations

import json
import re
import resource
import sys
import time
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from tests.support import SessionCall

CPU_SECONDS = 10
# The session calls made with each body (useparagon is imported only once the CPU limit is in place).
CALLS: dict[str, SessionCall] = {
    "get_user": lambda s: s.get_user(),
    "request": lambda s: s.request("salesforce", "objects/hostile"),
    "request(raw=True)": lambda s: s.request("salesforce", "objects/hostile", raw=True),
}
# Enough of a message to judge it; a message longer than this is already wrong.
REPORTED_MESSAGE_CHARS = 4000


class Spec(TypedDict):
    pem: str
    status: int
    content_type: str
    body: str
    control_regex: str | None


def make_calls(spec: Spec) -> list[dict[str, Any]]:
    import httpx
    from useparagon import ParagonError

    from tests.support import Harness

    content = spec["body"].encode()
    headers = {"Content-Type": spec["content_type"]}

    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(spec["status"], content=content, headers=headers)

    results: list[dict[str, Any]] = []
    for flavor in ("sync", "async"):
        harness = Harness(flavor, answer, spec["pem"], max_retries=0)
        try:
            for name, call in CALLS.items():
                result: dict[str, Any] = {"flavor": flavor, "call": name}
                started = time.process_time()
                try:
                    returned = harness.run(call(harness.session))
                except Exception as error:  # reported, not handled
                    message = str(error)
                    result |= {
                        "error": type(error).__name__,
                        "is_paragon_error": isinstance(error, ParagonError),
                        "message": message[:REPORTED_MESSAGE_CHARS],
                        "message_chars": len(message),
                    }
                else:
                    raw = getattr(returned, "content", None)
                    result |= {
                        "error": None,
                        "returned": type(returned).__name__,
                        "content_bytes": len(raw) if isinstance(raw, bytes) else None,
                    }
                result["cpu_seconds"] = time.process_time() - started
                results.append(result)
        finally:
            harness.close()
    return results


def main() -> int:
    cpu_seconds = int(sys.argv[1]) if len(sys.argv) > 1 else CPU_SECONDS
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # The hard limit a second later: Linux sends SIGKILL (not SIGXCPU) when the soft limit equals the hard one, and
    # SIGXCPU tells "out of CPU time" apart from any other kill (the OOM killer's, say).
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    spec: Spec = json.load(sys.stdin)
    if spec["control_regex"] is not None:
        re.sub(spec["control_regex"], "", spec["body"])
        results = []
    else:
        results = make_calls(spec)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "cpu_limit": list(resource.getrlimit(resource.RLIMIT_CPU)),
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "results": results,
    }
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
