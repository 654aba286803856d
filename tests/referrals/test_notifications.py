"""Notifications are never lost: the outbox, sending by a real SMTP server, retries with back-off, texts and tasks.

The emails go to a real SMTP server on 127.0.0.1 (``tests/referrals/smtp.py``), which the
tests stop and start as a mail server that goes down would be.
"""

import logging
import threading
from datetime import timedelta
from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import timezone

from factories.referrals import (
    discharge,
    first_session_held,
    hold_review,
    make_connection,
    make_referral,
    make_resident,
    only_connection,
    provider_actor,
)
from referrals import services, tasks
from referrals.choices import Channel, ContactRoute, DeliveryStatus, NotificationKind
from referrals.choices import ConnectionStatus as S
from referrals.models import Notification
from referrals.notifications import delivery
from referrals.notifications.delivery import deliver
from referrals.roles import SYSTEM
from referrals.tasks import deliver_due_notifications
from tests.referrals.text import mentions

LATER = timedelta(days=1)  # well past any back-off of the first attempts


@pytest.fixture
def texts(settings, tmp_path):
    """Texts written to a folder, as in the demo."""
    folder = tmp_path / "sent-texts"
    settings.SIGNPOST_SMS = {"BACKEND": "referrals.notifications.sms.FileSmsGateway",
                             "OPTIONS": {"folder": str(folder)}}
    return folder


@pytest.fixture
def attempts(settings):
    """Set the retry policy: ``attempts(max_attempts, retry_seconds)``."""

    def _set(max_attempts: int, retry_seconds: int = 60):
        settings.SIGNPOST_REFERRALS = {
            **settings.SIGNPOST_REFERRALS,
            "NOTIFICATION_MAX_ATTEMPTS": max_attempts,
            "NOTIFICATION_RETRY_SECONDS": retry_seconds,
        }

    return _set


@pytest.fixture
def referral_maker(service, triage, link_worker, activity, django_capture_on_commit_callbacks):
    """Make referrals as in life: the outbox's tasks run when each step commits."""

    def _make(status=S.SENT_TO_PROVIDER, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                                 status=status, **fields)

    return _make


def status_of(referral) -> str:
    """Where the referral's one connection has got to."""
    return only_connection(referral).status


def partial(referral) -> BeautifulSoup:
    html = render_to_string("referrals/includes/notifications.html",
                            {"notifications": referral.notifications.order_by("created_at")})
    return BeautifulSoup(html, "html.parser")


def row_for(soup: BeautifulSoup, notification: Notification) -> str:
    return " ".join(soup.find(id=f"notification-{notification.pk}").get_text(" ").split())


# SMTP down, then up -----------------------------------------------------------------------------


def test_smtp_down_then_up_loses_nothing_and_duplicates_nothing(smtp, referral_maker, organisation):
    started = timezone.now()
    referrals = [referral_maker() for _ in range(3)]

    # The mail server was down: every referral stands, and every email waits for a retry.
    assert [status_of(r) for r in referrals] == [S.SENT_TO_PROVIDER] * 3
    emails = Notification.objects.filter(referral__in=referrals, channel=Channel.EMAIL)
    assert emails.count() == 3
    for email in emails:
        assert email.kind == NotificationKind.NEW_REFERRAL_FOR_PROVIDER
        assert email.status == DeliveryStatus.PENDING and email.attempts == 1
        assert email.next_attempt_at > started
        assert email.last_error.startswith("ConnectionRefusedError")
    assert "Trying again" in row_for(partial(referrals[0]), emails.filter(referral=referrals[0]).get())

    smtp.start()
    counts = deliver_due_notifications(now=timezone.now() + LATER)
    assert counts["sent"] == 3 and counts["deferred"] == counts["failed"] == 0

    expected_ids = sorted(str(pk) for pk in emails.values_list("pk", flat=True))
    assert sorted(smtp.header_values("X-Signpost-Notification")) == expected_ids
    assert [env["to"] for env in smtp.envelopes] == [[organisation.email]] * 3

    # Again, later, and each message's own task once more: still each message exactly once.
    counts = deliver_due_notifications(now=timezone.now() + 2 * LATER)
    assert counts["sent"] == 0
    for pk in expected_ids:
        assert deliver(pk, now=timezone.now() + 2 * LATER) == delivery.SKIPPED
        tasks.deliver_notification.enqueue(pk)
    assert sorted(smtp.header_values("X-Signpost-Notification")) == expected_ids
    for email in emails.all():
        assert email.status == DeliveryStatus.SENT and email.attempts == 2 and email.sent_at is not None
    assert "Sent" in row_for(partial(referrals[0]), emails.filter(referral=referrals[0]).get())


