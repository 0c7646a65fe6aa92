"""FakeParagon's state: metadata merges, uninstall, workflows, App Events, triggers, credentials and configurations."""

from __future__ import annotations

from typing import Any

import pytest
from useparagon.testing import AppEvent, FakeParagon, FakeWorkflow, WorkflowTrigger

from tests.testing.support import Api

SYNC_SF = ("salesforce", "Sync Contacts to Salesforce")
SLACK_UPDATES = ("slack", "Send Updates to Slack")


def test_patch_me_merges_metadata(api: Api) -> None:
    """PATCH /sdk/me merges top-level keys into the metadata and answers the updated user."""
    api.fake.user("u1").set_meta(Name="Ada", plan="free")
    response = api.call("PATCH", "/sdk/me", json={"meta": {"Email": "ada@example.com", "plan": "pro"}})
    assert response.status_code == 200
    assert response.json()["meta"] == {"Name": "Ada", "plan": "pro", "Email": "ada@example.com"}
    assert api.fake.user("u1").meta == {"Name": "Ada", "plan": "pro", "Email": "ada@example.com"}
    assert api.call("GET", "/sdk/me").json()["meta"] == api.fake.user("u1").meta


@pytest.mark.parametrize(
    ("body", "prop"),
    [
        ({}, "meta"),
        ({"meta": "x"}, "meta"),
        ({"meta": []}, "meta"),
        ({"meta": {"Email": 5}}, "meta.Email"),
        ({"meta": {"Name": None}}, "meta.Name"),
        ([], "body"),
    ],
)
def test_patch_me_validates(api: Api, body: Any, prop: str) -> None:
    """An invalid metadata body gets 400 in class-validator's shape, naming the property, and changes nothing."""
    response = api.call("PATCH", "/sdk/me", json=body)
    assert response.status_code == 400
    assert response.json()["message"][0]["property"] == prop
    assert api.fake.user("u1").meta == {}


@pytest.mark.parametrize(
    ("content", "message"), [(b"{not json", "Request body is not valid JSON."), (b"", "Request body is required.")]
)
def test_patch_me_needs_a_json_body(api: Api, content: bytes, message: str) -> None:
    """A body that is not JSON, or none at all, gets 400 with a plain message."""
    response = api.call("PATCH", "/sdk/me", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"message": message, "status": 400}


def test_users_are_created_on_first_sight(api: Api) -> None:
    """A new ``sub`` becomes a Connected User with every integration ``{"enabled": false}``, with an empty
    ``allCredentials`` (the JS SDK's ``authenticate()`` calls ``allCredentials.flatMap`` on every entry)."""
    body = api.call("GET", "/sdk/me", user="newcomer").json()
    assert body["userId"] == "newcomer"
    unconnected = {"enabled": False, "configuredWorkflows": {}, "allCredentials": []}
    assert body["integrations"] == dict.fromkeys(body["integrations"], unconnected)
    assert set(body["integrations"]) == {"salesforce", "hubspot", "slack", "googledrive", "freshdesk"}
    assert "newcomer" in api.fake.user_ids


def test_connected_state_in_me(api: Api) -> None:
    """A VALID credential is enabled with its ids and provider data; INVALID and PENDING ones are not enabled."""
    workflow = api.fake.workflow_id(*SYNC_SF)
    user = api.fake.user("u1").connect("salesforce").enable_workflow(workflow)
    user.connect("hubspot", status="INVALID").connect("slack", status="PENDING")
    integrations = api.call("GET", "/sdk/me").json()["integrations"]
    salesforce = integrations["salesforce"]
    assert salesforce["enabled"] is True
    assert salesforce["credentialStatus"] == "VALID"
    assert salesforce["credentialId"] == user.credential_ids("salesforce")[0]
    assert salesforce["providerData"] == {"instanceURL": "https://fake.my.salesforce.com"}
    assert salesforce["workflowSettings"] == {workflow: {"enabled": True, "settings": {}}}
    assert salesforce["configuredWorkflows"] == salesforce["workflowSettings"]
    assert (integrations["hubspot"]["enabled"], integrations["hubspot"]["credentialStatus"]) == (False, "INVALID")
    assert (integrations["slack"]["enabled"], integrations["slack"]["credentialStatus"]) == (False, "PENDING")
    assert integrations["googledrive"] == {"enabled": False, "configuredWorkflows": {}, "allCredentials": []}


