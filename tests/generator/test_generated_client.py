"""Behaviour the template overrides in generator/templates/ add to the generated client."""

import importlib
import importlib.util
import sys
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from useparagon_api import AuthenticatedClient
from useparagon_api.api.proxy import proxy_get
from useparagon_api.api.users import get_user
from useparagon_api.models import ErrorResponse

from generator.build import build

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "secret-user-token"
PROJECT_ID = "6f1c0c5e-3b0a-4d3f-9b1e-2a7c1d0e9f11"


def _client(transport: httpx.MockTransport) -> AuthenticatedClient:
    return AuthenticatedClient(base_url="https://api.useparagon.com", token=TOKEN, httpx_args={"transport": transport})


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (520, b"<html><body>Web server is returning an unknown error</body></html>"),  # Cloudflare
        (499, b""),  # nginx: client closed request
        (599, b'{"message": "upstream timed out"}'),
    ],
)
def test_status_outside_httpstatus_does_not_crash(status: int, body: bytes) -> None:
    """A status Python's HTTPStatus does not know comes back as a plain int with the raw body kept."""
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body))

    response = get_user.sync_detailed(PROJECT_ID, client=_client(transport))

    assert response.status_code == status
    assert not isinstance(response.status_code, HTTPStatus)
    assert response.content == body
    assert response.parsed is None


def test_known_status_is_still_an_httpstatus() -> None:
    """Statuses HTTPStatus knows keep their enum member, and a documented error body is still parsed."""
    transport = httpx.MockTransport(lambda request: httpx.Response(404, json={"message": "User not found"}))

    response = get_user.sync_detailed(PROJECT_ID, client=_client(transport))

    assert response.status_code is HTTPStatus.NOT_FOUND
    assert isinstance(response.parsed, ErrorResponse)
    assert response.parsed.message == "User not found"


def test_error_status_with_html_body_is_not_parsed() -> None:
    """A documented error status whose body is an HTML error page parses to None instead of raising."""
    transport = httpx.MockTransport(lambda request: httpx.Response(502, content=b"<html>Bad gateway</html>"))

    response = proxy_get.sync_detailed(PROJECT_ID, "slack", "api/users.list", client=_client(transport))

    assert response.status_code == HTTPStatus.BAD_GATEWAY
    assert response.parsed is None


def test_proxy_header_parameters_are_sent_as_str() -> None:
    """The proxy's X-Paragon-* header parameters reach the wire unchanged, as strings."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"output": {"ok": True}})

    credential = "5a9e4e1c-3f41-4c4e-9a4e-0f6f2c1b7d21"
    proxy_get.sync_detailed(
        PROJECT_ID,
        "slack",
        "api/users.list",
        client=_client(httpx.MockTransport(handler)),
        x_paragon_credential=credential,
        x_paragon_use_raw_response="1",
    )

    (request,) = seen
    assert request.headers["X-Paragon-Credential"] == credential
    assert request.headers["X-Paragon-Use-Raw-Response"] == "1"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_token_and_headers_stay_out_of_the_client_repr() -> None:
    """The bearer token appears in no repr, even after the httpx client (and its auth header) exists."""
    client = _client(httpx.MockTransport(lambda request: httpx.Response(204)))
    client.get_httpx_client()

    assert TOKEN not in repr(client)
    assert TOKEN not in repr(client.with_headers({"X-Extra": "1"}))


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
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    transport = httpx.MockTransport(handler)
    client = header_fixture_package.Client(base_url="https://example.test", httpx_args={"transport": transport})
    thing = uuid.UUID("12345678-1234-5678-1234-567812345678")
    kwargs = operation._get_kwargs(
        x_uuid=thing, x_bool=True, x_int=7, x_number=1.5, x_enum=color.GREEN, x_optional_uuid=thing
    )
    assert all(isinstance(value, str) for value in kwargs["headers"].values()), kwargs["headers"]

    operation.sync_detailed(
        client=client, x_uuid=thing, x_bool=False, x_int=7, x_number=1.5, x_enum=color.GREEN, x_optional_uuid=thing
    )

    (request,) = seen
    assert request.headers["X-Uuid"] == str(thing)
    assert request.headers["X-Optional-Uuid"] == str(thing)
    assert request.headers["X-Bool"] == "false"
    assert request.headers["X-Int"] == "7"
    assert request.headers["X-Number"] == "1.5"
    assert request.headers["X-Enum"] == "green"
