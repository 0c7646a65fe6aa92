"""The package surface and the default project: exports, every spec operation routed, stable ids for the docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import useparagon.testing
import yaml
from useparagon.testing import FakeParagon
from useparagon.testing._routes import ROUTES

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "paragon.yaml"
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


def test_all_is_sorted_and_complete() -> None:
    """``__all__`` is sorted and names every public name the package defines."""
    exported = useparagon.testing.__all__
    assert exported == sorted(exported)
    # pytest's assertion rewriting (the plugin's package is marked for it) adds non-identifier names; skip them.
    public = {name for name in vars(useparagon.testing) if name.isidentifier() and not name.startswith("_")}
    assert public == set(exported)


def test_testing_does_not_import_pytest() -> None:
    """Importing ``useparagon.testing`` (for demos or the CLI) must not drag pytest in."""
    code = "import sys, useparagon.testing; print('pytest' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_every_spec_operation_is_routed() -> None:
    """The route table is exactly the spec's operations: same operationIds, methods and paths."""
    spec = yaml.safe_load(SPEC.read_text())
    operations = {
        (operation["operationId"], method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }
    assert {(op.id, op.method, op.path) for op in ROUTES} == operations
    assert len(ROUTES) == len(operations)


def test_default_project_metadata(fake: FakeParagon) -> None:
    """The default project: Salesforce, HubSpot, Slack, Google Drive and Freshdesk with their brand colors and icons."""
    outcome = fake.handle(
        "GET", f"/projects/{fake.project_id}/sdk/metadata", {"Authorization": f"Bearer {fake.sign_user_token('u')}"}
    )
    assert outcome.status == 200
    icons = "https://cdn.useparagon.com/latest/dashboard/public/integrations/{}.svg"
    assert json.loads(outcome.body) == [
        {"type": "salesforce", "name": "Salesforce", "brandColor": "#057ACF", "icon": icons.format("salesforce")},
        {"type": "hubspot", "name": "HubSpot", "brandColor": "#F67600", "icon": icons.format("hubspot")},
        {"type": "slack", "name": "Slack", "brandColor": "#4A154B", "icon": icons.format("slack")},
        {"type": "googledrive", "name": "Google Drive", "brandColor": "#1FA463", "icon": icons.format("googledrive")},
        {"type": "freshdesk", "name": "Freshdesk", "brandColor": "#25C16F", "icon": icons.format("freshdesk")},
    ]


def test_ids_are_stable_across_fakes() -> None:
    """Two fakes have the same project, integration and workflow ids; only their keys differ."""
    first, second = FakeParagon(), FakeParagon()
    assert first.project_id == second.project_id == "b52c873d-9031-552e-bf9a-5a0d196d1bcb"
    assert first.public_key_pem != second.public_key_pem
    for integration, description in [
        ("salesforce", "Sync Contacts to Salesforce"),
        ("salesforce", "Create Opportunity in Salesforce"),
        ("hubspot", "Sync Contacts to HubSpot"),
        ("slack", "Send Updates to Slack"),
        ("slack", "Notify Slack of New Leads"),
        ("googledrive", "Back Up Files to Google Drive"),
    ]:
        assert first.workflow_id(integration, description) == second.workflow_id(integration, description)
        assert first.integration_id(integration) == second.integration_id(integration)
    assert first.user("u1").connect("slack").credential_ids("slack") == second.user("u1").connect(
        "slack"
    ).credential_ids("slack")


# The ids docs/guide/testing.md quotes for FakeParagon: uuid5s of names, the same on every machine and in every run.
DOC_IDS = {
    "salesforce": "a4ee018e-9bed-5f60-97c3-fd4bca755131",
    "Sync Contacts to Salesforce": "7689882c-85ac-53f1-b1fe-0c853d97fa65",
    "Send Updates to Slack": "891d6b70-0db2-5290-aafa-59dee5275f8d",
}


def test_pinned_ids_for_the_docs() -> None:
    """The ids docs/guide/testing.md quotes."""
    fake = FakeParagon()
    assert fake.integration_id("salesforce") == DOC_IDS["salesforce"]
    assert fake.workflow_id("salesforce", "Sync Contacts to Salesforce") == DOC_IDS["Sync Contacts to Salesforce"]
    assert fake.workflow_id("slack", "Send Updates to Slack") == DOC_IDS["Send Updates to Slack"]


def test_empty_project() -> None:
    """``default_project=False`` starts with no integration."""
    fake = FakeParagon(default_project=False)
    assert repr(fake) == f"FakeParagon(project_id={fake.project_id!r}, integrations=[], users=0)"


def test_the_key_object_and_the_pem_are_the_same_key(fake: FakeParagon) -> None:
    """A client given ``fake.signing_key`` signs tokens the fake accepts, as one given the PEM does."""
    import httpx
    from useparagon import Paragon

    for key in (fake.signing_key, fake.signing_key_pem):
        with (
            httpx.Client(transport=fake.transport()) as http,
            Paragon(
                project_id=fake.project_id, signing_key=key, api_url="http://paragon.test", http_client=http
            ) as paragon,
        ):
            assert paragon.authenticate("u1").get_user().authenticated is True


def test_a_public_key_only_fake_has_no_signing_key() -> None:
    fake = FakeParagon(public_key_pem=FakeParagon().public_key_pem)
    with pytest.raises(RuntimeError, match="only a public key"):
        _ = fake.signing_key
