"""Connecting users through the API: installs with user-supplied values, authorization codes, and the OAuth flow.

The operations (the JS SDK's, tag ``Connect`` in ``openapi/paragon.yaml``):

- ``createCredential`` (``POST /sdk/credentials``) with ``payload``: the values the user supplied for an integration
  that does not use OAuth (``authenticationType`` ``basic``, ``service_account``…). With ``code``: an authorization
  code from a marketplace-started install, here one the test got from ``fake.authorization_code(integration)``.
  Either way the user gets a new VALID credential (another account if they already had one), as ``/sdk/me``,
  ``/sdk/integrations`` and ``/sdk/credentials`` then show, and ``fake.installs`` records it.
- ``completeCredentialSetup``: merges post-OAuth values into one of the user's credentials; a PENDING one becomes
  VALID (the JS SDK fires ``onIntegrationInstall`` only once the answer is VALID).
- ``buildOauthUrl``: ``{"redirectUrl"}`` is the fake's own consent page, ``/__fake__/oauth/consent?session=…``, on the
  host the request was sent to (its ``Host`` header; ``http`` unless ``X-Forwarded-Proto: https``).
- ``getOauthSession`` / ``deleteOauthSession``: ``{}`` until the consent page was approved, then
  ``{"connectCredentialId"}``; only the user who built the URL ever sees it.

The consent page is what a browser visits, without a token: it creates a VALID credential for the user who built the
URL and redirects (302) to that call's ``redirectUrl`` with ``paragon=connected``, ``integrationType`` and
``credentialId`` added to its query, or answers a small "Connected" page when there is none. ``?deny=1`` on the page,
or ``fake.set_oauth_consent(integration, approve=False)``, redirects with ``paragon=error&error=access_denied``
instead and creates nothing. A consent link works once; after ``deleteOauthSession`` it is gone. The JS SDK first
opens ``/projects/{p}/sdk/actions/oauth-nonce`` in its popup and waits for that page's ``oauth-nonce-loaded`` message
before it navigates to the consent page: the fake serves that page too.

Choices where Paragon's behaviour is not documented:

- Refusals are ``400`` with Paragon's error body: an unknown ``integrationId``; ``payload`` for an OAuth integration,
  or ``code`` / ``build-oauth`` for one that is not; a ``payload`` with no value; an unknown or used code, or one
  issued for another integration or another ``redirectUrl``; a ``redirectUrl`` that is not an absolute http(s) URL;
  an ``action`` that is not the integration's type. A body with both ``payload`` and ``code`` matches both request
  schemas, so it is refused too.
- Installs answer ``201`` (NestJS's default for a POST) with the new credential, and so does ``complete-setup``.
- The values the user supplied are kept (``Install.values``, ``FakeUser.credential_values``) but never sent back:
  the credential's ``providerData`` is the integration's default one. ``skipPostOAuthInputs`` is the SDK's flag, not
  a value, and is dropped.
- ``config`` in the body is accepted and ignored (the JS SDK sends ``{}``), and so are ``userToken``,
  ``originForPostMessage`` and ``isPreviewMode`` of build-oauth: the Authorization header says who the user is.
- An unknown session key, or another user's, answers ``{}`` (as an expired one would); deleting one answers
  ``200 {"success": true}`` whether it existed or not.
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from . import _render as render
from ._api import DONE, Context, _bool_query, _object, _string
from ._defaults import DEFAULT_INTEGRATIONS
from ._http import ApiError, Outcome, error_outcome, invalid, json_outcome
from ._model import AuthorizationCode, Credential, Install, Integration, OAuthAttempt, User, now_iso, stable_id
from ._state import Project

CONSENT_PATH = "/__fake__/oauth/consent"
# The JS SDK sends this for custom integrations ("custom.<slug>") instead of their type.
CUSTOM_ACTION = "custom"
DEFAULT_DENIAL = "access_denied"
_SKIP_FLAG = "skipPostOAuthInputs"
_HTML_HEADERS = (("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"))
_URL_SCHEMES = ("http", "https")
_TRUE = ("1", "true", "yes")


# Validation


def _integration(ctx: Context, integration_id: str) -> Integration:
    found = ctx.project.integration_by_id(integration_id)
    if found is None:
        raise ApiError(400, "Integration not found in this project.")
    return found


def absolute_url(value: str, prop: str) -> str:
    """``value`` if it is an absolute http(s) URL with a host, else class-validator's ``isUrl`` 400."""
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    clean = not any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)
    if parts is None or parts.scheme.lower() not in _URL_SCHEMES or not parts.hostname or not clean:
        raise invalid(prop, "isUrl", f"{prop} must be a URL address")
    return value


