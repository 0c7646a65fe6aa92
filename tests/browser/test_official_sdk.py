"""The official JS SDK, ``@useparagon/connect`` 2.4.0 as published on npm and unmodified, against FakeParagon.

Each test loads the SDK in headless Chromium with every service URL pointed at a fresh fake (see ``support.py``),
calls one SDK function the way an app does, and then checks three things exactly: what the SDK's promise resolved to
in the page, what the browser sent, and what the fake recorded (its request log, App Events, workflow runs and the
user's state). So the fake is held to the SDK's real requests, and the SDK's reading of the fake's answers is
checked too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from useparagon.testing import AppEvent, FakeParagon, ProxyRequest, WorkflowTrigger

from tests.browser.support import SDK_VERSION, SERVICE_URL_KEYS, SdkPage, requires_chromium

pytestmark = requires_chromium

SYNC_CONTACTS = ("salesforce", "Sync Contacts to Salesforce")
CREATE_OPPORTUNITY = ("salesforce", "Create Opportunity in Salesforce")
UNCONNECTED = {"enabled": False, "configuredWorkflows": {}, "allCredentials": [], "allConfigurations": []}


def _json(body: str | None) -> Any:
    assert body is not None
    return json.loads(body)


def test_the_sdk_loads_with_every_service_url_on_the_fake(sdk: SdkPage) -> None:
    """After ``configureGlobal`` every service URL is the fake's, and loading the page made one request: the
    Connect Portal iframe, answered by the fake's stand-in page."""
    environments = sdk.call("() => connectSingleton.environments")
    assert {key: environments[key] for key in SERVICE_URL_KEYS} == dict.fromkeys(SERVICE_URL_KEYS, sdk.fake_url)
    assert sdk.call("() => paragon.getVersion()") == SDK_VERSION
    assert sdk.call("() => document.getElementById('paragon-connect-frame').src") == f"{sdk.fake_url}/ui"
    assert sdk.api_calls() == [("GET", "/ui", 200, None)]
    assert sdk.user() == {"authenticated": False}


def test_authenticate_loads_the_user_and_the_integrations(sdk: SdkPage) -> None:
    """``authenticate`` sends GET /sdk/me and GET /sdk/integrations with the token and the SDK's headers; the
    SDK's user then has the fake's state, with ``allConfigurations`` computed from ``allCredentials``, and the
    portal iframe receives that state."""
    workflow = sdk.fake.workflow_id(*SYNC_CONTACTS)
    fake_user = sdk.fake.user("u1").connect("salesforce").enable_workflow(workflow).set_meta(Name="Ada")
    token = sdk.fake.sign_user_token("u1")
    sdk.forget()
    resolved = sdk.call("([p, t]) => paragon.authenticate(p, t)", [sdk.fake.project_id, token])
    assert resolved is None
    assert sorted(sdk.api_calls()) == [
        ("GET", sdk.path("/sdk/integrations"), 200, "listIntegrations"),
        ("GET", sdk.path("/sdk/me"), 200, "getUser"),
    ]
    for request in sdk.sent:
        assert request["headers"]["authorization"] == f"Bearer {token}"
        assert request["headers"]["x-paragon-sdk-version"] == SDK_VERSION
        assert request["headers"]["accept"] == "application/json"

    user = sdk.user()
    assert "token" not in user
    assert (user["authenticated"], user["userId"], user["meta"], user["resources"]) == (True, "u1", {"Name": "Ada"}, [])
    salesforce = user["integrations"]["salesforce"]
    (credential_id,) = fake_user.credential_ids("salesforce")
    assert (salesforce["enabled"], salesforce["credentialId"], salesforce["credentialStatus"]) == (
        True,
        credential_id,
        "VALID",
    )
    assert [c["id"] for c in salesforce["allCredentials"]] == [credential_id]
    assert [c["id"] for c in salesforce["allConfigurations"]] == [salesforce["credentialConfigId"]]
    assert salesforce["workflowSettings"] == {workflow: {"enabled": True, "settings": {}}}

    # The metadata the SDK builds from /sdk/integrations (icons on the fake's CDN URL) names the same integrations
    # as the user's state; every one but Salesforce is unconnected, with the allCredentials the SDK needs.
    metadata = sdk.call("() => paragon.getIntegrationMetadata()")
    types = [m["type"] for m in metadata]
    assert {"salesforce", "hubspot", "slack", "googledrive"} <= set(types)
    assert set(user["integrations"]) == set(types)
    assert [m["icon"] for m in metadata] == [f"{sdk.fake_url}/integrations/{t}.svg" for t in types]
    assert metadata[types.index("salesforce")] == {
        "type": "salesforce",
        "name": "Salesforce",
        "brandColor": "#057ACF",
        "icon": f"{sdk.fake_url}/integrations/salesforce.svg",
    }
    for other in set(types) - {"salesforce"}:
        assert user["integrations"][other] == UNCONNECTED
    # The SDK posts its state to the Connect Portal iframe; the fake's stand-in keeps the messages.
    (portal,) = [frame for frame in sdk.page.frames if frame.url == f"{sdk.fake_url}/ui"]
    portal.wait_for_function(
        """() => window.fakeParagonMessages.some(
            (message) => message.messageType === 'UI_UPDATE' && message.nextContext.user.userId === 'u1'
        )"""
    )


