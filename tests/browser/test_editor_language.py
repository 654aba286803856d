"""The listing editor in a volunteer's words, and the moderator's comparison (issue 15), keyboard only.

An organisation's editor (who cannot publish) opens their activity, ticks a need in its area's
group, moves the session to 10:45–11:30 in the 5-minute time input and presses the main button,
"Submit for review": 4 actions after opening the page (tick, type the start, type the end,
submit). The moderator opens the comparison: the title and description are not marked changed,
and the session's time reads "10:30 – 11:00 → 10:45 – 11:30". The moderator approves; the
public activity page (Signpost's own, so axe must find nothing) shows the new time.

The Wagtail admin is Wagtail's own interface: axe runs on its pages too, but its findings are
reported rather than failed (see conftest.py). Screenshots at 360 and 1280 px go to
var/screenshots/ (journeys-editor-after-*) and the run's folder.
"""

import re
from datetime import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from directory.models import ActivityPage, ActivitySession, NeedTerm
from tests.browser.conftest import ROOT, WIDTHS, is_focused, tab_to
from tests.browser.test_editor_updates_a_listing import sign_in, sign_out

pytestmark = pytest.mark.browser

SHOTS = ROOT / "var" / "screenshots"
APPROVE = re.compile(r"^Approve( and publish)?$", re.IGNORECASE)


def shoot(page, name: str, locator=None) -> None:
    """The journey's after-screenshots, named for the issue's closing note."""
    original = page.viewport_size
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            if locator is not None:
                locator.scroll_into_view_if_needed()
            path = Path(SHOTS / f"journeys-editor-after-{name}-{width}.png")
            page.screenshot(path=str(path), full_page=locator is None)
    finally:
        page.set_viewport_size(original)


def editors_activity_with_a_session() -> ActivityPage:
    for activity in ActivityPage.objects.live().order_by("path"):
        organisation = activity.get_parent().specific
        if (
            not activity.workflow_in_progress
            and activity.sessions.count() == 1
            and organisation.editors is not None
            and organisation.editors.user_set.filter(username="editor").exists()
            and not organisation.trusted
        ):
            return activity
    raise AssertionError("the demo editor has no untrusted live activity with one session")


def test_editor_submits_for_review_and_moderator_sees_real_changes_only(demo, browser, context, page, check_page):
    """Editor: 4 actions on the listing (tick a need, start time, end time, "Submit for review")."""
    found = editors_activity_with_a_session()
    ActivitySession.objects.filter(activity=found).update(start_time=time(10, 30), end_time=time(11, 0))
    activity = ActivityPage.objects.get(pk=found.pk)
    activity.save_revision().publish()
    unticked = NeedTerm.objects.exclude(pk__in=activity.needs.all()).exclude(parent=None).order_by("name").first()
    edit_url = f"{demo}/admin/pages/{activity.pk}/edit/"

    sign_in(page, demo, "editor", keyboard=True)
    page.goto(edit_url)
    check_page(page, "editor: the listing editor", admin=True)

    # The needs: one group per area, with its legend.
    group = page.get_by_role("group", name=unticked.parent.name)
    expect(group.get_by_role("checkbox", name=unticked.name, exact=True)).to_be_visible()
    shoot(page, "needs", group)
    need = group.get_by_role("checkbox", name=unticked.name, exact=True)
    tab_to(page, need, limit=400)
    page.keyboard.press("Space")  # 1
    expect(need).to_be_checked()

    # The times: 5-minute steps in the browser's own time input.
    start = page.locator("[name='sessions-0-start_time']")
    end = page.locator("[name='sessions-0-end_time']")
    for field in (start, end):
        expect(field).to_have_attribute("type", "time")
        expect(field).to_have_attribute("step", "300")
    expect(page.locator("[name='sessions-0-valid_from']")).to_have_value(re.compile(r"^\d{2}/\d{2}/\d{4}$"))
    tab_to(page, start, limit=200)
    page.keyboard.type("1045")  # 2
    tab_to(page, end, limit=10)
    page.keyboard.type("1130")  # 3
    expect(start).to_have_value("10:45")
    expect(end).to_have_value("11:30")
    shoot(page, "times-and-dates", start)

    # The main button: "Submit for review", not "Save draft" with submitting under the arrow.
    submit = page.get_by_role("button", name="Submit for review")
    shoot(page, "action-menu", submit)
    tab_to(page, submit, limit=300)
    assert is_focused(submit)
    page.keyboard.press("Enter")  # 4
    expect(page.get_by_text(re.compile(r"submitted for moderation", re.IGNORECASE)).first).to_be_visible()
    activity.refresh_from_db()
    assert activity.workflow_in_progress
    revision = activity.latest_revision_id
    sign_out(context)

    # The moderator's comparison: the change, and nothing else.
    sign_in(page, demo, "moderator", keyboard=True)
    page.goto(f"{demo}/admin/pages/{activity.pk}/revisions/compare/live...{revision}/")
    table = page.locator("table.listing")
    fields = [text.strip().rstrip(":") for text in table.locator("td.title").all_inner_texts()]
    assert "Description" not in fields and "Title" not in fields, fields
    assert "Sessions" in fields and "Needs" in fields
    # "→" for the eye, ", now" for a screen reader (visually hidden, so in the text here).
    expect(table).to_contain_text(re.compile(r"10:30 – 11:00\s*→,? now 10:45 – 11:30"))
    expect(table).not_to_contain_text("10:30:00")
    check_page(page, "moderator: comparison", admin=True)
    shoot(page, "comparison")

    # Approve with the keyboard; the public page shows the new time.
    page.goto(edit_url)
    tab_to(page, page.get_by_role("button", name="More actions"), limit=400)
    page.keyboard.press("Enter")
    approve = page.get_by_role("button", name=APPROVE)
    expect(approve).to_be_visible()
    tab_to(page, approve, limit=10)
    page.keyboard.press("Enter")
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text(
        re.compile(r"has been (updated|approved|published)")
    )
    activity.refresh_from_db()
    assert not activity.workflow_in_progress
    page.goto(demo + activity.url)
    expect(page.get_by_role("main")).to_contain_text(re.compile(r"10:45|10\.45"))
    check_page(page, "activity after the editor's change")
