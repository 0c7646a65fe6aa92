"""FakeParagon's Connect operations: API-key installs, authorization codes, post-OAuth setup, and the OAuth flow
through the fake's own consent page (build-oauth, the page a browser visits, the session-id polling)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from useparagon.testing import FakeParagon, FakeWorkflow, Install, RequestRecord
from useparagon.testing._api import OPERATIONS as API_OPERATIONS
from useparagon.testing._connect import OPERATIONS as CONNECT_OPERATIONS
from useparagon.testing._connect import PAGES as CONNECT_PAGES
from useparagon.testing._managed_sync import OPERATIONS as SYNC_OPERATIONS
from useparagon.testing._routes import ROUTES
from useparagon.testing._task_history import OPERATIONS as TASK_HISTORY_OPERATIONS
from useparagon_api.models.credential import Credential
from useparagon_api.models.o_auth_url import OAuthUrl

from tests.testing.support import IN_PROCESS_URL, Api

SECRET = "fd_live_s3cret"
DONE_URL = "https://app.example.com/integrations/done"
CONSENT_PREFIX = "/__fake__/oauth/consent?session="


def _auth(fake: FakeParagon, user: str = "u1") -> dict[str, str]:
    return {"Authorization": f"Bearer {fake.sign_user_token(user)}"}


def _install(api: Api, integration: str = "freshdesk", user: str = "u1", **body: Any) -> httpx.Response:
    """``POST /sdk/credentials`` with an API-key payload for ``integration`` (``body`` overrides the defaults)."""
    sent = {
        "integrationId": api.fake.integration_id(integration),
        "config": {},
        "payload": {"apiKey": SECRET, "domain": "acme", "skipPostOAuthInputs": False},
        "installOptions": {},
        **body,
    }
    return api.call("POST", "/sdk/credentials", user=user, json=sent)


def _build(
    api: Api, integration: str = "hubspot", key: str = "key-1", user: str = "u1", **query: str
) -> httpx.Response:
    """``GET /v2/.../build-oauth`` for ``integration`` as the JS SDK sends it (``query`` overrides or adds)."""
    params = {
        "action": integration,
        "integrationId": api.fake.integration_id(integration),
        "oauthMetaKeyId": key,
        "endUserSuppliedValues": "{}",
        "parameters": "{}",
        "installOptions": "{}",
        "isPreviewMode": "false",
        **query,
    }
    params = {k: v for k, v in params.items() if v is not None}
    return api.client.get(f"/v2{api.root}/sdk/actions/build-oauth", params=params, headers=_auth(api.fake, user))


def _consent_url(api: Api, **query: str) -> str:
    response = _build(api, **query)
    assert response.status_code == 200, response.text
    return str(OAuthUrl.from_dict(response.json()).redirect_url)


def _session(api: Api, key: str = "key-1", user: str = "u1") -> Any:
    response = api.call("GET", f"/sdk/actions/session-id/{key}", user=user)
    assert response.status_code == 200
    return response.json()


# Authentication types


def test_integrations_carry_their_authentication_type(api: Api) -> None:
    """``/sdk/integrations`` answers each integration's ``authenticationType``: the default project's OAuth ones and
    Freshdesk (``basic``); ``add_integration(authentication_type=...)`` and ``set_authentication_type`` set it."""
    api.fake.add_integration("pipedrive", authentication_type="service_account")
    api.fake.set_authentication_type("slack", "oauth_app")
    listed = {i["type"]: i["authenticationType"] for i in api.call("GET", "/sdk/integrations").json()}
    assert listed == {
        "salesforce": "oauth",
        "hubspot": "oauth",
        "slack": "oauth_app",
        "googledrive": "oauth",
        "freshdesk": "basic",
        "pipedrive": "service_account",
    }


def test_authentication_types_are_checked(fake: FakeParagon) -> None:
    """Only Paragon's ``AuthenticationScheme`` values are accepted, and only for integrations of the project."""
    with pytest.raises(ValueError, match="authentication_type must be one of basic, oauth, "):
        fake.add_integration("pipedrive", authentication_type="apikey")
    with pytest.raises(ValueError, match="authentication_type must be one of"):
        fake.set_authentication_type("slack", "OAuth")
    with pytest.raises(KeyError, match="no integration 'nope'"):
        fake.set_authentication_type("nope", "basic")


