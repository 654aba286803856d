"""The words of each notification, from templates: ``referrals/notifications/<kind>.<medium>.txt``.

The first line of a rendered template is the subject; the rest, after a blank line, the body.
Medium is "email", "text" or "task" (a phone call or letter for a person to make). A text
has no subject line on the phone: only its body is sent.

Messages are rendered when the notification is queued, so a retry days later sends the words
as they were, and the rendered words are what the referral page shows was sent.

They are plain text, never HTML: rendered without autoescaping, so "Carers' Support Group" is
stored and sent as written (not "Carers&#x27; Support Group"), and escaped once, by Django's
normal autoescaping, wherever a page shows them. The subject is one line.
"""

import re

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format

from referrals.choices import Channel, ConnectionStatus

_MEDIUM = {
    Channel.EMAIL: "email",
    Channel.TEXT: "text",
    Channel.PHONE_TASK: "task",
    Channel.LETTER_TASK: "task",
    Channel.INBOX: "email",
}

# Template tags leave blank lines behind; more than one in a row reads as a mistake.
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")


def render_message(kind: str, channel: str, context: dict) -> tuple[str, str]:
    """The subject and body of a ``kind`` notification sent by ``channel``."""
    context = {**_extra_context(context), "channel": channel, **context}
    text = render_plain_text(f"referrals/notifications/{kind}.{_MEDIUM[channel]}.txt", context)
    subject, _, body = text.strip().partition("\n")
    body = _BLANK_LINES.sub("\n\n", body.strip())
    if channel == Channel.TEXT:
        # One paragraph: phones show a text as it comes, and every character counts towards its cost.
        body = " ".join(body.split())
    # One line: a line break in a subject would start the email's headers over.
    return " ".join(subject.split())[:255], body + "\n"


def render_plain_text(template_name: str, context: dict) -> str:
    """``template_name`` rendered as plain text: no HTML escaping (the words go into an email or a text, and
    any page that shows them escapes them then, once)."""
    # The Django backend's wrapper always renders with the engine's autoescaping; its inner template does not.
    template = get_template(template_name).template
    return template.render(Context(context, autoescape=False))


def _extra_context(context: dict) -> dict:
    """Links and facts most messages want, worked out once here rather than in each template."""
    base_url = context.get("base_url") or settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    config = settings.SIGNPOST_REFERRALS
    extra = {
        "base_url": base_url,
        "link_days": config.get("ACTION_LINK_DAYS", 14),
        "contact_within_days": config.get("CONTACT_WITHIN_WORKING_DAYS", 2),
    }
    activity = context.get("activity")
    if activity is not None:
        # The page's path, on the site the messages point to (``activity.url`` may already be absolute).
        parts = activity.get_url_parts()
        extra["activity_url"] = f"{base_url}{parts[2]}" if parts else ""
    referral = context.get("referral")
    if referral is not None and referral.pk:
        try:
            extra["referral_url"] = base_url + reverse("referrals:referral", args=[referral.pk])
        except NoReverseMatch:
            extra["referral_url"] = f"{base_url}/referrals/{referral.pk}/"
    connection = context.get("connection")
    if connection is not None:
        extra["attended"] = (True if connection.status == ConnectionStatus.ATTENDED
                             else False if connection.status == ConnectionStatus.DID_NOT_ATTEND else None)
        venue = getattr(connection.first_session, "venue", None) if connection.first_session_id else None
        extra["venue"] = venue
        if connection.first_session_at:
            starts = timezone.localtime(connection.first_session_at)
            extra["session_date"] = date_format(starts, "l j F Y")
            extra["session_date_short"] = date_format(starts, "D j M")
            extra["session_time"] = clock_time(starts)
    return extra


def clock_time(moment) -> str:
    """The time as the NHS writes it: 10am, 2:30pm, 12pm (midday)."""
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"
