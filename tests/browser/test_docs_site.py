"""The docs site `make docs` builds, in headless Chromium with no network: every page renders with nothing loaded from
outside loopback and no console or page error, every internal link lands on a page of the site, every operation of
``openapi/paragon.yaml`` is in the REST reference, and every public name of ``useparagon`` and
``useparagon.testing`` has its heading in the Python API reference.

Under ``make test`` the site is the one ``make docs`` just built (``PARAGON_DOCS_SITE``), checked by the three
Pythons' runs alike; run alone, the module builds its own copy first (``make docs`` into a temporary directory,
about 4 s).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import useparagon
import useparagon.testing
import yaml
from playwright.sync_api import Browser, ConsoleMessage, Page, Route
from playwright.sync_api import Error as PlaywrightError

from tests.browser.support import REPO, TIMEOUT_MS, requires_chromium

pytestmark = requires_chromium

SPEC = REPO / "openapi" / "paragon.yaml"
_LOOPBACK = frozenset({"127.0.0.1", "localhost"})
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Generous, yet short of TIMEOUT_MS: a missing section waits this long before the next one is looked for.
_SECTION_TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def site() -> Iterator[Path]:
    """The built site: ``PARAGON_DOCS_SITE`` when ``make test`` built it, else a fresh ``make docs`` build."""
    given = os.environ.get("PARAGON_DOCS_SITE")
    if given:
        path = Path(given) if Path(given).is_absolute() else REPO / given
        if not (path / "index.html").is_file() or not (path / "api" / "index.html").is_file():
            pytest.fail(f"PARAGON_DOCS_SITE={given} holds no built site: run `make docs`")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="useparagon-docs-") as scratch:
        # A make of our own: not a job of a make that may have started this pytest.
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        built = subprocess.run(
            ["make", "--no-print-directory", "docs", f"DOCS_SITE={scratch}"],  # noqa: S607
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if built.returncode != 0:
            pytest.fail(f"`make docs` failed:\n{built.stdout}\n{built.stderr}")
        yield Path(scratch)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def site_url(site: Path) -> Iterator[str]:
    """The site served as static files from ``http://127.0.0.1:<port>``, as any static host would."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="docs site server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Visit:
    """What one page did in the browser."""

    path: str
    status: int | None = None
    title: str = ""
    heading: str = ""
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


@dataclass
class Tab:
    """A page whose every request to a host other than loopback is aborted and recorded, with its errors recorded."""

    page: Page
    visit: Visit = field(default_factory=lambda: Visit(""))

    def start(self, path: str) -> Visit:
        self.visit = Visit(path)
        return self.visit


@pytest.fixture(scope="module")
def tab(chromium: Browser) -> Iterator[Tab]:
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    tab = Tab(page)

    def outside(route: Route) -> None:
        tab.visit.outside.append(route.request.url)
        route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.visit.console_errors.append(f"{message.text} ({message.location.get('url')})")

    context.route(lambda url: urlsplit(url).hostname not in _LOOPBACK, outside)
    page.on("console", console)
    page.on("pageerror", lambda error: tab.visit.page_errors.append(str(error)))
    try:
        yield tab
    finally:
        context.close()


def site_pages(site: Path) -> list[str]:
    """Every HTML page of the site, as URL paths (``/guide/calls/`` for ``guide/calls/index.html``)."""
    pages = []
    for html in sorted(site.rglob("*.html")):
        relative = html.relative_to(site).as_posix()
        pages.append("/" + relative.removesuffix("index.html"))
    return pages


@pytest.fixture(scope="module")
def visits(site: Path, site_url: str, tab: Tab) -> dict[str, Visit]:
    """Every page of the site, opened once: what it loaded, logged and links to, and its element ids."""
    found: dict[str, Visit] = {}
    for path in site_pages(site):
        visit = tab.start(path)
        # "load", not "networkidle" (half a second of quiet per page): what a page fetches later, such as the search
        # index, is still fetched from the same loopback server, and an error it logs fails the next page's visit.
        response = tab.page.goto(site_url + path, wait_until="load")
        visit.status = None if response is None else response.status
        visit.title = tab.page.title()
        visit.heading = tab.page.locator("h1").first.inner_text() if tab.page.locator("h1").count() else ""
        visit.ids = set(tab.page.eval_on_selector_all("[id]", "elements => elements.map(e => e.id)"))
        visit.links = tab.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        found[path] = visit
    tab.page.wait_for_load_state("networkidle")  # the last page's late requests, before its record is read
    return found


def test_the_site_has_the_pages_the_nav_promises(visits: dict[str, Visit]) -> None:
    """The built site holds the home page, the guides, the Python API reference, the REST reference and the
    development pages (a page left out of the build would otherwise pass every other check here)."""
    for path in (
        "/",
        "/guide/getting-started/",
        "/guide/frontend-token/",
        "/guide/configuration/",
        "/guide/errors/",
        "/guide/testing/",
        "/guide/cli/",
        "/reference/clients/",
        "/reference/testing/",
        "/api/",
        "/development/",
    ):
        assert path in visits, f"{path} is not in the built site"


