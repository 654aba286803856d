"""Closing the loop with primary care, end to end through the pages staff and residents use (issue 13's "Done when").

A GP's letter keyed in by triage joins a known person's record, is accepted, worked, discharged, and the practice
receives the summary: an email with a PDF in a real SMTP server, JSON and a FHIR document from the API. Triage's
other answers (decline as not eligible, redirect to another Signpost service) reach the referrer and the other
service's queue. A self-referrer's practice is told at discharge unless the person refused.

Factories set the scene (services, staff, practices, a person's earlier referral) and stand in for the provider's
side of a connection; every other step is a request to a page. Emails go to ``tests/referrals/smtp.py``'s server,
sent on commit by the task backend and swept by ``deliver_due_notifications`` as the worker's scheduler would.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from factories import referrals as factories
from factories.primarycare import make_pcn, make_practice
from referrals import gp_messages, services
from referrals.choices import (
    SNOMED_REFERRED,
    Channel,
    DeliveryStatus,
    NotificationKind,
    Source,
)
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.fhir import NHS_NUMBER as NHS_NUMBER_SYSTEM
from referrals.fhir import ODS_CODE, SNOMED
from referrals.models import ApiToken, Referral, Resident
from referrals.tasks import deliver_due_notifications
from tests.referrals.test_gp_messages import pdf_text

NHS_NUMBER = "9434765919"
NHSMAIL = "harbour.surgery@nhs.net"
REFERRER_EMAIL = "referrals@harbour-surgery.example.nhs.uk"
LATER = timedelta(days=1)  # past any back-off: the sweep sends whatever is still due


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # The self-referral form's rate limit lives in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def smtp(smtp):
    """The shared SMTP server (tests/referrals/conftest.py), started: every step sends as it commits."""
    smtp.start()
    return smtp


@pytest.fixture
def pcn(service):
    """A primary care network the service covers."""
    network = make_pcn("Poole Harbour PCN", ods_code="U12345")
    service.pcns.add(network)
    return network


@pytest.fixture
def harbour(pcn):
    return make_practice("Harbour Surgery", ods_code="J81001", pcn=pcn, nhsmail=NHSMAIL, postcode="BH15 1AB")


@pytest.fixture
def abe(service):
    """A link worker with no PCN, who comes first by name when alignment is not looked at."""
    return factories.make_link_worker(service=service, username="abe", first_name="Abe", last_name="Another")


@pytest.fixture
def aligned_link_worker(link_worker, pcn, abe):
    """Lee works with the practice's PCN."""
    link_worker.staff_membership.pcns.add(pcn)
    return link_worker


