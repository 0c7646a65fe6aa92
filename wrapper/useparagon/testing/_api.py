"""One function per operation of the spec: validates the request as Paragon does, mutates state, renders JSON.

Choices where Paragon's behaviour is not documented (each one a status the spec documents for the operation):
- Operations whose success is ``Done`` answer ``200 {"success": true}``; App Events answer ``201`` with no body.
- Triggering a workflow the user has not enabled: ``404`` ``code: "workflow_not_enabled"``.
- Unknown workflow, credential, configuration, integration id or action: ``404``.
- ``GET /actions`` with a query parameter it does not define: ``400`` (``property x should not exist``).
- A proxy or ActionKit call for an integration the user has no VALID credential for: ``404``
  ``"Integration not enabled for user."``, ``code: "integration_not_enabled"``.
- ``PATCH /sdk/credentials/{id}`` replaces each part of ``config`` it is sent (``sharedSettings``,
  ``workflowSettings``) and keeps the parts left out, as the JS SDK (which sends one part) relies on.
- ``GET /sdk/credentials?integration=…`` answers the integration with the user's account (the one named by
  ``X-Paragon-Credential``, else the first VALID one), ``404`` when there is none; ``accountAuth`` (a fake token per
  credential) only with ``includeAccountAuth=true``, for any integration.
- ``POST /sdk/actions`` pages a data source by offset: ``pageCursor`` is ``0`` or the previous ``nextPageCursor``
  (an offset as text); ``search`` keeps options whose label contains it (any case). An unknown ``sourceKey``: ``404``.
- ``GET /triggers`` needs the user's VALID credential of the integration in ``X-Paragon-Credential``.
- A proxy call with ``X-Paragon-Proxy-Url``: the URL must be absolute ``https`` without userinfo (else ``400``); the
  provider handler sees its path, query and the full ``ProxyRequest.url``.
- ``POST /actions`` checks ``parameters`` against the action's JSON Schema: ``400`` with each reason otherwise.
- ``GET /actions?format=paragon`` renders each JSON Schema property as an input (``TEXT``, ``ENUM``, ``NUMBER``,
  ``BOOLEAN_INPUT`` or ``CODE``); any other ``format``: ``400``.
- Trigger subscriptions belong to a user and one VALID credential (``X-Paragon-Credential``, else the first); another
  user's id, an unknown trigger type or an integration without a VALID credential: ``404``. Subscribing answers
  ``200``; ``dateLastReceivedEvent`` starts at the creation date; ``webhookOverride`` is rendered as its ``url`` only.
  Disconnecting an account removes its subscriptions.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs
import httpx

from .._jsonschema import schema_errors
from . import _render as render
from ._http import ApiError, Outcome, empty_outcome, invalid, json_outcome, not_enabled
from ._model import (
    TRIGGER_SUBSCRIPTION_STATUSES,
    ActionRun,
    AppEvent,
    Configuration,
    Integration,
    TriggerDef,
    TriggerSubscription,
    User,
    Workflow,
    WorkflowTrigger,
    now_iso,
    stable_id,
)
from ._proxy import ProviderRegistry, ProxyRequest, provider_headers, relayed_status
from ._state import Project

DONE = {"success": True}
_NO_BODY = object()
_PRIVATE_HEADERS = frozenset({"authorization", "cookie"})
_CONTROL = frozenset(chr(c) for c in range(0x20)) | {"\x7f"}
_TRUE = ("1", "true")
# ActionKit validates its query like a NestJS DTO with forbidNonWhitelisted: unknown parameters are a 400.
_LIST_ACTIONS_QUERY = frozenset({"format", "limit_to_available", "reload_fields", "integrations", "categories"})

ActionHandler = Callable[[ActionRun], Any]


@attrs.frozen
class Context:
    project: Project
    providers: ProviderRegistry
    action_handlers: Mapping[str, ActionHandler]
    user: User
    method: str
    params: Mapping[str, str]
    query: httpx.QueryParams
    headers: httpx.Headers
    body: bytes = attrs.field(repr=False)

    def header(self, name: str) -> str | None:
        """A header's value; an empty one counts as absent."""
        value = self.headers.get(name, "").strip()
        return value or None

    def json(self, *, required: bool = True) -> Any:
        if not self.body.strip():
            if required:
                raise ApiError(400, "Request body is required.")
            return _NO_BODY
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
            raise ApiError(400, "Request body is not valid JSON.") from None


