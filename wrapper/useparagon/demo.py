"""A guided tour of useparagon: ``python -m useparagon.demo`` (what ``make demo`` runs).

Without settings it starts FakeParagon on loopback and walks through every feature of the client against it over
real HTTP. With ``PARAGON_PROJECT_ID`` and ``PARAGON_SIGNING_KEY`` (or ``PARAGON_SIGNING_KEY_PATH``) set, it runs
only the read-only steps against that project instead, as ``PARAGON_DEMO_USER`` (default ``useparagon-demo``):
nothing is created, changed or sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import httpx

from ._async_client import AsyncParagon
from ._client import Paragon
from ._constants import ENV_LOG, ENV_PROJECT_ID, ENV_SIGNING_KEY, ENV_SIGNING_KEY_PATH, TOKEN_CLOCK_SKEW
from ._errors import APITimeoutError, NotFoundError, ParagonError, ResponseTooLargeError
from ._retry import RetryPolicy
from ._session import UserSession
from ._tokens import inspect_user_token

ENV_DEMO_USER = "PARAGON_DEMO_USER"
DEFAULT_DEMO_USER = "useparagon-demo"
FAKE_USER = "user-123"
# The user's second Salesforce account (a second org), beside the one connected in the Connect Portal.
SECOND_ORG = "5f0c2a9e-1c7b-4d3a-9e8f-2b6d4c8a1e07"
# A 4.5 MB export: larger than the 1 MiB cap the demo sets, streamed in pieces.
EXPORT_BYTES = b"id,name,email\n" + b"".join(
    b"%07d,Contact %07d,c%07d@example.com\n" % (n, n, n) for n in range(100_000)
)
# Values are cut to this many characters so that every result fits on a line or two.
SHOWN_CHARS = 110


class Tour:
    """Numbered steps, each a heading and a few indented result lines."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.steps = 0

    def step(self, title: str) -> None:
        self.steps += 1
        self.out.write(f"\n{self.steps:>2}. {title}\n")

    def show(self, label: str, value: Any, *, whole: bool = False) -> None:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        text = " ".join(text.split())
        if len(text) > SHOWN_CHARS and not whole:
            text = text[: SHOWN_CHARS - 1] + "…"
        self.out.write(f"    {label + ':':<14} {text}\n")


