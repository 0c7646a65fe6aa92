"""The individual generation steps: validate, generate the attrs client, the wire TypedDicts, then format."""

import contextlib
import io
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, cast

from datamodel_code_generator import InputFileType, generate
from datamodel_code_generator.enums import DataModelType
from datamodel_code_generator.format import Formatter, PythonVersion
from openapi_python_client import generate as generate_client
from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from generator.errors import GenerationError
from generator.settings import CONFIG, RUFF_OPTIONS, RUFF_SELECT, TEMPLATES, WIRE_MODULE


def validate_spec(spec: Path) -> None:
    """Reject a spec that is not valid OpenAPI before any code is generated from it."""
    document, base_uri = read_from_filename(str(spec))
    try:
        validate(document, base_uri=base_uri)
    except OpenAPIValidationError as exc:
        raise GenerationError(f"{spec}: invalid OpenAPI document: {exc}") from exc


def generate_attrs_client(spec: Path, package_dir: Path) -> None:
    """Run openapi-python-client; any message it reports, even a warning, means part of the API went missing."""
    config_file = ConfigFile.load_from_path(CONFIG)
    # Ruff runs later, pinned and isolated; the built-in hooks would use whatever ruff is on PATH.
    config_file.post_hooks = []
    config = Config.from_sources(config_file, MetaType.NONE, spec, "utf-8", overwrite=True, output_path=package_dir)
    # The library prints progress to stdout; the CLI keeps its own output.
    with contextlib.redirect_stdout(io.StringIO()):
        problems = generate_client(config=config, custom_template_path=TEMPLATES)
    if problems:
        report = "\n\n".join(f"{p.level.value} {p.header}: {p.detail}" for p in problems)
        raise GenerationError(f"openapi-python-client reported {len(problems)} problem(s):\n\n{report}")


def _strip_descriptions(node: object) -> object:
    # YAML block scalars (`|`) end in a newline, which datamodel-codegen turns into a blank docstring line.
    if isinstance(node, dict):
        return {
            k: v.rstrip() if k == "description" and isinstance(v, str) else _strip_descriptions(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_strip_descriptions(item) for item in node]
    return node


def generate_wire_types(spec: Path, package_dir: Path, header: str) -> None:
    """Write wire-shape TypedDicts of every component schema, for payloads handed over without parsing."""
    document, _ = read_from_filename(str(spec))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        generate(
            cast(dict[str, Any], _strip_descriptions(dict(document))),
            input_file_type=InputFileType.OpenAPI,
            output=package_dir / WIRE_MODULE,
            output_model_type=DataModelType.TypingTypedDict,
            target_python_version=PythonVersion.PY_311,
            use_standard_collections=True,
            use_union_operator=True,
            disable_timestamp=True,
            formatters=[Formatter.BUILTIN],
            use_schema_description=True,
            use_field_description=True,
            use_single_line_docstring=True,
            custom_file_header=header,
        )
    # Dependencies' deprecation notices are not about the spec; anything else is.
    own = [w for w in caught if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning)]
    if own:
        report = "\n".join(f"{w.category.__name__}: {w.message}" for w in own)
        raise GenerationError(f"datamodel-code-generator reported warning(s):\n{report}")


def add_headers(package_dir: Path, header: str) -> None:
    """Mark every generated module, so nobody edits one by hand."""
    for path in sorted(package_dir.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if not text.startswith(header):
            path.write_text(f"{header}\n{text}", encoding="utf-8")


def format_package(package_dir: Path) -> None:
    """Fix imports and pyupgrade-style issues, then format, with the pinned ruff and nothing from the environment."""
    ruff = [sys.executable, "-m", "ruff"]
    target = str(package_dir)
    check = [*ruff, "check", *RUFF_OPTIONS, "--select", RUFF_SELECT, "--fix-only", "--exit-zero", "--quiet", target]
    for command in (check, [*ruff, "format", *RUFF_OPTIONS, "--quiet", target]):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise GenerationError(f"{' '.join(command[2:4])} failed:\n{result.stdout}{result.stderr}")
