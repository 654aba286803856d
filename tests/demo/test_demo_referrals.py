"""The demo referrals `load_demo` builds: every stage (connections, discharge, a re-referral), the alerts, the
provider inbox, two-factor for demo staff.

`load_demo` runs twice at a small scale (a few organisations per area), shared by this
module's tests and rolled back after them.
"""

import io
import time
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.referrals import (
    DEMO_TWO_FACTOR_USERS,
    demo_service_names,
    demo_totp_key,
    demo_totp_secret,
)
from primarycare.models import GpPractice
from referrals import people
from referrals.alerts import run_alerts
from referrals.choices import (
    AlertKind,
    ConnectionKind,
    ConnectionStatus,
    ContactRoute,
    ContactStatus,
    DischargeReason,
    GpMessageKind,
    GpMessageRoute,
    NotEligibleReason,
    ReferralStatus,
    Source,
)
from referrals.models import (
    Alert,
    CarePlan,
    Connection,
    Consent,
    Contact,
    ContactExpectation,
    DischargeSummary,
    GpMessage,
    Notification,
    Referral,
    ReferralEvent,
    Resident,
    SafeguardingConcern,
    StaffMembership,
)
from referrals.permissions import provider_connections_visible_to, referrals_visible_to
from referrals.roles import actor_for_user
from referrals.workflow import FIRST_SESSION_PENDING
from tests.accounts import sign_in_verified


@dataclass
class Run:
    output: str
    seconds: float
    counts: dict


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Referral, ReferralEvent, Resident, Consent, Notification, Alert, TOTPDevice, StaffMembership,
                      get_user_model())
    }


def load_demo() -> Run:
    out = io.StringIO()
    started = time.perf_counter()
    call_command("load_demo", scale=0.1, stdout=out, stderr=io.StringIO(), verbosity=0)
    return Run(out.getvalue(), time.perf_counter() - started, counts())


@pytest.fixture(scope="module")
def demo_runs(django_db_setup, django_db_blocker, tmp_path_factory):
    texts = tmp_path_factory.mktemp("sent-texts")
    sms = {"BACKEND": "referrals.notifications.sms.FileSmsGateway", "OPTIONS": {"folder": str(texts)}}
    with override_settings(SIGNPOST_SMS=sms), django_db_blocker.unblock(), transaction.atomic():
        first = load_demo()
        second = load_demo()
        yield first, second
        transaction.set_rollback(True)
    cache.clear()


@pytest.fixture
def demo(demo_runs, db):
    return demo_runs


def user(username):
    return get_user_model().objects.get(username=username)


def test_there_are_referrals_in_every_state_and_connections_in_every_state(demo):
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert statuses == set(ReferralStatus.values)
    assert set(Connection.objects.values_list("status", flat=True)) == set(ConnectionStatus.values)


def test_people_in_support_with_several_connections(demo):
    """Two activities with different providers, one of them still waiting for its provider's answer,
    and a signpost with what came of it."""
    in_support = Referral.objects.filter(status=ReferralStatus.CONTACTED)
    several = [
        referral for referral in in_support.prefetch_related("connections__provider")
        if len({c.provider_id for c in referral.connections.all() if c.kind == ConnectionKind.ACTIVITY}) >= 2
    ]
    assert several
    assert any(
        any(c.status == ConnectionStatus.SENT_TO_PROVIDER for c in referral.connections.all())
        and any(c.status == ConnectionStatus.TOOK_UP for c in referral.connections.all())
        for referral in several
    )
    for referral in Referral.objects.prefetch_related("connections"):
        assert [c.number for c in referral.connections.all()] == list(range(1, referral.connections.count() + 1))


