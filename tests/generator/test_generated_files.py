"""Properties every generated file and every operation must have."""

import re
from pathlib import Path

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from generator.settings import OUTPUT, PACKAGE, SPEC, header_for

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _operation_ids() -> list[str]:
    document, _ = read_from_filename(str(SPEC))
    return [
        str(operation["operationId"])
        for path_item in document["paths"].values()
        for method, operation in path_item.items()
        if method in HTTP_METHODS
    ]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def test_spec_is_valid_openapi() -> None:
    """openapi-spec-validator accepts the spec (the cheap pytest-side twin of `make lint-spec`)."""
    document, base_uri = read_from_filename(str(SPEC))
    validate(document, base_uri=base_uri)


def test_every_generated_module_starts_with_the_header() -> None:
    """Every .py file says it is generated, on its first line; py.typed is the only other file and is empty."""
    header = header_for(SPEC)
    files = [p for p in OUTPUT.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert files
    for path in files:
        if path.suffix == ".py":
            assert path.read_text(encoding="utf-8").splitlines()[0] == header, path
        else:
            assert path.name == "py.typed", path
            assert path.read_bytes() == b""


def test_every_operation_has_a_module() -> None:
    """Each operationId in the spec became api/<tag>/<operation_id>.py; none was dropped."""
    modules = {p.stem for p in (OUTPUT / PACKAGE / "api").glob("*/*.py") if p.stem != "__init__"}
    operation_ids = _operation_ids()
    assert operation_ids
    missing = sorted(_snake(op) for op in operation_ids if _snake(op) not in modules)
    assert missing == []


def test_no_tool_cache_is_committed() -> None:
    """The generator's ruff runs with --no-cache, so no .ruff_cache ends up in the package."""
    assert not list(Path(OUTPUT).rglob(".ruff_cache"))
