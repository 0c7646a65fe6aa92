"""The pages FakeParagon serves beside the API, for the official JS SDK running in a browser.

``@useparagon/connect`` creates a hidden iframe at ``{CONNECT_PUBLIC_URL}/ui?projectId=…`` as soon as it loads, and
posts the Connect Portal's state to it (``UI_UPDATE`` messages) after every change. With ``CONNECT_PUBLIC_URL``
pointed at the fake, the fake answers that URL with a stand-in: a small page that draws no portal, shows which
integration the SDK would open, and keeps every message it received in ``window.fakeParagonMessages`` for a browser
test to read. Pages need no user token; the request log records them with ``operation_id=None``.
"""

from __future__ import annotations

from ._http import Outcome

CONNECT_PORTAL_PATH = "/ui"

_CONNECT_PORTAL = b"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>FakeParagon Connect Portal</title>
</head>
<body>
<p>FakeParagon's stand-in for the Connect Portal: <span id="integration">no integration open</span></p>
<script>
window.fakeParagonMessages = [];
window.addEventListener("message", function (event) {
  var data = event.data || {};
  window.fakeParagonMessages.push(data);
  if (data.messageType === "UI_UPDATE") {
    var integration = data.nextModalState && data.nextModalState.integration;
    document.getElementById("integration").textContent = integration ? integration.type : "no integration open";
  }
});
</script>
</body>
</html>
"""


def page(method: str, path: str) -> Outcome | None:
    """The page at ``path`` (percent-encoded, no query) for a GET, or ``None`` when there is none."""
    if method != "GET" or path.rstrip("/") != CONNECT_PORTAL_PATH:
        return None
    headers = (("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"))
    return Outcome(200, headers, _CONNECT_PORTAL)
