"""Client configuration: arguments over the environment, service URLs, timeouts, retries, with_options, closing."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    APIStatusError,
    AsyncParagon,
    ClientClosedError,
    ConfigurationError,
    InternalServerError,
    Paragon,
    RetryPolicy,
    SigningKeyError,
)
from useparagon import _constants as constants
from useparagon._signing import TokenSigner

from tests.support import API, PROJECT_ID, Handler, MakeHarness, json_response

ENV_VARS = (
    "PARAGON_PROJECT_ID",
    "PARAGON_SIGNING_KEY",
    "PARAGON_SIGNING_KEY_PATH",
    "PARAGON_HOST",
    "PARAGON_LOG",
    "PARAGON_API_URL",
    "PARAGON_PROXY_URL",
    "PARAGON_ACTIONKIT_URL",
    "PARAGON_HERMES_URL",
    "PARAGON_SYNC_URL",
    "PARAGON_API_KEY",
)
ARG_PROJECT = "0f6e1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
ENV_PROJECT = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
USER = {"authenticated": True, "userId": "user-123", "integrations": {}}
CLIENTS: dict[str, type[Paragon] | type[AsyncParagon]] = {"sync": Paragon, "async": AsyncParagon}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the PARAGON_* variables of the machine running it."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def ok(_request: httpx.Request) -> httpx.Response:
    return json_response(200, USER)


class Built:
    """A client built directly (not through ``Harness``), for settings ``Harness`` cannot express."""

    def __init__(self, flavor: str, handler: Handler = ok, http_timeout: float | None = None, **options: Any) -> None:
        self.requests: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return handler(request)

        transport = httpx.MockTransport(record)
        extra: dict[str, Any] = {} if http_timeout is None else {"timeout": http_timeout}
        if flavor == "sync":
            self.http: httpx.Client | httpx.AsyncClient = httpx.Client(transport=transport, **extra)
            self.client: Paragon | AsyncParagon = Paragon(http_client=self.http, **options)
        else:
            self.http = httpx.AsyncClient(transport=transport, **extra)
            self.client = AsyncParagon(http_client=self.http, **options)

    @staticmethod
    def run(value: Any) -> Any:
        if inspect.isawaitable(value):

            async def wait() -> Any:
                return await value

            return asyncio.run(wait())
        return value


def verify(token: str, key: rsa.RSAPrivateKey, project_id: str = PROJECT_ID) -> dict[str, Any]:
    """The token's claims, checked against ``key``'s public half and the project's audience."""
    claims: dict[str, Any] = jwt.decode(
        token, key.public_key(), algorithms=["RS256"], audience=f"useparagon.com/{project_id}"
    )
    return claims


# -- Arguments and the environment -----------------------------------------------------------------------------------


def test_explicit_arguments_win_over_the_environment(
    make_harness: MakeHarness, monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey
) -> None:
    """project_id, signing_key and host passed in are used; the (garbage) environment values are never read."""
    monkeypatch.setenv("PARAGON_PROJECT_ID", ENV_PROJECT)
    monkeypatch.setenv("PARAGON_SIGNING_KEY", "not a key at all")
    monkeypatch.setenv("PARAGON_SIGNING_KEY_PATH", "/nonexistent/key.pem")
    monkeypatch.setenv("PARAGON_HOST", "env.example.com")
    harness = make_harness(ok, project_id=ARG_PROJECT, host="arg.example.com")
    harness.run(harness.session.get_user())
    (request,) = harness.requests
    assert str(request.url) == f"https://zeus.arg.example.com/projects/{ARG_PROJECT}/sdk/me"
    claims = verify(request.headers["authorization"].removeprefix("Bearer "), rsa_key, ARG_PROJECT)
    assert claims["sub"] == "user-123"


def test_signing_key_path_argument_wins_over_the_key_in_the_environment(
    flavor: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rsa_pem: str, rsa_key: rsa.RSAPrivateKey
) -> None:
    """An explicit signing_key_path beats PARAGON_SIGNING_KEY (which holds garbage here)."""
    monkeypatch.setenv("PARAGON_SIGNING_KEY", "garbage")
    key_file = tmp_path / "paragon.pem"
    key_file.write_text(rsa_pem)
    built = Built(flavor, project_id=PROJECT_ID, signing_key_path=key_file)
    assert verify(built.client.sign_user_token("u-1"), rsa_key)["sub"] == "u-1"


