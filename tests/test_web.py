"""The web page for Python apps: ``connect_page``/``connect_snippet`` and the event relay.

The page loads Paragon's JS SDK, authenticates it with a token minted here, opens the Connect Portal (or only
authenticates) and POSTs the SDK's five events to the app; ``handle_relayed_event`` / ``ahandle_relayed_event``
accept a relayed event only with a valid user token of this project for the expected user, then fire the client's
``subscribe`` callbacks. Here: escaping of every value the page carries, each refusal (with no callback fired and
no token in the error or its traceback), the page's script run under Node against a stand-in SDK, and a FastAPI app
driven through ``httpx.ASGITransport``. The real SDK in Chromium is tests/browser's job.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
import re
import shutil
import subprocess
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Body, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from useparagon import (
    EVENT_NAMES,
    AsyncParagon,
    AsyncUserSession,
    ConfigurationError,
    EventName,
    InvalidRequestError,
    Paragon,
    ParagonError,
    UserSession,
    UserTokenError,
)
from useparagon._signing import TokenSigner
from useparagon._web import (
    DEFAULT_SDK_URL,
    MAX_RELAYED_EVENT_BYTES,
    SDK_SERVICE_URL_NAMES,
    ahandle_relayed_event,
    connect_page,
    connect_snippet,
    handle_relayed_event,
)

from tests.support import PROJECT_ID, close_loop

USER = "user-123"
EVENTS: dict[str, dict[str, Any]] = {
    "onIntegrationInstall": {
        "integrationId": "int-1",
        "integrationType": "salesforce",
        "credentialId": "cred-1",
        "credential": {"id": "cred-1", "status": "VALID"},
    },
    "onIntegrationUninstall": {"integrationId": "int-1", "integrationType": "salesforce"},
    "onWorkflowChange": {"integrationId": "int-1", "workflowId": "wf-1", "workflowStateChange": {"enabled": True}},
    "onPortalOpen": {"integrationId": "int-1", "integrationType": "salesforce"},
    "onPortalClose": {"integrationId": "int-1", "integrationType": "salesforce"},
}
HOSTILE = "</script><script>alert(1)</script><!--\"'\u2028\u2029&amp;"
CONFIG_LINE = re.compile(r"\n\}\(\n(.*)\n\)\);\n</script>\n")


def page_config(page: str) -> dict[str, Any]:
    """The JSON object the page's main script is called with (what the browser would see); a full page has a smaller
    one in its <head> as well, which configures the SDK before the document is ready."""
    found = CONFIG_LINE.findall(page)
    assert found, "the page's script has no config line"
    config = json.loads(found[-1])
    assert isinstance(config, dict)
    return config


def relayed(event_type: str, token: str, event: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON the page POSTs for one SDK event."""
    return {"type": event_type, "event": EVENTS[event_type] if event is None else event, "userToken": token}


@pytest.fixture(scope="module")
def other_key(other_rsa_key: rsa.RSAPrivateKey) -> rsa.RSAPrivateKey:
    """A key that is not the project's: what a forger signs with."""
    return other_rsa_key


@pytest.fixture
def paragon(rsa_key: rsa.RSAPrivateKey) -> Iterator[Paragon]:
    """A sync client signing with the session's key (no request is ever made here)."""
    with Paragon(project_id=PROJECT_ID, signing_key=rsa_key) as client:
        yield client


class Relay:
    """One client, sync or async, with a recorder subscribed to all five events; ``handle`` runs the right helper.

    The async client also gets an ``async def`` subscriber, so awaiting is checked too.
    """

    def __init__(self, flavor: str, key: rsa.RSAPrivateKey) -> None:
        self.flavor = flavor
        self.calls: list[tuple[str, dict[str, Any], Any]] = []
        self._loop = asyncio.new_event_loop() if flavor == "async" else None
        self.client: Paragon | AsyncParagon
        if flavor == "sync":
            self.client = Paragon(project_id=PROJECT_ID, signing_key=key)
        else:
            self.client = AsyncParagon(project_id=PROJECT_ID, signing_key=key)
        for name in EVENT_NAMES:
            self.client.subscribe(cast(EventName, name), self._record("sync"))
            if isinstance(self.client, AsyncParagon):
                self.client.subscribe(cast(EventName, name), self._record_async())

    def _record(self, label: str) -> Callable[[Any, Any], None]:
        def record(event: Any, user: Any) -> None:
            self.calls.append((label, event, user))

        return record

    def _record_async(self) -> Callable[[Any, Any], Any]:
        async def record(event: Any, user: Any) -> None:
            await asyncio.sleep(0)
            self.calls.append(("async", event, user))

        return record

    def handle(self, body: Any, **options: Any) -> Any:
        if isinstance(self.client, Paragon):
            return handle_relayed_event(self.client, body, **options)
        assert self._loop is not None
        return self._loop.run_until_complete(ahandle_relayed_event(self.client, body, **options))

    def close(self) -> None:
        if isinstance(self.client, Paragon):
            self.client.close()
        else:
            assert self._loop is not None
            self._loop.run_until_complete(self.client.aclose())
            close_loop(self._loop)


@pytest.fixture(params=["sync", "async"])
def relay(request: pytest.FixtureRequest, rsa_key: rsa.RSAPrivateKey) -> Iterator[Relay]:
    """A ``Relay`` for ``Paragon`` and one for ``AsyncParagon``."""
    made = Relay(str(request.param), rsa_key)
    yield made
    made.close()


