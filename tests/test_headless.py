"""The JS SDK's headless calls from Python: User Settings, configurations, account details, field options, workflow
state in bulk, the trigger catalog, custom-webhook URLs and custom proxy URLs.

The exact requests of the calls that make several (the one-request calls are in test_requests.py's table), the
refusals before any I/O, and every call against FakeParagon, for both flavours.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    AccountAuth,
    APIResponseValidationError,
    AuthenticatedUser,
    CredentialNotFoundError,
    FieldOptions,
    IntegrationNotInstalledError,
    InvalidRequestError,
    NotFoundError,
    UserSettingsUpdate,
    WorkflowNotFoundError,
    WorkflowStateUpdate,
)
from useparagon.testing import FakeParagon, FakeWorkflow

from tests.support import (
    API,
    PROJECT_ID,
    PROXY,
    Harness,
    MakeHarness,
    SessionCall,
    case,
    json_response,
    trusting_fake,
    unchecked,
)

P = f"/projects/{PROJECT_ID}"
CRED = "00da4146-7ac4-4253-a8f7-96849b8137d9"
OTHER_CRED = "5d1f4e7a-0b2c-4d3e-8f9a-1b2c3d4e5f60"
DEFAULT_CONF = "conf-default"
WORKFLOW = "wf-1"
SLACK_ID = "int-slack"


def _credential(credential_id: str = CRED, status: str = "VALID") -> dict[str, Any]:
    return {
        "id": credential_id,
        "status": status,
        "integrationId": SLACK_ID,
        "configurations": [
            {
                "id": DEFAULT_CONF,
                "isDefault": True,
                "sharedSettings": {"channel": "C1", "keep": True},
                "workflowSettings": {
                    WORKFLOW: {"enabled": True, "settings": {"a": 1, "b": 2}},
                    "wf-2": {"enabled": False, "settings": {}},
                },
            },
            {"id": "conf-ws", "isDefault": False, "externalId": "ws-42", "sharedSettings": {}, "workflowSettings": {}},
        ],
    }


def _user(*credentials: dict[str, Any], current: str | None = CRED) -> dict[str, Any]:
    state: dict[str, Any] = {"enabled": bool(credentials), "allCredentials": list(credentials)}
    if current is not None:
        state["credentialId"] = current
    return {
        "authenticated": True,
        "userId": "user-123",
        "integrations": {"slack": state, "hubspot": {"enabled": False, "allCredentials": []}},
    }


USER = _user(_credential(), _credential(OTHER_CRED))
INTEGRATIONS = [
    {
        "id": SLACK_ID,
        "type": "slack",
        "isActive": True,
        "configs": [],
        "workflows": [
            {"id": WORKFLOW, "integrationId": SLACK_ID, "customWebhookTriggerId": "hook-1"},
            {"id": "wf-2", "integrationId": SLACK_ID},
            {"id": "wf-res", "integrationId": SLACK_ID, "customWebhookTriggerId": "hook-2", "resourceId": "res-1"},
        ],
    }
]


def paragon(
    me: dict[str, Any] = USER, updated: dict[str, Any] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    """Paragon's side of the headless calls, enough for exact-request tests."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(P)
        if (request.method, path) == ("GET", "/sdk/me"):
            return json_response(200, me)
        if (request.method, path) == ("GET", "/sdk/integrations"):
            return json_response(200, INTEGRATIONS)
        if request.method == "PATCH" and path.startswith("/sdk/credentials/"):
            answer = updated if updated is not None else {**_credential(), "errors": ["channel is not a channel"]}
            return json_response(200, answer)
        if (request.method, path) == ("GET", f"/sdk/credentials/{CRED}"):
            return json_response(200, _credential())
        if request.method == "DELETE" and path.endswith("/configurations"):
            return json_response(200, {"success": True})
        if path == "/triggers":
            return json_response(200, {"triggers": {"slack": []}})
        raise AssertionError(f"unexpected {request.method} {request.url}")

    return handler


def _sent(harness: Harness) -> list[tuple[str, str]]:
    return [(request.method, str(request.url)) for request in harness.requests]


def _body(request: httpx.Request) -> Any:
    return json.loads(request.content)


# -- User Settings ---------------------------------------------------------------------------------------------------


