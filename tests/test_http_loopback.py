"""The sync sender over a real loopback socket: the attempt's deadline reaches every socket read of the pool.

A server that drips its status line a byte at a time never lets one read wait as long as the read timeout, so only
the whole-attempt deadline the sender hands to the pool can end the attempt.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import APITimeoutError, Paragon, RetryPolicy

from tests.rawserver import Connection, RawServer, Request, raw_server
from tests.support import PROJECT_ID

DRIP_INTERVAL = 0.05
SLACK = 2.0  # how late an attempt may end on a loaded machine


def drip_head(connection: Connection, _request: Request) -> None:
    """The status line and headers, one byte every 50 ms: about ten seconds before the response even starts."""
    head = "HTTP/1.1 200 OK\r\n" + "".join(f"X-Padding-{n}: {'x' * 10}\r\n" for n in range(10))
    connection.drip(head.encode(), DRIP_INTERVAL)


@pytest.fixture
def server() -> Iterator[RawServer]:
    with raw_server() as running:
        running.on("drip-head", drip_head)
        yield running


def test_a_dripping_status_line_ends_at_the_attempts_timeout(server: RawServer, rsa_key: rsa.RSAPrivateKey) -> None:
    """``timeout=0.3``: each byte comes well within 0.3 s, but the attempt ends 0.3 s after it began."""
    with Paragon(
        project_id=PROJECT_ID,
        signing_key=rsa_key,
        proxy_url=server.url,
        timeout=0.3,
        retry=RetryPolicy(max_retries=0, total_deadline=30.0),
    ) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as caught:
            client.authenticate("user-1").request("salesforce", "objects/drip-head")
        elapsed = time.monotonic() - started
    assert 0.25 <= elapsed <= 0.3 + SLACK
    assert str(caught.value).startswith("GET /projects/{projectId}/sdk/proxy/{integrationType}/{path} timed out")
    assert [request.behaviour for request in server.requests] == ["drip-head"]
