"""Contacts: a link worker records each contact and attempt, books the next one, and discharges as "could not be
contacted" after enough failed attempts (through the discharge summary's preview); the person is reminded the day before; the caseload shows contacts
against what the service expects, and who is past their expected length."""

from datetime import datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.utils import timezone

from factories.referrals import (
    discharge,
    make_referral,
    make_resident,
    received_earlier,
)
from referrals import contacts
from referrals.alerts import raise_alerts
from referrals.choices import (
    AlertKind,
    Channel,
    ContactMethod,
    ContactRoute,
    ContactStatus,
    DischargeReason,
    NotificationKind,
    Tier,
)
from referrals.choices import ReferralStatus as S
from referrals.errors import InvalidTransition, NotPermitted, ReferralError
from referrals.models import (
    Alert,
    AuditEntry,
    Contact,
    ContactExpectation,
    Notification,
    Referral,
)
from referrals.roles import actor_for_user


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def page_text(response) -> str:
    return " ".join(soup(response).get_text().split())


@pytest.fixture
def triaged(service, triage, link_worker):
    return received_earlier(make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED))


@pytest.fixture
def worker(link_worker):
    return actor_for_user(link_worker)


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def record(referral, worker, status=ContactStatus.HELD, *, minutes=30, at=None, method=ContactMethod.PHONE, **extra):
    return contacts.contact_record(referral=referral, actor=worker, at=at or ago(minutes=5), method=method,
                                   status=status, duration_minutes=minutes if status == ContactStatus.HELD else None,
                                   **extra)


def form(prefix: str, when: datetime, **fields) -> dict:
    local = timezone.localtime(when)
    return {f"{prefix}-day": local.day, f"{prefix}-month": local.month, f"{prefix}-year": local.year,
            f"{prefix}-time": local.strftime("%H:%M"), **{f"{prefix}-{k}": v for k, v in fields.items()}}


# Recording ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status, method", [
    (ContactStatus.HELD, ContactMethod.FACE_TO_FACE), (ContactStatus.HELD, ContactMethod.VIDEO),
    (ContactStatus.HELD, ContactMethod.GROUP), (ContactStatus.HELD, ContactMethod.ACCOMPANIED_VISIT),
    (ContactStatus.DID_NOT_ATTEND, ContactMethod.HOME_VISIT), (ContactStatus.COULD_NOT_REACH, ContactMethod.PHONE),
])
def test_each_kind_of_contact_is_recorded(triaged, worker, link_worker, status, method):
    contact = record(triaged, worker, status, method=method, note="Talked about the lunch club.")

    contact.refresh_from_db()
    assert (contact.status, contact.method, contact.recorded_by) == (status, method, link_worker)
    assert contact.duration_minutes == (30 if status == ContactStatus.HELD else None)
    assert AuditEntry.objects.filter(referral_id=triaged.pk, what__startswith="contact:").exists()


def test_the_first_held_contact_moves_the_referral_to_contacted_once(triaged, worker, link_worker):
    Alert.objects.create(referral=triaged, kind=AlertKind.NOT_CONTACTED)
    record(triaged, worker, ContactStatus.COULD_NOT_REACH)
    triaged.refresh_from_db()
    assert triaged.status == S.TRIAGED and triaged.contacted_at is None

    record(triaged, worker, minutes=45, method=ContactMethod.FACE_TO_FACE)
    record(triaged, worker, minutes=20)

    triaged.refresh_from_db()
    assert triaged.status == S.CONTACTED and triaged.contacted_at is not None
    event = triaged.events.get(action="record_contact")
    assert (event.from_status, event.to_status, event.actor) == (S.TRIAGED, S.CONTACTED, link_worker)
    assert event.note == "Face to face, 45 minutes" and event.at == triaged.contacted_at
    alert = Alert.objects.get(referral=triaged)
    assert alert.cleared_at is not None and alert.cleared_by_action == "record_contact"


