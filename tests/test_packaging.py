"""The wheel ships both import packages, typed, and depends on nothing but the runtime libraries."""

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """A wheel built from the working tree (hatchling comes from the dev extra, so no isolated env is needed)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("useparagon-0.1.0-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_contains_both_typed_packages(wheel: zipfile.ZipFile) -> None:
    """useparagon and useparagon_api are top-level packages, each with its py.typed marker."""
    names = set(wheel.namelist())
    for expected in (
        "useparagon/__init__.py",
        "useparagon/py.typed",
        "useparagon_api/__init__.py",
        "useparagon_api/py.typed",
        "useparagon_api/operations.py",
        "useparagon_api/wire.py",
    ):
        assert expected in names


def test_wheel_has_no_build_or_test_files(wheel: zipfile.ZipFile) -> None:
    """Only the two packages and the dist-info directory are in the wheel."""
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert tops == {"useparagon", "useparagon_api", "useparagon-0.1.0.dist-info"}


def test_wheel_runtime_dependencies(wheel: zipfile.ZipFile) -> None:
    """httpx, attrs and PyJWT with cryptography are the only runtime requirements."""
    metadata = Parser().parsestr(wheel.read("useparagon-0.1.0.dist-info/METADATA").decode())
    requires = sorted(r for r in metadata.get_all("Requires-Dist", []) if "extra ==" not in r)
    assert requires == ["attrs>=22.2", "httpx<0.29,>=0.28", "pyjwt[crypto]>=2.10"]
    assert metadata["Requires-Python"] == ">=3.11"


def test_wheel_metadata_names_the_license_and_where_to_read_more(wheel: zipfile.ZipFile) -> None:
    """MIT, as the spec says, with the license text shipped; keywords and the project's addresses for PyPI."""
    metadata = Parser().parsestr(wheel.read("useparagon-0.1.0.dist-info/METADATA").decode())
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert wheel.read("useparagon-0.1.0.dist-info/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    assert metadata.get_all("Project-URL") == [
        "Homepage, https://pypi.org/project/useparagon/",
        "Paragon SDK API, https://docs.useparagon.com/",
    ]
    assert "paragon" in metadata["Keywords"].split(",")
    assert metadata["Description-Content-Type"] == "text/markdown"
