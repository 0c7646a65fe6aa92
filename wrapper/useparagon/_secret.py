"""A secret that travels through the library wrapped, so frame locals, reprs and messages never hold it.

Error trackers (Sentry, rich, ``traceback`` with ``capture_locals=True``) record ``repr()`` of every local
variable of every frame in a traceback. A user token or PEM key held in a plain ``str`` local would land there;
wrapped, it renders as ``Secret('[redacted]')``. The value is revealed only inside an expression that hands it
to the one thing that needs it (the Authorization header, the PEM parser), never stored in a local.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, NoReturn, TypeVar

__all__ = ["RedactedEnvironment", "Secret"]

S = TypeVar("S", bound=str | bytes, covariant=True)


class Secret(Generic[S]):
    __slots__ = ("_value",)

    _value: S

    def __init__(self, value: S) -> None:
        self._value = value

    def reveal(self) -> S:
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return "Secret('[redacted]')"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        # Pickling (multiprocessing, caches) would write the value out in the clear.
        raise TypeError("a Secret cannot be pickled")


class RedactedEnvironment(Mapping[str, str]):
    """``os.environ`` as a read-only mapping whose repr does not list every variable (and the signing key)."""

    __slots__ = ("_environ",)

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __getitem__(self, name: str) -> str:
        return self._environ[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)

    def __repr__(self) -> str:
        return "<environment>"
