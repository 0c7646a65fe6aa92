"""Connecting integrations from a backend: install_integration, complete_install, start_connect, wait_for_connection
and watch — the exact requests (as the JS SDK 2.4.0 sends them), the events fired, and refusals before any I/O.

FakeParagon's side of these calls is tested in tests/testing/test_connect.py, the browser flow in tests/browser/.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from useparagon import (
    AsyncParagon,
    AsyncUserSession,
    BadRequestError,
    ConnectLink,
    ConnectNotCompletedError,
    Credential,
    IntegrationAlreadyInstalledError,
    IntegrationNotInstalledError,
    InvalidRequestError,
    OAuthRequiredError,
)

from tests.support import API, PROJECT_ID, Harness, MakeHarness, SessionCall, case, json_response, unchecked

INTEGRATIONS = [
    {"id": "int-pd", "type": "pipedrive", "isActive": True, "configs": [], "workflows": [], "hasCredential": False,
     "authenticationType": "basic"},
    {"id": "int-hs", "type": "hubspot", "isActive": True, "configs": [], "workflows": [], "hasCredential": False,
     "authenticationType": "oauth"},
    {"id": "int-sf", "type": "salesforce", "isActive": True, "configs": [],
     "workflows": [{"id": "wf-1", "description": "Sync contacts"}], "hasCredential": True,
     "authenticationType": "oauth"},
]  # fmt: skip
CREDENTIAL = {"id": "cred-new", "integrationId": "int-pd", "status": "VALID", "projectId": PROJECT_ID}
ROOT = f"{API}/projects/{PROJECT_ID}"


def paragon(request: httpx.Request, integrations: list[dict[str, Any]] = INTEGRATIONS) -> httpx.Response:
    """Paragon's side of these calls, enough for exact-request tests."""
    path = request.url.path
    if request.method == "GET" and path.endswith("/sdk/integrations"):
        return json_response(200, integrations)
    if request.method == "POST" and path.endswith("/sdk/credentials"):
        return json_response(201, CREDENTIAL)
    if path.endswith("/sdk/actions/build-oauth"):
        return json_response(200, {"redirectUrl": "https://app.hubspot.com/oauth/authorize?client_id=1&state=s3cr3t"})
    raise AssertionError(f"unexpected {request.method} {request.url}")


def _body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def _events(harness: Harness) -> list[Any]:
    fired: list[Any] = []
    harness.client.subscribe("onIntegrationInstall", lambda event, user: fired.append((event, user.user_id)))
    return fired


# -- install_integration ----------------------------------------------------------------------------------------


def test_install_integration_sends_what_the_js_sdk_sends(make_harness: MakeHarness) -> None:
    """GET /sdk/integrations, then POST /sdk/credentials with {integrationId, config, payload, installOptions}, the
    payload holding the user's values and skipPostOAuthInputs as the SDK's setPreOptions sends it."""
    harness = make_harness(paragon)
    fired = _events(harness)
    credential = harness.run(
        harness.session.install_integration("pipedrive", credentials={"apiKey": "pd_live_1"}, install_options={"a": 1})
    )
    assert isinstance(credential, Credential)
    assert credential.id == "cred-new"
    lookup, create = harness.requests
    assert (lookup.method, str(lookup.url)) == ("GET", f"{ROOT}/sdk/integrations")
    assert (create.method, str(create.url)) == ("POST", f"{ROOT}/sdk/credentials")
    assert create.headers["content-type"] == "application/json"
    assert _body(create) == {
        "integrationId": "int-pd",
        "config": {},
        "payload": {"apiKey": "pd_live_1", "skipPostOAuthInputs": False},
        "installOptions": {"a": 1},
    }
    assert fired == [
        (
            {
                "type": "onIntegrationInstall",
                "integrationId": "int-pd",
                "integrationType": "pipedrive",
                "credentialId": "cred-new",
            },
            "user-123",
        )
    ]


def test_an_oauth_integration_points_to_start_connect(make_harness: MakeHarness) -> None:
    """HubSpot needs the provider's consent page: OAuthRequiredError naming start_connect, and no POST."""
    harness = make_harness(paragon)
    with pytest.raises(OAuthRequiredError, match="start_connect") as caught:
        harness.run(harness.session.install_integration("hubspot", credentials={"apiKey": "x"}))
    assert caught.value.integration == "hubspot"
    assert [request.method for request in harness.requests] == ["GET"]


