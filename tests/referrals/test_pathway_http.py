"""The whole referral pathway end to end, through HTTP only: the pages people use move every referral
and each of its connections, from the referral to its discharge.

Factories build the services, staff, organisations and activities; after that, every step is
a request to a page (the public form, triage, the link worker's referral page, the provider's
inbox and emailed links). The database is read only to check what the pages did. The alert
job is run directly, as the worker's scheduler would run it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from factories import referrals as factories
from referrals.alerts import raise_alerts
from referrals.choices import (
    SNOMED_DECLINED,
    SNOMED_REFERRED,
    AlertKind,
    AuditAction,
    Channel,
    DeliveryStatus,
    NotificationKind,
    Source,
)
from referrals.choices import ConnectionStatus as C
from referrals.choices import (
    ReferralStatus as S,
)
from referrals.models import Alert, AuditEntry, Connection, Referral
from tests.referrals.text import mentions

LINK_ACTOR = "Provider (emailed link)"
SELF_REFERRAL_ACTOR = "Self-referral (online form)"
NOT_CONTACTED_LABEL = AlertKind.NOT_CONTACTED.label
DID_NOT_ATTEND_LABEL = AlertKind.DID_NOT_ATTEND.label


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # The self-referral rate limit lives in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def other_provider_editor(other_organisation):
    return factories.make_provider_editor(organisation=other_organisation, username="olive", first_name="Olive")


# Walking the pages -----------------------------------------------------------------------


@dataclass
class Look:
    """One GET of a page that shows the resident's name, and the audit entries it wrote."""

    url: str
    user: object  # None for an emailed link (no one is signed in)
    referral_id: int | None
    kind: str  # "record" (one referral), "inbox" (a list with one entry per referral), "list" (one entry)
    entries: list = field(default_factory=list)
    html: str = ""


