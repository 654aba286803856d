"""A link worker's caseload and "refer to this activity" through HTTP."""

import pytest
from bs4 import BeautifulSoup

from directory.choices import ActivityStatus
from factories.referrals import (
    ALL_CONSENTS,
    make_connection,
    make_link_worker,
    make_referral,
    make_resident,
    make_signpost,
    only_connection,
)
from referrals.choices import (
    AlertKind,
    Channel,
    ConsentPurpose,
    ContactRoute,
    DeliveryStatus,
)
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import Alert, AuditEntry, Notification
from tests.accounts import sign_in_verified

CASELOAD = "/referrals/"
REFER = "/referrals/refer/"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def section(page, heading_id: str) -> str:
    """The text of the table that follows a caseload group's heading."""
    heading = page.find(id=heading_id)
    return heading.find_next("table").get_text(" ", strip=True) if heading else ""


def test_the_caseload_groups_referrals_by_who_moves_next(service, triage, link_worker, activity, sign_in):
    contacted = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)
    alerted = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    Alert.objects.create(referral=alerted, kind=AlertKind.NOT_CONTACTED)
    sent = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                         status=C.SENT_TO_PROVIDER)
    booked = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                           status=C.FIRST_SESSION_BOOKED)
    discharged = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                               status=S.DISCHARGED)

    response = sign_in(link_worker).get(CASELOAD)

    assert response.status_code == 200
    page = soup(response)
    needs_action = page.find(id="needs-action").find_next("table").select("tbody tr")
    # Open alerts first.
    assert [row.select_one("td").get_text(" ", strip=True).split()[-1] for row in needs_action] == [
        alerted.reference, contacted.reference]
    assert "Not contacted within 48 hours" in needs_action[0].get_text()
    assert "Make first contact" in needs_action[0].get_text()
    assert "Connect the person to activities and services" in needs_action[1].get_text()
    assert sent.reference in section(page, "waiting-on-provider")
    assert booked.reference in section(page, "first-session-booked")
    assert discharged.reference in section(page, "discharged-recently")
    assert "Discharged in the last 30 days" in page.find(id="discharged-recently").get_text()
    assert "goals met" in section(page, "discharged-recently")
    assert AuditEntry.objects.filter(actor=link_worker, what="caseload").exists()


def test_the_caseload_shows_each_persons_connections_in_brief_and_the_next_step(service, triage, link_worker, activity,
                                                                                other_activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.SENT_TO_PROVIDER)
    make_connection(referral=referral, activity=other_activity)
    make_signpost(referral=referral)

    row = next(row for row in soup(sign_in(link_worker).get(CASELOAD)).select("tbody tr")
               if referral.reference in row.get_text())

    text = row.get_text(" ", strip=True)
    assert f"1. {activity.title}: sent to provider" in text
    assert f"2. {other_activity.title}: activity chosen" in text
    assert "3. Citizens Advice Poole: signposted" in text
    # The next step is the first connection waiting on the link worker.
    assert f"{other_activity.title}: send the referral to the provider" in text


def test_a_link_worker_sees_only_their_own_caseload(service, triage, link_worker, sign_in):
    colleague = make_link_worker(service=service, username="casey")
    theirs = make_referral(service=service, triage=triage, link_worker=colleague, status=S.TRIAGED)
    mine = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    client = sign_in(link_worker)

    html = client.get(CASELOAD).content.decode()

    assert mine.reference in html
    assert theirs.reference not in html and theirs.resident.last_name not in html
    assert client.get(f"/referrals/{theirs.pk}/").status_code == 404


def test_a_phone_call_task_is_on_the_caseload_and_done_tells_the_referral(service, triage, link_worker, activity,
                                                                          sign_in):
    resident = make_resident(service=service, preferred_contact=ContactRoute.PHONE)
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             resident=resident, status=C.FIRST_SESSION_BOOKED)
    task = Notification.objects.get(referral=referral, channel=Channel.PHONE_TASK)
    client = sign_in(link_worker)

    page = soup(client.get(CASELOAD))
    tasks = page.find(id="tasks").find_next("ul").get_text(" ", strip=True)
    assert referral.reference in tasks and "07700 900123" in tasks

    response = client.post(f"/referrals/tasks/{task.pk}/done/", {"next": CASELOAD}, follow=True)

    task.refresh_from_db()
    assert task.status == DeliveryStatus.DONE and task.done_by == link_worker
    assert only_connection(referral).status == C.RESIDENT_NOTIFIED
    assert "Marked as done" in response.content.decode()
    assert soup(response).find(id="tasks") is None


def test_someone_elses_task_cannot_be_marked_done(service, triage, link_worker, activity, sign_in):
    colleague = make_link_worker(service=service, username="casey")
    resident = make_resident(service=service, preferred_contact=ContactRoute.PHONE)
    referral = make_referral(service=service, triage=triage, link_worker=colleague, activity=activity,
                             resident=resident, status=C.FIRST_SESSION_BOOKED)
    task = Notification.objects.get(referral=referral, channel=Channel.PHONE_TASK)

    response = sign_in(link_worker).post(f"/referrals/tasks/{task.pk}/done/")

    assert response.status_code == 404
    task.refresh_from_db()
    assert task.status == DeliveryStatus.PENDING


