"""The exact request each session call sends, compared with the seed's REST examples, and the typed results.

Every test runs against ``Paragon`` and ``AsyncParagon`` (the ``make_harness`` fixture) over ``httpx.MockTransport``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    AccountAuth,
    ActionList,
    APIResponseValidationError,
    AuthenticatedUser,
    Credential,
    CredentialConfiguration,
    CredentialStatus,
    Integration,
    IntegrationMetadata,
    IntegrationNotInstalledError,
    ParagonActionList,
    RawResponse,
    Sync,
    SyncedRecord,
    SyncedRecordPage,
    SyncState,
    SyncStatus,
    SyncUpdate,
    TriggerList,
    TriggerSubscription,
    TriggerSubscriptionList,
    UnauthenticatedUser,
    UnsubscribeResult,
)
from useparagon_api.models import LegacyCredentialConfig, ProviderData, UserMeta
from useparagon_api.types import Unset

from tests.support import (
    ACTIONKIT,
    API,
    PROJECT_ID,
    PROXY,
    SESSION_METHODS,
    SYNC,
    Handler,
    MakeHarness,
    SessionCall,
    json_response,
    unchecked,
)

P = f"/projects/{PROJECT_ID}"
AUDIENCE = f"useparagon.com/{PROJECT_ID}"
# Headers httpx adds on its own, and the two checked separately (the bearer token and the User-Agent).
_TRANSPORT_HEADERS = frozenset(
    {"host", "accept-encoding", "connection", "content-length", "authorization", "user-agent"}
)
GET_HEADERS = {"accept": "application/json"}
JSON_HEADERS = {"accept": "application/json", "content-type": "application/json"}

# -- The seed's example responses, as JSON (the seed prints them as JS object literals), with the allCredentials
# every entry has (the JS SDK 2.4.0 reads it on each; the older docs example predates it) ---------------------------

SEED_USER: dict[str, Any] = {
    "authenticated": True,
    "userId": "user-123",
    "integrations": {
        "salesforce": {
            "configuredWorkflows": {},
            "credentialId": "987654-56a7-89b1-cd23-456789abcdef",
            "credentialStatus": "VALID",
            "enabled": True,
            "providerData": {"instanceURL": "https://mycompany.my.salesforce.com"},
            "providerId": "1234567890",
            "allCredentials": [{"id": "987654-56a7-89b1-cd23-456789abcdef", "status": "VALID"}],
        },
        "shopify": {"configuredWorkflows": {}, "enabled": False, "allCredentials": []},
    },
}
SEED_METADATA: list[dict[str, Any]] = [
    {
        "type": "salesforce",
        "name": "Salesforce",
        "brandColor": "#057ACF",
        "icon": "https://cdn.useparagon.com/2.35.0/dashboard/public/integrations/salesforce.svg",
    },
    {
        "type": "hubspot",
        "name": "Hubspot",
        "brandColor": "#F67600",
        "icon": "https://cdn.useparagon.com/2.35.0/dashboard/public/integrations/hubspot.svg",
    },
    {
        "type": "slack",
        "name": "Slack",
        "brandColor": "#4A154B",
        "icon": "https://cdn.useparagon.com/2.35.0/dashboard/public/integrations/slack.svg",
    },
]
SLACK_ID = "2f08e65f-d924-42ab-9618-b6023d82ffbd"
SLACK_WORKFLOW_ID = "1b22193b-e355-458d-b6a3-5e5516edb588"
SEED_INTEGRATIONS: list[dict[str, Any]] = [
    {
        "id": SLACK_ID,
        "dateCreated": "2021-03-02T00:22:33.166Z",
        "dateUpdated": "2021-03-02T00:22:33.166Z",
        "projectId": "908f4c5e-6394-46a5-9355-3f729edbd160",
        "customIntegrationId": None,
        "type": "slack",
        "isActive": True,
        "configs": [
            {
                "id": "3ebcc179-a1a6-447f-8dc9-5017f40f08ef",
                "dateCreated": "2021-03-02T00:22:33.166Z",
                "dateUpdated": "2023-05-15T21:01:00.260Z",
                "integrationId": SLACK_ID,
                "values": {
                    "overview": "####Our Slack integration enables you to:\n \n\n• Receive alerts",
                    "sharedMeta": {},
                    "accentColor": "#4A154B",
                    "description": "Send notifications to Slack",
                    "workflowMeta": {},
                },
            }
        ],
        "workflows": [
            {
                "id": SLACK_WORKFLOW_ID,
                "dateCreated": "2021-06-02T23:17:05.714Z",
                "dateUpdated": "2021-07-13T20:55:41.895Z",
                "description": "Send Updates to Slack",
                "projectId": "908f4c5e-6394-46a5-9355-3f729edbd160",
                "teamId": "2116f794-07c7-4dfe-a302-e816a2f7ed72",
                "isOnboardingWorkflow": False,
                "integrationId": SLACK_ID,
                "steps": [],
            }
        ],
        "customIntegration": None,
        "hasCredential": True,
        "connectedUserLimitOnDevCred": 0,
        "connectedUserLimitReached": True,
        "name": "Slack",
        "brandColor": "#4A154B",
        "needPreOauthInputs": False,
        "providerType": "slack",
        "authenticationType": "oauth",
    }
]
CREDENTIAL_ID = "00da4146-7ac4-4253-a8f7-96849b8137d9"
SEED_CREDENTIALS: list[dict[str, Any]] = [
    {
        "id": CREDENTIAL_ID,
        "dateCreated": "2021-03-24T12:19:21.511Z",
        "dateUpdated": "2021-03-24T12:19:28.512Z",
        "dateDeleted": None,
        "projectId": "db06d291-ba2c-41c5-9a12-9362abfd6228",
        "integrationId": "95bedc9f-6a22-4855-b08d-e68dc073ad91",
        "personaId": "0563109f-5e71-46c5-8483-1ac8c0913d6c",
        "config": {
            "configuredWorkflows": {
                "3eb95154-3c7b-413c-bf14-ba367d95b53f": {
                    "enabled": True,
                    "settings": {"example-input-id": "example value"},
                }
            }
        },
        "isPreviewCredential": False,
        "providerId": "50150244515",
    }
]
SEED_EVENT_PAYLOAD = {"name": "Brandon", "email": "brandon@example.com"}
SEED_WORKFLOW_BODY = {"email": "bowie@example.com", "first_name": "Bowie", "last_name": "Foo"}
SEED_SLACK_MESSAGE = {
    "channel": "CXXXXXXX0",
    "text": "This message was sent with Paragon Connect :exploding_head:",
}
SEED_METADATA_UPDATE = {"Email": "sean@example.com", "apiKey": "key_Y0kBVldPFInxK"}
WORKFLOW_ID = "f2b0d5c4-0b6e-4b5a-9a55-7f7c3ad1c0de"
ACCOUNT: dict[str, Any] = {
    "id": "1c2b3a4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "type": "googledrive", "isActive": True, "configs": [],
    "workflows": [], "hasCredential": True, "accountAuth": {"OAUTH_ACCESS_TOKEN": "ya29.token"},
}  # fmt: skip
WITH_CONFIGURATIONS: dict[str, Any] = {
    "id": CREDENTIAL_ID, "status": "VALID",
    "configurations": [
        {"id": "conf-default", "isDefault": True, "dateCreated": "2024-01-01T00:00:00.000Z"},
        {"id": "conf-ws", "isDefault": False, "externalId": "ws-42", "dateCreated": "2024-01-03T00:00:00.000Z"},
        {"id": "conf-new", "isDefault": False, "dateCreated": "2024-01-05T00:00:00.000Z"},
    ],
}  # fmt: skip
TRIGGERS: dict[str, Any] = {
    "triggers": {"salesforce": [{"type": "SALESFORCE_RECORD_CREATED", "triggerModel": "POLLING", "title": "Created",
                                 "description": "A record was created", "parameters": []}]},
    "errors": [],
}  # fmt: skip
SYNC_ID = "a11347bd-d510-5489-9068-e5fded55a28c"
SYNC_BODY = {"id": SYNC_ID, "userId": "user-123", "integration": "googledrive", "pipeline": "files",
             "projectId": PROJECT_ID, "status": "INITIALIZING"}  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\xff\x00"


def compact(value: Any) -> bytes:
    """The exact bytes the client sends for a JSON body: compact separators, UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def semantic_headers(request: httpx.Request) -> dict[str, str]:
    """The request's headers minus those httpx adds itself and the two checked on their own."""
    return {name: value for name, value in request.headers.items() if name not in _TRANSPORT_HEADERS}


