"""The ``useparagon`` logger. Records carry metadata only: never a token, a key, a query string or a body."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping

from ._constants import ENV_LOG

logger = logging.getLogger("useparagon")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
# How much of an unknown value a warning quotes.
_SHOWN_CHARS = 40


def warn_on_unknown_level(environ: Mapping[str, str] = os.environ) -> None:
    """Warn (``UserWarning``) when ``PARAGON_LOG`` is set to something other than ``debug`` or ``info``, which
    ``configure_from_environment`` ignores; unset or blank is not a mistake. The ``paragon`` command calls it."""
    raw = environ.get(ENV_LOG, "")
    value = raw.strip().lower()
    if not value or value in _LEVELS:
        return
    shown = raw if len(raw) <= _SHOWN_CHARS else raw[:_SHOWN_CHARS] + "…"
    accepted = " or ".join(_LEVELS)
    warnings.warn(f"{ENV_LOG}={shown!r} is not a log level, so nothing is logged: use {accepted}", stacklevel=2)


def configure_from_environment() -> None:
    """Honour ``PARAGON_LOG=info|debug`` by giving the logger a stderr handler, once, unless the app configured it.

    Only our own logger is touched: httpx's loggers print full URLs, so their setup stays the application's choice.
    """
    level = _LEVELS.get(os.environ.get(ENV_LOG, "").strip().lower())
    if level is None:
        return
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        logger.addHandler(handler)
