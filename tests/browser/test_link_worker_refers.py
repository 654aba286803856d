"""A link worker signs in (password, then a code from their authenticator app) and runs a person's episode:
first contact, then the person's care and support plan (what matters to them, and a goal), then two
connections at once (an activity found with the person and sent to its provider, and a signpost to a
service outside the directory), attendance once the first session has happened (the provider's side is
done by the services, as their own browser test walks it), the review contact (the goal achieved, the
"after" wellbeing scores recorded), and discharge through the summary they check before confirming; and a
triage officer triages a new referral to them. With the keyboard alone (Tab, Space, arrows, Enter and
typing; no clicks), and axe and screenshots on every page on the way.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from factories.referrals import (
    first_session_held,
    make_link_worker,
    make_referral,
    make_resident,
    make_service,
    make_triage,
    provider_actor,
)
from referrals import services
from referrals.choices import ConnectionStatus, DischargeReason, ReferralStatus
from referrals.forms.caseload import live_activities
from referrals.models import Referral, WellbeingScore
from referrals.roles import SYSTEM
from tests.browser.conftest import choose_option, is_focused, tab_to

pytestmark = pytest.mark.browser

PASSWORD = "a long test passphrase"


@pytest.fixture
def link_worker_case(browser, live_server, django_db_serialized_rollback):
    """A walking group in the directory; a link worker with an authenticator app set up, and a
    person on their caseload, triaged, waiting for first contact. Built here rather than by the demo
    command, so the journey depends only on the pages it walks through."""
    from django.core.cache import cache
    from pages.setup import ensure_site

    from factories.directory import make_activity, make_organisation, make_venue

    cache.clear()  # Wagtail caches site root paths by page id, and ids come round again.
    ensure_site()
    organisation = make_organisation("Poole Walking Friends", email="hello@poole-walking.example.org")
    make_activity(organisation, "Tuesday health walk", venue=make_venue("Poole Park Café"))
    service = make_service("Browser Test Social Prescribing", prefixes="BH")
    worker = make_link_worker(service=service, username="browser-lw", first_name="Lou", last_name="Linkworker")
    worker.set_password(PASSWORD)
    worker.save()
    device = TOTPDevice.objects.create(user=worker, name="Authenticator app", confirmed=True)
    triage = make_triage(service=service, username="browser-triage", first_name="Tam", last_name="Triage")
    triage.set_password(PASSWORD)
    triage.save()
    TOTPDevice.objects.create(user=triage, name="Authenticator app", confirmed=True)
    resident = make_resident(service=service, first_name="Ada", last_name="Browne")
    referral = make_referral(service=service, triage=triage, link_worker=worker, resident=resident,
                             status=ReferralStatus.TRIAGED)
    yield {"base": live_server.url, "device": device, "referral": referral, "service": service, "triage": triage,
           "link_worker": worker}
    cache.clear()


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def type_into(page, field, text: str) -> None:
    tab_to(page, field)
    page.keyboard.type(text)


def sign_in(page, url: str, username: str, device: TOTPDevice, *, check_page=None) -> None:
    """Ask for ``url``: the sign-in page, then the second factor, then ``url`` itself."""
    page.goto(url)
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    type_into(page, page.get_by_label(re.compile(r"\bUsername\b")), username)
    page.keyboard.press("Tab")
    assert is_focused(page.get_by_label(re.compile(r"\bPassword\b")))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    if check_page is not None:
        check_page(page, "staff: two-factor code")
    type_into(page, page.get_by_label("Security code"), current_code(device))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))


LONG_PAGE = 400  # Tab presses allowed on the referral page, which holds the whole episode


def open_details(page, summary_text: str) -> None:
    """Open a folded section (a <details>) from the keyboard: Tab to its summary, Enter."""
    summary = page.locator("summary", has_text=summary_text).first
    tab_to(page, summary, limit=LONG_PAGE)
    page.keyboard.press("Enter")
    expect(page.locator("details", has=summary).first).to_have_attribute("open", "")


def choose_radio(page, group, label: str) -> None:
    """Choose ``label`` in a group of radios from the keyboard: Tab into the group (focus lands on its
    checked radio, or on its first), then the down arrow until ``label`` is checked."""
    group.wait_for(state="attached")
    for _ in range(LONG_PAGE):
        if group.evaluate("g => g.contains(document.activeElement)"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError(f"{group} never received focus")
    target = group.get_by_role("radio", name=label, exact=True)
    for _ in range(group.get_by_role("radio").count()):
        if target.is_checked():
            return
        page.keyboard.press("ArrowDown")
    expect(target).to_be_checked()


def record_contact(page, *, review: bool = False) -> None:
    """Fill in "Record a contact" (open): held, just now, face to face, 30 minutes (the review, if asked)."""
    form = page.locator("#record-contact form")
    moment = timezone.localtime() - timedelta(minutes=2)
    held = form.get_by_role("radio", name=re.compile(r"^Held"))
    tab_to(page, held, limit=LONG_PAGE)
    page.keyboard.press("Space")
    expect(held).to_be_checked()
    for field, value in (("day", moment.day), ("month", moment.month), ("year", moment.year),
                         ("time", moment.strftime("%H:%M"))):
        type_into(page, form.locator(f"#id_contact-{field}"), str(value))
    method = form.get_by_role("radio", name="Face to face")
    tab_to(page, method)
    page.keyboard.press("Space")
    type_into(page, form.get_by_label("How long, in minutes"), "30")
    if review:
        is_review = form.get_by_role("checkbox", name=re.compile(r"^This is the review"))
        tab_to(page, is_review)
        page.keyboard.press("Space")
        expect(is_review).to_be_checked()
    type_into(page, form.get_by_label(re.compile(r"^Note")), "Talked about what matters to her.")
    tab_to(page, form.get_by_role("button", name="Record contact"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Contact recorded.")).to_be_visible()


def test_a_link_worker_runs_an_episode_with_the_keyboard(link_worker_case, page, check_page):
    base, device, referral = link_worker_case["base"], link_worker_case["device"], link_worker_case["referral"]

    sign_in(page, f"{base}/referrals/", "browser-lw", device, check_page=check_page)

    expect(page).to_have_url(re.compile(r"/referrals/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    check_page(page, "link worker: caseload")

    # First contact: a held conversation, recorded on the person's page (the form is open: it is the next step).
    tab_to(page, page.get_by_role("link", name="Ada Browne"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Browne")
    check_page(page, "link worker: referral before first contact")
    record_contact(page)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CONTACTED

    # Her care and support plan, built with her: what matters to her, and a goal to review in a few weeks.
    tab_to(page, page.get_by_role("link", name=re.compile(r"^What matters to them, their goals")), limit=LONG_PAGE)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Care and support plan")
    tab_to(page, page.get_by_role("button", name="Start the plan"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Plan started.")).to_be_visible()
    tab_to(page, page.get_by_label("What matters to the person"))
    page.keyboard.press("ControlOrMeta+A")  # in her words, in place of what the referral said
    page.keyboard.type("Getting out of the house and seeing people again.")
    tab_to(page, page.get_by_role("button", name="Save what matters"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="What matters to the person saved.")).to_be_visible()
    open_details(page, "Add a goal")
    goal = "Walk with a group once a week"
    type_into(page, page.get_by_label("Goal", exact=True), goal)
    review_on = timezone.localdate() + timedelta(weeks=4)
    for part, value in (("day", review_on.day), ("month", review_on.month), ("year", review_on.year)):
        type_into(page, page.locator(f"#id_goal-review_on_{part}"), str(value))
    tab_to(page, page.get_by_role("button", name="Add the goal"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Goal added.")).to_be_visible()
    expect(page.locator("#goals ~ dl").first).to_contain_text(goal)
    check_page(page, "link worker: care and support plan")
    referral.refresh_from_db()
    assert referral.care_plan.what_matters == "Getting out of the house and seeing people again."
    assert [(g.description, g.review_on) for g in referral.care_plan.goals.all()] == [(goal, review_on)]
    tab_to(page, page.get_by_role("link", name="Back to the referral"), limit=LONG_PAGE)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Browne")

    # Find an activity with the person.
    tab_to(page, page.get_by_role("link", name="Back to my caseload"))
    page.keyboard.press("Enter")
    tab_to(page, page.locator("#main-content").get_by_role("link", name="Find activities with a person"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/find/link-workers/"))
    type_into(page, page.get_by_label("Search for"), "walk")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"activit(y|ies) found"))).to_be_visible()
    check_page(page, "link worker: search results")

    referable = set(live_activities().values_list("pk", flat=True))
    refer_links = page.get_by_role("link", name=re.compile(r"^Refer to this activity"))
    expect(refer_links.first).to_be_visible()
    chosen = None
    for index in range(refer_links.count()):
        link = refer_links.nth(index)
        activity_id = int(re.search(r"activity=(\d+)", link.get_attribute("href")).group(1))
        if activity_id in referable:
            chosen = link, activity_id
            break
    assert chosen is not None, "no result could take a referral"
    link, activity_id = chosen
    tab_to(page, link, limit=300)
    page.keyboard.press("Enter")

    # Whose referral is it for? Choose the person, keep "send now" ticked, and refer: connection 1.
    expect(page).to_have_url(re.compile(r"/referrals/refer/\?activity="))
    check_page(page, "link worker: refer to this activity")
    person = page.get_by_role("radio", name="Ada Browne")
    tab_to(page, person)
    page.keyboard.press("Space")
    expect(person).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile(r"^Send the referral"))).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Refer to this activity"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/referrals/{referral.pk}/#connection-1$"))
    expect(page.get_by_role("alert").filter(has_text="sent to the provider")).to_be_visible()
    activity_connection = referral.connections.get(number=1)
    assert activity_connection.status == ConnectionStatus.SENT_TO_PROVIDER
    assert activity_connection.activity_id == activity_id

    # Connection 2, beside it: a signpost to a service outside the directory.
    open_details(page, "Signpost to another service")
    type_into(page, page.get_by_label("Service", exact=True), "Citizens Advice Poole")
    type_into(page, page.get_by_label("How to reach it (optional)"), "0800 144 8848")
    tab_to(page, page.get_by_role("button", name="Signpost to this service"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Signposted to Citizens Advice Poole")).to_be_visible()
    expect(page.locator("#connection-2")).to_contain_text("Signposted")
    check_page(page, "link worker: two connections")

    # The provider accepts and books the first session, the person is told, and the day comes.
    provider = provider_actor(activity_connection.activity.organisation)
    services.connection_provider_accept(connection=activity_connection, actor=provider)
    services.connection_book_first_session(connection=activity_connection, actor=provider,
                                           starts_at=timezone.now() + timedelta(days=2))
    activity_connection.refresh_from_db()
    if activity_connection.status == ConnectionStatus.FIRST_SESSION_BOOKED:
        services.connection_mark_resident_notified(connection=activity_connection, actor=SYSTEM)
    first_session_held(activity_connection)
    page.reload()

    # She went: recorded on connection 1 (its form is open); she took up the signpost too.
    attended = page.locator("#connection-1").get_by_role("button", name="Record attended")
    tab_to(page, attended, limit=LONG_PAGE)
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="went to the first session")).to_be_visible()
    took_up = page.locator("#connection-2").get_by_role("radio", name="Yes, they took it up")
    tab_to(page, took_up, limit=LONG_PAGE)
    page.keyboard.press("Space")
    tab_to(page, page.locator("#connection-2").get_by_role("button", name="Record the outcome"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Outcome of the signpost recorded")).to_be_visible()
    statuses = dict(referral.connections.values_list("number", "status"))
    assert statuses == {1: ConnectionStatus.ATTENDED, 2: ConnectionStatus.TOOK_UP}

    # The review: a contact marked as the review (the page said one is needed before discharging).
    expect(page.locator("#review-needed")).to_contain_text("A review is needed")
    open_details(page, "Record a contact or an attempt to reach them")
    record_contact(page, review=True)
    expect(page.locator("#review-needed")).to_have_count(0)

    # At the review: her goal is achieved, on the plan ...
    tab_to(page, page.get_by_role("link", name=re.compile(r"^What matters to them, their goals")), limit=LONG_PAGE)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name=f"Change goal: {goal}"), limit=LONG_PAGE)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change a goal")
    check_page(page, "link worker: change a goal")
    choose_radio(page, page.locator("#id_goal-status"), "Achieved")
    tab_to(page, page.get_by_role("button", name="Save the goal"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Goal saved.")).to_be_visible()
    expect(page.locator("#goals ~ dl").first).to_contain_text("Achieved")
    assert list(referral.care_plan.goals.values_list("status", flat=True)) == ["achieved"]
    tab_to(page, page.get_by_role("link", name="Back to the referral"), limit=LONG_PAGE)
    page.keyboard.press("Enter")

    # ... and her "after" wellbeing scores (ONS4, 0 to 10), asked at the review.
    tab_to(page, page.get_by_role("link", name=re.compile(r"^Record their .after. wellbeing scores")), limit=LONG_PAGE)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wellbeing (ONS4)")
    after = {"life_satisfaction": 7, "worthwhile": 8, "happiness": 6, "anxiety": 3}
    choose_radio(page, page.locator("#id_ons4-stage"), "Review")
    for question, score in after.items():
        choose_radio(page, page.locator(f"#id_ons4-{question}"), str(score))
    tab_to(page, page.get_by_role("button", name="Record answers"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Wellbeing answers recorded.")).to_be_visible()
    check_page(page, "link worker: wellbeing answers recorded")
    review_scores = WellbeingScore.objects.get(referral=referral, stage="review")
    assert {question: getattr(review_scores, question) for question in after} == after
    tab_to(page, page.get_by_role("link", name="Back to the referral"), limit=LONG_PAGE)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Browne")

    # Discharge: the reason, then the summary to check, then confirm.
    open_details(page, "Discharge")
    goals_met = page.get_by_role("radio", name="Goals met")
    tab_to(page, goals_met, limit=LONG_PAGE)
    page.keyboard.press("Space")
    type_into(page, page.get_by_label(re.compile(r"^Summary for the record")), "Walking weekly; debts in hand.")
    tab_to(page, page.get_by_role("button", name="Check the discharge summary"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the discharge summary")
    expect(page.locator("main")).to_contain_text("Went to the first session")
    expect(page.locator("main")).to_contain_text("Citizens Advice Poole")
    expect(page.locator("main")).to_contain_text(f"{goal}: achieved")
    check_page(page, "link worker: discharge summary to check")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CONTACTED  # nothing final yet
    tab_to(page, page.get_by_role("button", name="Confirm discharge"), limit=LONG_PAGE)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/referrals/{referral.pk}/#discharge$"))
    expect(page.get_by_role("alert").filter(has_text="is discharged")).to_be_visible()
    expect(page.get_by_role("heading", name="Discharge summary")).to_be_visible()
    check_page(page, "link worker: discharged")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DISCHARGED and referral.discharge_reason == DischargeReason.GOALS_MET
    assert referral.discharge_summary.content["contacts"]["reviewed"] is True

    # Back to the caseload: the person is among those discharged lately.
    tab_to(page, page.get_by_role("link", name="Back to my caseload"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"^Discharged in the last"))).to_be_visible()
    assert Referral.objects.get(pk=referral.pk).events.filter(action="send_to_provider").count() == 1


def test_triage_allocates_a_new_referral_with_the_keyboard(link_worker_case, page, check_page):
    base, service = link_worker_case["base"], link_worker_case["service"]
    new = make_referral(service=service, triage=link_worker_case["triage"],
                        resident=make_resident(service=service, first_name="Bo", last_name="Newcombe"))
    device = TOTPDevice.objects.get(user=link_worker_case["triage"])

    sign_in(page, f"{base}/referrals/triage/", "browser-triage", device)
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage queue")
    check_page(page, "triage: queue")

    tab_to(page, page.get_by_role("link", name=re.compile(re.escape(new.reference))))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bo Newcombe")
    check_page(page, "triage: a referral")

    # Submitting with nothing chosen: the error summary, then put it right.
    tab_to(page, page.get_by_role("button", name="Triage and allocate"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    check_page(page, "triage: errors")

    tier = page.get_by_label("Tier", exact=True)
    tab_to(page, tier)
    choose_option(page, tier, "1:1 support")
    worker = page.get_by_role("radio", name="Lou Linkworker")
    tab_to(page, worker)
    page.keyboard.press("Space")
    expect(worker).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Triage and allocate"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/referrals/triage/$"))
    expect(page.get_by_role("alert").filter(has_text=f"{new.reference} is triaged and allocated to Lou Linkworker")).to_be_visible()
    new.refresh_from_db()
    assert new.status == ReferralStatus.TRIAGED and new.link_worker == link_worker_case["link_worker"]
    assert new.tier == "one_to_one"
