"""Every SDK call as data: input validated, request built by the generated operation, response parsed by it.

Nothing here does I/O, so the sync and async sessions share all of it. Calls that need more than one request
(uninstalling looks the integration up first) are generators ("flows") that yield each ``Call`` and receive
its result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Mapping
from typing import Any, TypeVar

import attrs
import httpx
from useparagon_api.api.action_kit import list_actions, run_action
from useparagon_api.api.app_events import send_app_event
from useparagon_api.api.credentials import get_credential, list_credentials
from useparagon_api.api.integrations import get_integration_metadata, list_integrations, uninstall_integration
from useparagon_api.api.users import get_user, update_user_metadata
from useparagon_api.api.workflows import disable_workflow, enable_workflow, trigger_workflow
from useparagon_api.client import Client
from useparagon_api.models import (
    ActionList,
    AppEventRequest,
    AppEventRequestPayload,
    AuthenticatedUser,
    Credential,
    Integration,
    IntegrationMetadata,
    JsonObject,
    ProxyResponse,
    RunActionRequest,
    UnauthenticatedUser,
    UpdateUserMetadataRequest,
    UserMeta,
    WorkflowTriggerBody,
)
from useparagon_api.types import UNSET, Unset
from useparagon_api.wire import IntegrationUninstallEvent, WorkflowStateChangeEvent

from ._errors import IntegrationNotInstalledError, InvalidRequestError
from ._http import Call, ResponseMismatch, Service
from ._retry import REPLAYABLE_PROXY_METHODS
from ._types import RawResponse
from ._validation import (
    _show,
    _type_name,
    encode_json_body,
    proxy_path,
    validate_header_value,
    validate_headers,
    validate_id,
    validate_integration_type,
    validate_query_params,
)

T = TypeVar("T")
Flow = Generator[Call[Any], Any, T]

PROXY_METHODS: frozenset[str] = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
# Headers the caller may not set on proxied or triggered calls: they steer Paragon itself.
_CONTROL_HEADERS = frozenset({"content-type"})
# Generated parsers want a client only to read raise_on_unexpected_status; this one is never used to send.
_PARSER = Client(base_url="http://parser.invalid")


def _from_generated(
    kwargs: dict[str, Any], *, service: Service, route: str, parse: Callable[[httpx.Response], T]
) -> Call[T]:
    headers: dict[str, str] = dict(kwargs.get("headers") or {})
    content = None
    if "json" in kwargs:
        content = encode_json_body(kwargs["json"])
        headers["Content-Type"] = "application/json"
    else:
        headers.pop("Content-Type", None)
    params = kwargs.get("params")
    return Call(
        method=kwargs["method"].upper(),
        service=service,
        path=kwargs["url"],
        route=route,
        parse=parse,
        params=tuple((key, _query_value(value)) for key, value in params.items()) if params else None,
        headers=headers or None,
        content=content,
    )


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parsed(operation: Callable[..., object], *types: type[Any]) -> Callable[[httpx.Response], Any]:
    def parse(response: httpx.Response) -> Any:
        value = operation(client=_PARSER, response=response)
        if isinstance(value, types):
            return value
        raise ResponseMismatch(f"expected {' or '.join(t.__name__ for t in types)}, got {type(value).__name__}")

    return parse


def _parsed_list(operation: Callable[..., object], item: type[Any]) -> Callable[[httpx.Response], list[Any]]:
    def parse(response: httpx.Response) -> list[Any]:
        value = operation(client=_PARSER, response=response)
        if isinstance(value, list) and all(isinstance(entry, item) for entry in value):
            return value
        raise ResponseMismatch(f"expected a list of {item.__name__}")

    return parse


def _no_result(_response: httpx.Response) -> None:
    # Paragon does not document these bodies (200 with an acknowledgement, 201 or 204): success is the status.
    return None


def _json_or_none(response: httpx.Response) -> Any:
    return response.json() if response.content else None


def _workflow_response(response: httpx.Response) -> Any:
    # 202 means the workflow has no Response step: whatever body comes with it is Paragon's acknowledgement.
    return None if response.status_code == 202 else _json_or_none(response)


def _targeting(credential_id: str | None, configuration_id: str | None) -> dict[str, str | Unset]:
    if configuration_id is not None and credential_id is None:
        # The JS SDK refuses this too: a configuration is only meaningful within one credential.
        raise InvalidRequestError("configuration_id needs credential_id (the configuration's credential)")
    return {
        "x_paragon_credential": UNSET
        if credential_id is None
        else validate_header_value(credential_id, name="credential_id"),
        "x_paragon_configuration_id": (
            UNSET if configuration_id is None else validate_header_value(configuration_id, name="configuration_id")
        ),
    }


def _shown(value: object) -> str:
    # Caller input echoed in a message stays bounded and escaped, so a 10 kB or CR/LF-laden value cannot bloat or
    # split a log line; anything but a str is named by its type (repr() of a huge int even raises ValueError).
    return _show(value) if isinstance(value, str) else _type_name(value)


def _mapping(value: object, *, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise InvalidRequestError(f"{name} must be a dict with str keys, got {type(value).__name__}")
    return value


# -- Users ---------------------------------------------------------------------------------------------------------

GET_USER_ROUTE = "GET /projects/{projectId}/sdk/me"


@functools.lru_cache(maxsize=64)  # a Call is immutable, and these depend on the project alone
def get_user_call(project_id: str) -> Call[AuthenticatedUser | UnauthenticatedUser]:
    return _from_generated(
        get_user._get_kwargs(project_id),
        service="api",
        route=GET_USER_ROUTE,
        parse=_parsed(get_user._parse_response, AuthenticatedUser, UnauthenticatedUser),
    )


def normalize_user_meta(meta: object) -> dict[str, Any]:
    """Paragon's ``Name`` and ``Email`` keys are case-sensitive; like the JS SDK, accept any case and trim keys."""
    canonical = {"name": "Name", "email": "Email"}
    normalized: dict[str, Any] = {}
    for key, value in _mapping(meta, name="metadata").items():
        stripped = key.strip()
        if not stripped:
            raise InvalidRequestError("metadata keys must be non-empty strings")
        normalized[canonical.get(stripped.lower(), stripped)] = value
    return normalized


