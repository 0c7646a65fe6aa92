"""The fake's state as Paragon's JSON (the shapes of ``openapi/paragon.yaml``'s response schemas)."""

from __future__ import annotations

import copy
from typing import Any

from ._defaults import ACCESSIBLE_FEATURES, BILLING_PLAN
from ._model import (
    PROJECT_EPOCH,
    ActionDef,
    Configuration,
    Credential,
    Integration,
    TriggerSubscription,
    User,
    Workflow,
)
from ._state import Project


def configuration(config: Configuration) -> dict[str, Any]:
    return {
        "id": config.id,
        "dateCreated": config.date_created,
        "dateUpdated": config.date_updated,
        "connectCredentialId": config.credential_id,
        "workflowSettings": copy.deepcopy(config.workflow_settings),
        "sharedSettings": copy.deepcopy(config.shared_settings),
        "configMeta": copy.deepcopy(config.config_meta),
        "externalId": config.external_id,
        "isDefault": config.is_default,
    }


def credential(project: Project, cred: Credential, persona_id: str) -> dict[str, Any]:
    default = cred.default_configuration
    return {
        "id": cred.id,
        "dateCreated": cred.date_created,
        "dateUpdated": cred.date_updated,
        "dateDeleted": None,
        "dateRefreshed": None,
        "dateValidUntil": None,
        "projectId": project.id,
        "integrationId": cred.integration_id,
        "personaId": persona_id,
        "config": {
            "configuredWorkflows": copy.deepcopy(default.workflow_settings),
            "sharedSettings": copy.deepcopy(default.shared_settings),
        },
        "isPreviewCredential": False,
        "isRefreshing": False,
        "providerId": cred.provider_id,
        "providerData": copy.deepcopy(cred.provider_data),
        "status": cred.status,
        "refreshFailureCount": 0,
        "configurations": [configuration(c) for c in cred.configurations],
        "externalId": None,
    }


def integration_state(project: Project, user: User, integration: Integration) -> dict[str, Any]:
    credentials = user.credentials_for(integration.id)
    if not credentials:
        # The JS SDK reads allCredentials of every entry (authenticate() calls allCredentials.flatMap on each).
        return {"enabled": False, "configuredWorkflows": {}, "allCredentials": []}
    current = next((c for c in credentials if c.status == "VALID"), credentials[0])
    default = current.default_configuration
    settings = copy.deepcopy(default.workflow_settings)
    return {
        "enabled": current.status == "VALID",
        "credentialId": current.id,
        "credentialConfigId": default.id,
        "credentialStatus": current.status,
        "providerId": current.provider_id,
        "providerData": copy.deepcopy(current.provider_data),
        "allCredentials": [credential(project, c, user.persona_id) for c in credentials],
        "allConfigurations": [configuration(c) for cred in credentials for c in cred.configurations],
        "sharedSettings": copy.deepcopy(default.shared_settings),
        "workflowSettings": settings,
        "configuredWorkflows": copy.deepcopy(settings),
        "configMeta": copy.deepcopy(default.config_meta),
    }


def user(project: Project, usr: User) -> dict[str, Any]:
    return {
        "authenticated": True,
        "userId": usr.id,
        "integrations": {t: integration_state(project, usr, i) for t, i in project.integrations.items()},
        "meta": copy.deepcopy(usr.meta),
        "resources": [],
        "project": {"id": project.id, "billingPlan": BILLING_PLAN, "accessibleFeatures": list(ACCESSIBLE_FEATURES)},
    }


def metadata(integration: Integration) -> dict[str, Any]:
    return {
        "type": integration.type,
        "name": integration.name,
        "brandColor": integration.brand_color,
        "icon": integration.icon,
    }


def workflow(project: Project, wf: Workflow) -> dict[str, Any]:
    return {
        "id": wf.id,
        "dateCreated": PROJECT_EPOCH,
        "dateUpdated": PROJECT_EPOCH,
        "description": wf.description,
        "projectId": project.id,
        "teamId": project.id,
        "isOnboardingWorkflow": False,
        "integrationId": wf.integration_id,
        "customWebhookTriggerId": wf.custom_webhook_trigger_id,
        "resourceId": None,
        "workflowVersion": 1,
        "steps": [],
    }