def test_the_environment_fills_in_every_setting(
    make_harness: MakeHarness, monkeypatch: pytest.MonkeyPatch, rsa_pem: str, rsa_key: rsa.RSAPrivateKey
) -> None:
    """With no arguments, PARAGON_PROJECT_ID, PARAGON_SIGNING_KEY and PARAGON_HOST configure the client."""
    monkeypatch.setenv("PARAGON_PROJECT_ID", ENV_PROJECT)
    monkeypatch.setenv("PARAGON_SIGNING_KEY", rsa_pem)
    monkeypatch.setenv("PARAGON_HOST", "  paragon.example.com  ")
    harness = make_harness(ok, project_id=None, signing_key=None)
    harness.run(harness.session.get_user())
    (request,) = harness.requests
    assert str(request.url) == f"https://zeus.paragon.example.com/projects/{ENV_PROJECT}/sdk/me"
    assert verify(request.headers["authorization"].removeprefix("Bearer "), rsa_key, ENV_PROJECT)["sub"] == "user-123"


SERVICE_ENVIRONMENT = {
    "PARAGON_API_URL": "http://127.0.0.1:8765",
    "PARAGON_PROXY_URL": "http://127.0.0.1:8766",
    "PARAGON_ACTIONKIT_URL": "http://127.0.0.1:8767",
    "PARAGON_HERMES_URL": "http://127.0.0.1:8768",
}


def test_the_environment_names_each_service(flavor: str, monkeypatch: pytest.MonkeyPatch, rsa_pem: str) -> None:
    """What `paragon fake-server --print-env` exports points an app's Paragon() at the fake, as it does the CLI."""
    for name, value in SERVICE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PARAGON_HOST", "ignored.example.com")  # a service's own URL wins over the host of all
    built = Built(flavor, project_id=PROJECT_ID, signing_key=rsa_pem)
    urls = built.client.urls
    assert (urls.api, urls.proxy, urls.actionkit, urls.hermes) == tuple(SERVICE_ENVIRONMENT.values())
    built.run(built.client.authenticate("u-1").get_user())
    (request,) = built.requests
    assert str(request.url) == f"http://127.0.0.1:8765/projects/{PROJECT_ID}/sdk/me"


def test_arguments_win_over_the_service_urls_in_the_environment(flavor: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """host= derives every service not passed on its own, whatever the environment says; proxy_url= wins alone."""
    for name, value in SERVICE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    urls = Built(flavor, project_id=PROJECT_ID, host="arg.example.com", proxy_url="https://p.example.com").client.urls
    assert (urls.api, urls.proxy, urls.actionkit, urls.hermes) == (
        "https://zeus.arg.example.com",
        "https://p.example.com",
        "https://worker-actionkit.arg.example.com",
        "https://hermes.arg.example.com",
    )
    urls = Built(flavor, project_id=PROJECT_ID, api_url="https://a.example.com").client.urls
    assert (urls.api, urls.proxy) == ("https://a.example.com", "http://127.0.0.1:8766")


def test_the_host_in_the_environment_fills_the_services_without_a_url(
    flavor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARAGON_HOST", "paragon.example.com")
    monkeypatch.setenv("PARAGON_API_URL", "http://127.0.0.1:8765")
    urls = Built(flavor, project_id=PROJECT_ID).client.urls
    assert (urls.api, urls.proxy, urls.actionkit, urls.hermes) == (
        "http://127.0.0.1:8765",
        "https://worker-proxy.paragon.example.com",
        "https://worker-actionkit.paragon.example.com",
        "https://hermes.paragon.example.com",
    )


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("ftp://files.example.com", "PARAGON_PROXY_URL must be an http(s) URL"),
        ("https://admin:hunter2@proxy.example.com", "***@proxy.example.com"),
        ("not a url at all", "PARAGON_PROXY_URL"),
    ],
)
def test_a_bad_service_url_in_the_environment_is_refused_by_name(
    flavor: str, monkeypatch: pytest.MonkeyPatch, value: str, says: str
) -> None:
    monkeypatch.setenv("PARAGON_PROXY_URL", value)
    with pytest.raises(ConfigurationError, match=re.escape(says)) as caught:
        Built(flavor, project_id=PROJECT_ID)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "project_id",
    [
        "my-project",
        "38b1f170-0c43-4eae-9a04-ab85325d99f",
        "38b1f1700c434eae9a04ab85325d99f7",
        "{38b1f170-0c43-4eae-9a04-ab85325d99f7}",
    ],
)
@pytest.mark.parametrize("source", ["argument", "environment"])
def test_a_project_id_that_is_not_a_uuid_is_refused_at_construction(
    flavor: str, monkeypatch: pytest.MonkeyPatch, project_id: str, source: str
) -> None:
    """Caught when the client is built, with where to find the real one, instead of "Project not found." later."""
    if source == "environment":
        monkeypatch.setenv("PARAGON_PROJECT_ID", project_id)
    with pytest.raises(ConfigurationError) as caught:
        Built(flavor, project_id=project_id if source == "argument" else None)
    message = str(caught.value)
    assert message.startswith("project_id must be your Paragon project's UUID")
    assert "'Copy Project ID'" in message
    assert message.endswith(f"got {project_id!r}")


