"""FakeParagon's Managed Sync: the Sync API and the Permissions API (``sync.useparagon.com`` in the cloud).

As Paragon documents them (docs.useparagon.com/managed-sync): syncs of one pipeline from a user's account, their
status, records pulled page by page after an opaque cursor, one record, a file's content, and access checks over the
source's permissions. The user token must carry ``aud`` (``401`` otherwise). Choices where Paragon is silent:
- A sync's id is a uuid5 of the user, integration, pipeline and ``configurationName`` (Paragon's ids are name-based
  UUIDs too): enabling the same again answers the existing sync, unchanged.
- The fake syncs at once: a new sync answers ``INITIALIZING`` and reads back ``IDLE``, with ``lastSyncedAt``.
- Records are what the test gave the user's account (``FakeUser.add_synced_records``), in that order, whatever the
  ``configuration``; the cursor is base64 of ``cursor:<position>`` (the docs' example decodes so); ``lastSeen`` is
  that position. ``pageSize`` defaults to 100.
- A sync, record or file of another user, or none: ``404``. The integration not connected, or ``credentialId`` not
  the user's VALID credential of it: ``404`` (``Integration not enabled for user.``, ``Credential not found.``).
- Roles include each other (``is_owner`` > ``can_write`` > ``can_read``); the person may be written ``user:<email>``
  (as the batch check's examples write it) or as the bare email, in any case. ``list-objects`` counts a record whose
  ``type`` is ``"folder"`` as a folder and any other as a file.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Callable
from typing import Any

from ._api import Context
from ._http import ApiError, Outcome, invalid, json_outcome, not_enabled
from ._model import now_iso, stable_id
from ._store import ROLE_INCLUDES, Sync, SyncStore

DEFAULT_PAGE_SIZE = 100
DONE = {"success": True}
_ROLES = tuple(ROLE_INCLUDES)


def _store(ctx: Context) -> SyncStore:
    store: SyncStore = ctx.project.sync_store
    return store


def _object(value: Any, prop: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(prop, "isObject", f"{prop} must be an object")
    return value


def _string(body: dict[str, Any], prop: str) -> str:
    value = body.get(prop)
    if prop not in body or value == "":
        raise invalid(prop, "isNotEmpty", f"{prop} should not be empty")
    if not isinstance(value, str):
        raise invalid(prop, "isString", f"{prop} must be a string")
    return value


def _optional_string(body: dict[str, Any], prop: str) -> str | None:
    return _string(body, prop) if prop in body else None


def _role(body: dict[str, Any], prop: str = "role") -> str:
    role = body.get(prop)
    if role not in _ROLES:
        raise invalid(prop, "isEnum", f"{prop} must be one of the following values: {', '.join(_ROLES)}")
    return str(role)


def _sync(ctx: Context) -> Sync:
    sync = _store(ctx).syncs.get(ctx.params["syncId"])
    if sync is None or sync.user_id != ctx.user.id:
        raise ApiError(404, "Sync not found.")
    return sync


def render_sync(project_id: str, sync: Sync) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": sync.id,
        "userId": sync.user_id,
        "integration": sync.integration,
        "pipeline": sync.pipeline,
        "projectId": project_id,
        "status": sync.status,
        "credentialId": sync.credential_id,
        "dateCreated": sync.date_created,
        "dateUpdated": sync.date_updated,
    }
    if sync.configuration_name is not None:
        body["configurationName"] = sync.configuration_name
    if sync.reason is not None:
        body["reason"] = sync.reason
    return body


def encode_cursor(position: int) -> str:
    return base64.b64encode(f"cursor:{position}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    prefix, _, position = text.partition(":")
    if prefix != "cursor" or not position.isdigit() or not position.isascii():
        raise invalid("cursor", "isCursor", "cursor must be a paging.cursor this sync gave")
    return int(position)


# Sync API


def enable_sync(ctx: Context) -> Outcome:
    body = _object(ctx.json(), "body")
    integration_type = _string(body, "integration")
    pipeline = _string(body, "pipeline")
    configuration = _object(body["configuration"], "configuration") if "configuration" in body else {}
    name = _optional_string(body, "configurationName")
    credential_ref = _optional_string(body, "credentialId")
    integration = ctx.project.integrations.get(integration_type)
    if integration is None:
        raise not_enabled()
    credential, _ = ctx.project.pick_configuration(ctx.user, integration, credential_ref, None)
    store = _store(ctx)
    sync_id = stable_id("sync", ctx.project.id, ctx.user.id, integration_type, pipeline, name or "")
    existing = store.syncs.get(sync_id)
    if existing is not None:
        return json_outcome(200, render_sync(ctx.project.id, existing))
    sync = add_sync(store, ctx.user.id, integration_type, pipeline, credential.id, sync_id=sync_id, name=name)
    sync.configuration = copy.deepcopy(configuration)
    # The fake syncs at once: the answer still says where a new sync starts.
    return json_outcome(200, {**render_sync(ctx.project.id, sync), "status": "INITIALIZING"})


def add_sync(
    store: SyncStore,
    user_id: str,
    integration: str,
    pipeline: str,
    credential_id: str,
    *,
    sync_id: str,
    name: str | None,
    status: str = "IDLE",
) -> Sync:
    now = now_iso()
    sync = Sync(
        id=sync_id,
        user_id=user_id,
        integration=integration,
        pipeline=pipeline,
        credential_id=credential_id,
        configuration={},
        configuration_name=name,
        status=status,
        date_created=now,
        date_updated=now,
        last_synced_at=now if status in ("IDLE", "DISABLED") else None,
    )
    store.syncs[sync_id] = sync
    return sync


def list_syncs(ctx: Context) -> Outcome:
    credential_ref = ctx.query.get("credentialId")
    if credential_ref == "":
        raise invalid("credentialId", "isNotEmpty", "credentialId should not be empty")
    mine = [
        render_sync(ctx.project.id, sync)
        for sync in _store(ctx).syncs.values()
        if sync.user_id == ctx.user.id and credential_ref in (None, sync.credential_id)
    ]
    return json_outcome(200, {"data": mine})


def get_sync(ctx: Context) -> Outcome:
    sync = _sync(ctx)
    records = _store(ctx).records_of(sync)
    body: dict[str, Any] = {
        "status": sync.status,
        "credentialId": sync.credential_id,
        "summary": {
            "totalRecords": len(records),
            "syncedRecordsCount": len(records),
            "lastSyncedAt": sync.last_synced_at,
            "latestCursor": encode_cursor(len(records)) if records else None,
        },
    }
    if sync.reason is not None:
        body["reason"] = sync.reason
    return json_outcome(200, body)


def update_sync(ctx: Context) -> Outcome:
    credential_ref = _string(_object(ctx.json(), "body"), "credentialId")
    sync = _sync(ctx)
    integration = ctx.project.integration(sync.integration)
    credential, _ = ctx.project.pick_configuration(ctx.user, integration, credential_ref, None)
    sync.credential_id = credential.id
    sync.date_updated = now_iso()
    return json_outcome(
        200,
        {
            "id": sync.id,
            "data": {"credentialId": credential.id},
            "message": "Update request accepted and is being processed",
        },
    )


def delete_sync(ctx: Context) -> Outcome:
    sync = _sync(ctx)
    del _store(ctx).syncs[sync.id]
    return json_outcome(200, DONE)


def disable_sync(ctx: Context) -> Outcome:
    sync = _sync(ctx)
    sync.status, sync.date_updated = "DISABLED", now_iso()
    return json_outcome(200, DONE)


def reenable_sync(ctx: Context) -> Outcome:
    sync = _sync(ctx)
    if sync.status == "DISABLED":
        sync.status, sync.date_updated, sync.last_synced_at = "IDLE", now_iso(), now_iso()
    return json_outcome(200, DONE)


def pull_synced_records(ctx: Context) -> Outcome:
    size_text = ctx.query.get("pageSize")
    if size_text is not None and (not size_text.isdigit() or not size_text.isascii() or int(size_text) < 1):
        raise invalid("pageSize", "min", "pageSize must be an integer not less than 1")
    size = DEFAULT_PAGE_SIZE if size_text is None else int(size_text)
    cursor = ctx.query.get("cursor")
    start = 0 if cursor is None else _decode_cursor(cursor)
    sync = _sync(ctx)
    records = _store(ctx).records_of(sync)
    page = records[start : start + size]
    end = start + len(page)
    paging = {
        "totalRecords": len(records),
        "totalActiveRecords": len(records),
        "remainingRecords": max(len(records) - end, 0),
        "cursor": encode_cursor(end) if page else cursor,
        "lastSeen": end,
    }
    return json_outcome(200, {"data": copy.deepcopy(page), "paging": paging})


def _record(ctx: Context) -> tuple[Sync, dict[str, Any]]:
    sync = _sync(ctx)
    record = next((r for r in _store(ctx).records_of(sync) if r.get("id") == ctx.params["recordId"]), None)
    if record is None:
        raise ApiError(404, "Record not found.")
    return sync, record


def get_synced_record(ctx: Context) -> Outcome:
    _, record = _record(ctx)
    return json_outcome(200, {"data": copy.deepcopy(record)})


def download_content(ctx: Context) -> Outcome:
    sync, record = _record(ctx)
    found = _store(ctx).files.get((sync.user_id, sync.integration, str(record["id"])))
    if found is None:
        raise ApiError(404, "This record has no file content.")
    return Outcome(200, (("Content-Type", found.content_type),), found.content)


# Permissions API


def person_key(value: str) -> str:
    """How a person is stored and looked up: ``user:a@x.com`` and ``A@x.com`` are the same person."""
    return value.removeprefix("user:").strip().lower()


def _allowed(ctx: Context, sync: Sync, object_id: str, person: str, role: str) -> bool:
    grants = _store(ctx).grants.get((sync.user_id, sync.integration), {})
    held = grants.get(object_id, {}).get(person_key(person))
    return held is not None and role in ROLE_INCLUDES[held]


def _check(body: Any, prop: str) -> tuple[str, str, str]:
    check = _object(body, prop)
    return _string(check, "object"), _string(check, "user"), _role(check)


def check_access(ctx: Context) -> Outcome:
    object_id, person, role = _check(ctx.json(), "body")
    sync = _sync(ctx)
    return json_outcome(200, {"hasAccess": _allowed(ctx, sync, object_id, person, role)})


def batch_check_access(ctx: Context) -> Outcome:
    checks = _object(ctx.json(), "body").get("checks")
    if not isinstance(checks, list) or not checks:
        raise invalid("checks", "arrayNotEmpty", "checks must be a non-empty array")
    parsed = [_check(check, f"checks.{index}") for index, check in enumerate(checks)]
    sync = _sync(ctx)
    result = [
        {
            "allowed": _allowed(ctx, sync, object_id, person, role),
            "request": {"object": object_id, "user": person, "role": role},
        }
        for object_id, person, role in parsed
    ]
    return json_outcome(200, {"result": result})


def list_users(ctx: Context) -> Outcome:
    body = _object(ctx.json(), "body")
    object_id, role = _string(body, "object"), _role(body)
    sync = _sync(ctx)
    grants = _store(ctx).grants.get((sync.user_id, sync.integration), {}).get(object_id, {})
    users = sorted(person for person, held in grants.items() if role in ROLE_INCLUDES[held])
    return json_outcome(200, {"users": users[:1000]})


def list_objects(ctx: Context) -> Outcome:
    body = _object(ctx.json(), "body")
    object_type = body.get("objectType")
    if object_type not in ("file", "folder"):
        raise invalid("objectType", "isEnum", "objectType must be one of the following values: file, folder")
    person, role = _string(body, "user"), _role(body)
    sync = _sync(ctx)
    objects = [
        str(record["id"])
        for record in _store(ctx).records_of(sync)
        if (record.get("type") == "folder") is (object_type == "folder")
        and _allowed(ctx, sync, str(record["id"]), person, role)
    ]
    return json_outcome(200, {"objects": objects[:1000]})


# operationId → (handler, whether the dispatcher holds the project lock around it), as in _api.OPERATIONS
OPERATIONS: dict[str, tuple[Callable[[Context], Outcome], bool]] = {
    "enableSync": (enable_sync, True),
    "listSyncs": (list_syncs, True),
    "getSync": (get_sync, True),
    "updateSync": (update_sync, True),
    "deleteSync": (delete_sync, True),
    "disableSync": (disable_sync, True),
    "reenableSync": (reenable_sync, True),
    "pullSyncedRecords": (pull_synced_records, True),
    "getSyncedRecord": (get_synced_record, True),
    "downloadSyncedRecordContent": (download_content, True),
    "checkAccess": (check_access, True),
    "batchCheckAccess": (batch_check_access, True),
    "listUsersWithAccess": (list_users, True),
    "listObjectsWithAccess": (list_objects, True),
}