def set_user_metadata_flow(project_id: str, meta: object) -> Flow[AuthenticatedUser]:
    normalized = normalize_user_meta(meta)
    kwargs = update_user_metadata._get_kwargs(
        project_id, body=UpdateUserMetadataRequest(meta=UserMeta.from_dict(normalized))
    )
    # The generated to_dict() moves the declared keys (Name, Email) after the others; send the caller's order.
    kwargs["json"] = {"meta": normalized}
    updated: AuthenticatedUser | None = yield _from_generated(
        kwargs,
        service="api",
        route="PATCH /projects/{projectId}/sdk/me",
        parse=_user_or_none,
    )
    if updated is None:
        # Paragon does not document this response; the JS SDK re-reads the user too.
        # Only an authenticated user will do; the parser's mismatch becomes an APIResponseValidationError.
        user: AuthenticatedUser = yield attrs.evolve(
            get_user_call(project_id), parse=_parsed(get_user._parse_response, AuthenticatedUser)
        )
        return user
    return updated


def _user_or_none(response: httpx.Response) -> AuthenticatedUser | None:
    try:
        value = update_user_metadata._parse_response(client=_PARSER, response=response)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return value if isinstance(value, AuthenticatedUser) else None


# -- Integrations and credentials ------------------------------------------------------------------------------------

LIST_INTEGRATIONS_ROUTE = "GET /projects/{projectId}/sdk/integrations"


@functools.lru_cache(maxsize=64)  # a Call is immutable, and these depend on the project alone
def get_integration_metadata_call(project_id: str) -> Call[list[IntegrationMetadata]]:
    return _from_generated(
        get_integration_metadata._get_kwargs(project_id),
        service="api",
        route="GET /projects/{projectId}/sdk/metadata",
        parse=_parsed_list(get_integration_metadata._parse_response, IntegrationMetadata),
    )


@functools.lru_cache(maxsize=64)  # a Call is immutable, and these depend on the project alone
def get_integrations_call(project_id: str) -> Call[list[Integration]]:
    return _from_generated(
        list_integrations._get_kwargs(project_id),
        service="api",
        route=LIST_INTEGRATIONS_ROUTE,
        parse=_parsed_list(list_integrations._parse_response, Integration),
    )


@functools.lru_cache(maxsize=64)  # a Call is immutable, and these depend on the project alone
def get_credentials_call(project_id: str) -> Call[list[Credential]]:
    return _from_generated(
        list_credentials._get_kwargs(project_id),
        service="api",
        route="GET /projects/{projectId}/sdk/credentials",
        parse=_parsed_list(list_credentials._parse_response, Credential),
    )