def test_a_project_uuid_is_accepted_in_either_case(flavor: str) -> None:
    assert Built(flavor, project_id=PROJECT_ID.upper()).client.project_id == PROJECT_ID.upper()


KEY_FORMS: dict[str, Callable[[str, Path], dict[str, str]]] = {
    "PEM": lambda pem, _p: {"PARAGON_SIGNING_KEY": pem},
    "single line with \\n escapes": lambda pem, _p: {"PARAGON_SIGNING_KEY": pem.strip().replace("\n", "\\n")},
    "CRLF line endings": lambda pem, _p: {"PARAGON_SIGNING_KEY": pem.replace("\n", "\r\n")},
    "surrounding whitespace": lambda pem, _p: {"PARAGON_SIGNING_KEY": f"\n  {pem}  \n"},
    "key file": lambda _pem, path: {"PARAGON_SIGNING_KEY_PATH": str(path)},
    "key file, path with spaces around": lambda _pem, path: {"PARAGON_SIGNING_KEY_PATH": f"  {path}\n"},
    "key wins over key file": lambda pem, _p: {
        "PARAGON_SIGNING_KEY": pem,
        "PARAGON_SIGNING_KEY_PATH": "/nonexistent/key.pem",
    },
    "blank key falls through to the key file": lambda _pem, path: {
        "PARAGON_SIGNING_KEY": "   ",
        "PARAGON_SIGNING_KEY_PATH": str(path),
    },
}


@pytest.mark.parametrize("form", KEY_FORMS.values(), ids=KEY_FORMS.keys())
def test_signing_key_from_the_environment(
    flavor: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    rsa_pem: str,
    rsa_key: rsa.RSAPrivateKey,
    form: Callable[[str, Path], dict[str, str]],
) -> None:
    """Every way a deployment hands over the key yields tokens that verify with the project's public key."""
    key_file = tmp_path / "paragon.pem"
    key_file.write_text(rsa_pem)
    for name, value in form(rsa_pem, key_file).items():
        monkeypatch.setenv(name, value)
    built = Built(flavor, project_id=PROJECT_ID)
    assert verify(built.client.sign_user_token("user-9"), rsa_key)["sub"] == "user-9"


def test_the_environment_is_read_at_construction_not_import(
    flavor: str, monkeypatch: pytest.MonkeyPatch, rsa_pem: str
) -> None:
    """Each client reads the environment as it is when that client is built, and keeps what it read."""
    monkeypatch.setenv("PARAGON_PROJECT_ID", ENV_PROJECT)
    monkeypatch.setenv("PARAGON_HOST", "one.example.com")
    first = Built(flavor, signing_key=rsa_pem).client
    monkeypatch.setenv("PARAGON_PROJECT_ID", ARG_PROJECT)
    monkeypatch.delenv("PARAGON_HOST")
    second = Built(flavor, signing_key=rsa_pem).client
    assert (first.project_id, first.urls.api) == (ENV_PROJECT, "https://zeus.one.example.com")
    assert (second.project_id, second.urls.api) == (ARG_PROJECT, API)