def test_authenticate_with_a_token_the_project_did_not_sign(sdk: SdkPage) -> None:
    """A token signed with another key: the fake answers 401 with its reason, and the SDK rejects with that body
    (as JSON, the SDK's way with every API error) and logs the user out."""
    stranger = FakeParagon().sign_user_token("u1")
    message = sdk.failure("([p, t]) => paragon.authenticate(p, t)", [sdk.fake.project_id, stranger])
    prefix, _, body = message.partition(": ")
    assert prefix == "Failed to authenticate user with Paragon"
    assert json.loads(body) == {
        "message": "Unauthorized: the user token's signature does not match the project's key.",
        "status": 401,
    }
    assert sdk.user() == {"authenticated": False}
    # The SDK sends both requests at once and rejects on the first 401: the other may still be on its way.
    for _ in range(600):
        calls = [c for c in sdk.api_calls() if c[1] != "/ui"]
        if len(calls) >= 2:
            break
        sdk.page.wait_for_timeout(50)
    assert sorted(calls) == [
        ("GET", sdk.path("/sdk/integrations"), 401, "listIntegrations"),
        ("GET", sdk.path("/sdk/me"), 401, "getUser"),
    ]


def test_set_user_metadata(sdk: SdkPage) -> None:
    """``setUserMetadata`` normalizes the keys (``email`` → ``Email``), PATCHes ``{"meta": …}``, reloads the user
    and resolves to it; the fake merges the metadata."""
    sdk.fake.user("u1").set_meta(Name="Ada", plan="free")
    sdk.authenticate("u1")
    resolved = sdk.call("() => paragon.setUserMetadata({ email: 'ada@example.com', plan: 'pro' })")
    assert (resolved["userId"], resolved["meta"]) == ("u1", {"Name": "Ada", "Email": "ada@example.com", "plan": "pro"})
    assert sdk.fake.user("u1").meta == {"Name": "Ada", "Email": "ada@example.com", "plan": "pro"}
    calls = sdk.api_calls()
    assert calls[0] == ("PATCH", sdk.path("/sdk/me"), 200, "updateUserMetadata")
    assert sorted(calls[1:]) == [
        ("GET", sdk.path("/sdk/integrations"), 200, "listIntegrations"),
        ("GET", sdk.path("/sdk/me"), 200, "getUser"),
    ]
    (patch,) = sdk.sent_to("PATCH", "/sdk/me")
    assert _json(patch["body"]) == {"meta": {"Email": "ada@example.com", "plan": "pro"}}
    assert patch["headers"]["content-type"] == "application/json"
    assert sdk.user()["meta"] == {"Name": "Ada", "Email": "ada@example.com", "plan": "pro"}