def test_the_contacts_form_on_the_referral_page(triaged, link_worker, triage, sign_in):
    client = sign_in(link_worker)
    response = client.post(f"/referrals/{triaged.pk}/contacts/", form(
        "contact", ago(hours=1), status="held", method="video", duration_minutes="50", note="Planned a walk."),
        follow=True)

    triaged.refresh_from_db()
    assert triaged.status == S.CONTACTED
    text = page_text(response)
    assert "Contact recorded." in text and "Video call" in text and "50 minutes" in text and "Planned a walk." in text
    # Triage reads the contacts but has no forms to record or book.
    triage_page = soup(sign_in(triage).get(f"/referrals/{triaged.pk}/"))
    assert "Planned a walk." in triage_page.get_text()
    assert triage_page.select_one("#record-contact") is None and triage_page.select_one("#book-contact") is None


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"status": "held", "method": "phone", "duration_minutes": "0"}, "duration_minutes", "from 1 to 600"),
        ({"status": "held", "method": "phone", "duration_minutes": "10000"}, "duration_minutes", "from 1 to 600"),
        ({"status": "held", "method": "phone"}, "duration_minutes", "Enter how long the contact lasted"),
        ({"status": "held", "duration_minutes": "30"}, "method", "Choose how the contact was made"),
        ({"method": "phone", "duration_minutes": "30"}, "status", "Say what happened"),
    ],
)
def test_bad_input_on_the_page_is_refused_with_a_clear_message_and_nothing_saved(
    triaged, link_worker, sign_in, fields, field, message
):
    response = sign_in(link_worker).post(f"/referrals/{triaged.pk}/contacts/", form("contact", ago(hours=1), **fields))

    assert response.status_code == 200
    page = soup(response)
    assert message in page.select_one(".nhsuk-error-summary").get_text()
    assert message in page.select_one(f"#id_contact-{field}-error").get_text()
    assert not Contact.objects.exists()
    triaged.refresh_from_db()
    assert triaged.status == S.TRIAGED


def test_a_held_contact_in_the_far_future_is_refused(triaged, worker, link_worker, sign_in):
    with pytest.raises(ReferralError, match="in the future") as refused:
        record(triaged, worker, at=timezone.now() + timedelta(days=400))
    assert refused.value.field == "at"

    response = sign_in(link_worker).post(f"/referrals/{triaged.pk}/contacts/", form(
        "contact", timezone.now() + timedelta(days=400), status="held", method="phone", duration_minutes="30"))
    assert response.status_code == 200
    assert "in the future" in soup(response).select_one(".nhsuk-error-summary").get_text()
    assert not Contact.objects.exists()
    triaged.refresh_from_db()
    assert triaged.status == S.TRIAGED


@pytest.mark.parametrize("minutes", [0, 601, 10_000])
def test_the_service_refuses_a_duration_out_of_bounds(triaged, worker, minutes):
    with pytest.raises(ReferralError, match="from 1 to 600"):
        record(triaged, worker, minutes=minutes)
    assert not Contact.objects.exists()


def test_only_the_allocated_link_worker_records_contacts(triaged, triage, service):
    from factories.referrals import make_link_worker

    for user in (triage, make_link_worker(service=service, username="colleague")):
        with pytest.raises(NotPermitted):
            record(triaged, actor_for_user(user))
    assert not Contact.objects.exists()


# Booking and the reminder -------------------------------------------------------------------


def test_booking_then_recording_what_happened(triaged, worker, link_worker, sign_in):
    tomorrow = timezone.localtime() + timedelta(days=1)
    response = sign_in(link_worker).post(f"/referrals/{triaged.pk}/contacts/book/", form(
        "book", tomorrow.replace(hour=10, minute=30), method="home_visit"), follow=True)
    contact = Contact.objects.get()
    assert contact.status == ContactStatus.BOOKED and contact.method == ContactMethod.HOME_VISIT
    assert "Contact booked for" in page_text(response)

    # What happened cannot be recorded before it has: only a cancellation.
    with pytest.raises(ReferralError, match="in the future"):
        contacts.contact_record_result(contact=contact, actor=worker, status=ContactStatus.HELD, duration_minutes=30)
    Contact.objects.filter(pk=contact.pk).update(at=ago(hours=1))
    contact.refresh_from_db()
    response = sign_in(link_worker).post(f"/referrals/{triaged.pk}/contacts/{contact.pk}/result/", {
        f"result-{contact.pk}-status": "held", f"result-{contact.pk}-duration_minutes": "55"}, follow=True)
    contact.refresh_from_db()
    triaged.refresh_from_db()
    assert contact.status == ContactStatus.HELD and contact.duration_minutes == 55
    assert triaged.status == S.CONTACTED
    with pytest.raises(InvalidTransition, match="already recorded as held"):
        contacts.contact_record_result(contact=contact, actor=worker, status=ContactStatus.DID_NOT_ATTEND)


