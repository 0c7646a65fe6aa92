"""Hostile input at the client level: rejected before any I/O, and the token only ever sent to configured hosts.

tests/test_validation.py tables the validators themselves; this file drives the public session methods through
the sync/async harness and checks that every parameter is wired to its validator:
each row raises ``InvalidRequestError`` (a ``ValueError``) with **0 requests sent**.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    APIStatusError,
    AsyncWatcher,
    ConnectLink,
    InvalidRequestError,
    ParagonError,
    UserTokenError,
)

from tests.support import PROJECT_ID, SESSION_METHODS, Harness, MakeHarness, SessionCall, json_response, unchecked

DOT = "is a dot-segment once decoded"
DOT_INSIDE = "contains a dot-segment once decoded and split at its encoded '/' or '\\'"
SCHEME = "must not contain ':' in its first segment"
BLANK = "path must not be blank"
CONTROL = "must not contain control characters"
QUERY = "pass query parameters with params="
NOT_STR = "path must be a str, not"
METHOD = "method must be one of DELETE, GET, PATCH, POST, PUT"
SLASH = "must not contain '/' (it would change the URL path)"
RESERVED = "the client sets it itself"
JSON = "must be JSON-serialisable"
NOT_DICT = "must be a dict with str keys"

# (row id, the session call, a fragment of the message)
Row = tuple[str, SessionCall, str]


def _path(case: str, path: object, fragment: str) -> Row:
    return (f"path {case}", lambda s: s.request("slack", unchecked(path)), fragment)


HOSTILE: list[Row] = [
    # Proxy paths: a representative 25 (tests/test_validation.py tables the path validator with all of them)
    _path("..", "..", DOT),
    _path("../x", "../x", DOT),
    _path("a/../../b", "a/../../b", DOT),
    _path(".", ".", DOT),
    _path("a/./b", "a/./b", DOT),
    _path("%2e%2e", "%2e%2e", DOT),
    _path("%2E%2e/x", "%2E%2e/x", DOT),
    _path("double-encoded dots", "a/%252e%252e/b", DOT),
    _path("fullwidth dots", "\uff0e\uff0e/admin", DOT),
    _path("..;/ (Tomcat)", "a/..;/b", DOT),
    _path("..%2f", "..%2f", DOT_INSIDE),
    _path("a%2F..%2Fb", "a%2F..%2Fb", DOT_INSIDE),
    _path("%2e%2e%2fadmin", "%2e%2e%2fadmin", DOT_INSIDE),
    _path("double-encoded dots and slash", "x/%252e%252e%252Fy", DOT_INSIDE),
    _path("a%2F%2E%2E", "a%2F%2E%2E", DOT_INSIDE),
    _path("..%5Cx", "..%5Cx", DOT_INSIDE),
    _path("encoded backslash", "a%5Cb", "contains an encoded '\\' (such as %5C)"),
    _path("leading %2F%2F", "%2F%2Fevil.com%2Fx", "has an encoded '/' (%2F) at its start or end"),
    _path("//evil.com/x", "//evil.com/x", "must not start with '//'"),
    _path("https://evil.com", "https://evil.com", SCHEME),
    _path("HTTPS://evil.com", "HTTPS://evil.com", SCHEME),
    _path("http:evil", "http:evil", SCHEME),
    _path("javascript:", "javascript:alert(1)", SCHEME),
    _path("file:///etc/passwd", "file:///etc/passwd", SCHEME),
    _path("evil.com:443/x", "evil.com:443/x", SCHEME),
    _path("backslashes", "a\\..\\b", "must not contain backslashes"),
    _path("query", "x?admin=1", QUERY),
    _path("fragment", "x#f", QUERY),
    _path("CR/LF", "a\r\nHost: evil.com", CONTROL),
    _path("TAB", "a\tb", CONTROL),
    _path("NUL", "a\x00b", CONTROL),
    _path("10 kB", "x" * 10_000, "path must be at most 2048 characters"),
    _path("empty", "", "path must not be empty"),
    _path("blank", " ", BLANK),
    _path("blank after /", "/   ", BLANK),
    _path("no-break space", "\u00a0", BLANK),
    _path("encoded blank", "%20", BLANK),
    _path("int", 42, NOT_STR),
    _path("None", None, NOT_STR),
    _path("bytes", b"chat.postMessage", NOT_STR),
    # Integration types
    ("integration ..", lambda s: s.request("..", "x"), "integration must be an integration type"),
    ("integration a/b", lambda s: s.request("a/b", "x"), f"integration {SLASH}"),
    ("integration https://evil", lambda s: s.request("https://evil", "x"), "integration must not contain ':'"),
    ("integration empty", lambda s: s.request("", "x"), "integration must be a non-empty string"),
    ("integration None", lambda s: s.request(unchecked(None), "x"), "integration must be a str, not NoneType"),
    ("uninstall integration ../x", lambda s: s.uninstall_integration("../x"), f"integration {SLASH}"),
    ("uninstall integration empty", lambda s: s.uninstall_integration(""), "integration must be a non-empty string"),
    ("actions integration ../x", lambda s: s.list_actions(integrations=["../x"]), f"integration {SLASH}"),
    # Workflow ids: "", " ", ".", "..", "%2e", "a/b", "a?b", "a\nb"
    ("workflow_id empty", lambda s: s.workflow(""), "workflow_id must be a non-empty string"),
    ("workflow_id blank", lambda s: s.workflow(" "), "workflow_id must not be blank"),
    ("workflow_id .", lambda s: s.workflow("."), "workflow_id must not be '.'"),
    ("workflow_id ..", lambda s: s.workflow(".."), "workflow_id must not be '..'"),
    ("workflow_id %2e", lambda s: s.workflow("%2e"), "workflow_id must not contain '%'"),
    ("workflow_id a/b", lambda s: s.workflow("a/b"), f"workflow_id {SLASH}"),
    ("workflow_id a?b", lambda s: s.workflow("a?b"), "workflow_id must not contain '?'"),
    ("workflow_id a\\nb", lambda s: s.workflow("a\nb"), "workflow_id must not contain whitespace or control"),
    ("workflow_id None", lambda s: s.workflow(unchecked(None)), "workflow_id must be a str, not NoneType"),
    ("disable workflow_id ../x", lambda s: s.disable_workflow("../x"), f"workflow_id {SLASH}"),
    ("enable workflow_id a#b", lambda s: s.enable_workflow("a#b"), "workflow_id must not contain '#'"),
    # Credential ids, as a path id and as the X-Paragon-Credential header
    ("credential path id ../other", lambda s: s.get_credential("../other"), f"credential_id {SLASH}"),
    ("credential path id empty", lambda s: s.get_credential(""), "credential_id must be a non-empty string"),
    ("credential path id ..", lambda s: s.get_credential(".."), "credential_id must not be '..'"),
    (
        "credential header CR/LF",
        lambda s: s.request("slack", "x", credential_id="c\r\nX-Evil: 1"),
        "credential_id must not contain control characters",
    ),
    ("credential header LF (event)", lambda s: s.event("E", {}, credential_id="c\n"), "credential_id must not contain"),
    (
        "credential header int",
        lambda s: s.workflow("wf", credential_id=unchecked(5)),
        "credential_id must be a str, not int",
    ),
    ("configuration without credential", lambda s: s.event("E", {}, configuration_id="cfg"), "needs credential_id"),
    # Proxy methods
    ("method TRACE", lambda s: s.request("slack", "x", method=unchecked("TRACE")), f"{METHOD}, got 'TRACE'"),
    ("method CONNECT", lambda s: s.request("slack", "x", method=unchecked("CONNECT")), f"{METHOD}, got 'CONNECT'"),
    ("method get CR/LF", lambda s: s.request("slack", "x", method=unchecked("get\r\n")), f"{METHOD}, got 'get\\r\\n'"),
    ("method int", lambda s: s.request("slack", "x", method=unchecked(1)), f"{METHOD}, got int"),
    ("method huge int", lambda s: s.request("slack", "x", method=unchecked(10**5000)), f"{METHOD}, got int"),
    ("method 10 kB", lambda s: s.request("slack", "x", method=unchecked("G" * 10_000)), f"{METHOD}, got 'GGGG"),
    # Headers that would override the client's own, or split the request
    ("header Authorization", lambda s: s.request("slack", "x", headers={"Authorization": "Bearer x"}), RESERVED),
    ("header authorization", lambda s: s.request("slack", "x", headers={"authorization": "Bearer x"}), RESERVED),
    ("header X-Paragon-Credential", lambda s: s.request("slack", "x", headers={"X-Paragon-Credential": "c"}), RESERVED),
    (
        "header x-paragon-use-raw-response",
        lambda s: s.request("s", "x", headers={"x-paragon-use-raw-response": "1"}),
        RESERVED,
    ),
    ("header Host", lambda s: s.request("slack", "x", headers={"Host": "evil.com"}), RESERVED),
    ("header Transfer-Encoding", lambda s: s.request("slack", "x", headers={"Transfer-Encoding": "chunked"}), RESERVED),
    ("workflow header Content-Type", lambda s: s.workflow("wf", headers={"Content-Type": "text/plain"}), RESERVED),
    ("workflow header Authorization", lambda s: s.workflow("wf", headers={"Authorization": "x"}), RESERVED),
    ("header value CR/LF", lambda s: s.request("slack", "x", headers={"X-A": "v\r\nInjected: 1"}), CONTROL),
    ("header value LF", lambda s: s.request("slack", "x", headers={"X-A": "v\n"}), CONTROL),
    ("workflow header value CR", lambda s: s.workflow("wf", headers={"X-A": "v\rw"}), CONTROL),
    ("header name CR/LF", lambda s: s.request("slack", "x", headers={"X-A\r\nB": "v"}), "not a valid HTTP header name"),
    (
        "header value int",
        lambda s: s.request("slack", "x", headers=unchecked({"X-A": 1})),
        "headers['X-A'] must be a str, not int",
    ),
    # Bodies that are not JSON
    ("body set", lambda s: s.request("slack", "x", method="POST", body={1, 2}), f"body {JSON}"),
    ("body NaN", lambda s: s.request("slack", "x", method="POST", body={"a": float("nan")}), "finite number, not nan"),
    ("body object()", lambda s: s.request("slack", "x", method="POST", body=object()), f"body {JSON}"),
    ("body int key", lambda s: s.request("slack", "x", method="POST", body={1: "a"}), "JSON object keys must be str"),
    ("body on GET", lambda s: s.request("slack", "x", method="GET", body={"a": 1}), "a GET request cannot have a body"),
    ("workflow body inf", lambda s: s.workflow("wf", body={"a": float("inf")}), "finite number, not inf"),
    ("workflow body list", lambda s: s.workflow("wf", body=unchecked([1])), f"body {NOT_DICT}"),
    # Query parameters
    ("params None", lambda s: s.request("slack", "x", params={"a": None}), "params['a'] is None"),
    ("params NaN", lambda s: s.request("slack", "x", params={"a": float("nan")}), "finite number, not nan"),
    ("params empty key", lambda s: s.request("slack", "x", params={"": "v"}), "params keys must not be empty"),
    ("workflow query None", lambda s: s.workflow("wf", query={"a": None}), "query['a'] is None"),
    # App Events
    ("event name empty", lambda s: s.event("", {}), "event name must be a non-empty str"),
    ("event name blank", lambda s: s.event("  ", {}), "event name must be a non-empty str"),
    ("event name None", lambda s: s.event(unchecked(None), {}), "event name must be a non-empty str"),
    ("event name 10 kB blank", lambda s: s.event(" " * 10_000, {}), "event name must be a non-empty str, got '    "),
    ("event payload list", lambda s: s.event("E", unchecked([1])), f"payload {NOT_DICT}, got list"),
    ("event payload str", lambda s: s.event("E", unchecked("x")), f"payload {NOT_DICT}, got str"),
    ("event payload None", lambda s: s.event("E", unchecked(None)), f"payload {NOT_DICT}, got NoneType"),
    ("event payload NaN", lambda s: s.event("E", {"a": float("nan")}), 'body["payload"]["a"] must be a finite number'),
    # User metadata
    ("metadata list", lambda s: s.set_user_metadata(unchecked([("a", 1)])), f"metadata {NOT_DICT}, got list"),
    ("metadata str", lambda s: s.set_user_metadata(unchecked("x")), f"metadata {NOT_DICT}, got str"),
    ("metadata empty key", lambda s: s.set_user_metadata({"": 1}), "metadata keys must be non-empty strings"),
    ("metadata object()", lambda s: s.set_user_metadata({"a": object()}), f'body["meta"]["a"] {JSON}'),
    # ActionKit
    ("action empty", lambda s: s.run_action(""), "action must be a non-empty str"),
    ("action 10 kB blank", lambda s: s.run_action("\n" * 10_000), "action must be a non-empty str, got '\\n\\n"),
    ("action parameters list", lambda s: s.run_action("A", unchecked([1])), f"parameters {NOT_DICT}, got list"),
    ("actions format", lambda s: s.list_actions(format=unchecked("xml")), "format must be 'json_schema' or 'paragon'"),
    ("actions integrations str", lambda s: s.list_actions(integrations=unchecked("slack")), "must be a list of str"),
    ("actions integrations empty", lambda s: s.list_actions(integrations=[]), "must name at least one"),
    ("actions category slash", lambda s: s.list_actions(categories=["a/b"]), f"category {SLASH}"),
    ("actions reload str", lambda s: s.list_actions(reload_fields=unchecked("false")), "reload_fields must be True"),
    ("tools limit str", lambda s: s.agent_tools(limit_to_available=unchecked(0)), "limit_to_available must be True"),
    ("tools credential CR", lambda s: s.agent_tools(credential_id="a\r\nb"), f"credential_id {CONTROL}"),
    # ActionKit Triggers
    ("subscribe integration", lambda s: s.subscribe_to_trigger("sales force", "T"), "integration"),
    ("subscribe type blank", lambda s: s.subscribe_to_trigger("slack", " "), "type must be a non-empty str"),
    ("subscribe type LF", lambda s: s.subscribe_to_trigger("slack", "T\nX"), "type must not contain"),
    ("subscribe parameters", lambda s: s.subscribe_to_trigger("slack", "T", unchecked([1])), f"parameters {NOT_DICT}"),
    (
        "subscribe override ftp",
        lambda s: s.subscribe_to_trigger("slack", "T", webhook_override={"url": "ftp://x.example"}),
        "must be an absolute http(s) URL",
    ),
    (
        "subscribe override userinfo",
        lambda s: s.subscribe_to_trigger("slack", "T", webhook_override={"url": "https://u:p@x.example"}),
        "must not carry credentials",
    ),
    (
        "subscribe override key",
        lambda s: s.subscribe_to_trigger("slack", "T", webhook_override={"url": "https://x.example", "uri": "y"}),
        "unknown keys ['uri']",
    ),
    (
        "subscribe override header CR",
        lambda s: s.subscribe_to_trigger(
            "slack", "T", webhook_override={"url": "https://x.example", "headers": {"A": "b\r\nc"}}
        ),
        CONTROL,
    ),
    ("subscribe credential CR", lambda s: s.subscribe_to_trigger("slack", "T", credential_id="a\nb"), CONTROL),
    ("update id slash", lambda s: s.update_trigger_subscription("a/b", parameters={}), f"subscription_id {SLASH}"),
    ("update parameters", lambda s: s.update_trigger_subscription("s", parameters=unchecked(1)), NOT_DICT),
    ("update override", lambda s: s.update_trigger_subscription("s", webhook_override=unchecked("x")), NOT_DICT),
    ("unsubscribe id empty", lambda s: s.unsubscribe_from_trigger(""), "subscription_id must be a non-empty string"),
    ("subscriptions status", lambda s: s.list_trigger_subscriptions(status=unchecked("ON")), "status must be"),
    ("subscriptions type", lambda s: s.list_trigger_subscriptions(trigger_type=""), "type must be a non-empty str"),
    ("example integration", lambda s: s.get_trigger_example_payload("../x", "T"), f"integration {SLASH}"),
    ("example parameters", lambda s: s.get_trigger_example_payload("slack", "T", unchecked(1)), NOT_DICT),
    # Managed Sync
    ("sync integration ../x", lambda s: s.enable_sync("../x", "files"), f"integration {SLASH}"),
    ("sync pipeline blank", lambda s: s.enable_sync("googledrive", " "), "pipeline must be non-blank printable"),
    ("sync pipeline LF", lambda s: s.enable_sync("googledrive", "files\n"), "pipeline must be non-blank printable"),
    ("sync configuration list", lambda s: s.enable_sync("box", "files", configuration=unchecked([1])), NOT_DICT),
    ("sync configuration NaN", lambda s: s.enable_sync("box", "files", configuration={"a": float("nan")}), "finite"),
    ("sync credential int", lambda s: s.enable_sync("box", "files", credential_id=unchecked(1)), "must be a str"),
    ("sync id ../x", lambda s: s.get_sync("../x"), f"sync_id {SLASH}"),
    ("sync id empty", lambda s: s.delete_sync(""), "sync_id must be a non-empty string"),
    ("sync id ?", lambda s: s.disable_sync("a?b"), "sync_id must not contain '?'"),
    ("sync id %2e", lambda s: s.reenable_sync("%2e"), "sync_id must not contain '%'"),
    ("update sync credential blank", lambda s: s.update_sync("s", credential_id=" "), "credential_id must be"),
    ("records cursor empty", lambda s: s.pull_synced_records("s", cursor=""), "cursor must be non-blank"),
    ("records page_size 0", lambda s: s.pull_synced_records("s", page_size=0), "page_size must be an int >= 1"),
    ("records page_size bool", lambda s: s.pull_synced_records("s", page_size=unchecked(True)), "page_size"),
    ("records iter page_size", lambda s: s.iter_synced_records("s", page_size=unchecked("5")), "page_size"),
    ("records iter sync id", lambda s: s.iter_synced_records(".."), "sync_id must not be '..'"),
    ("record id a/b", lambda s: s.get_synced_record("s", "a/b"), f"record_id {SLASH}"),
    ("download record id ..", lambda s: s.download_synced_file("s", ".."), "record_id must not be '..'"),
    ("access role", lambda s: s.check_access("s", "o", "a@x.co", role=unchecked("admin")), "role must be one of"),
    ("access user blank", lambda s: s.check_access("s", "o", "  "), "user must be non-blank"),
    ("access object None", lambda s: s.check_access("s", unchecked(None), "a@x.co"), "object_id must be a str"),
    ("batch checks empty", lambda s: s.batch_check_access("s", []), "checks must be a non-empty list"),
    ("batch checks dict", lambda s: s.batch_check_access("s", unchecked({"object": "o"})), "non-empty list"),
    ("batch check key", lambda s: s.batch_check_access("s", [{"object": "o", "user": "u", "x": "1"}]), "unknown keys"),
    ("batch check role", lambda s: s.batch_check_access("s", [{"object": "o", "user": "u", "role": "r"}]), "role"),
    ("batch check user", lambda s: s.batch_check_access("s", [{"object": "o"}]), "checks[0]['user'] must be a str"),
    ("users role", lambda s: s.list_users_with_access("s", "o", role=unchecked("")), "role must be one of"),
    ("objects type", lambda s: s.list_objects_with_access("s", "u", object_type=unchecked("drive")), "object_type"),
]


def _never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent, got {request.method} {request.url}")


@pytest.fixture(scope="module")
def idle_harnesses(rsa_pem: str) -> Iterator[dict[str, Harness]]:
    """One client per flavour for the tables that must never send anything (building a client loads the RSA key,
    which costs more than the checks themselves)."""
    made = {flavor: Harness(flavor, _never_called, rsa_pem) for flavor in ("sync", "async")}
    yield made
    for harness in made.values():
        harness.close()


@pytest.fixture
def idle(idle_harnesses: dict[str, Harness], flavor: str) -> Iterator[Harness]:
    """The shared client of this test's flavour; whatever a failing test sent is forgotten afterwards."""
    harness = idle_harnesses[flavor]
    yield harness
    harness.requests.clear()


