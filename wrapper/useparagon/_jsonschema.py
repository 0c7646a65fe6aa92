"""A small JSON Schema validator for tool arguments: the keywords ActionKit's ``json_schema`` tool definitions use.

The core package has three dependencies and ``jsonschema`` is not one of them, so the agent adapters check a model's
arguments here before any request. Supported: ``type`` (one or a list), ``enum``, ``const``, ``properties``,
``required``, ``additionalProperties`` (bool or schema), ``patternProperties``, ``minProperties``/``maxProperties``,
``items`` (a schema, or a list in the draft-04 tuple form), ``prefixItems``, ``minItems``/``maxItems``,
``uniqueItems``, ``minLength``/``maxLength``, ``pattern``, ``minimum``/``maximum``, ``exclusiveMinimum``/
``exclusiveMaximum`` (numbers, or draft-04 booleans), ``multipleOf``, ``allOf``/``anyOf``/``oneOf``/``not``,
``if``/``then``/``else``, local ``$ref`` (``#/$defs/...``, ``#/definitions/...``), boolean schemas and OpenAPI's
``nullable``. Other keywords (``format``, ``description``, ``default``…) never fail a value, as JSON Schema itself
treats ``format`` by default.

Messages name the place and the rule, never the value: arguments may carry what the user typed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

__all__ = ["schema_errors"]

# A schema nested (or $ref-chained) deeper than this is refused rather than followed without bound.
MAX_DEPTH = 64
# Enough for a model to fix its call; a thousand-item array of wrong items need not list every one.
MAX_ERRORS = 20
_SHOWN_KEY_CHARS = 60


class _TooDeep(Exception):
    pass


def schema_errors(schema: object, value: object, *, limit: int = MAX_ERRORS) -> list[str]:
    """Why ``value`` does not satisfy ``schema`` (at most ``limit`` reasons); an empty list when it does."""
    found: list[str] = []
    try:
        _check(schema, value, "", found, schema, 0, limit)
    except _TooDeep:
        found.append(f"the tool's schema nests deeper than {MAX_DEPTH} levels; it cannot be checked")
    return found[:limit]


def _place(path: str) -> str:
    return path or "the arguments"


def _key(path: str, key: str) -> str:
    shown = key if len(key) <= _SHOWN_KEY_CHARS else key[: _SHOWN_KEY_CHARS - 1] + "…"
    return f"{path}.{shown}" if path and shown.isidentifier() else f"{path}[{shown!r}]" if path else shown


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return "null" if value is None else type(value).__name__


def _is_type(value: object, kind: object) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list | tuple)
    if kind == "object":
        return isinstance(value, Mapping)
    # An unknown type name constrains nothing we can check.
    return True


def _equal(left: object, right: object) -> bool:
    """JSON equality: 1 == 1.0, but True is not 1."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(_equal(left[key], right[key]) for key in left)
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(_equal(a, b) for a, b in zip(left, right, strict=True))
    return left == right


def _resolve(ref: str, root: object) -> object:
    if not ref.startswith("#"):
        return True  # a remote reference cannot be fetched: it constrains nothing here
    target = root
    for raw in ref[1:].split("/")[1:] if ref != "#" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(target, Mapping) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return True
    return target


def _check(schema: object, value: object, path: str, out: list[str], root: object, depth: int, limit: int) -> None:
    if len(out) >= limit:
        return
    if depth > MAX_DEPTH:
        raise _TooDeep
    if schema is False:
        out.append(f"{_place(path)} is not allowed")
        return
    if not isinstance(schema, Mapping):
        return
    if "$ref" in schema and isinstance(schema["$ref"], str):
        _check(_resolve(schema["$ref"], root), value, path, out, root, depth + 1, limit)
    if value is None and schema.get("nullable") is True:
        return
    if not _check_type(schema, value, path, out):
        return
    if "enum" in schema and isinstance(schema["enum"], list) and not any(_equal(value, c) for c in schema["enum"]):
        choices = ", ".join(repr(choice) for choice in schema["enum"][:20])
        out.append(f"{_place(path)} must be one of {choices}")
    if "const" in schema and not _equal(value, schema["const"]):
        out.append(f"{_place(path)} must be {schema['const']!r}")
    _check_combinators(schema, value, path, out, root, depth, limit)
    if isinstance(value, str):
        _check_string(schema, value, path, out)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _check_number(schema, value, path, out)
    elif isinstance(value, Mapping):
        _check_object(schema, value, path, out, root, depth, limit)
    elif isinstance(value, list | tuple):
        _check_array(schema, value, path, out, root, depth, limit)


def _check_type(schema: Mapping[str, Any], value: object, path: str, out: list[str]) -> bool:
    kinds = schema.get("type")
    if kinds is None:
        return True
    options = kinds if isinstance(kinds, list) else [kinds]
    if schema.get("nullable") is True:
        options = [*options, "null"]
    if any(_is_type(value, kind) for kind in options):
        return True
    wanted = " or ".join(str(kind) for kind in options)
    out.append(f"{_place(path)} must be {_article(wanted)}, not {_article(_json_type(value))}")
    return False


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}" if noun != "null" else "null"