class Walk:
    """The people on the pathway, each using the pages as they would: staff signed in with a second factor."""

    def __init__(self, *, sign_in, capture):
        self.sign_in = sign_in
        self.capture = capture
        self.public = Client()  # the resident, and whoever opens an emailed link
        self.looks: list[Look] = []

    # Requests -----------------------------------------------------------------------------

    def get(self, user, url: str, *, referral: Referral | None = None, kind: str = "record", status: int = 200):
        client = self.public if user is None else self.sign_in(user)
        before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = client.get(url)
        assert response.status_code == status, (url, response.status_code)
        if status == 200:
            entries = list(AuditEntry.objects.filter(pk__gt=before, action=AuditAction.VIEW).order_by("pk"))
            html = response.content.decode()
            self.looks.append(Look(url, user, referral.pk if referral else None, kind, entries, html))
        return response.content.decode()

    def post(self, user, url: str, data: dict | None = None, *, status: int = 302):
        client = self.public if user is None else self.sign_in(user)
        # Notifications are sent once the step's transaction commits.
        with self.capture(execute=True):
            response = client.post(url, data or {})
        assert response.status_code == status, (url, response.status_code, _errors(response))
        return response

    # Steps --------------------------------------------------------------------------------

    def self_refer(self, data: dict) -> Referral:
        response = self.post(None, "/refer-yourself/", data)
        assert response["Location"] == "/refer-yourself/sent/"
        page = self.public.get("/refer-yourself/sent/").content.decode()
        referral = Referral.objects.get()
        assert referral.reference in page, "the confirmation shows the reference"
        return referral

    def triage(self, referral: Referral, *, triage, link_worker) -> None:
        queue = self.get(triage, "/referrals/triage/", kind="list")
        assert referral.reference in queue
        page = self.get(triage, f"/referrals/triage/{referral.pk}/", referral=referral)
        assert referral.resident.first_name in page
        response = self.post(triage, f"/referrals/triage/{referral.pk}/", {
            "action": "triage", "triage-tier": "one_to_one", "triage-priority": "routine",
            "triage-link_worker": link_worker.pk, "triage-note": "Keen to start.",
        })
        assert response["Location"] == "/referrals/triage/"

    def step(self, user, referral: Referral, action: str, data: dict | None = None) -> None:
        """One of the referral's own steps on its page (the person declines)."""
        response = self.post(user, f"/referrals/{referral.pk}/steps/{action}/", data)
        assert response["Location"] == f"/referrals/{referral.pk}/"

    def connection_step(self, user, connection: Connection, action: str, fields: dict | None = None) -> None:
        """One step on a connection, from the referral page that showed it at its status now."""
        connection.refresh_from_db()
        data = {"seen_status": connection.status,
                **{f"c{connection.number}-{action}-{name}": value for name, value in (fields or {}).items()}}
        response = self.post(user, f"/referrals/{connection.referral_id}/connections/{connection.number}/{action}/",
                             data)
        assert response["Location"] == f"/referrals/{connection.referral_id}/#connection-{connection.number}"

    def discharge(self, user, referral: Referral, *, reason: str, note: str = "") -> str:
        """Discharge: the reason, then the summary to check (returned), then confirm what was shown."""
        client = self.sign_in(user)
        response = client.post(f"/referrals/{referral.pk}/discharge/",
                               {"discharge-reason": reason, "discharge-note": note})
        assert response.status_code == 200, _errors(response)
        preview = response.content.decode()
        form = BeautifulSoup(preview, "html.parser").select_one("form[action$='/discharge/confirm/']")
        data = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
        response = self.post(user, f"/referrals/{referral.pk}/discharge/confirm/", data)
        assert response["Location"] == f"/referrals/{referral.pk}/#discharge"
        return preview

    def record_contact(self, user, referral: Referral, note: str) -> None:
        """First contact: a held phone call recorded in the referral page's Contacts section."""
        today = timezone.localdate()
        response = self.post(user, f"/referrals/{referral.pk}/contacts/", {
            "contact-status": "held", "contact-day": today.day, "contact-month": today.month,
            "contact-year": today.year, "contact-time": "00:00", "contact-method": "phone",
            "contact-duration_minutes": "15", "contact-note": note,
        })
        assert response["Location"] == f"/referrals/{referral.pk}/#contacts"

    def record_review(self, user, referral: Referral) -> None:
        """The review before discharge: a held contact marked as the review."""
        today = timezone.localdate()
        response = self.post(user, f"/referrals/{referral.pk}/contacts/", {
            "contact-status": "held", "contact-day": today.day, "contact-month": today.month,
            "contact-year": today.year, "contact-time": "00:01", "contact-method": "face_to_face",
            "contact-duration_minutes": "45", "contact-is_review": "on", "contact-note": "Reviewed her plan.",
        })
        assert response["Location"] == f"/referrals/{referral.pk}/#contacts"

    def referral_page(self, user, referral: Referral) -> str:
        page = self.get(user, f"/referrals/{referral.pk}/", referral=referral)
        assert referral.resident.first_name in page
        return page

    def caseload(self, link_worker) -> str:
        return self.get(link_worker, "/referrals/", kind="list")

    def inbox(self, provider) -> str:
        return self.get(provider, "/referrals/provider/", kind="inbox")

    def provider_page(self, provider, connection: Connection) -> str:
        referral = connection.referral
        page = self.get(provider, f"/referrals/provider/connections/{connection.pk}/", referral=referral)
        assert referral.resident.first_name in page
        return page

    def open_link(self, path: str, referral: Referral) -> str:
        page = self.get(None, path, referral=referral)
        assert referral.resident.first_name in page
        return page

    def contact_and_send(self, referral: Referral, *, link_worker, activity, contact: bool = True) -> Connection:
        """The link worker's part: contact (if not yet made), connect the person to the activity and send it."""
        if contact:
            self.record_contact(link_worker, referral, "Rang her; she'd like to walk.")
            assert status_of(referral) == S.CONTACTED
        response = self.post(link_worker, f"/referrals/{referral.pk}/connections/",
                             {"connect-activity": activity.pk, "connect-send": "on"})
        connection = referral.connections.order_by("-number").first()
        assert response["Location"] == f"/referrals/{referral.pk}/#connection-{connection.number}"
        assert connection.activity_id == activity.pk and connection.status == C.SENT_TO_PROVIDER
        assert connection.provider_id == activity.organisation.pk
        assert status_of(referral) == S.CONTACTED, "the person stays in support"
        return connection


def _errors(response) -> str:
    if response.status_code != 200:
        return ""
    found = re.findall(r'class="nhsuk-error-message"[^>]*>(.*?)</span>\s*</span>|<li><a href="#[^"]*">(.*?)</a>',
                       response.content.decode(), re.DOTALL)
    return "; ".join(" ".join(part for part in match if part).strip() for match in found)


