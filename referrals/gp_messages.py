"""The message back to the GP practice (PRSB Social Prescribing standard, "message back to GP and referrer").

Built from the record when the referral is accepted (if the service acknowledges to practices) and
from the final discharge summary at discharge; kept as sent (``GpMessage``) and delivered through
the outbox: an email with the summary as a PDF to the practice's NHSmail address, or a letter to
print when the practice has none. The API serves the same content as JSON and as a FHIR document.

Who is told, and how (``plan_route``), in this order:

1. Consent (``ConsentPurpose.SHARE_WITH_GP``, the referral's latest answer): a refusal, or a withdrawal,
   means not sent. No answer at all: sent, as the issue asks ("unless the person withheld consent"): for a
   professional's referral telling the practice is part of the person's direct care, and the self-referral
   form asks the question saying "If you do not answer, we will tell them".
2. The practice: the person's ``Resident.practice``, chosen from the list. None (not registered, or a
   practice only written as free text), or a practice that has closed: not sent.
3. The route: the practice's NHSmail address if it has one (an email through the outbox, retried until
   sent, with the summary as a PDF); otherwise a letter to print and post, a task on the link worker's
   list (the service's, when no one is allocated).

Every case writes one ``GpMessage`` per referral and kind, with its route, and why when not sent.

The content (``GpMessage.content``) is a contract: the email, the PDF, the printable letter, and the
API's JSON and FHIR document are all built from it, and its keys are stable.

Both kinds::

    kind        "acknowledgement" or "discharge"
    title       the document's title in words
    person      {name, date_of_birth (ISO date or null), nhs_number, postcode, gp_practice (as written)}
    referral    {reference, received (ISO time), source, referrer, referrer_organisation, snomed_code,
                 needs [names], tier, link_worker}; an acknowledgement adds accepted (ISO time)
    practice    {ods_code, name, address, postcode} or null
    service     {name, email, phone}: who to contact about it
    codes       [{system: "http://snomed.info/sct", code, display}]: 871731000000106 "Referral to social
                prescribing service" always; 871711000000103 "Social prescribing declined" when the
                person declined
    prepared    ISO time the message was prepared
    prepared_by who prepared it (a name, or "Signpost")

A discharge message is the final ``DischargeSummary.content`` (``referrals.discharge``: person, referral,
contacts, plan, connections, wellbeing, discharge, fingerprint) plus the keys above and::

    outcome_measures [{measure: "ons4", name, scale, questions [wellbeing "measure" names],
                       code: null, coding_note: "no SNOMED CT code ..."}]

No SNOMED CT code for the ONS4 personal wellbeing questions was found in the sources searched (see
docs/primary-care.md), so the scores are sent as they are (``wellbeing``: each question with its score
before and after, 0 to 10) and the measure says "no SNOMED CT code" rather than carrying an invented one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from referrals.choices import (
    SNOMED_DECLINED,
    SNOMED_REFERRED,
    Channel,
    ConsentPurpose,
    DischargeReason,
    GpMessageKind,
    GpMessageRoute,
    NotificationKind,
)
from referrals.discharge import (
    WELLBEING_QUESTIONS,
    person_details,
    referral_details,
    when,
)
from referrals.gp_message_words import in_words
from referrals.models import DischargeSummary, GpMessage
from referrals.notifications.outbox import queue_notifications

SNOMED_SYSTEM = "http://snomed.info/sct"
SNOMED_DISPLAY = {
    SNOMED_REFERRED: "Referral to social prescribing service",
    SNOMED_DECLINED: "Social prescribing declined",
}
NO_SNOMED_CODE = "no SNOMED CT code"

NOTIFICATION_KIND = {
    GpMessageKind.ACKNOWLEDGEMENT: NotificationKind.GP_ACKNOWLEDGEMENT,
    GpMessageKind.DISCHARGE: NotificationKind.GP_DISCHARGE_SUMMARY,
}
TITLE = {
    GpMessageKind.ACKNOWLEDGEMENT: "Social prescribing referral accepted",
    GpMessageKind.DISCHARGE: "Social prescribing discharge summary",
}

# Why a message is not sent, in words (kept on the GpMessage and shown on the referral; nothing personal).
REFUSED = "The person refused consent to tell their GP practice."
WITHDRAWN = "The person withdrew their consent to tell their GP practice."
NOT_REGISTERED = "The person is not registered with a GP practice."
NO_PRACTICE = "No GP practice recorded: none was chosen from the list of practices."
PRACTICE_CLOSED = "The GP practice recorded for the person has closed."


@dataclass(frozen=True)
class Route:
    """Where a message to the GP practice goes (or why it does not)."""

    route: str  # a GpMessageRoute
    practice: object | None = None  # primarycare.GpPractice
    recipient: str = ""  # the NHSmail address, for an email
    not_sent_reason: str = ""

    @property
    def sentence(self) -> str:
        """For the link worker, before it goes: "Will be emailed to ..." and the like."""
        if self.route == GpMessageRoute.NHSMAIL:
            return (f"Will be emailed to {self.practice.name} at {self.recipient} with the summary attached "
                    f"as a PDF.")
        if self.route == GpMessageRoute.LETTER:
            return (f"A letter to print: {self.practice.name} has no NHSmail address on record. Printing and "
                    f"posting it will be on the link worker's list of tasks.")
        if self.not_sent_reason in (NO_PRACTICE, NOT_REGISTERED):
            return self.not_sent_reason
        return f"Will not be sent. {self.not_sent_reason}"


def gp_consent(referral) -> str:
    """The person's latest answer on telling their GP practice: "given", "refused", "withdrawn" or "" (none)."""
    latest = referral.consents.filter(purpose=ConsentPurpose.SHARE_WITH_GP).order_by("-recorded_at", "-pk").first()
    if latest is None:
        return ""
    if latest.withdrawn_at is not None:
        return "withdrawn"
    return "given" if latest.given else "refused"