@pytest.mark.parametrize(("call", "fragment"), [row[1:] for row in HOSTILE], ids=[row[0] for row in HOSTILE])
def test_hostile_input_is_rejected_before_any_request(call: SessionCall, fragment: str, idle: Harness) -> None:
    """Each row raises InvalidRequestError (a ValueError) naming the parameter, with 0 requests sent; the message
    is one bounded, printable line."""
    harness = idle
    with pytest.raises(InvalidRequestError) as caught:
        harness.run(call(harness.session))
    error = caught.value
    assert isinstance(error, ValueError)
    assert fragment in str(error)
    assert str(error).isprintable(), "a raw control character reached the message"
    assert len(str(error)) < 500, "caller input must be echoed bounded"
    assert harness.requests == []


@pytest.mark.parametrize(
    ("path", "wire"),
    [
        ("projects/group%2Fproject", "projects/group%2Fproject"),
        ("/projects/group%2fsub%2Fproject/issues", "projects/group%2fsub%2Fproject/issues"),
        ("projects/my group%2Fapp/issues", "projects/my%20group%2Fapp/issues"),
    ],
)
def test_an_encoded_slash_reaches_the_wire_as_written(path: str, wire: str, make_harness: MakeHarness) -> None:
    """GitLab names a namespaced project ``group%2Fproject``: exactly one request is sent, and its raw target
    keeps the ``%2F`` as written (never decoded into a '/', never encoded again as ``%252F``)."""
    harness = make_harness(lambda request: json_response(200, {"output": {"ok": True}}))
    assert harness.run(harness.session.request("gitlab", path)) == {"ok": True}
    (request,) = harness.requests
    assert request.url.raw_path == f"/projects/{PROJECT_ID}/sdk/proxy/gitlab/{wire}".encode("ascii")
    assert request.url.host == "proxy.useparagon.com"


