"""Behaviour the template overrides in generator/templates/ give the generated contract."""

import importlib
import importlib.util
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from useparagon_api.api.proxy import proxy_get
from useparagon_api.api.users import get_user
from useparagon_api.models import ErrorResponse
from useparagon_api.types import UNSET

from generator.build import build

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT_ID = "6f1c0c5e-3b0a-4d3f-9b1e-2a7c1d0e9f11"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (520, b"<html><body>Web server is returning an unknown error</body></html>"),  # Cloudflare
        (499, b""),  # nginx: client closed request
        (599, b'{"message": "upstream timed out"}'),
    ],
)
def test_an_undocumented_status_parses_to_none(status: int, body: bytes) -> None:
    """A status the spec does not list is not parsed (and does not raise): the caller keeps status and body."""
    assert get_user.parse_response(httpx.Response(status, content=body)) is None


def test_a_documented_error_body_is_parsed() -> None:
    parsed = get_user.parse_response(httpx.Response(404, json={"message": "User not found"}))

    assert isinstance(parsed, ErrorResponse)
    assert parsed.message == "User not found"


def test_an_error_status_with_an_html_body_parses_to_none() -> None:
    """A documented error status whose body is a CDN's HTML page parses to None instead of raising."""
    assert proxy_get.parse_response(httpx.Response(502, content=b"<html>Bad gateway</html>")) is None


def test_a_success_body_that_is_not_the_schema_raises() -> None:
    """The wrapper turns this into APIResponseValidationError; silently returning None would hide a broken API."""
    with pytest.raises((KeyError, TypeError, ValueError)):
        get_user.parse_response(httpx.Response(200, json={"authenticated": True}))


def test_build_request_encodes_path_parameters_and_leaves_unset_headers_out() -> None:
    built = proxy_get.build_request(PROJECT_ID, "slack", "api/users.list", x_paragon_use_raw_response="1")

    assert built.method == "GET"
    # The generated builder encodes every path parameter as one segment; the wrapper builds proxy paths itself.
    assert built.url == f"/projects/{PROJECT_ID}/sdk/proxy/slack/api%2Fusers.list"
    assert built.headers == {"X-Paragon-Use-Raw-Response": "1"}
    assert built.params is None
    assert built.json is UNSET


@pytest.fixture
def header_fixture_package(tmp_path: Path) -> Iterator[ModuleType]:
    """The fixture spec's package, generated into tmp_path and imported under a name of its own."""
    name = "header_fixture_api"
    package_dir = build(FIXTURES / "header_params.yaml", tmp_path / "generated") / "useparagon_api"
    spec = importlib.util.spec_from_file_location(
        name, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
    )
    assert spec is not None
    assert spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    try:
        spec.loader.exec_module(package)
        yield package
    finally:
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]


def test_every_header_parameter_type_is_sent_as_str(header_fixture_package: ModuleType) -> None:
    """uuid, boolean, integer, number and enum header parameters are all converted to str before httpx sees them."""
    operation = importlib.import_module(f"{header_fixture_package.__name__}.api.things.get_things")
    color = importlib.import_module(f"{header_fixture_package.__name__}.models.color").Color
    thing = uuid.UUID("12345678-1234-5678-1234-567812345678")

    built = operation.build_request(
        x_uuid=thing, x_bool=False, x_int=7, x_number=1.5, x_enum=color.GREEN, x_optional_uuid=thing
    )

    assert built.headers == {
        "X-Uuid": str(thing),
        "X-Optional-Uuid": str(thing),
        "X-Bool": "false",
        "X-Int": "7",
        "X-Number": "1.5",
        "X-Enum": "green",
    }