def test_reviewed_and_discharged_people_have_final_summaries(demo):
    discharged = Referral.objects.filter(status=ReferralStatus.DISCHARGED)
    assert {DischargeReason.GOALS_MET, DischargeReason.NOT_CONTACTABLE, DischargeReason.PERSON_DECLINED} <= set(
        discharged.values_list("discharge_reason", flat=True)
    )
    for referral in discharged.select_related("discharge_summary"):
        summary = referral.discharge_summary
        assert summary.is_final and summary.reason == referral.discharge_reason
        assert summary.content["person"]["name"] == referral.resident.full_name
        assert referral.received_at < referral.discharged_at == summary.final_at < timezone.now()
        # Nothing is left with a provider when a person is discharged.
        assert not referral.connections.filter(status__in=[
            ConnectionStatus.SENT_TO_PROVIDER, ConnectionStatus.ACCEPTED, *FIRST_SESSION_PENDING]).exists()
        if referral.discharge_reason == DischargeReason.GOALS_MET:
            assert referral.contacts.filter(is_review=True, status=ContactStatus.HELD).exists()
        if referral.discharge_reason == DischargeReason.NOT_CONTACTABLE:
            assert referral.contacts.filter(status=ContactStatus.COULD_NOT_REACH).count() >= 3
            assert not referral.contacts.filter(status=ContactStatus.HELD).exists()
    assert not DischargeSummary.objects.filter(referral__status__in=[ReferralStatus.CONTACTED]).exists()


def test_a_discharged_person_is_referred_again(demo):
    again = Resident.objects.annotate(n=Count("referrals")).filter(n__gte=2)
    assert again.exists()
    for resident in again:
        first, later = resident.referrals.order_by("received_at")[:2]
        assert first.status == ReferralStatus.DISCHARGED
        assert first.discharged_at < later.received_at
        assert later.is_open


def test_the_demo_link_worker_has_every_state_after_triage_and_triage_the_new_ones(demo):
    caseload = referrals_visible_to(actor_for_user(user("linkworker")))
    # Every state a link worker's referral can be in: triage's answers other than "accept" never reach one.
    assert set(caseload.values_list("status", flat=True)) == set(ReferralStatus.values) - {
        ReferralStatus.RECEIVED, ReferralStatus.REDIRECTED, ReferralStatus.NOT_ELIGIBLE}
    assert not caseload.exclude(link_worker=user("linkworker")).exists(), "only their own cases"
    queue = referrals_visible_to(actor_for_user(user("triage"))).filter(status=ReferralStatus.RECEIVED)
    assert queue.count() >= 3
    assert {r.service.name for r in queue} == {"Dorset and Poole Social Prescribing"}
    dorset = StaffMembership.objects.get(user__username="linkworker").service
    assert StaffMembership.objects.get(user__username="triage").service == dorset
    assert set(dorset.prefixes) == {"BH", "DT"}


def test_open_alerts_of_every_kind_on_referrals_that_earned_them(demo):
    now = timezone.now()
    open_alerts = Alert.objects.open().select_related("referral")
    assert set(open_alerts.values_list("kind", flat=True)) == set(AlertKind.values)
    for alert in open_alerts:
        referral = alert.referral
        assert alert.raised_at <= now
        connection = alert.connection
        assert (connection is not None) == (alert.kind in (
            AlertKind.NO_PROVIDER_RESPONSE, AlertKind.ATTENDANCE_NOT_RECORDED, AlertKind.DID_NOT_ATTEND))
        assert connection is None or connection.referral_id == referral.pk
        if alert.kind == AlertKind.NOT_CONTACTED:
            assert referral.status in (ReferralStatus.RECEIVED, ReferralStatus.TRIAGED)
            assert now - referral.received_at > timezone.timedelta(days=4)
        elif alert.kind == AlertKind.NO_PROVIDER_RESPONSE:
            assert connection.status == ConnectionStatus.SENT_TO_PROVIDER
            assert now - connection.sent_to_provider_at > timezone.timedelta(days=5)
        elif alert.kind == AlertKind.ATTENDANCE_NOT_RECORDED:
            assert connection.first_session_at < now and connection.attendance_recorded_at is None
        elif alert.kind == AlertKind.PLAN_REVIEW_DUE:
            assert referral.care_plan.goals.filter(review_on__lt=timezone.localdate(now)).exists()
        elif alert.kind == AlertKind.PAST_EXPECTED_LENGTH:
            first = referral.contacts.filter(status=ContactStatus.HELD).order_by("at").first()
            expected = ContactExpectation.objects.get(service=referral.service, tier=referral.tier)
            assert now - first.at > timezone.timedelta(weeks=expected.within_weeks)
            assert not referral.contacts.filter(is_review=True).exists()
        else:
            assert connection.status == ConnectionStatus.DID_NOT_ATTEND
        assert referral.is_open
    # A late first contact: its alert was raised, then cleared by the contact.
    assert Alert.objects.filter(kind=AlertKind.NOT_CONTACTED, cleared_by_action="record_contact").exists()
    # The tracking job agrees with the demo: it has nothing to raise or clear.
    run = run_alerts()
    assert sum(run.raised.values()) == 0 and sum(run.cleared.values()) == 0