def test_uninstall_removes_the_credential_and_its_workflows(api: Api) -> None:
    """DELETE /sdk/integrations/{id} disconnects the user: the credential and its enabled workflows are gone."""
    workflow = api.fake.workflow_id(*SYNC_SF)
    user = api.fake.user("u1").connect("salesforce").enable_workflow(workflow).connect("slack")
    response = api.call("DELETE", f"/sdk/integrations/{api.fake.integration_id('salesforce')}")
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert user.connected == {"slack": "VALID"}
    assert user.enabled_workflows == frozenset()
    assert api.call("GET", "/sdk/me").json()["integrations"]["salesforce"]["enabled"] is False
    again = api.call("DELETE", f"/sdk/integrations/{api.fake.integration_id('salesforce')}")
    assert again.status_code == 404
    assert again.json()["code"] == "integration_not_enabled"


def test_uninstall_one_of_several_accounts(api: Api) -> None:
    """With ``X-Paragon-Credential``, only that account is disconnected."""
    user = api.fake.user("u1").connect("slack").connect("slack")
    first, second = user.credential_ids("slack")
    response = api.call(
        "DELETE", f"/sdk/integrations/{api.fake.integration_id('slack')}", headers={"X-Paragon-Credential": first}
    )
    assert response.status_code == 200
    assert user.credential_ids("slack") == [second]


def test_uninstall_unknown_integration_id_gets_404(api: Api) -> None:
    """An id that is no integration of the project: 404 ``Integration not found.``."""
    response = api.call("DELETE", "/sdk/integrations/slack")
    assert response.json() == {"message": "Integration not found.", "status": 404}


def test_enable_and_disable_workflow(api: Api) -> None:
    """POST and DELETE /sdk/workflows/{id} turn a workflow on and off for the user."""
    workflow = api.fake.workflow_id(*SLACK_UPDATES)
    user = api.fake.user("u1").connect("slack")
    enabled = api.call("POST", f"/sdk/workflows/{workflow}")
    assert (enabled.status_code, enabled.json()) == (200, {"success": True})
    assert user.enabled_workflows == {workflow}
    disabled = api.call("DELETE", f"/sdk/workflows/{workflow}")
    assert (disabled.status_code, disabled.json()) == (200, {"success": True})
    assert user.enabled_workflows == frozenset()


@pytest.mark.parametrize(
    ("connect", "workflow", "status", "body"),
    [
        (
            None,
            "slack",
            404,
            {"message": "Integration not enabled for user.", "status": 404, "code": "integration_not_enabled"},
        ),
        (
            "INVALID",
            "slack",
            404,
            {"message": "Integration not enabled for user.", "status": 404, "code": "integration_not_enabled"},
        ),
        ("VALID", "no-such-workflow", 404, {"message": "Workflow not found.", "status": 404}),
    ],
)
def test_enable_workflow_errors(api: Api, connect: Any, workflow: str, status: int, body: dict[str, Any]) -> None:
    """Enabling needs a known workflow and a VALID credential for its integration."""
    if connect is not None:
        api.fake.user("u1").connect("slack", status=connect)
    workflow_id = api.fake.workflow_id(*SLACK_UPDATES) if workflow == "slack" else workflow
    response = api.call("POST", f"/sdk/workflows/{workflow_id}")
    assert (response.status_code, response.json()) == (status, body)


def test_trigger_without_response_step_answers_202(api: Api) -> None:
    """A Request-triggered workflow without a Response step answers 202 with no body, and the run is logged."""
    workflow = api.fake.workflow_id(*SLACK_UPDATES)
    api.fake.user("u1").connect("slack").enable_workflow(workflow)
    response = api.call(
        "POST", f"/sdk/triggers/{workflow}?source=test", json={"lead": "Ada"}, headers={"X-Trace": "t1"}
    )
    assert response.status_code == 202
    assert response.content == b""
    (run,) = api.fake.workflow_triggers
    assert run.user_id == "u1"
    assert run.workflow_id == workflow
    assert run.source == "request"
    assert run.body == {"lead": "Ada"}
    assert run.query == {"source": "test"}
    assert run.headers["x-trace"] == "t1"
    assert "authorization" not in {k.lower() for k in run.headers}


def test_trigger_with_response_step(api: Api) -> None:
    """A workflow given a response answers it (200 and the JSON), and the run is still logged."""
    workflow = api.fake.workflow_id(*SLACK_UPDATES)
    api.fake.set_workflow_response(workflow, {"status": "created", "leadId": "00Q1"})
    api.fake.user("u1").connect("slack").enable_workflow(workflow)
    response = api.call("POST", f"/sdk/triggers/{workflow}")
    assert (response.status_code, response.json()) == (200, {"status": "created", "leadId": "00Q1"})
    assert [t.body for t in api.fake.workflow_triggers] == [{}]
    api.fake.clear_workflow_response(workflow)
    assert api.call("POST", f"/sdk/triggers/{workflow}").status_code == 202


