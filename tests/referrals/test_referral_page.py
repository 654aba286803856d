"""The referral page as the social prescribing team sees it: details, consents, timeline, its connections
(activities and signposts, several at once) with their steps, and review and discharge, through HTTP."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from directory.choices import ActivityStatus
from factories.referrals import (
    ALL_CONSENTS,
    first_session_held,
    hold_review,
    make_connection,
    make_link_worker,
    make_referral,
    make_signpost,
    make_triage,
    only_connection,
    received_earlier,
)
from referrals import contacts, outcomes
from referrals.choices import (
    SNOMED_DECLINED,
    AlertKind,
    AuditAction,
    Channel,
    ConsentPurpose,
    ContactMethod,
    ContactStatus,
    DischargeReason,
    NotificationKind,
    WellbeingStage,
)
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import Alert, AuditEntry, Consent, DischargeSummary
from referrals.roles import actor_for_user


def url(referral) -> str:
    return f"/referrals/{referral.pk}/"


def step(referral, action: str) -> str:
    return f"/referrals/{referral.pk}/steps/{action}/"


def connection_step(connection, action: str) -> str:
    return f"/referrals/{connection.referral_id}/connections/{connection.number}/{action}/"


def on_connection(connection, action: str, seen_status=None, **fields) -> dict:
    """A connection step's form as its page sends it: the status it showed, and its prefixed fields."""
    data = {"seen_status": connection.status if seen_status is None else seen_status}
    data.update({f"c{connection.number}-{action}-{name}": value for name, value in fields.items()})
    return data


def finds_activities(page, *, primary: bool = False) -> bool:
    """Whether the page offers "Find activities for <name>" (as the primary, green button if asked)."""
    links = [a for a in page.select("a") if a.get_text(strip=True).startswith("Find activities for ")]
    return bool(links) and (not primary or "nhsuk-button--secondary" not in links[0].get("class", []))


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def offered_steps(page) -> set[str]:
    return {form["action"].rstrip("/").rsplit("/", 1)[-1] for form in page.select("form[action*='/steps/']")}


def connection_steps(page, number: int) -> set[str]:
    """The steps offered on a connection: its forms, and changing the activity (a link to the person's search)."""
    card = page.find(id=f"connection-{number}")
    if card is None:
        return set()
    steps = {form["action"].rstrip("/").rsplit("/", 1)[-1] for form in card.select("form")}
    if card.select_one(f"a[href$='find-activities/?change={number}']"):
        steps.add("change_activity")
    return steps


def error_summary(response) -> str:
    summary = soup(response).select_one(".nhsuk-error-summary")
    return summary.get_text(" ", strip=True) if summary else ""


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
    assert "From “Triaged” to “In support”" in timeline
    consents = page.find(id="consent").find_next("ul").get_text(" ", strip=True)
    assert "Sharing contact details with the activity provider" in consents
    assert offered_steps(page) == {"person_declines"}
    # In support with nothing going on: connecting is the next step, its action a primary button.
    assert finds_activities(page, primary=True)
    assert page.select_one("details#signpost form") is not None
    assert page.select_one("details#discharge-form form") is not None
    assert "Connect the person to activities and services" in text


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


def test_triage_reads_the_connections_but_takes_only_its_own_steps(contacted, triage, activity, sign_in):
    make_connection(referral=contacted, status=C.FIRST_SESSION_BOOKED, activity=activity)

    page = soup(sign_in(triage).get(url(contacted)))

    assert offered_steps(page) == {"person_declines"}
    assert page.find("a", string="Move to another link worker") is not None
    assert activity.title in page.find(id="connection-1").get_text()
    # Triage may withdraw a connection (the policy's), never take the link worker's or the provider's steps.
    assert connection_steps(page, 1) == {"withdraw"}
    assert page.select_one("#connect-activity") is None and page.select_one("details#signpost") is None
    assert not finds_activities(page)


