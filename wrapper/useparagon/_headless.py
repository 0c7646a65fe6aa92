"""The REST calls behind the JS SDK's headless mode, as data and flows (no I/O, shared by both sessions): User
Settings, Multi-Configuration instances, account details with the provider's token, dynamic field options,
workflow state in bulk, the ActionKit trigger catalog and custom-webhook URLs.

Followed from ``@useparagon/connect`` 2.4.0 (``dist/src/ConnectSDK.js``: ``updateConfig``,
``updateIntegrationUserSettings``, ``updateWorkflowUserSettings``, ``createConfiguration``, ``updateConfiguration``,
``destroyConfiguration``, ``getIntegrationAccount``, ``getFieldOptions``, ``updateWorkflowState``, ``getTriggers``,
``getCustomWebhookUserManualUrl``) and checked against FakeParagon, not a live project. The JS SDK reads the user's
state from its own copy of ``GET /sdk/me``; a backend has none, so the calls that need it read ``/sdk/me`` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import attrs
import httpx
from useparagon_api.types import UNSET, Unset

from ._calls import (
    Call,
    Flow,
    ResponseMismatch,
    authenticated_user_call,
    call_for,
    get_credential_call,
    get_integrations_call,
    mapping,
    no_result,
    parsed,
    remember_cursor,
)
from ._errors import (
    APIError,
    CredentialNotFoundError,
    IntegrationNotInstalledError,
    InvalidRequestError,
    WorkflowNotFoundError,
)
from ._redaction import redact_secrets
from ._types import safe_attrs_repr
from ._validation import encode_json_body, show_input, validate_header_value, validate_id, validate_integration_type

if TYPE_CHECKING:
    from useparagon_api.models import (
        AuthenticatedUser,
        Credential,
        CredentialConfiguration,
        Integration,
        TriggerList,
        UpdatedCredential,
    )

__all__ = ["FieldOptions", "UserSettingsUpdate", "WorkflowStateError", "WorkflowStateUpdate"]

# A data source that keeps answering with cursors it already gave is looping; iter_field_options stops it.
MAX_FIELD_OPTION_PAGES = 10_000


# -- Results ---------------------------------------------------------------------------------------------------------


@attrs.frozen(repr=False)
class UserSettingsUpdate:
    """What ``update_integration_user_settings`` and ``update_workflow_user_settings`` return, as the JS SDK's
    ``{userState, errors}``: the credential after the update, the configuration that changed (``None`` if Paragon's
    answer does not list it), and the messages of the settings Paragon did not save (a 200 with ``errors``)."""

    __repr__ = safe_attrs_repr

    credential: UpdatedCredential
    configuration: CredentialConfiguration | None
    errors: list[str]

    @property
    def ok(self) -> bool:
        """Whether every setting was saved."""
        return not self.errors


@attrs.frozen(repr=False)
class FieldOptions:
    """One page of a dynamic input's choices (``get_field_options``), split as the JS SDK splits it: ``data`` holds
    options (``{"label", "value"}``…), ``nested_data`` records that carry an ``id`` (nested inputs).
    ``next_page_cursor`` is the ``cursor=`` of the next page, ``None`` on the last one."""

    __repr__ = safe_attrs_repr

    data: list[dict[str, Any]]
    nested_data: list[dict[str, Any]]
    next_page_cursor: str | int | None


@attrs.frozen(repr=False)
class WorkflowStateError:
    """One workflow ``update_workflow_state`` could not change: its id, the message and the error itself."""

    __repr__ = safe_attrs_repr

    workflow_id: str
    message: str
    error: APIError = attrs.field(repr=False)


@attrs.frozen(repr=False)
class WorkflowStateUpdate:
    """What ``update_workflow_state`` returns: the workflows it changed, in order, and one error per other one."""

    __repr__ = safe_attrs_repr

    updated: list[str]
    errors: list[WorkflowStateError]

    @property
    def ok(self) -> bool:
        return not self.errors


# -- Account details -------------------------------------------------------------------------------------------------


def _parse_account(response: httpx.Response) -> Integration:
    from useparagon_api.api.credentials import list_credentials
    from useparagon_api.models import Integration

    value: object = None
    failed = False
    try:
        value = list_credentials.parse_response(response)
    except Exception:  # a parser may fail in any way on hostile JSON
        failed = True
    # Raised outside the handler: the parser's frames (their locals hold the tokens) stay out of every traceback.
    if failed or not isinstance(value, Integration):
        raise ResponseMismatch("expected one integration account (an object), not a list of credentials")
    return value


def integration_account_call(
    project_id: str, integration: object, include_account_auth: object, credential_id: str | None
) -> Call[Integration]:
    """``GET /sdk/credentials?integration=…&includeAccountAuth=…``: one object, whose ``accountAuth`` is a secret."""
    from useparagon_api.api.credentials import list_credentials

    integration_type = validate_integration_type(integration)
    if not isinstance(include_account_auth, bool):
        raise InvalidRequestError(f"include_account_auth must be a bool, got {type(include_account_auth).__name__}")
    request = list_credentials.build_request(
        project_id,
        integration=integration_type,
        # The JS SDK sends the literal "undefined" when the option is left out; false says the same thing.
        include_account_auth=include_account_auth,
        x_paragon_credential=_header_or_unset(credential_id, "credential_id"),
    )
    return attrs.evolve(call_for(list_credentials.OPERATION, request, _parse_account), redact=redact_secrets)


def _header_or_unset(value: object, name: str) -> str | Unset:
    return UNSET if value is None else validate_header_value(value, name=name)


# -- User Settings ---------------------------------------------------------------------------------------------------


def _select(
    user: AuthenticatedUser, integration_type: str, credential_id: str | None, configuration_id: str | None
) -> tuple[Credential, CredentialConfiguration]:
    """The JS SDK's ``getCredentialPair``: the chosen (else the current) VALID credential of the integration, and the
    chosen (else the default) configuration of it."""
    from useparagon_api.models import CredentialStatus

    state = user.integrations.additional_properties.get(integration_type)
    if state is None:
        known = ", ".join(sorted(user.integrations.additional_properties)) or "none"
        raise IntegrationNotInstalledError(
            f"{integration_type!r} is not an integration of this project (it has: {known})",
            integration=integration_type,
        )
    wanted = credential_id if credential_id is not None else _text(state.credential_id)
    if wanted is None:
        raise CredentialNotFoundError(f"the user has not connected {integration_type!r}", integration=integration_type)
    credential = next((entry for entry in state.all_credentials if entry.id == wanted), None)
    if credential is None:
        raise CredentialNotFoundError(
            f"the user has no {integration_type!r} credential with the id {show_input(wanted)}",
            integration=integration_type,
        )
    if credential.status not in (CredentialStatus.VALID, "VALID"):
        raise CredentialNotFoundError(
            f"the user's {integration_type!r} credential is {credential.status!s} (not VALID): they must reconnect it",
            integration=integration_type,
        )
    configuration = _find_configuration(credential, configuration_id)
    if configuration is None:
        which = "default configuration" if configuration_id is None else f"configuration {show_input(configuration_id)}"
        raise CredentialNotFoundError(
            f"the user's {integration_type!r} credential has no {which}", integration=integration_type
        )
    return credential, configuration


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _find_configuration(credential: Credential, configuration_id: str | None) -> CredentialConfiguration | None:
    """By id, or by ``ext:<externalId>`` as Paragon addresses configurations; the default one without an id."""
    configurations = [] if isinstance(credential.configurations, Unset) else credential.configurations
    for configuration in configurations:
        if configuration_id is None:
            if configuration.is_default is True:
                return configuration
        elif configuration.id == configuration_id or (
            configuration_id.startswith("ext:") and configuration.external_id == configuration_id[4:]
        ):
            return configuration
    return None


def update_user_settings_flow(
    project_id: str,
    integration: object,
    settings: object,
    *,
    workflow_id: object = None,
    credential_id: object = None,
    configuration_id: object = None,
) -> Flow[UserSettingsUpdate]:
    """``PATCH /sdk/credentials/{id}`` with ``{config: {sharedSettings}}`` (integration settings) or ``{config:
    {workflowSettings}}`` (one workflow's): the current values of that part merged with ``settings``, sent whole.

    Whether Paragon clears keys left out of ``config`` is not settled (its docs say ``config`` is replaced; the JS
    SDK sends one part only), so, as the SDK does, the part that changes is sent whole and the other left out.
    """
    from useparagon_api.api.credentials import update_credential
    from useparagon_api.models import UpdateCredentialRequest, UpdatedCredential

    integration_type = validate_integration_type(integration)
    changes = _json_object(settings, name="settings")
    workflow = None if workflow_id is None else validate_id(workflow_id, name="workflow_id")
    chosen_credential = None if credential_id is None else validate_id(credential_id, name="credential_id")
    chosen_configuration = (
        None if configuration_id is None else validate_header_value(configuration_id, name="configuration_id")
    )
    user: AuthenticatedUser = yield authenticated_user_call(project_id)
    credential, configuration = _select(user, integration_type, chosen_credential, chosen_configuration)
    current = configuration.to_dict()
    if workflow is None:
        shared = current.get("sharedSettings")
        config = {"sharedSettings": {**(shared if isinstance(shared, dict) else {}), **changes}}
    else:
        found = current.get("workflowSettings")
        workflows: dict[str, Any] = found if isinstance(found, dict) else {}
        entry = workflows.get(workflow)
        if not isinstance(entry, dict):
            raise WorkflowNotFoundError(
                f"workflow {workflow!r} is not in the settings of the user's {integration_type!r} configuration"
                " (enable it first)",
                workflow_id=workflow,
            )
        old = entry.get("settings")
        workflows[workflow] = {**entry, "settings": {**(old if isinstance(old, dict) else {}), **changes}}
        config = {"workflowSettings": workflows}
    credential_key = validate_id(credential.id, name="credential id from Paragon")
    configuration_key = validate_header_value(configuration.id, name="configuration id from Paragon")
    body = {"config": config}
    request = update_credential.build_request(
        project_id,
        credential_key,
        body=UpdateCredentialRequest.from_dict(body),
        x_paragon_credential=credential_key,
        x_paragon_configuration_id=configuration_key,
    )._replace(json=body)  # the generated to_dict() reorders keys; send the settings as merged
    updated: UpdatedCredential = yield call_for(
        update_credential.OPERATION, request, parsed(update_credential.parse_response, UpdatedCredential)
    )
    configurations = [] if isinstance(updated.configurations, Unset) else updated.configurations
    return UserSettingsUpdate(
        credential=updated,
        configuration=next((entry for entry in configurations if entry.id == configuration.id), None),
        errors=[] if isinstance(updated.errors, Unset) else [str(error) for error in updated.errors],
    )


def _json_object(value: object, *, name: str) -> dict[str, Any]:
    checked = dict(mapping(value, name=name))
    encode_json_body(checked, name=name)  # the same JSON checks as any body, before any I/O
    return checked


# -- Configurations --------------------------------------------------------------------------------------------------


def _configuration_of(credential: Credential, configuration_id: str) -> CredentialConfiguration:
    found = _find_configuration(credential, configuration_id)
    if found is None:
        raise ResponseMismatch("the credential in the answer does not list the configuration")
    return found


def _newest_configuration(credential: Credential, external_id: str | None) -> CredentialConfiguration:
    configurations = [] if isinstance(credential.configurations, Unset) else credential.configurations
    if external_id is not None:
        matching = [entry for entry in configurations if entry.external_id == external_id]
        configurations = matching or configurations
    if not configurations:
        raise ResponseMismatch("the credential in the answer has no configurations")
    # The JS SDK takes the newest by dateCreated; the later entry wins a tie (same millisecond).
    ranked = sorted(enumerate(configurations), key=lambda pair: (str(pair[1].date_created), pair[0]))
    return ranked[-1][1]


def _credential_parser(
    operation: Any, pick: Any
) -> Any:  # a parse function: the credential in the answer, then the configuration ``pick`` finds in it
    from useparagon_api.models import Credential

    credential = parsed(operation.parse_response, Credential)

    def parse(response: httpx.Response) -> CredentialConfiguration:
        found: CredentialConfiguration = pick(credential(response))
        return found

    return parse


def create_configuration_call(
    project_id: str, credential_id: object, external_id: object
) -> Call[CredentialConfiguration]:
    """``POST /sdk/credentials/{id}/configurations``; the new configuration is the newest of the answer's."""
    from useparagon_api.api.credentials import create_credential_configuration as operation
    from useparagon_api.models import CreateCredentialConfigurationRequest

    credential = validate_id(credential_id, name="credential_id")
    if external_id is not None and (not isinstance(external_id, str) or not external_id.strip()):
        raise InvalidRequestError(f"external_id must be a non-blank str or None, got {show_input(external_id)}")
    body = CreateCredentialConfigurationRequest(external_id=UNSET if external_id is None else external_id)
    request = operation.build_request(project_id, credential, body=body)
    return call_for(
        operation.OPERATION,
        request,
        _credential_parser(operation, lambda found: _newest_configuration(found, external_id)),
    )


def update_configuration_call(
    project_id: str, configuration_id: object, meta: object, credential_id: object
) -> Call[CredentialConfiguration]:
    """``PATCH /sdk/credentials/{id}/configurations`` with ``{meta}``: the configuration is named by header."""
    from useparagon_api.api.credentials import update_credential_configuration as operation
    from useparagon_api.models import JsonObject, UpdateCredentialConfigurationRequest

    credential = validate_id(credential_id, name="credential_id")
    configuration = validate_header_value(_required(configuration_id, "configuration_id"), name="configuration_id")
    body = UpdateCredentialConfigurationRequest(meta=JsonObject.from_dict(_json_object(meta, name="meta")))
    request = operation.build_request(
        project_id, credential, body=body, x_paragon_credential=credential, x_paragon_configuration_id=configuration
    )
    return call_for(
        operation.OPERATION,
        request,
        _credential_parser(operation, lambda found: _configuration_of(found, configuration)),
    )


def _required(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{name} must be a non-empty str, got {show_input(value)}")
    return value


def destroy_configuration_flow(project_id: str, configuration_id: object, credential_id: object) -> Flow[None]:
    """Read the credential, refuse its default configuration (as the JS SDK does before it sends anything), then
    ``DELETE /sdk/credentials/{id}/configurations``."""
    from useparagon_api.api.credentials import delete_credential_configuration as operation

    credential_key = validate_id(credential_id, name="credential_id")
    wanted = validate_header_value(_required(configuration_id, "configuration_id"), name="configuration_id")
    credential: Credential = yield get_credential_call(project_id, credential_key)
    configuration = _find_configuration(credential, wanted)
    if configuration is None:
        raise CredentialNotFoundError(f"credential {credential_key!r} has no configuration {show_input(wanted)}")
    if configuration.is_default is True:
        raise InvalidRequestError(
            "the default configuration cannot be destroyed (disconnect the integration to remove it); nothing was sent"
        )
    request = operation.build_request(
        project_id,
        credential_key,
        x_paragon_credential=credential_key,
        x_paragon_configuration_id=validate_header_value(configuration.id, name="configuration id from Paragon"),
    )
    yield call_for(operation.OPERATION, request, no_result)
    return None


# -- Field options ---------------------------------------------------------------------------------------------------


@attrs.frozen(repr=False)
class FieldOptionsQuery:
    """``get_field_options``'s input, checked: everything but the page cursor."""

    __repr__ = safe_attrs_repr

    integration: str
    source_key: str
    parameters: list[dict[str, Any]] = attrs.field(repr=False)
    search: str | None = attrs.field(repr=False)
    credential_id: str | None = attrs.field(repr=False)


def field_options_query(
    integration: object,
    *,
    action: object,
    source: object,
    search: object,
    parameters: object,
    credential_id: object,
) -> FieldOptionsQuery:
    integration_type = validate_integration_type(integration)
    if (action is None) == (source is None):
        raise InvalidRequestError("pass either action= (the source key) or source= (a data source with a cacheKey)")
    if action is not None:
        key = _required(action, "action")
    else:
        cache_key = mapping(source, name="source").get("cacheKey")
        if not isinstance(cache_key, str) or not cache_key.strip():
            raise InvalidRequestError("source must be a data source with a non-empty 'cacheKey'")
        key = cache_key
    if search is not None and not isinstance(search, str):
        raise InvalidRequestError(f"search must be a str or None, not {type(search).__name__}")
    keyed = _keyed_sources(parameters)
    encode_json_body(keyed, name="parameters")
    return FieldOptionsQuery(
        integration=integration_type,
        source_key=key,
        parameters=keyed,
        search=search,
        credential_id=None if credential_id is None else validate_header_value(credential_id, name="credential_id"),
    )


def _keyed_sources(parameters: object) -> list[dict[str, Any]]:
    """``{"key": value}`` becomes the SDK's ``[{"key", "source": {"type": "VALUE", "value"}}]``; a list of such
    KeyedSource dicts is sent as given."""
    if parameters is None:
        return []
    if isinstance(parameters, Mapping):
        return [
            {"key": key, "source": {"type": "VALUE", "value": value}}
            for key, value in mapping(parameters, name="parameters").items()
        ]
    if isinstance(parameters, list | tuple):
        keyed = []
        for index, item in enumerate(parameters):
            entry = mapping(item, name=f"parameters[{index}]")
            if not isinstance(entry.get("key"), str) or not isinstance(entry.get("source"), Mapping):
                raise InvalidRequestError(f"parameters[{index}] must be a KeyedSource: {{'key': str, 'source': {{…}}}}")
            keyed.append(dict(entry))
        return keyed
    raise InvalidRequestError(
        f"parameters must be a dict of values or a list of KeyedSource, not {type(parameters).__name__}"
    )


def check_cursor(cursor: object) -> str | int:
    if cursor is None:
        return 0  # the JS SDK's first page
    if isinstance(cursor, bool) or not isinstance(cursor, str | int):
        raise InvalidRequestError(
            f"cursor must be a str or int (a page's next_page_cursor), not {type(cursor).__name__}"
        )
    return cursor


def field_options_call(project_id: str, query: FieldOptionsQuery, cursor: str | int) -> Call[FieldOptions]:
    """``POST /sdk/actions`` with ``{action, sourceKey, parameters, paginationParameters: {pageCursor, search}}``."""
    from useparagon_api.api.credentials import get_field_options
    from useparagon_api.models import FieldOptionsRequest

    pagination: dict[str, Any] = {"pageCursor": cursor}
    if query.search is not None:
        pagination["search"] = query.search
    body = {
        "action": query.integration,
        "sourceKey": query.source_key,
        "parameters": query.parameters,
        "paginationParameters": pagination,
    }
    request = get_field_options.build_request(
        project_id,
        body=FieldOptionsRequest.from_dict(body),
        x_paragon_credential=UNSET if query.credential_id is None else query.credential_id,
    )._replace(json=body)  # as the JS SDK orders it (the generated to_dict() moves unknown keys first)
    return call_for(get_field_options.OPERATION, request, _field_options)


def _field_options(response: httpx.Response) -> FieldOptions:
    from useparagon_api.api.credentials import get_field_options
    from useparagon_api.models import FieldOptionsPage, FieldOptionsResponse

    answer = parsed(get_field_options.parse_response, FieldOptionsResponse)(response)
    output = answer.output
    records = output.records if isinstance(output, FieldOptionsPage) else output
    items = [record.to_dict() for record in records]
    cursor = output.next_page_cursor if isinstance(output, FieldOptionsPage) else None
    # As the JS SDK: the first record decides; records with an id are nested inputs, the others options.
    nested = bool(items) and "id" in items[0]
    return FieldOptions(
        data=[] if nested else items,
        nested_data=items if nested else [],
        next_page_cursor=cursor if isinstance(cursor, str | int) and cursor else None,
    )


def next_cursor(page: FieldOptions, seen: set[str | int]) -> str | int | None:
    """The cursor of the page after ``page``, or None after the last; a cursor given twice is a loop, refused."""
    from useparagon_api.operations import GET_FIELD_OPTIONS

    cursor = page.next_page_cursor
    if cursor is not None:
        remember_cursor(
            cursor,
            seen,
            limit=MAX_FIELD_OPTION_PAGES,
            name="page cursor",
            operation=GET_FIELD_OPTIONS,
            iterator="iter_field_options",
        )
    return cursor


# -- Workflow state --------------------------------------------------------------------------------------------------


def check_workflow_states(states: object) -> list[tuple[str, bool]]:
    """``{workflow_id: enabled}`` checked whole before any request: ids, and bools only."""
    pairs = []
    for workflow_id, enabled in mapping(states, name="states").items():
        checked = validate_id(workflow_id, name="workflow id")
        if not isinstance(enabled, bool):
            raise InvalidRequestError(f"states[{checked!r}] must be True or False, not {type(enabled).__name__}")
        pairs.append((checked, enabled))
    return pairs


# -- ActionKit triggers and custom webhooks --------------------------------------------------------------------------


def triggers_flow(project_id: str, integration: object, credential_id: object) -> Flow[TriggerList]:
    """``GET /projects/{p}/triggers?integrations=…`` with the required ``X-Paragon-Credential``: the one given, else
    the user's current VALID credential of the integration (read from ``/sdk/me``, as the JS SDK reads its state)."""
    from useparagon_api.api.action_kit import list_triggers
    from useparagon_api.models import TriggerList

    integration_type = validate_integration_type(integration)
    chosen = None if credential_id is None else validate_header_value(credential_id, name="credential_id")
    if chosen is None:
        user: AuthenticatedUser = yield authenticated_user_call(project_id)
        chosen = validate_header_value(
            _select(user, integration_type, None, None)[0].id, name="credential from Paragon"
        )
    request = list_triggers.build_request(project_id, integrations=integration_type, x_paragon_credential=chosen)
    triggers: TriggerList = yield call_for(
        list_triggers.OPERATION, request, parsed(list_triggers.parse_response, TriggerList)
    )
    return triggers


def custom_webhook_url_flow(project_id: str, hermes_url: str, workflow_id: object, credential_id: object) -> Flow[str]:
    """The JS SDK's ``getCustomWebhookUserManualUrl``: built, never requested. The workflow's integration and custom
    webhook trigger come from ``/sdk/integrations``; the credential is the one given, else the user's current one
    (a workflow of a connected resource uses the resource's integration and credential, as the SDK does)."""
    workflow = validate_id(workflow_id, name="workflow_id")
    chosen = None if credential_id is None else validate_id(credential_id, name="credential_id")
    integrations: list[Integration] = yield get_integrations_call(project_id)
    found = next(((entry, flow) for entry in integrations for flow in entry.workflows if flow.id == workflow), None)
    if found is None:
        raise WorkflowNotFoundError(f"no workflow {workflow!r} in the project's integrations", workflow_id=workflow)
    integration, flow = found
    trigger_id = _text(flow.custom_webhook_trigger_id)
    if trigger_id is None:
        raise WorkflowNotFoundError(f"workflow {workflow!r} has no custom webhook trigger", workflow_id=workflow)
    integration_id = _text(flow.integration_id) or integration.id
    resource_id = _text(flow.resource_id)
    credential = chosen
    if resource_id is not None or credential is None:
        user: AuthenticatedUser = yield authenticated_user_call(project_id)
        if resource_id is not None:
            resources = [] if isinstance(user.resources, Unset) else user.resources
            resource = next((entry for entry in resources if entry.id == resource_id), None)
            integration_id = _text(None if resource is None else resource.integration_id) or ""
            credential = _text(None if resource is None else resource.credential_id)
        else:
            state = user.integrations.additional_properties.get(integration.type_)
            credential = None if state is None else _text(state.credential_id)
    if not integration_id or credential is None:
        raise CredentialNotFoundError(
            f"the user has no credential for workflow {workflow!r} (connect its integration first)",
            integration=integration.type_,
        )
    ids = [
        validate_id(project_id, name="project id"),
        validate_id(integration_id, name="integration id from Paragon"),
        validate_id(trigger_id, name="custom webhook trigger id from Paragon"),
    ]
    key = quote(validate_id(credential, name="credential id"), safe="")
    return f"{hermes_url}/triggers/connect/{ids[0]}/{ids[1]}/custom-triggers/{ids[2]}?id={key}"