def test_a_contact_cannot_be_booked_in_the_past(triaged, worker):
    with pytest.raises(ReferralError, match="must be in the future"):
        contacts.contact_book(referral=triaged, actor=worker, at=ago(hours=2), method=ContactMethod.PHONE)
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    "route, resident_fields, channel",
    [
        (ContactRoute.EMAIL, {}, Channel.EMAIL),
        (ContactRoute.TEXT, {"phone": "07700 900123"}, Channel.TEXT),
        (ContactRoute.PHONE, {}, Channel.PHONE_TASK),
        (ContactRoute.LETTER, {}, Channel.LETTER_TASK),
    ],
)
def test_the_reminder_is_queued_once_the_day_before_by_the_preferred_route(
    service, triage, link_worker, worker, route, resident_fields, channel
):
    resident = make_resident(service=service, preferred_contact=route, **resident_fields)
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED,
                             resident=resident)
    today = timezone.localdate()
    ten_am = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(hours=10)
    booked = Contact.objects.create(referral=referral, at=ten_am + timedelta(days=1, minutes=30),
                                    method=ContactMethod.FACE_TO_FACE, recorded_by_label="Lee")
    Contact.objects.create(referral=referral, at=ten_am + timedelta(days=2), method=ContactMethod.PHONE,
                           recorded_by_label="Lee")  # the day after tomorrow: not yet
    Contact.objects.create(referral=referral, at=ten_am + timedelta(days=1), method=ContactMethod.PHONE,
                           status=ContactStatus.CANCELLED, recorded_by_label="Lee")  # cancelled: never

    assert contacts.queue_contact_reminders(now=ten_am - timedelta(hours=5)) == 0  # 5am: it waits for the day
    assert contacts.queue_contact_reminders(now=ten_am) == 1
    assert contacts.queue_contact_reminders(now=ten_am + timedelta(hours=1)) == 0

    reminder = Notification.objects.get(kind=NotificationKind.CONTACT_REMINDER)
    assert reminder.channel == channel
    if channel == Channel.EMAIL:
        assert reminder.recipient == resident.email and "10:30am" in reminder.body
    if channel in (Channel.PHONE_TASK, Channel.LETTER_TASK):
        assert reminder.recipient_user == link_worker
    booked.refresh_from_db()
    assert booked.reminder_queued_at == ten_am


def test_the_reminder_command(triaged, worker):
    Contact.objects.create(referral=triaged, at=timezone.now() + timedelta(days=1), method=ContactMethod.PHONE,
                           recorded_by_label="Lee")
    call_command("queue_contact_reminders")  # whatever the hour: it says what it did, and never fails


# Could not be contacted --------------------------------------------------------------------