def test_an_email_carries_its_notification_id_and_no_personal_data_for_the_provider(smtp, referral_maker):
    smtp.start()
    referral = referral_maker()
    email = referral.notifications.get(channel=Channel.EMAIL)
    assert email.status == DeliveryStatus.SENT and email.attempts == 1

    [message] = smtp.messages
    assert message["X-Signpost-Notification"] == str(email.pk)
    assert message["Message-ID"] == f"<{email.pk}@signpost.localhost>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"] == f"New referral {referral.reference} for Tuesday health walk"
    body = message.get_content()
    assert referral.reference in body
    for personal in [referral.resident.first_name, referral.resident.last_name, referral.resident.email,
                     referral.resident.postcode, referral.resident.phone]:
        assert not mentions(body, personal) and not mentions(message["Subject"], personal), personal


def test_the_same_message_id_on_every_attempt(smtp, referral_maker):
    referral = referral_maker()  # the first attempt fails
    email = referral.notifications.get(channel=Channel.EMAIL)
    smtp.start()
    deliver_due_notifications(now=timezone.now() + LATER)
    assert smtp.header_values("Message-ID") == [delivery.email_message_id(email)]


def test_a_referral_stands_when_the_task_queue_itself_fails(smtp, referral_maker, monkeypatch):
    class BrokenQueue:
        def enqueue(self, *args, **kwargs):
            raise RuntimeError("queue unavailable")

    monkeypatch.setattr(tasks, "deliver_notification", BrokenQueue())
    smtp.start()
    referral = referral_maker()

    assert status_of(referral) == S.SENT_TO_PROVIDER
    email = referral.notifications.get(channel=Channel.EMAIL)
    assert email.status == DeliveryStatus.PENDING and email.attempts == 0
    assert smtp.messages == []
    monkeypatch.undo()

    # The sweep is the safety net: it sends what never got a task.
    assert deliver_due_notifications()["sent"] == 1
    assert smtp.header_values("X-Signpost-Notification") == [str(email.pk)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_send_each_message_once(smtp, service, triage, link_worker, activity):
    from django.db import connection

    # A real commit runs the outbox's tasks at once: the mail server is down, so all wait.
    referrals = [make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                               status=S.SENT_TO_PROVIDER) for _ in range(3)]
    expected = sorted(str(pk) for pk in Notification.objects.filter(referral__in=referrals, channel=Channel.EMAIL)
                      .values_list("pk", flat=True))
    assert len(expected) == 3
    smtp.delay = 0.3  # each send holds its row lock a while, so the two sweeps overlap
    smtp.start()
    later = timezone.now() + LATER
    barrier = threading.Barrier(2)
    results = [None, None]

    def sweep(index):
        barrier.wait()
        try:
            results[index] = deliver_due_notifications(now=later)
        except Exception as error:  # noqa: BLE001 - the assertion shows it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(result, dict) for result in results), results
    assert results[0]["sent"] + results[1]["sent"] == 3
    assert sorted(smtp.header_values("X-Signpost-Notification")) == expected


# Retries and back-off -------------------------------------------------------------------------