def get_credential_call(project_id: str, credential_id: object) -> Call[Credential]:
    return _from_generated(
        get_credential._get_kwargs(project_id, validate_id(credential_id, name="credential_id")),
        service="api",
        route="GET /projects/{projectId}/sdk/credentials/{credentialId}",
        parse=_parsed(get_credential._parse_response, Credential),
    )


def find_integration(integrations: list[Integration], integration_type: str) -> Integration:
    """The project's integration of that type, or IntegrationNotInstalledError naming the ones it has."""
    match = next((entry for entry in integrations if entry.type_ == integration_type), None)
    if match is None:
        known = ", ".join(sorted(entry.type_ for entry in integrations)) or "none"
        raise IntegrationNotInstalledError(
            f"{integration_type!r} is not an integration of this project (it has: {known})",
            integration=integration_type,
        )
    return match


def uninstall_integration_flow(
    project_id: str, integration: object, credential_id: str | None
) -> Flow[IntegrationUninstallEvent]:
    integration_type = validate_integration_type(integration)
    targeting = _targeting(credential_id, None)
    integrations: list[Integration] = yield get_integrations_call(project_id)
    match = find_integration(integrations, integration_type)
    if match.has_credential is False:
        raise IntegrationNotInstalledError(
            f"the user has not connected {integration_type!r}, so there is nothing to uninstall",
            integration=integration_type,
        )
    integration_id = validate_id(match.id, name="integration id from Paragon")
    yield _from_generated(
        uninstall_integration._get_kwargs(
            project_id, integration_id, x_paragon_credential=targeting["x_paragon_credential"]
        ),
        service="api",
        route="DELETE /projects/{projectId}/sdk/integrations/{integrationId}",
        parse=_no_result,
    )
    return {"type": "onIntegrationUninstall", "integrationId": integration_id, "integrationType": integration_type}


# -- Workflows and events --------------------------------------------------------------------------------------------


def set_workflow_state_flow(
    project_id: str,
    workflow_id: object,
    *,
    enabled: bool,
    credential_id: str | None,
    configuration_id: str | None,
    with_event: bool,
) -> Flow[WorkflowStateChangeEvent | None]:
    """Enable or disable a workflow; when someone listens for onWorkflowChange, find its integration first."""
    workflow = validate_id(workflow_id, name="workflow_id")
    targeting = _targeting(credential_id, configuration_id)
    integration_id = ""
    if with_event:
        integrations: list[Integration] = yield get_integrations_call(project_id)
        integration_id = next(
            (entry.id for entry in integrations for flow in entry.workflows if flow.id == workflow), ""
        )
    operation = enable_workflow if enabled else disable_workflow
    yield _from_generated(
        operation._get_kwargs(project_id, workflow, **targeting),
        service="api",
        route=f"{'POST' if enabled else 'DELETE'} /projects/{{projectId}}/sdk/workflows/{{workflowId}}",
        parse=_no_result,
    )
    if not with_event:
        return None
    return {
        "type": "onWorkflowChange",
        "integrationId": integration_id,
        "workflowId": workflow,
        "workflowStateChange": {"enabled": enabled},
    }


def event_call(
    project_id: str, name: object, payload: object, credential_id: str | None, configuration_id: str | None
) -> Call[None]:
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequestError(f"event name must be a non-empty str, got {_shown(name)}")
    body = AppEventRequest(name=name, payload=AppEventRequestPayload.from_dict(_mapping(payload, name="payload")))
    return _from_generated(
        send_app_event._get_kwargs(project_id, body=body, **_targeting(credential_id, configuration_id)),
        service="api",
        route="POST /projects/{projectId}/sdk/events/trigger",
        parse=_no_result,
    )


def workflow_call(
    project_id: str,
    workflow_id: object,
    *,
    body: object,
    query: Mapping[str, object] | None,
    headers: Mapping[str, str] | None,
    credential_id: str | None,
    configuration_id: str | None,
) -> Call[Any]:
    workflow = validate_id(workflow_id, name="workflow_id")
    trigger_body = WorkflowTriggerBody.from_dict(_mapping({} if body is None else body, name="body"))
    call = _from_generated(
        trigger_workflow._get_kwargs(
            project_id, workflow, body=trigger_body, **_targeting(credential_id, configuration_id)
        ),
        service="api",
        route="POST /projects/{projectId}/sdk/triggers/{workflowId}",
        parse=_workflow_response,
    )
    extra_headers = validate_headers(headers, reserved=_CONTROL_HEADERS)
    params = tuple(validate_query_params(query, name="query"))
    if not extra_headers and not params:
        return call
    merged = {**extra_headers, **(call.headers or {})}
    return attrs.evolve(call, params=params or None, headers=merged)


