"""The Python side of connecting users, in headless Chromium against FakeParagon:

- the page ``connect_page`` renders runs the official SDK (unmodified ``@useparagon/connect`` 2.4.0) and relays its
  events to the app, where ``handle_relayed_event`` fires the Python subscribers; a forged event is refused;
- the OAuth link flow end to end: ``start_connect`` → the browser opens ``link.url`` (the fake's consent page) →
  the provider redirects to the app → ``wait_for_connection`` returns the credential.

The app here is a small threaded HTTP server in the test, serving what a Flask or FastAPI app would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Browser, Page, Route
from useparagon import Credential, Paragon, ParagonError, UserTokenError
from useparagon._signing import TokenSigner
from useparagon.testing import FakeParagon

from tests.browser.support import SDK_BUNDLE, SERVICE_URL_KEYS, TIMEOUT_MS, requires_chromium

pytestmark = requires_chromium

RELAY = "/paragon/events"
USER = "u1"


class App:
    """What a Python web app serves: the connect page, the SDK bundle, the relay, and a page after OAuth."""

    def __init__(self, paragon: Paragon, fake_url: str) -> None:
        self.paragon = paragon
        self.fake_url = fake_url
        self.relayed: list[tuple[int, str]] = []  # (status answered, event type or error class)
        self.lock = threading.Lock()

    def page(self) -> str:
        return self.paragon.connect_page(
            USER,
            relay_url=RELAY,
            sdk_url="/connect.js",
            sdk_host=urlsplit(self.fake_url).hostname,
            sdk_urls=dict.fromkeys(SERVICE_URL_KEYS, self.fake_url),
        )

    def relay(self, body: bytes) -> int:
        try:
            event = self.paragon.handle_relayed_event(body, expected_user_id=USER)
        except UserTokenError:
            outcome = (403, "UserTokenError")
        except ParagonError as error:
            outcome = (400, type(error).__name__)
        else:
            outcome = (204, event["type"])
        with self.lock:
            self.relayed.append(outcome)
        return outcome[0]


@contextmanager
def serve(app: App) -> Iterator[str]:
    bundle = SDK_BUNDLE.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/connect":
                self._send(200, "text/html; charset=utf-8", app.page().encode())
            elif path == "/connect.js":
                self._send(200, "text/javascript; charset=utf-8", bundle)
            elif path == "/done":
                self._send(200, "text/html; charset=utf-8", b"<!doctype html><title>Connected</title>")
            else:
                self._send(404, "text/plain", b"not found")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self._send(app.relay(body) if urlsplit(self.path).path == RELAY else 404, "text/plain", b"")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="python app")
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def eventually(page: Page, check: Callable[[], bool], what: str, app: App, seconds: float = 30.0) -> None:
    """Wait for something the browser does in its own time (no timing is asserted: only that it happens).

    It waits through Playwright, not time.sleep: the context's route decides in this process whether each request
    may leave, so a test thread that only sleeps would hold every request of the page (the relay's too).
    """
    ends = time.monotonic() + seconds
    while not check():
        if time.monotonic() > ends:
            raise AssertionError(f"timed out waiting for {what} (the relay answered: {app.relayed})")
        page.wait_for_timeout(50)


@pytest.fixture
def fake_server(rsa_pem: str) -> Iterator[tuple[FakeParagon, str]]:
    fake = FakeParagon(signing_key_pem=rsa_pem)
    with fake.serve() as server:
        yield fake, server.url


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []

    def refuse(route: Route) -> None:
        outside.append(route.request.url)
        route.abort()

    context.route(lambda url: urlsplit(url).hostname not in ("127.0.0.1", "localhost"), refuse)
    try:
        yield context.new_page()
    finally:
        context.close()
    assert outside == [], f"the page tried to reach hosts other than loopback: {outside}"


def _client(fake: FakeParagon, url: str) -> Paragon:
    return Paragon(
        project_id=fake.project_id, signing_key=fake.signing_key, api_url=url, proxy_url=url, actionkit_url=url
    )


def _from_portal(page: Page, fake_url: str, function: str, *parameters: Any) -> None:
    """What the Connect Portal iframe does when the user acts in it: invoke an SDK function over postMessage
    (``SDK_FUNCTION_INVOCATION``, handled by the SDK's ``functionInvocationHandler``). Played from the fake's
    stand-in portal page, so the message really comes from the portal frame."""
    (frame,) = [frame for frame in page.frames if frame.url.startswith(f"{fake_url}/ui")]
    frame.evaluate(
        """([type, parameters]) => window.parent.postMessage(
            {messageType: "SDK_FUNCTION_INVOCATION", id: type, type, parameters}, "*")""",
        [function, list(parameters)],
    )


def test_the_connect_page_relays_sdk_events_to_python_subscribers(
    page: Page, fake_server: tuple[FakeParagon, str]
) -> None:
    """The page authenticates the official SDK with a token the server signed; what then happens in the browser —
    the user disconnects Salesforce, the app opens the Connect Portal for HubSpot, the user switches a workflow on in
    it and closes it — reaches ``paragon.subscribe`` callbacks through the relay, each with a session for that user.
    All five SDK events reach Python this way (install is covered by the OAuth test below)."""
    fake, url = fake_server
    workflow = fake.workflow_id("salesforce", "Sync Contacts to Salesforce")
    fake.user(USER).connect("salesforce")
    heard: list[tuple[dict[str, Any], str]] = []
    with _client(fake, url) as paragon:
        for name in ("onIntegrationUninstall", "onWorkflowChange", "onPortalOpen", "onPortalClose"):
            paragon.subscribe(name, lambda event, session: heard.append((dict(event), session.user_id)))
        app = App(paragon, url)
        with serve(app) as app_url:
            page.goto(f"{app_url}/connect")
            assert page.evaluate("() => window.useparagon.ready.then(p => p.getUser().userId)") == USER
            page.evaluate("() => window.useparagon.ready.then(p => p.uninstallIntegration('salesforce'))")
            eventually(page, lambda: len(heard) == 1, "the relayed uninstall", app)
            # connect() resolves only when the portal closes, so it is not awaited here.
            page.evaluate("() => window.useparagon.ready.then(p => { p.connect('hubspot'); })")
            _from_portal(page, url, "onOpen")
            eventually(page, lambda: len(heard) == 2, "the relayed portal opening", app)
            change = {
                "type": "onWorkflowChange",
                "integrationId": fake.integration_id("salesforce"),
                "workflowId": workflow,
                "workflowStateChange": {"enabled": True},
            }
            # The portal names the integration too (the SDK's triggerEvent fires nothing without integrationType).
            _from_portal(page, url, "triggerSDKEvent", {**change, "integrationType": "salesforce"})
            eventually(page, lambda: len(heard) == 3, "the relayed workflow change", app)
            _from_portal(page, url, "onClose")
            eventually(page, lambda: len(heard) == 4, "the relayed portal closing", app)
    salesforce, hubspot = fake.integration_id("salesforce"), fake.integration_id("hubspot")
    assert heard == [
        ({"type": "onIntegrationUninstall", "integrationId": salesforce, "integrationType": "salesforce"}, USER),
        ({"type": "onPortalOpen", "integrationId": hubspot, "integrationType": "hubspot"}, USER),
        (change, USER),
        ({"type": "onPortalClose", "integrationId": hubspot, "integrationType": "hubspot"}, USER),
    ]
    assert app.relayed == [
        (204, "onIntegrationUninstall"),
        (204, "onPortalOpen"),
        (204, "onWorkflowChange"),
        (204, "onPortalClose"),
    ]
    assert "salesforce" not in fake.user(USER).connected


def test_a_forged_relayed_event_is_refused(
    page: Page, fake_server: tuple[FakeParagon, str], other_rsa_key: rsa.RSAPrivateKey
) -> None:
    """Someone posting to the relay from the page with a token they signed themselves (or one for another user):
    403, and no Python subscriber hears it."""
    fake, url = fake_server
    heard: list[Any] = []
    forger = other_rsa_key
    forged = TokenSigner(key=forger, project_id=fake.project_id).sign(USER)
    other_user = fake.sign_user_token("u2")
    with _client(fake, url) as paragon:
        paragon.subscribe("onIntegrationInstall", lambda event, session: heard.append(event))
        app = App(paragon, url)
        with serve(app) as app_url:
            page.goto(f"{app_url}/connect")
            page.evaluate("() => window.useparagon.ready")
            statuses = [
                page.evaluate(
                    """([relay, token]) => fetch(relay, {method: "POST", body: JSON.stringify({
                        type: "onIntegrationInstall",
                        event: {integrationId: "i-1", integrationType: "salesforce"},
                        userToken: token,
                    })}).then(r => r.status)""",
                    [RELAY, token],
                )
                for token in (forged, other_user)
            ]
    assert statuses == [403, 403]
    assert app.relayed == [(403, "UserTokenError"), (403, "UserTokenError")]
    assert heard == []


def test_the_oauth_link_flow_end_to_end(page: Page, fake_server: tuple[FakeParagon, str]) -> None:
    """``start_connect`` gives the provider's URL; the browser opens it, the (fake) provider's consent page
    approves and redirects to the app; meanwhile ``wait_for_connection`` polls and returns the new credential and
    fires ``onIntegrationInstall``."""
    fake, url = fake_server
    installed: list[dict[str, Any]] = []
    with _client(fake, url) as paragon:
        paragon.subscribe("onIntegrationInstall", lambda event, session: installed.append(dict(event)))
        app = App(paragon, url)
        with serve(app) as app_url:
            user = paragon.authenticate(USER)
            link = user.start_connect("hubspot", redirect_url=f"{app_url}/done")
            result: list[Credential | BaseException] = []

            def wait() -> None:
                try:
                    result.append(user.wait_for_connection(link, timeout=60, interval=0.2))
                except BaseException as error:  # the test reports it
                    result.append(error)

            waiter = threading.Thread(target=wait)
            waiter.start()
            page.goto(link.url)
            landed = urlsplit(page.url)
            waiter.join(90)
    assert (landed.path, parse_qs(landed.query)["paragon"]) == ("/done", ["connected"])
    (credential,) = result
    assert isinstance(credential, Credential), credential
    assert parse_qs(landed.query)["credentialId"] == [credential.id]
    assert "hubspot" in fake.user(USER).connected
    (install,) = [entry for entry in fake.installs if entry.source == "oauth"]
    assert (install.user_id, install.integration, install.credential_id) == (USER, "hubspot", credential.id)
    assert installed == [
        {
            "type": "onIntegrationInstall",
            "integrationId": link.integration_id,
            "integrationType": "hubspot",
            "credentialId": credential.id,
        }
    ]


def test_the_relay_answers_json_errors_for_garbage(page: Page, fake_server: tuple[FakeParagon, str]) -> None:
    """A body that is not a relayed event at all: 400 (InvalidRequestError), nothing fired."""
    fake, url = fake_server
    with _client(fake, url) as paragon:
        app = App(paragon, url)
        with serve(app) as app_url:
            page.goto(f"{app_url}/connect")
            status = page.evaluate("(relay) => fetch(relay, {method: 'POST', body: '{]'}).then(r => r.status)", RELAY)
    assert status == 400
    assert app.relayed == [(400, "InvalidRequestError")]
    assert json.dumps(app.relayed)
