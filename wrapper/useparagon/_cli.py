"""The ``paragon`` command: sign user tokens, make SDK calls as a user, and run FakeParagon, from a shell.

Results are JSON on stdout (``--table`` renders lists as aligned columns); an expected failure is one line on
stderr, ``paragon: error: …``, with exit status 2 for usage and configuration problems and 1 for failed calls.

The client is imported once the command line has parsed, so ``paragon --help`` and usage errors never load it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from ._constants import ENV_PROJECT_ID, ENV_SIGNING_KEY, ENV_SIGNING_KEY_PATH, PROXY_METHODS
from ._version import __version__

if TYPE_CHECKING:
    from ._client import Paragon
    from ._session import UserSession
    from .testing import FakeParagon, FakeServer

PROG = "paragon"

# Read by the command line only (the library takes these as arguments), so that it can be pointed at FakeParagon.
ENV_API_URL = "PARAGON_API_URL"
ENV_PROXY_URL = "PARAGON_PROXY_URL"
ENV_ACTIONKIT_URL = "PARAGON_ACTIONKIT_URL"
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
  {ENV_USER_ID}             the user to act as (or --user)
"""


class UsageError(Exception):
    """A command line that cannot work (bad JSON, a missing user…): exit 2 with the message."""


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
    ("integration id", _key("integrationId")),
    ("status", _key("status")),
    ("provider id", _key("providerId")),
    ("connected", _key("dateCreated")),
)


# -- Parsing ---------------------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (naming the command's --help) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see `{self.prog} --help`)\n")


def _settings_parent() -> _Parser:
    parent = _Parser(add_help=False)
    group = parent.add_argument_group("settings (flags win over the environment)")
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
    group.add_argument("--timeout", type=float, metavar="SECONDS", help="per-request timeout (default: 60)")
    group.add_argument("--max-retries", type=int, metavar="N", help="retries of a failed call (default: 2)")
    return parent


def _user_parent() -> _Parser:
    parent = _Parser(add_help=False)
    group = parent.add_argument_group("user (one of)").add_mutually_exclusive_group()
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
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    settings, user, table = _settings_parent(), _user_parent(), _table_parent()

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

    sub = command("disable-workflow", "Turn a workflow off for the user (DELETE /sdk/workflows/{id}).", user)
    sub.add_argument("workflow_id", metavar="ID")
    sub.add_argument("--credential-id", metavar="ID")
    sub.set_defaults(run=_run_disable_workflow)

    sub = commands.add_parser(
        "fake-server",
        help="Run FakeParagon on loopback until Ctrl-C.",
        description="Run FakeParagon (a local, stateful Paragon with a generated key pair and a default project) "
        "on loopback until Ctrl-C. Point the CLI or your app at it with the printed settings.",
    )
    sub.add_argument(
        "--host", default=DEFAULT_FAKE_HOST, help=f"the address to listen on (default: {DEFAULT_FAKE_HOST})"
    )
    sub.add_argument("--port", type=int, default=0, metavar="N", help="the port (default: any free port)")
    sub.add_argument(
        "--print-env",
        action="store_true",
        help="print `export PARAGON_…=…` lines for a shell on stdout (the signing key included)",
    )
    sub.add_argument("--project-id", metavar="ID", help="the fake project's id (default: a fixed uuid)")
    sub.add_argument(
        "--signing-key-path",
        metavar="FILE",
        help="sign with this PEM private key instead of a fresh one (so tokens survive a restart)",
    )
    sub.add_argument(
        "--connect",
        action="append",
        default=[],
        metavar="USER_ID:INTEGRATION",
        help="give a user a connected account (repeatable), e.g. u1:slack",
    )
    sub.set_defaults(run=_run_fake_server)
    return parser


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


def _client(args: argparse.Namespace) -> Paragon:
    from ._client import Paragon

    environ = os.environ

    def setting(flag: str | None, env: str) -> str | None:
        return flag if flag is not None else (environ.get(env) or None)

    options: dict[str, Any] = {}
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.max_retries is not None:
        options["max_retries"] = args.max_retries
    return Paragon(
        project_id=args.project_id,
        signing_key_path=args.signing_key_path,
        host=args.host,
        api_url=setting(args.api_url, ENV_API_URL),
        proxy_url=setting(args.proxy_url, ENV_PROXY_URL),
        actionkit_url=setting(args.actionkit_url, ENV_ACTIONKIT_URL),
        **options,
    )