def rendered_chain(error: BaseException) -> str:
    """The error, its causes and contexts, each frame with its locals (as an error tracker keeps them), without
    this module's frames (which hold the test's own copy of the token)."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None:
        parts.append(f"{type(current).__name__}: {current!r}")
        for frame in traceback.StackSummary.extract(traceback.walk_tb(current.__traceback__), capture_locals=True):
            if frame.filename != __file__:
                parts.extend(f"{name} = {value}" for name, value in (frame.locals or {}).items())
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


# -- the page -----------------------------------------------------------------------------------------------------


def test_page_authenticates_opens_the_portal_and_relays(paragon: Paragon, rsa_key: rsa.RSAPrivateKey) -> None:
    """The page's script gets the project, a token for the user (RS256, this project's ``aud``, verifiable with the
    project's public key), the integration, the relay URL and the five event names; it loads the documented CDN
    script by default and configures no service URLs."""
    page = connect_page(paragon, USER, integration="salesforce", relay_url="/paragon/events")
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    config = page_config(page)
    claims = jwt.decode(
        config.pop("userToken"), rsa_key.public_key(), algorithms=["RS256"], audience=f"useparagon.com/{PROJECT_ID}"
    )
    assert claims["sub"] == USER
    assert claims["exp"] - claims["iat"] == 3600 + 30
    assert config == {
        "projectId": PROJECT_ID,
        "integration": "salesforce",
        "connectOptions": {},
        "relayUrl": "/paragon/events",
        "relayHeaders": {},
        "events": list(EVENT_NAMES),
        "sdkUrl": DEFAULT_SDK_URL,
        "sdkHost": None,
        "sdkUrls": {},
        "nonce": None,
        "statusId": "useparagon-status",
        "configuredInHead": True,
    }
    assert DEFAULT_SDK_URL == "https://cdn.useparagon.com/latest/sdk/index.js"
    assert 'id="useparagon-status"' in page


def test_snippet_is_one_script_element(paragon: Paragon) -> None:
    """``connect_snippet`` is the page's script alone: one ``<script>`` element, no document around it, and no status
    element to update; without ``integration`` and ``relay_url`` it only authenticates."""
    snippet = connect_snippet(paragon, USER)
    assert snippet.startswith("<script>\n")
    assert snippet.endswith("</script>\n")
    assert snippet.count("<script") == 1
    assert snippet.count("</script>") == 1
    assert "<html" not in snippet
    config = page_config(snippet)
    assert config["statusId"] is None
    assert config["integration"] is None
    assert config["relayUrl"] is None


def test_options_reach_the_page(paragon: Paragon, rsa_key: rsa.RSAPrivateKey) -> None:
    """``ttl``, ``permissions``, ``connect_options``, ``relay_headers``, a pinned ``sdk_url``, ``sdk_host`` with
    ``sdk_urls`` (for ``configureGlobal``), ``nonce`` and ``title`` each land where the script reads them."""
    page = connect_page(
        paragon,
        USER,
        integration="custom.my-app",
        relay_url="https://app.example/paragon/events",
        relay_headers={"X-CSRFToken": "csrf-value"},
        connect_options={"allowMultipleCredentials": True, "selectedCredentialId": "cred-1"},
        sdk_url="/static/paragon-sdk.js",
        sdk_host="paragon.example.com",
        sdk_urls={"ZEUS_PUBLIC_URL": "http://127.0.0.1:8400/", "CONNECT_PUBLIC_URL": "http://127.0.0.1:8400"},
        ttl=600,
        permissions={"salesforce": ["read"]},
        nonce="rAnd0m+Nonce/=",
        title="Connect Salesforce",
    )
    config = page_config(page)
    claims = jwt.decode(config["userToken"], rsa_key.public_key(), algorithms=["RS256"], options={"verify_aud": False})
    assert claims["exp"] - claims["iat"] == 600 + 30
    assert claims["urn:useparagon:connect:permissions"] == {"salesforce": ["read"]}
    assert config["integration"] == "custom.my-app"
    assert config["connectOptions"] == {"allowMultipleCredentials": True, "selectedCredentialId": "cred-1"}
    assert config["relayUrl"] == "https://app.example/paragon/events"
    assert config["relayHeaders"] == {"X-CSRFToken": "csrf-value"}
    assert config["sdkUrl"] == "/static/paragon-sdk.js"
    assert config["sdkHost"] == "paragon.example.com"
    assert config["sdkUrls"] == {
        "ZEUS_PUBLIC_URL": "http://127.0.0.1:8400",
        "CONNECT_PUBLIC_URL": "http://127.0.0.1:8400",
    }
    assert config["nonce"] == "rAnd0m+Nonce/="
    assert '<script nonce="rAnd0m+Nonce/=">' in page
    assert "<title>Connect Salesforce</title>" in page


def test_service_urls_without_a_host_keep_paragon_cloud_as_the_base(paragon: Paragon) -> None:
    """``configureGlobal`` requires a host; given only ``sdk_urls``, the page passes ``useparagon.com`` so every
    service not overridden stays on Paragon's cloud. Every name the SDK reads is accepted."""
    urls = {name: f"http://127.0.0.1:9/{name.lower()}" for name in SDK_SERVICE_URL_NAMES}
    config = page_config(connect_page(paragon, USER, sdk_urls=urls))
    assert config["sdkHost"] == "useparagon.com"
    assert config["sdkUrls"] == urls


