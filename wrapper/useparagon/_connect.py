"""Connecting a user to an integration from a backend: the REST calls behind the JS SDK's ``installIntegration``,
``completeInstall`` and ``connect`` (its OAuth popup), as data and flows (no I/O, shared by both sessions).

Followed from ``@useparagon/connect`` 2.4.0 (``dist/src/ConnectSDK.js``: ``_oauthCallback``, ``completeInstall``,
``startOAuthFlow``, ``pollForCredential``) and checked against FakeParagon, not a live project.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import attrs
import httpx
from useparagon_api.types import UNSET, Request

from ._calls import Call, Flow, call_for, find_integration, get_integrations_call, mapping, no_result, parsed
from ._errors import IntegrationAlreadyInstalledError, OAuthRequiredError
from ._errors import InvalidRequestError as _Invalid
from ._validation import encode_json_body, validate_id, validate_integration_type

if TYPE_CHECKING:
    import asyncio

    from useparagon_api.models import Credential, Integration, OAuthSession
    from useparagon_api.wire import IntegrationInstallEvent

__all__ = ["ConnectLink"]

# Integrations whose install needs the user's browser at the provider's consent page. The others (basic, API keys,
# client credentials, service accounts) take values a backend can send: install_integration.
OAUTH_REDIRECT_SCHEMES = frozenset({"oauth", "oauth_app"})
# The JS SDK polls a started OAuth flow every second for at most three minutes (pollForCredential).
DEFAULT_CONNECT_TIMEOUT = 180.0
DEFAULT_POLL_INTERVAL = 1.0
MAX_AUTHORIZATION_CODE_LENGTH = 4096


@attrs.frozen(repr=False)
class ConnectLink:
    """Where to send the user's browser to connect an integration (from ``start_connect``).

    ``url`` is the provider's consent page; once the user approves, ``wait_for_connection(link)`` returns the new
    credential. The repr shows the host only: the URL carries the OAuth state.
    """

    url: str
    integration: str
    integration_id: str
    session_key: str
    created_at: float = attrs.field(factory=time.time)

    def __repr__(self) -> str:
        host = httpx.URL(self.url).host if getattr(self, "url", None) else "?"
        return f"ConnectLink(integration={getattr(self, 'integration', '?')!r}, host={host!r})"


def _scheme(integration: Integration) -> str | None:
    scheme = integration.authentication_type
    return None if scheme is UNSET else str(scheme)


def _json_object(value: object, *, name: str) -> dict[str, Any]:
    checked = dict(mapping({} if value is None else value, name=name))
    encode_json_body(checked, name=name)  # the same JSON checks as any body, before any I/O
    return checked


def _install_event(integration: Integration, credential: Credential) -> IntegrationInstallEvent:
    return {
        "type": "onIntegrationInstall",
        "integrationId": integration.id,
        "integrationType": integration.type_,
        "credentialId": credential.id,
    }


def _valid(credential: Credential) -> bool:
    from useparagon_api.models import CredentialStatus

    return credential.status in (CredentialStatus.VALID, "VALID")


def _credential_call(request: Request) -> Call[Credential]:
    from useparagon_api.api.connect import create_credential
    from useparagon_api.models import Credential

    return call_for(create_credential.OPERATION, request, parsed(create_credential.parse_response, Credential))


def install_integration_flow(
    project_id: str, integration: object, credentials: object, install_options: object, allow_multiple: bool
) -> Flow[tuple[Credential, IntegrationInstallEvent | None]]:
    from useparagon_api.api.connect import create_credential
    from useparagon_api.models import InstallCredentialRequest, JsonObject

    integration_type = validate_integration_type(integration)
    payload = _json_object(credentials, name="credentials")
    options = _json_object(install_options, name="install_options")
    if not isinstance(allow_multiple, bool):
        raise _Invalid(f"allow_multiple must be a bool, got {type(allow_multiple).__name__}")
    integrations: list[Integration] = yield get_integrations_call(project_id)
    match = find_integration(integrations, integration_type)
    scheme = _scheme(match)
    if scheme is None or scheme in OAUTH_REDIRECT_SCHEMES:
        raise OAuthRequiredError(
            f"{integration_type!r} connects through the provider's consent page ({scheme or 'OAuth'}), which only the"
            " user's browser can approve: use start_connect() and send the user to the link's URL",
            integration=integration_type,
        )
    if match.has_credential is True and not allow_multiple:
        raise IntegrationAlreadyInstalledError(
            f"the user already connected {integration_type!r}; pass allow_multiple=True to connect another account",
            integration=integration_type,
        )
    body = InstallCredentialRequest(
        integration_id=validate_id(match.id, name="integration id from Paragon"),
        payload=JsonObject.from_dict({**payload, "skipPostOAuthInputs": False}),
        config=JsonObject.from_dict({}),
        install_options=JsonObject.from_dict(options),
    )
    credential: Credential = yield _credential_call(create_credential.build_request(project_id, body=body))
    return credential, _install_event(match, credential) if _valid(credential) else None


def _redirect_url(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 2048:
        raise _Invalid("redirect_url must be an absolute http(s) URL of at most 2048 characters")
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host or any(ch in value for ch in "\r\n\t "):
        raise _Invalid("redirect_url must be an absolute http(s) URL, such as https://app.example.com/connected")
    return value


def complete_install_flow(
    project_id: str, integration: object, authorization_code: object, redirect_url: object, integration_options: object
) -> Flow[tuple[Credential, IntegrationInstallEvent | None]]:
    from useparagon_api.api.connect import create_credential
    from useparagon_api.models import CompleteInstallRequest, JsonObject

    integration_type = validate_integration_type(integration)
    if (
        not isinstance(authorization_code, str)
        or not authorization_code.strip()
        or len(authorization_code) > MAX_AUTHORIZATION_CODE_LENGTH
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in authorization_code)
    ):
        raise _Invalid(
            f"authorization_code must be the non-empty code the provider sent (at most {MAX_AUTHORIZATION_CODE_LENGTH}"
            " printable characters)"
        )
    redirect = _redirect_url(redirect_url)
    options = _json_object(integration_options, name="integration_options")
    integrations: list[Integration] = yield get_integrations_call(project_id)
    match = find_integration(integrations, integration_type)
    body = CompleteInstallRequest(
        code=authorization_code,
        integration_id=validate_id(match.id, name="integration id from Paragon"),
        redirect_url=UNSET if redirect is None else redirect,
        integration_options=JsonObject.from_dict(options),
    )
    credential: Credential = yield _credential_call(create_credential.build_request(project_id, body=body))
    return credential, _install_event(match, credential) if _valid(credential) else None


def start_connect_flow(
    project_id: str, integration: object, redirect_url: object, install_options: object
) -> Flow[ConnectLink]:
    from useparagon_api.api.connect import build_oauth_url
    from useparagon_api.models import OAuthUrl

    integration_type = validate_integration_type(integration)
    redirect = _redirect_url(redirect_url)
    options = _json_object(install_options, name="install_options")
    integrations: list[Integration] = yield get_integrations_call(project_id)
    match = find_integration(integrations, integration_type)
    scheme = _scheme(match)
    if scheme is not None and scheme not in OAUTH_REDIRECT_SCHEMES:
        raise OAuthRequiredError(
            f"{integration_type!r} takes values your backend can send ({scheme}), not a consent page: use"
            " install_integration(..., credentials={...})",
            integration=integration_type,
        )
    session_key = str(uuid.uuid4())
    request = build_oauth_url.build_request(
        project_id,
        action=integration_type,
        integration_id=validate_id(match.id, name="integration id from Paragon"),
        oauth_meta_key_id=session_key,
        redirect_url=UNSET if redirect is None else redirect,
        end_user_supplied_values="{}",
        parameters="{}",
        install_options=json.dumps(options, separators=(",", ":")),
        # The JS SDK repeats the token as ?userToken=; the Authorization header carries it, and a URL is what
        # httpx's own logger (and every proxy's access log) prints, so it stays out of the query.
        is_preview_mode=False,
    )
    found: OAuthUrl = yield call_for(
        build_oauth_url.OPERATION, request, parsed(build_oauth_url.parse_response, OAuthUrl)
    )
    return ConnectLink(
        url=_redirect_url(found.redirect_url) or "",
        integration=integration_type,
        integration_id=match.id,
        session_key=session_key,
    )


def oauth_session_call(project_id: str, link: ConnectLink) -> Call[OAuthSession]:
    from useparagon_api.api.connect import get_oauth_session
    from useparagon_api.models import OAuthSession

    request = get_oauth_session.build_request(project_id, validate_id(link.session_key, name="session key"))
    return call_for(get_oauth_session.OPERATION, request, parsed(get_oauth_session.parse_response, OAuthSession))


def forget_oauth_session_call(project_id: str, link: ConnectLink) -> Call[None]:
    from useparagon_api.api.connect import delete_oauth_session

    request = delete_oauth_session.build_request(project_id, validate_id(link.session_key, name="session key"))
    return call_for(delete_oauth_session.OPERATION, request, no_result)


def connected_credential_id(session: OAuthSession) -> str | None:
    value = session.connect_credential_id
    return value if isinstance(value, str) and value else None


def link_event(link: ConnectLink, credential: Credential) -> IntegrationInstallEvent | None:
    if not _valid(credential):
        return None
    return {
        "type": "onIntegrationInstall",
        "integrationId": link.integration_id,
        "integrationType": link.integration,
        "credentialId": credential.id,
    }


def check_link(link: object, timeout: object, interval: object) -> tuple[ConnectLink, float, float]:
    if not isinstance(link, ConnectLink):
        raise _Invalid(f"link must be the ConnectLink start_connect() returned, got {type(link).__name__}")
    for name, value in (("timeout", timeout), ("interval", interval)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
            raise _Invalid(f"{name} must be a number of seconds between 0 and 3600, got {type(value).__name__}")
    return link, float(timeout), float(interval)  # type: ignore[arg-type]


def not_completed_message(link: ConnectLink, timeout: float) -> str:
    return (
        f"the user did not finish connecting {link.integration!r} within {timeout:g} s"
        " (the link stays usable until Paragon expires it: call wait_for_connection(link) again, or start_connect()"
        " for a new one)"
    )


def pause(cancel: threading.Event | None, seconds: float) -> bool:
    """Sleep ``seconds`` between polls; True when ``cancel`` was set before or while waiting."""
    if cancel is None:
        time.sleep(seconds)
        return False
    return cancel.wait(seconds)


async def apause(cancel: asyncio.Event | None, seconds: float) -> bool:
    """The asyncio ``pause``: a task cancelled meanwhile raises CancelledError as usual."""
    import asyncio

    if cancel is None:
        await asyncio.sleep(seconds)
        return False
    try:
        async with asyncio.timeout(seconds):
            await cancel.wait()
    except TimeoutError:
        return False
    return True