# createCredential with the user's values


def test_api_key_install_creates_a_valid_credential(api: Api) -> None:
    """An API-key install answers 201 with a VALID credential that does not echo the key; the user is connected
    (``/sdk/me``, ``/sdk/integrations``, ``/sdk/credentials``), and ``fake.installs`` and ``credential_values`` keep
    the values (without the SDK's ``skipPostOAuthInputs`` flag) out of every repr."""
    response = _install(api, installOptions={"showPortalAfterInstall": False})
    assert response.status_code == 201
    assert SECRET not in response.text
    credential = Credential.from_dict(response.json())
    user = api.fake.user("u1")
    assert user.credential_ids("freshdesk") == [credential.id]
    body = response.json()
    assert body["integrationId"] == api.fake.integration_id("freshdesk")
    assert (body["status"], body["providerData"], body["projectId"]) == ("VALID", {}, api.fake.project_id)
    assert user.connected == {"freshdesk": "VALID"}
    me = api.call("GET", "/sdk/me").json()["integrations"]["freshdesk"]
    assert (me["enabled"], me["credentialId"], [c["id"] for c in me["allCredentials"]]) == (
        True,
        credential.id,
        [credential.id],
    )
    listed = {i["type"]: i["hasCredential"] for i in api.call("GET", "/sdk/integrations").json()}
    assert listed["freshdesk"] is True
    assert [c["id"] for c in api.call("GET", "/sdk/credentials").json()] == [credential.id]
    assert api.fake.installs == (
        Install(
            user_id="u1",
            integration="freshdesk",
            credential_id=credential.id,
            source="payload",
            values={"apiKey": SECRET, "domain": "acme"},
            install_options={"showPortalAfterInstall": False},
            redirect_url=None,
        ),
    )
    assert user.credential_values("freshdesk") == [{"apiKey": SECRET, "domain": "acme"}]
    assert SECRET not in repr(api.fake.installs) + repr(user)
    assert SECRET not in api.call("GET", "/sdk/me").text + api.call("GET", "/sdk/credentials").text
    assert api.fake.requests[0] == RequestRecord("POST", f"{api.root}/sdk/credentials", 201, "createCredential")


def test_a_second_install_adds_another_account(api: Api) -> None:
    """Paragon keeps several accounts per integration: a second install adds a credential, and the user's default
    enabled workflows are on in each new one."""
    api.fake.add_integration(
        "pipedrive", authentication_type="basic", workflows=[FakeWorkflow("Sync Deals", default_enabled=True)]
    )
    first = _install(api, "pipedrive").json()["id"]
    second = _install(api, "pipedrive", payload={"apiKey": "other"}).json()
    assert api.fake.user("u1").credential_ids("pipedrive") == [first, second["id"]]
    sync = api.fake.workflow_id("pipedrive", "Sync Deals")
    assert second["config"]["configuredWorkflows"] == {sync: {"enabled": True, "settings": {}}}
    assert api.fake.user("u1").credential_values("pipedrive") == [
        {"apiKey": SECRET, "domain": "acme"},
        {"apiKey": "other"},
    ]


def _validation(prop: str, constraint: str, text: str) -> dict[str, Any]:
    return {"message": [{"property": prop, "constraints": {constraint: text}}], "status": 400}


