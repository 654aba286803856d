"""Triage's other two answers: declining a referral as not eligible, and redirecting it to another service
(handed over when that service uses Signpost). The referrer is told either way."""

import pytest

from factories.directory import make_need
from factories.referrals import (
    make_link_worker,
    make_referral,
    make_resident,
    make_triage,
)
from referrals import permissions, selectors
from referrals.choices import (
    SNOMED_REFERRED,
    AlertKind,
    Channel,
    ConsentPurpose,
    ContactRoute,
    DeliveryStatus,
    NotEligibleReason,
    NotificationKind,
    ReferralStatus,
    Source,
)
from referrals.errors import InvalidTransition, NotPermitted, ReferralError
from referrals.models import Alert, Referral, Resident
from referrals.roles import actor_for_user
from referrals.triage_outcomes import referral_decline_not_eligible, referral_redirect

pytestmark = pytest.mark.django_db

NHS_NUMBER = "9434765919"


@pytest.fixture
def smtp(smtp):
    """The shared SMTP server (tests/referrals/conftest.py), started: every step sends as it commits."""
    smtp.start()
    return smtp


@pytest.fixture
def as_triage(triage):
    return actor_for_user(triage)


@pytest.fixture
def other_triage(other_service):
    return make_triage(service=other_service, username="hal", first_name="Hal")


def told(referral, kind):
    return list(referral.notifications.filter(kind=kind).order_by("pk"))


# Declining as not eligible --------------------------------------------------------------------------


def test_declining_as_not_eligible_emails_the_referrer_the_reason_and_what_to_do_instead(
        service, triage, as_triage, smtp, django_capture_on_commit_callbacks):
    service.eligibility_text = "Adults 18 and over registered with a Poole practice."
    service.save()
    referral = make_referral(service=service, triage=triage)
    Alert.objects.create(referral=referral, kind=AlertKind.NOT_CONTACTED)

    with django_capture_on_commit_callbacks(execute=True):
        declined = referral_decline_not_eligible(referral=referral, actor=as_triage, reason=NotEligibleReason.AGE,
                                                 note="Aged 16: the young people's service can help.")

    declined.refresh_from_db()
    assert declined.status == ReferralStatus.NOT_ELIGIBLE
    assert declined.not_eligible_reason == NotEligibleReason.AGE and declined.not_eligible_at is not None
    assert declined.triage_note == "Aged 16: the young people's service can help."
    # The service's answer, not the person's: still coded as a referral to social prescribing.
    assert declined.snomed_code == SNOMED_REFERRED
    assert not declined.alerts.open().exists()
    event = declined.events.get(action="decline_not_eligible")
    assert event.to_status == ReferralStatus.NOT_ELIGIBLE and "Outside the service's age range" in event.note

    [email] = told(declined, NotificationKind.NOT_ELIGIBLE_TO_REFERRER)
    assert (email.channel, email.recipient, email.status) == (
        Channel.EMAIL, "referrals@harbour-surgery.example.nhs.uk", DeliveryStatus.SENT)
    [message] = smtp.messages
    assert message["To"] == "referrals@harbour-surgery.example.nhs.uk"
    assert message["Subject"] == f"Social prescribing referral {referral.reference}: not eligible"
    body = " ".join(message.get_content().split())
    assert "Reason: Outside the service's age range. Aged 16: the young people's service can help." in body
    assert "What you can do instead: Please look for a service for the person's age group" in body
    assert "Who Poole Social Prescribing is for: Adults 18 and over registered with a Poole practice." in body
    # Out of the queue.
    assert referral.pk not in [r.pk for r in selectors.triage_queue(actor=as_triage)]


def test_the_referrer_is_told_even_without_consent_to_feedback(service, triage, as_triage):
    consents = {ConsentPurpose.REFERRAL: True, ConsentPurpose.FEEDBACK_TO_REFERRER: False}
    referral = make_referral(service=service, triage=triage, consents=consents)
    referral_decline_not_eligible(referral=referral, actor=as_triage, reason=NotEligibleReason.NOT_IN_AREA)
    [email] = told(referral, NotificationKind.NOT_ELIGIBLE_TO_REFERRER)
    assert email.channel == Channel.EMAIL and "refer the person to the service that covers" in email.body


