"""ActionKit as data (no I/O, shared by both sessions): the action listing in either format, and
ActionKit Triggers' subscriptions and example payloads (running an action is ``_calls.run_action_call``).

Followed from Paragon's ActionKit reference (docs.useparagon.com/actionkit/api-reference, /actionkit/schema-formats
and /actionkit/triggers/api-reference/*) and checked against FakeParagon, not a live project. The trigger catalog
(``GET /triggers``) is ``_headless.triggers_flow``: the JS SDK's ``getTriggers``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs
import httpx
from useparagon_api.types import UNSET, Request, Unset

from ._calls import Call, ResponseMismatch, call_for, mapping, parsed, targeting
from ._errors import InvalidRequestError
from ._redaction import redact_secrets
from ._types import NOT_GIVEN
from ._validation import show_input, validate_header_value, validate_id, validate_integration_type

if TYPE_CHECKING:
    from useparagon_api.models import (
        ActionList,
        ParagonActionList,
        TriggerSubscription,
        TriggerSubscriptionList,
        UnsubscribeResult,
        WebhookOverride,
    )

    from ._agent import AgentTool

ActionFormat: TypeAlias = Literal["json_schema", "paragon"]
TriggerSubscriptionStatusName: TypeAlias = Literal["ACTIVE", "ERRORED"]
_FORMATS: tuple[ActionFormat, ...] = ("json_schema", "paragon")
_STATUSES: tuple[TriggerSubscriptionStatusName, ...] = ("ACTIVE", "ERRORED")
_HTTP_SCHEMES = ("http", "https")


# -- Input -----------------------------------------------------------------------------------------------------------


def flag(value: object, *, name: str) -> bool:
    """A bool, or InvalidRequestError: a truthy string ("false") must not turn into ``true`` on the wire."""
    if not isinstance(value, bool):
        raise InvalidRequestError(f"{name} must be True or False, not {type(value).__name__}")
    return value


def name_text(value: object, *, name: str) -> str:
    """A non-empty name sent in a body or query (an action, a trigger type): no control characters, no padding."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{name} must be a non-empty str, got {show_input(value)}")
    if value != value.strip() or not value.isprintable():
        raise InvalidRequestError(f"{name} must not contain whitespace around it or control characters")
    return value


def csv(values: object, validate: Callable[[object], str], *, name: str) -> str | Unset:
    """``["slack", "hubspot"]`` → ``"slack,hubspot"``; None leaves the filter out. A bare str is refused (it would
    be read letter by letter), and so is an empty list (it would quietly mean "everything")."""
    if values is None:
        return UNSET
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidRequestError(f"{name} must be a list of str (or None for all), not {type(values).__name__}")
    if not values:
        raise InvalidRequestError(f"{name} must name at least one (or be None for all)")
    return ",".join(validate(value) for value in values)


def _integrations(values: object) -> str | Unset:
    return csv(values, validate_integration_type, name="integrations")


def webhook_override(value: object) -> WebhookOverride:
    """``{"url": "https://…", "headers": {...}, "metadata": {...}}`` checked: an absolute http(s) URL without
    credentials in it, header names and values that can be sent. Header values are never echoed (your receiver's
    credentials may be among them)."""
    from useparagon_api.models import WebhookOverride

    given = mapping(value, name="webhook_override")
    unknown = sorted(set(given) - {"url", "headers", "metadata"})
    if unknown:
        raise InvalidRequestError(f"webhook_override has unknown keys {unknown}: it takes url, headers and metadata")
    url = given.get("url")
    if not isinstance(url, str) or not url:
        raise InvalidRequestError("webhook_override['url'] must be a non-empty str")
    try:
        parsed_url = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise InvalidRequestError("webhook_override['url'] is not a valid URL") from None
    if parsed_url.scheme not in _HTTP_SCHEMES or not parsed_url.host or any(ch.isspace() for ch in url):
        raise InvalidRequestError("webhook_override['url'] must be an absolute http(s) URL without whitespace")
    if parsed_url.userinfo:
        raise InvalidRequestError("webhook_override['url'] must not carry credentials; send them in headers")
    body: dict[str, Any] = {"url": url}
    if "headers" in given:
        headers = mapping(given["headers"], name="webhook_override['headers']")
        for key, header in headers.items():
            validate_id(key, name="webhook_override header name")
            validate_header_value(header, name=f"webhook_override['headers'][{key!r}]")
        body["headers"] = dict(headers)
    if "metadata" in given:
        body["metadata"] = dict(mapping(given["metadata"], name="webhook_override['metadata']"))
    return WebhookOverride.from_dict(body)