def test_event_goes_to_the_v2_path_and_runs_workflows(sdk: SdkPage) -> None:
    """``event`` POSTs ``{name, payload}`` to hermes's ``/v2/projects/{p}/sdk/events/trigger``; the fake logs the
    App Event and runs the user's workflow that listens to it; the SDK resolves to ``undefined`` (201, no body)."""
    workflow = sdk.fake.workflow_id(*SYNC_CONTACTS)
    sdk.fake.user("u1").connect("salesforce").enable_workflow(workflow)
    sdk.authenticate("u1")
    payload = {"email": "ada@example.com", "tags": ["vip"], "score": 9.5}
    resolved = sdk.call("(payload) => paragon.event('Contact Created', payload)", payload)
    assert resolved is None
    path = f"/v2/projects/{sdk.fake.project_id}/sdk/events/trigger"
    assert sdk.api_calls() == [("POST", path, 201, "sendAppEventV2")]
    assert sdk.fake.events == (AppEvent("u1", "Contact Created", payload, None, None, "v2"),)
    assert sdk.fake.workflow_triggers == (WorkflowTrigger("u1", workflow, "app_event", payload, {}, {}),)
    (sent,) = sdk.sent
    assert _json(sent["body"]) == {"name": "Contact Created", "payload": payload}
    assert "x-paragon-credential" not in sent["headers"]


def test_workflow_triggers_a_request_triggered_workflow(sdk: SdkPage) -> None:
    """``workflow`` POSTs the body, query and headers to hermes's ``/projects/{p}/sdk/triggers/{id}``: a workflow
    with a Response step resolves to its body; one without (202, no body) resolves to ``undefined``."""
    with_response = sdk.fake.workflow_id(*SYNC_CONTACTS)
    without_response = sdk.fake.workflow_id(*CREATE_OPPORTUNITY)
    sdk.fake.set_workflow_response(with_response, {"status": "created", "id": 42})
    sdk.fake.user("u1").connect("salesforce").enable_workflow(with_response).enable_workflow(without_response)
    sdk.authenticate("u1")

    resolved = sdk.call(
        """(wf) => paragon.workflow(wf, {
            body: { email: 'ada@example.com' }, query: { source: 'sdk' }, headers: { 'X-Request-Source': 'browser' },
        })""",
        with_response,
    )
    assert resolved == {"status": "created", "id": 42}
    assert sdk.call("(wf) => paragon.workflow(wf, { body: { n: 1 } })", without_response) is None

    assert sdk.api_calls() == [
        ("POST", sdk.path(f"/sdk/triggers/{with_response}"), 200, "triggerWorkflow"),
        ("POST", sdk.path(f"/sdk/triggers/{without_response}"), 202, "triggerWorkflow"),
    ]
    first, second = sdk.fake.workflow_triggers
    assert (first.user_id, first.workflow_id, first.source, first.body, first.query) == (
        "u1",
        with_response,
        "request",
        {"email": "ada@example.com"},
        {"source": "sdk"},
    )
    assert first.headers["x-request-source"] == "browser"
    assert first.headers["x-paragon-sdk-version"] == SDK_VERSION
    assert (second.workflow_id, second.body, second.query) == (without_response, {"n": 1}, {})
    assert "authorization" not in first.headers


def test_workflow_not_enabled_rejects_with_the_fakes_error(sdk: SdkPage) -> None:
    """Triggering a workflow the user has not enabled: the fake's 404 body is the SDK's error, nothing runs."""
    workflow = sdk.fake.workflow_id(*SYNC_CONTACTS)
    sdk.fake.user("u1").connect("salesforce")
    sdk.authenticate("u1")
    assert json.loads(sdk.failure("(wf) => paragon.workflow(wf)", workflow)) == {
        "message": "Workflow not enabled for user.",
        "status": 404,
        "code": "workflow_not_enabled",
    }
    assert sdk.api_calls() == [("POST", sdk.path(f"/sdk/triggers/{workflow}"), 404, "triggerWorkflow")]
    assert sdk.fake.workflow_triggers == ()