def _object(value: Any, prop: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(prop, "isObject", f"{prop} must be an object")
    return value


def _string(value: Any, prop: str, *, min_length: int = 0) -> str:
    if not isinstance(value, str):
        raise invalid(prop, "isString", f"{prop} must be a string")
    if len(value) < min_length:
        raise invalid(prop, "isNotEmpty", f"{prop} should not be empty")
    return value


def _workflow_settings(value: Any, prop: str) -> dict[str, dict[str, Any]]:
    settings = _object(value, prop)
    for workflow_id, value_ in settings.items():
        entry = _object(value_, f"{prop}.{workflow_id}")
        if "enabled" in entry and not isinstance(entry["enabled"], bool):
            raise invalid(f"{prop}.{workflow_id}.enabled", "isBoolean", "enabled must be a boolean")
        if "settings" in entry:
            _object(entry["settings"], f"{prop}.{workflow_id}.settings")
    return settings


def _bool_query(ctx: Context, name: str, default: bool) -> bool:
    value: str | None = ctx.query.get(name)
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise invalid(name, "isBoolean", f"{name} must be a boolean value")
    return value.lower() == "true"


# Users


def get_user(ctx: Context) -> Outcome:
    return json_outcome(200, render.user(ctx.project, ctx.user))


def update_user_metadata(ctx: Context) -> Outcome:
    meta = _object(_object(ctx.json(), "body").get("meta"), "meta")
    for key in ("Name", "Email"):
        if key in meta:
            _string(meta[key], f"meta.{key}")
    ctx.user.meta.update(copy.deepcopy(meta))
    return json_outcome(200, render.user(ctx.project, ctx.user))


# Integrations


def get_integration_metadata(ctx: Context) -> Outcome:
    return json_outcome(200, [render.metadata(i) for i in ctx.project.integrations.values()])


def list_integrations(ctx: Context) -> Outcome:
    return json_outcome(200, [render.integration(ctx.project, ctx.user, i) for i in ctx.project.integrations.values()])


def uninstall_integration(ctx: Context) -> Outcome:
    integration = ctx.project.integration_by_id(ctx.params["integrationId"])
    if integration is None:
        raise ApiError(404, "Integration not found.")
    ctx.project.disconnect(ctx.user, integration, ctx.header("X-Paragon-Credential"))
    return json_outcome(200, DONE)


# Credentials


def list_credentials(ctx: Context) -> Outcome:
    if "integration" in ctx.query:
        return _integration_account(ctx)
    if "includeAccountAuth" in ctx.query:
        raise invalid("includeAccountAuth", "isEmpty", "includeAccountAuth needs integration")
    return json_outcome(200, [render.credential(ctx.project, c, ctx.user.persona_id) for c in ctx.user.credentials])


def _integration_account(ctx: Context) -> Outcome:
    integration = ctx.project.integrations.get(_string(ctx.query.get("integration"), "integration", min_length=1))
    flag = ctx.query.get("includeAccountAuth")
    # The JS SDK sends the literal "undefined" when the option is left out: it means no.
    if flag is not None and flag not in ("true", "false", "undefined"):
        raise invalid("includeAccountAuth", "isBoolean", "includeAccountAuth must be a boolean value")
    with_auth = flag == "true"
    if integration is None:
        raise ApiError(404, "Integration not connected.")
    credential, _ = ctx.project.pick_configuration(ctx.user, integration, ctx.header("X-Paragon-Credential"), None)
    return json_outcome(200, render.account(ctx.project, ctx.user, integration, credential, with_auth))


def get_credential(ctx: Context) -> Outcome:
    credential = ctx.project.find_credential(ctx.user, ctx.params["credentialId"])
    return json_outcome(200, render.credential(ctx.project, credential, ctx.user.persona_id))


def update_credential(ctx: Context) -> Outcome:
    config = _object(_object(ctx.json(), "body").get("config"), "config")
    shared = _object(config["sharedSettings"], "config.sharedSettings") if "sharedSettings" in config else None
    requested: dict[str, dict[str, Any]] | None = None
    for prop in ("configuredWorkflows", "workflowSettings"):
        if prop in config:
            requested = {**(requested or {}), **_workflow_settings(config[prop], f"config.{prop}")}
    credential = ctx.project.find_credential(ctx.user, ctx.params["credentialId"])
    configuration = _configuration(ctx, credential.find_configuration, required=False)
    integration = ctx.project.integration(credential.integration_type)
    known = {w.id for w in integration.workflows}
    errors = [f"Unknown workflow {workflow_id}." for workflow_id in requested or {} if workflow_id not in known]
    # Each part sent replaces that part; a part left out is kept.
    if shared is not None:
        configuration.shared_settings = copy.deepcopy(shared)
    if requested is not None:
        configuration.workflow_settings = {
            wid: {"enabled": bool(entry.get("enabled", False)), "settings": copy.deepcopy(entry.get("settings", {}))}
            for wid, entry in requested.items()
            if wid in known
        }
    configuration.date_updated = credential.date_updated = now_iso()
    body = render.credential(ctx.project, credential, ctx.user.persona_id)
    return json_outcome(200, {**body, "errors": errors})


def _configuration(ctx: Context, find: Callable[[str], Configuration | None], *, required: bool) -> Configuration:
    ref = ctx.header("X-Paragon-Configuration-Id")
    if ref is None:
        if required:
            raise invalid("X-Paragon-Configuration-Id", "isNotEmpty", "X-Paragon-Configuration-Id is required")
        credential = ctx.project.find_credential(ctx.user, ctx.params["credentialId"])
        return credential.default_configuration
    configuration = find(ref)
    if configuration is None:
        raise ApiError(404, "Configuration not found.")
    return configuration


def create_credential_configuration(ctx: Context) -> Outcome:
    body = _object(ctx.json(), "body")
    external_id = _string(body["externalId"], "externalId", min_length=1) if "externalId" in body else None
    credential = ctx.project.find_credential(ctx.user, ctx.params["credentialId"])
    if credential.status != "VALID":
        raise ApiError(400, "Configurations can only be added to a VALID credential.")
    if external_id is not None and any(c.external_id == external_id for c in credential.configurations):
        raise ApiError(400, f"A configuration with externalId {external_id!r} already exists.")
    now = now_iso()
    configuration_id = stable_id("configuration", credential.id, str(ctx.user.next_serial()))
    credential.configurations.append(Configuration(configuration_id, credential.id, False, external_id, now, now))
    return json_outcome(201, render.credential(ctx.project, credential, ctx.user.persona_id))


def update_credential_configuration(ctx: Context) -> Outcome:
    meta = _object(_object(ctx.json(), "body").get("meta"), "meta")
    credential = ctx.project.find_credential(ctx.user, ctx.params["credentialId"])
    configuration = _configuration(ctx, credential.find_configuration, required=True)
    configuration.config_meta.update(copy.deepcopy(meta))
    configuration.date_updated = now_iso()
    return json_outcome(200, render.credential(ctx.project, credential, ctx.user.persona_id))


def delete_credential_configuration(ctx: Context) -> Outcome:
    credential = ctx.project.find_credential(ctx.user, ctx.params["credentialId"])
    configuration = _configuration(ctx, credential.find_configuration, required=True)
    if configuration.is_default:
        raise ApiError(400, "The default configuration cannot be deleted.")
    credential.configurations.remove(configuration)
    return json_outcome(200, DONE)


# Field options


def get_field_options(ctx: Context) -> Outcome:
    body = _object(ctx.json(), "body")
    integration_type = _string(body.get("action"), "action", min_length=1)
    source_key = _string(body.get("sourceKey"), "sourceKey", min_length=1)
    parameters = body.get("parameters", [])
    if not isinstance(parameters, list) or not all(isinstance(p, dict) and "key" in p for p in parameters):
        raise invalid("parameters", "isArray", "parameters must be an array of {key, source}")
    pagination = _object(body.get("paginationParameters", {}), "paginationParameters")
    search = pagination.get("search")
    if search is not None:
        _string(search, "paginationParameters.search")
    offset = _offset(pagination.get("pageCursor", 0))
    integration = ctx.project.integrations.get(integration_type)
    if integration is None:
        raise ApiError(404, "Integration not found.")
    ctx.project.pick_configuration(ctx.user, integration, ctx.header("X-Paragon-Credential"), None)
    source = integration.option_sources.get(source_key)
    if source is None:
        raise ApiError(404, f"Data source {source_key[:100]!r} not found.")
    options = [o for o in source.options if not search or search.lower() in str(o.get("label", "")).lower()]
    if source.page_size is None:
        return json_outcome(200, {"output": copy.deepcopy(options)})
    page = options[offset : offset + source.page_size]
    following = offset + source.page_size
    cursor = str(following) if following < len(options) else None
    return json_outcome(200, {"output": {"records": copy.deepcopy(page), "nextPageCursor": cursor}})


def _offset(cursor: Any) -> int:
    if cursor in (0, False, None, "", "0"):
        return 0
    if isinstance(cursor, str) and cursor.isdigit():
        return int(cursor)
    raise invalid("paginationParameters.pageCursor", "isPageCursor", "pageCursor must be 0 or a nextPageCursor")


# Workflows


def _workflow(ctx: Context) -> Workflow:
    workflow = ctx.project.find_workflow(ctx.params["workflowId"])
    if workflow is None:
        raise ApiError(404, "Workflow not found.")
    return workflow


def enable_workflow(ctx: Context) -> Outcome:
    return _toggle_workflow(ctx, enabled=True)


def disable_workflow(ctx: Context) -> Outcome:
    return _toggle_workflow(ctx, enabled=False)


def _toggle_workflow(ctx: Context, *, enabled: bool) -> Outcome:
    ctx.project.set_workflow_enabled(
        ctx.user,
        _workflow(ctx),
        enabled,
        credential_ref=ctx.header("X-Paragon-Credential"),
        configuration_ref=ctx.header("X-Paragon-Configuration-Id"),
    )
    return json_outcome(200, DONE)


def _visible_headers(headers: httpx.Headers) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _PRIVATE_HEADERS}


