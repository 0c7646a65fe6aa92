"""FakeParagon's Task History and Managed Sync over plain HTTP: their credentials, validation, paging, state, faults.

Each test runs in process and over loopback (the ``api`` fixture); the wrapper's side is in tests/test_task_history.py
and tests/test_managed_sync.py.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from useparagon.testing import FakeParagon, FakeStep

from tests.testing.support import Api

TH = "/task-history/workflow-executions"


def history(api: Api, suffix: str = "", *, key: str | None = None, **kwargs: Any) -> httpx.Response:
    """A Task History request with the fake's API key (or ``key``)."""
    headers = {"Authorization": f"Bearer {api.fake.api_key if key is None else key}"}
    return api.client.request(kwargs.pop("method", "GET"), api.root + TH + suffix, headers=headers, **kwargs)


def sync(api: Api, method: str, path: str, *, user: str = "u1", **claims: Any) -> Any:
    """A Managed Sync request (no project in the path) with ``user``'s token; ``claims`` change the token's."""
    json_body = claims.pop("json", None)
    params = claims.pop("params", None)
    token = api.fake.sign_user_token(user, **claims)
    return api.client.request(method, path, headers={"Authorization": f"Bearer {token}"}, json=json_body, params=params)


# -- Task History -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "needs 'Authorization: Bearer <API key>'"),
        ("Basic abc", "needs 'Authorization: Bearer <API key>'"),
        ("Bearer wrong-key", "the API key is not valid for this project"),
        ("user token", "takes the project's API key, not a user token"),
    ],
)
def test_task_history_takes_the_api_key_only(authorization: str | None, message: str, api: Api) -> None:
    """No key, another scheme, a wrong key or a user token: 401 saying which, never echoing what was sent."""
    if authorization == "user token":
        authorization = f"Bearer {api.fake.sign_user_token('u1')}"
    headers = {} if authorization is None else {"Authorization": authorization}
    response = api.client.get(api.root + TH, headers=headers)
    assert response.status_code == 401
    assert message in response.json()["message"]
    assert "wrong-key" not in response.text
    assert api.fake.api_key not in response.text


def test_the_api_key_does_not_open_the_sdk_api(api: Api) -> None:
    """The API key is no user token: the SDK API refuses it (401)."""
    response = api.client.get(api.root + "/sdk/me", headers={"Authorization": f"Bearer {api.fake.api_key}"})
    assert response.status_code == 401


def test_another_projects_task_history_is_not_found(api: Api) -> None:
    response = api.client.get(f"/projects/other{TH}", headers={"Authorization": f"Bearer {api.fake.api_key}"})
    assert response.status_code == 404
    assert response.json()["message"] == "Project not found."


def test_pages_of_100_with_a_next_link_on_the_requested_host(api: Api) -> None:
    """230 executions: pages of 100, 100 and 30; ``nextLink`` keeps the query, moves the offset, and names the host
    the request was sent to; ``total`` counts them all."""
    workflow = api.fake.workflow_id("slack", "Send Updates to Slack")
    for _ in range(230):
        api.fake.add_workflow_execution("u1", workflow)
    first = history(api, params={"userId": "u1", "sortBy": "ASC"}).json()
    assert (len(first["workflowExecutions"]), first["total"]) == (100, 230)
    link = httpx.URL(first["nextLink"])
    assert link.host == httpx.URL(str(api.client.base_url)).host
    assert link.path == api.root + TH
    assert dict(link.params) == {"userId": "u1", "sortBy": "ASC", "offset": "100"}
    last = history(api, params={"userId": "u1", "sortBy": "ASC", "offset": "200"}).json()
    assert (len(last["workflowExecutions"]), last["nextLink"]) == (30, None)


