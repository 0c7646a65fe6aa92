"""Fixtures for the browser tests: Debian's Chromium and the app server once per module, and for each test a fresh
FakeParagon on loopback with a new browser context whose page has the official SDK loaded and pointed at it.

Playwright drives ``/usr/bin/chromium`` (``executable_path``) and never downloads a browser. Any request the page
makes to a host other than the loopback app and fake is aborted and recorded, and a test fails if there was one,
or if the page threw an uncaught error.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Request, Route, sync_playwright
from useparagon.testing import FakeParagon

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, SDK_BUNDLE, TIMEOUT_MS, SdkPage, serve_app

_LOOPBACK = frozenset({"127.0.0.1", "localhost"})


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium, launched once per module (a launch costs a second or two)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True, timeout=TIMEOUT_MS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """The app page and the SDK bundle from node_modules, served from ``http://localhost:<port>``."""
    if not SDK_BUNDLE.is_file():
        pytest.fail(f"{SDK_BUNDLE} is missing: run `make node` (npm ci) to install @useparagon/connect")
    with serve_app(SDK_BUNDLE.read_bytes()) as url:
        yield url


@pytest.fixture
def sdk(chromium: Browser, app_url: str, rsa_pem: str) -> Iterator[SdkPage]:
    """A fresh FakeParagon on loopback, and a new page with the official SDK configured for it (not authenticated)."""
    fake = FakeParagon(signing_key_pem=rsa_pem)
    with fake.serve() as server:
        context = chromium.new_context()
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        view = SdkPage(page, fake, server.url)

        def outside(route: Route) -> None:
            view.outside.append(route.request.url)
            route.abort()

        def record(request: Request) -> None:
            url = urlsplit(request.url)
            if f"{url.scheme}://{url.netloc}" == server.url:
                view.sent.append(
                    {
                        "method": request.method,
                        "path": url.path,
                        "query": url.query,
                        "headers": request.headers,
                        "body": request.post_data,
                    }
                )

        context.route(lambda url: urlsplit(url).hostname not in _LOOPBACK, outside)
        page.on("request", record)
        page.on("pageerror", lambda error: view.page_errors.append(str(error)))
        try:
            page.goto(f"{app_url}/?paragon={server.url}")
            yield view
        finally:
            context.close()
    assert view.outside == [], f"the page tried to reach hosts other than the fake: {view.outside}"
    assert view.page_errors == [], f"uncaught errors in the page: {view.page_errors}"
