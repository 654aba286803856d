"""The provider's inbox and a connection's page: their own connections only (one item each), only the summary of
that one activity, every step through HTTP."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.choices import AlertKind, AuditAction, Channel, ConsentPurpose, NotificationKind
from referrals.choices import ConnectionStatus as S
from factories.referrals import (
    first_session_held,
    make_connection,
    make_provider_editor,
    make_referral,
    make_resident,
    only_connection,
)
from referrals.models import Alert, AuditEntry, Notification, Referral
from referrals.roles import actor_for_user

# Distinctive strings that must never reach a provider's page.
SECRETS = {
    "notes": "Private note: ZEBRA-CROSSING-77",
    "what_matters": "Wants to feel less PELICAN-LONELY",
    "nhs_number": "9434765919",
    "gp_practice": "Quayside Medical Centre",
    "address": "77 Lighthouse Lane",
    "referrer": "Dr A Patel",
    "referrer_org": "Harbour Surgery",
}


@pytest.fixture
def resident(service):
    return make_resident(
        service=service,
        first_name="Marigold",
        last_name="Pemberton",
        email="marigold@example.net",
        phone="07700 900456",
        nhs_number=SECRETS["nhs_number"],
        date_of_birth=date(1948, 2, 29),
        gp_practice=SECRETS["gp_practice"],
        address=SECRETS["address"],
        accessibility_needs="Uses a wheelchair: needs STEP-FREE access",
        language="Polish",
        interpreter_needed=True,
    )


@pytest.fixture
def referral_at(service, triage, link_worker, activity, resident):
    """A connection to our provider's activity, in a given status, on a referral carrying notes the provider
    must not see (returns the connection)."""

    def _make(status, *, first_session_at=None, **kwargs):
        kwargs.setdefault("resident", resident)
        referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                                 status=status, first_session_at=first_session_at, **kwargs)
        Referral.objects.filter(pk=referral.pk).update(notes=SECRETS["notes"], what_matters=SECRETS["what_matters"])
        return only_connection(referral)

    return _make


@pytest.fixture
def provider(sign_in, provider_editor):
    return sign_in(provider_editor)


def page_url(connection):
    return reverse("referrals:provider_connection", args=[connection.pk])


def step_url(connection, step):
    return reverse(f"referrals:provider_{step.replace('-', '_')}", args=[connection.pk])


# Seeing only their own ---------------------------------------------------------------------


def test_the_inbox_lists_only_referrals_sent_to_the_providers_organisation(
    provider, referral_at, service, triage, link_worker, other_activity
):
    mine = referral_at(S.SENT_TO_PROVIDER)
    theirs = make_referral(service=service, triage=triage, link_worker=link_worker, activity=other_activity,
                           status=S.SENT_TO_PROVIDER,
                           resident=make_resident(service=service, first_name="Ophelia", last_name="Otherorg"))
    response = provider.get(reverse("referrals:provider_inbox"))
    assert response.status_code == 200
    html = response.content.decode()
    assert mine.referral.reference in html and "Marigold Pemberton" in html
    assert theirs.reference not in html and "Otherorg" not in html


def test_the_inbox_groups_referrals_by_what_the_provider_does_next(provider, referral_at, service):
    new = referral_at(S.SENT_TO_PROVIDER)
    accepted = referral_at(S.ACCEPTED, resident=make_resident(service=service, last_name="Acceptedperson"))
    booked = referral_at(S.FIRST_SESSION_BOOKED, resident=make_resident(service=service, last_name="Bookedperson"))
    done = referral_at(S.ATTENDED, resident=make_resident(service=service, last_name="Attendedperson"))
    html = provider.get(reverse("referrals:provider_inbox")).content.decode()
    sections = {
        heading: html.index(heading)
        for heading in ["New referrals", "Accepted: book the first session", "First session booked", "Recently done"]
    }
    starts = sorted(sections.values())
    # (The new-messages list above the groups names references too.)
    positions = [html.index(r.referral.reference, starts[0]) for r in (new, accepted, booked, done)]
    assert starts[0] < positions[0] < starts[1] < positions[1] < starts[2] < positions[2] < starts[3] < positions[3]


def test_another_organisations_referral_is_not_found(provider, service, triage, link_worker, other_activity):
    theirs = only_connection(make_referral(service=service, triage=triage, link_worker=link_worker,
                                           activity=other_activity, status=S.SENT_TO_PROVIDER))
    assert provider.get(page_url(theirs)).status_code == 404
    assert provider.post(step_url(theirs, "accept"), {"seen_status": S.SENT_TO_PROVIDER}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.SENT_TO_PROVIDER


def test_a_referral_not_yet_sent_to_the_provider_is_not_found(provider, referral_at):
    chosen = referral_at(S.ACTIVITY_CHOSEN)
    assert provider.get(page_url(chosen)).status_code == 404


@pytest.mark.parametrize("name", ["referrals:caseload", "referrals:triage_queue", "referrals:new_referral"])
def test_link_worker_and_triage_pages_are_not_for_providers(provider, referral_at, name):
    referral_at(S.SENT_TO_PROVIDER)
    response = provider.get(reverse(name))
    assert response.status_code in (403, 404)
    assert "Marigold" not in response.content.decode()


def test_staff_without_a_provider_role_cannot_open_the_inbox(sign_in, link_worker):
    assert sign_in(link_worker).get(reverse("referrals:provider_inbox")).status_code == 403


def test_a_provider_must_prove_a_second_factor(sign_in, provider_editor, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    client = sign_in(provider_editor, verified=False)
    response = client.get(page_url(connection))
    assert response.status_code == 302
    assert "Marigold" not in response.content.decode()


# Only the summary --------------------------------------------------------------------------


def test_the_referral_page_shows_the_summary_and_never_the_notes(provider, referral_at, provider_editor, needs):
    connection = referral_at(S.SENT_TO_PROVIDER)
    connection.referral.needs.set([needs["loneliness"]])
    response = provider.get(page_url(connection))
    assert response.status_code == 200
    html = response.content.decode()
    for shown in ["Marigold", "Pemberton", connection.referral.reference, "marigold@example.net", "STEP-FREE", "Polish",
                  "Needs an interpreter", "Tuesday health walk", "Loneliness and isolation", "Lee Worker",
                  "lee@example.org"]:
        assert shown in html, shown
    for name, secret in SECRETS.items():
        assert secret not in html, name
    assert "943 476 5919" not in html and "1948" not in html and "29 February" not in html


def test_the_inbox_never_shows_the_notes(provider, referral_at):
    referral_at(S.SENT_TO_PROVIDER)
    html = provider.get(reverse("referrals:provider_inbox")).content.decode()
    for name, secret in SECRETS.items():
        assert secret not in html, name


def test_withdrawn_consent_to_sharing_hides_the_contact_details(provider, referral_at, actors):
    connection = referral_at(S.SENT_TO_PROVIDER)
    consent = connection.referral.consents.get(purpose=ConsentPurpose.SHARE_WITH_PROVIDER)
    services.consent_withdraw(consent=consent, actor=actors["link_worker"])
    html = provider.get(page_url(connection)).content.decode()
    assert "marigold@example.net" not in html and "07700 900456" not in html
    assert "Contact them through the link worker" in html
    assert "Marigold" in html  # their name is still needed to welcome them


def test_each_look_at_a_referral_is_audited(provider, referral_at, provider_editor):
    connection = referral_at(S.SENT_TO_PROVIDER)
    provider.get(page_url(connection))
    provider.get(reverse("referrals:provider_inbox"))
    views = AuditEntry.objects.filter(referral_id=connection.referral_id, action=AuditAction.VIEW, actor=provider_editor)
    assert set(views.values_list("what", flat=True)) == {"provider referral page", "provider inbox"}


def test_unread_inbox_messages_show_once_then_are_marked_read(provider, referral_at, organisation):
    connection = referral_at(S.SENT_TO_PROVIDER)
    message = Notification.objects.get(connection=connection, channel=Channel.INBOX,
                                       kind=NotificationKind.NEW_REFERRAL_FOR_PROVIDER)
    assert message.recipient_organisation == organisation and message.read_at is None
    html = provider.get(reverse("referrals:provider_inbox")).content.decode()
    assert "1 new message" in html and message.subject in html
    message.refresh_from_db()
    assert message.read_at is not None
    assert "new message" not in provider.get(reverse("referrals:provider_inbox")).content.decode()


# Each step ---------------------------------------------------------------------------------


def test_accepting_moves_the_referral_and_tells_the_link_worker(provider, referral_at, provider_editor, link_worker):
    connection = referral_at(S.SENT_TO_PROVIDER)
    response = provider.post(step_url(connection, "accept"), {"seen_status": S.SENT_TO_PROVIDER}, follow=True)
    assert response.status_code == 200
    assert "You accepted the referral" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == S.ACCEPTED
    event = connection.events.get(action="provider_accept")
    assert event.actor == provider_editor and event.from_status == S.SENT_TO_PROVIDER
    assert connection.notifications.filter(kind=NotificationKind.PROVIDER_ACCEPTED, recipient_user=link_worker).exists()
    # The next step is offered.
    assert "Book the first session" in response.content.decode()


def test_declining_without_a_reason_shows_an_error_and_changes_nothing(provider, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    events = connection.events.count()
    response = provider.post(step_url(connection, "decline"), {"seen_status": S.SENT_TO_PROVIDER})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error:" in html and "Choose a reason for declining." in html
    assert 'href="#id_decline-reason"' in html and 'id="id_decline-reason"' in html
    connection.refresh_from_db()
    assert connection.status == S.SENT_TO_PROVIDER and connection.events.count() == events


def test_declining_for_another_reason_needs_a_note(provider, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    response = provider.post(step_url(connection, "decline"), {"seen_status": S.SENT_TO_PROVIDER,
                                                             "decline-reason": "other"})
    html = response.content.decode()
    assert "Say why you are declining." in html and 'href="#id_decline-note"' in html
    connection.refresh_from_db()
    assert connection.status == S.SENT_TO_PROVIDER


def test_declining_with_a_reason_moves_the_referral(provider, referral_at, provider_editor):
    connection = referral_at(S.SENT_TO_PROVIDER)
    response = provider.post(step_url(connection, "decline"), {
        "seen_status": S.SENT_TO_PROVIDER, "decline-reason": "full", "decline-note": "Full until spring.",
    })
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == S.DECLINED_BY_PROVIDER
    assert connection.provider_decline_reason == "full" and connection.provider_decline_note == "Full until spring."
    assert connection.events.get(action="provider_decline").actor == provider_editor


def test_proposing_one_of_the_activitys_sessions_books_its_next_date(provider, referral_at, activity):
    connection = referral_at(S.ACCEPTED)
    session = activity.sessions.get()  # every Tuesday, 10:00 to 11:30
    page = provider.get(page_url(connection)).content.decode()
    assert "Book the first session" in page and "10:00 to 11:30 at Poole Park Café" in page
    response = provider.post(step_url(connection, "first-session"), {
        "seen_status": S.ACCEPTED, "first-session-when": str(session.pk),
        "first-session-note": "Ask for Sam at the café.",
    })
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == S.FIRST_SESSION_BOOKED and connection.first_session == session
    starts = timezone.localtime(connection.first_session_at)
    assert starts.weekday() == 1 and starts.time() == time(10, 0)
    assert timezone.now() < connection.first_session_at <= timezone.now() + timedelta(days=7)
    assert connection.first_session_note == "Ask for Sam at the café."
    assert connection.notifications.filter(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT).exists()


def test_proposing_another_date_and_time(provider, referral_at):
    connection = referral_at(S.ACCEPTED)
    day = timezone.localdate() + timedelta(days=10)
    response = provider.post(step_url(connection, "first-session"), {
        "seen_status": S.ACCEPTED, "first-session-when": "other", "first-session-day": str(day.day),
        "first-session-month": str(day.month), "first-session-year": str(day.year), "first-session-time": "2:30pm",
    })
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == S.FIRST_SESSION_BOOKED and connection.first_session is None
    assert timezone.localtime(connection.first_session_at) == timezone.make_aware(datetime.combine(day, time(14, 30)))


@pytest.mark.parametrize(
    "data, message, anchor",
    [
        ({}, "Choose a session, or another date and time.", "id_first-session-when"),
        ({"first-session-when": "other"}, "Enter the date of the first session.", "id_first-session-day"),
        ({"first-session-when": "other", "first-session-day": "31", "first-session-month": "2",
          "first-session-year": "2030", "first-session-time": "10:00"}, "The date must be a real date",
         "id_first-session-day"),
        ({"first-session-when": "other", "first-session-day": "1", "first-session-month": "2",
          "first-session-year": "2030", "first-session-time": "25:00"}, "Enter a real time", "id_first-session-time"),
    ],
)
def test_a_first_session_that_cannot_be_read_shows_an_error_beside_the_field(provider, referral_at, data, message,
                                                                               anchor):
    connection = referral_at(S.ACCEPTED)
    response = provider.post(step_url(connection, "first-session"), {"seen_status": S.ACCEPTED, **data})
    html = response.content.decode()
    assert response.status_code == 200 and message in html and f'href="#{anchor}"' in html and f'id="{anchor}"' in html
    connection.refresh_from_db()
    assert connection.status == S.ACCEPTED


def test_a_first_session_in_the_past_is_refused(provider, referral_at):
    connection = referral_at(S.ACCEPTED)
    day = timezone.localdate() - timedelta(days=2)
    response = provider.post(step_url(connection, "first-session"), {
        "seen_status": S.ACCEPTED, "first-session-when": "other", "first-session-day": str(day.day),
        "first-session-month": str(day.month), "first-session-year": str(day.year), "first-session-time": "10:00",
    })
    assert "The first session must be in the future." in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == S.ACCEPTED and connection.first_session_at is None


def test_attendance_waits_for_the_first_session_to_start(provider, referral_at):
    connection = referral_at(S.FIRST_SESSION_BOOKED)
    page = provider.get(page_url(connection)).content.decode()
    assert "You can confirm attendance once the first session has started, on " in page
    assert "Did they come to the first session?" not in page
    # A form posted anyway (an old tab, a crafted request) is refused with the same reason.
    response = provider.post(step_url(connection, "attendance"), {"seen_status": S.FIRST_SESSION_BOOKED,
                                                                "attendance-attended": "attended"})
    assert response.status_code == 200
    assert "Record whether the person attended once it has started" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == S.FIRST_SESSION_BOOKED and connection.attendance_recorded_at is None


def test_confirming_attendance(provider, referral_at, provider_editor, link_worker):
    connection = referral_at(S.FIRST_SESSION_BOOKED)
    first_session_held(connection)
    page = provider.get(page_url(connection)).content.decode()
    assert "Did they come to the first session?" in page
    response = provider.post(step_url(connection, "attendance"), {"seen_status": S.FIRST_SESSION_BOOKED,
                                                                "attendance-attended": "attended"})
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == S.ATTENDED
    assert connection.events.get(action="record_attendance").actor == provider_editor
    assert connection.notifications.filter(kind=NotificationKind.ATTENDANCE_RECORDED, recipient_user=link_worker).exists()


def test_confirming_attendance_twice_records_it_once(provider, referral_at):
    connection = referral_at(S.FIRST_SESSION_BOOKED)
    first_session_held(connection)
    data = {"seen_status": S.FIRST_SESSION_BOOKED, "attendance-attended": "attended"}
    assert provider.post(step_url(connection, "attendance"), data).status_code == 302
    assert provider.post(step_url(connection, "attendance"), data).status_code == 302
    assert connection.events.filter(action="record_attendance").count() == 1


def test_recording_did_not_attend_raises_an_alert(provider, referral_at):
    connection = referral_at(S.FIRST_SESSION_BOOKED)
    first_session_held(connection)
    response = provider.post(step_url(connection, "attendance"), {"seen_status": S.FIRST_SESSION_BOOKED,
                                                                "attendance-attended": "did_not_attend"})
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == S.DID_NOT_ATTEND
    assert Alert.objects.open().filter(connection=connection, kind=AlertKind.DID_NOT_ATTEND).exists()


def test_cancelling_the_first_session_needs_a_reason(provider, referral_at):
    connection = referral_at(S.FIRST_SESSION_BOOKED)
    response = provider.post(step_url(connection, "cancel"), {"seen_status": S.FIRST_SESSION_BOOKED})
    assert "Say why the first session is cancelled." in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == S.FIRST_SESSION_BOOKED
    response = provider.post(step_url(connection, "cancel"), {"seen_status": S.FIRST_SESSION_BOOKED,
                                                            "cancel-note": "The hall has flooded."})
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == S.CANCELLED


def test_a_step_the_referral_has_moved_past_says_it_was_already_updated(provider, referral_at, organisation):
    connection = referral_at(S.SENT_TO_PROVIDER)
    # Two editors have the page open; the other one accepts first.
    colleague = actor_for_user(make_provider_editor(organisation=organisation, username="colleague"))
    services.connection_provider_accept(connection=connection, actor=colleague)
    response = provider.post(step_url(connection, "decline"), {"seen_status": S.SENT_TO_PROVIDER,
                                                             "decline-reason": "full"})
    html = response.content.decode()
    assert response.status_code == 200 and "This referral has already been updated" in html
    connection.refresh_from_db()
    assert connection.status == S.ACCEPTED and not connection.events.filter(action="provider_decline").exists()


def test_a_step_that_is_not_allowed_now_is_a_form_error_not_a_crash(provider, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    response = provider.post(step_url(connection, "attendance"), {"attendance-attended": "attended"})
    assert response.status_code == 200
    assert "cannot be" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == S.SENT_TO_PROVIDER


def test_someone_who_can_see_but_not_act_as_the_provider_gets_a_403(sign_in, referral_at):
    from factories.referrals import make_user

    connection = referral_at(S.SENT_TO_PROVIDER)
    administrator = make_user("admin", is_superuser=True, is_staff=True)
    client = sign_in(administrator)
    assert client.get(page_url(connection)).status_code == 200  # administrators see everything
    response = client.post(step_url(connection, "accept"), {"seen_status": S.SENT_TO_PROVIDER})
    assert response.status_code == 403 and "You cannot do this" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == S.SENT_TO_PROVIDER


# Several connections: one item each, each provider only its own -----------------------------


@pytest.fixture
def two_providers(referral_at, other_activity, sign_in, other_organisation):
    """One person connected to two activities of two organisations: ours (connection 1) and theirs (2)."""
    ours = referral_at(S.SENT_TO_PROVIDER)
    theirs = make_connection(referral=ours.referral, status=S.SENT_TO_PROVIDER, activity=other_activity)
    olive = make_provider_editor(organisation=other_organisation, username="olive", first_name="Olive")
    return ours, theirs, olive


def test_each_provider_sees_only_its_own_connection_of_a_shared_referral(provider, two_providers, sign_in, client):
    ours, theirs, olive = two_providers
    assert (ours.number, theirs.number) == (1, 2) and ours.referral_id == theirs.referral_id
    inbox = provider.get(reverse("referrals:provider_inbox")).content.decode()
    assert inbox.count("Marigold Pemberton") == 1
    assert "Tuesday health walk" in inbox and "Friday lunch club" not in inbox
    page = provider.get(page_url(ours)).content.decode()
    assert "Tuesday health walk" in page
    for other in ["Friday lunch club", "Harbour Lunch Club", "Harbour Hall"]:
        assert other not in page, other
    # The other organisation's item is not found, by page or by step.
    assert provider.get(page_url(theirs)).status_code == 404
    assert provider.post(step_url(theirs, "accept"), {"seen_status": S.SENT_TO_PROVIDER}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.SENT_TO_PROVIDER

    # And the other organisation's editor sees the mirror image.
    client.logout()
    other = sign_in(olive)
    inbox = other.get(reverse("referrals:provider_inbox")).content.decode()
    assert "Friday lunch club" in inbox and "Tuesday health walk" not in inbox
    assert other.get(page_url(ours)).status_code == 404
    response = other.post(step_url(theirs, "accept"), {"seen_status": S.SENT_TO_PROVIDER})
    assert response.status_code == 302
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert theirs.status == S.ACCEPTED and ours.status == S.SENT_TO_PROVIDER


def test_two_connections_to_one_organisation_are_two_items(provider, referral_at, organisation):
    from factories.directory import make_activity

    walk = referral_at(S.SENT_TO_PROVIDER)
    art = make_connection(referral=walk.referral, status=S.SENT_TO_PROVIDER,
                          activity=make_activity(organisation, "Thursday art club"))
    inbox = provider.get(reverse("referrals:provider_inbox")).content.decode()
    assert inbox.count("Marigold Pemberton") == 2
    assert page_url(walk) in inbox and page_url(art) in inbox
    # Accepting one leaves the other waiting for its own answer.
    assert provider.post(step_url(art, "accept"), {"seen_status": S.SENT_TO_PROVIDER}).status_code == 302
    walk.refresh_from_db()
    art.refresh_from_db()
    assert art.status == S.ACCEPTED and walk.status == S.SENT_TO_PROVIDER
    page = provider.get(page_url(walk)).content.decode()
    assert "Tuesday health walk" in page and "Thursday art club" not in page


def test_a_withdrawn_connection_tells_the_provider_and_shows_as_withdrawn(provider, referral_at, actors,
                                                                          organisation):
    connection = referral_at(S.ACCEPTED)
    services.connection_withdraw(connection=connection, actor=actors["link_worker"],
                                 note="The person would rather try the lunch club.")
    told = connection.notifications.filter(kind=NotificationKind.CONNECTION_WITHDRAWN)
    assert {(n.channel, n.recipient_organisation_id or n.recipient) for n in told} == {
        (Channel.INBOX, organisation.pk), (Channel.EMAIL, organisation.email)}
    email = told.get(channel=Channel.EMAIL)
    assert "withdrawn" in email.subject and "Tuesday health walk" in email.subject
    assert "Marigold" not in email.body and "lunch club" not in email.body  # the team's reason stays with the team

    inbox = provider.get(reverse("referrals:provider_inbox")).content.decode()
    assert email.subject in inbox  # the new message, once
    done = inbox.index("Recently done")
    assert inbox.index(connection.referral.reference, done) > done
    assert "Withdrawn" in inbox[done:]
    page = provider.get(page_url(connection)).content.decode()
    assert "The link worker has withdrawn this referral" in page
    assert "Book the first session" not in page and "Decline referral" not in page
    # A form left open from before is refused, and nothing changes.
    response = provider.post(step_url(connection, "decline"), {"seen_status": S.ACCEPTED, "decline-reason": "full"})
    assert response.status_code == 200 and "already been updated" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == S.WITHDRAWN and not connection.events.filter(action="provider_decline").exists()