def test_discharging_as_not_contactable_needs_the_services_number_of_attempts(triaged, worker, link_worker,
                                                                               sign_in):
    assert triaged.service.attempts_before_not_contactable == 3
    record(triaged, worker, ContactStatus.COULD_NOT_REACH)
    record(triaged, worker, ContactStatus.DID_NOT_ATTEND, method=ContactMethod.FACE_TO_FACE)
    client = sign_in(link_worker)
    page = soup(client.get(f"/referrals/{triaged.pk}/"))
    assert "Attempts to reach them so far: 2 of 3" in " ".join(page.get_text().split())
    assert page.select_one("#not-contactable") is None

    with pytest.raises(ReferralError, match="2 of 3 so far"):
        contacts.discharge_not_contactable_preview(referral=triaged, actor=worker)
    # The discharge form is held to the same rule.
    response = client.post(f"/referrals/{triaged.pk}/discharge/", {"discharge-reason": "not_contactable"})
    assert "2 of 3 so far" in soup(response).select_one(".nhsuk-error-summary").get_text()
    response = client.post(f"/referrals/{triaged.pk}/contacts/not-contactable/", {})
    assert "2 of 3 so far" in soup(response).select_one(".nhsuk-error-summary").get_text()
    triaged.refresh_from_db()
    assert triaged.status == S.TRIAGED

    record(triaged, worker, ContactStatus.COULD_NOT_REACH)
    assert soup(client.get(f"/referrals/{triaged.pk}/")).select_one("#not-contactable form") is not None
    response = client.post(f"/referrals/{triaged.pk}/contacts/not-contactable/",
                           {"not_contactable-note": "Three calls, no answer."})
    # The same summary to check as any discharge, with its reason.
    assert response.status_code == 200
    preview = soup(response)
    assert "Check the discharge summary" in preview.h1.get_text()
    assert "3 attempts did not reach them" in page_text(response) and "Could not be contacted" in page_text(response)
    triaged.refresh_from_db()
    assert triaged.status == S.TRIAGED  # nothing final until confirmed
    form = preview.select_one("form[action$='/discharge/confirm/']")
    data = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
    assert data["confirm-reason"] == DischargeReason.NOT_CONTACTABLE
    response = client.post(f"/referrals/{triaged.pk}/discharge/confirm/", data, follow=True)

    triaged.refresh_from_db()
    assert triaged.status == S.DISCHARGED and triaged.discharge_reason == DischargeReason.NOT_CONTACTABLE
    assert triaged.discharge_note == "Three calls, no answer."
    assert "is discharged" in page_text(response) and "Could not be contacted" in page_text(response)
    told = Notification.objects.get(referral=triaged, kind=NotificationKind.NOT_CONTACTABLE_TO_REFERRER)
    assert told.channel == Channel.EMAIL and told.recipient == triaged.referrer_email
    assert "after 3 attempts" in told.body
    assert not Notification.objects.filter(referral=triaged, kind=NotificationKind.FEEDBACK_TO_REFERRER).exists()


def test_the_referrer_is_not_told_without_consent_to_feedback(service, triage, link_worker):
    from referrals.choices import ConsentPurpose

    referral = received_earlier(make_referral(service=service, triage=triage, link_worker=link_worker,
                                              status=S.TRIAGED, consents={ConsentPurpose.REFERRAL: True}))
    worker = actor_for_user(link_worker)
    for _ in range(3):
        record(referral, worker, ContactStatus.COULD_NOT_REACH)
    discharge(referral, reason=DischargeReason.NOT_CONTACTABLE)
    assert not Notification.objects.filter(referral=referral, kind=NotificationKind.NOT_CONTACTABLE_TO_REFERRER)


def test_once_a_contact_is_held_the_referral_is_not_discharged_as_not_contactable(triaged, worker):
    for _ in range(3):
        record(triaged, worker, ContactStatus.COULD_NOT_REACH)
    record(triaged, worker)
    with pytest.raises(ReferralError, match="has been contacted"):
        contacts.discharge_not_contactable_preview(referral=triaged, actor=worker)


# Expectations on the caseload --------------------------------------------------------------


def test_the_caseload_shows_contacts_against_the_expectation_and_who_is_past_it(service, triage, link_worker, worker,
                                                                               sign_in):
    expected = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    Referral.objects.filter(pk=expected.pk).update(received_at=ago(weeks=15))
    for weeks in (14, 10, 2):
        record(expected, worker, at=ago(weeks=weeks))
    ContactExpectation.objects.create(service=service, tier=Tier.ONE_TO_ONE, min_contacts=6, max_contacts=12,
                                      within_weeks=12)

    text = page_text(sign_in(link_worker).get("/referrals/"))
    assert "Contacts: 3 of 6-12" in text
    assert "Past expected length" in text

    # The alert follows: raised once, and cleared by a held review contact.
    assert raise_alerts()[AlertKind.PAST_EXPECTED_LENGTH] == 1
    assert raise_alerts()[AlertKind.PAST_EXPECTED_LENGTH] == 0
    record(expected, worker, is_review=True)
    assert not Alert.objects.open().filter(kind=AlertKind.PAST_EXPECTED_LENGTH).exists()
    assert "Past expected length" not in page_text(sign_in(link_worker).get("/referrals/"))
    assert raise_alerts()[AlertKind.PAST_EXPECTED_LENGTH] == 0


