"""Safeguarding: a concern raised on a referral tells the service's safeguarding lead at once (never the concern
itself by email), flags the referral on the team's lists until it is resolved, and is never shown to providers.
Retention and subject access cover concerns and contacts' notes."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from factories.referrals import (
    discharge,
    make_link_worker,
    make_referral,
    only_connection,
    received_earlier,
)
from referrals import contacts, safeguarding
from referrals.choices import (
    Channel,
    ContactMethod,
    ContactStatus,
    DischargeReason,
    NotificationKind,
)
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.errors import InvalidTransition, NotPermitted, ReferralError
from referrals.models import (
    ApiToken,
    AuditEntry,
    Contact,
    Notification,
    Referral,
    SafeguardingConcern,
)
from referrals.retention import anonymise_closed_referrals
from referrals.roles import actor_for_user
from referrals.subject_access import subject_access_export

CONCERN = "Bruises on her arms; says her nephew takes her pension."


def text(response) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text().split())


@pytest.fixture
def lead(service):
    service.safeguarding_lead_name = "Sam Lead"
    service.safeguarding_lead_email = "safeguarding@poole-sp.example.nhs.uk"
    service.save()
    return service


@pytest.fixture
def sent(service, triage, link_worker, activity):
    """A referral with the provider (sent to them), so the provider has pages and an API view of it."""
    return make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                         status=C.ACCEPTED)


def test_raising_a_concern_tells_the_lead_at_once_without_the_concern_or_the_name(lead, sent, link_worker, sign_in):
    response = sign_in(link_worker).post(f"/referrals/{sent.pk}/safeguarding/", {"concern-concern": CONCERN},
                                         follow=True)

    concern = SafeguardingConcern.objects.get()
    assert concern.referral == sent and concern.raised_by == link_worker and concern.is_open
    assert "Sam Lead (safeguarding@poole-sp.example.nhs.uk) has been told" in text(response)
    message = Notification.objects.get(kind=NotificationKind.SAFEGUARDING_CONCERN)
    assert message.channel == Channel.EMAIL and message.recipient == lead.safeguarding_lead_email
    assert sent.reference in message.subject + message.body and f"/referrals/{sent.pk}/" in message.body
    for secret in ("Bruises", "nephew", sent.resident.first_name, sent.resident.last_name):
        assert secret not in message.subject + message.body
    assert AuditEntry.objects.filter(referral_id=sent.pk, what="safeguarding concern raised").exists()


def test_without_a_lead_the_team_inbox_is_told_and_the_page_says_so(service, sent, triage, sign_in):
    service.email = "team@poole-sp.example.nhs.uk"
    service.save()
    response = sign_in(triage).post(f"/referrals/{sent.pk}/safeguarding/", {"concern-concern": CONCERN}, follow=True)

    message = Notification.objects.get(kind=NotificationKind.SAFEGUARDING_CONCERN)
    assert message.recipient == "team@poole-sp.example.nhs.uk"
    assert "no safeguarding lead's email address" in text(response)
    assert "the team's shared inbox (team@poole-sp.example.nhs.uk) was told instead" in text(response)


def test_an_open_concern_flags_the_caseload_and_triage_lists_until_resolved(lead, sent, link_worker, triage, sign_in):
    raised = safeguarding.concern_raise(referral=sent, actor=actor_for_user(link_worker), concern=CONCERN)
    caseload = text(sign_in(link_worker).get("/referrals/"))
    assert "Safeguarding concern" in caseload
    assert "Safeguarding concern" in text(sign_in(triage).get("/referrals/triage/"))
    page = sign_in(link_worker).get(f"/referrals/{sent.pk}/")
    assert "Open safeguarding concern" in text(page) and CONCERN in text(page)

    empty = sign_in(triage).post(f"/referrals/{sent.pk}/safeguarding/{raised.concern.pk}/resolve/", {})
    assert "Say how the concern was resolved." in text(empty)
    response = sign_in(triage).post(f"/referrals/{sent.pk}/safeguarding/{raised.concern.pk}/resolve/",
                                    {f"resolve-{raised.concern.pk}-resolution": "Adult social care visited."},
                                    follow=True)
    assert "Safeguarding concern resolved." in text(response)
    concern = SafeguardingConcern.objects.get()
    assert concern.resolved_by == triage and concern.resolution == "Adult social care visited."
    assert "Safeguarding concern" not in text(sign_in(link_worker).get("/referrals/"))
    with pytest.raises(InvalidTransition, match="already resolved"):
        safeguarding.concern_resolve(concern=concern, actor=actor_for_user(link_worker), resolution="Again.")


def test_a_concern_needs_words_and_is_for_the_link_worker_or_triage_only(sent, service, provider_editor, link_worker,
                                                                         sign_in):
    with pytest.raises(ReferralError, match="Describe the concern."):
        safeguarding.concern_raise(referral=sent, actor=actor_for_user(link_worker), concern="   ")
    colleague = make_link_worker(service=service, username="colleague")
    for user in (colleague, provider_editor):
        with pytest.raises(NotPermitted):
            safeguarding.concern_raise(referral=sent, actor=actor_for_user(user), concern=CONCERN)
    response = sign_in(link_worker).post(f"/referrals/{sent.pk}/safeguarding/", {"concern-concern": ""})
    assert response.status_code == 200 and "Describe the concern." in text(response)
    assert not SafeguardingConcern.objects.exists()


def test_providers_never_see_a_concern(lead, sent, link_worker, provider_editor, organisation, sign_in, client):
    safeguarding.concern_raise(referral=sent, actor=actor_for_user(link_worker), concern=CONCERN,
                               action_taken="Rang the duty social worker.")
    provider = sign_in(provider_editor)
    for path in ("/referrals/provider/", f"/referrals/provider/connections/{only_connection(sent).pk}/"):
        response = provider.get(path)
        assert response.status_code == 200
        body = response.content.decode()
        assert sent.reference in body  # it is their referral...
        assert "Bruises" not in body and "duty social worker" not in body and "afeguarding" not in body  # ...not this
    # The team's page and casework routes are not theirs.
    assert provider.get(f"/referrals/{sent.pk}/").status_code in (403, 404)
    assert provider.post(f"/referrals/{sent.pk}/safeguarding/", {"concern-concern": "x"}).status_code in (403, 404)

    key = ApiToken.issue(name="Walking friends", organisation=organisation)[1]
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    detail = client.get(f"/api/v1/referrals/{sent.reference}/", **auth)
    assert detail.status_code == 200 and "Bruises" not in detail.content.decode()
    assert "afeguarding" not in detail.content.decode()
    for path in (f"/api/v1/referrals/{sent.reference}/safeguarding/", f"/api/v1/referrals/{sent.reference}/contacts/"):
        assert client.get(path, **auth).status_code == 403
        assert client.post(path, {"concern": "x"}, content_type="application/json", **auth).status_code == 403
    # Nor do the provider's emails say anything of it.
    for message in Notification.objects.filter(recipient_organisation=organisation):
        assert "Bruises" not in message.body
    assert SafeguardingConcern.objects.count() == 1


def test_the_api_lists_raises_and_resolves_concerns_for_the_team(lead, sent, service):
    from django.test import Client

    key = ApiToken.issue(name="Poole SPA", service=service)[1]
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    base = f"/api/v1/referrals/{sent.reference}/safeguarding/"
    bad = client.post(base, {"concern": ""}, content_type="application/json")
    assert bad.status_code == 400 and "concern" in bad.json()
    raised = client.post(base, {"concern": CONCERN}, content_type="application/json")
    assert raised.status_code == 201 and raised.json()["results"][0]["open"] is True
    concern_id = raised.json()["results"][0]["id"]
    resolved = client.post(f"{base}{concern_id}/resolve/", {"resolution": "Done."}, content_type="application/json")
    assert resolved.status_code == 200 and resolved.json()["results"][0]["open"] is False
    again = client.post(f"{base}{concern_id}/resolve/", {"resolution": "Done."}, content_type="application/json")
    assert again.status_code == 409
    assert client.get(base).json()["results"][0]["concern"] == CONCERN
    assert AuditEntry.objects.filter(referral_id=sent.pk, what="API: safeguarding concerns").exists()
    # A service's token reads contacts but does not record them: that is the link worker's.
    contacts_url = f"/api/v1/referrals/{sent.reference}/contacts/"
    assert client.get(contacts_url).status_code == 200
    assert client.post(contacts_url, {"at": timezone.now().isoformat(), "method": "phone", "status": "held",
                                      "duration_minutes": 5}, content_type="application/json").status_code == 403


# Retention and subject access ------------------------------------------------------------------


def test_retention_blanks_contacts_notes_and_concerns(service, triage, link_worker, activity, settings):
    referral = received_earlier(make_referral(service=service, triage=triage, link_worker=link_worker,
                                              status=S.CONTACTED))
    worker = actor_for_user(link_worker)
    contacts.contact_record(referral=referral, actor=worker, at=timezone.now() - timedelta(minutes=5),
                            method=ContactMethod.PHONE, status=ContactStatus.HELD, duration_minutes=20,
                            note="Her nephew takes her pension.")
    raised = safeguarding.concern_raise(referral=referral, actor=worker, concern=CONCERN, action_taken="Rang SW.")
    safeguarding.concern_resolve(concern=raised.concern, actor=worker, resolution="Social care involved.")
    discharge(referral, reason=DischargeReason.MOVED_AWAY)
    Referral.objects.filter(pk=referral.pk).update(discharged_at=timezone.now() - timedelta(days=4000))

    anonymise_closed_referrals()

    contact = Contact.objects.get()
    assert contact.note == "" and contact.duration_minutes == 20 and contact.status == ContactStatus.HELD
    concern = SafeguardingConcern.objects.get()
    assert "Bruises" not in concern.concern and concern.action_taken == "" and concern.resolution == ""
    assert concern.raised_at and concern.resolved_at


def test_subject_access_includes_contacts_and_concerns(service, triage, link_worker, sign_in):
    referral = received_earlier(make_referral(service=service, triage=triage, link_worker=link_worker,
                                              status=S.TRIAGED))
    worker = actor_for_user(link_worker)
    contacts.contact_record(referral=referral, actor=worker, at=timezone.now() - timedelta(minutes=5),
                            method=ContactMethod.HOME_VISIT, status=ContactStatus.HELD, duration_minutes=40,
                            note="Talked about the garden.")
    safeguarding.concern_raise(referral=referral, actor=worker, concern=CONCERN)

    export = subject_access_export(actor_for_user(triage), referral.resident)
    [exported] = export["referrals"]
    assert exported["contacts"][0]["note"] == "Talked about the garden."
    assert exported["contacts"][0]["method"] == "Home visit" and exported["contacts"][0]["duration_minutes"] == 40
    assert exported["safeguarding_concerns"][0]["concern"] == CONCERN
    page = text(sign_in(triage).get(f"/referrals/residents/{referral.resident_id}/subject-access/"))
    assert "Talked about the garden." in page and CONCERN in page