def test_integration_settings_read_the_state_then_send_the_merged_shared_settings(make_harness: MakeHarness) -> None:
    """GET /sdk/me, then PATCH the current credential's default configuration with every shared setting (the old
    ones merged with the new), the targeting headers as the JS SDK sends them, and no workflow settings."""
    harness = make_harness(paragon())
    result = harness.run(harness.session.update_integration_user_settings("slack", {"channel": "C2", "new": [1]}))
    _get, patch = harness.requests
    assert _sent(harness) == [("GET", f"{API}{P}/sdk/me"), ("PATCH", f"{API}{P}/sdk/credentials/{CRED}")]
    assert patch.headers["x-paragon-credential"] == CRED
    assert patch.headers["x-paragon-configuration-id"] == DEFAULT_CONF
    assert patch.headers["content-type"] == "application/json"
    assert patch.content == b'{"config":{"sharedSettings":{"channel":"C2","keep":true,"new":[1]}}}'
    assert isinstance(result, UserSettingsUpdate)
    assert result.errors == ["channel is not a channel"]
    assert not result.ok
    assert result.credential.id == CRED
    assert result.configuration is not None
    assert result.configuration.id == DEFAULT_CONF


def test_workflow_settings_send_every_workflow_with_one_merged(make_harness: MakeHarness) -> None:
    """The workflow's settings are merged; every other workflow's entry goes along unchanged, shared settings not."""
    harness = make_harness(paragon(updated=_credential()))
    result = harness.run(harness.session.update_workflow_user_settings("slack", WORKFLOW, {"b": 3, "c": None}))
    patch = harness.requests[1]
    assert _body(patch) == {
        "config": {
            "workflowSettings": {
                WORKFLOW: {"enabled": True, "settings": {"a": 1, "b": 3, "c": None}},
                "wf-2": {"enabled": False, "settings": {}},
            }
        }
    }
    assert result.ok
    assert result.errors == []


def test_settings_target_the_chosen_credential_and_configuration(make_harness: MakeHarness) -> None:
    """``credential_id`` and ``configuration_id`` (here ``ext:<externalId>``) pick what the PATCH targets."""
    harness = make_harness(paragon())
    harness.run(
        harness.session.update_integration_user_settings(
            "slack", {"x": 1}, credential_id=OTHER_CRED, configuration_id="ext:ws-42"
        )
    )
    patch = harness.requests[1]
    assert str(patch.url) == f"{API}{P}/sdk/credentials/{OTHER_CRED}"
    assert (patch.headers["x-paragon-credential"], patch.headers["x-paragon-configuration-id"]) == (
        OTHER_CRED,
        "conf-ws",
    )
    assert _body(patch) == {"config": {"sharedSettings": {"x": 1}}}


LOOKUPS: list[tuple[str, dict[str, Any], SessionCall, type[Exception], str]] = [
    ("not in the project", USER, lambda s: s.update_integration_user_settings("asana", {}),
     IntegrationNotInstalledError, "not an integration of this project"),
    ("not connected", USER, lambda s: s.update_integration_user_settings("hubspot", {}),
     CredentialNotFoundError, "has not connected 'hubspot'"),
    ("unknown credential", USER, lambda s: s.update_integration_user_settings("slack", {}, credential_id="nope"),
     CredentialNotFoundError, "no 'slack' credential with the id 'nope'"),
    ("invalid credential", _user(_credential(status="INVALID")),
     lambda s: s.update_integration_user_settings("slack", {}), CredentialNotFoundError, "INVALID (not VALID)"),
    ("unknown configuration", USER,
     lambda s: s.update_integration_user_settings("slack", {}, configuration_id="conf-x"),
     CredentialNotFoundError, "no configuration 'conf-x'"),
    ("workflow not configured", USER, lambda s: s.update_workflow_user_settings("slack", "wf-9", {}),
     WorkflowNotFoundError, "enable it first"),
]  # fmt: skip


@pytest.mark.parametrize(("me", "call", "error", "says"), [row[1:] for row in LOOKUPS], ids=[row[0] for row in LOOKUPS])
def test_settings_lookups_fail_after_reading_the_state_only(
    make_harness: MakeHarness, me: dict[str, Any], call: SessionCall, error: type[Exception], says: str
) -> None:
    """What the JS SDK refuses from its state is refused after GET /sdk/me, with a typed LookupError, unsent."""
    harness = make_harness(paragon(me))
    with pytest.raises(error) as caught:
        harness.run(call(harness.session))
    assert isinstance(caught.value, LookupError)
    assert says in str(caught.value)
    assert _sent(harness) == [("GET", f"{API}{P}/sdk/me")]