def bearer(request: httpx.Request) -> str:
    scheme, _, token = request.headers["authorization"].partition(" ")
    assert scheme == "Bearer"
    return token


def claims(request: httpx.Request, key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """The request's bearer token, verified with the public half of ``key`` (RS256, Paragon's audience)."""
    decoded: dict[str, Any] = jwt.decode(bearer(request), key.public_key(), algorithms=["RS256"], audience=AUDIENCE)
    return decoded


def assert_request(
    request: httpx.Request,
    key: rsa.RSAPrivateKey,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
) -> None:
    """One request is exactly this: method, full URL, headers, body bytes, and a token for user-123."""
    assert request.method == method
    assert str(request.url) == url
    assert semantic_headers(request) == dict(headers)
    assert request.headers["user-agent"].startswith("useparagon-python/")
    assert request.content == body
    token_claims = claims(request, key)
    assert token_claims["sub"] == "user-123"
    assert token_claims["aud"] == AUDIENCE


def routes(table: Mapping[tuple[str, str], Callable[[], httpx.Response]]) -> Handler:
    """A handler answering ``(method, path under /projects/{id})``; anything else fails the test loudly."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(P)
        answer = table.get((request.method, path))
        if answer is None:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        return answer()

    return handler


def always(status: int, body: Any = None, *, content: bytes | None = None, **headers: str) -> Handler:
    """A handler giving every request the same response (JSON ``body``, or raw ``content``)."""

    def handler(_request: httpx.Request) -> httpx.Response:
        if content is not None:
            return httpx.Response(status, content=content, headers=headers)
        if body is None:
            return httpx.Response(status, headers=headers)
        return json_response(status, body, **headers)

    return handler


# -- One call, one request -------------------------------------------------------------------------------------------


SUBSCRIPTION = {
    "id": "sub-1",
    "type": "SALESFORCE_RECORD_CREATED",
    "parameters": {"recordType": "Opp"},
    "status": "ACTIVE",
    "dateCreated": "2025-05-31T00:00:00Z",
    "dateLastReceivedEvent": None,
    "credentialId": "cred-2",
}


class Sent(NamedTuple):
    call: SessionCall
    reply: Handler
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    result: Callable[[Any], bool]


def _is_none(value: Any) -> bool:
    return value is None


SENT: dict[str, Sent] = {
    "get_user": Sent(
        lambda s: s.get_user(), always(200, SEED_USER), "GET", f"{API}{P}/sdk/me", GET_HEADERS, b"",
        lambda r: isinstance(r, AuthenticatedUser),
    ),
    "set_user_metadata (seed)": Sent(
        lambda s: s.set_user_metadata(SEED_METADATA_UPDATE), always(200, SEED_USER), "PATCH", f"{API}{P}/sdk/me",
        JSON_HEADERS, compact({"meta": SEED_METADATA_UPDATE}), lambda r: isinstance(r, AuthenticatedUser),
    ),
    "get_integration_metadata": Sent(
        lambda s: s.get_integration_metadata(), always(200, SEED_METADATA), "GET", f"{API}{P}/sdk/metadata",
        GET_HEADERS, b"", lambda r: [m.type_ for m in r] == ["salesforce", "hubspot", "slack"],
    ),
    "get_integrations": Sent(
        lambda s: s.get_integrations(), always(200, SEED_INTEGRATIONS), "GET", f"{API}{P}/sdk/integrations",
        GET_HEADERS, b"", lambda r: [i.id for i in r] == [SLACK_ID],
    ),
    "get_credentials": Sent(
        lambda s: s.get_credentials(), always(200, SEED_CREDENTIALS), "GET", f"{API}{P}/sdk/credentials",
        GET_HEADERS, b"", lambda r: [c.id for c in r] == [CREDENTIAL_ID],
    ),
    "get_credential": Sent(
        lambda s: s.get_credential(CREDENTIAL_ID), always(200, SEED_CREDENTIALS[0]), "GET",
        f"{API}{P}/sdk/credentials/{CREDENTIAL_ID}", GET_HEADERS, b"",
        lambda r: isinstance(r, Credential) and r.id == CREDENTIAL_ID,
    ),
    "event (seed)": Sent(
        lambda s: s.event("Contact Created", SEED_EVENT_PAYLOAD), always(200, {}), "POST",
        f"{API}{P}/sdk/events/trigger", JSON_HEADERS,
        b'{"name":"Contact Created","payload":{"name":"Brandon","email":"brandon@example.com"}}', _is_none,
    ),
    "event targeting a credential and configuration": Sent(
        lambda s: s.event(
            "Deal Won", {"amount": 1200.5, "tags": ["a", "é"]}, credential_id="cred-1", configuration_id="conf-1"
        ),
        always(201), "POST",
        f"{API}{P}/sdk/events/trigger",
        {**JSON_HEADERS, "x-paragon-credential": "cred-1", "x-paragon-configuration-id": "conf-1"},
        compact({"name": "Deal Won", "payload": {"amount": 1200.5, "tags": ["a", "é"]}}), _is_none,
    ),
    "workflow (seed)": Sent(
        lambda s: s.workflow(WORKFLOW_ID, body=SEED_WORKFLOW_BODY), always(200, {"leadId": 7}), "POST",
        f"{API}{P}/sdk/triggers/{WORKFLOW_ID}", JSON_HEADERS, compact(SEED_WORKFLOW_BODY),
        lambda r: r == {"leadId": 7},
    ),
    "workflow without a body sends {}": Sent(
        lambda s: s.workflow(WORKFLOW_ID), always(202), "POST", f"{API}{P}/sdk/triggers/{WORKFLOW_ID}",
        JSON_HEADERS, b"{}", _is_none,
    ),
    "workflow with query, headers and targeting": Sent(
        lambda s: s.workflow(
            WORKFLOW_ID, body={"n": 1}, query={"source": "crm", "dry": True, "page": 2}, headers={"X-Trace": "t-1"},
            credential_id="cred-1", configuration_id="conf-1",
        ),
        always(200, ["ok"]), "POST", f"{API}{P}/sdk/triggers/{WORKFLOW_ID}?source=crm&dry=true&page=2",
        {**JSON_HEADERS, "x-trace": "t-1", "x-paragon-credential": "cred-1", "x-paragon-configuration-id": "conf-1"},
        b'{"n":1}', lambda r: r == ["ok"],
    ),
    "request POST (seed)": Sent(
        lambda s: s.request("slack", "chat.postMessage", method="POST", body=SEED_SLACK_MESSAGE),
        always(200, {"output": {"ok": True}}), "POST", f"{PROXY}{P}/sdk/proxy/slack/chat.postMessage",
        JSON_HEADERS, compact(SEED_SLACK_MESSAGE), lambda r: r == {"ok": True},
    ),
    "request with a leading slash (the JS SDK's form)": Sent(
        lambda s: s.request("slack", "/chat.postMessage", method="POST", body=SEED_SLACK_MESSAGE),
        always(200, {"output": {"ok": True}}), "POST", f"{PROXY}{P}/sdk/proxy/slack/chat.postMessage",
        JSON_HEADERS, compact(SEED_SLACK_MESSAGE), lambda r: r == {"ok": True},
    ),
    "request GET with params, headers and a credential": Sent(
        lambda s: s.request(
            "salesforce", "services/data/v59.0/query", params={"q": "SELECT Id FROM Contact", "limit": 5},
            headers={"X-Api-Version": "2"}, credential_id="cred-9",
        ),
        always(200, {"output": {"records": []}}), "GET",
        f"{PROXY}{P}/sdk/proxy/salesforce/services/data/v59.0/query?q=SELECT+Id+FROM+Contact&limit=5",
        {**GET_HEADERS, "x-api-version": "2", "x-paragon-credential": "cred-9"}, b"",
        lambda r: r == {"records": []},
    ),
    "request PUT": Sent(
        lambda s: s.request("hubspot", "crm/v3/objects/contacts/42", method="PUT", body={"properties": {"a": 1}}),
        always(200, {"output": {"id": "42"}}), "PUT", f"{PROXY}{P}/sdk/proxy/hubspot/crm/v3/objects/contacts/42",
        JSON_HEADERS, b'{"properties":{"a":1}}', lambda r: r == {"id": "42"},
    ),
    "request PATCH with a list body": Sent(
        lambda s: s.request("hubspot", "batch", method=unchecked("patch"), body=[1, "two", None]),
        always(200, {"output": None}), "PATCH", f"{PROXY}{P}/sdk/proxy/hubspot/batch", JSON_HEADERS,
        b'[1,"two",null]', _is_none,
    ),
    "request DELETE": Sent(
        lambda s: s.request("hubspot", "crm/v3/objects/contacts/42", method="DELETE"), always(204), "DELETE",
        f"{PROXY}{P}/sdk/proxy/hubspot/crm/v3/objects/contacts/42", GET_HEADERS, b"", _is_none,
    ),
    "request POST with a binary body": Sent(
        lambda s: s.request("googledrive", "upload/drive/v3/files", method="POST", body=PNG),
        always(200, {"output": {"id": "f1"}}), "POST", f"{PROXY}{P}/sdk/proxy/googledrive/upload/drive/v3/files",
        {"accept": "application/json", "content-type": "application/octet-stream"}, PNG,
        lambda r: r == {"id": "f1"},
    ),
    "request POST with a binary body and its own content type": Sent(
        lambda s: s.request("googledrive", "upload", method="POST", body=PNG, headers={"Content-Type": "image/png"}),
        always(200, {"output": {"id": "f2"}}), "POST", f"{PROXY}{P}/sdk/proxy/googledrive/upload",
        {"accept": "application/json", "content-type": "image/png"}, PNG, lambda r: r == {"id": "f2"},
    ),
    "request raw": Sent(
        lambda s: s.request("googledrive", "files/f1", params={"alt": "media"}, raw=True),
        always(200, content=PNG, **{"content-type": "image/png"}), "GET",
        f"{PROXY}{P}/sdk/proxy/googledrive/files/f1?alt=media",
        {**GET_HEADERS, "x-paragon-use-raw-response": "1"}, b"",
        lambda r: isinstance(r, RawResponse) and r.content == PNG,
    ),
    "enable_workflow": Sent(
        lambda s: s.enable_workflow(WORKFLOW_ID), always(200, {}), "POST", f"{API}{P}/sdk/workflows/{WORKFLOW_ID}",
        GET_HEADERS, b"", _is_none,
    ),
    "disable_workflow": Sent(
        lambda s: s.disable_workflow(WORKFLOW_ID), always(200, {}), "DELETE", f"{API}{P}/sdk/workflows/{WORKFLOW_ID}",
        GET_HEADERS, b"", _is_none,
    ),
    "disable_workflow targeting a credential and configuration": Sent(
        lambda s: s.disable_workflow(WORKFLOW_ID, credential_id="cred-1", configuration_id="conf-1"),
        always(204), "DELETE", f"{API}{P}/sdk/workflows/{WORKFLOW_ID}",
        {**GET_HEADERS, "x-paragon-credential": "cred-1", "x-paragon-configuration-id": "conf-1"}, b"", _is_none,
    ),
    "list_actions": Sent(
        lambda s: s.list_actions(), always(200, {"actions": {}, "errors": []}), "GET",
        f"{ACTIONKIT}{P}/actions?format=json_schema&limit_to_available=true&reload_fields=false", GET_HEADERS,
        b"", lambda r: isinstance(r, ActionList),
    ),
    "list_actions filtered": Sent(
        lambda s: s.list_actions(integrations=["slack", "hubspot"], categories=["crm"], limit_to_available=False),
        always(200, {"actions": {"slack": []}}), "GET",
        f"{ACTIONKIT}{P}/actions?format=json_schema&limit_to_available=false&reload_fields=false"
        "&integrations=slack%2Chubspot&categories=crm",
        GET_HEADERS, b"", lambda r: isinstance(r, ActionList),
    ),
    "list_actions in Paragon's format, fields reloaded": Sent(
        lambda s: s.list_actions(format="paragon", reload_fields=True),
        always(200, {"actions": {"slack": [{"name": "SLACK_SEND_MESSAGE", "inputs": [{"id": "channel"}]}]}}), "GET",
        f"{ACTIONKIT}{P}/actions?format=paragon&limit_to_available=true&reload_fields=true", GET_HEADERS, b"",
        lambda r: isinstance(r, ParagonActionList) and r.actions["slack"][0].name == "SLACK_SEND_MESSAGE",
    ),
    "list_actions in Paragon's format, an empty listing": Sent(
        lambda s: s.list_actions(format="paragon"), always(200, {"actions": {}, "errors": []}), "GET",
        f"{ACTIONKIT}{P}/actions?format=paragon&limit_to_available=true&reload_fields=false", GET_HEADERS, b"",
        lambda r: isinstance(r, ParagonActionList),
    ),
    "agent_tools": Sent(
        lambda s: s.agent_tools(integrations=["slack"], credential_id="cred-2"),
        always(200, {"actions": {"slack": [{"type": "function", "function": {"name": "SLACK_SEND_MESSAGE"}}]}}), "GET",
        f"{ACTIONKIT}{P}/actions?format=json_schema&limit_to_available=true&reload_fields=false&integrations=slack",
        GET_HEADERS, b"", lambda r: [tool.name for tool in r] == ["SLACK_SEND_MESSAGE"],
    ),
    "list_trigger_subscriptions": Sent(
        lambda s: s.list_trigger_subscriptions(), always(200, {"triggers": {"salesforce": [SUBSCRIPTION]}}), "GET",
        f"{ACTIONKIT}{P}/trigger-subscriptions", GET_HEADERS, b"",
        lambda r: isinstance(r, TriggerSubscriptionList) and r.triggers["salesforce"][0].id == "sub-1",
    ),
    "list_trigger_subscriptions filtered": Sent(
        lambda s: s.list_trigger_subscriptions(
            integrations=["salesforce", "hubspot"], status="ERRORED", trigger_type="SALESFORCE_RECORD_CREATED",
            credential_id="cred-2",
        ),
        always(200, {"triggers": {}}), "GET",
        f"{ACTIONKIT}{P}/trigger-subscriptions?integrations=salesforce%2Chubspot&status=ERRORED"
        "&type=SALESFORCE_RECORD_CREATED",
        {**GET_HEADERS, "x-paragon-credential": "cred-2"}, b"", lambda r: isinstance(r, TriggerSubscriptionList),
    ),
    "subscribe_to_trigger": Sent(
        lambda s: s.subscribe_to_trigger(
            "salesforce", "SALESFORCE_RECORD_CREATED", {"recordType": "Opportunity"},
            webhook_override={"url": "https://example.com/hook", "headers": {"Authorization": "Bearer h"}},
            credential_id="cred-2",
        ),
        always(200, SUBSCRIPTION), "POST", f"{ACTIONKIT}{P}/trigger-subscriptions",
        {**JSON_HEADERS, "x-paragon-credential": "cred-2"},
        b'{"integration":"salesforce","type":"SALESFORCE_RECORD_CREATED","parameters":{"recordType":"Opportunity"},'
        b'"webhookOverride":{"url":"https://example.com/hook","headers":{"Authorization":"Bearer h"}}}',
        lambda r: isinstance(r, TriggerSubscription) and r.status == "ACTIVE" and r.parameters["recordType"] == "Opp",
    ),
    "subscribe_to_trigger answered 201, without parameters": Sent(
        lambda s: s.subscribe_to_trigger("slack", "SLACK_MESSAGE_RECEIVED"), always(201, SUBSCRIPTION), "POST",
        f"{ACTIONKIT}{P}/trigger-subscriptions", JSON_HEADERS,
        b'{"integration":"slack","type":"SLACK_MESSAGE_RECEIVED","parameters":{}}',
        lambda r: isinstance(r, TriggerSubscription) and r.id == "sub-1",
    ),
    "update_trigger_subscription": Sent(
        lambda s: s.update_trigger_subscription("sub-1", parameters={"recordType": None, "n": [1]},
                                                webhook_override=None),
        always(200, SUBSCRIPTION), "PATCH", f"{ACTIONKIT}{P}/trigger-subscriptions/sub-1", JSON_HEADERS,
        b'{"parameters":{"recordType":null,"n":[1]},"webhookOverride":null}',
        lambda r: isinstance(r, TriggerSubscription),
    ),
    "update_trigger_subscription with the override only": Sent(
        lambda s: s.update_trigger_subscription("sub-1", webhook_override={"url": "http://localhost:9000/h"}),
        always(200, SUBSCRIPTION), "PATCH", f"{ACTIONKIT}{P}/trigger-subscriptions/sub-1", JSON_HEADERS,
        b'{"webhookOverride":{"url":"http://localhost:9000/h"}}', lambda r: isinstance(r, TriggerSubscription),
    ),
    "update_trigger_subscription with nothing": Sent(
        lambda s: s.update_trigger_subscription("sub-1"), always(200, SUBSCRIPTION), "PATCH",
        f"{ACTIONKIT}{P}/trigger-subscriptions/sub-1", JSON_HEADERS, b"{}",
        lambda r: isinstance(r, TriggerSubscription),
    ),
    "unsubscribe_from_trigger": Sent(
        lambda s: s.unsubscribe_from_trigger("sub-1"), always(200, {"success": True, "warning": "tear down failed"}),
        "DELETE", f"{ACTIONKIT}{P}/trigger-subscriptions/sub-1", GET_HEADERS, b"",
        lambda r: isinstance(r, UnsubscribeResult) and r.success is True and r.warning == "tear down failed",
    ),
    "get_trigger_example_payload": Sent(
        lambda s: s.get_trigger_example_payload("salesforce", "SALESFORCE_RECORD_CREATED", {"recordType": "Lead"}),
        always(200, [{"Id": "00Q"}]), "POST", f"{ACTIONKIT}{P}/triggers/examples", JSON_HEADERS,
        b'{"type":"SALESFORCE_RECORD_CREATED","integration":"salesforce","parameters":{"recordType":"Lead"}}',
        lambda r: r == [{"Id": "00Q"}],
    ),
    "run_action": Sent(
        lambda s: s.run_action("SLACK_SEND_MESSAGE", {"channel": "C1", "message": "hi"}, credential_id="cred-2"),
        always(200, {"ok": True, "ts": "1.2"}), "POST", f"{ACTIONKIT}{P}/actions",
        {**JSON_HEADERS, "x-paragon-credential": "cred-2"},
        b'{"action":"SLACK_SEND_MESSAGE","parameters":{"channel":"C1","message":"hi"}}',
        lambda r: r == {"ok": True, "ts": "1.2"},
    ),
    "run_action without parameters": Sent(
        lambda s: s.run_action("HUBSPOT_GET_CONTACTS"), always(200, []), "POST", f"{ACTIONKIT}{P}/actions",
        JSON_HEADERS, b'{"action":"HUBSPOT_GET_CONTACTS","parameters":{}}', lambda r: r == [],
    ),
    "request to a full provider URL (X-Paragon-Proxy-Url), params merged into it": Sent(
        lambda s: s.request(
            "googledrive", url="https://www.googleapis.com/drive/v3/about?fields=user", params={"alt": "json"},
            credential_id="cred-3",
        ),
        always(200, {"output": {"user": {}}}), "GET", f"{PROXY}{P}/sdk/proxy/googledrive",
        {**GET_HEADERS, "x-paragon-proxy-url": "https://www.googleapis.com/drive/v3/about?fields=user&alt=json",
         "x-paragon-credential": "cred-3"}, b"", lambda r: r == {"user": {}},
    ),
    "request POST to a full provider URL, raw": Sent(
        lambda s: s.request(
            "slack", url="https://files.slack.com/upload/v1/x", method="POST", body={"a": 1}, raw=True
        ),
        always(200, content=b"ok"), "POST", f"{PROXY}{P}/sdk/proxy/slack",
        {**JSON_HEADERS, "x-paragon-proxy-url": "https://files.slack.com/upload/v1/x",
         "x-paragon-use-raw-response": "1"}, b'{"a":1}', lambda r: isinstance(r, RawResponse) and r.content == b"ok",
    ),
    "request answered without an output envelope (the JS SDK returns it as is)": Sent(
        lambda s: s.request("slack", "auth.test"), always(200, {"ok": True}), "GET",
        f"{PROXY}{P}/sdk/proxy/slack/auth.test", GET_HEADERS, b"", lambda r: r == {"ok": True},
    ),
    "get_integration_account": Sent(
        lambda s: s.get_integration_account("googledrive"), always(200, ACCOUNT), "GET",
        f"{API}{P}/sdk/credentials?integration=googledrive&includeAccountAuth=false", GET_HEADERS, b"",
        lambda r: isinstance(r, Integration) and r.type_ == "googledrive",
    ),
    "get_integration_account with the token and a credential": Sent(
        lambda s: s.get_integration_account("googledrive", include_account_auth=True, credential_id="cred-4"),
        always(200, ACCOUNT), "GET",
        f"{API}{P}/sdk/credentials?integration=googledrive&includeAccountAuth=true",
        {**GET_HEADERS, "x-paragon-credential": "cred-4"}, b"",
        lambda r: isinstance(r.account_auth, AccountAuth) and r.account_auth["OAUTH_ACCESS_TOKEN"] == "ya29.token",
    ),
    "create_configuration": Sent(
        lambda s: s.create_configuration(CREDENTIAL_ID), always(201, WITH_CONFIGURATIONS), "POST",
        f"{API}{P}/sdk/credentials/{CREDENTIAL_ID}/configurations", JSON_HEADERS, b"{}",
        lambda r: isinstance(r, CredentialConfiguration) and r.id == "conf-new",
    ),
    "create_configuration with an external id": Sent(
        lambda s: s.create_configuration(CREDENTIAL_ID, external_id="ws-42"), always(201, WITH_CONFIGURATIONS),
        "POST", f"{API}{P}/sdk/credentials/{CREDENTIAL_ID}/configurations", JSON_HEADERS, b'{"externalId":"ws-42"}',
        lambda r: r.id == "conf-ws",
    ),
    "update_configuration": Sent(
        lambda s: s.update_configuration("conf-ws", {"region": "eu"}, credential_id=CREDENTIAL_ID),
        always(200, WITH_CONFIGURATIONS), "PATCH", f"{API}{P}/sdk/credentials/{CREDENTIAL_ID}/configurations",
        {**JSON_HEADERS, "x-paragon-credential": CREDENTIAL_ID, "x-paragon-configuration-id": "conf-ws"},
        b'{"meta":{"region":"eu"}}', lambda r: r.id == "conf-ws",
    ),
    "update_configuration by external id": Sent(
        lambda s: s.update_configuration("ext:ws-42", {}, credential_id=CREDENTIAL_ID),
        always(200, WITH_CONFIGURATIONS), "PATCH", f"{API}{P}/sdk/credentials/{CREDENTIAL_ID}/configurations",
        {**JSON_HEADERS, "x-paragon-credential": CREDENTIAL_ID, "x-paragon-configuration-id": "ext:ws-42"},
        b'{"meta":{}}', lambda r: r.id == "conf-ws",
    ),
    "get_field_options (the JS SDK's body: first page 0, no search)": Sent(
        lambda s: s.get_field_options("salesforce", action="objects"),
        always(200, {"output": [{"label": "Contact", "value": "Contact"}]}), "POST", f"{API}{P}/sdk/actions",
        JSON_HEADERS,
        b'{"action":"salesforce","sourceKey":"objects","parameters":[],"paginationParameters":{"pageCursor":0}}',
        lambda r: r.data == [{"label": "Contact", "value": "Contact"}] and r.nested_data == []
        and r.next_page_cursor is None,
    ),
    "get_field_options from a source, with parameters, search, cursor and a credential": Sent(
        lambda s: s.get_field_options(
            "slack", source={"cacheKey": "channels", "title": "Channel"}, search="gen", cursor="2",
            parameters={"workspace": "T1"}, credential_id="cred-5",
        ),
        always(200, {"output": {"records": [{"id": "nested", "title": "x"}], "nextPageCursor": "4"}}), "POST",
        f"{API}{P}/sdk/actions", {**JSON_HEADERS, "x-paragon-credential": "cred-5"},
        compact({"action": "slack", "sourceKey": "channels",
                 "parameters": [{"key": "workspace", "source": {"type": "VALUE", "value": "T1"}}],
                 "paginationParameters": {"pageCursor": "2", "search": "gen"}}),
        lambda r: r.data == [] and r.nested_data == [{"id": "nested", "title": "x"}] and r.next_page_cursor == "4",
    ),
    "get_triggers with a credential": Sent(
        lambda s: s.get_triggers("salesforce", credential_id="cred-6"), always(200, TRIGGERS), "GET",
        f"{ACTIONKIT}{P}/triggers?integrations=salesforce", {**GET_HEADERS, "x-paragon-credential": "cred-6"}, b"",
        lambda r: isinstance(r, TriggerList) and r.triggers["salesforce"][0].type_ == "SALESFORCE_RECORD_CREATED",
    ),
    # -- Managed Sync (its own host; the user token, with aud) --
    "enable_sync with a configuration, a name and an account": Sent(
        lambda s: s.enable_sync(
            "googledrive", "files", configuration={"folderId": "F1"}, configuration_name="team", credential_id="cred-1"
        ),
        always(200, SYNC_BODY), "POST", f"{SYNC}/api/syncs", JSON_HEADERS,
        compact({"integration": "googledrive", "pipeline": "files", "configuration": {"folderId": "F1"},
                 "configurationName": "team", "credentialId": "cred-1"}),
        lambda r: isinstance(r, Sync) and r.id == SYNC_ID and r.status is SyncStatus.INITIALIZING,
    ),
    "enable_sync": Sent(
        lambda s: s.enable_sync("salesforce", "contacts"), always(200, SYNC_BODY), "POST", f"{SYNC}/api/syncs",
        JSON_HEADERS, compact({"integration": "salesforce", "pipeline": "contacts"}), lambda r: r.id == SYNC_ID,
    ),
    "list_syncs of one account": Sent(
        lambda s: s.list_syncs(credential_id="cred-1"), always(200, {"data": [SYNC_BODY]}), "GET",
        f"{SYNC}/api/syncs?credentialId=cred-1", GET_HEADERS, b"", lambda r: [sync.id for sync in r] == [SYNC_ID],
    ),
    "get_sync": Sent(
        lambda s: s.get_sync(SYNC_ID),
        always(200, {"status": "ERRORED", "reason": "Credential is no longer valid.", "summary": {"totalRecords": 3}}),
        "GET", f"{SYNC}/api/syncs/{SYNC_ID}", GET_HEADERS, b"",
        lambda r: isinstance(r, SyncState) and r.status == "ERRORED" and r.to_dict()["summary"] == {"totalRecords": 3},
    ),
    "update_sync": Sent(
        lambda s: s.update_sync(SYNC_ID, credential_id="cred-2"),
        always(200, {"id": SYNC_ID, "data": {"credentialId": "cred-2"}, "message": "accepted"}), "PATCH",
        f"{SYNC}/api/syncs/{SYNC_ID}", JSON_HEADERS, compact({"credentialId": "cred-2"}),
        lambda r: isinstance(r, SyncUpdate) and r.id == SYNC_ID,
    ),
    "disable_sync": Sent(
        lambda s: s.disable_sync(SYNC_ID), always(200), "POST", f"{SYNC}/api/syncs/{SYNC_ID}/disable", GET_HEADERS,
        b"", _is_none,
    ),
    "reenable_sync": Sent(
        lambda s: s.reenable_sync(SYNC_ID), always(200, {}), "POST", f"{SYNC}/api/syncs/{SYNC_ID}/reenable",
        GET_HEADERS, b"", _is_none,
    ),
    "delete_sync": Sent(
        lambda s: s.delete_sync(SYNC_ID), always(204), "DELETE", f"{SYNC}/api/syncs/{SYNC_ID}", GET_HEADERS, b"",
        _is_none,
    ),
    "pull_synced_records after a cursor": Sent(
        lambda s: s.pull_synced_records(SYNC_ID, cursor="Y3Vyc29yOjEyMQ==", page_size=50),
        always(200, {"data": [{"id": "rec-1", "name": "a.pdf"}], "paging": {"remainingRecords": 0, "cursor": "c2"}}),
        "GET", f"{SYNC}/api/syncs/{SYNC_ID}/records?pageSize=50&cursor=Y3Vyc29yOjEyMQ%3D%3D", GET_HEADERS, b"",
        lambda r: isinstance(r, SyncedRecordPage) and r.data[0]["name"] == "a.pdf" and r.paging.cursor == "c2",
    ),
    "get_synced_record": Sent(
        lambda s: s.get_synced_record(SYNC_ID, "rec-1"), always(200, {"data": {"id": "rec-1", "name": "a.pdf"}}),
        "GET", f"{SYNC}/api/syncs/{SYNC_ID}/records/rec-1", GET_HEADERS, b"",
        lambda r: isinstance(r, SyncedRecord) and r.id == "rec-1" and r["name"] == "a.pdf",
    ),
    "check_access": Sent(
        lambda s: s.check_access(SYNC_ID, "rec-1", "alice@example.com", role="can_write"),
        always(200, {"hasAccess": True}), "POST", f"{SYNC}/api/permissions/{SYNC_ID}/check", JSON_HEADERS,
        compact({"object": "rec-1", "user": "alice@example.com", "role": "can_write"}), lambda r: r is True,
    ),
    "batch_check_access": Sent(
        lambda s: s.batch_check_access(SYNC_ID, [{"object": "rec-1", "user": "user:a@x.co"},
                                                 {"object": "rec-2", "user": "b@x.co", "role": "is_owner"}]),
        always(200, {"result": [{"allowed": True}, {"allowed": False, "error": "no such object"}]}), "POST",
        f"{SYNC}/api/permissions/{SYNC_ID}/batch-check", JSON_HEADERS,
        compact({"checks": [{"object": "rec-1", "user": "user:a@x.co", "role": "can_read"},
                            {"object": "rec-2", "user": "b@x.co", "role": "is_owner"}]}),
        lambda r: [item.allowed for item in r] == [True, False] and r[1].error == "no such object",
    ),
    "list_users_with_access": Sent(
        lambda s: s.list_users_with_access(SYNC_ID, "rec-1"), always(200, {"users": ["a@x.co"]}), "POST",
        f"{SYNC}/api/permissions/{SYNC_ID}/list-users", JSON_HEADERS, compact({"object": "rec-1", "role": "can_read"}),
        lambda r: r == ["a@x.co"],
    ),
    "list_objects_with_access of folders": Sent(
        lambda s: s.list_objects_with_access(SYNC_ID, "a@x.co", role="is_owner", object_type="folder"),
        always(200, {"objects": ["rec-9"]}), "POST", f"{SYNC}/api/permissions/{SYNC_ID}/list-objects", JSON_HEADERS,
        compact({"objectType": "folder", "user": "a@x.co", "role": "is_owner"}), lambda r: r == ["rec-9"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", SENT.values(), ids=SENT.keys())
def test_each_call_sends_exactly_one_request(make_harness: MakeHarness, rsa_key: rsa.RSAPrivateKey, case: Sent) -> None:
    """Method, full URL (host per service), headers, body bytes and the user's bearer token, then the result."""
    harness = make_harness(case.reply)
    result = harness.run(case.call(harness.session))
    (request,) = harness.requests
    assert_request(request, rsa_key, method=case.method, url=case.url, headers=case.headers, body=case.body)
    assert case.result(result), result


def test_every_session_method_is_in_the_request_table() -> None:
    """The table covers every public call of a session (uninstall_integration has its own two-request tests, stream
    its own in test_streaming.py, the connect calls theirs in test_connect.py, the headless calls of several requests
    theirs in test_headless.py); each case is named after its call."""
    connect = {"install_integration", "complete_install", "start_connect", "wait_for_connection", "watch"}
    # Calls of several requests, in test_headless.py.
    headless = {
        "update_integration_user_settings",
        "update_workflow_user_settings",
        "destroy_configuration",
        "iter_field_options",
        "update_workflow_state",
        "get_custom_webhook_user_manual_url",
    }
    # Managed Sync's page iterator and file download, in test_managed_sync.py.
    managed_sync = {"iter_synced_records", "download_synced_file"}
    covered = (
        {name.split()[0] for name in SENT}
        | {"uninstall_integration", "subscribe", "stream"}
        | connect
        | headless
        | managed_sync
    )
    assert covered == SESSION_METHODS


# -- Typed results from the seed's examples --------------------------------------------------------------------------


def test_get_user_parses_the_seed_example(make_harness: MakeHarness) -> None:
    """The seed's getUser response becomes an AuthenticatedUser with typed integration states."""
    harness = make_harness(always(200, SEED_USER))
    user = harness.run(harness.session.get_user())
    assert isinstance(user, AuthenticatedUser)
    assert user.authenticated is True
    assert user.user_id == "user-123"
    salesforce = user.integrations["salesforce"]
    assert salesforce.enabled is True
    assert salesforce.credential_status == "VALID"
    assert salesforce.credential_status is CredentialStatus.VALID
    assert salesforce.credential_id == "987654-56a7-89b1-cd23-456789abcdef"
    assert salesforce.provider_id == "1234567890"
    assert isinstance(salesforce.provider_data, ProviderData)
    assert salesforce.provider_data["instanceURL"] == "https://mycompany.my.salesforce.com"
    assert user.integrations["shopify"].enabled is False
    assert set(user.integrations.additional_keys) == {"salesforce", "shopify"}


def test_get_user_unauthenticated_shape(make_harness: MakeHarness) -> None:
    """The seed's ``{authenticated: false}`` becomes an UnauthenticatedUser, not an error."""
    harness = make_harness(always(200, {"authenticated": False}))
    user = harness.run(harness.session.get_user())
    assert isinstance(user, UnauthenticatedUser)
    assert user.authenticated is False


def test_unknown_enum_values_and_fields_survive(make_harness: MakeHarness) -> None:
    """A credentialStatus Paragon adds later stays a plain str; unknown keys stay readable on every level."""
    body = json.loads(json.dumps(SEED_USER))
    body["integrations"]["salesforce"]["credentialStatus"] = "EXPIRED"
    body["integrations"]["salesforce"]["rateLimit"] = {"remaining": 3}
    body["featureFlags"] = ["beta"]
    harness = make_harness(always(200, body))
    user = harness.run(harness.session.get_user())
    assert isinstance(user, AuthenticatedUser)
    state = user.integrations["salesforce"]
    assert state.credential_status == "EXPIRED"
    assert not isinstance(state.credential_status, CredentialStatus)
    assert state["rateLimit"] == {"remaining": 3}
    assert user["featureFlags"] == ["beta"]


def test_unknown_credential_status_survives_on_credentials(make_harness: MakeHarness) -> None:
    """The credentials list keeps an unknown status and unknown fields rather than failing validation."""
    body = [{**SEED_CREDENTIALS[0], "status": "EXPIRED", "region": "eu"}]
    harness = make_harness(always(200, body))
    (credential,) = harness.run(harness.session.get_credentials())
    assert credential.status == "EXPIRED"
    assert credential["region"] == "eu"


def test_get_integration_metadata_parses_the_seed_example(make_harness: MakeHarness) -> None:
    """Each metadata entry is typed: type, name, brand color, icon."""
    harness = make_harness(always(200, SEED_METADATA))
    metadata = harness.run(harness.session.get_integration_metadata())
    assert all(isinstance(entry, IntegrationMetadata) for entry in metadata)
    assert [(m.type_, m.name, m.brand_color) for m in metadata] == [
        ("salesforce", "Salesforce", "#057ACF"),
        ("hubspot", "Hubspot", "#F67600"),
        ("slack", "Slack", "#4A154B"),
    ]
    assert metadata[2].icon == "https://cdn.useparagon.com/2.35.0/dashboard/public/integrations/slack.svg"


def test_get_integrations_parses_the_seed_example(make_harness: MakeHarness) -> None:
    """The seed's integrations list: id, type, configs, workflows, hasCredential."""
    harness = make_harness(always(200, SEED_INTEGRATIONS))
    (slack,) = harness.run(harness.session.get_integrations())
    assert isinstance(slack, Integration)
    assert (slack.id, slack.type_, slack.is_active, slack.has_credential) == (SLACK_ID, "slack", True, True)
    assert [workflow.id for workflow in slack.workflows] == [SLACK_WORKFLOW_ID]
    assert slack.workflows[0].description == "Send Updates to Slack"
    assert [config.id for config in slack.configs] == ["3ebcc179-a1a6-447f-8dc9-5017f40f08ef"]
    assert slack.name == "Slack"


def test_get_credentials_parses_the_seed_example(make_harness: MakeHarness) -> None:
    """The seed's credentials list: ids, dates and the legacy configuredWorkflows settings."""
    harness = make_harness(always(200, SEED_CREDENTIALS))
    (credential,) = harness.run(harness.session.get_credentials())
    assert isinstance(credential, Credential)
    assert credential.id == CREDENTIAL_ID
    assert credential.provider_id == "50150244515"
    assert credential.date_deleted is None
    assert credential.date_created == datetime(2021, 3, 24, 12, 19, 21, 511000, tzinfo=UTC)
    assert isinstance(credential.config, LegacyCredentialConfig)
    assert not isinstance(credential.config.configured_workflows, Unset)
    settings = credential.config.configured_workflows["3eb95154-3c7b-413c-bf14-ba367d95b53f"]
    assert settings.enabled is True


# -- workflow() results ----------------------------------------------------------------------------------------------

WORKFLOW_RESULTS: list[tuple[str, Handler, Any]] = [
    ("200 object", always(200, {"leadId": "L-1", "ok": True}), {"leadId": "L-1", "ok": True}),
    ("200 list", always(200, [1, 2]), [1, 2]),
    ("200 string", always(200, "done"), "done"),
    ("200 null", always(200, content=b"null"), None),
    ("200 empty body", always(200), None),
    ("202 accepted", always(202, content=b""), None),
    ("202 with an acknowledgement body", always(202, {"ok": True}), None),
]


@pytest.mark.parametrize(
    ("reply", "expected"), [row[1:] for row in WORKFLOW_RESULTS], ids=[r[0] for r in WORKFLOW_RESULTS]
)
def test_workflow_returns_the_json_for_200_and_none_for_202(
    make_harness: MakeHarness, reply: Handler, expected: Any
) -> None:
    """A Request-triggered workflow's custom response comes back parsed; 202 (no Response step) is None."""
    harness = make_harness(reply)
    assert harness.run(harness.session.workflow(WORKFLOW_ID, body={"a": 1})) == expected
    assert len(harness.requests) == 1


# -- set_user_metadata -----------------------------------------------------------------------------------------------

META_NORMALISATION: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"name": "Sean V"}, {"Name": "Sean V"}),
    ({"EMAIL": "sean@example.com"}, {"Email": "sean@example.com"}),
    ({" Email ": "a@b.co", "nAmE": "x"}, {"Email": "a@b.co", "Name": "x"}),
    ({"apiKey": "key_1", "Plan": {"tier": 2}}, {"apiKey": "key_1", "Plan": {"tier": 2}}),
    ({" companyId ": 7}, {"companyId": 7}),
    ({}, {}),
]