# In the tables below, "@type" stands for that integration's id, which the test looks up on its fake.
OAUTH_REFUSAL = (
    "HubSpot connects with OAuth: send the user to the URL from build-oauth, or install it with an authorization code."
)


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (
            {"integrationId": "@hubspot"},
            {"message": OAUTH_REFUSAL, "status": 400},
        ),
        ({"integrationId": "no-such-id"}, {"message": "Integration not found in this project.", "status": 400}),
        ({"payload": {}}, _validation("payload", "isNotEmpty", "payload should not be empty")),
        (
            {"payload": {"skipPostOAuthInputs": True}},
            _validation("payload", "isNotEmpty", "payload should not be empty"),
        ),
        ({"payload": None}, _validation("payload", "isObject", "payload must be an object")),
        ({"payload": ["apiKey"]}, _validation("payload", "isObject", "payload must be an object")),
        ({"integrationId": None}, _validation("integrationId", "isString", "integrationId must be a string")),
        ({"integrationId": ""}, _validation("integrationId", "isNotEmpty", "integrationId should not be empty")),
        ({"config": "x"}, _validation("config", "isObject", "config must be an object")),
        ({"installOptions": []}, _validation("installOptions", "isObject", "installOptions must be an object")),
        (
            {"code": "abc"},
            {
                "message": "Send either payload (the user's values) or code (an authorization code), not both.",
                "status": 400,
            },
        ),
    ],
)
def test_api_key_install_refusals(api: Api, body: dict[str, Any], answer: dict[str, Any]) -> None:
    """An OAuth integration, an unknown integration, an empty payload or a malformed body gets 400 with Paragon's
    error body, and creates nothing."""
    if body.get("integrationId") == "@hubspot":
        body = {**body, "integrationId": api.fake.integration_id("hubspot")}
    response = _install(api, **body)
    assert (response.status_code, response.json()) == (400, answer)
    assert (api.fake.user("u1").connected, api.fake.installs) == ({}, ())


