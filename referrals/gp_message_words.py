"""The message to the GP practice in words, for people: its dates as "6 December 2026", attendance and
wellbeing scores as short lines. Shared by the email's templates (``referrals.gp_messages``), the PDF
(``referrals.gp_letter_pdf``) and the printable letter; it reads only the stored content (no models, so
the PDF can be drawn anywhere, the outbox included)."""

from __future__ import annotations

from datetime import datetime

SHORT_QUESTIONS = {
    "life_satisfaction": "Satisfied with life",
    "worthwhile": "Things done are worthwhile",
    "happiness": "Happy yesterday",
    "anxiety": "Anxious yesterday (lower is better)",
}


def _parse(value):
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def day_words(value) -> str:
    """An ISO date or time as "6 December 2026" ("" if none)."""
    moment = _parse(value)
    return f"{moment.day} {moment:%B %Y}" if moment else ""


def in_words(content: dict) -> dict:
    """What people read beside the content: its dates in words, attendance and scores in short lines."""
    person, referral = content.get("person") or {}, content.get("referral") or {}
    connections = []
    for connection in content.get("connections") or []:
        attended = connection.get("attended_first_session")
        connections.append({
            **connection,
            "first_session_words": day_words(connection.get("first_session")),
            "attendance_words": ("" if connection.get("kind") == "signpost" else
                                 "went to the first session" if attended else
                                 "did not go to the first session" if attended is False else
                                 "attendance not recorded" if connection.get("first_session") else ""),
        })
    wellbeing = [
        {**row, "label": SHORT_QUESTIONS.get(row.get("measure"), row.get("question", "")),
         "before_words": "not asked" if row.get("before") is None else str(row["before"]),
         "after_words": "not asked" if row.get("after") is None else str(row["after"])}
        for row in content.get("wellbeing") or []
    ]
    contacts = content.get("contacts") or {}
    return {
        "born": day_words(person.get("date_of_birth")),
        "received": day_words(referral.get("received")),
        "accepted": day_words(referral.get("accepted")),
        "prepared": day_words(content.get("prepared")),
        "first_contact": day_words(contacts.get("first")),
        "last_contact": day_words(contacts.get("last")),
        "connections": connections,
        "wellbeing": wellbeing,
        "has_wellbeing": any(row.get("before") is not None or row.get("after") is not None for row in wellbeing),
    }
