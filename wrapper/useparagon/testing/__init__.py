"""Testing your app without a Paragon account: ``FakeParagon``, a faithful, stateful local Paragon.

In process (``httpx.Client(transport=fake.transport())``) or over loopback HTTP (``with fake.serve() as server``),
with a builder for scenarios, logs to assert on, and scripted faults. The pytest fixtures ``paragon_fake``,
``paragon_fake_server``, ``paragon_client`` and ``async_paragon_client`` come with the package (entry point).
"""

from ._fake import FakeParagon, FakeUser
from ._faults import Fault, Faults
from ._http import Outcome
from ._model import ActionRun, AppEvent, FakeWorkflow, Install, RequestRecord, WorkflowTrigger
from ._proxy import ProxyRequest
from ._server import FakeServer
from ._store import ExecutionRecord, FakeStep
from ._transport import AsyncFakeTransport, FakeTransport

__all__ = [
    "ActionRun",
    "AppEvent",
    "AsyncFakeTransport",
    "ExecutionRecord",
    "FakeParagon",
    "FakeServer",
    "FakeStep",
    "FakeTransport",
    "FakeUser",
    "FakeWorkflow",
    "Fault",
    "Faults",
    "Install",
    "Outcome",
    "ProxyRequest",
    "RequestRecord",
    "WorkflowTrigger",
]