def test_an_installed_integration_is_refused_unless_allow_multiple(make_harness: MakeHarness) -> None:
    """As the JS SDK: 'already installed' unless allow_multiple=True, which connects another account."""
    connected = [{**entry, "hasCredential": True} for entry in INTEGRATIONS]
    harness = make_harness(lambda request: paragon(request, connected))
    with pytest.raises(IntegrationAlreadyInstalledError, match="allow_multiple=True"):
        harness.run(harness.session.install_integration("pipedrive", credentials={"apiKey": "x"}))
    assert [request.method for request in harness.requests] == ["GET"]
    harness.run(harness.session.install_integration("pipedrive", credentials={"apiKey": "x"}, allow_multiple=True))
    assert [request.method for request in harness.requests] == ["GET", "GET", "POST"]


def test_an_unknown_integration_is_a_lookup_error(make_harness: MakeHarness) -> None:
    """An integration the project does not have: IntegrationNotInstalledError listing the ones it has."""
    harness = make_harness(paragon)
    with pytest.raises(IntegrationNotInstalledError, match="hubspot, pipedrive, salesforce"):
        harness.run(harness.session.install_integration("zendesk", credentials={}))


@pytest.mark.parametrize(
    "call",
    [
        case(lambda s: s.install_integration("pipedrive", credentials=unchecked(["apiKey"])), id="list"),
        case(lambda s: s.install_integration("pipedrive", credentials={"apiKey": float("nan")}), id="nan"),
        case(lambda s: s.install_integration("pipedrive", credentials=unchecked({1: "x"})), id="int-key"),
        case(lambda s: s.install_integration("pipe drive"), id="space"),
        case(lambda s: s.install_integration("pipedrive", install_options=unchecked("x")), id="options"),
        case(lambda s: s.install_integration("pipedrive", allow_multiple=unchecked("yes")), id="multiple"),
        case(lambda s: s.complete_install("pipedrive", ""), id="empty-code"),
        case(lambda s: s.complete_install("pipedrive", "code\r\nX-Evil: 1"), id="crlf-code"),
        case(lambda s: s.complete_install("pipedrive", unchecked(42)), id="int-code"),
        case(lambda s: s.complete_install("pipedrive", "code", redirect_url="javascript:alert(1)"), id="js"),
        case(lambda s: s.complete_install("pipedrive", "code", redirect_url="/relative"), id="relative"),
        case(lambda s: s.start_connect("hubspot", redirect_url="ftp://example.com"), id="ftp"),
        case(lambda s: s.start_connect("hubspot", install_options={"x": float("inf")}), id="inf"),
        case(lambda s: s.start_connect("../hubspot"), id="dotdot"),
    ],
)
def test_bad_input_is_refused_before_any_request(make_harness: MakeHarness, call: SessionCall) -> None:
    """Every argument is checked first: InvalidRequestError and 0 requests."""
    harness = make_harness(paragon)
    with pytest.raises(InvalidRequestError):
        harness.run(call(harness.session))
    assert harness.requests == []


# -- complete_install -------------------------------------------------------------------------------------------


def test_complete_install_exchanges_the_code(make_harness: MakeHarness) -> None:
    """POST /sdk/credentials {code, integrationId, redirectUrl, integrationOptions}, as completeInstall sends it."""
    harness = make_harness(paragon)
    fired = _events(harness)
    credential = harness.run(
        harness.session.complete_install("pipedrive", "4/0AX4code", redirect_url="https://app.example.com/oauth/done")
    )
    assert credential.id == "cred-new"
    assert _body(harness.requests[1]) == {
        "code": "4/0AX4code",
        "integrationId": "int-pd",
        "redirectUrl": "https://app.example.com/oauth/done",
        "integrationOptions": {},
    }
    assert [event["type"] for event, _ in fired] == ["onIntegrationInstall"]


# -- start_connect and wait_for_connection ----------------------------------------------------------------------


