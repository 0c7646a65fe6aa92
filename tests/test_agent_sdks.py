"""The agent tools against each vendor SDK's own types (pinned in the dev extra), and the MCP server answering the
official ``mcp`` client: in process, and over stdio as ``paragon mcp`` started by the client.

The definitions must be what ``openai``, ``anthropic`` and ``mcp`` accept; the calls are built with each SDK's own
models (what a real response holds) and the results checked against the types of the SDK's next request.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Iterator
from typing import Any

import anthropic.types as anthropic_types
import httpx
import mcp.types as mcp_types
import openai.types.chat as openai_chat
import openai.types.responses as openai_responses
import pydantic
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError
from openai.types.chat.chat_completion_message_function_tool_call import Function
from useparagon import AgentTools, AsyncParagon, Paragon
from useparagon._mcp import mcp_server
from useparagon.testing import FakeParagon, FakeServer

SEND = "SLACK_SEND_MESSAGE"
# OpenAI's documented function-name rule; Anthropic's is the same.
VENDOR_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


@pytest.fixture(scope="module")
def fake() -> FakeParagon:
    """The default project plus an action whose name no vendor accepts as it is."""
    fake = FakeParagon()
    fake.add_action(
        "slack",
        "custom.slack/post to thread",
        description="Reply in a thread",
        parameters={"type": "object", "properties": {"thread": {"type": "string"}}, "required": ["thread"]},
    )
    fake.user("u1").connect("slack").connect("salesforce")
    return fake


@pytest.fixture(scope="module")
def tools(fake: FakeParagon) -> Iterator[AgentTools]:
    with Paragon(
        project_id=fake.project_id, signing_key=fake.signing_key, http_client=httpx.Client(transport=fake.transport())
    ) as client:
        yield client.authenticate("u1").agent_tools()


def test_openai_accepts_the_definitions(tools: AgentTools) -> None:
    """Chat Completions and Responses tool params validate as the SDK's TypedDicts and models; names fit the rule."""
    chat = pydantic.TypeAdapter(list[openai_chat.ChatCompletionFunctionToolParam])
    responses = pydantic.TypeAdapter(list[openai_responses.FunctionToolParam])
    assert chat.validate_python(tools.openai()) == tools.openai()
    assert responses.validate_python(tools.openai_responses()) == tools.openai_responses()
    for definition in tools.openai():
        model = openai_chat.ChatCompletionFunctionTool.model_validate(definition)
        assert VENDOR_NAME.fullmatch(model.function.name)
    assert "custom_slack_post_to_thread" in [tool.name for tool in tools]


def test_anthropic_accepts_the_definitions(tools: AgentTools) -> None:
    """Messages API tools validate as ``ToolParam``, with an object ``input_schema``."""
    adapter = pydantic.TypeAdapter(list[anthropic_types.ToolParam])
    assert adapter.validate_python(tools.anthropic()) == tools.anthropic()
    assert all(VENDOR_NAME.fullmatch(tool["name"]) for tool in tools.anthropic())
    assert all(tool["input_schema"]["type"] == "object" for tool in tools.anthropic())


def test_mcp_accepts_the_definitions(tools: AgentTools) -> None:
    """``mcp()`` gives the SDK's own ``Tool`` objects, which round-trip through its wire form."""
    for tool in tools.mcp():
        assert isinstance(tool, mcp_types.Tool)
        wire = tool.model_dump(by_alias=True, exclude_none=True)
        assert mcp_types.Tool.model_validate(wire) == tool
        assert wire["inputSchema"]["type"] == "object"


def test_openai_calls_and_results_in_the_sdk_types(tools: AgentTools, fake: FakeParagon) -> None:
    """The SDK's own tool-call models in (a renamed tool runs its ActionKit action), tool messages out."""
    calls = [
        openai_chat.ChatCompletionMessageFunctionToolCall(
            id="call_1",
            type="function",
            function=Function(name=SEND, arguments=json.dumps({"channel": "C1", "message": "hi"})),
        ),
        openai_chat.ChatCompletionMessageFunctionToolCall(
            id="call_2", type="function", function=Function(name="custom_slack_post_to_thread", arguments="{}")
        ),
    ]
    results = tools.run_openai(calls)
    pydantic.TypeAdapter(list[openai_chat.ChatCompletionToolMessageParam]).validate_python(results)
    assert [result["tool_call_id"] for result in results] == ["call_1", "call_2"]
    assert json.loads(results[0]["content"])["ok"] is True
    assert json.loads(results[1]["content"])["error"]["errors"] == ["thread is required"]
    item = openai_responses.ResponseFunctionToolCall(
        type="function_call", call_id="fc_1", name=SEND, arguments='{"channel": "C1", "message": "x"}'
    )
    outputs = tools.run_openai_responses([item])
    pydantic.TypeAdapter(list[openai_responses.response_input_item_param.FunctionCallOutput]).validate_python(outputs)
    assert outputs[0]["call_id"] == "fc_1"