@pytest.mark.parametrize(
    ("content", "answer"),
    [
        (b"", {"message": "Request body is required.", "status": 400}),
        (b"{not json", {"message": "Request body is not valid JSON.", "status": 400}),
        (b"[]", _validation("body", "isObject", "body must be an object")),
        (b"[" * 20_000, {"message": "Request body is not valid JSON.", "status": 400}),
    ],
)
def test_install_needs_a_json_object(api: Api, content: bytes, answer: dict[str, Any]) -> None:
    """No body, a body that is not JSON (or nested deeper than the parser goes), or JSON that is not an object gets
    400."""
    response = api.call("POST", "/sdk/credentials", content=content, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (400, answer)


def test_install_needs_a_user_token(fake: FakeParagon, http: httpx.Client) -> None:
    """Without a token, createCredential answers 401 and creates nothing."""
    body = {"integrationId": fake.integration_id("freshdesk"), "payload": {"apiKey": "x"}}
    response = http.post(f"/projects/{fake.project_id}/sdk/credentials", json=body)
    assert (response.status_code, response.json()["status"]) == (401, 401)
    assert fake.installs == ()


# createCredential with an authorization code


def test_authorization_code_install(api: Api) -> None:
    """A code from ``fake.authorization_code`` exchanges once for a VALID credential (201), recorded as
    ``source="code"`` with the ``integrationOptions``; the same code again gets 400."""
    code = api.fake.authorization_code("hubspot", redirect_url=DONE_URL)
    assert code.startswith("fake-code-")
    body = {
        "code": code,
        "integrationId": api.fake.integration_id("hubspot"),
        "redirectUrl": DONE_URL,
        "integrationOptions": {"installOptions": {"isApiInstallation": True}},
    }
    response = api.call("POST", "/sdk/credentials", json=body)
    assert response.status_code == 201
    credential = Credential.from_dict(response.json())
    assert api.fake.user("u1").credential_ids("hubspot") == [credential.id]
    assert api.fake.user("u1").connected == {"hubspot": "VALID"}
    assert api.fake.installs == (
        Install("u1", "hubspot", credential.id, "code", {}, {"installOptions": {"isApiInstallation": True}}, DONE_URL),
    )
    again = api.call("POST", "/sdk/credentials", json=body)
    assert again.json() == {"message": "The authorization code was already used.", "status": 400}
    assert api.fake.user("u1").credential_ids("hubspot") == [credential.id]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "made-up"}, "Invalid authorization code."),
        ({"integrationId": "@slack"}, "The authorization code was not issued for Slack."),
        ({"redirectUrl": None}, "redirectUrl is not the redirect URL the authorization code was issued for."),
        (
            {"redirectUrl": "https://app.example.com/other"},
            "redirectUrl is not the redirect URL the authorization code was issued for.",
        ),
        (
            {"integrationId": "@freshdesk"},
            "Freshdesk does not connect with OAuth: install it with the user's values (payload).",
        ),
        ({"integrationId": "unknown"}, "Integration not found in this project."),
    ],
)
def test_authorization_code_refusals(api: Api, change: dict[str, Any], message: str) -> None:
    """An unknown code, one for another integration or another redirect URL, or a non-OAuth integration gets 400
    and leaves the code unused: it still works afterwards."""
    code = api.fake.authorization_code("hubspot", redirect_url=DONE_URL)
    body: dict[str, Any] = {"code": code, "integrationId": api.fake.integration_id("hubspot"), "redirectUrl": DONE_URL}
    for key, value in change.items():
        if value is None:
            del body[key]
        elif isinstance(value, str) and value.startswith("@"):
            body[key] = api.fake.integration_id(value[1:])
        else:
            body[key] = value
    response = api.call("POST", "/sdk/credentials", json=body)
    assert (response.status_code, response.json()) == (400, {"message": message, "status": 400})
    assert api.fake.installs == ()
    good = {"code": code, "integrationId": api.fake.integration_id("hubspot"), "redirectUrl": DONE_URL}
    assert api.call("POST", "/sdk/credentials", json=good).status_code == 201


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ({"code": ""}, _validation("code", "isNotEmpty", "code should not be empty")),
        ({"code": 42}, _validation("code", "isString", "code must be a string")),
        ({"redirectUrl": "/relative"}, _validation("redirectUrl", "isUrl", "redirectUrl must be a URL address")),
        (
            {"redirectUrl": "javascript:alert(1)"},
            _validation("redirectUrl", "isUrl", "redirectUrl must be a URL address"),
        ),
        ({"redirectUrl": 5}, _validation("redirectUrl", "isString", "redirectUrl must be a string")),
        (
            {"integrationOptions": "x"},
            _validation("integrationOptions", "isObject", "integrationOptions must be an object"),
        ),
    ],
)
def test_authorization_code_body_is_validated(api: Api, body: dict[str, Any], answer: dict[str, Any]) -> None:
    """The ``CompleteInstallRequest`` fields are checked as class-validator would: 400 naming the property."""
    sent = {"code": "abc", "integrationId": api.fake.integration_id("hubspot"), **body}
    response = api.call("POST", "/sdk/credentials", json=sent)
    assert (response.status_code, response.json()) == (400, answer)


def test_authorization_code_builder(fake: FakeParagon) -> None:
    """Codes are deterministic per scenario and one per call; a chosen code is taken as is, once; a non-OAuth
    integration, an unknown one or a relative redirect URL is refused."""
    other = FakeParagon()
    assert fake.authorization_code("hubspot") == other.authorization_code("hubspot")
    assert fake.authorization_code("hubspot") != fake.authorization_code("hubspot")
    assert fake.authorization_code("slack", code="4/0AX4XfWh") == "4/0AX4XfWh"
    with pytest.raises(ValueError, match="not issued before"):
        fake.authorization_code("slack", code="4/0AX4XfWh")
    with pytest.raises(ValueError, match="freshdesk uses basic authentication, not OAuth"):
        fake.authorization_code("freshdesk")
    with pytest.raises(KeyError, match="no integration 'nope'"):
        fake.authorization_code("nope")
    with pytest.raises(ValueError, match="absolute http"):
        fake.authorization_code("hubspot", redirect_url="/done")