def test_start_connect_asks_for_the_providers_url(make_harness: MakeHarness) -> None:
    """GET /v2/projects/{p}/sdk/actions/build-oauth with the SDK's query (JSON texts, a random session key) but not
    its ``userToken``: the token goes in the Authorization header only, never in a URL that logs print; the link
    carries the provider's URL and shows only its host in a repr."""
    harness = make_harness(paragon)
    link = harness.run(
        harness.session.start_connect("hubspot", redirect_url="https://app.example.com/done", install_options={"x": 1})
    )
    assert isinstance(link, ConnectLink)
    _lookup, build = harness.requests
    assert build.method == "GET"
    assert build.url.path == f"/v2/projects/{PROJECT_ID}/sdk/actions/build-oauth"
    query = dict(build.url.params)
    uuid.UUID(query.pop("oauthMetaKeyId"))
    assert query == {
        "action": "hubspot",
        "integrationId": "int-hs",
        "redirectUrl": "https://app.example.com/done",
        "endUserSuppliedValues": "{}",
        "parameters": "{}",
        "installOptions": '{"x":1}',
        "isPreviewMode": "false",
    }
    assert build.headers["authorization"].removeprefix("Bearer ") not in str(build.url)
    assert link.url == "https://app.hubspot.com/oauth/authorize?client_id=1&state=s3cr3t"
    assert (link.integration, link.integration_id) == ("hubspot", "int-hs")
    assert repr(link) == "ConnectLink(integration='hubspot', host='app.hubspot.com')"


def test_start_connect_of_an_api_key_integration_points_to_install_integration(
    make_harness: MakeHarness,
) -> None:
    """Pipedrive takes values, not a consent page: the error says to use install_integration."""
    harness = make_harness(paragon)
    with pytest.raises(OAuthRequiredError, match="install_integration"):
        harness.run(harness.session.start_connect("pipedrive"))


