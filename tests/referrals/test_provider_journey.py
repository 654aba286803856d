"""The provider's journey by email (issue 15): each step's email carries the single-use link for the next one, the
person's contact details (with their consent) stay in view until attendance is recorded, phone numbers are tap to
call, each step has one verb, messages are escaped once, and the inbox puts new referrals first and every referral
page leads back to it."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse

from factories.referrals import first_session_held, make_referral, make_resident, only_connection
from referrals import links
from referrals.choices import Channel, NotificationKind
from referrals.choices import ConnectionStatus as S
from referrals.models import Notification
from tests.referrals.test_provider_links import link_of, offered_link

PROVIDER_EMAIL = "hello@poole-walking.example.org"
LINK = re.compile(r"https?://[^\s]+/referrals/provider/link/[^\s]+/")


@pytest.fixture
def resident(service):
    # Prefers a phone call, and (by default) agreed to their details being shared with the provider.
    return make_resident(service=service, first_name="Marigold", last_name="Pemberton", phone="07700 900456",
                         preferred_contact="phone")


@pytest.fixture
def sent(service, triage, link_worker, activity, resident):
    """A connection just sent to the provider (the walking group's organisation, which has an email address)."""

    def _make(status=S.SENT_TO_PROVIDER, **fields):
        fields.setdefault("resident", resident)
        referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                                 status=status, **fields)
        return only_connection(referral)

    return _make


def emails_to_provider(connection):
    return [m for m in mail.outbox if m.to == [PROVIDER_EMAIL] and connection.referral.reference in m.subject]


def link_in(message) -> str:
    """The path of the one single-use link an email carries."""
    [url] = LINK.findall(message.body)
    return urlsplit(url).path


def act(client, path, data, capture):
    """Press a link page's button, as the provider does; the emails it causes are sent as the step commits."""
    with capture(execute=True):
        return client.post(path, data)


def test_the_email_after_accepting_carries_a_working_link_to_book_the_first_session(
    client, sent, activity, django_capture_on_commit_callbacks
):
    connection = sent()
    accept = urlsplit(links.issue_link(connection, "provider_accept")).path
    done = act(client, accept, {}, django_capture_on_commit_callbacks).content.decode()
    assert "Referral accepted" in done

    [email] = [m for m in emails_to_provider(connection) if m.subject.startswith("Book the first session")]
    assert "Book the first session: http" in email.body
    assert "Marigold" not in email.body and "07700" not in email.body  # the email carries no personal details
    book = link_in(email)
    # The page after accepting offers the same link as the email (one link for the step, not two).
    assert link_of(offered_link(done)).pk == link_of(book).pk

    page = client.get(book).content.decode()
    assert re.search(r"<h1[^>]*>\s*Book the first session\s*</h1>", page)
    assert "Propose" not in page
    session = activity.sessions.get()
    booked = act(client, book, {"first-session-when": str(session.pk)}, django_capture_on_commit_callbacks)
    assert booked.status_code == 200 and "First session booked" in booked.content.decode()
    connection.refresh_from_db()
    assert connection.status in (S.FIRST_SESSION_BOOKED, S.RESIDENT_NOTIFIED)


