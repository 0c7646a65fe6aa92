"""Fixtures shared across the wrapper's tests: signing keys generated once per session."""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon.testing import _auth

from tests.support import Handler, Harness


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def _fixture_fake_key() -> rsa.RSAPrivateKey:
    """The key of every ``FakeParagon()`` a fixture builds (neither ``rsa_key`` nor ``other_rsa_key``)."""
    return _new_key()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    """A ``FakeParagon()`` built while a fixture is set up reuses one session key instead of generating its own.

    Fixtures build hundreds of fakes (``tests/testing``'s ``fake`` is one per test), and a fresh 2048-bit key each
    cost 50-100 ms of CPU, a fifth of the suite, while proving nothing. A fake made in a test body, or at import
    (``tests/testing/test_auth.py``'s ``OTHER``), still gets a fresh key, so tests that need two fakes with
    different keys keep them.
    """
    with _auth.reusing_generated_key(_fixture_fake_key()):
        return (yield)


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """A 2048-bit RSA signing key (generating one costs ~50-100 ms, so it is made once)."""
    return _new_key()


@pytest.fixture(scope="session")
def other_rsa_key() -> rsa.RSAPrivateKey:
    """A second 2048-bit key, not ``rsa_key``: what a forger, or another project, signs with."""
    return _new_key()


@pytest.fixture(scope="session")
def rsa_pem(rsa_key: rsa.RSAPrivateKey) -> str:
    """``rsa_key`` as the PKCS#8 PEM text Paragon's dashboard hands out."""
    return rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(params=["sync", "async"])
def flavor(request: pytest.FixtureRequest) -> str:
    """Every test that uses ``make_harness`` runs once with ``Paragon`` and once with ``AsyncParagon``."""
    return str(request.param)


@pytest.fixture
def make_harness(flavor: str, rsa_key: rsa.RSAPrivateKey) -> Iterator[Callable[..., Harness]]:
    """Build harnesses (closed at teardown): ``make_harness(handler, **Paragon options)``.

    They sign with the already-loaded ``rsa_key``: loading a PEM checks the RSA key (about 50 ms), and that, times
    thousands of clients, was most of the suite's run time. Loading PEMs is tested where it matters.
    """
    made: list[Harness] = []

    def make(handler: Handler, **options: Any) -> Harness:
        harness = Harness(flavor, handler, rsa_key, **options)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()
