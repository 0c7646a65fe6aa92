"""The ``paragon`` command: sign user tokens, make SDK calls as a user, and run FakeParagon, from a shell.

Results are JSON on stdout (``--table`` renders lists as aligned columns); an expected failure is one line on
stderr, ``paragon: error: …``, with exit status 2 for usage and configuration problems and 1 for failed calls.

The client is imported once the command line has parsed, so ``paragon --help`` and usage errors never load it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from ._constants import (
    ENV_ACTIONKIT_URL,
    ENV_API_KEY,
    ENV_API_URL,
    ENV_LOG,
    ENV_PROJECT_ID,
    ENV_PROXY_URL,
    ENV_SIGNING_KEY,
    ENV_SIGNING_KEY_PATH,
    ENV_SYNC_URL,
    PROXY_METHODS,
)
from ._version import __version__

if TYPE_CHECKING:
    from ._client import Paragon
    from ._errors import ParagonError
    from ._session import UserSession
    from .testing import FakeParagon, FakeServer

PROG = "paragon"

# Read by the command line only (the library takes these as arguments), so that it can be pointed at FakeParagon.
ENV_USER_ID = "PARAGON_USER_ID"

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

DEFAULT_FAKE_HOST = "127.0.0.1"

_ENVIRONMENT_HELP = f"""\
environment:
  {ENV_PROJECT_ID}          the project id (or --project-id)
  {ENV_SIGNING_KEY}         the signing key's PEM text; one line with literal \\n works
  {ENV_SIGNING_KEY_PATH}    a file holding it (or --signing-key-path)
  PARAGON_HOST              a self-hosted Paragon's base host (or --host)
  {ENV_API_URL}, {ENV_PROXY_URL}, {ENV_ACTIONKIT_URL}
                              each service's base URL, e.g. a FakeParagon's (or --api-url…)
  {ENV_SYNC_URL}            Managed Sync's base URL
  {ENV_API_KEY}             the project API key (Task History)
  {ENV_USER_ID}             the user to act as (or --user)
  {ENV_LOG}                 debug or info: log each request's metadata to stderr
"""


class UsageError(Exception):
    """A command line that cannot work (bad JSON, a missing user…): exit 2 with the message (and, when the command
    line itself is wrong, a pointer to the command's --help)."""

    def __init__(self, message: str, help_command: str | None = None) -> None:
        super().__init__(message)
        self.help_command = help_command


# -- Output ----------------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """``value`` as JSON-able data: attrs models through their ``to_dict()``, raw responses as status/headers/body."""
    from ._types import RawResponse

    if isinstance(value, RawResponse):
        try:
            body: Any = value.json()
        except ValueError:
            body = value.text
        return {"status_code": value.status_code, "headers": dict(value.headers), "body": body}
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _write_json(value: Any, out: TextIO) -> None:
    out.write(json.dumps(_plain(value), indent=2, ensure_ascii=False, default=str) + "\n")


Column = tuple[str, Callable[[Mapping[str, Any]], Any]]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())


