"""Secrets out of tracebacks: what error trackers record (Sentry, rich, ``capture_locals=True``) holds no token or key.

An error tracker stores ``repr()`` of every local of every frame of an exception and of its causes. The user token
and PEM key travel inside the library wrapped (``Secret``, redacted repr) and are unwrapped only in the expression
that builds the Authorization header or parses the key; httpcore's frames (which hold raw headers) are dropped from
causes. Each test renders the whole chain with locals, skipping only this test module's own frames (which hold
the test's canaries), and looks for the secret in it.
"""

from __future__ import annotations

import asyncio
import inspect
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import useparagon
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    APIError,
    APITimeoutError,
    AsyncParagon,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    Paragon,
    ParagonError,
    SigningKeyError,
    UserTokenError,
)
from useparagon._signing import TokenSigner

from tests.rawserver import Connection, Request, raw_server
from tests.support import PROJECT_ID


def rendered_chain(error: BaseException) -> str:
    """The exception, its causes and contexts, each frame with its locals, as an error tracker would keep them."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = [
            frame
            for frame in traceback.StackSummary.extract(traceback.walk_tb(current.__traceback__), capture_locals=True)
            if frame.filename != __file__
        ]
        parts.append(f"{type(current).__name__}: {current}")
        for frame in frames:
            parts.append(f"{frame.filename}:{frame.lineno} {frame.name}")
            parts.extend(f"  {name} = {value}" for name, value in (frame.locals or {}).items())
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def library_frames(error: BaseException) -> int:
    return sum(
        1
        for frame in traceback.StackSummary.extract(traceback.walk_tb(error.__traceback__))
        if "useparagon" in frame.filename
    )


class Secrets:
    """Canaries, and what of them must never show: a whole token and any 24-character piece of its signature (its
    header and claims are plain base64 JSON, the signature is what makes it a credential), or of a key."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._pieces: list[str] = []

    def add(self, value: str) -> None:
        self.values.append(value)
        self._pieces.append(value)

    def add_token(self, token: str) -> None:
        self.values.append(token)
        self._pieces.append(token.rsplit(".", 1)[-1])

    def assert_absent(self, text: str) -> None:
        for value in self.values:
            assert value not in text
        for secret in self._pieces:
            for start in range(0, max(len(secret) - 24, 1), 24):
                assert secret[start : start + 24] not in text


def _bearer(request: httpx.Request) -> str:
    return request.headers["authorization"].removeprefix("Bearer ")


def _caught(run: Callable[[], Any]) -> BaseException:
    try:
        result = run()
        if inspect.isawaitable(result):
            asyncio.run(_awaited(result))
    except Exception as error:  # the tests inspect it
        return error
    raise AssertionError("expected an error")


async def _awaited(result: Any) -> None:
    await result