@pytest.mark.parametrize(
    "field",
    ["user_id", "relay_url", "relay_url_absolute", "sdk_url", "connect_options", "title"],
)
def test_hostile_values_are_escaped(paragon: Paragon, field: str) -> None:
    """``</script>``, ``<!--``, quotes, ``&`` and U+2028/U+2029 in any value the page carries cannot end the script,
    open a comment or break the JavaScript: the page has exactly its own ``<script>`` element, and each value comes
    back intact from the script's JSON (or, for the title, HTML-escaped). A user id appears only inside its token."""
    options: dict[str, Any] = {"integration": "salesforce", "relay_url": "/paragon/events"}
    user_id = USER
    if field == "user_id":
        user_id = HOSTILE.replace("\u2028", "").replace("\u2029", "")  # line separators are refused in a user id
    elif field == "relay_url":
        options["relay_url"] = "/paragon/events?next=" + HOSTILE
    elif field == "relay_url_absolute":
        options["relay_url"] = "https://app.example/x?q=" + HOSTILE
    elif field == "sdk_url":
        options["sdk_url"] = "https://cdn.example/sdk.js#" + HOSTILE
    elif field == "connect_options":
        options["connect_options"] = {HOSTILE: [HOSTILE, {"nested": HOSTILE}]}
    else:
        options["title"] = HOSTILE
    page = connect_page(paragon, user_id, **options)
    # The module shim, the SDK itself, its configuration in <head>, and the main script: nothing more.
    assert page.count("<script") == 4
    assert page.count("</script") == 4
    assert "<!--" not in page
    assert "\u2028" not in page
    assert "\u2029" not in page
    assert "alert(1)</script>" not in page
    assert page.isascii()
    for inline in re.findall(r"<script>\n(.*?)</script>", page, re.DOTALL):
        assert "<" not in inline
    config = page_config(page)
    if field == "user_id":
        assert user_id not in page
        claims = jwt.decode(config["userToken"], options={"verify_signature": False})
        assert claims["sub"] == user_id
    elif field.startswith("relay_url"):
        assert config["relayUrl"] == options["relay_url"]
    elif field == "sdk_url":
        assert config["sdkUrl"] == options["sdk_url"]
    elif field == "connect_options":
        assert config["connectOptions"] == options["connect_options"]
    else:
        title = page[page.index("<title>") + len("<title>") : page.index("</title>")]
        assert "<" not in title
        assert '"' not in title
        assert "&lt;/script&gt;" in title


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"integration": "sales</script>force"}, "integration must not contain '<'"),
        ({"integration": ""}, "integration must be a non-empty string"),
        ({"relay_url": "javascript:alert(1)"}, "relay_url must be an http(s) URL or a path starting with '/'"),
        ({"relay_url": "//evil.example/events"}, "relay_url must be an http(s) URL or a path"),
        ({"relay_url": "data:text/html,<b>"}, "relay_url must be an http(s) URL"),
        ({"relay_url": "ftp://app.example/events"}, "relay_url must be an http(s) URL"),
        ({"relay_url": "paragon/events"}, "relay_url must be an http(s) URL"),
        ({"relay_url": "/events\r\nX-Injected: 1"}, "relay_url must not contain control characters"),
        ({"relay_url": "/\\evil.example"}, "must not contain control characters or backslashes"),
        ({"relay_url": " /events"}, "nor start or end with whitespace"),
        ({"relay_url": ""}, "relay_url must not be blank"),
        ({"relay_url": "/" + "a" * 3000}, "relay_url must be at most 2048 characters"),
        ({"relay_url": 5}, "relay_url must be a str"),
        ({"sdk_url": "javascript:paragon()"}, "sdk_url must be an http(s) URL or a path"),
        ({"sdk_host": "https://paragon.example.com/"}, "sdk_host must be a bare host name"),
        ({"sdk_host": "paragon.example.com\n"}, "sdk_host must be a bare host name"),
        ({"sdk_urls": {"ZEUS": "http://127.0.0.1:1"}}, "sdk_urls has an unknown key 'ZEUS'; the SDK reads:"),
        ({"sdk_urls": {"ZEUS_PUBLIC_URL": "/zeus"}}, "sdk_urls['ZEUS_PUBLIC_URL'] must be an http(s) URL,"),
        ({"sdk_urls": ["ZEUS_PUBLIC_URL"]}, "sdk_urls must be a mapping"),
        ({"relay_url": "/e", "relay_headers": {"X-CSRFToken": "a\r\nb"}}, "must not contain control characters"),
        ({"relay_url": "/e", "relay_headers": {"Content-Type": "text/plain"}}, "must not set 'Content-Type'"),
        ({"relay_headers": {"X-CSRFToken": "token"}}, "relay_headers applies only with a relay_url"),
        ({"connect_options": {"a": 1}}, "connect_options applies only with an integration"),
        ({"integration": "slack", "connect_options": {"a": {1, 2}}}, 'connect_options["a"]'),
        ({"integration": "slack", "connect_options": {"a": float("nan")}}, "must be a finite number"),
        ({"nonce": 'abc" onload="alert(1)'}, "nonce must be the CSP nonce"),
        ({"title": None}, "title must be a str"),
        ({"ttl": 0}, "ttl must be between 1 and 86400 seconds"),
    ],
)
def test_unsafe_page_arguments_are_refused(paragon: Paragon, options: dict[str, Any], message: str) -> None:
    """What cannot be made safe or cannot work is refused with ``InvalidRequestError`` (a ``ValueError``) naming
    the argument: a script URL that is not http(s) or a same-origin path, a scheme-relative URL, control characters,
    an unknown SDK service name, a header the page sets itself, options without what they apply to."""
    with pytest.raises(InvalidRequestError) as caught:
        connect_page(paragon, USER, **options)
    assert message in str(caught.value)


