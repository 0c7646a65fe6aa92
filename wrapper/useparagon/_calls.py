"""Every SDK call as data: input validated, request built by the generated operation, response parsed by it.

Nothing here does I/O, so the sync and async sessions share all of it. Calls that need more than one request
(uninstalling looks the integration up first) are generators ("flows") that yield each ``Call`` and receive
its result.

Only the generated contract is used: ``useparagon_api.operations`` and each operation module's ``OPERATION``,
``build_request`` and ``parse_response``. Operation modules and models are imported on a call's first use, so
``import useparagon`` does not load them.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeAlias, TypeVar

import attrs
import httpx
from useparagon_api.types import UNSET, Request, Unset

from ._constants import PROXY_METHODS
from ._errors import APIResponseValidationError, IntegrationNotInstalledError, InvalidRequestError
from ._retry import IDEMPOTENT_METHODS, REPLAYABLE_PROXY_METHODS
from ._types import RawResponse
from ._validation import (
    encode_json_body,
    proxy_path,
    show_input,
    validate_header_value,
    validate_headers,
    validate_id,
    validate_integration_type,
    validate_query_params,
)

if TYPE_CHECKING:
    from useparagon_api.models import (
        AuthenticatedUser,
        Credential,
        Integration,
        IntegrationMetadata,
        UnauthenticatedUser,
    )
    from useparagon_api.operations import Operation
    from useparagon_api.wire import IntegrationUninstallEvent, WorkflowStateChangeEvent

T = TypeVar("T")
K = TypeVar("K", bound=str | int)
Service: TypeAlias = Literal["api", "proxy", "actionkit", "sync"]


class ResponseMismatch(ValueError):
    """Raised by a parser when a success response does not have the documented shape."""


def paging_error(operation: Operation, problem: str, iterator: str) -> APIResponseValidationError:
    """A paging iterator's refusal to follow a page the server answered: ``problem`` says what was wrong with it."""
    return APIResponseValidationError(
        f"{operation.route} gave {problem}, so {iterator} stopped",
        method=operation.method,
        route=operation.route,
        status_code=200,
        body=None,
    )


def remember_cursor(cursor: K, seen: set[K], *, limit: int, name: str, operation: Operation, iterator: str) -> None:
    """Note a page cursor (or link) a paging iterator is about to follow: one the server already gave, or one past
    ``limit`` pages, means it is looping, so the iterator stops with an error instead of requesting forever."""
    if cursor in seen or len(seen) >= limit:
        raise paging_error(
            operation, f"a {name} it had already given (or more than {limit:,} pages): it is looping", iterator
        )
    seen.add(cursor)


def _default_replayable(call: Call[Any]) -> bool:
    return call.method in IDEMPOTENT_METHODS


@attrs.frozen(slots=True, repr=False)
class Call(Generic[T]):
    """One HTTP call to a Paragon service, already validated: nothing here comes unchecked from the caller.

    Its repr names the route only: headers, query and body may carry the caller's provider credentials, and error
    trackers render the locals of every frame.
    """

    method: str
    service: Service
    path: str
    # The method and path template, e.g. "GET /projects/{projectId}/sdk/me": messages and logs show it as is.
    route: str
    parse: Callable[[httpx.Response], T]
    params: tuple[tuple[str, str], ...] | None = None
    headers: Mapping[str, str] | None = None
    content: bytes | None = None
    # May run twice without harm, so it is retried even when it may have reached the server.
    replayable: bool = attrs.field(default=attrs.Factory(_default_replayable, takes_self=True))
    # Every status is a third party's (a raw proxy response), never Paragon's own refusal.
    relayed_status: bool = False
    # The body is handed over unread (``stream()``); ``parse`` is not used.
    stream: bool = False
    # For an answer that may hold secrets (account tokens): errors keep only what this returns of the parsed body.
    redact: Callable[[Any], Any] | None = None
    # The integration type a proxy call names: a 404 "Integration not enabled for user." then says what to check.
    integration: str | None = None

    def __repr__(self) -> str:
        return f"Call({getattr(self, 'route', '?')!r})"