# -- Actions ---------------------------------------------------------------------------------------------------------


def _list_actions_request(
    project_id: str,
    *,
    integrations: object,
    categories: object,
    limit_to_available: object,
    reload_fields: object,
    format: object,
) -> Request:
    from useparagon_api.api.action_kit import list_actions
    from useparagon_api.models import ListActionsFormat

    if format not in _FORMATS:
        raise InvalidRequestError(f"format must be 'json_schema' or 'paragon', got {show_input(format)}")
    return list_actions.build_request(
        project_id,
        format_=ListActionsFormat(format),
        integrations=_integrations(integrations),
        categories=csv(categories, functools.partial(validate_id, name="category"), name="categories"),
        limit_to_available=flag(limit_to_available, name="limit_to_available"),
        reload_fields=flag(reload_fields, name="reload_fields"),
    )


def list_actions_call(
    project_id: str,
    *,
    integrations: object,
    categories: object,
    limit_to_available: object,
    reload_fields: object,
    format: object,
) -> Call[ActionList | ParagonActionList]:
    from useparagon_api.api.action_kit import list_actions
    from useparagon_api.models import ActionList

    request = _list_actions_request(
        project_id,
        integrations=integrations,
        categories=categories,
        limit_to_available=limit_to_available,
        reload_fields=reload_fields,
        format=format,
    )
    parse = parsed(list_actions.parse_response, ActionList) if format == "json_schema" else _paragon_actions
    return call_for(list_actions.OPERATION, request, parse)


def agent_tools_call(
    project_id: str,
    *,
    integrations: object,
    categories: object,
    limit_to_available: object,
    reload_fields: object,
) -> Call[tuple[AgentTool, ...]]:
    """The ``json_schema`` listing, read straight into tools: a definition that cannot be a tool (a name that is not
    text) fails the parse, so it surfaces as the ``APIResponseValidationError`` it is."""
    from useparagon_api.api.action_kit import list_actions
    from useparagon_api.models import ActionList

    from ._agent import tools_from_actions

    request = _list_actions_request(
        project_id,
        integrations=integrations,
        categories=categories,
        limit_to_available=limit_to_available,
        reload_fields=reload_fields,
        format="json_schema",
    )
    listing = parsed(list_actions.parse_response, ActionList)
    return call_for(list_actions.OPERATION, request, lambda response: tools_from_actions(listing(response)))


def _paragon_actions(response: httpx.Response) -> ParagonActionList:
    from useparagon_api.models import ParagonActionList

    # The generated parser tries the JSON Schema shape first; an empty listing fits both, and this one was asked for.
    body = response.json()
    if not isinstance(body, dict):
        raise ResponseMismatch(f"expected ParagonActionList, got {type(body).__name__}")
    return ParagonActionList.from_dict(body)


# -- Trigger subscriptions -------------------------------------------------------------------------------------------


def list_trigger_subscriptions_call(
    project_id: str, *, integrations: object, status: object, trigger_type: object, credential_id: str | None
) -> Call[TriggerSubscriptionList]:
    from useparagon_api.api.action_kit import list_subscribed_triggers
    from useparagon_api.models import TriggerSubscriptionList, TriggerSubscriptionStatus

    if status is not None and status not in _STATUSES:
        raise InvalidRequestError(f"status must be 'ACTIVE', 'ERRORED' or None, got {show_input(status)}")
    request = list_subscribed_triggers.build_request(
        project_id,
        integrations=_integrations(integrations),
        status=UNSET if status is None else TriggerSubscriptionStatus(status),
        type_=UNSET if trigger_type is None else name_text(trigger_type, name="type"),
        x_paragon_credential=targeting(credential_id, None)["x_paragon_credential"],
    )
    parse = parsed(list_subscribed_triggers.parse_response, TriggerSubscriptionList)
    # Its answer echoes webhookOverride.headers (your receiver's credentials): an error keeps them redacted.
    return attrs.evolve(call_for(list_subscribed_triggers.OPERATION, request, parse), redact=redact_secrets)