@pytest.mark.parametrize(("meta", "sent"), META_NORMALISATION, ids=[ascii(row[0]) for row in META_NORMALISATION])
def test_set_user_metadata_normalises_name_and_email_keys(
    make_harness: MakeHarness, meta: dict[str, Any], sent: dict[str, Any]
) -> None:
    """Name/Email keys are case-insensitive and trimmed, like the JS SDK; other keys only trimmed."""
    harness = make_harness(always(200, SEED_USER))
    harness.run(harness.session.set_user_metadata(meta))
    (request,) = harness.requests
    assert request.content == compact({"meta": sent})


def test_set_user_metadata_returns_the_user_from_the_patch_body(make_harness: MakeHarness) -> None:
    """When PATCH answers with the user, that is the result and no second request is made."""
    updated = {**SEED_USER, "meta": {"Email": "sean@example.com"}}
    harness = make_harness(always(200, updated))
    user = harness.run(harness.session.set_user_metadata({"email": "sean@example.com"}))
    assert isinstance(user, AuthenticatedUser)
    assert isinstance(user.meta, UserMeta)
    assert user.meta.email == "sean@example.com"
    assert [request.method for request in harness.requests] == ["PATCH"]


PATCH_BODIES_THAT_ARE_NOT_A_USER: list[tuple[str, Callable[[], httpx.Response]]] = [
    ("empty 200", lambda: httpx.Response(200)),
    ("204", lambda: httpx.Response(204)),
    ("acknowledgement", lambda: json_response(200, {"success": True})),
    ("user without integrations", lambda: json_response(200, {"authenticated": True, "userId": "user-123"})),
    ("not JSON", lambda: httpx.Response(200, text="OK")),
    ("a list", lambda: json_response(200, [])),
]


