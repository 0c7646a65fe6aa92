"""After ``os.fork()`` a child never uses a connection its parent opened (``_pool.py``).

gunicorn ``--preload`` and Celery's prefork pool fork a process whose client already holds keep-alive connections.
If parent and child shared one, each could read the other's responses. So the child gets a fresh pool, the inherited
sockets are released without a byte written to them, and a client over an injected ``http_client=`` (which cannot be
rebuilt) refuses to send from the child.

Each scenario runs in a process of its own (``tests/pool_scenarios.py``), single-threaded when it forks; the raw
loopback server stays here and records every request with its connection's client port, so "a new connection" and
"the same connection, still open" are both visible. Every test here fails against a plain shared pool: there, the
child sends on the parent's connection.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.pool_scenarios import (
    BURST_BEHAVIOUR,
    BURST_PAUSE,
    CALLS,
    WORKERS,
    run_scenario,
    server_path,
)
from tests.rawserver import Connection, RawServer, Request, raw_server

BEFORE, CHILD, AFTER = server_path("parent-before"), server_path("child"), server_path("parent-after")


def _assert_child_used_its_own_connection(server: RawServer) -> None:
    assert [request.path for request in server.requests] == [BEFORE, CHILD, AFTER]
    before, child, after = server.ports
    # The child's call went out on a connection of its own, not on the parent's idle one...
    assert child != before
    # ...and the parent's connection outlived the child (which even closed its client): the server saw no FIN and
    # no stray bytes on it, so it kept it open, and the parent's next call reused it.
    assert after == before


def test_child_opens_its_own_connection_and_parent_keeps_its_own(flavor: str, rsa_pem: str) -> None:
    """Parent calls (keep-alive connection P), forks; the child's call arrives on a new connection; once the child
    is gone, the parent's next call arrives on P again. Async: the child runs ``asyncio.run()``, the parent keeps
    the loop it had before the fork."""
    with raw_server() as server:
        result = run_scenario(server.url, rsa_pem, "keepalive", flavor, "original")
    assert result == {"before": BEFORE, "child": {"value": CHILD}, "after": AFTER}
    _assert_child_used_its_own_connection(server)


def test_with_options_copies_made_before_the_fork_use_the_childs_pool(flavor: str, rsa_pem: str) -> None:
    """A ``with_options`` copy shares its client's pool, so a copy made before the fork also sends from a fresh
    pool in the child, while in the parent it still shares (and reuses) the original's connection."""
    with raw_server() as server:
        result = run_scenario(server.url, rsa_pem, "keepalive", flavor, "copy")
    assert result == {"before": BEFORE, "child": {"value": CHILD}, "after": AFTER}
    _assert_child_used_its_own_connection(server)


def _pause_then_ok(connection: Connection, request: Request) -> None:
    if not connection.wait(BURST_PAUSE):
        connection.json(200, {"output": {"path": request.path}})


def _failures(pairs: list[Any]) -> list[Any]:
    """The entries of a burst that are not [sent, received] with both paths equal (errors, crossed answers)."""
    return [pair for pair in pairs if not (isinstance(pair, list) and pair[0] == pair[1])]


def test_parent_and_child_calling_at_once_never_get_each_others_responses(flavor: str, rsa_pem: str) -> None:
    """After one call (an idle keep-alive connection in the pool), the process forks and parent and child each make
    100 calls at the same time, from 2 threads (async: 2 tasks) each: every call gets the answer to its own
    request, none fails, and the server receives each request exactly once."""
    with raw_server() as server:
        server.on(BURST_BEHAVIOUR, _pause_then_ok)
        result = run_scenario(server.url, rsa_pem, "burst", flavor)
    parent, child = result["parent"], result["child"]
    assert "value" in child, child
    for pairs in (parent, child["value"]):
        assert _failures(pairs) == []
        assert len(pairs) == CALLS
    expected = [
        server_path(f"{who}-{worker}-{number}", BURST_BEHAVIOUR)
        for who in ("parent", "child")
        for worker in range(WORKERS)
        for number in range(CALLS // WORKERS)
    ]
    assert Counter(request.path for request in server.requests) == Counter([server_path("warm"), *expected])


def test_injected_http_client_refuses_to_send_from_a_forked_child(flavor: str, rsa_pem: str) -> None:
    """``Paragon(http_client=httpx.Client())`` (async: ``httpx.AsyncClient``) cannot be rebuilt in a child: there a
    call raises ``ConfigurationError``, which says why (another process, a fork), before any I/O: the server gets
    nothing from the child, and the parent's connection stays usable."""
    with raw_server() as server:
        result = run_scenario(server.url, rsa_pem, "injected", flavor)
    assert result["before"] == BEFORE
    assert result["after"] == AFTER
    error = result["child"].get("error")
    assert error is not None, result["child"]
    assert error["type"] == "ConfigurationError"
    assert "another process" in error["message"]
    assert "fork" in error["message"]
    assert [request.path for request in server.requests] == [BEFORE, AFTER]
    before, after = server.ports
    assert after == before
