"""Subscriptions: ``subscribe(event_name, callback)`` on the client (every user) and on a session.

The client's own state changes fire them: ``uninstall_integration`` fires ``onIntegrationUninstall``,
``enable_workflow``/``disable_workflow`` fire ``onWorkflowChange`` (looking the workflow's integration up only when
someone listens). Callbacks get ``(event, session)``; one that raises is logged and breaks nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from useparagon import (
    EVENT_NAMES,
    APIStatusError,
    IntegrationNotInstalledError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    ParagonError,
)

from tests.support import PROJECT_ID, Harness, MakeHarness, json_response

BASE = f"https://api.useparagon.com/projects/{PROJECT_ID}/sdk"
VALID_NAMES = "onIntegrationInstall, onIntegrationUninstall, onWorkflowChange, onPortalOpen, onPortalClose"
INTEGRATIONS = [
    {"id": "int-1", "type": "salesforce", "isActive": True, "configs": [], "workflows": [{"id": "wf-1"}]},
    {
        "id": "int-2",
        "type": "slack",
        "isActive": True,
        "configs": [],
        "workflows": [{"id": "wf-2"}, {"id": "wf-3"}],
        "hasCredential": False,
    },
]
UNINSTALLED = {"type": "onIntegrationUninstall", "integrationId": "int-1", "integrationType": "salesforce"}


def _paragon(request: httpx.Request) -> httpx.Response:
    """GET /sdk/integrations lists INTEGRATIONS; every state change succeeds."""
    if request.method == "GET" and request.url.path.endswith("/sdk/integrations"):
        return json_response(200, INTEGRATIONS)
    return json_response(200, {"success": True})


class Recorder:
    """Callbacks that append ``(label, event, user)`` to one shared list, so order across callbacks is visible."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, Any]] = []

    def callback(self, label: str) -> Callable[[Any, Any], None]:
        def record(event: Any, user: Any) -> None:
            self.calls.append((label, event, user))

        return record

    @property
    def labels(self) -> list[str]:
        return [label for label, _, _ in self.calls]


def _sent(harness: Harness) -> list[tuple[str, str]]:
    return [(request.method, str(request.url)) for request in harness.requests]


# ---------------------------------------------------------------------------------------------------------------------
# subscribe() and unsubscribe


def test_each_of_the_five_event_names_can_be_subscribed(make_harness: MakeHarness) -> None:
    """The JS SDK's five events, the ones the refusal message lists, are all accepted by client and session."""
    harness = make_harness(_paragon)
    assert ", ".join(EVENT_NAMES) == VALID_NAMES
    for name in EVENT_NAMES:
        for subscriber in (harness.client, harness.session):
            assert subscriber.subscribe(name, lambda event, user: None)() is True  # type: ignore[arg-type]


@pytest.mark.parametrize("target", ["client", "session"])
@pytest.mark.parametrize("name", ["onIntegrationUninstalled", "onintegrationuninstall", "", "integrationUninstall", 1])
def test_an_unknown_event_name_lists_the_valid_ones(target: str, name: object, make_harness: MakeHarness) -> None:
    """InvalidRequestError (a ValueError) naming the bad event and all five valid ones; nothing is subscribed."""
    harness = make_harness(_paragon)
    subscriber = harness.client if target == "client" else harness.session
    with pytest.raises(InvalidRequestError) as caught:
        subscriber.subscribe(name, lambda event, user: None)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == f"unknown event {name!r}; subscribe to one of: {VALID_NAMES}"


@pytest.mark.parametrize("target", ["client", "session"])
@pytest.mark.parametrize("callback", [None, "print", 42])
def test_a_callback_must_be_callable(target: str, callback: object, make_harness: MakeHarness) -> None:
    """A non-callable callback is refused when subscribing, not when the event fires."""
    harness = make_harness(_paragon)
    subscriber = harness.client if target == "client" else harness.session
    with pytest.raises(InvalidRequestError, match="callback must be callable"):
        subscriber.subscribe("onWorkflowChange", callback)  # type: ignore[arg-type]