def test_user_id_with_a_line_separator_is_refused(paragon: Paragon) -> None:
    """The user id goes through ``sign_user_token``'s checks: U+2028 (and every control character) is refused."""
    with pytest.raises(InvalidRequestError, match="control characters or line breaks"):
        connect_page(paragon, "user\u2028123")


def test_the_page_needs_the_signing_key() -> None:
    """Without a signing key the page cannot be given a token: ``ConfigurationError`` says which setting is missing."""
    with Paragon(project_id=PROJECT_ID) as client, pytest.raises(ConfigurationError, match="signing_key"):
        connect_page(client, USER)


def test_the_page_token_is_never_logged(paragon: Paragon, caplog: pytest.LogCaptureFixture) -> None:
    """Rendering a page logs nothing that holds its token (at DEBUG, the most verbose level)."""
    caplog.set_level(logging.DEBUG)
    token = page_config(connect_page(paragon, USER, integration="slack", relay_url="/e"))["userToken"]
    assert all(token not in record.getMessage() for record in caplog.records)


# -- the relay ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", list(EVENTS))
@pytest.mark.parametrize("encoding", ["bytes", "str", "mapping"])
def test_a_relayed_event_fires_the_subscribers(relay: Relay, event_type: str, encoding: str) -> None:
    """A body relayed by the page (bytes, text or an already-parsed object) with a valid token fires the client's
    subscribers once each with the event as a typed dict (``type`` first) and a session for the token's user; the
    same event is returned. The async client awaits ``async def`` subscribers."""
    token = relay.client.sign_user_token(USER)
    payload = relayed(event_type, token)
    body: Any = {
        "bytes": json.dumps(payload).encode(),
        "str": json.dumps(payload),
        "mapping": payload,
    }[encoding]
    event = relay.handle(body, expected_user_id=USER)
    assert event == {"type": event_type, **EVENTS[event_type]}
    assert next(iter(event)) == "type"
    labels = ["sync"] if relay.flavor == "sync" else ["sync", "async"]
    assert [label for label, _, _ in relay.calls] == labels
    for _, fired, user in relay.calls:
        assert fired == event
        assert isinstance(user, UserSession if relay.flavor == "sync" else AsyncUserSession)
        assert user.user_id == USER
        assert "userToken" not in fired


