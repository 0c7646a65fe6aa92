"""The provider's own words in an error Paragon's proxy relays (``meta.isIntegrationError``).

Paragon answers a failed provider call with a generic ``"Request failed with status code 400"`` and puts the
provider's body under ``meta.data`` (where FakeParagon puts it, and what the JS SDK shows as ``JSON.stringify(meta)``)
or ``data``. Each provider shapes its errors its own way; the common shapes are read here so that ``str(error)`` says
what Salesforce or Slack said. Everything is bounded: the body is untrusted and may be deep or huge.
"""

from __future__ import annotations

from typing import Any

# Keys that hold a human message, most specific first, across the providers' error shapes: Salesforce
# ([{"errorCode", "message"}]), Slack ({"ok": false, "error"}), Google and Microsoft Graph ({"error": {"code",
# "message"}}), HubSpot ({"category", "message"}), OAuth ({"error", "error_description"}), JSON:API ({"errors":
# [{"title", "detail"}]}).
_MESSAGE_KEYS = ("message", "error_description", "detail", "title", "error", "errors", "description")
_CODE_KEYS = ("errorCode", "code", "error_code", "category", "type")
_MAX_DEPTH = 4
_MAX_CHARS = 1000


def provider_message(body: Any) -> str | None:
    """The provider's message in a relayed error body, with its error code when it has one; None if there is none."""
    if not isinstance(body, dict):
        return None
    meta = body.get("meta")
    for data in (meta.get("data") if isinstance(meta, dict) else None, body.get("data")):
        found = _message(data, 0)
        if found:
            return found[:_MAX_CHARS]
    return None


def _message(value: Any, depth: int) -> str | None:
    if depth > _MAX_DEPTH:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        # Salesforce answers a list of errors; the first one names the problem.
        return _message(value[0], depth + 1) if value else None
    if not isinstance(value, dict):
        return None
    text = None
    for key in _MESSAGE_KEYS:
        text = _message(value.get(key), depth + 1)
        if text:
            break
    if text is None:
        return None
    code = next((value[key] for key in _CODE_KEYS if isinstance(value.get(key), str | int)), None)
    # {"error": "invalid_grant", "error_description": "…"}: the code is the "error" the message came after.
    if code is None and isinstance(value.get("error"), str) and value["error"].strip() != text:
        code = value["error"]
    if code is None or isinstance(code, bool) or str(code) in text:
        return text
    return f"{code}: {text}"


# Paragon's answer to a proxy call for an integration the user has no VALID account of; it is also its answer for a
# name that is not an integration of the project at all, or one in the wrong case, which the hint tells apart.
NOT_ENABLED = "Integration not enabled for user."


def not_enabled_hint(body: Any, integration: str | None) -> str | None:
    """What to check after a 404 "Integration not enabled for user." for ``integration``; None for another error."""
    if integration is None or not isinstance(body, dict) or body.get("message") != NOT_ENABLED:
        return None
    if integration != integration.lower():
        return (
            f"integration names are case-sensitive and {integration!r} has capitals: use the type"
            f" get_integration_metadata() lists, e.g. {integration.lower()!r}"
        )
    return (
        f"either the user has not connected {integration!r}, or it is not an integration of this project:"
        " get_integrations() lists the project's, with whether the user connected each"
    )
