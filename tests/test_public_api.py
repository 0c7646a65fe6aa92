"""The public surface: ``__all__`` resolves and is complete, and the async client mirrors the sync one exactly."""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

import pytest
import useparagon
from useparagon import AgentTools, AsyncAgentTools, AsyncParagon, AsyncUserSession, Paragon, UserSession

from tests.support import SESSION_METHODS

# Parameters whose annotation names the flavour's own type (an httpx.Client vs an httpx.AsyncClient, a callback
# that may be a coroutine function): the name, kind and default must still match.
FLAVOURED_ANNOTATIONS = {("__init__", "http_client"), ("subscribe", "callback"), ("wait_for_connection", "cancel")}
# The one deliberate naming difference: closing is a coroutine, so it is aclose() (httpx and asyncio's spelling).
RENAMED = {"close": "aclose", "__enter__": "__aenter__", "__exit__": "__aexit__"}


def test_every_name_in_all_resolves() -> None:
    """``from useparagon import *`` cannot fail: every listed name exists, and none is a module."""
    for name in useparagon.__all__:
        value = getattr(useparagon, name)
        assert not isinstance(value, types.ModuleType), name


def test_all_is_complete() -> None:
    """Every public name of ``useparagon`` (other than submodules) is exported in ``__all__``.

    ``dir()``, not ``vars()``: the generated models re-exported there are bound on first access.
    """
    public = {
        name
        for name in dir(useparagon)
        if not name.startswith("_") and not isinstance(getattr(useparagon, name), types.ModuleType)
    }
    assert public == set(useparagon.__all__) - {"__version__"}
    assert isinstance(useparagon.__version__, str)
    assert useparagon.__version__


def _public_members(cls: type) -> dict[str, Any]:
    return {name: value for name, value in vars(cls).items() if not name.startswith("_")}


def _compare_signatures(name: str, sync: Callable[..., Any], async_: Callable[..., Any]) -> None:
    sync_parameters = list(inspect.signature(sync).parameters.values())
    async_parameters = list(inspect.signature(async_).parameters.values())
    assert [(p.name, p.kind, p.default) for p in sync_parameters] == [
        (p.name, p.kind, p.default) for p in async_parameters
    ], name
    for sync_parameter, async_parameter in zip(sync_parameters, async_parameters, strict=True):
        if (name, sync_parameter.name) not in FLAVOURED_ANNOTATIONS:
            assert sync_parameter.annotation == async_parameter.annotation, (name, sync_parameter.name)


def test_session_classes_have_the_same_public_members() -> None:
    """UserSession and AsyncUserSession expose the same names, methods and properties alike."""
    sync_members = _public_members(UserSession)
    async_members = _public_members(AsyncUserSession)
    assert sync_members.keys() == async_members.keys()
    for name, member in sync_members.items():
        assert type(member) is type(async_members[name]), name
    assert {"get_user", "request", "uninstall_integration", "run_action"} <= sync_members.keys()


# subscribe, stream and iter_field_options are plain methods on both sessions (stream returns a context manager for
# `with`/`async with`, iter_field_options an iterator for `for`/`async for`), as are Managed Sync's iterator and
# download.
NOT_AWAITED = frozenset({"subscribe", "stream", "iter_field_options", "iter_synced_records", "download_synced_file"})


@pytest.mark.parametrize("name", sorted(SESSION_METHODS - NOT_AWAITED))
def test_each_session_method_has_an_async_twin(name: str) -> None:
    """Same parameters (names, kinds, defaults, annotations) and return annotation; the async one is a coroutine."""
    sync_method = getattr(UserSession, name)
    async_method = getattr(AsyncUserSession, name)
    assert not inspect.iscoroutinefunction(sync_method)
    assert inspect.iscoroutinefunction(async_method)
    _compare_signatures(name, sync_method, async_method)
    returns = (inspect.signature(sync_method).return_annotation, inspect.signature(async_method).return_annotation)
    # A watcher is a thread for the sync session and a task for the async one; everything else returns the same.
    assert returns == TWIN_RETURNS.get(name, (returns[0], returns[0]))
    assert sync_method.__doc__
    assert async_method.__doc__


TWIN_RETURNS = {"watch": ("Watcher", "AsyncWatcher"), "agent_tools": ("AgentTools", "AsyncAgentTools")}

# The toolset's methods that do no I/O (tool definitions for each vendor): plain methods on both toolsets.
TOOLSET_PLAIN = frozenset({"get", "openai", "openai_responses", "anthropic", "mcp"})


def test_the_toolsets_are_twins() -> None:
    """AgentTools and AsyncAgentTools have the same members and signatures; the ones that run calls are coroutines
    on the async toolset only."""
    sync_members = _public_members(AgentTools)
    async_members = _public_members(AsyncAgentTools)
    assert sync_members.keys() == async_members.keys()
    assert {"run", "run_openai", "run_openai_responses", "run_anthropic", "call_mcp"} | TOOLSET_PLAIN <= set(
        sync_members
    )
    for name, member in sync_members.items():
        if not callable(member):
            continue
        _compare_signatures(name, member, async_members[name])
        assert not inspect.iscoroutinefunction(member), name
        assert inspect.iscoroutinefunction(async_members[name]) is (name not in TOOLSET_PLAIN), name