def test_recording_first_contact_moves_the_referral_and_clears_the_alert(service, triage, link_worker, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    Alert.objects.create(referral=referral, kind=AlertKind.NOT_CONTACTED)

    # First contact is a held contact recorded in the page's Contacts section.
    page = soup(sign_in(link_worker).get(url(referral)))
    assert page.select_one("details#record-contact[open]") is not None
    assert page.select_one("#connect-activity") is None and not finds_activities(page)  # not before first contact
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


def test_connecting_to_an_activity_then_sending_it_to_the_provider(contacted, link_worker, activity, sign_in):
    client = sign_in(link_worker)
    response = client.post(f"{url(contacted)}connections/", {"connect-activity": activity.pk})
    assert response.status_code == 302 and response["Location"].endswith("#connection-1")
    connection = only_connection(contacted)
    assert connection.status == C.ACTIVITY_CHOSEN and connection.activity_id == activity.pk
    contacted.refresh_from_db()
    assert contacted.status == S.CONTACTED  # the person stays in support

    page = soup(client.get(url(contacted)))
    assert {"send_to_provider", "change_activity", "withdraw"} == connection_steps(page, 1)
    assert page.select_one("details#connection-1-send_to_provider[open]") is not None
    assert "Send the referral to the provider" in page.find(id="connection-1").get_text()

    client.post(connection_step(connection, "send_to_provider"), on_connection(connection, "send_to_provider"))
    connection.refresh_from_db()
    assert connection.status == C.SENT_TO_PROVIDER and connection.provider_id == activity.organisation.pk
    assert contacted.notifications.filter(kind=NotificationKind.NEW_REFERRAL_FOR_PROVIDER,
                                          connection=connection).exists()


def test_connecting_and_sending_at_once(contacted, link_worker, activity, sign_in):
    response = sign_in(link_worker).post(f"{url(contacted)}connections/", {"connect-activity": activity.pk,
                                                                           "connect-send": "on"}, follow=True)

    assert only_connection(contacted).status == C.SENT_TO_PROVIDER
    assert "chosen and the referral sent to the provider" in soup(response).get_text()


def test_two_connections_at_once_each_with_its_own_steps(contacted, link_worker, activity, other_activity, sign_in):
    client = sign_in(link_worker)

    client.post(f"{url(contacted)}connections/", {"connect-activity": activity.pk, "connect-send": "on"})
    client.post(f"{url(contacted)}connections/", {"connect-activity": other_activity.pk})

    first, second = contacted.connections.order_by("number")
    assert (first.number, first.activity_id, first.status) == (1, activity.pk, C.SENT_TO_PROVIDER)
    assert (second.number, second.activity_id, second.status) == (2, other_activity.pk, C.ACTIVITY_CHOSEN)
    page = soup(client.get(url(contacted)))
    assert activity.title in page.find(id="connection-1").get_text()
    assert other_activity.title in page.find(id="connection-2").get_text()
    assert connection_steps(page, 1) == {"withdraw"}  # with the provider: theirs to answer
    assert connection_steps(page, 2) == {"send_to_provider", "change_activity", "withdraw"}
    assert "Connect to another activity" in page.find(id="connect-activity").get_text()

    # Sending the second leaves the first as it was.
    client.post(connection_step(second, "send_to_provider"), on_connection(second, "send_to_provider"))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == C.SENT_TO_PROVIDER
    assert second.provider_id == other_activity.organisation.pk != first.provider_id

    # The same activity twice, while the first is still open, is refused.
    response = client.post(f"{url(contacted)}connections/", {"connect-activity": activity.pk})
    assert "already being connected to this activity" in error_summary(response)
    assert contacted.connections.count() == 2


def test_changing_the_activity_before_it_is_sent(contacted, link_worker, activity, other_activity, sign_in):
    connection = make_connection(referral=contacted, activity=activity)

    sign_in(link_worker).post(connection_step(connection, "change_activity"),
                              on_connection(connection, "change_activity", activity=other_activity.pk))

    connection.refresh_from_db()
    assert connection.activity_id == other_activity.pk and connection.status == C.ACTIVITY_CHOSEN


def test_an_activity_that_is_not_running_cannot_be_chosen(contacted, link_worker, activity, sign_in):
    activity.status = ActivityStatus.CLOSED
    activity.save_revision().publish()

    response = sign_in(link_worker).post(f"{url(contacted)}connections/", {"connect-activity": activity.pk})

    assert "Choose an activity that is running now." in error_summary(response)
    assert finds_activities(soup(response), primary=True)
    assert not contacted.connections.exists()


def test_signposting_to_a_service_and_recording_its_outcome(contacted, link_worker, sign_in):
    client = sign_in(link_worker)

    response = client.post(f"{url(contacted)}connections/signpost/", {"signpost-service_name": ""})
    assert "Enter the name of the service." in error_summary(response)
    assert soup(response).select_one("details#signpost[open]") is not None

    response = client.post(f"{url(contacted)}connections/signpost/", {
        "signpost-service_name": "Citizens Advice Poole", "signpost-service_contact": "0800 144 8848",
        "signpost-note": "Debt worries."}, follow=True)
    signpost = only_connection(contacted)
    assert signpost.is_signpost and signpost.status == C.SIGNPOSTED and signpost.service_contact == "0800 144 8848"
    card = soup(response).find(id="connection-1")
    assert "Citizens Advice Poole" in card.get_text() and "0800 144 8848" in card.get_text()
    assert connection_steps(soup(response), 1) == {"record_signpost_outcome", "withdraw"}

    response = client.post(connection_step(signpost, "record_signpost_outcome"),
                           on_connection(signpost, "record_signpost_outcome"))
    assert "Choose whether the person took up the service." in error_summary(response)

    client.post(connection_step(signpost, "record_signpost_outcome"),
                on_connection(signpost, "record_signpost_outcome", outcome=C.TOOK_UP, note="Seen twice."))
    signpost.refresh_from_db()
    assert signpost.status == C.TOOK_UP and signpost.outcome_note == "Seen twice."
    assert "Took up the service" in soup(client.get(url(contacted))).find(id="connection-1").get_text()


def test_withdrawing_a_connection_needs_a_reason_and_tells_its_provider(service, triage, link_worker, activity,
                                                                       sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.SENT_TO_PROVIDER)
    connection = only_connection(referral)
    client = sign_in(link_worker)

    response = client.post(connection_step(connection, "withdraw"), on_connection(connection, "withdraw"))
    assert "Say why the connection is withdrawn." in error_summary(response)
    connection.refresh_from_db()
    assert connection.status == C.SENT_TO_PROVIDER

    client.post(connection_step(connection, "withdraw"),
                on_connection(connection, "withdraw", note="Changed their mind."))
    connection.refresh_from_db()
    assert connection.status == C.WITHDRAWN and connection.ended_at is not None
    assert referral.notifications.filter(kind=NotificationKind.CONNECTION_WITHDRAWN, connection=connection).exists()
    assert connection_steps(soup(client.get(url(referral))), 1) == set()


def test_sending_without_consent_to_share_is_refused_with_an_error_summary_and_changes_nothing(
    service, triage, link_worker, activity, sign_in
):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACTIVITY_CHOSEN,
                             consents={**ALL_CONSENTS, ConsentPurpose.SHARE_WITH_PROVIDER: False})
    connection = only_connection(referral)
    events = referral.events.count()

    response = sign_in(link_worker).post(connection_step(connection, "send_to_provider"),
                                         on_connection(connection, "send_to_provider", note="Go"))

    assert response.status_code == 200
    page = soup(response)
    assert page.title.get_text().startswith("Error:")
    assert "has not agreed to their details being shared" in error_summary(response)
    assert page.select_one("details#connection-1-send_to_provider[open]") is not None
    connection.refresh_from_db()
    assert connection.status == C.ACTIVITY_CHOSEN and referral.events.count() == events
    assert not referral.notifications.filter(kind=NotificationKind.NEW_REFERRAL_FOR_PROVIDER).exists()


