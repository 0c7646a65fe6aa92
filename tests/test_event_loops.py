"""One ``AsyncParagon`` across event loops: a connection belongs to the loop that opened it, so each running loop
gets a pool of its own (``_pool.AsyncPool``), and ``aclose()`` ends the client for every loop.

The multi-loop scenarios run in a process of their own (``tests/pool_scenarios.py``): the pool a finished loop leaves
behind cannot be closed any more (its loop is gone), and when it is garbage collected asyncio warns "unclosed
transport". Under ``filterwarnings = error`` that warning would land on whichever test was running at that moment,
so there they run with ResourceWarning ignored (every other warning is still an error, and stderr must be empty).
"""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from useparagon import AsyncParagon, ClientClosedError

from tests.pool_scenarios import PROJECT_ID, PROXY_PREFIX, run_scenario, server_path
from tests.rawserver import raw_server

# The scenarios POST to "objects/ok" (the body tells the runs apart).
POSTED = PROXY_PREFIX + "objects/ok"


def test_one_client_serves_consecutive_asyncio_runs(rsa_pem: str) -> None:
    """An AsyncParagon made outside any loop, used by two ``asyncio.run()`` calls (a POST and a GET each): both
    runs succeed, the server gets exactly one POST per run (nothing failed on a dead loop's socket, nothing was
    repeated), and the second run's requests come on a new connection. After the second run's ``aclose()``, a call
    from a third loop raises ``ClientClosedError`` and sends nothing."""
    with raw_server() as server:
        result = run_scenario(server.url, rsa_pem, "two-runs", ignore_resource_warnings=True)
    assert result["runs"] == [{"value": [POSTED, server_path("run-1")]}, {"value": [POSTED, server_path("run-2")]}]
    assert result["after_close"]["error"]["type"] == "ClientClosedError"
    requests = server.requests
    assert [(request.method, request.path) for request in requests] == [
        ("POST", POSTED),
        ("GET", server_path("run-1")),
        ("POST", POSTED),
        ("GET", server_path("run-2")),
    ]
    assert [json.loads(request.body) for request in requests if request.method == "POST"] == [{"n": 1}, {"n": 2}]
    first_run, second_run = {request.port for request in requests[:2]}, {request.port for request in requests[2:]}
    assert first_run.isdisjoint(second_run)


def test_two_loops_in_two_threads_share_one_client(rsa_pem: str) -> None:
    """Two threads, each running its own loop, share one AsyncParagon. Thread 0 calls, then holds its loop alive
    (its connection idle) while thread 1 makes its first call; then both make a POST and a GET at once. Every call
    succeeds with its own answer, thread 1 never gets thread 0's connection, and the server gets exactly one POST
    from each loop."""
    with raw_server() as server:
        result = run_scenario(server.url, rsa_pem, "threads", ignore_resource_warnings=True)
    assert result["threads"] == [
        {"value": [server_path(f"thread-{number}-first"), POSTED, server_path(f"thread-{number}-second")]}
        for number in (0, 1)
    ]
    first = {request.path: request.port for request in server.requests if request.path.endswith("-first/ok")}
    assert first[server_path("thread-1-first")] != first[server_path("thread-0-first")]
    posted = sorted(json.loads(request.body)["n"] for request in server.requests if request.method == "POST")
    assert posted == [0, 1]
    assert len(server.requests) == 6


@pytest.mark.parametrize("calls_before", [0, 1])
async def test_calls_after_aclose_raise_before_reaching_the_server(rsa_key: RSAPrivateKey, calls_before: int) -> None:
    """After ``aclose()`` (with or without a call made first), a call through the client, or through a
    ``with_options`` copy of it, raises ``ClientClosedError`` and no request reaches the server."""
    with raw_server() as server:
        paragon = AsyncParagon(project_id=PROJECT_ID, signing_key=rsa_key, api_url=server.url, proxy_url=server.url)
        copy = paragon.with_options(max_retries=0)
        for _ in range(calls_before):
            assert await paragon.authenticate("user-1").request("salesforce", "objects/ok") == {
                "path": PROXY_PREFIX + "objects/ok"
            }
        await paragon.aclose()
        for client in (paragon, copy):
            with pytest.raises(ClientClosedError, match="closed"):
                await client.authenticate("user-1").request("salesforce", "objects/ok")
    assert len(server.requests) == calls_before