def test_the_story_is_in_the_past_and_in_order(demo):
    now = timezone.now()
    assert Referral.objects.filter(received_at__lt=now - timezone.timedelta(days=20)).exists()
    for referral in Referral.objects.prefetch_related("events"):
        times = [event.at for event in referral.events.all()]
        assert times == sorted(times) and times[-1] <= now, referral
        assert times[0] == referral.received_at
    for connection in Connection.objects.select_related("referral"):
        assert connection.referral.received_at < connection.created_at <= now
        if connection.status in (ConnectionStatus.ATTENDED, ConnectionStatus.DID_NOT_ATTEND):
            booked = connection.first_session_booked_at
            assert booked < connection.first_session_at < connection.attendance_recorded_at <= now
        if connection.ended_at is not None:
            assert connection.created_at <= connection.ended_at <= now
    # A moved first session is told with its moved date.
    moved = Connection.objects.filter(status=ConnectionStatus.RESIDENT_NOTIFIED, first_session_at__lt=now).first()
    message = moved.notifications.get(kind="first_session_for_resident")
    assert timezone.localtime(moved.first_session_at).strftime("%-d %B %Y") in message.body


def test_residents_prefer_every_route_and_referrals_come_from_everywhere(demo):
    assert set(Resident.objects.values_list("preferred_contact", flat=True)) == set(ContactRoute.values)
    assert set(Referral.objects.values_list("source", flat=True)) == set(Source.values)
    assert Resident.objects.filter(interpreter_needed=True).exclude(language="English").exists()
    for resident in Resident.objects.all():
        resident.full_clean()


def test_the_demo_editor_sees_referrals_to_their_organisation_only(demo):
    editor = actor_for_user(user("editor"))
    inbox = provider_connections_visible_to(editor).select_related("provider")
    assert inbox.count() >= 8
    assert {c.provider.title for c in inbox} == {"Halton Carers' Centre"}
    assert {ConnectionStatus.SENT_TO_PROVIDER, ConnectionStatus.ACCEPTED, ConnectionStatus.FIRST_SESSION_BOOKED,
            ConnectionStatus.RESIDENT_NOTIFIED, ConnectionStatus.ATTENDED} <= set(inbox.values_list("status",
                                                                                                  flat=True))
    elsewhere = Connection.objects.filter(referral__service__name="Halton Social Prescribing",
                                          status="sent_to_provider").exclude(provider__title="Halton Carers' Centre")
    assert elsewhere.exists() and not inbox.filter(pk__in=elsewhere).exists()
    # The editor took the provider's steps themselves.
    assert ReferralEvent.objects.filter(actor=user("editor"), action="provider_accept").exists()


def test_notifications_went_out(demo):
    sent = Notification.objects.filter(status="sent").values("channel").annotate(n=Count("pk"))
    assert {row["channel"] for row in sent} >= {"email", "inbox"}
    assert Notification.objects.open_tasks().exists(), "a phone call still to make"


def test_a_second_run_adds_nothing_and_is_quick(demo):
    first, second = demo
    assert second.counts == first.counts
    assert "(created now)" in first.output and "(created now)" not in second.output
    assert second.seconds < 2


def test_the_output_says_where_notifications_go_and_gives_the_demo_keys(demo):
    for run in demo:
        assert "Emails:" in run.output and "Texts:  written to files in" in run.output
        for username in DEMO_TWO_FACTOR_USERS:
            assert demo_totp_secret(username) in run.output