def test_recording_consent_then_sending_succeeds(service, triage, link_worker, activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACTIVITY_CHOSEN,
                             consents={**ALL_CONSENTS, ConsentPurpose.SHARE_WITH_PROVIDER: False})
    connection = only_connection(referral)
    client = sign_in(link_worker)

    response = client.post(f"/referrals/{referral.pk}/consents/", {
        "consent-purpose": ConsentPurpose.SHARE_WITH_PROVIDER, "consent-given": "yes", "consent-method": "verbal",
        "consent-given_by": "The person themselves",
    })
    assert response.status_code == 302
    consent = Consent.objects.get(referral=referral, purpose=ConsentPurpose.SHARE_WITH_PROVIDER, given=True)
    assert consent.recorded_by == link_worker

    client.post(connection_step(connection, "send_to_provider"), on_connection(connection, "send_to_provider"))
    connection.refresh_from_db()
    assert connection.status == C.SENT_TO_PROVIDER


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


def test_attendance_only_once_the_first_session_has_started(service, triage, link_worker, activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.FIRST_SESSION_BOOKED)
    connection = only_connection(referral)
    client = sign_in(link_worker)
    page = soup(client.get(url(referral)))
    assert connection_steps(page, 1) == {"mark_resident_notified", "cancel_first_session", "withdraw"}
    assert "once the first session has started" in page.find(id="connection-1").get_text()

    # Before the session has started, whether the person came cannot be known, even if asked for directly.
    too_early = client.post(connection_step(connection, "record_attendance"),
                            on_connection(connection, "record_attendance", note="Loved it."))
    assert "Record whether the person attended once it has started" in error_summary(too_early)
    connection.refresh_from_db()
    assert connection.status == C.FIRST_SESSION_BOOKED and not referral.events.filter(action="record_attendance")

    first_session_held(connection)
    assert {"record_attendance", "record_did_not_attend"} <= connection_steps(soup(client.get(url(referral))), 1)
    client.post(connection_step(connection, "record_attendance"),
                on_connection(connection, "record_attendance", note="Loved it."))
    connection.refresh_from_db()
    assert connection.status == C.ATTENDED and connection.attended_at is not None


