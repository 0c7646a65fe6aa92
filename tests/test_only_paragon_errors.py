"""Whatever a server answers, only ``ParagonError`` escapes: a property over statuses, headers and body bytes.

Hypothesis draws a status (any of 100-599), response headers (content types, content encodings that lie, garbage
Retry-After and request ids) and a body (random bytes, JSON of any shape, JSON nested far past the parser's
recursion limit, valid or truncated gzip), and every session call of both clients gets that answer to every request
it makes. A call may return or raise; if it raises, the exception is a ``ParagonError``. Found this way before the
fix: ``RecursionError`` from deep JSON, and parsers failing with exceptions outside the tree.
"""

from __future__ import annotations

import asyncio
import gzip
import inspect
import json
import zlib
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from useparagon import (
    AsyncParagon,
    AsyncStreamContext,
    AsyncWatcher,
    ConnectLink,
    Paragon,
    ParagonError,
    RetryPolicy,
    StreamContext,
    UserSession,
    Watcher,
)

from tests.support import PROJECT_ID, SESSION_METHODS, SessionCall

LINK = ConnectLink(url="https://consent.example/x", integration="hubspot", integration_id="int-3", session_key="k-1")
# Every public call of a session, named after its method: the stream is entered and read to the end, a watcher
# stopped, a page iterator run to its end.
CALLS: list[tuple[str, SessionCall]] = [
    ("get_user", lambda s: s.get_user()),
    ("set_user_metadata", lambda s: s.set_user_metadata({"Email": "a@b.co"})),
    ("get_integration_metadata", lambda s: s.get_integration_metadata()),
    ("get_integrations", lambda s: s.get_integrations()),
    ("get_credentials", lambda s: s.get_credentials()),
    ("get_credential", lambda s: s.get_credential("cred-1")),
    ("event", lambda s: s.event("Contact Created", {"email": "a@b.co"})),
    ("workflow", lambda s: s.workflow("wf-1", body={"a": 1})),
    ("request", lambda s: s.request("salesforce", "sobjects/Contact")),
    ("request", lambda s: s.request("salesforce", "sobjects/Contact", method="POST", body={"a": 1}, raw=True)),
    ("uninstall_integration", lambda s: s.uninstall_integration("salesforce")),
    ("enable_workflow", lambda s: s.enable_workflow("wf-1")),
    ("disable_workflow", lambda s: s.disable_workflow("wf-1")),
    ("list_actions", lambda s: s.list_actions()),
    ("run_action", lambda s: s.run_action("SALESFORCE_CREATE_RECORD", {"a": 1})),
    ("stream", lambda s: s.stream("box", "files/1/content")),
    ("install_integration", lambda s: s.install_integration("pipedrive", credentials={"apiKey": "k"})),
    ("complete_install", lambda s: s.complete_install("pipedrive", "code-1")),
    ("start_connect", lambda s: s.start_connect("hubspot")),
    ("wait_for_connection", lambda s: s.wait_for_connection(LINK, timeout=0.001, interval=0.001)),
    ("request", lambda s: s.request("salesforce", url="https://example.my.salesforce.com/services/data")),
    ("update_workflow_state", lambda s: s.update_workflow_state({"wf-1": True})),
    ("update_integration_user_settings", lambda s: s.update_integration_user_settings("salesforce", {"a": 1})),
    ("update_workflow_user_settings", lambda s: s.update_workflow_user_settings("salesforce", "wf-1", {"a": 1})),
    ("create_configuration", lambda s: s.create_configuration("cred-1")),
    ("update_configuration", lambda s: s.update_configuration("cfg-1", {"a": 1}, credential_id="cred-1")),
    ("destroy_configuration", lambda s: s.destroy_configuration("cfg-1", credential_id="cred-1")),
    ("get_integration_account", lambda s: s.get_integration_account("box", include_account_auth=True)),
    ("get_field_options", lambda s: s.get_field_options("salesforce", action="objects", search="Acc")),
    ("iter_field_options", lambda s: s.iter_field_options("salesforce", action="objects")),
    ("get_triggers", lambda s: s.get_triggers("salesforce")),
    ("get_custom_webhook_user_manual_url", lambda s: s.get_custom_webhook_user_manual_url("wf-1")),
    ("watch", lambda s: s.watch(interval=3600)),
    ("list_actions", lambda s: s.list_actions(format="paragon", reload_fields=True)),
    ("agent_tools", lambda s: s.agent_tools()),
    ("list_trigger_subscriptions", lambda s: s.list_trigger_subscriptions(status="ERRORED")),
    (
        "subscribe_to_trigger",
        lambda s: s.subscribe_to_trigger("salesforce", "T", webhook_override={"url": "https://x.io"}),
    ),
    ("update_trigger_subscription", lambda s: s.update_trigger_subscription("sub-1", webhook_override=None)),
    ("unsubscribe_from_trigger", lambda s: s.unsubscribe_from_trigger("sub-1")),
    ("get_trigger_example_payload", lambda s: s.get_trigger_example_payload("salesforce", "T", {"a": 1})),
    ("enable_sync", lambda s: s.enable_sync("googledrive", "files", configuration={"folderId": "F"})),
    ("list_syncs", lambda s: s.list_syncs()),
    ("get_sync", lambda s: s.get_sync("sync-1")),
    ("update_sync", lambda s: s.update_sync("sync-1", credential_id="cred-1")),
    ("disable_sync", lambda s: s.disable_sync("sync-1")),
    ("reenable_sync", lambda s: s.reenable_sync("sync-1")),
    ("delete_sync", lambda s: s.delete_sync("sync-1")),
    ("pull_synced_records", lambda s: s.pull_synced_records("sync-1", cursor="c", page_size=10)),
    ("iter_synced_records", lambda s: s.iter_synced_records("sync-1")),
    ("get_synced_record", lambda s: s.get_synced_record("sync-1", "rec-1")),
    ("download_synced_file", lambda s: s.download_synced_file("sync-1", "rec-1")),
    ("check_access", lambda s: s.check_access("sync-1", "rec-1", "a@x.co")),
    ("batch_check_access", lambda s: s.batch_check_access("sync-1", [{"object": "rec-1", "user": "a@x.co"}])),
    ("list_users_with_access", lambda s: s.list_users_with_access("sync-1", "rec-1")),
    ("list_objects_with_access", lambda s: s.list_objects_with_access("sync-1", "a@x.co")),
]
# The client's own calls (Task History, with the project API key), run the same way.
ClientCall = Callable[[Paragon | AsyncParagon], object]
CLIENT_CALLS: list[tuple[str, ClientCall]] = [
    ("list_workflow_executions", lambda c: c.list_workflow_executions(status="FAILED", offset=100)),
    ("iter_workflow_executions", lambda c: c.iter_workflow_executions(user_id="u-1")),
    ("get_workflow_execution", lambda c: c.get_workflow_execution("ex-1")),
    ("get_step_execution", lambda c: c.get_step_execution("ex-1", "step-1")),
    ("replay_workflow_execution", lambda c: c.replay_workflow_execution("ex-1")),
]

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
# Shapes close to what the parsers expect, so they get past the first check and fail deeper inside.
NEAR_MISSES = st.sampled_from(
    [
        {"authenticated": True},
        {"authenticated": True, "userId": "u", "integrations": {"salesforce": None}},
        {"authenticated": "yes", "integrations": []},
        [{"id": 1, "type": None}],
        [{"id": "i-1", "type": "salesforce", "isActive": True, "configs": "x", "workflows": [{}]}],
        {"output": None},
        {"actions": {"salesforce": "not a list"}},
        {"actions": {"slack": [{"type": "function", "function": {"name": 5, "parameters": []}}]}},
        {"actions": {"slack": [{"name": "X", "inputs": "no"}]}},
        {"triggers": {"salesforce": [{"id": 1, "type": None, "parameters": "x", "status": 2}]}},
        {"id": "s", "type": "T", "parameters": {}, "status": "ACTIVE", "webhookOverride": {"headers": 1}},
        {"message": [{"constraints": "x", "children": [{"children": [{"constraints": {"a": 1}}]}]}]},
        {"message": {"nested": True}, "meta": {"isIntegrationError": "true"}},
        {"meta": None, "code": {"x": 1}},
        {"workflowExecutions": [{"id": 1, "status": None}], "nextLink": 5, "total": "x"},
        {"workflowExecutions": [{"id": "e"}], "nextLink": "https://elsewhere.example/x?offset=1"},
        {"id": "e", "stepExecutions": [{"id": "s", "next": "x"}], "dateStarted": "yesterday"},
        {"data": [{"id": 1}], "paging": {"remainingRecords": 3, "cursor": None}},
        {"data": [], "paging": "none"},
        {"data": {"id": "r"}, "paging": {"cursor": 7}},
        {"hasAccess": "yes"},
        {"result": [{"allowed": "true", "request": 1}]},
        {"users": [1, None], "objects": "x"},
    ]
)


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str | None]:
    """A body and the Content-Encoding it claims (which may be a lie)."""
    kind = draw(st.sampled_from(["bytes", "json", "near", "deep", "gzip", "bad-gzip", "deflate", "text"]))
    encoding = None
    if kind == "bytes":
        body = draw(st.binary(max_size=300))
    elif kind == "json":
        body = json.dumps(draw(JSON_VALUES)).encode()
    elif kind == "near":
        body = json.dumps(draw(NEAR_MISSES)).encode()
    elif kind == "deep":
        body = _deep(draw(st.sampled_from([999, 5_000, 100_000])))
    elif kind == "gzip":
        body, encoding = gzip.compress(json.dumps(draw(JSON_VALUES)).encode()), "gzip"
    elif kind == "bad-gzip":
        body, encoding = gzip.compress(b'{"a": 1}')[: draw(st.integers(0, 20))], "gzip"
    elif kind == "deflate":
        body, encoding = zlib.compress(json.dumps(draw(NEAR_MISSES)).encode()), "deflate"
    else:
        body = draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    claimed = draw(st.sampled_from([encoding, encoding, "gzip", "deflate", "br", "gzip, deflate", "x-unknown", None]))
    return body, claimed


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)


