"""The docs' Python samples run: every ```python block of README.md and docs/**/*.md, against a FakeParagon.

Each page runs in a fresh namespace, its blocks in order (later blocks use the names earlier ones made, as a reader
follows them), with the settings a real project would have: ``PARAGON_PROJECT_ID``, ``PARAGON_SIGNING_KEY`` and the
service URLs (``PARAGON_API_URL``…) pointing at a FakeParagon served on loopback, whose Connected User ``user-123``
has connected the accounts the guides use. A block that cannot run on its own carries
``<!-- docs-sample: no-run (why) -->`` on the line before it and is only compiled. A failure names the page and the
line of the block, and the traceback points into the page.
"""

from __future__ import annotations

import ast
import os
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from useparagon.testing import FakeParagon

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]

_FENCE = re.compile(r"^```(?P<lang>[\w+-]*)\s*$")
_MARKER = re.compile(r"^<!--\s*docs-sample:(?P<rest>.*)-->\s*$")
_NO_RUN = re.compile(r"\s*no-run \((?P<why>[^)]+)\)\s*")

# The service URLs the client reads from the environment, all pointed at the fake.
_SERVICE_URLS = (
    "PARAGON_API_URL",
    "PARAGON_PROXY_URL",
    "PARAGON_ACTIONKIT_URL",
    "PARAGON_HERMES_URL",
    "PARAGON_SYNC_URL",
)


