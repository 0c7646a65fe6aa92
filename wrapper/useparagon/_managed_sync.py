"""Managed Sync calls as data: the Sync API (syncs, their status, the synced records) and the Permissions API.

Both live on their own host (``sync.useparagon.com``; self-hosted ``ms-sync.{host}``) and take the user token, which
must carry the ``aud`` claim there (docs.useparagon.com/managed-sync/sync-api): a token signed here always does, and
one signed elsewhere without it is refused before any request. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_args

import httpx
from useparagon_api.types import UNSET, Unset

from ._calls import Call, ResponseMismatch, call_for, mapping, no_result, paging_error, parsed, remember_cursor
from ._errors import InvalidRequestError, UserTokenError
from ._validation import show_input, validate_id, validate_integration_type, validate_text

if TYPE_CHECKING:
    from useparagon_api.models import (
        BatchAccessCheckItem,
        Sync,
        SyncedRecord,
        SyncedRecordPage,
        SyncState,
        SyncUpdate,
    )

    from ._tokens import TokenSource

PermissionRole: TypeAlias = Literal["can_read", "can_write", "is_owner"]
"""A role on a synced object (docs.useparagon.com/managed-sync/api/check-access)."""
ObjectType: TypeAlias = Literal["file", "folder"]

_ROLES: tuple[str, ...] = get_args(PermissionRole)
_OBJECT_TYPES: tuple[str, ...] = get_args(ObjectType)
# Text that travels in a JSON body (an email, a record id, a pipeline name): any printable text of a sane length.
# A cursor that keeps coming back, or a sync that never ends, is a server fault, not a reason to loop forever.
MAX_RECORD_PAGES = 1_000_000


def require_audience(token: TokenSource) -> None:
    """Refuse, before any request, a token signed elsewhere that has no ``aud``: Managed Sync would answer 401."""
    # A token signed here always carries aud; one given to authenticate(user_token=) exposes its claims.
    claims = getattr(token, "claims", None)
    if claims is not None and not claims.aud:
        raise UserTokenError(
            "Managed Sync needs a user token with an 'aud' claim (\"useparagon.com/<project id>\"): add it where"
            " the token is signed, or let this client sign it (authenticate(user_id))"
        )


def _role(value: object) -> str:
    if value not in _ROLES:
        raise InvalidRequestError(f"role must be one of {', '.join(_ROLES)}, got {show_input(value)}")
    return str(value)


def _sync_id(value: object) -> str:
    return validate_id(value, name="sync_id")


# -- Sync API --------------------------------------------------------------------------------------------------------


def enable_sync_call(
    integration: object,
    pipeline: object,
    *,
    configuration: object,
    configuration_name: object,
    credential_id: object,
) -> Call[Sync]:
    """``POST /api/syncs`` with ``{integration, pipeline[, configuration, configurationName, credentialId]}``."""
    from useparagon_api.api.managed_sync import enable_sync
    from useparagon_api.models import EnableSyncRequest, EnableSyncRequestConfiguration, Sync

    body = EnableSyncRequest(
        integration=validate_integration_type(integration),
        pipeline=validate_text(pipeline, name="pipeline"),
        configuration=UNSET
        if configuration is None
        else EnableSyncRequestConfiguration.from_dict(dict(mapping(configuration, name="configuration"))),
        configuration_name=UNSET
        if configuration_name is None
        else validate_text(configuration_name, name="configuration_name"),
        credential_id=UNSET if credential_id is None else validate_text(credential_id, name="credential_id"),
    )
    return call_for(
        enable_sync.OPERATION, enable_sync.build_request(body=body), parsed(enable_sync.parse_response, Sync)
    )


def list_syncs_call(credential_id: object) -> Call[list[Sync]]:
    """``GET /api/syncs[?credentialId=]``: the user's syncs, unwrapped from ``data``."""
    from useparagon_api.api.managed_sync import list_syncs
    from useparagon_api.models import SyncList

    chosen: str | Unset = UNSET if credential_id is None else validate_text(credential_id, name="credential_id")
    parse = parsed(list_syncs.parse_response, SyncList)
    return call_for(list_syncs.OPERATION, list_syncs.build_request(credential_id=chosen), lambda r: parse(r).data)


def get_sync_call(sync_id: object) -> Call[SyncState]:
    from useparagon_api.api.managed_sync import get_sync
    from useparagon_api.models import SyncState

    request = get_sync.build_request(_sync_id(sync_id))
    return call_for(get_sync.OPERATION, request, parsed(get_sync.parse_response, SyncState))