Answer = tuple[int, dict[str, str], bytes]


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    status = draw(st.integers(100, 599) | st.sampled_from([200, 201, 202, 204, 400, 401, 404, 429, 500, 503]))
    body, encoding = draw(bodies())
    headers: dict[str, str] = {}
    content_type = draw(st.sampled_from([None, "application/json", "text/html", "application/json; charset=latin-1"]))
    if content_type:
        headers["content-type"] = content_type
    if encoding:
        headers["content-encoding"] = encoding
    if draw(st.booleans()):
        headers["retry-after"] = draw(HEADER_TEXT | st.sampled_from(["1", "-1", "nan", "1e309", "0.0001"]))
    if draw(st.booleans()):
        headers["x-request-id"] = draw(HEADER_TEXT)
    return status, headers, body


# No waits: a retry happens at once, and any Retry-After is "too long" so the call ends instead.
POLICY = RetryPolicy(max_retries=1, initial_delay=0.0, max_retry_after=0.0)


def _run_every_call(session: UserSession, client: Paragon) -> None:
    calls = [(call, session) for _, call in CALLS] + [(call, client) for _, call in CLIENT_CALLS]
    for call, target in calls:
        try:
            result = call(target)  # type: ignore[arg-type]
            if isinstance(result, StreamContext):
                with result as download:
                    download.read()
            elif isinstance(result, Watcher):
                result.stop()
            elif isinstance(result, Iterator):
                list(result)
        except ParagonError:
            pass


