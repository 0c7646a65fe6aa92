"""What ``import useparagon``, ``from useparagon import Paragon`` and ``paragon --help`` cost a fresh interpreter,
as ratios to ``import httpx``.

Each round starts one fresh ``python`` per command, in a rotating order so that a busy spell on a shared machine
lands on every command alike: a bare interpreter (``python -c pass``), ``import httpx``, ``import useparagon``
(names are imported on first use, so this is the package alone), ``from useparagon import Paragon`` (the sync
client, what a program's first line costs), and the ``paragon --help`` console script (``python -m useparagon
--help``, the same ``useparagon._cli:main``).
A command's cost is its median over the rounds minus the bare interpreter's median (start-up and exit included,
as a user pays them), in CPU time (user + system, of the child alone) and in wall time. The ratios, and the
target, are in CPU time: on an idle machine the two agree, and on a busy one CPU time is far less disturbed by the
neighbours (run it on an idle machine for absolute numbers). Target: each ratio to ``import httpx`` <= 1.5; exit
status 1 when one is above.

``import httpx`` here includes httpx's own command line (``httpx._main``: rich, click), which httpx imports whenever
those are installed, as they are in the development environment.

    python benchmarks/import_time.py [--rounds N] [--profile]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import NamedTuple

TARGET_RATIO = 1.5

BARE = "bare interpreter"
HTTPX = "import httpx"
COMMANDS = {
    BARE: ["-c", "pass"],
    HTTPX: ["-c", "import httpx"],
    "import useparagon": ["-c", "import useparagon"],
    # What a program's first line really costs: every name of useparagon is imported on first use.
    "import Paragon": ["-c", "from useparagon import Paragon"],
    "paragon --help": ["-m", "useparagon", "--help"],
}


class Cost(NamedTuple):
    """Seconds of CPU time (user + system) and of wall time."""

    cpu: float
    wall: float


def run_once(arguments: list[str]) -> Cost:
    """One fresh interpreter running ``arguments``; a failure stops the benchmark with its error output."""
    command = [sys.executable, *arguments]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait for it again
    if child.returncode != 0:
        failed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        sys.exit(f"{' '.join(arguments)} failed ({child.returncode}):\n{failed.stderr}")
    return Cost(usage.ru_utime + usage.ru_stime, wall)


def measure(rounds: int) -> dict[str, Cost]:
    """Median CPU and wall time per command over ``rounds`` rounds (after one unrecorded warm-up round)."""
    names = list(COMMANDS)
    samples: dict[str, list[Cost]] = {name: [] for name in names}
    for round_ in range(rounds + 1):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            cost = run_once(COMMANDS[name])
            if round_:  # the first round writes .pyc files and warms the OS cache
                samples[name].append(cost)
    return {
        name: Cost(statistics.median(c.cpu for c in costs), statistics.median(c.wall for c in costs))
        for name, costs in samples.items()
    }


def profile(limit: int) -> str:
    """The ``limit`` slowest imports (cumulative) of ``from useparagon import Paragon`` in a fresh interpreter."""
    code = "from useparagon import Paragon"
    command = [sys.executable, "-X", "importtime", "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    rows = []
    for line in result.stderr.splitlines()[1:]:
        self_us, cumulative_us, name = (part.strip() for part in line.replace("import time:", "").split("|"))
        rows.append((int(cumulative_us), int(self_us), name))
    rows.sort(reverse=True)
    lines = [f"{'cumulative':>12}  {'self':>8}  module  (python -X importtime -c '{code}')"]
    lines += [f"{cumulative / 1000:10.1f}ms  {own / 1000:6.1f}ms  {name}" for cumulative, own, name in rows[:limit]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15, help="fresh interpreters per command (default: 15)")
    parser.add_argument("--profile", action="store_true", help="also list the slowest imports under useparagon")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    medians = measure(args.rounds)
    bare = medians[BARE]
    costs = {
        name: Cost(max(cost.cpu - bare.cpu, 0.0), max(cost.wall - bare.wall, 0.0))
        for name, cost in medians.items()
        if name != BARE
    }
    print(f"{sys.executable} (Python {sys.version.split()[0]}), median of {args.rounds} fresh interpreters each")
    print(f"  {'':<20} {'CPU':>8} {'wall':>9}")
    print(f"  {BARE:<20} {bare.cpu * 1000:5.1f} ms {bare.wall * 1000:6.1f} ms   (subtracted from the others)")
    failed = False
    for name, cost in costs.items():
        line = f"  {name:<20} {cost.cpu * 1000:5.1f} ms {cost.wall * 1000:6.1f} ms"
        if name != HTTPX:
            ratio = cost.cpu / costs[HTTPX].cpu
            over = ratio > TARGET_RATIO
            failed |= over
            wall_ratio = cost.wall / costs[HTTPX].wall
            line += f"   {ratio:.2f}x import httpx (wall {wall_ratio:.2f}x){'   ABOVE TARGET' if over else ''}"
        print(line)
    print(f"target: <= {TARGET_RATIO}x import httpx, in CPU time")
    if args.profile:
        print()
        print(profile(25))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
