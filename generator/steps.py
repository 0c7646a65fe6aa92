"""The individual generation steps: validate, generate the operations, the attrs models and endpoint modules, the wire
TypedDicts, then format."""

import contextlib
import io
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import jinja2
from datamodel_code_generator import InputFileType, generate
from datamodel_code_generator.enums import DataModelType
from datamodel_code_generator.format import Formatter, PythonVersion
from openapi_python_client import generate as generate_client
from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_python_client.strings import PythonIdentifier, snake_case
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from generator.errors import GenerationError
from generator.settings import (
    CONFIG,
    OPERATIONS_MODULE,
    PACKAGE,
    RUFF_OPTIONS,
    RUFF_SELECT,
    TEMPLATES,
    UNUSED_MODULES,
    WIRE_MODULE,
)


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


def remove_unused_modules(package_dir: Path) -> None:
    """openapi-python-client always writes an HTTP client and its errors; nothing here sends requests, so they go."""
    for name in UNUSED_MODULES:
        (package_dir / name).unlink()


_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _resolved(node: Any, document: dict[str, Any]) -> Any:
    # Only local references ("#/components/..."): the spec is one file.
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _service(servers: list[dict[str, Any]]) -> str:
    # The cloud server is listed first; its host's first label names the service (api, proxy, actionkit, hermes).
    if not servers:
        return "api"
    host = urlsplit(servers[0]["url"]).hostname or ""
    return host.split(".")[0] or "api"


def operation_table(document: dict[str, Any]) -> list[dict[str, str | None]]:
    """Every operation of the spec with what a router or a sender needs, in the spec's order."""
    prefix = ConfigFile.load_from_path(CONFIG).field_prefix or "field_"
    operations: list[dict[str, str | None]] = []
    for path, item in document["paths"].items():
        for method in _HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [
                _resolved(p, document) for p in (*item.get("parameters", ()), *operation.get("parameters", ()))
            ]
            catch_all = [p["name"] for p in parameters if p.get("in") == "path" and p.get("x-paragon-catch-all")]
            tag = operation["tags"][0]
            operation_id = operation["operationId"]
            servers = operation.get("servers") or item.get("servers") or document.get("servers", [])
            operations.append(
                {
                    "constant": snake_case(operation_id).upper(),
                    "id": operation_id,
                    "method": method.upper(),
                    "path": path,
                    "service": _service(servers),
                    "tag": tag,
                    "module": f"{PACKAGE}.api.{PythonIdentifier(tag, prefix)}.{PythonIdentifier(operation_id, prefix)}",
                    "catch_all": catch_all[0] if catch_all else None,
                }
            )
    return operations


def generate_operations(spec: Path, package_dir: Path, shown_spec: str) -> None:
    """Write ``operations.py``: every operation as data, which the endpoint modules and the wrapper import."""
    document, _ = read_from_filename(str(spec))
    operations = operation_table(dict(document))
    environment = jinja2.Environment(  # noqa: S701 -- it writes Python source, not HTML
        loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
    )
    text = environment.get_template("operations.py.jinja").render(
        spec=shown_spec, operations=operations, services=sorted({str(op["service"]) for op in operations})
    )
    (package_dir / OPERATIONS_MODULE).write_text(text, encoding="utf-8")


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