def test_retries_back_off_then_stop_after_the_last_attempt(smtp, referral_maker, attempts):
    attempts(3, retry_seconds=60)
    referral = referral_maker()
    email = referral.notifications.get(channel=Channel.EMAIL)
    assert email.attempts == 1
    first_try_at = email.next_attempt_at

    # Not before its back-off.
    counts = deliver_due_notifications(now=first_try_at - timedelta(seconds=1))
    assert counts["sent"] == counts["deferred"] == 0
    email.refresh_from_db()
    assert email.attempts == 1

    # Second attempt fails: the wait doubles (60s, then 120s).
    counts = deliver_due_notifications(now=first_try_at)
    assert counts["deferred"] == 1
    email.refresh_from_db()
    assert email.attempts == 2 and email.status == DeliveryStatus.PENDING
    assert email.next_attempt_at == first_try_at + timedelta(seconds=120)

    # Third and last attempt fails: it is given up, and the referral page says so.
    counts = deliver_due_notifications(now=email.next_attempt_at)
    assert counts["failed"] == 1
    email.refresh_from_db()
    assert email.attempts == 3 and email.status == DeliveryStatus.FAILED
    assert email.last_error.startswith("ConnectionRefusedError")
    soup = partial(referral)
    row = row_for(soup, email)
    assert "Not sent" in row and "Gave up" in row and "ConnectionRefusedError" in row
    assert "contact them another way" in soup.get_text()

    # Given up means given up, even once the server is back; the referral itself never moved back.
    smtp.start()
    assert deliver_due_notifications(now=timezone.now() + 30 * LATER)["sent"] == 0
    assert smtp.messages == []
    assert status_of(referral) == S.SENT_TO_PROVIDER


def test_an_address_the_mail_server_refuses_is_given_up_at_once_without_naming_it(smtp, referral_maker, organisation):
    smtp.refuse.add(organisation.email)
    smtp.start()
    referral = referral_maker()
    email = referral.notifications.get(channel=Channel.EMAIL)
    assert email.status == DeliveryStatus.FAILED and email.attempts == 1
    assert email.last_error.startswith("SMTPRecipientsRefused")
    assert "550" in email.last_error and organisation.email not in email.last_error and "@" not in email.last_error


# Texts ------------------------------------------------------------------------------------------


def test_a_text_through_a_failing_gateway_stays_pending_then_fails(settings, referral_maker, service, attempts):
    attempts(2)
    settings.SIGNPOST_SMS = {"BACKEND": "referrals.notifications.sms.FailingSmsGateway", "OPTIONS": {}}
    resident = make_resident(service=service, preferred_contact=ContactRoute.TEXT, phone="07700 900456")
    referral = referral_maker(S.FIRST_SESSION_BOOKED, resident=resident)

    text = referral.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert text.channel == Channel.TEXT
    assert text.status == DeliveryStatus.PENDING and text.attempts == 1
    assert text.last_error.startswith("SmsGatewayError")
    assert status_of(referral) == S.FIRST_SESSION_BOOKED

    assert deliver_due_notifications(now=timezone.now() + LATER)["failed"] == 1
    text.refresh_from_db()
    assert text.status == DeliveryStatus.FAILED and text.attempts == 2
    # Not told, so not marked as told: the link worker sees the failed text on the referral.
    assert status_of(referral) == S.FIRST_SESSION_BOOKED
    assert "Not sent" in row_for(partial(referral), text)


def test_a_resident_who_asks_for_texts_on_a_landline_is_phoned_instead(texts, referral_maker, service):
    resident = make_resident(service=service, preferred_contact=ContactRoute.TEXT, phone="01202 123456")
    referral = referral_maker(S.FIRST_SESSION_BOOKED, resident=resident)
    task = referral.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert task.channel == Channel.PHONE_TASK and task.status == DeliveryStatus.PENDING
    assert task.recipient_user == referral.link_worker
    assert not texts.exists() or not list(texts.iterdir())


