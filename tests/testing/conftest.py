"""Fixtures for FakeParagon's own tests: a fresh fake, and an httpx client reaching it in process or over loopback.

These tests use plain httpx, never the wrapper: they pin the fake's HTTP behaviour, which any client relies on.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from useparagon.testing import FakeParagon

from tests.testing.support import IN_PROCESS_URL, Api


@pytest.fixture
def fake() -> FakeParagon:
    """A fresh FakeParagon with the default project."""
    return FakeParagon()


@pytest.fixture(params=["in-process", "loopback"])
def http(request: pytest.FixtureRequest, fake: FakeParagon) -> Iterator[httpx.Client]:
    """An httpx client reaching ``fake`` through ``fake.transport()`` or over real loopback HTTP."""
    if request.param == "in-process":
        with httpx.Client(transport=fake.transport(), base_url=IN_PROCESS_URL) as client:
            yield client
    else:
        with fake.serve() as server, httpx.Client(base_url=server.url) as client:
            yield client


@pytest.fixture
def api(fake: FakeParagon, http: httpx.Client) -> Api:
    """Requests to ``fake`` as user ``u1``, over both adapters."""
    return Api(fake, http)