Flow = Generator[Call[Any], Any, T]

# Headers the caller may not set on proxied or triggered calls: they steer Paragon itself.
_CONTROL_HEADERS = frozenset({"content-type"})
_SERVICES: dict[str, Service] = {"api": "api", "proxy": "proxy", "actionkit": "actionkit", "sync": "sync"}


def call_for(operation: Operation, request: Request, parse: Callable[[httpx.Response], T]) -> Call[T]:
    """The ``Call`` for a generated ``build_request``'s result: JSON encoded strictly, query values as text."""
    headers: dict[str, str] = dict(request.headers)
    content = None
    if request.json is not UNSET:
        content = encode_json_body(request.json)
        headers["Content-Type"] = "application/json"
    else:
        headers.pop("Content-Type", None)
    params = request.params
    return Call(
        method=request.method,
        service=_SERVICES[operation.service],
        path=request.url,
        route=operation.route,
        parse=parse,
        params=tuple(validate_query_params(params, name="query")) if params else None,
        headers=headers or None,
        content=content,
    )


def operation_call(operation: Operation, returns: type[T], /, *args: Any, **kwargs: Any) -> Call[T]:
    """The ``Call`` for any operation whose success body is one ``returns`` instance, from the generated table: the
    operation's module (imported now, on first use) builds the request and parses the answer. ``args`` and
    ``kwargs`` go to its ``build_request``, so validate caller input before passing it."""
    module = importlib.import_module(operation.module)
    request: Request = module.build_request(*args, **kwargs)
    return call_for(operation, request, parsed(module.parse_response, returns))


def parsed(operation: Callable[[httpx.Response], object], *types: type[Any]) -> Callable[[httpx.Response], Any]:
    """A generated ``parse_response`` that must return one of ``types`` (anything else is a mismatch)."""

    def parse(response: httpx.Response) -> Any:
        value = operation(response)
        if isinstance(value, types):
            return value
        raise ResponseMismatch(f"expected {' or '.join(t.__name__ for t in types)}, got {type(value).__name__}")

    return parse


def _parsed_list(operation: Callable[[httpx.Response], object], item: type[Any]) -> Callable[[httpx.Response], Any]:
    def parse(response: httpx.Response) -> list[Any]:
        value = operation(response)
        if isinstance(value, list) and all(isinstance(entry, item) for entry in value):
            return value
        raise ResponseMismatch(f"expected a list of {item.__name__}")

    return parse


def no_result(_response: httpx.Response) -> None:
    # Paragon does not document these bodies (200 with an acknowledgement, 201 or 204): success is the status.
    return None


def _json_or_none(response: httpx.Response) -> Any:
    return response.json() if response.content else None


def _workflow_response(response: httpx.Response) -> Any:
    # 202 means the workflow has no Response step: whatever body comes with it is Paragon's acknowledgement.
    return None if response.status_code == 202 else _json_or_none(response)


def targeting(credential_id: str | None, configuration_id: str | None) -> dict[str, str | Unset]:
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


def mapping(value: object, *, name: str) -> Mapping[str, Any]:
    """``value`` as a dict with str keys, or InvalidRequestError naming ``name``."""
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise InvalidRequestError(f"{name} must be a dict with str keys, got {type(value).__name__}")
    return value


# -- Users ---------------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)  # a Call is immutable, and these depend on the project alone
def get_user_call(project_id: str) -> Call[AuthenticatedUser | UnauthenticatedUser]:
    from useparagon_api.api.users import get_user
    from useparagon_api.models import AuthenticatedUser, UnauthenticatedUser

    parse = parsed(get_user.parse_response, AuthenticatedUser, UnauthenticatedUser)
    return call_for(get_user.OPERATION, get_user.build_request(project_id), parse)


