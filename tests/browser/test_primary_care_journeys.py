"""Primary care's journeys (issue 13), with the keyboard alone wherever something is typed or chosen:

1. triage keys in a GP's referral and chooses the practice with the type-ahead (type, down arrow, Enter),
   and again in a browser without JavaScript ("Find practice", then the radio);
2. residents refer themselves on a phone, in the self-referral's short steps, one choosing their practice, one
   "not registered with a GP", each answering whether their GP may be told;
3. triage sees a referral fail the service's age rule and declines it as not eligible, and redirects another
   to a second Signpost service, whose triage officer finds it in their queue;
4. triage joins two records of one person (same name, date of birth and postcode);
5. a link worker discharges, seeing first where the summary goes (the practice's NHSmail address); the
   referral lists the message; a practice without NHSmail gets a letter, whose print styles hide the staff
   navigation;
6. a commissioner reads the report by GP practice and PCN.

axe (phone and desktop widths) and screenshots (``primary-care-*.png``) on every page on the way.
"""

import re
from datetime import date

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from pages.setup import ensure_site
from playwright.sync_api import expect

from factories.primarycare import make_pcn, make_practice
from factories.referrals import (
    discharge,
    make_link_worker,
    make_referral,
    make_resident,
    make_service,
    make_staff,
    make_triage,
)
from referrals.choices import (
    ContactRoute,
    DischargeReason,
    GpMessageRoute,
    NotEligibleReason,
    ReferralStatus,
    Source,
)
from referrals.gp_messages import gp_consent
from referrals.models import GpMessage, Referral
from referrals.roles import COMMISSIONERS_GROUP
from tests.accounts import current_code, sign_in_verified
from tests.browser.conftest import TIMEOUT_MS, WIDTHS, choose_option, is_focused, tab_to
from tests.browser.conftest import press as keyboard_press

pytestmark = pytest.mark.browser

PASSWORD = "a long test passphrase"
LONG_FORM = 250  # Tab presses allowed on the long forms and the referral page
NHSMAIL = "harbour.surgery@nhs.net"


@pytest.fixture
def primary_care(browser, live_server, django_db_serialized_rollback):
    """Two practices in one PCN (Harbour Surgery with an NHSmail address, Quay Medical Centre without);
    a service for Poole (18 and over) covering the PCN, with a triage officer, a link worker and a
    commissioner; and a second Signpost service (Halton) with its own triage officer. Built here, not by
    the demo command, so that each journey depends only on the pages it walks through."""
    cache.clear()  # Wagtail caches site root paths by page id, and the self-referral limit is counted there.
    ensure_site()
    pcn = make_pcn("Poole Bay PCN")
    harbour = make_practice("Harbour Surgery", ods_code="J81001", pcn=pcn, nhsmail=NHSMAIL)
    quay = make_practice("Quay Medical Centre", ods_code="J81002", pcn=pcn, nhsmail="", postcode="BH15 1HJ")
    service = make_service("Poole Bay Social Prescribing", prefixes="BH", minimum_age=18)
    service.pcns.add(pcn)
    halton = make_service("Halton Social Prescribing", prefixes="WA")
    triage = make_triage(service=service, username="pc-triage", first_name="Tam", last_name="Triage")
    triage.set_password(PASSWORD)
    triage.save()
    TOTPDevice.objects.create(user=triage, name="Authenticator app", confirmed=True)
    yield {
        "base": live_server.url, "service": service, "halton": halton, "harbour": harbour, "quay": quay,
        "triage": triage,
        "halton_triage": make_triage(service=halton, username="halton-triage"),
        "link_worker": make_link_worker(service=service, username="pc-lw", first_name="Lou", last_name="Linkworker"),
        "commissioner": make_staff(COMMISSIONERS_GROUP, service=service, username="pc-commissioner"),
    }
    cache.clear()


# --- Helpers: the keyboard alone (Tab, Shift+Tab, Space, arrows, Enter and typing). ---


