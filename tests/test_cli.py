"""The ``paragon`` command, run in process against FakeParagon over loopback, and as ``python -m useparagon``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import jwt
import pytest
from useparagon import ConfigurationError, InvalidRequestError, Paragon, __version__
from useparagon._cli import CREDENTIALS_COLUMNS, build_parser, cli_message, main, render_table
from useparagon._logging import warn_on_unknown_level
from useparagon.testing import FakeParagon, FakeServer, ProxyRequest
from useparagon.testing._defaults import DEFAULT_INTEGRATIONS

# A well-formed project id the fake does not have: its answer is "Project not found."
OTHER_PROJECT = "0f6e1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
USER = "u1"
# Every variable the CLI reads; each test starts with none of them but the ones its fixture sets.
SETTINGS_ENV = (
    "PARAGON_PROJECT_ID",
    "PARAGON_SIGNING_KEY",
    "PARAGON_SIGNING_KEY_PATH",
    "PARAGON_HOST",
    "PARAGON_API_URL",
    "PARAGON_PROXY_URL",
    "PARAGON_ACTIONKIT_URL",
    "PARAGON_SYNC_URL",
    "PARAGON_API_KEY",
    "PARAGON_USER_ID",
    "PARAGON_LOG",
)
COMMANDS = (
    "token",
    "me",
    "metadata",
    "integrations",
    "credentials",
    "request",
    "event",
    "workflow",
    "uninstall",
    "enable-workflow",
    "disable-workflow",
    "fake-server",
)
ERROR_LINE = re.compile(r"paragon: error: \S.*\n")
SUBPROCESS_TIMEOUT = 30


@attrs.frozen
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Paragon setting leaks in from the machine running the tests."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake(rsa_pem: str) -> FakeParagon:
    """A fresh default project, signing with the session's key (no key generation per test)."""
    return FakeParagon(signing_key_pem=rsa_pem)