@pytest.mark.parametrize(
    ("setup", "status", "body"),
    [
        (
            "not enabled",
            404,
            {"message": "Workflow not enabled for user.", "status": 404, "code": "workflow_not_enabled"},
        ),
        (
            "disconnected",
            404,
            {"message": "Workflow not enabled for user.", "status": 404, "code": "workflow_not_enabled"},
        ),
        (
            "invalid credential",
            404,
            {"message": "Workflow not enabled for user.", "status": 404, "code": "workflow_not_enabled"},
        ),
    ],
)
def test_trigger_needs_an_enabled_workflow(api: Api, setup: str, status: int, body: dict[str, Any]) -> None:
    """Triggering a workflow that does not run for the user: 404 ``workflow_not_enabled``, nothing logged."""
    workflow = api.fake.workflow_id(*SLACK_UPDATES)
    user = api.fake.user("u1")
    if setup != "disconnected":
        user.connect("slack")
    if setup == "invalid credential":
        user.enable_workflow(workflow).set_credential_status("slack", "INVALID")
    response = api.call("POST", f"/sdk/triggers/{workflow}")
    assert (response.status_code, response.json()) == (status, body)
    assert api.fake.workflow_triggers == ()


def test_trigger_body_must_be_an_object(api: Api) -> None:
    """The trigger body is optional, but when sent it must be a JSON object."""
    workflow = api.fake.workflow_id(*SLACK_UPDATES)
    api.fake.user("u1").connect("slack").enable_workflow(workflow)
    response = api.call("POST", f"/sdk/triggers/{workflow}", json=[1, 2])
    assert response.status_code == 400
    assert response.json()["message"][0]["property"] == "body"


@pytest.mark.parametrize(("path", "version"), [("/sdk/events/trigger", "v1"), ("/v2", "v2")])
def test_app_events_are_logged_and_run_their_workflows(api: Api, path: str, version: str) -> None:
    """An App Event answers 201, is logged with its user, and runs each enabled workflow it triggers."""
    sync_sf = api.fake.workflow_id(*SYNC_SF)
    sync_hubspot = api.fake.workflow_id("hubspot", "Sync Contacts to HubSpot")
    api.fake.user("u1").connect("salesforce").enable_workflow(sync_sf).connect("hubspot")
    payload = {"email": "ada@example.com"}
    if version == "v2":
        response = api.client.post(
            f"/v2{api.root}/sdk/events/trigger",
            json={"name": "Contact Created", "payload": payload},
            headers={"Authorization": f"Bearer {api.fake.sign_user_token('u1')}"},
        )
    else:
        response = api.call("POST", path, json={"name": "Contact Created", "payload": payload})
    assert (response.status_code, response.content) == (201, b"")
    assert api.fake.events == (AppEvent("u1", "Contact Created", payload, None, None, version),)  # type: ignore[arg-type]
    assert api.fake.workflow_triggers == (WorkflowTrigger("u1", sync_sf, "app_event", payload, {}, {}),)
    assert sync_hubspot not in {t.workflow_id for t in api.fake.workflow_triggers}


@pytest.mark.parametrize(
    ("body", "prop"),
    [
        ({"payload": {}}, "name"),
        ({"name": "", "payload": {}}, "name"),
        ({"name": 3, "payload": {}}, "name"),
        ({"name": "E"}, "payload"),
        ({"name": "E", "payload": [1]}, "payload"),
    ],
)
def test_app_event_validation(api: Api, body: dict[str, Any], prop: str) -> None:
    """An App Event needs a non-empty ``name`` and an object ``payload``; invalid ones are not logged."""
    response = api.call("POST", "/sdk/events/trigger", json=body)
    assert response.status_code == 400
    assert response.json()["message"][0]["property"] == prop
    assert api.fake.events == ()


def test_credentials_list_and_get(api: Api) -> None:
    """GET /sdk/credentials lists the user's accounts; GET /sdk/credentials/{id} returns one, or 404."""
    user = api.fake.user("u1").connect("salesforce", credential_id="cred-1", provider_id="005xx")
    listed = api.call("GET", "/sdk/credentials").json()
    assert [(c["id"], c["status"], c["providerId"]) for c in listed] == [("cred-1", "VALID", "005xx")]
    assert listed[0]["integrationId"] == api.fake.integration_id("salesforce")
    assert listed[0]["projectId"] == api.fake.project_id
    assert api.call("GET", "/sdk/credentials/cred-1").json() == listed[0]
    assert api.call("GET", "/sdk/credentials/cred-1", user="someone-else").status_code == 404
    assert user.credential_ids("salesforce") == ["cred-1"]


