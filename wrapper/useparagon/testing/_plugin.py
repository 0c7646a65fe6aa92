"""The pytest plugin (entry point ``useparagon``): FakeParagon fixtures for the tests of apps that use useparagon.

- ``paragon_fake``: a fresh ``FakeParagon`` (the default project; set your scenario up on it).
- ``paragon_fake_server``: that fake on loopback HTTP; ``paragon_fake_server.url`` is its base URL.
- ``paragon_client`` / ``async_paragon_client``: a ``useparagon.Paragon`` / ``AsyncParagon`` wired to the fake in
  process, signing with the fake's key and holding its API key (Task History).

pytest imports this module at startup in every project that installs useparagon, so it imports nothing heavy
until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from useparagon import AsyncParagon, Paragon

    from ._fake import FakeParagon
    from ._server import FakeServer

# The wrapper needs a URL per service; in process any host reaches the fake, so one made-up host serves them all.
IN_PROCESS_URL = "http://fakeparagon.invalid"


@pytest.fixture
def paragon_fake() -> FakeParagon:
    """A fresh FakeParagon with the default project (Salesforce, HubSpot, Slack, Google Drive, Freshdesk)."""
    from ._fake import FakeParagon

    return FakeParagon()


@pytest.fixture
def paragon_fake_server(paragon_fake: FakeParagon) -> Iterator[FakeServer]:
    """``paragon_fake`` served on loopback HTTP for the test; stopped, with every connection closed, after it."""
    with paragon_fake.serve() as server:
        yield server


@pytest.fixture
def paragon_client(paragon_fake: FakeParagon) -> Iterator[Paragon]:
    """A ``useparagon.Paragon`` talking to ``paragon_fake`` in process."""
    import httpx

    from useparagon import Paragon

    with (
        httpx.Client(transport=paragon_fake.transport()) as http_client,
        Paragon(
            project_id=paragon_fake.project_id,
            signing_key=paragon_fake.signing_key,
            api_url=IN_PROCESS_URL,
            proxy_url=IN_PROCESS_URL,
            actionkit_url=IN_PROCESS_URL,
            sync_url=IN_PROCESS_URL,
            api_key=paragon_fake.api_key,
            http_client=http_client,
        ) as client,
    ):
        yield client


@pytest.fixture
def async_paragon_client(paragon_fake: FakeParagon) -> AsyncParagon:
    """A ``useparagon.AsyncParagon`` talking to ``paragon_fake`` in process.

    A plain (sync) fixture, so it works under pytest-asyncio, anyio or trio alike; the in-process transport holds
    no socket, so there is nothing to close.
    """
    import httpx

    from useparagon import AsyncParagon

    return AsyncParagon(
        project_id=paragon_fake.project_id,
        signing_key=paragon_fake.signing_key,
        api_url=IN_PROCESS_URL,
        proxy_url=IN_PROCESS_URL,
        actionkit_url=IN_PROCESS_URL,
        sync_url=IN_PROCESS_URL,
        api_key=paragon_fake.api_key,
        http_client=httpx.AsyncClient(transport=paragon_fake.async_transport()),
    )
