"""An organisation editor changes an activity's summary and submits it; a moderator approves it;
the public page then shows it. Once with a mouse, once with the keyboard alone.

Both sign in with a second factor, as everyone does: with the mouse, the editor signs in for
the first time (a newly invited editor) and sets up an authenticator app, then is shown their
recovery codes; with the keyboard, they enter the code from the app they already have.

The editor's organisation is not trusted, so its changes wait in the "Directory moderation"
workflow. The Wagtail admin is Wagtail's own interface: axe runs on its pages too, but its
findings are reported at the end of the run rather than failed (see conftest.py).
"""

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from demo.users import DEMO_PASSWORD
from directory.models import ActivityPage, OrganisationPage
from tests.accounts import current_code
from tests.browser.conftest import is_focused, tab_to

pytestmark = pytest.mark.browser

# The moderator may publish, so Wagtail names the workflow action "Approve and Publish".
APPROVE = re.compile(r"^Approve( and publish)?$", re.I)
NEW_SUMMARY = "A friendly group for unpaid carers. New this month: a free taster session for newcomers."


def editable_activity() -> ActivityPage:
    """A live activity of the demo editor's organisation with no change already waiting."""
    organisation = OrganisationPage.objects.get(editors__user__username="editor")
    for activity in ActivityPage.objects.child_of(organisation).live().order_by("path"):
        if not activity.workflow_in_progress:
            return activity
    raise AssertionError(f"{organisation.title} has no live activity free to edit")


def summary_field(page):
    return page.get_by_role("textbox", name=re.compile(r"^Summary\*?$"))


def sign_in(page, base_url: str, username: str, *, keyboard: bool, check_page=None) -> None:
    """The password, then the second factor (setting up the app first if the person has none)."""
    page.goto(f"{base_url}/admin/login/")
    username_field, password_field = page.get_by_label(re.compile(r"\bUsername\b")), page.get_by_label(re.compile(r"\bPassword\b"))
    if keyboard:
        tab_to(page, username_field)  # Wagtail focuses it already; tab_to then presses nothing.
        page.keyboard.type(username)
        page.keyboard.press("Tab")
        assert is_focused(password_field)
        page.keyboard.type(DEMO_PASSWORD)
        page.keyboard.press("Enter")
    else:
        username_field.fill(username)
        password_field.fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    if "/set-up/" in page.url:
        if check_page is not None:
            check_page(page, "admin: set up two-factor sign-in")
        # What the person's app does with the key shown on the page.
        key = b32decode(page.locator(".signpost-secret").inner_text().replace(" ", ""))
        code = f"{totp(key, step=30, t0=0, digits=6, drift=0):06d}"
    else:
        code = current_code(TOTPDevice.objects.get(user__username=username, confirmed=True))
    code_field = page.get_by_label("Security code")
    if keyboard:
        tab_to(page, code_field)
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    else:
        code_field.fill(code)
        page.get_by_role("button", name="Continue").click()
    if "/recovery-codes/" in page.url:
        expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
        expect(page.locator(".signpost-recovery-codes code")).to_have_count(10)
        if check_page is not None:
            check_page(page, "admin: recovery codes")
        page.get_by_role("link", name="I have saved my codes, continue").click()
    # Their work, not the login form again: the moderator's is the dashboard (changes to review); the
    # editor's is the role home, as an organisation's editor also has its referrals inbox (issue 15).
    expect(page).to_have_url(re.compile(r"/(admin|staff)/$"))


def sign_out(context) -> None:
    context.clear_cookies()


def public_text(browser, url: str) -> str:
    """The activity's main content as a resident sees it: a fresh browser, not signed in."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        return page.get_by_role("main").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_editor_submits_and_moderator_approves(demo, browser, context, page, check_page, keyboard):
    activity = editable_activity()
    public_url = demo + activity.url
    edit_url = f"{demo}/admin/pages/{activity.pk}/edit/"
    old_summary = activity.summary
    assert NEW_SUMMARY != old_summary

    # The editor: sign in, open the activity (by its address: the admin's menus are Wagtail's
    # and tested there), change the summary and submit it for review.
    page.goto(f"{demo}/admin/login/")
    if not keyboard:
        check_page(page, "admin-login", admin=True)
        # A newly invited editor: no authenticator app yet.
        TOTPDevice.objects.filter(user__username="editor").delete()
    sign_in(page, demo, "editor", keyboard=keyboard, check_page=None if keyboard else check_page)
    page.goto(edit_url)
    if not keyboard:
        check_page(page, "admin-edit-activity", admin=True)
    if keyboard:
        tab_to(page, summary_field(page), limit=120)
        page.keyboard.press("Control+A")
        page.keyboard.type(NEW_SUMMARY)
        # "Submit for review" is the main button of an editor who cannot publish (issue 15).
        tab_to(page, page.get_by_role("button", name="Submit for review"), limit=300)
        page.keyboard.press("Enter")
    else:
        summary_field(page).fill(NEW_SUMMARY)
        page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text(re.compile(r"submitted for moderation", re.I)).first).to_be_visible()
    activity.refresh_from_db()
    assert activity.workflow_in_progress
    text = public_text(browser, public_url)
    assert old_summary in text and NEW_SUMMARY not in text, "the change must wait for a moderator"
    sign_out(context)

    # The moderator: sign in, open the activity and approve the change.
    sign_in(page, demo, "moderator", keyboard=keyboard)
    if not keyboard:
        check_page(page, "admin-dashboard-moderator", admin=True)
    page.goto(edit_url)
    expect(summary_field(page)).to_have_value(NEW_SUMMARY)
    if keyboard:
        tab_to(page, page.get_by_role("button", name="More actions"), limit=300)
        page.keyboard.press("Enter")
        approve = page.get_by_role("button", name=APPROVE)
        expect(approve).to_be_visible()
        tab_to(page, approve, limit=10)
        page.keyboard.press("Enter")
    else:
        page.get_by_role("button", name="More actions").click()
        page.get_by_role("button", name=APPROVE).click()
    # Wagtail reports an approval that publishes as "has been updated".
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text(
        re.compile(rf"{re.escape(activity.title)}.* has been (updated|approved|published)")
    )

    activity.refresh_from_db()
    assert not activity.workflow_in_progress
    assert activity.summary == NEW_SUMMARY
    assert NEW_SUMMARY in public_text(browser, public_url)
    if not keyboard:
        page.goto(public_url)
        check_page(page, "activity-after-approval")