@pytest.mark.parametrize(
    ("params", "prop"),
    [
        ({"limit": "5"}, "limit"),
        ({"status": "RUNNING"}, "status"),
        ({"afterDate": "yesterday"}, "afterDate"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "1.5"}, "offset"),
        ({"sortBy": "asc"}, "sortBy"),
        ({"userId": ""}, "userId"),
    ],
)
def test_a_bad_query_is_a_400(params: dict[str, str], prop: str, api: Api) -> None:
    """An unknown parameter, a status outside the four, a date that is not ISO 8601, a bad offset or order, an empty
    filter: 400 in class-validator's shape, naming the parameter."""
    response = history(api, params=params)
    assert response.status_code == 400
    assert response.json()["message"][0]["property"] == prop


def test_workflow_runs_become_executions(api: Api) -> None:
    """A request trigger and an App Event the fake runs appear in Task History as SUCCEEDED executions with their
    trigger step, and stay there after ``clear_logs`` (Task History is Paragon's state, not a test log)."""
    fake = api.fake
    request_workflow = fake.workflow_id("slack", "Send Updates to Slack")
    event_workflow = fake.workflow_id("salesforce", "Sync Contacts to Salesforce")
    fake.user("u1").connect("slack").connect("salesforce").enable_workflow(request_workflow)
    fake.user("u1").enable_workflow(event_workflow)
    assert api.call("POST", f"/sdk/triggers/{request_workflow}", json={"a": 1}).status_code == 202
    assert api.call("POST", "/sdk/events/trigger", json={"name": "Contact Created", "payload": {}}).status_code == 201
    fake.clear_logs()
    executions = history(api, params={"sortBy": "ASC"}).json()["workflowExecutions"]
    assert [(e["workflowId"], e["status"], e["taskCount"]) for e in executions] == [
        (request_workflow, "SUCCEEDED", 0),
        (event_workflow, "SUCCEEDED", 0),
    ]
    detail = history(api, f"/{executions[0]['id']}").json()
    (step,) = detail["stepExecutions"]
    assert step["type"] == "TRIGGER/REQUEST"
    assert history(api, f"/{executions[0]['id']}/step-executions/{step['id']}").json()["input"] == {"a": 1}


def test_a_replay_runs_again_and_is_listed(api: Api) -> None:
    """Replaying a FAILED execution answers 201 EXECUTING; the new run is SUCCEEDED when read back, with the
    original's steps, and ``workflow_executions`` says what it replays."""
    workflow = api.fake.workflow_id("slack", "Send Updates to Slack")
    original = api.fake.add_workflow_execution(
        "u1", workflow, status="FAILED", steps=[FakeStep("TRIGGER/CRON"), FakeStep(status="FAILED", output="Error")]
    )
    response = history(api, f"/{original}/replay", method="POST")
    assert response.status_code == 201
    replay = response.json()
    assert (replay["status"], replay["workflowId"]) == ("EXECUTING", workflow)
    assert "dateEnded" not in replay
    detail = history(api, f"/{replay['id']}").json()
    assert detail["status"] == "SUCCEEDED"
    assert [s["type"] for s in detail["stepExecutions"]] == ["TRIGGER/CRON", "ACTION/REQUEST"]
    assert api.fake.workflow_executions[-1].replay_of == original
    assert history(api, "/unknown/replay", method="POST").status_code == 404


def test_the_rate_limit_answers_429_with_retry_after(api: Api) -> None:
    """Past the limit, 429 with Paragon's error body and a Retry-After of whole seconds within the window."""
    api.fake.set_task_history_rate_limit(2, 600)
    assert [history(api).status_code for _ in range(2)] == [200, 200]
    limited = history(api)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 600
    assert limited.json()["status"] == 429


def test_faults_reach_task_history_routes(api: Api) -> None:
    """Scripted faults apply to the new routes like any other."""
    api.fake.faults.status("listWorkflowExecutions", 503, retry_after=1)
    response = history(api)
    assert (response.status_code, response.headers["retry-after"]) == (503, "1")
    assert history(api).status_code == 200