def test_a_tier_with_no_expectation_says_so_and_is_never_past_it(triaged, worker, link_worker, sign_in):
    Referral.objects.filter(pk=triaged.pk).update(received_at=ago(weeks=53))
    triaged.refresh_from_db()
    record(triaged, worker, at=ago(weeks=52))
    text = page_text(sign_in(link_worker).get("/referrals/"))
    assert "Contacts: 1 (no expectation set)" in text and "Past expected length" not in text
    assert "No expectation set for 1:1 support" in page_text(sign_in(link_worker).get(f"/referrals/{triaged.pk}/"))
    assert raise_alerts()[AlertKind.PAST_EXPECTED_LENGTH] == 0


# The API ------------------------------------------------------------------------------------


def test_the_api_lists_records_and_updates_contacts(triaged, link_worker, sign_in):
    client = sign_in(link_worker)
    base = f"/api/v1/referrals/{triaged.reference}/contacts/"
    created = client.post(base, {"at": ago(minutes=30).isoformat(), "method": "phone", "status": "held",
                                 "duration_minutes": 25, "note": "Good chat."}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["held"] == 1 and created.json()["results"][0]["note"] == "Good chat."
    triaged.refresh_from_db()
    assert triaged.status == S.CONTACTED

    booked = client.post(base, {"at": (timezone.now() + timedelta(days=3)).isoformat(), "method": "video",
                                "status": "booked"}, content_type="application/json")
    assert booked.status_code == 201
    contact_id = booked.json()["results"][0]["id"]
    cancelled = client.post(f"{base}{contact_id}/result/", {"status": "cancelled"}, content_type="application/json")
    assert cancelled.status_code == 200 and cancelled.json()["results"][0]["status"] == "cancelled"

    bad = client.post(base, {"at": ago(minutes=5).isoformat(), "method": "phone", "status": "held",
                             "duration_minutes": 0}, content_type="application/json")
    assert bad.status_code == 400 and "duration_minutes" in bad.json()
    future = client.post(base, {"at": (timezone.now() + timedelta(days=400)).isoformat(), "method": "phone",
                                "status": "held", "duration_minutes": 20}, content_type="application/json")
    assert future.status_code == 400 and "in the future" in str(future.json())
    missing = client.post(base, {"at": ago(minutes=5).isoformat(), "status": "held", "duration_minutes": 20},
                          content_type="application/json")
    assert missing.status_code == 400 and "method" in missing.json()
    assert Contact.objects.filter(referral=triaged).count() == 2
    assert client.get(base).status_code == 200
    assert AuditEntry.objects.filter(referral_id=triaged.pk, what="API: contacts").exists()


def test_the_old_record_contact_step_still_works_in_the_api(triaged, link_worker, sign_in):
    response = sign_in(link_worker).post(f"/api/v1/referrals/{triaged.reference}/record-contact/", {"note": "Rang."},
                                         content_type="application/json")
    assert response.status_code == 200
    triaged.refresh_from_db()
    assert triaged.status == S.CONTACTED


def test_administrators_set_expectations_as_snippets_with_clear_checks(service):
    from django.core.exceptions import ValidationError
    from wagtail.snippets.models import get_snippet_models

    assert ContactExpectation in get_snippet_models()
    with pytest.raises(ValidationError) as refused:
        ContactExpectation(service=service, tier=Tier.FOLLOW_UP, min_contacts=12, max_contacts=6,
                           within_weeks=12).full_clean()
    assert "cannot be fewer than the fewest" in str(refused.value)