@pytest.mark.parametrize("target", ["client", "session"])
def test_unsubscribe_returns_true_once_and_stops_the_callback(target: str, make_harness: MakeHarness) -> None:
    """The returned function unsubscribes: True the first time, False after; the callback no longer fires."""
    harness = make_harness(_paragon)
    recorder = Recorder()
    subscriber = harness.client if target == "client" else harness.session
    unsubscribe = subscriber.subscribe("onIntegrationUninstall", recorder.callback("a"))
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert unsubscribe() is True
    assert unsubscribe() is False
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert recorder.labels == ["a"]
    assert len(harness.requests) == 4


def test_the_same_callback_twice_fires_twice_until_each_is_unsubscribed(make_harness: MakeHarness) -> None:
    """Subscribing one function twice makes two subscriptions; each unsubscribe removes one."""
    harness = make_harness(_paragon)
    recorder = Recorder()
    callback = recorder.callback("a")
    first = harness.session.subscribe("onIntegrationUninstall", callback)
    harness.session.subscribe("onIntegrationUninstall", callback)
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert recorder.labels == ["a", "a"]
    assert first() is True
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert recorder.labels == ["a", "a", "a"]


# ---------------------------------------------------------------------------------------------------------------------
# onIntegrationUninstall


@pytest.mark.parametrize("target", ["client", "session"])
def test_uninstall_fires_on_integration_uninstall(target: str, make_harness: MakeHarness) -> None:
    """After GET /sdk/integrations and DELETE /sdk/integrations/int-1, the callback gets the typed event and the
    session that made the call."""
    harness = make_harness(_paragon)
    recorder = Recorder()
    subscriber = harness.client if target == "client" else harness.session
    subscriber.subscribe("onIntegrationUninstall", recorder.callback("a"))
    assert harness.run(harness.session.uninstall_integration("salesforce")) is None
    assert _sent(harness) == [("GET", f"{BASE}/integrations"), ("DELETE", f"{BASE}/integrations/int-1")]
    ((_, event, user),) = recorder.calls
    assert event == UNINSTALLED
    assert user is harness.session


def test_other_events_do_not_fire_on_uninstall(make_harness: MakeHarness) -> None:
    """Subscribers of the four other events are not called by an uninstall."""
    harness = make_harness(_paragon)
    recorder = Recorder()
    for name in EVENT_NAMES:
        if name != "onIntegrationUninstall":
            harness.client.subscribe(name, recorder.callback(name))  # type: ignore[arg-type]
            harness.session.subscribe(name, recorder.callback(name))  # type: ignore[arg-type]
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert recorder.calls == []


def test_another_users_session_subscribers_do_not_fire(make_harness: MakeHarness) -> None:
    """A session's subscribers hear only that session's changes; the client's hear every user's, each with the
    session that acted."""
    harness = make_harness(_paragon)
    other = harness.client.authenticate("user-456")
    recorder = Recorder()
    other.subscribe("onIntegrationUninstall", recorder.callback("other user"))
    harness.client.subscribe("onIntegrationUninstall", recorder.callback("client"))
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert recorder.labels == ["client"]
    assert recorder.calls[0][2] is harness.session
    harness.run(other.uninstall_integration("salesforce"))
    assert recorder.labels == ["client", "other user", "client"]
    assert recorder.calls[1][2] is other
    assert recorder.calls[2][2] is other


def test_a_client_copy_shares_subscriptions(make_harness: MakeHarness) -> None:
    """``with_options`` returns a client sharing subscriptions both ways."""
    harness = make_harness(_paragon)
    clone = harness.client.with_options(max_retries=0)
    recorder = Recorder()
    harness.client.subscribe("onIntegrationUninstall", recorder.callback("original"))
    clone.subscribe("onIntegrationUninstall", recorder.callback("clone"))
    harness.run(clone.authenticate("user-123").uninstall_integration("salesforce"))
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert recorder.labels == ["original", "clone", "original", "clone"]


def _fail_delete(request: httpx.Request) -> httpx.Response:
    if request.method == "DELETE":
        return json_response(404, {"message": "Integration not found"})
    return _paragon(request)


