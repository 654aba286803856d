"""Subject access and erasure: everything held about a resident, exported as a page and as JSON, and
erased where no duty to keep it applies; both audited, both only for their own service's triage
team and administrators."""

import html
import json
from datetime import date, datetime

import pytest
from django.db import DatabaseError
from django.db.models.signals import post_save
from django.template.defaultfilters import date as format_date
from django.urls import reverse
from django.utils import timezone

from factories import referrals as factories
from referrals import outcomes, services
from referrals.choices import (
    AlertKind,
    AuditAction,
    DeliveryStatus,
    DischargeReason,
    WellbeingStage,
)
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.errors import NotPermitted
from referrals.models import (
    ActionLink,
    Alert,
    ApiToken,
    AuditEntry,
    Consent,
    Notification,
    Referral,
    ReferralEvent,
    Resident,
    ResidentFeedback,
    StaffMembership,
    WellbeingScore,
)
from referrals.roles import (
    COMMISSIONERS_GROUP,
    actor_for_link,
    actor_for_token,
    actor_for_user,
)
from referrals.subject_access import (
    ErasureRefused,
    erase_resident,
    subject_access_export,
)

REASON = "The person asked in writing (letter of 3 March) for their data to be erased."


@pytest.fixture
def margaret(service):
    return factories.make_resident(
        service=service, first_name="Margaret", last_name="Oyelaran", date_of_birth=date(1948, 3, 14),
        nhs_number="9434765919", address="12 Quay Road, Poole", phone="07700 900456",
        email="margaret@example.net", accessibility_needs="Uses a wheelchair", gp_practice="Harbour Surgery",
    )


@pytest.fixture
def closed_case(service, triage, link_worker, activity, needs, margaret):
    """A discharged referral with personal data in every kind of record Signpost keeps: an activity
    attended, a signpost taken up, a review, and a final discharge summary."""
    referral = factories.make_referral(
        service=service, triage=triage, link_worker=link_worker, activity=activity, resident=margaret,
        needs=[needs["loneliness"]], status=C.ATTENDED,
    )
    worker = actor_for_user(link_worker)
    outcomes.wellbeing_record(referral=referral, actor=worker, stage=WellbeingStage.FIRST_CONVERSATION,
                              scores={"life_satisfaction": 3, "worthwhile": 4, "happiness": 2, "anxiety": 9})
    outcomes.outcome_link_send(referral=referral, actor=worker, purpose="feedback")
    outcomes.feedback_record(referral=referral, actor=worker, satisfaction=5,
                             comments="Ann at the walk made me feel welcome.")
    Alert.objects.create(referral=referral, kind=AlertKind.NO_PROVIDER_RESPONSE, cleared_at=timezone.now(),
                         connection=factories.only_connection(referral))
    signpost = factories.make_signpost(referral=referral, service_name="Citizens Advice Poole")
    services.connection_record_signpost_outcome(connection=signpost, actor=worker, outcome=C.TOOK_UP,
                                                note="Helped her claim Attendance Allowance.")
    factories.hold_review(referral)
    referral = factories.discharge(referral, reason=DischargeReason.GOALS_MET,
                                   note="Goes every Tuesday now with her neighbour.")
    Referral.objects.filter(pk=referral.pk).update(notes="Lives alone since her husband died.")
    referral.refresh_from_db()
    return referral


def export_url(resident, suffix=""):
    name = {"": "referrals:subject_access", "json": "referrals:subject_access_json",
            "erase": "referrals:erase_resident"}[suffix]
    return reverse(name, kwargs={"resident_id": resident.pk})


def page_text(response) -> str:
    return html.unescape(response.content.decode())


# The export -------------------------------------------------------------------------------


