"""Writing notifications in the same transaction as the change that causes them.

``queue_notifications`` decides who is told what, by which route, and writes the rows; once
the transaction commits it announces the emails and texts to send (``notifications_queued``),
and ``referrals.signal_handlers`` queues a background task to send each
(``referrals.tasks.deliver_notification``). The outbox never sends, and knows nothing of who sends.
Provider emails carry the referral's reference and signed links, never personal data: the
link's page shows the summary. Each step the provider takes is answered by an email carrying the
link for the next one (accepted: book the first session; booked: confirm attendance), so the
emailed journey never depends on a page being kept open or bookmarked.
"""

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from referrals.choices import Channel, ConnectionStatus, ConsentPurpose, ContactRoute, DeliveryStatus, NotificationKind
from referrals.links import issue_link, issue_provider_links, link_expires_at
from referrals.models import Notification
from referrals.notifications.messages import render_message
from referrals.notifications.sms import is_uk_mobile

# Sent (sender=Notification) once the transaction that queued them commits, with
# ``notification_ids``: the emails and texts waiting to be sent.
notifications_queued = Signal()

_RESIDENT_ROUTE = {
    ContactRoute.EMAIL: Channel.EMAIL,
    ContactRoute.TEXT: Channel.TEXT,
    ContactRoute.PHONE: Channel.PHONE_TASK,
    ContactRoute.LETTER: Channel.LETTER_TASK,
}


def queue_notifications(referral, kind: str, *, connection=None, context: dict | None = None) -> list[Notification]:
    """Write the notifications ``kind`` calls for on ``referral`` (and its ``connection``, for the provider's
    hand-over and the first session); send them once the transaction commits.

    ``context`` adds to what the message templates see (a link for the person, say).
    """
    plans = _PLANS[kind](referral, connection)
    context = {**_context(referral, kind, connection), **(context or {})}
    created = []
    for plan in plans:
        channel = plan["channel"]
        # A plan may be a message of its own kind, caused by this one (the provider's next step, say).
        plan_kind = plan.get("kind", kind)
        subject, body = render_message(plan_kind, channel, {**context, **plan.get("context", {})})
        immediate = channel == Channel.INBOX
        created.append(
            Notification.objects.create(
                referral=referral,
                connection=connection,
                kind=plan_kind,
                channel=channel,
                recipient=plan.get("recipient", ""),
                recipient_user=plan.get("user"),
                recipient_organisation=plan.get("organisation"),
                recipient_service=plan.get("service"),
                subject=subject,
                body=body,
                # An inbox item is delivered by being written.
                status=DeliveryStatus.SENT if immediate else DeliveryStatus.PENDING,
                sent_at=timezone.now() if immediate else None,
            )
        )
    to_send = [str(n.pk) for n in created if n.channel in (Channel.EMAIL, Channel.TEXT)]
    if to_send:
        transaction.on_commit(lambda: notifications_queued.send(sender=Notification, notification_ids=to_send))
    return created


def _context(referral, kind, connection) -> dict:
    return {
        "referral": referral,
        "connection": connection,
        "resident": referral.resident,
        "activity": connection.activity if connection is not None else None,
        "provider": connection.provider if connection is not None else None,
        "base_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/"),
        "kind": kind,
    }


def _to_resident(referral, connection=None) -> list[dict]:
    resident = referral.resident
    channel = _RESIDENT_ROUTE[resident.preferred_contact]
    if channel == Channel.EMAIL and resident.email:
        return [{"channel": channel, "recipient": resident.email}]
    if channel == Channel.TEXT and resident.phone:
        # A landline cannot take a text: someone phones instead.
        if is_uk_mobile(resident.phone):
            return [{"channel": channel, "recipient": resident.phone}]
    # A phone call or a letter (or a route with no address to use): a task for a person.
    task = Channel.LETTER_TASK if channel == Channel.LETTER_TASK else Channel.PHONE_TASK
    if referral.link_worker_id:
        return [{"channel": task, "user": referral.link_worker}]
    return [{"channel": task, "service": referral.service}]


def _to_link_worker(referral, connection=None) -> list[dict]:
    worker = referral.link_worker
    if worker is None:
        return [{"channel": Channel.INBOX, "service": referral.service}]
    plans = [{"channel": Channel.INBOX, "user": worker}]
    if worker.email:
        plans.append({"channel": Channel.EMAIL, "recipient": worker.email})
    return plans


def _to_provider(referral, connection) -> list[dict]:
    """The provider a connection was sent to: its inbox, and the activity's (or organisation's) email, with
    links to act on that one connection."""
    organisation = connection.provider
    plans = [{"channel": Channel.INBOX, "organisation": organisation}]
    address = _provider_address(connection)
    if address:
        links = issue_provider_links(connection) if connection.status == ConnectionStatus.SENT_TO_PROVIDER else {}
        plans.append({"channel": Channel.EMAIL, "recipient": address, "context": {"links": links}})
    return plans