def status_of(referral: Referral) -> str:
    referral.refresh_from_db()
    return referral.status


def connection_status(connection: Connection) -> str:
    connection.refresh_from_db()
    return connection.status


def provider_step(connection: Connection, step: str) -> str:
    return f"/referrals/provider/connections/{connection.pk}/{step}/"


def emails_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def link_paths(message) -> dict[str, str]:
    """The accept and decline links in a provider's email, as paths on this site."""
    accept = re.search(r"To accept the referral: (\S+)", message.body)
    decline = re.search(r"To decline it: (\S+)", message.body)
    assert accept and decline, message.body
    return {"accept": urlsplit(accept.group(1)).path, "decline": urlsplit(decline.group(1)).path}


def events_of(referral: Referral) -> list[tuple]:
    """Each step: its action, from and to (and, for a connection's step, the connection's number)."""
    return [(e.action, e.from_status, e.to_status, *((e.connection.number,) if e.connection_id else ()))
            for e in referral.events.select_related("connection").order_by("at", "pk")]


def assert_every_notification_delivered_once(referral: Referral) -> None:
    """Every notification has a final delivery status, and each email arrived exactly once."""
    notifications = list(referral.notifications.all())
    assert notifications
    assert {n.status for n in notifications} <= {DeliveryStatus.SENT, DeliveryStatus.DONE}, [
        (n.kind, n.channel, n.status) for n in notifications
    ]
    for notification in notifications:
        if notification.channel != Channel.EMAIL:
            continue
        copies = [m for m in mail.outbox if m.extra_headers.get("X-Signpost-Notification") == str(notification.pk)]
        assert len(copies) == 1, (notification.kind, len(copies))
        assert copies[0].to == [notification.recipient]


def future_day(days: int = 10):
    return (timezone.localtime() + timedelta(days=days)).date()


def first_session_data(status: str) -> dict:
    day = future_day()
    return {
        "seen_status": status, "first-session-when": "other", "first-session-day": str(day.day),
        "first-session-month": str(day.month), "first-session-year": str(day.year),
        "first-session-time": "10:30", "first-session-note": "Ask for Sam at the café gate.",
    }


@pytest.fixture
def self_referral_data(service, needs):
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth_day": "10",
        "date_of_birth_month": "12",
        "date_of_birth_year": "1955",
        "postcode": "BH15 1AB",
        "address": "1 High Street, Poole",
        "preferred_contact": "email",
        "email": "ada@example.net",
        "phone": "07700 900456",
        "language": "English",
        "accessibility_needs": "I use a walking stick.",
        "gp_practice": "Harbour Surgery",
        "needs": [str(needs["loneliness"].pk)],
        "what_matters": "Getting out of the house and meeting people.",
        "consent_referral": "yes",
        "consent_share_with_provider": "yes",
        "website": "",
    }


@pytest.fixture
def gp_referral_data(needs):
    return {
        "source": "primary_care",
        "referrer_name": "Dr A Patel",
        "referrer_role": "GP",
        "referrer_organisation": "Harbour Surgery",
        "referrer_email": "referrals@harbour-surgery.example.nhs.uk",
        "referrer_phone": "01202 000111",
        "first_name": "Ben",
        "last_name": "Carter",
        "date_of_birth_day": "3",
        "date_of_birth_month": "4",
        "date_of_birth_year": "1948",
        "nhs_number": "9434765919",
        "postcode": "BH15 1AB",
        "address": "2 Quay Road, Poole",
        "gp_practice": "Harbour Surgery",
        "preferred_contact": "email",
        "email": "ben@example.net",
        "phone": "07700 900789",
        "language": "English",
        "accessibility_needs": "Hard of hearing.",
        "priority": "routine",
        "needs": [str(needs["walking"].pk), str(needs["loneliness"].pk)],
        "what_matters": "Wants to get fit again.",
        "notes": "Recently bereaved; low mood.",
        "consent_referral": "yes",
        "consent_share_with_provider": "yes",
        "consent_feedback_to_referrer": "yes",
        "consent_method": "written",
        "consent_given_by": "The person themselves",
    }


@pytest.fixture
def walk(sign_in, django_capture_on_commit_callbacks):
    return Walk(sign_in=sign_in, capture=django_capture_on_commit_callbacks)