def trigger_workflow(ctx: Context) -> Outcome:
    body = ctx.json(required=False)
    body = {} if body is _NO_BODY else _object(body, "body")
    workflow = _workflow(ctx)
    credential_ref = ctx.header("X-Paragon-Credential")
    configuration_ref = ctx.header("X-Paragon-Configuration-Id")
    enabled = ctx.project.enabled_configurations(ctx.user, workflow)
    if credential_ref is not None or configuration_ref is not None:
        integration = ctx.project.integration(workflow.integration_type)
        chosen = ctx.project.pick_configuration(ctx.user, integration, credential_ref, configuration_ref)
        enabled = [pair for pair in enabled if pair[1] is chosen[1]]
    if not enabled:
        raise ApiError(404, "Workflow not enabled for user.", code="workflow_not_enabled")
    ctx.project.triggers.append(
        WorkflowTrigger(
            ctx.user.id,
            workflow.id,
            "request",
            copy.deepcopy(body),
            dict(ctx.query.items()),
            _visible_headers(ctx.headers),
        )
    )
    if workflow.response is None:
        return empty_outcome(202)
    status, payload = workflow.response
    return json_outcome(status, payload)


# App Events


def send_app_event(ctx: Context) -> Outcome:
    return _app_event(ctx, "v1")