def test_only_the_named_event_fires(relay: Relay) -> None:
    """A relayed ``onPortalClose`` reaches the ``onPortalClose`` subscribers and no other event's."""
    fired: list[str] = []
    relay.client.subscribe("onPortalOpen", lambda event, user: fired.append("open"))
    relay.client.subscribe("onPortalClose", lambda event, user: fired.append("close"))
    relay.handle(relayed("onPortalClose", relay.client.sign_user_token(USER)))
    assert fired == ["close"]


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_the_session_acts_with_the_relayed_token(flavor: str, rsa_key: rsa.RSAPrivateKey) -> None:
    """The callback's session is authenticated with the token the page was given (same user, same permissions):
    a request it makes carries exactly that token, and its repr does not show it."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"authenticated": True, "userId": USER, "integrations": {}})

    sessions: list[Any] = []
    transport = httpx.MockTransport(handler)
    if flavor == "sync":
        with Paragon(project_id=PROJECT_ID, signing_key=rsa_key, http_client=httpx.Client(transport=transport)) as sync:
            sync.subscribe("onPortalOpen", lambda event, user: sessions.append(user))
            token = sync.sign_user_token(USER, permissions={"slack": ["chat.postMessage"]})
            handle_relayed_event(sync, relayed("onPortalOpen", token))
            sessions[0].get_user()
    else:

        async def scenario() -> str:
            async with AsyncParagon(
                project_id=PROJECT_ID, signing_key=rsa_key, http_client=httpx.AsyncClient(transport=transport)
            ) as client:

                async def remember(event: Any, user: Any) -> None:
                    sessions.append(user)

                client.subscribe("onPortalOpen", remember)
                token = client.sign_user_token(USER, permissions={"slack": ["chat.postMessage"]})
                await ahandle_relayed_event(client, relayed("onPortalOpen", token))
                await sessions[0].get_user()
                return token

        token = asyncio.run(scenario())
    assert sessions[0].user_id == USER
    assert token not in repr(sessions[0])
    assert [request.headers["authorization"] for request in sent] == [f"Bearer {token}"]


def _forged(key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey) -> dict[str, str]:
    """Tokens a relay must refuse, by how they are wrong."""
    good = TokenSigner(key=key, project_id=PROJECT_ID).sign(USER)
    header, _, signature = good.split(".")
    victim = base64.urlsafe_b64encode(
        json.dumps({"sub": "victim", "aud": f"useparagon.com/{PROJECT_ID}", "exp": int(time.time()) + 3600}).encode()
    )
    now = int(time.time())
    return {
        "another key": TokenSigner(key=other_key, project_id=PROJECT_ID).sign(USER),
        "payload swapped": f"{header}.{victim.decode().rstrip('=')}.{signature}",
        "expired": TokenSigner(key=key, project_id=PROJECT_ID).issue(USER, ttl=60, now=now - 3600)[0],
        "another project": TokenSigner(key=key, project_id="another-project").sign(USER),
        "no exp": jwt.encode({"sub": USER, "aud": f"useparagon.com/{PROJECT_ID}"}, key, algorithm="RS256"),
        "no aud": jwt.encode({"sub": USER, "exp": now + 60}, key, algorithm="RS256"),
        "empty sub": jwt.encode(
            {"sub": "", "aud": f"useparagon.com/{PROJECT_ID}", "exp": now + 60}, key, algorithm="RS256"
        ),
        "HS256": jwt.encode(
            {"sub": USER, "aud": f"useparagon.com/{PROJECT_ID}", "exp": now + 60},
            "a-shared-secret-of-at-least-32-bytes!",
            algorithm="HS256",
        ),
        "alg none": jwt.encode(
            {"sub": USER, "aud": f"useparagon.com/{PROJECT_ID}", "exp": now + 60}, "", algorithm="none"
        ),
        "issued in the future": jwt.encode(
            {"sub": USER, "aud": f"useparagon.com/{PROJECT_ID}", "iat": now + 3600, "exp": now + 7200},
            key,
            algorithm="RS256",
        ),
        "not a JWT": "not-a-jwt",
    }


FORGERIES = {
    "another key": "is not signed with this project's signing key",
    "payload swapped": "is not signed with this project's signing key",
    "expired": "has expired",
    "another project": "is for another Paragon project",
    "no exp": "has no 'exp' claim",
    "no aud": "has no 'aud' claim",
    "empty sub": "has no user id",
    "HS256": "is not signed with RS256",
    "alg none": "is not signed with RS256",
    "issued in the future": "was issued in the future",
    "not a JWT": "is not a well-formed JWT",
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_bad_token_is_refused(
    relay: Relay, rsa_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey, forgery: str
) -> None:
    """A token signed by another key, tampered with, expired, for another project, missing a required claim, not
    RS256 or not a JWT: ``UserTokenError`` saying why, no callback fired, and neither the message, the repr nor any
    local of the traceback (what error trackers record) holds the token."""
    token = _forged(rsa_key, other_key)[forgery]
    with pytest.raises(UserTokenError) as caught:
        relay.handle(json.dumps(relayed("onIntegrationInstall", token)).encode())
    assert FORGERIES[forgery] in str(caught.value)
    assert relay.calls == []
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    chain = rendered_chain(caught.value)
    assert token not in chain
    assert token.rsplit(".", 1)[-1][:24] not in chain or len(token.rsplit(".", 1)[-1]) < 24


@pytest.mark.parametrize(
    ("make_body", "options", "error", "message"),
    [
        (
            lambda token: relayed("onPortalOpen", token),
            {"expected_user_id": "user-456"},
            UserTokenError,
            "is for user 'user-123', not 'user-456'",
        ),
        (
            lambda token: {**relayed("onPortalOpen", token), "userId": "user-456"},
            {},
            UserTokenError,
            "names another user than its token's 'user-123'",
        ),
        (
            lambda token: relayed("onPortalOpen", token, {**EVENTS["onPortalOpen"], "userId": "user-456"}),
            {},
            UserTokenError,
            "names another user",
        ),
        (
            lambda token: {"type": "onPortalOpen", "event": EVENTS["onPortalOpen"]},
            {},
            UserTokenError,
            "has no userToken",
        ),
        (lambda token: {**relayed("onPortalOpen", token), "userToken": 12}, {}, UserTokenError, "has no userToken"),
        (
            lambda token: relayed("onPortalOpen", token) | {"type": "onSomethingElse"},
            {},
            InvalidRequestError,
            "unknown relayed event type 'onSomethingElse'; expected one of: onIntegrationInstall",
        ),
        (
            lambda token: relayed("onPortalOpen", token) | {"type": 7},
            {},
            InvalidRequestError,
            "unknown relayed event type a number",
        ),
        (
            lambda token: relayed("onPortalOpen", token) | {"event": ["int-1"]},
            {},
            InvalidRequestError,
            "payload ('event') must be a JSON object, got an array",
        ),
        (
            lambda token: relayed("onPortalOpen", token) | {"event": "int-1"},
            {},
            InvalidRequestError,
            "must be a JSON object, got a string",
        ),
        (
            lambda token: {"type": "onPortalOpen", "userToken": token},
            {},
            InvalidRequestError,
            "must be a JSON object, got nothing",
        ),
        (
            lambda token: relayed("onPortalOpen", token, {"integrationId": "int-1"}),
            {},
            InvalidRequestError,
            "needs 'integrationType' as a non-empty string",
        ),
        (
            lambda token: relayed("onWorkflowChange", token, {"integrationId": "int-1", "workflowId": "wf-1"}),
            {},
            InvalidRequestError,
            "needs 'workflowStateChange' as a JSON object",
        ),
        (
            lambda token: relayed("onPortalOpen", token, {**EVENTS["onPortalOpen"], "type": "onPortalClose"}),
            {},
            InvalidRequestError,
            "payload names another type",
        ),
        (lambda token: [relayed("onPortalOpen", token)], {}, InvalidRequestError, "must be a JSON object"),
        (
            lambda token: relayed("onPortalOpen", token),
            {"expected_user_id": 123},
            InvalidRequestError,
            "expected_user_id must be a str or None",
        ),
    ],
)
def test_a_bad_event_is_refused(
    relay: Relay, make_body: Callable[[str], Any], options: dict[str, Any], error: type[Exception], message: str
) -> None:
    """A valid token for another user than the app expects (or than the event names), no token, an unknown type, a
    payload that is not an object or lacks what its type needs: the typed error, and no callback fired."""
    token = relay.client.sign_user_token(USER)
    with pytest.raises(error) as caught:
        relay.handle(json.dumps(make_body(token)), **options)
    assert message in str(caught.value)
    assert relay.calls == []
    assert token not in rendered_chain(caught.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "is not valid JSON"),
        (b"\xff\xfe\x00garbage", "is not valid JSON"),
        (b"", "is not valid JSON"),
        ("{" * 5 + '"type": "onPortalOpen"', "is not valid JSON"),
        (b"[" * 200_000 + b"]" * 200_000, "larger than"),
        (b"[" * 100_000, "is not valid JSON"),
        (b'{"type": "onPortalOpen", "event": {}, "userToken": "x", "n": NaN}', "is not valid JSON"),
        (b" " * (MAX_RELAYED_EVENT_BYTES + 1), f"larger than {MAX_RELAYED_EVENT_BYTES} bytes"),
        ("x" * (MAX_RELAYED_EVENT_BYTES + 1), f"larger than {MAX_RELAYED_EVENT_BYTES} bytes"),
        (b'"a string"', "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (12, "must be the request body (bytes or str) or its parsed JSON object, not int"),
        (None, "not NoneType"),
    ],
)
def test_a_malformed_body_is_refused(relay: Relay, body: Any, message: str) -> None:
    """Not JSON, not UTF-8, nested past what the parser handles, NaN, over ``MAX_RELAYED_EVENT_BYTES`` (refused
    before parsing), not an object, or not a body at all: ``InvalidRequestError``, with nothing chained, and no
    callback fired."""
    with pytest.raises(InvalidRequestError) as caught:
        relay.handle(body)
    assert message in str(caught.value)
    assert not isinstance(caught.value, UserTokenError)
    assert caught.value.__cause__ is None
    assert relay.calls == []


def test_a_body_just_under_the_cap_is_read(relay: Relay) -> None:
    """The cap is on the body's size, not a guess: an event padded to just under it is accepted."""
    payload = relayed("onPortalOpen", relay.client.sign_user_token(USER))
    base = json.dumps(payload).encode()
    padded = base[:-1] + b"," + b'"pad":"' + b"x" * (MAX_RELAYED_EVENT_BYTES - len(base) - 9) + b'"}'
    assert len(padded) == MAX_RELAYED_EVENT_BYTES
    assert relay.handle(padded)["type"] == "onPortalOpen"


