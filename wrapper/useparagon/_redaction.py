"""Secrets a success answer may carry, kept out of the body an error keeps (``Call.redact``): provider tokens
(``accountAuth``) and the credentials of your webhook receiver (``webhookOverride.headers``)."""

from __future__ import annotations

from typing import Any

REDACTED = "[redacted]"
WITHHELD = "[withheld: an answer that may hold secrets]"
# Real bodies are shallow; past this the redaction withholds the rest rather than recurse without bound.
_MAX_REDACT_DEPTH = 64


def redact_secrets(body: Any) -> Any:
    """``body`` as an error may keep it: every ``accountAuth`` value (provider tokens) and the ``headers`` of every
    ``webhookOverride`` (your receiver's credentials) replaced. A text body (not JSON, or cut) is withheld whole,
    since the secrets could be anywhere in it."""
    if isinstance(body, str):
        return WITHHELD
    return _redact(body, 0)


def _redact(value: Any, depth: int) -> Any:
    if depth > _MAX_REDACT_DEPTH:
        return WITHHELD
    if isinstance(value, dict):
        return {key: _redact_entry(key, item, depth) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item, depth + 1) for item in value]
    return value


def _redact_entry(key: object, item: Any, depth: int) -> Any:
    if key == "accountAuth":
        return _redact_secret(item)
    if key == "webhookOverride" and isinstance(item, dict) and "headers" in item:
        return {**_redact(item, depth + 1), "headers": _redact_secret(item["headers"])}
    return _redact(item, depth + 1)


def _redact_secret(value: Any) -> Any:
    if isinstance(value, dict):
        return dict.fromkeys(value, REDACTED)
    return REDACTED
