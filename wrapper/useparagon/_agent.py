"""A user's ActionKit actions as tools for a model (no I/O, shared by both toolsets): the definitions each vendor's API
takes, the model's tool calls read back from each vendor's shape, arguments checked against the tool's schema, and
results written the way each vendor expects them.

The three shapes, as the vendors' SDKs type them (their own types check these in tests/test_agent_sdks.py):

- OpenAI Chat Completions: tools ``{"type": "function", "function": {name, description, parameters}}``; a call is
  ``{id, type: "function", function: {name, arguments: "<JSON text>"}}``; its result is the message
  ``{"role": "tool", "tool_call_id", "content"}``.
- OpenAI Responses: tools ``{"type": "function", name, description, parameters}``; a call is the output item
  ``{"type": "function_call", call_id, name, arguments}``; its result is ``{"type": "function_call_output", call_id,
  output}``.
- Anthropic Messages: tools ``{name, description, input_schema}``; a call is the content block ``{"type": "tool_use",
  id, name, input}``; its result is the block ``{"type": "tool_result", tool_use_id, content, is_error}``.
- MCP: ``Tool(name, description, input_schema)`` and ``CallToolResult(content, structured_content, is_error)``.

Names: OpenAI and Anthropic take ``^[a-zA-Z0-9_-]{1,64}$``; ActionKit's (``SLACK_SEND_MESSAGE``) already fit, and any
that does not is rewritten to fit (other characters become ``_``, a long one is cut with a short hash), unique
within the toolset; the tool keeps the action's own name to run it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ._errors import APIStatusError, ParagonError, ToolArgumentsError, ToolCallError, UnknownToolError
from ._jsonschema import schema_errors
from ._types import safe_attrs_repr
from ._validation import show_input

if TYPE_CHECKING:
    from useparagon_api.models import ActionList

__all__ = ["AgentTool", "ToolCall"]

MAX_NAME_LENGTH = 64
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_-]")
# Statuses a model can do something about (fix its arguments, pick another record); the rest are the app's to handle.
_MODEL_FIXABLE_STATUSES = frozenset({400, 404, 409, 422})
_EMPTY_SCHEMA: Mapping[str, Any] = {"type": "object", "properties": {}}


@attrs.frozen(repr=False)
class AgentTool:
    """One ActionKit action as a model sees it: ``name`` (vendor-safe), ``description`` and ``parameters`` (its JSON
    Schema), and the ``action`` and ``integration`` it runs as."""

    __repr__ = safe_attrs_repr

    name: str
    action: str
    integration: str
    description: str
    parameters: Mapping[str, Any] = attrs.field(repr=False)

    def openai(self) -> dict[str, Any]:
        """A Chat Completions tool (``ChatCompletionFunctionToolParam``)."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": _copy(self.parameters)},
        }

    def openai_responses(self) -> dict[str, Any]:
        """A Responses API tool (``FunctionToolParam``)."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": _copy(self.parameters),
            "strict": False,
        }

    def anthropic(self) -> dict[str, Any]:
        """A Messages API tool (``ToolParam``)."""
        return {"name": self.name, "description": self.description, "input_schema": _copy(self.parameters)}

    def mcp(self) -> Any:
        """An MCP ``Tool`` (``mcp.types.Tool``; needs ``useparagon[mcp]``)."""
        types = mcp_types()
        return types.Tool(name=self.name, description=self.description, input_schema=_copy(self.parameters))


@attrs.frozen
class ToolCall:
    """A model's call read from any vendor's shape: the call's id (``""`` when the shape has none), the tool's name and
    the arguments as the model gave them (JSON text or an object)."""

    id: str
    name: str
    arguments: Any = attrs.field(repr=False)


def _copy(schema: Mapping[str, Any]) -> dict[str, Any]:
    # A fresh copy each time: SDKs and callers may mutate what they are given.
    copied: dict[str, Any] = json.loads(json.dumps(schema))
    return copied


def mcp_types() -> Any:
    try:
        import mcp.types
    except ImportError:
        from ._errors import OptionalDependencyError

        raise OptionalDependencyError("MCP tools need the mcp package: pip install 'useparagon[mcp]'") from None
    return mcp.types


# -- Building the toolset --------------------------------------------------------------------------------------------


def safe_name(action: str, taken: set[str]) -> str:
    """``action`` as a name every vendor accepts, not yet in ``taken``."""
    name = action if _NAME.fullmatch(action) else _NOT_NAME_CHAR.sub("_", action) or "tool"
    if len(name) > MAX_NAME_LENGTH or (name != action and name in taken):
        digest = hashlib.sha256(action.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        name = f"{name[: MAX_NAME_LENGTH - 9]}_{digest}"
    base, serial = name, 2
    while name in taken:
        suffix = f"_{serial}"
        name = f"{base[: MAX_NAME_LENGTH - len(suffix)]}{suffix}"
        serial += 1
    taken.add(name)
    return name


def input_schema(parameters: object) -> dict[str, Any]:
    """The tool's JSON Schema as the vendors require it: an object schema at the root."""
    if not isinstance(parameters, Mapping) or not parameters:
        return dict(_EMPTY_SCHEMA)
    schema = _copy(parameters)
    if schema.get("type") != "object":
        # Every vendor requires an object at the root; ActionKit's schemas are objects, say so when one does not.
        schema = {"type": "object", **{k: v for k, v in schema.items() if k != "type"}}
    schema.setdefault("properties", {})
    return schema