def test_the_export_shows_every_kind_of_record_held_about_the_person(client, sign_in, triage, link_worker,
                                                                     closed_case):
    sign_in(link_worker)
    client.get(reverse("referrals:referral", kwargs={"pk": closed_case.pk}))  # a look the audit will show
    client.logout()
    sign_in(triage)

    response = client.get(export_url(closed_case.resident))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    text = page_text(response)
    for held in [
        "Everything Signpost holds about Margaret Oyelaran",
        # their record
        "14 March 1948", "9434765919", "12 Quay Road, Poole", "07700 900456", "margaret@example.net",
        "Uses a wheelchair", "Harbour Surgery",
        # consents
        "Being referred to social prescribing", "Sharing contact details with the activity provider",
        # the referral and its notes
        f"Referral {closed_case.reference}", "Loneliness and isolation", "Lives alone since her husband died.",
        "Getting out of the house and meeting people.", "Dr A Patel",
        "Goals met", "Goes every Tuesday now with her neighbour.",
        # the activities and services they were connected to, and what came of each
        "1. Tuesday health walk", "Attended", "2. Citizens Advice Poole", "Took up the service",
        "Helped her claim Attendance Allowance.",
        # the discharge summary as it was sent
        "Discharge summary", "Name: Margaret Oyelaran", "Reason text: Goals met",
        # the event log
        "First contact made", "Spoke on the phone.", "Sent to provider", "Discharged",
        # messages sent
        "New referral for the provider", "Wellbeing or feedback questions for the person",
        "Feedback to the referrer",
        # wellbeing and feedback
        "Life satisfaction", "First conversation", "Ann at the walk made me feel welcome.",
        # alerts
        "No response from the provider",
        # who looked: the link worker's visit to the referral page, and this export
        "Lee Worker", "referral page", "subject access export (web page)",
    ]:
        assert held in text, held


def test_the_json_download_holds_the_same_as_the_page(client, sign_in, triage, closed_case):
    sign_in(triage)
    download = client.get(export_url(closed_case.resident, "json"))
    page = page_text(client.get(export_url(closed_case.resident)))

    assert download.status_code == 200 and download["Content-Type"] == "application/json"
    assert download["Content-Disposition"].startswith("attachment; filename=")
    data = json.loads(download.content)
    assert data["resident"]["nhs_number"] == "9434765919"
    assert data["referrals"][0]["reference"] == closed_case.reference
    assert data["referrals"][0]["wellbeing"][0]["anxiety"] == 9

    missing = []
    for key, value in _leaves(data):
        if key in {"prepared_at", "resident_id"} or value in ("", None) or isinstance(value, (bool, int)):
            continue
        shown = _as_shown(value)
        if shown not in page:
            missing.append(f"{key}: {shown!r}")
    assert not missing, "\n".join(missing)


def _leaves(value, key=""):
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, key)
    else:
        yield key, value


