"""The fake Proxy API: wrapping, raw mode, the not-enabled error, custom handlers and relayed provider failures."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
from useparagon.testing import FakeParagon, ProxyRequest

from tests.testing.support import Api

RAW = {"X-Paragon-Use-Raw-Response": "1"}
NOT_ENABLED = {"message": "Integration not enabled for user.", "status": 404, "code": "integration_not_enabled"}


def test_slack_post_message_is_wrapped(api: Api) -> None:
    """The built-in Slack fake answers chat.postMessage; Paragon wraps it as ``{"output": …}``."""
    api.fake.user("u1").connect("slack")
    response = api.call("POST", "/sdk/proxy/slack/chat.postMessage", json={"channel": "C1", "text": "hi"})
    assert response.status_code == 200
    output = response.json()["output"]
    assert (output["ok"], output["channel"], output["message"]["text"]) == (True, "C1", "hi")


def test_salesforce_create_is_wrapped_and_raw_keeps_201(api: Api) -> None:
    """The built-in Salesforce sobject create answers 201 with an id; wrapped it is a 200, raw it stays 201."""
    api.fake.user("u1").connect("salesforce")
    path = "/sdk/proxy/salesforce/services/data/v59.0/sobjects/Contact"
    wrapped = api.call("POST", path, json={"LastName": "Lovelace"})
    assert wrapped.status_code == 200
    assert wrapped.json()["output"]["id"].startswith("003")
    raw = api.call("POST", path, json={"LastName": "Lovelace"}, headers=RAW)
    assert raw.status_code == 201
    assert raw.json()["success"] is True


def test_echo_for_unknown_provider_paths(api: Api) -> None:
    """Without a handler, the provider echoes method, multi-segment path, query and JSON body."""
    api.fake.user("u1").connect("hubspot")
    response = api.call("PUT", "/sdk/proxy/hubspot/crm/v3/objects/contacts/1?a=1&b=2&b=3", json={"x": [1]})
    assert response.json() == {
        "output": {
            "method": "PUT",
            "path": "crm/v3/objects/contacts/1",
            "query": {"a": "1", "b": ["2", "3"]},
            "body": {"x": [1]},
        }
    }


@pytest.mark.parametrize(
    ("sent", "seen"),
    [
        ("projects/group%2Fproject/issues", "projects/group%2Fproject/issues"),
        ("projects/group%2fsub%2Fproject", "projects/group%2fsub%2Fproject"),
        ("files/a%20b", "files/a b"),
    ],
)
def test_an_encoded_slash_stays_inside_its_segment(api: Api, sent: str, seen: str) -> None:
    """GitLab-style ``group%2Fproject`` reaches the provider handler as that one segment, not two; other
    escapes are decoded as before."""
    api.fake.user("u1").connect("hubspot")
    response = api.call("GET", f"/sdk/proxy/hubspot/{sent}")
    assert response.json()["output"]["path"] == seen


@pytest.mark.parametrize("flag", ["1", "true", "TRUE"])
def test_raw_mode_returns_provider_bytes(api: Api, flag: str) -> None:
    """``X-Paragon-Use-Raw-Response`` 1/true returns the provider's status, content type, headers and bytes."""
    pdf = b"%PDF-1.7\x00\xff binary"
    api.fake.on_proxy(
        "googledrive", "files/abc", lambda _: (200, pdf, {"Content-Type": "application/pdf", "ETag": "e1"})
    )
    api.fake.user("u1").connect("googledrive")
    response = api.call("GET", "/sdk/proxy/googledrive/files/abc", headers={"X-Paragon-Use-Raw-Response": flag})
    assert response.status_code == 200
    assert response.content == pdf
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["etag"] == "e1"


def test_raw_flag_other_values_keep_wrapping(api: Api) -> None:
    """Any other value of the raw flag (``0``, ``false``, empty) keeps the wrapper."""
    api.fake.user("u1").connect("hubspot")
    for flag in ("0", "false", ""):
        response = api.call("GET", "/sdk/proxy/hubspot/x", headers={"X-Paragon-Use-Raw-Response": flag})
        assert "output" in response.json()


def test_non_json_provider_body_is_wrapped_as_text(api: Api) -> None:
    """A provider answering text is wrapped with the text as ``output``; an empty body as ``null``."""
    api.fake.on_proxy("hubspot", "text", lambda _: (200, b"plain words", {"Content-Type": "text/plain"}))
    api.fake.on_proxy("hubspot", "empty", lambda _: (204, b""))
    api.fake.user("u1").connect("hubspot")
    assert api.call("GET", "/sdk/proxy/hubspot/text").json() == {"output": "plain words"}
    assert api.call("GET", "/sdk/proxy/hubspot/empty").json() == {"output": None}


