"""What importing costs: heavy or optional modules load on first use, not with ``import useparagon``.

The generated models and the wrapper's re-exports of them resolve names on first access (PEP 562); PyJWT, the
connect page's template, FakeParagon and the command line load only when used. Each check runs in a fresh
interpreter, so what this test process has already imported cannot hide an eager import.
(``python benchmarks/import_time.py`` measures the time itself.)
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
import useparagon
import useparagon_api.models
import useparagon_api.wire

WRAPPER = Path(useparagon.__file__).resolve().parent

# Modules a fresh `from useparagon import Paragon` (the sync client: what a program's first line loads) must not
# load, and why each can wait.
NOT_IMPORTED_BY_USEPARAGON = {
    "useparagon._async_client": "the asyncio client loads with `useparagon.AsyncParagon`",
    "useparagon._web": "the connect page and the event relay load with the first connect_page/handle_relayed_event",
    "useparagon._signing": "the signer loads when a client is given a signing key",
    "jwt": "PyJWT signs and verifies tokens; it loads with the first signature",
    "useparagon.testing": "FakeParagon is for tests, demos and `paragon fake-server`",
    "useparagon._cli": "the command line loads with `paragon`",
    "useparagon._web_page": "the connect page's template loads with the first connect_page/connect_snippet",
    "useparagon_api.wire": "the event TypedDicts are for type checkers; `useparagon.SdkEvent` loads them",
    "useparagon._backends": "the pools' network backends load when a client builds its transport",
    "httpcore": "httpx too imports it only when a transport is built; `_backends` imports it",
    "asyncio": "the async client imports it where it runs; a sync-only program never loads it",
    "cryptography": "RSA keys load with the first signing key (`_signing`); elsewhere the type is for type checkers",
}

# The generated names `useparagon` re-exports, by the module they come from: the models are the attrs classes, the
# events the wire TypedDicts (the other package has a class of the same name for each).
REEXPORTED: dict[str, types.ModuleType] = {
    "AccountAuth": useparagon_api.models,
    "ActionList": useparagon_api.models,
    "AuthenticatedUser": useparagon_api.models,
    "Credential": useparagon_api.models,
    "CredentialConfiguration": useparagon_api.models,
    "CredentialStatus": useparagon_api.models,
    "Integration": useparagon_api.models,
    "IntegrationMetadata": useparagon_api.models,
    "IntegrationState": useparagon_api.models,
    "ParagonActionList": useparagon_api.models,
    "TriggerDefinition": useparagon_api.models,
    "TriggerList": useparagon_api.models,
    "TriggerSubscription": useparagon_api.models,
    "TriggerSubscriptionList": useparagon_api.models,
    "UnauthenticatedUser": useparagon_api.models,
    "UnsubscribeResult": useparagon_api.models,
    "UpdatedCredential": useparagon_api.models,
    "BatchAccessCheckItem": useparagon_api.models,
    "RecordPaging": useparagon_api.models,
    "StepExecution": useparagon_api.models,
    "StepExecutionDetail": useparagon_api.models,
    "Sync": useparagon_api.models,
    "SyncState": useparagon_api.models,
    "SyncStatus": useparagon_api.models,
    "SyncSummary": useparagon_api.models,
    "SyncUpdate": useparagon_api.models,
    "SyncedRecord": useparagon_api.models,
    "SyncedRecordPage": useparagon_api.models,
    "WorkflowExecution": useparagon_api.models,
    "WorkflowExecutionDetail": useparagon_api.models,
    "WorkflowExecutionList": useparagon_api.models,
    "WorkflowExecutionStatus": useparagon_api.models,
    "IntegrationInstallEvent": useparagon_api.wire,
    "IntegrationUninstallEvent": useparagon_api.wire,
    "PortalCloseEvent": useparagon_api.wire,
    "PortalOpenEvent": useparagon_api.wire,
    "SdkEvent": useparagon_api.wire,
    "WorkflowStateChangeEvent": useparagon_api.wire,
}

# Imports a module must not make at module level (they are made inside the function that needs them).
NOT_AT_MODULE_LEVEL = {
    "_signing": ("jwt", "cryptography"),
    "_tokens": ("jwt", "cryptography"),
    "_web": ("jwt", "cryptography", "._web_page", "useparagon_api"),
    # `paragon --help` and usage errors parse the command line before the client is imported.
    "_cli": ("._client", "._session", "._errors", "._types", ".testing"),
    "_base_client": ("._web", "._signing", "._tokens", "cryptography"),
    "_async_client": ("._web",),
    # The agent tools load no vendor SDK, and the sessions load the tools only when agent_tools() is called.
    "_agent": ("mcp", "openai", "anthropic"),
    "_async_tools": ("mcp", "openai", "anthropic"),
    "_tools": ("mcp", "openai", "anthropic"),
    "_mcp": ("mcp", "anyio"),
    "_async_session": ("._async_tools", "._agent", "._jsonschema"),
    "_session": ("._tools", "._agent", "._jsonschema"),
}


def _fresh(code: str) -> object:
    """Run ``code`` in a fresh interpreter and return the JSON it prints."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def _loaded_after(statement: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``statement``."""
    modules = _fresh(f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))")
    assert isinstance(modules, list)
    return modules