# ---------------------------------------------------------------------------------------------------------------------
# Token host pinning: the bearer token only goes to the configured hosts

INTEGRATION = {
    "id": "int-1",
    "type": "salesforce",
    "isActive": True,
    "configs": [],
    "workflows": [{"id": "wf-1", "integrationId": "int-1", "customWebhookTriggerId": "hook-1"}],
    "hasCredential": True,
}
CREDENTIAL = {
    "id": "cred-1",
    "status": "VALID",
    "integrationId": "int-1",
    "configurations": [
        {"id": "cfg-1", "isDefault": True, "sharedSettings": {}, "workflowSettings": {"wf-1": {"enabled": True}}},
        {"id": "cfg-2", "isDefault": False, "externalId": "ws-1", "dateCreated": "2026-01-01T00:00:00Z"},
    ],
}
USER = {
    "authenticated": True,
    "userId": "user-123",
    "integrations": {"salesforce": {"enabled": True, "credentialId": "cred-1", "allCredentials": [CREDENTIAL]}},
}
API_KEY_INTEGRATION = {**INTEGRATION, "id": "int-2", "type": "pipedrive", "hasCredential": False,
                       "authenticationType": "basic"}  # fmt: skip
OAUTH_INTEGRATION = {**INTEGRATION, "id": "int-3", "type": "hubspot", "authenticationType": "oauth"}
SUBSCRIPTION = {"id": "sub-1", "type": "T", "parameters": {}, "status": "ACTIVE"}
LINK = ConnectLink(url="https://consent.example/x", integration="hubspot", integration_id="int-3", session_key="k-1")


