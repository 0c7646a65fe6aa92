"""Hostile error bodies cost time linear in their size: no timed assertions, a CPU limit instead.

Each body of the table goes through the full client (``httpx.MockTransport``, sync and async; ``get_user()``,
``request()`` and ``request(raw=True)``) in a subprocess, tests/scrubclient.py, whose CPU time is capped at 10 s
(``RLIMIT_CPU``): a child that does super-linear work on a megabyte is ended by SIGXCPU and the test fails. Before,
a backtracking JWT pattern scrubbed the whole message, so a 400 whose message was 180 KB of "eyJ" took 13 s (360 KB:
57 s), and JSON nested 100,000 deep escaped as a RecursionError; now each case takes milliseconds.

What each call must produce: the typed error (a ``ParagonError``), with a bounded message holding no JWT-shaped run.
Error bodies over ``MAX_ERROR_BODY_BYTES`` (1 MiB) are cut before they are parsed, so the table has bodies just under
1 MiB (parsed: the ``message`` and validation-list paths) and over it (cut: the raw-text path).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from useparagon._constants import ERROR_BODY_PREVIEW_CHARS, MAX_ERROR_BODY_BYTES

from tests.scrubclient import CALLS, CPU_SECONDS, Spec

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
# A message is the route, the status, a preview of at most ERROR_BODY_PREVIEW_CHARS and a note about a cut body.
MESSAGE_BOUND = ERROR_BODY_PREVIEW_CHARS + 150
# eyJ, then two dots within one run of base64url characters: the shape of a JWT (the message is bounded before this
# runs on it, so the pattern's backtracking costs nothing here).
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.")
CUT_NOTE = f"(body cut at {MAX_ERROR_BODY_BYTES:,} bytes)"
# Not a time limit on the test: a child that has not finished by then is stuck, not slow (a healthy one takes <1 s).
WALL_TIMEOUT = 120

# What each call of CALLS must raise (None: it returns).
BAD_REQUEST: dict[str, str | None] = dict.fromkeys(CALLS, "BadRequestError")
# A 200 whose body cannot be parsed: the parsed calls fail as responses that do not match the API, raw=True returns it.
UNPARSABLE_SUCCESS: dict[str, str | None] = {
    "get_user": "APIResponseValidationError",
    "request": "APIResponseValidationError",
    "request(raw=True)": None,
}


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def message(text: str) -> str:
    return compact({"message": text})


def repeated(pattern: str, length: int) -> str:
    return (pattern * (length // len(pattern) + 1))[:length]


def validation_chains(chains: int, depth: int, constraint: str) -> str:
    """NestJS validation errors: ``chains`` errors, each the top of a ``children`` chain ``depth`` deep."""
    node = compact({"constraints": {"x": constraint}})[:-1] + ',"children":['
    chain = node * depth + "]}" * depth
    return '{"message":[' + ",".join([chain] * chains) + "]}"


def wide_constraints(pattern: str) -> str:
    """5 validation errors of 10 constraints of 20 KB each (1 MB): 50 messages, each cut to 8 KiB, 400 KB to scrub."""
    text = repeated(pattern, 20_000)
    return compact({"message": [{"constraints": {f"c{n}": text for n in range(10)}} for _ in range(5)]})


@attrs.frozen
class Hostile:
    name: str
    status: int
    body: Callable[[], str]
    content_type: str = "application/json"
    outcome: dict[str, str | None] = BAD_REQUEST
    # Over MAX_ERROR_BODY_BYTES: an error's body is cut, not parsed, and its message says so.
    cut: bool = False
    # Holds JWT-shaped runs, so the message must show "[redacted token]" where they were.
    redacted: bool = False


HOSTILE = [
    Hostile("eyJ run", 400, lambda: message("eyJ" * 349_000)),
    Hostile("eyJ run, 4 MiB", 400, lambda: message("eyJ" * 1_400_000), cut=True),
    Hostile("eyJ run as plain text", 400, lambda: "eyJ" * 349_000, content_type="text/plain"),
    Hostile("eyJa. repeated", 400, lambda: message("eyJa." * 209_000), redacted=True),
    Hostile("eyJa. repeated, 4 MiB", 400, lambda: message("eyJa." * 840_000), cut=True, redacted=True),
    Hostile("eyJ then a MiB without dots", 400, lambda: message("eyJ" + "a" * (MIB - 20))),
    Hostile("JWT-like eyJa.b repeated", 400, lambda: message("eyJa.b" * 174_000), redacted=True),
    Hostile("JWT-like eyJa.b repeated, 4 MiB", 400, lambda: message("eyJa.b" * 700_000), cut=True, redacted=True),
    Hostile("100,000 validation messages", 400, lambda: compact({"message": ["eyJeyJ"] * 100_000})),
    Hostile("100,000 empty validation errors", 400, lambda: compact({"message": [{}] * 100_000})),
    Hostile("100,000 nested validation errors", 400, lambda: validation_chains(1000, 100, "eyJ" * 10), cut=True),
    Hostile(
        "validation chain 300 deep", 400, lambda: validation_chains(1, 300, repeated("eyJa.b", 3000)), redacted=True
    ),
    Hostile("validation constraints of 20 KB eyJ", 400, lambda: wide_constraints("eyJ")),
    Hostile("validation constraints of 20 KB eyJa.b", 400, lambda: wide_constraints("eyJa.b"), redacted=True),
    Hostile("100,000-deep arrays", 400, lambda: "[" * 100_000 + "]" * 100_000),
    Hostile("100,000-deep objects", 400, lambda: '{"a":' * 100_000 + "0" + "}" * 100_000),
    Hostile("100,000-deep arrays, 200", 200, lambda: "[" * 100_000 + "]" * 100_000, outcome=UNPARSABLE_SUCCESS),
    Hostile("eyJ run, not JSON, 200", 200, lambda: "eyJ" * 349_000, outcome=UNPARSABLE_SUCCESS),
]


def run_child(
    tmp_path: Path, pem: str, body: str, *, status: int = 400, content_type: str = "application/json", **more: Any
) -> subprocess.CompletedProcess[str]:
    """Run tests/scrubclient.py (in ``tmp_path``, where a core dump would land; they are turned off anyway)."""
    spec: Spec = {
        "pem": pem,
        "status": status,
        "content_type": content_type,
        "body": body,
        "control_regex": more.pop("control_regex", None),
    }
    cpu_seconds = more.pop("cpu_seconds", CPU_SECONDS)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "tests.scrubclient", str(cpu_seconds)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=WALL_TIMEOUT,
        check=False,
    )


def test_the_table_exercises_what_it_says() -> None:
    """Bodies marked ``cut`` are over the 1 MiB error cap and the others under it (so they are parsed as JSON);
    none is small."""
    for case in HOSTILE:
        size = len(case.body().encode())
        assert (size > MAX_ERROR_BODY_BYTES) == case.cut, case.name
        assert size >= 200_000, case.name


@pytest.mark.parametrize("case", HOSTILE, ids=[case.name for case in HOSTILE])
def test_a_hostile_body_gives_a_typed_error_within_the_cpu_limit(tmp_path: Path, rsa_pem: str, case: Hostile) -> None:
    """The child finishes within 10 s of CPU; every call (sync and async) raises the expected ParagonError subclass,
    never a RecursionError, with a bounded message and no JWT-shaped run in it; a 200 through raw=True is returned."""
    body = case.body()
    finished = run_child(tmp_path, rsa_pem, body, status=case.status, content_type=case.content_type)
    assert finished.returncode != -signal.SIGXCPU, f"the child used more than {CPU_SECONDS} s of CPU"
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert report["cpu_limit"] == [CPU_SECONDS, CPU_SECONDS + 1]
    results = report["results"]
    assert [(result["flavor"], result["call"]) for result in results] == [
        (flavor, call) for flavor in ("sync", "async") for call in CALLS
    ]
    for result in results:
        expected = case.outcome[result["call"]]
        assert result["error"] == expected, result
        if expected is None:
            assert result["returned"] == "RawResponse"
            assert result["content_bytes"] == len(body.encode())
            continue
        assert result["is_paragon_error"], result
        text = result["message"]
        assert result["message_chars"] <= MESSAGE_BOUND, text
        assert not JWT_SHAPE.search(text), text
        assert ("[redacted token]" in text) == case.redacted, text
        if case.status >= 400:
            assert (CUT_NOTE in text) == case.cut, text


def test_the_cpu_limit_ends_a_child_doing_quadratic_work(tmp_path: Path, rsa_pem: str) -> None:
    """The control that gives the limit its meaning: the JWT pattern the scrubber used before (its ``[...]*`` runs
    back to the end of the text for every "eyJ", then backtracks) on 180 KB of "eyJ" needs about 13 s of CPU; with
    a 1 s limit the child is ended by SIGXCPU and never reports."""
    old_jwt_pattern = r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
    finished = run_child(tmp_path, rsa_pem, "eyJ" * 60_000, control_regex=old_jwt_pattern, cpu_seconds=1)
    assert finished.returncode == -signal.SIGXCPU, (finished.returncode, finished.stderr)
    assert finished.stdout == ""
