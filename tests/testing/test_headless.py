"""FakeParagon's side of the headless calls: partial User Settings updates, the integration-account form of
``GET /sdk/credentials``, dynamic field options, the trigger catalog and proxy calls to a full URL."""

from __future__ import annotations

from typing import Any

import pytest
from useparagon.testing import FakeParagon, FakeWorkflow, ProxyRequest

from tests.testing.support import Api

SLACK_UPDATES = ("slack", "Send Updates to Slack")


def _connected(api: Api, integration: str = "slack") -> str:
    api.fake.user("u1").connect(integration)
    (credential_id,) = api.fake.user("u1").credential_ids(integration)
    return credential_id


def test_a_settings_patch_keeps_the_part_it_does_not_send(api: Api) -> None:
    """The JS SDK sends sharedSettings or workflowSettings alone: the other part stays as it was."""
    workflow = api.fake.workflow_id(*SLACK_UPDATES)
    credential_id = _connected(api)
    api.fake.user("u1").enable_workflow(workflow, {"mention": "@here"})
    shared = api.call("PATCH", f"/sdk/credentials/{credential_id}", json={"config": {"sharedSettings": {"c": 1}}})
    assert shared.status_code == 200
    (configuration,) = shared.json()["configurations"]
    assert configuration["workflowSettings"] == {workflow: {"enabled": True, "settings": {"mention": "@here"}}}
    flows = {workflow: {"enabled": True, "settings": {"mention": "@all"}}}
    answer = api.call("PATCH", f"/sdk/credentials/{credential_id}", json={"config": {"workflowSettings": flows}})
    (configuration,) = answer.json()["configurations"]
    assert configuration["sharedSettings"] == {"c": 1}
    assert configuration["workflowSettings"] == flows


def test_the_integration_account_form(api: Api) -> None:
    """``?integration=`` answers one object; ``accountAuth`` only with ``includeAccountAuth=true`` (the SDK's
    ``undefined`` means no); no account is a 404; a flag that is not a boolean is a 400."""
    _connected(api, "googledrive")
    (auth,) = api.fake.user("u1").account_auth("googledrive")
    with_token = api.call(
        "GET", "/sdk/credentials", params={"integration": "googledrive", "includeAccountAuth": "true"}
    )
    assert with_token.status_code == 200
    body = with_token.json()
    assert (body["type"], body["hasCredential"], body["accountAuth"]) == ("googledrive", True, auth)
    for flag in ("false", "undefined"):
        plain = api.call("GET", "/sdk/credentials", params={"integration": "googledrive", "includeAccountAuth": flag})
        assert "accountAuth" not in plain.json()
    assert api.call("GET", "/sdk/credentials", params={"integration": "hubspot"}).status_code == 404
    assert api.call("GET", "/sdk/credentials", params={"integration": "nope"}).status_code == 404
    bad = api.call("GET", "/sdk/credentials", params={"integration": "googledrive", "includeAccountAuth": "yes"})
    assert bad.status_code == 400
    assert isinstance(api.call("GET", "/sdk/credentials").json(), list)


def _options(api: Api, **body: Any) -> Any:
    sent = {"action": "slack", "sourceKey": "channels", "parameters": [], "paginationParameters": {"pageCursor": 0}}
    return api.call("POST", "/sdk/actions", json={**sent, **body})