def sign_in_as(context, base: str, user) -> None:
    """A session that has passed both factors (the full sign-in is walked once, in the first journey)."""
    context.clear_cookies()
    session = sign_in_verified(Client(), user).session
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base}])


def type_into(page, field, text: str, *, limit: int = LONG_FORM) -> None:
    tab_to(page, field, limit=limit)
    page.keyboard.type(text)


def press(page, control, *, key: str = "Enter", limit: int = LONG_FORM) -> None:
    keyboard_press(page, control, key=key, limit=limit)


def tick(page, box) -> None:
    tab_to(page, box, limit=LONG_FORM)
    page.keyboard.press("Space")
    expect(box).to_be_checked()


def choose_radio(page, group, label: str) -> None:
    """Tab into a group of radios (focus lands on its checked radio, or its first), then Space on ``label`` if it
    has focus, or the down arrow until ``label`` is checked."""
    for _ in range(LONG_FORM):
        if group.evaluate("g => g.contains(document.activeElement)"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError(f"{group} never received focus")
    target = group.get_by_role("radio", name=label, exact=True)
    if is_focused(target):
        page.keyboard.press("Space")
    for _ in range(group.get_by_role("radio").count()):
        if target.is_checked():
            break
        page.keyboard.press("ArrowDown")
    expect(target).to_be_checked()


def group(page, legend) -> object:
    """The fieldset whose legend says ``legend`` (a string or a pattern)."""
    return page.locator("fieldset").filter(has=page.locator("legend", has_text=legend)).last


def date_of_birth(page, born: date) -> None:
    for part, value in (("Day", born.day), ("Month", born.month), ("Year", born.year)):
        type_into(page, page.get_by_label(part, exact=True), str(value))


def practices_in_type_ahead(page, typed: str, practice: str) -> None:
    """Type part of a practice's name into the chooser's combobox, arrow down to ``practice``, Enter."""
    box = page.get_by_role("combobox", name="Search by practice name, code or postcode")
    type_into(page, box, typed)
    option = page.get_by_role("option", name=re.compile(re.escape(practice)))
    expect(option).to_be_visible()
    for _ in range(page.get_by_role("option").count()):
        page.keyboard.press("ArrowDown")
        if option.get_attribute("aria-selected") == "true":
            break
    expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(page.get_by_role("radio", name=practice, exact=True)).to_be_checked()
    expect(box).to_have_value(practice)


def fill_staff_referral(page, *, first_name: str, last_name: str) -> None:
    """The staff form's fields up to the practice chooser: a GP's referral, the person, born 1950, in Poole."""
    choose_radio(page, group(page, "Where does the referral come from?"), "Primary care (a GP practice)")
    type_into(page, page.get_by_label("Referrer's name"), "Dr Ann Patel")
    type_into(page, page.get_by_label("First name", exact=True), first_name)
    type_into(page, page.get_by_label("Last name", exact=True), last_name)
    date_of_birth(page, date(1950, 4, 3))
    type_into(page, page.get_by_label("Postcode", exact=True), "BH15 1AB")


def finish_staff_referral(page) -> None:
    """After the practice: by phone, with their consent (to the referral and to telling their GP); save."""
    choose_radio(page, group(page, "How should we contact them?"), "Phone call")
    type_into(page, page.get_by_label("Phone number", exact=True), "07700 900111")
    tick(page, page.get_by_label("The person agrees to being referred to social prescribing"))
    tick(page, page.get_by_label(re.compile(r"^The person agrees to their GP practice being told")))
    press(page, page.get_by_role("button", name="Save referral"))
    expect(page.get_by_role("alert").filter(has_text=re.compile(r"Referral SP-\w+ saved"))).to_be_visible()


def alert(page, text):
    return page.get_by_role("alert").filter(has_text=text)


# --- 1. Triage keys in a GP's referral and chooses the practice. ---


def test_triage_chooses_the_practice_with_the_type_ahead_and_without_javascript(primary_care, browser, page,
                                                                                 check_page, report):
    base, harbour, quay = primary_care["base"], primary_care["harbour"], primary_care["quay"]

    # Signing in as everyone does: the password, then the code from the authenticator app.
    page.goto(f"{base}/referrals/triage/new/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    type_into(page, page.get_by_label(re.compile(r"\bUsername\b")), "pc-triage")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    type_into(page, page.get_by_label("Security code"), current_code(TOTPDevice.objects.get(user__username="pc-triage")))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/referrals/triage/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New referral")

    fill_staff_referral(page, first_name="Rosa", last_name="Marsh")
    practices_in_type_ahead(page, "harb", "Harbour Surgery")
    check_page(page, "primary care: new referral, practice chosen with the type-ahead")
    finish_staff_referral(page)
    rosa = Referral.objects.get(resident__last_name="Marsh")
    assert rosa.resident.practice == harbour and not rosa.resident.has_no_gp
    assert rosa.source == Source.PRIMARY_CARE and gp_consent(rosa) == "given"
    expect(page.get_by_role("heading", level=1)).to_have_text("Rosa Marsh")

    # The same form without JavaScript: search ("Find practice" sends the form back with the matches), then choose.
    no_js = browser.new_context(java_script_enabled=False, viewport={"width": WIDTHS[-1], "height": 900},
                                locale="en-GB")
    no_js.set_default_timeout(TIMEOUT_MS)
    try:
        sign_in_as(no_js, base, primary_care["triage"])
        tab = no_js.new_page()
        tab.goto(f"{base}/referrals/triage/new/")
        fill_staff_referral(tab, first_name="Sid", last_name="Quayle")
        query = tab.get_by_label("Search by practice name, code or postcode")
        expect(query).not_to_have_attribute("role", "combobox")  # no script: a plain search box
        type_into(tab, query, "quay")
        press(tab, tab.get_by_role("button", name="Find practice"))
        expect(tab.get_by_text("1 open practice matches “quay”.")).to_be_visible()
        expect(tab.get_by_label("Last name", exact=True)).to_have_value("Quayle")  # nothing typed is lost
        choose_radio(tab, tab.locator("#id_practice_choice"), "Quay Medical Centre")
        tab.screenshot(path=str(report.folder / "primary-care-new-referral-without-javascript-1280.png"),
                       full_page=True)
        finish_staff_referral(tab)
    finally:
        no_js.close()
    sid = Referral.objects.get(resident__last_name="Quayle")
    assert sid.resident.practice == quay


# --- 2. Residents refer themselves on a phone. ---


def self_refer(page, base: str, *, first_name: str, phone: str, practice: tuple[str, str] | None, tell_gp: str,
               check_page=None, name: str = "") -> Referral:
    """The self-referral's short steps (issue 15) up to "Check your answers"; the GP step is checked (axe and
    screenshots) as ``name`` once the practice is chosen."""
    page.goto(f"{base}/refer-yourself/")
    expect(page.get_by_role("heading", level=1)).to_have_text("About you")
    type_into(page, page.get_by_label("First name", exact=True), first_name)
    type_into(page, page.get_by_label("Last name", exact=True), "Harbourne")
    date_of_birth(page, date(1961, 8, 21))
    type_into(page, page.get_by_label("Postcode", exact=True), "BH15 1AB")
    press(page, page.get_by_role("button", name="Continue"))
    choose_radio(page, group(page, "How should we contact you?"), "Text message")
    press(page, page.get_by_role("button", name="Continue"))
    type_into(page, page.get_by_label("What is your mobile phone number?", exact=True), phone)
    press(page, page.get_by_role("button", name="Continue"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your GP practice")
    if practice is not None:
        practices_in_type_ahead(page, *practice)
    else:
        choose_radio(page, page.locator("#id_practice_choice"), "I am not registered with a GP")
    if check_page is not None:
        check_page(page, name)
    press(page, page.get_by_role("button", name="Continue"))
    type_into(page, page.get_by_label(re.compile(r"what matters to you")), "Meeting people near home.")
    press(page, page.get_by_role("button", name="Continue"))
    press(page, page.get_by_role("button", name="Continue"))  # taking part: nothing to add
    tick(page, page.get_by_label("I agree to being referred to the social prescribing service"))
    choose_radio(page, group(page, "Can we tell your GP practice"), tell_gp)
    press(page, page.get_by_role("button", name="Continue"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before sending")
    return page


def test_residents_choose_their_practice_on_a_phone(primary_care, page, check_page):
    base, quay = primary_care["base"], primary_care["quay"]
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})

    self_refer(page, base, first_name="Pat", phone="07700 900222", practice=("medical", "Quay Medical Centre"),
               tell_gp="Yes", check_page=check_page, name="primary care: self-referral, practice chosen on a phone")
    press(page, page.get_by_role("button", name="Send my referral"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral sent")
    check_page(page, "primary care: self-referral sent")
    pat = Referral.objects.get(resident__first_name="Pat")
    assert pat.source == Source.SELF and pat.resident.practice == quay and gp_consent(pat) == "given"

    self_refer(page, base, first_name="Nell", phone="07700 900333", practice=None, tell_gp="No",
               check_page=check_page, name="primary care: self-referral, not registered with a GP")
    press(page, page.get_by_role("button", name="Send my referral"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral sent")
    nell = Referral.objects.get(resident__first_name="Nell")
    assert nell.resident.practice is None and nell.resident.has_no_gp
    assert gp_consent(nell) == "refused"
    assert nell.resident.preferred_contact == ContactRoute.TEXT


# --- 3. Triage: not eligible, and redirected to another Signpost service. ---


def sixteen_today() -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - 16, day=min(today.day, 28))


def test_triage_declines_an_ineligible_referral_and_redirects_another(primary_care, context, page, check_page):
    base, service = primary_care["base"], primary_care["service"]
    young = make_referral(service=service, triage=primary_care["triage"], resident=make_resident(
        service=service, first_name="Kit", last_name="Young", date_of_birth=sixteen_today(),
        practice=primary_care["harbour"]))
    elsewhere = make_referral(service=service, triage=primary_care["triage"], resident=make_resident(
        service=service, first_name="Wyn", last_name="Halton", date_of_birth=date(1970, 1, 5)))
    sign_in_as(context, base, primary_care["triage"])

    page.goto(f"{base}/referrals/triage/")
    press(page, page.get_by_role("link", name=re.compile(re.escape(young.reference))))
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage: Kit Young")
    check = page.get_by_role("table", name="The eligibility check")
    expect(check.get_by_role("row").filter(has_text="Aged 18 or over")).to_contain_text("Aged 16 on the day received")
    expect(page.locator("#eligibility-summary")).to_contain_text("1 rule not met (aged 18 or over)")
    check_page(page, "primary care: triage, eligibility rule not met")

    choose_radio(page, group(page, "Why the person is not eligible"), NotEligibleReason.AGE.label)
    type_into(page, page.get_by_label(re.compile(r"^More about the reason")), "Kit is 16: the youth service can help.")
    press(page, page.get_by_role("button", name="Decline as not eligible"))
    expect(alert(page, f"{young.reference} is declined as not eligible")).to_be_visible()
    young.refresh_from_db()
    assert young.status == ReferralStatus.NOT_ELIGIBLE and young.not_eligible_reason == NotEligibleReason.AGE

    page.goto(f"{base}/referrals/{young.pk}/")
    expect(page.locator("main .nhsuk-tag").first).to_have_text("Not eligible")
    expect(page.locator("#triage-answer + dl")).to_contain_text(NotEligibleReason.AGE.label)
    check_page(page, "primary care: referral not eligible")

    # Redirect the other to Halton, which uses Signpost: the referral is handed over to its triage queue.
    page.goto(f"{base}/referrals/triage/{elsewhere.pk}/")
    expect(page.locator("#eligibility-summary")).to_contain_text("Every rule Signpost can check is met")
    to_service = page.get_by_label("A service that uses Signpost")
    tab_to(page, to_service, limit=LONG_FORM)
    choose_option(page, to_service, "Halton Social Prescribing")
    type_into(page, page.get_by_label("Why the referral is for that service"), "Wyn has moved to Widnes.")
    press(page, page.get_by_role("button", name="Redirect the referral"))
    expect(alert(page, f"{elsewhere.reference} is redirected to Halton Social Prescribing")).to_be_visible()
    elsewhere.refresh_from_db()
    handed_over = elsewhere.redirected_referral
    assert elsewhere.status == ReferralStatus.REDIRECTED and handed_over.service == primary_care["halton"]

    sign_in_as(context, base, primary_care["halton_triage"])
    page.goto(f"{base}/referrals/triage/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage queue")
    press(page, page.get_by_role("link", name=re.compile(re.escape(handed_over.reference))))
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage: Wyn Halton")
    expect(page.locator("#handed-over")).to_contain_text(f"Handed over by Poole Bay Social Prescribing "
                                                         f"(their reference {elsewhere.reference})")
    check_page(page, "primary care: triage, referral handed over")


# --- 4. Two records, one person. ---


def test_triage_joins_two_records_of_one_person(primary_care, context, page, check_page):
    base, service, triage = primary_care["base"], primary_care["service"], primary_care["triage"]
    same = {"first_name": "Ivy", "last_name": "Tanner", "date_of_birth": date(1948, 2, 14), "postcode": "BH15 1AB"}
    earlier = make_referral(service=service, triage=triage, status=ReferralStatus.DECLINED_BY_PERSON,
                            resident=make_resident(service=service, **same))
    later = make_referral(service=service, triage=triage, resident=make_resident(
        service=service, **{**same, "postcode": "bh15 1ab", "phone": "07700 900444"}))
    assert earlier.resident_id != later.resident_id
    sign_in_as(context, base, triage)

    page.goto(f"{base}/referrals/triage/{later.pk}/")
    expect(page.locator("#possible-matches")).to_be_visible()
    press(page, page.get_by_role("link", name=re.compile(r"^Same person: join the records")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Is this the same person?")
    records = page.get_by_role("table", name="The two records")
    expect(records.get_by_role("row").filter(has_text="Referrals")).to_contain_text(earlier.reference)
    expect(records.get_by_role("row").filter(has_text="Referrals")).to_contain_text(later.reference)
    check_page(page, "primary care: same person, compare the records")
    press(page, page.get_by_role("button", name="Join the records"))
    expect(alert(page, "The records are joined")).to_be_visible()
    expect(page.locator("#possible-matches")).to_have_count(0)

    later.refresh_from_db()
    assert later.resident_id == earlier.resident_id
    page.goto(f"{base}/referrals/{later.pk}/")
    history = page.locator("#earlier-referrals + table")
    expect(history).to_contain_text(earlier.reference)
    expect(history.get_by_role("link", name=earlier.reference)).to_be_visible()
    check_page(page, "primary care: referral with the earlier referral")


# --- 5. The message back to the GP practice. ---


def test_discharge_tells_the_practice_by_nhsmail_or_by_letter(primary_care, context, page, check_page, report):
    base, service, worker = primary_care["base"], primary_care["service"], primary_care["link_worker"]
    by_email = make_referral(service=service, triage=primary_care["triage"], link_worker=worker,
                             status=ReferralStatus.CONTACTED, resident=make_resident(
                                 service=service, first_name="Mo", last_name="Harbour",
                                 practice=primary_care["harbour"]))
    by_letter = make_referral(service=service, triage=primary_care["triage"], link_worker=worker,
                              status=ReferralStatus.CONTACTED, resident=make_resident(
                                  service=service, first_name="Lee", last_name="Quay", practice=primary_care["quay"]))
    discharge(by_letter, reason=DischargeReason.MOVED_AWAY, note="Moved to Bristol.")
    sign_in_as(context, base, worker)

    page.goto(f"{base}/referrals/{by_email.pk}/")
    summary = page.locator("summary", has_text="Discharge").first
    press(page, summary)
    choose_radio(page, group(page, "Why is the person being discharged?"), DischargeReason.MOVED_AWAY.label)
    type_into(page, page.get_by_label(re.compile(r"^Summary for the record")), "Moved away; walking group in Bath.")
    press(page, page.get_by_role("button", name="Check the discharge summary"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the discharge summary")
    expect(page.locator("#gp-route")).to_contain_text(f"Will be emailed to Harbour Surgery at {NHSMAIL}")
    check_page(page, "primary care: discharge preview, where the summary goes")
    assert not GpMessage.objects.filter(referral=by_email, kind="discharge").exists()  # nothing sent yet
    press(page, page.get_by_role("button", name="Confirm discharge"))

    expect(alert(page, "is discharged")).to_be_visible()
    messages = page.locator("#gp-messages + ul")
    expect(messages.locator("#gp-message-discharge")).to_contain_text(f"emailed to Harbour Surgery at {NHSMAIL}")
    check_page(page, "primary care: referral with the message to the GP")
    sent = GpMessage.objects.get(referral=by_email, kind="discharge")
    assert sent.route == GpMessageRoute.NHSMAIL and sent.recipient == NHSMAIL

    # Quay Medical Centre has no NHSmail address: a letter to print.
    page.goto(f"{base}/referrals/{by_letter.pk}/")
    expect(page.locator("#gp-message-discharge")).to_contain_text("a letter to print and post to Quay Medical Centre")
    press(page, page.get_by_role("link", name=re.compile(r"^Print the letter")))
    expect(page.locator("article.gp-letter h1")).to_be_visible()
    check_page(page, "primary care: letter to the practice")
    staff_nav = page.get_by_role("navigation", name="Referrals")
    expect(staff_nav).to_be_visible()
    page.emulate_media(media="print")
    try:
        expect(staff_nav).to_be_hidden()
        expect(page.locator(".gp-letter-screen-only")).to_be_hidden()
        expect(page.locator("article.gp-letter")).to_be_visible()
        expect(page.locator("article.gp-letter")).to_contain_text("Quay Medical Centre")
        page.screenshot(path=str(report.folder / "primary-care-letter-printed-1280.png"),
                        full_page=True)
    finally:
        page.emulate_media(media="screen")


# --- 6. The report by GP practice and PCN. ---


def test_a_commissioner_reads_the_report_by_practice_and_pcn(primary_care, context, page, check_page):
    base, service = primary_care["base"], primary_care["service"]
    for number, practice in enumerate((primary_care["harbour"], primary_care["harbour"], primary_care["quay"])):
        make_referral(service=service, triage=primary_care["triage"],
                      resident=make_resident(service=service, last_name=f"Report{number}", practice=practice))
    sign_in_as(context, base, primary_care["commissioner"])

    page.goto(f"{base}/reports/")
    press(page, page.get_by_role("link", name=re.compile(r"by GP practice and primary care network")),
          limit=LONG_FORM)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Report by GP practice and primary care network")
    section = page.locator("section[aria-labelledby=section-pcn]")
    expect(section.locator("table").first).to_be_visible()
    expect(section.locator("table").first).to_contain_text("Poole Bay PCN")
    press(page, page.locator("summary", has_text="Poole Bay PCN"))
    expect(page.locator("#network-1 table").first).to_contain_text("Harbour Surgery")
    check_page(page, "primary care: report by GP practice and PCN")
