"""Regular expressions compiled on first use: compiling the package's twenty patterns at import cost about 4 ms of
every start (a CLI call, a serverless cold start, a worker boot), most of them for calls a program may never make."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable


def lazy_pattern(source: str, flags: int = 0) -> Callable[[], re.Pattern[str]]:
    """``lazy_pattern(r"...")()`` is ``re.compile(r"...")``, compiled once, the first time it is called."""

    @functools.cache
    def compiled() -> re.Pattern[str]:
        return re.compile(source, flags)

    return compiled