def subscribe_to_trigger_call(
    project_id: str,
    integration: object,
    trigger_type: object,
    parameters: object,
    *,
    override: object,
    credential_id: str | None,
) -> Call[TriggerSubscription]:
    from useparagon_api.api.action_kit import subscribe_to_trigger
    from useparagon_api.models import JsonObject, SubscribeToTriggerRequest, TriggerSubscription

    body = SubscribeToTriggerRequest(
        integration=validate_integration_type(integration),
        type_=name_text(trigger_type, name="type"),
        parameters=JsonObject.from_dict(mapping({} if parameters is None else parameters, name="parameters")),
        webhook_override=UNSET if override is None else webhook_override(override),
    )
    request = subscribe_to_trigger.build_request(
        project_id, body=body, x_paragon_credential=targeting(credential_id, None)["x_paragon_credential"]
    )
    parse = parsed(subscribe_to_trigger.parse_response, TriggerSubscription)
    # Its answer echoes webhookOverride.headers (your receiver's credentials): an error keeps them redacted.
    return attrs.evolve(call_for(subscribe_to_trigger.OPERATION, request, parse), redact=redact_secrets)


def update_trigger_subscription_call(
    project_id: str, subscription_id: object, *, parameters: object, override: object
) -> Call[TriggerSubscription]:
    from useparagon_api.api.action_kit import update_trigger_subscription
    from useparagon_api.models import JsonObject, TriggerSubscription, UpdateTriggerSubscriptionRequest

    body = UpdateTriggerSubscriptionRequest(
        parameters=UNSET if parameters is NOT_GIVEN else JsonObject.from_dict(mapping(parameters, name="parameters")),
        webhook_override=UNSET if override is NOT_GIVEN else None if override is None else webhook_override(override),
    )
    request = update_trigger_subscription.build_request(
        project_id, validate_id(subscription_id, name="subscription_id"), body=body
    )
    parse = parsed(update_trigger_subscription.parse_response, TriggerSubscription)
    # Its answer echoes webhookOverride.headers (your receiver's credentials): an error keeps them redacted.
    return attrs.evolve(call_for(update_trigger_subscription.OPERATION, request, parse), redact=redact_secrets)


def unsubscribe_from_trigger_call(project_id: str, subscription_id: object) -> Call[UnsubscribeResult]:
    from useparagon_api.api.action_kit import unsubscribe_from_trigger
    from useparagon_api.models import UnsubscribeResult

    request = unsubscribe_from_trigger.build_request(project_id, validate_id(subscription_id, name="subscription_id"))
    parse = parsed(unsubscribe_from_trigger.parse_response, UnsubscribeResult)
    return call_for(unsubscribe_from_trigger.OPERATION, request, parse)


def trigger_example_payload_call(
    project_id: str, integration: object, trigger_type: object, parameters: object, credential_id: str | None
) -> Call[list[Any]]:
    from useparagon_api.api.action_kit import get_trigger_example_payload
    from useparagon_api.models import JsonObject, TriggerExampleRequest

    body = TriggerExampleRequest(
        type_=name_text(trigger_type, name="type"),
        integration=validate_integration_type(integration),
        parameters=UNSET if parameters is None else JsonObject.from_dict(mapping(parameters, name="parameters")),
    )
    request = get_trigger_example_payload.build_request(
        project_id, body=body, x_paragon_credential=targeting(credential_id, None)["x_paragon_credential"]
    )
    parse = parsed(get_trigger_example_payload.parse_response, list)
    return call_for(get_trigger_example_payload.OPERATION, request, parse)