def test_a_stale_page_is_told_the_connection_has_moved_and_changes_nothing(service, triage, link_worker, activity,
                                                                          sign_in):
    """Two people at once: the provider accepted while the link worker's page still showed "sent"."""
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACCEPTED)
    connection = only_connection(referral)
    events = referral.events.count()

    response = sign_in(link_worker).post(
        connection_step(connection, "withdraw"),
        on_connection(connection, "withdraw", seen_status=C.SENT_TO_PROVIDER, note="No longer needed."))

    assert "already been updated" in error_summary(response) and "accepted by provider" in error_summary(response)
    connection.refresh_from_db()
    assert connection.status == C.ACCEPTED and referral.events.count() == events


def test_did_not_attend_then_another_activity(service, triage, link_worker, activity, other_activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.FIRST_SESSION_BOOKED)
    connection = first_session_held(only_connection(referral))
    client = sign_in(link_worker)

    client.post(connection_step(connection, "record_did_not_attend"), on_connection(connection,
                                                                                    "record_did_not_attend"))
    connection.refresh_from_db()
    assert connection.status == C.DID_NOT_ATTEND
    page = soup(client.get(url(referral)))
    assert "Did not attend the first session" in page.select_one(".nhsuk-warning-callout").get_text()
    assert finds_activities(page, primary=True)  # nothing open: connect again

    client.post(f"{url(referral)}connections/", {"connect-activity": other_activity.pk})
    assert referral.connections.get(number=2).activity_id == other_activity.pk
    connection.refresh_from_db()
    assert connection.status == C.DID_NOT_ATTEND  # the missed one stays as it ended
    assert not referral.alerts.open().exists()


