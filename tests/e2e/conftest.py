"""Browser journeys: pytest-playwright driving Debian's Chromium (no browser download is possible here)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM next to Playwright's event loop

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def live_server(django_db_setup: None, live_server: Any) -> Any:
    """pytest-django's server, started only once the test database exists.

    Session fixtures are set up before function ones, so pytest-django's ``live_server`` could start first and
    see the development database settings: its request threads then each opened their own connection to the
    in-memory test database (shared cache), and two requests at once failed with "database table is locked".
    Created after ``django_db_setup``, the server shares the test's connection, as Django's LiveServerTestCase does.
    """
    assert live_server.thread.connections_override or not any(
        c.vendor == "sqlite" and c.is_in_memory_db() for c in connections.all()
    ), "the live server does not share the in-memory test database"
    return live_server


@pytest.fixture
def contexts(browser: Browser, live_server: Any) -> Iterator[Callable[[], BrowserContext]]:
    """``contexts()`` opens an independent browser context (its own cookies: another person); all stay open at once
    and are closed after the test."""
    opened: list[BrowserContext] = []

    def new() -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


def log_in(context: BrowserContext, email: str) -> Page:
    """A new page in ``context``, logged in with the test password (people without 2FA)."""
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("header")).to_contain_text("Log out")
    return page


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Any:
    """``shot(page, "name")`` saves a full-page screenshot under test-artifacts/screenshots/<test>/."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(page: Any, name: str) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