# The two pathways, shared by the tests below ---------------------------------------------


def walk_self_referral_to_discharge(walk: Walk, *, data, triage, link_worker, provider_editor, activity) -> Referral:
    # A resident refers themselves; the acknowledgement arrives by email.
    referral = walk.self_refer(data)
    assert referral.status == S.RECEIVED and referral.source == Source.SELF
    assert referral.snomed_code == SNOMED_REFERRED
    assert [m.to for m in mail.outbox] == [["ada@example.net"]]
    assert referral.reference in mail.outbox[0].body

    # Triage finds it in the queue and allocates a link worker.
    walk.triage(referral, triage=triage, link_worker=link_worker)
    assert status_of(referral) == S.TRIAGED
    assert referral.link_worker == link_worker and referral.tier == "one_to_one"
    queue = walk.get(triage, "/referrals/triage/", kind="list")
    assert "0 new referrals to triage" in queue
    assert referral.reference in queue.split('id="open-referrals"')[1], "now among the service's open referrals"

    # The link worker sees it on the caseload, contacts the person, connects her to the activity, sends it.
    assert referral.reference in walk.caseload(link_worker)
    walk.referral_page(link_worker, referral)
    connection = walk.contact_and_send(referral, link_worker=link_worker, activity=activity)

    # The provider's email arrives (no personal data in it), with accept and decline links.
    [provider_email] = emails_to(activity.organisation.email)
    assert referral.reference in provider_email.body and not mentions(provider_email.body, "Ada")
    paths = link_paths(provider_email)
    # Opening the accept link shows the summary and changes nothing (mail scanners open links).
    events_before = referral.events.count()
    page = walk.open_link(paths["accept"], referral)
    assert "Accept this referral" in page
    assert connection_status(connection) == C.SENT_TO_PROVIDER and referral.events.count() == events_before
    walk.post(None, paths["accept"], status=200)
    assert connection_status(connection) == C.ACCEPTED
    # The link worker is told of the acceptance.
    assert referral.notifications.filter(
        kind=NotificationKind.PROVIDER_ACCEPTED, channel=Channel.INBOX, recipient_user=link_worker
    ).exists()
    assert len(emails_to(link_worker.email)) == 1

    # The provider, signed in, proposes the first session from their inbox and the connection's page.
    assert referral.reference in walk.inbox(provider_editor)
    page = walk.provider_page(provider_editor, connection)
    assert "Book the first session" in page
    walk.post(provider_editor, provider_step(connection, "first-session"), first_session_data(C.ACCEPTED))
    # The resident's email is sent, so the connection shows the resident was told.
    first_session = [m for m in emails_to("ada@example.net") if "first session" in m.subject.lower()]
    assert len(first_session) == 1 and "Ask for Sam at the café gate." in first_session[0].body
    assert connection_status(connection) == C.RESIDENT_NOTIFIED
    assert timezone.localtime(connection.first_session_at).date() == future_day()
    page = walk.provider_page(provider_editor, connection)
    assert C.RESIDENT_NOTIFIED.label in page
    link_worker_page = walk.referral_page(link_worker, referral)
    assert C.RESIDENT_NOTIFIED.label in link_worker_page
    # Whether the person came cannot be known before the session: the pages say when it can be.
    assert "once the first session has started" in page
    assert "once the first session has started" in link_worker_page

    # The session day comes. The provider confirms attendance; the link worker is told in Signpost and by email.
    factories.first_session_held(connection)
    walk.post(provider_editor, provider_step(connection, "attendance"),
              {"seen_status": C.RESIDENT_NOTIFIED, "attendance-attended": "attended"})
    assert connection_status(connection) == C.ATTENDED
    told = referral.notifications.get(
        kind=NotificationKind.ATTENDANCE_RECORDED, channel=Channel.INBOX, recipient_user=link_worker
    )
    assert told.status == DeliveryStatus.SENT
    attendance_emails = [m for m in emails_to(link_worker.email) if "went to the first session" in m.subject]
    assert len(attendance_emails) == 1 and not mentions(attendance_emails[0].body, "Ada")

    # The link worker holds the review, then discharges her with her goals met, checking the summary first.
    walk.record_review(link_worker, referral)
    walk.referral_page(link_worker, referral)
    preview = walk.discharge(link_worker, referral, reason="goals_met", note="Walking weekly.")
    assert "Check the discharge summary" in preview and activity.title in preview
    assert "Went to the first session" in preview and "A review was held." in preview
    assert status_of(referral) == S.DISCHARGED and referral.discharge_reason == "goals_met"
    assert referral.discharge_summary.is_final
    return referral