# -- Configurations --------------------------------------------------------------------------------------------------


def test_destroy_configuration_reads_the_credential_then_deletes(make_harness: MakeHarness) -> None:
    """GET the credential (to refuse the default configuration, as the JS SDK does), then DELETE with both headers."""
    harness = make_harness(paragon())
    assert harness.run(harness.session.destroy_configuration("ext:ws-42", credential_id=CRED)) is None
    _get, delete = harness.requests
    assert _sent(harness) == [
        ("GET", f"{API}{P}/sdk/credentials/{CRED}"),
        ("DELETE", f"{API}{P}/sdk/credentials/{CRED}/configurations"),
    ]
    assert (delete.headers["x-paragon-credential"], delete.headers["x-paragon-configuration-id"]) == (CRED, "conf-ws")
    assert delete.content == b""


@pytest.mark.parametrize(
    ("configuration", "error", "says"),
    [(DEFAULT_CONF, InvalidRequestError, "default configuration cannot be destroyed"),
     ("conf-x", CredentialNotFoundError, "has no configuration 'conf-x'")],
    ids=["default", "unknown"],
)  # fmt: skip
def test_destroy_configuration_refuses_before_deleting(
    make_harness: MakeHarness, configuration: str, error: type[Exception], says: str
) -> None:
    """The default configuration, or one the credential does not have: refused after the GET, nothing deleted."""
    harness = make_harness(paragon())
    with pytest.raises(error, match=says):
        harness.run(harness.session.destroy_configuration(configuration, credential_id=CRED))
    assert [method for method, _ in _sent(harness)] == ["GET"]


# -- Field options ---------------------------------------------------------------------------------------------------


def _pages(*answers: Any) -> Callable[[httpx.Request], httpx.Response]:
    replies = list(answers)

    def handler(_request: httpx.Request) -> httpx.Response:
        return json_response(200, replies.pop(0))

    return handler


def _drain(harness: Harness, pages: Any) -> list[FieldOptions]:
    if hasattr(pages, "__next__"):
        return list(pages)

    async def collect() -> list[FieldOptions]:
        return [page async for page in pages]

    result: list[FieldOptions] = harness.run(collect())
    return result


def test_iter_field_options_follows_the_cursor_to_the_last_page(make_harness: MakeHarness) -> None:
    """Each page's nextPageCursor is the next request's pageCursor; an empty cursor ends the iteration."""
    harness = make_harness(
        _pages(
            {"output": {"records": [{"label": "a", "value": 1}], "nextPageCursor": "c2"}},
            {"output": {"records": [{"label": "b", "value": 2}], "nextPageCursor": 3}},
            {"output": {"records": [{"label": "c", "value": 3}], "nextPageCursor": ""}},
        )
    )
    pages = harness.session.iter_field_options("slack", action="channels", search="x")
    assert harness.requests == []  # nothing is sent until the loop asks
    got = _drain(harness, pages)
    assert [page.data[0]["label"] for page in got] == ["a", "b", "c"]
    assert [_body(r)["paginationParameters"] for r in harness.requests] == [
        {"pageCursor": 0, "search": "x"},
        {"pageCursor": "c2", "search": "x"},
        {"pageCursor": 3, "search": "x"},
    ]


def test_iter_field_options_stops_a_looping_source(make_harness: MakeHarness) -> None:
    """A cursor given twice raises APIResponseValidationError instead of requesting forever."""
    looping = {"output": {"records": [], "nextPageCursor": "same"}}
    harness = make_harness(_pages(looping, looping, looping))
    with pytest.raises(APIResponseValidationError, match="looping"):
        _drain(harness, harness.session.iter_field_options("slack", action="channels"))
    assert len(harness.requests) == 2


# -- Workflow state --------------------------------------------------------------------------------------------------