def test_a_failed_start_connect_never_shows_the_token(make_harness: MakeHarness) -> None:
    """A failed build-oauth names the route, never the query or the token."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("build-oauth"):
            return json_response(400, {"message": "Invalid integration"})
        return paragon(request)

    harness = make_harness(handler)
    with pytest.raises(BadRequestError) as caught:
        harness.run(harness.session.start_connect("hubspot"))
    token = harness.requests[-1].headers["authorization"].removeprefix("Bearer ")
    assert "build-oauth returned 400" in str(caught.value)
    assert token not in str(caught.value)
    assert "userToken" not in str(caught.value)


def _link() -> ConnectLink:
    return ConnectLink(
        url="https://consent.example/x", integration="hubspot", integration_id="int-hs", session_key="k-1"
    )


def _polled(pending: int) -> Callable[[httpx.Request], httpx.Response]:
    """The session stays pending ``pending`` times, then names the credential."""
    remaining = [pending]

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/sdk/actions/session-id/k-1"):
            if request.method == "DELETE":
                return json_response(200, {"success": True})
            if remaining[0] > 0:
                remaining[0] -= 1
                return json_response(200, {})
            return json_response(200, {"connectCredentialId": "cred-hs"})
        if path.endswith("/sdk/credentials/cred-hs"):
            return json_response(200, {"id": "cred-hs", "integrationId": "int-hs", "status": "VALID"})
        raise AssertionError(f"unexpected {request.method} {request.url}")

    return handler


def test_wait_for_connection_polls_until_approved(make_harness: MakeHarness) -> None:
    """GET session-id until it names a credential, GET that credential, DELETE the session (pollForCredential's
    order), then onIntegrationInstall."""
    harness = make_harness(_polled(pending=2))
    fired = _events(harness)
    credential = harness.run(harness.session.wait_for_connection(_link(), interval=0.01, timeout=30))
    assert credential.id == "cred-hs"
    assert [(request.method, request.url.path.rsplit("/", 1)[-1]) for request in harness.requests] == [
        ("GET", "k-1"),
        ("GET", "k-1"),
        ("GET", "k-1"),
        ("GET", "cred-hs"),
        ("DELETE", "k-1"),
    ]
    assert [event for event, _ in fired] == [
        {
            "type": "onIntegrationInstall",
            "integrationId": "int-hs",
            "integrationType": "hubspot",
            "credentialId": "cred-hs",
        }
    ]


def test_wait_for_connection_times_out_with_a_typed_error(make_harness: MakeHarness) -> None:
    """A user who never approves: ConnectNotCompletedError (a TimeoutError) after ``timeout``; the session is kept
    for a later wait, so nothing is deleted."""
    harness = make_harness(_polled(pending=10**6))
    with pytest.raises(ConnectNotCompletedError) as caught:
        harness.run(harness.session.wait_for_connection(_link(), interval=0.02, timeout=0.2))
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.integration == "hubspot"
    # At least the first poll; at most about timeout / interval of them (a loaded machine may manage fewer).
    assert 1 <= len(harness.requests) <= 12
    assert {request.method for request in harness.requests} == {"GET"}


def test_wait_for_connection_stops_when_cancelled(make_harness: MakeHarness) -> None:
    """A set ``cancel`` event (a threading.Event for Paragon, an asyncio.Event for AsyncParagon) ends the wait after
    the current poll."""
    harness = make_harness(_polled(pending=10**6))
    session = harness.session

    def wait() -> Credential:
        if isinstance(session, AsyncUserSession):
            cancelled = asyncio.Event()
            cancelled.set()
            return harness.run(session.wait_for_connection(_link(), interval=5, timeout=60, cancel=cancelled))
        cancel = threading.Event()
        cancel.set()
        return session.wait_for_connection(_link(), interval=5, timeout=60, cancel=cancel)

    with pytest.raises(ConnectNotCompletedError):
        wait()
    assert len(harness.requests) == 1


@pytest.mark.parametrize(
    ("link", "options"),
    [("https://consent.example/x", {}), (None, {"timeout": 0}), (None, {"interval": -1}), (None, {"timeout": True})],
)
def test_wait_for_connection_checks_its_arguments(
    make_harness: MakeHarness, link: Any, options: dict[str, Any]
) -> None:
    """Only a ConnectLink, and positive bounded numbers: InvalidRequestError before any request."""
    harness = make_harness(_polled(pending=0))
    with pytest.raises(InvalidRequestError):
        harness.run(harness.session.wait_for_connection(_link() if link is None else link, **options))
    assert harness.requests == []


# -- watch ------------------------------------------------------------------------------------------------------


class ChangingParagon:
    """Paragon whose user connects and disconnects things between polls, as a browser would."""

    def __init__(self) -> None:
        self.connected = {"salesforce"}
        self.workflows = {"wf-1": False}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sdk/integrations"):
            return json_response(
                200, [{**entry, "hasCredential": entry["type"] in self.connected} for entry in INTEGRATIONS]
            )
        if request.url.path.endswith("/sdk/me"):
            states = {
                entry["type"]: {"enabled": entry["type"] in self.connected, "allCredentials": []}
                for entry in INTEGRATIONS
            }
            states["salesforce"]["workflowSettings"] = {
                wf: {"enabled": enabled} for wf, enabled in self.workflows.items()
            }
            return json_response(200, {"authenticated": True, "userId": "user-123", "integrations": states})
        raise AssertionError(f"unexpected {request.method} {request.url}")


def test_watch_fires_events_for_changes_made_elsewhere(make_harness: MakeHarness) -> None:
    """The baseline is read by watch() itself; later polls turn differences into install, uninstall and workflow
    events for the session's and the client's subscribers; stop() ends the polling."""
    state = ChangingParagon()
    harness = make_harness(state)
    seen: list[Any] = []
    for name in ("onIntegrationInstall", "onIntegrationUninstall", "onWorkflowChange"):
        harness.client.subscribe(name, lambda event, _user: seen.append(event))
    watcher = harness.run(harness.session.watch(interval=3600))
    assert len(harness.requests) == 2
    assert harness.run(watcher.poll_once()) == []
    state.connected = {"hubspot"}
    state.workflows["wf-1"] = True
    events = harness.run(watcher.poll_once())
    assert (
        events
        == seen
        == [
            {"type": "onIntegrationInstall", "integrationId": "int-hs", "integrationType": "hubspot"},
            {"type": "onIntegrationUninstall", "integrationId": "int-sf", "integrationType": "salesforce"},
            {
                "type": "onWorkflowChange",
                "integrationId": "int-sf",
                "workflowId": "wf-1",
                "workflowStateChange": {"enabled": True},
            },
        ]
    )
    assert watcher.running
    harness.run(watcher.stop())
    assert not watcher.running


def test_closing_the_client_stops_its_watchers(make_harness: MakeHarness) -> None:
    """close()/aclose() stops every watcher its sessions started."""
    harness = make_harness(ChangingParagon())
    watcher = harness.run(harness.session.watch(interval=3600))
    assert watcher.running
    client = harness.client
    if isinstance(client, AsyncParagon):
        harness.run(client.aclose())
    else:
        client.close()
    assert not watcher.running


@pytest.mark.parametrize("interval", [0, 0.5, float("nan"), "30", True])
def test_watch_checks_its_interval(make_harness: MakeHarness, interval: Any) -> None:
    """At least 1 s between polls (each is two requests), a real number: InvalidRequestError, nothing sent."""
    harness = make_harness(ChangingParagon())
    with pytest.raises(InvalidRequestError):
        harness.run(harness.session.watch(interval=interval))
    assert harness.requests == []