MISSING_PROJECT: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({}, {}),
    ({"project_id": None}, {}),
    ({"project_id": ""}, {}),
    ({"project_id": "   "}, {}),
    ({}, {"PARAGON_PROJECT_ID": ""}),
    ({}, {"PARAGON_PROJECT_ID": " \t "}),
    ({"project_id": ""}, {"PARAGON_PROJECT_ID": "from-env"}),
]


@pytest.mark.parametrize(("options", "env"), MISSING_PROJECT, ids=[f"{r[0]}-{r[1]}" for r in MISSING_PROJECT])
def test_a_missing_project_id_names_the_argument_and_the_variable(
    flavor: str, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any], env: dict[str, str]
) -> None:
    """ConfigurationError (a ValueError) naming project_id and PARAGON_PROJECT_ID; an explicit '' is not overridden."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        Built(flavor, **options)
    assert isinstance(caught.value, ValueError)
    assert "project_id" in str(caught.value)
    assert "PARAGON_PROJECT_ID" in str(caught.value)


@pytest.mark.parametrize("project_id", ["a/b", "../x", "p?x=1", "p\r\nX-Injected: 1", "x" * 300])
def test_an_unsafe_project_id_is_a_configuration_error(flavor: str, project_id: str) -> None:
    """The project id goes into every URL, so it is validated like any other id, at construction."""
    with pytest.raises(ConfigurationError):
        Built(flavor, project_id=project_id)


def test_signing_needs_a_key_but_a_given_user_token_does_not(flavor: str, rsa_key: rsa.RSAPrivateKey) -> None:
    """Without a key: the client builds, signing raises naming both variables, and authenticate(user_token=) works."""
    built = Built(flavor, project_id=PROJECT_ID)
    client = built.client
    for attempt in (lambda: client.authenticate("user-123"), lambda: client.sign_user_token("user-123")):
        with pytest.raises(ConfigurationError) as caught:
            attempt()
        message = str(caught.value)
        assert not isinstance(caught.value, SigningKeyError)
        for name in ("signing_key=", "signing_key_path=", "PARAGON_SIGNING_KEY", "PARAGON_SIGNING_KEY_PATH"):
            assert name in message
    token = jwt.encode(
        {"sub": "user-123", "aud": f"useparagon.com/{PROJECT_ID}", "exp": 4_000_000_000}, rsa_key, algorithm="RS256"
    )
    session = client.authenticate(user_token=token)
    built.run(session.get_user())
    (request,) = built.requests
    assert request.headers["authorization"] == f"Bearer {token}"


def test_signing_key_and_signing_key_path_together_are_refused(flavor: str, rsa_pem: str, tmp_path: Path) -> None:
    """Two keys is ambiguous: ConfigurationError naming both arguments, even when both hold the same key."""
    key_file = tmp_path / "k.pem"
    key_file.write_text(rsa_pem)
    with pytest.raises(ConfigurationError) as caught:
        Built(flavor, project_id=PROJECT_ID, signing_key=rsa_pem, signing_key_path=key_file)
    assert "signing_key=" in str(caught.value)
    assert "signing_key_path=" in str(caught.value)


# -- Hosts and service URLs ------------------------------------------------------------------------------------------

BAD_HOSTS = [
    "https://mycompany.paragon.so",
    "mycompany.paragon.so/api",
    "user@mycompany.paragon.so",
    "user:pw@mycompany.paragon.so",
    "",
    "   ",
    "my company.paragon.so",
    "mycompany.paragon.so?x=1",
    "mycompany.paragon.so#f",
    "-bad.example.com",
    "bad-.example.com",
    "a..b.com",
    ".example.com",
    "mycompany.paragon.so:99999",
    "mycompany.paragon.so:0",
    "mycompany.paragon.so:",
    "mycompany.paragon.so:http",
    "evil.com\\@mycompany.paragon.so",
    "mycompany.paragon.so\r\nX: 1",
    "mycompany.paragon.so\x00",
    "[::1]",
    "x" * 64 + ".example.com",
    "münchen.example.com",
]


@pytest.mark.parametrize("host", BAD_HOSTS, ids=[ascii(host)[:40] for host in BAD_HOSTS])
def test_bad_hosts_are_refused(flavor: str, monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    """host= must be a bare host name (with an optional port): ConfigurationError naming host= and PARAGON_HOST."""
    with pytest.raises(ConfigurationError) as caught:
        Built(flavor, project_id=PROJECT_ID, host=host)
    assert "host=" in str(caught.value)
    assert "PARAGON_HOST" in str(caught.value)
    if host.strip() and "\x00" not in host:
        monkeypatch.setenv("PARAGON_HOST", host)
        with pytest.raises(ConfigurationError):
            Built(flavor, project_id=PROJECT_ID)


BAD_URLS: list[object] = [
    "ftp://api.example.com",
    "api.example.com",
    "//api.example.com",
    "https://",
    "https:///path",
    "https://user:pw@api.example.com",
    "https://token@api.example.com",
    "https://api.example.com/?x=1",
    "https://api.example.com/#frag",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "https://api.example.com:99999",
    "http://[::1",
    "",
    123,
]


@pytest.mark.parametrize("value", BAD_URLS, ids=[ascii(v)[:40] for v in BAD_URLS])
@pytest.mark.parametrize("name", ["api_url", "proxy_url", "actionkit_url"])
def test_bad_service_urls_are_refused(flavor: str, name: str, value: object) -> None:
    """Each service URL must be http(s) with a host and no credentials, query or fragment; the error names it."""
    options: dict[str, Any] = {name: value}
    with pytest.raises(ConfigurationError) as caught:
        Built(flavor, project_id=PROJECT_ID, **options)
    assert name in str(caught.value)


GOOD_URLS: list[tuple[str, str]] = [
    ("https://api.example.com", "https://api.example.com"),
    ("https://api.example.com/", "https://api.example.com"),
    ("HTTPS://API.Example.COM/base/", "https://api.example.com/base"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("https://gateway.example.com/paragon/v1", "https://gateway.example.com/paragon/v1"),
]


@pytest.mark.parametrize(("value", "used"), GOOD_URLS)
def test_service_url_overrides_are_normalised(flavor: str, value: str, used: str) -> None:
    """A valid override is used with its trailing slash removed; the request goes to exactly that base."""
    built = Built(flavor, project_id=PROJECT_ID, api_url=value, signing_key=None)
    assert built.client.urls.api == used


def test_http_client_of_the_wrong_flavour_is_refused() -> None:
    """Paragon takes an httpx.Client and AsyncParagon an httpx.AsyncClient; the other one is a ConfigurationError."""
    with httpx.Client() as sync_http, pytest.raises(ConfigurationError, match=r"httpx\.AsyncClient"):
        AsyncParagon(project_id=PROJECT_ID, http_client=sync_http)  # type: ignore[arg-type]
    async_http = httpx.AsyncClient()
    try:
        with pytest.raises(ConfigurationError, match=r"httpx\.Client"):
            Paragon(project_id=PROJECT_ID, http_client=async_http)  # type: ignore[arg-type]
    finally:
        asyncio.run(async_http.aclose())


# -- Timeouts --------------------------------------------------------------------------------------------------------

# A phase without a timeout of its own still ends with its attempt (the largest of the timeout's values), and an
# attempt without any timeout ends with the call's total deadline (300 s; approx: the clock moves during a call).
WHOLE_CALL = pytest.approx(constants.DEFAULT_TOTAL_DEADLINE, abs=10)
TIMEOUTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "default": ({}, {"connect": 5.0, "read": 60.0, "write": 60.0, "pool": 60.0}),
    "None means no timeout per attempt": (
        {"timeout": None},
        {"connect": WHOLE_CALL, "read": WHOLE_CALL, "write": WHOLE_CALL, "pool": WHOLE_CALL},
    ),
    "a float": ({"timeout": 12.5}, {"connect": 12.5, "read": 12.5, "write": 12.5, "pool": 12.5}),
    "an int": ({"timeout": 7}, {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0}),
    "an httpx.Timeout": (
        {"timeout": httpx.Timeout(3.0, read=30.0, pool=None)},
        {"connect": 3.0, "read": 30.0, "write": 3.0, "pool": 30.0},
    ),
}


def _uninstall_routes(request: httpx.Request) -> httpx.Response:
    if request.method == "GET":
        return json_response(
            200,
            [{"id": "i-1", "type": "slack", "isActive": True, "configs": [], "workflows": [], "hasCredential": True}],
        )
    return httpx.Response(204)


@pytest.mark.parametrize(("options", "expected"), TIMEOUTS.values(), ids=TIMEOUTS.keys())
def test_timeout_applies_to_every_request(
    make_harness: MakeHarness, options: dict[str, Any], expected: dict[str, Any]
) -> None:
    """The client's timeout is on every request of every call, including each step of a two-request call."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sdk/me"):
            return json_response(200, USER)
        if request.url.host == "proxy.useparagon.com":
            return json_response(200, {"output": 1})
        return _uninstall_routes(request)

    harness = make_harness(handler, **options)
    harness.run(harness.session.get_user())
    harness.run(harness.session.request("slack", "auth.test"))
    harness.run(harness.session.uninstall_integration("slack"))
    assert len(harness.requests) == 4
    for request in harness.requests:
        assert request.extensions["timeout"] == expected


