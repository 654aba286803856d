"""The self-referral in short steps (issue 15): it starts from what the activity page and the search knew
(activity, postcode, need), asks one question or a small group a page, keeps the answers in the
session until the last page, and only then makes the referral, through the same form and service as
the one-page form. Nothing is saved before "Send my referral".
"""

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from django.utils.html import escape
from pages.scheduler import SCHEDULE
from pages.tasks import clear_expired_sessions_task

from primarycare.models import GpPractice
from referrals.choices import (
    ConsentPurpose,
    ContactRoute,
    NotificationKind,
    ReferralStatus,
    Source,
)
from referrals.models import Consent, Notification, Referral, Resident

START = "/refer-yourself/"
CHECK = "/refer-yourself/check/"
SENT = "/refer-yourself/sent/"


def step(slug: str) -> str:
    return f"/refer-yourself/{slug}/"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


ABOUT_YOU = {
    "first_name": "Ada", "last_name": "Lovelace", "date_of_birth_day": "10", "date_of_birth_month": "12",
    "date_of_birth_year": "1955", "postcode": "bh15 1ab",
}


@pytest.fixture
def answers(needs):
    """Each step's answers, in order, as a person would send them."""
    return [
        ("about-you", ABOUT_YOU),
        ("contact", {"preferred_contact": "email"}),
        ("contact-details", {"email": "ada@example.net"}),
        ("gp", {"practice_choice": "other", "gp_practice": "Harbour Surgery", "nhs_number": "943 476 5919"}),
        ("help", {"needs": [str(needs["loneliness"].pk)], "what_matters": "Meeting people."}),
        ("taking-part", {"language": "", "accessibility_needs": "I use a walking stick."}),
        ("consent", {"consent_referral": "yes", "consent_share_with_provider": "yes", "consent_share_with_gp": "no"}),
    ]


def walk(client, answers, *, start: str | None = START, upto: str | None = None):
    """Start (unless ``start`` is None: carry on), then send each step's answers (up to and including
    ``upto``); each goes on to the next."""
    response = client.get(start) if start else None
    assert start is None or (response.status_code == 302 and response["Location"] == step("about-you"))
    for slug, data in answers:
        response = client.post(step(slug), data)
        assert response.status_code == 302, (slug, error_summary(response))
        if slug == upto:
            break
    return response


def error_summary(response) -> str:
    match = re.search(r'<div class="nhsuk-error-summary".*?</ul>', response.content.decode(), re.DOTALL)
    return match.group(0) if match else ""


def assert_nothing_saved():
    assert Referral.objects.count() == 0
    assert Resident.objects.count() == 0
    assert Consent.objects.count() == 0
    assert Notification.objects.count() == 0


# Starting from what is known --------------------------------------------------------------------


