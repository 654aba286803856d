"""The words of each notification, from templates: ``referrals/notifications/<kind>.<medium>.txt``.

The first line of a rendered template is the subject; the rest, after a blank line, the body.
Medium is "email", "text" or "task" (a phone call or letter for a person to make).
"""

from django.template.loader import render_to_string

from referrals.choices import Channel

_MEDIUM = {
    Channel.EMAIL: "email",
    Channel.TEXT: "text",
    Channel.PHONE_TASK: "task",
    Channel.LETTER_TASK: "task",
    Channel.INBOX: "email",
}


def render_message(kind: str, channel: str, context: dict) -> tuple[str, str]:
    text = render_to_string(f"referrals/notifications/{kind}.{_MEDIUM[channel]}.txt", context)
    subject, _, body = text.strip().partition("\n")
    return subject.strip()[:255], body.strip() + "\n"