def _values(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(value) for key, value in payload.items() if key != _SKIP_FLAG}


def _install_request(body: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """``InstallCredentialRequest``: (integrationId, payload, installOptions)."""
    integration_id = _string(body.get("integrationId"), "integrationId", min_length=1)
    payload = _object(body.get("payload"), "payload")
    if "config" in body:
        _object(body["config"], "config")
    options = _object(body["installOptions"], "installOptions") if "installOptions" in body else {}
    return integration_id, payload, options


def _required_query(ctx: Context, name: str) -> str:
    value: str | None = ctx.query.get(name)
    if value is None:
        raise invalid(name, "isString", f"{name} must be a string")
    if not value:
        raise invalid(name, "isNotEmpty", f"{name} should not be empty")
    return value


def _json_query(ctx: Context, name: str) -> dict[str, Any]:
    raw: str | None = ctx.query.get(name)
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise invalid(name, "isJson", f"{name} must be a json string") from None
    return _object(value, name)


# State


def _new_credential(project: Project, user: User, integration: Integration, values: dict[str, Any]) -> Credential:
    """A VALID credential holding ``values``, with the integration's default provider data."""
    defaults = next((dict(s.provider_data) for s in DEFAULT_INTEGRATIONS if s.type == integration.type), {})
    credential = project.connect(user, integration.type, status="VALID", provider_data=defaults)
    credential.values = copy.deepcopy(values)
    return credential


def issue_authorization_code(
    project: Project, integration: Integration, redirect_url: str | None, code: str | None
) -> str:
    """A one-time code for ``integration`` (as the provider would send to ``redirect_url``)."""
    if code is not None and (not code or code in project.authorization_codes):
        raise ValueError("code must be a non-empty string that was not issued before")
    if not integration.uses_redirect:
        raise ValueError(
            f"{integration.type} uses {integration.authentication_type} authentication, not OAuth: "
            "users install it with their values (POST /sdk/credentials with a payload)"
        )
    if redirect_url is not None:
        try:
            absolute_url(redirect_url, "redirect_url")
        except ApiError:
            raise ValueError("redirect_url must be an absolute http(s) URL") from None
    project.connect_serial += 1
    if code is None:
        code = "fake-code-" + stable_id("authorization-code", project.id, integration.type, str(project.connect_serial))
    project.authorization_codes[code] = AuthorizationCode(integration.type, redirect_url)
    return code


# Operations


def create_credential(ctx: Context) -> Outcome:
    body = _object(ctx.json(), "body")
    if "code" in body:
        return _complete_install(ctx, body)
    integration_id, payload, options = _install_request(body)
    integration = _integration(ctx, integration_id)
    if integration.uses_redirect:
        raise ApiError(
            400,
            f"{integration.name} connects with OAuth: send the user to the URL from build-oauth, or install it "
            "with an authorization code.",
        )
    values = _values(payload)
    if not values:
        raise invalid("payload", "isNotEmpty", "payload should not be empty")
    credential = _new_credential(ctx.project, ctx.user, integration, values)
    ctx.project.installs.append(
        Install(ctx.user.id, integration.type, credential.id, "payload", values, copy.deepcopy(options), None)
    )
    return json_outcome(201, render.credential(ctx.project, credential, ctx.user.persona_id))


def _complete_install(ctx: Context, body: dict[str, Any]) -> Outcome:
    if "payload" in body:
        raise ApiError(400, "Send either payload (the user's values) or code (an authorization code), not both.")
    code = _string(body.get("code"), "code", min_length=1)
    integration_id = _string(body.get("integrationId"), "integrationId", min_length=1)
    redirect_url = None
    if "redirectUrl" in body:
        redirect_url = absolute_url(_string(body["redirectUrl"], "redirectUrl"), "redirectUrl")
    options = _object(body["integrationOptions"], "integrationOptions") if "integrationOptions" in body else {}
    integration = _integration(ctx, integration_id)
    if not integration.uses_redirect:
        raise ApiError(
            400, f"{integration.name} does not connect with OAuth: install it with the user's values (payload)."
        )
    grant = ctx.project.authorization_codes.get(code)
    if grant is None:
        raise ApiError(400, "Invalid authorization code.")
    if grant.used:
        raise ApiError(400, "The authorization code was already used.")
    if grant.integration != integration.type:
        raise ApiError(400, f"The authorization code was not issued for {integration.name}.")
    if grant.redirect_url != redirect_url:
        raise ApiError(400, "redirectUrl is not the redirect URL the authorization code was issued for.")
    grant.used = True
    credential = _new_credential(ctx.project, ctx.user, integration, {})
    ctx.project.installs.append(
        Install(ctx.user.id, integration.type, credential.id, "code", {}, copy.deepcopy(options), redirect_url)
    )
    return json_outcome(201, render.credential(ctx.project, credential, ctx.user.persona_id))


def complete_credential_setup(ctx: Context) -> Outcome:
    integration_id, payload, _ = _install_request(_object(ctx.json(), "body"))
    credential = ctx.project.find_credential(ctx.user, ctx.params["credentialId"])
    if integration_id != credential.integration_id:
        raise ApiError(400, "integrationId is not the credential's integration.")
    credential.values.update(_values(payload))
    if credential.status == "PENDING":
        credential.status = "VALID"
    credential.date_updated = now_iso()
    return json_outcome(201, render.credential(ctx.project, credential, ctx.user.persona_id))


def build_oauth_url(ctx: Context) -> Outcome:
    action = _required_query(ctx, "action")
    integration_id = _required_query(ctx, "integrationId")
    session_key = _required_query(ctx, "oauthMetaKeyId")
    raw_redirect: str | None = ctx.query.get("redirectUrl")
    redirect_url = None if raw_redirect is None else absolute_url(raw_redirect, "redirectUrl")
    values = _json_query(ctx, "endUserSuppliedValues")
    _json_query(ctx, "parameters")
    options = _json_query(ctx, "installOptions")
    _bool_query(ctx, "isPreviewMode", False)
    integration = _integration(ctx, integration_id)
    custom = integration.type.startswith("custom.") and action == CUSTOM_ACTION
    if action != integration.type and not custom:
        raise ApiError(400, f"action must be the integration's type ({integration.type!r}).")
    if not integration.uses_redirect:
        raise ApiError(
            400,
            f"{integration.name} uses {integration.authentication_type} authentication, not OAuth: install it "
            "with the user's values (POST /sdk/credentials).",
        )
    project = ctx.project
    project.connect_serial += 1
    token = stable_id("oauth-consent", project.id, ctx.user.id, session_key, str(project.connect_serial))
    previous = project.oauth_sessions.get((ctx.user.id, session_key))
    if previous is not None:
        project.oauth_attempts.pop(previous, None)
    project.oauth_attempts[token] = OAuthAttempt(
        token, ctx.user.id, integration.type, session_key, redirect_url, values, options
    )
    project.oauth_sessions[(ctx.user.id, session_key)] = token
    return json_outcome(200, {"redirectUrl": _origin(ctx.headers) + CONSENT_PATH + "?" + urlencode({"session": token})})


def _origin(headers: httpx.Headers) -> str:
    """``http://<Host>`` of the request (``https`` behind ``X-Forwarded-Proto: https``); no Host: a relative URL."""
    host = headers.get("host", "").strip()
    if not host or any(ch in host for ch in "/\\?#@ ") or any(ord(ch) < 0x21 for ch in host):
        return ""
    scheme = "https" if headers.get("x-forwarded-proto", "").strip().lower() == "https" else "http"
    return f"{scheme}://{host}"


def _attempt(ctx: Context) -> OAuthAttempt | None:
    token = ctx.project.oauth_sessions.get((ctx.user.id, ctx.params["sessionKey"]))
    return None if token is None else ctx.project.oauth_attempts.get(token)


def get_oauth_session(ctx: Context) -> Outcome:
    attempt = _attempt(ctx)
    if attempt is None or attempt.credential_id is None:
        return json_outcome(200, {})
    return json_outcome(200, {"connectCredentialId": attempt.credential_id})


def delete_oauth_session(ctx: Context) -> Outcome:
    token = ctx.project.oauth_sessions.pop((ctx.user.id, ctx.params["sessionKey"]), None)
    if token is not None:
        ctx.project.oauth_attempts.pop(token, None)
    return json_outcome(200, DONE)


# operationId → (handler, whether the dispatcher holds the project lock around it), as in _api.OPERATIONS
OPERATIONS: dict[str, tuple[Callable[[Context], Outcome], bool]] = {
    "createCredential": (create_credential, True),
    "completeCredentialSetup": (complete_credential_setup, True),
    "buildOauthUrl": (build_oauth_url, True),
    "getOauthSession": (get_oauth_session, True),
    "deleteOauthSession": (delete_oauth_session, True),
}


# Pages (a browser's GETs, no token)


def page(project: Project, method: str, path: str, query: str) -> Outcome | None:
    """The consent page for a GET of ``path`` (no query), else ``None``."""
    if method != "GET":
        return None
    path = path.rstrip("/")
    params = httpx.QueryParams(query)
    if path == CONSENT_PATH:
        with project.lock:
            return _consent(project, params)
    return None


def oauth_nonce_page(project: Project, params: Mapping[str, str], query: httpx.QueryParams) -> Outcome:
    # Errors are JSON, as the spec documents for every operation; only the page itself is HTML.
    if params["projectId"] != project.id:
        return error_outcome(404, "Project not found.")
    if "action" not in query or "integrationId" not in query:
        return error_outcome(400, "action and integrationId are required.")
    return _html(200, "Connecting…", "<p>Connecting…</p>", _NONCE_SCRIPT)


# Pages of the spec a browser opens (no bearer token): operationId → page.
PAGES: dict[str, Callable[[Project, Mapping[str, str], httpx.QueryParams], Outcome]] = {
    "getOauthNoncePage": oauth_nonce_page
}


def _consent(project: Project, params: httpx.QueryParams) -> Outcome:
    attempt = project.oauth_attempts.get(params.get("session", ""))
    if attempt is None:
        return _html(404, "Unknown consent link", "<p>This consent link is unknown or has expired.</p>")
    if attempt.state != "pending":
        return _html(400, "Consent link used", "<p>This consent link was already used.</p>")
    integration = project.integration(attempt.integration)
    error = integration.consent_error
    if (params.get("deny") or "").lower() in _TRUE:
        error = params.get("error") or DEFAULT_DENIAL
    name = html.escape(integration.name)
    if error is not None:
        attempt.state = "denied"
        if attempt.redirect_url is not None:
            found = {"paragon": "error", "error": error, "integrationType": integration.type}
            return _redirect(attempt.redirect_url, found)
        text = f"<p>{name} was not connected: <code id='error'>{html.escape(error)}</code></p>"
        return _html(200, "Not connected", text)
    user = project.user(attempt.user_id)
    credential = _new_credential(project, user, integration, attempt.values)
    attempt.state, attempt.credential_id = "approved", credential.id
    project.installs.append(
        Install(
            user.id,
            integration.type,
            credential.id,
            "oauth",
            copy.deepcopy(attempt.values),
            copy.deepcopy(attempt.install_options),
            attempt.redirect_url,
        )
    )
    if attempt.redirect_url is not None:
        found = {"paragon": "connected", "integrationType": integration.type, "credentialId": credential.id}
        return _redirect(attempt.redirect_url, found)
    text = f"<p>Connected {name}: credential <code id='credential'>{html.escape(credential.id)}</code></p>"
    return _html(200, "Connected", text, "if (window.opener) { window.close(); }")


def with_query(url: str, extra: dict[str, str]) -> str:
    """``url`` with ``extra`` added to its query (its own parameters and fragment kept)."""
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *extra.items()])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _redirect(url: str, extra: dict[str, str]) -> Outcome:
    return Outcome(302, (("Location", with_query(url, extra)), ("Cache-Control", "no-store")))


def _html(status: int, title: str, body: str, script: str = "") -> Outcome:
    script_tag = f"\n<script>\n{script}\n</script>" if script else ""
    document = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>FakeParagon: {html.escape(title)}</title>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}{script_tag}\n</body>\n</html>\n"
    )
    return Outcome(status, _HTML_HEADERS, document.encode())


# The JS SDK's popup waits for this message before it goes to the URL from build-oauth.
_NONCE_SCRIPT = """var origin = new URLSearchParams(window.location.search).get("originForPostMessage") || "*";
try {
  if (window.opener) { window.opener.postMessage({ type: "oauth-nonce-loaded" }, origin); }
} catch (error) {
  window.opener.postMessage({ type: "oauth-nonce-loaded" }, "*");
}"""