def tools_from_actions(actions: ActionList) -> tuple[AgentTool, ...]:
    """Every action of a ``json_schema`` listing as an ``AgentTool``, in the listing's order."""
    from useparagon_api.types import Unset

    from ._calls import ResponseMismatch

    taken: set[str] = set()
    tools = []
    for integration, definitions in actions.actions.additional_properties.items():
        for definition in definitions:
            function = definition.function
            if not isinstance(function.name, str) or not function.name:
                raise ResponseMismatch(f"an action of {integration!r} has no name")
            description = function.description if isinstance(function.description, str) else ""
            parameters = None if isinstance(function.parameters, Unset) else function.parameters.to_dict()
            tools.append(
                AgentTool(
                    name=safe_name(function.name, taken),
                    action=function.name,
                    integration=integration,
                    description=description or f"{function.name} ({integration})",
                    parameters=input_schema(parameters),
                )
            )
    return tuple(tools)


# -- Reading the model's calls ---------------------------------------------------------------------------------------


def _field(item: object, name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def openai_call(call: object) -> ToolCall:
    """A Chat Completions tool call (``ChatCompletionMessageFunctionToolCall`` or its dict)."""
    function = _field(call, "function")
    return ToolCall(_text(_field(call, "id")), _text(_field(function, "name")), _field(function, "arguments"))


def openai_responses_calls(output: Iterable[object]) -> list[ToolCall]:
    """The ``function_call`` items of a Responses API output (``ResponseFunctionToolCall`` or their dicts)."""
    return [
        ToolCall(_text(_field(item, "call_id")), _text(_field(item, "name")), _field(item, "arguments"))
        for item in output
        if _field(item, "type") == "function_call"
    ]


def anthropic_calls(content: Iterable[object]) -> list[ToolCall]:
    """The ``tool_use`` blocks of an assistant message's content (``ToolUseBlock`` or their dicts)."""
    return [
        ToolCall(_text(_field(block, "id")), _text(_field(block, "name")), _field(block, "input"))
        for block in content
        if _field(block, "type") == "tool_use"
    ]


def calls_list(calls: object, what: str) -> list[Any]:
    """``calls`` as a list: None (a message without tool calls) is an empty one."""
    if calls is None:
        return []
    if isinstance(calls, str | bytes | Mapping) or not isinstance(calls, Iterable):
        from ._errors import InvalidRequestError

        raise InvalidRequestError(f"{what} must be a list, not {type(calls).__name__}")
    return list(calls)


# -- Checking a call -------------------------------------------------------------------------------------------------


def find_tool(tools: Mapping[str, AgentTool], name: object) -> AgentTool:
    if isinstance(name, str) and name in tools:
        return tools[name]
    shown = show_input(name) if isinstance(name, str) else type(name).__name__
    raise UnknownToolError(f"there is no tool named {shown}; call one of the tools listed", tool=_text(name))


def check_arguments(tool: AgentTool, arguments: object) -> dict[str, Any]:
    """The call's arguments as a dict that fits the tool's schema, or ToolArgumentsError saying what is wrong."""
    if arguments is None or arguments == "":
        arguments = {}
    if isinstance(arguments, str | bytes | bytearray):
        try:
            arguments = json.loads(arguments)
        except (ValueError, RecursionError):
            reason = "the arguments are not valid JSON"
            raise ToolArgumentsError(f"{tool.name}: {reason}", tool=tool.name, errors=[reason]) from None
    if not isinstance(arguments, Mapping) or not all(isinstance(key, str) for key in arguments):
        reason = f"the arguments must be a JSON object, not {type(arguments).__name__}"
        raise ToolArgumentsError(f"{tool.name}: {reason}", tool=tool.name, errors=[reason])
    found = schema_errors(tool.parameters, arguments)
    if found:
        raise ToolArgumentsError(f"{tool.name}: {'; '.join(found)}", tool=tool.name, errors=found)
    return dict(arguments)


# -- Writing results -------------------------------------------------------------------------------------------------


def model_can_fix(error: ParagonError) -> bool:
    """Whether the model should see ``error`` as the tool's result (and may retry) rather than the app seeing it
    raised: a bad call, or a refusal of the call itself (400/404/409/422, or the provider's own failure)."""
    if isinstance(error, ToolCallError):
        return True
    return isinstance(error, APIStatusError) and (
        error.status_code in _MODEL_FIXABLE_STATUSES or error.is_integration_error
    )


def output_text(output: Any) -> str:
    """An action's output as the text a model reads: its JSON."""
    return json.dumps(output, ensure_ascii=False)


def error_text(error: ParagonError) -> str:
    """What the model reads for a failed call: the error's kind and message (never a secret: messages hold none)."""
    body: dict[str, Any] = {"type": type(error).__name__, "message": error.message}
    if isinstance(error, ToolArgumentsError):
        body["errors"] = list(error.errors)
    if isinstance(error, APIStatusError):
        body["status"] = error.status_code
    return json.dumps({"error": body}, ensure_ascii=False)


def openai_result(call: ToolCall, text: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call.id, "content": text}


def openai_responses_result(call: ToolCall, text: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call.id, "output": text}


def anthropic_result(call: ToolCall, text: str, *, is_error: bool) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": call.id, "content": text, "is_error": is_error}


def mcp_result(output: Any, text: str, *, is_error: bool) -> Any:
    types = mcp_types()
    # structured_content is a JSON object on the protocol versions before 2026-07-28: only an object goes there.
    structured = output if isinstance(output, dict) and not is_error else None
    return types.CallToolResult(
        content=[types.TextContent(text=text)], structured_content=structured, is_error=is_error
    )