def test_the_relay_needs_the_signing_key(rsa_key: rsa.RSAPrivateKey) -> None:
    """Verifying needs the project's key: a client without one raises ``ConfigurationError``, fires nothing."""
    token = TokenSigner(key=rsa_key, project_id=PROJECT_ID).sign(USER)
    with Paragon(project_id=PROJECT_ID) as client:
        fired: list[Any] = []
        client.subscribe("onPortalOpen", lambda event, user: fired.append(event))
        with pytest.raises(ConfigurationError):
            handle_relayed_event(client, relayed("onPortalOpen", token))
        assert fired == []


def test_a_raising_subscriber_does_not_refuse_the_event(relay: Relay, caplog: pytest.LogCaptureFixture) -> None:
    """As for the client's own events: a subscriber that raises is logged, the others still run, the event returns."""

    def broken(event: Any, user: Any) -> None:
        raise RuntimeError("subscriber bug")

    relay.client.subscribe("onPortalOpen", broken)
    event = relay.handle(relayed("onPortalOpen", relay.client.sign_user_token(USER)))
    assert event["type"] == "onPortalOpen"
    assert len(relay.calls) == (1 if relay.flavor == "sync" else 2)
    assert "a onPortalOpen subscriber raised" in caplog.text


def test_every_refusal_is_a_paragon_error_and_a_value_error(paragon: Paragon) -> None:
    """``UserTokenError`` is an ``InvalidRequestError``: one ``except InvalidRequestError`` (or ``ValueError``)
    answers 400 for everything, or catch ``UserTokenError`` first to answer 403."""
    with pytest.raises(UserTokenError) as caught:
        handle_relayed_event(paragon, relayed("onPortalOpen", "not-a-jwt"))
    assert isinstance(caught.value, InvalidRequestError)
    assert isinstance(caught.value, ParagonError)
    assert isinstance(caught.value, ValueError)


# -- the page's script, run under Node against a stand-in SDK ----------------------------------------------------