def test_a_text_to_a_landline_is_given_up_at_once(texts, referral_maker, service):
    from referrals.models import Notification
    from referrals.notifications.delivery import deliver

    referral = referral_maker(S.FIRST_SESSION_BOOKED)
    text = Notification.objects.create(
        referral=referral, connection=only_connection(referral), kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT,
        channel=Channel.TEXT,
        recipient="01202 123456", subject="Your first session", body="See you there.",
    )
    deliver(text.pk)
    text.refresh_from_db()
    assert text.status == DeliveryStatus.FAILED and text.attempts == 1
    assert text.last_error == "InvalidMobileNumber: Enter a UK mobile number, like 07700 900 982."
    assert not texts.exists() or not list(texts.iterdir())


# The resident, by their preferred route ----------------------------------------------------------


def test_resident_who_prefers_email_is_emailed_and_the_referral_moves_to_resident_notified(referral_maker, service):
    resident = make_resident(service=service, preferred_contact=ContactRoute.EMAIL, email="jo.bloggs@example.net")
    referral = referral_maker(S.FIRST_SESSION_BOOKED, resident=resident)

    notification = referral.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert notification.channel == Channel.EMAIL and notification.status == DeliveryStatus.SENT
    [message] = [m for m in mail.outbox if m.to == ["jo.bloggs@example.net"]]
    assert message.subject == "Your first session at Tuesday health walk"
    assert "Hello Jo," in message.body and referral.reference in message.body
    connection = only_connection(referral)
    assert connection.status == S.RESIDENT_NOTIFIED and connection.resident_notified_at is not None
    event = referral.events.get(action="mark_resident_notified")
    assert event.actor is None and event.actor_label == SYSTEM.label and event.note == "Sent by email"


def test_resident_who_prefers_text_is_sent_a_text(texts, referral_maker, service):
    resident = make_resident(service=service, preferred_contact=ContactRoute.TEXT, phone="07700 900123")
    referral = referral_maker(S.FIRST_SESSION_BOOKED, resident=resident)

    notification = referral.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert notification.channel == Channel.TEXT and notification.status == DeliveryStatus.SENT
    [sent] = list(texts.glob("*.txt"))
    assert notification.gateway_reference == sent.name
    content = sent.read_text()
    assert "To: +447700900123" in content
    assert f"Reference: {notification.pk}" in content
    assert "Your first session at Tuesday health walk" in content and referral.reference in content
    assert "\n\n" not in content.split("\n\n", 1)[1]  # a text is one paragraph
    assert not [m for m in mail.outbox if resident.email in m.to]
    assert status_of(referral) == S.RESIDENT_NOTIFIED


def test_resident_who_prefers_a_phone_call_gets_a_task_on_the_link_workers_list(texts, referral_maker, service,
                                                                                   link_worker):
    resident = make_resident(service=service, preferred_contact=ContactRoute.PHONE, phone="07700 900789",
                             first_name="Sam", last_name="Caller")
    referral = referral_maker(S.FIRST_SESSION_BOOKED, resident=resident)

    task = referral.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert task.channel == Channel.PHONE_TASK and task.recipient_user == link_worker
    assert task.status == DeliveryStatus.PENDING and task.attempts == 0
    assert task.subject == f"Call Sam Caller about their first session ({referral.reference})"
    assert "asked to be contacted by phone" in task.body
    # Nothing is sent, by any route, and the sweep leaves the task alone.
    assert not texts.exists()
    assert not [m for m in mail.outbox if resident.email in m.to]
    assert deliver_due_notifications(now=timezone.now() + LATER)["sent"] == 0
    assert list(Notification.objects.open_tasks().filter(pk=task.pk)) == [task]
    assert status_of(referral) == S.FIRST_SESSION_BOOKED
    assert "To do" in row_for(partial(referral), task)


def test_first_session_email_sent_late_still_moves_the_referral_to_resident_notified(smtp, referral_maker):
    referral = referral_maker(S.FIRST_SESSION_BOOKED)
    assert status_of(referral) == S.FIRST_SESSION_BOOKED

    smtp.start()
    deliver_due_notifications(now=timezone.now() + LATER)
    message = referral.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert message.status == DeliveryStatus.SENT
    assert str(message.pk) in smtp.header_values("X-Signpost-Notification")
    assert status_of(referral) == S.RESIDENT_NOTIFIED