def authenticated_user_call(project_id: str) -> Call[AuthenticatedUser]:
    from useparagon_api.api.users import get_user
    from useparagon_api.models import AuthenticatedUser

    # Only an authenticated user will do; the parser's mismatch becomes an APIResponseValidationError.
    parse = parsed(get_user.parse_response, AuthenticatedUser)
    return call_for(get_user.OPERATION, get_user.build_request(project_id), parse)


def normalize_user_meta(meta: object) -> dict[str, Any]:
    """Paragon's ``Name`` and ``Email`` keys are case-sensitive; like the JS SDK, accept any case and trim keys."""
    canonical = {"name": "Name", "email": "Email"}
    normalized: dict[str, Any] = {}
    for key, value in mapping(meta, name="metadata").items():
        stripped = key.strip()
        if not stripped:
            raise InvalidRequestError("metadata keys must be non-empty strings")
        normalized[canonical.get(stripped.lower(), stripped)] = value
    return normalized


def set_user_metadata_flow(project_id: str, meta: object) -> Flow[AuthenticatedUser]:
    from useparagon_api.api.users import update_user_metadata
    from useparagon_api.models import AuthenticatedUser, UpdateUserMetadataRequest, UserMeta

    normalized = normalize_user_meta(meta)
    request = update_user_metadata.build_request(
        project_id, body=UpdateUserMetadataRequest(meta=UserMeta.from_dict(normalized))
    )
    # The generated to_dict() moves the declared keys (Name, Email) after the others; send the caller's order.
    request = request._replace(json={"meta": normalized})

    def user_or_none(response: httpx.Response) -> AuthenticatedUser | None:
        try:
            value = update_user_metadata.parse_response(response)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return value if isinstance(value, AuthenticatedUser) else None

    updated: AuthenticatedUser | None = yield call_for(update_user_metadata.OPERATION, request, user_or_none)
    if updated is None:
        # Paragon does not document this response; the JS SDK re-reads the user too.
        user: AuthenticatedUser = yield authenticated_user_call(project_id)
        return user
    return updated


# -- Integrations and credentials ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)  # a Call is immutable, and these depend on the project alone
def get_integration_metadata_call(project_id: str) -> Call[list[IntegrationMetadata]]:
    from useparagon_api.api.integrations import get_integration_metadata
    from useparagon_api.models import IntegrationMetadata

    parse = _parsed_list(get_integration_metadata.parse_response, IntegrationMetadata)
    return call_for(get_integration_metadata.OPERATION, get_integration_metadata.build_request(project_id), parse)


@functools.lru_cache(maxsize=64)  # a Call is immutable, and these depend on the project alone
def get_integrations_call(project_id: str) -> Call[list[Integration]]:
    from useparagon_api.api.integrations import list_integrations
    from useparagon_api.models import Integration

    parse = _parsed_list(list_integrations.parse_response, Integration)
    return call_for(list_integrations.OPERATION, list_integrations.build_request(project_id), parse)


@functools.lru_cache(maxsize=64)  # a Call is immutable, and these depend on the project alone
def get_credentials_call(project_id: str) -> Call[list[Credential]]:
    from useparagon_api.api.credentials import list_credentials
    from useparagon_api.models import Credential

    parse = _parsed_list(list_credentials.parse_response, Credential)
    return call_for(list_credentials.OPERATION, list_credentials.build_request(project_id), parse)