def walk_professional_referral_with_a_decline(
    walk: Walk, *, data, triage, link_worker, provider_editor, other_provider_editor, activity, other_activity,
) -> Referral:
    # A GP's referral, keyed in by triage: it lands in the queue like any other.
    client = walk.sign_in(triage)
    with walk.capture(execute=True):
        response = client.post("/referrals/triage/new/", data)
    referral = Referral.objects.get(resident__last_name="Carter")
    assert response.status_code == 302 and response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.status == S.RECEIVED and referral.source == Source.PRIMARY_CARE
    assert referral.snomed_code == SNOMED_REFERRED
    walk.triage(referral, triage=triage, link_worker=link_worker)
    walk.referral_page(link_worker, referral)
    first = walk.contact_and_send(referral, link_worker=link_worker, activity=activity)

    # The first provider declines through the emailed link, with a reason.
    [first_email] = [m for m in emails_to(activity.organisation.email) if referral.reference in m.body]
    first_links = link_paths(first_email)
    page = walk.open_link(first_links["decline"], referral)
    assert "Decline this referral" in page
    assert connection_status(first) == C.SENT_TO_PROVIDER
    walk.post(None, first_links["decline"], {"decline-reason": "full", "decline-note": "Full until spring."},
              status=200)
    assert connection_status(first) == C.DECLINED_BY_PROVIDER
    assert (first.provider_decline_reason, first.provider_decline_note) == ("full", "Full until spring.")
    # The link worker is told, in Signpost and by email.
    assert referral.notifications.filter(
        kind=NotificationKind.PROVIDER_DECLINED, channel=Channel.INBOX, recipient_user=link_worker
    ).exists()
    assert [m for m in emails_to(link_worker.email) if referral.reference in m.subject + m.body]
    assert "Full until spring." in walk.referral_page(link_worker, referral)

    # The link worker connects him to another activity, run by another organisation: a second connection.
    second = walk.contact_and_send(referral, link_worker=link_worker, activity=other_activity, contact=False)
    assert second.number == 2 and connection_status(first) == C.DECLINED_BY_PROVIDER
    [second_email] = emails_to(other_activity.organisation.email)
    second_links = link_paths(second_email)
    walk.open_link(second_links["accept"], referral)
    walk.post(None, second_links["accept"], status=200)
    assert connection_status(second) == C.ACCEPTED and second.provider_id == other_activity.organisation.pk

    # Each provider sees its own connection only, by page or by link: the first, the one it declined.
    walk.get(provider_editor, f"/referrals/provider/connections/{second.pk}/", status=404)
    walk.get(other_provider_editor, f"/referrals/provider/connections/{first.pk}/", status=404)
    assert walk.public.post(first_links["accept"]).status_code in (409, 410)
    assert connection_status(first) == C.DECLINED_BY_PROVIDER
    assert referral.reference in walk.inbox(other_provider_editor)
    walk.provider_page(other_provider_editor, second)

    # The person later declines social prescribing: the SNOMED code says so.
    assert referral.snomed_code == SNOMED_REFERRED
    walk.step(link_worker, referral, "person_declines", {"person_declines-note": "Changed his mind."})
    assert status_of(referral) == S.DECLINED_BY_PERSON
    assert referral.snomed_code == SNOMED_DECLINED == "871711000000103"

    # Discharge waits while the second provider is still working on its connection: withdraw it first.
    response = walk.sign_in(link_worker).post(f"/referrals/{referral.pk}/discharge/",
                                              {"discharge-reason": "person_declined"})
    assert "A provider is still working on a connection" in _errors(response)
    walk.connection_step(link_worker, second, "withdraw", {"note": "He changed his mind."})
    assert connection_status(second) == C.WITHDRAWN

    # Discharged as declined: the GP (who the person agreed may hear) is told, with the code.
    walk.discharge(link_worker, referral, reason="person_declined")
    assert status_of(referral) == S.DISCHARGED and referral.snomed_code == SNOMED_DECLINED
    [feedback] = emails_to("referrals@harbour-surgery.example.nhs.uk")
    assert referral.reference in feedback.body and "SNOMED CT: 871711000000103" in feedback.body
    return referral