def test_a_first_session_message_about_an_earlier_booking_is_not_sent(smtp, referral_maker, organisation,
                                                                      django_capture_on_commit_callbacks):
    referral = referral_maker(S.FIRST_SESSION_BOOKED)  # mail server down: the message waits
    with django_capture_on_commit_callbacks(execute=True):
        services.connection_book_first_session(connection=only_connection(referral), actor=provider_actor(organisation),
                                             starts_at=timezone.now() + timedelta(days=10), note="Moved to next week")
    old, new = referral.notifications.filter(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT).order_by("created_at")

    smtp.start()
    deliver_due_notifications(now=timezone.now() + LATER)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == DeliveryStatus.FAILED and "out of date" in old.last_error
    assert new.status == DeliveryStatus.SENT
    first_session_ids = [v for v in smtp.header_values("X-Signpost-Notification") if v in (str(old.pk), str(new.pk))]
    assert first_session_ids == [str(new.pk)]
    assert status_of(referral) == S.RESIDENT_NOTIFIED


def test_a_sent_message_never_moves_a_connection_that_has_moved_on(referral_maker, organisation):
    referral = referral_maker(S.FIRST_SESSION_BOOKED)
    services.connection_record_attendance(connection=first_session_held(referral), actor=provider_actor(organisation))
    notification = referral.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert services.connection_mark_resident_notified_by_message(notification=notification) is False
    assert status_of(referral) == S.ATTENDED


def test_the_sweep_records_resident_notified_when_the_step_was_missed(referral_maker, monkeypatch):
    # The process stopped between sending and recording it.
    monkeypatch.setattr(services, "connection_mark_resident_notified_by_message", lambda notification: False)
    referral = referral_maker(S.FIRST_SESSION_BOOKED)
    assert referral.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT).status == DeliveryStatus.SENT
    assert status_of(referral) == S.FIRST_SESSION_BOOKED
    monkeypatch.undo()

    assert deliver_due_notifications()["resident_notified"] == 1
    assert status_of(referral) == S.RESIDENT_NOTIFIED
    assert deliver_due_notifications()["resident_notified"] == 0


# No personal data in logs -----------------------------------------------------------------------


def test_logs_carry_no_names_addresses_or_numbers(smtp, texts, referral_maker, service, settings, caplog, attempts):
    attempts(2)
    caplog.set_level(logging.DEBUG)
    by_email = make_resident(service=service, first_name="Priya", last_name="Sharma", email="priya.sharma@example.net",
                             address="12 Acacia Avenue, Poole", postcode="BH15 2ZZ")
    referral_maker(S.FIRST_SESSION_BOOKED, resident=by_email)  # mail server down: failures logged
    settings.SIGNPOST_SMS = {"BACKEND": "referrals.notifications.sms.FailingSmsGateway", "OPTIONS": {}}
    by_text = make_resident(service=service, first_name="Olu", last_name="Adeyemi", phone="07700 900321",
                            preferred_contact=ContactRoute.TEXT)
    referral_maker(S.FIRST_SESSION_BOOKED, resident=by_text)
    deliver_due_notifications(now=timezone.now() + LATER)  # the last attempts fail: given up, logged
    smtp.start()
    settings.SIGNPOST_SMS = {"BACKEND": "referrals.notifications.sms.FileSmsGateway", "OPTIONS": {"folder": str(texts)}}
    referral_maker(S.FIRST_SESSION_BOOKED)  # sent: logged
    call_command("send_notifications", stdout=StringIO())

    assert "not sent" in caplog.text and " sent (" in caplog.text  # the logs do say what happened
    personal = ["Priya", "Sharma", "priya.sharma", "Acacia", "BH15 2ZZ", "Olu", "Adeyemi", "07700 900321",
                "7700900321", "900321", "@"]
    for record in caplog.records:
        if record.name.startswith(("mail.log", "asyncio")):
            continue  # the test's own mail server, not Signpost
        message = record.getMessage()
        for value in personal:
            assert value not in message, f"{value!r} logged by {record.name}: {message}"
    for error in Notification.objects.exclude(last_error="").values_list("last_error", flat=True):
        assert "@" not in error and "900321" not in error


