"""A resident refers themselves through the public form: no account, into the single point of access
for where they live, with an acknowledgement by the route they chose.

A person answers in steps (``test_self_referral_steps.py``); these tests post the whole form at once to
``/refer-yourself/``, which still takes it and checks it with the same form and service.
"""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils.html import escape

from factories import referrals as factories
from referrals.choices import (
    SNOMED_REFERRED,
    Channel,
    ConsentMethod,
    ConsentPurpose,
    NotificationKind,
    ReferralStatus,
    Source,
)
from referrals.intake import service_for_postcode
from referrals.models import (
    AuditEntry,
    Consent,
    Notification,
    Referral,
    ReferralEvent,
    Resident,
)

URL = "/refer-yourself/"
SENT_URL = "/refer-yourself/sent/"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # The rate limit lives in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def form_data(service, needs):
    def _data(**overrides):
        data = {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "date_of_birth_day": "10",
            "date_of_birth_month": "12",
            "date_of_birth_year": "1955",
            "postcode": "bh15 1ab",
            "address": "1 High Street, Poole",
            "preferred_contact": "email",
            "email": "ada@example.net",
            "phone": "07700 900456",
            "language": "English",
            "accessibility_needs": "I use a walking stick.",
            "gp_practice": "Harbour Surgery",
            "nhs_number": "943 476 5919",
            "needs": [str(needs["loneliness"].pk)],
            "what_matters": "Getting out of the house and meeting people.",
            "consent_referral": "yes",
            "consent_share_with_provider": "yes",
            "website": "",
        }
        for key, value in overrides.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    return _data


def error_summary(response) -> str:
    match = re.search(r'<div class="nhsuk-error-summary".*?</ul>', response.content.decode(), re.DOTALL)
    assert match, "the page should start with an error summary"
    return match.group(0)


def assert_nothing_saved():
    assert Referral.objects.count() == 0
    assert Resident.objects.count() == 0
    assert Consent.objects.count() == 0
    assert Notification.objects.count() == 0


def test_the_form_asks_plain_questions_and_works_without_javascript(client, service, needs, form_data):
    response = client.get(URL, follow=True)

    assert response.redirect_chain == [("/refer-yourself/about-you/", 302)]
    page = response.content.decode()
    assert "<title>About you – Refer yourself for social prescribing" in page
    assert '<form method="post" novalidate>' in page
    # The NHS.UK date input: day, month and year boxes.
    for part in ("day", "month", "year"):
        assert f'name="date_of_birth_{part}"' in page
    client.post("/refer-yourself/about-you/", form_data())
    page = client.get("/refer-yourself/contact/").content.decode()
    for route in ("Email", "Text message", "Phone call", "Letter"):
        assert f">{route}</label>" in page
    # Sent at once with a mistake, the whole form comes back with the honeypot hidden from people and
    # screen readers, and out of the tab order.
    page = client.post(URL, form_data(first_name="")).content.decode()
    # Top-level needs only, for the resident; the finer terms are for the link worker.
    assert "Loneliness and isolation" in page
    assert ">Walking</label>" not in page
    assert re.search(r'aria-hidden="true">\s*<label for="id_website">', page)
    assert 'name="website" id="id_website" value="" tabindex="-1" autocomplete="off"' in page


def test_a_resident_refers_themselves(client, service, needs, form_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form_data(), follow=True)

    assert response.redirect_chain == [(SENT_URL, 302)]
    referral = Referral.objects.get()
    assert referral.service == service
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.source == Source.SELF
    assert referral.snomed_code == SNOMED_REFERRED == "871731000000106"
    assert referral.referred_by is None
    assert list(referral.needs.all()) == [needs["loneliness"]]
    assert referral.what_matters == "Getting out of the house and meeting people."
    assert referral.link_worker is None and referral.tier == ""

    resident = referral.resident
    assert (resident.first_name, resident.last_name) == ("Ada", "Lovelace")
    assert resident.service == service
    assert str(resident.date_of_birth) == "1955-12-10"
    assert resident.postcode == "BH15 1AB"
    assert resident.nhs_number == "9434765919"
    assert resident.preferred_contact == "email"
    assert resident.gp_practice == "Harbour Surgery"
    assert resident.accessibility_needs == "I use a walking stick."

    consents = {c.purpose: c for c in referral.consents.all()}
    assert set(consents) == {ConsentPurpose.REFERRAL, ConsentPurpose.SHARE_WITH_PROVIDER}
    assert all(c.given and c.method == ConsentMethod.ONLINE_FORM for c in consents.values())
    assert all(c.given_by == "The person themselves" for c in consents.values())

    event = ReferralEvent.objects.get(referral=referral)
    assert (event.action, event.to_status, event.actor_label) == ("create", "received", "Self-referral (online form)")
    assert AuditEntry.objects.filter(referral_id=referral.pk, actor_label="Self-referral (online form)").exists()

    # The acknowledgement goes by the route the person chose, and arrives.
    notification = Notification.objects.get(referral=referral)
    assert notification.kind == NotificationKind.SELF_REFERRAL_RECEIVED
    assert (notification.channel, notification.recipient) == (Channel.EMAIL, "ada@example.net")
    assert [message.to for message in mail.outbox] == [["ada@example.net"]]
    assert referral.reference in mail.outbox[0].body

    # The confirmation page shows the reference and what happens next; no personal data in the URL.
    page = response.content.decode()
    assert referral.reference in page
    assert "What happens next" in page
    assert "by email within 2 working days" in page
    assert "Ada" not in page and "ada@example.net" not in page
    assert client.get(SENT_URL).content.decode().count(referral.reference) == 1