def test_request_goes_through_the_proxy(sdk: SdkPage) -> None:
    """``request`` calls the worker-proxy URL with ``Content-Type: auto``; the provider sees the JSON body as
    ``application/json`` and no Paragon headers; the SDK unwraps ``output``."""
    seen: list[ProxyRequest] = []

    def create_note(request: ProxyRequest) -> tuple[int, Any]:
        seen.append(request)
        return 201, {"id": "note-1", "received": request.json}

    sdk.fake.on_proxy("hubspot", "crm/v3/objects/notes", create_note, method="POST")
    credential = sdk.fake.user("u1").connect("slack").connect("hubspot").credential_ids("hubspot")[0]
    sdk.authenticate("u1")

    posted = sdk.call(
        "() => paragon.request('slack', 'chat.postMessage', { method: 'POST', body: { channel: 'C1', text: 'hi' } })"
    )
    assert (posted["ok"], posted["channel"], posted["message"]["text"]) == (True, "C1", "hi")
    note = sdk.call(
        """() => paragon.request('hubspot', '/crm/v3/objects/notes?archived=false', {
            method: 'POST', body: { text: 'Called Ada' }, headers: { 'X-Trace': 't-1' },
        })"""
    )
    assert note == {"id": "note-1", "received": {"text": "Called Ada"}}

    assert sdk.api_calls() == [
        ("POST", sdk.path("/sdk/proxy/slack/chat.postMessage"), 200, "proxyPost"),
        ("POST", sdk.path("/sdk/proxy/hubspot/crm/v3/objects/notes"), 200, "proxyPost"),
    ]
    (request,) = seen
    assert (request.method, request.path, dict(request.query), request.user_id, request.credential_id) == (
        "POST",
        "crm/v3/objects/notes",
        {"archived": "false"},
        "u1",
        credential,
    )
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-trace"] == "t-1"
    assert "authorization" not in request.headers
    assert not [name for name in request.headers if name.lower().startswith("x-paragon-")]
    (sent,) = sdk.sent_to("POST", "/sdk/proxy/hubspot/crm/v3/objects/notes")
    assert sent["headers"]["content-type"] == "auto"


def test_request_relays_a_provider_failure(sdk: SdkPage) -> None:
    """A provider's 404 comes back as Paragon's integration error; the SDK rejects with its ``meta`` as JSON."""
    sdk.fake.on_proxy("slack", "conversations.info", lambda _: (404, {"ok": False, "error": "channel_not_found"}))
    sdk.fake.user("u1").connect("slack")
    sdk.authenticate("u1")
    message = sdk.failure("() => paragon.request('slack', 'conversations.info?channel=C9', { method: 'GET' })")
    assert json.loads(message) == {
        "isIntegrationError": True,
        "status": 404,
        "data": {"ok": False, "error": "channel_not_found"},
    }
    assert sdk.api_calls() == [("GET", sdk.path("/sdk/proxy/slack/conversations.info"), 404, "proxyGet")]
    assert sdk.user()["authenticated"] is True


def test_enable_and_disable_workflow(sdk: SdkPage) -> None:
    """``enableWorkflow`` and ``disableWorkflow`` POST and DELETE ``/sdk/workflows/{id}`` naming the credential and
    configuration; the fake's user has the workflow on, then off, and so does the SDK's local state."""
    workflow = sdk.fake.workflow_id(*SYNC_CONTACTS)
    fake_user = sdk.fake.user("u1").connect("salesforce")
    sdk.authenticate("u1")
    state = sdk.user()["integrations"]["salesforce"]
    credential_id, configuration_id = state["credentialId"], state["credentialConfigId"]
    assert credential_id == fake_user.credential_ids("salesforce")[0]

    assert sdk.call("(wf) => paragon.enableWorkflow(wf)", workflow) is None
    assert fake_user.enabled_workflows == frozenset({workflow})
    configurations = sdk.user()["integrations"]["salesforce"]["allCredentials"][0]["configurations"]
    assert configurations[0]["workflowSettings"][workflow]["enabled"] is True

    assert sdk.call("(wf) => paragon.disableWorkflow(wf)", workflow) is None
    assert fake_user.enabled_workflows == frozenset()
    configurations = sdk.user()["integrations"]["salesforce"]["allCredentials"][0]["configurations"]
    assert configurations[0]["workflowSettings"][workflow]["enabled"] is False

    assert sdk.api_calls() == [
        ("POST", sdk.path(f"/sdk/workflows/{workflow}"), 200, "enableWorkflow"),
        ("DELETE", sdk.path(f"/sdk/workflows/{workflow}"), 200, "disableWorkflow"),
    ]
    for request in sdk.sent:
        assert request["headers"]["x-paragon-credential"] == credential_id
        assert request["headers"]["x-paragon-configuration-id"] == configuration_id
    # The SDK checks its own state first: enabling twice fails in the page, before any request.
    sdk.forget()
    sdk.call("(wf) => paragon.enableWorkflow(wf)", workflow)
    message = sdk.failure("(wf) => paragon.enableWorkflow(wf)", workflow)
    assert message == f"Workflow {workflow} is already enabled for this user."
    assert sdk.api_calls() == [("POST", sdk.path(f"/sdk/workflows/{workflow}"), 200, "enableWorkflow")]


