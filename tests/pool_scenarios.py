"""Client scenarios for test_fork.py and test_event_loops.py, each run in a Python process of its own.

    python tests/pool_scenarios.py SCENARIO [ARG...]

The loopback server stays in the pytest process: ``POOL_SCENARIO_URL`` is its address and ``POOL_SCENARIO_KEY`` the
signing key (PEM). The scenario prints one JSON object on stdout; the test asserts on it and on what the server saw.

Why another process: the server runs threads in pytest's process, and forking a multi-threaded process is unsafe
(Python 3.12+ warns about it). This process is single-threaded whenever it forks; its child reports back as JSON
through a pipe and ends with ``os._exit``, so it never runs the parent's cleanup. The event-loop scenarios run here
too: the pool a closed event loop leaves behind warns "unclosed transport" when it is garbage collected, which
pytest's ``filterwarnings = error`` would pin on whichever test happened to be running then.

Every call has a 10 s timeout, so a scenario that goes wrong fails well within the test's 60 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from useparagon import AsyncParagon, AsyncUserSession, Paragon, UserSession

PROJECT_ID = "38b1f170-0c43-4eae-9a04-ab85325d99f7"
# Where user.request("salesforce", path) lands on the server.
PROXY_PREFIX = f"/projects/{PROJECT_ID}/sdk/proxy/salesforce/"
URL_ENV = "POOL_SCENARIO_URL"
KEY_ENV = "POOL_SCENARIO_KEY"
CALL_TIMEOUT = 10.0
SUBPROCESS_TIMEOUT = 60.0
# The burst scenario: each process makes CALLS calls from WORKERS threads (or tasks) at once, and the server answers
# each after a short pause (test_fork.py registers BURST_BEHAVIOUR). While a call waits for its answer, its connection
# looks idle to a pool that another process also uses: without the pause, a shared pool would only cross answers when
# the two processes happened to send within the same fraction of a millisecond.
CALLS = 100
WORKERS = 2
BURST_BEHAVIOUR = "keep-slow"
BURST_PAUSE = 0.01
SCRIPT = Path(__file__).resolve()

Outcome = dict[str, Any]  # {"value": ...} or {"error": {"type": ..., "message": ...}}


def proxy_path(tag: str, behaviour: str = "ok") -> str:
    """The path given to ``user.request("salesforce", ...)``: the tag tells the responses apart, and the last
    segment picks the raw server's behaviour ("ok": 200, keep-alive, the request path echoed)."""
    return f"objects/{tag}/{behaviour}"


def server_path(tag: str, behaviour: str = "ok") -> str:
    """The path the server receives (and echoes) for ``proxy_path(tag, behaviour)``."""
    return PROXY_PREFIX + proxy_path(tag, behaviour)


# -- Run from the tests ------------------------------------------------------------------------------------------------


def run_scenario(url: str, pem: str, *argv: str, ignore_resource_warnings: bool = False) -> Any:
    """Run one scenario against the server at ``url`` and return its JSON; fail on a non-zero exit or any stderr.

    Warnings are errors in the scenario's process too, so "Exception ignored in ..." from a finaliser shows up on
    stderr. The process gets its own session: on a timeout it is killed with any child it forked."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PARAGON_")}
    env.update({URL_ENV: url, KEY_ENV: pem})
    warning_options = ["-W", "error"] + (["-W", "ignore::ResourceWarning"] if ignore_resource_warnings else [])
    process = subprocess.Popen(
        [sys.executable, *warning_options, str(SCRIPT), *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=SUBPROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(f"scenario {argv} timed out\nstdout: {stdout}\nstderr: {stderr}") from None
    assert process.returncode == 0, f"scenario {argv} exited {process.returncode}\nstderr: {stderr}"
    assert stderr == "", stderr
    return json.loads(stdout)


# -- Inside the scenario's process -------------------------------------------------------------------------------------


def describe(error: BaseException) -> dict[str, str]:
    return {"type": type(error).__name__, "message": str(error)}


def outcome_of(work: Callable[[], Any]) -> Outcome:
    try:
        return {"value": work()}
    except Exception as error:
        return {"error": describe(error)}


class Child:
    """``work()`` running in a forked child; ``result()`` is its outcome, sent back as JSON through a pipe.

    The constructor returns once the child is about to start ``work()``, so parent and child start together."""

    def __init__(self, work: Callable[[], Any]) -> None:
        if threading.active_count() != 1:
            raise RuntimeError("this process must be single-threaded when it forks")
        sys.stdout.flush()
        sys.stderr.flush()
        read_end, write_end = os.pipe()
        ready_read, ready_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: report, then leave without running any of the parent's cleanup
            status = 1
            try:
                os.close(read_end)
                os.close(ready_read)
                os.write(ready_write, b"!")
                with os.fdopen(write_end, "w") as out:
                    json.dump(outcome_of(work), out)
                status = 0
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(status)
        os.close(write_end)
        os.close(ready_write)
        os.read(ready_read, 1)  # b"" if the child died first: result() reports that
        os.close(ready_read)
        self._read_end = read_end

    def result(self) -> Outcome:
        with os.fdopen(self._read_end) as results:
            data = results.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            raise RuntimeError(f"the forked child failed (wait status {status})")
        outcome: Outcome = json.loads(data)
        return outcome


def settings(**options: Any) -> dict[str, Any]:
    url = os.environ[URL_ENV]
    return {
        "project_id": PROJECT_ID,
        "signing_key": os.environ[KEY_ENV],
        "api_url": url,
        "proxy_url": url,
        "timeout": CALL_TIMEOUT,
        **options,
    }


def get_path(user: UserSession, tag: str, behaviour: str = "ok") -> str:
    path: str = user.request("salesforce", proxy_path(tag, behaviour))["path"]
    return path


async def aget_path(user: AsyncUserSession, tag: str, behaviour: str = "ok") -> str:
    path: str = (await user.request("salesforce", proxy_path(tag, behaviour)))["path"]
    return path


class Parent:
    """The parent's side of an async scenario: one event loop kept open across the fork, as a long-running
    process keeps its loop (a second ``asyncio.run()`` would get a fresh pool of its own anyway)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, awaitable: Awaitable[Any]) -> Any:
        async def wrapped() -> Any:
            return await awaitable

        return self.loop.run_until_complete(wrapped())


