"""The fake project's state and the mutations shared by the HTTP API and the test-side builder.

Callers hold ``Project.lock`` (re-entrant) around every read and write.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._defaults import DEFAULT_BRAND_COLOR, ICON_URL_TEMPLATE, IntegrationSpec
from ._http import ApiError, not_enabled
from ._model import (
    AUTHENTICATION_TYPES,
    ActionDef,
    ActionRun,
    AppEvent,
    AuthorizationCode,
    Configuration,
    Credential,
    CredentialStatus,
    FakeWorkflow,
    Install,
    Integration,
    OAuthAttempt,
    OptionSource,
    RequestRecord,
    User,
    Workflow,
    WorkflowTrigger,
    now_iso,
    stable_id,
)
from ._store import SyncStore, TaskHistory


class Project:
    def __init__(self, project_id: str) -> None:
        self.id = project_id
        self.lock = threading.RLock()
        self.integrations: dict[str, Integration] = {}
        self.users: dict[str, User] = {}
        self.events: list[AppEvent] = []
        self.triggers: list[WorkflowTrigger] = []
        self.requests: list[RequestRecord] = []
        self.action_runs: list[ActionRun] = []
        self.request_serial = 0
        # Connect: credentials made through the API, one-time authorization codes, OAuth attempts by consent token
        # and by (user id, oauthMetaKeyId).
        self.installs: list[Install] = []
        self.authorization_codes: dict[str, AuthorizationCode] = {}
        self.oauth_attempts: dict[str, OAuthAttempt] = {}
        self.oauth_sessions: dict[tuple[str, str], str] = {}
        self.connect_serial = 0
        # The APIs beyond the SDK: Task History (with the project API key FakeParagon sets) and Managed Sync.
        self.api_key = ""
        self.task_history = TaskHistory()
        self.sync_store = SyncStore()

    # Integrations and workflows

    def add_integration(
        self,
        type_: str,
        *,
        name: str,
        brand_color: str = DEFAULT_BRAND_COLOR,
        icon: str = "",
        description: str = "",
        workflows: Iterable[FakeWorkflow | str] = (),
        actions: Iterable[ActionDef] = (),
        integration_id: str = "",
        portal: Mapping[str, Any] | None = None,
        authentication_type: str = "oauth",
    ) -> Integration:
        if not type_ or "/" in type_:
            raise ValueError("an integration type is a non-empty short name without '/', e.g. 'pipedrive'")
        if authentication_type not in AUTHENTICATION_TYPES:
            raise ValueError(f"authentication_type must be one of {', '.join(AUTHENTICATION_TYPES)}")
        if type_ in self.integrations:
            raise ValueError(f"the project already has an integration {type_!r}")
        integration_id = integration_id or stable_id("integration", type_)
        integration = Integration(
            id=integration_id,
            type=type_,
            name=name,
            brand_color=brand_color,
            icon=icon or ICON_URL_TEMPLATE.format(type=type_),
            config_id=stable_id("integration-config", integration_id),
            portal={"description": description or f"Connect {name}", "paragonLink": False, **(portal or {})},
            workflows=[],
            actions=list(actions),
            authentication_type=authentication_type,
        )
        for given in workflows:
            spec = FakeWorkflow(given) if isinstance(given, str) else given
            workflow_id = spec.id or stable_id("workflow", type_, spec.description)
            if self.find_workflow(workflow_id) is not None:
                raise ValueError(f"workflow id {workflow_id} is already used")
            integration.workflows.append(
                Workflow(
                    workflow_id,
                    spec.description,
                    integration_id,
                    type_,
                    spec.app_event,
                    spec.response,
                    spec.default_enabled,
                    stable_id("custom-webhook", workflow_id) if spec.custom_webhook else None,
                )
            )
        self.integrations[type_] = integration
        return integration

    def add_spec(self, spec: IntegrationSpec) -> Integration:
        integration = self.add_integration(
            spec.type,
            name=spec.name,
            brand_color=spec.brand_color,
            description=spec.description,
            workflows=spec.workflows,
            actions=spec.actions,
            authentication_type=spec.authentication_type,
        )
        integration.triggers = [attrs.evolve(trigger) for trigger in spec.triggers]
        integration.option_sources = {
            key: OptionSource(copy.deepcopy(list(source.options)), source.page_size)
            for key, source in spec.option_sources
        }
        return integration

    def integration(self, type_: str) -> Integration:
        try:
            return self.integrations[type_]
        except KeyError:
            known = ", ".join(sorted(self.integrations)) or "none"
            raise KeyError(f"no integration {type_!r} in the project (it has: {known})") from None

    def integration_by_id(self, integration_id: str) -> Integration | None:
        return next((i for i in self.integrations.values() if i.id == integration_id), None)

    def find_workflow(self, workflow_id: str) -> Workflow | None:
        for integration in self.integrations.values():
            for workflow in integration.workflows:
                if workflow.id == workflow_id:
                    return workflow
        return None

    # Users and credentials

    def user(self, user_id: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(user_id, stable_id("persona", self.id, user_id))
        return user

    def connect(
        self,
        user: User,
        type_: str,
        *,
        status: CredentialStatus,
        provider_id: str = "",
        provider_data: Mapping[str, Any] | None = None,
        credential_id: str = "",
        configuration_id: str = "",
    ) -> Credential:
        integration = self.integration(type_)
        serial = user.next_serial()
        credential_id = credential_id or stable_id("credential", self.id, user.id, type_, str(serial))
        now = now_iso()
        default = Configuration(
            id=configuration_id or stable_id("configuration", credential_id, "default"),
            credential_id=credential_id,
            is_default=True,
            external_id=None,
            date_created=now,
            date_updated=now,
        )
        for workflow in integration.workflows:
            if workflow.default_enabled:
                default.workflow_settings[workflow.id] = {"enabled": True, "settings": {}}
        credential = Credential(
            id=credential_id,
            integration_id=integration.id,
            integration_type=type_,
            status=status,
            provider_id=provider_id or f"{type_}-{user.id}",
            provider_data=dict(provider_data or {}),
            date_created=now,
            date_updated=now,
            configurations=[default],
            account_auth={"OAUTH_ACCESS_TOKEN": f"fake-access-token-{stable_id('access-token', credential_id)}"},
        )
        user.credentials.append(credential)
        return credential

    def disconnect(self, user: User, integration: Integration, credential_ref: str | None) -> None:
        mine = user.credentials_for(integration.id)
        if credential_ref is not None:
            mine = [c for c in mine if c.id == credential_ref]
        if not mine:
            raise not_enabled()
        user.credentials = [c for c in user.credentials if c not in mine]
        # A disconnected account's trigger subscriptions go with it (nothing could deliver their events).
        gone = {c.id for c in mine}
        user.trigger_subscriptions = [s for s in user.trigger_subscriptions if s.credential_id not in gone]

    def pick_configuration(
        self, user: User, integration: Integration, credential_ref: str | None, configuration_ref: str | None
    ) -> tuple[Credential, Configuration]:
        """The VALID credential (the one named by ``X-Paragon-Credential``, else the first) and its configuration."""
        if credential_ref is not None:
            credential = next((c for c in user.credentials_for(integration.id) if c.id == credential_ref), None)
            if credential is None:
                raise ApiError(404, "Credential not found.")
            if credential.status != "VALID":
                raise not_enabled()
        else:
            found = user.valid_credential(integration.id)
            if found is None:
                raise not_enabled()
            credential = found
        if configuration_ref is None:
            return credential, credential.default_configuration
        configuration = credential.find_configuration(configuration_ref)
        if configuration is None:
            raise ApiError(404, "Configuration not found.")
        return credential, configuration

    def set_workflow_enabled(
        self,
        user: User,
        workflow: Workflow,
        enabled: bool,
        *,
        credential_ref: str | None = None,
        configuration_ref: str | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        integration = self.integration(workflow.integration_type)
        if enabled or credential_ref is not None or configuration_ref is not None:
            _, configuration = self.pick_configuration(user, integration, credential_ref, configuration_ref)
            targets = [configuration]
        else:
            credentials = user.credentials_for(integration.id)
            if not credentials:
                raise not_enabled()
            targets = [c for credential in credentials for c in credential.configurations]
        for configuration in targets:
            entry = configuration.workflow_settings.setdefault(workflow.id, {"enabled": enabled, "settings": {}})
            entry["enabled"] = enabled
            if settings is not None:
                entry["settings"] = dict(settings)
            configuration.date_updated = now_iso()

    def enabled_configurations(self, user: User, workflow: Workflow) -> list[tuple[Credential, Configuration]]:
        """Where the workflow is on for the user: VALID credentials' configurations with it enabled."""
        return [
            (credential, configuration)
            for credential in user.credentials_for(workflow.integration_id)
            if credential.status == "VALID"
            for configuration in credential.configurations
            if configuration.workflow_settings.get(workflow.id, {}).get("enabled") is True
        ]

    def find_credential(self, user: User, credential_id: str) -> Credential:
        credential = next((c for c in user.credentials if c.id == credential_id), None)
        if credential is None:
            raise ApiError(404, "Credential not found.")
        return credential

    # Logs

    def log_request(self, method: str, path: str, status: int | None, operation_id: str | None) -> int:
        self.requests.append(RequestRecord(method, path, status, operation_id))
        self.request_serial += 1
        return self.request_serial