# The tests ---------------------------------------------------------------------------------


def test_a_self_referral_goes_all_the_way_to_discharge(
    walk, self_referral_data, triage, link_worker, provider_editor, activity
):
    referral = walk_self_referral_to_discharge(
        walk, data=self_referral_data, triage=triage, link_worker=link_worker, provider_editor=provider_editor,
        activity=activity,
    )

    assert events_of(referral) == [
        ("create", "", S.RECEIVED),
        ("triage", S.RECEIVED, S.TRIAGED),
        ("record_contact", S.TRIAGED, S.CONTACTED),
        ("choose_activity", "", C.ACTIVITY_CHOSEN, 1),
        ("send_to_provider", C.ACTIVITY_CHOSEN, C.SENT_TO_PROVIDER, 1),
        ("provider_accept", C.SENT_TO_PROVIDER, C.ACCEPTED, 1),
        ("book_first_session", C.ACCEPTED, C.FIRST_SESSION_BOOKED, 1),
        ("mark_resident_notified", C.FIRST_SESSION_BOOKED, C.RESIDENT_NOTIFIED, 1),
        ("record_attendance", C.RESIDENT_NOTIFIED, C.ATTENDED, 1),
        ("discharge", S.CONTACTED, S.DISCHARGED),
    ]
    actors = [e.actor_label for e in referral.events.order_by("at", "pk")]
    assert actors[0] == SELF_REFERRAL_ACTOR and actors[5] == LINK_ACTOR
    events = {e.action: e for e in referral.events.all()}
    assert events["triage"].actor == triage and events["discharge"].actor == link_worker
    assert events["book_first_session"].actor == events["record_attendance"].actor == provider_editor

    # Every step has its time stamp, in the order they happened.
    connection = referral.connections.get()
    stamps = [
        referral.received_at, referral.triaged_at, referral.contacted_at, connection.created_at,
        connection.sent_to_provider_at, connection.provider_responded_at, connection.first_session_booked_at,
        connection.resident_notified_at, connection.attendance_recorded_at, referral.discharged_at,
    ]
    assert all(stamps) and stamps == sorted(stamps)
    assert abs(connection.attended_at - connection.attendance_recorded_at) < timedelta(seconds=1)
    assert connection.did_not_attend_at is None and referral.declined_at is None
    for action, stamp in [("triage", referral.triaged_at), ("record_contact", referral.contacted_at),
                          ("provider_accept", connection.provider_responded_at),
                          ("discharge", referral.discharged_at)]:
        assert events[action].at == stamp

    kinds = sorted((n.kind, n.channel) for n in referral.notifications.all())
    assert kinds == sorted([
        (NotificationKind.SELF_REFERRAL_RECEIVED, Channel.EMAIL),
        (NotificationKind.NEW_REFERRAL_FOR_PROVIDER, Channel.INBOX),
        (NotificationKind.NEW_REFERRAL_FOR_PROVIDER, Channel.EMAIL),
        (NotificationKind.PROVIDER_ACCEPTED, Channel.INBOX),
        (NotificationKind.PROVIDER_ACCEPTED, Channel.EMAIL),
        (NotificationKind.FIRST_SESSION_FOR_RESIDENT, Channel.EMAIL),
        # The provider's links for the next step: book the first session, then confirm attendance.
        (NotificationKind.PROVIDER_NEXT_STEP, Channel.EMAIL),
        (NotificationKind.PROVIDER_NEXT_STEP, Channel.EMAIL),
        (NotificationKind.ATTENDANCE_RECORDED, Channel.INBOX),
        (NotificationKind.ATTENDANCE_RECORDED, Channel.EMAIL),
    ])
    assert_every_notification_delivered_once(referral)
    assert len(mail.outbox) == 7
    # The referral page shows each notification and its delivery status, and the final summary.
    page = walk.referral_page(link_worker, referral)
    assert all(f'id="notification-{n.pk}"' in page for n in referral.notifications.all())
    assert DeliveryStatus.SENT.label in page
    assert DeliveryStatus.PENDING.label not in page and DeliveryStatus.FAILED.label not in page
    assert 'id="discharge-summary"' in page and "Walking weekly." in page