NODE_HARNESS = r"""
const vm = require("node:vm");
const fs = require("node:fs");
const [scriptPath, scenario] = process.argv.slice(2);
const html = fs.readFileSync(scriptPath, "utf8");
const start = html.indexOf(">", html.lastIndexOf("<script")) + 1;
const source = html.slice(start, html.lastIndexOf("</script>"));
const log = [];
const listeners = {};
const sdk = {
  configureGlobal: (options, overrides) => log.push(["configureGlobal", options, overrides]),
  subscribe: (type, listener) => { listeners[type] = listener; log.push(["subscribe", type]); return () => true; },
  authenticate: (projectId, token) => { log.push(["authenticate", projectId, token]); return Promise.resolve(); },
  connect: (integration, options) => { log.push(["connect", integration, options]); return new Promise(() => {}); },
};
const context = {
  console: {error: (...args) => log.push(["console.error", args.map(String).join(" ")])},
  fetch: (url, init) => { log.push(["fetch", url, init]); return Promise.resolve({ok: true, status: 204}); },
  document: {
    head: {appendChild: (script) => {
      log.push(["load", script.src, script.nonce || null, typeof context.module, typeof context.exports]);
      if (scenario === "commonjs") context.module.exports = {paragon: sdk};  // what the npm build does
      if (scenario === "global") context.paragon = sdk;  // what Paragon's CDN build does
      Promise.resolve().then(() => (scenario === "unreachable" ? script.onerror() : script.onload()));
    }},
    createElement: (tag) => ({tag}),
    getElementById: () => null,
  },
};
context.window = context;
if (scenario === "preloaded") context.paragon = sdk;
vm.createContext(context);
vm.runInContext(source, context);
context.useparagon.ready.then(() => "resolved", (error) => "rejected: " + error.message).then(async (ready) => {
  for (const type of Object.keys(listeners)) {
    const event = type === "onWorkflowChange"
      ? {integrationId: "int-1", workflowId: "wf-1", workflowStateChange: {enabled: true}}
      : {integrationId: "int-1", integrationType: "salesforce"};
    listeners[type](event, {userId: "the SDK's user state, not relayed"});
  }
  await new Promise((resolve) => setImmediate(resolve));
  const moduleAfter = typeof context.module;
  process.stdout.write(JSON.stringify({log, ready, moduleAfter, paragonSet: context.paragon === sdk}));
});
"""


@pytest.fixture(scope="module")
def node() -> str:
    """Node (installed by ``make node`` for the spec linters); the script tests need nothing else."""
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed")
    return found