def _provider_address(connection) -> str:
    return (connection.activity.contact_email if connection.activity else "") or connection.provider.email


def _to_provider_next_step(action: str):
    """The provider's email after a step: the single-use link for the next one (``action``) on that connection."""

    def plans(referral, connection) -> list[dict]:
        address = _provider_address(connection)
        if not address or not referral.is_open:
            return []
        context = {
            "next_step": action,
            "next_link": issue_link(connection, action),
            "next_link_expires": link_expires_at(connection, action),
        }
        return [{"channel": Channel.EMAIL, "recipient": address, "organisation": connection.provider,
                 "kind": NotificationKind.PROVIDER_NEXT_STEP, "context": context}]

    return plans


def _all(*plans):
    return lambda referral, connection=None: [plan for each in plans for plan in each(referral, connection)]


def _to_referrer(referral, connection=None) -> list[dict]:
    agreed = referral.consents.in_force().filter(purpose=ConsentPurpose.FEEDBACK_TO_REFERRER).exists()
    if referral.is_self_referral or not referral.referrer_email or not agreed:
        return []
    return [{"channel": Channel.EMAIL, "recipient": referral.referrer_email}]


def _to_referrer_of_triage(referral, connection=None) -> list[dict]:
    """Triage's answer to a referral it did not take on (redirected, not eligible) goes to whoever made it,
    whatever the consent to feedback (it is about their referral, not the person's support): a self-referrer
    by their own route; a professional by email, or a call for the team when there is no address."""
    if referral.is_self_referral:
        return _to_resident(referral, connection)
    if referral.referrer_email:
        return [{"channel": Channel.EMAIL, "recipient": referral.referrer_email}]
    return [{"channel": Channel.PHONE_TASK, "service": referral.service}]


def _to_safeguarding_lead(referral, connection=None) -> list[dict]:
    """The service's safeguarding lead; without one, the team's shared inbox; without that, its Signpost inbox."""
    service = referral.service
    address = service.safeguarding_lead_email or service.email
    if address:
        return [{"channel": Channel.EMAIL, "recipient": address}]
    return [{"channel": Channel.INBOX, "service": service}]


def _to_gp_practice(referral, connection=None) -> list[dict]:
    """The person's GP practice (``referrals.gp_messages`` decides first whether it is told at all): its NHSmail
    address; without one, a letter to print and post, on the link worker's list (the service's, if no one's)."""
    practice = referral.resident.practice if referral.resident.practice_id else None
    if practice is None:
        return []
    if practice.nhsmail:
        return [{"channel": Channel.EMAIL, "recipient": practice.nhsmail}]
    if referral.link_worker_id:
        return [{"channel": Channel.LETTER_TASK, "user": referral.link_worker}]
    return [{"channel": Channel.LETTER_TASK, "service": referral.service}]


_PLANS = {
    NotificationKind.SELF_REFERRAL_RECEIVED: _to_resident,
    NotificationKind.NEW_REFERRAL_FOR_PROVIDER: _to_provider,
    # The link worker is told; the provider gets the link to book the first session.
    NotificationKind.PROVIDER_ACCEPTED: _all(_to_link_worker, _to_provider_next_step("book_first_session")),
    NotificationKind.PROVIDER_DECLINED: _to_link_worker,
    # The person is told the date; the provider gets the link to confirm attendance after it.
    NotificationKind.FIRST_SESSION_FOR_RESIDENT: _all(_to_resident, _to_provider_next_step("record_attendance")),
    NotificationKind.ATTENDANCE_RECORDED: _to_link_worker,
    NotificationKind.FEEDBACK_TO_REFERRER: _to_referrer,
    NotificationKind.OUTCOME_QUESTIONS: _to_resident,
    NotificationKind.CONTACT_REMINDER: _to_resident,
    NotificationKind.NOT_CONTACTABLE_TO_REFERRER: _to_referrer,
    NotificationKind.SAFEGUARDING_CONCERN: _to_safeguarding_lead,
    NotificationKind.CONNECTION_WITHDRAWN: _to_provider,
    NotificationKind.CARE_PLAN_COPY: _to_resident,
    NotificationKind.REDIRECTED_TO_REFERRER: _to_referrer_of_triage,
    NotificationKind.NOT_ELIGIBLE_TO_REFERRER: _to_referrer_of_triage,
    NotificationKind.GP_ACKNOWLEDGEMENT: _to_gp_practice,
    NotificationKind.GP_DISCHARGE_SUMMARY: _to_gp_practice,
}
