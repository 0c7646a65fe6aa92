"""Everything useparagon raises.

::

    ParagonError
    ├── ConfigurationError (ValueError)        a setting is missing or invalid
    │   └── SigningKeyError                    the signing key cannot sign RS256 user tokens
    ├── InvalidRequestError (ValueError)       input rejected before any network I/O
    │   ├── UserTokenError                     a user token given to authenticate() is malformed or expired
    │   └── ToolCallError                      a model's tool call that cannot run (agent_tools)
    │       ├── UnknownToolError (LookupError)   it names no tool of the toolset
    │       └── ToolArgumentsError             its arguments are not JSON or do not fit the tool's schema
    ├── OptionalDependencyError (ImportError)   a feature needs an extra: pip install 'useparagon[mcp]'
    ├── IntegrationNotInstalledError (LookupError)   uninstall of an integration the user has not connected
    ├── CredentialNotFoundError (LookupError)   no VALID credential, or no configuration, matches (user settings…)
    ├── WorkflowNotFoundError (LookupError)    no such workflow in the project or in the configuration
    ├── IntegrationAlreadyInstalledError (ValueError)   install_integration of one the user already connected
    ├── OAuthRequiredError (ValueError)        install_integration of an OAuth integration (use start_connect)
    ├── ConnectNotCompletedError (TimeoutError)   wait_for_connection ran out of time
    ├── ClientClosedError (RuntimeError)       a call on a client after close()/aclose()
    └── APIError                               something went wrong talking to Paragon
        ├── APIConnectionError                 no usable response (DNS, refused, reset, TLS…)
        │   └── APITimeoutError                an attempt's timeout or the call's total deadline passed
        ├── APIResponseValidationError         a success response that does not match the API's spec
        │   └── ResponseTooLargeError          the body is larger than max_response_bytes (decompressed)
        └── APIStatusError                     Paragon answered with a non-success status
            ├── BadRequestError                400
            ├── AuthenticationError            401
            ├── PermissionDeniedError          403
            ├── NotFoundError                  404
            ├── ConflictError                  409
            ├── UnprocessableEntityError       422
            ├── RateLimitError                 429
            └── InternalServerError            >= 500

Messages are never empty and never contain a token, a key, a query string or more than a few hundred
characters of a response body; the full body stays on ``APIStatusError.body``.
"""

from __future__ import annotations

from typing import Any

import httpx

from ._constants import ERROR_BODY_PREVIEW_CHARS

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "ConnectNotCompletedError",
    "CredentialNotFoundError",
    "IntegrationAlreadyInstalledError",
    "IntegrationNotInstalledError",
    "InternalServerError",
    "InvalidRequestError",
    "NotFoundError",
    "OAuthRequiredError",
    "OptionalDependencyError",
    "ParagonError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "SigningKeyError",
    "ToolArgumentsError",
    "ToolCallError",
    "UnknownToolError",
    "UnprocessableEntityError",
    "UserTokenError",
    "WorkflowNotFoundError",
]


class ParagonError(Exception):
    """The root of every exception useparagon raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message or type(self).__name__)

    @property
    def message(self) -> str:
        return str(self.args[0])


class ConfigurationError(ParagonError, ValueError):
    """A client setting is missing or invalid; the message names the argument and the environment variable."""


class SigningKeyError(ConfigurationError):
    """The signing key cannot be used to sign RS256 user tokens. The message never contains key material."""


class InvalidRequestError(ParagonError, ValueError):
    """Input rejected before any network I/O (an unsafe proxy path, an empty id, a bad header value…)."""


class UserTokenError(InvalidRequestError):
    """A user token passed to ``authenticate(user_token=…)`` is malformed or already expired."""


class ToolCallError(InvalidRequestError):
    """A model's tool call that cannot run, found before any request: ``tool`` is the name the model used. Its message
    is written for the model too: the agent adapters hand it back as the tool's (error) result, so it can retry."""

    def __init__(self, message: str, *, tool: str) -> None:
        super().__init__(message)
        self.tool = tool


class UnknownToolError(ToolCallError, LookupError):
    """The call names no tool of the toolset (a made-up name, or one of an integration the user did not connect)."""


class ToolArgumentsError(ToolCallError):
    """The call's arguments are not a JSON object, or do not fit the tool's JSON Schema; ``errors`` lists each reason
    (they name the place and the rule, never a value)."""

    def __init__(self, message: str, *, tool: str, errors: list[str]) -> None:
        super().__init__(message, tool=tool)
        self.errors = errors


class OptionalDependencyError(ParagonError, ImportError):
    """A feature needs a package the core install leaves out; the message names the extra that brings it."""


class IntegrationNotInstalledError(ParagonError, LookupError):
    """The integration is not in the project, or the user has not connected it."""

    def __init__(self, message: str, *, integration: str) -> None:
        super().__init__(message)
        self.integration = integration


