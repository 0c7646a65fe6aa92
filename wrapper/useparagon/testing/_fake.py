"""``FakeParagon``: a stateful local Paragon, and the builder a test sets a scenario up with."""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from .._constants import DEFAULT_TOKEN_TTL
from .._types import NOT_GIVEN, NotGiven
from . import _auth, _connect
from . import _managed_sync as managed_sync
from . import _render as render
from . import _task_history as task_history
from ._api import ActionHandler
from ._core import Core
from ._defaults import DEFAULT_BRAND_COLOR, DEFAULT_INTEGRATIONS, DEFAULT_PROJECT_ID
from ._faults import Faults
from ._http import ApiError, CoreRequest, Outcome
from ._model import (
    AUTHENTICATION_TYPES,
    CREDENTIAL_STATUSES,
    TRIGGER_SUBSCRIPTION_STATUSES,
    ActionDef,
    ActionRun,
    AppEvent,
    Credential,
    CredentialStatus,
    FakeWorkflow,
    Install,
    OptionSource,
    RequestRecord,
    TriggerDef,
    TriggerSubscription,
    TriggerSubscriptionStatus,
    Workflow,
    WorkflowTrigger,
    now_iso,
    stable_id,
)
from ._proxy import ProviderRegistry, ProxyHandler
from ._routes import resolve_route_key
from ._server import FakeServer
from ._state import Project
from ._store import (
    EXECUTION_STATUSES,
    ROLE_INCLUDES,
    SYNC_STATUSES,
    ExecutionRecord,
    ExecutionStatus,
    FakeStep,
    PermissionRole,
    SyncedFile,
    SyncStatus,
)
from ._transport import AsyncFakeTransport, FakeTransport


