"""``python -m generator --check`` and the determinism it relies on."""

import shutil
from pathlib import Path

import pytest

from generator.__main__ import main
from generator.settings import OUTPUT, PACKAGE
from generator.tree import differences


def test_fresh_generation_matches_committed_tree(fresh_tree: Path) -> None:
    """The committed generated_client/ is exactly what the spec, config and templates produce (what
    ``make check-generated`` checks too), file by file."""
    assert differences(fresh_tree, OUTPUT) == []
    assert (fresh_tree / PACKAGE / "operations.py").is_file()


def test_modified_copy_is_reported_with_every_file_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A stale, a missing and an extra file each make --check fail and are each named (on a copy of the tree)."""
    copy = tmp_path / "generated_client"
    shutil.copytree(OUTPUT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    package = copy / PACKAGE
    (package / "operations.py").write_text((package / "operations.py").read_text() + "\n# hand edit\n")
    (package / "types.py").unlink()
    (package / "models" / "leftover.py").write_text("")

    assert main(["--check", "--output", str(copy)]) == 1

    stderr = capsys.readouterr().err
    assert f"stale:   {PACKAGE}/operations.py" in stderr
    assert f"missing: {PACKAGE}/types.py" in stderr
    assert f"extra:   {PACKAGE}/models/leftover.py" in stderr


def test_a_second_generation_replaces_an_old_tree_byte_for_byte(fresh_tree: Path, tmp_path: Path) -> None:
    """Generating again, over an old tree, reproduces every byte of the first generation and leaves no stale file
    behind and no scratch directory beside it."""
    target = tmp_path / "generated_client"
    (target / PACKAGE).mkdir(parents=True)
    (target / PACKAGE / "obsolete.py").write_text("")

    assert main(["--output", str(target)]) == 0

    assert not (target / PACKAGE / "obsolete.py").exists()
    assert differences(fresh_tree, target) == []
    assert [p.name for p in tmp_path.iterdir()] == ["generated_client"]
