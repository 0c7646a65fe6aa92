"""``AsyncUserSession``: every SDK call, made as one Connected User (the ``sub`` of the user token).

This module is the source of another:
``python -m generator.unasync`` writes ``_session.py`` from ``_async_session.py``, and ``make check-generated``
fails when they differ. Edit the async module, then run ``make generate``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from . import _actionkit, _calls, _connect, _headless, _managed_sync
from ._actionkit import ActionFormat, TriggerSubscriptionStatusName
from ._base_session import SessionBase
from ._connect import DEFAULT_CONNECT_TIMEOUT, DEFAULT_POLL_INTERVAL, ConnectLink, apause
from ._constants import HTTPMethod
from ._errors import APIError, ConnectNotCompletedError
from ._events import AsyncCallback, AsyncEventHub, EventName, adeliver
from ._headless import FieldOptions, UserSettingsUpdate, WorkflowStateError, WorkflowStateUpdate
from ._http import AsyncSender
from ._managed_sync import ObjectType, PermissionRole
from ._stream import AsyncStreamContext, AsyncStreamedResponse
from ._types import NOT_GIVEN, NotGiven, RawResponse
from ._watch import DEFAULT_WATCH_INTERVAL, AsyncWatcher, Snapshot, check_interval, snapshot

if TYPE_CHECKING:
    import asyncio

    from useparagon_api.models import (
        ActionList,
        AuthenticatedUser,
        BatchAccessCheckItem,
        Credential,
        CredentialConfiguration,
        Integration,
        IntegrationMetadata,
        ParagonActionList,
        Sync,
        SyncedRecord,
        SyncedRecordPage,
        SyncState,
        SyncUpdate,
        TriggerList,
        TriggerSubscription,
        TriggerSubscriptionList,
        UnauthenticatedUser,
        UnsubscribeResult,
    )
    from useparagon_api.types import Unset
    from useparagon_api.wire import SdkEvent

    from ._async_tools import AsyncAgentTools
    from ._calls import Call

T = TypeVar("T")


class AsyncUserSession(SessionBase):
    """Paragon's SDK calls for one user, from ``AsyncParagon.authenticate(...)``. Safe to share between tasks."""

    __slots__ = ()

    _events: AsyncEventHub
    _sender: AsyncSender

    async def _send(self, call: Call[T]) -> T:
        return await self._sender.send(call, self._token.get())

    async def _drive(self, flow: _calls.Flow[T]) -> T:
        try:
            call = next(flow)
            while True:
                call = flow.send(await self._send(call))
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]
        finally:
            flow.close()

    async def _emit(self, event: SdkEvent) -> None:
        await adeliver(self._hubs, event, self)

    def subscribe(self, event_name: EventName, callback: AsyncCallback) -> Callable[[], bool]:
        """Call ``callback(event, session)`` when this user's state changes through this client.

        Returns a function that unsubscribes (it returns whether the callback was still subscribed).
        ``AsyncParagon`` awaits a coroutine function; ``Paragon`` refuses one.
        """
        return self._events.subscribe(event_name, callback)

    async def get_user(self) -> AuthenticatedUser | UnauthenticatedUser:
        """``GET /sdk/me``: the user and their state per integration (check ``authenticated`` first)."""
        return await self._send(_calls.get_user_call(self._project_id))

    async def set_user_metadata(self, meta: Mapping[str, Any]) -> AuthenticatedUser:
        """``PATCH /sdk/me``: merge ``meta`` into the user's metadata; returns the updated user."""
        return await self._drive(_calls.set_user_metadata_flow(self._project_id, meta))

    async def get_integration_metadata(self) -> list[IntegrationMetadata]:
        """``GET /sdk/metadata``: name, brand color and icon of each active integration."""
        return await self._send(_calls.get_integration_metadata_call(self._project_id))

    async def get_integrations(self) -> list[Integration]:
        """``GET /sdk/integrations``: the project's integrations with their portal config and workflows."""
        return await self._send(_calls.get_integrations_call(self._project_id))

    async def get_credentials(self) -> list[Credential]:
        """``GET /sdk/credentials``: the accounts this user connected."""
        return await self._send(_calls.get_credentials_call(self._project_id))

    async def get_credential(self, credential_id: str) -> Credential:
        """``GET /sdk/credentials/{credentialId}``: one of the user's credentials."""
        return await self._send(_calls.get_credential_call(self._project_id, credential_id))

    async def event(
        self,
        name: str,
        payload: Mapping[str, Any],
        *,
        credential_id: str | None = None,
        configuration_id: str | None = None,
    ) -> None:
        """``POST /sdk/events/trigger``: send an App Event; every workflow it triggers runs for this user."""
        await self._send(_calls.event_call(self._project_id, name, payload, credential_id, configuration_id))

    async def workflow(
        self,
        workflow_id: str,
        *,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        credential_id: str | None = None,
        configuration_id: str | None = None,
    ) -> Any:
        """``POST /sdk/triggers/{workflowId}``: run a Request-triggered workflow.

        Returns the workflow's custom response (parsed JSON), or None when it answers 202 (no Response step).
        """
        return await self._send(
            _calls.workflow_call(
                self._project_id,
                workflow_id,
                body=body,
                query=query,
                headers=headers,
                credential_id=credential_id,
                configuration_id=configuration_id,
            )
        )

    @overload
    async def request(
        self,
        integration: str,
        path: str | None = ...,
        *,
        url: str | None = ...,
        method: HTTPMethod = ...,
        body: Any = ...,
        params: Mapping[str, Any] | None = ...,
        headers: Mapping[str, str] | None = ...,
        credential_id: str | None = ...,
        raw: Literal[False] = ...,
    ) -> Any: ...

    @overload
    async def request(
        self,
        integration: str,
        path: str | None = ...,
        *,
        url: str | None = ...,
        method: HTTPMethod = ...,
        body: Any = ...,
        params: Mapping[str, Any] | None = ...,
        headers: Mapping[str, str] | None = ...,
        credential_id: str | None = ...,
        raw: Literal[True],
    ) -> RawResponse: ...

    async def request(
        self,
        integration: str,
        path: str | None = None,
        *,
        url: str | None = None,
        method: HTTPMethod = "GET",
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        credential_id: str | None = None,
        raw: bool = False,
    ) -> Any:
        """Call a third-party API through Paragon's Proxy API, with this user's connected account.

        ``path`` is relative to the integration's API; or pass ``url=`` (an absolute ``https://`` URL, ``params``
        merged into its query) to reach one outside it: Paragon's proxy calls it (``X-Paragon-Proxy-Url``), this
        client never does, and the user token goes only to Paragon.

        Returns the provider's JSON (Paragon's ``{"output": ...}`` unwrapped), or with ``raw=True`` a
        ``RawResponse`` with the provider's status, headers and bytes.
        """
        return await self._send(
            _calls.proxy_call(
                self._project_id,
                integration,
                path,
                url=url,
                method=method,
                body=body,
                params=params,
                headers=headers,
                credential_id=credential_id,
                raw=raw,
            )
        )

    def stream(
        self,
        integration: str,
        path: str | None = None,
        *,
        url: str | None = None,
        method: HTTPMethod = "GET",
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        credential_id: str | None = None,
    ) -> AsyncStreamContext:
        """A large download through the Proxy API, read as it arrives instead of into one buffer.

        ``with user.stream("googledrive", "files/ID", params={"alt": "media"}) as download:`` then
        ``for chunk in download.iter_bytes(): ...``. No ``max_response_bytes`` cap applies; the timeout and total
        deadline do. ``url=`` works as in ``request``. Input is checked now; the request is sent when the ``with``
        block is entered.
        """
        call = _calls.proxy_call(
            self._project_id,
            integration,
            path,
            url=url,
            method=method,
            body=body,
            params=params,
            headers=headers,
            credential_id=credential_id,
            raw=True,
            stream=True,
        )
        return AsyncStreamContext(lambda: self._open_stream(call))

    async def _open_stream(self, call: Call[Any]) -> AsyncStreamedResponse:
        return await self._sender.open_stream(call, self._token.get())

    async def uninstall_integration(self, integration: str, *, credential_id: str | None = None) -> None:
        """Disconnect ``integration`` (e.g. ``"salesforce"``) for this user; fires ``onIntegrationUninstall``."""
        event = await self._drive(_calls.uninstall_integration_flow(self._project_id, integration, credential_id))
        await self._emit(event)

    async def enable_workflow(
        self, workflow_id: str, *, credential_id: str | None = None, configuration_id: str | None = None
    ) -> None:
        """``POST /sdk/workflows/{workflowId}``: turn a workflow on for this user; fires ``onWorkflowChange``."""
        await self._set_workflow_state(workflow_id, True, credential_id, configuration_id)

    async def disable_workflow(
        self, workflow_id: str, *, credential_id: str | None = None, configuration_id: str | None = None
    ) -> None:
        """``DELETE /sdk/workflows/{workflowId}``: turn a workflow off for this user; fires ``onWorkflowChange``."""
        await self._set_workflow_state(workflow_id, False, credential_id, configuration_id)

    async def _set_workflow_state(
        self, workflow_id: str, enabled: bool, credential_id: str | None, configuration_id: str | None
    ) -> None:
        with_event = any(hub.listening("onWorkflowChange") for hub in self._hubs)
        event = await self._drive(
            _calls.set_workflow_state_flow(
                self._project_id,
                workflow_id,
                enabled=enabled,
                credential_id=credential_id,
                configuration_id=configuration_id,
                with_event=with_event,
            )
        )
        if event is not None:
            await self._emit(event)

    @overload
    async def list_actions(
        self,
        *,
        integrations: Sequence[str] | None = ...,
        categories: Sequence[str] | None = ...,
        limit_to_available: bool = ...,
        reload_fields: bool = ...,
        format: Literal["json_schema"] = ...,
    ) -> ActionList: ...

    @overload
    async def list_actions(
        self,
        *,
        integrations: Sequence[str] | None = ...,
        categories: Sequence[str] | None = ...,
        limit_to_available: bool = ...,
        reload_fields: bool = ...,
        format: Literal["paragon"],
    ) -> ParagonActionList: ...

    async def list_actions(
        self,
        *,
        integrations: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
        limit_to_available: bool = True,
        reload_fields: bool = False,
        format: ActionFormat = "json_schema",
    ) -> ActionList | ParagonActionList:
        """ActionKit ``GET /projects/{projectId}/actions`` (Paragon's List Tools): the actions this user can run, per
        integration, as JSON Schema function definitions, or with ``format="paragon"`` as the Workflow Editor's input
        definitions. ``integrations`` and ``categories`` filter; ``limit_to_available=False`` adds the project's
        integrations the user has not connected; ``reload_fields=True`` refreshes the user's custom fields (cached
        for 8 hours)."""
        return await self._send(
            _actionkit.list_actions_call(
                self._project_id,
                integrations=integrations,
                categories=categories,
                limit_to_available=limit_to_available,
                reload_fields=reload_fields,
                format=format,
            )
        )

    async def agent_tools(
        self,
        *,
        integrations: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
        limit_to_available: bool = True,
        reload_fields: bool = False,
        credential_id: str | None = None,
    ) -> AsyncAgentTools:
        """This user's ActionKit actions as a model's tools, in one call (``list_actions`` with these filters): pass
        ``tools.openai()``, ``tools.anthropic()`` or ``tools.mcp()`` to the model, and its tool calls to
        ``tools.run_openai(...)`` or ``tools.run_anthropic(...)``, which check the arguments, run each call as this
        user (with ``credential_id``'s account, if given) and return the results as that API expects them."""
        from ._async_tools import AsyncAgentTools

        _calls.targeting(credential_id, None)
        tools = await self._send(
            _actionkit.agent_tools_call(
                self._project_id,
                integrations=integrations,
                categories=categories,
                limit_to_available=limit_to_available,
                reload_fields=reload_fields,
            )
        )
        return AsyncAgentTools(self, tools, credential_id=credential_id)

    async def run_action(
        self, action: str, parameters: Mapping[str, Any] | None = None, *, credential_id: str | None = None
    ) -> Any:
        """ActionKit ``POST /projects/{projectId}/actions``: run ``action`` as this user; returns its output."""
        return await self._send(_calls.run_action_call(self._project_id, action, parameters, credential_id))

    async def update_workflow_state(
        self,
        states: Mapping[str, bool],
        *,
        credential_id: str | None = None,
        configuration_id: str | None = None,
    ) -> WorkflowStateUpdate:
        """Turn several workflows on or off (``{workflow_id: True/False}``), one request each, in order, as the JS
        SDK's ``updateWorkflowState``. A workflow Paragon refuses does not stop the others: it is reported in
        ``errors``. Fires ``onWorkflowChange`` for each change."""
        changes = _headless.check_workflow_states(states)
        _calls.targeting(credential_id, configuration_id)
        updated: list[str] = []
        errors: list[WorkflowStateError] = []
        for workflow_id, enabled in changes:
            try:
                await self._set_workflow_state(workflow_id, enabled, credential_id, configuration_id)
            except APIError as error:
                errors.append(WorkflowStateError(workflow_id=workflow_id, message=str(error), error=error))
            else:
                updated.append(workflow_id)
        return WorkflowStateUpdate(updated=updated, errors=errors)

    # -- Headless Connect Portal: User Settings, configurations, account details, field options, triggers --------------

    async def update_integration_user_settings(
        self,
        integration: str,
        settings: Mapping[str, Any],
        *,
        credential_id: str | None = None,
        configuration_id: str | None = None,
    ) -> UserSettingsUpdate:
        """Change the integration-level User Settings of the user's current (or chosen) credential and configuration:
        ``GET /sdk/me``, then ``PATCH /sdk/credentials/{id}`` with ``{"config": {"sharedSettings": ...}}``, the
        current settings merged with ``settings`` and sent whole (workflow settings are left out, as the JS SDK
        leaves them). Returns the credential after the update and Paragon's per-input ``errors``."""
        return await self._drive(
            _headless.update_user_settings_flow(
                self._project_id,
                integration,
                settings,
                credential_id=credential_id,
                configuration_id=configuration_id,
            )
        )

    async def update_workflow_user_settings(
        self,
        integration: str,
        workflow_id: str,
        settings: Mapping[str, Any],
        *,
        credential_id: str | None = None,
        configuration_id: str | None = None,
    ) -> UserSettingsUpdate:
        """Change one workflow's User Settings: like ``update_integration_user_settings``, with ``{"config":
        {"workflowSettings": ...}}`` (every workflow's entry, the one named merged with ``settings``). Raises
        ``WorkflowNotFoundError`` when the configuration has no entry for the workflow yet (enable it first)."""
        return await self._drive(
            _headless.update_user_settings_flow(
                self._project_id,
                integration,
                settings,
                workflow_id=workflow_id,
                credential_id=credential_id,
                configuration_id=configuration_id,
            )
        )

    async def create_configuration(
        self, credential_id: str, *, external_id: str | None = None
    ) -> CredentialConfiguration:
        """``POST /sdk/credentials/{credentialId}/configurations``: a new Multi-Configuration instance of a VALID
        credential, optionally addressable as ``ext:<external_id>``. Returns the new configuration."""
        return await self._send(_headless.create_configuration_call(self._project_id, credential_id, external_id))

    async def update_configuration(
        self, configuration_id: str, meta: Mapping[str, Any], *, credential_id: str
    ) -> CredentialConfiguration:
        """``PATCH /sdk/credentials/{credentialId}/configurations`` (the configuration named by
        ``X-Paragon-Configuration-Id``): set its ``meta``. Returns the configuration after the update."""
        return await self._send(
            _headless.update_configuration_call(self._project_id, configuration_id, meta, credential_id)
        )

    async def destroy_configuration(self, configuration_id: str, *, credential_id: str) -> None:
        """``DELETE /sdk/credentials/{credentialId}/configurations`` after reading the credential: the default
        configuration is refused before anything is deleted, as the JS SDK refuses it."""
        await self._drive(_headless.destroy_configuration_flow(self._project_id, configuration_id, credential_id))

    async def get_integration_account(
        self, integration: str, *, include_account_auth: bool = False, credential_id: str | None = None
    ) -> Integration:
        """``GET /sdk/credentials?integration=...``: the integration with the user's connection, and with
        ``include_account_auth=True`` its ``account_auth`` (the provider's access token, for file pickers). That
        token is a secret: its repr is redacted and no log line or error message carries it."""
        return await self._send(
            _headless.integration_account_call(self._project_id, integration, include_account_auth, credential_id)
        )

    async def get_field_options(
        self,
        integration: str,
        *,
        action: str | None = None,
        source: Mapping[str, Any] | None = None,
        search: str | None = None,
        cursor: str | int | None = None,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        credential_id: str | None = None,
    ) -> FieldOptions:
        """``POST /sdk/actions``: one page of a dynamic input's choices. Name the data source by ``action`` (its key)
        or ``source`` (a data source dict with a ``cacheKey``); ``parameters`` maps the inputs it depends on to their
        values (or is a list of the SDK's KeyedSource dicts). Pass ``next_page_cursor`` back as ``cursor``, or use
        ``iter_field_options``."""
        query = _headless.field_options_query(
            integration, action=action, source=source, search=search, parameters=parameters, credential_id=credential_id
        )
        return await self._send(_headless.field_options_call(self._project_id, query, _headless.check_cursor(cursor)))

    def iter_field_options(
        self,
        integration: str,
        *,
        action: str | None = None,
        source: Mapping[str, Any] | None = None,
        search: str | None = None,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        credential_id: str | None = None,
    ) -> AsyncIterator[FieldOptions]:
        """Every page of ``get_field_options``, fetched as the loop asks for it (``async for page in ...``). Input is
        checked now; a data source that repeats a cursor raises ``APIResponseValidationError`` instead of looping."""
        query = _headless.field_options_query(
            integration, action=action, source=source, search=search, parameters=parameters, credential_id=credential_id
        )
        return self._field_option_pages(query)

    async def _field_option_pages(self, query: _headless.FieldOptionsQuery) -> AsyncIterator[FieldOptions]:
        seen: set[str | int] = set()
        cursor: str | int | None = _headless.check_cursor(None)
        while cursor is not None:
            page = await self._send(_headless.field_options_call(self._project_id, query, cursor))
            yield page
            cursor = _headless.next_cursor(page, seen)

    async def get_triggers(self, integration: str, *, credential_id: str | None = None) -> TriggerList:
        """ActionKit ``GET /projects/{projectId}/triggers``: the trigger types ``integration`` offers this user. Without
        ``credential_id``, the user's current VALID credential is read from ``GET /sdk/me`` first."""
        return await self._drive(_headless.triggers_flow(self._project_id, integration, credential_id))

    async def list_trigger_subscriptions(
        self,
        *,
        integrations: Sequence[str] | None = None,
        status: TriggerSubscriptionStatusName | None = None,
        trigger_type: str | None = None,
        credential_id: str | None = None,
    ) -> TriggerSubscriptionList:
        """ActionKit ``GET /projects/{projectId}/trigger-subscriptions``: this user's trigger subscriptions, per
        integration; filtered by integrations, ``status`` (``"ACTIVE"`` or ``"ERRORED"``), trigger type, or one
        account (``credential_id``)."""
        return await self._send(
            _actionkit.list_trigger_subscriptions_call(
                self._project_id,
                integrations=integrations,
                status=status,
                trigger_type=trigger_type,
                credential_id=credential_id,
            )
        )

    async def subscribe_to_trigger(
        self,
        integration: str,
        trigger_type: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        webhook_override: Mapping[str, Any] | None = None,
        credential_id: str | None = None,
    ) -> TriggerSubscription:
        """ActionKit ``POST /projects/{projectId}/trigger-subscriptions``: subscribe this user's account to a trigger
        (a type from ``get_triggers``) with its ``parameters``; Paragon sends its events to the project's ActionKit
        webhook URL, or to ``webhook_override`` (``{"url": ..., "headers": {...}, "metadata": {...}}``). Returns the
        subscription once Paragon has set it up."""
        return await self._send(
            _actionkit.subscribe_to_trigger_call(
                self._project_id,
                integration,
                trigger_type,
                parameters,
                override=webhook_override,
                credential_id=credential_id,
            )
        )

    async def update_trigger_subscription(
        self,
        subscription_id: str,
        *,
        parameters: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        webhook_override: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
    ) -> TriggerSubscription:
        """ActionKit ``PATCH /projects/{projectId}/trigger-subscriptions/{id}``: ``parameters`` are merged into the
        subscription's (a key set to None is removed); ``webhook_override=None`` clears the override. What is not
        given is left as it is. Returns the subscription after the update."""
        return await self._send(
            _actionkit.update_trigger_subscription_call(
                self._project_id, subscription_id, parameters=parameters, override=webhook_override
            )
        )

    async def unsubscribe_from_trigger(self, subscription_id: str) -> UnsubscribeResult:
        """ActionKit ``DELETE /projects/{projectId}/trigger-subscriptions/{id}``: remove a subscription; Paragon answers
        once the provider's webhook is torn down. ``warning`` says what to clean up by hand when that failed."""
        return await self._send(_actionkit.unsubscribe_from_trigger_call(self._project_id, subscription_id))

    async def get_trigger_example_payload(
        self,
        integration: str,
        trigger_type: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        credential_id: str | None = None,
    ) -> list[Any]:
        """ActionKit ``POST /projects/{projectId}/triggers/examples``: example records the trigger would deliver for
        this user with these ``parameters`` (they follow the user's custom objects and fields)."""
        return await self._send(
            _actionkit.trigger_example_payload_call(
                self._project_id, integration, trigger_type, parameters, credential_id
            )
        )

    async def get_custom_webhook_user_manual_url(self, workflow_id: str, *, credential_id: str | None = None) -> str:
        """The URL your user's system calls to trigger a workflow with a custom webhook trigger, for this user (built,
        never requested): ``{hermes}/triggers/connect/{projectId}/{integrationId}/custom-triggers/{triggerId}?id=
        {credentialId}``. Reads ``/sdk/integrations`` (and ``/sdk/me`` without ``credential_id``)."""
        return await self._drive(
            _headless.custom_webhook_url_flow(
                self._project_id, self._sender.settings.urls.hermes, workflow_id, credential_id
            )
        )

    # -- Managed Sync: syncs of this user's data, their records, and the source's permissions (sync.useparagon.com) --

    async def enable_sync(
        self,
        integration: str,
        pipeline: str,
        *,
        configuration: Mapping[str, Any] | None = None,
        configuration_name: str | None = None,
        credential_id: str | None = None,
    ) -> Sync:
        """Managed Sync ``POST /api/syncs``: start syncing one kind of record (``pipeline``: ``"files"``,
        ``"contacts"``…) from this user's account of ``integration``, with its ``configuration`` (e.g. Google Drive's
        ``{"folderId": ...}``); ``configuration_name`` tells apart several syncs of one pipeline, ``credential_id``
        picks the account. Returns the sync (``INITIALIZING``); poll ``get_sync`` or wait for the webhook."""
        call = _managed_sync.enable_sync_call(
            integration,
            pipeline,
            configuration=configuration,
            configuration_name=configuration_name,
            credential_id=credential_id,
        )
        return await self._send_sync_api(call)

    async def list_syncs(self, *, credential_id: str | None = None) -> list[Sync]:
        """Managed Sync ``GET /api/syncs``: this user's syncs (only ``credential_id``'s, when given)."""
        return await self._send_sync_api(_managed_sync.list_syncs_call(credential_id))

    async def get_sync(self, sync_id: str) -> SyncState:
        """Managed Sync ``GET /api/syncs/{syncId}``: the sync's ``status`` (``IDLE`` with ``summary.last_synced_at``
        once the initial sync is done; ``ERRORED`` with a ``reason``), its account and its progress counts."""
        return await self._send_sync_api(_managed_sync.get_sync_call(sync_id))

    async def update_sync(self, sync_id: str, *, credential_id: str) -> SyncUpdate:
        """Managed Sync ``PATCH /api/syncs/{syncId}``: move the sync to another of this user's accounts of its
        integration; Paragon then resyncs in full to reconcile the records."""
        return await self._send_sync_api(_managed_sync.update_sync_call(sync_id, credential_id))

    async def disable_sync(self, sync_id: str) -> None:
        """Managed Sync ``POST /api/syncs/{syncId}/disable``: pause the sync (it keeps what it synced)."""
        await self._send_sync_api(_managed_sync.sync_state_call("disable", sync_id))

    async def reenable_sync(self, sync_id: str) -> None:
        """Managed Sync ``POST /api/syncs/{syncId}/reenable``: resume a disabled sync where it left off."""
        await self._send_sync_api(_managed_sync.sync_state_call("reenable", sync_id))

    async def delete_sync(self, sync_id: str) -> None:
        """Managed Sync ``DELETE /api/syncs/{syncId}``: stop the sync for good."""
        await self._send_sync_api(_managed_sync.sync_state_call("delete", sync_id))

    async def pull_synced_records(
        self, sync_id: str, *, cursor: str | None = None, page_size: int | None = None
    ) -> SyncedRecordPage:
        """Managed Sync ``GET /api/syncs/{syncId}/records``: one page of records after ``cursor`` (from the first
        without it). Keep ``paging.cursor`` to read on later; an empty ``data`` or ``paging.remaining_records == 0``
        means caught up. Each record's fields depend on the pipeline (a file's metadata, a contact…)."""
        call = _managed_sync.records_call(
            sync_id, _managed_sync.check_cursor(cursor), _managed_sync.check_page_size(page_size)
        )
        return await self._send_sync_api(call)

    def iter_synced_records(
        self, sync_id: str, *, cursor: str | None = None, page_size: int | None = None
    ) -> AsyncIterator[SyncedRecordPage]:
        """Every page of ``pull_synced_records`` from ``cursor`` until caught up (``async for page in ...``),
        fetched as the loop asks for them. It yields pages, not records, so that ``page.paging.cursor`` can be
        saved after each one: the place to read on from when a ``record_created`` webhook arrives. Input is checked
        now; a cursor Paragon gives twice raises ``APIResponseValidationError`` instead of looping."""
        first = _managed_sync.check_cursor(cursor)
        size = _managed_sync.check_page_size(page_size)
        _managed_sync.records_call(sync_id, first, size)
        _managed_sync.require_audience(self._token)
        return self._record_pages(sync_id, first, size)

    async def _record_pages(
        self, sync_id: str, cursor: str | Unset, page_size: int | Unset
    ) -> AsyncIterator[SyncedRecordPage]:
        seen: set[str] = set()
        following: str | Unset | None = cursor
        while following is not None:
            page = await self._send_sync_api(_managed_sync.records_call(sync_id, following, page_size))
            yield page
            following = _managed_sync.next_cursor(page, seen)

    async def get_synced_record(self, sync_id: str, record_id: str) -> SyncedRecord:
        """Managed Sync ``GET /api/syncs/{syncId}/records/{recordId}``: one record (``record_id`` is Paragon's id
        for it, as ``pull_synced_records`` gives it, not the provider's)."""
        return await self._send_sync_api(_managed_sync.get_record_call(sync_id, record_id))

    def download_synced_file(self, sync_id: str, record_id: str) -> AsyncStreamContext:
        """Managed Sync ``GET /api/syncs/{syncId}/records/{recordId}/content``: a synced file's bytes, read as they
        arrive: ``with user.download_synced_file(sync_id, record_id) as download:`` then ``for chunk in
        download.iter_bytes(): ...`` (``download.headers["content-type"]`` is the file's type). No
        ``max_response_bytes`` cap applies. Input is checked now; the request is sent when the block is entered."""
        call = _managed_sync.download_call(sync_id, record_id)
        _managed_sync.require_audience(self._token)
        return AsyncStreamContext(lambda: self._open_stream(call))

    async def check_access(self, sync_id: str, object_id: str, user: str, *, role: PermissionRole = "can_read") -> bool:
        """Managed Sync Permissions ``POST /api/permissions/{syncId}/check``: whether ``user`` (a person's email) has
        ``role`` on the synced object ``object_id`` (a record's ``id``), by the source system's own permissions."""
        return await self._send_sync_api(_managed_sync.check_access_call(sync_id, object_id, user, role))

    async def batch_check_access(self, sync_id: str, checks: Sequence[Mapping[str, str]]) -> list[BatchAccessCheckItem]:
        """Managed Sync Permissions ``POST /api/permissions/{syncId}/batch-check``: several checks in one request,
        each ``{"object": record_id, "user": email, "role": "can_read"}`` (``role`` defaults to ``"can_read"``);
        one answer per check, in order, each with ``allowed``."""
        return await self._send_sync_api(_managed_sync.batch_check_call(sync_id, checks))

    async def list_users_with_access(
        self, sync_id: str, object_id: str, *, role: PermissionRole = "can_read"
    ) -> list[str]:
        """Managed Sync Permissions ``POST /api/permissions/{syncId}/list-users``: the emails of the people with
        ``role`` on the synced object (at most 1,000, Paragon's default)."""
        return await self._send_sync_api(_managed_sync.list_users_call(sync_id, object_id, role))

    async def list_objects_with_access(
        self,
        sync_id: str,
        user: str,
        *,
        role: PermissionRole = "can_read",
        object_type: ObjectType = "file",
    ) -> list[str]:
        """Managed Sync Permissions ``POST /api/permissions/{syncId}/list-objects``: the ids of the synced files (or
        folders) ``user`` (an email) has ``role`` on (at most 1,000, Paragon's default): a filter for retrieval."""
        return await self._send_sync_api(_managed_sync.list_objects_call(sync_id, user, role, object_type))

    async def _send_sync_api(self, call: Call[T]) -> T:
        _managed_sync.require_audience(self._token)
        return await self._send(call)

    # -- Connecting integrations (the REST calls behind the JS SDK's installIntegration, completeInstall, connect) --

    async def install_integration(
        self,
        integration: str,
        *,
        credentials: Mapping[str, Any] | None = None,
        install_options: Mapping[str, Any] | None = None,
        allow_multiple: bool = False,
    ) -> Credential:
        """Connect an integration that takes values your backend can send (API keys, basic auth, client
        credentials): ``POST /sdk/credentials``. Returns the new credential; fires ``onIntegrationInstall``.

        Raises ``IntegrationAlreadyInstalledError`` if the user already connected it (unless ``allow_multiple``),
        and ``OAuthRequiredError`` for an integration that needs the provider's consent page (``start_connect``).
        """
        credential, event = await self._drive(
            _connect.install_integration_flow(
                self._project_id, integration, credentials, install_options, allow_multiple
            )
        )
        if event is not None:
            await self._emit(event)
        return credential

    async def complete_install(
        self,
        integration: str,
        authorization_code: str,
        *,
        redirect_url: str | None = None,
        integration_options: Mapping[str, Any] | None = None,
    ) -> Credential:
        """Finish an OAuth install that started at the provider's marketplace: exchange the authorization code your
        redirect URL received for a credential (``POST /sdk/credentials``); fires ``onIntegrationInstall``."""
        credential, event = await self._drive(
            _connect.complete_install_flow(
                self._project_id, integration, authorization_code, redirect_url, integration_options
            )
        )
        if event is not None:
            await self._emit(event)
        return credential

    async def start_connect(
        self,
        integration: str,
        *,
        redirect_url: str | None = None,
        install_options: Mapping[str, Any] | None = None,
    ) -> ConnectLink:
        """Start connecting an OAuth integration: returns a ``ConnectLink`` whose ``url`` (the provider's consent
        page) your app sends the user's browser to; then ``wait_for_connection(link)``. After consent the provider
        redirects to ``redirect_url`` (or Paragon's own page)."""
        return await self._drive(
            _connect.start_connect_flow(self._project_id, integration, redirect_url, install_options)
        )

    async def wait_for_connection(
        self,
        link: ConnectLink,
        *,
        timeout: float = DEFAULT_CONNECT_TIMEOUT,
        interval: float = DEFAULT_POLL_INTERVAL,
        cancel: asyncio.Event | None = None,
    ) -> Credential:
        """Poll until the user approved the link's consent page (as the JS SDK does: every second, three minutes by
        default); return the credential and fire ``onIntegrationInstall``. Raises ``ConnectNotCompletedError`` when
        ``timeout`` passes or ``cancel`` is set first."""
        link, timeout, interval = _connect.check_link(link, timeout, interval)
        deadline = time.monotonic() + timeout
        while True:
            credential_id = _connect.connected_credential_id(
                await self._send(_connect.oauth_session_call(self._project_id, link))
            )
            if credential_id is not None:
                break
            wait = min(interval, deadline - time.monotonic())
            if wait <= 0 or await apause(cancel, wait):
                raise ConnectNotCompletedError(
                    _connect.not_completed_message(link, timeout), integration=link.integration
                )
        credential = await self._send(_calls.get_credential_call(self._project_id, credential_id))
        await self._send(_connect.forget_oauth_session_call(self._project_id, link))
        event = _connect.link_event(link, credential)
        if event is not None:
            await self._emit(event)
        return credential

    async def watch(self, *, interval: float = DEFAULT_WATCH_INTERVAL) -> AsyncWatcher:
        """Fire ``onIntegrationInstall``, ``onIntegrationUninstall`` and ``onWorkflowChange`` for changes made
        elsewhere (the Connect Portal, the dashboard): a daemon thread polls this user's state every ``interval``
        seconds. The baseline is read before this returns. ``stop()`` it, or close the client."""
        checked = check_interval(interval)
        watcher = await AsyncWatcher.start(self._watch_poll, self._emit, checked)
        self._watchers.add(watcher)
        return watcher

    async def _watch_poll(self) -> Snapshot:
        integrations = await self._send(_calls.get_integrations_call(self._project_id))
        user = await self._send(_calls.get_user_call(self._project_id))
        return snapshot(integrations, user)
