"""Managed Sync from a session: its host, the token's aud, record paging, file downloads, strict permission answers,
and the whole Sync and Permissions APIs against FakeParagon.

Every test runs against ``Paragon`` and ``AsyncParagon`` (``make_harness``). The exact request of each single-request
call is in tests/test_requests.py; hostile input in tests/test_hostile_inputs.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    APIResponseValidationError,
    AsyncParagon,
    AsyncStreamContext,
    InternalServerError,
    NotFoundError,
    Paragon,
    RetryPolicy,
    StreamContext,
    SyncStatus,
    UserTokenError,
)
from useparagon.testing import FakeParagon
from useparagon_api.types import Unset

from tests.support import PROJECT_ID, SYNC, Harness, MakeHarness, Session, SessionCall, json_response, trusting_fake

SYNC_ID = "a11347bd-d510-5489-9068-e5fded55a28c"
RECORDS = f"{SYNC}/api/syncs/{SYNC_ID}/records"

# Every Managed Sync call of a session.
CALLS: list[tuple[str, SessionCall]] = [
    ("enable_sync", lambda s: s.enable_sync("googledrive", "files")),
    ("list_syncs", lambda s: s.list_syncs()),
    ("get_sync", lambda s: s.get_sync(SYNC_ID)),
    ("update_sync", lambda s: s.update_sync(SYNC_ID, credential_id="cred-1")),
    ("disable_sync", lambda s: s.disable_sync(SYNC_ID)),
    ("reenable_sync", lambda s: s.reenable_sync(SYNC_ID)),
    ("delete_sync", lambda s: s.delete_sync(SYNC_ID)),
    ("pull_synced_records", lambda s: s.pull_synced_records(SYNC_ID)),
    ("iter_synced_records", lambda s: s.iter_synced_records(SYNC_ID)),
    ("get_synced_record", lambda s: s.get_synced_record(SYNC_ID, "rec-1")),
    ("download_synced_file", lambda s: s.download_synced_file(SYNC_ID, "rec-1")),
    ("check_access", lambda s: s.check_access(SYNC_ID, "rec-1", "a@x.co")),
    ("batch_check_access", lambda s: s.batch_check_access(SYNC_ID, [{"object": "rec-1", "user": "a@x.co"}])),
    ("list_users_with_access", lambda s: s.list_users_with_access(SYNC_ID, "rec-1")),
    ("list_objects_with_access", lambda s: s.list_objects_with_access(SYNC_ID, "a@x.co")),
]


def always(status: int, body: Any = None) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _request: json_response(status, body)


def drain(harness: Harness, value: Any) -> list[Any]:
    """Every item of a (sync or async) iterator."""
    if hasattr(value, "__aiter__"):

        async def collect() -> list[Any]:
            return [item async for item in value]

        return harness.run(collect())
    return list(value)


def download(harness: Harness, context: StreamContext | AsyncStreamContext) -> tuple[str, bytes]:
    """Enter the download, read it to the end: its content type and bytes."""
    if isinstance(context, AsyncStreamContext):

        async def read() -> tuple[str, bytes]:
            async with context as response:
                return response.headers["content-type"], b"".join([chunk async for chunk in response.aiter_bytes()])

        return harness.run(read())
    with context as response:
        return response.headers["content-type"], b"".join(response.iter_bytes())


def _token(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "user-9", "iat": now, "exp": now + 3600, **claims}, key, algorithm="RS256")


# -- The token's aud and the host ------------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [c for _, c in CALLS], ids=[name for name, _ in CALLS])
def test_a_token_without_aud_is_refused_before_any_request(
    call: SessionCall, make_harness: MakeHarness, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Managed Sync requires ``aud``: a token signed elsewhere without it raises UserTokenError when the call is
    made (the iterator and the download too, before they are used), and nothing is sent."""
    harness = make_harness(always(200, {}))
    session = harness.client.authenticate(user_token=_token(rsa_key))
    with pytest.raises(UserTokenError) as caught:
        harness.run(call(session))
    assert "'aud' claim" in str(caught.value)
    assert harness.requests == []


def test_a_token_with_aud_signed_elsewhere_is_sent(make_harness: MakeHarness, rsa_key: rsa.RSAPrivateKey) -> None:
    """The same token with ``aud`` goes to the sync host as it is; the SDK API still takes a token without it."""
    harness = make_harness(always(200, {"data": []}))
    token = _token(rsa_key, aud=f"useparagon.com/{PROJECT_ID}")
    assert harness.run(harness.client.authenticate(user_token=token).list_syncs()) == []
    (request,) = harness.requests
    assert request.headers["authorization"] == f"Bearer {token}"
    assert str(request.url) == f"{SYNC}/api/syncs"