@pytest.mark.parametrize(
    "patch_reply",
    [row[1] for row in PATCH_BODIES_THAT_ARE_NOT_A_USER],
    ids=[row[0] for row in PATCH_BODIES_THAT_ARE_NOT_A_USER],
)
def test_set_user_metadata_falls_back_to_get_user(
    make_harness: MakeHarness, rsa_key: rsa.RSAPrivateKey, patch_reply: Callable[[], httpx.Response]
) -> None:
    """A PATCH body that is not a user makes the client re-read the user: exactly PATCH then GET /sdk/me."""
    fresh = {**SEED_USER, "meta": {"Name": "Sean V"}}
    harness = make_harness(
        routes({("PATCH", "/sdk/me"): patch_reply, ("GET", "/sdk/me"): lambda: json_response(200, fresh)})
    )
    user = harness.run(harness.session.set_user_metadata({"name": "Sean V"}))
    assert isinstance(user, AuthenticatedUser)
    assert isinstance(user.meta, UserMeta)
    assert user.meta.name == "Sean V"
    patch, get = harness.requests
    assert_request(
        patch, rsa_key, method="PATCH", url=f"{API}{P}/sdk/me", headers=JSON_HEADERS, body=b'{"meta":{"Name":"Sean V"}}'
    )
    assert_request(get, rsa_key, method="GET", url=f"{API}{P}/sdk/me", headers=GET_HEADERS, body=b"")