def update_sync_call(sync_id: object, credential_id: object) -> Call[SyncUpdate]:
    from useparagon_api.api.managed_sync import update_sync
    from useparagon_api.models import SyncUpdate, UpdateSyncRequest

    request = update_sync.build_request(
        _sync_id(sync_id), body=UpdateSyncRequest(credential_id=validate_text(credential_id, name="credential_id"))
    )
    return call_for(update_sync.OPERATION, request, parsed(update_sync.parse_response, SyncUpdate))


def sync_state_call(action: Literal["disable", "reenable", "delete"], sync_id: object) -> Call[None]:
    """Disable (``POST …/disable``), re-enable (``POST …/reenable``) or delete (``DELETE``) a sync. Paragon documents
    no body for these answers: success is the status."""
    from useparagon_api.api.managed_sync import delete_sync, disable_sync, reenable_sync

    operation = {"disable": disable_sync, "reenable": reenable_sync, "delete": delete_sync}[action]
    return call_for(operation.OPERATION, operation.build_request(_sync_id(sync_id)), no_result)


def check_page_size(page_size: object) -> int | Unset:
    if page_size is None:
        return UNSET
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise InvalidRequestError(f"page_size must be an int >= 1, got {show_input(page_size)}")
    return page_size


def check_cursor(cursor: object) -> str | Unset:
    return UNSET if cursor is None else validate_text(cursor, name="cursor")


def records_call(sync_id: object, cursor: str | Unset, page_size: int | Unset) -> Call[SyncedRecordPage]:
    """``GET /api/syncs/{syncId}/records[?cursor=&pageSize=]``: one page of records after ``cursor``."""
    from useparagon_api.api.managed_sync import pull_synced_records
    from useparagon_api.models import SyncedRecordPage

    request = pull_synced_records.build_request(_sync_id(sync_id), cursor=cursor, page_size=page_size)
    return call_for(
        pull_synced_records.OPERATION, request, parsed(pull_synced_records.parse_response, SyncedRecordPage)
    )


def next_cursor(page: SyncedRecordPage, seen: set[str]) -> str | None:
    """The cursor to read on from after ``page``, or None once caught up (an empty page, or nothing remaining)."""
    from useparagon_api.operations import PULL_SYNCED_RECORDS

    paging = page.paging
    if not page.data or paging.remaining_records == 0:
        return None
    cursor = paging.cursor if isinstance(paging.cursor, str) else ""
    if not cursor:
        problem = "records remaining but no paging.cursor to read them from"
        raise paging_error(PULL_SYNCED_RECORDS, problem, "iter_synced_records")
    remember_cursor(
        cursor,
        seen,
        limit=MAX_RECORD_PAGES,
        name="paging.cursor",
        operation=PULL_SYNCED_RECORDS,
        iterator="iter_synced_records",
    )
    return cursor


def get_record_call(sync_id: object, record_id: object) -> Call[SyncedRecord]:
    """``GET /api/syncs/{syncId}/records/{recordId}``: the record, unwrapped from ``data``."""
    from useparagon_api.api.managed_sync import get_synced_record
    from useparagon_api.models import SyncedRecordResponse

    request = get_synced_record.build_request(_sync_id(sync_id), validate_id(record_id, name="record_id"))
    parse = parsed(get_synced_record.parse_response, SyncedRecordResponse)
    return call_for(get_synced_record.OPERATION, request, lambda response: parse(response).data)


def download_call(sync_id: object, record_id: object) -> Call[Any]:
    """``GET /api/syncs/{syncId}/records/{recordId}/content``, handed over unread (a file may be large)."""
    import attrs
    from useparagon_api.api.managed_sync import download_synced_record_content

    request = download_synced_record_content.build_request(_sync_id(sync_id), validate_id(record_id, name="record_id"))
    call = call_for(download_synced_record_content.OPERATION, request, no_result)
    return attrs.evolve(call, stream=True)


# -- Permissions API -------------------------------------------------------------------------------------------------


def _permissions_call(operation: Any, sync_id: object, body: Any, parse: Callable[[httpx.Response], Any]) -> Call[Any]:
    return call_for(operation.OPERATION, operation.build_request(_sync_id(sync_id), body=body), parse)


