"""A seeded schemathesis pass: FakeParagon, over loopback HTTP, answers every operation as the spec says.

Positive and negative cases, with the response-schema, status-code, content-type and not-a-server-error checks.
The scenario reuses the spec's example ids (an integration to uninstall, a workflow with a custom response, a
credential, an OAuth integration with an authorization code and an approved OAuth attempt, a trigger subscription),
so the examples phase reaches the success paths, and is restored before every case (an uninstall, a disabled workflow
or a deleted sync would otherwise turn every later case into a 404). Task History cases carry the project API key,
every other case the user token. ``projectId`` is pinned to the
fake's project, since a random one only ever gets a 404. Raw proxy mode (``X-Paragon-Use-Raw-Response: 1``)
answers the provider's own body, which the spec's ``ProxyResponse`` cannot describe, so those cases skip the
body-schema check (see ``_RAW``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from useparagon.testing import FakeParagon, FakeServer, FakeStep, FakeWorkflow

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "paragon.yaml"
PROJECT_ID = "38b1f170-0c43-4eae-9a04-ab85325d99f7"
USER_ID = "schemathesis-user"
# Example ids from the spec, so that the examples phase finds them.
UNINSTALL_INTEGRATION_ID = "2f08e65f-d924-42ab-9618-b6023d82ffbd"
SLACK_WORKFLOW_ID = "1b22193b-e355-458d-b6a3-5e5516edb588"
CREDENTIAL_ID = "00da4146-7ac4-4253-a8f7-96849b8137d9"
# The Connect examples: HubSpot (OAuth) is the integration they name, and it holds the example credential.
OAUTH_INTEGRATION_ID = "95bedc9f-6a22-4855-b08d-e68dc073ad91"
AUTHORIZATION_CODE = "4/0AX4XfWh-authorization-code"
CODE_REDIRECT_URL = "https://app.example.com/oauth/done"
OAUTH_SESSION_KEY = "7c1e0f9a-4f7b-4f3e-9d0a-2b8c6e5d4a31"
# Task History and Managed Sync: the examples' execution, step, sync, account and synced file.
API_KEY = "schemathesis-api-key"
EXECUTION_ID = "daff08e3-c299-4005-9799-be69090ebae1"
STEP_EXECUTION_ID = "29e675eb-0910-4d5c-8a5c-a4a4c1895605"
SYNC_ID = "a11347bd-d510-5489-9068-e5fded55a28c"
DRIVE_CREDENTIAL_ID = "0aea7d3a-b5f7-4488-890e-d51a5cf4f8f1"
RECORD_ID = "3ce16e33-0163-564d-98ce-99b0a25ab375"
# The ActionKit Triggers examples: a Salesforce trigger and a subscription to it.
TRIGGER_TYPE = "SALESFORCE_RECORD_CREATED"
SUBSCRIPTION_ID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
_RAW = ("1", "true")

Live = tuple[FakeParagon, FakeServer, requests.Session, dict[str, str]]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_path(SPEC)
schema.config.update(parameters={"projectId": PROJECT_ID})
schema.config.seed = 20261125
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    # 12 positive and negative cases per operation, seeded: with 100-odd operations, the run stays a few seconds of
    # each suite's budget on every Python.
    max_examples=12,
    deterministic=True,
    database="none",
)


def _scenario() -> FakeParagon:
    fake = FakeParagon(project_id=PROJECT_ID, default_project=False, api_key=API_KEY)
    fake.add_integration(
        "slack",
        name="Slack",
        brand_color="#4A154B",
        workflows=[FakeWorkflow("Send Updates to Slack", id=SLACK_WORKFLOW_ID, response=(200, {"status": "sent"}))],
        actions={"SLACK_SEND_MESSAGE": "Send a message to a Slack channel"},
    )
    fake.add_integration("salesforce", name="Salesforce", brand_color="#057ACF", workflows=["Sync Contacts"])
    fake.add_trigger("salesforce", TRIGGER_TYPE, trigger_model="POLLING", example=[{"Id": "006", "Amount": 5}])
    fake.add_integration("hubspot", name="HubSpot", integration_id=OAUTH_INTEGRATION_ID)
    fake.add_integration(
        "pipedrive", name="Pipedrive", integration_id=UNINSTALL_INTEGRATION_ID, authentication_type="basic"
    )
    fake.add_integration("googledrive", name="Google Drive")
    fake.authorization_code("hubspot", redirect_url=CODE_REDIRECT_URL, code=AUTHORIZATION_CODE)
    fake.add_workflow_execution(
        USER_ID,
        SLACK_WORKFLOW_ID,
        status="FAILED",
        execution_id=EXECUTION_ID,
        steps=[FakeStep("TRIGGER/CRON"), FakeStep(status="FAILED", output="Error", id=STEP_EXECUTION_ID)],
    )
    drive = fake.user(USER_ID).connect("googledrive", credential_id=DRIVE_CREDENTIAL_ID)
    drive.add_synced_records("googledrive", "files", [{"id": RECORD_ID, "name": "Q3 plan.pdf"}])
    drive.set_synced_file("googledrive", RECORD_ID, b"%PDF-1.7").grant_access("googledrive", RECORD_ID, "a@example.com")
    fake.user(USER_ID).set_meta(Email="st@example.com")
    _restore(fake)
    _approve_oauth(fake)
    return fake


def _approve_oauth(fake: FakeParagon) -> None:
    """An OAuth attempt under the example session key, approved on the fake's consent page."""
    query = urlencode({"action": "hubspot", "integrationId": OAUTH_INTEGRATION_ID, "oauthMetaKeyId": OAUTH_SESSION_KEY})
    token = {"Authorization": f"Bearer {fake.sign_user_token(USER_ID)}", "Host": "fake.test"}
    built = fake.handle("GET", f"/v2/projects/{PROJECT_ID}/sdk/actions/build-oauth?{query}", token)
    consent = urlsplit(json.loads(built.body)["redirectUrl"])
    assert fake.handle("GET", f"{consent.path}?{consent.query}", {}).status == 200