@pytest.fixture(scope="module")
def key(rsa_key: rsa.RSAPrivateKey) -> rsa.RSAPrivateKey:
    return rsa_key


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=answers())
def test_every_sync_call_raises_only_paragon_errors(key: rsa.RSAPrivateKey, answer: Answer) -> None:
    """Any status, headers and body, to every request of every call of ``UserSession``: only ParagonErrors."""
    client = Paragon(
        project_id=PROJECT_ID,
        signing_key=key,
        api_key="key-1",
        retry=POLICY,
        http_client=httpx.Client(transport=httpx.MockTransport(lambda _request: _copy(answer))),
    )
    _run_every_call(client.authenticate("user-1"), client)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=answers())
def test_every_async_call_raises_only_paragon_errors(key: rsa.RSAPrivateKey, answer: Answer) -> None:
    """The same property for ``AsyncUserSession``, each example on its own event loop."""

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _request: _copy(answer))) as http:
            client = AsyncParagon(
                project_id=PROJECT_ID, signing_key=key, api_key="key-1", retry=POLICY, http_client=http
            )
            session = client.authenticate("user-1")
            calls = [(call, session) for _, call in CALLS] + [(call, client) for _, call in CLIENT_CALLS]
            for call, target in calls:
                try:
                    result = call(target)  # type: ignore[arg-type]
                    if inspect.isawaitable(result):
                        result = await result
                    if isinstance(result, AsyncStreamContext):
                        async with result as download:
                            await download.read()
                    elif isinstance(result, AsyncWatcher):
                        await result.stop()
                    elif isinstance(result, AsyncIterator):
                        [page async for page in result]
                except ParagonError:
                    pass

    asyncio.run(main())


def _copy(answer: Answer) -> httpx.Response:
    # A stream, not content=: httpx would decode (and choke on) a lying Content-Encoding while building it, and the
    # client's own bounded reader is what is under test.
    status, headers, body = answer
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


def test_the_property_covers_every_session_call() -> None:
    """Adding a session method without adding it here fails (the property would silently skip it)."""
    assert SESSION_METHODS - {"subscribe"} == {name for name, _ in CALLS}
    task_history = {
        name for name in dir(Paragon) if not name.startswith("_") and name.endswith(("execution", "executions"))
    }
    assert {name for name, _ in CLIENT_CALLS} == task_history


@pytest.mark.parametrize("depth", [999, 100_000])
@pytest.mark.parametrize("status", [200, 400])
def test_deep_json_is_a_paragon_error_not_a_recursion_error(key: rsa.RSAPrivateKey, depth: int, status: int) -> None:
    """100,000-deep JSON as a success or an error body: a ParagonError (before: RecursionError)."""
    client = Paragon(
        project_id=PROJECT_ID,
        signing_key=key,
        http_client=httpx.Client(
            transport=httpx.MockTransport(lambda _request: httpx.Response(status, content=_deep(depth)))
        ),
    )
    with pytest.raises(ParagonError) as caught:
        client.authenticate("user-1").get_user()
    assert str(caught.value)