def _as_shown(value: str) -> str:
    """A JSON value as the page shows it: dates and times in words, local time; text as it is."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value.splitlines()[0]
    if len(value) == 10:
        return format_date(moment.date(), "j F Y")
    return format_date(timezone.localtime(moment), "j F Y, H:i")


def test_the_export_holds_no_link_that_acts_without_signing_in(client, sign_in, triage, closed_case):
    links = list(ActionLink.objects.filter(referral=closed_case).values_list("pk", flat=True))
    assert links and Notification.objects.filter(referral=closed_case, body__contains="/link/").exists()
    assert Notification.objects.filter(referral=closed_case, body__contains="/answers/").exists()
    sign_in(triage)

    body = client.get(export_url(closed_case.resident, "json")).content.decode()

    assert "/referrals/provider/link/" not in body and "/answers/" not in body
    assert "[link removed" in body
    assert all(str(link) not in body for link in links)
    assert "key_hash" not in body and "token" not in body.lower()
    # That the links were emailed, and to whom, is part of the record.
    assert "Poole Walking Friends" in json.dumps(json.loads(body)["referrals"][0]["provider_links"])


def test_each_export_is_audited_with_who_made_it(client, sign_in, triage, closed_case):
    sign_in(triage)
    client.get(export_url(closed_case.resident))
    client.get(export_url(closed_case.resident, "json"))

    exports = AuditEntry.objects.filter(action=AuditAction.EXPORT, resident_id=closed_case.resident_id)
    assert sorted(exports.values_list("what", flat=True)) == [
        "subject access export (JSON download)", "subject access export (web page)"]
    assert set(exports.values_list("actor", flat=True)) == {triage.pk}
    assert set(exports.values_list("actor_label", flat=True)) == {"Tina Triage"}


def test_a_person_referred_again_has_both_referrals_in_the_export(service, triage, link_worker, other_activity,
                                                                   closed_case):
    again = factories.make_referral(service=service, triage=triage, link_worker=link_worker, resident=closed_case.resident,
                                    activity=other_activity, status=C.SENT_TO_PROVIDER)

    export = subject_access_export(actor_for_user(triage), closed_case.resident)

    first, second = export["referrals"]
    assert (first["reference"], second["reference"]) == (closed_case.reference, again.reference)
    assert [c["name"] for c in first["connections"]] == ["Tuesday health walk", "Citizens Advice Poole"]
    assert first["discharge_summary"]["reason"] == "Goals met"
    assert [c["status"] for c in second["connections"]] == ["Sent to provider"]
    assert second["discharge_summary"] is None and second["discharge_reason"] == ""


# Who may ----------------------------------------------------------------------------------


def test_only_the_persons_own_triage_team_and_administrators_may_export_or_erase(
    client, sign_in, service, other_service, link_worker, provider_editor, closed_case
):
    resident = closed_case.resident
    own_admin = factories.make_user("own-admin", is_superuser=True)
    StaffMembership.objects.create(user=own_admin, service=service)
    other_admin = factories.make_user("other-admin", is_superuser=True)
    StaffMembership.objects.create(user=other_admin, service=other_service)
    expected = {
        "triage of another service": (factories.make_triage(service=other_service, username="out-triage"), 404),
        "administrator of another service": (other_admin, 404),
        "the person's link worker": (link_worker, 403),
        "the provider": (provider_editor, 403),
        "commissioner of the service": (factories.make_staff(COMMISSIONERS_GROUP, service=service,
                                                             username="comm"), 403),
        "administrator of the service": (own_admin, 200),
    }
    failures = []
    for who, (user, status) in expected.items():
        client.logout()
        sign_in(user)
        for url in (export_url(resident), export_url(resident, "json"), export_url(resident, "erase")):
            got = client.get(url).status_code
            if got != status:
                failures.append(f"{who} GET {url}: {got}, expected {status}")
        if status != 200:
            got = client.post(export_url(resident, "erase"), {"reason": REASON, "confirm": "yes"}).status_code
            if got != status:
                failures.append(f"{who} POST erase: {got}, expected {status}")
    assert not failures, "\n".join(failures)
    assert Resident.objects.get(pk=resident.pk).first_name == "Margaret"
    assert not AuditEntry.objects.filter(action=AuditAction.ERASE).exists()


def test_without_a_second_factor_the_export_asks_for_one(client, sign_in, triage, closed_case):
    sign_in(triage, verified=False)
    response = client.get(export_url(closed_case.resident))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("referrals:two_factor_setup"))
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_token_or_an_emailed_link_may_neither_export_nor_erase(closed_case, service):
    token, _ = ApiToken.issue(name="GP system", service=service)
    link = ActionLink.objects.filter(referral=closed_case).first()
    for actor in (actor_for_token(token), actor_for_link(link)):
        with pytest.raises(NotPermitted):
            subject_access_export(actor, closed_case.resident)
        with pytest.raises(NotPermitted):
            erase_resident(actor, closed_case.resident, REASON)


def test_the_referral_page_offers_export_and_erasure_only_to_those_allowed(client, sign_in, triage, link_worker,
                                                                          closed_case):
    page = reverse("referrals:referral", kwargs={"pk": closed_case.pk})
    sign_in(link_worker)
    text = page_text(client.get(page))
    assert export_url(closed_case.resident) not in text and export_url(closed_case.resident, "erase") not in text

    client.logout()
    sign_in(triage)
    text = page_text(client.get(page))
    assert "Everything held about them (subject access request)" in text
    assert export_url(closed_case.resident) in text and export_url(closed_case.resident, "erase") in text


# Erasure ----------------------------------------------------------------------------------


def test_erasure_removes_personal_data_and_keeps_the_audit_trail_and_reporting(client, sign_in, triage,
                                                                               needs, closed_case):
    resident = closed_case.resident
    audit_before = set(AuditEntry.objects.values_list("pk", flat=True))
    stamps = ["received_at", "triaged_at", "contacted_at", "discharged_at"]
    stamps_before = Referral.objects.filter(pk=closed_case.pk).values(*stamps).get()
    connections_before = list(closed_case.connections.values_list("number", "status", "activity", "attended_at"))
    steps_before = list(closed_case.events.values_list("action", flat=True))
    sign_in(triage)

    form = client.get(export_url(resident, "erase"))
    assert form.status_code == 200 and "Grounds for erasing" in page_text(form)
    response = client.post(export_url(resident, "erase"), {"reason": REASON, "confirm": "yes"})

    assert response.status_code == 302 and response["Location"] == export_url(resident)
    resident.refresh_from_db()
    assert (resident.first_name, resident.last_name) == ("Anonymised", "Anonymised")
    assert resident.date_of_birth is None and resident.anonymised_at is not None
    assert resident.nhs_number == resident.address == resident.phone == resident.email == ""
    assert resident.accessibility_needs == resident.gp_practice == ""
    assert resident.postcode == "BH15"
    assert set(Consent.objects.filter(resident=resident).values_list("given_by", flat=True)) == {"Anonymised"}

    referral = Referral.objects.get(pk=closed_case.pk)
    assert referral.notes == referral.what_matters == referral.discharge_note == ""
    assert not referral.connections.exclude(outcome_note="").exists()
    assert referral.discharge_summary.content == {"anonymised": True}
    assert referral.referrer_name == referral.referrer_email == ""
    assert not ReferralEvent.objects.filter(referral=referral).exclude(action="erase").exclude(note="").exists()
    assert not Notification.objects.filter(referral=referral).exclude(body="").exists()
    assert not Notification.objects.filter(referral=referral).exclude(recipient="").exists()
    assert not Notification.objects.filter(referral=referral, status=DeliveryStatus.PENDING).exists()
    assert ResidentFeedback.objects.get(referral=referral).comments == ""

    # What reporting counts is kept: the codes, the dates, the steps, the scores.
    assert referral.status == S.DISCHARGED and referral.discharge_reason == DischargeReason.GOALS_MET
    assert list(referral.connections.values_list("number", "status", "activity", "attended_at")) == connections_before
    assert referral.discharge_summary.reason == DischargeReason.GOALS_MET
    assert referral.referrer_organisation == "Harbour Surgery"
    assert list(referral.needs.all()) == [needs["loneliness"]]
    assert Referral.objects.filter(pk=referral.pk).values(*stamps).get() == stamps_before
    assert list(referral.events.values_list("action", flat=True)) == [*steps_before, "erase"]
    assert WellbeingScore.objects.get(referral=referral).anxiety == 9
    assert ResidentFeedback.objects.get(referral=referral).satisfaction == 5

    # The audit trail keeps every entry, and records the erasure: who, and on what grounds.
    assert audit_before <= set(AuditEntry.objects.values_list("pk", flat=True))
    erased = AuditEntry.objects.filter(action=AuditAction.ERASE)
    assert erased.filter(resident_id=resident.pk, referral_id=None, actor=triage, reason=REASON).count() == 1
    assert erased.filter(referral_id=referral.pk, actor=triage, reason=REASON).count() == 1


def test_after_erasure_the_export_shows_only_the_anonymised_remains(client, sign_in, triage, closed_case):
    resident = closed_case.resident
    sign_in(triage)
    client.post(export_url(resident, "erase"), {"reason": REASON, "confirm": "yes"})

    response = client.get(export_url(resident))
    text = page_text(response)
    assert "The person's personal data has been erased." in text
    assert "This person's personal data was removed on" in text
    for gone in ["Margaret", "Oyelaran", "9434765919", "Quay Road", "07700 900456", "margaret@example.net",
                 "wheelchair", "Lives alone", "Goes every Tuesday", "Spoke on the phone", "Dr A Patel",
                 "Ann at the walk", "BH15 1AB", "Attendance Allowance"]:
        assert gone not in text, gone
    # The remains: steps, codes and the audit trail, with the grounds.
    for kept in [closed_case.reference, "Goals met", "First contact made", "1. Tuesday health walk",
                 "Personal data erased on request", REASON, "Tina Triage"]:
        assert kept in text, kept
    body = client.get(export_url(resident, "json")).content.decode()
    assert "Margaret" not in body and "9434765919" not in body and "Lives alone" not in body
    # No offer to erase what is already gone; asking again is refused in words.
    assert export_url(resident, "erase") not in text
    again = client.post(export_url(resident, "erase"), {"reason": REASON, "confirm": "yes"})
    assert "already been removed" in page_text(again)


def test_erasure_is_refused_while_a_referral_is_open(client, sign_in, service, triage, link_worker, activity,
                                                     closed_case):
    open_one = factories.make_referral(service=service, triage=triage, link_worker=link_worker,
                                       activity=activity, resident=closed_case.resident, status=S.CONTACTED)
    # A re-referral: discharged once, and referred again.
    sign_in(triage)

    form = page_text(client.get(export_url(closed_case.resident, "erase")))
    assert "A referral is still open" in form and open_one.reference in form

    response = client.post(export_url(closed_case.resident, "erase"), {"reason": REASON, "confirm": "yes"})

    assert response.status_code == 200
    text = page_text(response)
    assert "There is a problem" in text
    assert f"This person has a referral still open: {open_one.reference} (in support)." in text
    assert "Discharge them, or record that the person declined social prescribing, before erasing their data." in text
    # Nothing erased: not the open referral, not the finished one, not the person.
    assert Resident.objects.get(pk=closed_case.resident_id).nhs_number == "9434765919"
    assert Referral.objects.get(pk=closed_case.pk).notes == "Lives alone since her husband died."
    assert not Referral.objects.filter(anonymised_at__isnull=False).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.ERASE).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "   ", "confirm": "yes"}, "Enter the grounds for erasing this person's data."),
        ({"reason": REASON}, "Confirm that you understand the erasure cannot be undone."),
        ({"reason": "x" * 1001, "confirm": "yes"}, "Keep the grounds to 1000 characters or fewer."),
    ],
)
def test_erasure_needs_grounds_and_a_confirmation(client, sign_in, triage, closed_case, data, message):
    sign_in(triage)
    response = client.post(export_url(closed_case.resident, "erase"), data)
    assert response.status_code == 200
    assert message in page_text(response)
    assert Resident.objects.get(pk=closed_case.resident_id).first_name == "Margaret"
    assert not AuditEntry.objects.filter(action=AuditAction.ERASE).exists()


def test_the_service_refuses_an_erasure_without_grounds(triage, closed_case):
    with pytest.raises(ErasureRefused, match="Enter the grounds"):
        erase_resident(actor_for_user(triage), closed_case.resident, "  ")


def test_a_failure_part_way_leaves_nothing_half_erased(triage, closed_case):
    """The last write (the resident's audit entry) fails, as a full disk would: every earlier change goes too."""

    def fail_on_the_residents_erasure(sender, instance, created, **kwargs):
        if instance.action == AuditAction.ERASE and instance.referral_id is None:
            raise DatabaseError("could not extend file: No space left on device")

    post_save.connect(fail_on_the_residents_erasure, sender=AuditEntry)
    try:
        with pytest.raises(DatabaseError):
            erase_resident(actor_for_user(triage), closed_case.resident, REASON)
    finally:
        post_save.disconnect(fail_on_the_residents_erasure, sender=AuditEntry)

    referral = Referral.objects.get(pk=closed_case.pk)
    assert referral.anonymised_at is None and referral.notes == "Lives alone since her husband died."
    assert Notification.objects.filter(referral=referral).exclude(body="").exists()
    assert ReferralEvent.objects.filter(referral=referral, note="Spoke on the phone.").exists()
    assert not ReferralEvent.objects.filter(action="erase").exists()
    assert Resident.objects.get(pk=closed_case.resident_id).first_name == "Margaret"
    assert not AuditEntry.objects.filter(action=AuditAction.ERASE).exists()