# The sweep as a command and as a periodic task ---------------------------------------------------


def test_send_notifications_command_reports_progress_and_counts(smtp, referral_maker):
    first, second = referral_maker(), referral_maker()
    smtp.start()
    # The back-off has not passed yet: nothing is due.
    out = StringIO()
    call_command("send_notifications", stdout=out)
    assert "Sent 0, will retry 0, gave up on 0." in out.getvalue()
    assert "2 waiting for a later try." in out.getvalue()

    Notification.objects.filter(channel=Channel.EMAIL).update(next_attempt_at=timezone.now())
    out = StringIO()
    call_command("send_notifications", stdout=out)
    output = out.getvalue()
    for referral in (first, second):
        email = referral.notifications.get(channel=Channel.EMAIL)
        assert f"{email.pk} new referral for the provider by email: sent" in output
    assert "[1/2]" in output and "[2/2]" in output
    assert "Sent 2, will retry 0, gave up on 0." in output
    assert "@" not in output
    assert len(smtp.messages) == 2


def test_send_notifications_command_says_what_failed(smtp, referral_maker):
    referral_maker()
    Notification.objects.filter(channel=Channel.EMAIL).update(next_attempt_at=timezone.now())
    out = StringIO()
    call_command("send_notifications", stdout=out)
    assert "by email: not sent, will try again" in out.getvalue()
    assert "Sent 0, will retry 1, gave up on 0." in out.getvalue()


def test_the_periodic_task_sends_what_is_due(smtp, referral_maker):
    from referrals.tasks import deliver_due_notifications_task

    referral = referral_maker()
    Notification.objects.filter(channel=Channel.EMAIL).update(next_attempt_at=timezone.now())
    smtp.start()
    result = deliver_due_notifications_task.enqueue()
    assert result.return_value["sent"] == 1
    assert smtp.header_values("X-Signpost-Notification") == [str(referral.notifications.get(channel=Channel.EMAIL).pk)]


# What the referral page shows -------------------------------------------------------------------


def test_the_notifications_partial_shows_each_status_without_addresses(smtp, referral_maker, attempts, service):
    attempts(1)
    resident = make_resident(service=service, preferred_contact=ContactRoute.PHONE, email="kim@example.net")
    referral = referral_maker(S.FIRST_SESSION_BOOKED, resident=resident)  # mail down, one attempt: emails fail
    soup = partial(referral)

    table = soup.find("table", class_="nhsuk-table")
    assert table.caption.get_text(strip=True) == "Notifications"
    headers = [th.get_text(strip=True) for th in table.thead.find_all("th")]
    assert headers == ["Message", "Sent by", "For", "Status", "Attempts", "Sent or done", "Problem"]
    rows = {n.pk: row_for(soup, n) for n in referral.notifications.all()}
    provider_email = referral.notifications.get(kind=NotificationKind.NEW_REFERRAL_FOR_PROVIDER, channel=Channel.EMAIL)
    assert rows[provider_email.pk].startswith("Message New referral for the provider Sent by Email For The provider")
    assert "Not sent" in rows[provider_email.pk] and "Attempts 1" in rows[provider_email.pk]
    inbox = referral.notifications.get(kind=NotificationKind.NEW_REFERRAL_FOR_PROVIDER, channel=Channel.INBOX)
    assert "Sent" in rows[inbox.pk] and "Problem None" in rows[inbox.pk]
    task = referral.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert "For The person referred" in rows[task.pk] and "To do" in rows[task.pk]
    html = str(soup)
    for address in ["kim@example.net", "lee@example.org", "hello@poole-walking.example.org"]:
        assert address not in html


def test_the_notifications_partial_with_none():
    soup = BeautifulSoup(render_to_string("referrals/includes/notifications.html", {"notifications": []}),
                         "html.parser")
    assert "No notifications yet." in soup.get_text()


