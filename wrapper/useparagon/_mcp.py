"""An MCP server for one user: their ActionKit actions as tools, each call run as them through ActionKit.

``paragon mcp --user U`` serves it over stdio (an MCP client such as Claude Desktop starts that command); a program
can build it with ``mcp_server(session)`` and serve it over any transport the ``mcp`` package has. It needs the
official SDK: ``pip install 'useparagon[mcp]'``.

``tools/list`` reads the user's tools from ActionKit each time (a user who connects an integration gets its tools on
the next listing); ``tools/call`` checks the arguments against the tool's schema and answers a call the model can fix
(bad arguments, a 400/404/409/422 from ActionKit, the provider's own failure) with an error result, and anything else
(an unknown tool, an expired token, an outage) with an MCP error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._errors import OptionalDependencyError, ParagonError, UnknownToolError

if TYPE_CHECKING:
    from ._async_session import AsyncUserSession
    from ._async_tools import AsyncAgentTools

__all__ = ["mcp_server", "serve_stdio"]

SERVER_NAME = "useparagon"
INSTRUCTIONS = (
    "Tools that act in the user's connected third-party apps (Salesforce, Slack, HubSpot…) through Paragon ActionKit. "
    "Each call runs as the user; an error result says what to fix."
)


def _require_mcp() -> None:
    try:
        import mcp.server.lowlevel  # noqa: F401
    except ImportError:
        raise OptionalDependencyError("the MCP server needs the mcp package: pip install 'useparagon[mcp]'") from None


def mcp_server(
    session: AsyncUserSession,
    *,
    integrations: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    credential_id: str | None = None,
) -> Any:
    """A low-level ``mcp.server.lowlevel.Server`` answering ``tools/list`` and ``tools/call`` with ``session``'s
    ActionKit tools (filtered by ``integrations`` and ``categories``; run with ``credential_id``'s account if given)."""
    _require_mcp()
    import mcp.types as types
    from mcp.server.lowlevel import Server
    from mcp.shared.exceptions import MCPError

    from ._version import __version__

    current: list[AsyncAgentTools] = []

    async def load() -> AsyncAgentTools:
        tools = await session.agent_tools(integrations=integrations, categories=categories, credential_id=credential_id)
        current[:] = [tools]
        return tools

    async def list_tools(_ctx: Any, _params: Any) -> Any:
        try:
            tools = await load()
        except ParagonError as error:
            raise MCPError(types.INTERNAL_ERROR, error.message) from None
        return types.ListToolsResult(tools=tools.mcp())

    async def call_tool(_ctx: Any, params: Any) -> Any:
        try:
            tools = current[0] if current else await load()
            return await tools.call_mcp(params.name, params.arguments)
        except UnknownToolError as error:
            raise MCPError(types.INVALID_PARAMS, error.message) from None
        except ParagonError as error:
            raise MCPError(types.INTERNAL_ERROR, error.message) from None

    return Server(
        SERVER_NAME,
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_stdio(
    session: AsyncUserSession,
    *,
    integrations: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    credential_id: str | None = None,
) -> None:
    """Serve ``mcp_server(session, ...)`` over this process's stdin and stdout until the client closes them."""
    server = mcp_server(session, integrations=integrations, categories=categories, credential_id=credential_id)
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
