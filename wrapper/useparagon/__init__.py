"""useparagon: a Python client for Paragon's SDK REST API.

>>> from useparagon import Paragon
>>> paragon = Paragon()                       # PARAGON_PROJECT_ID, PARAGON_SIGNING_KEY
>>> user = paragon.authenticate("user-123")   # a session acting as that Connected User
>>> user.request("slack", "chat.postMessage", method="POST", body={"channel": "C1", "text": "hi"})

Every name here is imported on first use (PEP 562): ``paragon --help`` and a program that only needs the errors
load nothing else, and ``from useparagon import Paragon`` loads the sync client alone.
"""

import typing as _typing

if _typing.TYPE_CHECKING:
    from useparagon_api.models import (
        AccountAuth,
        ActionList,
        AuthenticatedUser,
        Credential,
        CredentialConfiguration,
        CredentialStatus,
        Integration,
        IntegrationMetadata,
        IntegrationState,
        ParagonActionList,
        TriggerDefinition,
        TriggerList,
        TriggerSubscription,
        TriggerSubscriptionList,
        UnauthenticatedUser,
        UnsubscribeResult,
        UpdatedCredential,
    )
    from useparagon_api.wire import (
        IntegrationInstallEvent,
        IntegrationUninstallEvent,
        PortalCloseEvent,
        PortalOpenEvent,
        SdkEvent,
        WorkflowStateChangeEvent,
    )

    from ._agent import AgentTool
    from ._async_client import AsyncParagon
    from ._async_session import AsyncUserSession
    from ._async_tools import AsyncAgentTools
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
        CredentialNotFoundError,
        IntegrationAlreadyInstalledError,
        IntegrationNotInstalledError,
        InternalServerError,
        InvalidRequestError,
        NotFoundError,
        OAuthRequiredError,
        OptionalDependencyError,
        ParagonError,
        PermissionDeniedError,
        RateLimitError,
        ResponseTooLargeError,
        SigningKeyError,
        ToolArgumentsError,
        ToolCallError,
        UnknownToolError,
        UnprocessableEntityError,
        UserTokenError,
        WorkflowNotFoundError,
    )
    from ._events import EVENT_NAMES, EventName
    from ._headless import FieldOptions, UserSettingsUpdate, WorkflowStateError, WorkflowStateUpdate
    from ._retry import RetryPolicy
    from ._session import UserSession
    from ._stream import AsyncStreamContext, AsyncStreamedResponse, StreamContext, StreamedResponse
    from ._tools import AgentTools
    from ._types import NOT_GIVEN, NotGiven, RawResponse
    from ._version import __version__
    from ._watch import AsyncWatcher, Watcher
else:
    from importlib import import_module as _import_module

    # Each name and the module that defines it.
    _LAZY = {
        "APIConnectionError": "useparagon._errors",
        "APIError": "useparagon._errors",
        "APIResponseValidationError": "useparagon._errors",
        "APIStatusError": "useparagon._errors",
        "APITimeoutError": "useparagon._errors",
        "AsyncStreamContext": "useparagon._stream",
        "AsyncStreamedResponse": "useparagon._stream",
        "AsyncWatcher": "useparagon._watch",
        "AuthenticationError": "useparagon._errors",
        "BadRequestError": "useparagon._errors",
        "ClientClosedError": "useparagon._errors",
        "ConfigurationError": "useparagon._errors",
        "ConflictError": "useparagon._errors",
        "ConnectLink": "useparagon._connect",
        "ConnectNotCompletedError": "useparagon._errors",
        "CredentialNotFoundError": "useparagon._errors",
        "FieldOptions": "useparagon._headless",
        "UserSettingsUpdate": "useparagon._headless",
        "WorkflowNotFoundError": "useparagon._errors",
        "WorkflowStateError": "useparagon._headless",
        "WorkflowStateUpdate": "useparagon._headless",
        "EVENT_NAMES": "useparagon._events",
        "EventName": "useparagon._events",
        "IntegrationAlreadyInstalledError": "useparagon._errors",
        "IntegrationNotInstalledError": "useparagon._errors",
        "InternalServerError": "useparagon._errors",
        "InvalidRequestError": "useparagon._errors",
        "NOT_GIVEN": "useparagon._types",
        "NotFoundError": "useparagon._errors",
        "NotGiven": "useparagon._types",
        "OAuthRequiredError": "useparagon._errors",
        "OptionalDependencyError": "useparagon._errors",
        "ToolArgumentsError": "useparagon._errors",
        "ToolCallError": "useparagon._errors",
        "UnknownToolError": "useparagon._errors",
        "AgentTool": "useparagon._agent",
        "AgentTools": "useparagon._tools",
        "AsyncAgentTools": "useparagon._async_tools",
        "Paragon": "useparagon._client",
        "ParagonError": "useparagon._errors",
        "PermissionDeniedError": "useparagon._errors",
        "RateLimitError": "useparagon._errors",
        "RawResponse": "useparagon._types",
        "ResponseTooLargeError": "useparagon._errors",
        "RetryPolicy": "useparagon._retry",
        "SigningKeyError": "useparagon._errors",
        "StreamContext": "useparagon._stream",
        "StreamedResponse": "useparagon._stream",
        "UnprocessableEntityError": "useparagon._errors",
        "UserSession": "useparagon._session",
        "UserTokenError": "useparagon._errors",
        "Watcher": "useparagon._watch",
        "__version__": "useparagon._version",
        "ActionList": "useparagon_api.models",
        "AuthenticatedUser": "useparagon_api.models",
        "AccountAuth": "useparagon_api.models",
        "Credential": "useparagon_api.models",
        "CredentialConfiguration": "useparagon_api.models",
        "CredentialStatus": "useparagon_api.models",
        "TriggerDefinition": "useparagon_api.models",
        "TriggerList": "useparagon_api.models",
        "TriggerSubscription": "useparagon_api.models",
        "TriggerSubscriptionList": "useparagon_api.models",
        "UnsubscribeResult": "useparagon_api.models",
        "ParagonActionList": "useparagon_api.models",
        "UpdatedCredential": "useparagon_api.models",
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
        "AsyncParagon": "useparagon._async_client",
        "AsyncUserSession": "useparagon._async_session",
    }

    def __getattr__(name):
        module = _LAZY.get(name)
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
    "AccountAuth",
    "ActionList",
    "AgentTool",
    "AgentTools",
    "AsyncAgentTools",
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
    "CredentialConfiguration",
    "CredentialNotFoundError",
    "CredentialStatus",
    "EventName",
    "FieldOptions",
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
    "OptionalDependencyError",
    "Paragon",
    "ParagonActionList",
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
    "ToolArgumentsError",
    "ToolCallError",
    "TriggerDefinition",
    "TriggerList",
    "TriggerSubscription",
    "TriggerSubscriptionList",
    "UnauthenticatedUser",
    "UnknownToolError",
    "UnprocessableEntityError",
    "UnsubscribeResult",
    "UpdatedCredential",
    "UserSession",
    "UserSettingsUpdate",
    "UserTokenError",
    "Watcher",
    "WorkflowNotFoundError",
    "WorkflowStateChangeEvent",
    "WorkflowStateError",
    "WorkflowStateUpdate",
    "__version__",
]
