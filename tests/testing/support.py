"""Helpers for FakeParagon's own tests."""

from __future__ import annotations

from typing import Any

import httpx
from useparagon.testing import FakeParagon

IN_PROCESS_URL = "http://fakeparagon.invalid"


class Api:
    """A test's view of the fake: ``call("GET", "/sdk/me")`` sends a request with user ``u1``'s token."""

    def __init__(self, fake: FakeParagon, client: httpx.Client) -> None:
        self.fake = fake
        self.client = client
        self.root = f"/projects/{fake.project_id}"

    def call(
        self, method: str, suffix: str, *, user: str = "u1", headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        sent = {"Authorization": f"Bearer {self.fake.sign_user_token(user)}", **(headers or {})}
        return self.client.request(method, self.root + suffix, headers=sent, **kwargs)
