"""Every operation of the spec, through its generated module and httpx.MockTransport.

Driven by openapi/paragon.yaml itself: for each operation the spec's own examples (path parameters, headers,
request body) go in, the exact method, path and JSON body must come out, and every documented example response
must parse into the documented type.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import useparagon_api.api
import yaml
from useparagon_api.models import ErrorResponse
from useparagon_api.operations import OPERATIONS as GENERATED_OPERATIONS
from useparagon_api.types import UNSET, Unset

SPEC_PATH = Path(__file__).parents[2] / "openapi" / "paragon.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
METHODS = ("get", "put", "post", "patch", "delete")


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _snake(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", name)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().strip("_")


def _modules() -> dict[str, ModuleType]:
    found = {}
    for info in pkgutil.walk_packages(useparagon_api.api.__path__, "useparagon_api.api."):
        if not info.ispkg:
            found[info.name.rsplit(".", 1)[1]] = importlib.import_module(info.name)
    return found


MODULES = _modules()


def _operations() -> Iterator[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
    for path, item in SPEC["paths"].items():
        shared = [_resolve(parameter) for parameter in item.get("parameters", [])]
        for method in METHODS:
            if method in item:
                operation = item[method]
                own = [_resolve(parameter) for parameter in operation.get("parameters", [])]
                yield path, method, operation, shared + own


OPERATIONS = list(_operations())


def _first_example(media: dict[str, Any]) -> Any:
    examples = media.get("examples") or {}
    for example in examples.values():
        return _resolve(example)["value"]
    raise AssertionError("every request and response body in the spec has an example")


def _body_argument(module: ModuleType, example: Any) -> Any:
    hints = typing.get_type_hints(module.build_request)
    for candidate in typing.get_args(hints["body"]) or (hints["body"],):
        if candidate is Unset or candidate is Any:
            continue
        from_dict = getattr(candidate, "from_dict", None)
        if from_dict is not None:
            # A oneOf body (createCredential) is a union: the example fits one of its members.
            try:
                return from_dict(example)
            except (KeyError, TypeError, ValueError):
                continue
    return example


def _case_ids() -> list[str]:
    return [operation["operationId"] for _, _, operation, _ in OPERATIONS]


def test_every_operation_has_a_generated_module() -> None:
    """One module per operationId, named in snake case, with the public contract: OPERATION (the spec's method and
    path), build_request and parse_response; the operations table lists the same operations."""
    missing = [op["operationId"] for _, _, op, _ in OPERATIONS if _snake(op["operationId"]) not in MODULES]
    assert missing == []
    for path, method, operation, _ in OPERATIONS:
        module = MODULES[_snake(operation["operationId"])]
        assert module.__all__ == ("OPERATION", "build_request", "parse_response")
        assert (module.OPERATION.id, module.OPERATION.method, module.OPERATION.path) == (
            operation["operationId"],
            method.upper(),
            path,
        )
        assert importlib.import_module(module.OPERATION.module) is module
    assert sorted((op.id, op.method, op.path) for op in GENERATED_OPERATIONS) == sorted(
        (op["operationId"], method.upper(), path) for path, method, op, _ in OPERATIONS
    )


def test_operations_name_their_service_and_catch_all() -> None:
    """The service comes from the servers the spec lists for the path; only the Proxy API has a catch-all."""
    services = {op.id: op.service for op in GENERATED_OPERATIONS}
    assert services["getUser"] == "api"
    assert services["proxyPatch"] == "proxy"
    assert services["listActions"] == "actionkit"
    assert services["sendAppEventV2"] == "hermes"
    assert {op.id for op in GENERATED_OPERATIONS if op.catch_all == "path"} == {
        "proxyGet",
        "proxyPost",
        "proxyPut",
        "proxyPatch",
        "proxyDelete",
    }
    assert all(op.catch_all is None for op in GENERATED_OPERATIONS if op.tag != "Proxy")


def _send(module: ModuleType, arguments: dict[str, Any], handler: Any) -> tuple[httpx.Response, Any]:
    """Send what ``build_request`` describes with a plain httpx client; parse the answer with ``parse_response``."""
    built = module.build_request(**arguments)
    transport = httpx.MockTransport(handler)
    headers = {"Authorization": "Bearer token"}
    with httpx.Client(base_url="https://api.useparagon.com", transport=transport, headers=headers) as client:
        response = client.request(
            built.method,
            built.url,
            params=built.params,
            headers=built.headers,
            json=None if built.json is UNSET else built.json,
        )
    return response, module.parse_response(response)


@pytest.mark.parametrize(("path", "method", "operation", "parameters"), OPERATIONS, ids=_case_ids())
def test_operation_round_trips_every_documented_response(
    path: str, method: str, operation: dict[str, Any], parameters: list[dict[str, Any]]
) -> None:
    """The spec's examples go out as the exact request; each documented example response parses as documented."""
    module = MODULES[_snake(operation["operationId"])]
    arguments: dict[str, Any] = {}
    expected_path = path
    expected_headers: dict[str, str] = {}
    expected_query: dict[str, str] = {}
    for parameter in parameters:
        if parameter["in"] == "path":
            arguments[_snake(parameter["name"])] = parameter["example"]
            expected_path = expected_path.replace(f"{{{parameter['name']}}}", quote(parameter["example"], safe=""))
        elif parameter["in"] == "header":
            arguments[_snake(parameter["name"])] = parameter["example"]
            expected_headers[parameter["name"].lower()] = parameter["example"]
        elif parameter["in"] == "query" and parameter.get("required"):
            arguments[_snake(parameter["name"])] = parameter["example"]
            expected_query[parameter["name"]] = parameter["example"]
        elif parameter["in"] == "query" and "default" in parameter["schema"]:
            expected_query[parameter["name"]] = json.dumps(parameter["schema"]["default"]).strip('"')
    request_example = None
    if "requestBody" in operation:
        request_example = _first_example(_resolve(operation["requestBody"])["content"]["application/json"])
        arguments["body"] = _body_argument(module, request_example)

    for status, response_spec in operation["responses"].items():
        response = _resolve(response_spec)
        content = response.get("content") or {}
        media = content.get("application/json")
        body = _first_example(media) if media else None
        # A page (text/html) is documented by one example of the whole text; it parses to that text.
        text = next((m["example"] for kind, m in content.items() if kind.startswith("text/")), None)
        # A download with no JSON form (a synced file's content) parses to its bytes.
        octets = content.get("application/octet-stream") if media is None else None
        if octets is not None:
            text = _first_example(octets)
        sent: list[httpx.Request] = []

        def handler(
            request: httpx.Request,
            body: Any = body,
            text: str | None = text,
            status: str = status,
            sent: list[httpx.Request] = sent,
        ) -> httpx.Response:
            sent.append(request)
            if text is not None:
                return httpx.Response(int(status), text=text)
            if body is None:
                return httpx.Response(int(status))
            return httpx.Response(int(status), json=body)

        answer, parsed = _send(module, arguments, handler)

        (request,) = sent
        assert request.method == method.upper()
        assert request.url.raw_path.decode().partition("?")[0] == expected_path
        assert dict(request.url.params) == expected_query
        assert request.headers["authorization"] == "Bearer token"
        for name, value in expected_headers.items():
            assert request.headers[name] == value
        if request_example is None:
            assert request.content == b""
        else:
            assert json.loads(request.content) == request_example
        assert answer.status_code == int(status)
        if octets is not None:
            assert parsed == str(text).encode(), status
        elif text is not None:
            assert parsed == text, status
        elif body is None:
            assert parsed is None, f"{status}: a response without a body parses to None"
        elif int(status) >= 400:
            assert isinstance(parsed, ErrorResponse), f"{status}: {parsed!r}"
        else:
            assert parsed is not None, status
            assert not isinstance(parsed, ErrorResponse), status


def test_unknown_enum_values_and_fields_survive_parsing() -> None:
    """A credential status Paragon adds later and fields it adds later come through instead of failing."""
    from useparagon_api.models import AuthenticatedUser

    user = AuthenticatedUser.from_dict(
        {
            "authenticated": True,
            "userId": "u1",
            "integrations": {
                "salesforce": {"enabled": False, "allCredentials": [], "credentialStatus": "EXPIRED", "newFlag": 1}
            },
            "brandNewField": {"nested": True},
        }
    )
    state = user.integrations["salesforce"]
    assert state.credential_status == "EXPIRED"
    assert state.additional_properties == {"newFlag": 1}
    assert user.additional_properties == {"brandNewField": {"nested": True}}
    assert user.to_dict()["brandNewField"] == {"nested": True}