class FakeParagon:
    """A faithful, stateful Paragon for tests, demos and the CLI.

    It serves every operation of Paragon's SDK API, the ``/v2`` events path, the Proxy API and ActionKit on one base
    URL, and checks each request's RS256 user token against its key pair (a fresh 2048-bit one unless
    ``signing_key_pem`` or ``public_key_pem`` is given). It starts with Salesforce, HubSpot, Slack and Google Drive,
    which connect with OAuth, and Freshdesk, which takes an API key (``default_project=False`` starts empty)::

        fake = FakeParagon()
        sync = fake.workflow_id("salesforce", "Sync Contacts to Salesforce")
        fake.user("u1").connect("salesforce").enable_workflow(sync)
        client = httpx.Client(transport=fake.transport(), base_url="https://api.useparagon.com")
    """

    def __init__(
        self,
        *,
        project_id: str = DEFAULT_PROJECT_ID,
        signing_key_pem: str | NotGiven = NOT_GIVEN,
        public_key_pem: str | NotGiven = NOT_GIVEN,
        default_project: bool = True,
        api_key: str | NotGiven = NOT_GIVEN,
    ) -> None:
        if not project_id or "/" in project_id:
            raise ValueError("project_id must be a non-empty id without '/'")
        if api_key is not NOT_GIVEN and (
            not api_key or not api_key.isascii() or not api_key.isprintable() or " " in api_key
        ):
            raise ValueError("api_key must be one word of printable ASCII")
        if signing_key_pem is not NOT_GIVEN and public_key_pem is not NOT_GIVEN:
            raise ValueError("give signing_key_pem or public_key_pem, not both")
        self._private_key: rsa.RSAPrivateKey | None
        if public_key_pem is not NOT_GIVEN:
            self._private_key = None
            public_key = _auth.load_public_key(public_key_pem)
        else:
            key = (
                _auth.generate_private_key()  # fresh, except inside _auth.reusing_generated_key (this repo's fixtures)
                if signing_key_pem is NOT_GIVEN
                else _auth.load_private_key(signing_key_pem)
            )
            self._private_key, public_key = key, key.public_key()
        self._public_key_pem = _auth.public_key_pem(public_key)
        self._project = Project(project_id)
        self._project.api_key = f"fake-api-key-{secrets.token_hex(16)}" if api_key is NOT_GIVEN else api_key
        self._providers = ProviderRegistry()
        self._action_handlers: dict[str, ActionHandler] = {}
        self.faults = Faults(self._project.lock, resolve_route_key)
        self._core = Core(self._project, public_key, self.faults, self._providers, self._action_handlers)
        if default_project:
            for spec in DEFAULT_INTEGRATIONS:
                self._project.add_spec(spec)

    def __repr__(self) -> str:
        with self._project.lock:
            types = list(self._project.integrations)
            users = len(self._project.users)
        return f"FakeParagon(project_id={self.project_id!r}, integrations={types!r}, users={users})"

    # Identity and tokens

    @property
    def project_id(self) -> str:
        return self._project.id

    @property
    def signing_key(self) -> rsa.RSAPrivateKey:
        """The private key itself, for ``Paragon(signing_key=fake.signing_key)``: a client given the key object skips
        loading and checking a PEM (about 50 ms of CPU). Unavailable when the fake was given only a public key."""
        if self._private_key is None:
            raise RuntimeError("this FakeParagon was given only a public key: it cannot sign user tokens")
        return self._private_key

    @property
    def signing_key_pem(self) -> str:
        """The private key as PEM (a throwaway test key). Unavailable when the fake was given only a public key."""
        if self._private_key is None:
            raise RuntimeError("this FakeParagon was given only a public key: it cannot sign user tokens")
        return _auth.private_key_pem(self._private_key)

    @property
    def public_key_pem(self) -> str:
        return self._public_key_pem

    def sign_user_token(self, user_id: str, ttl: int = DEFAULT_TOKEN_TTL, **claims: Any) -> str:
        """An RS256 user token for ``user_id`` with ``aud = "useparagon.com/{projectId}"``. Extra claims are added;
        a claim given as ``None`` (``aud=None``) is left out. A negative ``ttl`` gives an expired token."""
        if self._private_key is None:
            raise RuntimeError("this FakeParagon was given only a public key: it cannot sign user tokens")
        return _auth.sign(self._private_key, self.project_id, user_id, ttl, claims)

    # Running it

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes = b"") -> Outcome:
        """The core handler: a raw request target (path and query) in, an ``Outcome`` out. Adapters use this."""
        return self._core.handle(CoreRequest(method, target, httpx.Headers(dict(headers)), body))

    def transport(self) -> FakeTransport:
        """An ``httpx.BaseTransport`` answering requests to any host in process."""
        return FakeTransport(self._core.handle)

    def async_transport(self) -> AsyncFakeTransport:
        """An ``httpx.AsyncBaseTransport`` answering requests to any host in process."""
        return AsyncFakeTransport(self._core.handle)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> FakeServer:
        """A loopback HTTP server, bound now; ``with fake.serve() as server:`` runs it in a background thread,
        ``fake.serve(port=8000).serve_forever()`` in this one."""
        return FakeServer(self._core.handle, host, port)

    # The project

    def add_integration(
        self,
        type: str,
        *,
        name: str | NotGiven = NOT_GIVEN,
        brand_color: str = DEFAULT_BRAND_COLOR,
        icon: str | NotGiven = NOT_GIVEN,
        description: str | NotGiven = NOT_GIVEN,
        workflows: Iterable[FakeWorkflow | str] = (),
        actions: Mapping[str, str] | NotGiven = NOT_GIVEN,
        integration_id: str | NotGiven = NOT_GIVEN,
        portal: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        authentication_type: str = "oauth",
    ) -> str:
        """Adds an integration (``type`` is its short name, e.g. ``"pipedrive"``) and returns its id.

        ``workflows`` are descriptions or ``FakeWorkflow``s; ``actions`` maps ActionKit action names to
        descriptions; ``portal`` adds Connect Portal config values (``overview``, ``accentColor``…).
        ``authentication_type`` is its ``authenticationType``: ``"oauth"`` (users connect through a consent page)
        or ``"basic"`` (users supply values such as an API key), or another of Paragon's schemes.
        """
        action_defs = [
            ActionDef(action, text, {"type": "object", "properties": {}})
            for action, text in (actions if actions is not NOT_GIVEN else {}).items()
        ]
        with self._project.lock:
            integration = self._project.add_integration(
                type,
                name=type.title() if name is NOT_GIVEN else name,
                brand_color=brand_color,
                icon="" if icon is NOT_GIVEN else icon,
                description="" if description is NOT_GIVEN else description,
                workflows=workflows,
                actions=action_defs,
                integration_id="" if integration_id is NOT_GIVEN else integration_id,
                portal=None if portal is NOT_GIVEN else portal,
                authentication_type=authentication_type,
            )
            return integration.id

    def set_authentication_type(self, integration: str, authentication_type: str) -> None:
        """Changes how ``integration`` authenticates (``"oauth"``, ``"basic"``…), e.g. for a default integration."""
        if authentication_type not in AUTHENTICATION_TYPES:
            raise ValueError(f"authentication_type must be one of {', '.join(AUTHENTICATION_TYPES)}")
        with self._project.lock:
            self._project.integration(integration).authentication_type = authentication_type

    def authorization_code(
        self, integration: str, *, redirect_url: str | NotGiven = NOT_GIVEN, code: str | NotGiven = NOT_GIVEN
    ) -> str:
        """A one-time OAuth authorization code for ``integration``, as a provider's marketplace install would send
        to your backend (``code`` picks its text; by default the fake makes one up). ``POST /sdk/credentials`` with
        ``{code, integrationId[, redirectUrl]}`` exchanges it for a credential once; ``redirectUrl`` must then be
        ``redirect_url`` (or absent, if it was not given)."""
        with self._project.lock:
            found = self._project.integration(integration)
            return _connect.issue_authorization_code(
                self._project,
                found,
                None if redirect_url is NOT_GIVEN else redirect_url,
                None if code is NOT_GIVEN else code,
            )

    def set_oauth_consent(self, integration: str, *, approve: bool = True, error: str = "access_denied") -> None:
        """What the fake's OAuth consent page does for ``integration`` from now on: approve (the default), or deny
        with ``error`` (redirecting with ``paragon=error&error=...`` and creating no credential)."""
        if not error:
            raise ValueError("error must not be empty")
        with self._project.lock:
            self._project.integration(integration).consent_error = None if approve else error

    def set_field_options(
        self, integration: str, source_key: str, options: Iterable[Mapping[str, Any]], *, page_size: int | None = None
    ) -> None:
        """The choices ``POST /sdk/actions`` (``get_field_options``) answers for ``source_key`` of ``integration``:
        one plain list, or with ``page_size`` pages of ``{records, nextPageCursor}``. Records with an ``id`` are
        nested inputs, the others options (``{"label", "value"}``)."""
        if page_size is not None and page_size < 1:
            raise ValueError("page_size must be a positive int or None")
        with self._project.lock:
            self._project.integration(integration).option_sources[source_key] = OptionSource(
                [dict(copy.deepcopy(option)) for option in options], page_size
            )

    def integration_id(self, type: str) -> str:
        with self._project.lock:
            return self._project.integration(type).id

    def workflow_id(self, integration: str, description: str) -> str:
        """The id of the workflow of ``integration`` with this description."""
        with self._project.lock:
            found = self._project.integration(integration)
            for workflow in found.workflows:
                if workflow.description == description:
                    return workflow.id
            known = ", ".join(repr(w.description) for w in found.workflows) or "none"
            raise KeyError(f"{integration} has no workflow {description!r} (it has: {known})")

    def set_workflow_response(self, workflow_id: str, body: Any, *, status: int = 200) -> None:
        """Make triggering the workflow answer ``status`` with ``body`` (a Response step), instead of ``202``."""
        with self._project.lock:
            self._workflow(workflow_id).response = (status, copy.deepcopy(body))

    def clear_workflow_response(self, workflow_id: str) -> None:
        with self._project.lock:
            self._workflow(workflow_id).response = None

    def _workflow(self, workflow_id: str) -> Workflow:
        workflow = self._project.find_workflow(workflow_id)
        if workflow is None:
            raise KeyError(f"no workflow {workflow_id!r} in the project")
        return workflow

    # Users

    def user(self, user_id: str) -> FakeUser:
        """The Connected User ``user_id`` (created if new), to set up or inspect."""
        if not user_id:
            raise ValueError("user_id must not be empty")
        with self._project.lock:
            self._project.user(user_id)
        return FakeUser(self, user_id)

    @property
    def user_ids(self) -> list[str]:
        with self._project.lock:
            return list(self._project.users)

    # Providers

    def on_proxy(self, integration: str, path: str, handler: ProxyHandler, *, method: str = "*") -> None:
        """Route Proxy API calls for ``integration`` and provider ``path`` (``"*"``: any path) to ``handler``.

        ``handler(ProxyRequest)`` returns ``(status, body)`` or ``(status, body, headers)``; ``body`` is JSON-able
        or ``bytes``. A status >= 400 is relayed as a provider failure (``meta.isIntegrationError``).
        """
        self._providers.register(integration, path, handler, method)

    def on_action(self, action: str, handler: ActionHandler) -> None:
        """Answer ActionKit runs of ``action`` with ``handler(ActionRun)``'s JSON-able output."""
        self._action_handlers[action] = handler

    def add_action(
        self,
        integration: str,
        name: str,
        *,
        description: str = "",
        parameters: Mapping[str, Any] | NotGiven = NOT_GIVEN,
    ) -> None:
        """Give ``integration`` an ActionKit action (a tool for agents) with a JSON Schema for its ``parameters``
        (default: none). ``GET /actions`` lists it, ``POST /actions`` checks a run's parameters against it, and
        ``on_action`` chooses its output."""
        schema = {"type": "object", "properties": {}} if parameters is NOT_GIVEN else copy.deepcopy(dict(parameters))
        with self._project.lock:
            found = self._project.integration(integration)
            if any(action.name == name for i in self._project.integrations.values() for action in i.actions):
                raise ValueError(f"the project already has an action {name!r}")
            found.actions.append(ActionDef(name, description or name, schema))

    def add_trigger(
        self,
        integration: str,
        trigger_type: str,
        *,
        trigger_model: Literal["POLLING", "WEBHOOK"] = "WEBHOOK",
        title: str = "",
        description: str = "",
        example: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Give ``integration`` an ActionKit trigger type: ``GET /triggers`` lists it, users can subscribe to it, and
        ``POST /triggers/examples`` answers ``example``."""
        with self._project.lock:
            found = self._project.integration(integration)
            if any(trigger.type == trigger_type for trigger in found.triggers):
                raise ValueError(f"{integration} already has a trigger {trigger_type!r}")
            found.triggers.append(
                TriggerDef(
                    trigger_type,
                    trigger_model,
                    title or trigger_type,
                    description or title or trigger_type,
                    [dict(copy.deepcopy(record)) for record in example],
                )
            )

    # What happened

    @property
    def events(self) -> tuple[AppEvent, ...]:
        """The App Events received, oldest first."""
        with self._project.lock:
            return tuple(self._project.events)

    @property
    def workflow_triggers(self) -> tuple[WorkflowTrigger, ...]:
        """Every workflow run, by request trigger or by App Event, oldest first."""
        with self._project.lock:
            return tuple(self._project.triggers)

    @property
    def action_runs(self) -> tuple[ActionRun, ...]:
        with self._project.lock:
            return tuple(self._project.action_runs)

    @property
    def installs(self) -> tuple[Install, ...]:
        """The credentials created through the API (values, authorization code or consent page), oldest first."""
        with self._project.lock:
            return tuple(self._project.installs)

    @property
    def requests(self) -> tuple[RequestRecord, ...]:
        """Every request answered (method, path without query, status, operationId), oldest first."""
        with self._project.lock:
            return tuple(self._project.requests)

    def clear_logs(self) -> None:
        """Forget the logged events, workflow runs, action runs, installs and requests (state is kept)."""
        with self._project.lock:
            self._project.installs.clear()
            self._project.events.clear()
            self._project.triggers.clear()
            self._project.action_runs.clear()
            self._project.requests.clear()

    # Task History (the project API key) and Managed Sync

    @property
    def api_key(self) -> str:
        """The project API key the fake's Task History API accepts (``Paragon(api_key=fake.api_key)``): a fresh
        random one unless ``api_key=`` was given."""
        return self._project.api_key

    def set_task_history_rate_limit(self, requests: int, per_seconds: float) -> None:
        """Answer ``429`` (with ``Retry-After``) past ``requests`` Task History requests in any ``per_seconds``: by
        default Paragon's documented 1,000 per 600 s."""
        if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1 or not per_seconds > 0:
            raise ValueError("requests must be a positive int and per_seconds a positive number")
        with self._project.lock:
            self._project.task_history.rate_limit = (requests, float(per_seconds))
            self._project.task_history.request_times.clear()

    def add_workflow_execution(
        self,
        user_id: str,
        workflow_id: str,
        *,
        status: ExecutionStatus = "SUCCEEDED",
        steps: Iterable[FakeStep] = (),
        started_at: dt.datetime | str | NotGiven = NOT_GIVEN,
        duration_ms: int = 1000,
        execution_id: str | NotGiven = NOT_GIVEN,
    ) -> str:
        """Adds a run of a project workflow for ``user_id`` to Task History and returns its id. ``steps`` (after a
        request-trigger step when none is given) are spread over ``duration_ms`` from ``started_at`` (a datetime or
        ISO 8601 text; now by default)."""
        if status not in EXECUTION_STATUSES:
            raise ValueError(f"status must be one of {', '.join(EXECUTION_STATUSES)}")
        if isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or duration_ms < 0:
            raise ValueError("duration_ms must be an int >= 0")
        if started_at is NOT_GIVEN:
            started = dt.datetime.now(dt.UTC)
        elif isinstance(started_at, dt.datetime):
            started = started_at if started_at.tzinfo is not None else started_at.replace(tzinfo=dt.UTC)
        else:
            started = task_history.parse_moment(started_at)
        given = list(steps) or [FakeStep("TRIGGER/REQUEST", status="SUCCEEDED")]
        with self._project.lock:
            workflow = self._workflow(workflow_id)
            self._project.user(user_id)
            chosen = "" if execution_id is NOT_GIVEN else execution_id
            if chosen and self._project.task_history.find(chosen) is not None:
                raise ValueError(f"workflow execution id {chosen} is already used")
            execution = task_history.new_execution(
                self._project,
                self._project.task_history,
                user_id=user_id,
                workflow_id=workflow.id,
                integration=workflow.integration_type,
                status=status,
                started=started,
                duration_ms=duration_ms,
                steps=[(s.id, s.type, s.status, copy.deepcopy(s.input), copy.deepcopy(s.output)) for s in given],
                execution_id=chosen,
            )
            return execution.id

    @property
    def workflow_executions(self) -> tuple[ExecutionRecord, ...]:
        """Task History's executions, oldest first: added ones, workflow runs the fake recorded, and replays."""
        with self._project.lock:
            return tuple(
                ExecutionRecord(
                    e.id,
                    e.user_id,
                    e.workflow_id,
                    e.integration,
                    e.status,
                    task_history.iso(e.date_started),
                    e.replay_of,
                )
                for e in self._project.task_history.executions
            )


class FakeUser:
    """A Connected User of a ``FakeParagon``; every setter returns the user, so calls chain."""

    def __init__(self, fake: FakeParagon, user_id: str) -> None:
        self._fake = fake
        self._project = fake._project
        self.id = user_id

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id!r}, connected={self.connected!r})"

    def connect(
        self,
        integration: str,
        *,
        status: CredentialStatus = "VALID",
        provider_id: str | NotGiven = NOT_GIVEN,
        provider_data: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        credential_id: str | NotGiven = NOT_GIVEN,
    ) -> FakeUser:
        """Adds a credential (a connected account) for ``integration``; call again for a second account."""
        if status not in CREDENTIAL_STATUSES:
            raise ValueError(f"status must be one of {', '.join(CREDENTIAL_STATUSES)}")
        with self._project.lock:
            user = self._project.user(self.id)
            credential_id = "" if credential_id is NOT_GIVEN else credential_id
            if credential_id and any(
                c.id == credential_id for u in self._project.users.values() for c in u.credentials
            ):
                raise ValueError(f"credential id {credential_id} is already used")
            defaults = next((dict(s.provider_data) for s in DEFAULT_INTEGRATIONS if s.type == integration), {})
            data = defaults if provider_data is NOT_GIVEN else provider_data
            self._project.connect(
                user,
                integration,
                status=status,
                provider_id="" if provider_id is NOT_GIVEN else provider_id,
                provider_data=data,
                credential_id=credential_id,
            )
        return self

    def disconnect(self, integration: str) -> FakeUser:
        """Removes every credential of ``integration`` (as an uninstall does)."""
        with self._project.lock:
            user = self._project.user(self.id)
            found = self._project.integration(integration)
            user.credentials = [c for c in user.credentials if c.integration_id != found.id]
        return self

    def set_credential_status(self, integration: str, status: CredentialStatus) -> FakeUser:
        """Sets the status of every credential of ``integration`` (e.g. ``"INVALID"`` after a revoked token)."""
        if status not in CREDENTIAL_STATUSES:
            raise ValueError(f"status must be one of {', '.join(CREDENTIAL_STATUSES)}")
        with self._project.lock:
            for credential in self._credentials(integration):
                credential.status = status
        return self

    def enable_workflow(self, workflow_id: str, settings: Mapping[str, Any] | NotGiven = NOT_GIVEN) -> FakeUser:
        """Turns the workflow on in the default configuration of the user's VALID credential for its integration."""
        self._toggle(workflow_id, True, None if settings is NOT_GIVEN else settings)
        return self

    def disable_workflow(self, workflow_id: str) -> FakeUser:
        self._toggle(workflow_id, False, None)
        return self

    def set_meta(self, meta: Mapping[str, Any] | NotGiven = NOT_GIVEN, /, **more: Any) -> FakeUser:
        """Merges metadata, as ``PATCH /sdk/me`` does: ``set_meta({"Email": "a@b.co"})`` or ``set_meta(Name="A")``."""
        with self._project.lock:
            given = {} if meta is NOT_GIVEN else meta
            self._project.user(self.id).meta.update(copy.deepcopy({**given, **more}))
        return self

    def token(self, ttl: int = DEFAULT_TOKEN_TTL, **claims: Any) -> str:
        """A user token for this user (``FakeParagon.sign_user_token``)."""
        return self._fake.sign_user_token(self.id, ttl, **claims)

    @property
    def meta(self) -> dict[str, Any]:
        with self._project.lock:
            return copy.deepcopy(self._project.user(self.id).meta)

    @property
    def connected(self) -> dict[str, CredentialStatus]:
        """Integration type → status of its first credential, for the integrations the user connected."""
        with self._project.lock:
            found: dict[str, CredentialStatus] = {}
            for credential in self._project.user(self.id).credentials:
                found.setdefault(credential.integration_type, credential.status)
            return found

    def add_trigger_subscription(
        self,
        integration: str,
        trigger_type: str,
        parameters: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        *,
        subscription_id: str | NotGiven = NOT_GIVEN,
        status: TriggerSubscriptionStatus = "ACTIVE",
        error: str | NotGiven = NOT_GIVEN,
    ) -> FakeUser:
        """Subscribe the user's first VALID account of ``integration`` to one of its triggers, as ``POST
        /trigger-subscriptions`` does; ``status="ERRORED"`` with ``error`` for one Paragon has disabled."""
        if status not in TRIGGER_SUBSCRIPTION_STATUSES:
            raise ValueError(f"status must be one of {', '.join(TRIGGER_SUBSCRIPTION_STATUSES)}")
        with self._project.lock:
            user = self._project.user(self.id)
            found = self._project.integration(integration)
            if not any(trigger.type == trigger_type for trigger in found.triggers):
                known = ", ".join(t.type for t in found.triggers) or "none"
                raise ValueError(f"{integration} has no trigger {trigger_type!r} (it has: {known})")
            credential = user.valid_credential(found.id)
            if credential is None:
                raise ValueError(f"user {self.id!r} has no VALID {integration} credential: connect it first")
            chosen = "" if subscription_id is NOT_GIVEN else subscription_id
            if any(sub.id == chosen for u in self._project.users.values() for sub in u.trigger_subscriptions):
                raise ValueError(f"trigger subscription id {chosen} is already used")
            now = now_iso()
            user.trigger_subscriptions.append(
                TriggerSubscription(
                    id=chosen or stable_id("trigger-subscription", self._project.id, user.id, str(user.next_serial())),
                    integration=integration,
                    type=trigger_type,
                    parameters={} if parameters is NOT_GIVEN else copy.deepcopy(dict(parameters)),
                    credential_id=credential.id,
                    date_created=now,
                    status=status,
                    error=None if error is NOT_GIVEN else error,
                    date_last_received_event=now,
                )
            )
        return self

    @property
    def trigger_subscriptions(self) -> list[dict[str, Any]]:
        """The user's trigger subscriptions as ``GET /trigger-subscriptions`` renders them, each with its
        ``integration`` and, when set, the whole ``webhookOverride`` (headers too)."""
        with self._project.lock:
            return [
                {
                    **render.trigger_subscription(sub),
                    "integration": sub.integration,
                    **({"webhookOverride": copy.deepcopy(sub.webhook_override)} if sub.webhook_override else {}),
                }
                for sub in self._project.user(self.id).trigger_subscriptions
            ]

    def account_auth(self, integration: str) -> list[dict[str, str]]:
        """Per credential of ``integration``: the fake provider tokens ``accountAuth`` carries when asked for."""
        with self._project.lock:
            return [dict(c.account_auth) for c in self._credentials(integration)]

    def credential_ids(self, integration: str) -> list[str]:
        with self._project.lock:
            return [c.id for c in self._credentials(integration)]

    def credential_values(self, integration: str) -> list[dict[str, Any]]:
        """Per credential of ``integration``: the values the user supplied (API keys…, post-OAuth setup values),
        which the fake keeps but never sends back."""
        with self._project.lock:
            return [copy.deepcopy(c.values) for c in self._credentials(integration)]

    @property
    def enabled_workflows(self) -> frozenset[str]:
        """The ids of the workflows that run for the user (enabled on a VALID credential)."""
        with self._project.lock:
            user = self._project.user(self.id)
            return frozenset(
                workflow.id
                for integration in self._project.integrations.values()
                for workflow in integration.workflows
                if self._project.enabled_configurations(user, workflow)
            )

    def _credentials(self, integration: str) -> list[Credential]:
        found = self._project.integration(integration)
        return self._project.user(self.id).credentials_for(found.id)

    def _toggle(self, workflow_id: str, enabled: bool, settings: Mapping[str, Any] | None) -> None:
        with self._project.lock:
            workflow = self._fake._workflow(workflow_id)
            try:
                self._project.set_workflow_enabled(self._project.user(self.id), workflow, enabled, settings=settings)
            except ApiError as exc:
                raise ValueError(
                    f"user {self.id!r} has no VALID {workflow.integration_type} credential: connect it first"
                ) from exc

    # Managed Sync

    def add_sync(
        self,
        integration: str,
        pipeline: str,
        *,
        status: SyncStatus = "IDLE",
        configuration_name: str | NotGiven = NOT_GIVEN,
        reason: str | NotGiven = NOT_GIVEN,
        sync_id: str | NotGiven = NOT_GIVEN,
    ) -> str:
        """Adds a Managed Sync of ``pipeline`` from the user's first VALID account of ``integration`` (as ``POST
        /api/syncs`` does, already past its initial sync by default) and returns its id."""
        if status not in SYNC_STATUSES:
            raise ValueError(f"status must be one of {', '.join(SYNC_STATUSES)}")
        if not pipeline:
            raise ValueError("pipeline must not be empty")
        name = None if configuration_name is NOT_GIVEN else configuration_name
        with self._project.lock:
            user = self._project.user(self.id)
            credential = user.valid_credential(self._project.integration(integration).id)
            if credential is None:
                raise ValueError(f"user {self.id!r} has no VALID {integration} credential: connect it first")
            store = self._project.sync_store
            chosen = (
                stable_id("sync", self._project.id, self.id, integration, pipeline, name or "")
                if sync_id is NOT_GIVEN
                else sync_id
            )
            if chosen in store.syncs:
                raise ValueError(f"sync id {chosen} is already used")
            sync = managed_sync.add_sync(
                store, self.id, integration, pipeline, credential.id, sync_id=chosen, name=name, status=status
            )
            sync.reason = None if reason is NOT_GIVEN else reason
            return sync.id

    def set_sync_status(self, sync_id: str, status: SyncStatus, *, reason: str | None = None) -> FakeUser:
        """Sets a sync's status (``"ERRORED"`` with a ``reason``, say, as after a revoked account)."""
        if status not in SYNC_STATUSES:
            raise ValueError(f"status must be one of {', '.join(SYNC_STATUSES)}")
        with self._project.lock:
            sync = self._project.sync_store.syncs.get(sync_id)
            if sync is None or sync.user_id != self.id:
                raise KeyError(f"user {self.id!r} has no sync {sync_id!r}")
            sync.status, sync.reason = status, reason
        return self

    @property
    def syncs(self) -> list[dict[str, Any]]:
        """The user's syncs as ``GET /api/syncs`` renders them, with each one's ``configuration``."""
        with self._project.lock:
            return [
                {**managed_sync.render_sync(self._project.id, s), "configuration": copy.deepcopy(s.configuration)}
                for s in self._project.sync_store.syncs.values()
                if s.user_id == self.id
            ]

    def add_synced_records(self, integration: str, pipeline: str, records: Iterable[Mapping[str, Any]]) -> list[str]:
        """Adds records to what the user's account of ``integration`` holds for ``pipeline`` (a file's metadata, a
        contact…, as Managed Sync normalizes them): every sync of that pipeline serves them, after the ones already
        there. Returns their ids: a record's own ``"id"``, else a uuid5 given to it."""
        with self._project.lock:
            self._project.integration(integration)
            stored = self._project.sync_store.records.setdefault((self.id, integration, pipeline), [])
            known = {r["id"] for r in stored}
            added = []
            for record in records:
                entry = dict(copy.deepcopy(record))
                entry.setdefault("id", stable_id("synced-record", self._project.id, self.id, integration, pipeline,
                                                 str(len(stored))))  # fmt: skip
                if not isinstance(entry["id"], str) or not entry["id"]:
                    # Paragon's record ids are strings (the spec's SyncedRecord.id), and URLs name them as such.
                    raise ValueError(f"a record's 'id' must be a non-empty str, got {entry['id']!r}")
                if entry["id"] in known:
                    raise ValueError(f"record id {entry['id']} is already used")
                known.add(entry["id"])
                stored.append(entry)
                added.append(entry["id"])
            return added

    def set_synced_file(
        self, integration: str, record_id: str, content: bytes, *, content_type: str = "application/octet-stream"
    ) -> FakeUser:
        """The bytes ``GET …/records/{recordId}/content`` answers for a synced file record of ``integration``."""
        with self._project.lock:
            self._project.integration(integration)
            self._project.sync_store.files[(self.id, integration, record_id)] = SyncedFile(bytes(content), content_type)
        return self

    def grant_access(self, integration: str, object_id: str, email: str, role: PermissionRole = "can_read") -> FakeUser:
        """Gives the person ``email`` ``role`` on the synced object ``object_id`` (a record's id), as the source
        system's permissions would: what the Permissions API answers for syncs of ``integration``."""
        if role not in ROLE_INCLUDES:
            raise ValueError(f"role must be one of {', '.join(ROLE_INCLUDES)}")
        with self._project.lock:
            self._project.integration(integration)
            grants = self._project.sync_store.grants.setdefault((self.id, integration), {})
            grants.setdefault(object_id, {})[managed_sync.person_key(email)] = role
        return self
