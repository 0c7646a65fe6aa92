"""``python -m useparagon.demo``: the full tour against FakeParagon, and the read-only tour against a "real" project
(here a FakeParagon served on loopback, reached through the same PARAGON_* variables a real project would use)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from useparagon.demo import DEFAULT_DEMO_USER, main
from useparagon.testing import FakeParagon, FakeServer

SETTINGS_ENV = (
    "PARAGON_PROJECT_ID",
    "PARAGON_SIGNING_KEY",
    "PARAGON_SIGNING_KEY_PATH",
    "PARAGON_HOST",
    "PARAGON_API_URL",
    "PARAGON_PROXY_URL",
    "PARAGON_ACTIONKIT_URL",
    "PARAGON_DEMO_USER",
    "PARAGON_LOG",
)
READ_ONLY_STEPS = [
    "Sign a Paragon User Token (RS256, for your frontend's paragon.authenticate)",
    "Authenticate as the user (no request yet: the token is minted and cached)",
    "Get the user (GET /sdk/me)",
    "Integration metadata (GET /sdk/metadata)",
    "Integrations (GET /sdk/integrations)",
    "Credentials (GET /sdk/credentials)",
]
FAKE_STEPS = [
    *READ_ONLY_STEPS[:2],
    "Authenticate with a token signed elsewhere: authenticate(user_token=…), never renewed",
    *READ_ONLY_STEPS[2:],
    "Choose one of the user's accounts: credential_id= (a second Salesforce org)",
    "What the client logs: PARAGON_LOG=debug (or the 'useparagon' logger at DEBUG)",
    "Set user metadata (PATCH /sdk/me merges it)",
    "Enable workflows for the user (POST /sdk/workflows/{id})",
    "Send an App Event (POST /sdk/events/trigger)",
    "Trigger a workflow (POST /sdk/triggers/{id})",
    "Proxy a third-party call: Slack chat.postMessage (Proxy API)",
    "Raw mode: the provider's status, headers and bytes (a PDF from Google Drive)",
    "Stream a large download instead of buffering it (stream(); no size cap, same deadlines)",
    "The size cap: the same file through request() with max_response_bytes=1 MiB",
    "A deadline: Paragon answers after 10 s, the attempt's timeout is 0.5 s",
    "ActionKit: list the user's actions and run one",
    "A fake agent turn: the model calls a tool, agent_tools() runs it through ActionKit",
    "Managed Sync: sync the user's Google Drive files, pull the records, check who may read one",
    "Task History: the workflow runs above, with the project API key; replay the first one",
    "Subscribe to onIntegrationUninstall, then uninstall Google Drive",
    "Disable a workflow, with onWorkflowChange subscribed (DELETE /sdk/workflows/{id})",
    "Connect an API-key integration from the backend: install_integration (Freshdesk)",
    "Reconnect an OAuth integration: start_connect, the user approves, wait_for_connection (Google Drive)",
    "Watch for changes made elsewhere (the Connect Portal, the dashboard): watch()",
    "The async client: two calls at once (AsyncParagon)",
    "Retries: a 503, then success (GET /sdk/me)",
    "An error: a proxy call to HubSpot, which the user has not connected",
]
HEADING = re.compile(r"^ ?(\d+)\. (.+)$", re.MULTILINE)
READ_ONLY_OPERATIONS = {"getUser", "getIntegrationMetadata", "listIntegrations", "listCredentials"}


def headings(output: str) -> list[str]:
    found = HEADING.findall(output)
    assert [int(number) for number, _ in found] == list(range(1, len(found) + 1))
    return [title for _, title in found]


def shown(output: str, label: str) -> str:
    """The value printed after ``label:`` (the first such line)."""
    match = re.search(rf"^    {re.escape(label)}:\s+(.*)$", output, re.MULTILINE)
    assert match, f"no {label!r} line in the output"
    return match.group(1)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Paragon setting leaks in from the machine: without them the demo runs against FakeParagon."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)


def test_full_tour_against_the_fake(capsys: pytest.CaptureFixture[str], clean_env: None) -> None:
    """Every step runs, in order, with the results each one is there to show; exit status 0."""
    assert main() == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    out = captured.out
    assert re.match(r"useparagon demo: FakeParagon is listening on http://127\.0\.0\.1:\d+ ", out)
    assert headings(out) == FAKE_STEPS
    assert shown(out, "authenticated") == "true"
    assert shown(out, "meta") == '{"Plan": "pro", "Email": "ada@example.com"}'
    assert shown(out, "fake received").startswith('{"name": "Contact Created", "payload": {"email": ')
    assert shown(out, "workflows run") == '["Sync Contacts to Salesforce"]'
    assert shown(out, "custom reply") == '{"opportunityId": "006000000000001", "created": true}'
    assert shown(out, "202 Accepted") == "None (no Response step)"
    assert shown(out, "output").startswith('{"ok": true, "channel": "C0123"')
    assert shown(out, "content-type") == "application/pdf"
    assert shown(out, "event fired") == '["onIntegrationUninstall: integrationType=googledrive"]'
    assert '["onWorkflowChange: Send Updates to Slack enabled=False"]' in out
    assert shown(out, "results") == '{"authenticated": true, "credentials": 4}'
    assert shown(out, "provider saw") == '{"credential": "5f0c2a9e-1c7b-4d3a-9e8f-2b6d4c8a1e07"}'
    assert shown(out, "expires in") == "3600 s after signing (iat back-dated 30 s)"
    assert re.fullmatch(
        r'\["GET /projects/\{projectId\}/sdk/me -> 200 in [\d.]+ ms \(attempt 1, request id req_fake_\d+\)"\]',
        shown(out, "log"),
    )
    assert re.search(r"retrying GET /projects/\{projectId\}/sdk/me in [\d.]+ s after status 503 \(retry 1\)", out)
    assert shown(out, "fake saw") == "[503, 200]"
    assert shown(out, "NotFoundError").startswith(
        "GET /projects/{projectId}/sdk/proxy/{integrationType}/{path} returned 404 Not Found:"
        " Integration not enabled for user."
    )
    assert "eyJhbGciOiJSUzI1NiIs" in out
    assert "PRIVATE KEY" not in out
    assert re.fullmatch(r"[\d,]+ bytes in \d+ pieces of at most 65,536 bytes", shown(out, "streamed"))
    assert shown(out, "ResponseTooLargeError").startswith(
        "GET /projects/{projectId}/sdk/proxy/{integrationType}/{path} returned 200 with a body over 1,048,576 bytes"
    )
    assert shown(out, "APITimeoutError").startswith("GET /projects/{projectId}/sdk/me timed out")
    assert float(shown(out, "after").removesuffix(" s")) < 5.0  # the 0.5 s timeout, not the 10 s answer
    assert shown(out, "events fired") == '["onIntegrationInstall: freshdesk", "onIntegrationInstall: googledrive"]'
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/connected", shown(out, "provider redirects to"))
    assert '["onIntegrationUninstall: integrationType=slack"]' in out
    assert shown(out, "model's tools") == '["SLACK_SEND_MESSAGE"]'
    assert shown(out, "tool message").startswith(
        '{"role": "tool", "tool_call_id": "call_1", "content": "{\\"ok\\": true, \\"channel\\": \\"C0123\\"'
    )
    assert shown(out, "a bad call") == '["message is required", "channel must be a string, not an integer"]'
    assert shown(out, "sync") == "files from googledrive: IDLE"
    assert shown(out, "records") == '[["Q3 report.pdf", "Roadmap.docx"], ["Notes.txt"]]'
    assert shown(out, "grace may read") == "true"
    assert shown(out, "executions") == (
        '["Sync Contacts to Salesforce: SUCCEEDED", "Create Opportunity in Salesforce: SUCCEEDED",'
        ' "Send Updates to Slack: SUCCEEDED"]'
    )
    assert shown(out, "replay") == "EXECUTING"
    assert out.endswith("\nDone: 30 steps against FakeParagon over loopback HTTP.\n")


def test_make_demo_command_exits_0() -> None:
    """What `make demo` runs, as a process: exit 0, no traceback, every heading, in a few seconds."""
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "useparagon.demo"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert headings(done.stdout) == FAKE_STEPS


@pytest.fixture
def real_project(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, rsa_pem: str
) -> Iterator[tuple[FakeParagon, FakeServer]]:
    """A "real" project: a FakeParagon on loopback, configured only through the environment."""
    fake = FakeParagon(signing_key_pem=rsa_pem)
    with fake.serve() as server:
        monkeypatch.setenv("PARAGON_PROJECT_ID", fake.project_id)
        monkeypatch.setenv("PARAGON_SIGNING_KEY", rsa_pem)
        monkeypatch.setenv("PARAGON_API_URL", server.url)
        yield fake, server


def test_real_project_mode_runs_only_read_only_steps(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, real_project: tuple[FakeParagon, FakeServer]
) -> None:
    """With a project in the environment, the demo signs, reads and changes nothing: only GETs of the SDK API."""
    fake, server = real_project
    fake.user("ada").connect("slack", provider_id="T0001")
    monkeypatch.setenv("PARAGON_DEMO_USER", "ada")
    assert main() == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"useparagon demo: read-only steps against project {fake.project_id} at {server.url}, as user 'ada'"
    )
    assert headings(out) == READ_ONLY_STEPS
    assert re.search(r"^    slack:\s+status VALID, provider id T0001, id ", out, re.MULTILINE)
    assert {record.operation_id for record in fake.requests} == READ_ONLY_OPERATIONS
    assert {record.method for record in fake.requests} == {"GET"}
    assert fake.events == ()
    assert fake.workflow_triggers == ()
    assert fake.user("ada").meta == {}
    assert out.endswith("\nDone: 6 read-only steps; nothing was changed in the project.\n")


def test_real_project_mode_default_user_and_key_file(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    real_project: tuple[FakeParagon, FakeServer],
    rsa_pem: str,
    tmp_path: Path,
) -> None:
    """PARAGON_SIGNING_KEY_PATH also selects the real-project mode; the user defaults to a fixed demo id."""
    fake, _ = real_project
    key_path = tmp_path / "key.pem"
    key_path.write_text(rsa_pem, encoding="utf-8")
    monkeypatch.delenv("PARAGON_SIGNING_KEY")
    monkeypatch.setenv("PARAGON_SIGNING_KEY_PATH", str(key_path))
    assert main() == 0
    out = capsys.readouterr().out
    assert f"as user {DEFAULT_DEMO_USER!r}" in out
    assert "credentials:   none: this user has not connected an account yet" in out
    assert fake.user_ids == [DEFAULT_DEMO_USER]


def test_real_project_mode_failure_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, real_project: tuple[FakeParagon, FakeServer]
) -> None:
    """A project the server does not know ends the demo with exit 1 and one error line, no traceback."""
    monkeypatch.setenv("PARAGON_PROJECT_ID", "0f6e1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b")  # well formed, not the fake's
    assert main() == 1
    err = capsys.readouterr().err
    assert re.fullmatch(r"useparagon demo: error: GET /projects/\{projectId\}/sdk/me returned 404 Not Found: .*\n", err)
    assert "Project not found." in err
