"""Comparing a fresh generation with the committed one, and swapping it into place."""

import shutil
import tempfile
from pathlib import Path

from generator.settings import IGNORED_NAMES


def _files(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not IGNORED_NAMES.intersection(relative.parts) and path.suffix != ".pyc":
            found[relative.as_posix()] = path
    return found


def differences(fresh: Path, committed: Path) -> list[str]:
    """One line per file that is stale, missing from ``committed`` or extra in it; empty when they match."""
    expected, actual = _files(fresh), _files(committed)
    report: list[str] = []
    for name in sorted(expected.keys() | actual.keys()):
        if name not in actual:
            report.append(f"missing: {name}")
        elif name not in expected:
            report.append(f"extra:   {name}")
        elif expected[name].read_bytes() != actual[name].read_bytes():
            report.append(f"stale:   {name}")
    return report


def replace_tree(fresh: Path, target: Path) -> None:
    """Put ``fresh`` at ``target`` by renames on one filesystem, so no half-written or stale tree is ever seen."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        incoming = staging / "new"
        shutil.copytree(fresh, incoming)
        if target.exists():
            target.rename(staging / "old")
        incoming.rename(target)
    finally:
        shutil.rmtree(staging)