def test_an_activity_page_starts_the_self_referral_with_the_search_it_was_opened_from(
    client, service, needs, activity, postcodes
):
    # The activity opened from results for walking near BH15 1AB: its "Ask to join" carries them on.
    page = client.get(f"{activity.url}?postcode=bh151ab&needs=walking&radius_miles=3").content.decode()
    link = re.search(r'href="(/refer-yourself/\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert f"activity={activity.pk}" in link and "postcode=BH15+1AB" in link
    # Walking is a finer need: the resident is offered (and given) its top-level need.
    assert f"needs={needs['physical'].pk}" in link

    response = client.get(link, follow=True)

    assert response.redirect_chain == [(step("about-you"), 302)]
    first = response.content.decode()
    assert "You are asking about: <strong>Tuesday health walk</strong>" in first
    assert 'value="BH15 1AB"' in first
    assert 'autocomplete="postal-code"' in first and 'autocomplete="given-name"' in first
    walk(client, [("about-you", ABOUT_YOU), ("contact", {"preferred_contact": "text"}),
                  ("contact-details", {"phone": "07700 900456"}), ("gp", {})], start=None)
    help_page = client.get(step("help")).content.decode()
    assert re.search(rf'value="{needs["physical"].pk}" checked', help_page)
    assert "We have ticked what you searched for" in help_page
    assert not re.search(rf'value="{needs["loneliness"].pk}" checked', help_page)


@pytest.mark.parametrize("query", [
    "activity=999999&postcode=not-a-postcode&needs=no-such-need",
    "activity=12345678901234567890&postcode=" + "B" * 500 + "&needs=" + "x" * 500,
    "needs=&postcode=",
])
def test_what_does_not_validate_in_the_link_is_dropped_not_trusted(client, service, needs, query):
    response = client.get(f"{START}?{query}", follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "You are asking about" not in page
    assert 'name="postcode" value=' not in page
    assert client.session["signpost_self_referral_answers"] == {"activity": None, "data": {}, "done": []}


def test_a_hidden_activity_is_not_carried(client, service, activity):
    activity.unpublish()
    client.get(f"{START}?activity={activity.pk}")
    assert client.session["signpost_self_referral_answers"]["activity"] is None


# Each step checks its own questions, GOV.UK style ----------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "data", "field", "message"),
    [
        ("about-you", {**ABOUT_YOU, "first_name": ""}, "first_name", "Enter your first name"),
        ("about-you", {**ABOUT_YOU, "date_of_birth_year": ""}, "date_of_birth", "Date of birth must include a year"),
        ("about-you", {**ABOUT_YOU, "postcode": "LS1 1UR"}, "postcode", "We do not cover this area yet"),
        ("about-you", {**ABOUT_YOU, "postcode": ""}, "postcode", "Enter your postcode"),
        ("contact", {}, "preferred_contact", "Choose how we should contact you"),
        ("contact-details", {"email": ""}, "email", "Enter an email address"),
        ("contact-details", {"email": "ada-at-example"}, "email", "Enter an email address in the right format"),
        ("gp", {"practice_choice": "other", "gp_practice": ""}, "gp_practice", "Enter the name of your GP practice"),
        ("gp", {"nhs_number": "943 476 5918"}, "nhs_number", "This is not a valid NHS number"),
        ("help", {}, "needs", "Choose at least one thing you would like help with"),
        ("consent", {}, "consent_referral", "Tick the box to agree to being referred"),
    ],
)
def test_each_step_shows_only_its_own_mistakes_in_the_summary_and_beside_the_field(
    client, service, answers, slug, data, field, message
):
    before = [pair for pair in answers if pair[0] != slug]
    walk(client, before[: [s for s, _ in answers].index(slug)])

    response = client.post(step(slug), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: " in page
    summary = error_summary(response)
    assert escape(message) in summary
    assert summary.count("<li>") == 1  # this step's mistake only: later questions are not yet asked
    link = {"date_of_birth": "id_date_of_birth_0", "preferred_contact": "id_preferred_contact_0",
            "needs": "id_needs_0"}.get(field, f"id_{field}")
    assert f'href="#{link}"' in summary and f'id="{link}"' in page
    assert_nothing_saved()


@pytest.mark.parametrize(("route", "field", "heading", "message"), [
    ("text", "phone", "What is your mobile phone number?", "Enter a phone number"),
    ("phone", "phone", "What is your phone number?", "Enter a phone number"),
    ("letter", "address", "What is your address?", "Enter your address"),
    ("email", "email", "What is your email address?", "Enter an email address"),
])
def test_the_way_is_chosen_first_then_only_its_detail_is_asked(client, service, answers, route, field, heading,
                                                                message):
    walk(client, [answers[0], ("contact", {"preferred_contact": route})])

    page = client.get(step("contact-details")).content.decode()
    assert heading in page
    assert {"email", "phone", "address"} - {field} & set(re.findall(r'name="(email|phone|address)"', page)) == set()

    summary = error_summary(client.post(step("contact-details"), {field: ""}))
    assert f">{message}</a>" in summary
    assert "choose another way" not in summary


def test_an_empty_contact_page_asks_for_a_way_not_a_phone_number(client, service, answers):
    walk(client, answers[:1])

    summary = error_summary(client.post(step("contact"), {}))

    assert "Choose how we should contact you" in summary
    assert "phone number" not in summary.lower()


def test_the_one_page_form_sent_empty_asks_for_a_way_not_a_phone_number(client, service):
    summary = error_summary(client.post(START, {}))

    assert "Choose how we should contact you" in summary
    assert "Enter a phone number" not in summary and "choose another way" not in summary


def test_steps_cannot_be_skipped(client, service, answers):
    walk(client, answers[:1])

    assert client.get(step("gp"))["Location"] == step("contact")
    assert client.get(CHECK)["Location"] == step("contact")
    assert client.get(step("nonsense")).status_code == 404


def test_a_step_without_a_self_referral_started_goes_to_the_start(client, service):
    assert client.get(step("contact"))["Location"] == START
    assert client.get(CHECK)["Location"] == START


def test_find_practice_on_the_gp_step_shows_the_matches_and_moves_on_only_when_chosen(client, service, answers):
    GpPractice.objects.create(ods_code="J81001", name="Harbour Surgery", postcode="BH15 1AA")
    walk(client, answers[:3])

    found = client.post(step("gp"), {"practice_query": "harbour", "find_practice": "yes"})

    assert found.status_code == 200
    page = found.content.decode()
    assert "Harbour Surgery" in page and 'value="J81001"' in page
    assert 'src="/static/js/practice_picker.js"' in page
    assert not error_summary(found)
    response = client.post(step("gp"), {"practice_query": "harbour", "practice_choice": "J81001"})
    assert response["Location"] == step("help")


# Back links, check your answers and changing an answer ---------------------------------------------


def test_each_step_has_a_back_link_to_the_one_before(client, service, answers, activity):
    client.get(f"{START}?activity={activity.pk}")
    assert f'class="nhsuk-back-link" href="{activity.url}"' in client.get(step("about-you")).content.decode()
    walk(client, answers[:2], start=f"{START}?activity={activity.pk}")
    assert 'class="nhsuk-back-link" href="/refer-yourself/contact/"' in client.get(
        step("contact-details")).content.decode()


def test_check_your_answers_shows_each_answer_with_a_change_link(client, service, answers):
    response = walk(client, answers)
    assert response["Location"] == CHECK

    page = client.get(CHECK).content.decode()

    assert "Check your answers before sending" in page
    for text in ("Ada Lovelace", "10 December 1955", "BH15 1AB", "ada@example.net", "Harbour Surgery",
                 "943 476 5919", "Loneliness and isolation", "Meeting people.", "I use a walking stick."):
        assert text in page
    for slug in ("about-you", "contact", "contact-details", "gp", "help", "taking-part", "consent"):
        assert f'href="/refer-yourself/{slug}/">Change' in page
    assert 'name="website" id="id_website" value="" tabindex="-1" autocomplete="off"' in page
    assert_nothing_saved()


def test_a_change_goes_back_to_check_your_answers(client, service, answers):
    walk(client, answers)

    response = client.post(step("about-you"), {**ABOUT_YOU, "first_name": "Augusta"})

    assert response["Location"] == CHECK
    assert "Augusta Lovelace" in client.get(CHECK).content.decode()


def test_a_new_way_of_contact_asks_its_detail_and_forgets_the_old_one(client, service, answers):
    walk(client, answers)

    assert client.post(step("contact"), {"preferred_contact": "text"})["Location"] == step("contact-details")
    assert client.get(CHECK)["Location"] == step("contact-details")
    assert client.post(step("contact-details"), {"phone": "07700 900456"})["Location"] == CHECK
    page = client.get(CHECK).content.decode()
    assert "07700 900456" in page and "ada@example.net" not in page


# Sending ------------------------------------------------------------------------------------------------


def test_sending_makes_exactly_one_referral_with_every_answer(
    client, service, needs, answers, activity, django_capture_on_commit_callbacks
):
    walk(client, answers, start=f"{START}?activity={activity.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHECK, {"website": ""}, follow=True)

    assert response.redirect_chain == [(SENT, 302)]
    referral = Referral.objects.get()
    assert (referral.service, referral.status, referral.source) == (service, ReferralStatus.RECEIVED, Source.SELF)
    assert list(referral.needs.all()) == [needs["loneliness"]]
    assert referral.what_matters == "Asked about: Tuesday health walk (Poole Walking Friends)\n\nMeeting people."
    resident = referral.resident
    assert (resident.first_name, resident.postcode, resident.nhs_number) == ("Ada", "BH15 1AB", "9434765919")
    assert (resident.preferred_contact, resident.email, resident.phone) == (ContactRoute.EMAIL, "ada@example.net", "")
    assert resident.gp_practice == "Harbour Surgery" and resident.language == "English"
    consents = {c.purpose: c.given for c in referral.consents.all()}
    assert consents == {ConsentPurpose.REFERRAL: True, ConsentPurpose.SHARE_WITH_PROVIDER: True,
                        ConsentPurpose.SHARE_WITH_GP: False}
    assert Notification.objects.get().kind == NotificationKind.SELF_REFERRAL_RECEIVED
    assert [message.to for message in mail.outbox] == [["ada@example.net"]]
    page = response.content.decode()
    assert referral.reference in page and "by email within 2 working days" in page
    # The answers are gone from the session; sending again (a refresh, a second tab) makes nothing.
    assert "signpost_self_referral_answers" not in client.session
    assert client.post(CHECK, {"website": ""})["Location"] == START
    assert Referral.objects.count() == 1


def test_a_self_referral_left_halfway_saves_nothing(client, service, answers):
    walk(client, answers, upto="help")
    client.get(START)  # starting again forgets the unsent answers

    assert client.session["signpost_self_referral_answers"]["done"] == []
    assert_nothing_saved()


def test_a_robot_filling_the_honeypot_on_the_last_page_is_told_it_worked(client, service, answers):
    walk(client, answers)

    response = client.post(CHECK, {"website": "https://spam.example.com"}, follow=True)

    assert response.redirect_chain == [(SENT, 302)]
    assert_nothing_saved()


def test_the_hourly_limit_applies_to_the_last_page(client, service, answers, settings):
    settings.SIGNPOST_REFERRALS = {**settings.SIGNPOST_REFERRALS, "SELF_REFERRALS_PER_HOUR": 1}
    walk(client, answers)
    assert client.post(CHECK, {"website": ""}).status_code == 302
    walk(client, answers)

    response = client.post(CHECK, {"website": ""})

    assert response.status_code == 429 and "Please call us instead" in response.content.decode()
    assert Referral.objects.count() == 1


def test_an_answer_that_no_longer_checks_out_reopens_its_step(client, service, answers):
    walk(client, answers)
    service.postcode_prefixes = "WA"
    service.save()

    response = client.post(CHECK, {"website": ""})

    assert response["Location"] == step("about-you")
    assert_nothing_saved()


def test_an_abandoned_self_referral_s_answers_go_with_its_expired_session(client, service, answers):
    """The answers wait in the session until sent; one never sent goes when its session expires, by
    the hourly job the scheduler enqueues for the worker (``pages.tasks``)."""
    walk(client, answers, upto="help")
    [abandoned] = Session.objects.all()
    assert "Lovelace" in str(abandoned.get_decoded())
    live = Session.objects.create(session_key="x" * 32, session_data="", expire_date=timezone.now() + timedelta(minutes=5))
    Session.objects.filter(pk=abandoned.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert any(job.task == "pages.tasks.clear_expired_sessions_task" and job.every <= timedelta(hours=1)
               for job in SCHEDULE)

    clear_expired_sessions_task.call()

    assert list(Session.objects.values_list("pk", flat=True)) == [live.pk]
    assert not Referral.objects.exists()
