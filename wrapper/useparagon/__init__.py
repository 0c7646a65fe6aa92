"""useparagon: a Python client for Paragon's SDK REST API.

>>> from useparagon import Paragon
>>> paragon = Paragon()                       # PARAGON_PROJECT_ID, PARAGON_SIGNING_KEY
>>> user = paragon.authenticate("user-123")   # a session acting as that Connected User
>>> user.request("slack", "chat.postMessage", method="POST", body={"channel": "C1", "text": "hi"})

The generated models and event types re-exported here (``Credential``, ``SdkEvent``…) are imported on first use.
"""

import typing as _typing

from ._async_client import AsyncParagon
from ._async_session import AsyncUserSession
from ._client import Paragon
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
from ._session import UserSession
from ._stream import AsyncStreamContext, AsyncStreamedResponse, StreamContext, StreamedResponse
from ._types import NOT_GIVEN, NotGiven, RawResponse
from ._version import __version__
from ._watch import AsyncWatcher, Watcher

if _typing.TYPE_CHECKING:
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
else:
    from importlib import import_module as _import_module

    # The generated names re-exported here, and the module that defines each (PEP 562: imported on first use, so
    # `import useparagon` loads no model the client itself has not needed yet).
    _GENERATED = {
        "ActionList": "useparagon_api.models",
        "AuthenticatedUser": "useparagon_api.models",
        "Credential": "useparagon_api.models",
        "CredentialStatus": "useparagon_api.models",
        "Integration": "useparagon_api.models",
        "IntegrationMetadata": "useparagon_api.models",
        "IntegrationState": "useparagon_api.models",
        "UnauthenticatedUser": "useparagon_api.models",
        "IntegrationInstallEvent": "useparagon_api.wire",
        "IntegrationUninstallEvent": "useparagon_api.wire",
        "PortalCloseEvent": "useparagon_api.wire",
        "PortalOpenEvent": "useparagon_api.wire",
        "SdkEvent": "useparagon_api.wire",
        "WorkflowStateChangeEvent": "useparagon_api.wire",
    }

    def __getattr__(name):
        module = _GENERATED.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(_import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
