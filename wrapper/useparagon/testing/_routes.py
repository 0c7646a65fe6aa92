"""Path matching for every operation of the spec, from the generated table (``useparagon_api.operations``).

All of Paragon's services share one URL space here: their paths do not collide, so one fake serves them all.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from useparagon_api.operations import OPERATIONS, Operation

ROUTES: tuple[Operation, ...] = OPERATIONS
OPERATION_IDS = frozenset(operation.id for operation in ROUTES)
_BY_ROUTE = {operation.route: operation.id for operation in ROUTES}


@attrs.frozen
class Match:
    operation_id: str
    params: Mapping[str, str]


def resolve_route_key(key: str) -> frozenset[str]:
    """``"getUser"``, ``"GET /projects/{projectId}/sdk/me"`` or ``"*"`` (every route) → operation ids."""
    if key == "*":
        return OPERATION_IDS
    if key in OPERATION_IDS:
        return frozenset({key})
    method, _, template = key.partition(" ")
    found = _BY_ROUTE.get(f"{method.upper()} {template.strip()}")
    if found is None:
        example = ROUTES[0]
        raise ValueError(f"unknown route {key!r}: use an operationId such as {example.id!r} or {example.route!r}")
    return frozenset({found})


def _segments(template: str) -> list[str]:
    return template.strip("/").split("/")


_COMPILED = tuple((op.id, op.method, _segments(op.path), op.catch_all) for op in ROUTES)


def match(method: str, segments: list[str]) -> Match | None:
    """Matches decoded path segments (a known path with another method does not match: NestJS answers 404).

    The catch-all parameter (the Proxy API's ``path``) keeps every remaining segment as one value, joined back with
    ``/``; every other parameter matches exactly one non-empty segment.
    """
    for op, route_method, template, catch_all in _COMPILED:
        if route_method != method:
            continue
        params = _match_template(template, segments, catch_all)
        if params is not None:
            return Match(op, params)
    return None


def _match_template(template: list[str], segments: list[str], catch_all: str | None) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, part in enumerate(template):
        if catch_all is not None and part == f"{{{catch_all}}}":
            rest = segments[index:]
            if not rest or rest == [""]:
                return None
            params[catch_all] = "/".join(rest)
            return params
        if index >= len(segments):
            return None
        segment = segments[index]
        if part.startswith("{"):
            if not segment:
                return None
            params[part[1:-1]] = segment
        elif part != segment:
            return None
    # Express routes are not strict by default: one trailing slash still matches.
    trailing_slash = len(segments) == len(template) + 1 and segments[-1] == ""
    return params if len(segments) == len(template) or trailing_slash else None