def child_run(main: Callable[[], Coroutine[Any, Any, Any]]) -> Callable[[], Any]:
    """The child's side of an async scenario: its own ``asyncio.run()``."""
    return lambda: asyncio.run(main())


# -- Fork scenarios ----------------------------------------------------------------------------------------------------


def keepalive(flavor: str, via: str) -> dict[str, Any]:
    """One call before the fork; one call in the child (through the client itself, or through a ``with_options``
    copy made before the fork); after the child is gone, one more call in the parent (through the same one)."""
    if flavor == "sync":
        paragon = Paragon(**settings(max_retries=0))
        after_fork = paragon.with_options(max_retries=0) if via == "copy" else paragon
        before = get_path(paragon.authenticate("user-1"), "parent-before")

        def child() -> str:
            path = get_path(after_fork.authenticate("user-1"), "child")
            paragon.close()
            return path

        forked = Child(child).result()
        after = get_path(after_fork.authenticate("user-1"), "parent-after")
        paragon.close()
        return {"before": before, "child": forked, "after": after}

    parent = Parent()
    aparagon = AsyncParagon(**settings(max_retries=0))
    acopy = aparagon.with_options(max_retries=0) if via == "copy" else aparagon
    before = parent.run(aget_path(aparagon.authenticate("user-1"), "parent-before"))

    async def achild() -> str:
        path = await aget_path(acopy.authenticate("user-1"), "child")
        await aparagon.aclose()
        return path

    forked = Child(child_run(achild)).result()
    after = parent.run(aget_path(acopy.authenticate("user-1"), "parent-after"))
    parent.run(aparagon.aclose())
    parent.loop.close()
    return {"before": before, "child": forked, "after": after}