def test_the_email_after_booking_carries_a_working_attendance_link(
    client, sign_in, provider_editor, sent, activity, django_capture_on_commit_callbacks
):
    # Booked in the signed-in inbox this time: the email still brings the next step's link.
    connection = sent(S.ACCEPTED)
    provider = sign_in(provider_editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = provider.post(reverse("referrals:provider_first_session", args=[connection.pk]), {
            "seen_status": S.ACCEPTED, "first-session-when": str(activity.sessions.get().pk),
        })
    assert response.status_code == 302
    [email] = [m for m in emails_to_provider(connection) if m.subject.startswith("Confirm attendance")]
    assert "Confirm attendance: http" in email.body
    notification = Notification.objects.get(connection=connection, kind=NotificationKind.PROVIDER_NEXT_STEP,
                                            subject=email.subject)
    assert notification.recipient == PROVIDER_EMAIL and notification.recipient_organisation_id == connection.provider_id
    attendance = link_in(email)
    connection.refresh_from_db()
    # The link outlives the session it is about, even one booked weeks ahead.
    assert link_of(attendance).expires_at >= connection.first_session_at + links.link_lifetime()

    provider.logout()
    first_session_held(connection)
    done = act(client, attendance, {"attendance-attended": "attended"}, django_capture_on_commit_callbacks)
    assert "Attendance confirmed" in done.content.decode()
    connection.refresh_from_db()
    assert connection.status == S.ATTENDED


def test_a_used_link_from_the_email_does_nothing_the_second_time(client, sent, activity,
                                                                 django_capture_on_commit_callbacks):
    connection = sent()
    accept = urlsplit(links.issue_link(connection, "provider_accept")).path
    act(client, accept, {}, django_capture_on_commit_callbacks)
    [email] = [m for m in emails_to_provider(connection) if m.subject.startswith("Book the first session")]
    book = link_in(email)
    session = str(activity.sessions.get().pk)
    act(client, book, {"first-session-when": session}, django_capture_on_commit_callbacks)
    connection.refresh_from_db()
    booked_at, events = connection.first_session_at, connection.events.count()

    again = client.post(book, {"first-session-when": session})
    assert again.status_code == 410 and "This link has already been used" in again.content.decode()
    assert client.get(book).status_code == 410
    connection.refresh_from_db()
    assert connection.first_session_at == booked_at and connection.events.count() == events


def test_the_phone_number_is_a_tap_to_call_link_from_accepting_until_attendance_is_recorded(
    client, sign_in, provider_editor, sent, django_capture_on_commit_callbacks
):
    connection = sent()
    tel = 'href="tel:07700900456"'
    accept = urlsplit(links.issue_link(connection, "provider_accept")).path
    assert tel in client.get(accept).content.decode()
    # The page after accepting (the provider is asked to contact them next) keeps the number.
    done = act(client, accept, {}, django_capture_on_commit_callbacks).content.decode()
    assert tel in done and ">07700 900456</a>" in done
    assert tel in client.get(offered_link(done)).content.decode()

    provider = sign_in(provider_editor)
    page = reverse("referrals:provider_connection", args=[connection.pk])
    assert tel in provider.get(page).content.decode()
    connection.referral.connections.filter(pk=connection.pk).update(status=S.FIRST_SESSION_BOOKED)
    assert tel in provider.get(page).content.decode()

    # Once attendance is recorded the provider no longer needs it: the number is gone.
    connection.referral.connections.filter(pk=connection.pk).update(status=S.ATTENDED)
    html = provider.get(page).content.decode()
    assert "07700" not in html and "tel:" not in html


def test_an_apostrophe_is_sent_as_written_and_shown_escaped_once(
    sign_in, service, triage, link_worker, resident, django_capture_on_commit_callbacks
):
    from factories.directory import make_activity, make_organisation
    from factories.referrals import make_provider_editor

    organisation = make_organisation("Carers' Support Group", email="hello@carers.example.org")
    activity = make_activity(organisation, "Carers' coffee & <chat>")
    with django_capture_on_commit_callbacks(execute=True):
        referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                                 status=S.SENT_TO_PROVIDER, resident=resident)
    [email] = [m for m in mail.outbox if m.to == ["hello@carers.example.org"]]
    assert email.subject == f"New referral {referral.reference} for Carers' coffee & <chat>"
    assert "Carers' coffee & <chat>" in email.body and "&#x27;" not in email.body and "&amp;" not in email.body

    # Accepted: the link worker's email names the organisation as written, too.
    connection = only_connection(referral)
    with django_capture_on_commit_callbacks(execute=True):
        from factories.referrals import provider_actor
        from referrals import services

        services.connection_provider_accept(connection=connection, actor=provider_actor(organisation))
    told = [m for m in mail.outbox if m.to == [link_worker.email] and "accepted" in m.subject]
    assert told and told[0].subject.startswith("Carers' Support Group accepted")

    # The inbox shows the stored words escaped once by the page: no HTML gets through, and no &amp;#x27;.
    provider = sign_in(make_provider_editor(organisation=organisation, username="cara"))
    html = provider.get(reverse("referrals:provider_inbox")).content.decode()
    assert f"New referral {referral.reference} for Carers&#x27; coffee &amp; &lt;chat&gt;" in html
    assert "&amp;#x27;" not in html and "<chat>" not in html


def test_the_inbox_lists_new_referrals_first_and_messages_below(sign_in, provider_editor, sent, service):
    from factories.referrals import provider_actor
    from referrals import services

    handled = sent(resident=make_resident(service=service, first_name="Ada", last_name="Handled"))
    services.connection_provider_accept(connection=handled, actor=provider_actor(handled.provider))
    new = sent(resident=make_resident(service=service, first_name="Nora", last_name="Newperson"))
    assert Notification.objects.filter(channel=Channel.INBOX, recipient_organisation=handled.provider,
                                       read_at__isnull=True).count() == 2

    html = sign_in(provider_editor).get(reverse("referrals:provider_inbox")).content.decode()
    new_group = html.index('id="group-new"')
    assert html.index("Nora Newperson") > new_group  # the new referral, in the first list
    assert new_group < html.index('id="group-accepted"') < html.index("Ada Handled")
    # The messages (about referrals already in the lists) come after every list.
    assert html.index("2 new messages") > html.index('id="group-done"')
    assert html.index(new.referral.reference) < html.index("2 new messages")


def test_each_referral_page_links_back_to_the_inbox(sign_in, provider_editor, sent):
    connection = sent()
    html = sign_in(provider_editor).get(reverse("referrals:provider_connection", args=[connection.pk])).content.decode()
    inbox = reverse("referrals:provider_inbox")
    assert re.search(rf'<a class="nhsuk-back-link" href="{inbox}">Back to referrals inbox</a>', html)


def test_each_step_has_one_verb_on_the_page_the_link_and_the_button(sign_in, provider_editor, sent):
    connection = sent(S.ACCEPTED)
    html = sign_in(provider_editor).get(reverse("referrals:provider_connection", args=[connection.pk])).content.decode()
    assert re.search(r"<h2[^>]*>Book the first session</h2>", html)
    assert re.search(r'<button[^>]*type="submit">Book the first session</button>', html)
    assert "Propose" not in html and "propose" not in html
    inbox = sign_in(provider_editor).get(reverse("referrals:provider_inbox")).content.decode()
    assert "Accepted: book the first session" in inbox and "propose" not in inbox.lower()