def test_set_user_metadata_fallback_to_an_unauthenticated_user_is_a_validation_error(
    make_harness: MakeHarness,
) -> None:
    """If the re-read user is unauthenticated, the call fails with a typed APIResponseValidationError."""
    harness = make_harness(
        routes(
            {
                ("PATCH", "/sdk/me"): lambda: json_response(200, {}),
                ("GET", "/sdk/me"): lambda: json_response(200, {"authenticated": False}),
            }
        )
    )
    with pytest.raises(APIResponseValidationError) as caught:
        harness.run(harness.session.set_user_metadata({"Name": "x"}))
    assert caught.value.route == "GET /projects/{projectId}/sdk/me"
    assert caught.value.body == {"authenticated": False}
    assert len(harness.requests) == 2


# -- uninstall_integration -------------------------------------------------------------------------------------------

SALESFORCE_ID = "7a3c1d9e-2b4f-4c6a-8e1d-0f9b8a7c6d5e"


def _integrations(*entries: tuple[str, str, bool | None]) -> list[dict[str, Any]]:
    listed = []
    for integration_id, kind, has_credential in entries:
        entry: dict[str, Any] = {"id": integration_id, "type": kind, "isActive": True, "configs": [], "workflows": []}
        if has_credential is not None:
            entry["hasCredential"] = has_credential
        listed.append(entry)
    return listed