def test_a_professional_referral_with_a_provider_decline_and_a_second_activity(
    walk, gp_referral_data, triage, link_worker, provider_editor, other_provider_editor, activity, other_activity
):
    referral = walk_professional_referral_with_a_decline(
        walk, data=gp_referral_data, triage=triage, link_worker=link_worker, provider_editor=provider_editor,
        other_provider_editor=other_provider_editor, activity=activity, other_activity=other_activity,
    )

    assert events_of(referral) == [
        ("create", "", S.RECEIVED),
        ("triage", S.RECEIVED, S.TRIAGED),
        ("record_contact", S.TRIAGED, S.CONTACTED),
        ("choose_activity", "", C.ACTIVITY_CHOSEN, 1),
        ("send_to_provider", C.ACTIVITY_CHOSEN, C.SENT_TO_PROVIDER, 1),
        ("provider_decline", C.SENT_TO_PROVIDER, C.DECLINED_BY_PROVIDER, 1),
        ("choose_activity", "", C.ACTIVITY_CHOSEN, 2),
        ("send_to_provider", C.ACTIVITY_CHOSEN, C.SENT_TO_PROVIDER, 2),
        ("provider_accept", C.SENT_TO_PROVIDER, C.ACCEPTED, 2),
        ("person_declines", S.CONTACTED, S.DECLINED_BY_PERSON),
        ("withdraw", C.ACCEPTED, C.WITHDRAWN, 2),
        ("discharge", S.DECLINED_BY_PERSON, S.DISCHARGED),
    ]
    activities = [e.activity_id for e in referral.events.order_by("at", "pk") if e.action == "choose_activity"]
    assert activities == [activity.pk, other_activity.pk]
    assert referral.events.get(action="provider_decline").note == "Full until spring."
    assert referral.declined_at is not None and referral.discharge_reason == "person_declined"
    # The referral was keyed in by triage for the GP, and nobody emailed the resident for it.
    assert referral.referred_by == triage and referral.referrer_name == "Dr A Patel"
    assert not emails_to("ben@example.net")
    # The second provider was told the connection was withdrawn.
    assert referral.notifications.filter(kind=NotificationKind.CONNECTION_WITHDRAWN,
                                         connection__number=2).exists()
    assert_every_notification_delivered_once(referral)


def test_every_view_of_a_resident_record_is_audited(
    walk, self_referral_data, gp_referral_data, triage, link_worker, provider_editor, other_provider_editor,
    activity, other_activity,
):
    walk_self_referral_to_discharge(
        walk, data=self_referral_data, triage=triage, link_worker=link_worker, provider_editor=provider_editor,
        activity=activity,
    )
    walk_professional_referral_with_a_decline(
        walk, data=gp_referral_data, triage=triage, link_worker=link_worker, provider_editor=provider_editor,
        other_provider_editor=other_provider_editor, activity=activity, other_activity=other_activity,
    )

    looks = walk.looks
    # Every kind of page that shows the resident's name was walked.
    pages = {re.sub(r"/(\d+|(?<=link/)[^/]+)/$", "/…/", look.url) for look in looks}
    assert pages == {
        "/referrals/triage/", "/referrals/", "/referrals/provider/",  # queue, caseload, inbox
        "/referrals/triage/…/", "/referrals/…/", "/referrals/provider/connections/…/", "/referrals/provider/link/…/",
    }

    for look in looks:
        if look.kind == "record":
            # One entry per look at one resident's record, naming who looked and which referral.
            assert len(look.entries) == 1, (look.url, [e.what for e in look.entries])
            [entry] = look.entries
            assert entry.referral_id == look.referral_id, look.url
            assert entry.resident_id == Referral.objects.get(pk=look.referral_id).resident_id
            if look.user is None:
                assert entry.actor is None and entry.actor_label == LINK_ACTOR
                assert "/link/" not in entry.path, "the audit never holds a link's token"
            else:
                assert entry.actor == look.user, look.url
        else:
            # The queue, the caseload and the provider's inbox: one entry for each referral the
            # list shows (an empty list names no one), so "who has seen this resident?" finds them.
            shown = [r.pk for r in Referral.objects.select_related("resident")
                     if r.reference in look.html and r.resident.first_name in look.html]
            assert sorted(e.referral_id for e in look.entries) == sorted(shown), look.url
            assert all(e.actor == look.user for e in look.entries)
    assert any(look.kind == "inbox" and look.entries for look in looks)