def _echoing_401(request: httpx.Request) -> httpx.Response:
    # A misconfigured gateway that echoes the request headers in its error body.
    return httpx.Response(
        401, json={"message": "Unauthorized", "echo": {"authorization": request.headers["authorization"]}}
    )


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("how", ["minted", "given"])
def test_a_401_traceback_holds_no_user_token(flavor: str, how: str, rsa_key: rsa.RSAPrivateKey) -> None:
    """An ordinary 401 (whose body even echoes the Authorization header): the rendered chain with every local,
    ``error.body`` and the message hold no piece of the token, and the library's frames are really in it."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return _echoing_401(request)

    signer = TokenSigner(key=rsa_key, project_id=PROJECT_ID)
    if flavor == "sync":
        client: Paragon | AsyncParagon = Paragon(
            project_id=PROJECT_ID, signing_key=rsa_key, http_client=httpx.Client(transport=httpx.MockTransport(handler))
        )
    else:
        client = AsyncParagon(
            project_id=PROJECT_ID,
            signing_key=rsa_key,
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        )
    session = (
        client.authenticate("user-1") if how == "minted" else client.authenticate(user_token=signer.sign("user-1"))
    )
    error = _caught(session.get_user)
    assert isinstance(error, AuthenticationError)
    secrets = Secrets()
    secrets.add_token(_bearer(sent[0]))
    assert library_frames(error) >= 3
    secrets.assert_absent(rendered_chain(error))
    secrets.assert_absent(repr(error.body))
    assert error.body["echo"]["authorization"] == "Bearer [redacted token]"


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_timeout_over_a_socket_holds_no_user_token(flavor: str, rsa_key: rsa.RSAPrivateKey) -> None:
    """A real read timeout: the cause chain runs through httpx and httpcore, whose frames held the raw request
    headers; none of that reaches the chain an error tracker keeps."""

    def silent(connection: Connection, _request: Request) -> None:
        connection.wait(5)

    with raw_server() as server:
        server.on("silent", silent)
        options: dict[str, Any] = {
            "project_id": PROJECT_ID,
            "signing_key": rsa_key,
            "proxy_url": server.url,
            "timeout": 0.3,
            "max_retries": 0,
        }
        client = Paragon(**options) if flavor == "sync" else AsyncParagon(**options)
        token = TokenSigner(key=rsa_key, project_id=PROJECT_ID).sign("user-1")
        session = client.authenticate(user_token=token)
        secrets = Secrets()
        secrets.add_token(token)
        del token
        error = _caught(lambda: session.request("salesforce", "objects/silent"))
        assert isinstance(error, APITimeoutError)
        assert error.__cause__ is not None
        assert server.requests[0].headers["authorization"] == f"Bearer {secrets.values[0]}"
        secrets.assert_absent(rendered_chain(error))
        if isinstance(client, Paragon):
            client.close()


def test_an_expired_given_token_error_holds_no_token(rsa_key: rsa.RSAPrivateKey) -> None:
    """``authenticate(user_token=<expired>)`` raises UserTokenError; no frame of it holds the token."""
    signer = TokenSigner(key=rsa_key, project_id=PROJECT_ID, clock=lambda: 1_000_000.0)
    secrets = Secrets()
    secrets.add_token(signer.sign("user-1", ttl=60))
    client = Paragon(project_id=PROJECT_ID)
    error = _caught(lambda: client.authenticate(user_token=secrets.values[0]))
    assert isinstance(error, UserTokenError)
    assert library_frames(error) >= 2
    secrets.assert_absent(rendered_chain(error))


def test_an_echoed_token_is_scrubbed_from_error_bodies_of_every_kind(rsa_key: rsa.RSAPrivateKey) -> None:
    """JSON, plain text and a cut 1 MiB body that echo the token: ``error.body`` and the message never hold it."""
    bodies: list[Callable[[str], httpx.Response]] = [
        lambda bearer: httpx.Response(400, json={"message": f"bad header {bearer}"}),
        lambda bearer: httpx.Response(400, text=f"<html>you sent {bearer}</html>"),
        lambda bearer: httpx.Response(400, content=(b"x" * 1_000_000) + bearer.encode() + b"y" * 100_000),
    ]
    sent: list[str] = []
    for make in bodies:
        sent.clear()

        def handler(request: httpx.Request, make: Callable[[str], httpx.Response] = make) -> httpx.Response:
            sent.append(request.headers["authorization"])
            return make(request.headers["authorization"])

        client = Paragon(
            project_id=PROJECT_ID, signing_key=rsa_key, http_client=httpx.Client(transport=httpx.MockTransport(handler))
        )
        error = _caught(client.authenticate("user-1").get_user)
        assert isinstance(error, BadRequestError)
        secrets = Secrets()
        secrets.add_token(sent[0].removeprefix("Bearer "))
        secrets.assert_absent(repr(error.body))
        secrets.assert_absent(str(error))


PEM_ENV = "PARAGON_SIGNING_KEY"


@pytest.fixture
def key_pieces(rsa_pem: str) -> Secrets:
    secrets = Secrets()
    body = "".join(line for line in rsa_pem.splitlines() if not line.startswith("-----"))
    secrets.add(body)
    return secrets


def test_configuration_errors_hold_no_pem_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, rsa_pem: str, key_pieces: Secrets
) -> None:
    """A missing project id with ``PARAGON_SIGNING_KEY`` set: the environment is not rendered whole in any local."""
    monkeypatch.setenv(PEM_ENV, rsa_pem)
    monkeypatch.delenv("PARAGON_PROJECT_ID", raising=False)
    error = _caught(Paragon)
    assert isinstance(error, ConfigurationError)
    assert library_frames(error) >= 2
    key_pieces.assert_absent(rendered_chain(error))


def test_configuration_errors_hold_no_pem_from_an_argument(rsa_pem: str, key_pieces: Secrets) -> None:
    """``Paragon(signing_key=<PEM>, project_id=<bad>)``: the PEM argument is wrapped before anything can fail."""
    error = _caught(lambda: Paragon(project_id="not a valid id", signing_key=rsa_pem))
    assert isinstance(error, ConfigurationError)
    key_pieces.assert_absent(rendered_chain(error))


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_a_bad_key_error_holds_no_key_material(rsa_pem: str, key_pieces: Secrets, damage: str) -> None:
    """A damaged PEM is refused with SigningKeyError; no frame (the parser's included) holds its text."""
    lines = rsa_pem.splitlines()
    pem = "\n".join(lines[:-3] + lines[-1:]) if damage == "truncated" else rsa_pem.replace("M", "*", 3)
    error = _caught(lambda: Paragon(project_id=PROJECT_ID, signing_key=pem))
    assert isinstance(error, SigningKeyError)
    assert error.__cause__ is None
    key_pieces.assert_absent(rendered_chain(error))


def _classes_with_a_repr() -> Iterator[type[Any]]:
    # The hand-written package's classes; the generated models (useparagon_api) are plain attrs data.
    for name in dir(useparagon):
        value = getattr(useparagon, name)
        if (
            isinstance(value, type)
            and value.__module__.startswith("useparagon.")
            and not issubclass(value, BaseException)
            and value.__repr__ is not object.__repr__
        ):
            yield value
    from useparagon import _calls, _http, _pool, _secret, _signing, _tokens

    yield from (
        _tokens.MintedToken,
        _tokens.GivenToken,
        _signing.TokenSigner,
        _calls.Call,
        _http.SendSettings,
        _secret.Secret,
        _secret.RedactedEnvironment,
        _pool.SyncPool,
        _pool.AsyncPool,
    )


@pytest.mark.parametrize("cls", list(_classes_with_a_repr()), ids=lambda cls: cls.__name__)
def test_every_repr_works_on_a_half_built_object(cls: type[Any]) -> None:
    """A traceback renders objects whose ``__init__`` raised half-way: their repr must not raise in turn."""
    try:
        instance = object.__new__(cls)
    except TypeError:
        pytest.skip(f"{cls.__name__} cannot be created without its constructor")
    assert isinstance(repr(instance), str)


def test_everything_here_is_a_paragon_error() -> None:
    """The errors these tests render are ParagonErrors (the chain's root is the library's, not httpx's)."""
    assert issubclass(APIError, ParagonError)
    assert issubclass(UserTokenError, ParagonError)
