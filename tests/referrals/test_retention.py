"""Retention: finished referrals past the retention period lose their personal data, and nothing else."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from pages.scheduler import SCHEDULE, enqueue_due
from referrals import outcomes
from referrals.choices import SNOMED_DECLINED, AuditAction, DeliveryStatus, Outcome
from referrals.choices import ReferralStatus as S
from factories.referrals import make_referral, make_resident
from referrals.models import AuditEntry, Consent, Notification, Referral, ReferralEvent, Resident, ResidentFeedback
from referrals.retention import anonymise_closed_referrals, postcode_district
from referrals.roles import actor_for_user


def years_ago(years: float):
    return timezone.now() - timedelta(days=round(365.25 * years))


def backdate(referral, **stamps) -> None:
    Referral.objects.filter(pk=referral.pk).update(**stamps)


@pytest.fixture
def settings_retention(settings):
    settings.SIGNPOST_REFERRALS = {**settings.SIGNPOST_REFERRALS, "RETENTION_DAYS": 8 * 365}
    return settings


@pytest.fixture
def make_finished(service, triage, link_worker, activity, needs, settings_retention):
    """A closed referral with personal data everywhere it can be, finished ``years`` ago."""

    def _make(*, years: float, resident=None, status=S.CLOSED):
        resident = resident or make_resident(
            service=service,
            first_name="Margaret",
            last_name="Oyelaran",
            date_of_birth=date(1948, 3, 14),
            nhs_number="9434765919",
            postcode="BH15 1AB",
            accessibility_needs="Uses a wheelchair",
            gp_practice="Harbour Surgery",
        )
        referral = make_referral(
            service=service, triage=triage, link_worker=link_worker, activity=activity, resident=resident,
            status=status, needs=[needs["loneliness"]], outcome=Outcome.ENGAGED,
        )
        stamp = "closed_at" if status == S.CLOSED else "declined_at"
        backdate(referral, notes="Lives alone since her husband died.", outcome_note="Goes every week with Ann.",
                 **{stamp: years_ago(years)})
        referral.refresh_from_db()
        return referral

    return _make


def test_an_old_closed_referral_loses_its_personal_data(make_finished, needs):
    referral = make_finished(years=9)
    stamps_before = Referral.objects.filter(pk=referral.pk).values(
        "received_at", "contacted_at", "sent_to_provider_at", "attendance_recorded_at", "closed_at"
    ).get()
    assert referral.notifications.exists() and referral.events.exclude(note="").exists()

    run = anonymise_closed_referrals()

    assert (run.referrals_anonymised, run.residents_anonymised) == (1, 1)
    resident = Resident.objects.get(pk=referral.resident_id)
    assert (resident.first_name, resident.last_name) == ("Anonymised", "Anonymised")
    assert resident.date_of_birth is None
    assert resident.nhs_number == resident.address == resident.phone == resident.email == ""
    assert resident.accessibility_needs == resident.gp_practice == ""
    assert resident.postcode == "BH15"  # the district, for reporting on gaps in provision
    assert resident.anonymised_at is not None
    assert set(Consent.objects.filter(resident=resident).values_list("given_by", flat=True)) == {"Anonymised"}

    referral.refresh_from_db()
    assert referral.anonymised_at is not None
    for blank in ["notes", "what_matters", "referrer_name", "referrer_email", "referrer_phone", "outcome_note",
                  "provider_decline_note", "first_session_note"]:
        assert getattr(referral, blank) == "", blank
    # What reporting needs is kept.
    assert referral.status == S.CLOSED and referral.outcome == Outcome.ENGAGED
    assert referral.source == "primary_care" and referral.activity_id and referral.provider_id
    assert referral.referrer_organisation == "Harbour Surgery"
    assert list(referral.needs.all()) == [needs["loneliness"]]
    assert Referral.objects.filter(pk=referral.pk).values(*stamps_before).get() == stamps_before

    for notification in Notification.objects.filter(referral=referral):
        assert notification.recipient == "" and notification.body == ""
        assert "Margaret" not in notification.subject and "Oyelaran" not in notification.subject
    assert not ReferralEvent.objects.filter(referral=referral).exclude(action="anonymise").exclude(note="").exists()
    # The log says what happened; its earlier steps are all still there.
    assert list(referral.events.values_list("action", flat=True))[-2:] == ["close", "anonymise"]


def test_the_anonymisation_is_in_the_audit_trail(make_finished):
    referral = make_finished(years=9)
    anonymise_closed_referrals()
    entries = AuditEntry.objects.filter(action=AuditAction.ANONYMISE)
    assert entries.filter(resident_id=referral.resident_id, referral_id=None, actor_label="Signpost").count() == 1
    assert entries.filter(referral_id=referral.pk, actor=None, actor_label="Signpost").count() == 1


def test_a_recently_closed_referral_is_kept(make_finished):
    referral = make_finished(years=7)
    run = anonymise_closed_referrals()
    assert run.referrals_anonymised == run.residents_anonymised == 0
    referral.refresh_from_db()
    assert referral.anonymised_at is None and referral.notes
    assert Resident.objects.get(pk=referral.resident_id).first_name == "Margaret"


def test_a_person_who_declined_long_ago_is_anonymised_too(make_finished):
    referral = make_finished(years=9, status=S.DECLINED_BY_PERSON)
    anonymise_closed_referrals()
    referral.refresh_from_db()
    assert referral.anonymised_at is not None and referral.snomed_code == SNOMED_DECLINED
    assert Resident.objects.get(pk=referral.resident_id).anonymised_at is not None


def test_a_resident_with_a_referral_still_open_keeps_their_details(make_finished, service, triage):
    old = make_finished(years=9)
    current = make_referral(service=service, triage=triage, resident=old.resident)

    run = anonymise_closed_referrals()

    assert (run.referrals_anonymised, run.residents_anonymised, run.residents_kept) == (1, 0, 1)
    resident = Resident.objects.get(pk=old.resident_id)
    assert resident.first_name == "Margaret" and resident.nhs_number == "9434765919"
    assert resident.anonymised_at is None
    old.refresh_from_db()
    current.refresh_from_db()
    # The old referral's own notes go; the open one is untouched.
    assert old.anonymised_at is not None and old.notes == ""
    assert current.anonymised_at is None and current.what_matters

    # Years later the second referral is finished and old too: now the resident goes.
    backdate(current, status=S.CLOSED, closed_at=years_ago(9))
    run = anonymise_closed_referrals()
    assert (run.referrals_anonymised, run.residents_anonymised) == (1, 1)
    assert Resident.objects.get(pk=old.resident_id).first_name == "Anonymised"


def test_a_dry_run_changes_nothing(make_finished):
    referral = make_finished(years=9)
    audit_entries, events = AuditEntry.objects.count(), ReferralEvent.objects.count()

    run = anonymise_closed_referrals(dry_run=True)

    assert (run.referrals_anonymised, run.residents_anonymised) == (1, 1)
    referral.refresh_from_db()
    assert referral.anonymised_at is None and referral.notes
    assert Resident.objects.get(pk=referral.resident_id).first_name == "Margaret"
    assert AuditEntry.objects.count() == audit_entries and ReferralEvent.objects.count() == events
    assert Notification.objects.filter(referral=referral).exclude(body="").exists()


def test_running_twice_is_harmless(make_finished):
    referral = make_finished(years=9)
    anonymise_closed_referrals()
    audit_entries, events = AuditEntry.objects.count(), ReferralEvent.objects.count()
    anonymised_at = Referral.objects.get(pk=referral.pk).anonymised_at

    run = anonymise_closed_referrals()

    assert (run.referrals_anonymised, run.residents_anonymised) == (0, 0)
    assert AuditEntry.objects.count() == audit_entries and ReferralEvent.objects.count() == events
    assert Referral.objects.get(pk=referral.pk).anonymised_at == anonymised_at
    assert Resident.objects.get(pk=referral.resident_id).postcode == "BH15"


def test_the_command_uses_the_period_given_and_prints_a_summary(make_finished):
    referral = make_finished(years=2)
    out = StringIO()
    call_command("anonymise_closed_referrals", stdout=out, stderr=StringIO())
    assert "Anonymised 0 referral(s) and 0 resident(s)." in out.getvalue()

    out = StringIO()
    call_command("anonymise_closed_referrals", "--older-than-days", "365", "--dry-run", stdout=out, stderr=StringIO())
    assert "Dry run, nothing changed: would anonymise 1 referral(s) and 1 resident(s)." in out.getvalue()
    assert Referral.objects.get(pk=referral.pk).anonymised_at is None

    out = StringIO()
    call_command("anonymise_closed_referrals", "--older-than-days", "365", stdout=out, stderr=StringIO())
    assert "Anonymised 1 referral(s) and 1 resident(s)." in out.getvalue()
    assert Referral.objects.get(pk=referral.pk).anonymised_at is not None


@pytest.mark.parametrize(
    ("postcode", "district"),
    [("BH15 1AB", "BH15"), ("bh151ab", "BH15"), ("WA7 1AB", "WA7"), ("M1 1AE", "M1"), ("EC1A 1BB", "EC1A"), ("", "")],
)
def test_a_postcode_is_cut_to_its_district(postcode, district):
    assert postcode_district(postcode) == district


def test_retention_also_removes_feedback_comments_and_stops_unsent_messages(make_finished, link_worker):
    referral = make_finished(years=9)
    outcomes.feedback_record(referral=referral, actor=actor_for_user(link_worker), satisfaction=4,
                             comments="Margaret enjoyed it.")
    assert Notification.objects.filter(referral=referral, status=DeliveryStatus.PENDING).exists()

    anonymise_closed_referrals()

    feedback = ResidentFeedback.objects.get(referral=referral)
    assert feedback.comments == "" and feedback.satisfaction == 4
    stopped = Notification.objects.filter(referral=referral, last_error__startswith="Not sent")
    assert stopped.exists() and not Notification.objects.filter(referral=referral, status=DeliveryStatus.PENDING).exists()
    assert set(stopped.values_list("status", flat=True)) == {DeliveryStatus.FAILED}


def test_the_worker_runs_retention_daily(make_finished):
    """The scheduler enqueues the retention job once a day; the worker's run anonymises what is due."""
    referral = make_finished(years=9)
    recent = make_finished(years=1)
    [job] = [job for job in SCHEDULE if job.task == "referrals.retention.anonymise_closed_referrals_task"]
    assert job.every == timedelta(days=1)

    last_run = {}
    assert job.task in enqueue_due(last_run, schedule=[job])  # run at once by the tests' task backend
    assert Resident.objects.get(pk=referral.resident_id).first_name == "Anonymised"
    assert Referral.objects.get(pk=recent.pk).anonymised_at is None
    assert enqueue_due(last_run, now=last_run[job.task] + timedelta(hours=23), schedule=[job]) == []