def _paragon(request: httpx.Request) -> httpx.Response:
    """A plausible success for every route of every service."""
    path, method = request.url.path, request.method
    base = f"/projects/{PROJECT_ID}"
    if "/sdk/proxy/" in path:
        return json_response(200, {"output": {"ok": True}})
    if path == f"{base}/actions":
        return json_response(200, {"actions": {}} if method == "GET" else {"ok": True})
    if path == f"{base}/triggers":
        return json_response(200, {"triggers": {"salesforce": []}})
    if path == f"{base}/triggers/examples":
        return json_response(200, [{"Id": "006"}])
    if path.startswith("/api/"):
        return json_response(200, _managed_sync_answer(method, path))
    if path.startswith(f"{base}/trigger-subscriptions"):
        if method == "GET":
            return json_response(200, {"triggers": {"salesforce": [SUBSCRIPTION]}})
        return json_response(200, {"success": True} if method == "DELETE" else SUBSCRIPTION)
    routes: dict[tuple[str, str], Any] = {
        ("GET", "/sdk/me"): USER,
        ("PATCH", "/sdk/me"): USER,
        ("GET", "/sdk/metadata"): [],
        ("GET", "/sdk/integrations"): [INTEGRATION, API_KEY_INTEGRATION, OAUTH_INTEGRATION],
        ("POST", "/sdk/credentials"): {"id": "cred-1", "status": "VALID"},
        ("GET", "/sdk/actions/session-id/k-1"): {"connectCredentialId": "cred-1"},
        ("DELETE", "/sdk/actions/session-id/k-1"): {},
        ("DELETE", "/sdk/integrations/int-1"): {},
        ("GET", "/sdk/credentials"): INTEGRATION if "integration" in request.url.params else [],
        ("GET", "/sdk/credentials/cred-1"): CREDENTIAL,
        ("PATCH", "/sdk/credentials/cred-1"): {**CREDENTIAL, "meta": {}},
        ("POST", "/sdk/credentials/cred-1/configurations"): CREDENTIAL,
        ("PATCH", "/sdk/credentials/cred-1/configurations"): CREDENTIAL,
        ("DELETE", "/sdk/credentials/cred-1/configurations"): {},
        ("POST", "/sdk/actions"): {"output": [{"label": "Account", "value": "acc"}]},
        ("POST", "/sdk/events/trigger"): {},
        ("POST", "/sdk/triggers/wf-1"): {"ok": True},
        ("POST", "/sdk/workflows/wf-1"): {},
        ("DELETE", "/sdk/workflows/wf-1"): {},
    }
    if path == f"/v2{base}/sdk/actions/build-oauth":
        return json_response(200, {"redirectUrl": "https://consent.example/authorize"})
    body = routes.get((method, path.removeprefix(base)))
    if body is None:
        return json_response(404, {"message": f"no route {method} {path}"})
    return json_response(200, body)


