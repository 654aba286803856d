"""Capturing outcomes: the link worker's ONS4 form, and the person's own page reached by a link."""

from datetime import timedelta
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.core import signing
from django.urls import reverse

from factories.referrals import make_link_worker, make_referral, make_resident
from referrals.choices import ConnectionStatus as C
from referrals.models import AuditEntry, ResidentFeedback, WellbeingScore
from referrals.outcomes import resident_link

pytestmark = pytest.mark.django_db

ANSWERS = {"life_satisfaction": "6", "worthwhile": "7", "happiness": "5", "anxiety": "3"}


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def referral(service, triage, link_worker, activity):
    resident = make_resident(service=service, first_name="Morwenna", last_name="Trelawny-Pike",
                             email="morwenna@example.net", nhs_number="9434765919")
    return make_referral(status=C.ATTENDED, service=service, triage=triage, link_worker=link_worker,
                         activity=activity, resident=resident)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# The link worker's form --------------------------------------------------------------------


def test_the_link_worker_records_ons4_answers(client, link_worker, referral, sign_in):
    client = sign_in(link_worker)
    url = reverse("referrals:record_wellbeing", kwargs={"pk": referral.pk})
    page = soup(client.get(url))
    text = page.get_text(" ", strip=True)
    assert "Overall, how satisfied are you with your life nowadays?" in text
    assert "how anxious did you feel yesterday?" in text
    assert len(page.select("input[name='ons4-anxiety'][type=radio]")) == 11
    response = client.post(url, {"ons4-stage": "first_conversation", **{f"ons4-{k}": v for k, v in ANSWERS.items()}},
                           follow=True)
    assert "Wellbeing answers recorded." in response.content.decode()
    score = WellbeingScore.objects.get(referral=referral, stage="first_conversation")
    assert (score.life_satisfaction, score.worthwhile, score.happiness, score.anxiety) == (6, 7, 5, 3)
    assert score.by_the_person is False and score.recorded_by == link_worker


def test_missing_answers_are_explained_beside_each_question(client, link_worker, referral, sign_in):
    url = reverse("referrals:record_wellbeing", kwargs={"pk": referral.pk})
    response = sign_in(link_worker).post(url, {"ons4-stage": "review", "ons4-life_satisfaction": "11"})
    page = soup(response)
    assert page.title.get_text().startswith("Error:")
    summary = page.select_one(".nhsuk-error-summary").get_text()
    assert "Choose a number from 0 to 10 for this question" in summary
    assert len(page.select(".nhsuk-error-message")) == 4
    assert not WellbeingScore.objects.exists()


def test_the_link_worker_sends_the_questions_by_the_persons_route(
    client, link_worker, referral, sign_in, django_capture_on_commit_callbacks, mailoutbox
):
    url = reverse("referrals:record_wellbeing", kwargs={"pk": referral.pk})
    with django_capture_on_commit_callbacks(execute=True):
        page = soup(sign_in(link_worker).post(url, {"link-purpose": "review", "send_link": ""}))
    link = page.select_one("#answers-link")["value"]
    assert "/answers/" in link
    assert "email" in page.get_text()  # sent by the person's preferred route
    [message] = [m for m in mailoutbox if m.to == [referral.resident.email]]
    assert message.subject == "A few questions about how you are feeling"
    assert link in message.body
    # The link in the email opens the person's questions.
    assert client.get(link.removeprefix("http://testserver")).status_code == 200


def test_other_link_workers_and_other_roles_cannot_record(client, service, referral, sign_in, provider_editor):
    other = make_link_worker(service=service, username="other")
    url = reverse("referrals:record_wellbeing", kwargs={"pk": referral.pk})
    assert sign_in(other).get(url).status_code == 404
    assert sign_in(provider_editor).get(url).status_code == 403


# The person's page -------------------------------------------------------------------------


def test_the_person_answers_once_and_sees_thanks(client, referral):
    url = path_of(resident_link(referral, "review"))
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hello Morwenna" in html
    for personal in ("Trelawny-Pike", "morwenna@example.net", "9434765919", referral.reference):
        assert personal not in html
    assert 'name="robots" content="noindex' in html
    response = client.post(url, ANSWERS, follow=True)
    assert "Thank you, Morwenna" in response.content.decode()
    score = WellbeingScore.objects.get(referral=referral, stage="review")
    assert score.by_the_person is True and score.anxiety == 3
    assert AuditEntry.objects.filter(referral_id=referral.pk, what__startswith="wellbeing answers").exists()
    # The same link again: thanks, not a second form.
    again = client.get(url)
    assert "Thank you" in again.content.decode() and not soup(again).select("form input[type=radio]")


def test_the_person_is_told_what_is_missing(client, referral):
    url = path_of(resident_link(referral, "first_conversation"))
    page = soup(client.post(url, {"happiness": "4"}))
    assert page.title.get_text().startswith("Error:")
    links = page.select(".nhsuk-error-summary a")
    assert len(links) == 3
    assert links[0]["href"] == "#id_life_satisfaction_0"
    assert page.select_one("#id_life_satisfaction_0")["type"] == "radio"


def test_feedback_on_the_first_session(client, referral):
    url = path_of(resident_link(referral, "feedback"))
    page = soup(client.get(url))
    assert "how was your first session?" in page.get_text()
    assert soup(client.post(url, {"comments": "x"})).title.get_text().startswith("Error:")
    response = client.post(url, {"satisfaction": "5", "comments": "Lovely people."}, follow=True)
    assert "Thank you" in response.content.decode()
    feedback = ResidentFeedback.objects.get(referral=referral)
    assert (feedback.satisfaction, feedback.comments) == (5, "Lovely people.")


def test_a_tampered_link_is_refused_clearly(client, referral):
    url = path_of(resident_link(referral, "review"))
    response = client.get(url[:-6] + "XXXXX/")
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert "Morwenna" not in response.content.decode()


def test_an_expired_link_says_so(client, referral):
    url = path_of(resident_link(referral, "review"))
    later = signing.time.time() + timedelta(days=29).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.get(url)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