def send_app_event_v2(ctx: Context) -> Outcome:
    return _app_event(ctx, "v2")


def _app_event(ctx: Context, version: Literal["v1", "v2"]) -> Outcome:
    body = _object(ctx.json(), "body")
    name = _string(body.get("name"), "name", min_length=1)
    payload = _object(body.get("payload"), "payload")
    credential_ref = ctx.header("X-Paragon-Credential")
    configuration_ref = ctx.header("X-Paragon-Configuration-Id")
    project = ctx.project
    project.events.append(
        AppEvent(ctx.user.id, name, copy.deepcopy(payload), credential_ref, configuration_ref, version)
    )
    for integration in project.integrations.values():
        for workflow in integration.workflows:
            if workflow.app_event != name:
                continue
            for credential, configuration in project.enabled_configurations(ctx.user, workflow):
                if credential_ref not in (None, credential.id) or configuration_ref not in (None, configuration.id):
                    continue
                project.triggers.append(
                    WorkflowTrigger(ctx.user.id, workflow.id, "app_event", copy.deepcopy(payload), {}, {})
                )
    return empty_outcome(201)


# Proxy (runs unlocked: the provider handler is the test's code)


def _proxy_path(raw: str) -> str:
    # An encoded "/" stays in its segment (see _core), but what lies on either side of it is checked as a segment.
    pieces = re.split(r"/|%2[Ff]", raw)
    if any(ch in _CONTROL or ch in "?#\\" for ch in raw) or any(piece in (".", "..") for piece in pieces):
        raise ApiError(400, "Invalid proxy path: no control characters, '?', '#', '\\', '.' or '..' segments.")
    return raw