def test_a_referrer_with_no_email_address_is_a_call_for_the_team(service, triage, as_triage):
    referral = make_referral(service=service, triage=triage,
                             referrer={"name": "Dr B Jones", "organisation": "Quay Surgery", "phone": "01202 000000"})
    referral_decline_not_eligible(referral=referral, actor=as_triage, reason=NotEligibleReason.CLINICAL_NEED)
    [task] = told(referral, NotificationKind.NOT_ELIGIBLE_TO_REFERRER)
    assert task.channel == Channel.PHONE_TASK and task.recipient_service == service
    assert "Call Dr B Jones" in task.subject
    assert "01202 000000" in task.body and "Needs a clinical service" in task.body


def test_a_self_referrer_is_told_by_their_own_route(service, triage, as_triage):
    resident = make_resident(service=service, preferred_contact=ContactRoute.TEXT)
    referral = make_referral(service=service, triage=triage, resident=resident, source=Source.SELF)
    referral_decline_not_eligible(referral=referral, actor=as_triage, reason=NotEligibleReason.IN_CRISIS)
    [text] = told(referral, NotificationKind.NOT_ELIGIBLE_TO_REFERRER)
    assert text.channel == Channel.TEXT and text.recipient == resident.phone
    assert "NHS 111" in text.body and referral.reference in text.body


@pytest.mark.parametrize(("reason", "note", "field"), [
    ("", "", "reason"),
    ("too_tall", "", "reason"),
    (NotEligibleReason.OTHER, "  ", "note"),
])
def test_declining_needs_a_reason_and_other_needs_words(service, triage, as_triage, reason, note, field):
    referral = make_referral(service=service, triage=triage)
    with pytest.raises(ReferralError) as error:
        referral_decline_not_eligible(referral=referral, actor=as_triage, reason=reason, note=note)
    assert error.value.field == field
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED and not referral.notifications.exists()


def test_only_triage_declines_and_only_a_referral_not_yet_triaged(service, triage, as_triage, link_worker):
    referral = make_referral(service=service, triage=triage)
    with pytest.raises(NotPermitted):
        referral_decline_not_eligible(referral=referral, actor=actor_for_user(link_worker),
                                      reason=NotEligibleReason.AGE)
    triaged = make_referral(service=service, triage=triage, link_worker=link_worker, status=ReferralStatus.TRIAGED)
    with pytest.raises(InvalidTransition):
        referral_decline_not_eligible(referral=triaged, actor=as_triage, reason=NotEligibleReason.AGE)
    referral_decline_not_eligible(referral=referral, actor=as_triage, reason=NotEligibleReason.AGE)
    with pytest.raises(InvalidTransition):  # final: not declined twice
        referral_decline_not_eligible(referral=referral, actor=as_triage, reason=NotEligibleReason.AGE)


# Redirecting --------------------------------------------------------------------------------------


def test_redirect_to_a_signpost_service_hands_the_referral_over(
        service, other_service, triage, as_triage, other_triage, home):
    walking, loneliness = make_need("Walking"), make_need("Loneliness")
    resident = make_resident(service=service, nhs_number="943 476 5919", first_name="Sam", last_name="Shore")
    referral = make_referral(service=service, triage=triage, resident=resident, needs=[walking, loneliness])
    Referral.objects.filter(pk=referral.pk).update(notes="Prefers mornings.")

    redirected = referral_redirect(referral=referral, actor=as_triage, to_service=other_service,
                                   note="Lives in Halton: their service covers the practice.")

    redirected.refresh_from_db()
    assert redirected.status == ReferralStatus.REDIRECTED and redirected.redirected_at is not None
    assert redirected.redirected_to_service == other_service
    assert redirected.redirected_to_name == other_service.name
    assert redirected.triage_note == "Lives in Halton: their service covers the practice."
    assert redirected.snomed_code == SNOMED_REFERRED

    new = redirected.redirected_referral
    assert new.service == other_service and new.status == ReferralStatus.RECEIVED
    assert new.reference != referral.reference
    # A new record of the person in the other service, copied from this one.
    there = new.resident
    assert there.service == other_service and there.pk != resident.pk
    assert (there.full_name, there.nhs_number, there.email) == ("Sam Shore", NHS_NUMBER, resident.email)
    assert set(new.needs.all()) == {walking, loneliness}
    assert new.what_matters == referral.what_matters and new.notes == "Prefers mornings."
    assert (new.referrer_name, new.referrer_email) == ("Dr A Patel", "referrals@harbour-surgery.example.nhs.uk")
    assert new.referred_by is None
    assert sorted(new.consents.in_force().values_list("purpose", flat=True)) == sorted(ConsentPurpose.values)
    assert all(c.resident_id == there.pk for c in new.consents.all())
    [event] = new.events.all()
    assert event.action == "create"
    assert f"Redirected from Poole Social Prescribing (their reference {referral.reference})" in event.note

    # In the other service's triage queue; each service sees its own referral only.
    theirs = actor_for_user(other_triage)
    assert [r.pk for r in selectors.triage_queue(actor=theirs)] == [new.pk]
    assert referral.pk not in [r.pk for r in selectors.triage_queue(actor=as_triage)]
    assert not Referral.objects.filter(pk=referral.pk).filter(
        pk__in=permissions.team_referrals_visible_to(theirs).values("pk")).exists()
    assert not Referral.objects.filter(pk=new.pk).filter(
        pk__in=permissions.team_referrals_visible_to(as_triage).values("pk")).exists()

    [email] = told(redirected, NotificationKind.REDIRECTED_TO_REFERRER)
    assert email.channel == Channel.EMAIL and email.recipient == "referrals@harbour-surgery.example.nhs.uk"
    assert f"redirected to {other_service.name}" in email.subject
    assert f"their reference {new.reference}" in email.body and "You do not need to refer again" in email.body
    assert "Lives in Halton" in email.body
    # The other service's referral does not tell anyone of its own arrival: the referrer was just told.
    assert not new.notifications.exists()