def test_cancelling_a_first_session_needs_a_reason(service, triage, link_worker, activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.FIRST_SESSION_BOOKED)
    connection = only_connection(referral)
    client = sign_in(link_worker)

    response = client.post(connection_step(connection, "cancel_first_session"),
                           on_connection(connection, "cancel_first_session", note=""))
    assert "Say why the first session is cancelled." in error_summary(response)
    connection.refresh_from_db()
    assert connection.status == C.FIRST_SESSION_BOOKED

    client.post(connection_step(connection, "cancel_first_session"),
                on_connection(connection, "cancel_first_session", note="Venue flooded."))
    connection.refresh_from_db()
    assert connection.status == C.CANCELLED


def test_the_person_declines_from_the_referral_page_then_is_discharged(contacted, link_worker, sign_in):
    client = sign_in(link_worker)
    client.post(step(contacted, "person_declines"), {"person_declines-note": "Feeling better."})

    contacted.refresh_from_db()
    assert contacted.status == S.DECLINED_BY_PERSON and contacted.snomed_code == SNOMED_DECLINED
    assert soup(client.get(url(contacted))).select_one("details#discharge-form[open]") is not None


# Review and discharge --------------------------------------------------------------------


def preview(client, referral, reason=DischargeReason.GOALS_MET, note=""):
    return client.post(f"{url(referral)}discharge/", {"discharge-reason": reason, "discharge-note": note})


def confirm_data(page) -> dict:
    form = page.select_one("form[action$='/discharge/confirm/']")
    return {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}


def test_discharge_previews_the_summary_then_confirming_makes_it_final(service, triage, link_worker, activity,
                                                                       sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ATTENDED)
    make_signpost(referral=referral, outcome=C.TOOK_UP)
    hold_review(referral)
    worker = actor_for_user(link_worker)
    for stage, score in ((WellbeingStage.FIRST_CONVERSATION, 3), (WellbeingStage.REVIEW, 7)):
        outcomes.wellbeing_record(referral=referral, actor=worker, stage=stage,
                                  scores=dict.fromkeys(outcomes.ONS4_FIELDS, score))
    client = sign_in(link_worker)

    response = preview(client, referral, note="Going weekly; managing the debt.")

    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Check the discharge summary"
    text = page.get_text(" ", strip=True)
    for words in (referral.resident.full_name, referral.reference, "Goals met", "Going weekly; managing the debt.",
                  activity.title, "Went to the first session", "Citizens Advice Poole", "took up the service",
                  "A review was held.", "Overall, how satisfied are you with your life nowadays?"):
        assert words in text, words
    satisfaction = page.find("td", string="Overall, how satisfied are you with your life nowadays?").parent
    assert [cell.get_text(strip=True) for cell in satisfaction.select("td")][1:] == ["3", "7"]
    referral.refresh_from_db()
    assert referral.status == S.CONTACTED  # nothing final yet
    assert not DischargeSummary.objects.filter(referral=referral).exists()

    response = client.post(f"{url(referral)}discharge/confirm/", confirm_data(page), follow=True)

    referral.refresh_from_db()
    assert referral.status == S.DISCHARGED and referral.discharge_reason == DischargeReason.GOALS_MET
    summary = referral.discharge_summary
    assert summary.is_final and summary.note == "Going weekly; managing the debt."
    assert referral.notifications.filter(kind=NotificationKind.FEEDBACK_TO_REFERRER, channel=Channel.EMAIL).exists()
    page = soup(response)
    assert "is discharged" in page.select_one(".nhsuk-notification-banner--success").get_text()
    final = page.find(id="discharge").parent.get_text(" ", strip=True)
    assert "Discharge summary" in final and "Citizens Advice Poole" in final and "Goals met" in final
    assert offered_steps(page) == set() and page.select_one("details#discharge-form") is None
    assert page.select_one("#connect-activity") is None and not finds_activities(page)