def _proxy_url(value: str | None) -> httpx.URL:
    if value is None:
        raise invalid("X-Paragon-Proxy-Url", "isNotEmpty", "X-Paragon-Proxy-Url is required")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError):
        url = None
    if url is None or url.scheme != "https" or not url.host or url.userinfo or url.fragment:
        raise ApiError(400, "Invalid X-Paragon-Proxy-Url: an absolute https URL without credentials is required.")
    return url


def proxy(ctx: Context) -> Outcome:
    provider_url = _proxy_url(ctx.header("X-Paragon-Proxy-Url")) if "path" not in ctx.params else None
    path = _proxy_path(ctx.params["path"]) if provider_url is None else provider_url.raw_path.decode().split("?")[0]
    query = ctx.query if provider_url is None else provider_url.params
    integration_type = ctx.params["integrationType"]
    with ctx.project.lock:
        integration = ctx.project.integrations.get(integration_type)
        if integration is None:
            raise not_enabled()
        credential, _ = ctx.project.pick_configuration(ctx.user, integration, ctx.header("X-Paragon-Credential"), None)
        request = ProxyRequest(
            method=ctx.method,
            integration=integration_type,
            path=path.lstrip("/"),
            query=query,
            headers=provider_headers(ctx.headers, ctx.body),
            body=ctx.body,
            user_id=ctx.user.id,
            credential_id=credential.id,
            url=None if provider_url is None else str(provider_url),
        )
    provider = ctx.providers.call(request)
    if (ctx.header("X-Paragon-Use-Raw-Response") or "").lower() in _TRUE:
        hop = ("content-length", "transfer-encoding", "connection")
        extra = tuple((k, v) for k, v in provider.headers.items() if k.lower() not in hop)
        return Outcome(provider.status, (("Content-Type", provider.content_type), *extra), provider.body)
    if provider.status < 400:
        return json_outcome(200, {"output": provider.parsed()})
    status = relayed_status(provider.status)
    retry_after = next((v for k, v in provider.headers.items() if k.lower() == "retry-after"), None)
    headers = (("Retry-After", retry_after),) if status == 429 and retry_after is not None else ()
    body = {
        "message": f"Request failed with status code {provider.status}",
        "status": status,
        "meta": {"isIntegrationError": True, "status": provider.status, "data": provider.parsed()},
    }
    return json_outcome(status, body, headers)


# ActionKit


def list_actions(ctx: Context) -> Outcome:
    for name in ctx.query:
        if name not in _LIST_ACTIONS_QUERY:
            raise invalid(name[:100], "whitelistValidation", f"property {name[:100]} should not exist")
    output_format = _string(ctx.query.get("format", "json_schema"), "format")
    if output_format not in ("json_schema", "paragon"):
        raise invalid("format", "isIn", "format must be one of the following values: json_schema, paragon")
    limit = _bool_query(ctx, "limit_to_available", True)
    _bool_query(ctx, "reload_fields", False)
    wanted = {t.strip() for t in ctx.query.get("integrations", "").split(",") if t.strip()}
    chosen = [
        i
        for i in ctx.project.integrations.values()
        if (not wanted or i.type in wanted) and (not limit or ctx.user.valid_credential(i.id) is not None)
    ]
    if output_format == "paragon":
        return json_outcome(200, render.paragon_action_list(chosen))
    return json_outcome(200, render.action_list(chosen))


def list_triggers(ctx: Context) -> Outcome:
    integration_type = _string(ctx.query.get("integrations"), "integrations", min_length=1)
    credential_ref = ctx.header("X-Paragon-Credential")
    if credential_ref is None:
        raise invalid("X-Paragon-Credential", "isNotEmpty", "X-Paragon-Credential is required")
    integration = ctx.project.integrations.get(integration_type)
    if integration is None:
        raise not_enabled()
    ctx.project.pick_configuration(ctx.user, integration, credential_ref, None)
    return json_outcome(200, render.trigger_list(integration))


