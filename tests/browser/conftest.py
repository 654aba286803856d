"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download does not work on our machines, so the tests launch
``/usr/bin/chromium`` (``scripts/browser.sh`` installs it). Without it the tests skip, except
with ``CI=true``, where a missing browser fails the run: a green CI must mean they ran.

Every page a journey visits goes through ``check_page``: axe-core, at phone and desktop
widths, with the WCAG 2.0, 2.1 and 2.2 A and AA rules, and a full-page screenshot at each
width, written to ``$SCREENSHOT_DIR`` (default ``var/screenshots/<UTC time>/``) for a person
to look at. Public pages must have no violations. The Wagtail admin keeps its own look and is
Wagtail's to fix, so its violations are reported (printed, and written beside the
screenshots), not failed.
"""

import io
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache as cache_result
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command

from pages.security import in_wagtail_admin

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
NHSUK_BUILT = ROOT / "site" / "static" / "nhsuk" / ".built"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = (360, 1280)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# The demo at this scale has a few organisations per area, walking groups in Poole among them,
# and builds in a couple of seconds.
DEMO_SCALE = 0.05
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items):
    # The journeys run once, in the SQLite pass (scripts/test.sh): they test the pages, not the
    # database, and a second run on PostgreSQL would double their time. Deselected, not skipped,
    # so that CI's "nothing skips" holds.
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return
    here = Path(__file__).parent
    browser = [item for item in items if here in item.path.parents]
    if browser:
        items[:] = [item for item in items if here not in item.path.parents]
        config.hook.pytest_deselected(items=browser)


def missing(reason: str):
    """Skip for want of a tool, or fail under CI, where nothing may skip for want of one."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class Report:
    """What the run saw: screenshots taken and the Wagtail admin's violations (not failed)."""

    folder: Path
    screenshots: list[Path] = field(default_factory=list)
    admin_violations: dict[str, list[str]] = field(default_factory=dict)


_report: Report | None = None


def _screenshot_folder() -> Path:
    named = os.environ.get("SCREENSHOT_DIR")
    if named:
        return Path(named).resolve()
    return ROOT / "var" / "screenshots" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


@pytest.fixture(scope="session")
def report() -> Report:
    global _report
    _report = Report(_screenshot_folder())
    _report.folder.mkdir(parents=True, exist_ok=True)
    return _report


