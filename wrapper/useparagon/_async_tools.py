"""``AsyncAgentTools``: a user's ActionKit actions as a model's tools, and the model's calls run back through ActionKit.

This module is the source of another:
``python -m generator.unasync`` writes ``_tools.py`` from ``_async_tools.py``, and ``make check-generated`` fails
when they differ. Edit the async module, then run ``make generate``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from . import _agent
from ._agent import AgentTool, ToolCall
from ._errors import ParagonError

if TYPE_CHECKING:
    from ._async_session import AsyncUserSession


class AsyncAgentTools:
    """A user's ActionKit tools, from ``await user.agent_tools()``: give ``openai()``, ``openai_responses()``,
    ``anthropic()`` or ``mcp()`` to the model, then hand its tool calls to ``run_openai``, ``run_openai_responses``
    or ``run_anthropic``, which check each call's arguments against the tool's schema, run it as the user and return
    the results in the shape that vendor's next request takes.

    A call the model can fix (an unknown tool, arguments that do not fit, a 400/404/409/422 from ActionKit, the
    provider's own failure) comes back as an error result the model reads; anything else (an expired token, an
    outage) is raised as the ``ParagonError`` it is. ``run(name, arguments)`` raises every error.
    """

    __slots__ = ("_by_name", "_credential_id", "_session", "tools")

    def __init__(
        self, session: AsyncUserSession, tools: Iterable[AgentTool], *, credential_id: str | None = None
    ) -> None:
        self._session = session
        self._credential_id = credential_id
        self.tools: tuple[AgentTool, ...] = tuple(tools)
        self._by_name = {tool.name: tool for tool in self.tools}

    def __repr__(self) -> str:
        # getattr: a traceback may render one whose __init__ never ran to the end.
        tools: tuple[AgentTool, ...] = getattr(self, "tools", ())
        shown = ", ".join(tool.name for tool in tools[:5])
        more = f", … {len(tools) - 5} more" if len(tools) > 5 else ""
        return f"{type(self).__name__}([{shown}{more}])"

    def __len__(self) -> int:
        return len(self.tools)

    def __iter__(self) -> Iterator[AgentTool]:
        return iter(self.tools)

    def get(self, name: str) -> AgentTool:
        """The tool the model knows as ``name``; ``UnknownToolError`` if there is none."""
        return _agent.find_tool(self._by_name, name)

    def openai(self) -> list[dict[str, Any]]:
        """The tools for OpenAI Chat Completions: ``client.chat.completions.create(..., tools=tools.openai())``."""
        return [tool.openai() for tool in self.tools]

    def openai_responses(self) -> list[dict[str, Any]]:
        """The tools for OpenAI's Responses API: ``client.responses.create(..., tools=tools.openai_responses())``."""
        return [tool.openai_responses() for tool in self.tools]

    def anthropic(self) -> list[dict[str, Any]]:
        """The tools for Anthropic's Messages API: ``client.messages.create(..., tools=tools.anthropic())``."""
        return [tool.anthropic() for tool in self.tools]

    def mcp(self) -> list[Any]:
        """The tools as MCP ``Tool`` objects (needs ``pip install 'useparagon[mcp]'``)."""
        return [tool.mcp() for tool in self.tools]

    async def run(self, name: str, arguments: Mapping[str, Any] | str | None = None) -> Any:
        """Run the tool the model calls ``name`` with ``arguments`` (an object, or its JSON text) as the user, after
        checking them against its schema; returns the action's output. Raises ``ToolCallError`` before any request
        for a call that cannot run, and the ``APIError`` ActionKit's answer means."""
        tool = _agent.find_tool(self._by_name, name)
        checked = _agent.check_arguments(tool, arguments)
        return await self._session.run_action(tool.action, checked, credential_id=self._credential_id)

    async def run_openai(self, tool_calls: Iterable[Any] | None) -> list[dict[str, Any]]:
        """Run a Chat Completions message's ``tool_calls`` in order; returns one ``{"role": "tool", ...}`` message
        each, to append to the conversation: ``messages += await tools.run_openai(message.tool_calls)``."""
        results = []
        for raw in _agent.calls_list(tool_calls, "tool_calls"):
            call = _agent.openai_call(raw)
            _, text, _ = await self._outcome(call)
            results.append(_agent.openai_result(call, text))
        return results

    async def run_openai_responses(self, output: Iterable[Any]) -> list[dict[str, Any]]:
        """Run the ``function_call`` items of a Responses API ``response.output`` in order; returns one
        ``function_call_output`` item each, for the next request's ``input``."""
        results = []
        for call in _agent.openai_responses_calls(_agent.calls_list(output, "output")):
            _, text, _ = await self._outcome(call)
            results.append(_agent.openai_responses_result(call, text))
        return results

    async def run_anthropic(self, content: Iterable[Any]) -> list[dict[str, Any]]:
        """Run the ``tool_use`` blocks of an assistant message's ``content`` in order; returns one ``tool_result``
        block each: ``messages.append({"role": "user", "content": await tools.run_anthropic(response.content)})``."""
        results = []
        for call in _agent.anthropic_calls(_agent.calls_list(content, "content")):
            _, text, is_error = await self._outcome(call)
            results.append(_agent.anthropic_result(call, text, is_error=is_error))
        return results

    async def call_mcp(self, name: str, arguments: Mapping[str, Any] | None) -> Any:
        """An MCP ``tools/call``: the ``CallToolResult`` (an error result for a call the model can fix). A name that
        is no tool raises ``UnknownToolError``, which MCP reports as a protocol error rather than a result."""
        tool = _agent.find_tool(self._by_name, name)
        output, text, is_error = await self._outcome(ToolCall("", tool.name, arguments))
        return _agent.mcp_result(output, text, is_error=is_error)

    async def _outcome(self, call: ToolCall) -> tuple[Any, str, bool]:
        try:
            output = await self.run(call.name, call.arguments)
        except ParagonError as error:
            if not _agent.model_can_fix(error):
                raise
            return None, _agent.error_text(error), True
        return output, _agent.output_text(output), False