def _models_loaded_after(statement: str) -> set[str]:
    return {name for name in _loaded_after(statement) if name.startswith("useparagon_api.models.")}


@pytest.fixture(scope="module")
def after_import_useparagon() -> list[str]:
    """``sys.modules`` of a fresh interpreter after ``from useparagon import Paragon``."""
    return _loaded_after("from useparagon import Paragon")


def test_import_useparagon_alone_loads_none_of_its_modules() -> None:
    """Every name is imported on first use, so ``paragon --help`` and ``import useparagon`` load no client code."""
    loaded = _loaded_after("import useparagon")
    assert [name for name in loaded if name.startswith(("useparagon.", "useparagon_api", "httpx"))] == []


@pytest.mark.parametrize("module", sorted(NOT_IMPORTED_BY_USEPARAGON))
def test_import_useparagon_does_not_load(module: str, after_import_useparagon: list[str]) -> None:
    """``import useparagon`` leaves the module (and its submodules) for its first use."""
    loaded = [name for name in after_import_useparagon if name == module or name.startswith(f"{module}.")]
    assert loaded == [], NOT_IMPORTED_BY_USEPARAGON[module]


def test_import_useparagon_loads_no_model(after_import_useparagon: list[str]) -> None:
    """No generated model module loads with ``import useparagon``: the client loads each with its first call."""
    assert [name for name in after_import_useparagon if name.startswith("useparagon_api.models.")] == []


@pytest.mark.parametrize("module", sorted(NOT_AT_MODULE_LEVEL))
def test_heavy_imports_are_not_at_module_level(module: str) -> None:
    """The module imports these inside the functions that use them (or for type checkers only)."""
    tree = ast.parse((WRAPPER / f"{module}.py").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in tree.body:  # module level only: `if TYPE_CHECKING:` blocks and function bodies are not searched
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is None:  # from . import _web
            imported.update("." * node.level + alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    forbidden = NOT_AT_MODULE_LEVEL[module]
    assert sorted(name for name in imported if name.split(".")[0] in forbidden or name in forbidden) == []


def test_the_models_package_imports_no_model_until_asked() -> None:
    """``import useparagon_api.models`` loads no model module and binds no model name."""
    found = _fresh(
        "import json, sys, useparagon_api.models as m\n"
        "print(json.dumps([sorted(n for n in sys.modules if n.startswith('useparagon_api.models.')),"
        " sorted(n for n in m.__all__ if n in vars(m))]))"
    )
    assert found == [[], []]


@pytest.mark.parametrize(("name", "module"), [("Credential", "credential"), ("ErrorResponse", "error_response")])
def test_a_model_import_loads_only_its_module_and_what_it_uses(name: str, module: str) -> None:
    """``from useparagon_api.models import X`` loads what importing X's own module loads, and no other model."""
    by_name = _models_loaded_after(f"from useparagon_api.models import {name}")
    by_module = _models_loaded_after(f"import useparagon_api.models.{module}")
    assert f"useparagon_api.models.{module}" in by_name
    assert by_name == by_module
    assert len(by_name) < len(useparagon_api.models.__all__)


def test_useparagon_binds_no_generated_name_on_import() -> None:
    """The models and event types ``useparagon`` re-exports are bound on first access, not by its ``__init__``."""
    names = sorted(REEXPORTED)
    bound = _fresh(f"import json, useparagon\nprint(json.dumps([n for n in {names!r} if n in vars(useparagon)]))")
    assert bound == []


def test_lazy_names_are_the_generated_objects() -> None:
    """Each re-exported name is the generated object itself, and every generated object exported is in the table."""
    for name, source in REEXPORTED.items():
        assert name in useparagon.__all__
        assert getattr(useparagon, name) is getattr(source, name), name
    generated = {
        id(value) for source in (useparagon_api.models, useparagon_api.wire) for value in vars(source).values()
    }
    assert {name for name in useparagon.__all__ if id(getattr(useparagon, name)) in generated} == REEXPORTED.keys()


@pytest.mark.parametrize("package", [useparagon, useparagon_api.models], ids=lambda package: package.__name__)
def test_lazy_packages_behave_like_eager_ones(package: types.ModuleType) -> None:
    """``dir()`` lists every exported name, ``import *`` binds them all, and an unknown name is an AttributeError."""
    assert set(package.__all__) <= set(dir(package))
    assert dir(package) == sorted(dir(package))
    namespace: dict[str, object] = {}
    exec(f"from {package.__name__} import *", namespace)  # noqa: S102 - a fixed statement
    assert set(package.__all__) <= namespace.keys()
    with pytest.raises(AttributeError, match=f"^module '{package.__name__}' has no attribute 'NoSuchName'$"):
        package.NoSuchName  # noqa: B018
    assert not hasattr(package, "NoSuchName")