def test_refer_to_this_activity_chooses_it_and_sends_it(service, triage, link_worker, activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)
    not_ready = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    client = sign_in(link_worker)

    page = soup(client.get(REFER, {"activity": activity.pk}))
    choices = [option["value"] for option in page.select("input[name='referral']")]
    assert choices == [str(referral.pk)]
    assert not_ready.reference not in page.get_text()
    assert activity.title in page.h1.get_text()

    response = client.post(REFER, {"activity": activity.pk, "referral": referral.pk, "send": "on"}, follow=True)

    assert response.redirect_chain[-1][0] == f"/referrals/{referral.pk}/#connection-1"
    connection = only_connection(referral)
    assert connection.status == C.SENT_TO_PROVIDER
    assert connection.activity_id == activity.pk and connection.provider_id == activity.organisation.pk
    assert list(referral.events.values_list("action", flat=True))[-2:] == ["choose_activity", "send_to_provider"]
    assert "chosen and the referral sent to the provider" in response.content.decode()


def test_refer_to_this_activity_adds_a_connection_beside_the_others(service, triage, link_worker, activity,
                                                                    other_activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACCEPTED)
    client = sign_in(link_worker)

    page = soup(client.get(REFER, {"activity": other_activity.pk}))
    assert f"already connected to {activity.title}" in page.get_text()

    client.post(REFER, {"activity": other_activity.pk, "referral": referral.pk})

    first, second = referral.connections.order_by("number")
    assert first.status == C.ACCEPTED
    assert (second.activity_id, second.status) == (other_activity.pk, C.ACTIVITY_CHOSEN)


def test_refer_without_consent_to_share_chooses_but_does_not_send(service, triage, link_worker, activity, sign_in):
    consents = {**ALL_CONSENTS, ConsentPurpose.SHARE_WITH_PROVIDER: False}
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED,
                             consents=consents)

    response = sign_in(link_worker).post(REFER, {"activity": activity.pk, "referral": referral.pk, "send": "on"},
                                         follow=True)

    assert only_connection(referral).status == C.ACTIVITY_CHOSEN
    assert "has not agreed to share their details" in response.content.decode()


def test_refer_needs_a_person_chosen(service, triage, link_worker, activity, sign_in):
    make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)

    response = sign_in(link_worker).post(REFER, {"activity": activity.pk, "send": "on"})

    page = soup(response)
    assert page.title.get_text().startswith("Error:")
    assert "Choose the person this activity is for." in page.select_one(".nhsuk-error-summary").get_text()


def test_refer_cannot_take_another_link_workers_referral(service, triage, link_worker, activity, sign_in):
    colleague = make_link_worker(service=service, username="casey")
    theirs = make_referral(service=service, triage=triage, link_worker=colleague, status=S.CONTACTED)

    response = sign_in(link_worker).post(REFER, {"activity": activity.pk, "referral": theirs.pk})

    assert "Choose one of the people on your caseload listed here." in response.content.decode()
    assert not theirs.connections.exists()


def test_refer_to_an_activity_that_is_not_running_says_so(service, triage, link_worker, activity, sign_in):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)
    activity.status = ActivityStatus.PAUSED
    activity.save_revision().publish()
    client = sign_in(link_worker)

    response = client.get(REFER, {"activity": activity.pk})
    assert response.status_code == 404
    assert "not taking referrals" in response.content.decode()
    assert client.post(REFER, {"activity": activity.pk, "referral": referral.pk}).status_code == 404
    assert not referral.connections.exists()


@pytest.mark.parametrize("who", ["triage", "provider_editor"])
def test_the_caseload_is_for_link_workers(who, request, sign_in, db):
    user = request.getfixturevalue(who)
    client = sign_in(user)
    assert client.get(CASELOAD).status_code == 403
    assert client.get(REFER, {"activity": 1}).status_code == 403


def test_a_link_worker_without_a_verified_second_factor_is_sent_to_the_two_factor_page(link_worker, sign_in):
    response = sign_in(link_worker, verified=False).get(CASELOAD)
    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/")


def test_link_workers_search_results_offer_refer_to_this_activity(link_worker, activity, client):
    sign_in_verified(client, link_worker)
    response = client.get("/find/link-workers/", {"q": "health walk"})
    assert response.status_code == 200
    links = [a for a in soup(response).select("a") if a.get_text(strip=True).startswith("Refer to this activity")]
    assert any(link["href"] == f"/referrals/refer/?activity={activity.pk}" for link in links)
    public = soup(client.get("/find/", {"q": "health walk"}))
    assert not any(a.get_text(strip=True).startswith("Refer to this activity") for a in public.select("a"))