SYNC = {"id": "sync-1", "integration": "googledrive", "pipeline": "files", "status": "IDLE"}
RECORDS = {"data": [{"id": "rec-1"}], "paging": {"remainingRecords": 0, "cursor": "c1"}}


def _managed_sync_answer(method: str, path: str) -> Any:
    """A plausible answer for every path of Managed Sync's host (``/api/syncs…``, ``/api/permissions/…``)."""
    answers: dict[str, Any] = {
        "check": {"hasAccess": True},
        "batch-check": {"result": [{"allowed": True}]},
        "list-users": {"users": ["a@x.co"]},
        "list-objects": {"objects": ["rec-1"]},
        "records": RECORDS,
        "rec-1": {"data": {"id": "rec-1"}},
        "content": {},
    }
    last = path.rstrip("/").rpartition("/")[2]
    if last in answers:
        return answers[last]
    if path == "/api/syncs":
        return {"data": [SYNC]} if method == "GET" else SYNC
    return {"status": "IDLE"} if method == "GET" else {"id": "sync-1"}


def _complete(harness: Harness, value: Any) -> None:
    """Finish a session call: await it, or enter and leave it when it is a (sync or async) context manager, as
    ``stream()`` returns; its request is sent on entry."""
    if inspect.isawaitable(value):
        value = harness.run(value)
        if isinstance(value, AsyncWatcher):
            harness.run(value.stop())
    elif hasattr(value, "__aenter__"):

        async def enter_and_leave() -> None:
            async with value:
                pass

        harness.run(enter_and_leave())
    elif hasattr(value, "__enter__"):
        with value:
            pass
    else:
        harness.run(value)