@pytest.mark.parametrize(
    ("setup", "integration", "body"),
    [
        ("none", "slack", NOT_ENABLED),
        ("INVALID", "slack", NOT_ENABLED),
        ("PENDING", "slack", NOT_ENABLED),
        ("VALID", "zendesk", NOT_ENABLED),
    ],
)
def test_not_enabled(api: Api, setup: str, integration: str, body: dict[str, Any]) -> None:
    """No VALID credential for the integration (or no such integration): Paragon's not-enabled 404."""
    if setup != "none":
        api.fake.user("u1").connect("slack", status=setup)  # type: ignore[arg-type]
    response = api.call("POST", f"/sdk/proxy/{integration}/chat.postMessage", json={"channel": "C1"})
    assert (response.status_code, response.json()) == (404, body)


def test_custom_handler_sees_the_request(api: Api) -> None:
    """A registered handler gets the provider-side request: no Paragon token, no X-Paragon-* headers."""
    seen: list[ProxyRequest] = []

    def handler(request: ProxyRequest) -> tuple[int, Any]:
        seen.append(request)
        return 200, {"handled": True}

    api.fake.on_proxy("slack", "conversations.list", handler, method="GET")
    user = api.fake.user("u1").connect("slack")
    response = api.call(
        "GET",
        "/sdk/proxy/slack/conversations.list?limit=5",
        headers={"X-Custom": "c", "X-Paragon-Credential": user.credential_ids("slack")[0]},
    )
    assert response.json() == {"output": {"handled": True}}
    (request,) = seen
    assert (request.method, request.integration, request.path) == ("GET", "slack", "conversations.list")
    assert request.query["limit"] == "5"
    assert request.headers["x-custom"] == "c"
    assert "authorization" not in request.headers
    assert not [k for k in request.headers if k.lower().startswith("x-paragon")]
    assert (request.user_id, request.credential_id) == ("u1", user.credential_ids("slack")[0])
    # The handler was registered for GET only: a POST to the same path falls through to the echo.
    other_method = api.call("POST", "/sdk/proxy/slack/conversations.list").json()
    assert other_method["output"]["method"] == "POST"
    assert len(seen) == 1


def test_custom_handler_wins_over_builtin_and_wildcard(api: Api) -> None:
    """An exact path beats ``"*"``, which beats the built-in fake."""
    api.fake.on_proxy("slack", "*", lambda _: (200, {"from": "wildcard"}))
    api.fake.user("u1").connect("slack")
    assert api.call("POST", "/sdk/proxy/slack/chat.postMessage", json={}).json() == {"output": {"from": "wildcard"}}
    api.fake.on_proxy("slack", "chat.postMessage", lambda _: (200, {"from": "exact"}))
    assert api.call("POST", "/sdk/proxy/slack/chat.postMessage", json={}).json() == {"output": {"from": "exact"}}


@pytest.mark.parametrize(
    ("provider_status", "status"),
    [
        (400, 400),
        (401, 401),
        (403, 403),
        (404, 404),
        (409, 400),
        (422, 400),
        (429, 429),
        (500, 502),
        (503, 502),
        (504, 502),
    ],
)
def test_provider_failures_are_relayed(api: Api, provider_status: int, status: int) -> None:
    """A provider failure comes back as Paragon's error body with ``meta.isIntegrationError`` and the mapped status."""
    api.fake.on_proxy("hubspot", "fail", lambda _: (provider_status, {"error": "boom"}, {"Retry-After": "7"}))
    api.fake.user("u1").connect("hubspot")
    response = api.call("GET", "/sdk/proxy/hubspot/fail")
    assert response.status_code == status
    assert response.json() == {
        "message": f"Request failed with status code {provider_status}",
        "status": status,
        "meta": {"isIntegrationError": True, "status": provider_status, "data": {"error": "boom"}},
    }
    assert response.headers.get("retry-after") == ("7" if status == 429 else None)


def test_provider_failure_in_raw_mode_is_passed_through(api: Api) -> None:
    """In raw mode a provider failure keeps its own status and body."""
    api.fake.on_proxy("hubspot", "fail", lambda _: (500, b"<h1>oops</h1>", {"Content-Type": "text/html"}))
    api.fake.user("u1").connect("hubspot")
    response = api.call("GET", "/sdk/proxy/hubspot/fail", headers=RAW)
    assert (response.status_code, response.content, response.headers["content-type"]) == (
        500,
        b"<h1>oops</h1>",
        "text/html",
    )