def pytest_terminal_summary(terminalreporter):
    if _report is None or not _report.screenshots:
        return
    write = terminalreporter.write_line
    terminalreporter.section("browser tests")
    write(f"{len(_report.screenshots)} screenshots in {_report.folder}")
    if _report.admin_violations:
        path = _report.folder / "wagtail-admin-axe.txt"
        lines = []
        for name, violations in _report.admin_violations.items():
            lines.append(f"{name}:")
            lines.extend(f"  {line}" for line in violations)
        path.write_text("\n".join(lines) + "\n")
        write(f"Wagtail admin pages have axe violations (reported, not failed; full list in {path}):")
        for name, violations in _report.admin_violations.items():
            rules = sorted({re.match(r"\[\d+px\] (\S+)", line).group(1) for line in violations})
            write(f"  {name}: {', '.join(rules)}")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is not installed (scripts/browser.sh installs Debian's chromium)")
    if not AXE.exists():
        missing(f"{AXE.relative_to(ROOT)} is missing: run `make frontend` (npm ci)")
    if not NHSUK_BUILT.exists():
        missing("the NHS.UK frontend is not built into site/static/nhsuk/: run `make frontend`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed: `make venv` installs the dev extras")

    # Playwright's sync API keeps an event loop running in this thread while it is started, and
    # Django refuses ORM calls made beside a running loop; the tests' own queries (building,
    # checking and flushing the data) are synchronous and safe. The variable is set only while a
    # browser module runs (it must not reach, say, a `check --deploy` run in a subprocess).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    serialized = _serialized_contents()
    playwright = sync_playwright().start()
    # With a loop running, Django looks its connections up per context rather than per thread,
    # so this thread now gets new connection objects (to the same test database). The snapshot
    # of the migrated database, kept on the old ones, must follow, or the serialised rollback
    # between tests would silently restore nothing.
    _restore_serialized_contents(serialized)
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _serialized_contents() -> dict:
    from django.db import connections

    return {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }


def _restore_serialized_contents(serialized: dict) -> None:
    from django.db import connections

    for alias, contents in serialized.items():
        connections[alias]._test_serialized_contents = contents


@pytest.fixture
def demo(browser, live_server, django_db_serialized_rollback):
    """The demo directory at a small scale, committed, so the live server's thread sees it.

    ``live_server`` makes each test transactional: the tables are flushed after it, and the
    serialised rollback puts back what the migrations created (Wagtail's root page), so every
    test starts from the same directory.
    """
    cache.clear()  # Wagtail caches site root paths by page id, and ids come round again.
    call_command("load_demo", scale=DEMO_SCALE, verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
    yield live_server.url
    cache.clear()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": WIDTHS[-1], "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A browser tab. Every Content-Security-Policy violation on Signpost's own pages (and the
    admin's sign-in page) fails the test; inside the Wagtail admin they are allowed for."""
    tab = context.new_page()
    violations = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            # The page's own address: a message's location may be a script file under /static/.
            where = tab.url
            if not in_wagtail_admin(urlsplit(where).path):
                violations.append(f"{where}: {message.text}")

    tab.on("console", on_console)
    yield tab
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def check_page(report):
    """``check_page(page, name)``: axe and screenshots at both widths; ``admin=True`` only reports."""

    def check(page, name: str, *, admin: bool = False, screenshots: bool = True) -> None:
        failures = []
        original = page.viewport_size
        try:
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 800})
                page.wait_for_load_state("load")
                violations = run_axe(page)
                if screenshots:
                    shot = report.folder / f"{_slug(name)}-{width}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    report.screenshots.append(shot)
                failures.extend(f"[{width}px] {line}" for line in describe(violations))
        finally:
            page.set_viewport_size(original)
        if admin:
            if failures:
                report.admin_violations[name] = failures
            return
        assert not failures, f"axe found accessibility problems on {name} ({page.url}):\n" + "\n".join(failures)

    return check


def run_axe(page) -> list[dict]:
    # Wagtail's admin (and its user bar) bring their own, older axe: replace it with ours.
    if page.evaluate("() => window.axe && window.axe.version") != axe_version():
        # Evaluated, not added as a <script>: the page's Content-Security-Policy would refuse that.
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return results.violations;
        }""",
        WCAG_TAGS,
    )
    return result


@cache_result
def axe_version() -> str:
    return json.loads((AXE.parent / "package.json").read_text())["version"]


def describe(violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} - {violation['helpUrl']}\n"
            f"      at {json.dumps(targets[:5])}{' and more' if len(targets) > 5 else ''}"
        )
    return lines


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# --- Keyboard-only helpers: Tab, Shift+Tab, Enter, arrows and typing; never a click. ---


def is_focused(locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page, locator, *, limit: int = 80, backwards: bool = False) -> int:
    """Press Tab (or Shift+Tab) until ``locator`` has focus, as a keyboard user would; how many presses it took."""
    key = "Shift+Tab" if backwards else "Tab"
    locator.wait_for(state="attached")
    for presses in range(limit):
        if is_focused(locator):
            return presses
        page.keyboard.press(key)
    raise AssertionError(f"{locator} never received focus after {limit} presses of {key}")


def press(page, control, *, key: str = "Enter", limit: int = 80) -> None:
    """Tab to ``control`` and press ``key`` on it (a link or button: Enter; a box: Space)."""
    tab_to(page, control, limit=limit)
    page.keyboard.press(key)


def choose_option(page, select, label: str, *, limit: int = 80) -> None:
    """With a focused <select>, press the down arrow until ``label`` is chosen (Home first)."""
    page.keyboard.press("Home")
    for _ in range(limit):
        if select.evaluate("s => s.options[s.selectedIndex] && s.options[s.selectedIndex].text.trim()") == label:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{label!r} is not an option of {select}")
