"""Retention: finished referrals past the retention period lose their personal data, and nothing else."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import serializers
from django.core.management import call_command
from django.utils import timezone
from pages.scheduler import SCHEDULE, enqueue_due

from factories.referrals import (
    discharge,
    first_session_held,
    hold_review,
    make_referral,
    make_resident,
    make_signpost,
    provider_actor,
    received_earlier,
)
from referrals import care_plans, contacts, outcomes, safeguarding, services
from referrals.choices import (
    SNOMED_DECLINED,
    AuditAction,
    ContactMethod,
    ContactStatus,
    DeliveryStatus,
    DischargeReason,
    GoalStatus,
)
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import (
    AuditEntry,
    CarePlan,
    CarePlanVersion,
    Connection,
    Consent,
    Contact,
    DischargeSummary,
    Goal,
    Notification,
    PlanAction,
    Referral,
    ReferralEvent,
    Resident,
    ResidentFeedback,
    SafeguardingConcern,
)
from referrals.retention import anonymise_closed_referrals, postcode_district
from referrals.roles import actor_for_user
from referrals.subject_access import erase_resident


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
    """A discharged referral (one activity, attended, then reviewed) with personal data in its notes,
    finished ``years`` ago."""

    def _make(*, years: float, resident=None, status=S.DISCHARGED):
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
            status=status, needs=[needs["loneliness"]], discharge_reason=DischargeReason.GOALS_MET,
        )
        stamp = "discharged_at" if status == S.DISCHARGED else "declined_at"
        backdate(referral, notes="Lives alone since her husband died.", discharge_note="Goes every week with Ann.",
                 **{stamp: years_ago(years)})
        referral.refresh_from_db()
        return referral

    return _make


def test_an_old_discharged_referral_loses_its_personal_data(make_finished, needs):
    referral = make_finished(years=9)
    stamps_before = Referral.objects.filter(pk=referral.pk).values(
        "received_at", "triaged_at", "contacted_at", "discharged_at"
    ).get()
    connection_stamps = Connection.objects.filter(referral=referral).values(
        "created_at", "sent_to_provider_at", "provider_responded_at", "first_session_at", "attended_at", "ended_at"
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
    for blank in ["notes", "what_matters", "referrer_name", "referrer_email", "referrer_phone", "discharge_note"]:
        assert getattr(referral, blank) == "", blank
    # What reporting needs is kept.
    assert referral.status == S.DISCHARGED and referral.discharge_reason == DischargeReason.GOALS_MET
    assert referral.source == "primary_care"
    connection = referral.connections.get()
    assert connection.status == C.ATTENDED and connection.activity_id and connection.provider_id
    assert Connection.objects.filter(pk=connection.pk).values(*connection_stamps).get() == connection_stamps
    assert referral.referrer_organisation == "Harbour Surgery"
    assert list(referral.needs.all()) == [needs["loneliness"]]
    assert Referral.objects.filter(pk=referral.pk).values(*stamps_before).get() == stamps_before
    summary = DischargeSummary.objects.get(referral=referral)
    assert summary.reason == DischargeReason.GOALS_MET and summary.final_at is not None
    assert summary.content == {"anonymised": True} and summary.note == ""

    for notification in Notification.objects.filter(referral=referral):
        assert notification.recipient == "" and notification.body == ""
        assert "Margaret" not in notification.subject and "Oyelaran" not in notification.subject
    assert not ReferralEvent.objects.filter(referral=referral).exclude(action="anonymise").exclude(note="").exists()
    # The log says what happened; its earlier steps are all still there.
    assert list(referral.events.values_list("action", flat=True))[-2:] == ["discharge", "anonymise"]


def test_the_anonymisation_is_in_the_audit_trail(make_finished):
    referral = make_finished(years=9)
    anonymise_closed_referrals()
    entries = AuditEntry.objects.filter(action=AuditAction.ANONYMISE)
    assert entries.filter(resident_id=referral.resident_id, referral_id=None, actor_label="Signpost").count() == 1
    assert entries.filter(referral_id=referral.pk, actor=None, actor_label="Signpost").count() == 1


def test_a_recently_discharged_referral_is_kept(make_finished):
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
    backdate(current, status=S.DISCHARGED, discharged_at=years_ago(9))
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


def test_the_worker_runs_retention_daily(make_finished, service):
    """The scheduler enqueues the retention job once a day; the worker's run anonymises what is due."""
    referral = make_finished(years=9)
    recent = make_finished(years=1, resident=make_resident(service=service, first_name="Ada"))
    [job] = [job for job in SCHEDULE if job.task == "referrals.retention.anonymise_closed_referrals_task"]
    assert job.every == timedelta(days=1)

    last_run = {}
    assert job.task in enqueue_due(last_run, schedule=[job])  # run at once by the tests' task backend
    assert Resident.objects.get(pk=referral.resident_id).first_name == "Anonymised"
    assert Referral.objects.get(pk=recent.pk).anonymised_at is None
    assert enqueue_due(last_run, now=last_run[job.task] + timedelta(hours=23), schedule=[job]) == []