def _burst(who: str, call: Callable[[str], str]) -> list[Any]:
    """CALLS calls from WORKERS threads: [sent, received] path pairs, and each thread's first error, if any (a
    thread stops at its first failure, so a broken pool fails fast instead of timing out call after call)."""

    def worker(index: int) -> list[Any]:
        pairs: list[Any] = []
        for number in range(CALLS // WORKERS):
            tag = f"{who}-{index}-{number}"
            try:
                pairs.append([server_path(tag, BURST_BEHAVIOUR), call(tag)])
            except Exception as error:
                return [*pairs, {"error": describe(error)}]
            if pairs[-1][0] != pairs[-1][1]:
                break
        return pairs

    with ThreadPoolExecutor(WORKERS) as pool:
        return [pair for pairs in pool.map(worker, range(WORKERS)) for pair in pairs]


async def _aburst(who: str, user: AsyncUserSession) -> list[Any]:
    """``_burst`` with WORKERS tasks on the running loop."""

    async def worker(index: int) -> list[Any]:
        pairs: list[Any] = []
        for number in range(CALLS // WORKERS):
            tag = f"{who}-{index}-{number}"
            try:
                pairs.append([server_path(tag, BURST_BEHAVIOUR), await aget_path(user, tag, BURST_BEHAVIOUR)])
            except Exception as error:
                return [*pairs, {"error": describe(error)}]
            if pairs[-1][0] != pairs[-1][1]:
                break
        return pairs

    parts = await asyncio.gather(*(worker(index) for index in range(WORKERS)))
    return [pair for pairs in parts for pair in pairs]


def burst(flavor: str) -> dict[str, Any]:
    """One call before the fork (so the pool holds an idle keep-alive connection); then parent and child both
    make CALLS calls at the same time, to BURST_BEHAVIOUR."""
    if flavor == "sync":
        paragon = Paragon(**settings(max_retries=0))
        user = paragon.authenticate("user-1")
        get_path(user, "warm")

        def child() -> list[Any]:
            pairs = _burst("child", lambda tag: get_path(user, tag, BURST_BEHAVIOUR))
            paragon.close()
            return pairs

        forked = Child(child)
        pairs = _burst("parent", lambda tag: get_path(user, tag, BURST_BEHAVIOUR))
        paragon.close()
        return {"parent": pairs, "child": forked.result()}

    parent = Parent()
    aparagon = AsyncParagon(**settings(max_retries=0))
    auser = aparagon.authenticate("user-1")
    parent.run(aget_path(auser, "warm"))

    async def achild() -> list[Any]:
        pairs = await _aburst("child", auser)
        await aparagon.aclose()
        return pairs

    aforked = Child(child_run(achild))
    pairs = parent.run(_aburst("parent", auser))
    parent.run(aparagon.aclose())
    parent.loop.close()
    return {"parent": pairs, "child": aforked.result()}


def injected(flavor: str) -> dict[str, Any]:
    """A client over an injected ``http_client``: one call before the fork, one attempted in the child, one more in
    the parent once the child is gone."""
    if flavor == "sync":
        http = httpx.Client(timeout=CALL_TIMEOUT)
        paragon = Paragon(**settings(max_retries=0, http_client=http))
        user = paragon.authenticate("user-1")
        before = get_path(user, "parent-before")
        forked = Child(lambda: get_path(user, "child")).result()
        after = get_path(user, "parent-after")
        paragon.close()
        http.close()
        return {"before": before, "child": forked, "after": after}

    parent = Parent()
    ahttp = httpx.AsyncClient(timeout=CALL_TIMEOUT)
    aparagon = AsyncParagon(**settings(max_retries=0, http_client=ahttp))
    auser = aparagon.authenticate("user-1")
    before = parent.run(aget_path(auser, "parent-before"))
    forked = Child(child_run(lambda: aget_path(auser, "child"))).result()
    after = parent.run(aget_path(auser, "parent-after"))
    parent.run(aparagon.aclose())
    parent.run(ahttp.aclose())
    parent.loop.close()
    return {"before": before, "child": forked, "after": after}


# -- Event-loop scenarios (no fork) ------------------------------------------------------------------------------------


def two_runs() -> dict[str, Any]:
    """One AsyncParagon, made outside any loop, used by two consecutive ``asyncio.run()`` calls (a POST and a GET
    each; the second run ends with ``aclose()``), then by a third run after it was closed."""
    paragon = AsyncParagon(**settings())
    user = paragon.authenticate("user-1")

    async def run(number: int) -> list[Any]:
        posted = await user.request("salesforce", "objects/ok", method="POST", body={"n": number})
        got = await aget_path(user, f"run-{number}")
        if number == 2:
            await paragon.aclose()
        return [posted["path"], got]

    def in_a_new_loop(number: int) -> Outcome:
        return outcome_of(lambda: asyncio.run(run(number)))

    runs = [in_a_new_loop(1), in_a_new_loop(2)]
    closed = outcome_of(lambda: asyncio.run(aget_path(user, "after-close")))
    return {"runs": runs, "after_close": closed}


def threads() -> dict[str, Any]:
    """One AsyncParagon shared by two threads, each running its own event loop: thread 0 makes a call, then holds
    its loop (blocked, alive, its connection idle in its pool) while thread 1 makes its first call; then both make a
    POST and a GET at the same time. A pool shared by the two loops would hand thread 1 thread 0's connection."""
    paragon = AsyncParagon(**settings(max_retries=0))
    user = paragon.authenticate("user-1")
    first_done = (threading.Event(), threading.Event())

    def wait_for(thread: int) -> None:
        if not first_done[thread].wait(2 * CALL_TIMEOUT):
            raise TimeoutError(f"thread {thread} did not make its first call")

    async def calls(number: int) -> list[Any]:
        if number == 1:
            wait_for(0)
        try:
            first = await aget_path(user, f"thread-{number}-first")
        finally:
            first_done[number].set()  # even on failure, so the other thread does not wait in vain
        if number == 0:
            wait_for(1)  # blocks loop 0 on purpose, with its connection idle in the pool
        posted = await user.request("salesforce", "objects/ok", method="POST", body={"n": number})
        second = await aget_path(user, f"thread-{number}-second")
        return [first, posted["path"], second]

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda number: outcome_of(lambda: asyncio.run(calls(number))), range(2)))
    return {"threads": outcomes}


SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "keepalive": keepalive,
    "burst": burst,
    "injected": injected,
    "two-runs": two_runs,
    "threads": threads,
}


def main(argv: list[str]) -> None:
    name, *args = argv
    json.dump(SCENARIOS[name](*args), sys.stdout)
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
