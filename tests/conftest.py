"""Fixtures shared across the wrapper's tests: a signing key generated once per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support import Handler, Harness


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """A 2048-bit RSA signing key (generating one costs ~50-100 ms, so it is made once)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


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