# completeCredentialSetup


def test_complete_setup_merges_values(api: Api) -> None:
    """complete-setup merges the post-OAuth values into the credential (201 with the credential, no value echoed);
    a PENDING credential becomes VALID, an INVALID one stays INVALID."""
    credential_id = _install(api).json()["id"]
    body = {
        "integrationId": api.fake.integration_id("freshdesk"),
        "config": {},
        "payload": {"environment": "production", "domain": "acme-eu", "skipPostOAuthInputs": False},
        "installOptions": {},
    }
    response = api.call("POST", f"/sdk/credentials/{credential_id}/complete-setup", json=body)
    assert response.status_code == 201
    assert (Credential.from_dict(response.json()).id, response.json()["status"]) == (credential_id, "VALID")
    assert "production" not in response.text
    assert api.fake.user("u1").credential_values("freshdesk") == [
        {"apiKey": SECRET, "domain": "acme-eu", "environment": "production"}
    ]
    user = api.fake.user("u1").connect("salesforce", status="PENDING").connect("hubspot", status="INVALID")
    for integration, status in (("salesforce", "VALID"), ("hubspot", "INVALID")):
        (pending,) = user.credential_ids(integration)
        body = {"integrationId": api.fake.integration_id(integration), "payload": {"skipPostOAuthInputs": True}}
        answer = api.call("POST", f"/sdk/credentials/{pending}/complete-setup", json=body)
        assert (answer.status_code, answer.json()["status"]) == (201, status)
    assert api.fake.user("u1").connected == {"freshdesk": "VALID", "salesforce": "VALID", "hubspot": "INVALID"}


def test_complete_setup_refusals(api: Api) -> None:
    """Another user's or an unknown credential gets 404; another integration's id or a malformed body gets 400."""
    theirs = api.fake.user("u2").connect("freshdesk").credential_ids("freshdesk")[0]
    mine = api.fake.user("u1").connect("freshdesk").credential_ids("freshdesk")[0]
    body = {"integrationId": api.fake.integration_id("freshdesk"), "payload": {"environment": "x"}}
    for credential_id in (theirs, "no-such-credential"):
        response = api.call("POST", f"/sdk/credentials/{credential_id}/complete-setup", json=body)
        assert (response.status_code, response.json()) == (404, {"message": "Credential not found.", "status": 404})
    other = {**body, "integrationId": api.fake.integration_id("slack")}
    response = api.call("POST", f"/sdk/credentials/{mine}/complete-setup", json=other)
    assert response.json() == {"message": "integrationId is not the credential's integration.", "status": 400}
    response = api.call("POST", f"/sdk/credentials/{mine}/complete-setup", json={"integrationId": "x"})
    assert response.json() == _validation("payload", "isObject", "payload must be an object")
    assert api.fake.user("u1").credential_values("freshdesk") == [{}]
    assert api.fake.user("u2").credential_values("freshdesk") == [{}]


# buildOauthUrl and the consent page