def test_update_workflow_state_changes_each_and_reports_failures(make_harness: MakeHarness) -> None:
    """POST (enable) or DELETE (disable) per workflow, in order; a refused one is reported and the rest go on."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/wf-bad"):
            return json_response(404, {"message": "Workflow not found.", "status": 404})
        return json_response(200, {"success": True})

    harness = make_harness(handler)
    result = harness.run(
        harness.session.update_workflow_state(
            {"wf-a": True, "wf-bad": True, "wf-c": False}, credential_id=CRED, configuration_id=DEFAULT_CONF
        )
    )
    assert _sent(harness) == [
        ("POST", f"{API}{P}/sdk/workflows/wf-a"),
        ("POST", f"{API}{P}/sdk/workflows/wf-bad"),
        ("DELETE", f"{API}{P}/sdk/workflows/wf-c"),
    ]
    assert all(r.headers["x-paragon-configuration-id"] == DEFAULT_CONF for r in harness.requests)
    assert isinstance(result, WorkflowStateUpdate)
    assert result.updated == ["wf-a", "wf-c"]
    (failure,) = result.errors
    assert failure.workflow_id == "wf-bad"
    assert isinstance(failure.error, NotFoundError)
    assert "Workflow not found." in failure.message
    assert not result.ok


# -- Triggers and custom webhooks ------------------------------------------------------------------------------------


def test_get_triggers_without_a_credential_uses_the_current_one(make_harness: MakeHarness) -> None:
    """X-Paragon-Credential is required: without credential_id it is the user's current credential from /sdk/me."""
    harness = make_harness(paragon())
    harness.run(harness.session.get_triggers("slack"))
    assert [method for method, _ in _sent(harness)] == ["GET", "GET"]
    assert harness.requests[1].headers["x-paragon-credential"] == CRED
    assert str(harness.requests[1].url) == f"https://actionkit.useparagon.com{P}/triggers?integrations=slack"


