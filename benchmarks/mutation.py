"""Mutation testing of the transport's decision modules: how many deliberately broken copies the tests catch.

    python benchmarks/mutation.py                      # all three modules; exit 1 if any is below 90 % killed
    python benchmarks/mutation.py _retry --show        # one module, and the diff of every surviving mutant

mutmut (pinned in requirements-mutation.txt, installed into .venv-mutation by this script) mutates one module at a
time and runs only that module's focused test selection (``TARGETS``) against each mutant, in a forked pytest per
mutant. Nothing in the checkout is touched: wrapper/, generated_client/ and tests/ are copied into a scratch
workspace, .mutation/<module>/, laid out the way mutmut expects (src/useparagon, src/useparagon_api, tests/,
a pyproject.toml with the project's pytest settings and this module's [tool.mutmut] table), and mutmut works in
there. A mutant whose tests time out counts as killed; one no test reaches counts as survived.

mutmut 3 mutates the bodies of functions and methods only: module-level tables (``IDEMPOTENT_METHODS``, the
HTTP-date day names, the compiled patterns) and class bodies are not mutated, so those are pinned by ordinary
tests. A line whose mutants no test could ever tell apart carries ``# pragma: no mutate`` and the reason.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-mutation"
WORK = ROOT / ".mutation"
REQUIREMENTS = ROOT / "requirements-mutation.txt"
# Not ".installed": the Makefile's `.venv-%/.installed` pattern rule would claim that name.
STAMP = VENV / ".requirements.sha256"
THRESHOLD = 0.90
# mutmut's exit codes (mutmut.stats.status_by_exit_code): a failing test run (1), pytest's internal error (3) and
# the timeouts are caught mutants; a passing run (0) and "no test reaches it" (5, 33) are survivors.
KILLED_CODES = frozenset({1, 3, 36, -24, 24, 152, 255})
SURVIVED_CODES = frozenset({0, 5, 33})


@dataclass(frozen=True)
class Target:
    name: str
    source: str
    # Paths relative to the repository root, or glob patterns (which may match nothing).
    tests: tuple[str, ...]


TARGETS = (
    Target("_retry", "wrapper/useparagon/_retry.py", ("tests/test_retries.py",)),
    Target("_validation", "wrapper/useparagon/_validation.py", ("tests/test_validation.py",)),
    Target(
        "_http",
        "wrapper/useparagon/_http.py",
        # Not tests/test_retries.py: its ~800 cases (some sleeping for real) made every surviving mutant of the send
        # loop cost minutes; tests/test_http_*.py drive the same loop with zero delays and pin its exact messages.
        (
            "tests/test_http_*.py",
            "tests/test_errors.py",
            "tests/test_secrets.py",
            "tests/test_streaming.py",
        ),
    ),
)


def _requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def ensure_venv() -> Path:
    """.venv-mutation with exactly requirements-mutation.txt, (re)installed when that file changes."""
    python = VENV / "bin" / "python"
    digest = _requirements_digest()
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == digest:
        return VENV / "bin" / "mutmut"
    if not python.exists():
        print(f"creating {VENV.name} with {sys.executable}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)  # noqa: S603
    print(f"installing {REQUIREMENTS.name} into {VENV.name}", flush=True)
    pip = [str(python), "-m", "pip"]
    for command in ([*pip, "install", "--quiet", "-r", str(REQUIREMENTS)], [*pip, "check"]):
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command[1:])} failed:\n{done.stdout}{done.stderr}")
    STAMP.write_text(digest + "\n")
    return VENV / "bin" / "mutmut"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _toml_table(name: str, table: dict[str, object]) -> str:
    return "\n".join([f"[{name}]", *(f"{key} = {_toml_value(value)}" for key, value in table.items())]) + "\n"


def _test_files(target: Target, source: Path) -> list[str]:
    files: list[str] = []
    for pattern in target.tests:
        found = sorted(path.relative_to(source).as_posix() for path in source.glob(pattern))
        if not found and not any(char in pattern for char in "*?["):
            raise SystemExit(f"{target.name}: {pattern} is missing")
        files.extend(name for name in found if name not in files)
    return files


def prepare(target: Target, source: Path) -> Path:
    """A fresh workspace for one module: a snapshot of ``source``'s code and tests, and mutmut's configuration."""
    workspace = WORK / target.name
    shutil.rmtree(workspace, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    shutil.copytree(source / "wrapper" / "useparagon", workspace / "src" / "useparagon", ignore=ignore)
    shutil.copytree(source / "generated_client" / "useparagon_api", workspace / "src" / "useparagon_api", ignore=ignore)
    shutil.copytree(source / "tests", workspace / "tests", ignore=ignore)
    pytest_options = tomllib.loads((source / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    mutated = "src/" + target.source.removeprefix("wrapper/")
    mutmut_options: dict[str, object] = {
        "source_paths": ["src"],
        "only_mutate": [mutated],
        "pytest_add_cli_args_test_selection": _test_files(target, source),
        # The package is not installed here, so its pytest11 entry point (FakeParagon's fixtures) is loaded by name.
        "pytest_add_cli_args": ["-p", "useparagon.testing._plugin"],
        # The workspace is no git checkout, and each run starts from scratch anyway.
        "use_git_change_detection": False,
    }
    (workspace / "pyproject.toml").write_text(
        _toml_table("tool.pytest.ini_options", pytest_options) + "\n" + _toml_table("tool.mutmut", mutmut_options)
    )
    return workspace


@dataclass
class Score:
    name: str
    killed: int = 0
    survived: int = 0
    other: int = 0
    survivors: tuple[str, ...] = ()
    others: tuple[str, ...] = ()

    @property
    def mutants(self) -> int:
        return self.killed + self.survived + self.other

    @property
    def share(self) -> float:
        return self.killed / self.mutants if self.mutants else 0.0


def score(target: Target, workspace: Path) -> Score:
    meta = workspace / "mutants" / ("src/" + target.source.removeprefix("wrapper/") + ".meta")
    if not meta.exists():
        raise SystemExit(f"{target.name}: mutmut left no results ({meta} is missing); see {workspace}/mutmut.log")
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    result = Score(target.name)
    survivors: list[str] = []
    others: list[str] = []
    for name, code in sorted(codes.items()):
        if code in KILLED_CODES:
            result.killed += 1
        elif code in SURVIVED_CODES:
            result.survived += 1
            survivors.append(name)
        else:  # not checked, suspicious, segfault, interrupted: not counted as caught
            result.other += 1
            others.append(f"{name} (exit code {code})")
    result.survivors = tuple(survivors)
    result.others = tuple(others)
    return result


def run(target: Target, source: Path, mutmut: Path, jobs: int, show: bool) -> Score:
    workspace = prepare(target, source)
    tests = " ".join(_test_files(target, source))
    print(f"{target.source}: mutating against {tests}", flush=True)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    with (workspace / "mutmut.log").open("w") as log:
        done = subprocess.run(  # noqa: S603
            [str(mutmut), "run", "--max-children", str(jobs)],
            cwd=workspace,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = (workspace / "mutmut.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"{target.name}: mutmut run failed with exit code {done.returncode}:\n{tail}")
    result = score(target, workspace)
    for name in result.survivors:
        if show:
            shown = subprocess.run(  # noqa: S603
                [str(mutmut), "show", name], cwd=workspace, env=env, capture_output=True, text=True, check=False
            )
            print(shown.stdout.rstrip())
        else:
            print(f"  survived: {name}")
    for line in result.others:
        print(f"  not decided: {line}")
    return result


def report(scores: list[Score]) -> bool:
    """Print the table; True when every module reaches the threshold."""
    print()
    print(f"{'module':<16}{'mutants':>8}{'killed':>8}{'survived':>10}{'other':>7}{'killed %':>10}")
    for item in scores:
        print(
            f"{item.name + '.py':<16}{item.mutants:>8}{item.killed:>8}{item.survived:>10}{item.other:>7}"
            f"{item.share:>9.1%}{'' if item.share >= THRESHOLD else '  < 90 %'}"
        )
    total = Score("overall")
    total.killed = sum(item.killed for item in scores)
    total.survived = sum(item.survived for item in scores)
    total.other = sum(item.other for item in scores)
    print(f"{'overall':<16}{total.mutants:>8}{total.killed:>8}{total.survived:>10}{total.other:>7}{total.share:>9.1%}")
    return all(item.share >= THRESHOLD for item in scores)


def main(argv: list[str] | None = None) -> int:
    names = [target.name for target in TARGETS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"any of {', '.join(names)} (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--show", action="store_true", help="print the diff of every surviving mutant")
    parser.add_argument(
        "--source",
        type=Path,
        default=ROOT,
        help="the checkout whose wrapper/, generated_client/, tests/ and pyproject.toml to measure (default: this one)",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.modules) - set(names))
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; choose from {', '.join(names)}")
    chosen = [target for target in TARGETS if not args.modules or target.name in args.modules]
    mutmut = ensure_venv()
    WORK.mkdir(exist_ok=True)
    scores = [run(target, args.source.resolve(), mutmut, args.jobs, args.show) for target in chosen]
    if not report(scores):
        print(f"\nat least one module is below {THRESHOLD:.0%} killed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
