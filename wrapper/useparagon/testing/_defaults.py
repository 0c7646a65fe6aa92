"""The default project FakeParagon starts with: Salesforce, HubSpot, Slack and Google Drive (OAuth), and Freshdesk
(an API-key integration, ``authenticationType: "basic"``), with workflows.

Ids are uuid5s of names (see ``stable_id``), so docs and tests can name them: ``fake.workflow_id("slack",
"Send Updates to Slack")`` is the same string in every run and on every machine.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._model import ActionDef, FakeWorkflow, OptionSource, TriggerDef, stable_id

DEFAULT_PROJECT_ID = stable_id("project", "default")
ICON_URL_TEMPLATE = "https://cdn.useparagon.com/latest/dashboard/public/integrations/{type}.svg"
DEFAULT_BRAND_COLOR = "#6B7280"
BILLING_PLAN = "pro"
ACCESSIBLE_FEATURES = ("user-metadata", "headless-cp", "workflow-permissions")


@attrs.frozen
class IntegrationSpec:
    type: str
    name: str
    brand_color: str
    description: str
    workflows: tuple[FakeWorkflow, ...]
    actions: tuple[ActionDef, ...] = ()
    provider_data: tuple[tuple[str, Any], ...] = ()
    authentication_type: str = "oauth"
    triggers: tuple[TriggerDef, ...] = ()
    option_sources: tuple[tuple[str, OptionSource], ...] = ()


def _object_params(**properties: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": kind} for name, kind in properties.items()},
        "required": list(properties),
    }


DEFAULT_INTEGRATIONS: tuple[IntegrationSpec, ...] = (
    IntegrationSpec(
        type="salesforce",
        name="Salesforce",
        brand_color="#057ACF",
        description="Sync contacts and opportunities with Salesforce",
        workflows=(
            FakeWorkflow("Sync Contacts to Salesforce", app_event="Contact Created"),
            FakeWorkflow("Create Opportunity in Salesforce"),
        ),
        actions=(
            ActionDef(
                "SALESFORCE_CREATE_RECORD",
                "Create a record in Salesforce",
                _object_params(recordType="string", fields="object"),
            ),
        ),
        provider_data=(("instanceURL", "https://fake.my.salesforce.com"),),
        triggers=(
            TriggerDef(
                "SALESFORCE_RECORD_CREATED",
                "POLLING",
                "Record Created",
                "Fires when a record is created",
                example=[{"Id": "006000000000001AAA", "Name": "Sample Opportunity", "Amount": 50000}],
            ),
        ),
        option_sources=(
            (
                "objects",
                OptionSource(
                    [
                        {"label": "Account", "value": "Account"},
                        {"label": "Contact", "value": "Contact"},
                        {"label": "Opportunity", "value": "Opportunity"},
                    ]
                ),
            ),
        ),
    ),
    IntegrationSpec(
        type="hubspot",
        name="HubSpot",
        brand_color="#F67600",
        description="Sync contacts with HubSpot",
        workflows=(FakeWorkflow("Sync Contacts to HubSpot", app_event="Contact Created"),),
        actions=(
            ActionDef("HUBSPOT_CREATE_RECORD_CONTACTS", "Create a contact in HubSpot", _object_params(email="string")),
        ),
    ),
    IntegrationSpec(
        type="slack",
        name="Slack",
        brand_color="#4A154B",
        description="Send notifications to Slack",
        workflows=(
            FakeWorkflow("Send Updates to Slack"),
            FakeWorkflow("Notify Slack of New Leads", app_event="Lead Created"),
        ),
        triggers=(
            TriggerDef(
                "SLACK_MESSAGE_RECEIVED",
                "WEBHOOK",
                "Message Received",
                "Fires on a new message",
                example=[{"type": "message", "channel": "C0000000001", "user": "U0000000001", "text": "Hello"}],
            ),
        ),
        option_sources=(
            (
                "channels",
                OptionSource(
                    [
                        {"label": "#general", "value": "C0000000001"},
                        {"label": "#random", "value": "C0000000002"},
                        {"label": "#sales", "value": "C0000000003"},
                    ],
                    page_size=2,
                ),
            ),
        ),
        actions=(
            ActionDef(
                "SLACK_SEND_MESSAGE",
                "Send a message to a Slack channel",
                _object_params(channel="string", message="string"),
            ),
        ),
    ),
    IntegrationSpec(
        type="googledrive",
        name="Google Drive",
        brand_color="#1FA463",
        description="Back up files to Google Drive",
        workflows=(FakeWorkflow("Back Up Files to Google Drive"),),
        actions=(ActionDef("GOOGLE_DRIVE_LIST_FILES", "List files in Google Drive", _object_params()),),
    ),
    # Last, so that the OAuth integrations keep their places in every listing.
    IntegrationSpec(
        type="freshdesk",
        name="Freshdesk",
        brand_color="#25C16F",
        description="Create support tickets in Freshdesk",
        workflows=(FakeWorkflow("Create Tickets in Freshdesk", app_event="Support Request Created"),),
        actions=(
            ActionDef(
                "FRESHDESK_CREATE_TICKET",
                "Create a ticket in Freshdesk",
                _object_params(subject="string", description="string", email="string"),
            ),
        ),
        authentication_type="basic",
    ),
)