def plan_route(referral) -> Route:
    """Whether and how the practice is told (the module's docstring gives the rules)."""
    consent = gp_consent(referral)
    if consent == "refused":
        return Route(GpMessageRoute.NOT_SENT, not_sent_reason=REFUSED)
    if consent == "withdrawn":
        return Route(GpMessageRoute.NOT_SENT, not_sent_reason=WITHDRAWN)
    resident = referral.resident
    practice = resident.practice if resident.practice_id else None
    if practice is None:
        return Route(GpMessageRoute.NOT_SENT, not_sent_reason=NOT_REGISTERED if resident.has_no_gp else NO_PRACTICE)
    if not practice.is_open:
        return Route(GpMessageRoute.NOT_SENT, practice=practice, not_sent_reason=PRACTICE_CLOSED)
    if practice.nhsmail:
        return Route(GpMessageRoute.NHSMAIL, practice=practice, recipient=practice.nhsmail)
    return Route(GpMessageRoute.LETTER, practice=practice)


# The content ---------------------------------------------------------------------------------------------


def _practice(practice) -> dict | None:
    if practice is None:
        return None
    return {"ods_code": practice.ods_code, "name": practice.name, "address": practice.address,
            "postcode": practice.postcode}


def _service(service) -> dict:
    return {"name": service.name, "email": service.email, "phone": service.phone}


def _codes(referral, *, declined: bool) -> list[dict]:
    codes = [SNOMED_REFERRED]
    if declined or referral.snomed_code == SNOMED_DECLINED:
        codes.append(SNOMED_DECLINED)
    return [{"system": SNOMED_SYSTEM, "code": code, "display": SNOMED_DISPLAY[code]} for code in codes]


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _common(referral, kind: str, *, practice, actor, now) -> dict:
    return {
        "kind": str(kind),
        "title": TITLE[kind],
        "practice": _practice(practice),
        "service": _service(referral.service),
        "prepared": when(now),
        "prepared_by": getattr(actor, "label", "") or "Signpost",
    }


def acknowledgement_content(referral, *, practice=None, actor=None, now=None) -> dict:
    """What the practice is told when the referral is accepted."""
    now = now or timezone.now()
    return {
        **_common(referral, GpMessageKind.ACKNOWLEDGEMENT, practice=practice, actor=actor, now=now),
        "person": person_details(referral.resident),
        "referral": {
            **referral_details(referral),
            "accepted": when(referral.triaged_at or now),
        },
        "codes": _codes(referral, declined=False),
    }


def discharge_content(referral, summary: dict, *, practice=None, actor=None, now=None) -> dict:
    """The final discharge summary (``DischargeSummary.content``) with what a GP system needs to file it."""
    now = now or timezone.now()
    declined = (summary.get("discharge") or {}).get("reason") == DischargeReason.PERSON_DECLINED
    return {
        **summary,
        **_common(referral, GpMessageKind.DISCHARGE, practice=practice, actor=actor, now=now),
        "codes": _codes(referral, declined=declined),
        "outcome_measures": [{
            "measure": "ons4",
            "name": "ONS4 personal wellbeing questions (Office for National Statistics)",
            "scale": "0 to 10 (for anxiety, lower is better)",
            "questions": list(WELLBEING_QUESTIONS),
            "code": None,
            "coding_note": f"{NO_SNOMED_CODE}: the scores are given as answered, before and after",
        }],
    }


# Sending -------------------------------------------------------------------------------------------------


def letter_url(referral, kind: str) -> str:
    return reverse("referrals:gp_message_letter", kwargs={"pk": referral.pk, "kind": kind})


def _record(referral, kind: str, *, actor, build) -> GpMessage:
    existing = GpMessage.objects.filter(referral=referral, kind=kind).first()
    if existing is not None:  # one of each kind: the step was repeated, the message was not
        return existing
    route = plan_route(referral)
    now = timezone.now()
    content = build(practice=route.practice, now=now)
    notification = None
    if route.route != GpMessageRoute.NOT_SENT:
        notifications = queue_notifications(referral, NOTIFICATION_KIND[kind], context={
            "gp": content, "words": in_words(content), "practice": route.practice,
            "letter_url": letter_url(referral, kind)})
        wanted = Channel.EMAIL if route.route == GpMessageRoute.NHSMAIL else Channel.LETTER_TASK
        notification = next((n for n in notifications if n.channel == wanted), None)
    user = getattr(actor, "user", None)
    return GpMessage.objects.create(
        referral=referral,
        kind=kind,
        practice=route.practice,
        route=route.route,
        recipient=route.recipient,
        not_sent_reason=route.not_sent_reason,
        content=content,
        prepared_at=now,
        prepared_by=user if getattr(user, "pk", None) else None,
        prepared_by_label=getattr(actor, "label", "") or "Signpost",
        notification=notification,
    )


def send_acknowledgement(referral, *, actor) -> GpMessage:
    """Called inside the triage step's transaction: the practice hears the referral was accepted."""
    return _record(referral, GpMessageKind.ACKNOWLEDGEMENT, actor=actor, build=lambda **kw: acknowledgement_content(
        referral, actor=actor, **kw))


def send_discharge_message(referral, *, actor) -> GpMessage:
    """Called inside the discharge step's transaction, after the summary is final."""
    summary = DischargeSummary.objects.get(referral=referral).content
    return _record(referral, GpMessageKind.DISCHARGE, actor=actor, build=lambda **kw: discharge_content(
        referral, summary, actor=actor, **kw))