def test_update_credential_replaces_settings_and_reports_unknown_workflows(api: Api) -> None:
    """PATCH /sdk/credentials/{id} replaces User Settings; unknown workflow ids come back in ``errors``."""
    workflow = api.fake.workflow_id(*SLACK_UPDATES)
    user = api.fake.user("u1").connect("slack", credential_id="c1")
    config = {"sharedSettings": {"channel": "C1"}, "workflowSettings": {workflow: {"enabled": True}, "nope": {}}}
    response = api.call("PATCH", "/sdk/credentials/c1", json={"config": config})
    body = response.json()
    assert response.status_code == 200
    assert body["errors"] == ["Unknown workflow nope."]
    assert body["configurations"][0]["sharedSettings"] == {"channel": "C1"}
    assert body["configurations"][0]["workflowSettings"] == {workflow: {"enabled": True, "settings": {}}}
    assert user.enabled_workflows == {workflow}


def test_configurations_lifecycle(api: Api) -> None:
    """Create (201), update by id or ``ext:``, and delete a configuration; the default one cannot be deleted."""
    api.fake.user("u1").connect("slack", credential_id="c1")
    created = api.call("POST", "/sdk/credentials/c1/configurations", json={"externalId": "ws-42"})
    assert created.status_code == 201
    default, added = created.json()["configurations"]
    assert (default["isDefault"], added["isDefault"], added["externalId"]) == (True, False, "ws-42")
    duplicate = api.call("POST", "/sdk/credentials/c1/configurations", json={"externalId": "ws-42"})
    assert duplicate.status_code == 400
    updated = api.call(
        "PATCH",
        "/sdk/credentials/c1/configurations",
        json={"meta": {"region": "eu"}},
        headers={"X-Paragon-Configuration-Id": "ext:ws-42"},
    )
    assert updated.json()["configurations"][1]["configMeta"]["region"] == "eu"
    refused = api.call(
        "DELETE", "/sdk/credentials/c1/configurations", headers={"X-Paragon-Configuration-Id": default["id"]}
    )
    assert refused.json() == {"message": "The default configuration cannot be deleted.", "status": 400}
    deleted = api.call(
        "DELETE", "/sdk/credentials/c1/configurations", headers={"X-Paragon-Configuration-Id": added["id"]}
    )
    assert (deleted.status_code, deleted.json()) == (200, {"success": True})
    missing = api.call("DELETE", "/sdk/credentials/c1/configurations")
    assert missing.status_code == 400
    assert missing.json()["message"][0]["property"] == "X-Paragon-Configuration-Id"


def test_configuration_needs_a_valid_credential(api: Api) -> None:
    """Configurations are added to VALID credentials only."""
    api.fake.user("u1").connect("slack", credential_id="c1", status="PENDING")
    response = api.call("POST", "/sdk/credentials/c1/configurations", json={})
    assert response.json() == {"message": "Configurations can only be added to a VALID credential.", "status": 400}


def test_list_integrations_reflects_the_user(api: Api) -> None:
    """GET /sdk/integrations shows each integration's portal config and workflows, and ``hasCredential``."""
    api.fake.user("u1").connect("slack")
    integrations = {i["type"]: i for i in api.call("GET", "/sdk/integrations").json()}
    slack = integrations["slack"]
    assert slack["hasCredential"] is True
    assert integrations["salesforce"]["hasCredential"] is False
    assert [w["description"] for w in slack["workflows"]] == ["Send Updates to Slack", "Notify Slack of New Leads"]
    assert slack["configs"][0]["values"]["accentColor"] == "#4A154B"
    assert list(slack["configs"][0]["values"]["workflowMeta"]) == [w["id"] for w in slack["workflows"]]