@pytest.mark.parametrize("has_credential", [True, None], ids=["hasCredential true", "hasCredential absent"])
def test_uninstall_integration_looks_the_id_up_then_deletes_it(
    make_harness: MakeHarness, rsa_key: rsa.RSAPrivateKey, has_credential: bool | None
) -> None:
    """The seed's two steps: GET /sdk/integrations, then DELETE /sdk/integrations/<id of that type>."""
    listed = _integrations((SLACK_ID, "slack", True), (SALESFORCE_ID, "salesforce", has_credential))
    harness = make_harness(
        routes(
            {
                ("GET", "/sdk/integrations"): lambda: json_response(200, listed),
                ("DELETE", f"/sdk/integrations/{SALESFORCE_ID}"): lambda: httpx.Response(204),
            }
        )
    )
    assert harness.run(harness.session.uninstall_integration("salesforce")) is None
    get, delete = harness.requests
    assert_request(get, rsa_key, method="GET", url=f"{API}{P}/sdk/integrations", headers=GET_HEADERS, body=b"")
    assert_request(
        delete,
        rsa_key,
        method="DELETE",
        url=f"{API}{P}/sdk/integrations/{SALESFORCE_ID}",
        headers=GET_HEADERS,
        body=b"",
    )


def test_uninstall_integration_targets_a_credential(make_harness: MakeHarness) -> None:
    """``credential_id`` goes on the DELETE as X-Paragon-Credential (not on the lookup)."""
    listed = _integrations((SALESFORCE_ID, "salesforce", True))
    harness = make_harness(
        routes(
            {
                ("GET", "/sdk/integrations"): lambda: json_response(200, listed),
                ("DELETE", f"/sdk/integrations/{SALESFORCE_ID}"): lambda: json_response(200, {}),
            }
        )
    )
    harness.run(harness.session.uninstall_integration("salesforce", credential_id="cred-7"))
    get, delete = harness.requests
    assert "x-paragon-credential" not in get.headers
    assert delete.headers["x-paragon-credential"] == "cred-7"