def run_action(ctx: Context) -> Outcome:
    body = _object(ctx.json(), "body")
    name = _string(body.get("action"), "action", min_length=1)
    parameters = _object(body.get("parameters"), "parameters")
    with ctx.project.lock:
        owner = next((i for i in ctx.project.integrations.values() if any(a.name == name for a in i.actions)), None)
        if owner is None:
            raise ApiError(404, f"Action {name[:100]!r} not found.")
        ctx.project.pick_configuration(ctx.user, owner, ctx.header("X-Paragon-Credential"), None)
        schema = next(a.parameters for a in owner.actions if a.name == name)
        reasons = schema_errors(schema, parameters)
        if reasons:
            raise ApiError(400, [{"property": "parameters", "constraints": {"schema": reason}} for reason in reasons])
        run = ActionRun(ctx.user.id, name, copy.deepcopy(parameters))
        ctx.project.action_runs.append(run)
    handler = ctx.action_handlers.get(name, _default_action)
    return json_outcome(200, handler(run))


def _default_action(run: ActionRun) -> Any:
    if run.action == "SLACK_SEND_MESSAGE":
        return {"ok": True, "channel": run.parameters.get("channel"), "ts": "1700000000.000100"}
    return {"action": run.action, "parameters": dict(run.parameters)}


# ActionKit Triggers


def _trigger(ctx: Context, integration_type: str, trigger_type: str) -> tuple[Integration, TriggerDef]:
    integration = ctx.project.integrations.get(integration_type)
    if integration is None:
        raise not_enabled()
    trigger = next((t for t in integration.triggers if t.type == trigger_type), None)
    if trigger is None:
        raise ApiError(404, f"Trigger {trigger_type[:100]!r} not found for {integration_type[:100]!r}.")
    return integration, trigger


def _webhook_override(value: Any, prop: str) -> dict[str, Any]:
    override = _object(value, prop)
    _string(override.get("url"), f"{prop}.url", min_length=1)
    if "headers" in override:
        for key, header in _object(override["headers"], f"{prop}.headers").items():
            _string(header, f"{prop}.headers.{key[:100]}")
    if "metadata" in override:
        _object(override["metadata"], f"{prop}.metadata")
    return copy.deepcopy(override)


def _subscription(ctx: Context) -> TriggerSubscription:
    found = next((s for s in ctx.user.trigger_subscriptions if s.id == ctx.params["subscriptionId"]), None)
    if found is None:
        raise ApiError(404, "Trigger subscription not found.")
    return found


def list_subscribed_triggers(ctx: Context) -> Outcome:
    given = ctx.query.get("integrations")
    if given is not None:
        _string(given, "integrations", min_length=1)
    wanted = {t.strip() for t in (given or "").split(",") if t.strip()}
    status = ctx.query.get("status")
    if status is not None and status not in TRIGGER_SUBSCRIPTION_STATUSES:
        raise invalid("status", "isEnum", "status must be one of the following values: ACTIVE, ERRORED")
    trigger_type = ctx.query.get("type")
    if trigger_type is not None:
        _string(trigger_type, "type", min_length=1)
    credential_ref = ctx.header("X-Paragon-Credential")
    if credential_ref is not None:
        ctx.project.find_credential(ctx.user, credential_ref)
    chosen = [
        sub
        for sub in ctx.user.trigger_subscriptions
        if (not wanted or sub.integration in wanted)
        and status in (None, sub.status)
        and trigger_type in (None, sub.type)
        and credential_ref in (None, sub.credential_id)
    ]
    return json_outcome(200, render.trigger_subscription_list(chosen))


