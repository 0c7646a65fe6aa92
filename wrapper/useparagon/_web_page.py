"""The HTML and JavaScript of ``connect_page`` / ``connect_snippet``; the values reach it only through ``script_json``.

The script takes one argument, a JSON object built in Python (``_web.py``) and embedded by ``script_json``, so no
value is ever spliced into JavaScript source or into HTML except the page title (``html.escape``d) and the CSP
nonce (a base64 token, checked before it gets here).
"""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["render_page", "render_snippet", "script_json"]

# What could end the <script> element or open an HTML comment inside it. The line terminators U+2028/U+2029, which
# broke JSON-in-JavaScript before ES2019, never appear raw: ensure_ascii writes every non-ASCII character as \uXXXX.
_SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})

STATUS_ELEMENT_ID = "useparagon-status"

# ES2015 and fetch/Promise: what the SDK itself needs. Every string it shows comes from `config` or an Error and is
# set with textContent, never as HTML. It holds no "<" at all (tests check), so nothing in it can end the element.
_BOOTSTRAP = """(function (config) {
  "use strict";
  function setStatus(text) {
    var element = config.statusId ? document.getElementById(config.statusId) : null;
    if (element) element.textContent = text;
  }
  function fail(error) {
    console.error("useparagon:", error);
    setStatus("Paragon reported an error: " + (error && error.message ? error.message : String(error)));
  }
  function relay(type, event) {
    var body;
    try {
      body = JSON.stringify({type: type, event: event, userToken: config.userToken});
    } catch (error) {
      console.error("useparagon: the " + type + " event cannot be sent as JSON", error);
      return;
    }
    var headers = Object.assign({"Content-Type": "application/json"}, config.relayHeaders);
    // keepalive lets the request outlive a navigation right after the event; browsers cap such bodies at 64 KiB.
    fetch(config.relayUrl, {
      method: "POST", headers: headers, body: body, credentials: "same-origin", keepalive: 60000 > body.length
    }).then(function (response) {
      if (!response.ok) console.error("useparagon: the app refused the " + type + " event: HTTP " + response.status);
    }, function (error) {
      console.error("useparagon: the " + type + " event could not be relayed", error);
    });
  }
  function loadSdk() {
    if (window.paragon && typeof window.paragon.authenticate === "function") return Promise.resolve(window.paragon);
    return new Promise(function (resolve, reject) {
      // Paragon's CDN build sets window.paragon; the npm build of @useparagon/connect is CommonJS and ends in
      // `module.exports = ...`. A `module` (never an `exports`, which UMD bundles test first) defined only while the
      // script loads lets both work from a plain script element without changing how other scripts see the page.
      var shim = typeof window.module === "undefined" ? {exports: {}} : null;
      if (shim) window.module = shim;
      function unshim() {
        if (shim && window.module === shim) delete window.module;
      }
      var script = document.createElement("script");
      script.async = true;
      if (config.nonce) script.nonce = config.nonce;
      script.onload = function () {
        unshim();
        var sdk = window.paragon || (shim && shim.exports && shim.exports.paragon);
        if (sdk && typeof sdk.authenticate === "function") resolve(sdk);
        else reject(new Error("the script at " + config.sdkUrl + " did not define Paragon's SDK"));
      };
      script.onerror = function () {
        unshim();
        reject(new Error("could not load Paragon's SDK from " + config.sdkUrl));
      };
      script.src = config.sdkUrl;
      (document.head || document.documentElement).appendChild(script);
    });
  }
  var ready = loadSdk().then(function (sdk) {
    if (config.sdkHost && !config.configuredInHead) sdk.configureGlobal({host: config.sdkHost}, config.sdkUrls);
    if (config.relayUrl) {
      config.events.forEach(function (type) {
        sdk.subscribe(type, function (event) { relay(type, event); });
      });
    }
    return Promise.resolve(sdk.authenticate(config.projectId, config.userToken)).then(function () {
      if (!window.paragon) window.paragon = sdk;
      if (config.integration) {
        Promise.resolve().then(function () {
          return sdk.connect(config.integration, config.connectOptions);
        }).catch(fail);
      }
      return sdk;
    });
  });
  ready.then(function () {
    setStatus(config.integration ? "" : "Connected to Paragon.");
  }, fail);
  window.useparagon = {ready: ready};
}(
"""

_PAGE_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>"""

# The full page loads the SDK in <head>, and configures its service URLs there: the SDK creates the Connect Portal
# iframe at DOMContentLoaded from the URLs it has by then, so configuring any later would first load the portal from
# Paragon's own host (and, pointed at a local FakeParagon, reach out to the internet once).
_HEAD_SDK = """(function (config) {
  "use strict";
  var sdk = window.paragon || (window.module && window.module.exports && window.module.exports.paragon);
  if (window.useparagonModuleShim) {
    delete window.module;
    delete window.useparagonModuleShim;
  }
  if (!sdk || typeof sdk.authenticate !== "function") return;
  window.paragon = sdk;
  if (config.sdkHost) sdk.configureGlobal({host: config.sdkHost}, config.sdkUrls);
}(
"""
_HEAD_SHIM = """if (typeof window.module === "undefined") {
  window.module = {exports: {}};
  window.useparagonModuleShim = true;
}
"""

_PAGE_BODY = f"""</title>
</head>
<body>
<p id="{STATUS_ELEMENT_ID}" role="status">Loading&hellip;</p>
"""

_PAGE_END = """</body>
</html>
"""


def script_json(value: Any) -> str:
    """``value`` as a JavaScript expression that is safe anywhere inside a ``<script>`` element.

    ``json.dumps`` with ``ensure_ascii`` gives pure ASCII; escaping ``<``, ``>`` and ``&`` as ``\\u003c``… then
    rules out ``</script>``, ``<!--`` and ``<script`` (which switch the HTML parser's script states).
    """
    return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


def render_snippet(config: dict[str, Any], nonce: str | None) -> str:
    """One inline ``<script>`` element that loads the SDK, authenticates and relays events (see ``_BOOTSTRAP``)."""
    nonce_attribute = "" if nonce is None else f' nonce="{html.escape(nonce, quote=True)}"'
    return f"<script{nonce_attribute}>\n{_BOOTSTRAP}{script_json(config)}\n));\n</script>\n"


def render_page(config: dict[str, Any], nonce: str | None, title: str) -> str:
    """A complete HTML document around ``render_snippet``, with a status line the script keeps up to date; the SDK is
    loaded and configured in ``<head>`` (see ``_HEAD_SDK``).

    The whole page is ASCII: the title's other characters are written as character references."""
    nonce_attribute = "" if nonce is None else f' nonce="{html.escape(nonce, quote=True)}"'
    head_config = {"sdkHost": config.get("sdkHost"), "sdkUrls": config.get("sdkUrls")}
    sdk_url = html.escape(str(config["sdkUrl"]), quote=True).encode("ascii", "xmlcharrefreplace").decode("ascii")
    head = (
        f"<script{nonce_attribute}>\n{_HEAD_SHIM}</script>\n"
        f'<script src="{sdk_url}"{nonce_attribute}></script>\n'
        f"<script{nonce_attribute}>\n{_HEAD_SDK}{script_json(head_config)}\n));\n</script>\n"
    )
    return (
        _PAGE_HEAD
        + html.escape(title, quote=True).encode("ascii", "xmlcharrefreplace").decode("ascii")
        + "</title>\n"
        + head
        + _PAGE_BODY.removeprefix("</title>\n")
        + render_snippet({**config, "statusId": STATUS_ELEMENT_ID, "configuredInHead": True}, nonce)
        + _PAGE_END
    )