def _session(client: Paragon, args: argparse.Namespace) -> UserSession:
    if args.user_token is not None:
        return client.authenticate(user_token=args.user_token)
    user_id = args.user if args.user is not None else os.environ.get(ENV_USER_ID) or None
    if user_id is None:
        raise UsageError(f"no user: pass --user USER_ID or --user-token TOKEN, or set {ENV_USER_ID}")
    return client.authenticate(user_id)


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
    _write_list(_session(client, args).get_credentials(), CREDENTIALS_COLUMNS, args, out)


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


def _run_disable_workflow(client: Paragon, args: argparse.Namespace, out: TextIO) -> None:
    session = _session(client, args)
    fired: list[Any] = []
    session.subscribe("onWorkflowChange", lambda event, _user: fired.append(event))
    session.disable_workflow(args.workflow_id, credential_id=args.credential_id)
    _write_json(fired[0] if fired else {"type": "onWorkflowChange", "workflowId": args.workflow_id}, out)


def _shell_quote(value: str) -> str:
    """Single-quoted for POSIX shells; a PEM becomes one line with literal ``\\n``, which the library accepts."""
    flat = value.replace("\n", "\\n")
    return "'" + flat.replace("'", "'\"'\"'") + "'"


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _announce(args: argparse.Namespace, fake: FakeParagon, server: FakeServer, out: TextIO, err: TextIO) -> None:
    env = {
        ENV_PROJECT_ID: fake.project_id,
        ENV_SIGNING_KEY: fake.signing_key_pem,
        ENV_API_URL: server.url,
        ENV_PROXY_URL: server.url,
        ENV_ACTIONKIT_URL: server.url,
    }
    key_note = "from --signing-key-path" if args.signing_key_path is not None else "generated for this run"
    err.write(
        f"FakeParagon listening on {server.url} (Ctrl-C to stop)\n"
        f"  project id:  {fake.project_id}\n"
        f"  signing key: {key_note}; `--print-env` prints it with the other settings as export lines\n"
    )
    for item in args.connect:
        err.write(f"  connected:   {item}\n")
    err.flush()
    # The export lines come last: whoever reads them knows the banner is complete.
    if args.print_env:
        out.write("".join(f"export {name}={_shell_quote(value)}\n" for name, value in env.items()))
        out.flush()


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
    for item in args.connect:
        user_id, found, integration = item.partition(":")
        if not found or not user_id or not integration:
            raise UsageError("--connect takes USER_ID:INTEGRATION, e.g. u1:slack")
        try:
            fake.user(user_id).connect(integration)
        except (KeyError, ValueError) as error:
            raise UsageError(f"--connect {item}: {error.args[0] if error.args else error}") from None
    try:
        server = fake.serve(host=args.host, port=args.port)
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    # Ctrl-C (SIGINT) and `kill` (SIGTERM) both stop it cleanly. SIGINT gets a handler of its own: a shell starts a
    # background job with SIGINT ignored, and Python then never installs its KeyboardInterrupt handler. Either may
    # come as soon as the settings are printed, before serve_forever() runs, so the server is closed either way.
    previous = {number: signal.signal(number, _interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        _announce(args, fake, server, out, err)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    out, err = sys.stdout, sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        # --help and --version exit 0; usage errors have already printed their message.
        return exit_.code if isinstance(exit_.code, int) else (EXIT_OK if exit_.code is None else EXIT_USAGE)
    from ._errors import ConfigurationError, InvalidRequestError, ParagonError

    try:
        if args.command == "fake-server":
            return _run_fake_server(args, out, err)
        with _client(args) as client:
            args.run(client, args, out)
        out.flush()
    except UsageError as error:
        return _fail(str(error), EXIT_USAGE, err)
    except (ConfigurationError, InvalidRequestError) as error:
        return _fail(error.message, EXIT_USAGE, err)
    except ParagonError as error:
        return _fail(error.message, EXIT_API_ERROR, err)
    except KeyboardInterrupt:
        err.write("\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`paragon integrations | head`); send nothing more to the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_API_ERROR
    return EXIT_OK