@pytest.mark.parametrize("http_timeout", [0.001, 120.0])
def test_an_injected_http_client_still_gets_the_clients_timeout(flavor: str, rsa_pem: str, http_timeout: float) -> None:
    """The injected httpx client's own timeout is not what the request carries: the Paragon client's is."""
    built = Built(flavor, http_timeout=http_timeout, project_id=PROJECT_ID, signing_key=rsa_pem, timeout=9.0)
    built.run(built.client.authenticate("user-123").get_user())
    (request,) = built.requests
    assert request.extensions["timeout"] == {"connect": 9.0, "read": 9.0, "write": 9.0, "pool": 9.0}


def test_an_injected_http_client_that_follows_redirects_still_does_not(flavor: str, rsa_pem: str) -> None:
    """follow_redirects=True on the injected client does not make the token follow a Location header."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(302, headers={"location": "https://attacker.example/"})

    transport = httpx.MockTransport(handler)
    client: Paragon | AsyncParagon
    if flavor == "sync":
        client = Paragon(
            project_id=PROJECT_ID,
            signing_key=rsa_pem,
            http_client=httpx.Client(transport=transport, follow_redirects=True),
        )
    else:
        client = AsyncParagon(
            project_id=PROJECT_ID,
            signing_key=rsa_pem,
            http_client=httpx.AsyncClient(transport=transport, follow_redirects=True),
        )
    with pytest.raises(APIStatusError) as caught:
        Built.run(client.authenticate("user-123").get_user())
    assert caught.value.status_code == 302
    assert [request.url.host for request in requests] == ["api.useparagon.com"]


@pytest.mark.parametrize(
    "http_options",
    [{"auth": ("proxy-user", "proxy-pass")}, {"headers": {"Authorization": "Basic Zm9vOmJhcg=="}}],
    ids=["auth=", "default Authorization header"],
)
def test_an_injected_http_client_cannot_replace_the_user_token(
    flavor: str, rsa_pem: str, rsa_key: rsa.RSAPrivateKey, http_options: dict[str, Any]
) -> None:
    """The injected client's auth= or default Authorization header never displaces the user's bearer token."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return json_response(200, USER)

    transport = httpx.MockTransport(handler)
    client: Paragon | AsyncParagon
    if flavor == "sync":
        client = Paragon(
            project_id=PROJECT_ID, signing_key=rsa_pem, http_client=httpx.Client(transport=transport, **http_options)
        )
    else:
        client = AsyncParagon(
            project_id=PROJECT_ID,
            signing_key=rsa_pem,
            http_client=httpx.AsyncClient(transport=transport, **http_options),
        )
    Built.run(client.authenticate("user-123").get_user())
    (request,) = requests
    scheme, _, token = request.headers["authorization"].partition(" ")
    assert scheme == "Bearer"
    assert verify(token, rsa_key)["sub"] == "user-123"