def get_credential_call(project_id: str, credential_id: object) -> Call[Credential]:
    from useparagon_api.models import Credential
    from useparagon_api.operations import GET_CREDENTIAL

    return operation_call(GET_CREDENTIAL, Credential, project_id, validate_id(credential_id, name="credential_id"))


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
    from useparagon_api.api.integrations import uninstall_integration

    integration_type = validate_integration_type(integration)
    chosen = targeting(credential_id, None)
    integrations: list[Integration] = yield get_integrations_call(project_id)
    match = find_integration(integrations, integration_type)
    if match.has_credential is False:
        raise IntegrationNotInstalledError(
            f"the user has not connected {integration_type!r}, so there is nothing to uninstall",
            integration=integration_type,
        )
    integration_id = validate_id(match.id, name="integration id from Paragon")
    request = uninstall_integration.build_request(
        project_id, integration_id, x_paragon_credential=chosen["x_paragon_credential"]
    )
    yield call_for(uninstall_integration.OPERATION, request, no_result)
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
    from useparagon_api.api.workflows import disable_workflow, enable_workflow

    workflow = validate_id(workflow_id, name="workflow_id")
    chosen = targeting(credential_id, configuration_id)
    integration_id = ""
    if with_event:
        integrations: list[Integration] = yield get_integrations_call(project_id)
        integration_id = next(
            (entry.id for entry in integrations for flow in entry.workflows if flow.id == workflow), ""
        )
    operation = enable_workflow if enabled else disable_workflow
    yield call_for(operation.OPERATION, operation.build_request(project_id, workflow, **chosen), no_result)
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
    from useparagon_api.api.app_events import send_app_event
    from useparagon_api.models import AppEventRequest, AppEventRequestPayload

    if not isinstance(name, str) or not name.strip():
        raise InvalidRequestError(f"event name must be a non-empty str, got {show_input(name)}")
    body = AppEventRequest(name=name, payload=AppEventRequestPayload.from_dict(mapping(payload, name="payload")))
    request = send_app_event.build_request(project_id, body=body, **targeting(credential_id, configuration_id))
    return call_for(send_app_event.OPERATION, request, no_result)


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
    from useparagon_api.api.workflows import trigger_workflow
    from useparagon_api.models import WorkflowTriggerBody

    workflow = validate_id(workflow_id, name="workflow_id")
    trigger_body = WorkflowTriggerBody.from_dict(mapping({} if body is None else body, name="body"))
    chosen = targeting(credential_id, configuration_id)
    request = trigger_workflow.build_request(
        project_id,
        workflow,
        body=trigger_body,
        x_paragon_credential=chosen["x_paragon_credential"],
        x_paragon_configuration_id=chosen["x_paragon_configuration_id"],
    )
    call = call_for(trigger_workflow.OPERATION, request, _workflow_response)
    # The spec's query object holds text only; lists (a repeated key), numbers and booleans are sent as the
    # caller's query, checked and encoded the way every query here is.
    extra_headers = validate_headers(headers, reserved=_CONTROL_HEADERS)
    params = tuple(validate_query_params(query, name="query"))
    if not extra_headers and not params:
        return call
    merged = {**extra_headers, **(call.headers or {})}
    return attrs.evolve(call, params=params or None, headers=merged)


# -- Proxy API -------------------------------------------------------------------------------------------------------


def _proxy_operations(*, by_path: bool) -> dict[str, Operation]:
    from useparagon_api.operations import OPERATIONS

    # By path: the catch-all operations; by URL: the Proxy operations without a path (X-Paragon-Proxy-Url).
    return {
        operation.method: operation
        for operation in OPERATIONS
        if operation.tag == "Proxy" and (operation.catch_all is not None) is by_path
    }


_PROXY_OPERATIONS = _proxy_operations(by_path=True)
_PROXY_URL_OPERATIONS = _proxy_operations(by_path=False)