def test_a_person_the_other_service_knows_joins_their_record_there(
        service, other_service, triage, as_triage, home):
    known = make_resident(service=other_service, nhs_number=NHS_NUMBER, first_name="Sam", last_name="Shore")
    resident = make_resident(service=service, nhs_number=NHS_NUMBER, first_name="Samuel", last_name="Shore")
    referral = make_referral(service=service, triage=triage, resident=resident)

    redirected = referral_redirect(referral=referral, actor=as_triage, to_service=other_service, note="Their area.")

    assert redirected.redirected_referral.resident == known
    assert Resident.objects.filter(service=other_service).count() == 1
    known.refresh_from_db()
    assert known.first_name == "Sam"  # their record as they keep it


def test_redirect_to_a_service_outside_signpost_by_name(service, other_service, triage, as_triage):
    resident = make_resident(service=service, preferred_contact=ContactRoute.EMAIL)
    referral = make_referral(service=service, triage=triage, resident=resident, source=Source.SELF)

    redirected = referral_redirect(referral=referral, actor=as_triage, to_name="  Poole Talking Therapies ",
                                   note="Talking therapy is the right first step.")

    redirected.refresh_from_db()
    assert redirected.status == ReferralStatus.REDIRECTED
    assert redirected.redirected_to_service is None and redirected.redirected_referral is None
    assert redirected.redirected_to_name == "Poole Talking Therapies"
    assert not Referral.objects.filter(service=other_service).exists()
    [email] = told(redirected, NotificationKind.REDIRECTED_TO_REFERRER)
    assert email.recipient == resident.email
    assert "Poole Talking Therapies is the right service for you: please contact them" in email.body


@pytest.mark.parametrize(("to", "to_name", "note", "field"), [
    (None, "", "Their area.", "to_service"),
    ("same", "", "Their area.", "to_service"),
    ("other", "Poole Talking Therapies", "Their area.", "to_name"),
    ("other", "", "   ", "note"),
])
def test_redirect_refusals(service, other_service, triage, as_triage, to, to_name, note, field):
    referral = make_referral(service=service, triage=triage)
    to_service = {"same": service, "other": other_service}.get(to)
    with pytest.raises(ReferralError) as error:
        referral_redirect(referral=referral, actor=as_triage, to_service=to_service, to_name=to_name, note=note)
    assert error.value.field == field
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED
    assert not Referral.objects.filter(service=other_service).exists()


def test_only_triage_redirects_and_only_a_referral_not_yet_triaged(service, other_service, triage, as_triage):
    worker = make_link_worker(service=service)
    referral = make_referral(service=service, triage=triage)
    with pytest.raises(NotPermitted):
        referral_redirect(referral=referral, actor=actor_for_user(worker), to_service=other_service, note="Area.")
    with pytest.raises(NotPermitted):  # the other service's triage cannot act on this one's referral
        referral_redirect(referral=referral, actor=actor_for_user(make_triage(service=other_service)),
                          to_service=other_service, note="Area.")
    triaged = make_referral(service=service, triage=triage, link_worker=worker, status=ReferralStatus.TRIAGED)
    with pytest.raises(InvalidTransition):
        referral_redirect(referral=triaged, actor=as_triage, to_service=other_service, note="Area.")
    assert not Referral.objects.filter(service=other_service).exists()


