"""FakeParagon's state: the project's integrations and workflows, its users and their credentials, and the logs.

The mutable classes are private bookkeeping guarded by the fake's lock; the frozen ones are what tests read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, Literal

import attrs

# Every id the fake makes is a uuid5 in this namespace, so the same scenario always has the same ids.
FAKE_NAMESPACE = uuid.UUID("6f1c3f0e-2b55-4c3c-9a43-6d1a0c2b7e11")
# Project objects carry one fixed date, so that two runs of the same scenario answer byte for byte the same.
PROJECT_EPOCH = "2024-01-01T00:00:00.000Z"

CredentialStatus = Literal["VALID", "INVALID", "PENDING"]
CREDENTIAL_STATUSES: tuple[CredentialStatus, ...] = ("VALID", "INVALID", "PENDING")
# The spec's AuthenticationScheme. Integrations of the REDIRECT types connect through the provider's consent page
# (build-oauth, or an authorization code); every other type takes values the user supplies (API keys, basic auth).
AUTHENTICATION_TYPES: tuple[str, ...] = (
    "basic",
    "oauth",
    "oauth_client_credential",
    "service_account",
    "oauth_app",
    "impersonated_app",
)
REDIRECT_AUTHENTICATION_TYPES = frozenset({"oauth", "oauth_app"})


def stable_id(*parts: str) -> str:
    """A deterministic UUID for a name path such as ``("workflow", "slack", "Send Updates to Slack")``."""
    return str(uuid.uuid5(FAKE_NAMESPACE, "/".join(parts)))


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@attrs.frozen
class FakeWorkflow:
    """A workflow to add to a fake integration.

    ``app_event`` names the App Event that triggers it (it then runs on every matching event sent by a user who
    enabled it); ``response`` is the ``(status, json)`` its Response step answers a Request trigger with — without
    one, triggering it answers ``202`` with no body. ``id`` defaults to a uuid5 of the integration and description.
    ``custom_webhook`` gives it a custom webhook trigger (``customWebhookTriggerId``, a uuid5 of its id): a workflow
    your users' systems start through the URL ``get_custom_webhook_user_manual_url`` builds.
    """

    description: str
    id: str = ""
    app_event: str = ""
    response: tuple[int, Any] | None = None
    default_enabled: bool = False
    custom_webhook: bool = False


@attrs.define
class Workflow:
    id: str
    description: str
    integration_id: str
    integration_type: str
    app_event: str
    response: tuple[int, Any] | None
    default_enabled: bool
    custom_webhook_trigger_id: str | None = None


@attrs.define
class ActionDef:
    name: str
    description: str
    parameters: dict[str, Any]


@attrs.define
class TriggerDef:
    """An ActionKit trigger type (``GET /projects/{p}/triggers``); ``example`` is what ``POST /triggers/examples``
    answers for it."""

    type: str
    trigger_model: Literal["POLLING", "WEBHOOK"]
    title: str
    description: str
    example: list[dict[str, Any]] = attrs.Factory(list)


TriggerSubscriptionStatus = Literal["ACTIVE", "ERRORED"]
TRIGGER_SUBSCRIPTION_STATUSES: tuple[TriggerSubscriptionStatus, ...] = ("ACTIVE", "ERRORED")


@attrs.define
class TriggerSubscription:
    """A user's subscription to an ActionKit trigger. ``webhook_override`` keeps what was sent (its headers may be
    the receiver's credentials: only its ``url`` is ever rendered)."""

    id: str
    integration: str
    type: str
    parameters: dict[str, Any]
    credential_id: str
    date_created: str
    status: TriggerSubscriptionStatus = "ACTIVE"
    error: str | None = None
    date_last_received_event: str | None = None
    webhook_override: dict[str, Any] | None = attrs.field(default=None, repr=False)


@attrs.define
class OptionSource:
    """A dynamic input's data source (``POST /sdk/actions``): its options, and the page size (``None`` answers one
    plain list; a number answers ``{records, nextPageCursor}`` pages of that size)."""

    options: list[dict[str, Any]]
    page_size: int | None = None


@attrs.define
class Integration:
    id: str
    type: str
    name: str
    brand_color: str
    icon: str
    config_id: str
    portal: dict[str, Any]
    workflows: list[Workflow]
    actions: list[ActionDef]
    authentication_type: str = "oauth"
    # What the fake's OAuth consent page does for this integration: None approves, an error code denies.
    consent_error: str | None = None
    triggers: list[TriggerDef] = attrs.Factory(list)
    # Data sources of dynamic inputs by sourceKey.
    option_sources: dict[str, OptionSource] = attrs.Factory(dict)

    @property
    def uses_redirect(self) -> bool:
        """Whether users connect it through the provider's consent page (OAuth) rather than with values."""
        return self.authentication_type in REDIRECT_AUTHENTICATION_TYPES


