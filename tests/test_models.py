"""The generated models as a reader meets them: reprs that show what Paragon sent (no ``Unset`` noise), the user's
state per integration usable as a mapping, and JSON names kept by ``to_dict()``."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest
from useparagon import AuthenticatedUser, Credential, Integration, IntegrationState
from useparagon_api.models import AuthenticatedUserIntegrations, IntegrationMetadata
from useparagon_api.types import UNSET

INTEGRATION = {"id": "int-1", "type": "salesforce", "isActive": True, "configs": [], "workflows": []}
USER = {
    "authenticated": True,
    "userId": "user-123",
    "integrations": {
        "salesforce": {"enabled": True, "credentialId": "cred-1", "allCredentials": [{"id": "cred-1"}]},
        "slack": {"enabled": False, "allCredentials": []},
    },
}


def test_unset_reads_as_unset() -> None:
    assert repr(UNSET) == "UNSET"


def test_a_repr_shows_only_what_the_answer_had() -> None:
    integration = Integration.from_dict(INTEGRATION)
    assert repr(integration) == (
        "Integration(id='int-1', type_='salesforce', is_active=True, configs=[], workflows=[])"
    )


def test_a_repr_shows_extra_fields_after_the_declared_ones() -> None:
    credential = Credential.from_dict({"id": "cred-1", "status": "VALID", "newField": 1})
    assert (
        repr(credential)
        == "Credential(id='cred-1', status=<CredentialStatus.VALID: 'VALID'>, additional_properties={'newField': 1})"
    )


@pytest.mark.parametrize(
    "model",
    [
        Integration.from_dict(INTEGRATION),
        AuthenticatedUser.from_dict(USER),
        IntegrationMetadata.from_dict(
            {"type": "slack", "name": "Slack", "brandColor": "#4A154B", "icon": "https://x/y.svg"}
        ),
        Credential.from_dict({"id": "cred-1"}),
    ],
    ids=lambda model: type(model).__name__,
)
def test_no_repr_mentions_unset_or_a_memory_address(model: object) -> None:
    shown = repr(model)
    assert "Unset" not in shown
    assert "UNSET" not in shown
    assert not re.search(r" at 0x[0-9a-f]+", shown)


def test_the_integrations_map_reads_like_a_mapping() -> None:
    """``user.integrations``: iteration, len, keys/values/items, get, ``in`` and ``[]``, and ``dict()`` of it."""
    user = AuthenticatedUser.from_dict(USER)
    states = user.integrations
    assert isinstance(states, AuthenticatedUserIntegrations)
    assert list(states) == ["salesforce", "slack"]
    assert len(states) == 2
    assert list(states.keys()) == ["salesforce", "slack"]
    assert [state.enabled for state in states.values()] == [True, False]
    assert [(name, state.enabled) for name, state in states.items()] == [("salesforce", True), ("slack", False)]
    assert isinstance(states["salesforce"], IntegrationState)
    assert "slack" in states
    assert "hubspot" not in states
    assert states.get("hubspot") is None
    assert states.get("hubspot", "none") == "none"
    assert dict(states) == {"salesforce": states["salesforce"], "slack": states["slack"]}
    assert repr(states).startswith("AuthenticatedUserIntegrations({'salesforce': IntegrationState(enabled=True,")


def test_an_empty_map_is_empty_and_models_with_fields_stay_truthy() -> None:
    """Only map-only models gained ``len``: a model with declared fields is truthy even without extra fields."""
    empty = AuthenticatedUser.from_dict({**USER, "integrations": {}})
    assert len(empty.integrations) == 0
    assert not empty.integrations
    assert bool(Credential.from_dict({"id": "cred-1"})) is True
    assert not isinstance(Credential.from_dict({"id": "cred-1"}), Mapping)


def test_type_underscore_is_the_json_type() -> None:
    """``type`` is a Python builtin, so the generated attribute is ``type_`` (PEP 8's trailing underscore);
    ``to_dict()`` gives the JSON back under Paragon's own names."""
    integration = Integration.from_dict(INTEGRATION)
    assert integration.type_ == "salesforce"
    assert integration.to_dict()["type"] == "salesforce"
    assert "type_" not in integration.to_dict()