def test_stream_has_an_async_twin_that_is_not_awaited() -> None:
    """``stream`` takes the same parameters on both sessions and is entered with ``with`` / ``async with``."""
    assert not inspect.iscoroutinefunction(AsyncUserSession.stream)
    _compare_signatures("stream", UserSession.stream, AsyncUserSession.stream)
    assert inspect.signature(UserSession.stream).return_annotation == "StreamContext"
    assert inspect.signature(AsyncUserSession.stream).return_annotation == "AsyncStreamContext"


def test_iter_field_options_has_an_async_twin_that_is_not_awaited() -> None:
    """``iter_field_options`` takes the same parameters on both sessions and returns an iterator of pages."""
    assert not inspect.iscoroutinefunction(AsyncUserSession.iter_field_options)
    _compare_signatures("iter_field_options", UserSession.iter_field_options, AsyncUserSession.iter_field_options)
    assert inspect.signature(UserSession.iter_field_options).return_annotation == "Iterator[FieldOptions]"
    assert inspect.signature(AsyncUserSession.iter_field_options).return_annotation == "AsyncIterator[FieldOptions]"


def test_managed_sync_iterator_and_download_have_async_twins_that_are_not_awaited() -> None:
    """``iter_synced_records`` returns an iterator of pages, ``download_synced_file`` a context manager, on both."""
    expected = {
        "iter_synced_records": ("Iterator[SyncedRecordPage]", "AsyncIterator[SyncedRecordPage]"),
        "download_synced_file": ("StreamContext", "AsyncStreamContext"),
    }
    for name, returns in expected.items():
        sync_method, async_method = getattr(UserSession, name), getattr(AsyncUserSession, name)
        assert not inspect.iscoroutinefunction(async_method), name
        _compare_signatures(name, sync_method, async_method)
        signatures = (inspect.signature(sync_method), inspect.signature(async_method))
        assert (signatures[0].return_annotation, signatures[1].return_annotation) == returns


TASK_HISTORY_CALLS = (
    "list_workflow_executions",
    "get_workflow_execution",
    "get_step_execution",
    "replay_workflow_execution",
)


def test_task_history_methods_have_async_twins() -> None:
    """The clients' Task History methods take the same parameters and return the same models; the async ones are
    coroutines, except the iterator, an async iterator of executions."""
    for name in TASK_HISTORY_CALLS:
        sync_method, async_method = getattr(Paragon, name), getattr(AsyncParagon, name)
        assert inspect.iscoroutinefunction(async_method), name
        assert not inspect.iscoroutinefunction(sync_method), name
        _compare_signatures(name, sync_method, async_method)
        returns = inspect.signature(sync_method).return_annotation
        assert returns == inspect.signature(async_method).return_annotation
    _compare_signatures(
        "iter_workflow_executions", Paragon.iter_workflow_executions, AsyncParagon.iter_workflow_executions
    )
    assert not inspect.iscoroutinefunction(AsyncParagon.iter_workflow_executions)
    assert inspect.signature(Paragon.iter_workflow_executions).return_annotation == "Iterator[WorkflowExecution]"
    assert (
        inspect.signature(AsyncParagon.iter_workflow_executions).return_annotation == "AsyncIterator[WorkflowExecution]"
    )


def test_subscribe_is_synchronous_on_both_sessions_and_clients() -> None:
    """Subscribing does no I/O, so it is a plain method everywhere, with the same parameters."""
    for sync_cls, async_cls in ((UserSession, AsyncUserSession), (Paragon, AsyncParagon)):
        assert not inspect.iscoroutinefunction(async_cls.subscribe)
        _compare_signatures("subscribe", sync_cls.subscribe, async_cls.subscribe)


def test_client_constructors_match_apart_from_the_http_client_type() -> None:
    """Paragon and AsyncParagon take the same keyword-only settings; only http_client's type differs."""
    _compare_signatures("__init__", Paragon.__init__, AsyncParagon.__init__)
    sync_http = inspect.signature(Paragon.__init__).parameters["http_client"].annotation
    async_http = inspect.signature(AsyncParagon.__init__).parameters["http_client"].annotation
    assert (sync_http, async_http) == ("httpx.Client | None", "httpx.AsyncClient | None")
    parameters = list(inspect.signature(Paragon.__init__).parameters.values())[1:]
    assert all(parameter.kind is inspect.Parameter.KEYWORD_ONLY for parameter in parameters)


def test_clients_have_the_same_public_members() -> None:
    """Both clients expose the same methods, except close()/aclose() and the context-manager protocol."""
    sync_names = {name for name in dir(Paragon) if not name.startswith("_")}
    async_names = {name for name in dir(AsyncParagon) if not name.startswith("_")}
    assert {RENAMED.get(name, name) for name in sync_names} == async_names
    for name in ("authenticate", "sign_user_token", "with_options"):
        _compare_signatures(name, getattr(Paragon, name), getattr(AsyncParagon, name))
        assert not inspect.iscoroutinefunction(getattr(AsyncParagon, name)), name
    for sync_name, async_name in RENAMED.items():
        assert not inspect.iscoroutinefunction(getattr(Paragon, sync_name))
        assert inspect.iscoroutinefunction(getattr(AsyncParagon, async_name))