# (session method, the call, the services its requests go to, in order)
EVERY_CALL: list[tuple[str, SessionCall, list[str]]] = [
    ("get_user", lambda s: s.get_user(), ["api"]),
    ("set_user_metadata", lambda s: s.set_user_metadata({"Email": "a@b.co"}), ["api"]),
    ("get_integration_metadata", lambda s: s.get_integration_metadata(), ["api"]),
    ("get_integrations", lambda s: s.get_integrations(), ["api"]),
    ("get_credentials", lambda s: s.get_credentials(), ["api"]),
    ("get_credential", lambda s: s.get_credential("cred-1"), ["api"]),
    ("event", lambda s: s.event("Contact Created", {"email": "a@b.co"}, credential_id="cred-1"), ["api"]),
    ("workflow", lambda s: s.workflow("wf-1", body={"a": 1}, query={"q": "1"}, headers={"X-A": "b"}), ["api"]),
    ("request", lambda s: s.request("slack", "chat.postMessage", method="POST", body={"text": "hi"}), ["proxy"]),
    ("request", lambda s: s.request("slack", "files/1", raw=True, params={"q": "x"}), ["proxy"]),
    ("stream", lambda s: s.stream("googledrive", "files/1", params={"alt": "media"}), ["proxy"]),
    ("uninstall_integration", lambda s: s.uninstall_integration("salesforce"), ["api", "api"]),
    ("enable_workflow", lambda s: s.enable_workflow("wf-1"), ["api", "api"]),
    ("disable_workflow", lambda s: s.disable_workflow("wf-1"), ["api", "api"]),
    ("list_actions", lambda s: s.list_actions(integrations=["salesforce"]), ["actionkit"]),
    ("run_action", lambda s: s.run_action("SALESFORCE_CREATE_RECORD", {"a": 1}), ["actionkit"]),
    ("install_integration", lambda s: s.install_integration("pipedrive", credentials={"apiKey": "k"}), ["api", "api"]),
    ("complete_install", lambda s: s.complete_install("salesforce", "code-1"), ["api", "api"]),
    (
        "start_connect",
        lambda s: s.start_connect("hubspot", redirect_url="https://app.example.com/done"),
        ["api", "api"],
    ),
    ("wait_for_connection", lambda s: s.wait_for_connection(LINK, interval=0.01), ["api", "api", "api"]),
    ("watch", lambda s: s.watch(interval=3600), ["api", "api"]),
    (
        "request",
        lambda s: s.request("salesforce", url="https://login.salesforce.com/services/oauth2/userinfo"),
        ["proxy"],
    ),
    ("stream", lambda s: s.stream("salesforce", url="https://files.example.com/f/1"), ["proxy"]),
    ("update_workflow_state", lambda s: s.update_workflow_state({"wf-1": True, "wf-2": False}), ["api"] * 4),
    (
        "update_integration_user_settings",
        lambda s: s.update_integration_user_settings("salesforce", {"a": 1}),
        ["api", "api"],
    ),
    (
        "update_workflow_user_settings",
        lambda s: s.update_workflow_user_settings("salesforce", "wf-1", {"a": 1}),
        ["api", "api"],
    ),
    ("create_configuration", lambda s: s.create_configuration("cred-1", external_id="ws-1"), ["api"]),
    ("update_configuration", lambda s: s.update_configuration("cfg-2", {"a": 1}, credential_id="cred-1"), ["api"]),
    ("destroy_configuration", lambda s: s.destroy_configuration("cfg-2", credential_id="cred-1"), ["api", "api"]),
    ("get_integration_account", lambda s: s.get_integration_account("salesforce", include_account_auth=True), ["api"]),
    ("get_field_options", lambda s: s.get_field_options("salesforce", action="accounts"), ["api"]),
    ("iter_field_options", lambda s: _all_pages(s.iter_field_options("salesforce", action="accounts")), ["api"]),
    ("get_triggers", lambda s: s.get_triggers("salesforce"), ["api", "actionkit"]),
    ("agent_tools", lambda s: s.agent_tools(integrations=["salesforce"]), ["actionkit"]),
    ("list_trigger_subscriptions", lambda s: s.list_trigger_subscriptions(status="ACTIVE"), ["actionkit"]),
    ("subscribe_to_trigger", lambda s: s.subscribe_to_trigger("salesforce", "T", {"a": 1}), ["actionkit"]),
    ("update_trigger_subscription", lambda s: s.update_trigger_subscription("sub-1", parameters={}), ["actionkit"]),
    ("unsubscribe_from_trigger", lambda s: s.unsubscribe_from_trigger("sub-1"), ["actionkit"]),
    ("get_trigger_example_payload", lambda s: s.get_trigger_example_payload("salesforce", "T"), ["actionkit"]),
    ("get_custom_webhook_user_manual_url", lambda s: s.get_custom_webhook_user_manual_url("wf-1"), ["api", "api"]),
    ("enable_sync", lambda s: s.enable_sync("googledrive", "files", configuration={"folderId": "F"}), ["sync"]),
    ("list_syncs", lambda s: s.list_syncs(credential_id="cred-1"), ["sync"]),
    ("get_sync", lambda s: s.get_sync("sync-1"), ["sync"]),
    ("update_sync", lambda s: s.update_sync("sync-1", credential_id="cred-1"), ["sync"]),
    ("disable_sync", lambda s: s.disable_sync("sync-1"), ["sync"]),
    ("reenable_sync", lambda s: s.reenable_sync("sync-1"), ["sync"]),
    ("delete_sync", lambda s: s.delete_sync("sync-1"), ["sync"]),
    ("pull_synced_records", lambda s: s.pull_synced_records("sync-1", cursor="c0", page_size=10), ["sync"]),
    ("iter_synced_records", lambda s: _all_pages(s.iter_synced_records("sync-1")), ["sync"]),
    ("get_synced_record", lambda s: s.get_synced_record("sync-1", "rec-1"), ["sync"]),
    ("download_synced_file", lambda s: s.download_synced_file("sync-1", "rec-1"), ["sync"]),
    ("check_access", lambda s: s.check_access("sync-1", "rec-1", "a@x.co"), ["sync"]),
    ("batch_check_access", lambda s: s.batch_check_access("sync-1", [{"object": "rec-1", "user": "a@x.co"}]), ["sync"]),
    ("list_users_with_access", lambda s: s.list_users_with_access("sync-1", "rec-1"), ["sync"]),
    ("list_objects_with_access", lambda s: s.list_objects_with_access("sync-1", "a@x.co"), ["sync"]),
]