WEBHOOKS: list[tuple[str, dict[str, Any], SessionCall, str, list[str]]] = [
    ("the current credential", {}, lambda s: s.get_custom_webhook_user_manual_url(WORKFLOW),
     f"https://hermes.useparagon.com/triggers/connect/{PROJECT_ID}/{SLACK_ID}/custom-triggers/hook-1?id={CRED}",
     ["/sdk/integrations", "/sdk/me"]),
    ("a chosen credential, no state read", {},
     lambda s: s.get_custom_webhook_user_manual_url(WORKFLOW, credential_id=OTHER_CRED),
     f"https://hermes.useparagon.com/triggers/connect/{PROJECT_ID}/{SLACK_ID}/custom-triggers/hook-1"
     f"?id={OTHER_CRED}", ["/sdk/integrations"]),
    ("self-hosted", {"host": "mycompany.paragon.so"}, lambda s: s.get_custom_webhook_user_manual_url(WORKFLOW),
     f"https://hermes.mycompany.paragon.so/triggers/connect/{PROJECT_ID}/{SLACK_ID}/custom-triggers/hook-1?id={CRED}",
     ["/sdk/integrations", "/sdk/me"]),
    ("hermes_url override", {"hermes_url": "https://hooks.example.com/paragon/"},
     lambda s: s.get_custom_webhook_user_manual_url(WORKFLOW, credential_id=CRED),
     f"https://hooks.example.com/paragon/triggers/connect/{PROJECT_ID}/{SLACK_ID}/custom-triggers/hook-1?id={CRED}",
     ["/sdk/integrations"]),
    ("a resource's workflow", {}, lambda s: s.get_custom_webhook_user_manual_url("wf-res", credential_id=CRED),
     f"https://hermes.useparagon.com/triggers/connect/{PROJECT_ID}/int-res/custom-triggers/hook-2?id=cred-res",
     ["/sdk/integrations", "/sdk/me"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("options", "call", "url", "paths"), [row[1:] for row in WEBHOOKS], ids=[row[0] for row in WEBHOOKS]
)
def test_custom_webhook_url_is_built_not_requested(
    make_harness: MakeHarness, options: dict[str, str], call: SessionCall, url: str, paths: list[str]
) -> None:
    """The JS SDK's getCustomWebhookUserManualUrl: hermes host, integration, trigger id and credential; the URL itself
    is never requested (only Paragon's state is read)."""
    me = {**USER, "resources": [{"id": "res-1", "integrationId": "int-res", "credentialId": "cred-res"}]}
    harness = make_harness(paragon(me), **options)
    assert harness.run(call(harness.session)) == url
    assert [r.url.path.removeprefix(P) for r in harness.requests] == paths


@pytest.mark.parametrize(
    ("workflow", "says"), [("wf-2", "has no custom webhook trigger"), ("wf-9", "no workflow 'wf-9'")]
)
def test_custom_webhook_url_of_an_unknown_workflow(make_harness: MakeHarness, workflow: str, says: str) -> None:
    """A workflow without a custom webhook trigger, or none at all: WorkflowNotFoundError (a LookupError)."""
    harness = make_harness(paragon())
    with pytest.raises(WorkflowNotFoundError, match=says) as caught:
        harness.run(harness.session.get_custom_webhook_user_manual_url(workflow))
    assert caught.value.workflow_id == workflow


# -- Refused before any I/O ------------------------------------------------------------------------------------------

BAD_INPUT: list[Any] = [
    case(lambda s: s.update_integration_user_settings("slack", unchecked([("a", 1)])), "settings not a dict"),
    case(lambda s: s.update_integration_user_settings("slack", {"n": float("nan")}), "settings not JSON"),
    case(lambda s: s.update_integration_user_settings("sl/ack", {}), "integration with a slash"),
    case(lambda s: s.update_workflow_user_settings("slack", "../x", {}), "workflow id dot-segment"),
    case(lambda s: s.update_integration_user_settings("slack", {}, configuration_id="a\r\nb"), "configuration CRLF"),
    case(lambda s: s.create_configuration(CRED, external_id="  "), "blank external id"),
    case(lambda s: s.create_configuration(unchecked(None)), "no credential id"),
    case(lambda s: s.update_configuration("", {}, credential_id=CRED), "empty configuration id"),
    case(lambda s: s.update_configuration("c", unchecked("meta"), credential_id=CRED), "meta not a dict"),
    case(lambda s: s.destroy_configuration("c", credential_id="a/b"), "credential id with a slash"),
    case(lambda s: s.get_integration_account("slack", include_account_auth=unchecked("yes")), "flag not a bool"),
    case(lambda s: s.get_integration_account("slack", credential_id="x\n"), "credential header LF"),
    case(lambda s: s.get_field_options("slack"), "neither action nor source"),
    case(lambda s: s.get_field_options("slack", action="a", source={"cacheKey": "b"}), "both action and source"),
    case(lambda s: s.get_field_options("slack", source={"title": "no key"}), "source without cacheKey"),
    case(lambda s: s.get_field_options("slack", action="a", cursor=unchecked(True)), "bool cursor"),
    case(lambda s: s.get_field_options("slack", action="a", search=unchecked(3)), "search not a str"),
    case(lambda s: s.get_field_options("slack", action="a", parameters=[{"value": 1}]), "KeyedSource without key"),
    case(lambda s: s.get_field_options("slack", action="a", parameters=unchecked("p")), "parameters a str"),
    case(lambda s: s.iter_field_options("slack"), "iterator without a source"),
    case(lambda s: s.update_workflow_state({"wf": unchecked("yes")}), "state not a bool"),
    case(lambda s: s.update_workflow_state({"a/b": True}), "workflow id with a slash"),
    case(lambda s: s.update_workflow_state({"wf": True}, configuration_id="c"), "configuration without credential"),
    case(lambda s: s.get_triggers("sl ack"), "integration with a space"),
    case(lambda s: s.get_custom_webhook_user_manual_url(".."), "webhook workflow dot-segment"),
]


@pytest.mark.parametrize("call", BAD_INPUT)
def test_bad_input_is_refused_before_any_request(make_harness: MakeHarness, call: SessionCall) -> None:
    """Every new call checks its input first: InvalidRequestError (a ValueError), and no request at all."""
    harness = make_harness(paragon())
    with pytest.raises(InvalidRequestError) as caught:
        harness.run(call(harness.session))
    assert isinstance(caught.value, ValueError)
    assert harness.requests == []


# -- Custom proxy URLs -----------------------------------------------------------------------------------------------

SECRET_KEY = "sk_live_PROXYURL0123"
BAD_URLS: list[tuple[str, dict[str, Any], str]] = [
    ("http, not https", {"url": f"http://api.example.com/x?key={SECRET_KEY}"}, "absolute https:// URL"),
    ("relative", {"url": f"/x?key={SECRET_KEY}"}, "absolute https:// URL"),
    ("userinfo", {"url": f"https://me:{SECRET_KEY}@api.example.com/x"}, "must not carry credentials"),
    ("fragment", {"url": f"https://api.example.com/x?key={SECRET_KEY}#top"}, "fragment"),
    ("whitespace", {"url": f"https://api.example.com/x y?key={SECRET_KEY}"}, "whitespace"),
    ("CRLF", {"url": f"https://api.example.com/x?key={SECRET_KEY}\r\nX-Evil: 1"}, "whitespace"),
    ("not a str", {"url": unchecked(b"https://api.example.com")}, "must be a str"),
    ("both a path and a url", {"path": "x", "url": "https://api.example.com/x"}, "either a path"),
    ("neither", {}, "path must be a str, not None"),
]


@pytest.mark.parametrize(("kwargs", "says"), [row[1:] for row in BAD_URLS], ids=[row[0] for row in BAD_URLS])
def test_proxy_url_is_refused_unless_absolute_https(
    make_harness: MakeHarness, kwargs: dict[str, Any], says: str
) -> None:
    """Only an absolute https URL without userinfo or fragment; refused before I/O, the URL never echoed."""
    harness = make_harness(paragon())
    with pytest.raises(InvalidRequestError, match=says) as caught:
        harness.run(harness.session.request("slack", **kwargs))
    assert SECRET_KEY not in str(caught.value)
    assert harness.requests == []


def test_the_user_token_only_goes_to_paragons_proxy(make_harness: MakeHarness) -> None:
    """With url=, every request goes to Paragon's proxy host; the provider host appears only in the header."""
    harness = make_harness(lambda request: json_response(200, {"output": 1}))
    harness.run(harness.session.request("slack", url="https://evil.example/steal"))
    harness.run(harness.session.request("slack", url="https://evil.example/steal", method="DELETE"))
    assert {request.url.host for request in harness.requests} == {"proxy.useparagon.com"}
    assert {request.headers["x-paragon-proxy-url"] for request in harness.requests} == {"https://evil.example/steal"}
    assert all(str(request.url) == f"{PROXY}{P}/sdk/proxy/slack" for request in harness.requests)


# -- Against FakeParagon ---------------------------------------------------------------------------------------------


@pytest.fixture
def fake(rsa_key: rsa.RSAPrivateKey) -> FakeParagon:
    """A FakeParagon that trusts the harness's tokens (same project, the public half of ``rsa_key``)."""
    return trusting_fake(rsa_key)


def _on_fake(make_harness: MakeHarness, fake: FakeParagon, **options: Any) -> Harness:
    return make_harness(fake.transport().handle_request, **options)


def test_user_settings_round_trip_on_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """Integration settings, then one workflow's: each change keeps the other part, as the user state then shows."""
    workflow = fake.workflow_id("slack", "Send Updates to Slack")
    fake.user("user-123").connect("slack").enable_workflow(workflow, {"mention": "@here"})
    harness = _on_fake(make_harness, fake)
    session = harness.session
    shared = harness.run(session.update_integration_user_settings("slack", {"channel": "C9"}))
    assert shared.ok
    assert shared.configuration is not None
    assert shared.configuration.shared_settings is not None
    result = harness.run(session.update_workflow_user_settings("slack", workflow, {"format": "short"}))
    assert result.ok
    user = harness.run(session.get_user())
    assert isinstance(user, AuthenticatedUser)
    state = user.integrations["slack"].to_dict()
    assert state["sharedSettings"] == {"channel": "C9"}
    assert state["workflowSettings"][workflow] == {
        "enabled": True,
        "settings": {"mention": "@here", "format": "short"},
    }
    with pytest.raises(WorkflowNotFoundError):
        harness.run(session.update_workflow_user_settings("slack", "not-a-workflow", {}))


def test_configurations_on_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """Create (addressable by external id), update its meta, destroy it; the default one is refused."""
    fake.user("user-123").connect("slack")
    (credential_id,) = fake.user("user-123").credential_ids("slack")
    harness = _on_fake(make_harness, fake)
    session = harness.session
    created = harness.run(session.create_configuration(credential_id, external_id="ws-1"))
    assert (created.external_id, created.is_default) == ("ws-1", False)
    plain = harness.run(session.create_configuration(credential_id))
    assert plain.id != created.id
    updated = harness.run(session.update_configuration("ext:ws-1", {"region": "eu"}, credential_id=credential_id))
    assert updated.id == created.id
    assert updated.to_dict()["configMeta"]["region"] == "eu"
    assert harness.run(session.destroy_configuration(created.id, credential_id=credential_id)) is None
    configurations = harness.run(session.get_credential(credential_id)).to_dict()["configurations"]
    ids = [c["id"] for c in configurations]
    assert created.id not in ids
    assert plain.id in ids
    default = next(c["id"] for c in configurations if c["isDefault"])
    with pytest.raises(InvalidRequestError):
        harness.run(session.destroy_configuration(default, credential_id=credential_id))


def test_integration_account_on_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """One object; accountAuth only when asked for, and its repr never shows the token."""
    fake.user("user-123").connect("googledrive")
    (auth,) = fake.user("user-123").account_auth("googledrive")
    harness = _on_fake(make_harness, fake)
    plain = harness.run(harness.session.get_integration_account("googledrive"))
    assert plain.type_ == "googledrive"
    assert plain.has_credential is True
    assert not isinstance(plain.account_auth, AccountAuth)
    account = harness.run(harness.session.get_integration_account("googledrive", include_account_auth=True))
    assert isinstance(account.account_auth, AccountAuth)
    token = account.account_auth["OAUTH_ACCESS_TOKEN"]
    assert token == auth["OAUTH_ACCESS_TOKEN"]
    assert token not in repr(account)
    assert repr(account.account_auth) == "AccountAuth([redacted])"
    with pytest.raises(NotFoundError):
        harness.run(harness.session.get_integration_account("hubspot"))


def test_field_options_on_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """A plain list (Salesforce objects), and pages followed to the end (Slack channels), with search."""
    fake.user("user-123").connect("salesforce").connect("slack")
    harness = _on_fake(make_harness, fake)
    objects = harness.run(harness.session.get_field_options("salesforce", action="objects"))
    assert [o["value"] for o in objects.data] == ["Account", "Contact", "Opportunity"]
    assert objects.next_page_cursor is None
    pages = _drain(harness, harness.session.iter_field_options("slack", source={"cacheKey": "channels"}))
    assert [[o["label"] for o in page.data] for page in pages] == [["#general", "#random"], ["#sales"]]
    found = harness.run(harness.session.get_field_options("slack", action="channels", search="SAL"))
    assert [o["label"] for o in found.data] == ["#sales"]
    with pytest.raises(NotFoundError):
        harness.run(harness.session.get_field_options("slack", action="no-such-source"))


def test_workflow_state_triggers_and_webhook_on_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """Bulk workflow state with one unknown workflow; the trigger catalog; a custom-webhook URL."""
    fake.add_integration("zendesk", workflows=[FakeWorkflow("Escalate", custom_webhook=True)])
    fake.user("user-123").connect("slack").connect("zendesk")
    updates = fake.workflow_id("slack", "Send Updates to Slack")
    escalate = fake.workflow_id("zendesk", "Escalate")
    harness = _on_fake(make_harness, fake)
    session = harness.session
    result = harness.run(session.update_workflow_state({updates: True, "missing-workflow": True, escalate: True}))
    assert result.updated == [updates, escalate]
    assert [error.workflow_id for error in result.errors] == ["missing-workflow"]
    assert fake.user("user-123").enabled_workflows == {updates, escalate}
    triggers = harness.run(session.get_triggers("slack"))
    assert [t.type_ for t in triggers.triggers["slack"]] == ["SLACK_MESSAGE_RECEIVED"]
    url = harness.run(session.get_custom_webhook_user_manual_url(escalate))
    (credential_id,) = fake.user("user-123").credential_ids("zendesk")
    assert url.startswith(f"https://hermes.useparagon.com/triggers/connect/{PROJECT_ID}/")
    assert url.endswith(f"?id={credential_id}")
    integrations = harness.run(session.get_integrations())
    zendesk = next(i for i in integrations if i.type_ == "zendesk")
    assert f"/{zendesk.id}/custom-triggers/{zendesk.workflows[0].custom_webhook_trigger_id}?" in url


def test_proxy_url_on_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """The provider sees the header's URL (path and query), the fake's echo shows it."""
    fake.user("user-123").connect("googledrive")
    harness = _on_fake(make_harness, fake)
    echoed = harness.run(
        harness.session.request(
            "googledrive", url="https://www.googleapis.com/upload/drive/v3/files", params={"uploadType": "media"}
        )
    )
    assert echoed["url"] == "https://www.googleapis.com/upload/drive/v3/files?uploadType=media"
    assert (echoed["path"], echoed["query"]) == ("upload/drive/v3/files", {"uploadType": "media"})