# The casework's personal data: connections, the discharge summary, contacts, the plan, safeguarding ---------


NAMES = ("Margaret", "Oyelaran")


def everything_held(referral) -> str:
    """Every row about the referral and its resident, as text: what a database dump would show."""
    rows = [
        *Referral.objects.filter(pk=referral.pk), *Resident.objects.filter(pk=referral.resident_id),
        *Consent.objects.filter(resident_id=referral.resident_id),
        *Connection.objects.filter(referral=referral), *DischargeSummary.objects.filter(referral=referral),
        *Contact.objects.filter(referral=referral), *CarePlan.objects.filter(referral=referral),
        *Goal.objects.filter(plan__referral=referral), *PlanAction.objects.filter(plan__referral=referral),
        *CarePlanVersion.objects.filter(plan__referral=referral),
        *SafeguardingConcern.objects.filter(referral=referral), *Notification.objects.filter(referral=referral),
        *ReferralEvent.objects.filter(referral=referral), *ResidentFeedback.objects.filter(referral=referral),
    ]
    return serializers.serialize("json", rows)


@pytest.fixture
def episode(service, triage, link_worker, activity, other_activity, settings_retention):
    """A whole episode, finished nine years ago, naming Margaret in every free-text field the casework has:
    two activities (one declined by its provider, one attended), a signpost, contacts, a plan, a
    safeguarding concern, and a final discharge summary."""
    resident = make_resident(service=service, first_name="Margaret", last_name="Oyelaran", postcode="BH15 1AB",
                             date_of_birth=date(1948, 3, 14), nhs_number="9434765919")
    referral = received_earlier(make_referral(service=service, triage=triage, link_worker=link_worker,
                                              resident=resident, status=S.CONTACTED))
    worker = actor_for_user(link_worker)
    declined = services.connection_choose_activity(referral=referral, actor=worker, activity=activity)
    declined = services.connection_send_to_provider(connection=declined, actor=worker)
    services.connection_provider_decline(connection=declined, actor=provider_actor(activity.organisation),
                                         reason="other", note="Margaret needs more help than we can give.")
    attended = services.connection_choose_activity(referral=referral, actor=worker, activity=other_activity)
    attended = services.connection_send_to_provider(connection=attended, actor=worker)
    provider = provider_actor(other_activity.organisation)
    attended = services.connection_provider_accept(connection=attended, actor=provider)
    attended = services.connection_book_first_session(
        connection=attended, actor=provider, starts_at=timezone.now() + timedelta(days=2),
        note="Ask for Ann: she will meet Margaret at the door.",
    )
    services.connection_record_attendance(connection=first_session_held(attended), actor=provider)
    signpost = make_signpost(referral=referral)
    services.connection_record_signpost_outcome(connection=signpost, actor=worker, outcome=C.TOOK_UP,
                                                note="Margaret's benefits are sorted.")
    contacts.contact_record(referral=referral, actor=worker, at=timezone.now() - timedelta(minutes=30),
                            method=ContactMethod.HOME_VISIT, status=ContactStatus.HELD, duration_minutes=45,
                            note="Margaret's daughter was there.")
    care_plans.care_plan_start(referral=referral, actor=worker)
    care_plans.care_plan_change_what_matters(referral=referral, actor=worker,
                                             what_matters="Margaret wants to get out more.")
    goal = care_plans.goal_add(referral=referral, actor=worker, description="Margaret walks to the park.",
                               review_on=timezone.localdate() + timedelta(days=30))
    care_plans.goal_edit(referral=referral, actor=worker, goal_id=goal.pk, status=GoalStatus.ACHIEVED)
    care_plans.action_add(referral=referral, actor=worker, description="Find Margaret a walking buddy.",
                          who="Margaret's daughter")
    raised = safeguarding.concern_raise(referral=referral, actor=worker, concern="Margaret mentioned a fall.",
                                        action_taken="Told Margaret's GP.")
    safeguarding.concern_resolve(concern=raised.concern, actor=worker, resolution="Margaret has a falls alarm.")
    hold_review(referral)
    discharge(referral, reason=DischargeReason.GOALS_MET, note="Margaret is doing well.")
    backdate(referral, discharged_at=years_ago(9))
    referral.refresh_from_db()
    return referral