def test_confirming_a_summary_that_has_changed_shows_it_again(contacted, link_worker, sign_in):
    hold_review(contacted)
    client = sign_in(link_worker)
    first = soup(preview(client, contacted))
    data = confirm_data(first)

    # Meanwhile something is recorded: another contact.
    contacted = received_earlier(contacted)
    contacts.contact_record(referral=contacted, actor=actor_for_user(link_worker),
                            at=timezone.now() - timedelta(minutes=1), method=ContactMethod.PHONE,
                            status=ContactStatus.HELD, duration_minutes=10)
    response = client.post(f"{url(contacted)}discharge/confirm/", data)

    assert response.status_code == 200
    page = soup(response)
    assert "The summary has changed since you checked it" in page.get_text()
    assert confirm_data(page)["confirm-fingerprint"] != data["confirm-fingerprint"]
    contacted.refresh_from_db()
    assert contacted.status == S.CONTACTED and not DischargeSummary.objects.filter(referral=contacted).exists()

    # Confirming what is shown now works.
    client.post(f"{url(contacted)}discharge/confirm/", confirm_data(page))
    contacted.refresh_from_db()
    assert contacted.status == S.DISCHARGED


def test_discharge_is_refused_while_a_provider_is_working_on_a_connection(service, triage, link_worker, activity,
                                                                         sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACCEPTED)
    client = sign_in(link_worker)
    page = soup(client.get(url(referral)))
    assert "A provider is still working on" in page.find(id="discharge").parent.get_text()

    response = preview(client, referral, reason=DischargeReason.MOVED_AWAY)

    assert "A provider is still working on a connection" in error_summary(response)
    assert soup(response).select_one("details#discharge-form[open]") is not None
    referral.refresh_from_db()
    assert referral.status == S.CONTACTED


def test_goals_met_needs_a_review_and_the_page_says_how(contacted, link_worker, sign_in):
    client = sign_in(link_worker)
    page = soup(client.get(url(contacted)))
    needed = page.find(id="review-needed")
    assert "A review is needed before discharging" in needed.get_text()
    assert needed.find("a", href="#record-contact") is not None
    assert needed.find("a", href=f"/referrals/{contacted.pk}/wellbeing/") is not None

    response = preview(client, contacted)
    assert "Hold a review with the person before discharging" in error_summary(response)

    hold_review(contacted)
    assert soup(client.get(url(contacted))).find(id="review-needed") is None
    assert preview(client, contacted).status_code == 200


def test_a_tampered_or_missing_fingerprint_is_not_a_discharge(contacted, link_worker, sign_in):
    client = sign_in(link_worker)

    response = client.post(f"{url(contacted)}discharge/confirm/", {"confirm-reason": DischargeReason.MOVED_AWAY})

    assert "Check the discharge summary before confirming." in error_summary(response)
    contacted.refresh_from_db()
    assert contacted.status == S.CONTACTED


# Refusals and access ----------------------------------------------------------------------


def test_a_step_out_of_order_shows_an_error_and_changes_nothing(service, triage, link_worker, activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACTIVITY_CHOSEN)
    connection = only_connection(referral)
    events = referral.events.count()

    response = sign_in(link_worker).post(connection_step(connection, "record_attendance"),
                                         on_connection(connection, "record_attendance"))

    assert response.status_code == 200
    assert "cannot be" in error_summary(response)
    connection.refresh_from_db()
    assert connection.status == C.ACTIVITY_CHOSEN and referral.events.count() == events