def provider_url(url: object, params: Mapping[str, object] | None) -> str:
    """The ``X-Paragon-Proxy-Url`` value for a provider URL outside the integration's base path: an absolute https URL
    without userinfo or fragment, with ``params`` merged into its query (the provider sees exactly this URL).

    The client never requests it: Paragon's proxy does, with the user's credential. The URL is never echoed in a
    message (its query may hold the caller's keys).
    """
    if not isinstance(url, str):
        raise InvalidRequestError(f"url must be a str, not {type(url).__name__}")
    if not url or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise InvalidRequestError("url must be a non-empty absolute URL without whitespace or control characters")
    try:
        parsed_url = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise InvalidRequestError("url is not a valid URL") from None
    if parsed_url.scheme != "https" or not parsed_url.host:
        raise InvalidRequestError("url must be an absolute https:// URL (Paragon's proxy calls it with the credential)")
    if parsed_url.userinfo:
        raise InvalidRequestError("url must not carry credentials (user:password@); the proxy adds the user's own")
    if parsed_url.fragment or "#" in url:
        raise InvalidRequestError("url must not have a fragment ('#…')")
    pairs = validate_query_params(params)
    if pairs:
        parsed_url = parsed_url.copy_merge_params(tuple(pairs))
    return validate_header_value(str(parsed_url), name="url")


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
    url: object = None,
) -> Call[Any]:
    """The Proxy API's path is a catch-all the generated builder would encode as one segment: the path template is
    the spec's, and the caller's path is checked and encoded here, segment by segment.

    With ``url`` instead of a path, the provider URL goes in ``X-Paragon-Proxy-Url`` (and ``params`` into its
    query) on the spec's path-less proxy operation. A stream is a raw call whose body is handed over unread.
    """
    raw = raw or stream
    verb = method.upper() if isinstance(method, str) else ""
    if verb not in PROXY_METHODS:
        raise InvalidRequestError(f"method must be one of {', '.join(sorted(PROXY_METHODS))}, got {show_input(method)}")
    if path is not None and url is not None:
        raise InvalidRequestError("pass either a path (relative to the integration's API) or url=, not both")
    if path is None and url is None:
        raise InvalidRequestError(
            "path must be a str, not None: a path relative to the integration's API, or url= for a full provider URL"
        )
    target_url = None if url is None else provider_url(url, params)
    operation = (_PROXY_OPERATIONS if target_url is None else _PROXY_URL_OPERATIONS)[verb]
    suffix = proxy_path(path) if target_url is None else ""
    integration_type = validate_integration_type(integration)
    request_headers = validate_headers(headers, reserved=frozenset())
    if target_url is not None:
        request_headers["X-Paragon-Proxy-Url"] = target_url
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
    # project_id was checked when the client was made; integration_type admits no "/", "{" or "%".
    request_path = operation.path.format_map(
        {"projectId": project_id, "integrationType": integration_type, operation.catch_all or "path": suffix}
    )
    return Call(
        method=verb,
        service=_SERVICES[operation.service],
        path=request_path,
        route=operation.route,
        parse=_raw_response if raw else _proxy_output,
        # With url=, params are already in the provider URL.
        params=(tuple(validate_query_params(params)) or None) if target_url is None else None,
        headers=request_headers or None,
        content=content,
        replayable=verb in REPLAYABLE_PROXY_METHODS,
        relayed_status=raw,
        stream=stream,
        integration=integration_type,
    )


def _proxy_output(response: httpx.Response) -> Any:
    if not response.content:
        return None
    body = response.json()
    # As the JS SDK does: unwrap "output" when it is there, and otherwise return the body as it is.
    if isinstance(body, dict) and "output" in body:
        return body["output"]
    return body


def _raw_response(response: httpx.Response) -> RawResponse:
    return RawResponse(status_code=response.status_code, headers=response.headers, content=response.content)


# -- ActionKit (listing, trigger subscriptions, agent tools: _actionkit) -----------------------------------------------


def run_action_call(project_id: str, action: object, parameters: object, credential_id: str | None) -> Call[Any]:
    from useparagon_api.api.action_kit import run_action
    from useparagon_api.models import JsonObject, RunActionRequest

    if not isinstance(action, str) or not action.strip():
        raise InvalidRequestError(f"action must be a non-empty str, got {show_input(action)}")
    body = RunActionRequest(
        action=action,
        parameters=JsonObject.from_dict(mapping({} if parameters is None else parameters, name="parameters")),
    )
    request = run_action.build_request(
        project_id, body=body, x_paragon_credential=targeting(credential_id, None)["x_paragon_credential"]
    )
    return call_for(run_action.OPERATION, request, _json_or_none)