@pytest.mark.parametrize(
    ("route", "channel"),
    [("text", Channel.TEXT), ("phone", Channel.PHONE_TASK), ("letter", Channel.LETTER_TASK)],
)
def test_the_acknowledgement_goes_by_the_route_the_person_chose(client, service, form_data, route, channel):
    client.post(URL, form_data(preferred_contact=route, email=""))

    referral = Referral.objects.get()
    notification = Notification.objects.get(referral=referral, kind=NotificationKind.SELF_REFERRAL_RECEIVED)
    assert notification.channel == channel
    if channel == Channel.TEXT:
        assert notification.recipient == "07700 900456"
    else:
        # A call or a letter is a task for the team: nobody is allocated yet.
        assert notification.recipient_service == service


def test_a_refused_share_is_recorded_as_refused(client, service, form_data):
    client.post(URL, form_data(consent_share_with_provider=None))

    share = Consent.objects.get(purpose=ConsentPurpose.SHARE_WITH_PROVIDER)
    assert share.given is False
    assert Consent.objects.get(purpose=ConsentPurpose.REFERRAL).given is True


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"consent_referral": None}, "consent_referral", "Tick the box to agree to being referred"),
        ({"email": ""}, "email", "Enter an email address"),
        ({"email": "ada-at-example"}, "email", "Enter an email address in the right format"),
        ({"preferred_contact": "text", "phone": ""}, "phone", "Enter a phone number"),
        ({"preferred_contact": "letter", "address": ""}, "address", "Enter your address"),
        ({"preferred_contact": None}, "preferred_contact", "Choose how we should contact you"),
        ({"nhs_number": "943 476 5918"}, "nhs_number", "This is not a valid NHS number"),
        ({"nhs_number": "12345"}, "nhs_number", "Enter an NHS number with 10 digits"),
        ({"date_of_birth_day": "31", "date_of_birth_month": "2"}, "date_of_birth", "Date of birth must be a real date"),
        ({"date_of_birth_year": ""}, "date_of_birth", "Date of birth must include a year"),
        ({"date_of_birth_month": "", "date_of_birth_year": ""}, "date_of_birth", "must include a month and a year"),
        ({"date_of_birth_year": "2999"}, "date_of_birth", "Date of birth must be in the past"),
        ({"date_of_birth_day": "", "date_of_birth_month": "", "date_of_birth_year": ""}, "date_of_birth",
         "Enter your date of birth"),
        ({"postcode": "LS1 1UR"}, "postcode", "We do not cover this area yet"),
        ({"postcode": "not a postcode"}, "postcode", "is not a UK postcode"),
        ({"postcode": ""}, "postcode", "Enter your postcode"),
        ({"first_name": ""}, "first_name", "Enter your first name"),
        ({"needs": None, "what_matters": ""}, "needs", "Choose at least one thing you would like help with"),
    ],
)
def test_each_mistake_is_shown_in_the_summary_and_beside_its_field_and_nothing_is_saved(
    client, service, form_data, overrides, field, message
):
    response = client.post(URL, form_data(**overrides))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: Refer yourself" in page
    summary = error_summary(response)
    assert escape(message) in summary
    # The summary links to the field (the day box for a date, the first option for radios).
    link = {"date_of_birth": "id_date_of_birth_0", "preferred_contact": "id_preferred_contact_0",
            "needs": "id_needs_0"}.get(field, f"id_{field}")
    assert f'href="#{link}"' in summary
    assert f'id="{link}"' in page
    assert f'id="id_{field}-error"' in page
    assert_nothing_saved()


def test_what_the_person_typed_is_kept_when_they_must_correct_something(client, service, needs, form_data):
    response = client.post(URL, form_data(nhs_number="943 476 5918", preferred_contact="text"))

    page = response.content.decode()
    assert 'value="Lovelace"' in page
    assert 'name="date_of_birth_year" type="text" inputmode="numeric" autocomplete="bday-year" value="1955"' in page
    assert re.search(r'value="text" checked>', page)
    assert re.search(rf'value="{needs["loneliness"].pk}" checked', page)
    assert 'id="id_consent_referral" name="consent_referral" type="checkbox" value="yes" checked' in page


def test_a_mistyped_email_gets_one_message_not_two(client, service, form_data):
    summary = error_summary(client.post(URL, form_data(email="ada-at-example")))

    assert summary.count("<li>") == 1


