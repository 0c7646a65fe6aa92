"""``python -m generator.unasync [--check]``: write the sync client, session and toolset from their asyncio sources.

``AsyncParagon``, ``AsyncUserSession`` and ``AsyncAgentTools`` are the hand-written sources; ``Paragon``,
``UserSession`` and ``AgentTools`` are made
from them by the token rules below (as httpcore makes its ``_sync`` package), then formatted by the pinned ruff
with the project's settings. So the two APIs cannot drift: names, parameters, docstrings and behaviour come from
one text, and ``--check`` (run by ``make test``) fails when a generated file is stale.
"""

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from generator.settings import ROOT

WRAPPER = ROOT / "wrapper" / "useparagon"
# source (async, hand-written) -> generated (sync)
FILES = {"_async_client.py": "_client.py", "_async_session.py": "_session.py", "_async_tools.py": "_tools.py"}

# Whole phrases (docstrings and comments) are replaced first and then left alone by the later rules, so a phrase may
# name both clients; then identifiers on word boundaries, then the keywords.
PHRASES = (
    ("This module is the source of ", "This module is generated from "),
    ("the asyncio client", "the synchronous client"),
    ("The asyncio client.", "The synchronous client."),
    ("one connection pool per event loop", "one connection pool"),
    ("Safe to share between tasks.", "Safe to share between threads."),
    ("in a task on the running loop", "on a daemon thread"),
    # Verbatim: true of both files.
    ("``_client.py`` from ``_async_client.py``", "``_client.py`` from ``_async_client.py``"),
    ("``_session.py`` from ``_async_session.py``", "``_session.py`` from ``_async_session.py``"),
    ("``_tools.py`` from ``_async_tools.py``", "``_tools.py`` from ``_async_tools.py``"),
    (
        "``AsyncParagon`` awaits a coroutine function; ``Paragon`` refuses one",
        "``AsyncParagon`` awaits a coroutine function; ``Paragon`` refuses one",
    ),
)
IDENTIFIERS = {
    "AsyncParagon": "Paragon",
    "AsyncUserSession": "UserSession",
    "AsyncAgentTools": "AgentTools",
    "AsyncSender": "SyncSender",
    "AsyncPool": "SyncPool",
    "AsyncEventHub": "EventHub",
    "AsyncCallback": "Callback",
    "AsyncIterator": "Iterator",
    "AsyncWatcher": "Watcher",
    "AsyncStreamContext": "StreamContext",
    "AsyncStreamedResponse": "StreamedResponse",
    "AsyncClient": "Client",
    "_async_client": "_client",
    "_async_session": "_session",
    "_async_tools": "_tools",
    "adeliver": "deliver",
    "apause": "pause",
    "ahandle_relayed_event": "handle_relayed_event",
    "aclose": "close",
    "aiter_bytes": "iter_bytes",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "asyncio": "threading",
}
KEYWORDS = (
    (re.compile(r"\basync def\b"), "def"),
    (re.compile(r"\basync with\b"), "with"),
    (re.compile(r"\basync for\b"), "for"),
    (re.compile(r"\bawait "), ""),
)
_IDENTIFIER = re.compile(r"\b(" + "|".join(re.escape(name) for name in IDENTIFIERS) + r")\b")


def unasync(text: str) -> str:
    """The sync twin of an async source, before formatting."""
    for index, (phrase, _) in enumerate(PHRASES):
        text = text.replace(phrase, f"\x00{index}\x00")
    text = _IDENTIFIER.sub(lambda match: IDENTIFIERS[match.group(1)], text)
    for pattern, replacement in KEYWORDS:
        text = pattern.sub(replacement, text)
    return re.sub("\x00(\\d+)\x00", lambda match: PHRASES[int(match.group(1))][1], text)


def _formatted(text: str, target: Path) -> str:
    # The project's own ruff settings (pyproject.toml), so `make lint-py` agrees with the generated file.
    ruff = [sys.executable, "-m", "ruff"]
    stdin = str(target.relative_to(ROOT))
    fixed = subprocess.run(
        [*ruff, "check", "--fix-only", "--exit-zero", "--quiet", "--stdin-filename", stdin, "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return subprocess.run(
        [*ruff, "format", "--quiet", "--stdin-filename", stdin, "-"],
        input=fixed,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout


def expected(source: Path, target: Path) -> str:
    return _formatted(unasync(source.read_text(encoding="utf-8")), target)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator.unasync", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a generated sync module is stale")
    args = parser.parse_args(argv)
    stale = []
    for source_name, target_name in FILES.items():
        source, target = WRAPPER / source_name, WRAPPER / target_name
        text = expected(source, target)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(target_name)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)} from {source_name}")
    if stale:
        print(
            f"stale: {', '.join(stale)}; run `make generate` (edit the _async_*.py sources, not these)", file=sys.stderr
        )
        return 1
    if args.check:
        print("sync client and session are up to date with their async sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
