"""Every operation of ``openapi/paragon.yaml`` as (operationId, method, path template), and path matching.

All of Paragon's services share one URL space here: their paths do not collide, so one fake serves them all.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

PROXY_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PROXY_TEMPLATE = "/projects/{projectId}/sdk/proxy/{integrationType}/{path}"

ROUTES: tuple[tuple[str, str, str], ...] = (
    ("getUser", "GET", "/projects/{projectId}/sdk/me"),
    ("updateUserMetadata", "PATCH", "/projects/{projectId}/sdk/me"),
    ("getIntegrationMetadata", "GET", "/projects/{projectId}/sdk/metadata"),
    ("listIntegrations", "GET", "/projects/{projectId}/sdk/integrations"),
    ("uninstallIntegration", "DELETE", "/projects/{projectId}/sdk/integrations/{integrationId}"),
    ("listCredentials", "GET", "/projects/{projectId}/sdk/credentials"),
    ("getCredential", "GET", "/projects/{projectId}/sdk/credentials/{credentialId}"),
    ("updateCredential", "PATCH", "/projects/{projectId}/sdk/credentials/{credentialId}"),
    ("createCredentialConfiguration", "POST", "/projects/{projectId}/sdk/credentials/{credentialId}/configurations"),
    ("updateCredentialConfiguration", "PATCH", "/projects/{projectId}/sdk/credentials/{credentialId}/configurations"),
    ("deleteCredentialConfiguration", "DELETE", "/projects/{projectId}/sdk/credentials/{credentialId}/configurations"),
    ("createCredential", "POST", "/projects/{projectId}/sdk/credentials"),
    ("completeCredentialSetup", "POST", "/projects/{projectId}/sdk/credentials/{credentialId}/complete-setup"),
    ("getOauthSession", "GET", "/projects/{projectId}/sdk/actions/session-id/{sessionKey}"),
    ("deleteOauthSession", "DELETE", "/projects/{projectId}/sdk/actions/session-id/{sessionKey}"),
    ("buildOauthUrl", "GET", "/v2/projects/{projectId}/sdk/actions/build-oauth"),
    ("enableWorkflow", "POST", "/projects/{projectId}/sdk/workflows/{workflowId}"),
    ("disableWorkflow", "DELETE", "/projects/{projectId}/sdk/workflows/{workflowId}"),
    ("triggerWorkflow", "POST", "/projects/{projectId}/sdk/triggers/{workflowId}"),
    ("sendAppEvent", "POST", "/projects/{projectId}/sdk/events/trigger"),
    ("sendAppEventV2", "POST", "/v2/projects/{projectId}/sdk/events/trigger"),
    *((f"proxy{method.title()}", method, PROXY_TEMPLATE) for method in PROXY_METHODS),
    ("listActions", "GET", "/projects/{projectId}/actions"),
    ("runAction", "POST", "/projects/{projectId}/actions"),
)

OPERATION_IDS = frozenset(operation_id for operation_id, _, _ in ROUTES)


@attrs.frozen
class Match:
    operation_id: str
    params: Mapping[str, str]


def resolve_route_key(key: str) -> frozenset[str]:
    """``"getUser"``, ``"GET /projects/{projectId}/sdk/me"`` or ``"*"`` (every route) → operation ids."""
    if key == "*":
        return OPERATION_IDS
    if key in OPERATION_IDS:
        return frozenset({key})
    method, _, template = key.partition(" ")
    found = frozenset(op for op, m, t in ROUTES if m == method.upper() and t == template.strip())
    if not found:
        raise ValueError(
            f"unknown route {key!r}: use an operationId such as 'getUser' or 'GET /projects/{{projectId}}/sdk/me'"
        )
    return found


def _segments(template: str) -> list[str]:
    return template.strip("/").split("/")


_COMPILED = tuple((op, method, _segments(template)) for op, method, template in ROUTES)


def match(method: str, segments: list[str]) -> Match | None:
    """Matches decoded path segments (a known path with another method does not match: NestJS answers 404).

    ``segments`` for the proxy's catch-all keep everything after the integration type as one ``path`` value
    (joined back with ``/``); every other parameter matches exactly one non-empty segment.
    """
    for op, route_method, template in _COMPILED:
        if route_method != method:
            continue
        params = _match_template(template, segments)
        if params is not None:
            return Match(op, params)
    return None


def _match_template(template: list[str], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, part in enumerate(template):
        if part == "{path}":
            rest = segments[index:]
            if not rest or rest == [""]:
                return None
            params["path"] = "/".join(rest)
            return params
        if index >= len(segments):
            return None
        segment = segments[index]
        if part.startswith("{"):
            if not segment:
                return None
            params[part[1:-1]] = segment
        elif part != segment:
            return None
    # Express routes are not strict by default: one trailing slash still matches.
    trailing_slash = len(segments) == len(template) + 1 and segments[-1] == ""
    return params if len(segments) == len(template) or trailing_slash else None