def test_build_oauth_url_points_at_the_fakes_consent_page(api: Api) -> None:
    """The URL is the fake's consent page on the host the request went to (the Host header): the in-process host,
    or the loopback server's own address; ``X-Forwarded-Proto: https`` makes it https."""
    url = _consent_url(api)
    base = str(api.client.base_url).rstrip("/")
    assert url.startswith(base + CONSENT_PREFIX)
    assert len(parse_qs(urlsplit(url).query)["session"][0]) == 36
    forwarded = api.client.get(
        f"/v2{api.root}/sdk/actions/build-oauth",
        params={"action": "slack", "integrationId": api.fake.integration_id("slack"), "oauthMetaKeyId": "k"},
        headers={**_auth(api.fake), "X-Forwarded-Proto": "https"},
    )
    assert forwarded.json()["redirectUrl"].startswith(base.replace("http://", "https://") + CONSENT_PREFIX)
    assert (api.fake.requests[0].status, api.fake.requests[0].operation_id) == (200, "buildOauthUrl")


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ({"action": None}, _validation("action", "isString", "action must be a string")),
        ({"integrationId": ""}, _validation("integrationId", "isNotEmpty", "integrationId should not be empty")),
        ({"oauthMetaKeyId": None}, _validation("oauthMetaKeyId", "isString", "oauthMetaKeyId must be a string")),
        ({"redirectUrl": "ftp://x.example"}, _validation("redirectUrl", "isUrl", "redirectUrl must be a URL address")),
        ({"redirectUrl": "https://"}, _validation("redirectUrl", "isUrl", "redirectUrl must be a URL address")),
        (
            {"endUserSuppliedValues": "{"},
            _validation("endUserSuppliedValues", "isJson", "endUserSuppliedValues must be a json string"),
        ),
        ({"parameters": "[1]"}, _validation("parameters", "isObject", "parameters must be an object")),
        ({"parameters": "[" * 20_000}, _validation("parameters", "isJson", "parameters must be a json string")),
        ({"installOptions": "1"}, _validation("installOptions", "isObject", "installOptions must be an object")),
        (
            {"isPreviewMode": "maybe"},
            _validation("isPreviewMode", "isBoolean", "isPreviewMode must be a boolean value"),
        ),
        ({"action": "slack"}, {"message": "action must be the integration's type ('hubspot').", "status": 400}),
        ({"integrationId": "no-such-id"}, {"message": "Integration not found in this project.", "status": 400}),
    ],
)
def test_build_oauth_url_refusals(api: Api, query: dict[str, Any], answer: dict[str, Any]) -> None:
    """Missing or malformed parameters, a redirect URL that is not absolute http(s), an action that is not the
    integration's type or an unknown integration get 400, and start no attempt."""
    response = _build(api, **query)
    assert (response.status_code, response.json()) == (400, answer)
    assert _session(api) == {}


def test_build_oauth_url_refuses_a_non_oauth_integration(api: Api) -> None:
    """An API-key integration has no consent page: 400 pointing at the install with values."""
    response = _build(api, "freshdesk")
    assert response.json() == {
        "message": "Freshdesk uses basic authentication, not OAuth: install it with the user's values "
        "(POST /sdk/credentials).",
        "status": 400,
    }


def test_oauth_flow_over_real_http(fake: FakeParagon) -> None:
    """End to end over loopback, as a browser and a backend would: build-oauth, the session is ``{}``, a plain GET
    of the consent page (no token) creates the credential and redirects 302 to ``redirectUrl`` with the result added
    to its query (its own query and fragment kept), the session then names the credential, for this user only; the
    link works once, and deleting the session answers 200 and forgets it."""
    with fake.serve() as server, httpx.Client(base_url=server.url) as client:
        api = Api(fake, client)
        values = json.dumps({"subdomain": "acme"})
        url = _consent_url(api, redirectUrl=DONE_URL + "?tab=crm#top", endUserSuppliedValues=values)
        assert url.startswith(f"{server.url}{CONSENT_PREFIX}")
        assert _session(api) == {}
        with httpx.Client() as browser:
            visit = browser.get(url)
            (credential_id,) = fake.user("u1").credential_ids("hubspot")
            assert visit.status_code == 302
            assert visit.headers["location"] == (
                f"{DONE_URL}?tab=crm&paragon=connected&integrationType=hubspot&credentialId={credential_id}#top"
            )
            again = browser.get(url)
            assert (again.status_code, again.headers["content-type"]) == (400, "text/html; charset=utf-8")
            assert "This consent link was already used." in again.text
        assert _session(api) == {"connectCredentialId": credential_id}
        assert _session(api, user="u2") == {}
        assert _session(api, key="key-2") == {}
        me = api.call("GET", "/sdk/me").json()["integrations"]["hubspot"]
        assert (me["enabled"], me["credentialId"]) == (True, credential_id)
        assert fake.installs == (
            Install("u1", "hubspot", credential_id, "oauth", {"subdomain": "acme"}, {}, DONE_URL + "?tab=crm#top"),
        )
        assert fake.user("u1").credential_values("hubspot") == [{"subdomain": "acme"}]
        deleted = api.call("DELETE", "/sdk/actions/session-id/key-1")
        assert (deleted.status_code, deleted.json()) == (200, {"success": True})
        assert _session(api) == {}
        assert api.call("DELETE", "/sdk/actions/session-id/key-1").json() == {"success": True}
    consent_path = urlsplit(url).path
    assert [(r.method, r.path, r.status, r.operation_id) for r in fake.requests if r.path == consent_path] == [
        ("GET", consent_path, 302, None),
        ("GET", consent_path, 400, None),
    ]