class CredentialNotFoundError(ParagonError, LookupError):
    """The user's state has no VALID credential (or no configuration) for what was asked: the user settings, trigger
    catalog and webhook calls read ``GET /sdk/me`` first, as the JS SDK reads its own copy of it. ``integration`` is
    the integration type, when the call named one."""

    def __init__(self, message: str, *, integration: str | None = None) -> None:
        super().__init__(message)
        self.integration = integration


class WorkflowNotFoundError(ParagonError, LookupError):
    """No workflow with this id in the project's integrations, or none in the configuration whose settings change."""

    def __init__(self, message: str, *, workflow_id: str) -> None:
        super().__init__(message)
        self.workflow_id = workflow_id


class IntegrationAlreadyInstalledError(ParagonError, ValueError):
    """The user already connected this integration; pass ``allow_multiple=True`` to add another account."""

    def __init__(self, message: str, *, integration: str) -> None:
        super().__init__(message)
        self.integration = integration


class OAuthRequiredError(ParagonError, ValueError):
    """The integration connects through the provider's consent page, which only the user's browser can approve:
    use ``start_connect`` (or ``complete_install`` with an authorization code)."""

    def __init__(self, message: str, *, integration: str) -> None:
        super().__init__(message)
        self.integration = integration


class ConnectNotCompletedError(ParagonError, TimeoutError):
    """``wait_for_connection`` timed out (or was cancelled) before the user approved access."""

    def __init__(self, message: str, *, integration: str) -> None:
        super().__init__(message)
        self.integration = integration


class ClientClosedError(ParagonError, RuntimeError):
    """The client (or its injected ``http_client``) was closed; create a new one."""


class APIError(ParagonError):
    """A failure talking to Paragon. ``method`` and ``route`` name the call (the route is a template, no ids)."""

    def __init__(self, message: str, *, method: str, route: str) -> None:
        super().__init__(message)
        self.method = method
        self.route = route


class APIConnectionError(APIError):
    """No usable response: the connection failed, was refused, reset or closed early."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write, pool, or the total retry deadline)."""


class APIResponseValidationError(APIError):
    """Paragon answered with success, but the body does not match the API's documented shape."""

    def __init__(self, message: str, *, method: str, route: str, status_code: int, body: Any) -> None:
        super().__init__(message, method=method, route=route)
        self.status_code = status_code
        self.body = body


class ResponseTooLargeError(APIResponseValidationError):
    """The response body grew past ``max_response_bytes`` (counted after decompression), so reading it stopped.

    ``body`` is None; ``limit`` is the cap in bytes. Large downloads through the proxy belong in ``stream()``.
    """

    def __init__(self, message: str, *, method: str, route: str, status_code: int, limit: int) -> None:
        super().__init__(message, method=method, route=route, status_code=status_code, body=None)
        self.limit = limit


class APIStatusError(APIError):
    """Paragon answered with a non-success status.

    ``body`` is the parsed JSON body (or the text when it is not JSON), ``request_id`` the id Paragon or a proxy
    sent back, if any, and ``is_integration_error`` tells a failure of the third-party provider relayed by the
    Proxy API (``meta.isIntegrationError``) from a failure of Paragon itself.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        route: str,
        status_code: int,
        body: Any,
        request_id: str | None,
        headers: httpx.Headers | None = None,
    ) -> None:
        super().__init__(message, method=method, route=route)
        self.status_code = status_code
        self.body = body
        self.request_id = request_id
        self.headers = headers if headers is not None else httpx.Headers()

    @property
    def code(self) -> str | None:
        """Paragon's own error code (``"7210"`` for insufficient permission…), when the body has one."""
        code = self.body.get("code") if isinstance(self.body, dict) else None
        return str(code) if code is not None else None

    @property
    def is_integration_error(self) -> bool:
        meta = self.body.get("meta") if isinstance(self.body, dict) else None
        return isinstance(meta, dict) and meta.get("isIntegrationError") is True


class BadRequestError(APIStatusError):
    """400: the request was invalid."""


class AuthenticationError(APIStatusError):
    """401: the user token is missing, malformed, badly signed or expired."""


class PermissionDeniedError(APIStatusError):
    """403: the token may not do this (permissions claim, plan feature)."""


class NotFoundError(APIStatusError):
    """404: no such resource, or the integration is not enabled for the user."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the current state."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well-formed but semantically invalid."""


class RateLimitError(APIStatusError):
    """429: too many requests; retried automatically up to ``max_retries``."""


class InternalServerError(APIStatusError):
    """>= 500: Paragon (or the provider behind the proxy) failed."""


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    if status_code >= 500:
        return InternalServerError
    return _STATUS_ERRORS.get(status_code, APIStatusError)


def preview(text: str, limit: int = ERROR_BODY_PREVIEW_CHARS) -> str:
    """A single-line, bounded rendering of untrusted text for a message (no CR/LF log injection).

    Only a bounded head of ``text`` is looked at, so a megabyte of body costs no more than a kilobyte.
    """
    flat = " ".join(text[: limit * 8].split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
