"""The shared harness drives both client flavours."""

from __future__ import annotations

import httpx
from useparagon import AuthenticatedUser

from tests.support import PROJECT_ID, MakeHarness, json_response


def test_get_user_sends_bearer_token_to_the_sdk_api(make_harness: MakeHarness) -> None:
    """GET /projects/{id}/sdk/me goes to api.useparagon.com with the user's bearer token."""

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(200, {"authenticated": True, "userId": "user-123", "integrations": {}})

    harness = make_harness(handler)
    user = harness.run(harness.session.get_user())
    assert isinstance(user, AuthenticatedUser)
    assert user.user_id == "user-123"
    (request,) = harness.requests
    assert request.method == "GET"
    assert str(request.url) == f"https://api.useparagon.com/projects/{PROJECT_ID}/sdk/me"
    assert request.headers["authorization"].startswith("Bearer ey")