def test_retention_removes_the_casework_s_personal_data_and_keeps_its_shape(episode):
    held = everything_held(episode)
    assert all(name in held for name in NAMES)
    summary_before = DischargeSummary.objects.get(referral=episode)
    assert "Margaret" in str(summary_before.content)

    anonymise_closed_referrals()

    held = everything_held(episode)
    for name in NAMES:
        assert name not in held, name
    # Connections keep what happened, to what, and when.
    connections = list(episode.connections.order_by("number"))
    assert [c.status for c in connections] == [C.DECLINED_BY_PROVIDER, C.ATTENDED, C.TOOK_UP]
    assert connections[0].provider_decline_reason == "other" and connections[0].provider_decline_note == ""
    assert connections[1].first_session_at is not None and connections[1].attended_at is not None
    assert connections[1].first_session_note == "" and connections[2].outcome_note == ""
    assert connections[2].service_name == "Citizens Advice Poole"  # a public service, not about the person
    # The summary keeps its reason and when it became final; the content sent is gone.
    summary = DischargeSummary.objects.get(referral=episode)
    assert (summary.reason, summary.final_at) == (DischargeReason.GOALS_MET, summary_before.final_at)
    assert summary.content == {"anonymised": True} and summary.note == ""
    # Contacts keep when, how, how long and what happened.
    home_visit = Contact.objects.get(referral=episode, method=ContactMethod.HOME_VISIT)
    assert (home_visit.status, home_visit.duration_minutes, home_visit.note) == (ContactStatus.HELD, 45, "")
    assert Contact.objects.filter(referral=episode, is_review=True).exists()
    # The plan keeps its shape: a goal achieved, an action.
    assert list(Goal.objects.filter(plan__referral=episode).values_list("status", "description")) == [
        (GoalStatus.ACHIEVED, "")
    ]
    assert PlanAction.objects.filter(plan__referral=episode, description="", who="").count() == 1
    # The concern keeps that there was one, and when it was raised and resolved.
    concern = SafeguardingConcern.objects.get(referral=episode)
    assert concern.raised_at and concern.resolved_at
    assert (concern.concern, concern.action_taken, concern.resolution) == ("Anonymised", "", "")


def test_erasure_removes_the_casework_s_personal_data_too(episode, triage):
    backdate(episode, discharged_at=timezone.now() - timedelta(days=3))  # recent: retention would keep it
    assert anonymise_closed_referrals().referrals_anonymised == 0
    erase_resident(actor_for_user(triage), episode.resident, "The person asked us to erase their data.")

    held = everything_held(episode)
    for name in NAMES:
        assert name not in held, name
    assert DischargeSummary.objects.get(referral=episode).content == {"anonymised": True}


def test_a_re_referral_keeps_the_person_s_details_until_it_is_finished_too(make_finished, service, triage,
                                                                          link_worker, activity):
    # Discharged long ago, referred again last month and being supported now.
    old = make_finished(years=9)
    again = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                          resident=old.resident, status=C.ACCEPTED)

    anonymise_closed_referrals()

    old.refresh_from_db()
    assert old.anonymised_at is not None
    assert Resident.objects.get(pk=old.resident_id).first_name == "Margaret"
    again.refresh_from_db()
    assert again.anonymised_at is None and again.what_matters
    assert again.connections.get().status == C.ACCEPTED