NOT_INSTALLED: list[tuple[str, list[dict[str, Any]], str]] = [
    ("not in the project", _integrations((SLACK_ID, "slack", True)), "is not an integration of this project"),
    ("no integrations at all", [], "(it has: none)"),
    ("not connected", _integrations((SALESFORCE_ID, "salesforce", False)), "has not connected 'salesforce'"),
]


@pytest.mark.parametrize(("listed", "says"), [row[1:] for row in NOT_INSTALLED], ids=[row[0] for row in NOT_INSTALLED])
def test_uninstall_integration_not_installed(
    make_harness: MakeHarness, listed: list[dict[str, Any]], says: str
) -> None:
    """IntegrationNotInstalledError (a LookupError) after exactly one request: nothing is deleted."""
    harness = make_harness(always(200, listed))
    with pytest.raises(IntegrationNotInstalledError) as caught:
        harness.run(harness.session.uninstall_integration("salesforce"))
    assert isinstance(caught.value, LookupError)
    assert caught.value.integration == "salesforce"
    assert says in str(caught.value)
    assert [(r.method, r.url.path) for r in harness.requests] == [("GET", f"{P}/sdk/integrations")]


@pytest.mark.parametrize("verb", ["POST", "DELETE"], ids=["enable_workflow", "disable_workflow"])
def test_workflow_state_change_with_a_listener_looks_up_the_integration_first(
    make_harness: MakeHarness, verb: str
) -> None:
    """With an onWorkflowChange subscriber the client reads the integrations first, to name the integration."""
    harness = make_harness(
        routes(
            {
                ("GET", "/sdk/integrations"): lambda: json_response(200, SEED_INTEGRATIONS),
                (verb, f"/sdk/workflows/{SLACK_WORKFLOW_ID}"): lambda: httpx.Response(204),
            }
        )
    )
    seen: list[Any] = []
    harness.session.subscribe("onWorkflowChange", lambda event, _user: seen.append(event))
    session = harness.session
    change = session.enable_workflow if verb == "POST" else session.disable_workflow
    harness.run(change(SLACK_WORKFLOW_ID))
    assert [(r.method, r.url.path) for r in harness.requests] == [
        ("GET", f"{P}/sdk/integrations"),
        (verb, f"{P}/sdk/workflows/{SLACK_WORKFLOW_ID}"),
    ]
    assert [event["integrationId"] for event in seen] == [SLACK_ID]


# -- The Proxy API's responses ---------------------------------------------------------------------------------------

RAW_RESPONSES: list[tuple[str, int, bytes, dict[str, str]]] = [
    ("binary", 200, PNG, {"content-type": "image/png", "content-disposition": 'attachment; filename="a.png"'}),
    ("csv", 200, b"id,name\r\n1,\xc3\xa9\r\n", {"content-type": "text/csv; charset=utf-8"}),
    ("html", 200, b"<html><body>Not JSON</body></html>", {"content-type": "text/html"}),
    ("json, left as bytes", 201, b'{"id": 1}', {"content-type": "application/json", "x-provider": "hubspot"}),
    ("empty", 204, b"", {}),
]


@pytest.mark.parametrize(
    ("status", "content", "headers"), [row[1:] for row in RAW_RESPONSES], ids=[row[0] for row in RAW_RESPONSES]
)
def test_raw_request_returns_status_headers_and_bytes(
    make_harness: MakeHarness, status: int, content: bytes, headers: dict[str, str]
) -> None:
    """``raw=True`` hands back the provider's status, headers and exact bytes, whatever the body is."""
    harness = make_harness(always(status, content=content, **headers))
    result = harness.run(harness.session.request("googledrive", "files/f1", raw=True))
    assert isinstance(result, RawResponse)
    assert result.status_code == status
    assert result.content == content
    for name, value in headers.items():
        assert result.headers[name] == value
    assert harness.requests[0].headers["x-paragon-use-raw-response"] == "1"