def test_anthropic_calls_and_results_in_the_sdk_types(tools: AgentTools) -> None:
    """``ToolUseBlock``s in (text blocks skipped), ``ToolResultBlockParam``s out."""
    content = [
        anthropic_types.TextBlock(type="text", text="Posting."),
        anthropic_types.ToolUseBlock(type="tool_use", id="tu_1", name=SEND, input={"channel": "C1", "message": "m"}),
    ]
    results = tools.run_anthropic(content)
    pydantic.TypeAdapter(list[anthropic_types.ToolResultBlockParam]).validate_python(results)
    assert [(result["tool_use_id"], result["is_error"]) for result in results] == [("tu_1", False)]


# -- The MCP server --------------------------------------------------------------------------------------------------


def test_the_mcp_server_in_process(fake: FakeParagon) -> None:
    """tools/list and tools/call through the official client, connected in process: a result, an error result the
    model can fix, and a protocol error for a tool that does not exist."""

    async def main() -> None:
        http = httpx.AsyncClient(transport=fake.async_transport())
        async with AsyncParagon(project_id=fake.project_id, signing_key=fake.signing_key, http_client=http) as client:
            server = mcp_server(client.authenticate("u1"), integrations=["slack"])
            async with Client(server) as mcp:
                listed = await mcp.list_tools()
                assert [tool.name for tool in listed.tools] == [SEND, "custom_slack_post_to_thread"]
                result = await mcp.call_tool(SEND, {"channel": "C1", "message": "hi"})
                assert (result.is_error, result.structured_content["ok"]) == (False, True)
                bad = await mcp.call_tool(SEND, {"channel": "C1"})
                assert bad.is_error is True
                (text,) = bad.content
                assert isinstance(text, mcp_types.TextContent)
                assert json.loads(text.text)["error"]["errors"] == ["message is required"]
                with pytest.raises(MCPError, match="there is no tool named 'NOPE'"):
                    await mcp.call_tool("NOPE", {})

    asyncio.run(main())


@pytest.fixture(scope="module")
def server(fake: FakeParagon) -> Iterator[FakeServer]:
    with fake.serve() as running:
        yield running


def test_paragon_mcp_over_stdio_with_the_official_client(fake: FakeParagon, server: FakeServer) -> None:
    """The official client starts ``python -m useparagon mcp --user u1`` and talks to it over stdin/stdout: the
    listing is the user's tools and a call runs the action as the user on FakeParagon."""
    env = {
        "PARAGON_PROJECT_ID": fake.project_id,
        "PARAGON_SIGNING_KEY": fake.signing_key_pem,
        "PARAGON_API_URL": server.url,
        "PARAGON_PROXY_URL": server.url,
        "PARAGON_ACTIONKIT_URL": server.url,
        "PATH": os.environ.get("PATH", ""),
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "useparagon", "mcp", "--user", "u1", "--integration", "slack"], env=env
    )
    runs_before = len(fake.action_runs)

    async def main() -> tuple[list[str], Any]:
        async with Client(params, read_timeout_seconds=60) as client:
            listed = await client.list_tools()
            result = await client.call_tool(SEND, {"channel": "C9", "message": "from MCP"})
            return [tool.name for tool in listed.tools], result

    names, result = asyncio.run(main())
    assert names == [SEND, "custom_slack_post_to_thread"]
    assert result.is_error is False
    (text,) = result.content
    assert isinstance(text, mcp_types.TextContent)
    assert json.loads(text.text)["channel"] == "C9"
    (run,) = fake.action_runs[runs_before:]
    assert (run.user_id, run.action, dict(run.parameters)) == ("u1", SEND, {"channel": "C9", "message": "from MCP"})


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["mcp"], "no user: pass --user USER_ID or --user-token TOKEN, or set PARAGON_USER_ID"),
        (["mcp", "--user", "u1", "--integration", "sales force"], "--integration must not contain whitespace"),
        (["mcp", "--user", "u1", "--credential-id", "a\nb"], "--credential-id must not contain control characters"),
    ],
    ids=["no user", "bad integration", "bad credential"],
)
def test_paragon_mcp_refuses_a_bad_command_line_before_serving(
    fake: FakeParagon,
    argv: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit 2 with one line on stderr, and nothing on stdout (an MCP client's channel)."""
    from useparagon._cli import main

    monkeypatch.delenv("PARAGON_USER_ID", raising=False)
    monkeypatch.setenv("PARAGON_PROJECT_ID", fake.project_id)
    monkeypatch.setenv("PARAGON_SIGNING_KEY", fake.signing_key_pem)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"paragon: error: {message}")


def test_paragon_mcp_without_the_extra_says_how_to_install_it(
    fake: FakeParagon, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the mcp package: exit 1 naming the extra (``OptionalDependencyError``), before stdio is taken over."""
    from useparagon._cli import main

    monkeypatch.setitem(sys.modules, "mcp.server.lowlevel", None)
    monkeypatch.setenv("PARAGON_PROJECT_ID", fake.project_id)
    monkeypatch.setenv("PARAGON_SIGNING_KEY", fake.signing_key_pem)
    assert main(["mcp", "--user", "u1"]) == 1
    assert capsys.readouterr().err == (
        "paragon: error: the MCP server needs the mcp package: pip install 'useparagon[mcp]'\n"
    )