@dataclass(frozen=True)
class Sample:
    page: Path
    line: int  # of the block's first line of code, 1-based
    code: str
    no_run: str | None  # why it is only compiled

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def parse(page: Path, text: str) -> list[Sample]:
    """The ```python blocks of a page's text in order, each with the reason it is not run, if a marker gives one."""
    lines = text.splitlines()
    found: list[Sample] = []
    marker: tuple[int, str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if (match := _MARKER.match(line)) is not None:
            reason = _NO_RUN.fullmatch(match["rest"])
            if reason is None:
                raise ValueError(f"{page}:{index + 1}: a docs-sample marker reads 'no-run (why)', got {line!r}")
            marker = (index, reason["why"])
        elif (fence := _FENCE.match(line)) is not None:
            end = next((i for i in range(index + 1, len(lines)) if lines[i].rstrip() == "```"), None)
            if end is None:
                raise ValueError(f"{page}:{index + 1}: a code block that never ends")
            if marker is not None and (fence["lang"] != "python" or marker[0] != index - 1):
                raise ValueError(f"{page}:{marker[0] + 1}: a docs-sample marker not right before a ```python block")
            if fence["lang"] == "python":
                code = "\n".join(lines[index + 1 : end])
                found.append(Sample(page, index + 2, code, None if marker is None else marker[1]))
            marker = None
            index = end
        index += 1
    if marker is not None:
        raise ValueError(f"{page}:{marker[0] + 1}: a docs-sample marker with no block after it")
    return found


def samples(page: Path) -> list[Sample]:
    return parse(page, page.read_text(encoding="utf-8"))


PAGES_WITH_SAMPLES = [page for page in PAGES if samples(page)]


def compiled(sample: Sample) -> Any:
    """The block compiled as if it stood at its line of the page, so a traceback names the page and its line.

    A block that is not run may be a fragment of an ``async def`` (``async with``, ``await``), so it compiles as
    the asyncio REPL would take it."""
    flags = 0 if sample.no_run is None else ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    return compile("\n" * (sample.line - 1) + sample.code, str(sample.page.relative_to(REPO)), "exec", flags=flags)


def the_guides_project(fake: FakeParagon) -> None:
    """What the guides assume of the reader's project: ``user-123`` connected Salesforce, Slack and Google Drive (not
    HubSpot), enabled the Request-triggered workflow the quickstart triggers, and Salesforce has a paged dynamic
    input for the field-options sample."""
    opportunity = fake.workflow_id("salesforce", "Create Opportunity in Salesforce")
    fake.user("user-123").connect("salesforce").connect("slack").connect("googledrive").enable_workflow(opportunity)
    fake.set_field_options(
        "salesforce",
        "get-salesforce-record-types",
        [{"label": "Account", "value": "012000000000001"}, {"label": "Partner Account", "value": "012000000000002"}],
        page_size=1,
    )


@pytest.fixture
def project(rsa_pem: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeParagon]:
    """The guides' project on loopback, the environment set as for it, and a scratch working directory."""
    fake = FakeParagon(signing_key_pem=rsa_pem)
    the_guides_project(fake)
    with fake.serve() as server:
        for name in [name for name in os.environ if name.startswith("PARAGON_")]:  # nothing of the machine's own
            monkeypatch.delenv(name)
        monkeypatch.setenv("PARAGON_PROJECT_ID", fake.project_id)
        monkeypatch.setenv("PARAGON_SIGNING_KEY", rsa_pem)
        for name in _SERVICE_URLS:
            monkeypatch.setenv(name, server.url)
        monkeypatch.chdir(tmp_path)  # a sample that writes a file writes it here
        yield fake


@contextmanager
def closing_new_http_clients() -> Iterator[None]:
    """Close every ``httpx.Client`` made inside the block: the pools of the clients the samples made. Samples leave
    them open, some with no name left to reach them by (``Paragon().authenticate(...)``), and their sockets must
    not outlive the test. (Recorded as they are made: scanning the heap for them cost a second per page.)"""
    made: list[httpx.Client] = []
    original = httpx.Client.__init__

    def recording(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    httpx.Client.__init__ = recording  # type: ignore[method-assign]
    try:
        yield
    finally:
        httpx.Client.__init__ = original  # type: ignore[method-assign]
        for client in made:
            client.close()


@pytest.mark.parametrize("page", PAGES_WITH_SAMPLES, ids=lambda page: str(page.relative_to(REPO)))
def test_the_samples_of_a_page_run(page: Path, project: FakeParagon) -> None:
    """Every ```python block of the page runs, in order, in one namespace, against the guides' FakeParagon project;
    a block marked no-run still compiles."""
    namespace: dict[str, Any] = {"__name__": "docs_sample"}
    try:
        with closing_new_http_clients():
            for sample in samples(page):
                code = compiled(sample)
                if sample.no_run is not None:
                    continue
                try:
                    exec(code, namespace)  # noqa: S102 (the docs' own samples: running them is the test)
                except Exception as error:
                    trace = "".join(traceback.format_exception(error))
                    pytest.fail(f"the sample at {sample.where} failed: {type(error).__name__}: {error}\n{trace}")
    finally:
        namespace.clear()


def test_a_failing_sample_names_its_page_and_line() -> None:
    """A sample's traceback points at its page and at the line of the page that raised."""
    page = REPO / "docs" / "probe.md"
    [sample] = parse(page, "# A page\n\nSome text.\n\n```python\nx = 1\nraise RuntimeError(x)\n```\n")
    assert (sample.line, sample.where) == (6, "docs/probe.md:6")
    with pytest.raises(RuntimeError) as raised:
        exec(compiled(sample), {})  # noqa: S102
    frame = traceback.extract_tb(raised.value.__traceback__)[-1]
    assert (frame.filename, frame.lineno) == ("docs/probe.md", 7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("```python\na = 1\n```\n", [(2, "a = 1", None)]),
        (
            "<!-- docs-sample: no-run (needs Django) -->\n```python\nimport django\n```\n",
            [(3, "import django", "needs Django")],
        ),
        ("```bash\nmake docs\n```\n\n```python\nb = 2\n\nc = b\n```\n", [(6, "b = 2\n\nc = b", None)]),
        ("```\nplain text\n```\n```js\nawait paragon.connect()\n```\n", []),
    ],
)
def test_only_python_blocks_are_samples(text: str, expected: list[tuple[int, str, str | None]]) -> None:
    """Only ```python blocks are samples, each at its first line of code, with the reason of a marker before it."""
    assert [(s.line, s.code, s.no_run) for s in parse(REPO / "x.md", text)] == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!-- docs-sample: no-run -->\n```python\na = 1\n```\n", "x.md:1: a docs-sample marker reads"),
        ("<!-- docs-sample: skip (why) -->\n```python\na = 1\n```\n", "x.md:1: a docs-sample marker reads"),
        ("<!-- docs-sample: no-run (why) -->\n\n```python\na = 1\n```\n", "x.md:1: a docs-sample marker not right"),
        ("<!-- docs-sample: no-run (why) -->\n```bash\nls\n```\n", "x.md:1: a docs-sample marker not right"),
        ("text\n<!-- docs-sample: no-run (why) -->\n", "x.md:2: a docs-sample marker with no block"),
        ("```python\na = 1\n", "x.md:1: a code block that never ends"),
    ],
)
def test_a_misplaced_marker_is_an_error(text: str, message: str) -> None:
    """A marker that would not mark the block it sits on (or a block with no end) fails loudly, never skips a sample."""
    with pytest.raises(ValueError, match=re.escape(message)):
        parse(REPO / "x.md", text)