def subscribe_to_trigger(ctx: Context) -> Outcome:
    body = _object(ctx.json(), "body")
    integration_type = _string(body.get("integration"), "integration", min_length=1)
    trigger_type = _string(body.get("type"), "type", min_length=1)
    parameters = _object(body.get("parameters"), "parameters")
    override = _webhook_override(body["webhookOverride"], "webhookOverride") if "webhookOverride" in body else None
    integration, trigger = _trigger(ctx, integration_type, trigger_type)
    credential, _ = ctx.project.pick_configuration(ctx.user, integration, ctx.header("X-Paragon-Credential"), None)
    now = now_iso()
    sub = TriggerSubscription(
        id=stable_id("trigger-subscription", ctx.project.id, ctx.user.id, str(ctx.user.next_serial())),
        integration=integration.type,
        type=trigger.type,
        parameters=copy.deepcopy(parameters),
        credential_id=credential.id,
        date_created=now,
        date_last_received_event=now,
        webhook_override=override,
    )
    ctx.user.trigger_subscriptions.append(sub)
    return json_outcome(200, render.trigger_subscription(sub))


def update_trigger_subscription(ctx: Context) -> Outcome:
    body = _object(ctx.json(), "body")
    parameters = _object(body["parameters"], "parameters") if "parameters" in body else None
    override: dict[str, Any] | None = None
    if body.get("webhookOverride") is not None:
        override = _webhook_override(body["webhookOverride"], "webhookOverride")
    sub = _subscription(ctx)
    if parameters is not None:
        # Shallow merge: a key set to null is removed, any other value (an array too) replaces the old one.
        for key, value in parameters.items():
            if value is None:
                sub.parameters.pop(key, None)
            else:
                sub.parameters[key] = copy.deepcopy(value)
    if "webhookOverride" in body:
        sub.webhook_override = override
    return json_outcome(200, render.trigger_subscription(sub))


def unsubscribe_from_trigger(ctx: Context) -> Outcome:
    sub = _subscription(ctx)
    ctx.user.trigger_subscriptions.remove(sub)
    return json_outcome(200, DONE)


def get_trigger_example_payload(ctx: Context) -> Outcome:
    body = _object(ctx.json(), "body")
    trigger_type = _string(body.get("type"), "type", min_length=1)
    integration_type = _string(body.get("integration"), "integration", min_length=1)
    if "parameters" in body:
        _object(body["parameters"], "parameters")
    integration, trigger = _trigger(ctx, integration_type, trigger_type)
    ctx.project.pick_configuration(ctx.user, integration, ctx.header("X-Paragon-Credential"), None)
    return json_outcome(200, copy.deepcopy(trigger.example))


# operationId → (handler, whether the dispatcher holds the project lock around it)
OPERATIONS: dict[str, tuple[Callable[[Context], Outcome], bool]] = {
    "getUser": (get_user, True),
    "updateUserMetadata": (update_user_metadata, True),
    "getIntegrationMetadata": (get_integration_metadata, True),
    "listIntegrations": (list_integrations, True),
    "uninstallIntegration": (uninstall_integration, True),
    "listCredentials": (list_credentials, True),
    "getFieldOptions": (get_field_options, True),
    "getCredential": (get_credential, True),
    "updateCredential": (update_credential, True),
    "createCredentialConfiguration": (create_credential_configuration, True),
    "updateCredentialConfiguration": (update_credential_configuration, True),
    "deleteCredentialConfiguration": (delete_credential_configuration, True),
    "enableWorkflow": (enable_workflow, True),
    "disableWorkflow": (disable_workflow, True),
    "triggerWorkflow": (trigger_workflow, True),
    "sendAppEvent": (send_app_event, True),
    "sendAppEventV2": (send_app_event_v2, True),
    "proxyGet": (proxy, False),
    "proxyPost": (proxy, False),
    "proxyPut": (proxy, False),
    "proxyPatch": (proxy, False),
    "proxyDelete": (proxy, False),
    "proxyUrlGet": (proxy, False),
    "proxyUrlPost": (proxy, False),
    "proxyUrlPut": (proxy, False),
    "proxyUrlPatch": (proxy, False),
    "proxyUrlDelete": (proxy, False),
    "listTriggers": (list_triggers, True),
    "listActions": (list_actions, True),
    "runAction": (run_action, False),
    "listSubscribedTriggers": (list_subscribed_triggers, True),
    "subscribeToTrigger": (subscribe_to_trigger, True),
    "updateTriggerSubscription": (update_trigger_subscription, True),
    "unsubscribeFromTrigger": (unsubscribe_from_trigger, True),
    "getTriggerExamplePayload": (get_trigger_example_payload, True),
}