def test_the_execution_builder_checks_its_arguments(fake: FakeParagon) -> None:
    workflow = fake.workflow_id("slack", "Send Updates to Slack")
    with pytest.raises(KeyError):
        fake.add_workflow_execution("u1", "not-a-workflow")
    with pytest.raises(ValueError, match="status must be one of"):
        fake.add_workflow_execution("u1", workflow, status="RUNNING")  # type: ignore[arg-type]
    fake.add_workflow_execution("u1", workflow, execution_id="ex-1")
    with pytest.raises(ValueError, match="already used"):
        fake.add_workflow_execution("u1", workflow, execution_id="ex-1")
    with pytest.raises(ValueError, match="requests must be a positive int"):
        fake.set_task_history_rate_limit(0, 600)


# -- Managed Sync -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"aud": None}, "Managed Sync needs the user token's aud claim"),
        ({"aud": "useparagon.com/another-project"}, "aud is not"),
    ],
    ids=["no aud", "another project's aud"],
)
def test_managed_sync_needs_the_projects_aud(claims: dict[str, Any], message: str, api: Api) -> None:
    """A token without ``aud`` (which the SDK API accepts) or with another project's: 401 on the sync host."""
    api.fake.user("u1").connect("googledrive")
    response = sync(api, "GET", "/api/syncs", **claims)
    assert response.status_code == 401
    assert message in response.json()["message"]
    without_aud = {"Authorization": f"Bearer {api.fake.sign_user_token('u1', aud=None)}"}
    assert api.call("GET", "/sdk/me", headers=without_aud).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "prop"),
    [
        ({"pipeline": "files"}, 400, "integration"),
        ({"integration": "googledrive", "pipeline": ""}, 400, "pipeline"),
        ({"integration": "googledrive", "pipeline": 5}, 400, "pipeline"),
        ({"integration": "googledrive", "pipeline": "files", "configuration": []}, 400, "configuration"),
        ({"integration": "notion", "pipeline": "files"}, 404, None),
        ({"integration": "salesforce", "pipeline": "contacts"}, 404, None),
        ({"integration": "googledrive", "pipeline": "files", "credentialId": "someone-elses"}, 404, None),
    ],
    ids=[
        "no integration",
        "empty pipeline",
        "pipeline not text",
        "configuration a list",
        "unknown integration",
        "not connected",
        "another credential",
    ],
)
def test_enabling_a_sync_is_checked(body: dict[str, Any], status: int, prop: str | None, api: Api) -> None:
    """A body that breaks the spec: 400 naming the property; an integration the user has no VALID account of, or a
    credential that is not theirs: 404."""
    api.fake.user("u1").connect("googledrive")
    response = sync(api, "POST", "/api/syncs", json=body)
    assert response.status_code == status
    if prop is not None:
        assert response.json()["message"][0]["property"] == prop


def test_a_sync_lifecycle_over_http(api: Api) -> None:
    """Enable (INITIALIZING), the same again (the same sync), read back (IDLE), pull records with the base64
    ``cursor:<n>`` cursor, and a bad cursor or page size (400)."""
    user = api.fake.user("u1").connect("googledrive")
    user.add_synced_records("googledrive", "files", [{"name": f"f{n}"} for n in range(3)])
    created = sync(api, "POST", "/api/syncs", json={"integration": "googledrive", "pipeline": "files"}).json()
    assert created["status"] == "INITIALIZING"
    again = sync(api, "POST", "/api/syncs", json={"integration": "googledrive", "pipeline": "files"}).json()
    assert again["id"] == created["id"]
    assert sync(api, "GET", f"/api/syncs/{created['id']}").json()["status"] == "IDLE"
    records = f"/api/syncs/{created['id']}/records"
    first = sync(api, "GET", records, params={"pageSize": "2"}).json()
    assert [r["name"] for r in first["data"]] == ["f0", "f1"]
    assert first["paging"]["cursor"] == base64.b64encode(b"cursor:2").decode()
    assert (first["paging"]["remainingRecords"], first["paging"]["lastSeen"]) == (1, 2)
    rest = sync(api, "GET", records, params={"cursor": first["paging"]["cursor"]}).json()
    assert [r["name"] for r in rest["data"]] == ["f2"]
    assert sync(api, "GET", records, params={"cursor": "not-base64!"}).status_code == 400
    assert sync(api, "GET", records, params={"pageSize": "0"}).status_code == 400
    assert sync(api, "GET", records, user="u2").status_code == 404