def test_consent_without_redirect_url_answers_a_page(api: Api) -> None:
    """Without ``redirectUrl`` the consent page answers 200 with a small "Connected" page naming the credential."""
    page = api.client.get(_consent_url(api))
    (credential_id,) = api.fake.user("u1").credential_ids("hubspot")
    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert "<title>FakeParagon: Connected</title>" in page.text
    assert f"<code id='credential'>{credential_id}</code>" in page.text
    assert _session(api) == {"connectCredentialId": credential_id}


@pytest.mark.parametrize("how", ["query", "builder"])
def test_consent_can_be_denied(api: Api, how: str) -> None:
    """``?deny=1`` on the page (``&error=`` picks the code), or ``fake.set_oauth_consent(approve=False)``, redirects
    with ``paragon=error`` and creates nothing; the session stays ``{}`` and the link is spent."""
    error = "access_denied" if how == "query" else "consent_required"
    if how == "builder":
        api.fake.set_oauth_consent("hubspot", approve=False, error=error)
    url = _consent_url(api, redirectUrl=DONE_URL)
    visit = api.client.get(url + ("&deny=1" if how == "query" else ""))
    assert visit.status_code == 302
    assert visit.headers["location"] == f"{DONE_URL}?paragon=error&error={error}&integrationType=hubspot"
    assert (api.fake.user("u1").connected, api.fake.installs, _session(api)) == ({}, (), {})
    assert api.client.get(url).status_code == 400
    api.fake.set_oauth_consent("hubspot")
    assert api.client.get(_consent_url(api, key="key-2")).status_code == 200
    assert api.fake.user("u1").connected == {"hubspot": "VALID"}


def test_denied_consent_without_redirect_url_answers_a_page(api: Api) -> None:
    """A denial with nowhere to redirect answers a page that names the error."""
    page = api.client.get(_consent_url(api) + "&deny=true&error=server_error")
    assert page.status_code == 200
    assert "<code id='error'>server_error</code>" in page.text
    assert api.fake.user("u1").connected == {}


def test_unknown_and_forgotten_consent_links(api: Api) -> None:
    """An unknown session, one whose key was deleted or replaced by a newer build-oauth call gets a 404 page; other
    methods on the page's path are the usual JSON 404."""
    base = str(api.client.base_url).rstrip("/")
    assert api.client.get(f"{base}{CONSENT_PREFIX}nope").status_code == 404
    assert api.client.get(f"{base}/__fake__/oauth/consent").status_code == 404
    forgotten = _consent_url(api)
    api.call("DELETE", "/sdk/actions/session-id/key-1")
    page = api.client.get(forgotten)
    assert (page.status_code, "This consent link is unknown or has expired." in page.text) == (404, True)
    replaced = _consent_url(api, key="key-2")
    newer = _consent_url(api, key="key-2")
    assert api.client.get(replaced).status_code == 404
    assert api.client.get(newer).status_code == 200
    posted = api.client.post(newer)
    assert posted.json() == {"message": "Cannot POST /__fake__/oauth/consent", "status": 404}