def integration(project: Project, usr: User, integ: Integration) -> dict[str, Any]:
    cred = usr.valid_credential(integ.id)
    workflow_meta = {
        wf.id: {
            "id": wf.id,
            "description": wf.description,
            "defaultEnabled": wf.default_enabled,
            "hidden": False,
            "order": order,
            "inputs": [],
        }
        for order, wf in enumerate(integ.workflows)
    }
    values = {
        "accentColor": integ.brand_color,
        "overview": f"Connect your {integ.name} account.",
        **copy.deepcopy(integ.portal),
        "workflowMeta": workflow_meta,
        "sharedMeta": {"inputs": []},
    }
    return {
        "id": integ.id,
        "dateCreated": PROJECT_EPOCH,
        "dateUpdated": PROJECT_EPOCH,
        "projectId": project.id,
        "customIntegrationId": None,
        "customIntegration": None,
        "type": integ.type,
        "isActive": True,
        "configs": [
            {
                "id": integ.config_id,
                "dateCreated": PROJECT_EPOCH,
                "dateUpdated": PROJECT_EPOCH,
                "integrationId": integ.id,
                "values": values,
            }
        ],
        "workflows": [workflow(project, wf) for wf in integ.workflows],
        "hasCredential": cred is not None,
        "connectedUserLimitOnDevCred": 0,
        "connectedUserLimitReached": False,
        "name": integ.name,
        "brandColor": integ.brand_color,
        "needPreOauthInputs": False,
        "providerType": integ.type,
        "authenticationType": integ.authentication_type,
        "resourceId": None,
        "sdkIntegrationConfig": None,
        "providerData": copy.deepcopy(cred.provider_data) if cred is not None else {},
        **({"providerId": cred.provider_id} if cred is not None else {}),
    }


def account(project: Project, usr: User, integ: Integration, cred: Credential, with_auth: bool) -> dict[str, Any]:
    """``GET /sdk/credentials?integration=…``: the integration with this credential, ``accountAuth`` when asked."""
    body = integration(project, usr, integ)
    body.update(hasCredential=True, providerId=cred.provider_id, providerData=copy.deepcopy(cred.provider_data))
    if with_auth:
        body["accountAuth"] = dict(cred.account_auth)
    return body


def trigger_list(integ: Integration) -> dict[str, Any]:
    return {
        "triggers": {
            integ.type: [
                {
                    "type": t.type,
                    "triggerModel": t.trigger_model,
                    "title": t.title,
                    "description": t.description,
                    "parameters": [],
                }
                for t in integ.triggers
            ]
        },
        "errors": [],
    }


def action_list(integrations: list[Integration]) -> dict[str, Any]:
    return {
        "actions": {
            i.type: [
                {
                    "type": "function",
                    "function": {
                        "name": a.name,
                        "description": a.description,
                        "parameters": copy.deepcopy(a.parameters),
                    },
                }
                for a in i.actions
            ]
            for i in integrations
        },
        "errors": [],
    }


def paragon_action_list(integrations: list[Integration]) -> dict[str, Any]:
    """``format=paragon``: each action's inputs as the Workflow Editor's input definitions (the shape is inferred)."""
    return {"actions": {i.type: [paragon_action(a) for a in i.actions] for i in integrations}, "errors": []}


def paragon_action(action: ActionDef) -> dict[str, Any]:
    properties = action.parameters.get("properties", {})
    required = set(action.parameters.get("required", []))
    return {
        "name": action.name,
        "title": action.description,
        "description": action.description,
        "inputs": [
            {
                "id": key,
                "title": str(schema.get("description", key)) if isinstance(schema, dict) else key,
                "type": _input_type(schema),
                "required": key in required,
            }
            for key, schema in properties.items()
        ],
    }


def _input_type(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "TEXT"
    if "enum" in schema:
        return "ENUM"
    return {"boolean": "BOOLEAN_INPUT", "number": "NUMBER", "integer": "NUMBER", "object": "CODE", "array": "CODE"}.get(
        str(schema.get("type")), "TEXT"
    )


def trigger_subscription(sub: TriggerSubscription) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": sub.id,
        "type": sub.type,
        "parameters": copy.deepcopy(sub.parameters),
        "status": sub.status,
        "dateCreated": sub.date_created,
        "dateLastReceivedEvent": sub.date_last_received_event,
        "credentialId": sub.credential_id,
    }
    if sub.error is not None:
        body["error"] = sub.error
    if sub.webhook_override is not None:
        # As Paragon's answers show it: the URL only (the headers may be the receiver's credentials).
        body["webhookOverride"] = {"url": sub.webhook_override["url"]}
    return body


def trigger_subscription_list(subs: list[TriggerSubscription]) -> dict[str, Any]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for sub in subs:
        grouped.setdefault(sub.integration, []).append(trigger_subscription(sub))
    return {"triggers": grouped}