def _check_combinators(
    schema: Mapping[str, Any], value: object, path: str, out: list[str], root: object, depth: int, limit: int
) -> None:
    for sub in schema.get("allOf", ()) if isinstance(schema.get("allOf"), list) else ():
        _check(sub, value, path, out, root, depth + 1, limit)
    if isinstance(schema.get("anyOf"), list) and not any(_passes(sub, value, root, depth) for sub in schema["anyOf"]):
        out.append(f"{_place(path)} matches none of the allowed shapes (anyOf)")
    if isinstance(schema.get("oneOf"), list):
        matched = sum(1 for sub in schema["oneOf"] if _passes(sub, value, root, depth))
        if matched != 1:
            what = "none" if matched == 0 else f"{matched}"
            out.append(f"{_place(path)} must match exactly one of the allowed shapes (oneOf), matches {what}")
    if "not" in schema and _passes(schema["not"], value, root, depth):
        out.append(f"{_place(path)} matches a shape it must not (not)")
    if "if" in schema:
        branch = "then" if _passes(schema["if"], value, root, depth) else "else"
        if branch in schema:
            _check(schema[branch], value, path, out, root, depth + 1, limit)


def _passes(schema: object, value: object, root: object, depth: int) -> bool:
    trial: list[str] = []
    _check(schema, value, "", trial, root, depth + 1, 1)
    return not trial


def _check_string(schema: Mapping[str, Any], value: str, path: str, out: list[str]) -> None:
    length = len(value)
    if isinstance(schema.get("minLength"), int) and length < schema["minLength"]:
        out.append(f"{_place(path)} must be at least {schema['minLength']} characters long")
    if isinstance(schema.get("maxLength"), int) and length > schema["maxLength"]:
        out.append(f"{_place(path)} must be at most {schema['maxLength']} characters long")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            matched = re.search(pattern, value) is not None
        except re.error:
            matched = True  # a pattern Python cannot compile constrains nothing we can check
        if not matched:
            out.append(f"{_place(path)} must match the pattern {pattern!r}")


def _check_number(schema: Mapping[str, Any], value: float, path: str, out: list[str]) -> None:
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    low, high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if _number(minimum) and (value <= minimum if low is True else value < minimum):
        out.append(f"{_place(path)} must be {'greater than' if low is True else 'at least'} {minimum}")
    if _number(maximum) and (value >= maximum if high is True else value > maximum):
        out.append(f"{_place(path)} must be {'less than' if high is True else 'at most'} {maximum}")
    if _number(low) and value <= low:
        out.append(f"{_place(path)} must be greater than {low}")
    if _number(high) and value >= high:
        out.append(f"{_place(path)} must be less than {high}")
    step = schema.get("multipleOf")
    if _number(step) and step > 0 and not _is_multiple(value, step):
        out.append(f"{_place(path)} must be a multiple of {step}")


def _is_multiple(value: float, step: float) -> bool:
    if isinstance(value, int) and isinstance(step, int):
        return value % step == 0  # exact, however large the model's integer
    try:
        quotient = value / step
    except OverflowError:  # an integer past a float's range (JSON allows 10**400): not a checkable multiple
        return False
    return math.isfinite(quotient) and abs(quotient - round(quotient)) <= 1e-9


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_object(
    schema: Mapping[str, Any], value: Mapping[Any, Any], path: str, out: list[str], root: object, depth: int, limit: int
) -> None:
    properties: Mapping[str, Any] = _submap(schema, "properties")
    patterns: Mapping[str, Any] = _submap(schema, "patternProperties")
    for name in schema.get("required", ()) if isinstance(schema.get("required"), list) else ():
        if isinstance(name, str) and name not in value:
            out.append(f"{_key(path, name)} is required")
    if isinstance(schema.get("minProperties"), int) and len(value) < schema["minProperties"]:
        out.append(f"{_place(path)} must have at least {schema['minProperties']} properties")
    if isinstance(schema.get("maxProperties"), int) and len(value) > schema["maxProperties"]:
        out.append(f"{_place(path)} must have at most {schema['maxProperties']} properties")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        key = str(name)
        place = _key(path, key)
        matched = False
        if key in properties:
            matched = True
            _check(properties[key], item, place, out, root, depth + 1, limit)
        for pattern, sub in patterns.items():
            if _pattern_matches(pattern, key):
                matched = True
                _check(sub, item, place, out, root, depth + 1, limit)
        if not matched:
            if extra is False:
                out.append(f"{place} is not a parameter of this tool")
            elif isinstance(extra, Mapping):
                _check(extra, item, place, out, root, depth + 1, limit)


def _submap(schema: Mapping[str, Any], keyword: str) -> Mapping[str, Any]:
    value = schema.get(keyword)
    return value if isinstance(value, Mapping) else {}


def _pattern_matches(pattern: object, key: str) -> bool:
    try:
        return isinstance(pattern, str) and re.search(pattern, key) is not None
    except re.error:
        return False


def _check_array(
    schema: Mapping[str, Any], value: Sequence[Any], path: str, out: list[str], root: object, depth: int, limit: int
) -> None:
    if isinstance(schema.get("minItems"), int) and len(value) < schema["minItems"]:
        out.append(f"{_place(path)} must have at least {schema['minItems']} items")
    if isinstance(schema.get("maxItems"), int) and len(value) > schema["maxItems"]:
        out.append(f"{_place(path)} must have at most {schema['maxItems']} items")
    if schema.get("uniqueItems") is True and any(
        _equal(value[i], value[j]) for i in range(len(value)) for j in range(i + 1, len(value))
    ):
        out.append(f"{_place(path)} must not repeat an item")
    items = schema.get("items")
    prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else None
    if isinstance(items, list):  # draft-04 tuple form
        prefix, items = items, schema.get("additionalItems", True)
    start = 0
    if prefix is not None:
        for index, (sub, item) in enumerate(zip(prefix, value, strict=False)):
            _check(sub, item, f"{path}[{index}]", out, root, depth + 1, limit)
        start = len(prefix)
    if items is not None and items is not True:
        for index in range(start, len(value)):
            if len(out) >= limit:
                return
            _check(items, value[index], f"{path}[{index}]", out, root, depth + 1, limit)