def test_uninstall_integration(sdk: SdkPage) -> None:
    """``uninstallIntegration`` DELETEs ``/sdk/integrations/{id}`` with the credential; the fake forgets the
    account, the SDK's state shows it gone, and ``onIntegrationUninstall`` fires in the page."""
    fake_user = sdk.fake.user("u1").connect("slack").connect("salesforce")
    (slack_credential,) = fake_user.credential_ids("slack")
    sdk.authenticate("u1")
    assert sdk.call("() => paragon.uninstallIntegration('slack')") is None

    slack_id = sdk.fake.integration_id("slack")
    assert sdk.api_calls() == [("DELETE", sdk.path(f"/sdk/integrations/{slack_id}"), 200, "uninstallIntegration")]
    (sent,) = sdk.sent
    assert sent["headers"]["x-paragon-credential"] == slack_credential
    assert fake_user.connected == {"salesforce": "VALID"}
    assert sdk.user()["integrations"]["slack"] == {
        "enabled": False,
        "workflowSettings": {},
        "allCredentials": [],
        "allConfigurations": [],
    }
    assert sdk.sdk_events() == [
        {
            "name": "onIntegrationUninstall",
            "event": {"integrationId": slack_id, "integrationType": "slack"},
            "userId": "u1",
        }
    ]
    # Nothing left to uninstall: the SDK refuses before sending anything.
    sdk.forget()
    message = sdk.failure("() => paragon.uninstallIntegration('slack')")
    assert "slack" in message
    assert sdk.api_calls() == []


def test_uninstall_one_of_two_accounts(sdk: SdkPage) -> None:
    """With ``selectedCredentialId`` only that account goes, in the fake and in the SDK's state."""
    fake_user = sdk.fake.user("u1").connect("slack").connect("slack")
    first, second = fake_user.credential_ids("slack")
    sdk.authenticate("u1")
    sdk.call("(id) => paragon.uninstallIntegration('slack', { selectedCredentialId: id })", second)
    (sent,) = sdk.sent
    assert sent["headers"]["x-paragon-credential"] == second
    assert fake_user.credential_ids("slack") == [first]
    slack = sdk.user()["integrations"]["slack"]
    assert ([c["id"] for c in slack["allCredentials"]], slack["credentialId"], slack["enabled"]) == (
        [first],
        first,
        True,
    )


@pytest.mark.parametrize(
    ("metadata", "patched"),
    [
        ({"Name": "Ada"}, None),
        ({"name": "Ada", "email": "ada@example.com"}, {"Email": "ada@example.com", "Name": "Ada"}),
    ],
)
def test_authenticate_with_metadata_patches_only_a_change(
    sdk: SdkPage, metadata: dict[str, str], patched: dict[str, str] | None
) -> None:
    """``authenticate(p, t, {metadata})`` PATCHes ``/sdk/me`` (keys normalized) only when the metadata differs from
    what the fake has, after loading the user."""
    sdk.fake.user("u1").set_meta(Name="Ada")
    token = sdk.fake.sign_user_token("u1")
    sdk.forget()
    sdk.call("([p, t, m]) => paragon.authenticate(p, t, { metadata: m })", [sdk.fake.project_id, token, metadata])
    calls = sdk.api_calls()
    assert sorted(calls[:2]) == [
        ("GET", sdk.path("/sdk/integrations"), 200, "listIntegrations"),
        ("GET", sdk.path("/sdk/me"), 200, "getUser"),
    ]
    assert calls[2:] == ([] if patched is None else [("PATCH", sdk.path("/sdk/me"), 200, "updateUserMetadata")])
    assert [_json(r["body"]) for r in sdk.sent_to("PATCH", "/sdk/me")] == (
        [] if patched is None else [{"meta": patched}]
    )
    assert sdk.fake.user("u1").meta == {"Name": "Ada", **(patched or {})}
    assert sdk.user()["meta"] == {"Name": "Ada", **(patched or {})}