HOSTILE_PATHS = [
    "a/../b",
    "..",
    "./x",
    "a/./b",
    "a%0Ab",
    "a%0D%0Ab",
    "a%00",
    "a%3Fb",
    "a%23b",
    "a%5Cb",
    "%2E%2E/x",
    "a%2F..%2Fb",
]


def _check_rejected(status: int, body: bytes, path: str) -> None:
    assert status == 400, path
    assert json.loads(body)["message"].startswith("Invalid proxy path"), path


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_proxy_paths_get_400_from_the_core(fake: FakeParagon, path: str) -> None:
    """Dot segments, control characters, encoded ``?``/``#``/``\\``: 400 with Paragon's error body, nothing proxied.

    httpx normalises literal dot segments before sending, so the core is called with the raw target directly.
    """
    fake.user("u1").connect("hubspot")
    headers = {"Authorization": f"Bearer {fake.sign_user_token('u1')}"}
    outcome = fake.handle("GET", f"/projects/{fake.project_id}/sdk/proxy/hubspot/{path}", headers)
    _check_rejected(outcome.status, outcome.body, path)
    assert [r.status for r in fake.requests] == [400]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_proxy_paths_get_400_over_http(fake: FakeParagon, path: str) -> None:
    """The same paths sent byte for byte over a socket (http.client does not normalise) get the same 400."""
    fake.user("u1").connect("hubspot")
    with fake.serve() as server:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
        try:
            target = f"/projects/{fake.project_id}/sdk/proxy/hubspot/{path}"
            connection.request("GET", target, headers={"Authorization": f"Bearer {fake.sign_user_token('u1')}"})
            response = connection.getresponse()
            _check_rejected(response.status, response.read(), path)
        finally:
            connection.close()


def test_unknown_credential_header_gets_404(api: Api) -> None:
    """``X-Paragon-Credential`` naming no credential of the user: 404 ``Credential not found.``."""
    api.fake.user("u1").connect("slack")
    response = api.call("POST", "/sdk/proxy/slack/chat.postMessage", headers={"X-Paragon-Credential": "nope"})
    assert response.json() == {"message": "Credential not found.", "status": 404}


def test_a_bad_handler_return_is_a_type_error(fake: Any) -> None:
    """A handler returning something other than (status, body[, headers]) raises TypeError in process."""
    import httpx

    fake.on_proxy("slack", "x", lambda _: {"not": "a tuple"})
    fake.user("u1").connect("slack")
    with (
        httpx.Client(transport=fake.transport(), base_url="http://x") as client,
        pytest.raises(TypeError, match="proxy handler"),
    ):
        client.get(
            f"/projects/{fake.project_id}/sdk/proxy/slack/x",
            headers={"Authorization": f"Bearer {fake.sign_user_token('u1')}"},
        )


def test_a_raising_handler_is_500_over_http(fake: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Over loopback a handler that raises becomes a JSON 500 (and its traceback goes to stderr)."""
    import httpx

    def broken(_: ProxyRequest) -> tuple[int, Any]:
        raise RuntimeError("handler bug")

    fake.on_proxy("slack", "x", broken)
    fake.user("u1").connect("slack")
    with fake.serve() as server, httpx.Client(base_url=server.url) as client:
        response = client.get(
            f"/projects/{fake.project_id}/sdk/proxy/slack/x",
            headers={"Authorization": f"Bearer {fake.sign_user_token('u1')}"},
        )
    assert response.status_code == 500
    assert response.json() == {"message": "FakeParagon: a registered handler raised; see stderr.", "status": 500}
    assert "handler bug" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "content_type", "seen"),
    [
        (b'{"text": "hi"}', "auto", "application/json"),
        (b'{"text": "hi"}', "AUTO", "application/json"),
        (b"plain words", "auto", None),
        (b"", "auto", None),
        (b"a=1", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
    ],
)
def test_the_js_sdks_auto_content_type_is_inferred(
    api: Api, content: bytes, content_type: str, seen: str | None
) -> None:
    """The JS SDK sends proxy calls with ``Content-Type: auto`` ("infer it"): the provider gets
    ``application/json`` for a JSON body and no Content-Type otherwise; any real type passes through."""
    received: list[ProxyRequest] = []

    def handler(request: ProxyRequest) -> tuple[int, Any]:
        received.append(request)
        return 200, {}

    api.fake.on_proxy("slack", "files.upload", handler)
    api.fake.user("u1").connect("slack")
    response = api.call(
        "POST", "/sdk/proxy/slack/files.upload", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == 200
    (request,) = received
    assert request.headers.get("content-type") == seen
    assert request.body == content
