"""A provider works a referral from the links in Signpost's emails, with the keyboard alone:
accepts it, books the first session, and afterwards confirms the person came. Then the same
provider's inbox and referral page, signed in, pass the same accessibility checks.

The links need no sign-in: each does one thing, once. Every page goes through ``check_page``
(axe at phone and desktop widths, and screenshots).
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from referrals import links
from referrals.choices import ConnectionStatus as S
from factories.referrals import (
    make_link_worker,
    make_provider_editor,
    make_referral,
    make_resident,
    make_service,
    make_triage,
    only_connection,
)
from referrals.models import Connection
from tests.accounts import sign_in_verified
from tests.browser.conftest import is_focused, press, tab_to

pytestmark = pytest.mark.browser


@pytest.fixture
def sent_referral(home, live_server, django_db_serialized_rollback):
    """A referral's one connection, sent to a walking group's organisation, committed so the live server sees it."""
    from factories.directory import make_activity, make_organisation, make_venue

    service = make_service("Poole Social Prescribing", prefixes="BH")
    organisation = make_organisation("Poole Walking Friends", email="hello@poole-walking.example.org")
    activity = make_activity(organisation, "Tuesday health walk", venue=make_venue("Poole Park Café"))
    resident = make_resident(service=service, first_name="Marigold", last_name="Pemberton",
                             accessibility_needs="Walks with a stick: a gentle pace, please.")
    referral = make_referral(
        service=service, triage=make_triage(service=service, username="tina"),
        link_worker=make_link_worker(service=service, username="lee", first_name="Lee", last_name="Worker"),
        activity=activity, resident=resident, status=S.SENT_TO_PROVIDER,
    )
    editor = make_provider_editor(organisation=organisation, username="pat", first_name="Pat")
    return only_connection(referral), editor


def test_provider_accepts_books_a_session_and_confirms_attendance_by_keyboard(
    sent_referral, live_server, page, check_page
):
    referral, _editor = sent_referral  # the connection the email is about
    accept = urlsplit(links.issue_link(referral, "provider_accept")).path

    # The link from the email: it shows the summary and waits for the button.
    page.goto(live_server.url + accept)
    expect(page.get_by_role("heading", level=1)).to_have_text("Accept this referral")
    expect(page.get_by_text("Walks with a stick")).to_be_visible()
    check_page(page, "provider link: accept")
    press(page, page.get_by_role("button", name="Accept referral"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral accepted")
    check_page(page, "provider link: accepted")

    # The done page offers the booking at once (its form posts to the emailed link): one of the walk's sessions.
    expect(page.get_by_role("heading", level=2, name="Book the first session")).to_be_visible()
    session_choice = page.get_by_role("radio", name=re.compile(r"10:00 to 11:30 at Poole Park Café"))
    tab_to(page, session_choice)
    page.keyboard.press("Space")
    assert session_choice.is_checked()
    press(page, page.get_by_role("button", name="Book the first session"))
    expect(page.get_by_role("heading", level=1)).to_have_text("First session booked")
    check_page(page, "provider link: first session booked")
    referral.refresh_from_db()
    assert referral.status in (S.FIRST_SESSION_BOOKED, S.RESIDENT_NOTIFIED)  # told at once, by email

    # After the session: the link they kept. Forgetting to answer gets an error summary first.
    Connection.objects.filter(pk=referral.pk).update(first_session_at=referral.first_session_at - timedelta(days=8))
    press(page, page.get_by_role("button", name="Confirm attendance"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm attendance")
    attendance_link = page.url
    press(page, page.get_by_role("button", name="Confirm attendance"))
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Say whether they came to the first session.")
    check_page(page, "provider link: attendance error")
    # The error summary's link takes the keyboard to the question.
    press(page, summary.get_by_role("link", name="Say whether they came to the first session."))
    came = page.get_by_role("radio", name="Yes, they came")
    assert is_focused(came)
    page.keyboard.press("Space")
    press(page, page.get_by_role("button", name="Confirm attendance"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance confirmed")
    referral.refresh_from_db()
    assert referral.status == S.ATTENDED

    # The link has done its one thing.
    page.goto(attendance_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has already been used")
    check_page(page, "provider link: used")


def test_the_signed_in_inbox_and_referral_page_pass_the_checks(sent_referral, live_server, context, page, check_page):
    from django.conf import settings
    from django.test import Client

    referral, editor = sent_referral
    # Signed in with a verified second factor, as staff must be (the sign-in pages are tested elsewhere).
    session = sign_in_verified(Client(), editor).session
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}])

    page.goto(f"{live_server.url}/referrals/provider/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals inbox")
    check_page(page, "provider inbox")
    press(page, page.get_by_role("link", name="Marigold Pemberton"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral for Marigold Pemberton")
    check_page(page, "provider referral page")
    # Declining without a reason: the error summary, then the reason beside the question.
    press(page, page.get_by_role("button", name="Decline referral"))
    expect(page).to_have_title(re.compile(r"^Error: "))
    check_page(page, "provider referral page: decline error")
    press(page, page.get_by_role("button", name="Accept referral"))
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("You accepted the referral")
    check_page(page, "provider referral page: accepted")
    referral.refresh_from_db()
    assert referral.status == S.ACCEPTED
