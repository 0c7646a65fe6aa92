"""The pytest plugin: declared as an entry point, and its fixtures work in a user's test session.

The fixtures are exercised in a separate pytest run (as a user's project would), through the installed entry point
when the package is installed, else by naming the plugin with ``-p``.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "useparagon.testing._plugin"

USER_TESTS = '''
import httpx
import pytest


def test_fake(paragon_fake):
    """A fresh fake with the default project."""
    assert paragon_fake.user_ids == []
    assert paragon_fake.integration_id("salesforce")


def test_server(paragon_fake, paragon_fake_server):
    """The server serves the same fake."""
    token = paragon_fake.sign_user_token("u1")
    url = f"{paragon_fake_server.url}/projects/{paragon_fake.project_id}/sdk/me"
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).json()["userId"] == "u1"


def test_client(paragon_fake, paragon_client):
    """The sync client reaches the fake in process."""
    paragon_fake.user("u1").connect("slack")
    user = paragon_client.authenticate("u1")
    assert user.get_user().user_id == "u1"
    user.event("Lead Created", {"email": "a@b.co"})
    assert [(e.user_id, e.name) for e in paragon_fake.events] == [("u1", "Lead Created")]
    assert user.request("slack", "chat.postMessage", method="POST", body={"channel": "C1", "text": "hi"})["ok"] is True



def test_client_retries_a_scripted_429(paragon_fake, paragon_client):
    """The fault-injection example of docs/guide/testing.md: the client rides out one 429."""
    paragon_fake.faults.status("getUser", 429, retry_after=0, times=1)
    assert paragon_client.authenticate("u1").get_user().user_id == "u1"
    assert [r.status for r in paragon_fake.requests] == [429, 200]


@pytest.mark.asyncio
async def test_async_client(paragon_fake, async_paragon_client):
    """The async client reaches the fake in process."""
    paragon_fake.user("u2").set_meta(Name="Ada")
    user = async_paragon_client.authenticate("u2")
    me = await user.get_user()
    assert me.user_id == "u2"
    assert me.meta.name == "Ada"
'''

# A user's project as strict as ours: warnings are errors (a leaked socket or thread fails the run).
USER_CONFIG = """[pytest]
filterwarnings = error
asyncio_default_fixture_loop_scope = function
"""


def _installed() -> bool:
    return any(ep.value == PLUGIN for ep in importlib.metadata.entry_points(group="pytest11"))


def test_entry_point_is_declared() -> None:
    """pyproject.toml registers the plugin under ``pytest11`` as ``useparagon``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["pytest11"] == {"useparagon": PLUGIN}


def test_fixtures_in_a_user_session(tmp_path: Path) -> None:
    """In a separate pytest run, the four fixtures give a fake, a server, and wrapper clients wired to the fake."""
    (tmp_path / "test_user_app.py").write_text(USER_TESTS)
    (tmp_path / "pytest.ini").write_text(USER_CONFIG)
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]
    if not _installed():
        args += ["-p", PLUGIN]
    # The run happens in tmp_path, so a relative PYTHONPATH (the dev setup) must become absolute.
    paths = [str(ROOT / "wrapper"), str(ROOT / "generated_client"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


@pytest.mark.skipif(not _installed(), reason="needs the package installed (make venv)")
def test_entry_point_is_installed() -> None:
    """Once installed, the entry point is visible to pytest's plugin loader."""
    assert [ep.name for ep in importlib.metadata.entry_points(group="pytest11") if ep.value == PLUGIN] == ["useparagon"]