@pytest.fixture
def server(fake: FakeParagon, clean_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    """``fake`` on loopback, with the environment pointing the CLI at it (as `fake-server --print-env` would)."""
    with fake.serve() as running:
        monkeypatch.setenv("PARAGON_PROJECT_ID", fake.project_id)
        monkeypatch.setenv("PARAGON_SIGNING_KEY", fake.signing_key_pem)
        for name in ("PARAGON_API_URL", "PARAGON_PROXY_URL", "PARAGON_ACTIONKIT_URL"):
            monkeypatch.setenv(name, running.url)
        yield running


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
    code = main(list(argv))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def assert_one_error_line(result: Result, code: int, message: str, secrets: tuple[str, ...] = ()) -> None:
    """Exit ``code``, nothing on stdout, and exactly one ``paragon: error:`` line containing ``message``."""
    assert result.code == code
    assert result.out == ""
    assert ERROR_LINE.fullmatch(result.err), result.err
    assert message in result.err
    assert "Traceback" not in result.err
    assert "eyJ" not in result.err
    assert "PRIVATE KEY" not in result.err
    for secret in secrets:
        assert secret not in result.err


def key_body_lines(pem: str) -> tuple[str, ...]:
    return tuple(line for line in pem.splitlines() if line and not line.startswith("-----"))


# -- Tokens ------------------------------------------------------------------------------------------------------------


def test_token_is_signed_for_the_project_and_accepted_by_the_fake(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """`token USER --ttl N` prints one line: an RS256 token with sub, aud and a lifetime of N, which Paragon takes."""
    result = run(capsys, "token", USER, "--ttl", "600")
    assert result.code == 0
    assert result.err == ""
    token = result.out.removesuffix("\n")
    assert "\n" not in token
    claims = jwt.decode(token, fake.public_key_pem, algorithms=["RS256"], audience=f"useparagon.com/{fake.project_id}")
    assert claims["sub"] == USER
    assert claims["exp"] - claims["iat"] == 600 + 30  # iat is back-dated 30 s for clock skew
    me = run(capsys, "me", "--user-token", token)
    assert me.code == 0
    assert me.json()["userId"] == USER


def test_token_needs_no_service_urls(
    capsys: pytest.CaptureFixture[str], clean_env: None, monkeypatch: pytest.MonkeyPatch, rsa_pem: str, tmp_path: Path
) -> None:
    """Signing is local: a project id and a key (here from a file, --signing-key-path) are all it takes."""
    monkeypatch.setenv("PARAGON_PROJECT_ID", OTHER_PROJECT)
    key_path = tmp_path / "signing-key.pem"
    key_path.write_text(rsa_pem, encoding="utf-8")
    result = run(capsys, "token", "user 42", "--signing-key-path", str(key_path))
    assert result.code == 0
    assert jwt.decode(result.out.strip(), options={"verify_signature": False})["sub"] == "user 42"


# -- Reading the user's state ------------------------------------------------------------------------------------------


def test_me_prints_the_user_as_json(capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer) -> None:
    """`me` is GET /sdk/me as JSON (the model's to_dict(): camelCase keys, as Paragon sends them)."""
    fake.user(USER).connect("slack").set_meta(Email="ada@example.com")
    result = run(capsys, "me", "--user", USER)
    assert result.code == 0
    body = result.json()
    assert body["authenticated"] is True
    assert body["userId"] == USER
    assert body["meta"] == {"Email": "ada@example.com"}
    assert body["integrations"]["slack"]["enabled"] is True
    assert body["integrations"]["hubspot"]["enabled"] is False
    assert [record.operation_id for record in fake.requests] == ["getUser"]


def test_user_from_the_environment(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --user, PARAGON_USER_ID names the user; --user wins over it."""
    monkeypatch.setenv("PARAGON_USER_ID", "from-env")
    assert run(capsys, "me").json()["userId"] == "from-env"
    assert run(capsys, "me", "--user", "from-flag").json()["userId"] == "from-flag"


def test_metadata_json_and_table(capsys: pytest.CaptureFixture[str], server: FakeServer) -> None:
    """`metadata` lists each integration's name, color and icon; --table aligns exactly those columns."""
    result = run(capsys, "metadata", "--user", USER)
    assert result.code == 0
    assert [(m["type"], m["name"], m["brandColor"]) for m in result.json()] == [
        ("salesforce", "Salesforce", "#057ACF"),
        ("hubspot", "HubSpot", "#F67600"),
        ("slack", "Slack", "#4A154B"),
        ("googledrive", "Google Drive", "#1FA463"),
        ("freshdesk", "Freshdesk", "#25C16F"),
    ]
    icon = "https://cdn.useparagon.com/latest/dashboard/public/integrations/{}.svg"
    table = run(capsys, "metadata", "--user", USER, "--table")
    assert table.code == 0
    assert table.out == (
        "TYPE         NAME          BRAND COLOR  ICON\n"
        f"salesforce   Salesforce    #057ACF      {icon.format('salesforce')}\n"
        f"hubspot      HubSpot       #F67600      {icon.format('hubspot')}\n"
        f"slack        Slack         #4A154B      {icon.format('slack')}\n"
        f"googledrive  Google Drive  #1FA463      {icon.format('googledrive')}\n"
        f"freshdesk    Freshdesk     #25C16F      {icon.format('freshdesk')}\n"
    )


def test_integrations_json_and_table(capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer) -> None:
    """`integrations` shows whether the user connected each one and how many workflows it has."""
    fake.user(USER).connect("hubspot")
    result = run(capsys, "integrations", "--user", USER)
    assert result.code == 0
    assert {i["type"]: i["hasCredential"] for i in result.json()} == {
        "salesforce": False,
        "hubspot": True,
        "slack": False,
        "googledrive": False,
        "freshdesk": False,
    }
    table = run(capsys, "integrations", "--user", USER, "--table")
    ids = {name: fake.integration_id(name) for name in ("salesforce", "hubspot", "slack", "googledrive", "freshdesk")}
    assert table.out == (
        "TYPE         NAME          CONNECTED  WORKFLOWS  ID\n"
        f"salesforce   Salesforce    no         2          {ids['salesforce']}\n"
        f"hubspot      HubSpot       yes        1          {ids['hubspot']}\n"
        f"slack        Slack         no         2          {ids['slack']}\n"
        f"googledrive  Google Drive  no         1          {ids['googledrive']}\n"
        f"freshdesk    Freshdesk     no         1          {ids['freshdesk']}\n"
    )


def test_credentials_json_table_and_empty_table(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """`credentials` lists the user's accounts; an empty list is a header and (none), never a blank output."""
    empty = run(capsys, "credentials", "--user", "nobody", "--table")
    assert empty.code == 0
    assert empty.out == "ID  INTEGRATION  STATUS  PROVIDER ID  CONNECTED\n(none)\n"
    fake.user(USER).connect("slack", provider_id="T0001", status="INVALID")
    (credential_id,) = fake.user(USER).credential_ids("slack")
    result = run(capsys, "credentials", "--user", USER)
    assert result.code == 0
    (credential,) = result.json()
    assert (credential["id"], credential["integrationId"], credential["status"], credential["providerId"]) == (
        credential_id,
        fake.integration_id("slack"),
        "INVALID",
        "T0001",
    )
    fake.clear_logs()
    table = run(capsys, "credentials", "--user", USER, "--table")
    assert table.code == 0
    width = len(credential_id)
    assert table.out == (
        f"{'ID'.ljust(width)}  INTEGRATION  STATUS   PROVIDER ID  CONNECTED\n"
        f"{credential_id}  slack        INVALID  T0001        {credential['dateCreated']}\n"
    )
    # The table names the integration by its type: one more call, GET /sdk/integrations, maps the ids.
    assert [record.operation_id for record in fake.requests] == ["listCredentials", "listIntegrations"]


def test_credentials_table_falls_back_to_the_integration_id() -> None:
    """A credential whose integration is not in the project's list (removed since) shows its integration id."""
    row = {"id": "c1", "integrationId": "i-gone", "status": "VALID", "providerId": None, "dateCreated": None}
    assert render_table([row], CREDENTIALS_COLUMNS) == (
        "ID  INTEGRATION  STATUS  PROVIDER ID  CONNECTED\nc1  i-gone       VALID   -            -\n"
    )


# -- Proxy, events, workflows ------------------------------------------------------------------------------------------


def test_request_posts_json_and_prints_the_unwrapped_output(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """`request slack POST chat.postMessage --data JSON` prints Slack's answer, without Paragon's {output: …}."""
    fake.user(USER).connect("slack")
    result = run(
        capsys,
        "request",
        "slack",
        "post",
        "chat.postMessage",
        "--user",
        USER,
        "--data",
        '{"channel": "C1", "text": "hi"}',
    )
    assert result.code == 0
    output = result.json()
    assert output["ok"] is True
    assert output["channel"] == "C1"
    assert output["message"]["text"] == "hi"


def test_request_sends_params_and_headers(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """--param repeats a key for repeated values; --header NAME:VALUE reaches the provider (trimmed)."""
    fake.user(USER).connect("hubspot")
    seen: list[ProxyRequest] = []

    def provider(request: ProxyRequest) -> tuple[int, Any]:
        seen.append(request)
        return 200, {"results": []}

    fake.on_proxy("hubspot", "crm/v3/objects/contacts", provider)
    result = run(
        capsys,
        "request",
        "hubspot",
        "GET",
        "crm/v3/objects/contacts",
        "--user",
        USER,
        "--param",
        "limit=10",
        "--param",
        "properties=email",
        "--param",
        "properties=a=b",
        "--header",
        "X-Trace: abc 1",
    )
    assert result.code == 0
    assert result.json() == {"results": []}
    (request,) = seen
    assert request.method == "GET"
    assert request.query.multi_items() == [("limit", "10"), ("properties", "email"), ("properties", "a=b")]
    assert request.headers["x-trace"] == "abc 1"


def test_request_raw_prints_status_headers_and_body(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """--raw shows the provider's own status and headers, and its body (JSON parsed, else text)."""
    fake.user(USER).connect("googledrive")
    fake.on_proxy("googledrive", "files/1", lambda _r: (200, b"plain text", {"Content-Type": "text/plain"}))
    result = run(capsys, "request", "googledrive", "GET", "files/1", "--user", USER, "--raw")
    assert result.code == 0
    body = result.json()
    assert body["status_code"] == 200
    assert body["headers"]["content-type"] == "text/plain"
    assert body["body"] == "plain text"


def test_event_is_received_by_the_fake(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """`event NAME --payload JSON` sends the App Event and says so on stdout as JSON."""
    result = run(capsys, "event", "Contact Created", "--payload", '{"email": "a@b.co"}', "--user", USER)
    assert result.code == 0
    assert result.json() == {"sent": True, "name": "Contact Created"}
    (event,) = fake.events
    assert (event.user_id, event.name, dict(event.payload)) == (USER, "Contact Created", {"email": "a@b.co"})


def test_workflow_prints_the_custom_response_or_null_for_202(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """`workflow ID --body JSON`: the Response step's JSON, or `null` when the workflow answers 202."""
    replying = fake.workflow_id("salesforce", "Create Opportunity in Salesforce")
    silent = fake.workflow_id("salesforce", "Sync Contacts to Salesforce")
    fake.set_workflow_response(replying, {"id": "006"})
    fake.user(USER).connect("salesforce").enable_workflow(replying).enable_workflow(silent)
    result = run(capsys, "workflow", replying, "--body", '{"amount": 5}', "--user", USER)
    assert (result.code, result.json()) == (0, {"id": "006"})
    assert dict(fake.workflow_triggers[-1].body) == {"amount": 5}
    accepted = run(capsys, "workflow", silent, "--user", USER)
    assert (accepted.code, accepted.out) == (0, "null\n")


def test_uninstall_prints_the_event_and_disconnects(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """`uninstall INTEGRATION` disconnects it and prints the onIntegrationUninstall event."""
    fake.user(USER).connect("salesforce").connect("slack")
    result = run(capsys, "uninstall", "salesforce", "--user", USER)
    assert result.code == 0
    assert result.json() == {
        "type": "onIntegrationUninstall",
        "integrationId": fake.integration_id("salesforce"),
        "integrationType": "salesforce",
    }
    assert fake.user(USER).connected == {"slack": "VALID"}


def test_disable_workflow_prints_the_event(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """`disable-workflow ID` turns it off and prints the onWorkflowChange event."""
    workflow = fake.workflow_id("slack", "Send Updates to Slack")
    fake.user(USER).connect("slack").enable_workflow(workflow)
    result = run(capsys, "disable-workflow", workflow, "--user", USER)
    assert result.code == 0
    assert result.json() == {
        "type": "onWorkflowChange",
        "integrationId": fake.integration_id("slack"),
        "workflowId": workflow,
        "workflowStateChange": {"enabled": False},
    }
    assert fake.user(USER).enabled_workflows == frozenset()


def test_enable_workflow_prints_the_event_and_the_workflow_runs(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """`enable-workflow ID` (POST /sdk/workflows/{id}) turns it on, prints the onWorkflowChange event, and the
    workflow can then be triggered; `disable-workflow` undoes it."""
    workflow = fake.workflow_id("slack", "Send Updates to Slack")
    fake.user(USER).connect("slack")
    result = run(capsys, "enable-workflow", workflow, "--user", USER)
    assert (result.code, result.err) == (0, "")
    assert result.json() == {
        "type": "onWorkflowChange",
        "integrationId": fake.integration_id("slack"),
        "workflowId": workflow,
        "workflowStateChange": {"enabled": True},
    }
    assert fake.requests[-1].operation_id == "enableWorkflow"
    assert fake.user(USER).enabled_workflows == frozenset({workflow})
    assert run(capsys, "workflow", workflow, "--user", USER).out == "null\n"
    assert run(capsys, "disable-workflow", workflow, "--user", USER).code == 0
    assert fake.user(USER).enabled_workflows == frozenset()


def test_enable_workflow_of_an_unconnected_integration_fails(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """Paragon refuses to enable a workflow whose integration the user has not connected: exit 1, one line."""
    workflow = fake.workflow_id("hubspot", "Sync Contacts to HubSpot")
    result = run(capsys, "enable-workflow", workflow, "--user", USER)
    assert_one_error_line(result, 1, "returned 404 Not Found")
    assert fake.user(USER).enabled_workflows == frozenset()


def test_enable_workflow_help_says_what_it_calls(capsys: pytest.CaptureFixture[str], clean_env: None) -> None:
    """Its help names the REST call and the JS SDK function it stands for."""
    result = run(capsys, "enable-workflow", "--help")
    assert result.code == 0
    assert "POST /sdk/workflows/{id}" in result.out
    assert "updateWorkflowState({id: true})" in result.out


# -- Settings ----------------------------------------------------------------------------------------------------------

# Each global option, a value for it as parsed, and another value; `paragon OPTION VALUE me` and `paragon me
# OPTION VALUE` parse the same.
GLOBAL_OPTIONS = [
    ("--project-id", "p1", "project_id", "p1", "p0"),
    ("--signing-key-path", "k.pem", "signing_key_path", "k.pem", "old.pem"),
    ("--host", "acme.paragon.so", "host", "acme.paragon.so", "old.paragon.so"),
    ("--api-url", "http://127.0.0.1:1", "api_url", "http://127.0.0.1:1", "http://old"),
    ("--proxy-url", "http://127.0.0.1:2", "proxy_url", "http://127.0.0.1:2", "http://old"),
    ("--actionkit-url", "http://127.0.0.1:3", "actionkit_url", "http://127.0.0.1:3", "http://old"),
    ("--timeout", "2.5", "timeout", 2.5, "9"),
    ("--max-retries", "0", "max_retries", 0, "5"),
    ("--user", "u9", "user", "u9", "u0"),
    ("--user-token", "t.o.k", "user_token", "t.o.k", "o.l.d"),
]


@pytest.mark.parametrize(
    ("flag", "value", "dest", "parsed", "earlier"), GLOBAL_OPTIONS, ids=[o[0] for o in GLOBAL_OPTIONS]
)
def test_global_options_go_before_or_after_the_command(
    flag: str, value: str, dest: str, parsed: Any, earlier: str
) -> None:
    """Every setting and user option is accepted on either side of the command, with the same meaning; given on
    both sides, the later one wins; not given, it is None."""
    parser = build_parser()
    before, after = parser.parse_args([flag, value, "me"]), parser.parse_args(["me", flag, value])
    assert vars(before) == vars(after)
    assert getattr(before, dest) == parsed
    assert getattr(parser.parse_args([flag, earlier, "me", flag, value]), dest) == parsed
    neither = parser.parse_args(["me"])
    assert [getattr(neither, option[2]) for option in GLOBAL_OPTIONS] == [None] * len(GLOBAL_OPTIONS)


def test_global_options_before_the_command_reach_paragon(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`paragon --project-id ID --user U me` works (it used to be refused as an invalid choice); a flag repeated
    after the command wins over the one before it."""
    monkeypatch.delenv("PARAGON_PROJECT_ID")
    result = run(capsys, "--project-id", fake.project_id, "--user", USER, "--api-url", server.url, "me")
    assert (result.code, result.err) == (0, "")
    assert result.json()["userId"] == USER
    repeated = run(capsys, "--project-id", OTHER_PROJECT, "me", "--user", USER, "--project-id", fake.project_id)
    assert repeated.code == 0
    assert repeated.json()["userId"] == USER
    reversed_ = run(capsys, "--project-id", fake.project_id, "me", "--user", USER, "--project-id", OTHER_PROJECT)
    assert_one_error_line(reversed_, 1, "returned 404 Not Found: Project not found.")


# -- PARAGON_LOG -------------------------------------------------------------------------------------------------------


def test_an_unknown_paragon_log_is_a_warning_line(
    capsys: pytest.CaptureFixture[str], server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`PARAGON_LOG=bogus` is no longer ignored in silence: one `paragon: warning:` line naming the accepted values,
    then the command runs as usual (exit 0, its JSON on stdout)."""
    monkeypatch.setenv("PARAGON_LOG", "bogus")
    result = run(capsys, "me", "--user", USER)
    assert result.code == 0
    assert result.json()["userId"] == USER
    assert result.err == (
        "paragon: warning: PARAGON_LOG='bogus' is not a log level, so nothing is logged: use debug or info\n"
    )


def test_the_paragon_log_warning_comes_before_an_error(
    capsys: pytest.CaptureFixture[str], clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warning is printed even when the command then fails (here for want of a project id): two lines."""
    monkeypatch.setenv("PARAGON_LOG", "verbose")
    result = run(capsys, "me", "--user", USER)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "paragon: warning: PARAGON_LOG='verbose' is not a log level, so nothing is logged: use debug or info\n"
        "paragon: error: no Paragon project id: pass --project-id or set PARAGON_PROJECT_ID\n"
    )


def test_warn_on_unknown_level_is_a_user_warning() -> None:
    """The check is a `warnings.warn` (UserWarning) in useparagon._logging; a long value is cut short."""
    with pytest.warns(UserWarning, match=r"^PARAGON_LOG='x+…' is not a log level") as caught:
        warn_on_unknown_level({"PARAGON_LOG": "x" * 100})
    (warning,) = caught
    assert str(warning.message) == (
        f"PARAGON_LOG='{'x' * 40}…' is not a log level, so nothing is logged: use debug or info"
    )


@pytest.mark.parametrize("value", [None, "", "  ", "debug", "INFO", " Debug\n"])
def test_no_warning_for_an_unset_or_known_paragon_log(value: str | None) -> None:
    """Unset, blank, or a level the logger accepts (any case, blanks around): no warning."""
    warn_on_unknown_level({} if value is None else {"PARAGON_LOG": value})  # filterwarnings=error would raise


def test_flags_win_over_the_environment(
    capsys: pytest.CaptureFixture[str], server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--api-url beats PARAGON_API_URL (here pointing nowhere), and --project-id beats PARAGON_PROJECT_ID."""
    monkeypatch.setenv("PARAGON_API_URL", "http://127.0.0.1:9")
    assert run(capsys, "me", "--user", USER, "--api-url", server.url).code == 0
    other = run(capsys, "me", "--user", USER, "--api-url", server.url, "--project-id", OTHER_PROJECT)
    assert_one_error_line(other, 1, "returned 404 Not Found: Project not found.")


def test_max_retries_and_timeout_flags(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """--max-retries 0 gives up after one 503; --timeout bounds a slow answer (exit 1 either way)."""
    fake.faults.status("getUser", 503)
    failed = run(capsys, "me", "--user", USER, "--max-retries", "0")
    assert_one_error_line(failed, 1, "GET /projects/{projectId}/sdk/me returned 503 Service Unavailable")
    assert [record.status for record in fake.requests] == [503]
    fake.faults.latency("getUser", 2.0)
    slow = run(capsys, "me", "--user", USER, "--max-retries", "0", "--timeout", "0.2")
    assert_one_error_line(slow, 1, "GET /projects/{projectId}/sdk/me timed out")


# -- Failures: one line on stderr, no traceback, no secret -------------------------------------------------------------

FAILURES = [
    # (argv, exit code, part of the message)
    (["request", "slack", "POST", "chat.postMessage", "--data", "{bad"], 2, "--data is not valid JSON: Expecting"),
    (["event", "Signup", "--payload", "[1, 2"], 2, "--payload is not valid JSON"),
    (["workflow", "wf-1", "--body", "nope"], 2, "--body is not valid JSON"),
    (["event", "Signup", "--payload", "[1]"], 2, "payload"),
    (["request", "slack", "GET", "conversations.list", "--data", "{}"], 2, "a GET request cannot have a body"),
    (["request", "slack", "GET", "x", "--param", "novalue"], 2, "--param takes NAME=VALUE"),
    (["request", "slack", "GET", "x", "--header", "novalue"], 2, "--header takes NAME:VALUE"),
    (["request", "slack", "GET", "../../sdk/me"], 2, "path"),
    (["uninstall", "pipedrive"], 1, "'pipedrive' is not an integration of this project"),
    (["uninstall", "hubspot"], 1, "the user has not connected 'hubspot'"),
    (["request", "hubspot", "GET", "contacts"], 1, "returned 404 Not Found: Integration not enabled for user."),
    (["workflow", "00000000-0000-0000-0000-000000000000"], 1, "returned 404 Not Found"),
    (["me", "--api-url", "ftp://example.com"], 2, "--api-url must be an http(s) URL"),
    (
        ["me", "--api-url", "https://ops:hunter2@example.com"],
        2,
        "without credentials, query or fragment, got 'https://***@example.com'",
    ),
    (["me", "--timeout", "0"], 2, "argument --timeout: must be a positive number of seconds, got '0'"),
    (["me", "--timeout", "nan"], 2, "argument --timeout: must be a positive number of seconds, got 'nan'"),
    (["me", "--timeout", "inf"], 2, "argument --timeout: must be a positive number of seconds, got 'inf'"),
    (["me", "--max-retries", "-1"], 2, "--max-retries must be a non-negative int, got -1"),
]


@pytest.mark.parametrize(("argv", "code", "message"), FAILURES, ids=[" ".join(f[0])[:40] for f in FAILURES])
def test_expected_failures_are_one_line(
    capsys: pytest.CaptureFixture[str],
    fake: FakeParagon,
    server: FakeServer,
    argv: list[str],
    code: int,
    message: str,
) -> None:
    """Bad input exits 2, a failed call exits 1; either way one `paragon: error:` line and nothing else."""
    fake.user(USER).connect("slack")
    result = run(capsys, *argv, "--user", USER)
    assert_one_error_line(result, code, message, (*key_body_lines(fake.signing_key_pem), "hunter2"))


@pytest.mark.parametrize(
    ("unset", "message"),
    [
        ("PARAGON_PROJECT_ID", "paragon: error: no Paragon project id: pass --project-id or set PARAGON_PROJECT_ID\n"),
        (
            "PARAGON_SIGNING_KEY",
            "paragon: error: signing user tokens needs the project's signing key: pass --signing-key-path, or set"
            " PARAGON_SIGNING_KEY or PARAGON_SIGNING_KEY_PATH\n",
        ),
    ],
)
def test_missing_settings_exit_2(
    capsys: pytest.CaptureFixture[str],
    fake: FakeParagon,
    server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
    unset: str,
    message: str,
) -> None:
    """A missing project id or signing key is a configuration error naming the flag and the variable, in the CLI's
    words (never the library's `pass project_id=`): exit 2, no request."""
    monkeypatch.delenv(unset)
    result = run(capsys, "me", "--user", USER)
    assert_one_error_line(result, 2, "")
    assert result.err == message
    assert fake.requests == ()


def test_a_bad_host_is_reported_with_the_flag(capsys: pytest.CaptureFixture[str], clean_env: None) -> None:
    """The library's `host must be …; pass host= or set PARAGON_HOST` reads `--host must be …; pass --host …`."""
    result = run(capsys, "me", "--project-id", OTHER_PROJECT, "--user", USER, "--host", "https://paragon.example.com")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "paragon: error: --host must be a bare host name such as 'mycompany.paragon.so' (no scheme or path), got"
        " 'https://paragon.example.com'; pass --host or set PARAGON_HOST\n"
    )


def test_the_library_keeps_its_python_wording(clean_env: None) -> None:
    """Only the CLI rewords: a Python caller still reads `pass project_id=`, the error's type is unchanged, and
    cli_message() leaves the exception as it was."""
    with pytest.raises(ConfigurationError) as caught:
        Paragon()
    assert caught.value.message == "no Paragon project id: pass project_id= or set PARAGON_PROJECT_ID"
    assert cli_message(caught.value) == "no Paragon project id: pass --project-id or set PARAGON_PROJECT_ID"
    assert caught.value.message == "no Paragon project id: pass project_id= or set PARAGON_PROJECT_ID"


@pytest.mark.parametrize(
    ("library", "cli"),
    [
        ("api_url must be an http(s) URL, got 'x'", "--api-url must be an http(s) URL, got 'x'"),
        ("proxy_url is not a valid URL: 'x'", "--proxy-url is not a valid URL: 'x'"),
        ("actionkit_url has a port outside 1-65535: 'x'", "--actionkit-url has a port outside 1-65535: 'x'"),
        ("ttl must be between 1 and 10 seconds, got 0", "--ttl must be between 1 and 10 seconds, got 0"),
        ("credential_id must be a non-empty string", "--credential-id must be a non-empty string"),
        (
            "a GET request cannot have a body; pass params= for the query string",
            "a GET request cannot have a body; pass --param for the query string",
        ),
        ("x; project_id must not contain whitespace", "x; --project-id must not contain whitespace"),
        # Not an argument with a flag, or the word not used as one: left alone.
        ("the user token is malformed", "the user token is malformed"),
        ("a timeout of 3 s", "a timeout of 3 s"),
        (
            "pass permissions either as permissions= or as 'x', not both",
            "pass permissions either as permissions= or as 'x', not both",
        ),
        ("pass either a path or url=, not both", "pass either a path or url=, not both"),
    ],
)
def test_cli_message_names_flags(library: str, cli: str) -> None:
    """The library's argument names become the CLI's flags where the CLI has one, and nothing else changes."""
    assert cli_message(InvalidRequestError(library)) == cli


def test_missing_user_exits_2(capsys: pytest.CaptureFixture[str], server: FakeServer) -> None:
    """A user-scoped command without --user, --user-token or PARAGON_USER_ID says how to name one."""
    assert_one_error_line(
        run(capsys, "credentials"), 2, "no user: pass --user USER_ID or --user-token TOKEN, or set PARAGON_USER_ID"
    )


def test_rejected_token_is_not_echoed(
    capsys: pytest.CaptureFixture[str], fake: FakeParagon, server: FakeServer
) -> None:
    """A token Paragon rejects (401) or one that is malformed is never repeated on stderr."""
    foreign = fake.sign_user_token(USER, aud="useparagon.com/another-project")
    rejected = run(capsys, "me", "--user-token", foreign)
    assert_one_error_line(rejected, 1, "returned 401 Unauthorized", (foreign, foreign.split(".")[2]))
    garbage = "abc.secretpart.xyz"
    malformed = run(capsys, "me", "--user-token", garbage)
    assert_one_error_line(malformed, 2, "the user token", ("secretpart",))


def test_a_bad_signing_key_is_not_echoed(
    capsys: pytest.CaptureFixture[str], server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signing key that is not a key fails as configuration (exit 2) without quoting it."""
    monkeypatch.setenv(
        "PARAGON_SIGNING_KEY", "-----BEGIN PRIVATE KEY-----\nTOPSECRETmaterial\n-----END PRIVATE KEY-----"
    )
    assert_one_error_line(run(capsys, "token", USER), 2, "", ("TOPSECRETmaterial",))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bogus"], "invalid choice: 'bogus'"),
        ([], "the following arguments are required: COMMAND"),
        (["request", "slack", "FETCH", "x"], "argument METHOD: invalid choice: 'FETCH'"),
        (["me", "--user", "a", "--user-token", "b"], "not allowed with argument --user"),
        (["me", "--table"], "unrecognized arguments: --table"),
        (["--table", "credentials"], "unrecognized arguments: --table"),
        (["me", "--timeout", "soon"], "argument --timeout: invalid float value: 'soon'"),
        (["--user", "a", "me", "--user-token", "b"], "argument --user-token: not allowed with argument --user"),
        (["--user-token", "b", "me", "--user", "a"], "argument --user-token: not allowed with argument --user"),
        (["--user", "a", "token", "b"], "--user does not apply to `token`: it signs a token for its USER_ID"),
        (["--user-token", "t", "token", "b"], "--user-token does not apply to `token`"),
        (["--timeout", "5", "fake-server"], "--timeout does not apply to `fake-server`"),
        (["--user", "a", "fake-server"], "--user does not apply to `fake-server`"),
        (
            ["--host", "paragon.example.com", "fake-server"],
            "--host before `fake-server` is a self-hosted Paragon's host; put it after `fake-server` to choose the"
            " address to listen on",
        ),
    ],
)
def test_usage_errors_exit_2_on_one_line(
    capsys: pytest.CaptureFixture[str], clean_env: None, argv: list[str], message: str
) -> None:
    """argparse's own errors follow the same rule: one line (pointing at --help), exit 2."""
    result = run(capsys, *argv)
    assert_one_error_line(result, 2, message)
    assert "--help`)" in result.err


# -- Help and version --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], clean_env: None, command: str) -> None:
    """`paragon COMMAND --help` exits 0 with its usage line."""
    result = run(capsys, command, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: paragon {command} ")
    assert result.err == ""


def test_fake_server_help_documents_the_scenario_flags(
    capsys: pytest.CaptureFixture[str], clean_env: None, fake: FakeParagon
) -> None:
    """`fake-server --help` explains each scenario flag, names every workflow of the default project, and its
    example's workflow id is the real one."""
    result = run(capsys, "fake-server", "--help")
    assert result.code == 0
    text = " ".join(result.out.split())
    for flag in (
        "--connect USER_ID:INTEGRATION",
        "--enable-workflow USER_ID:WORKFLOW",
        "--workflow-response WORKFLOW=JSON",
    ):
        assert flag in text
    for spec in DEFAULT_INTEGRATIONS:
        assert f"{spec.type} " in text
        for workflow in spec.workflows:
            assert workflow.description in text
    example = fake.workflow_id("salesforce", "Create Opportunity in Salesforce")
    assert f"paragon workflow {example} --user u1" in text


def test_top_level_help_lists_commands_and_environment(capsys: pytest.CaptureFixture[str], clean_env: None) -> None:
    """`paragon --help` names every command and every environment variable the CLI reads."""
    result = run(capsys, "--help")
    assert result.code == 0
    for word in (*COMMANDS, *SETTINGS_ENV, *(option for option, *_ in GLOBAL_OPTIONS)):
        assert word in result.out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`paragon --version` prints the package version."""
    result = run(capsys, "--version")
    assert (result.code, result.out) == (0, f"paragon {__version__}\n")


def test_render_table_aligns_and_flattens() -> None:
    """Columns are as wide as their widest cell; None is '-', booleans yes/no, newlines never break a row."""
    rows: list[dict[str, Any]] = [{"a": "x", "b": True}, {"a": "longer\nvalue", "b": None}]
    assert render_table(rows, [("a", lambda r: r["a"]), ("flag", lambda r: r["b"])]) == (
        "A             FLAG\nx             yes\nlonger value  -\n"
    )


# -- As a real process -------------------------------------------------------------------------------------------------


def _process_env(**settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_ENV}
    return {**env, **settings}


def test_module_entry_point_succeeds_and_fails_cleanly(fake: FakeParagon, server: FakeServer) -> None:
    """`python -m useparagon`: JSON and exit 0 on success; one line, exit 1 or 2 and no traceback on failure."""
    env = _process_env(
        PARAGON_PROJECT_ID=fake.project_id,
        PARAGON_SIGNING_KEY=fake.signing_key_pem,
        PARAGON_API_URL=server.url,
        PARAGON_PROXY_URL=server.url,
    )
    cases = [
        (["integrations", "--user", USER], 0),
        (["request", "slack", "POST", "chat.postMessage", "--data", "{oops", "--user", USER], 2),
        (["request", "slack", "GET", "x", "--user", USER], 1),
    ]
    for argv, code in cases:
        done = subprocess.run(
            [sys.executable, "-m", "useparagon", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT,
            check=False,
        )
        assert done.returncode == code, done.stderr
        assert "Traceback" not in done.stderr
        if code == 0:
            types = [i["type"] for i in json.loads(done.stdout)]
            assert types == ["salesforce", "hubspot", "slack", "googledrive", "freshdesk"]
            assert done.stderr == ""
        else:
            assert done.stdout == ""
            assert ERROR_LINE.fullmatch(done.stderr), done.stderr


def _parse_exports(lines: list[str]) -> dict[str, str]:
    exports = {}
    for line in lines:
        match = re.fullmatch(r"export (PARAGON_[A-Z_]+)='([^']*)'\n", line)
        assert match, line
        exports[match.group(1)] = match.group(2)
    return exports


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_fake_server_stops_cleanly_when_signalled_as_soon_as_it_prints(clean_env: None, stop: signal.Signals) -> None:
    """A signal that arrives the moment the settings are printed, before serving starts, still closes the server:
    exit 0, the whole banner, "FakeParagon stopped" and no traceback (a process paused there used to hang). The
    server is started with SIGINT ignored, as a shell starts a background job: Ctrl-C (a SIGINT sent to it) still
    stops it."""
    # The child ignores SIGINT before the CLI starts, as a background job does.
    ignoring_sigint = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN);"
        " sys.argv = ['paragon', 'fake-server', '--print-env']; runpy.run_module('useparagon', run_name='__main__')"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", ignoring_sigint],
        env=_process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("export ")
        process.send_signal(stop)
        _, err = process.communicate(timeout=SUBPROCESS_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert err.startswith("FakeParagon listening on http://127.0.0.1:")
    assert err.endswith("FakeParagon stopped\n")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_fake_server_prints_its_settings_and_stops_cleanly(
    capsys: pytest.CaptureFixture[str], clean_env: None, monkeypatch: pytest.MonkeyPatch, stop: signal.Signals
) -> None:
    """`fake-server --print-env --connect u1:slack` prints export lines that point the CLI at it; Ctrl-C or
    SIGTERM stop it with exit 0 and no traceback."""
    process = subprocess.Popen(
        [sys.executable, "-m", "useparagon", "fake-server", "--print-env", "--connect", f"{USER}:slack"],
        env=_process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        exports = _parse_exports([process.stdout.readline() for _ in range(7)])
        assert set(exports) == {
            "PARAGON_PROJECT_ID",
            "PARAGON_SIGNING_KEY",
            "PARAGON_API_URL",
            "PARAGON_PROXY_URL",
            "PARAGON_ACTIONKIT_URL",
            "PARAGON_SYNC_URL",
            "PARAGON_API_KEY",
        }
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", exports["PARAGON_API_URL"])
        for name, value in exports.items():
            monkeypatch.setenv(name, value)  # the PEM arrives as one line with literal \n, which the client accepts
        result = run(capsys, "credentials", "--user", USER, "--table")
        assert result.code == 0, result.err
        assert result.out.splitlines()[1].split()[2] == "VALID"
        process.send_signal(stop)
        _, err = process.communicate(timeout=SUBPROCESS_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "Traceback" not in err
    assert err.startswith(f"FakeParagon listening on {exports['PARAGON_API_URL']} (Ctrl-C to stop)\n")
    assert f"  project id:  {exports['PARAGON_PROJECT_ID']}\n" in err
    assert err.endswith("FakeParagon stopped\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--connect", "u1"], "--connect takes USER_ID:INTEGRATION"),
        (["--connect", "u1:pipedrive"], "no integration 'pipedrive' in the project"),
        (["--port", "70000"], "--port must be from 0 to 65535"),
        (["--signing-key-path", "/nonexistent/key.pem"], "cannot read --signing-key-path"),
        (["--enable-workflow", "u1"], "--enable-workflow takes USER_ID:WORKFLOW, e.g. 'u1:Send Updates to Slack'"),
        (
            ["--enable-workflow", "u1:Nope"],
            "--enable-workflow: no workflow 'Nope' in the project (by id or description: 'Sync Contacts to"
            " Salesforce', 'Create Opportunity in Salesforce', ",
        ),
        (
            ["--enable-workflow", "u1:Send Updates to Slack"],
            "--enable-workflow u1:Send Updates to Slack: user 'u1' has no VALID slack credential: connect it first"
            " (--connect u1:slack)",
        ),
        (
            ["--connect", "u1:slack", "--connect", "u1:hubspot", "--enable-workflow", "u1:Create Tickets in Freshdesk"],
            "(--connect u1:freshdesk)",
        ),
        (["--workflow-response", "{}"], "--workflow-response takes WORKFLOW=JSON"),
        (["--workflow-response", "Nope={}"], "--workflow-response: no workflow 'Nope' in the project"),
        (
            ["--workflow-response", "Send Updates to Slack={bad"],
            "--workflow-response Send Updates to Slack is not valid JSON: Expecting property name",
        ),
    ],
)
def test_fake_server_bad_options(
    capsys: pytest.CaptureFixture[str], clean_env: None, argv: list[str], message: str
) -> None:
    """fake-server's own mistakes are usage errors (exit 2), found before it starts listening."""
    assert_one_error_line(run(capsys, "fake-server", *argv), 2, message)


def test_fake_server_scenario_lets_workflow_succeed(
    capsys: pytest.CaptureFixture[str], clean_env: None, fake: FakeParagon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fake-server --connect --enable-workflow --workflow-response` sets up a scenario in which `paragon workflow`
    succeeds: the workflow with a response answers its JSON, the one without answers 202 (`null`), one not enabled
    is refused. Workflows are named by description or id, the banner prints their ids, and --project-id given
    before `fake-server` names the fake's project."""
    replying = fake.workflow_id("salesforce", "Create Opportunity in Salesforce")
    silent = fake.workflow_id("salesforce", "Sync Contacts to Salesforce")
    project_id = "9b0c5b5e-6a36-4f8e-9d27-3f1e0f4c2a11"
    argv = [
        *("--project-id", project_id, "fake-server", "--print-env", "--connect", f"{USER}:salesforce"),
        *("--enable-workflow", f"{USER}:Create Opportunity in Salesforce", "--enable-workflow", f"{USER}:{silent}"),
        *("--workflow-response", 'Create Opportunity in Salesforce={"id": "006", "amount": 5}'),
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "useparagon", *argv],
        env=_process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        exports = _parse_exports([process.stdout.readline() for _ in range(5)])
        assert exports["PARAGON_PROJECT_ID"] == project_id
        for name, value in exports.items():
            monkeypatch.setenv(name, value)
        answered = run(capsys, "workflow", replying, "--user", USER, "--body", '{"amount": 5}')
        assert (answered.code, answered.json(), answered.err) == (0, {"id": "006", "amount": 5}, "")
        accepted = run(capsys, "workflow", silent, "--user", USER)
        assert (accepted.code, accepted.out) == (0, "null\n")
        other = fake.workflow_id("slack", "Send Updates to Slack")
        assert_one_error_line(run(capsys, "workflow", other, "--user", USER), 1, "Workflow not enabled for user.")
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=SUBPROCESS_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert err == (
        f"FakeParagon listening on {exports['PARAGON_API_URL']} (Ctrl-C to stop)\n"
        f"  project id:  {project_id}\n"
        "  signing key: generated for this run; `--print-env` prints it with the other settings as export lines\n"
        f"  connected:   {USER}:salesforce\n"
        f"  enabled:     {USER}:{replying} (salesforce: Create Opportunity in Salesforce)\n"
        f"  enabled:     {USER}:{silent} (salesforce: Sync Contacts to Salesforce)\n"
        f"  response:    {replying} (salesforce: Create Opportunity in Salesforce) answers 200 with JSON\n"
        "FakeParagon stopped\n"
    )


def test_fake_server_port_in_use(capsys: pytest.CaptureFixture[str], clean_env: None, fake: FakeParagon) -> None:
    """A port already taken is one clear line, not an OSError traceback."""
    with fake.serve() as taken:
        result = run(capsys, "fake-server", "--port", str(taken.port))
    assert_one_error_line(result, 2, f"cannot listen on 127.0.0.1:{taken.port}")


def test_a_project_id_that_is_not_a_uuid_is_refused_in_cli_words(
    capsys: pytest.CaptureFixture[str], clean_env: None
) -> None:
    """Refused before any request, naming the flag and where the real id is, not as "Project not found." later."""
    result = run(capsys, "me", "--project-id", "my-project", "--user", USER, "--api-url", "http://127.0.0.1:9")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "paragon: error: --project-id must be your Paragon project's UUID (e.g. 38b1f170-0c43-4eae-9a04-ab85325d99f7;"
        " the dashboard's 'Copy Project ID', under the environment switcher), got 'my-project'\n"
    )


def test_the_environment_points_the_cli_at_the_fake_through_the_library(
    capsys: pytest.CaptureFixture[str],
    clean_env: None,
    fake: FakeParagon,
    server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CLI no longer reads PARAGON_API_URL itself: Paragon() does, so an app reading the environment gets the same
    settings as `paragon` from `fake-server --print-env`."""
    from useparagon import Paragon

    for name in ("PARAGON_API_URL", "PARAGON_PROXY_URL", "PARAGON_ACTIONKIT_URL"):
        monkeypatch.setenv(name, server.url)
    monkeypatch.setenv("PARAGON_PROJECT_ID", fake.project_id)
    monkeypatch.setenv("PARAGON_SIGNING_KEY", fake.signing_key_pem)
    assert run(capsys, "me", "--user", USER).json()["userId"] == USER
    with Paragon() as app:
        assert (app.urls.api, app.urls.proxy, app.urls.actionkit) == (server.url,) * 3
        assert app.authenticate(USER).get_user().authenticated is True