def _all_pages(pages: Any) -> Any:
    """Every page of a (sync or async) iterator, as a value or an awaitable, for _complete."""
    if hasattr(pages, "__aiter__"):

        async def collect() -> list[Any]:
            return [page async for page in pages]

        return collect()
    return list(pages)


HOSTS: dict[str, dict[str, str]] = {
    "cloud": {},
    "on-prem host": {"host": "paragon.example.com"},
    "service urls": {
        "api_url": "https://api.internal.example:8443",
        "proxy_url": "https://proxy.internal.example",
        "actionkit_url": "http://actionkit.internal.example:8080",
        "sync_url": "https://sync.internal.example:9443",
    },
}


def test_every_public_session_method_is_in_the_host_table() -> None:
    """Adding a session method without a host-pinning row fails here."""
    assert SESSION_METHODS - {"subscribe"} == {row[0] for row in EVERY_CALL}


@pytest.mark.parametrize("hosts", list(HOSTS))
def test_the_token_only_goes_to_the_configured_hosts(hosts: str, make_harness: MakeHarness) -> None:
    """Every public session method: 100% of requests go to the configured service origin (scheme, host and port)
    and carry the session's bearer token; nothing else is contacted."""
    harness = make_harness(_paragon, **HOSTS[hosts])
    harness.client.subscribe("onWorkflowChange", lambda event, user: None)  # enable/disable look up the integration
    urls = harness.client.urls
    origins = {service: httpx.URL(getattr(urls, service)) for service in ("api", "proxy", "actionkit", "sync")}
    for method, call, services in EVERY_CALL:
        before = len(harness.requests)
        _complete(harness, call(harness.session))
        sent = harness.requests[before:]
        assert len(sent) == len(services), method
        for request, service in zip(sent, services, strict=True):
            origin = origins[service]
            assert (request.url.scheme, request.url.host, request.url.port) == (
                origin.scheme,
                origin.host,
                origin.port,
            ), method
            # Managed Sync's paths name no project: the token's aud does.
            prefixes = ("/api/",) if service == "sync" else (f"/projects/{PROJECT_ID}/", f"/v2/projects/{PROJECT_ID}/")
            assert request.url.path.startswith(prefixes), method
    tokens = {request.headers["authorization"] for request in harness.requests}
    (token,) = tokens
    assert token.startswith("Bearer ey")
    claims = jwt.decode(token.removeprefix("Bearer "), options={"verify_signature": False})
    assert claims["sub"] == "user-123"
    assert len(harness.requests) == sum(len(row[2]) for row in EVERY_CALL)


REDIRECT_TARGETS = [
    "https://evil.example/steal",
    "//evil.example/steal",
    "http://api.useparagon.com/projects/x/sdk/me",
    "/projects/other/sdk/me",
]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_never_followed(status: int, make_harness: MakeHarness) -> None:
    """Any 3xx, to any target (another host, scheme-relative, plain http, same host): a typed error after exactly
    one request each; the token never follows a redirect."""
    target = {"location": ""}
    harness = make_harness(lambda request: httpx.Response(status, headers={"location": target["location"]}))
    for location in REDIRECT_TARGETS:
        target["location"] = location
        before = len(harness.requests)
        with pytest.raises(APIStatusError) as caught:
            harness.run(harness.session.get_user())
        assert caught.value.status_code == status
        assert "unexpected redirect" in str(caught.value)
        (request,) = harness.requests[before:]
        assert request.url.host == "api.useparagon.com"
    assert len(harness.requests) == len(REDIRECT_TARGETS)


# ---------------------------------------------------------------------------------------------------------------------
# authenticate() arguments