def test_raw_response_text_and_json_helpers(make_harness: MakeHarness) -> None:
    """RawResponse decodes text with the response's charset and parses JSON on request."""
    harness = make_harness(
        always(200, content="é,ü".encode("latin-1"), **{"content-type": "text/csv; charset=latin-1"})
    )
    assert harness.run(harness.session.request("x", "a", raw=True)).text == "é,ü"
    harness = make_harness(always(200, content=b'{"a": [1]}'))
    assert harness.run(harness.session.request("x", "a", raw=True)).json() == {"a": [1]}


PROXY_OUTPUTS: list[tuple[str, Handler, Any]] = [
    ("object", always(200, {"output": {"ok": True}}), {"ok": True}),
    ("list", always(200, {"output": [{"id": 1}]}), [{"id": 1}]),
    ("null output", always(200, {"output": None}), None),
    ("empty body", always(200), None),
    ("204", always(204), None),
]


@pytest.mark.parametrize(
    ("reply", "expected"), [row[1:] for row in PROXY_OUTPUTS], ids=[row[0] for row in PROXY_OUTPUTS]
)
def test_request_unwraps_the_output(make_harness: MakeHarness, reply: Handler, expected: Any) -> None:
    """The proxy's ``{"output": ...}`` envelope is removed; an empty body is None."""
    harness = make_harness(reply)
    assert harness.run(harness.session.request("slack", "conversations.list")) == expected


# -- Hosts -----------------------------------------------------------------------------------------------------------

HOST_CALLS: list[tuple[str, SessionCall, Handler, str, str]] = [
    ("get_user", lambda s: s.get_user(), always(200, SEED_USER), "api", f"{P}/sdk/me"),
    (
        "request",
        lambda s: s.request("slack", "chat.postMessage"),
        always(200, {"output": {}}),
        "proxy",
        f"{P}/sdk/proxy/slack/chat.postMessage",
    ),
    ("list_actions", lambda s: s.list_actions(), always(200, {"actions": {}}), "actionkit", f"{P}/actions"),
    ("run_action", lambda s: s.run_action("A"), always(200, {}), "actionkit", f"{P}/actions"),
    (
        "subscribe_to_trigger",
        lambda s: s.subscribe_to_trigger("slack", "T"),
        always(200, SUBSCRIPTION),
        "actionkit",
        f"{P}/trigger-subscriptions",
    ),
    ("event", lambda s: s.event("E", {}), always(200, {}), "api", f"{P}/sdk/events/trigger"),
    (
        "get_triggers",
        lambda s: s.get_triggers("salesforce", credential_id="c"),
        always(200, {"triggers": {}}),
        "actionkit",
        f"{P}/triggers",
    ),
    (
        "request to a full URL",
        lambda s: s.request("slack", url="https://slack.com/api/auth.test"),
        always(200, {"output": {}}),
        "proxy",
        f"{P}/sdk/proxy/slack",
    ),
]
HOST_SETUPS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "cloud": ({}, {"api": API, "proxy": PROXY, "actionkit": ACTIONKIT}),
    "self-hosted": (
        {"host": "mycompany.paragon.so"},
        {
            "api": "https://zeus.mycompany.paragon.so",
            "proxy": "https://worker-proxy.mycompany.paragon.so",
            "actionkit": "https://worker-actionkit.mycompany.paragon.so",
        },
    ),
    "self-hosted with a port": (
        {"host": "paragon.internal:8443"},
        {
            "api": "https://zeus.paragon.internal:8443",
            "proxy": "https://worker-proxy.paragon.internal:8443",
            "actionkit": "https://worker-actionkit.paragon.internal:8443",
        },
    ),
    "per-service overrides": (
        {
            "api_url": "https://gateway.example.com/paragon-api/",
            "proxy_url": "http://127.0.0.1:7002",
            "actionkit_url": "https://ak.example.com",
        },
        {
            "api": "https://gateway.example.com/paragon-api",
            "proxy": "http://127.0.0.1:7002",
            "actionkit": "https://ak.example.com",
        },
    ),
    "self-hosted, ActionKit under the JS SDK's name": (
        {"host": "mycompany.paragon.so", "actionkit_url": "https://actionkit.mycompany.paragon.so"},
        {
            "api": "https://zeus.mycompany.paragon.so",
            "proxy": "https://worker-proxy.mycompany.paragon.so",
            "actionkit": "https://actionkit.mycompany.paragon.so",
        },
    ),
    "self-hosted with one override": (
        {"host": "mycompany.paragon.so", "proxy_url": "https://proxy.internal"},
        {
            "api": "https://zeus.mycompany.paragon.so",
            "proxy": "https://proxy.internal",
            "actionkit": "https://worker-actionkit.mycompany.paragon.so",
        },
    ),
}


@pytest.mark.parametrize("setup", HOST_SETUPS.values(), ids=HOST_SETUPS.keys())
@pytest.mark.parametrize(
    ("call", "reply", "service", "path"), [row[1:] for row in HOST_CALLS], ids=[row[0] for row in HOST_CALLS]
)
def test_each_service_goes_to_its_host(
    make_harness: MakeHarness,
    setup: tuple[dict[str, str], dict[str, str]],
    call: SessionCall,
    reply: Handler,
    service: str,
    path: str,
) -> None:
    """api/proxy/actionkit calls go to the cloud hosts, the zeus./worker-proxy./worker-actionkit. hosts (ActionKit's
    self-hosted name in Paragon's docs), or overrides."""
    options, bases = setup
    harness = make_harness(reply, **options)
    harness.run(call(harness.session))
    (request,) = harness.requests
    assert str(request.url).split("?")[0] == bases[service] + path


# -- Tokens ----------------------------------------------------------------------------------------------------------


def test_the_token_is_minted_once_across_many_calls(make_harness: MakeHarness, rsa_key: rsa.RSAPrivateKey) -> None:
    """Ten calls to three services carry the identical token: sub=user-123, aud, one hour plus the clock skew."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "proxy.useparagon.com":
            return json_response(200, {"output": {}})
        if request.url.path.endswith("/actions"):
            return json_response(200, {"actions": {}})
        return json_response(200, SEED_USER)

    harness = make_harness(handler)
    for _ in range(3):
        harness.run(harness.session.get_user())
        harness.run(harness.session.request("slack", "auth.test"))
        harness.run(harness.session.list_actions())
    harness.run(harness.session.set_user_metadata({"a": 1}))
    tokens = {bearer(request) for request in harness.requests}
    assert len(harness.requests) == 10
    assert len(tokens) == 1
    decoded = claims(harness.requests[0], rsa_key)
    assert decoded["sub"] == "user-123"
    assert decoded["aud"] == AUDIENCE
    assert decoded["exp"] - decoded["iat"] == 3600 + 30


def test_authenticate_with_a_user_token_sends_it_verbatim(
    make_harness: MakeHarness, rsa_key: rsa.RSAPrivateKey
) -> None:
    """A token signed elsewhere goes out exactly as given, to every service."""
    token = jwt.encode(
        {"sub": "someone-else", "aud": AUDIENCE, "iat": 1_700_000_000, "exp": 4_000_000_000, "extra": "kept"},
        rsa_key,
        algorithm="RS256",
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(200, {"output": 1} if request.url.host == "proxy.useparagon.com" else SEED_USER)

    harness = make_harness(handler)
    session = harness.client.authenticate(user_token=token)
    assert session.user_id == "someone-else"
    harness.run(session.get_user())
    harness.run(session.request("slack", "auth.test"))
    assert [request.headers["authorization"] for request in harness.requests] == [f"Bearer {token}"] * 2


def test_sessions_of_different_users_carry_their_own_tokens(
    make_harness: MakeHarness, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Two sessions on one client sign for their own ``sub``."""
    harness = make_harness(always(200, SEED_USER))
    other = harness.client.authenticate("user-456")
    harness.run(harness.session.get_user())
    harness.run(other.get_user())
    assert [claims(request, rsa_key)["sub"] for request in harness.requests] == ["user-123", "user-456"]