def render_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    """Plain, left-aligned columns under a header row; an empty list is the header and ``(none)``."""
    cells = [[header.upper() for header, _ in columns]]
    cells += [[_cell(get(row)) for _, get in columns] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(columns))]
    lines = ["  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip() for line in cells]
    if not rows:
        lines.append("(none)")
    return "\n".join(lines) + "\n"


def _key(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda row: row.get(name)


METADATA_COLUMNS: tuple[Column, ...] = (
    ("type", _key("type")),
    ("name", _key("name")),
    ("brand color", _key("brandColor")),
    ("icon", _key("icon")),
)
INTEGRATIONS_COLUMNS: tuple[Column, ...] = (
    ("type", _key("type")),
    ("name", _key("name")),
    ("connected", _key("hasCredential")),
    ("workflows", lambda row: len(row.get("workflows") or [])),
    ("id", _key("id")),
)
CREDENTIALS_COLUMNS: tuple[Column, ...] = (
    ("id", _key("id")),
    # The integration's type (what `request`, `uninstall`… take), looked up by _run_credentials; else its id.
    ("integration", lambda row: row.get("integration") or row.get("integrationId")),
    ("status", _key("status")),
    ("provider id", _key("providerId")),
    ("connected", _key("dateCreated")),
)


# -- Parsing ---------------------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (naming the command's --help) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see `{self.prog} --help`)\n")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid float value: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


# The global options: accepted before the command (`paragon --project-id X me`) and after it (`paragon me
# --project-id X`); given in both places, the later one wins. The parser before the command has them with a default
# of None; each command's parser with argparse.SUPPRESS, so that a flag not repeated after the command does not
# overwrite the one given before it.
SETTINGS_FLAGS = (
    "--project-id",
    "--signing-key-path",
    "--host",
    "--api-url",
    "--proxy-url",
    "--actionkit-url",
    "--timeout",
    "--max-retries",
)
USER_FLAGS = ("--user", "--user-token")


def _settings_parent(default: Any) -> _Parser:
    parent = _Parser(add_help=False, argument_default=default)
    group = parent.add_argument_group("settings (flags win over the environment; before or after the command)")
    group.add_argument("--project-id", metavar="ID", help=f"the Paragon project id [{ENV_PROJECT_ID}]")
    group.add_argument(
        "--signing-key-path",
        metavar="FILE",
        help=f"the project's signing key, a PEM file [{ENV_SIGNING_KEY_PATH}; or its text in {ENV_SIGNING_KEY}]",
    )
    group.add_argument("--host", metavar="HOST", help="a self-hosted Paragon's base host [PARAGON_HOST]")
    group.add_argument("--api-url", metavar="URL", help=f"the SDK API's base URL [{ENV_API_URL}]")
    group.add_argument("--proxy-url", metavar="URL", help=f"the Proxy API's base URL [{ENV_PROXY_URL}]")
    group.add_argument("--actionkit-url", metavar="URL", help=f"ActionKit's base URL [{ENV_ACTIONKIT_URL}]")
    group.add_argument("--timeout", type=_positive_seconds, metavar="SECONDS", help="per-request timeout (default: 60)")
    group.add_argument("--max-retries", type=int, metavar="N", help="retries of a failed call (default: 2)")
    return parent


def _user_parent(default: Any) -> _Parser:
    parent = _Parser(add_help=False, argument_default=default)
    group = parent.add_argument_group("user (one of; before or after the command)").add_mutually_exclusive_group()
    group.add_argument("--user", metavar="USER_ID", help=f"act as this user, signing a token [{ENV_USER_ID}]")
    group.add_argument("--user-token", metavar="TOKEN", help="act with a user token signed elsewhere")
    return parent


def _table_parent() -> _Parser:
    parent = _Parser(add_help=False)
    parent.add_argument("--table", action="store_true", help="print aligned columns instead of JSON")
    return parent


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Paragon's SDK API from the command line: user tokens, a user's integrations, App Events, "
        "workflow triggers, Proxy API calls, and a local FakeParagon to try them against.",
        epilog=_ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_settings_parent(None), _user_parent(None)],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    settings, user = _settings_parent(argparse.SUPPRESS), _user_parent(argparse.SUPPRESS)
    table = _table_parent()

    def command(name: str, help_text: str, *parents: _Parser) -> _Parser:
        return commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[*parents, settings],
            epilog=_ENVIRONMENT_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    sub = command("token", "Print a signed Paragon User Token for USER_ID (for your frontend, or for --user-token).")
    sub.add_argument("user_id", metavar="USER_ID")
    sub.add_argument("--ttl", type=int, metavar="SECONDS", default=None, help="lifetime in seconds (default: 3600)")
    sub.set_defaults(run=_run_token)

    command("me", "Show the user and their state per integration (GET /sdk/me).", user).set_defaults(run=_run_me)
    command(
        "metadata", "List the project's integrations: name, brand color, icon (GET /sdk/metadata).", user, table
    ).set_defaults(run=_run_metadata)
    command(
        "integrations",
        "List the project's integrations with the user's connections (GET /sdk/integrations).",
        user,
        table,
    ).set_defaults(run=_run_integrations)
    command("credentials", "List the accounts the user connected (GET /sdk/credentials).", user, table).set_defaults(
        run=_run_credentials
    )

    sub = command("request", "Call a third-party API through Paragon's Proxy API, as the user.", user)
    sub.add_argument("integration", metavar="INTEGRATION", help="e.g. slack, salesforce, custom.myapi")
    sub.add_argument("method", metavar="METHOD", type=str.upper, choices=PROXY_METHODS, help=", ".join(PROXY_METHODS))
    sub.add_argument("path", metavar="PATH", help="the provider's path, e.g. chat.postMessage")
    sub.add_argument("--data", metavar="JSON", help="the request body, as JSON")
    sub.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a query parameter (repeatable)")
    sub.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="a header (repeatable)")
    sub.add_argument("--credential-id", metavar="ID", help="which of the user's accounts to use")
    sub.add_argument("--raw", action="store_true", help="print the provider's status, headers and body unwrapped")
    sub.set_defaults(run=_run_request)

    sub = command("event", "Send an App Event as the user (POST /sdk/events/trigger).", user)
    sub.add_argument("name", metavar="NAME")
    sub.add_argument("--payload", metavar="JSON", default="{}", help="the event's payload, a JSON object")
    sub.add_argument("--credential-id", metavar="ID")
    sub.set_defaults(run=_run_event)

    sub = command("workflow", "Trigger a Request-triggered workflow as the user (POST /sdk/triggers/{id}).", user)
    sub.add_argument("workflow_id", metavar="ID")
    sub.add_argument("--body", metavar="JSON", help="the request body, a JSON object")
    sub.add_argument("--credential-id", metavar="ID")
    sub.set_defaults(run=_run_workflow)

    sub = command("uninstall", "Disconnect an integration for the user (fires onIntegrationUninstall).", user)
    sub.add_argument("integration", metavar="INTEGRATION")
    sub.add_argument("--credential-id", metavar="ID", help="disconnect only this account")
    sub.set_defaults(run=_run_uninstall)

    sub = command(
        "enable-workflow",
        "Turn a workflow on for the user (POST /sdk/workflows/{id}, the call behind the JS SDK's "
        "updateWorkflowState({id: true})); the user must have connected its integration.",
        user,
    )
    sub.add_argument("workflow_id", metavar="ID")
    sub.add_argument("--credential-id", metavar="ID", help="in this account's configuration (default: the first)")
    sub.set_defaults(run=_run_enable_workflow)

    sub = command("disable-workflow", "Turn a workflow off for the user (DELETE /sdk/workflows/{id}).", user)
    sub.add_argument("workflow_id", metavar="ID")
    sub.add_argument("--credential-id", metavar="ID", help="in this account's configuration only (default: every one)")
    sub.set_defaults(run=_run_disable_workflow)

    sub = command(
        "mcp",
        "Serve the user's ActionKit tools to an MCP client over stdin/stdout until it disconnects (an MCP client "
        "such as Claude Desktop starts this command). Needs the mcp package: pip install 'useparagon[mcp]'.",
        user,
    )
    sub.add_argument(
        "--integration", action="append", default=[], metavar="INTEGRATION", help="only its tools (repeatable)"
    )
    sub.add_argument("--credential-id", metavar="ID", help="run the tools with this account")
    sub.set_defaults(run=_run_mcp)

    sub = commands.add_parser(
        "fake-server",
        help="Run FakeParagon on loopback until Ctrl-C.",
        description="Run FakeParagon (a local, stateful Paragon with a generated key pair and a default project) "
        "on loopback until Ctrl-C. Point the CLI or your app at it with the printed settings.",
        epilog=_FAKE_SERVER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # Its own dests: --host here is the address to listen on, not the settings' self-hosted Paragon host. Given
    # before the command, --project-id and --signing-key-path mean the same as here (see _check_global_flags).
    sub.add_argument(
        "--host",
        dest="listen_host",
        default=DEFAULT_FAKE_HOST,
        help=f"the address to listen on (default: {DEFAULT_FAKE_HOST})",
    )
    sub.add_argument("--port", type=int, default=0, metavar="N", help="the port (default: any free port)")
    sub.add_argument(
        "--print-env",
        action="store_true",
        help="print `export PARAGON_…=…` lines for a shell on stdout (the signing key included)",
    )
    sub.add_argument(
        "--project-id", metavar="ID", default=argparse.SUPPRESS, help="the fake project's id (default: a fixed uuid)"
    )
    sub.add_argument(
        "--signing-key-path",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="sign with this PEM private key instead of a fresh one (so tokens survive a restart)",
    )
    scenario = sub.add_argument_group("scenario (each repeatable; applied in this order before serving)")
    scenario.add_argument(
        "--connect",
        action="append",
        default=[],
        metavar="USER_ID:INTEGRATION",
        help="give a user a connected account (VALID), e.g. u1:slack",
    )
    scenario.add_argument(
        "--enable-workflow",
        action="append",
        default=[],
        metavar="USER_ID:WORKFLOW",
        help="turn a workflow on for a user who has --connect-ed its integration; WORKFLOW is its id or its "
        "description, e.g. 'u1:Send Updates to Slack'",
    )
    scenario.add_argument(
        "--workflow-response",
        action="append",
        default=[],
        metavar="WORKFLOW=JSON",
        help="make triggering the workflow answer 200 with this JSON (its Response step) instead of 202, e.g. "
        '\'Create Opportunity in Salesforce={"id": "006"}\'',
    )
    sub.set_defaults(run=_run_fake_server)
    return parser


_FAKE_SERVER_HELP = """the default project's integrations and workflows (WORKFLOW is the id or the description):
  salesforce   Sync Contacts to Salesforce (App Event "Contact Created"), Create Opportunity in Salesforce
  hubspot      Sync Contacts to HubSpot (App Event "Contact Created")
  slack        Send Updates to Slack, Notify Slack of New Leads (App Event "Lead Created")
  googledrive  Back Up Files to Google Drive
  freshdesk    Create Tickets in Freshdesk (App Event "Support Request Created"; an API-key integration)
The banner prints the id of each workflow given to --enable-workflow or --workflow-response, for `paragon workflow`.

example: a workflow that can be triggered, and its answer
  paragon fake-server --print-env --connect u1:salesforce \\
      --enable-workflow 'u1:Create Opportunity in Salesforce' \\
      --workflow-response 'Create Opportunity in Salesforce={"id": "006"}' > fake.env &
  source fake.env && paragon workflow e682aeca-5381-5632-946f-48e276161bbd --user u1 --body '{"amount": 5}'
  (ids are the same in every run: that is "Create Opportunity in Salesforce"; it prints {"id": "006"})
"""


def _check_global_flags(args: argparse.Namespace) -> None:
    """Refuse a global option given before a command that has no use for it (rather than ignore it), and --user
    with --user-token when they were given on either side of the command."""
    command = args.command
    given = [flag for flag in (*SETTINGS_FLAGS, *USER_FLAGS) if getattr(args, _dest(flag), None) is not None]
    if args.user is not None and args.user_token is not None:
        raise UsageError("argument --user-token: not allowed with argument --user", command)
    if command == "token":
        unused = [flag for flag in given if flag in USER_FLAGS]
        if unused:
            raise UsageError(f"{unused[0]} does not apply to `token`: it signs a token for its USER_ID", command)
    elif command == "fake-server":
        # --project-id and --signing-key-path name the fake's project and key, before or after `fake-server`.
        unused = [flag for flag in given if flag not in ("--project-id", "--signing-key-path")]
        if "--host" in unused:
            raise UsageError(
                "--host before `fake-server` is a self-hosted Paragon's host; put it after `fake-server` to choose "
                "the address to listen on",
                command,
            )
        if unused:
            raise UsageError(f"{unused[0]} does not apply to `fake-server`", command)


def _dest(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_")


def _json_arg(text: str | None, option: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        # The position is enough: the text itself is not echoed (it may hold something secret).
        message = error.msg if isinstance(error, json.JSONDecodeError) else "not JSON"
        where = f" at line {error.lineno} column {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
        raise UsageError(f"{option} is not valid JSON: {message}{where}") from None


def _pairs(items: Sequence[str], separator: str, option: str) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        key, found, value = item.partition(separator)
        if not found or not key.strip():
            raise UsageError(f"{option} takes NAME{separator}VALUE, got an item without {separator!r}")
        pairs.append((key.strip(), value.strip() if separator == ":" else value))
    return pairs


# -- Commands --------------------------------------------------------------------------------------------------------


def _client_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.max_retries is not None:
        options["max_retries"] = args.max_retries
    return {
        "project_id": args.project_id,
        "signing_key_path": args.signing_key_path,
        "host": args.host,
        # The library reads PARAGON_API_URL and the others when a flag is not given, as it does for an app.
        "api_url": args.api_url,
        "proxy_url": args.proxy_url,
        "actionkit_url": args.actionkit_url,
        **options,
    }


def _client(args: argparse.Namespace) -> Paragon:
    from ._client import Paragon

    return Paragon(**_client_options(args))


def _user_id(args: argparse.Namespace) -> str | None:
    """The user to sign a token for (--user, else PARAGON_USER_ID); None with --user-token, which needs none."""
    if args.user_token is not None:
        return None
    user_id = args.user if args.user is not None else os.environ.get(ENV_USER_ID) or None
    if user_id is None:
        raise UsageError(f"no user: pass --user USER_ID or --user-token TOKEN, or set {ENV_USER_ID}")
    return user_id


def _session(client: Paragon, args: argparse.Namespace) -> UserSession:
    return client.authenticate(_user_id(args), user_token=args.user_token)


def _run_mcp(args: argparse.Namespace) -> int:
    """stdout is the MCP client's: nothing but the protocol is written there, and errors go to stderr."""
    import asyncio

    from ._async_client import AsyncParagon
    from ._mcp import mcp_server, serve_stdio

    client = AsyncParagon(**_client_options(args))
    session = client.authenticate(_user_id(args), user_token=args.user_token)
    from ._calls import targeting
    from ._validation import validate_integration_type

    for integration in args.integration:
        validate_integration_type(integration, name="--integration")
    targeting(args.credential_id, None)
    options: dict[str, Any] = {"integrations": args.integration or None, "credential_id": args.credential_id}
    # Before stdio is taken over: a missing mcp package or a bad option is a plain error line, not a dead server.
    mcp_server(session, **options)

    async def serve() -> None:
        async with client:
            await serve_stdio(session, **options)

    asyncio.run(serve())
    return EXIT_OK


def _run_token(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    token = (
        client.sign_user_token(args.user_id) if args.ttl is None else client.sign_user_token(args.user_id, ttl=args.ttl)
    )
    out.write(token + "\n")


def _run_me(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    _write_json(_session(client, args).get_user(), out)


def _write_list(items: Sequence[Any], columns: Sequence[Column], args: argparse.Namespace, out: TextIO) -> None:
    rows = _plain(list(items))
    if args.table:
        out.write(render_table(rows, columns))
    else:
        _write_json(rows, out)


def _run_metadata(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    _write_list(_session(client, args).get_integration_metadata(), METADATA_COLUMNS, args, out)


def _run_integrations(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    _write_list(_session(client, args).get_integrations(), INTEGRATIONS_COLUMNS, args, out)


def _run_credentials(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    session = _session(client, args)
    credentials = session.get_credentials()
    if not args.table:
        _write_json(credentials, out)
        return
    rows = _plain(list(credentials))
    if rows:
        # A credential names its integration by id only: one more call maps ids to types for the table.
        types = {i.get("id"): i.get("type") for i in _plain(session.get_integrations())}
        rows = [{**row, "integration": types.get(row.get("integrationId"))} for row in rows]
    out.write(render_table(rows, CREDENTIALS_COLUMNS))


def _run_request(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    body = _json_arg(args.data, "--data")
    params: dict[str, list[str]] = {}
    for key, value in _pairs(args.param, "=", "--param"):
        params.setdefault(key, []).append(value)
    headers = dict(_pairs(args.header, ":", "--header"))
    session = _session(client, args)
    result = session.request(
        args.integration,
        args.path,
        method=args.method,
        body=body,
        params=params or None,
        headers=headers or None,
        credential_id=args.credential_id,
        raw=args.raw,
    )
    _write_json(result, out)


def _run_event(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    payload = _json_arg(args.payload, "--payload")
    _session(client, args).event(args.name, payload, credential_id=args.credential_id)
    _write_json({"sent": True, "name": args.name}, out)


def _run_workflow(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    body = _json_arg(args.body, "--body")
    # The workflow's custom response, or null when it answered 202 Accepted (no Response step).
    _write_json(_session(client, args).workflow(args.workflow_id, body=body, credential_id=args.credential_id), out)


def _run_uninstall(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    session = _session(client, args)
    fired: list[Any] = []
    session.subscribe("onIntegrationUninstall", lambda event, _user: fired.append(event))
    session.uninstall_integration(args.integration, credential_id=args.credential_id)
    _write_json(fired[0] if fired else {"type": "onIntegrationUninstall", "integrationType": args.integration}, out)


def _run_enable_workflow(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    _set_workflow_state(client, args, out, enabled=True)


def _run_disable_workflow(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    _set_workflow_state(client, args, out, enabled=False)


def _set_workflow_state(client: Paragon, args: argparse.Namespace, out: TextIO, *, enabled: bool) -> None:
    session = _session(client, args)
    fired: list[Any] = []
    session.subscribe("onWorkflowChange", lambda event, _user: fired.append(event))
    change = session.enable_workflow if enabled else session.disable_workflow
    change(args.workflow_id, credential_id=args.credential_id)
    _write_json(fired[0] if fired else {"type": "onWorkflowChange", "workflowId": args.workflow_id}, out)


def _shell_quote(value: str) -> str:
    """Single-quoted for POSIX shells; a PEM becomes one line with literal ``\\n``, which the library accepts."""
    flat = value.replace("\n", "\\n")
    return "'" + flat.replace("'", "'\"'\"'") + "'"


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _announce(
    args: argparse.Namespace, fake: FakeParagon, server: FakeServer, scenario: Sequence[str], out: TextIO, err: TextIO
) -> None:
    env = {
        ENV_PROJECT_ID: fake.project_id,
        ENV_SIGNING_KEY: fake.signing_key_pem,
        ENV_API_URL: server.url,
        ENV_PROXY_URL: server.url,
        ENV_ACTIONKIT_URL: server.url,
        ENV_SYNC_URL: server.url,
        # Task History's credential: the fake's own, as throwaway as its signing key.
        ENV_API_KEY: fake.api_key,
    }
    key_note = "from --signing-key-path" if args.signing_key_path is not None else "generated for this run"
    err.write(
        f"FakeParagon listening on {server.url} (Ctrl-C to stop)\n"
        f"  project id:  {fake.project_id}\n"
        f"  signing key: {key_note}; `--print-env` prints it with the other settings as export lines\n"
    )
    for line in scenario:
        err.write(f"  {line}\n")
    err.flush()
    # The export lines come last: whoever reads them knows the banner is complete.
    if args.print_env:
        out.write("".join(f"export {name}={_shell_quote(value)}\n" for name, value in env.items()))
        out.flush()


def _fake_workflows(fake: FakeParagon) -> list[tuple[str, str, str]]:
    """(id, integration type, description) of each workflow of the fake's default project."""
    from .testing._defaults import DEFAULT_INTEGRATIONS

    return [
        (fake.workflow_id(spec.type, workflow.description), spec.type, workflow.description)
        for spec in DEFAULT_INTEGRATIONS
        for workflow in spec.workflows
    ]


def _find_workflow(workflows: Sequence[tuple[str, str, str]], name: str, option: str) -> tuple[str, str, str]:
    """The workflow whose id or description is ``name``."""
    found = [workflow for workflow in workflows if name in (workflow[0], workflow[2])]
    if not found:
        known = ", ".join(repr(description) for _, _, description in workflows)
        raise UsageError(f"{option}: no workflow {name!r} in the project (by id or description: {known})")
    return found[0]


def _set_up_scenario(fake: FakeParagon, args: argparse.Namespace) -> list[str]:
    """Apply --connect, --enable-workflow and --workflow-response to ``fake``; returns the banner's lines."""
    lines = []
    for item in args.connect:
        user_id, found, integration = item.partition(":")
        if not found or not user_id or not integration:
            raise UsageError("--connect takes USER_ID:INTEGRATION, e.g. u1:slack")
        try:
            fake.user(user_id).connect(integration)
        except (KeyError, ValueError) as error:
            raise UsageError(f"--connect {item}: {error.args[0] if error.args else error}") from None
        lines.append(f"connected:   {item}")
    workflows = _fake_workflows(fake) if args.enable_workflow or args.workflow_response else []
    for item in args.enable_workflow:
        user_id, found, name = item.partition(":")
        if not found or not user_id or not name:
            raise UsageError("--enable-workflow takes USER_ID:WORKFLOW, e.g. 'u1:Send Updates to Slack'")
        workflow_id, integration, description = _find_workflow(workflows, name, "--enable-workflow")
        try:
            fake.user(user_id).enable_workflow(workflow_id)
        except ValueError as error:
            # The user has no VALID account for the workflow's integration.
            raise UsageError(f"--enable-workflow {item}: {error} (--connect {user_id}:{integration})") from None
        lines.append(f"enabled:     {user_id}:{workflow_id} ({integration}: {description})")
    for item in args.workflow_response:
        name, found, text = item.partition("=")
        if not found or not name:
            raise UsageError("--workflow-response takes WORKFLOW=JSON, e.g. 'Create Opportunity in Salesforce={}'")
        workflow_id, integration, description = _find_workflow(workflows, name, "--workflow-response")
        fake.set_workflow_response(workflow_id, _json_arg(text, f"--workflow-response {name}"))
        lines.append(f"response:    {workflow_id} ({integration}: {description}) answers 200 with JSON")
    return lines


def _run_fake_server(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # Imported here: the fake (and its key generation) costs nothing for the other commands.
    from .testing import FakeParagon

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535, got {args.port}")
    options: dict[str, Any] = {}
    if args.project_id is not None:
        options["project_id"] = args.project_id
    if args.signing_key_path is not None:
        try:
            options["signing_key_pem"] = Path(args.signing_key_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read --signing-key-path: {getattr(error, 'strerror', None) or error}") from None
    try:
        fake = FakeParagon(**options)
    except ValueError as error:
        # The fake's key loader says what is wrong with the key without quoting it.
        raise UsageError(f"cannot start FakeParagon: {error}") from None
    scenario = _set_up_scenario(fake, args)
    try:
        server = fake.serve(host=args.listen_host, port=args.port)
    except OSError as error:
        raise UsageError(f"cannot listen on {args.listen_host}:{args.port}: {error.strerror or error}") from None
    # Ctrl-C (SIGINT) and `kill` (SIGTERM) both stop it cleanly. SIGINT gets a handler of its own: a shell starts a
    # background job with SIGINT ignored, and Python then never installs its KeyboardInterrupt handler. Either may
    # come as soon as the settings are printed, before serve_forever() runs, so the server is closed either way.
    previous = {number: signal.signal(number, _interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        _announce(args, fake, server, scenario, out, err)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        server.close()
    err.write("FakeParagon stopped\n")
    return EXIT_OK


# -- Entry point -----------------------------------------------------------------------------------------------------


def _fail(message: str, code: int, err: TextIO) -> int:
    err.write(f"{PROG}: error: {' '.join(message.split())}\n")
    return code


def _warn_about_the_environment(err: TextIO) -> None:
    """A setting the library would ignore in silence (an unknown PARAGON_LOG) is a ``paragon: warning:`` line."""
    from ._logging import warn_on_unknown_level

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_on_unknown_level()
    for warning in caught:
        err.write(f"{PROG}: warning: {' '.join(str(warning.message).split())}\n")


# The library's messages name its keyword arguments (`pass project_id= or set PARAGON_PROJECT_ID`, `api_url must be
# …`); the command line's name its flags. Arguments the CLI has no flag for are left as they are.
_CLI_WORDS = {
    "project_id": "--project-id",
    "signing_key_path": "--signing-key-path",
    "host": "--host",
    "api_url": "--api-url",
    "proxy_url": "--proxy-url",
    "actionkit_url": "--actionkit-url",
    "timeout": "--timeout",
    "max_retries": "--max-retries",
    "ttl": "--ttl",
    "user_token": "--user-token",
    "credential_id": "--credential-id",
    "params": "--param",
}
_NAMES = "|".join(sorted(_CLI_WORDS, key=len, reverse=True))
# `signing_key=`: the key's text has no flag on purpose (docs/guide/cli.md); PARAGON_SIGNING_KEY is named right after.
_SIGNING_KEY_CHOICE = re.compile(r"\bsigning_key= or signing_key_path=")
_KEYWORD = re.compile(rf"\b({_NAMES})=(?!\w)")
# The argument as the subject of the message (or of a clause after "; "): `api_url must be an http(s) URL…`.
_SUBJECT = re.compile(rf"(?:^|(?<=; ))({_NAMES})(?= (?:must|is|has|needs)\b)")


def cli_message(error: ParagonError) -> str:
    """``error``'s message in the command line's words: ``--project-id`` rather than ``pass project_id=``."""
    message = _SIGNING_KEY_CHOICE.sub("--signing-key-path", error.message)
    message = _KEYWORD.sub(lambda match: _CLI_WORDS[match.group(1)], message)
    return _SUBJECT.sub(lambda match: _CLI_WORDS[match.group(1)], message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    out, err = sys.stdout, sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        # --help and --version exit 0; usage errors have already printed their message.
        return exit_.code if isinstance(exit_.code, int) else (EXIT_OK if exit_.code is None else EXIT_USAGE)
    from ._errors import APIError, ConfigurationError, InvalidRequestError, ParagonError

    _warn_about_the_environment(err)
    try:
        _check_global_flags(args)
        if args.command == "fake-server":
            return _run_fake_server(args, out, err)
        if args.command == "mcp":
            return _run_mcp(args)
        with _client(args) as client:
            args.run(client, args, out)
        out.flush()
    except UsageError as error:
        see = f" (see `{PROG} {error.help_command} --help`)" if error.help_command else ""
        return _fail(f"{error}{see}", EXIT_USAGE, err)
    except (ConfigurationError, InvalidRequestError) as error:
        return _fail(cli_message(error), EXIT_USAGE, err)
    except APIError as error:
        # Paragon's (or the transport's) own words: nothing in them is the library's Python wording.
        return _fail(error.message, EXIT_API_ERROR, err)
    except ParagonError as error:
        return _fail(cli_message(error), EXIT_API_ERROR, err)
    except KeyboardInterrupt:
        err.write("\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`paragon integrations | head`); send nothing more to the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_API_ERROR
    return EXIT_OK
