"""Browser tests: Playwright driving Debian's chromium against the live test server."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="package", autouse=True)
def allow_the_orm_beside_playwright():
    """From the browser's start to its close, Playwright's sync API runs an event loop in
    this thread, and Django's ORM refuses to run beside one unless told it is safe, which
    it is here: the test owns the thread. Told for this package's tests only, from before
    the browser starts to after it closes (it depends on this fixture), so that the rest
    of the suite keeps Django's guard. Package-scoped, not function-scoped: the transactional
    database's flush after each test, and the browser's own teardown, still need it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
        yield


# Package-scoped: its event loop must be gone before the tests outside this package run.
@pytest.fixture(scope="package")
def browser(allow_the_orm_beside_playwright):
    if not os.path.exists(CHROMIUM):
        message = "Debian's chromium is missing: apt-get install -y chromium"
        if os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    # The live server serves static files from the apps' folders, by their plain names;
    # hashed names exist only after collectstatic (make serve, tests/config/test_static_files.py).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda message: (
            page.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name):
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    return take