# Messages ---------------------------------------------------------------------------------------


def test_every_message_template_renders_for_a_whole_pathway(referral_maker, organisation, link_worker, service):
    from factories.directory import make_activity
    from referrals.roles import actor_for_user

    referral = referral_maker(S.FIRST_SESSION_BOOKED)
    services.connection_record_attendance(connection=first_session_held(referral), actor=provider_actor(organisation))
    withdrawn = make_connection(referral=referral, status=S.SENT_TO_PROVIDER, activity=make_activity(
        organisation, "Thursday art club"))
    services.connection_withdraw(connection=withdrawn, actor=actor_for_user(link_worker), note="Changed their mind.")
    hold_review(referral)
    discharge(referral)
    kinds = set(referral.notifications.values_list("kind", flat=True))
    assert {NotificationKind.NEW_REFERRAL_FOR_PROVIDER, NotificationKind.PROVIDER_ACCEPTED,
            NotificationKind.FIRST_SESSION_FOR_RESIDENT, NotificationKind.ATTENDANCE_RECORDED,
            NotificationKind.CONNECTION_WITHDRAWN, NotificationKind.FEEDBACK_TO_REFERRER} <= kinds
    for notification in referral.notifications.all():
        assert notification.subject and "{{" not in notification.subject
        assert notification.body.strip() and "{{" not in notification.body and "\n\n\n" not in notification.body
    feedback = referral.notifications.get(kind=NotificationKind.FEEDBACK_TO_REFERRER)
    assert "- Tuesday health walk, run by Poole Walking Friends: attended" in feedback.body
    assert "- Thursday art club, run by Poole Walking Friends: withdrawn" in feedback.body


def test_the_first_session_is_given_in_plain_words_by_email_and_text(texts, referral_maker, service):
    from datetime import datetime

    from referrals.notifications.messages import clock_time

    starts = timezone.make_aware(datetime(2027, 3, 2, 14, 30))  # Europe/London
    by_email = referral_maker(S.FIRST_SESSION_BOOKED, first_session_at=starts)
    email = by_email.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert "When: Tuesday 2 March 2027 at 2:30pm" in email.body

    resident = make_resident(service=service, preferred_contact=ContactRoute.TEXT, phone="07700 900123")
    by_text = referral_maker(S.FIRST_SESSION_BOOKED, first_session_at=starts, resident=resident)
    text = by_text.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert text.body.startswith("Your first session at Tuesday health walk is on Tue 2 Mar at 2:30pm. If you cannot go")
    assert text.body.count("\n") == 1 and len(text.body) < 306  # one paragraph, at most two text messages

    assert [clock_time(starts.replace(hour=h, minute=m)) for h, m in [(10, 0), (12, 0), (0, 15), (19, 5)]] == [
        "10am", "12pm", "12:15am", "7:05pm"]


# Several connections: each message is about one ----------------------------------------------


@pytest.fixture
def two_walks(referral_maker, organisation, other_activity, django_capture_on_commit_callbacks):
    """One person with a first session booked at our walk (connection 1) and at another organisation's
    lunch club (connection 2)."""
    referral = referral_maker(S.FIRST_SESSION_BOOKED)
    with django_capture_on_commit_callbacks(execute=True):
        lunch = make_connection(referral=referral, status=S.FIRST_SESSION_BOOKED, activity=other_activity)
    walk = referral.connections.get(number=1)
    return referral, walk, lunch