def test_field_options_page_by_cursor_and_filter_by_search(api: Api) -> None:
    """Pages of ``page_size`` with a text cursor; ``search`` filters labels; ``set_field_options`` replaces a source."""
    _connected(api)
    first = _options(api).json()["output"]
    assert [o["label"] for o in first["records"]] == ["#general", "#random"]
    second = _options(api, paginationParameters={"pageCursor": first["nextPageCursor"]}).json()["output"]
    assert (second["records"], second["nextPageCursor"]) == ([{"label": "#sales", "value": "C0000000003"}], None)
    searched = _options(api, paginationParameters={"pageCursor": 0, "search": "RAN"}).json()["output"]
    assert [o["label"] for o in searched["records"]] == ["#random"]
    api.fake.set_field_options("slack", "users", [{"id": "nested", "title": "User"}])
    assert _options(api, sourceKey="users").json() == {"output": [{"id": "nested", "title": "User"}]}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"sourceKey": "nope"}, 404),
        ({"action": "nope"}, 404),
        ({"sourceKey": ""}, 400),
        ({"parameters": [{"value": 1}]}, 400),
        ({"paginationParameters": {"pageCursor": "x"}}, 400),
        ({"paginationParameters": {"pageCursor": 0, "search": 5}}, 400),
    ],
)
def test_field_options_refusals(api: Api, body: dict[str, Any], status: int) -> None:
    """Unknown sources and integrations are 404; malformed bodies and cursors 400."""
    _connected(api)
    assert _options(api, **body).status_code == status


def test_field_options_need_a_connected_integration(api: Api) -> None:
    """Without a VALID credential for the integration: 404 ``integration_not_enabled``."""
    assert _options(api).json()["code"] == "integration_not_enabled"


def test_the_trigger_catalog_needs_the_users_credential(api: Api) -> None:
    """``X-Paragon-Credential`` is required and must be the user's credential of that integration."""
    credential_id = _connected(api, "salesforce")
    answer = api.call(
        "GET", "/triggers", params={"integrations": "salesforce"}, headers={"X-Paragon-Credential": credential_id}
    )
    assert answer.status_code == 200
    assert [t["type"] for t in answer.json()["triggers"]["salesforce"]] == ["SALESFORCE_RECORD_CREATED"]
    assert api.call("GET", "/triggers", params={"integrations": "salesforce"}).status_code == 400
    other = api.call(
        "GET", "/triggers", params={"integrations": "salesforce"}, headers={"X-Paragon-Credential": "someone-else"}
    )
    assert other.status_code == 404


def test_custom_webhook_workflows_carry_their_trigger_id(fake: FakeParagon, api: Api) -> None:
    """``FakeWorkflow(custom_webhook=True)`` renders a stable ``customWebhookTriggerId``; others render null."""
    fake.add_integration("zendesk", workflows=[FakeWorkflow("Escalate", custom_webhook=True), "Plain"])
    integrations = api.call("GET", "/sdk/integrations").json()
    (zendesk,) = [i for i in integrations if i["type"] == "zendesk"]
    escalate, plain = zendesk["workflows"]
    assert isinstance(escalate["customWebhookTriggerId"], str)
    assert plain["customWebhookTriggerId"] is None


def test_a_proxy_call_to_a_full_url(fake: FakeParagon, api: Api) -> None:
    """With ``X-Paragon-Proxy-Url`` the provider handler sees that URL's path and query, and the URL itself."""
    _connected(api, "googledrive")
    seen: list[ProxyRequest] = []

    def provider(request: ProxyRequest) -> tuple[int, Any]:
        seen.append(request)
        return 200, {"ok": 1}

    fake.on_proxy("googledrive", "drive/v3/about", provider)
    url = "https://www.googleapis.com/drive/v3/about?fields=user"
    answer = api.call("GET", "/sdk/proxy/googledrive", headers={"X-Paragon-Proxy-Url": url})
    assert answer.json() == {"output": {"ok": 1}}
    (request,) = seen
    assert (request.url, request.path, dict(request.query)) == (url, "drive/v3/about", {"fields": "user"})


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Paragon-Proxy-Url": "http://api.example.com/x"}, {"X-Paragon-Proxy-Url": "https://u:p@api.example.com"}],
    ids=["missing", "http", "userinfo"],
)
def test_a_proxy_url_must_be_absolute_https(api: Api, headers: dict[str, str]) -> None:
    """No header, a non-https URL or one with userinfo: 400, and no provider is called."""
    _connected(api, "googledrive")
    assert api.call("POST", "/sdk/proxy/googledrive", headers=headers).status_code == 400
