"""Keeping listings current: "still accurate" in one click, and reminders about stale listings.

Neither changes what a listing says, so neither goes through moderation. Both write the
live row *and* the revisions that could still be published (the draft being edited, the
one awaiting a moderator): Wagtail publishes a revision's whole content, so a date written
only to the live row would be put back by the next publish.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import Page, Revision

from directory.models import ActivityPage, OrganisationPage
from directory.selectors import stale_activities

logger = logging.getLogger(__name__)

CONFIRM_ACCURATE_LOG_ACTION = "directory.confirm_accurate"


def activity_confirm_accurate(*, activity: ActivityPage, user) -> ActivityPage:
    """Record that ``user`` has checked ``activity`` and it is still accurate, as of today."""
    if not activity.permissions_for_user(user).can_edit():
        raise PermissionDenied("You cannot confirm a listing you cannot edit.")
    today = timezone.localdate()
    with transaction.atomic():
        _activities_write_through([activity.pk], last_reviewed=today, stale_reminder_sent_at=None)
        log(instance=activity, action=CONFIRM_ACCURATE_LOG_ACTION, user=user)
    activity.last_reviewed = today
    activity.stale_reminder_sent_at = None
    return activity


def _activities_write_through(activity_ids, **values) -> None:
    """Set ``values`` on the activities' live rows and on every revision newer than the live one."""
    ids = list(
        ActivityPage.objects.select_for_update().filter(pk__in=activity_ids).values_list("pk", "live_revision_id")
    )
    ActivityPage.objects.filter(pk__in=[pk for pk, _ in ids]).update(**values)
    for pk, live_revision_id in ids:
        revisions = Revision.page_revisions.filter(object_id=str(pk))
        if live_revision_id is not None:
            # Older revisions are history: reverting to one is a deliberate choice.
            revisions = revisions.filter(pk__gte=live_revision_id)
        for revision in revisions:
            # Revision.content is encoded with DjangoJSONEncoder, as Wagtail writes it.
            revision.content.update(values)
            revision.save(update_fields=["content"])


# Stale reminders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleReminder:
    """One organisation's reminder: all its stale activities, oldest first, and who to tell."""

    organisation: OrganisationPage
    activities: tuple[ActivityPage, ...]
    recipients: tuple[str, ...]


class ReminderOutcome:
    SENT = "sent"
    NO_RECIPIENTS = "no recipients"
    FAILED = "failed"


def stale_reminders_due(*, today: date | None = None) -> list[StaleReminder]:
    """Organisations with a stale activity not reminded about in the last reminder interval.

    Each reminder lists all the organisation's stale activities, including any reminded about
    recently, so the organisation sees the whole picture in one message.
    """
    today = today or timezone.localdate()
    remind_before = today - timedelta(days=settings.SIGNPOST["STALE_REMINDER_INTERVAL_DAYS"])
    stale = list(stale_activities(today))
    organisations = {
        organisation.path: organisation
        for organisation in OrganisationPage.objects.filter(
            path__in={activity.path[: -Page.steplen] for activity in stale}
        )
    }
    by_organisation: dict[str, list[ActivityPage]] = {}
    for activity in stale:
        by_organisation.setdefault(activity.path[: -Page.steplen], []).append(activity)

    reminders = []
    for path, activities in by_organisation.items():
        organisation = organisations.get(path)
        if organisation is None:
            continue
        if not any(_reminder_due(activity, remind_before) for activity in activities):
            continue
        reminders.append(
            StaleReminder(
                organisation=organisation,
                activities=tuple(activities),
                recipients=_recipients(organisation),
            )
        )
    return sorted(reminders, key=lambda reminder: reminder.organisation.title)


def _reminder_due(activity: ActivityPage, remind_before: date) -> bool:
    sent_at = activity.stale_reminder_sent_at
    return sent_at is None or timezone.localdate(sent_at) <= remind_before


def _recipients(organisation: OrganisationPage) -> tuple[str, ...]:
    addresses = [organisation.email]
    if organisation.editors_id is not None:
        addresses += (
            get_user_model()
            .objects.filter(groups=organisation.editors_id, is_active=True)
            .exclude(email="")
            .order_by("email")
            .values_list("email", flat=True)
        )
    seen, recipients = set(), []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            recipients.append(address)
    return tuple(recipients)


def send_stale_reminders(
    *,
    today: date | None = None,
    report: Callable[[StaleReminder, str], None] | None = None,
) -> int:
    """Email each organisation that has stale activities one reminder; return how many were sent.

    An activity is reminded about again only after ``STALE_REMINDER_INTERVAL_DAYS``. A
    reminder is recorded only once its message has gone, so one that could not be sent is
    tried again on the next run. ``report`` hears about every organisation considered.
    """
    today = today or timezone.localdate()
    sent_at = timezone.now() if today == timezone.localdate() else _at_this_time_on(today)
    # Whole seconds, so the live row and the revisions (JSON keeps milliseconds) agree exactly.
    sent_at = sent_at.replace(microsecond=0)
    sent = 0
    for reminder in stale_reminders_due(today=today):
        if not reminder.recipients:
            logger.warning("No email address for %s: its stale-listing reminder was not sent.", reminder.organisation)
            outcome = ReminderOutcome.NO_RECIPIENTS
        else:
            try:
                _stale_reminder_message(reminder, today=today).send()
            except Exception:
                # One organisation's unreachable mail server must not stop the others' reminders.
                logger.exception("Could not send the stale-listing reminder to %s.", reminder.organisation)
                outcome = ReminderOutcome.FAILED
            else:
                with transaction.atomic():
                    _activities_write_through(
                        [activity.pk for activity in reminder.activities], stale_reminder_sent_at=sent_at
                    )
                sent += 1
                outcome = ReminderOutcome.SENT
        if report is not None:
            report(reminder, outcome)
    return sent


def _at_this_time_on(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, timezone.localtime().time()))


def _stale_reminder_message(reminder: StaleReminder, *, today: date) -> EmailMessage:
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    grace = timedelta(days=settings.SIGNPOST["STALE_GRACE_DAYS"])
    listings = [
        {
            "activity": activity,
            "hidden_from": activity.stale_since() + grace,
            "is_hidden": activity.is_hidden_as_stale(today),
            "confirm_url": base_url + reverse("directory_activity_confirm_accurate", args=[activity.pk]),
            "edit_url": base_url + reverse("wagtailadmin_pages:edit", args=[activity.pk]),
        }
        for activity in reminder.activities
    ]
    context = {
        "organisation": reminder.organisation,
        "listings": listings,
        "site_name": settings.WAGTAIL_SITE_NAME,
        "stale_after_days": settings.SIGNPOST["STALE_AFTER_DAYS"],
    }
    subject = render_to_string("directory/email/stale_reminder_subject.txt", context).strip()
    body = render_to_string("directory/email/stale_reminder.txt", context)
    return EmailMessage(subject=subject, body=body, to=list(reminder.recipients))
