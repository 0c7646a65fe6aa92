"""useparagon: a Python client for Paragon's SDK REST API.

>>> from useparagon import Paragon
>>> paragon = Paragon()                       # PARAGON_PROJECT_ID, PARAGON_SIGNING_KEY
>>> user = paragon.authenticate("user-123")   # a session acting as that Connected User
>>> user.request("slack", "chat.postMessage", method="POST", body={"channel": "C1", "text": "hi"})
"""

from useparagon_api.models import (
    ActionList,
    AuthenticatedUser,
    Credential,
    CredentialStatus,
    Integration,
    IntegrationMetadata,
    IntegrationState,
    UnauthenticatedUser,
)
from useparagon_api.wire import (
    IntegrationInstallEvent,
    IntegrationUninstallEvent,
    PortalCloseEvent,
    PortalOpenEvent,
    SdkEvent,
    WorkflowStateChangeEvent,
)

from ._client import AsyncParagon, Paragon
from ._connect import ConnectLink
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    ConnectNotCompletedError,
    IntegrationAlreadyInstalledError,
    IntegrationNotInstalledError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    OAuthRequiredError,
    ParagonError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    SigningKeyError,
    UnprocessableEntityError,
    UserTokenError,
)
from ._events import EVENT_NAMES, EventName
from ._retry import RetryPolicy
from ._session import AsyncUserSession, UserSession
from ._stream import AsyncStreamContext, AsyncStreamedResponse, StreamContext, StreamedResponse
from ._types import NOT_GIVEN, NotGiven, RawResponse
from ._version import __version__
from ._watch import AsyncWatcher, Watcher

__all__ = [
    "EVENT_NAMES",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "ActionList",
    "AsyncParagon",
    "AsyncStreamContext",
    "AsyncStreamedResponse",
    "AsyncUserSession",
    "AsyncWatcher",
    "AuthenticatedUser",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "ConnectLink",
    "ConnectNotCompletedError",
    "Credential",
    "CredentialStatus",
    "EventName",
    "Integration",
    "IntegrationAlreadyInstalledError",
    "IntegrationInstallEvent",
    "IntegrationMetadata",
    "IntegrationNotInstalledError",
    "IntegrationState",
    "IntegrationUninstallEvent",
    "InternalServerError",
    "InvalidRequestError",
    "NotFoundError",
    "NotGiven",
    "OAuthRequiredError",
    "Paragon",
    "ParagonError",
    "PermissionDeniedError",
    "PortalCloseEvent",
    "PortalOpenEvent",
    "RateLimitError",
    "RawResponse",
    "ResponseTooLargeError",
    "RetryPolicy",
    "SdkEvent",
    "SigningKeyError",
    "StreamContext",
    "StreamedResponse",
    "UnauthenticatedUser",
    "UnprocessableEntityError",
    "UserSession",
    "UserTokenError",
    "Watcher",
    "WorkflowStateChangeEvent",
    "__version__",
]