class Pages:
    """Staff using the pages, each signed in with a second factor; a resident on the public form."""

    def __init__(self, client, sign_in, capture):
        self.client = client
        self.sign_in = sign_in
        self.capture = capture

    def get(self, user, url: str) -> str:
        client = self.sign_in(user) if user is not None else self._public()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return " ".join(response.content.decode().split())

    def post(self, user, url: str, data: dict, *, status: int = 302):
        client = self.sign_in(user) if user is not None else self._public()
        # What a step queues is sent once its transaction commits, by the task backend.
        with self.capture(execute=True):
            response = client.post(url, data)
        assert response.status_code == status, (url, response.status_code, _errors(response))
        return response

    def _public(self):
        self.client.logout()
        return self.client

    # The link worker's part ----------------------------------------------------------------------

    def work(self, referral: Referral, *, link_worker, activity) -> None:
        """Contact, an activity chosen and sent to its provider (who takes it from there), the review."""
        page = self.get(link_worker, f"/referrals/{referral.pk}/")
        assert referral.reference in page
        self.contact(link_worker, referral, "Rang him; he'd like to walk.", time="00:00")
        assert status_of(referral) == S.CONTACTED
        response = self.post(link_worker, f"/referrals/{referral.pk}/connections/",
                             {"connect-activity": activity.pk, "connect-send": "on"})
        connection = referral.connections.get()
        assert response["Location"] == f"/referrals/{referral.pk}/#connection-{connection.number}"
        assert connection.status == C.SENT_TO_PROVIDER
        # The provider's side: accepts, books the first session, and says the person came.
        provider = factories.provider_actor(activity.organisation)
        with self.capture(execute=True):
            services.connection_provider_accept(connection=connection, actor=provider)
            services.connection_book_first_session(connection=connection, actor=provider,
                                                   starts_at=timezone.now() + timedelta(days=3))
        connection = factories.first_session_held(connection)
        with self.capture(execute=True):
            services.connection_record_attendance(connection=connection, actor=provider)
        assert C.ATTENDED.label in self.get(link_worker, f"/referrals/{referral.pk}/")
        self.contact(link_worker, referral, "Reviewed his plan.", time="00:01", review=True)

    def contact(self, link_worker, referral, note: str, *, time: str, review: bool = False) -> None:
        today = timezone.localdate()
        data = {"contact-status": "held", "contact-day": today.day, "contact-month": today.month,
                "contact-year": today.year, "contact-time": time, "contact-method": "phone",
                "contact-duration_minutes": "20", "contact-note": note}
        if review:
            data["contact-is_review"] = "on"
        response = self.post(link_worker, f"/referrals/{referral.pk}/contacts/", data)
        assert response["Location"] == f"/referrals/{referral.pk}/#contacts"

    def discharge(self, link_worker, referral, *, reason: str = "goals_met", note: str = "") -> str:
        """The reason, the summary to check (returned, with where the message to the GP will go), confirm."""
        client = self.sign_in(link_worker)
        response = client.post(f"/referrals/{referral.pk}/discharge/",
                               {"discharge-reason": reason, "discharge-note": note})
        assert response.status_code == 200, _errors(response)
        preview = response.content.decode()
        form = BeautifulSoup(preview, "html.parser").select_one("form[action$='/discharge/confirm/']")
        data = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
        response = self.post(link_worker, f"/referrals/{referral.pk}/discharge/confirm/", data)
        assert response["Location"] == f"/referrals/{referral.pk}/#discharge"
        assert status_of(referral) == S.DISCHARGED
        return " ".join(preview.split()).replace("&#x27;", "'")

    def accept(self, triage, referral, *, link_worker) -> str:
        """Triage opens the referral from the queue and accepts it; returns the triage page as it was shown."""
        assert referral.reference in self.get(triage, "/referrals/triage/")
        page = self.get(triage, f"/referrals/triage/{referral.pk}/")
        response = self.post(triage, f"/referrals/triage/{referral.pk}/", {
            "action": "triage", "triage-tier": "one_to_one", "triage-priority": "routine",
            "triage-link_worker": link_worker.pk, "triage-note": "",
        })
        assert response["Location"] == "/referrals/triage/"
        assert status_of(referral) == S.TRIAGED
        return page


@pytest.fixture
def pages(client, sign_in, django_capture_on_commit_callbacks):
    return Pages(client, sign_in, django_capture_on_commit_callbacks)


def _errors(response) -> str:
    if response.status_code != 200:
        return ""
    soup = BeautifulSoup(response.content, "html.parser")
    return "; ".join(e.get_text(" ", strip=True) for e in soup.select(".nhsuk-error-message, .nhsuk-error-summary li"))


def status_of(referral: Referral) -> str:
    referral.refresh_from_db()
    return referral.status


def emails_to(smtp, address: str, reference: str) -> list:
    return [message for message, envelope in zip(smtp.messages, smtp.envelopes)
            if envelope["to"] == [address] and reference in message["Subject"]]


def deliver_the_outbox(referral) -> None:
    """The worker's sweep: whatever is still due is sent; afterwards nothing of the referral's is waiting."""
    deliver_due_notifications(now=timezone.now() + LATER)
    waiting = referral.notifications.filter(channel__in=[Channel.EMAIL, Channel.TEXT],
                                            status=DeliveryStatus.PENDING)
    assert not waiting.exists(), list(waiting.values_list("kind", "status"))