def test_oauth_nonce_page(api: Api) -> None:
    """The page the JS SDK opens in its popup first posts ``oauth-nonce-loaded`` to its opener; another project's
    path is a 404."""
    page = api.client.get(
        f"{api.root}/sdk/actions/oauth-nonce",
        params={"action": "hubspot", "integrationId": "x", "originForPostMessage": "https://app.example.com"},
    )
    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert 'postMessage({ type: "oauth-nonce-loaded" }, origin)' in page.text
    assert api.client.get("/projects/other/sdk/actions/oauth-nonce").status_code == 404


def test_session_endpoints_need_a_user_token(fake: FakeParagon, http: httpx.Client) -> None:
    """getOauthSession, deleteOauthSession and build-oauth answer 401 without a token."""
    root = f"/projects/{fake.project_id}"
    assert http.get(f"{root}/sdk/actions/session-id/k").status_code == 401
    assert http.delete(f"{root}/sdk/actions/session-id/k").status_code == 401
    assert http.get(f"/v2{root}/sdk/actions/build-oauth", params={"action": "hubspot"}).status_code == 401


# Faults, the request log, routing


CONNECT_CALLS = [
    ("createCredential", "POST", "/sdk/credentials"),
    ("completeCredentialSetup", "POST", "/sdk/credentials/c1/complete-setup"),
    ("getOauthSession", "GET", "/sdk/actions/session-id/k"),
    ("deleteOauthSession", "DELETE", "/sdk/actions/session-id/k"),
    ("buildOauthUrl", "GET", "/sdk/actions/build-oauth"),
]


@pytest.mark.parametrize(("operation_id", "method", "suffix"), CONNECT_CALLS)
def test_faults_and_the_request_log_cover_the_connect_operations(
    api: Api, operation_id: str, method: str, suffix: str
) -> None:
    """Each new operation takes faults by its operationId and is logged under it."""
    path = ("/v2" if operation_id == "buildOauthUrl" else "") + api.root + suffix
    api.fake.faults.status(operation_id, 503, retry_after=1)
    headers = _auth(api.fake)
    response = api.client.request(method, path, headers=headers, json={} if method == "POST" else None)
    assert (response.status_code, response.headers["retry-after"]) == (503, "1")
    assert api.fake.requests[-1] == RequestRecord(method, path, 503, operation_id)
    assert api.client.request(method, path, headers=headers).status_code != 503


def test_a_truncated_install_answer_still_installs(api: Api) -> None:
    """``malformed("createCredential", "truncated_json")`` cuts the 201 in half after the credential was made."""
    api.fake.faults.malformed("POST /projects/{projectId}/sdk/credentials", "truncated_json")
    response = _install(api)
    assert response.status_code == 201
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert api.fake.user("u1").connected == {"freshdesk": "VALID"}


def test_every_route_has_a_handler() -> None:
    """Each routed operationId is answered by ``_api``, ``_connect`` (an API call or a browser's page),
    ``_managed_sync`` or ``_task_history``, and by one of them only."""
    handled = [*API_OPERATIONS, *CONNECT_OPERATIONS, *CONNECT_PAGES, *SYNC_OPERATIONS, *TASK_HISTORY_OPERATIONS]
    assert len(handled) == len(set(handled))
    assert {op.id for op in ROUTES} == set(handled)


def test_clear_logs_forgets_installs_but_not_credentials(fake: FakeParagon) -> None:
    """``clear_logs`` empties ``installs``; the credentials stay."""
    with httpx.Client(transport=fake.transport(), base_url=IN_PROCESS_URL) as client:
        Api(fake, client).call(
            "POST",
            "/sdk/credentials",
            json={"integrationId": fake.integration_id("freshdesk"), "payload": {"apiKey": "k"}},
        )
    assert len(fake.installs) == 1
    fake.clear_logs()
    assert not fake.installs
    assert fake.user("u1").connected == {"freshdesk": "VALID"}