def test_add_integration_with_workflows(api: Api) -> None:
    """``add_integration`` adds a type with its workflows, App Event triggers, responses and actions."""
    api.fake.add_integration(
        "pipedrive",
        name="Pipedrive",
        brand_color="#1A1A1A",
        workflows=["Sync Deals", FakeWorkflow("Create Person", app_event="Person Added", default_enabled=True)],
        actions={"PIPEDRIVE_CREATE_DEAL": "Create a deal"},
    )
    sync_deals = api.fake.workflow_id("pipedrive", "Sync Deals")
    create_person = api.fake.workflow_id("pipedrive", "Create Person")
    user = api.fake.user("u1").connect("pipedrive")
    assert user.enabled_workflows == {create_person}
    assert {
        "type": "pipedrive",
        "name": "Pipedrive",
        "brandColor": "#1A1A1A",
        "icon": "https://cdn.useparagon.com/latest/dashboard/public/integrations/pipedrive.svg",
    } in api.call("GET", "/sdk/metadata").json()
    api.call("POST", "/sdk/events/trigger", json={"name": "Person Added", "payload": {"id": 1}})
    assert [(t.workflow_id, t.source) for t in api.fake.workflow_triggers] == [(create_person, "app_event")]
    actions = api.call("GET", "/actions").json()["actions"]
    assert [a["function"]["name"] for a in actions["pipedrive"]] == ["PIPEDRIVE_CREATE_DEAL"]
    assert sync_deals != create_person


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda f: f.add_integration("slack"), "already has an integration 'slack'"),
        (lambda f: f.add_integration(""), "non-empty short name"),
        (lambda f: f.workflow_id("slack", "Nope"), "slack has no workflow 'Nope'"),
        (lambda f: f.workflow_id("zendesk", "Nope"), "no integration 'zendesk'"),
        (lambda f: f.user("u1").connect("zendesk"), "no integration 'zendesk'"),
        (lambda f: f.user("u1").connect("slack", status="BROKEN"), "status must be one of VALID, INVALID, PENDING"),
        (lambda f: f.user("u1").enable_workflow(f.workflow_id(*SLACK_UPDATES)), "no VALID slack credential"),
        (lambda f: f.user("u1").enable_workflow("nope"), "no workflow 'nope'"),
        (lambda f: f.user(""), "user_id must not be empty"),
        (lambda f: f.set_workflow_response("nope", {}), "no workflow 'nope'"),
    ],
)
def test_builder_misuse_raises(fake: FakeParagon, call: Any, error: str) -> None:
    """Setting up an impossible scenario fails at once with a message that says why."""
    with pytest.raises((ValueError, KeyError), match=error):
        call(fake)


def test_actions(api: Api) -> None:
    """ActionKit lists the connected integrations' actions and runs them; a custom handler answers for one."""
    assert api.call("GET", "/actions").json() == {"actions": {}, "errors": []}
    everything = api.call("GET", "/actions?limit_to_available=false").json()["actions"]
    assert set(everything) == {"salesforce", "hubspot", "slack", "googledrive", "freshdesk"}
    api.fake.user("u1").connect("slack")
    message = {"channel": "C1", "message": "hi"}
    ran = api.call("POST", "/actions", json={"action": "SLACK_SEND_MESSAGE", "parameters": message})
    assert ran.json() == {"ok": True, "channel": "C1", "ts": "1700000000.000100"}
    api.fake.on_action("SLACK_SEND_MESSAGE", lambda run: {"echo": dict(run.parameters), "user": run.user_id})
    custom = api.call("POST", "/actions", json={"action": "SLACK_SEND_MESSAGE", "parameters": {**message, "x": 1}})
    assert custom.json() == {"echo": {**message, "x": 1}, "user": "u1"}
    # Parameters that do not fit the action's JSON Schema are refused before it runs.
    short = api.call("POST", "/actions", json={"action": "SLACK_SEND_MESSAGE", "parameters": {"channel": "C1"}})
    assert (short.status_code, short.json()["message"]) == (
        400,
        [{"property": "parameters", "constraints": {"schema": "message is required"}}],
    )
    assert [r.action for r in api.fake.action_runs] == ["SLACK_SEND_MESSAGE", "SLACK_SEND_MESSAGE"]
    not_connected = api.call("POST", "/actions", json={"action": "SALESFORCE_CREATE_RECORD", "parameters": {}})
    assert not_connected.json()["code"] == "integration_not_enabled"
    unknown = api.call("POST", "/actions", json={"action": "NOPE", "parameters": {}})
    assert unknown.json() == {"message": "Action 'NOPE' not found.", "status": 404}
    bad = api.call("GET", "/actions?reload_fields=maybe")
    assert bad.status_code == 400
    unknown_query = api.call("GET", "/actions?limit=5")
    assert unknown_query.json() == {
        "message": [{"property": "limit", "constraints": {"whitelistValidation": "property limit should not exist"}}],
        "status": 400,
    }


def test_clear_logs_keeps_state(api: Api) -> None:
    """``clear_logs`` empties the event, trigger, action and request logs but keeps users and credentials."""
    api.fake.user("u1").connect("slack")
    api.call("POST", "/sdk/events/trigger", json={"name": "E", "payload": {}})
    api.fake.clear_logs()
    assert (api.fake.events, api.fake.workflow_triggers, api.fake.requests, api.fake.action_runs) == ((), (), (), ())
    assert api.fake.user("u1").connected == {"slack": "VALID"}
