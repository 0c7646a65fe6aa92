"""How long ``make demo`` takes on a fresh clone: the first thing a newcomer runs, venv creation included.

The repository's committed HEAD is cloned into a temporary directory and ``make demo`` runs there once, as a
newcomer would run it; the wall time is printed next to the target (12 s). ``--cold-cache`` also gives uv an empty
cache, so every package is downloaded again (what a machine that never installed them pays); without it, uv's cache
is the user's, as on a developer's second project. Exit status 1 when the run fails or is over the target.

    python benchmarks/demo_first_run.py [--cold-cache]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 12.0
REPO = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not on PATH")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-cache", action="store_true", help="run uv with an empty cache (downloads everything)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="useparagon-demo-") as scratch:
        clone = Path(scratch) / "clone"
        subprocess.run([_tool("git"), "clone", "--quiet", str(REPO), str(clone)], check=True)  # noqa: S603
        env = dict(os.environ)
        if args.cold_cache:
            env["UV_CACHE_DIR"] = str(Path(scratch) / "uv-cache")
        started = time.monotonic()
        command = [_tool("make"), "demo"]
        run = subprocess.run(command, check=False, cwd=clone, env=env, capture_output=True, text=True)  # noqa: S603
        elapsed = time.monotonic() - started
    if run.returncode != 0:
        sys.stderr.write(run.stdout[-2000:] + run.stderr[-2000:])
        print(f"make demo failed (exit {run.returncode}) after {elapsed:.1f} s")
        return 1
    steps = next((line for line in run.stdout.splitlines() if line.startswith("Done:")), "no summary line")
    cache = "an empty uv cache" if args.cold_cache else "the user's uv cache"
    print(f"make demo, first run on a fresh clone with {cache}: {elapsed:.1f} s (target <= {TARGET_SECONDS:.0f} s)")
    print(f"  {steps}")
    return 0 if elapsed <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
