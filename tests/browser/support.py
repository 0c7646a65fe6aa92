"""Helpers for the browser tests: the app page that loads the official JS SDK, its server, and a test's view of it.

The page is what an app using ``@useparagon/connect`` 2.4.0 would serve, with nothing of the SDK changed: the npm
package's ``dist/src/index.js`` (a webpack CommonJS bundle ending in ``module.exports=…``) is loaded as a classic
script after a ``module``/``exports``/``require`` shim, then ``paragon.configureGlobal`` points every service URL the
SDK knows at the FakeParagon named in the page's ``?paragon=`` query. The app is served from ``localhost`` and the
fake from ``127.0.0.1``, two origins, so every call is a real cross-origin ``fetch`` with its CORS preflight.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from useparagon.testing import FakeParagon, RequestRecord

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SDK_PACKAGE = REPO / "node_modules" / "@useparagon" / "connect"
SDK_BUNDLE = SDK_PACKAGE / "dist" / "src" / "index.js"
SDK_VERSION = "2.4.0"

requires_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Debian's chromium is not installed ({CHROMIUM}); `make chromium` (run by `make test`) installs it",
)

# As the machine notes say for Chromium as root: no sandbox, and no background traffic to Google's hosts.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Generous: a busy 2-core machine can be slow to start Chromium or to answer; nothing here asserts on time.
TIMEOUT_MS = 60_000

# Every URL setting of the SDK 2.4.0 (grep `_PUBLIC_URL` in the bundle; configureGlobal sets each of these).
SERVICE_URL_KEYS = (
    "ZEUS_PUBLIC_URL",
    "HERMES_PUBLIC_URL",
    "WORKER_PROXY_PUBLIC_URL",
    "API_TRIGGER_KIT_PUBLIC_URL",
    "CONNECT_PUBLIC_URL",
    "DASHBOARD_PUBLIC_URL",
    "CDN_PUBLIC_URL",
    "PASSPORT_PUBLIC_URL",
    "PASSPORT_PRODUCTION_URL",
)
SDK_EVENTS = ("onIntegrationInstall", "onIntegrationUninstall", "onWorkflowChange", "onPortalOpen", "onPortalClose")

_APP_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>An app using @useparagon/connect</title>
<script>
  // dist/src/index.js is a CommonJS bundle: give it the module object it assigns to.
  var module = { exports: {} };
  var exports = module.exports;
  function require(name) { throw new Error("@useparagon/connect asked for the Node module " + name); }
</script>
<script src="/connect.js"></script>
<script>
  window.paragon = module.exports.paragon;
  window.ConnectSDK = module.exports.default;
  window.connectSingleton = module.exports.connectSingleton;
  // Before DOMContentLoaded, so the Connect Portal iframe is created at the fake's URL, never Paragon's.
  var fakeUrl = new URLSearchParams(location.search).get("paragon");
  var urls = {};
  SERVICE_URL_KEYS.forEach(function (key) { urls[key] = fakeUrl; });
  paragon.configureGlobal({ host: fakeUrl }, urls);
  window.sdkEvents = [];
  SDK_EVENTS.forEach(function (name) {
    paragon.subscribe(name, function (event, user) {
      window.sdkEvents.push({ name: name, event: event, userId: user.userId });
    });
  });
</script>
</head>
<body>
<h1>App</h1>
</body>
</html>
"""
APP_PAGE = (
    _APP_PAGE.replace("SERVICE_URL_KEYS", json.dumps(list(SERVICE_URL_KEYS)))
    .replace("SDK_EVENTS", json.dumps(list(SDK_EVENTS)))
    .encode()
)


class _AppHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bundle: bytes = b""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/":
            self._send(200, "text/html; charset=utf-8", APP_PAGE)
        elif path == "/connect.js":
            self._send(200, "text/javascript; charset=utf-8", self.bundle)
        else:
            self._send(404, "text/plain", b"not found")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def serve_app(bundle: bytes) -> Iterator[str]:
    """The app (its page and the SDK bundle) on loopback, for as long as the block runs; yields its base URL."""
    handler = type("AppHandler", (_AppHandler,), {"bundle": bundle})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="browser-test app server")
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class SdkPage:
    """One test's page with the official SDK loaded, pointed at its own FakeParagon.

    ``call(js, arg)`` runs a JS function (``"(wf) => paragon.enableWorkflow(wf)"``) and returns what its promise
    resolves to; ``failure(js, arg)`` runs one that must reject and returns the error's message. ``sent`` is what the
    browser sent to the fake (method, URL, headers, body), ``api_calls()`` what the fake answered.
    """

    def __init__(self, page: Page, fake: FakeParagon, fake_url: str) -> None:
        self.page = page
        self.fake = fake
        self.fake_url = fake_url
        self.sent: list[dict[str, Any]] = []
        self.outside: list[str] = []
        self.page_errors: list[str] = []

    def path(self, suffix: str) -> str:
        return f"/projects/{self.fake.project_id}{suffix}"

    def call(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def failure(self, script: str, arg: Any = None) -> str:
        outcome = self.page.evaluate(
            f"""async (arg) => {{
                try {{ await ({script})(arg); return {{ rejected: false }}; }}
                catch (error) {{ return {{ rejected: true, message: String(error && error.message) }}; }}
            }}""",
            arg,
        )
        assert outcome["rejected"], f"expected {script} to reject"
        return str(outcome["message"])

    def authenticate(self, user_id: str) -> None:
        """``paragon.authenticate(projectId, token)`` with a token the fake signs; then forgets the logs."""
        token = self.fake.sign_user_token(user_id)
        self.call("([project, token]) => paragon.authenticate(project, token)", [self.fake.project_id, token])
        self.forget()

    def forget(self) -> None:
        """Clears the fake's logs and the browser-side record, so a test sees only what comes next."""
        self.fake.clear_logs()
        self.sent.clear()

    def user(self) -> dict[str, Any]:
        """``paragon.getUser()`` as the SDK returns it."""
        user: dict[str, Any] = self.call("() => paragon.getUser()")
        return user

    def api_calls(self) -> list[tuple[str, str, int | None, str | None]]:
        """What the fake answered, without CORS preflights (each of which must have answered 204)."""
        records: tuple[RequestRecord, ...] = self.fake.requests
        preflights = [r for r in records if r.method == "OPTIONS"]
        assert all(r.status == 204 for r in preflights), preflights
        return [(r.method, r.path, r.status, r.operation_id) for r in records if r.method != "OPTIONS"]

    def sent_to(self, method: str, suffix: str) -> list[dict[str, Any]]:
        """The browser's requests with this method whose URL path is ``/projects/{p}`` + ``suffix``."""
        return [r for r in self.sent if r["method"] == method and r["path"] == self.path(suffix)]

    def sdk_events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.call("() => window.sdkEvents")
        return events