def new_referrals(queue_page: str) -> str:
    """The triage queue page's table of new referrals to triage (not the message about the last step)."""
    table = BeautifulSoup(queue_page, "html.parser").select_one("table[aria-labelledby='new-referrals']")
    return table.get_text(" ", strip=True) if table is not None else ""


def radio_values(page: str, name: str) -> list[str]:
    soup = BeautifulSoup(page, "html.parser")
    return [radio["value"] for radio in soup.select(f"input[type=radio][name='{name}']")]


# 1. A GP's letter for a known person, to the summary in the practice's hands -----------------------------------


def gp_letter(needs, **overrides) -> dict:
    """Dr Patel's letter, as triage keys it in on the new-referral page."""
    data = {
        "source": "primary_care", "referrer_name": "Dr A Patel", "referrer_role": "GP",
        "referrer_organisation": "Harbour Surgery", "referrer_email": REFERRER_EMAIL,
        "first_name": "Ben", "last_name": "Carter",
        "date_of_birth_day": "3", "date_of_birth_month": "4", "date_of_birth_year": "1948",
        "nhs_number": "943 476 5919", "postcode": "BH15 1AB", "address": "2 Quay Road, Poole",
        "gp_practice": "", "practice_query": "", "preferred_contact": "phone", "email": "",
        "phone": "07700 900789", "language": "English", "priority": "routine", "needs": [str(needs["walking"].pk)],
        "what_matters": "Wants to get out walking again.", "notes": "", "consent_referral": "yes",
        "consent_share_with_provider": "yes", "consent_feedback_to_referrer": "yes", "consent_share_with_gp": "yes",
        "consent_method": "verbal", "consent_given_by": "The person themselves",
    }
    data.update(overrides)
    return data