def test_permissions_follow_the_roles(api: Api) -> None:
    """An owner may write and read, a writer read; the person matches in any case, with or without ``user:``, both
    where access is granted and where it is checked."""
    user = api.fake.user("u1").connect("googledrive")
    (file_id, folder_id) = user.add_synced_records("googledrive", "files", [{"name": "a"}, {"type": "folder"}])
    user.grant_access("googledrive", file_id, "Owner@X.co", "is_owner").grant_access(
        "googledrive", folder_id, "user:w@x.co", "can_write"
    )
    sync_id = user.add_sync("googledrive", "files")
    base = f"/api/permissions/{sync_id}"

    def allowed(object_id: str, person: str, role: str) -> bool:
        body = {"object": object_id, "user": person, "role": role}
        result: bool = sync(api, "POST", f"{base}/check", json=body).json()["hasAccess"]
        return result

    assert [allowed(file_id, "owner@x.co", role) for role in ("can_read", "can_write", "is_owner")] == [True] * 3
    assert [allowed(folder_id, "user:W@x.co", role) for role in ("can_read", "can_write", "is_owner")] == [
        True,
        True,
        False,
    ]
    listed = sync(
        api, "POST", f"{base}/list-objects", json={"objectType": "folder", "user": "w@x.co", "role": "can_read"}
    )
    assert listed.json() == {"objects": [folder_id]}
    assert sync(api, "POST", f"{base}/list-users", json={"object": file_id, "role": "can_write"}).json() == {
        "users": ["owner@x.co"]
    }
    assert sync(api, "POST", f"{base}/check", json={"object": file_id, "user": "a", "role": "admin"}).status_code == 400
    assert sync(api, "POST", f"{base}/batch-check", json={"checks": []}).status_code == 400
    bad_type = {"objectType": "drive", "user": "w@x.co", "role": "can_read"}
    assert sync(api, "POST", f"{base}/list-objects", json=bad_type).status_code == 400


def test_the_sync_builders_check_their_arguments(fake: FakeParagon) -> None:
    user = fake.user("u1")
    with pytest.raises(ValueError, match="no VALID googledrive credential"):
        user.add_sync("googledrive", "files")
    user.connect("googledrive")
    sync_id = user.add_sync("googledrive", "files", status="ERRORED", reason="Credential revoked")
    assert user.syncs[0]["reason"] == "Credential revoked"
    with pytest.raises(ValueError, match="already used"):
        user.add_sync("googledrive", "files", sync_id=sync_id)
    with pytest.raises(ValueError, match="status must be one of"):
        user.set_sync_status(sync_id, "PAUSED")  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        fake.user("u2").set_sync_status(sync_id, "IDLE")
    with pytest.raises(ValueError, match="role must be one of"):
        user.grant_access("googledrive", "obj", "a@x.co", "admin")  # type: ignore[arg-type]
    (record_id,) = user.add_synced_records("googledrive", "files", [{"id": "r-1"}])
    with pytest.raises(ValueError, match="already used"):
        user.add_synced_records("googledrive", "files", [{"id": record_id}])
    with pytest.raises(ValueError, match="a record's 'id' must be a non-empty str, got 7"):
        user.add_synced_records("googledrive", "files", [{"id": 7}])  # the spec's ids are strings