def test_nothing_is_half_made_when_the_redirect_fails(service, other_service, triage, as_triage, monkeypatch):
    referral = make_referral(service=service, triage=triage)

    def broken(*args, **kwargs):
        raise RuntimeError("the message could not be written")

    # The last thing the redirect does is tell the referrer: failing there, after the hand-over, undoes it all.
    monkeypatch.setattr("referrals.notifications.outbox.render_message", broken)
    with pytest.raises(RuntimeError):
        referral_redirect(referral=referral, actor=as_triage, to_service=other_service, note="Their area.")

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED and referral.redirected_referral is None
    assert not Referral.objects.filter(service=other_service).exists()
    assert not Resident.objects.filter(service=other_service).exists()
    assert not referral.events.filter(action="redirect").exists()


# Through the API ----------------------------------------------------------------------------------


def test_the_api_redirects_and_declines_as_triage_only(service, other_service, triage, link_worker, home):
    from django.test import Client

    from referrals.models import ApiToken
    from tests.accounts import sign_in_verified

    first, second = make_referral(service=service, triage=triage), make_referral(service=service, triage=triage)
    as_triage = sign_in_verified(Client(), triage)
    as_worker = sign_in_verified(Client(), link_worker)
    outsider = {"HTTP_AUTHORIZATION": f"Token {ApiToken.issue(name='A system', service=other_service)[1]}"}

    def post(client, referral, segment, body, **headers):
        return client.post(f"/api/v1/referrals/{referral.reference}/{segment}/", data=body,
                           content_type="application/json", **headers)

    redirect_body = {"to_service": other_service.slug, "note": "Their area."}
    assert post(as_worker, first, "redirect", redirect_body).status_code == 404  # not theirs: hidden
    assert post(Client(), first, "redirect", redirect_body, **outsider).status_code == 404
    assert post(as_triage, first, "redirect", {"to_service": "nowhere", "note": "Area."}).status_code == 400
    response = post(as_triage, first, "redirect", redirect_body, HTTP_IDEMPOTENCY_KEY="redirect-1")
    assert response.status_code == 200 and response.json()["status"] == "redirected"
    again = post(as_triage, first, "redirect", redirect_body, HTTP_IDEMPOTENCY_KEY="redirect-1")
    assert again.status_code == 200  # the same key: the answer replayed, nothing handed over twice
    assert Referral.objects.filter(service=other_service).count() == 1

    decline = {"reason": "other", "note": ""}
    assert post(as_triage, second, "decline-not-eligible", decline).status_code == 400
    response = post(as_triage, second, "decline-not-eligible", {"reason": "age", "note": "Aged 16."})
    assert response.status_code == 200 and response.json()["status"] == "not_eligible"
    assert post(as_triage, second, "decline-not-eligible", {"reason": "age"}).status_code == 409


# Retention ----------------------------------------------------------------------------------------


def test_redirected_and_not_eligible_referrals_are_finished_for_retention(service, other_service, triage, as_triage,
                                                                          settings):
    from datetime import timedelta

    from django.utils import timezone

    from referrals.retention import anonymise_closed_referrals

    settings.SIGNPOST_REFERRALS = {**settings.SIGNPOST_REFERRALS, "RETENTION_DAYS": 365}
    old = referral_redirect(referral=make_referral(service=service, triage=triage), actor=as_triage,
                            to_name="Poole Talking Therapies", note="Talking therapy first.")
    recent = referral_decline_not_eligible(referral=make_referral(service=service, triage=triage), actor=as_triage,
                                           reason=NotEligibleReason.OTHER, note="Lives in a care home with its own.")
    Referral.objects.filter(pk=old.pk).update(redirected_at=timezone.now() - timedelta(days=400))

    run = anonymise_closed_referrals()

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.pk in run.referral_ids and old.anonymised_at is not None and old.triage_note == ""
    assert old.redirected_to_name == "Poole Talking Therapies"  # where it went is kept, as a discharge reason is
    assert recent.anonymised_at is None and recent.triage_note