def test_demo_staff_have_an_authenticator_with_the_documented_key(demo, client, settings):
    for username in DEMO_TWO_FACTOR_USERS:
        device = TOTPDevice.objects.get(user__username=username)
        assert device.confirmed and device.key == demo_totp_key(username)

    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo_code", "linkworker", stdout=out, stderr=io.StringIO())
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    sign_in_verified(client, user("linkworker"))
    response = client.post("/account/two-factor/?next=/referrals/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/referrals/"


def test_demo_code_refuses_without_debug_and_for_real_devices(demo, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_code", "linkworker", stdout=io.StringIO(), stderr=io.StringIO())
    settings.DEBUG = True
    TOTPDevice.objects.filter(user__username="triage").update(key="00" * 20)
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo_code", "triage", stdout=io.StringIO(), stderr=io.StringIO())


def test_only_the_demo_services_are_checked_for_idempotency(demo):
    assert set(Referral.objects.values_list("service__name", flat=True)) == set(demo_service_names())


def test_the_demo_commissioner_sees_the_services_figures_on_the_reports(demo, client):
    from referrals.permissions import reportable_referrals
    from reporting.figures import build_report

    commissioner = user("commissioner")
    referrals = reportable_referrals(actor_for_user(commissioner))
    assert referrals.exists()
    assert set(referrals.values_list("service__name", flat=True)) == {demo_service_names()[0]}
    sign_in_verified(client, commissioner)
    response = client.get("/reports/")
    assert response.status_code == 200
    # The dashboard opens on the 12 months to today, so the demo's recent referrals count.
    from reporting.forms import DEFAULT_PRESET, preset_period

    start, end = preset_period(DEFAULT_PRESET, today=timezone.localdate())
    from reporting.scope import ReportFilter

    report = build_report(referrals=referrals, filters=ReportFilter(start=start, end=end))
    assert report.referred == referrals.count() > 0
    assert response.context["report"].referred == report.referred


def test_the_demo_shows_casework(demo):
    """Contacts against what each service expects, plans, and an open safeguarding concern."""
    worker = user("linkworker")
    caseload = Referral.objects.filter(link_worker=worker)
    assert Contact.objects.filter(referral__in=caseload, status=ContactStatus.HELD).count() >= 10
    assert Contact.objects.filter(referral__in=caseload, status=ContactStatus.BOOKED, at__gt=timezone.now()).exists()
    assert CarePlan.objects.filter(referral__in=caseload).exists()
    assert SafeguardingConcern.objects.filter(referral__in=caseload, resolved_at__isnull=True).count() == 1
    assert ContactExpectation.objects.filter(service__name__startswith="Dorset", tier="one_to_one",
                                             min_contacts=6, max_contacts=12, within_weeks=12).exists()


def test_primary_care_in_the_demo(demo):
    """Practices from the sample NHS files; people matched, redirected, declined as not eligible; summaries sent."""
    dorset = Referral.objects.filter(service__name=demo_service_names()[0])
    assert GpPractice.objects.filter(pcn__isnull=False, nhsmail__endswith="@nhs.net").count() >= 9
    # Everyone's practice is on the list, or they said they have none.
    residents = Resident.objects.filter(merged_into__isnull=True)
    assert not residents.filter(practice__isnull=True, has_no_gp=False).exists()
    assert residents.filter(has_no_gp=True).exists()
    # Handed over from Dorset to Halton's triage queue; sent outside Signpost; not eligible by age.
    handed_over = dorset.get(status=ReferralStatus.REDIRECTED, redirected_referral__isnull=False)
    assert handed_over.redirected_referral.status == ReferralStatus.RECEIVED
    assert handed_over.redirected_referral.service.name == "Halton Social Prescribing"
    assert dorset.filter(status=ReferralStatus.REDIRECTED, redirected_to_name__startswith="Dorset mental").exists()
    assert dorset.filter(status=ReferralStatus.NOT_ELIGIBLE, not_eligible_reason=NotEligibleReason.AGE).exists()
    # One record per person: a re-referral on an earlier record, and a second record triage can join.
    again = [referral for referral in dorset.filter(status=ReferralStatus.CONTACTED) if people.is_rereferral(referral)]
    assert again, "a re-referral within the period"
    new_records = Resident.objects.filter(referrals__in=dorset.filter(status=ReferralStatus.RECEIVED))
    assert any(people.possible_matches(resident) for resident in new_records)
    # The message back to the GP: emailed with a PDF, or a letter to print, for every discharge kept as sent.
    discharged = Referral.objects.filter(status=ReferralStatus.DISCHARGED)
    messages = GpMessage.objects.filter(kind=GpMessageKind.DISCHARGE)
    assert messages.count() == discharged.count()
    assert {GpMessageRoute.NHSMAIL, GpMessageRoute.LETTER} <= set(messages.values_list("route", flat=True))
    assert GpMessage.objects.filter(kind=GpMessageKind.ACKNOWLEDGEMENT, referral__in=dorset).exists()