# -- Proxy API -------------------------------------------------------------------------------------------------------

PROXY_ROUTE = "{method} /projects/{{projectId}}/sdk/proxy/{{integrationType}}/{{path}}"


def proxy_call(
    project_id: str,
    integration: object,
    path: object,
    *,
    method: object,
    body: object,
    params: Mapping[str, object] | None,
    headers: Mapping[str, str] | None,
    credential_id: str | None,
    raw: bool,
    stream: bool = False,
) -> Call[Any]:
    """The Proxy API's path is a catch-all OpenAPI cannot express, so this builds the URL itself (safely).

    A stream is a raw call whose body is handed over unread.
    """
    raw = raw or stream
    verb = method.upper() if isinstance(method, str) else ""
    if verb not in PROXY_METHODS:
        raise InvalidRequestError(f"method must be one of {', '.join(sorted(PROXY_METHODS))}, got {_shown(method)}")
    suffix = proxy_path(path)
    integration_type = validate_integration_type(integration)
    request_headers = validate_headers(headers, reserved=frozenset())
    if credential_id is not None:
        request_headers["X-Paragon-Credential"] = validate_header_value(credential_id, name="credential_id")
    if raw:
        request_headers["X-Paragon-Use-Raw-Response"] = "1"
    content = None
    if body is not None:
        if verb in ("GET", "DELETE"):
            raise InvalidRequestError(f"a {verb} request cannot have a body; pass params= for the query string")
        if isinstance(body, bytes | bytearray):
            content = bytes(body)
            request_headers.setdefault("Content-Type", "application/octet-stream")
        else:
            content = encode_json_body(body)
            request_headers["Content-Type"] = "application/json"
    return Call(
        method=verb,
        service="proxy",
        path=f"/projects/{project_id}/sdk/proxy/{integration_type}/{suffix}",
        route=PROXY_ROUTE.format(method=verb),
        parse=_raw_response if raw else _proxy_output,
        params=tuple(validate_query_params(params)) or None,
        headers=request_headers or None,
        content=content,
        replayable=verb in REPLAYABLE_PROXY_METHODS,
        relayed_status=raw,
        stream=stream,
    )


def _proxy_output(response: httpx.Response) -> Any:
    if not response.content:
        return None
    return ProxyResponse.from_dict(response.json()).output


def _raw_response(response: httpx.Response) -> RawResponse:
    return RawResponse(status_code=response.status_code, headers=response.headers, content=response.content)


# -- ActionKit -------------------------------------------------------------------------------------------------------


def list_actions_call(
    project_id: str, *, integrations: list[str] | None, categories: list[str] | None, limit_to_available: bool
) -> Call[ActionList]:
    def csv(values: list[str] | None, validate: Callable[[object], str]) -> str | Unset:
        return UNSET if values is None else ",".join(validate(value) for value in values)

    return _from_generated(
        list_actions._get_kwargs(
            project_id,
            integrations=csv(integrations, validate_integration_type),
            categories=csv(categories, functools.partial(validate_id, name="category")),
            limit_to_available=limit_to_available,
        ),
        service="actionkit",
        route="GET /projects/{projectId}/actions",
        parse=_parsed(list_actions._parse_response, ActionList),
    )


def run_action_call(project_id: str, action: object, parameters: object, credential_id: str | None) -> Call[Any]:
    if not isinstance(action, str) or not action.strip():
        raise InvalidRequestError(f"action must be a non-empty str, got {_shown(action)}")
    body = RunActionRequest(
        action=action,
        parameters=JsonObject.from_dict(_mapping({} if parameters is None else parameters, name="parameters")),
    )
    return _from_generated(
        run_action._get_kwargs(
            project_id, body=body, x_paragon_credential=_targeting(credential_id, None)["x_paragon_credential"]
        ),
        service="actionkit",
        route="POST /projects/{projectId}/actions",
        parse=_json_or_none,
    )