def test_did_not_attend_raises_an_alert_and_choosing_again_clears_it(
    walk, self_referral_data, triage, link_worker, provider_editor, activity, other_activity
):
    referral = walk.self_refer(self_referral_data)
    walk.triage(referral, triage=triage, link_worker=link_worker)
    connection = walk.contact_and_send(referral, link_worker=link_worker, activity=activity)
    walk.post(provider_editor, provider_step(connection, "accept"), {"seen_status": C.SENT_TO_PROVIDER})
    walk.post(provider_editor, provider_step(connection, "first-session"), first_session_data(C.ACCEPTED))
    assert connection_status(connection) == C.RESIDENT_NOTIFIED

    factories.first_session_held(connection)
    walk.post(provider_editor, provider_step(connection, "attendance"),
              {"seen_status": C.RESIDENT_NOTIFIED, "attendance-attended": "did_not_attend",
               "attendance-note": "No sign of her."})
    assert connection_status(connection) == C.DID_NOT_ATTEND
    assert connection.did_not_attend_at is not None
    raise_alerts()
    raise_alerts()  # a second run raises nothing twice
    alert = Alert.objects.get(referral=referral)
    assert alert.kind == AlertKind.DID_NOT_ATTEND and alert.cleared_at is None
    assert DID_NOT_ATTEND_LABEL in walk.caseload(link_worker)
    assert DID_NOT_ATTEND_LABEL in walk.referral_page(link_worker, referral)
    assert DID_NOT_ATTEND_LABEL in walk.get(triage, "/referrals/triage/", kind="list")
    # The link worker is told.
    assert [m for m in emails_to(link_worker.email) if "did not go to the first session" in m.subject]

    walk.post(link_worker, f"/referrals/{referral.pk}/connections/", {"connect-activity": other_activity.pk})
    assert referral.connections.get(number=2).status == C.ACTIVITY_CHOSEN
    alert.refresh_from_db()
    assert alert.cleared_at is not None and alert.cleared_by == link_worker
    assert alert.cleared_by_action == "choose_activity"
    assert raise_alerts()[AlertKind.DID_NOT_ATTEND] == 0
    assert not Alert.objects.open().filter(referral=referral).exists()
    assert DID_NOT_ATTEND_LABEL not in walk.caseload(link_worker)
    assert DID_NOT_ATTEND_LABEL not in walk.get(triage, "/referrals/triage/", kind="list")


def test_the_alert_job_flags_a_referral_not_contacted_within_two_working_days(
    walk, self_referral_data, triage, link_worker
):
    referral = walk.self_refer(self_referral_data)
    walk.triage(referral, triage=triage, link_worker=link_worker)
    assert raise_alerts()[AlertKind.NOT_CONTACTED] == 0, "a referral made just now is not late"

    # Two weeks on: well over two working days, whatever the weekends and bank holidays.
    Referral.objects.filter(pk=referral.pk).update(received_at=timezone.now() - timedelta(days=14))
    assert raise_alerts()[AlertKind.NOT_CONTACTED] == 1
    assert raise_alerts()[AlertKind.NOT_CONTACTED] == 0
    alert = Alert.objects.open().get(referral=referral)
    assert alert.kind == AlertKind.NOT_CONTACTED
    queue = walk.get(triage, "/referrals/triage/", kind="list")
    assert referral.reference in queue and NOT_CONTACTED_LABEL in queue
    caseload = walk.caseload(link_worker)
    assert referral.reference in caseload and NOT_CONTACTED_LABEL in caseload

    walk.record_contact(link_worker, referral, "Spoke to her at last.")
    assert status_of(referral) == S.CONTACTED
    alert.refresh_from_db()
    assert alert.cleared_at is not None and alert.cleared_by_action == "record_contact"
    assert raise_alerts()[AlertKind.NOT_CONTACTED] == 0
    assert NOT_CONTACTED_LABEL not in walk.get(triage, "/referrals/triage/", kind="list")
    assert NOT_CONTACTED_LABEL not in walk.caseload(link_worker)