def test_every_page_renders_offline_without_errors(visits: dict[str, Visit]) -> None:
    """Every page answers 200, has a title and a heading, asks nothing of a host other than loopback (no CDN, no
    Google Fonts), and logs no console error and throws no page error."""
    problems = []
    for path, visit in visits.items():
        if visit.status != 200 or not visit.title or not visit.heading:
            problems.append(f"{path}: status {visit.status}, title {visit.title!r}, h1 {visit.heading!r}")
        if visit.outside:
            problems.append(f"{path} tried to load from outside: {visit.outside}")
        if visit.console_errors or visit.page_errors:
            problems.append(f"{path}: console errors {visit.console_errors}, page errors {visit.page_errors}")
    assert not problems, "\n".join(problems)


def test_every_internal_link_lands_on_a_page(visits: dict[str, Visit], site: Path, site_url: str) -> None:
    """Every link from one page of the site to another names a file the site has (the REST reference's nav entry
    among them): no page links into nothing."""
    broken = set()
    for path, visit in visits.items():
        if path == "/api/":
            continue  # Redoc's own links: its script routes them to #/… (test_every_operation_is_in_the_rest_reference)
        for link in visit.links:
            if not link.startswith(site_url + "/"):
                continue  # another site (Paragon's docs, PyPI): not followed offline
            target = unquote(urlsplit(link).path)
            file = site / target.lstrip("/")
            if target.endswith("/"):
                file = file / "index.html"
            if not file.is_file():
                broken.add(f"{path} -> {target}")
    assert not broken, "\n".join(sorted(broken))


def _public_names(module: Any) -> list[str]:
    return sorted(module.__all__)


def test_every_public_name_has_its_heading_in_the_api_reference(visits: dict[str, Visit]) -> None:
    """Each name of ``useparagon.__all__`` and ``useparagon.testing.__all__`` is documented: the rendered
    reference has an element with its full dotted path as id (mkdocstrings' heading anchor)."""
    ids = set().union(*(visit.ids for path, visit in visits.items() if path.startswith("/reference/")))
    missing = [f"useparagon.{name}" for name in _public_names(useparagon) if f"useparagon.{name}" not in ids]
    missing += [
        f"useparagon.testing.{name}"
        for name in _public_names(useparagon.testing)
        if f"useparagon.testing.{name}" not in ids
    ]
    assert not missing, f"not in docs/reference/*.md: {', '.join(missing)}"


def spec_operations() -> dict[str, list[tuple[str, str, str]]]:
    """The spec's operations by tag: (operationId, method, path)."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    by_tag: dict[str, list[tuple[str, str, str]]] = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in _HTTP_METHODS:
                by_tag.setdefault(operation["tags"][0], []).append((operation["operationId"], method, path))
    return by_tag


def _slug(tag: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")


def test_every_operation_is_in_the_rest_reference(site_url: str, tab: Tab) -> None:
    """Redoc renders each tag of the spec with a section per operation (``/<tag>/<operationid>``, drawn when
    scrolled to) that shows the operation's method and path; a sidebar link routes within the page; and the page
    loads nothing from outside and logs no error."""
    operations = spec_operations()
    assert sum(len(found) for found in operations.values()) >= 30
    missing = []
    visit = tab.start("/api/")
    for tag, found in operations.items():
        tab.page.goto(f"{site_url}/api/#/{_slug(tag)}", wait_until="networkidle")
        tab.page.locator(f'[data-section-id="/{_slug(tag)}"]').first.wait_for(state="attached")
        for operation_id, method, path in found:
            selector = f'[data-section-id="/{_slug(tag)}/{operation_id.lower()}"]'
            if tab.page.locator(selector).count() == 0:  # the tag's sections are all in the page once it is drawn
                missing.append(f"{operation_id} ({tag}): no section")
                continue
            try:
                # Redoc draws a section when it is scrolled to, and may scroll the page itself while it settles, so
                # each poll scrolls to it again (by script: an undrawn section has no size for Playwright to scroll).
                tab.page.wait_for_function(
                    """([selector, method, path]) => {
                        const section = document.querySelector(selector);
                        section?.scrollIntoView();
                        const text = section?.innerText ?? "";
                        return text.includes(path) && text.toUpperCase().includes(method);
                    }""",
                    arg=[selector, method.upper(), path],
                    polling=100,
                    timeout=_SECTION_TIMEOUT_MS,
                )
            except PlaywrightError:
                missing.append(f"{operation_id} ({tag}): no section showing {method.upper()} {path}")
    assert not missing, "\n".join(missing)
    tab.page.goto(f"{site_url}/api/", wait_until="networkidle")
    tab.page.get_by_role("link", name="Workflows", exact=True).first.click()
    tab.page.wait_for_url(f"{site_url}/api/#/workflows")
    assert (visit.outside, visit.console_errors, visit.page_errors) == ([], [], [])