BAD_TIMEOUTS: list[object] = [0, 0.0, -1, -0.5, float("nan"), float("inf"), 10**400, True, "10", [5]]


@pytest.mark.parametrize("timeout", BAD_TIMEOUTS, ids=[ascii(t)[:20] for t in BAD_TIMEOUTS])
def test_bad_timeouts_are_refused(flavor: str, rsa_pem: str, timeout: object) -> None:
    """Only a positive finite number, an httpx.Timeout or None is a timeout; also through with_options()."""
    with pytest.raises(ConfigurationError, match="timeout"):
        Built(flavor, project_id=PROJECT_ID, timeout=timeout)
    client = Built(flavor, project_id=PROJECT_ID).client
    with pytest.raises(ConfigurationError, match="timeout"):
        client.with_options(timeout=timeout)  # type: ignore[arg-type]


# -- Retries and with_options ----------------------------------------------------------------------------------------

BAD_RETRIES: list[object] = [-1, -100, True, 1.5, "2", None]


@pytest.mark.parametrize("max_retries", BAD_RETRIES, ids=[ascii(value) for value in BAD_RETRIES])
def test_bad_max_retries_are_refused(flavor: str, max_retries: object) -> None:
    """max_retries is a non-negative int, checked at construction and by with_options()."""
    with pytest.raises(ConfigurationError, match="max_retries"):
        Built(flavor, project_id=PROJECT_ID, max_retries=max_retries)
    client = Built(flavor, project_id=PROJECT_ID).client
    with pytest.raises(ConfigurationError, match="max_retries"):
        client.with_options(max_retries=max_retries)  # type: ignore[arg-type]


