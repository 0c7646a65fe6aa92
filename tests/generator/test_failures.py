"""The generator refuses to produce a client that silently lacks part of the API."""

from pathlib import Path

import pytest

from generator.__main__ import main
from generator.build import build
from generator.errors import GenerationError

FIXTURES = Path(__file__).parent / "fixtures"


def test_generator_warning_fails_the_run(tmp_path: Path) -> None:
    """A WARNING from openapi-python-client (an operation it would drop) is an error here."""
    with pytest.raises(GenerationError, match="WARNING"):
        build(FIXTURES / "unsupported_header.yaml", tmp_path / "out")


def test_invalid_spec_is_rejected_before_generation(tmp_path: Path) -> None:
    """openapi-spec-validator runs first, so nothing is generated from an invalid document."""
    with pytest.raises(GenerationError, match="invalid OpenAPI document"):
        build(FIXTURES / "invalid.yaml", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_failed_generation_leaves_the_target_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI exits 2 with the reason on stderr, and the existing tree is not replaced."""
    target = tmp_path / "generated_client"
    target.mkdir()
    (target / "keep.txt").write_text("old")

    assert main(["--spec", str(FIXTURES / "invalid.yaml"), "--output", str(target)]) == 2

    assert "invalid OpenAPI document" in capsys.readouterr().err
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