def run_page_script(node: str, tmp_path: Path, page: str, scenario: str) -> dict[str, Any]:
    """Run the page's script in a Node VM whose ``document`` loads a stand-in SDK the way ``scenario`` says."""
    harness = tmp_path / "harness.js"
    harness.write_text(NODE_HARNESS)
    snippet = tmp_path / "snippet.html"
    snippet.write_text(page)
    done = subprocess.run([node, str(harness), str(snippet), scenario], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert isinstance(result, dict)
    return result


@pytest.mark.parametrize("scenario", ["commonjs", "global"])
def test_the_script_drives_the_sdk_and_relays_its_events(
    paragon: Paragon, node: str, tmp_path: Path, scenario: str
) -> None:
    """Against a stand-in SDK loaded as the npm build (CommonJS ``module.exports``) or the CDN build
    (``window.paragon``): the script loads ``sdk_url`` with the nonce (``module`` defined only while it loads, never
    ``exports``), configures the service URLs, subscribes to the five events, authenticates with the project and
    token, opens the portal, and POSTs each event as JSON that ``handle_relayed_event`` accepts."""
    fired: list[tuple[str, str]] = []
    for name in EVENT_NAMES:
        paragon.subscribe(cast(EventName, name), lambda event, user: fired.append((event["type"], user.user_id)))
    page = connect_snippet(
        paragon,
        USER,
        integration="salesforce",
        connect_options={"allowMultipleCredentials": True},
        relay_url="/paragon/events",
        relay_headers={"X-CSRFToken": "csrf"},
        sdk_url="/static/sdk.js",
        sdk_urls={"ZEUS_PUBLIC_URL": "http://127.0.0.1:8400"},
        nonce="n0nce",
    )
    token = page_config(page)["userToken"]
    result = run_page_script(node, tmp_path, page, scenario)
    log = result["log"]
    assert result["ready"] == "resolved"
    assert result["moduleAfter"] == "undefined"
    assert result["paragonSet"]
    calls = [entry for entry in log if entry[0] != "fetch"]
    assert calls[0] == ["load", "/static/sdk.js", "n0nce", "object", "undefined"]
    assert calls[1] == ["configureGlobal", {"host": "useparagon.com"}, {"ZEUS_PUBLIC_URL": "http://127.0.0.1:8400"}]
    assert calls[2:7] == [["subscribe", name] for name in EVENT_NAMES]
    assert calls[7] == ["authenticate", PROJECT_ID, token]
    assert calls[8] == ["connect", "salesforce", {"allowMultipleCredentials": True}]
    fetches = [entry for entry in log if entry[0] == "fetch"]
    assert [url for _, url, _ in fetches] == ["/paragon/events"] * 5
    for _, _, init in fetches:
        assert init["method"] == "POST"
        assert init["headers"] == {"Content-Type": "application/json", "X-CSRFToken": "csrf"}
        assert init["credentials"] == "same-origin"
        handle_relayed_event(paragon, init["body"], expected_user_id=USER)
    assert sorted(fired) == sorted((name, USER) for name in EVENT_NAMES)


def test_the_script_only_authenticates_with_an_sdk_already_on_the_page(
    paragon: Paragon, node: str, tmp_path: Path
) -> None:
    """With ``window.paragon`` already there (the app loaded the SDK itself) and no integration or relay URL, the
    script loads nothing, subscribes to nothing, opens no portal: it authenticates and ``useparagon.ready``
    resolves, for the app's own ``installIntegration`` calls."""
    page = connect_snippet(paragon, USER)
    result = run_page_script(node, tmp_path, page, "preloaded")
    assert result["ready"] == "resolved"
    assert [entry[0] for entry in result["log"]] == ["authenticate"]


def test_the_script_reports_an_sdk_that_does_not_load(paragon: Paragon, node: str, tmp_path: Path) -> None:
    """An ``sdk_url`` that fails to load rejects ``useparagon.ready`` with a message naming the URL, logs it to the
    console, and leaves no ``module`` behind."""
    page = connect_page(paragon, USER, integration="slack", sdk_url="https://cdn.example/missing.js")
    result = run_page_script(node, tmp_path, page, "unreachable")
    assert result["ready"] == "rejected: could not load Paragon's SDK from https://cdn.example/missing.js"
    assert result["moduleAfter"] == "undefined"
    assert any(entry[0] == "console.error" for entry in result["log"])
    assert not any(entry[0] in ("authenticate", "connect") for entry in result["log"])


# -- end to end through a FastAPI app ----------------------------------------------------------------------------

SIGNED_IN = USER  # who the app's own login says is using the page


def fastapi_app(client: Paragon | AsyncParagon) -> FastAPI:
    """The FastAPI example of docs/guide/connect-page.md: GET /connect serves the page, POST /paragon/events relays
    into ``client``."""
    app = FastAPI()

    @app.get("/connect")
    def connect() -> HTMLResponse:
        page = connect_page(client, SIGNED_IN, integration="salesforce", relay_url="/paragon/events")
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    if isinstance(client, AsyncParagon):
        async_client = client

        @app.post("/paragon/events")
        async def paragon_events(request: Request) -> Response:
            try:
                await ahandle_relayed_event(async_client, await request.body(), expected_user_id=SIGNED_IN)
            except UserTokenError:
                return Response(status_code=403)
            except InvalidRequestError:
                return Response(status_code=400)
            return Response(status_code=204)

    else:
        sync_client = client

        @app.post("/paragon/events")
        def paragon_events_sync(payload: Any = Body()) -> Response:  # noqa: B008 (FastAPI's own idiom)
            try:
                handle_relayed_event(sync_client, payload, expected_user_id=SIGNED_IN)
            except UserTokenError:
                return Response(status_code=403)
            except InvalidRequestError:
                return Response(status_code=400)
            return Response(status_code=204)

    return app


@pytest.mark.parametrize("flavor", ["sync", "async"])
async def test_fastapi_app_end_to_end(flavor: str, rsa_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey) -> None:
    """Through a real ASGI app: the page is served (HTML, ``no-store``) with a token for the signed-in user; what the
    browser would relay with that token is accepted (204) and reaches the Python subscriber with a session for that
    user; a forged token or one for another user is answered 403, a malformed body 400, and neither fires."""
    client: Paragon | AsyncParagon = (
        Paragon(project_id=PROJECT_ID, signing_key=rsa_key)
        if flavor == "sync"
        else AsyncParagon(project_id=PROJECT_ID, signing_key=rsa_key)
    )
    fired: list[tuple[Any, str]] = []

    async def remember(event: Any, user: Any) -> None:
        fired.append((event, user.user_id))

    if isinstance(client, AsyncParagon):
        client.subscribe("onIntegrationInstall", remember)
    else:
        client.subscribe("onIntegrationInstall", lambda event, user: fired.append((event, user.user_id)))
    transport = httpx.ASGITransport(app=fastapi_app(client))
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as browser:
        page = await browser.get("/connect")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        config = page_config(page.text)
        event = EVENTS["onIntegrationInstall"]

        accepted = await browser.post(config["relayUrl"], json=relayed("onIntegrationInstall", config["userToken"]))
        assert accepted.status_code == 204
        assert fired == [({"type": "onIntegrationInstall", **event}, SIGNED_IN)]

        forged = TokenSigner(key=other_key, project_id=PROJECT_ID).sign(SIGNED_IN)
        someone_else = client.sign_user_token("user-456")
        for token in (forged, someone_else):
            refused = await browser.post(config["relayUrl"], json=relayed("onIntegrationInstall", token))
            assert refused.status_code == 403
        malformed = await browser.post(
            config["relayUrl"], json={"type": "onIntegrationInstall", "event": [], "userToken": config["userToken"]}
        )
        assert malformed.status_code == 400
        assert len(fired) == 1
    if isinstance(client, AsyncParagon):
        await client.aclose()
    else:
        client.close()


def test_the_clients_offer_the_page_and_the_relay_as_methods() -> None:
    """``paragon.connect_page(...)``, ``connect_snippet(...)`` and ``handle_relayed_event(...)`` as
    docs/guide/connect-page.md shows them: the sync client's relay is a plain method, the async client's a coroutine."""
    from useparagon import AsyncParagon, Paragon, _web

    assert Paragon.connect_page is AsyncParagon.connect_page is _web.connect_page
    assert Paragon.connect_snippet is AsyncParagon.connect_snippet is _web.connect_snippet
    assert Paragon.handle_relayed_event is _web.handle_relayed_event
    assert AsyncParagon.handle_relayed_event is _web.ahandle_relayed_event
    assert inspect.iscoroutinefunction(AsyncParagon.handle_relayed_event)
    assert not inspect.iscoroutinefunction(Paragon.handle_relayed_event)