def _fail_lookup(request: httpx.Request) -> httpx.Response:
    return json_response(500, {"message": "boom"})


@pytest.mark.parametrize(
    ("case", "handler", "integration", "error", "requests"),
    [
        ("DELETE fails", _fail_delete, "salesforce", NotFoundError, 2),
        ("lookup fails", _fail_lookup, "salesforce", InternalServerError, 1),
        ("not in the project", _paragon, "hubspot", IntegrationNotInstalledError, 1),
        ("not connected by the user", _paragon, "slack", IntegrationNotInstalledError, 1),
    ],
)
def test_a_failed_uninstall_fires_nothing(
    case: str,
    handler: Callable[[httpx.Request], httpx.Response],
    integration: str,
    error: type[ParagonError],
    requests: int,
    make_harness: MakeHarness,
) -> None:
    """When the uninstall does not happen, no subscriber (client or session) hears of it."""
    harness = make_harness(handler, max_retries=0)
    recorder = Recorder()
    harness.client.subscribe("onIntegrationUninstall", recorder.callback("client"))
    harness.session.subscribe("onIntegrationUninstall", recorder.callback("session"))
    with pytest.raises(error):
        harness.run(harness.session.uninstall_integration(integration))
    assert len(harness.requests) == requests
    assert recorder.calls == []


# ---------------------------------------------------------------------------------------------------------------------
# onWorkflowChange


@pytest.mark.parametrize(("verb", "enabled"), [("DELETE", False), ("POST", True)], ids=["disable", "enable"])
def test_workflow_changes_make_one_request_when_nobody_listens(
    verb: str, enabled: bool, make_harness: MakeHarness
) -> None:
    """Without an onWorkflowChange subscriber (subscribers of other events, or of another session, do not
    count) the integration is not looked up: exactly one request."""
    harness = make_harness(_paragon)
    harness.client.subscribe("onIntegrationUninstall", lambda event, user: None)
    harness.session.subscribe("onPortalOpen", lambda event, user: None)
    harness.client.authenticate("user-456").subscribe("onWorkflowChange", lambda event, user: None)
    session = harness.session
    change = session.enable_workflow if enabled else session.disable_workflow
    assert harness.run(change("wf-1")) is None
    assert _sent(harness) == [(verb, f"{BASE}/workflows/wf-1")]


@pytest.mark.parametrize("target", ["client", "session"])
@pytest.mark.parametrize(("verb", "enabled"), [("DELETE", False), ("POST", True)], ids=["disable", "enable"])
def test_workflow_changes_fire_on_workflow_change_with_the_integration_id(
    target: str, verb: str, enabled: bool, make_harness: MakeHarness
) -> None:
    """With a subscriber: GET /sdk/integrations (to find the workflow's integration), then the change; the event
    carries the integration id, the workflow id and the new state."""
    harness = make_harness(_paragon)
    recorder = Recorder()
    subscriber = harness.client if target == "client" else harness.session
    subscriber.subscribe("onWorkflowChange", recorder.callback("a"))
    session = harness.session
    harness.run(session.enable_workflow("wf-3") if enabled else session.disable_workflow("wf-3"))
    assert _sent(harness) == [("GET", f"{BASE}/integrations"), (verb, f"{BASE}/workflows/wf-3")]
    ((_, event, user),) = recorder.calls
    assert event == {
        "type": "onWorkflowChange",
        "integrationId": "int-2",
        "workflowId": "wf-3",
        "workflowStateChange": {"enabled": enabled},
    }
    assert user is harness.session


def test_a_workflow_of_no_listed_integration_has_an_empty_integration_id(
    make_harness: MakeHarness,
) -> None:
    """A workflow id that no integration lists still changes; the event's integrationId is empty."""
    harness = make_harness(_paragon)
    recorder = Recorder()
    harness.session.subscribe("onWorkflowChange", recorder.callback("a"))
    harness.run(harness.session.disable_workflow("wf-unknown"))
    assert len(harness.requests) == 2
    assert recorder.calls[0][1]["integrationId"] == ""
    assert recorder.calls[0][1]["workflowId"] == "wf-unknown"


