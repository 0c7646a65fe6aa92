"""The one request handler both adapters share: (method, target, headers, body) → ``Outcome``.

Order of checks, as Paragon's NestJS services do it: CORS preflight, routing (unknown route → 404 ``Cannot GET
/x``, unless ``_pages`` or ``_connect`` has a page there: the Connect Portal stand-in, the OAuth consent page),
scripted faults, the project id in the path (another project → 404 ``Project not found.``), the user token (→ 401;
Managed Sync also needs its ``aud``), request validation (→ 400), then the operation (``_api``, ``_connect`` for
installs and OAuth, ``_managed_sync``). Task History (``_task_history``) takes the project API key instead of a user
token. Every answer carries CORS headers and an ``X-Request-Id``; a workflow run an operation records becomes a Task
History execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from . import _api, _auth, _connect, _managed_sync, _pages, _task_history
from ._faults import Fault, Faults
from ._http import HTML_502, JSON_TYPE, ApiError, CoreRequest, Outcome, cors_headers, error_outcome, preflight
from ._proxy import ProviderRegistry
from ._routes import match
from ._state import Project

_PATH_PREVIEW = 200
_OPERATIONS = {**_api.OPERATIONS, **_connect.OPERATIONS, **_managed_sync.OPERATIONS}


class Core:
    def __init__(
        self,
        project: Project,
        public_key: rsa.RSAPublicKey,
        faults: Faults,
        providers: ProviderRegistry,
        action_handlers: Mapping[str, _api.ActionHandler],
    ) -> None:
        self.project = project
        self.public_key = public_key
        self.faults = faults
        self.providers = providers
        self.action_handlers = action_handlers

    def handle(self, request: CoreRequest) -> Outcome:
        method = request.method.upper()
        path, _, query = request.target.partition("?")
        if method == "OPTIONS":
            return self._finish(preflight(request.headers), request, method, path, "OPTIONS")
        segments = [_decoded(segment) for segment in path[1:].split("/")]
        found = match(method, segments) if path.startswith("/") else None
        if found is None:
            outcome = (
                _connect.page(self.project, method, path, query)
                or _pages.page(method, path)
                or error_outcome(404, f"Cannot {method} {path[:_PATH_PREVIEW]}")
            )
            return self._finish(outcome, request, method, path, None)
        page = _connect.PAGES.get(found.operation_id)
        if page is not None:
            outcome = page(self.project, found.params, httpx.QueryParams(query))
            return self._finish(outcome, request, method, path, found.operation_id)
        plan = self.faults.take(found.operation_id)
        if plan.terminal is not None and plan.terminal.kind != "truncated_json":
            outcome = _fault_outcome(plan.terminal)
        else:
            outcome = self._operation(found.operation_id, found.params, method, query, request)
            if plan.terminal is not None:
                outcome = _truncated(outcome)
        outcome = Outcome(outcome.status, outcome.headers, outcome.body, plan.delay, outcome.drop)
        return self._finish(outcome, request, method, path, found.operation_id)

    def _operation(
        self, operation_id: str, params: Mapping[str, str], method: str, query: str, request: CoreRequest
    ) -> Outcome:
        if operation_id in _task_history.OPERATIONS:
            return _task_history.handle(self.project, operation_id, params, query, request)
        handler, locked = _OPERATIONS[operation_id]
        try:
            with self.project.lock:
                # Managed Sync's paths carry no project: the token's aud names it.
                if params.get("projectId", self.project.id) != self.project.id:
                    raise ApiError(404, "Project not found.")
                try:
                    token = _auth.bearer_token(request.headers.get("authorization"))
                    user_id = _auth.verify(
                        token,
                        self.public_key,
                        self.project.id,
                        require_audience=operation_id in _managed_sync.OPERATIONS,
                    )
                except _auth.TokenRejected as exc:
                    raise ApiError(401, str(exc)) from None
                ctx = _api.Context(
                    project=self.project,
                    providers=self.providers,
                    action_handlers=self.action_handlers,
                    user=self.project.user(user_id),
                    method=method,
                    params=params,
                    query=httpx.QueryParams(query),
                    headers=request.headers,
                    body=request.body,
                )
                if locked:
                    runs = len(self.project.triggers)
                    outcome = handler(ctx)
                    _task_history.record_runs(self.project, self.project.triggers[runs:])
                    return outcome
            return handler(ctx)
        except ApiError as exc:
            return error_outcome(exc.status, exc.message, exc.code)

    def _finish(self, outcome: Outcome, request: CoreRequest, method: str, path: str, op: str | None) -> Outcome:
        with self.project.lock:
            serial = self.project.log_request(method, path, None if outcome.drop else outcome.status, op)
        headers = (*outcome.headers, *cors_headers(request.headers), ("X-Request-Id", f"req_fake_{serial:08d}"))
        return Outcome(outcome.status, headers, outcome.body, outcome.delay, outcome.drop)


def _fault_outcome(fault: Fault) -> Outcome:
    if fault.kind == "drop":
        return Outcome(0, drop=True)
    if fault.kind == "html":
        return Outcome(502, (("Content-Type", "text/html"),), HTML_502)
    if fault.kind == "empty_json":
        return Outcome(200, (("Content-Type", JSON_TYPE),), b"")
    outcome = error_outcome(fault.status)
    if fault.retry_after is not None:
        return Outcome(outcome.status, (*outcome.headers, ("Retry-After", fault.retry_after)), outcome.body)
    return outcome


def _truncated(outcome: Outcome) -> Outcome:
    """The real answer cut in half; a body-less answer becomes a lone ``{`` so there is always JSON to choke on."""
    headers = tuple((k, v) for k, v in outcome.headers if k.lower() != "content-type")
    body = outcome.body[: len(outcome.body) // 2] if len(outcome.body) > 1 else b"{"
    status = outcome.status if outcome.body else 200
    return Outcome(status, (("Content-Type", JSON_TYPE), *headers), body)


def _decoded(segment: str) -> str:
    # An encoded "/" stays encoded: it is part of one segment (GitLab's "group%2Fproject"), and a provider handler
    # must see the proxy path with its segments as the caller sent them.
    return unquote(segment.replace("%2F", "%252F").replace("%2f", "%252f"))
