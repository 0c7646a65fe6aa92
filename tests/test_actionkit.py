"""ActionKit complete, against FakeParagon for both flavours: the action listing in both formats, trigger subscriptions
from subscribe to unsubscribe, example payloads, and a user's tools for agents (definitions, checked arguments, results
and errors in each vendor's shape). The exact requests are in test_requests.py's table; the vendor SDKs' own types and
the MCP server in test_agent_sdks.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from useparagon import (
    AgentTool,
    AgentTools,
    APIResponseValidationError,
    APIStatusError,
    AsyncAgentTools,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    ParagonActionList,
    ToolArgumentsError,
    TriggerSubscription,
    UnknownToolError,
)
from useparagon._agent import safe_name
from useparagon._jsonschema import schema_errors
from useparagon.testing import FakeParagon
from useparagon_api.types import Unset

from tests.support import Harness, MakeHarness, SessionCall, json_response, trusting_fake

USER = "user-123"
SEND = "SLACK_SEND_MESSAGE"
TRIGGER = "SALESFORCE_RECORD_CREATED"


@pytest.fixture
def fake(rsa_key: rsa.RSAPrivateKey) -> FakeParagon:
    """The default project, trusting the harness's tokens; the user connected Slack and Salesforce."""
    fake = trusting_fake(rsa_key)
    fake.user(USER).connect("slack").connect("salesforce")
    return fake


def _on_fake(make_harness: MakeHarness, fake: FakeParagon) -> Harness:
    return make_harness(fake.transport().handle_request)


# -- The listing -----------------------------------------------------------------------------------------------------