def test_unsubscribing_the_last_listener_stops_the_lookup(make_harness: MakeHarness) -> None:
    """Request counts follow the subscriptions: 2 with a listener, 1 again once it unsubscribed."""
    harness = make_harness(_paragon)
    unsubscribe = harness.session.subscribe("onWorkflowChange", lambda event, user: None)
    harness.run(harness.session.disable_workflow("wf-1"))
    assert len(harness.requests) == 2
    assert unsubscribe() is True
    harness.run(harness.session.disable_workflow("wf-1"))
    assert len(harness.requests) == 3


def test_a_failed_workflow_change_fires_nothing(make_harness: MakeHarness) -> None:
    """DELETE /sdk/workflows answering 404: NotFoundError, and no onWorkflowChange."""
    harness = make_harness(_fail_delete)
    recorder = Recorder()
    harness.client.subscribe("onWorkflowChange", recorder.callback("a"))
    with pytest.raises(APIStatusError):
        harness.run(harness.session.disable_workflow("wf-1"))
    assert recorder.calls == []


# ---------------------------------------------------------------------------------------------------------------------
# Order and failures


def test_callbacks_fire_in_subscription_order_session_first(make_harness: MakeHarness) -> None:
    """Session subscribers in the order they subscribed, then the client's in theirs, whatever the interleaving."""
    harness = make_harness(_paragon)
    recorder = Recorder()
    harness.client.subscribe("onIntegrationUninstall", recorder.callback("client 1"))
    harness.session.subscribe("onIntegrationUninstall", recorder.callback("session 1"))
    harness.client.subscribe("onIntegrationUninstall", recorder.callback("client 2"))
    harness.session.subscribe("onIntegrationUninstall", recorder.callback("session 2"))
    harness.client.subscribe("onIntegrationUninstall", recorder.callback("client 3"))
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert recorder.labels == ["session 1", "session 2", "client 1", "client 2", "client 3"]


