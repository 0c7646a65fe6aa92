"""The ``useparagon`` logger. Records carry metadata only: never a token, a key, a query string or a body."""

from __future__ import annotations

import logging
import os

from ._constants import ENV_LOG

logger = logging.getLogger("useparagon")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


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