def check_access_call(sync_id: object, object_id: object, user: object, role: object) -> Call[bool]:
    """``POST /api/permissions/{syncId}/check``: whether ``user`` (an email) has ``role`` on the object."""
    from useparagon_api.api.permissions import check_access
    from useparagon_api.models import AccessCheck, AccessCheckResult
    from useparagon_api.models import PermissionRole as RoleModel

    body = AccessCheck(
        object_=validate_text(object_id, name="object_id"),
        user=validate_text(user, name="user"),
        role=RoleModel(_role(role)),
    )
    parse = parsed(check_access.parse_response, AccessCheckResult)
    return _permissions_call(check_access, sync_id, body, lambda response: _strict_bool(parse(response).has_access))


def _strict_bool(value: object) -> bool:
    # A permission answer decides access: anything but a JSON boolean is a malformed answer, never "probably yes".
    if not isinstance(value, bool):
        raise ResponseMismatch("hasAccess is not a boolean")
    return value


def batch_check_call(sync_id: object, checks: object) -> Call[list[BatchAccessCheckItem]]:
    """``POST /api/permissions/{syncId}/batch-check``: checks ``{"object", "user"[, "role"]}``, answered in order."""
    from useparagon_api.api.permissions import batch_check_access
    from useparagon_api.models import AccessCheck, BatchAccessCheckRequest, BatchAccessCheckResult
    from useparagon_api.models import PermissionRole as RoleModel

    if isinstance(checks, str | bytes | Mapping) or not isinstance(checks, Sequence) or not checks:
        raise InvalidRequestError(
            'checks must be a non-empty list of {"object": ..., "user": ..., "role": ...} dicts,'
            f" got {type(checks).__name__}"
        )
    items = []
    for index, check in enumerate(checks):
        entry = mapping(check, name=f"checks[{index}]")
        unknown = sorted(set(entry) - {"object", "user", "role"})
        if unknown:
            raise InvalidRequestError(f"checks[{index}] has unknown keys {unknown}: use 'object', 'user' and 'role'")
        items.append(
            AccessCheck(
                object_=validate_text(entry.get("object"), name=f"checks[{index}]['object']"),
                user=validate_text(entry.get("user"), name=f"checks[{index}]['user']"),
                role=RoleModel(_role(entry.get("role", "can_read"))),
            )
        )
    parse = parsed(batch_check_access.parse_response, BatchAccessCheckResult)

    def answers(response: httpx.Response) -> list[BatchAccessCheckItem]:
        result: list[BatchAccessCheckItem] = parse(response).result
        if len(result) != len(items) or not all(isinstance(item.allowed, bool) for item in result):
            raise ResponseMismatch("the batch check did not answer every check with a boolean, in order")
        return result

    return _permissions_call(batch_check_access, sync_id, BatchAccessCheckRequest(checks=items), answers)


def list_users_call(sync_id: object, object_id: object, role: object) -> Call[list[str]]:
    """``POST /api/permissions/{syncId}/list-users``: the emails of the people with ``role`` on the object."""
    from useparagon_api.api.permissions import list_users_with_access
    from useparagon_api.models import ListUsersRequest, ListUsersResult
    from useparagon_api.models import PermissionRole as RoleModel

    body = ListUsersRequest(object_=validate_text(object_id, name="object_id"), role=RoleModel(_role(role)))
    parse = parsed(list_users_with_access.parse_response, ListUsersResult)
    return _permissions_call(list_users_with_access, sync_id, body, lambda response: _strings(parse(response).users))


def list_objects_call(sync_id: object, user: object, role: object, object_type: object) -> Call[list[str]]:
    """``POST /api/permissions/{syncId}/list-objects``: the ids of the files (or folders) ``user`` has ``role`` on."""
    from useparagon_api.api.permissions import list_objects_with_access
    from useparagon_api.models import ListObjectsRequest, ListObjectsRequestObjectType, ListObjectsResult
    from useparagon_api.models import PermissionRole as RoleModel

    if object_type not in _OBJECT_TYPES:
        raise InvalidRequestError(f"object_type must be 'file' or 'folder', got {show_input(object_type)}")
    body = ListObjectsRequest(
        object_type=ListObjectsRequestObjectType(object_type),
        user=validate_text(user, name="user"),
        role=RoleModel(_role(role)),
    )
    parse = parsed(list_objects_with_access.parse_response, ListObjectsResult)
    return _permissions_call(
        list_objects_with_access, sync_id, body, lambda response: _strings(parse(response).objects)
    )


def _strings(values: object) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ResponseMismatch("expected a list of strings")
    return values
