"""``python -m generator --check`` and the determinism it relies on."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.__main__ import main
from generator.build import build
from generator.settings import OUTPUT, PACKAGE, ROOT, SPEC
from generator.tree import differences


def test_committed_tree_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    """The committed generated_client/ is exactly what the spec, config and templates produce."""
    assert main(["--check"]) == 0, capsys.readouterr().err


def test_fresh_generation_matches_committed_tree(fresh_tree: Path) -> None:
    """Comparing file by file names nothing, so the check above is not vacuous."""
    assert differences(fresh_tree, OUTPUT) == []
    assert (fresh_tree / PACKAGE / "operations.py").is_file()


def test_two_generations_are_byte_identical(fresh_tree: Path, tmp_path: Path) -> None:
    """A second generation reproduces every byte of the first."""
    second = build(SPEC, tmp_path / "generated_client")
    assert differences(fresh_tree, second) == []


def test_modified_copy_is_reported_with_every_file_named(tmp_path: Path) -> None:
    """A stale, a missing and an extra file each make --check fail and are each named (on a copy of the tree)."""
    copy = tmp_path / "generated_client"
    shutil.copytree(OUTPUT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    package = copy / PACKAGE
    (package / "operations.py").write_text((package / "operations.py").read_text() + "\n# hand edit\n")
    (package / "types.py").unlink()
    (package / "models" / "leftover.py").write_text("")

    result = subprocess.run(
        [sys.executable, "-m", "generator", "--check", "--output", str(copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert f"stale:   {PACKAGE}/operations.py" in result.stderr
    assert f"missing: {PACKAGE}/types.py" in result.stderr
    assert f"extra:   {PACKAGE}/models/leftover.py" in result.stderr


def test_generate_replaces_the_whole_tree(tmp_path: Path) -> None:
    """Regenerating over an old tree leaves no stale file behind and no scratch directory beside it."""
    target = tmp_path / "generated_client"
    (target / PACKAGE).mkdir(parents=True)
    (target / PACKAGE / "obsolete.py").write_text("")

    assert main(["--output", str(target)]) == 0

    assert not (target / PACKAGE / "obsolete.py").exists()
    assert differences(OUTPUT, target) == []
    assert [p.name for p in tmp_path.iterdir()] == ["generated_client"]
