"""Fixtures shared by the generator tests: one fresh generation per session, since each takes about a second."""

from pathlib import Path

import pytest

from generator.build import build
from generator.settings import SPEC


@pytest.fixture(scope="session")
def fresh_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``generated_client`` tree generated from the committed spec into a temporary directory."""
    return build(SPEC, tmp_path_factory.mktemp("fresh") / "generated_client")