def test_a_raising_callback_is_logged_and_the_others_still_run(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """A raising session callback and a raising client callback: each is logged at ERROR with its traceback, the
    call returns normally, and every other callback (before and after them) still runs."""
    harness = make_harness(_paragon)
    recorder = Recorder()
    session_bug, client_bug = KeyError("session bug"), ValueError("client bug")

    def raise_(error: Exception) -> Callable[[Any, Any], None]:
        def callback(event: Any, user: Any) -> None:
            recorder.calls.append(("raised", event, user))
            raise error

        return callback

    harness.session.subscribe("onIntegrationUninstall", recorder.callback("session 1"))
    harness.session.subscribe("onIntegrationUninstall", raise_(session_bug))
    harness.session.subscribe("onIntegrationUninstall", recorder.callback("session 2"))
    harness.client.subscribe("onIntegrationUninstall", raise_(client_bug))
    harness.client.subscribe("onIntegrationUninstall", recorder.callback("client"))
    assert harness.run(harness.session.uninstall_integration("salesforce")) is None
    assert recorder.labels == ["session 1", "raised", "session 2", "raised", "client"]
    errors = [record for record in caplog.records if record.name == "useparagon" and record.levelno >= logging.WARNING]
    assert [record.levelno for record in errors] == [logging.ERROR, logging.ERROR]
    assert [record.exc_info[1] for record in errors if record.exc_info] == [session_bug, client_bug]


def test_a_callback_that_unsubscribes_itself_does_not_skip_the_next(make_harness: MakeHarness) -> None:
    """Callbacks run over a snapshot: one unsubscribing during the event does not disturb the others."""
    harness = make_harness(_paragon)
    recorder = Recorder()
    unsubscribe: list[Callable[[], bool]] = []

    def once(event: Any, user: Any) -> None:
        recorder.calls.append(("once", event, user))
        unsubscribe[0]()

    unsubscribe.append(harness.session.subscribe("onIntegrationUninstall", once))
    harness.session.subscribe("onIntegrationUninstall", recorder.callback("always"))
    harness.run(harness.session.uninstall_integration("salesforce"))
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert recorder.labels == ["once", "always", "always"]


# ---------------------------------------------------------------------------------------------------------------------
# Sync and async callbacks


async def _async_callback(event: Any, user: Any) -> None:
    await asyncio.sleep(0)


@pytest.mark.parametrize("flavor", ["sync"])
@pytest.mark.parametrize("target", ["client", "session"])
def test_the_sync_client_rejects_an_async_callback(target: str, make_harness: MakeHarness) -> None:
    """``Paragon`` cannot await: subscribing an ``async def`` raises InvalidRequestError pointing to AsyncParagon."""
    harness = make_harness(_paragon)
    subscriber = harness.client if target == "client" else harness.session
    with pytest.raises(InvalidRequestError, match="use AsyncParagon"):
        subscriber.subscribe("onIntegrationUninstall", _async_callback)
    harness.run(harness.session.uninstall_integration("salesforce"))  # nothing subscribed, nothing to fail


@pytest.mark.parametrize("flavor", ["sync"])
def test_the_sync_client_closes_an_awaitable_a_callback_returns(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """A sync callable returning a coroutine (an object with ``async def __call__``) slips past the check; the sync
    client closes the coroutine (no "never awaited" warning) and logs a WARNING."""

    class AsyncCallable:
        def __init__(self) -> None:
            self.ran = False

        async def __call__(self, event: Any, user: Any) -> None:
            self.ran = True

    callback = AsyncCallable()
    harness = make_harness(_paragon)
    harness.client.subscribe("onIntegrationUninstall", callback)
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert callback.ran is False
    (record,) = [
        record for record in caplog.records if record.name == "useparagon" and record.levelno >= logging.WARNING
    ]
    assert record.levelno == logging.WARNING
    assert "cannot await it (use AsyncParagon)" in record.getMessage()


@pytest.mark.parametrize("flavor", ["async"])
@pytest.mark.parametrize("target", ["client", "session"])
def test_async_paragon_awaits_async_callbacks_and_calls_sync_ones(target: str, make_harness: MakeHarness) -> None:
    """``AsyncParagon``: async callbacks have finished by the time the call returns; sync ones are called."""
    harness = make_harness(_paragon)
    subscriber = harness.client if target == "client" else harness.session
    done: list[str] = []

    async def slow(event: Any, user: Any) -> None:
        await asyncio.sleep(0.001)
        done.append(f"async {event['integrationType']} {user.user_id}")

    def quick(event: Any, user: Any) -> None:
        done.append(f"sync {event['integrationType']} {user.user_id}")

    subscriber.subscribe("onIntegrationUninstall", slow)
    subscriber.subscribe("onIntegrationUninstall", quick)
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert sorted(done) == ["async salesforce user-123", "sync salesforce user-123"]


@pytest.mark.parametrize("flavor", ["async"])
def test_async_callbacks_are_awaited_in_subscription_order_and_failures_are_logged(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Async callbacks complete one after another in subscription order (session first); one that raises after
    an await is logged at ERROR and the next ones still run."""
    harness = make_harness(_paragon)
    order: list[str] = []
    failure = RuntimeError("async bug")

    def make(label: str, *, fail: bool = False) -> Callable[[Any, Any], Any]:
        async def callback(event: Any, user: Any) -> None:
            await asyncio.sleep(0)
            order.append(label)
            if fail:
                raise failure

        return callback

    harness.client.subscribe("onIntegrationUninstall", make("client 1"))
    harness.session.subscribe("onIntegrationUninstall", make("session 1", fail=True))
    harness.session.subscribe("onIntegrationUninstall", make("session 2"))
    harness.client.subscribe("onIntegrationUninstall", make("client 2"))
    assert harness.run(harness.session.uninstall_integration("salesforce")) is None
    assert order == ["session 1", "session 2", "client 1", "client 2"]
    (record,) = [
        record for record in caplog.records if record.name == "useparagon" and record.levelno >= logging.WARNING
    ]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert record.exc_info[1] is failure
