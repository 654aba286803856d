"""The single point of access through HTTP: the triage queue, triaging and allocating, moving a referral."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from factories.referrals import (
    make_link_worker,
    make_referral,
    make_resident,
    make_signpost,
    make_triage,
)
from referrals.choices import AlertKind, AuditAction, Priority
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import Alert, AuditEntry, Referral
from referrals.selectors import describe_age, working_time_between

QUEUE = "/referrals/triage/"


def page_for(referral) -> str:
    return f"/referrals/triage/{referral.pk}/"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def test_the_queue_lists_new_referrals_urgent_first_then_longest_waiting(service, triage, sign_in):
    older = make_referral(service=service, triage=triage)
    newer = make_referral(service=service, triage=triage)
    urgent = make_referral(service=service, triage=triage)
    Referral.objects.filter(pk=older.pk).update(received_at=timezone.now() - timedelta(days=6))
    Referral.objects.filter(pk=urgent.pk).update(priority=Priority.URGENT)
    Alert.objects.create(referral=older, kind=AlertKind.NOT_CONTACTED)

    response = sign_in(triage).get(QUEUE)

    assert response.status_code == 200
    rows = soup(response).select("table")[0].select("tbody tr")
    references = [row.find("a").get_text(strip=True).split(":")[0] for row in rows]
    assert references == [urgent.reference, older.reference, newer.reference]
    older_row = rows[1].get_text(" ", strip=True)
    assert "working days" in older_row
    assert "Not contacted within 48 hours" in older_row
    assert "Primary care" in older_row


def test_the_queue_shows_only_the_services_own_referrals(service, other_service, triage, sign_in):
    ours = make_referral(service=service, triage=triage)
    theirs = make_referral(service=other_service, triage=make_triage(service=other_service, username="hal"))

    html = sign_in(triage).get(QUEUE).content.decode()

    assert ours.reference in html
    assert theirs.reference not in html
    assert theirs.resident.last_name not in html


def test_the_queue_lists_other_open_referrals_with_their_link_worker(service, triage, link_worker, sign_in):
    triaged = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)

    page = soup(sign_in(triage).get(QUEUE))

    open_table = page.find(id="open-referrals").find_next("table")
    assert triaged.reference in open_table.get_text()
    assert "Lee Worker" in open_table.get_text()


def test_the_services_open_referrals_show_their_connections_and_next_step(service, triage, link_worker, activity,
                                                                          sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACCEPTED)
    make_signpost(referral=referral)
    discharged = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                               status=S.DISCHARGED)

    open_table = soup(sign_in(triage).get(QUEUE)).find(id="open-referrals").find_next("table")

    row = next(row for row in open_table.select("tbody tr") if referral.reference in row.get_text())
    text = row.get_text(" ", strip=True)
    assert f"1. {activity.title}: accepted by provider" in text and "2. Citizens Advice Poole: signposted" in text
    assert "Citizens Advice Poole: find out whether the person took up the service" in text
    assert discharged.reference not in open_table.get_text()


def test_triage_allocates_a_link_worker_and_the_referral_leaves_the_queue(service, triage, link_worker, sign_in):
    referral = make_referral(service=service, triage=triage)
    client = sign_in(triage)

    response = client.post(page_for(referral), {
        "action": "triage", "triage-tier": "one_to_one", "triage-priority": "urgent",
        "triage-link_worker": link_worker.pk, "triage-note": "Lives alone, keen to start.",
    }, follow=True)

    referral.refresh_from_db()
    assert referral.status == S.TRIAGED
    assert referral.link_worker == link_worker
    assert referral.tier == "one_to_one" and referral.priority == "urgent"
    event = referral.events.get(action="triage")
    assert event.actor == triage and event.note == "Lives alone, keen to start."
    assert response.redirect_chain[-1][0] == QUEUE
    assert f"{referral.reference} is triaged and allocated to Lee Worker" in response.content.decode()
    assert "There are no new referrals waiting for triage." in response.content.decode()


def test_link_workers_who_speak_the_persons_language_are_listed_first(service, triage, link_worker, sign_in):
    make_link_worker(service=service, username="zofia", first_name="Zofia", last_name="Nowak", languages="Polish, Russian")
    resident = make_resident(service=service, language="Polish", interpreter_needed=True)
    referral = make_referral(service=service, triage=triage, resident=resident)

    page = soup(sign_in(triage).get(page_for(referral)))

    options = page.select("input[name='triage-link_worker']")
    labels = [page.find("label", attrs={"for": option["id"]}).get_text(strip=True) for option in options]
    assert labels == ["Zofia Nowak", "Lee Worker"]
    assert "Speaks Polish" in page.find(id=f"{options[0]['id']}-hint").get_text()
    assert "Speaks Polish" not in page.find(id=f"{options[1]['id']}-hint").get_text()
    assert "Needs an interpreter" in page.get_text()


def test_a_refused_triage_shows_an_error_summary_and_changes_nothing(service, triage, sign_in):
    referral = make_referral(service=service, triage=triage)
    events = referral.events.count()

    response = sign_in(triage).post(page_for(referral), {"action": "triage", "triage-tier": "", "triage-priority": "routine"})

    assert response.status_code == 200
    page = soup(response)
    assert page.title.get_text().startswith("Error:")
    summary = page.select_one(".nhsuk-error-summary")
    assert "Choose a tier." in summary.get_text() and "Choose a link worker." in summary.get_text()
    # Each message in the summary links to its field.
    for link in summary.select("a"):
        assert page.find(id=link["href"].lstrip("#")) is not None
    referral.refresh_from_db()
    assert referral.status == S.RECEIVED and referral.events.count() == events


def test_a_link_worker_from_another_service_cannot_be_chosen(service, other_service, triage, sign_in):
    referral = make_referral(service=service, triage=triage)
    outsider = make_link_worker(service=other_service, username="outsider")

    response = sign_in(triage).post(page_for(referral), {
        "action": "triage", "triage-tier": "signposting", "triage-priority": "routine", "triage-link_worker": outsider.pk,
    })

    assert "Choose a link worker from this service." in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == S.RECEIVED and referral.link_worker is None


def test_triage_moves_a_triaged_referral_to_another_link_worker(service, triage, link_worker, sign_in):
    colleague = make_link_worker(service=service, username="casey", first_name="Casey", last_name="Colleague")
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)
    client = sign_in(triage)
    page = soup(client.get(page_for(referral)))
    assert page.find(id="reallocate") is not None and page.find(id="triage") is None

    response = client.post(page_for(referral), {
        "action": "reallocate", "reallocate-link_worker": colleague.pk, "reallocate-note": "Lee is on leave.",
    }, follow=True)

    referral.refresh_from_db()
    assert referral.link_worker == colleague and referral.status == S.CONTACTED
    assert referral.events.get(action="reallocate").note == "Lee is on leave."
    assert f"{referral.reference} is now with Casey Colleague" in response.content.decode()


def test_triage_records_that_the_person_declines(service, triage, sign_in):
    referral = make_referral(service=service, triage=triage)

    response = sign_in(triage).post(page_for(referral), {"action": "person_declines", "decline-note": "Rang to say no."})

    assert response.status_code == 302 and response["Location"] == f"/referrals/{referral.pk}/"
    referral.refresh_from_db()
    assert referral.status == S.DECLINED_BY_PERSON
    assert referral.snomed_code == "871711000000103"
    assert referral.events.get(action="person_declines").note == "Rang to say no."


def test_every_look_at_a_triage_page_is_audited(service, triage, sign_in):
    referral = make_referral(service=service, triage=triage)
    client = sign_in(triage)

    client.get(page_for(referral))
    client.get(page_for(referral))

    entries = AuditEntry.objects.filter(referral_id=referral.pk, action=AuditAction.VIEW, actor=triage)
    assert entries.count() == 2
    assert entries.first().resident_id == referral.resident_id


def test_triage_of_another_service_is_not_found(service, other_service, triage, sign_in):
    theirs = make_referral(service=other_service, triage=make_triage(service=other_service, username="hal"))

    client = sign_in(triage)
    assert client.get(page_for(theirs)).status_code == 404
    response = client.post(page_for(theirs), {"action": "person_declines"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.RECEIVED
    assert not AuditEntry.objects.filter(referral_id=theirs.pk, actor=triage).exists()


@pytest.mark.parametrize("who", ["link_worker", "provider_editor"])
def test_staff_who_are_not_triage_cannot_use_the_triage_pages(who, service, triage, request, sign_in):
    user = request.getfixturevalue(who)
    referral = make_referral(service=service, triage=triage)
    client = sign_in(user)

    assert client.get(QUEUE).status_code == 403
    assert client.get(page_for(referral)).status_code == 403
    assert client.post(page_for(referral), {"action": "person_declines"}).status_code == 403
    referral.refresh_from_db()
    assert referral.status == S.RECEIVED


def test_triage_without_a_verified_second_factor_is_sent_to_the_two_factor_page(service, triage, sign_in):
    referral = make_referral(service=service, triage=triage)
    client = sign_in(triage, verified=False)

    for url in (QUEUE, page_for(referral)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/two-factor/")
    assert not AuditEntry.objects.filter(referral_id=referral.pk, action=AuditAction.VIEW).exists()


def test_signed_out_people_are_sent_to_sign_in(service, triage, client):
    referral = make_referral(service=service, triage=triage)
    response = client.get(page_for(referral))
    assert response.status_code == 302 and "login" in response["Location"]


def test_working_time_leaves_out_weekends():
    friday_evening = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    monday_morning = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert working_time_between(friday_evening, monday_morning) == timedelta(hours=16)
    assert describe_age(timedelta(hours=16)) == "16 hours"
    assert describe_age(timedelta(days=2, hours=3)) == "2 working days"


# Eligibility and triage's other answers (issue 13) -----------------------------------------------


def test_the_page_shows_the_eligibility_check_and_three_answers(service, triage, sign_in):
    from factories.primarycare import make_pcn, make_practice

    pcn = make_pcn("Poole Central PCN")
    service.eligibility_text = "Adults 18 and over registered with a Poole practice."
    service.minimum_age, service.requires_practice_in_area, service.exclusions = 18, True, "In crisis"
    service.save()
    service.pcns.set([pcn])
    aligned = make_link_worker(service=service, username="zoe", first_name="Zoe", last_name="Aligned")
    aligned.staff_membership.pcns.set([pcn])
    make_link_worker(service=service, username="amy", first_name="Amy", last_name="Other")
    resident = make_resident(service=service, date_of_birth=datetime(2010, 1, 1).date(),
                             practice=make_practice("Harbour Surgery", pcn=pcn))
    referral = make_referral(service=service, triage=triage, resident=resident)

    page = soup(sign_in(triage).get(page_for(referral)))

    text = " ".join(page.get_text(" ").split())
    assert "Adults 18 and over registered with a Poole practice." in text
    rows = [" ".join(row.get_text(" ").split()) for row in page.select("table tbody tr")]
    assert any(row.startswith("Rule Aged 18 or over Outcome Not met") for row in rows)
    assert any("Registered at Harbour Surgery, in Poole Central PCN, which the service covers" in row for row in rows)
    assert any("Cannot tell: triage to rule out" in row for row in rows)
    assert page.find(id="triage") and page.find(id="redirect") and page.find(id="not-eligible")
    # The link worker aligned to the person's practice's network first, and marked.
    labels = [label.get_text(strip=True) for label in page.select("#triage ~ div label.nhsuk-radios__label")]
    assert labels[:2] == ["Zoe Aligned", "Amy Other"]
    assert "Works with Poole Central PCN" in text


def test_redirect_from_the_page_hands_over_and_leaves_the_queue(service, other_service, triage, sign_in):
    referral = make_referral(service=service, triage=triage)
    client = sign_in(triage)

    refused = client.post(page_for(referral), {"action": "redirect", "redirect-to_service": other_service.pk,
                                               "redirect-note": ""})
    assert refused.status_code == 200
    assert "Say why the referral is for another service." in soup(refused).select_one(".nhsuk-error-summary").get_text()

    done = client.post(page_for(referral), {"action": "redirect", "redirect-to_service": other_service.pk,
                                            "redirect-note": "Lives in Halton."}, follow=True)
    referral.refresh_from_db()
    assert referral.status == S.REDIRECTED and referral.redirected_referral.service == other_service
    assert f"{referral.reference} is redirected to {other_service.name}" in done.content.decode()
    assert referral.reference not in soup(client.get(QUEUE)).find(id="new-referrals").find_next("p").get_text()
    # The referral page and the triage page say how triage answered.
    answer = " ".join(soup(client.get(f"/referrals/{referral.pk}/")).find(id="triage-answer").find_next("dl")
                      .get_text(" ").split())
    assert other_service.name in answer and "Lives in Halton." in answer
    assert referral.redirected_referral.reference in answer
    assert AuditEntry.objects.filter(referral_id=referral.pk, action=AuditAction.CHANGE).exists()


def test_decline_as_not_eligible_from_the_page(service, triage, sign_in):
    referral = make_referral(service=service, triage=triage)
    client = sign_in(triage)

    refused = client.post(page_for(referral), {"action": "decline_not_eligible", "not_eligible-reason": "other"})
    assert "Say why the person is not eligible." in refused.content.decode()
    assert soup(refused).select_one(".nhsuk-error-summary a")["href"] == "#id_not_eligible-note"

    client.post(page_for(referral), {"action": "decline_not_eligible", "not_eligible-reason": "age",
                                     "not_eligible-note": "Aged 16."})
    referral.refresh_from_db()
    assert referral.status == S.NOT_ELIGIBLE and referral.not_eligible_reason == "age"
    page = soup(client.get(page_for(referral)))
    assert "Outside the service's age range" in page.find(id="triage-answer").find_next("dl").get_text()
    assert page.find(id="not-eligible") is None and page.find(id="triage") is None


def test_a_link_worker_cannot_redirect_or_decline_from_the_triage_page(service, triage, link_worker, sign_in):
    referral = make_referral(service=service, triage=triage)
    response = sign_in(link_worker).post(page_for(referral), {"action": "decline_not_eligible",
                                                              "not_eligible-reason": "age"})
    assert response.status_code in (403, 404)
    referral.refresh_from_db()
    assert referral.status == S.RECEIVED