def test_max_retries_overrides_the_retry_policy_count_only(flavor: str) -> None:
    """max_retries= replaces the count of a given RetryPolicy and keeps its other settings."""
    policy = RetryPolicy(initial_delay=0.25, max_delay=2.0)
    client = Built(flavor, project_id=PROJECT_ID, retry=policy, max_retries=5).client
    assert client.retry == RetryPolicy(max_retries=5, initial_delay=0.25, max_delay=2.0)
    assert Built(flavor, project_id=PROJECT_ID).client.retry == RetryPolicy()


def test_with_options_shares_the_pool_and_leaves_the_original_alone(make_harness: MakeHarness) -> None:
    """The copy's requests go through the same transport with its own timeout and retries; the original is unchanged."""
    harness = make_harness(lambda _r: httpx.Response(503), retry=RetryPolicy(initial_delay=0.0))
    original = harness.client
    copy = original.with_options(timeout=2.0, max_retries=0)
    assert type(copy) is type(original)
    assert (copy.project_id, copy.urls) == (original.project_id, original.urls)
    assert copy.retry == RetryPolicy(initial_delay=0.0, max_retries=0)
    assert original.retry == RetryPolicy(initial_delay=0.0)
    assert original.timeout == httpx.Timeout(60.0, connect=5.0)
    assert copy.timeout == httpx.Timeout(2.0)

    with pytest.raises(InternalServerError):  # 503 after the copy's single attempt
        harness.run(copy.authenticate("user-123").get_user())
    assert len(harness.requests) == 1
    assert harness.requests[0].extensions["timeout"]["read"] == 2.0

    with pytest.raises(InternalServerError):  # the original still makes 1 + 2 attempts
        harness.run(harness.session.get_user())
    assert len(harness.requests) == 4
    assert {request.extensions["timeout"]["read"] for request in harness.requests[1:]} == {60.0}


def test_with_options_keeps_unset_settings(make_harness: MakeHarness) -> None:
    """Only what is passed changes: timeout alone keeps the retries, max_retries alone keeps the timeout."""
    harness = make_harness(ok, timeout=11.0, max_retries=4)
    client = harness.client
    assert client.with_options(timeout=3.0).retry.max_retries == 4
    assert client.with_options(max_retries=1).timeout == httpx.Timeout(11.0)
    assert client.with_options(timeout=None).timeout == httpx.Timeout(None)


# -- Named defaults --------------------------------------------------------------------------------------------------


def test_a_new_client_uses_the_named_defaults(flavor: str) -> None:
    """A client built with nothing but a project id: 60 s per phase (5 s to connect), 2 retries from 0.5 s up to 8 s,
    Retry-After honoured up to 60 s, a 300 s total deadline, and Paragon's cloud hosts."""
    client = Built(flavor, project_id=PROJECT_ID).client
    assert client.timeout == httpx.Timeout(60.0, connect=5.0)
    assert client.retry == RetryPolicy(
        max_retries=2, initial_delay=0.5, max_delay=8.0, max_retry_after=60.0, total_deadline=300.0
    )
    assert (client.urls.api, client.urls.proxy, client.urls.actionkit) == (
        "https://api.useparagon.com",
        "https://proxy.useparagon.com",
        "https://actionkit.useparagon.com",
    )