def test_a_robot_that_fills_the_honeypot_is_told_it_worked_and_nothing_is_saved(client, service, form_data):
    response = client.post(URL, form_data(website="https://spam.example.com"), follow=True)

    assert response.redirect_chain == [(SENT_URL, 302)]
    assert re.search(r"SP-[A-Z0-9]{7}", response.content.decode())
    assert_nothing_saved()


@pytest.fixture
def two_an_hour(settings):
    settings.SIGNPOST_REFERRALS = {**settings.SIGNPOST_REFERRALS, "SELF_REFERRALS_PER_HOUR": 2}


def test_too_many_referrals_from_one_address_are_refused_with_a_number_to_call(client, service, form_data, two_an_hour):
    service.phone = "01202 123456"
    service.save()
    # Mistakes do not count: a person correcting the form is not turned away.
    for _ in range(3):
        assert client.post(URL, form_data(first_name="")).status_code == 200
    for name in ("Ada", "Bea"):
        assert client.post(URL, form_data(first_name=name)).status_code == 302

    response = client.post(URL, form_data(first_name="Cy"))

    assert response.status_code == 429
    page = response.content.decode()
    assert "Please call us instead" in page
    assert "01202 123456" in page
    assert "Nothing you typed has been saved" in page
    assert Referral.objects.count() == 2

    # Another address is not held up by this one.
    other = client.post(URL, form_data(first_name="Di"), REMOTE_ADDR="192.0.2.77")
    assert other.status_code == 302
    assert Referral.objects.count() == 3


def test_honeypot_submissions_count_towards_the_limit(client, service, form_data, two_an_hour):
    for _ in range(2):
        client.post(URL, form_data(website="spam"))

    assert client.post(URL, form_data()).status_code == 429
    assert_nothing_saved()


def test_behind_a_proxy_the_limit_is_per_client_not_per_proxy(client, service, form_data, two_an_hour, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(3):
        # The same proxy (REMOTE_ADDR), a different resident each time; a spoofed left-hand hop is ignored.
        response = client.post(
            URL, form_data(first_name=f"Resident{n}"), REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"203.0.113.9, 198.51.100.{n}",
        )
        assert response.status_code == 302
    assert Referral.objects.count() == 3


def test_an_activity_link_says_what_the_person_asked_about_without_choosing_it(client, service, activity, form_data):
    page = client.get(f"{URL}?activity={activity.pk}", follow=True).content.decode()
    assert "You are asking about: <strong>Tuesday health walk</strong>, run by Poole Walking Friends." in page
    page = client.post(URL, form_data(activity=str(activity.pk), first_name="")).content.decode()
    assert f'name="activity" value="{activity.pk}"' in page

    client.post(URL, form_data(activity=str(activity.pk)))

    referral = Referral.objects.get()
    assert not referral.connections.exists()  # the link worker connects them with the person
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.what_matters.startswith("Asked about: Tuesday health walk (Poole Walking Friends)")
    assert referral.what_matters.endswith("Getting out of the house and meeting people.")


def test_an_unknown_or_hidden_activity_is_ignored(client, service, form_data):
    page = client.get(f"{URL}?activity=999999", follow=True).content.decode()
    assert "You are asking about" not in page
    assert client.get(f"{URL}?activity=nonsense", follow=True).status_code == 200


def test_the_referral_goes_to_the_service_that_covers_the_postcode(client, service, other_service, form_data):
    client.post(URL, form_data(postcode="WA7 1AB"))

    assert Referral.objects.get().service == other_service


def test_the_confirmation_page_without_a_referral_goes_back_to_the_form(client):
    response = client.get(SENT_URL)

    assert response.status_code == 302
    assert response["Location"] == URL


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("BH15 1AB", "Poole"),  # the area, BH
        ("bh151ab", "Poole"),
        ("BH21 3XY", "Wimborne"),  # a district carved out of the area
        ("WA7 1AB", "Halton"),
        ("WA71AB", "Halton"),
        ("WA1 1AA", None),  # WA7 and WA8 only, not the whole WA area
        ("B1 1AA", None),  # "B" is Birmingham: BH does not claim it
        ("LS1 1UR", None),
        ("nonsense", None),
        ("", None),
    ],
)
def test_service_for_postcode_takes_the_longest_matching_prefix(home, postcode, expected):
    services = {
        "Poole": factories.make_service("Poole", prefixes="BH, DT"),
        "Wimborne": factories.make_service("Wimborne", prefixes="bh21"),
        "Halton": factories.make_service("Halton", prefixes="WA7, WA8"),
    }

    found = service_for_postcode(postcode)

    assert found == (services[expected] if expected else None)


# Numbers too large for the database (issue 16: each of these was once a server error) -------


def test_a_day_of_birth_of_many_digits_is_a_mistake_to_fix_not_an_error(client, service, form_data):
    response = client.post(URL, form_data(date_of_birth_day="1234567890"))
    assert response.status_code == 200
    assert "Date of birth must be a real date" in error_summary(response)
    assert_nothing_saved()


def test_an_activity_id_too_large_is_ignored_and_the_referral_still_goes(client, service, form_data):
    response = client.post(URL, form_data(activity="12345678901234567890"))
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert not referral.what_matters.startswith("Asked about:")