def test_list_actions_in_both_formats(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """JSON Schema function definitions by default; Paragon's input definitions with format="paragon"; the filters
    choose the integrations (limit_to_available=False adds the ones the user has not connected)."""
    harness = _on_fake(make_harness, fake)
    listing = harness.run(harness.session.list_actions())
    assert sorted(listing.actions.additional_properties) == ["salesforce", "slack"]
    slack = listing.actions["slack"][0].function
    assert not isinstance(slack.parameters, Unset)
    assert (slack.name, slack.parameters.to_dict()["required"]) == (SEND, ["channel", "message"])
    paragon = harness.run(harness.session.list_actions(format="paragon", integrations=["slack"]))
    assert isinstance(paragon, ParagonActionList)
    assert paragon.actions["slack"][0].to_dict() == {
        "name": SEND,
        "title": "Send a message to a Slack channel",
        "description": "Send a message to a Slack channel",
        "inputs": [
            {"id": "channel", "title": "channel", "type": "TEXT", "required": True},
            {"id": "message", "title": "message", "type": "TEXT", "required": True},
        ],
    }
    everything = harness.run(harness.session.list_actions(limit_to_available=False, reload_fields=True))
    assert sorted(everything.actions.additional_properties) == [
        "freshdesk",
        "googledrive",
        "hubspot",
        "salesforce",
        "slack",
    ]


def test_run_action_is_checked_against_the_schema_on_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """FakeParagon refuses parameters that do not fit the action's schema (400, each reason), as ActionKit would."""
    harness = _on_fake(make_harness, fake)
    with pytest.raises(BadRequestError, match="message is required") as caught:
        harness.run(harness.session.run_action(SEND, {"channel": 5}))
    assert caught.value.status_code == 400
    assert fake.action_runs == ()


# -- Trigger subscriptions -------------------------------------------------------------------------------------------


RECEIVER_SECRET = "Bearer RECEIVER-CANARY-7d31"
ECHOED_OVERRIDE = {"url": "https://example.com/hooks", "headers": {"Authorization": RECEIVER_SECRET}}
# Answers to the subscription calls that echo the override where an error would keep the body.
ECHOING_ANSWERS: dict[str, tuple[tuple[int, Any], type[APIStatusError | APIResponseValidationError]]] = {
    "400 echoing the request": ((400, {"message": "bad", "webhookOverride": ECHOED_OVERRIDE}), BadRequestError),
    "200 off the spec": ((200, {"id": 5, "webhookOverride": ECHOED_OVERRIDE}), APIResponseValidationError),
    "200 as a list": ((200, [{"webhookOverride": ECHOED_OVERRIDE}]), APIResponseValidationError),
}


@pytest.mark.parametrize("answer", list(ECHOING_ANSWERS))
def test_an_error_keeps_the_override_headers_redacted(make_harness: MakeHarness, answer: str) -> None:
    """The receiver's credentials in an echoed ``webhookOverride`` reach neither the error's body nor its message."""
    (status, body), error_class = ECHOING_ANSWERS[answer]
    harness = make_harness(lambda _request: json_response(status, body), max_retries=0)
    calls: list[SessionCall] = [
        lambda s: s.subscribe_to_trigger("salesforce", TRIGGER, {}, webhook_override=ECHOED_OVERRIDE),
        lambda s: s.update_trigger_subscription(
            "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", webhook_override=ECHOED_OVERRIDE
        ),
        lambda s: s.list_trigger_subscriptions(),
    ]
    for call in calls:
        with pytest.raises(error_class) as caught:
            harness.run(call(harness.session))
        error = caught.value
        assert isinstance(error, APIStatusError | APIResponseValidationError)
        assert RECEIVER_SECRET not in f"{error} {error!r} {error.body!r}"
        assert "[redacted]" in repr(error.body)


def test_a_trigger_subscription_from_subscribe_to_unsubscribe(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """Subscribe (with a webhook override whose headers stay out of every answer), list with each filter, merge
    parameters (None removes a key), clear the override, read the example payload, unsubscribe, and a second
    unsubscribe is a 404."""
    harness = _on_fake(make_harness, fake)
    session = harness.session
    override = {"url": "https://example.com/hooks", "headers": {"Authorization": "Bearer receiver-secret"}}
    sub = harness.run(
        session.subscribe_to_trigger(
            "salesforce", TRIGGER, {"recordType": "Opportunity", "limit": 5}, webhook_override=override
        )
    )
    assert isinstance(sub, TriggerSubscription)
    assert (sub.type_, sub.status, sub.parameters.to_dict()) == (
        TRIGGER,
        "ACTIVE",
        {"recordType": "Opportunity", "limit": 5},
    )
    assert sub.credential_id == fake.user(USER).credential_ids("salesforce")[0]
    assert not isinstance(sub.webhook_override, Unset)
    assert sub.webhook_override.to_dict() == {"url": "https://example.com/hooks"}
    assert fake.user(USER).trigger_subscriptions[0]["webhookOverride"] == override

    listed = harness.run(session.list_trigger_subscriptions())
    assert [s.id for s in listed.triggers["salesforce"]] == [sub.id]
    for filters in ({"status": "ERRORED"}, {"integrations": ["slack"]}, {"trigger_type": "OTHER"}):
        assert harness.run(session.list_trigger_subscriptions(**filters)).triggers.to_dict() == {}, filters
    assert (
        harness.run(session.list_trigger_subscriptions(status="ACTIVE", integrations=["salesforce"]))
        .triggers["salesforce"][0]
        .id
        == sub.id
    )

    updated = harness.run(
        session.update_trigger_subscription(sub.id, parameters={"limit": None, "fields": ["Id"]}, webhook_override=None)
    )
    assert updated.parameters.to_dict() == {"recordType": "Opportunity", "fields": ["Id"]}
    assert "webhook_override" not in repr(updated)
    assert "webhookOverride" not in fake.user(USER).trigger_subscriptions[0]

    example = harness.run(session.get_trigger_example_payload("salesforce", TRIGGER, {"recordType": "Opportunity"}))
    assert example == [{"Id": "006000000000001AAA", "Name": "Sample Opportunity", "Amount": 50000}]

    removed = harness.run(session.unsubscribe_from_trigger(sub.id))
    assert (removed.success, removed.to_dict()) == (True, {"success": True})
    assert fake.user(USER).trigger_subscriptions == []
    with pytest.raises(NotFoundError):
        harness.run(session.unsubscribe_from_trigger(sub.id))


def test_subscription_refusals_on_the_fake(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """An unknown trigger type and an integration the user has not connected are 404s; another user's subscription
    is not found; an ERRORED subscription lists with its error."""
    fake.user("someone-else").connect("salesforce").add_trigger_subscription("salesforce", TRIGGER, subscription_id="x")
    fake.user(USER).add_trigger_subscription("salesforce", TRIGGER, status="ERRORED", error="Polling failed")
    fake.add_trigger("hubspot", "HUBSPOT_RECORD_CREATED")
    harness = _on_fake(make_harness, fake)
    session = harness.session
    with pytest.raises(NotFoundError, match="Trigger 'NOPE' not found"):
        harness.run(session.subscribe_to_trigger("salesforce", "NOPE"))
    with pytest.raises(NotFoundError, match="Integration not enabled for user"):
        harness.run(session.subscribe_to_trigger("hubspot", "HUBSPOT_RECORD_CREATED"))
    with pytest.raises(NotFoundError):
        harness.run(session.update_trigger_subscription("x", parameters={"a": 1}))
    (errored,) = harness.run(session.list_trigger_subscriptions(status="ERRORED")).triggers["salesforce"]
    assert (errored.status, errored.error) == ("ERRORED", "Polling failed")


def test_disconnecting_an_account_removes_its_subscriptions(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """Uninstalling the integration takes its account's trigger subscriptions with it."""
    fake.user(USER).add_trigger_subscription("salesforce", TRIGGER)
    harness = _on_fake(make_harness, fake)
    harness.run(harness.session.uninstall_integration("salesforce"))
    assert fake.user(USER).trigger_subscriptions == []


def test_fake_builders_refuse_what_cannot_exist(fake: FakeParagon) -> None:
    """The test-side builders say what is wrong instead of making a state Paragon never has."""
    with pytest.raises(ValueError, match="has no trigger 'NOPE'"):
        fake.user(USER).add_trigger_subscription("salesforce", "NOPE")
    fake.add_trigger("hubspot", "HUBSPOT_RECORD_CREATED")
    with pytest.raises(ValueError, match="no VALID hubspot credential"):
        fake.user(USER).add_trigger_subscription("hubspot", "HUBSPOT_RECORD_CREATED")
    with pytest.raises(ValueError, match="already has an action"):
        fake.add_action("hubspot", SEND)
    with pytest.raises(ValueError, match="status must be one of ACTIVE, ERRORED"):
        fake.user(USER).add_trigger_subscription("salesforce", TRIGGER, status="PAUSED")  # type: ignore[arg-type]


# -- Tools for agents ------------------------------------------------------------------------------------------------


def _tools(harness: Harness, **options: Any) -> AgentTools | AsyncAgentTools:
    return harness.run(harness.session.agent_tools(**options))


def _done(harness: Harness, value: object) -> Any:
    """A toolset call's result, awaited for the async toolset (mypy cannot narrow the union of both toolsets)."""
    return harness.run(value)


def test_tool_definitions_in_each_vendor_shape(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """One listing, four shapes: the same name, description and schema (a fresh copy each time)."""
    harness = _on_fake(make_harness, fake)
    tools = _tools(harness, integrations=["slack"])
    schema = {
        "type": "object",
        "properties": {"channel": {"type": "string"}, "message": {"type": "string"}},
        "required": ["channel", "message"],
    }
    description = "Send a message to a Slack channel"
    assert [tool.name for tool in tools] == [SEND]
    assert tools.openai() == [
        {"type": "function", "function": {"name": SEND, "description": description, "parameters": schema}}
    ]
    assert tools.openai_responses() == [
        {"type": "function", "name": SEND, "description": description, "parameters": schema, "strict": False}
    ]
    assert tools.anthropic() == [{"name": SEND, "description": description, "input_schema": schema}]
    tools.openai()[0]["function"]["parameters"]["required"].clear()
    assert tools.get(SEND).parameters["required"] == ["channel", "message"]
    assert repr(tools).endswith(f"Tools([{SEND}])")


def test_a_model_turn_through_each_vendor_shape(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """Each vendor's tool calls (SDK-shaped dicts) run as the user, in order, and come back as that vendor's results."""
    fake.on_action(SEND, lambda run: {"ok": True, "echo": run.parameters["message"]})
    harness = _on_fake(make_harness, fake)
    tools = _tools(harness)
    args = {"channel": "C1", "message": "hi"}
    chat = harness.run(
        tools.run_openai(
            [{"id": "call_1", "type": "function", "function": {"name": SEND, "arguments": json.dumps(args)}}]
        )
    )
    assert chat == [{"role": "tool", "tool_call_id": "call_1", "content": '{"ok": true, "echo": "hi"}'}]
    responses = harness.run(
        tools.run_openai_responses(
            [
                {"type": "message", "content": []},
                {"type": "function_call", "call_id": "fc_1", "name": SEND, "arguments": json.dumps(args)},
            ]
        )
    )
    assert responses == [{"type": "function_call_output", "call_id": "fc_1", "output": '{"ok": true, "echo": "hi"}'}]
    anthropic = harness.run(
        tools.run_anthropic(
            [
                {"type": "text", "text": "Sending it."},
                {"type": "tool_use", "id": "tu_1", "name": SEND, "input": args},
            ]
        )
    )
    assert anthropic == [
        {"type": "tool_result", "tool_use_id": "tu_1", "content": '{"ok": true, "echo": "hi"}', "is_error": False}
    ]
    assert [run.parameters for run in fake.action_runs] == [args] * 3
    assert harness.run(tools.run_openai(None)) == []


@pytest.mark.parametrize(
    ("name", "arguments", "kind", "errors"),
    [
        ("NOPE", "{}", "UnknownToolError", None),
        (SEND, "{not json", "ToolArgumentsError", ["the arguments are not valid JSON"]),
        (SEND, "[1]", "ToolArgumentsError", ["the arguments must be a JSON object, not list"]),
        (
            SEND,
            '{"channel": 5}',
            "ToolArgumentsError",
            ["message is required", "channel must be a string, not an integer"],
        ),
    ],
    ids=["unknown tool", "not JSON", "not an object", "schema"],
)
def test_a_call_the_model_can_fix_is_its_result_and_sends_nothing(
    make_harness: MakeHarness, fake: FakeParagon, name: str, arguments: str, kind: str, errors: list[str] | None
) -> None:
    """A bad call is an error result the model reads (is_error for Anthropic), and no request is made for it."""
    harness = _on_fake(make_harness, fake)
    tools = _tools(harness)
    before = len(fake.requests)
    (chat,) = _done(harness, tools.run_openai([{"id": "c", "function": {"name": name, "arguments": arguments}}]))
    error = json.loads(chat["content"])["error"]
    assert error["type"] == kind
    assert error.get("errors") == errors
    (block,) = _done(harness, tools.run_anthropic([{"type": "tool_use", "id": "t", "name": name, "input": arguments}]))
    assert block["is_error"] is True
    assert json.loads(block["content"])["error"]["type"] == kind
    assert len(fake.requests) == before


def test_run_raises_typed_errors(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """``run`` raises what the adapters turn into results: UnknownToolError, ToolArgumentsError with each reason."""
    harness = _on_fake(make_harness, fake)
    tools = _tools(harness)
    with pytest.raises(UnknownToolError) as unknown:
        harness.run(tools.run("SLACK_SEND", {}))
    assert (unknown.value.tool, isinstance(unknown.value, LookupError)) == ("SLACK_SEND", True)
    with pytest.raises(ToolArgumentsError) as bad:
        harness.run(tools.run(SEND, {"channel": "C1", "message": ["x"]}))
    assert (bad.value.tool, bad.value.errors) == (SEND, ["message must be a string, not an array"])
    assert harness.run(tools.run(SEND, '{"channel": "C1", "message": "x"}'))["ok"] is True


def test_provider_refusals_reach_the_model_but_auth_failures_are_raised(make_harness: MakeHarness) -> None:
    """ActionKit's 404 (the integration is not enabled for the user) is the model's result; a 401 is the app's."""
    listing = {"actions": {"slack": [{"type": "function", "function": {"name": SEND}}]}}
    answers = iter(
        [
            json_response(200, listing),
            json_response(404, {"message": "Integration not enabled for user.", "code": "integration_not_enabled"}),
            json_response(401, {"message": "Unauthorized"}),
        ]
    )
    harness = make_harness(lambda request: next(answers))
    tools = _tools(harness)
    (result,) = _done(harness, tools.run_anthropic([{"type": "tool_use", "id": "t", "name": SEND, "input": {}}]))
    error = json.loads(result["content"])["error"]
    assert (result["is_error"], error["type"], error["status"]) == (True, "NotFoundError", 404)
    with pytest.raises(AuthenticationError):
        harness.run(tools.run_anthropic([{"type": "tool_use", "id": "t", "name": SEND, "input": {}}]))


def test_tools_run_with_the_chosen_account(make_harness: MakeHarness, fake: FakeParagon) -> None:
    """agent_tools(credential_id=...) sends that account with every run."""
    second = fake.user(USER).connect("slack").credential_ids("slack")[1]
    harness = _on_fake(make_harness, fake)
    tools = _tools(harness, credential_id=second)
    harness.run(tools.run(SEND, {"channel": "C1", "message": "x"}))
    assert harness.requests[-1].headers["X-Paragon-Credential"] == second


def test_names_every_vendor_accepts() -> None:
    """A name outside ``^[a-zA-Z0-9_-]{1,64}$`` is rewritten to fit, and stays unique within the toolset."""
    taken: set[str] = set()
    assert safe_name(SEND, taken) == SEND
    assert safe_name("custom.my app/send", taken) == "custom_my_app_send"
    assert safe_name("custom.my_app_send", taken) != "custom_my_app_send"
    long = safe_name("A" * 100, taken)
    assert len(long) == 64
    assert long.startswith("A" * 55)
    assert safe_name("A" * 100, taken) != long
    assert all(len(name) <= 64 and name.replace("_", "").replace("-", "").isalnum() for name in taken)


def test_a_listing_whose_definitions_cannot_be_tools_is_a_validation_error(make_harness: MakeHarness) -> None:
    """A definition without a name is ActionKit's answer not matching its spec, not a crash."""
    from useparagon import APIResponseValidationError

    harness = make_harness(
        lambda request: json_response(200, {"actions": {"slack": [{"type": "function", "function": {"name": 7}}]}})
    )
    with pytest.raises(APIResponseValidationError, match=r"GET /projects/\{projectId\}/actions"):
        harness.run(harness.session.agent_tools())


def test_agent_tool_is_frozen_and_hides_its_schema_from_repr() -> None:
    tool = AgentTool(name="A", action="A", integration="x", description="d", parameters={"type": "object"})
    assert repr(tool) == "AgentTool(name='A', action='A', integration='x', description='d')"


# -- The schema checker against jsonschema ---------------------------------------------------------------------------

SCHEMAS: list[tuple[Any, Any]] = [
    ({"type": "object", "required": ["a"]}, {}),
    ({"type": "object", "required": ["a"]}, {"a": None}),
    ({"type": "object", "properties": {"a": {"type": "integer"}}}, {"a": 1.0}),
    ({"type": "object", "properties": {"a": {"type": "integer"}}}, {"a": 1.5}),
    ({"type": "object", "properties": {"a": {"type": "integer"}}}, {"a": True}),
    ({"type": "object", "properties": {"a": {"type": "number", "minimum": 0, "exclusiveMaximum": 10}}}, {"a": 10}),
    ({"type": "object", "properties": {"a": {"type": ["string", "null"]}}}, {"a": None}),
    ({"type": "object", "properties": {"a": {"enum": ["x", 1]}}}, {"a": 1.0}),
    ({"type": "object", "properties": {"a": {"enum": ["x", 1]}}}, {"a": True}),
    ({"type": "object", "properties": {"a": {"const": False}}}, {"a": 0}),
    ({"type": "object", "additionalProperties": False, "properties": {"a": {}}}, {"a": 1, "b": 2}),
    ({"type": "object", "additionalProperties": {"type": "string"}}, {"b": 2}),
    ({"type": "object", "patternProperties": {"^x-": {"type": "string"}}}, {"x-a": 1}),
    ({"type": "array", "items": {"type": "string"}, "minItems": 2}, ["a"]),
    ({"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": "string"}}, [1, "a", 2]),
    ({"type": "array", "uniqueItems": True}, [1, 1.0]),
    ({"type": "string", "minLength": 2, "maxLength": 3}, "abcd"),
    ({"type": "string", "pattern": "^[A-Z]+$"}, "abc"),
    ({"type": "string", "format": "email"}, "not an email"),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 1.5),
    ({"oneOf": [{"type": "number"}, {"type": "integer"}]}, 1),
    ({"allOf": [{"minimum": 1}, {"maximum": 2}]}, 3),
    ({"not": {"type": "string"}}, "a"),
    ({"if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["b"]}}, {"a": 1}),
    ({"$defs": {"id": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/id"}}}, {"a": 5}),
    ({"type": "number", "multipleOf": 0.5}, 1.25),
    ({"type": "object", "minProperties": 1}, {}),
    (False, 1),
    (True, {"anything": [1]}),
]


@pytest.mark.parametrize(("schema", "value"), SCHEMAS, ids=[json.dumps(row)[:60] for row in SCHEMAS])
def test_the_schema_checker_agrees_with_jsonschema(schema: Any, value: Any) -> None:
    """The same verdict as the reference implementation (Draft 2020-12) on each keyword the checker supports, and
    never the value itself in a message."""
    jsonschema = pytest.importorskip("jsonschema")
    valid = jsonschema.Draft202012Validator(schema).is_valid(value)
    errors = schema_errors(schema, value)
    assert (errors == []) is valid, errors
    assert all("not an email" not in error and "abcd" not in error for error in errors)


@pytest.mark.parametrize(
    ("step", "value", "errors"),
    [
        (0.1, 10**400, ["n must be a multiple of 0.1"]),
        (3, 3 * 10**400, []),
        (3, 3 * 10**400 + 1, ["n must be a multiple of 3"]),
    ],
)
def test_multiple_of_a_huge_integer_is_a_verdict_not_an_overflow(step: float, value: int, errors: list[str]) -> None:
    """JSON allows integers past a float's range; the model may send one: a reason, never an OverflowError."""
    schema = {"type": "object", "properties": {"n": {"type": "number", "multipleOf": step}}}
    assert schema_errors(schema, {"n": value}) == errors


def test_the_schema_checker_stops_at_depth_and_count() -> None:
    """A $ref cycle is refused after MAX_DEPTH levels; a long array of bad items reports at most 20 reasons."""
    looping = {"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}}
    assert schema_errors(looping, 1) == ["the tool's schema nests deeper than 64 levels; it cannot be checked"]
    assert len(schema_errors({"type": "array", "items": {"type": "string"}}, list(range(1000)))) == 20
