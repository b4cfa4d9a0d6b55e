"""A live server and Debian's Chromium, driven by Playwright (never a downloaded browser).

The fixtures are registered once, from tests/conftest.py, so every browser test in any folder
shares one session-wide Playwright instance.

`make test` runs these when Chromium is present and skips them otherwise; with REQUIRE_BROWSER=1
(set by .ci/run) a missing browser is a failure instead.
"""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


def _browser_missing() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium fonts-wqy-microhei)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    problem = _browser_missing()
    if problem:
        if os.environ.get("REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(f"browser tests are required here but cannot run: {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app):
    """Serve the test app on a free loopback port in a thread, sharing the test database."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _new_page(browser, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  has_touch=True, timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []
    page.allowed_errors = []
    page.bad_responses = []      # "404 http://…": names the URL behind a "Failed to load resource" line
    page.on("response", lambda response: response.status >= 400
            and page.bad_responses.append(f"{response.status} {response.url}"))
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))
    return page


def allow_console_errors(page, *fragments: str) -> None:
    """Let console errors containing any of `fragments` pass the end-of-test check.

    For the errors a journey provokes on purpose: Chromium logs every 4xx answer ("status of 422")
    and every request made offline as an error — "ERR_INTERNET_DISCONNECTED", or "net::ERR_FAILED"
    when the service worker answers it with a network error (e.g. a thumbnail whose runtime caching
    had not finished when the tablet went offline). Anything else in the console fails the test."""
    page.allowed_errors.extend(fragments)


def unexpected_console_errors(page) -> list[str]:
    """The page's console errors and uncaught exceptions that no `allow_console_errors` covers."""
    return [e for e in page.errors if not any(fragment in e for fragment in page.allowed_errors)]


def _closed_clean(page):
    """Close the page's context, then fail the test on any console error it logged (a blocked inline
    style, an uncaught exception, a failed request nobody expected) — issue 14, seen 7."""
    errors = unexpected_console_errors(page)
    page.context.close()
    assert errors == [], f"console errors: {errors}; answers ≥ 400: {page.bad_responses}"


@pytest.fixture
def landscape(browser):
    """A 1024×768 tablet page; the test fails on any unexpected console error."""
    page = _new_page(browser, 1024, 768)
    yield page
    _closed_clean(page)


@pytest.fixture
def portrait(browser):
    """A 768×1024 tablet page; the test fails on any unexpected console error."""
    page = _new_page(browser, 768, 1024)
    yield page
    _closed_clean(page)


# Resolves once a service worker controls the page (offline.js registers it; it claims open pages
# when it activates). Evaluated through the DevTools protocol: the CSP forbids Playwright's polling.
# Bounded (evaluate itself has no timeout): a worker that never installs fails the test, not hangs it.
SW_CONTROLS = """Promise.race([
  navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller || new Promise(
    (resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve))).then(() => true),
  new Promise((_, reject) => setTimeout(() => reject(new Error("no service worker after 60 s")), 60000))])"""


def sign_in(page, base, username, password):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def sign_out(page):
    page.click(".who summary")
    page.click("text=退出登录")
    page.wait_for_selector("input[name=username]")