@attrs.define
class Configuration:
    id: str
    credential_id: str
    is_default: bool
    external_id: str | None
    date_created: str
    date_updated: str
    workflow_settings: dict[str, dict[str, Any]] = attrs.Factory(dict)
    shared_settings: dict[str, Any] = attrs.Factory(dict)
    config_meta: dict[str, Any] = attrs.Factory(lambda: {"isIntegrationEnableTriggered": True})


@attrs.define
class Credential:
    id: str
    integration_id: str
    integration_type: str
    status: CredentialStatus
    provider_id: str
    provider_data: dict[str, Any]
    date_created: str
    date_updated: str
    configurations: list[Configuration]
    # The values the user supplied (API keys…) and the post-OAuth setup values: never rendered, never logged.
    values: dict[str, Any] = attrs.field(factory=dict, repr=False)
    # The provider's tokens: rendered only as accountAuth when asked for (includeAccountAuth=true).
    account_auth: dict[str, str] = attrs.field(factory=dict, repr=False)

    @property
    def default_configuration(self) -> Configuration:
        return next(c for c in self.configurations if c.is_default)

    def find_configuration(self, ref: str) -> Configuration | None:
        """By id, or by ``ext:<externalId>`` as Paragon's configuration addressing allows."""
        for configuration in self.configurations:
            if configuration.id == ref or (
                ref.startswith("ext:")
                and configuration.external_id is not None
                and ref[4:] == configuration.external_id
            ):
                return configuration
        return None


@attrs.define
class User:
    id: str
    persona_id: str
    meta: dict[str, Any] = attrs.Factory(dict)
    credentials: list[Credential] = attrs.Factory(list)
    trigger_subscriptions: list[TriggerSubscription] = attrs.Factory(list)
    serial: int = 0

    def credentials_for(self, integration_id: str) -> list[Credential]:
        return [c for c in self.credentials if c.integration_id == integration_id]

    def valid_credential(self, integration_id: str) -> Credential | None:
        return next((c for c in self.credentials_for(integration_id) if c.status == "VALID"), None)

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial


@attrs.frozen
class AppEvent:
    """An App Event the fake received: who sent it, its name and payload, and on which path (``v1``/``v2``)."""

    user_id: str
    name: str
    payload: Mapping[str, Any]
    credential_id: str | None
    configuration_id: str | None
    version: Literal["v1", "v2"]


@attrs.frozen
class WorkflowTrigger:
    """A workflow run: ``source`` is ``"request"`` for ``POST /sdk/triggers/{id}``, ``"app_event"`` for an event.

    ``headers`` are the request's headers minus ``Authorization`` and ``Cookie``; ``query`` its query parameters.
    """

    user_id: str
    workflow_id: str
    source: Literal["request", "app_event"]
    body: Mapping[str, Any]
    query: Mapping[str, str]
    headers: Mapping[str, str]


@attrs.frozen
class RequestRecord:
    """One request the fake answered. ``status`` is ``None`` when a fault dropped the connection unanswered.

    ``path`` has no query string; ``operation_id`` is the spec's (``"getUser"``), or ``None`` for unknown routes.
    No header and no body is kept, so no token ever lands in this log.
    """

    method: str
    path: str
    status: int | None
    operation_id: str | None


@attrs.frozen
class ActionRun:
    """An ActionKit action a user ran, with its parameters."""

    user_id: str
    action: str
    parameters: Mapping[str, Any]


InstallSource = Literal["payload", "code", "oauth"]


@attrs.frozen
class Install:
    """A credential created through the API: ``source`` is ``"payload"`` (values the user supplied, ``POST
    /sdk/credentials``), ``"code"`` (an authorization code from ``fake.authorization_code``) or ``"oauth"`` (the
    fake's consent page, after ``build-oauth``).

    ``values`` are what the user supplied (the payload, or ``endUserSuppliedValues``); they may hold secrets, so they
    stay out of the repr. ``install_options`` are the request's ``installOptions`` (``integrationOptions`` for a
    code).
    """

    user_id: str
    integration: str
    credential_id: str
    source: InstallSource
    values: Mapping[str, Any] = attrs.field(repr=False)
    install_options: Mapping[str, Any]
    redirect_url: str | None


@attrs.define
class AuthorizationCode:
    integration: str
    redirect_url: str | None
    used: bool = False


@attrs.define
class OAuthAttempt:
    """One ``build-oauth`` call: the consent page at ``token`` connects ``integration`` for ``user_id`` and records
    the credential under ``session_key`` (the client's ``oauthMetaKeyId``)."""

    token: str
    user_id: str
    integration: str
    session_key: str
    redirect_url: str | None
    values: dict[str, Any] = attrs.field(repr=False)
    install_options: dict[str, Any]
    state: Literal["pending", "approved", "denied"] = "pending"
    credential_id: str | None = None
