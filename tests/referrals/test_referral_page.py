"""The referral page as the social prescribing team sees it: details, consents, timeline, and each step through HTTP."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from directory.choices import ActivityStatus
from referrals.choices import (
    SNOMED_DECLINED,
    AlertKind,
    AuditAction,
    Channel,
    ConsentPurpose,
    NotificationKind,
    ReferralStatus as S,
)
from factories.referrals import ALL_CONSENTS, first_session_held, make_link_worker, make_referral, make_triage
from referrals.models import Alert, AuditEntry, Consent


def url(referral) -> str:
    return f"/referrals/{referral.pk}/"


def step(referral, action: str) -> str:
    return f"/referrals/{referral.pk}/steps/{action}/"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def offered_steps(page) -> set[str]:
    return {form["action"].rstrip("/").rsplit("/", 1)[-1] for form in page.select("form[action*='/steps/']")}


@pytest.fixture
def contacted(service, triage, link_worker):
    return make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)


def test_the_link_worker_sees_the_person_the_referral_and_its_timeline(service, triage, link_worker, contacted, sign_in):
    Alert.objects.create(referral=contacted, kind=AlertKind.NOT_CONTACTED)

    response = sign_in(link_worker).get(url(contacted))

    assert response.status_code == 200
    page = soup(response)
    text = page.get_text(" ", strip=True)
    resident = contacted.resident
    assert resident.full_name in page.h1.get_text()
    for detail in (resident.phone, resident.email, resident.postcode, "Getting out of the house", "Dr A Patel",
                   "Harbour Surgery", "Not contacted within 48 hours"):
        assert detail in text
    timeline = page.find(id="timeline").find_next("ol").get_text(" ", strip=True)
    assert "Referral received" in timeline and "Tina Triage" in timeline and "Spoke on the phone." in timeline
    assert "From “Triaged” to “Contacted”" in timeline
    consents = page.find(id="consent").find_next("ul").get_text(" ", strip=True)
    assert "Sharing contact details with the activity provider" in consents
    assert offered_steps(page) == {"choose_activity", "person_declines", "close"}


def test_every_view_of_the_referral_page_is_audited(service, triage, link_worker, contacted, sign_in):
    client = sign_in(link_worker)
    client.get(url(contacted))
    client.get(url(contacted))
    sign_in(triage).get(url(contacted))

    views = AuditEntry.objects.filter(referral_id=contacted.pk, action=AuditAction.VIEW, what="referral page")
    assert views.filter(actor=link_worker).count() == 2
    assert views.filter(actor=triage).count() == 1
    assert views.first().resident_id == contacted.resident_id
    assert views.first().path == url(contacted)


def test_triage_sees_the_referral_and_may_move_it_but_not_take_the_link_workers_steps(contacted, triage, sign_in):
    page = soup(sign_in(triage).get(url(contacted)))

    assert offered_steps(page) == {"person_declines", "close"}
    assert page.find("a", string="Move to another link worker") is not None


def test_recording_first_contact_moves_the_referral_and_clears_the_alert(service, triage, link_worker, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    Alert.objects.create(referral=referral, kind=AlertKind.NOT_CONTACTED)

    # First contact is a held contact recorded in the page's Contacts section (the old step's form is gone).
    assert soup(sign_in(link_worker).get(url(referral))).select_one("details#record-contact[open]") is not None
    now = timezone.localtime()
    response = sign_in(link_worker).post(f"{url(referral)}contacts/", {
        "contact-status": "held", "contact-day": now.day, "contact-month": now.month, "contact-year": now.year,
        "contact-time": "00:00", "contact-method": "phone", "contact-duration_minutes": "20",
        "contact-note": "Rang, chatted.",
    }, follow=True)

    referral.refresh_from_db()
    assert referral.status == S.CONTACTED and referral.contacted_at is not None
    event = referral.events.get(action="record_contact")
    assert event.actor == link_worker and event.from_status == S.TRIAGED and event.note == "Phone, 20 minutes"
    assert referral.contacts.get().note == "Rang, chatted."
    assert not referral.alerts.open().exists()
    assert response.redirect_chain[-1][0] == url(referral) + "#contacts"
    assert "Contact recorded." in soup(response).select_one(".nhsuk-notification-banner--success").get_text()


def test_choosing_an_activity_then_sending_it_to_the_provider(contacted, link_worker, activity, sign_in):
    client = sign_in(link_worker)
    page = soup(client.get(url(contacted), {"activity": activity.pk}))
    chosen = page.select_one("select[name='choose_activity-activity'] option[selected]")
    assert chosen is not None and chosen["value"] == str(activity.pk)  # prefilled from the search

    client.post(step(contacted, "choose_activity"), {"choose_activity-activity": activity.pk})
    contacted.refresh_from_db()
    assert contacted.status == S.ACTIVITY_CHOSEN and contacted.activity_id == activity.pk

    client.post(step(contacted, "send_to_provider"), {})
    contacted.refresh_from_db()
    assert contacted.status == S.SENT_TO_PROVIDER
    assert contacted.notifications.filter(kind=NotificationKind.NEW_REFERRAL_FOR_PROVIDER).exists()


def test_an_activity_that_is_not_running_cannot_be_chosen(contacted, link_worker, activity, sign_in):
    activity.status = ActivityStatus.CLOSED
    activity.save_revision().publish()

    response = sign_in(link_worker).post(step(contacted, "choose_activity"), {"choose_activity-activity": activity.pk})

    assert "Choose an activity that is running now." in soup(response).select_one(".nhsuk-error-summary").get_text()
    contacted.refresh_from_db()
    assert contacted.status == S.CONTACTED and contacted.activity is None


def test_sending_without_consent_to_share_is_refused_with_an_error_summary_and_changes_nothing(
    service, triage, link_worker, activity, sign_in
):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.ACTIVITY_CHOSEN,
                             consents={**ALL_CONSENTS, ConsentPurpose.SHARE_WITH_PROVIDER: False})
    events = referral.events.count()

    response = sign_in(link_worker).post(step(referral, "send_to_provider"), {"send_to_provider-note": "Go"})

    assert response.status_code == 200
    page = soup(response)
    assert page.title.get_text().startswith("Error:")
    assert "has not agreed to their details being shared" in page.select_one(".nhsuk-error-summary").get_text()
    referral.refresh_from_db()
    assert referral.status == S.ACTIVITY_CHOSEN and referral.events.count() == events
    assert not referral.notifications.filter(kind=NotificationKind.NEW_REFERRAL_FOR_PROVIDER).exists()


def test_recording_consent_then_sending_succeeds(service, triage, link_worker, activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.ACTIVITY_CHOSEN,
                             consents={**ALL_CONSENTS, ConsentPurpose.SHARE_WITH_PROVIDER: False})
    client = sign_in(link_worker)

    response = client.post(f"/referrals/{referral.pk}/consents/", {
        "consent-purpose": ConsentPurpose.SHARE_WITH_PROVIDER, "consent-given": "yes", "consent-method": "verbal",
        "consent-given_by": "The person themselves",
    })
    assert response.status_code == 302
    consent = Consent.objects.get(referral=referral, purpose=ConsentPurpose.SHARE_WITH_PROVIDER, given=True)
    assert consent.recorded_by == link_worker

    client.post(step(referral, "send_to_provider"), {})
    referral.refresh_from_db()
    assert referral.status == S.SENT_TO_PROVIDER


def test_a_consent_form_with_gaps_shows_errors_beside_the_fields(contacted, link_worker, sign_in):
    response = sign_in(link_worker).post(f"/referrals/{contacted.pk}/consents/", {"consent-purpose": "referral"})

    page = soup(response)
    summary = page.select_one(".nhsuk-error-summary")
    assert "Say whether the person agreed." in summary.get_text()
    assert page.find(id=summary.select_one("a")["href"].lstrip("#")) is not None
    assert page.find(id="record-consent").has_attr("open")


def test_withdrawing_consent(contacted, link_worker, sign_in):
    consent = contacted.consents.get(purpose=ConsentPurpose.FEEDBACK_TO_REFERRER)

    response = sign_in(link_worker).post(f"/referrals/{contacted.pk}/consents/{consent.pk}/withdraw/", follow=True)

    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_recorded_by == link_worker
    assert "Consent withdrawn" in response.content.decode()
    assert "Withdrawn" in soup(response).find(id="consent").find_next("ul").get_text()


def test_the_link_worker_records_attendance_and_closes_with_feedback_to_the_referrer(
    service, triage, link_worker, activity, sign_in
):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.FIRST_SESSION_BOOKED)
    client = sign_in(link_worker)
    assert {"record_attendance", "record_did_not_attend", "cancel_first_session", "mark_resident_notified"} <= \
        offered_steps(soup(client.get(url(referral))))

    # Before the session has started, whether the person came cannot be known.
    too_early = client.post(step(referral, "record_attendance"), {"record_attendance-note": "Loved it."})
    assert "Record whether the person attended once it has started" in too_early.content.decode()
    referral.refresh_from_db()
    assert referral.status == S.FIRST_SESSION_BOOKED and not referral.events.filter(action="record_attendance")

    first_session_held(referral)
    client.post(step(referral, "record_attendance"), {"record_attendance-note": "Loved it."})
    referral.refresh_from_db()
    assert referral.status == S.ATTENDED

    response = client.post(step(referral, "close"), {"close-outcome": "engaged", "close-note": "Going weekly."})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == S.CLOSED and referral.outcome == "engaged"
    assert referral.notifications.filter(kind=NotificationKind.FEEDBACK_TO_REFERRER, channel=Channel.EMAIL).exists()
    assert offered_steps(soup(client.get(url(referral)))) == set()


def test_did_not_attend_then_another_activity(service, triage, link_worker, activity, other_activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.FIRST_SESSION_BOOKED)
    first_session_held(referral)
    client = sign_in(link_worker)

    client.post(step(referral, "record_did_not_attend"), {})
    referral.refresh_from_db()
    assert referral.status == S.DID_NOT_ATTEND
    assert "Did not attend the first session" in soup(client.get(url(referral))).select_one(".nhsuk-warning-callout").get_text()

    client.post(step(referral, "choose_activity"), {"choose_activity-activity": other_activity.pk})
    referral.refresh_from_db()
    assert referral.status == S.ACTIVITY_CHOSEN and referral.activity_id == other_activity.pk
    assert not referral.alerts.open().exists()


def test_cancelling_a_first_session_needs_a_reason(service, triage, link_worker, activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.FIRST_SESSION_BOOKED)
    client = sign_in(link_worker)

    response = client.post(step(referral, "cancel_first_session"), {"cancel_first_session-note": ""})
    assert "Say why the first session is cancelled." in soup(response).select_one(".nhsuk-error-summary").get_text()
    referral.refresh_from_db()
    assert referral.status == S.FIRST_SESSION_BOOKED

    client.post(step(referral, "cancel_first_session"), {"cancel_first_session-note": "Venue flooded."})
    referral.refresh_from_db()
    assert referral.status == S.CANCELLED


def test_the_person_declines_from_the_referral_page(contacted, link_worker, sign_in):
    sign_in(link_worker).post(step(contacted, "person_declines"), {"person_declines-note": "Feeling better."})

    contacted.refresh_from_db()
    assert contacted.status == S.DECLINED_BY_PERSON and contacted.snomed_code == SNOMED_DECLINED


def test_a_step_out_of_order_shows_an_error_and_changes_nothing(contacted, link_worker, sign_in):
    events = contacted.events.count()

    response = sign_in(link_worker).post(step(contacted, "record_attendance"), {})

    assert response.status_code == 200
    assert "cannot be" in soup(response).select_one(".nhsuk-error-summary").get_text()
    contacted.refresh_from_db()
    assert contacted.status == S.CONTACTED and contacted.events.count() == events


def test_a_step_the_actor_does_not_own_is_forbidden(contacted, triage, activity, sign_in):
    client = sign_in(triage)
    events = contacted.events.count()

    assert client.post(step(contacted, "choose_activity"), {"choose_activity-activity": activity.pk}).status_code == 403
    assert client.post(f"{url(contacted)}contacts/", {}).status_code == 403
    contacted.refresh_from_db()
    assert contacted.status == S.CONTACTED and contacted.activity is None and contacted.events.count() == events


def test_an_unknown_step_is_not_found(contacted, link_worker, sign_in):
    assert sign_in(link_worker).post(step(contacted, "provider_accept"), {}).status_code == 404


def test_another_link_workers_referral_is_not_found(service, triage, contacted, sign_in):
    colleague = make_link_worker(service=service, username="casey")
    client = sign_in(colleague)

    assert client.get(url(contacted)).status_code == 404
    assert client.post(step(contacted, "close"), {"close-outcome": "other"}).status_code == 404
    assert client.post(f"/referrals/{contacted.pk}/consents/", {}).status_code == 404
    contacted.refresh_from_db()
    assert contacted.status == S.CONTACTED
    assert not AuditEntry.objects.filter(referral_id=contacted.pk, actor=colleague).exists()


def test_triage_of_another_service_gets_not_found(other_service, contacted, sign_in):
    outsider = make_triage(service=other_service, username="hal")
    assert sign_in(outsider).get(url(contacted)).status_code == 404


def test_a_provider_editor_never_sees_the_referral_page(service, triage, link_worker, activity, provider_editor,
                                                        sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.SENT_TO_PROVIDER)
    client = sign_in(provider_editor)

    response = client.get(url(referral))
    assert response.status_code in (403, 404)
    assert referral.resident.last_name not in response.content.decode()
    assert client.post(step(referral, "close"), {"close-outcome": "other"}).status_code in (403, 404)


def test_staff_without_a_verified_second_factor_are_sent_to_the_two_factor_page(contacted, link_worker, sign_in):
    response = sign_in(link_worker, verified=False).get(url(contacted))

    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/")
    assert not AuditEntry.objects.filter(referral_id=contacted.pk, action=AuditAction.VIEW).exists()


def test_a_first_session_in_the_future_shows_on_the_page(service, triage, link_worker, activity, sign_in):
    when = timezone.now() + timedelta(days=5)
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.FIRST_SESSION_BOOKED, first_session_at=when)

    text = soup(sign_in(link_worker).get(url(referral))).find(id="activity").find_next("dl").get_text(" ", strip=True)

    assert activity.title in text and timezone.localtime(when).strftime("%Y") in text