# -- Closing ---------------------------------------------------------------------------------------------------------


def _token(key: rsa.RSAPrivateKey) -> str:
    return TokenSigner(key=key, project_id=PROJECT_ID).sign("user-1")


@pytest.fixture
def owned_sync() -> Iterator[Paragon]:
    client = Paragon(project_id=PROJECT_ID)
    yield client
    client.close()


def test_close_closes_the_pool_the_client_created(owned_sync: Paragon, rsa_key: rsa.RSAPrivateKey) -> None:
    """Paragon() without http_client owns its pool: close() closes it; a with_options() copy's close() does not.
    A call after close() raises ClientClosedError (a ParagonError), not httpx's RuntimeError."""
    owned_sync.with_options(timeout=1.0).close()
    assert not owned_sync._pool.client.is_closed
    owned_sync.close()
    assert owned_sync._pool.client.is_closed
    session = owned_sync.authenticate(user_token=_token(rsa_key))
    with pytest.raises(ClientClosedError, match="this Paragon client is closed; create a new one"):
        session.get_user()
    with pytest.raises(ClientClosedError):
        owned_sync.with_options(max_retries=0).authenticate(user_token=_token(rsa_key)).get_user()


def test_a_closed_injected_http_client_raises_client_closed(rsa_key: rsa.RSAPrivateKey) -> None:
    """An injected client the caller closed: ClientClosedError before any I/O, not httpx's RuntimeError."""
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    http = httpx.Client(transport=httpx.MockTransport(record))
    paragon = Paragon(project_id=PROJECT_ID, http_client=http)
    http.close()
    with pytest.raises(ClientClosedError):
        paragon.authenticate(user_token=_token(rsa_key)).get_user()
    assert sent == []


def test_the_context_manager_closes_the_pool_it_created() -> None:
    """``with Paragon() as paragon:`` closes the pool on exit, also when the block raises."""
    with pytest.raises(RuntimeError), Paragon(project_id=PROJECT_ID) as paragon:
        raise RuntimeError
    assert paragon._pool.client.is_closed


def test_an_injected_http_client_is_never_closed() -> None:
    """The caller owns an injected httpx.Client: close() and the context manager leave it open."""
    http = httpx.Client()
    with Paragon(project_id=PROJECT_ID, http_client=http) as paragon:
        pass
    paragon.close()
    assert not http.is_closed
    http.close()


async def test_aclose_closes_the_pool_the_async_client_created() -> None:
    """AsyncParagon() owns its pool: ``async with`` and aclose() close it; a with_options() copy does not."""
    async with AsyncParagon(project_id=PROJECT_ID) as paragon:
        await paragon.with_options(max_retries=0).aclose()
        http = paragon._pool.get()
        assert not http.is_closed
    assert http.is_closed
    with pytest.raises(ClientClosedError):
        paragon._pool.get()
    other = AsyncParagon(project_id=PROJECT_ID)
    other_http = other._pool.get()
    await other.aclose()
    assert other_http.is_closed


async def test_an_injected_async_http_client_is_never_closed() -> None:
    """The caller owns an injected httpx.AsyncClient: aclose() and ``async with`` leave it open."""
    async with httpx.AsyncClient() as http:
        async with AsyncParagon(project_id=PROJECT_ID, http_client=http) as paragon:
            pass
        await paragon.aclose()
        assert not http.is_closed


def test_an_already_loaded_rsa_key_signs_tokens(rsa_key: rsa.RSAPrivateKey) -> None:
    """signing_key= takes a cryptography RSAPrivateKey as it is (from a vault or KMS client) and signs with it."""
    paragon = Paragon(project_id=PROJECT_ID, signing_key=rsa_key)
    assert verify(paragon.sign_user_token("user-9"), rsa_key)["sub"] == "user-9"
    paragon.close()


def test_an_already_loaded_key_under_2048_bits_is_refused() -> None:
    """A loaded key gets the same strength check as a PEM: SigningKeyError before anything is signed."""
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the point of the test
    with pytest.raises(SigningKeyError, match="1024-bit RSA key; Paragon needs at least 2048 bits"):
        Paragon(project_id=PROJECT_ID, signing_key=weak)