@pytest.mark.parametrize(
    ("options", "environment", "origin"),
    [
        ({}, {}, SYNC),
        ({"host": "paragon.example.com"}, {}, "https://ms-sync.paragon.example.com"),
        ({}, {"PARAGON_HOST": "paragon.example.com"}, "https://ms-sync.paragon.example.com"),
        ({}, {"PARAGON_SYNC_URL": "http://127.0.0.1:8769"}, "http://127.0.0.1:8769"),
        (
            {"sync_url": "https://sync.internal.example"},
            {"PARAGON_SYNC_URL": "http://x"},
            "https://sync.internal.example",
        ),
    ],
    ids=["cloud", "host", "PARAGON_HOST", "PARAGON_SYNC_URL", "sync_url wins"],
)
def test_the_sync_host(
    options: dict[str, str],
    environment: dict[str, str],
    origin: str,
    make_harness: MakeHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cloud: sync.useparagon.com; self-hosted: ms-sync.{host} (Paragon's docs); or a URL of its own, the argument
    before PARAGON_SYNC_URL."""
    for name in ("PARAGON_HOST", "PARAGON_SYNC_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    harness = make_harness(always(200, {"status": "IDLE"}), **options)
    assert harness.client.urls.sync == origin
    harness.run(harness.session.get_sync(SYNC_ID))
    assert str(harness.requests[0].url) == f"{origin}/api/syncs/{SYNC_ID}"


def test_enabling_a_sync_is_not_retried_after_a_server_error(make_harness: MakeHarness) -> None:
    """A 500 may come after the sync was created: the POST is sent once, while a GET is retried."""
    harness = make_harness(always(500, {"message": "boom"}), retry=RetryPolicy(initial_delay=0.0))
    with pytest.raises(InternalServerError):
        harness.run(harness.session.enable_sync("googledrive", "files"))
    assert len(harness.requests) == 1
    with pytest.raises(InternalServerError):
        harness.run(harness.session.get_sync(SYNC_ID))
    assert len(harness.requests) == 4


# -- Paging records ---------------------------------------------------------------------------------------------------


def _pages(answers: dict[str | None, dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: json_response(200, answers[request.url.params.get("cursor")])


def test_the_iterator_reads_on_from_each_pages_cursor(make_harness: MakeHarness) -> None:
    """From a saved cursor, page after page, until ``remainingRecords`` is 0; each page keeps its cursor."""
    harness = make_harness(
        _pages(
            {
                "saved": {"data": [{"id": "r1"}, {"id": "r2"}], "paging": {"remainingRecords": 3, "cursor": "c2"}},
                "c2": {"data": [{"id": "r3"}, {"id": "r4"}], "paging": {"remainingRecords": 1, "cursor": "c4"}},
                "c4": {"data": [{"id": "r5"}], "paging": {"remainingRecords": 0, "cursor": "c5"}},
            }
        )
    )
    iterator = harness.session.iter_synced_records(SYNC_ID, cursor="saved", page_size=2)
    assert harness.requests == []
    pages = drain(harness, iterator)
    assert [[record.id for record in page.data] for page in pages] == [["r1", "r2"], ["r3", "r4"], ["r5"]]
    assert [page.paging.cursor for page in pages] == ["c2", "c4", "c5"]
    assert [str(r.url) for r in harness.requests] == [
        f"{RECORDS}?pageSize=2&cursor=saved",
        f"{RECORDS}?pageSize=2&cursor=c2",
        f"{RECORDS}?pageSize=2&cursor=c4",
    ]


def test_an_empty_page_means_caught_up(make_harness: MakeHarness) -> None:
    """No records (whatever ``remainingRecords`` says): the iteration ends after that page."""
    harness = make_harness(always(200, {"data": [], "paging": {"remainingRecords": 7, "cursor": "c9"}}))
    assert len(drain(harness, harness.session.iter_synced_records(SYNC_ID))) == 1
    assert len(harness.requests) == 1


@pytest.mark.parametrize(
    ("paging", "fragment"),
    [
        ({"remainingRecords": 5, "cursor": "same"}, "a paging.cursor it had already given"),
        ({"remainingRecords": 5}, "records remaining but no paging.cursor"),
        ({"remainingRecords": 5, "cursor": None}, "records remaining but no paging.cursor"),
    ],
    ids=["repeated cursor", "no cursor", "null cursor"],
)
def test_a_looping_or_cursorless_sync_stops_the_iterator(
    paging: dict[str, Any], fragment: str, make_harness: MakeHarness
) -> None:
    """A cursor given twice, or records remaining without a cursor: APIResponseValidationError, not a loop."""
    harness = make_harness(always(200, {"data": [{"id": "r1"}], "paging": paging}))
    with pytest.raises(APIResponseValidationError) as caught:
        drain(harness, harness.session.iter_synced_records(SYNC_ID))
    assert fragment in str(caught.value)
    assert len(harness.requests) <= 2


# -- Downloads and strict answers -------------------------------------------------------------------------------------


def test_a_synced_file_is_streamed(make_harness: MakeHarness) -> None:
    """The file's bytes and its own content type, read as a stream (a body past max_response_bytes still comes)."""
    content = b"%PDF-1.7 " + b"x" * 4096
    harness = make_harness(
        lambda request: httpx.Response(
            200, stream=httpx.ByteStream(content), headers={"content-type": "application/pdf"}
        ),
        max_response_bytes=1024,
    )
    assert download(harness, harness.session.download_synced_file(SYNC_ID, "rec-1")) == ("application/pdf", content)
    (request,) = harness.requests
    assert str(request.url) == f"{RECORDS}/rec-1/content"


def test_a_missing_file_fails_when_the_download_is_entered(make_harness: MakeHarness) -> None:
    """Nothing is sent until the block is entered; a 404 then raises NotFoundError."""
    harness = make_harness(always(404, {"message": "Record not found.", "status": 404}))
    context = harness.session.download_synced_file(SYNC_ID, "rec-1")
    assert harness.requests == []
    with pytest.raises(NotFoundError):
        download(harness, context)


@pytest.mark.parametrize(
    ("call", "body"),
    [
        (lambda s: s.check_access(SYNC_ID, "rec-1", "a@x.co"), {"hasAccess": "yes"}),
        (lambda s: s.check_access(SYNC_ID, "rec-1", "a@x.co"), {"hasAccess": 1}),
        (lambda s: s.batch_check_access(SYNC_ID, [{"object": "o", "user": "u"}] * 2), {"result": [{"allowed": True}]}),
        (lambda s: s.batch_check_access(SYNC_ID, [{"object": "o", "user": "u"}]), {"result": [{"allowed": "true"}]}),
        (lambda s: s.list_users_with_access(SYNC_ID, "rec-1"), {"users": ["a@x.co", 7]}),
        (lambda s: s.list_objects_with_access(SYNC_ID, "a@x.co"), {"objects": "rec-1"}),
    ],
    ids=["hasAccess text", "hasAccess number", "a check unanswered", "allowed text", "a user not text", "not a list"],
)
def test_a_permission_answer_that_is_not_exact_is_an_error(
    call: Callable[[Session], object], body: dict[str, Any], make_harness: MakeHarness
) -> None:
    """An access decision must be a JSON boolean for each check asked, in order: anything else is
    APIResponseValidationError, never a truthy value read as "allowed"."""
    harness = make_harness(always(200, body))
    with pytest.raises(APIResponseValidationError):
        harness.run(call(harness.session))


# -- Against FakeParagon ----------------------------------------------------------------------------------------------


@pytest.fixture
def fake(rsa_key: rsa.RSAPrivateKey) -> FakeParagon:
    """A FakeParagon that trusts the harness's tokens (same project, the public half of ``rsa_key``)."""
    return trusting_fake(rsa_key)


def test_managed_sync_on_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """Enable a Google Drive files sync, watch it go idle, pull 250 records in pages of 100 and keep the cursor, add
    records and read on from it, read one record and its file, check permissions, move the sync to a second account,
    pause, resume and delete it."""
    drive = fake.user("user-123").connect("googledrive").connect("googledrive")
    first_account, second_account = drive.credential_ids("googledrive")
    ids = drive.add_synced_records(
        "googledrive", "files", [{"name": f"f{n}.pdf", "mimeType": "application/pdf"} for n in range(250)]
    )
    drive.set_synced_file("googledrive", ids[0], b"%PDF-1.7 plan", content_type="application/pdf")
    drive.grant_access("googledrive", ids[0], "Alice@Example.com", "can_write")
    harness = make_harness(fake.transport().handle_request, sync_url="http://fakeparagon.invalid")
    session = harness.session

    sync = harness.run(session.enable_sync("googledrive", "files", configuration={"folderId": "F1"}))
    assert sync.status is SyncStatus.INITIALIZING
    assert harness.run(session.enable_sync("googledrive", "files")).id == sync.id  # the same sync again
    state = harness.run(session.get_sync(sync.id))
    assert state.status is SyncStatus.IDLE
    assert not isinstance(state.summary, Unset)
    assert state.summary.total_records == 250
    assert state.credential_id == first_account
    assert [s.id for s in harness.run(session.list_syncs(credential_id=first_account))] == [sync.id]
    assert harness.run(session.list_syncs(credential_id=second_account)) == []

    pages = drain(harness, session.iter_synced_records(sync.id))
    assert [len(page.data) for page in pages] == [100, 100, 50]
    assert [record.id for page in pages for record in page.data] == ids
    saved = pages[-1].paging.cursor
    assert isinstance(saved, str)
    newer = drive.add_synced_records("googledrive", "files", [{"name": "new.pdf"}])
    (latest,) = drain(harness, session.iter_synced_records(sync.id, cursor=saved))
    assert [record.id for record in latest.data] == newer
    assert latest.paging.remaining_records == 0

    record = harness.run(session.get_synced_record(sync.id, ids[0]))
    assert record["name"] == "f0.pdf"
    assert download(harness, session.download_synced_file(sync.id, ids[0])) == ("application/pdf", b"%PDF-1.7 plan")
    with pytest.raises(NotFoundError):
        download(harness, session.download_synced_file(sync.id, ids[1]))

    assert harness.run(session.check_access(sync.id, ids[0], "alice@example.com")) is True
    assert harness.run(session.check_access(sync.id, ids[0], "alice@example.com", role="is_owner")) is False
    checks = [
        {"object": ids[0], "user": "user:alice@example.com", "role": "can_write"},
        {"object": ids[1], "user": "b@x"},
    ]
    assert [item.allowed for item in harness.run(session.batch_check_access(sync.id, checks))] == [True, False]
    assert harness.run(session.list_users_with_access(sync.id, ids[0])) == ["alice@example.com"]
    assert harness.run(session.list_objects_with_access(sync.id, "alice@example.com")) == [ids[0]]
    assert harness.run(session.list_objects_with_access(sync.id, "alice@example.com", object_type="folder")) == []

    update = harness.run(session.update_sync(sync.id, credential_id=second_account))
    assert update.id == sync.id
    assert harness.run(session.get_sync(sync.id)).credential_id == second_account
    harness.run(session.disable_sync(sync.id))
    assert harness.run(session.get_sync(sync.id)).status is SyncStatus.DISABLED
    harness.run(session.reenable_sync(sync.id))
    assert harness.run(session.get_sync(sync.id)).status is SyncStatus.IDLE
    harness.run(session.delete_sync(sync.id))
    assert harness.run(session.list_syncs()) == []
    with pytest.raises(NotFoundError):
        harness.run(session.get_sync(sync.id))
    assert fake.user("user-123").syncs == []


def test_another_users_sync_is_not_found_on_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """A sync of another Connected User answers 404 to this one, whatever the call."""
    fake.user("someone-else").connect("googledrive")
    theirs = fake.user("someone-else").add_sync("googledrive", "files")
    harness = make_harness(fake.transport().handle_request, sync_url="http://fakeparagon.invalid")
    for call in (
        lambda: harness.session.get_sync(theirs),
        lambda: harness.session.pull_synced_records(theirs),
        lambda: harness.session.check_access(theirs, "rec-1", "a@x.co"),
    ):
        with pytest.raises(NotFoundError):
            harness.run(call())


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_synced_file_downloads_over_loopback_past_the_body_cap(flavor: str, rsa_pem: str) -> None:
    """The file's bytes come from a FakeParagon served over real HTTP, in pieces, whole and unchanged, though it is
    three times the client's max_response_bytes (a download is streamed, not buffered)."""
    fake = FakeParagon(signing_key_pem=rsa_pem)
    drive = fake.user("user-123").connect("googledrive")
    (record_id,) = drive.add_synced_records("googledrive", "files", [{"name": "big.bin"}])
    content = bytes(range(256)) * (3 * 4096)  # 3 MiB
    drive.set_synced_file("googledrive", record_id, content, content_type="application/pdf")
    sync_id = drive.add_sync("googledrive", "files")
    with fake.serve() as server:
        options: dict[str, Any] = {
            "project_id": fake.project_id,
            "signing_key": rsa_pem,
            "sync_url": server.url,
            "max_response_bytes": 1024 * 1024,
        }
        if flavor == "sync":
            with (
                Paragon(**options) as client,
                client.authenticate("user-123").download_synced_file(sync_id, record_id) as download,
            ):
                content_type = download.headers["content-type"]
                pieces = list(download.iter_bytes())
        else:

            async def main() -> tuple[str, list[bytes]]:
                async with (
                    AsyncParagon(**options) as client,
                    client.authenticate("user-123").download_synced_file(sync_id, record_id) as download,
                ):
                    return download.headers["content-type"], [piece async for piece in download.aiter_bytes()]

            content_type, pieces = asyncio.run(main())
    assert content_type == "application/pdf"
    assert len(pieces) > 1
    assert b"".join(pieces) == content