def test_a_step_the_actor_does_not_own_is_forbidden(contacted, triage, activity, sign_in):
    client = sign_in(triage)
    events = contacted.events.count()

    assert client.post(f"{url(contacted)}connections/", {"connect-activity": activity.pk}).status_code == 403
    assert client.post(f"{url(contacted)}connections/signpost/",
                       {"signpost-service_name": "Citizens Advice"}).status_code == 403
    assert client.post(f"{url(contacted)}contacts/", {}).status_code == 403
    contacted.refresh_from_db()
    assert not contacted.connections.exists() and contacted.events.count() == events


def test_an_unknown_step_is_not_found(service, triage, link_worker, activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.SENT_TO_PROVIDER)
    client = sign_in(link_worker)

    assert client.post(step(referral, "provider_accept"), {}).status_code == 404
    assert client.post(step(referral, "close"), {}).status_code == 404
    assert client.post(connection_step(only_connection(referral), "provider_accept"), {}).status_code == 404
    assert client.post(f"{url(referral)}connections/9/withdraw/", {"c9-withdraw-note": "x"}).status_code == 404


def test_another_link_workers_referral_is_not_found(service, triage, link_worker, activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACTIVITY_CHOSEN)
    connection = only_connection(referral)
    colleague = make_link_worker(service=service, username="casey")
    client = sign_in(colleague)

    assert client.get(url(referral)).status_code == 404
    assert client.post(f"{url(referral)}connections/", {"connect-activity": activity.pk}).status_code == 404
    assert client.post(connection_step(connection, "withdraw"),
                       on_connection(connection, "withdraw", note="x")).status_code == 404
    assert preview(client, referral, reason=DischargeReason.OTHER).status_code == 404
    assert client.post(f"{url(referral)}discharge/confirm/", {}).status_code == 404
    assert client.post(f"/referrals/{referral.pk}/consents/", {}).status_code == 404
    connection.refresh_from_db()
    assert connection.status == C.ACTIVITY_CHOSEN and referral.connections.count() == 1
    assert not AuditEntry.objects.filter(referral_id=referral.pk, actor=colleague).exists()


def test_triage_of_another_service_gets_not_found(other_service, contacted, sign_in):
    outsider = make_triage(service=other_service, username="hal")
    client = sign_in(outsider)
    assert client.get(url(contacted)).status_code == 404
    assert preview(client, contacted, reason=DischargeReason.OTHER).status_code == 404


def test_a_provider_editor_never_sees_the_referral_page(service, triage, link_worker, activity, provider_editor,
                                                        sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.SENT_TO_PROVIDER)
    connection = only_connection(referral)
    client = sign_in(provider_editor)

    response = client.get(url(referral))
    assert response.status_code in (403, 404)
    assert referral.resident.last_name not in response.content.decode()
    assert preview(client, referral, reason=DischargeReason.OTHER).status_code in (403, 404)
    assert client.post(connection_step(connection, "withdraw"),
                       on_connection(connection, "withdraw", note="x")).status_code in (403, 404)
    assert client.post(f"{url(referral)}connections/signpost/",
                       {"signpost-service_name": "x"}).status_code in (403, 404)
    connection.refresh_from_db()
    assert connection.status == C.SENT_TO_PROVIDER


def test_staff_without_a_verified_second_factor_are_sent_to_the_two_factor_page(contacted, link_worker, sign_in):
    response = sign_in(link_worker, verified=False).get(url(contacted))

    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/")
    assert not AuditEntry.objects.filter(referral_id=contacted.pk, action=AuditAction.VIEW).exists()


def test_a_first_session_in_the_future_shows_on_the_page(service, triage, link_worker, activity, sign_in):
    when = timezone.now() + timedelta(days=5)
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.FIRST_SESSION_BOOKED, first_session_at=when)

    text = soup(sign_in(link_worker).get(url(referral))).find(id="connection-1").get_text(" ", strip=True)

    assert activity.title in text and timezone.localtime(when).strftime("%Y") in text
    assert "Make sure the person knows about the first session" in text