@contextmanager
def _captured_log(at: int = logging.INFO) -> Iterator[list[str]]:
    """The client's own log lines (``useparagon`` logger, from level ``at``), collected for the tour to print."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("useparagon")
    handler, level = Collect(at), logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > at:
        logger.setLevel(at)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _integration_states(user: Any) -> dict[str, Any]:
    if not getattr(user, "authenticated", False):
        return {}
    return {name: state.enabled for name, state in user.integrations.additional_properties.items()}


# -- The read-only steps, shared by both modes -------------------------------------------------------------------------


def _read_only_steps(tour: Tour, paragon: Paragon, user: UserSession) -> None:
    tour.step("Get the user (GET /sdk/me)")
    me = user.get_user()
    tour.show("authenticated", me.authenticated)
    if me.authenticated:
        tour.show("user id", me.user_id)
        tour.show("integrations", _integration_states(me))

    tour.step("Integration metadata (GET /sdk/metadata)")
    for meta in user.get_integration_metadata():
        tour.show(meta.type_, f"{meta.name}, {meta.brand_color}")

    tour.step("Integrations (GET /sdk/integrations)")
    integrations = user.get_integrations()
    for integration in integrations:
        workflows = [str(workflow.description) for workflow in integration.workflows]
        connected = "connected" if integration.has_credential is True else "not connected"
        tour.show(integration.type_, f"{connected}; workflows: {', '.join(workflows) or 'none'}")

    tour.step("Credentials (GET /sdk/credentials)")
    credentials = user.get_credentials()
    types = {integration.id: integration.type_ for integration in integrations}
    for credential in credentials:
        label = types.get(str(credential.integration_id), "(other)")
        tour.show(label, f"status {credential.status}, provider id {credential.provider_id}, id {credential.id}")
    if not credentials:
        tour.show("credentials", "none: this user has not connected an account yet")


def _token_step(tour: Tour, paragon: Paragon, user_id: str) -> str:
    tour.step("Sign a Paragon User Token (RS256, for your frontend's paragon.authenticate)")
    token = paragon.sign_user_token(user_id)
    claims = inspect_user_token(token, now=time.time())
    tour.show("token", f"{token[:24]}… ({len(token)} characters)")
    tour.show("claims", {"sub": claims.sub, "aud": claims.aud})
    # iat is back-dated so that a Paragon clock slightly behind ours accepts the token, so exp - iat is an hour and
    # 30 s; from the moment of signing it is the hour docs/guide/frontend-token.md promises.
    lifetime = (claims.exp or 0) - (claims.iat or 0) - TOKEN_CLOCK_SKEW
    tour.show("expires in", f"{lifetime} s after signing (iat back-dated {TOKEN_CLOCK_SKEW} s)")
    return token


# -- Against a real project --------------------------------------------------------------------------------------------


def run_real(out: TextIO) -> int:
    """The read-only steps against the project in the environment (its API URLs may be overridden, as the CLI's)."""
    tour = Tour(out)
    user_id = os.environ.get(ENV_DEMO_USER, "").strip() or DEFAULT_DEMO_USER
    with Paragon() as paragon:
        out.write(
            f"useparagon demo: read-only steps against project {paragon.project_id} at {paragon.urls.api},"
            f" as user {user_id!r} (set {ENV_DEMO_USER} to choose another)\n"
        )
        _token_step(tour, paragon, user_id)
        tour.step("Authenticate as the user (no request yet: the token is minted and cached)")
        user = paragon.authenticate(user_id)
        tour.show("session", repr(user))
        _read_only_steps(tour, paragon, user)
    out.write(f"\nDone: {tour.steps} read-only steps; nothing was changed in the project.\n")
    return 0


# -- Against FakeParagon -----------------------------------------------------------------------------------------------


def run_fake(out: TextIO) -> int:
    """Every feature of the client against FakeParagon on loopback."""
    from .testing import FakeParagon, ProxyRequest

    tour = Tour(out)
    fake = FakeParagon()
    # The scenario: the user connected Slack, Salesforce and Google Drive in the Connect Portal.
    fake.user(FAKE_USER).connect("slack").connect("salesforce").connect("googledrive")
    sync_contacts = fake.workflow_id("salesforce", "Sync Contacts to Salesforce")
    create_opportunity = fake.workflow_id("salesforce", "Create Opportunity in Salesforce")
    send_updates = fake.workflow_id("slack", "Send Updates to Slack")
    names = {
        sync_contacts: "Sync Contacts to Salesforce",
        create_opportunity: "Create Opportunity in Salesforce",
        send_updates: "Send Updates to Slack",
    }
    fake.set_workflow_response(create_opportunity, {"opportunityId": "006000000000001", "created": True})

    def drive_file(_request: ProxyRequest) -> tuple[int, Any, dict[str, str]]:
        return 200, b"%PDF-1.7 quarterly report\n", {"Content-Type": "application/pdf"}

    fake.on_proxy("googledrive", "files/report-q3", drive_file, method="GET")

    def drive_export(_request: ProxyRequest) -> tuple[int, Any, dict[str, str]]:
        return 200, EXPORT_BYTES, {"Content-Type": "text/csv"}

    fake.on_proxy("googledrive", "files/contacts-export", drive_export, method="GET")

    def which_org(request: ProxyRequest) -> tuple[int, Any]:
        return 200, {"credential": request.credential_id}

    fake.on_proxy("salesforce", "sobjects/Account", which_org, method="GET")
    # What the user's Google Drive holds for Managed Sync to sync, and who may read it there.
    drive_files = fake.user(FAKE_USER).add_synced_records(
        "googledrive", "files", [{"name": "Q3 report.pdf"}, {"name": "Roadmap.docx"}, {"name": "Notes.txt"}]
    )
    fake.user(FAKE_USER).grant_access("googledrive", drive_files[0], "grace@example.com", "can_read")

    with fake.serve() as server:
        out.write(f"useparagon demo: FakeParagon is listening on {server.url} (real HTTP, a fresh project)\n")
        paragon = Paragon(
            project_id=fake.project_id,
            signing_key=fake.signing_key_pem,
            api_url=server.url,
            proxy_url=server.url,
            actionkit_url=server.url,
            sync_url=server.url,
            # Task History's credential: the project API key (the fake's own here).
            api_key=fake.api_key,
            # Quick retries keep the demo fast; the defaults back off from 0.5 s.
            retry=RetryPolicy(initial_delay=0.05),
        )
        with paragon:
            token = _token_step(tour, paragon, FAKE_USER)

            tour.step("Authenticate as the user (no request yet: the token is minted and cached)")
            user = paragon.authenticate(FAKE_USER)
            tour.show("session", repr(user))

            tour.step("Authenticate with a token signed elsewhere: authenticate(user_token=…), never renewed")
            from_token = paragon.authenticate(user_token=token)
            tour.show("session", repr(from_token))
            me = from_token.get_user()
            tour.show("user id", me.user_id if me.authenticated else None)

            _read_only_steps(tour, paragon, user)

            tour.step("Choose one of the user's accounts: credential_id= (a second Salesforce org)")
            fake.user(FAKE_USER).connect("salesforce", credential_id=SECOND_ORG)
            reply = user.request("salesforce", "sobjects/Account", credential_id=SECOND_ORG)
            tour.show("provider saw", reply)

            tour.step(f"What the client logs: {ENV_LOG}=debug (or the 'useparagon' logger at DEBUG)")
            with _captured_log(logging.DEBUG) as lines:
                user.get_user()
            tour.show("log", lines)

            tour.step("Set user metadata (PATCH /sdk/me merges it)")
            updated = user.set_user_metadata({"Email": "ada@example.com", "Plan": "pro"})
            tour.show("meta", updated.meta.to_dict() if updated.meta else {})

            tour.step("Enable workflows for the user (POST /sdk/workflows/{id})")
            user.enable_workflow(sync_contacts)
            user.enable_workflow(create_opportunity)
            user.enable_workflow(send_updates)
            tour.show("fake has on", sorted(names[w] for w in fake.user(FAKE_USER).enabled_workflows))

            tour.step("Send an App Event (POST /sdk/events/trigger)")
            user.event("Contact Created", {"email": "grace@example.com", "name": "Grace Hopper"})
            received = fake.events[-1]
            tour.show("fake received", {"name": received.name, "payload": dict(received.payload)})
            runs = [t for t in fake.workflow_triggers if t.source == "app_event"]
            tour.show("workflows run", [names[t.workflow_id] for t in runs])

            tour.step("Trigger a workflow (POST /sdk/triggers/{id})")
            tour.show("custom reply", user.workflow(create_opportunity, body={"amount": 5000}))
            tour.show("202 Accepted", f"{user.workflow(send_updates, body={'text': 'hi'})!r} (no Response step)")

            tour.step("Proxy a third-party call: Slack chat.postMessage (Proxy API)")
            reply = user.request("slack", "chat.postMessage", method="POST", body={"channel": "C0123", "text": "Hi!"})
            tour.show("output", reply)

            tour.step("Raw mode: the provider's status, headers and bytes (a PDF from Google Drive)")
            raw = user.request("googledrive", "files/report-q3", raw=True)
            tour.show("status", raw.status_code)
            tour.show("content-type", raw.headers.get("content-type", ""))
            tour.show("content", f"{raw.content!r} ({len(raw.content)} bytes)")

            tour.step("Stream a large download instead of buffering it (stream(); no size cap, same deadlines)")
            with user.stream("googledrive", "files/contacts-export") as download:
                pieces = [len(piece) for piece in download.iter_bytes()]
            tour.show("streamed", f"{sum(pieces):,} bytes in {len(pieces)} pieces of at most {max(pieces):,} bytes")

            tour.step("The size cap: the same file through request() with max_response_bytes=1 MiB")
            try:
                paragon.with_options(max_response_bytes=1024 * 1024).authenticate(FAKE_USER).request(
                    "googledrive", "files/contacts-export", raw=True
                )
            except ResponseTooLargeError as error:
                tour.show(type(error).__name__, error.message, whole=True)
            else:
                raise AssertionError("a 4.5 MB body passed a 1 MiB max_response_bytes")

            tour.step("A deadline: Paragon answers after 10 s, the attempt's timeout is 0.5 s")
            fake.faults.latency("getUser", 10.0)
            started = time.monotonic()
            try:
                paragon.with_options(timeout=0.5, max_retries=0).authenticate(FAKE_USER).get_user()
            except APITimeoutError as error:
                tour.show(type(error).__name__, error.message, whole=True)
                tour.show("after", f"{time.monotonic() - started:.1f} s")
            else:
                raise AssertionError("a 10 s answer beat a 0.5 s timeout")
            fake.faults.clear()

            tour.step("ActionKit: list the user's actions and run one")
            actions = user.list_actions().actions.to_dict()
            tour.show("actions", {name: [a["function"]["name"] for a in entries] for name, entries in actions.items()})
            tour.show("run", user.run_action("SLACK_SEND_MESSAGE", {"channel": "C0123", "message": "Deployed"}))

            tour.step("A fake agent turn: the model calls a tool, agent_tools() runs it through ActionKit")
            tools = user.agent_tools(integrations=["slack"])
            tour.show("model's tools", [tool["function"]["name"] for tool in tools.openai()])
            # What a Chat Completions response's message.tool_calls holds; no model service is involved.
            arguments = json.dumps({"channel": "C0123", "message": "Summary posted by the agent"})
            function = {"name": "SLACK_SEND_MESSAGE", "arguments": arguments}
            tool_calls = [{"id": "call_1", "type": "function", "function": function}]
            tour.show("model calls", function)
            tour.show("tool message", tools.run_openai(tool_calls)[0])
            bad = [{"id": "call_2", "function": {"name": "SLACK_SEND_MESSAGE", "arguments": '{"channel": 5}'}}]
            tour.show("a bad call", json.loads(tools.run_openai(bad)[0]["content"])["error"]["errors"])

            tour.step("Managed Sync: sync the user's Google Drive files, pull the records, check who may read one")
            sync = user.enable_sync("googledrive", "files")
            tour.show("sync", f"{sync.pipeline} from {sync.integration}: {user.get_sync(sync.id).status}")
            pages = list(user.iter_synced_records(sync.id, page_size=2))
            tour.show("records", [[record["name"] for record in page.data] for page in pages])
            tour.show("grace may read", user.list_objects_with_access(sync.id, "grace@example.com") == drive_files[:1])

            tour.step("Task History: the workflow runs above, with the project API key; replay the first one")
            history = list(paragon.iter_workflow_executions(user_id=FAKE_USER, sort_by="ASC"))
            tour.show("executions", [f"{names.get(str(run.workflow_id))}: {run.status}" for run in history], whole=True)
            tour.show("replay", paragon.replay_workflow_execution(history[0].id).status)

            tour.step("Subscribe to onIntegrationUninstall, then uninstall Google Drive")
            fired: list[Any] = []
            unsubscribe = paragon.subscribe("onIntegrationUninstall", lambda event, _session: fired.append(event))
            user.uninstall_integration("googledrive")
            unsubscribe()
            tour.show("event fired", [f"{e['type']}: integrationType={e['integrationType']}" for e in fired])
            tour.show("connected now", sorted(fake.user(FAKE_USER).connected))

            tour.step("Disable a workflow, with onWorkflowChange subscribed (DELETE /sdk/workflows/{id})")
            changes: list[Any] = []
            user.subscribe("onWorkflowChange", lambda event, _session: changes.append(event))
            user.disable_workflow(send_updates)
            tour.show(
                "event fired",
                [
                    f"{e['type']}: {names[e['workflowId']]} enabled={e['workflowStateChange']['enabled']}"
                    for e in changes
                ],
            )
            tour.show("fake has on", sorted(names[w] for w in fake.user(FAKE_USER).enabled_workflows))

            tour.step("Connect an API-key integration from the backend: install_integration (Freshdesk)")
            installs: list[Any] = []
            stop_listening = paragon.subscribe("onIntegrationInstall", lambda event, _session: installs.append(event))
            credential = user.install_integration("freshdesk", credentials={"apiKey": "fd_demo_key", "domain": "acme"})
            tour.show("credential", f"{credential.id} ({credential.status})")

            tour.step(
                "Reconnect an OAuth integration: start_connect, the user approves, wait_for_connection (Google Drive)"
            )
            link = user.start_connect("googledrive", redirect_url=f"{server.url}/connected")
            tour.show("send the user to", str(httpx.URL(link.url).copy_with(query=None)))
            # The user's browser at the provider's consent page; FakeParagon's approves on sight, then redirects.
            consent = httpx.get(link.url, follow_redirects=False, timeout=10)
            tour.show("provider redirects to", str(httpx.URL(consent.headers["location"]).copy_with(query=None)))
            connected = user.wait_for_connection(link, timeout=30, interval=0.2)
            tour.show("credential", f"{connected.id} ({connected.status})")
            tour.show("events fired", [f"{e['type']}: {e['integrationType']}" for e in installs])
            stop_listening()

            tour.step("Watch for changes made elsewhere (the Connect Portal, the dashboard): watch()")
            seen: list[Any] = []
            user.subscribe("onIntegrationUninstall", lambda event, _session: seen.append(event))
            with user.watch(interval=3600) as watcher:
                fake.user(FAKE_USER).disconnect("slack")  # as if the user disconnected Slack in the portal
                watcher.poll_once()
            tour.show("event fired", [f"{e['type']}: integrationType={e['integrationType']}" for e in seen])

            tour.step("The async client: two calls at once (AsyncParagon)")
            tour.show("results", asyncio.run(_async_calls(fake.project_id, fake.signing_key_pem, server.url)))

            tour.step("Retries: a 503, then success (GET /sdk/me)")
            fake.clear_logs()
            fake.faults.status("getUser", 503)
            with _captured_log() as retries:
                me = user.get_user()
            tour.show("client log", retries)
            tour.show("fake saw", [record.status for record in fake.requests if record.operation_id == "getUser"])
            tour.show("result", f"authenticated={me.authenticated}")

            tour.step("An error: a proxy call to HubSpot, which the user has not connected")
            try:
                user.request("hubspot", "crm/v3/objects/contacts")
            except NotFoundError as error:
                tour.show(type(error).__name__, error.message, whole=True)
                tour.show("status", error.status_code)
            else:
                raise AssertionError("FakeParagon accepted a proxy call to an integration the user never connected")

    out.write(f"\nDone: {tour.steps} steps against FakeParagon over loopback HTTP.\n")
    return 0


async def _async_calls(project_id: str, signing_key: str, url: str) -> dict[str, Any]:
    async with AsyncParagon(
        project_id=project_id, signing_key=signing_key, api_url=url, proxy_url=url, actionkit_url=url
    ) as paragon:
        user = paragon.authenticate(FAKE_USER)
        me, credentials = await asyncio.gather(user.get_user(), user.get_credentials())
        return {"authenticated": me.authenticated, "credentials": len(credentials)}


def _real_project_configured() -> bool:
    environ = os.environ
    has_key = bool(environ.get(ENV_SIGNING_KEY, "").strip() or environ.get(ENV_SIGNING_KEY_PATH, "").strip())
    return bool(environ.get(ENV_PROJECT_ID, "").strip()) and has_key


def main() -> int:
    out = sys.stdout
    try:
        return run_real(out) if _real_project_configured() else run_fake(out)
    except ParagonError as error:
        out.flush()
        sys.stderr.write(f"useparagon demo: error: {' '.join(error.message.split())}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