def test_each_message_is_about_one_connection_and_names_its_activity(two_walks, link_worker):
    referral, walk, lunch = two_walks
    for connection, title, organisation_title in ((walk, "Tuesday health walk", "Poole Walking Friends"),
                                                  (lunch, "Friday lunch club", "Harbour Lunch Club")):
        mine = referral.notifications.filter(connection=connection)
        provider_emails = mine.filter(kind=NotificationKind.NEW_REFERRAL_FOR_PROVIDER, channel=Channel.EMAIL)
        assert [n.subject for n in provider_emails] == [f"New referral {referral.reference} for {title}"]
        [accepted] = mine.filter(kind=NotificationKind.PROVIDER_ACCEPTED, channel=Channel.EMAIL)
        assert accepted.recipient == link_worker.email
        assert accepted.subject == f"{organisation_title} accepted referral {referral.reference} to {title}"
        [first_session] = mine.filter(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
        assert first_session.subject == f"Your first session at {title}"
        other_title = "Friday lunch club" if connection == walk else "Tuesday health walk"
        for notification in mine:
            assert other_title not in notification.subject and other_title not in notification.body
    # Each first-session message moved its own connection.
    assert {c.status for c in referral.connections.all()} == {S.RESIDENT_NOTIFIED}
    events = referral.events.filter(action="mark_resident_notified")
    assert sorted(events.values_list("connection__number", flat=True)) == [1, 2]


def test_the_link_workers_messages_about_attendance_and_declines_name_the_activity(two_walks, organisation,
                                                                                 other_organisation):
    referral, walk, lunch = two_walks
    services.connection_record_did_not_attend(connection=first_session_held(walk), actor=provider_actor(organisation))
    services.connection_cancel_first_session(connection=lunch, actor=provider_actor(other_organisation),
                                             note="The hall is closed.")
    [attendance] = referral.notifications.filter(kind=NotificationKind.ATTENDANCE_RECORDED, channel=Channel.EMAIL)
    assert attendance.connection == walk
    assert attendance.subject == f"Referral {referral.reference}: did not go to the first session at Tuesday health walk"
    declined_referral = make_referral(service=referral.service, link_worker=referral.link_worker,
                                      activity=lunch.activity, status=S.DECLINED_BY_PROVIDER)
    [declined] = declined_referral.notifications.filter(kind=NotificationKind.PROVIDER_DECLINED, channel=Channel.EMAIL)
    assert declined.subject == (f"Harbour Lunch Club declined referral {declined_referral.reference} "
                                "to Friday lunch club")
    assert "Reason: The activity is full" in declined.body


def test_the_sweep_repairs_resident_notified_per_connection(referral_maker, other_activity, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    # The process stopped between sending each message and recording it.
    monkeypatch.setattr(services, "connection_mark_resident_notified_by_message", lambda notification: False)
    referral = referral_maker(S.FIRST_SESSION_BOOKED)
    with django_capture_on_commit_callbacks(execute=True):
        lunch = make_connection(referral=referral, status=S.ACCEPTED, activity=other_activity)
    monkeypatch.undo()
    walk = referral.connections.get(number=1)
    assert walk.status == S.FIRST_SESSION_BOOKED and lunch.status == S.ACCEPTED

    assert deliver_due_notifications()["resident_notified"] == 1
    walk.refresh_from_db()
    lunch.refresh_from_db()
    assert walk.status == S.RESIDENT_NOTIFIED and lunch.status == S.ACCEPTED
    assert deliver_due_notifications()["resident_notified"] == 0


def test_a_phone_call_done_completes_its_own_connections_step(referral_maker, service, other_activity, link_worker):
    from referrals.roles import actor_for_user

    resident = make_resident(service=service, preferred_contact=ContactRoute.PHONE)
    referral = referral_maker(S.FIRST_SESSION_BOOKED, resident=resident)
    lunch = make_connection(referral=referral, status=S.ACCEPTED, activity=other_activity)
    walk = referral.connections.get(number=1)
    task = referral.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert task.channel == Channel.PHONE_TASK and task.connection == walk
    assert "Tuesday health walk" in task.body

    services.notification_complete_task(notification=task, actor=actor_for_user(link_worker))
    task.refresh_from_db()
    walk.refresh_from_db()
    lunch.refresh_from_db()
    assert task.status == DeliveryStatus.DONE
    assert walk.status == S.RESIDENT_NOTIFIED and lunch.status == S.ACCEPTED
    assert walk.events.get(action="mark_resident_notified").note.startswith("Told by phone call")