def _restore(fake: FakeParagon) -> None:
    user = fake.user(USER_ID)
    connected = user.connected
    for integration in ("slack", "salesforce", "pipedrive"):
        if integration not in connected:
            user.connect(integration)
    if CREDENTIAL_ID not in user.credential_ids("hubspot"):
        user.connect("hubspot", credential_id=CREDENTIAL_ID)
    user.enable_workflow(SLACK_WORKFLOW_ID)
    if not any(sync["id"] == SYNC_ID for sync in user.syncs):
        user.add_sync("googledrive", "files", sync_id=SYNC_ID)
    user.set_sync_status(SYNC_ID, "IDLE")
    if not any(sub["id"] == SUBSCRIPTION_ID for sub in user.trigger_subscriptions):
        user.add_trigger_subscription(
            "salesforce", TRIGGER_TYPE, {"recordType": "Opportunity"}, subscription_id=SUBSCRIPTION_ID
        )


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    """The scenario served on loopback, a keep-alive session, and a valid user token header."""
    fake = _scenario()
    headers = {"Authorization": f"Bearer {fake.sign_user_token(USER_ID, ttl=3600)}"}
    with fake.serve() as server, requests.Session() as session:
        yield fake, server, session, headers


def _authorization(case: Any, user_token: dict[str, str]) -> dict[str, str]:
    # Task History takes the project API key, every other API the user token.
    if case.operation.path.startswith("/projects/{projectId}/task-history/"):
        return {"Authorization": f"Bearer {API_KEY}"}
    return user_token


@schema.parametrize()
def test_fake_conforms_to_the_spec(case: Any, live: Live) -> None:
    """Every generated request gets a documented status, content type and body shape, and never a 5xx."""
    fake, server, session, headers = live
    _restore(fake)
    raw = str((case.headers or {}).get("X-Paragon-Use-Raw-Response", "")).strip().lower() in _RAW
    checks = [c for c in CHECKS if not (raw and c is response_schema_conformance)]
    if case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE:
        checks.append(negative_data_rejection)
    case.call_and_validate(base_url=server.url, session=session, headers=_authorization(case, headers), checks=checks)