def _token(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {"sub": "user-9", "iat": now, "exp": now + 3600, **claims}
    return jwt.encode(payload, key, algorithm="RS256")


@pytest.mark.parametrize(
    ("case", "error", "fragment"),
    [
        ("both user_id and user_token", InvalidRequestError, "not both"),
        ("neither", InvalidRequestError, "pass a user_id (to sign a token) or user_token="),
        ("empty user id", InvalidRequestError, "user_id must not be empty or whitespace"),
        ("blank user id", InvalidRequestError, "user_id must not be empty or whitespace"),
        ("padded user id", InvalidRequestError, "user_id must not have leading or trailing whitespace"),
        ("user id with LF", InvalidRequestError, "user_id must not contain control characters"),
        ("user id not a str", InvalidRequestError, "user_id must be a str, got int"),
        ("ttl zero", InvalidRequestError, "ttl must be between 1 and 86400 seconds, got 0"),
        ("reserved claim", InvalidRequestError, "claims may not override sub"),
        ("ttl with a given token", InvalidRequestError, "apply only when useparagon signs the token"),
        ("expired user token", UserTokenError, "the user token expired at"),
        ("malformed user token", UserTokenError, "the user token is not a JWT"),
        ("empty user token", UserTokenError, "the user token is empty"),
        ("Bearer-prefixed user token", UserTokenError, "without its 'Bearer ' prefix"),
        ("HS256 user token", UserTokenError, "Paragon requires RS256"),
        ("user token without sub", UserTokenError, "sub"),
    ],
)
def test_authenticate_rejects_bad_arguments_before_io(
    case: str,
    error: type[ParagonError],
    fragment: str,
    idle: Harness,
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    """``authenticate`` checks its arguments (and a given token's shape and expiry) when called: the error is
    typed, a ValueError, and no request is ever sent."""
    harness = idle
    valid = _token(rsa_key)
    now = int(time.time())
    calls: dict[str, Callable[[], object]] = {
        "both user_id and user_token": lambda: harness.client.authenticate("user-1", user_token=valid),
        "neither": harness.client.authenticate,
        "empty user id": lambda: harness.client.authenticate(""),
        "blank user id": lambda: harness.client.authenticate("   "),
        "padded user id": lambda: harness.client.authenticate(" user-1 "),
        "user id with LF": lambda: harness.client.authenticate("user\n1"),
        "user id not a str": lambda: harness.client.authenticate(123),  # type: ignore[arg-type]
        "ttl zero": lambda: harness.client.authenticate("user-1", ttl=0),
        "reserved claim": lambda: harness.client.authenticate("user-1", sub="someone-else"),
        "ttl with a given token": lambda: harness.client.authenticate(user_token=valid, ttl=60),
        "expired user token": lambda: harness.client.authenticate(
            user_token=_token(rsa_key, iat=now - 7200, exp=now - 3600)
        ),
        "malformed user token": lambda: harness.client.authenticate(user_token="not-a-jwt"),
        "empty user token": lambda: harness.client.authenticate(user_token=""),
        "Bearer-prefixed user token": lambda: harness.client.authenticate(user_token=f"Bearer {valid}"),
        "HS256 user token": lambda: harness.client.authenticate(
            user_token=jwt.encode({"sub": "u", "exp": now + 60}, "a-shared-secret-of-at-least-32-bytes!", "HS256")
        ),
        "user token without sub": lambda: harness.client.authenticate(
            user_token=jwt.encode({"exp": now + 60}, rsa_key, algorithm="RS256")
        ),
    }
    with pytest.raises(error) as caught:
        calls[case]()
    assert isinstance(caught.value, ValueError)
    assert fragment in str(caught.value)
    assert harness.requests == []


# ---------------------------------------------------------------------------------------------------------------------
# The project API key (Task History) only goes to the API host, and a user token never goes with its calls

API_KEY = "th-key-1"
TASK_HISTORY_LINK = f"https://zeus.useparagon.com/projects/{PROJECT_ID}/task-history/workflow-executions"


def _task_history(request: httpx.Request) -> httpx.Response:
    """Two pages of executions, the first with Paragon's nextLink on zeus.useparagon.com, and the other calls."""
    path = request.url.path
    if path.endswith("/workflow-executions"):
        second = request.url.params.get("offset") == "100"
        link = None if second else f"{TASK_HISTORY_LINK}?status=FAILED&offset=100"
        return json_response(200, {"workflowExecutions": [{"id": f"ex-{int(second)}"}], "nextLink": link, "total": 2})
    if path.endswith("/step-executions/step-1"):
        return json_response(200, {"input": {}, "output": "Error"})
    if path.endswith("/replay"):
        return json_response(201, {"id": "ex-2", "status": "EXECUTING"})
    if path.startswith("/api/"):
        return json_response(200, _managed_sync_answer(request.method, path))
    return json_response(200, {"id": "ex-1", "stepExecutions": []})


TASK_HISTORY_CALLS: list[tuple[Callable[[Any], object], int]] = [
    (lambda c: c.list_workflow_executions(status="FAILED"), 1),
    (lambda c: _all_pages(c.iter_workflow_executions(status="FAILED")), 2),
    (lambda c: c.get_workflow_execution("ex-1"), 1),
    (lambda c: c.get_step_execution("ex-1", "step-1"), 1),
    (lambda c: c.replay_workflow_execution("ex-1"), 1),
]


@pytest.mark.parametrize("hosts", list(HOSTS))
def test_the_api_key_only_goes_to_the_api_host(hosts: str, make_harness: MakeHarness) -> None:
    """Every Task History call, the nextLink that names zeus.useparagon.com included: each request goes to the
    configured API origin with the API key and no user token; the session's calls still carry the user token."""
    harness = make_harness(_task_history, api_key=API_KEY, **HOSTS[hosts])
    origin = httpx.URL(harness.client.urls.api)
    for call, count in TASK_HISTORY_CALLS:
        before = len(harness.requests)
        _complete(harness, call(harness.client))
        assert len(harness.requests) - before == count
    for request in harness.requests:
        assert (request.url.scheme, request.url.host, request.url.port) == (origin.scheme, origin.host, origin.port)
        assert request.url.path.startswith(f"/projects/{PROJECT_ID}/task-history/workflow-executions")
        assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert harness.requests[2].url.params["offset"] == "100"
    before = len(harness.requests)
    harness.run(harness.session.get_sync("sync-1"))
    (sync_request,) = harness.requests[before:]
    assert sync_request.headers["authorization"].startswith("Bearer ey")
    assert API_KEY not in str(sync_request.headers)