def test_a_gp_letter_for_a_known_person_ends_with_the_summary_at_the_practice(
        pages, smtp, service, triage, aligned_link_worker, abe, activity, harbour, needs,
        django_capture_on_commit_callbacks):
    link_worker = aligned_link_worker
    # The person the service already knows: discharged 30 days ago (within the 90-day re-referral period).
    with django_capture_on_commit_callbacks(execute=True):
        ben = factories.make_resident(service=service, first_name="Ben", last_name="Carter", nhs_number=NHS_NUMBER,
                                      date_of_birth=date(1948, 4, 3), practice=harbour, postcode="BH15 1AB")
        earlier = factories.make_referral(service=service, resident=ben, triage=triage, link_worker=link_worker,
                                          activity=activity, status=S.DISCHARGED)
    month_ago = timezone.now() - timedelta(days=30, hours=1)
    Referral.objects.filter(pk=earlier.pk).update(received_at=month_ago - timedelta(days=60), discharged_at=month_ago)

    # Triage keys in the GP's letter: searches for the practice (no JavaScript), chooses it, sends.
    found = pages.post(triage, "/referrals/triage/new/",
                       gp_letter(needs, practice_query="harbour", find_practice="yes"), status=200)
    assert radio_values(found.content.decode(), "practice_choice")[0] == "J81001"
    response = pages.post(triage, "/referrals/triage/new/", gp_letter(needs, practice_choice="J81001"))
    referral = Referral.objects.exclude(pk=earlier.pk).get()
    assert response["Location"] == f"/referrals/{referral.pk}/"

    # One record for Ben, who now has two referrals; his page shows the earlier one.
    assert Resident.objects.filter(service=service).count() == 1
    assert referral.resident == ben and referral.source == Source.PRIMARY_CARE
    page = pages.get(triage, f"/referrals/{referral.pk}/")
    assert "Earlier referrals for this person" in page and earlier.reference in page

    # Triage sees the re-referral, and the link worker aligned to the practice's PCN first; accepts.
    triage_page = pages.accept(triage, referral, link_worker=link_worker)
    assert 'id="rereferral"' in triage_page and earlier.reference in triage_page
    assert "Their support here ended 30 days before this referral" in triage_page
    assert radio_values(triage_page, "triage-link_worker") == [str(link_worker.pk), str(abe.pk)]
    assert "Works with Poole Harbour PCN" in triage_page
    assert referral.link_worker == link_worker

    # The link worker works the referral, previews the discharge (where the message will go), discharges.
    pages.work(referral, link_worker=link_worker, activity=activity)
    preview = pages.discharge(link_worker, referral, note="Walking with the group every Tuesday.")
    assert (f"Will be emailed to Harbour Surgery at {NHSMAIL} with the summary attached as a PDF." in preview)
    deliver_the_outbox(referral)

    # The practice received one email, with the summary as a PDF naming Ben.
    [email] = emails_to(smtp, NHSMAIL, referral.reference)
    assert "Ben Carter" in email.get_body(("plain",)).get_content()
    [attachment] = list(email.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    text = pdf_text(attachment.get_content())
    assert "Ben Carter" in text and NHS_NUMBER in text and "Goals met" in text
    # The referral page says what went.
    page = pages.get(link_worker, f"/referrals/{referral.pk}/")
    assert "Messages to the GP practice" in page
    assert f"emailed to Harbour Surgery at {NHSMAIL}, with the summary as a PDF. Sent" in page

    # A GP system asks the API for the summary: JSON, then a FHIR document.
    key = ApiToken.issue(name="EMIS at Harbour Surgery", service=service)[1]
    path = f"/api/v1/referrals/{referral.reference}/summary/"
    pages.client.logout()
    response = pages.client.get(path, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["reference"] == referral.reference and body["kind"] == "discharge"
    assert body["content"]["discharge"]["reason_text"] == "Goals met"
    assert (body["delivery"]["route"], body["delivery"]["recipient"]) == ("nhsmail", NHSMAIL)

    response = pages.client.get(path, HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.type == "document"
    assert bundle.entry[0].resource.get_resource_type() == "Composition"
    [patient] = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Patient"]
    assert (NHS_NUMBER_SYSTEM, NHS_NUMBER) in [(i.system, i.value) for i in patient.identifier]
    organisations = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Organization"]
    assert (ODS_CODE, "J81001") in [(i.system, i.value) for o in organisations for i in o.identifier or []]
    codings = [(coding.system, coding.code) for e in bundle.entry
               for coding in (getattr(getattr(e.resource, "code", None), "coding", None) or [])]
    assert (SNOMED, SNOMED_REFERRED) in codings


# 2. Triage's other answers: decline as not eligible, redirect to another service ---------------------------------


def test_triage_declines_one_as_not_eligible_and_redirects_another_and_each_referrer_is_told(
        pages, smtp, service, other_service, triage, harbour):
    service.minimum_age = 18
    service.save(update_fields=["minimum_age"])
    halton_triage = factories.make_triage(service=other_service, username="hal", first_name="Hal")
    teen = factories.make_resident(service=service, first_name="Tia", last_name="Young", practice=harbour,
                                   date_of_birth=timezone.localdate().replace(year=timezone.localdate().year - 16))
    young = factories.make_referral(service=service, triage=triage, resident=teen)
    mover = factories.make_resident(service=service, first_name="Max", last_name="Mover", postcode="WA7 1AB")
    moving = factories.make_referral(service=service, triage=triage, resident=mover)

    # Declined as not eligible: the page shows the age rule not met; triage declines with the reason.
    page = pages.get(triage, f"/referrals/triage/{young.pk}/")
    assert "Not met" in page and "Aged 16" in page
    response = pages.post(triage, f"/referrals/triage/{young.pk}/", {
        "action": "decline_not_eligible", "not_eligible-reason": "age",
        "not_eligible-note": "Aged 16: the young people's service can help."})
    assert response["Location"] == "/referrals/triage/"
    assert status_of(young) == S.NOT_ELIGIBLE

    # Redirected to Halton's service, which uses Signpost: handed over.
    pages.get(triage, f"/referrals/triage/{moving.pk}/")
    response = pages.post(triage, f"/referrals/triage/{moving.pk}/", {
        "action": "redirect", "redirect-to_service": other_service.pk, "redirect-to_name": "",
        "redirect-note": "Lives in Runcorn: Halton's service covers his practice."})
    assert response["Location"] == "/referrals/triage/"
    assert status_of(moving) == S.REDIRECTED
    handed_over = moving.redirected_referral

    for referral in (young, moving):
        deliver_the_outbox(referral)
    queue = new_referrals(pages.get(triage, "/referrals/triage/"))
    assert young.reference not in queue and moving.reference not in queue

    # Each referrer has the email.
    [declined] = emails_to(smtp, REFERRER_EMAIL, young.reference)
    assert "not eligible" in declined["Subject"]
    assert "the young people's service can help" in " ".join(declined.get_content().split())
    [redirected] = emails_to(smtp, REFERRER_EMAIL, moving.reference)
    assert other_service.name in " ".join(redirected.get_content().split())

    # The redirected one waits in Halton's triage queue, for Halton's triage; Poole's never sees it there.
    halton_queue = new_referrals(pages.get(halton_triage, "/referrals/triage/"))
    assert handed_over.reference in halton_queue and "Mover" in halton_queue
    halton_page = pages.get(halton_triage, f"/referrals/triage/{handed_over.pk}/")
    assert "Max Mover" in halton_page and moving.reference in halton_page
    assert handed_over.reference not in new_referrals(pages.get(triage, "/referrals/triage/"))


# 3. Self-referrers: their practice is told at discharge unless they refused --------------------------------------


def self_referral_form(needs, *, first_name: str, consent_share_with_gp: str) -> dict:
    return {
        "first_name": first_name, "last_name": "Selfridge",
        "date_of_birth_day": "10", "date_of_birth_month": "12", "date_of_birth_year": "1955",
        "postcode": "BH15 1AB", "address": "1 High Street, Poole", "preferred_contact": "email",
        "email": f"{first_name.lower()}@example.net", "phone": "07700 900456", "language": "English",
        "gp_practice": "", "practice_query": "harbour", "practice_choice": "J81001",
        "needs": [str(needs["loneliness"].pk)], "what_matters": "Meeting people.",
        "consent_referral": "yes", "consent_share_with_provider": "yes",
        "consent_share_with_gp": consent_share_with_gp, "website": "",
    }


@pytest.mark.parametrize(("answer", "told"), [("no", False), ("yes", True), ("", True)],
                         ids=["refused", "agreed", "not-answered"])
def test_a_self_referrer_s_practice_is_told_at_discharge_unless_they_refused(
        pages, smtp, service, triage, link_worker, activity, harbour, needs, answer, told):
    name = {"no": "Bea", "yes": "Ada", "": "Cy"}[answer]
    response = pages.post(None, "/refer-yourself/", self_referral_form(needs, first_name=name,
                                                                      consent_share_with_gp=answer))
    assert response["Location"] == "/refer-yourself/sent/"
    referral = Referral.objects.get()
    assert referral.source == Source.SELF and referral.resident.practice == harbour

    pages.accept(triage, referral, link_worker=link_worker)
    pages.work(referral, link_worker=link_worker, activity=activity)
    preview = pages.discharge(link_worker, referral)
    deliver_the_outbox(referral)
    page = pages.get(link_worker, f"/referrals/{referral.pk}/").replace("&#x27;", "'")
    sent = emails_to(smtp, NHSMAIL, referral.reference)

    if told:
        assert f"Will be emailed to Harbour Surgery at {NHSMAIL}" in preview
        [email] = sent
        [attachment] = list(email.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert f"{name} Selfridge" in pdf_text(attachment.get_content())
        assert f"emailed to Harbour Surgery at {NHSMAIL}, with the summary as a PDF. Sent" in page
    else:
        assert f"Will not be sent. {gp_messages.REFUSED}" in preview
        assert sent == [] and NHSMAIL not in [to for envelope in smtp.envelopes for to in envelope["to"]]
        assert not referral.notifications.filter(kind=NotificationKind.GP_DISCHARGE_SUMMARY).exists()
        assert f"not sent. {gp_messages.REFUSED}" in page
    # The person heard from the service either way (their own acknowledgement arrived).
    assert any(envelope["to"] == [f"{name.lower()}@example.net"] for envelope in smtp.envelopes)
