"""Choosing a GP practice: the search, the page's "search, then choose" (no JavaScript), the type-ahead's
JSON, the API's practice by ODS code, and the consent to tell the GP.
"""

import json
import re
from datetime import date

import pytest
from django.core.cache import cache
from django.utils.html import escape

from factories import referrals as factories
from factories.primarycare import make_practice
from primarycare.selectors import practice_by_ods_code, search_practices
from referrals.choices import ConsentPurpose
from referrals.models import ApiToken, Consent, Referral

NEW_REFERRAL = "/referrals/triage/new/"
SELF_REFERRAL = "/refer-yourself/"
SEARCH = "/referrals/practices/search/"
CREATE = "/api/v1/referrals/create/"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # The self-referral form's rate limit lives in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def practices(db):
    return {
        "harbour": make_practice("Harbour Medical Practice", ods_code="J81001", postcode="BH15 1AB"),
        "quayside": make_practice("Quayside Surgery", ods_code="J81002", postcode="BH15 2CD"),
        "bourne": make_practice("Bourne Valley Practice", ods_code="J81010", postcode="BH1 4EF"),
        "leeds": make_practice("Harbour Lane Surgery", ods_code="B86001", postcode="LS1 1UR"),
        "closed": make_practice("Harbour Old Surgery", ods_code="J81099", postcode="BH15 1AB", is_open=False,
                                closed_on=date(2024, 3, 31)),
    }


@pytest.fixture
def service(home):
    return factories.make_service("Poole Social Prescribing", prefixes="BH")


@pytest.fixture
def triage(service):
    return factories.make_triage(service=service, username="tina")


def codes(found) -> list[str]:
    return [practice.ods_code for practice in found]


# The search ----------------------------------------------------------------------------------------


def test_a_name_matches_by_its_words_in_any_order_and_any_case(practices):
    # Equally good matches come in the order of their names.
    assert codes(search_practices("harbour")) == ["B86001", "J81001"]
    assert codes(search_practices("SURGERY  lane")) == ["B86001"]
    assert codes(search_practices("practice medical")) == ["J81001"]
    assert search_practices("harbour dentist") == []
    assert search_practices("   ") == []


def test_a_name_that_starts_as_typed_comes_before_one_that_only_contains_the_words(practices):
    also = make_practice("Poole Harbour Practice", ods_code="J81003", postcode="BH15 3GH")

    assert codes(search_practices("harbour")) == ["B86001", "J81001", also.ods_code]


def test_an_ods_code_matches_whole_or_begun_in_any_case(practices):
    assert codes(search_practices("j81001")) == ["J81001"]
    assert codes(search_practices("J8100")) == ["J81001", "J81002"]
    assert codes(search_practices("j810")) == ["J81010", "J81001", "J81002"]  # by name


def test_a_whole_code_comes_before_codes_it_begins(practices):
    make_practice("Another Practice", ods_code="J810010", postcode="BH15 9ZZ")

    assert codes(search_practices("J81001"))[0] == "J81001"


def test_a_postcode_matches_with_or_without_its_space_and_a_district_only_itself(practices):
    assert codes(search_practices("BH15 1AB")) == ["J81001"]
    assert codes(search_practices("bh151ab")) == ["J81001"]
    assert codes(search_practices("bh15 2")) == ["J81002"]
    assert codes(search_practices("BH15")) == ["J81001", "J81002"]
    # BH1 is its own district: BH15's practices are not in it.
    assert codes(search_practices("bh1")) == ["J81010"]


def test_a_closed_practice_is_never_offered(practices):
    for query in ("harbour old", "J81099", "BH15 1AB", "BH15"):
        assert "J81099" not in codes(search_practices(query)), query


def test_the_number_of_results_is_bounded(practices):
    for number in range(30):
        make_practice(f"Poole Practice {number}", ods_code=f"P{number:05}", postcode="BH15 5AA")

    assert len(search_practices("poole", limit=5)) == 5
    assert len(search_practices("poole", limit=1000)) == 30
    assert len(search_practices("poole")) == 20


def test_a_practice_is_found_by_its_code_in_any_case_open_or_closed(practices):
    assert practice_by_ods_code(" j81001 ") == practices["harbour"]
    assert practice_by_ods_code("J81099") == practices["closed"]
    assert practice_by_ods_code("X00000") is None
    assert practice_by_ods_code("") is None


# The type-ahead's JSON ----------------------------------------------------------------------------


def test_the_search_answers_anyone_with_practices_only(client, practices, service):
    # A resident registered at the practice: nothing of them is in the answer.
    factories.make_resident(service=service, first_name="Zebedee", last_name="Quartermaine",
                            practice=practices["harbour"])

    response = client.get(SEARCH, {"q": "harbour"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert [result["ods_code"] for result in body["results"]] == ["B86001", "J81001"]
    assert body["results"][1] == {
        "ods_code": "J81001", "name": "Harbour Medical Practice", "postcode": "BH15 1AB", "address": "1 Quay Road, Poole",
    }
    assert all(set(result) == {"ods_code", "name", "postcode", "address"} for result in body["results"])
    assert "Quartermaine" not in response.content.decode()


def test_the_search_offers_no_closed_practice_and_waits_for_two_characters(client, practices):
    assert client.get(SEARCH, {"q": "J81099"}).json()["results"] == []
    assert client.get(SEARCH, {"q": "h"}).json()["results"] == []
    assert client.get(SEARCH).json()["results"] == []
    # What no database takes (a NUL character), or far too much, is a plain answer, never a 500.
    assert client.get(SEARCH, {"q": "harb\x00our"}).status_code == 200
    assert client.get(SEARCH, {"q": "harbour " * 500}).status_code == 200


def test_the_search_only_answers_get(client, practices):
    assert client.post(SEARCH, {"q": "harbour"}).status_code == 405


# The staff form: search, then choose, without JavaScript ------------------------------------------


@pytest.fixture
def staff_data(needs):
    def _data(**overrides):
        data = {
            "source": "primary_care", "referrer_name": "Dr A Patel", "first_name": "Ben", "last_name": "Carter",
            "date_of_birth_day": "3", "date_of_birth_month": "4", "date_of_birth_year": "1948",
            "postcode": "BH15 1AB", "preferred_contact": "phone", "phone": "07700 900789", "language": "English",
            "priority": "routine", "needs": [str(needs["walking"].pk)], "what_matters": "Wants to get fit again.",
            "consent_referral": "yes", "consent_share_with_provider": "yes", "consent_feedback_to_referrer": "yes",
            "consent_method": "verbal", "consent_given_by": "The person themselves",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return _data


def radios(page: str) -> dict[str, bool]:
    """The practice chooser's radios: value -> checked."""
    found = re.findall(r'<input class="nhsuk-radios__input" id="id_practice_choice_\d+" name="practice_choice" '
                       r'type="radio" value="([^"]*)"[^>]*?( checked)?>', page)
    return {value: bool(checked) for value, checked in found}


def test_staff_find_a_practice_then_choose_it(sign_in, triage, practices, staff_data):
    client = sign_in(triage)

    page = client.get(NEW_REFERRAL).content.decode()
    assert "Search by practice name, code or postcode" in page
    assert 'name="find_practice"' in page
    assert radios(page) == {"none": False, "other": False}
    assert 'src="/static/js/practice_picker.js"' in page

    response = client.post(NEW_REFERRAL, staff_data(practice_query="harbour", find_practice="yes"))

    assert response.status_code == 200
    assert not Referral.objects.exists()
    page = response.content.decode()
    # Nothing is refused yet, and everything typed is still there.
    assert "There is a problem" not in page
    assert 'value="Carter"' in page and 'value="harbour"' in page
    assert list(radios(page).items()) == [("B86001", False), ("J81001", False), ("none", False), ("other", False)]
    assert "Harbour Medical Practice" in page and "1 Quay Road, Poole, BH15 1AB, Code J81001" in page
    assert "Harbour Old Surgery" not in page
    assert "Not registered with a GP" in page and "The practice is not listed" in page

    response = client.post(NEW_REFERRAL, staff_data(practice_query="harbour", practice_choice="J81001"))

    assert response.status_code == 302
    resident = Referral.objects.get().resident
    assert resident.practice == practices["harbour"]
    assert (resident.has_no_gp, resident.gp_practice) == (False, "")


def test_staff_record_a_person_with_no_gp(sign_in, triage, practices, staff_data):
    client = sign_in(triage)

    client.post(NEW_REFERRAL, staff_data(practice_choice="none", gp_practice="Harbour Surgery"))

    resident = Referral.objects.get().resident
    assert resident.has_no_gp and resident.practice is None and resident.gp_practice == ""


def test_staff_write_a_practice_that_is_not_listed(sign_in, triage, practices, staff_data):
    client = sign_in(triage)

    response = client.post(NEW_REFERRAL, staff_data(practice_choice="other", gp_practice=""))

    assert response.status_code == 200
    assert "Enter the practice&#x27;s name, as given" in response.content.decode()
    assert not Referral.objects.exists()

    client.post(NEW_REFERRAL, staff_data(practice_choice="other", gp_practice="Sandbanks Clinic"))

    resident = Referral.objects.get().resident
    assert (resident.practice, resident.has_no_gp, resident.gp_practice) == (None, False, "Sandbanks Clinic")


def test_a_search_without_a_choice_is_sent_back_with_the_matches(sign_in, triage, practices, staff_data):
    client = sign_in(triage)

    response = client.post(NEW_REFERRAL, staff_data(practice_query="quayside"))

    assert not Referral.objects.exists()
    page = response.content.decode()
    assert 'href="#id_practice_choice_0"' in page
    assert escape("Choose the person's practice from the list") in page
    assert radios(page) == {"J81002": False, "none": False, "other": False}


def test_a_closed_or_unknown_practice_cannot_be_chosen(sign_in, triage, practices, staff_data):
    client = sign_in(triage)

    for code in ("J81099", "X99999"):
        response = client.post(NEW_REFERRAL, staff_data(practice_choice=code))
        assert response.status_code == 200, code
        assert "J81099" not in radios(response.content.decode())
    assert not Referral.objects.exists()


def test_a_choice_is_kept_when_the_form_comes_back_for_another_mistake(sign_in, triage, practices, staff_data):
    client = sign_in(triage)

    # Chosen with the type-ahead (the query box holds its name), but the last name was left out.
    response = client.post(NEW_REFERRAL, staff_data(practice_query="Quayside Surgery", practice_choice="J81002",
                                                    last_name=""))

    assert response.status_code == 200
    assert radios(response.content.decode())["J81002"] is True


def test_staff_record_the_consent_to_tell_the_gp(sign_in, triage, practices, staff_data):
    client = sign_in(triage)

    client.post(NEW_REFERRAL, staff_data(consent_share_with_gp=None))

    consent = Consent.objects.get(purpose=ConsentPurpose.SHARE_WITH_GP)
    assert consent.given is False and consent.recorded_by == triage


# The self-referral form ---------------------------------------------------------------------------


@pytest.fixture
def self_data(service, needs):
    def _data(**overrides):
        data = {
            "first_name": "Ada", "last_name": "Lovelace", "date_of_birth_day": "10", "date_of_birth_month": "12",
            "date_of_birth_year": "1955", "postcode": "bh15 1ab", "preferred_contact": "email",
            "email": "ada@example.net", "language": "English", "needs": [str(needs["loneliness"].pk)],
            "consent_referral": "yes", "consent_share_with_provider": "yes", "website": "",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return _data


def test_a_resident_finds_their_practice_by_postcode_then_chooses_it(client, practices, self_data):
    # The whole form on one page, as it comes back when sent at once with a mistake (the steps:
    # tests/referrals/test_self_referral_steps.py).
    page = client.post(SELF_REFERRAL, self_data(first_name="")).content.decode()
    assert "Your GP practice (optional)" in page
    assert "I am not registered with a GP" in page and "My practice is not listed" in page
    assert "Can we tell your GP practice that you were referred and how it went?" in page

    response = client.post(SELF_REFERRAL, self_data(practice_query="bh15", find_practice="yes"))

    assert response.status_code == 200 and not Referral.objects.exists()
    page = response.content.decode()
    assert "There is a problem" not in page
    assert 'value="Lovelace"' in page
    assert radios(page) == {"J81001": False, "J81002": False, "none": False, "other": False}
    assert "2 open practices match “bh15”." in page

    response = client.post(SELF_REFERRAL, self_data(practice_query="bh15", practice_choice="J81002",
                                                    consent_share_with_gp="yes"))

    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.resident.practice == practices["quayside"]
    consent = referral.consents.get(purpose=ConsentPurpose.SHARE_WITH_GP)
    assert consent.given is True


def test_a_search_that_finds_nothing_says_so(client, practices, self_data):
    response = client.post(SELF_REFERRAL, self_data(practice_query="nowhere surgery", find_practice="yes"))

    page = response.content.decode()
    assert "No open practice matches “nowhere surgery”." in page
    assert radios(page) == {"none": False, "other": False}


def test_a_resident_says_they_have_no_gp_and_refuses_to_tell_one(client, practices, self_data):
    client.post(SELF_REFERRAL, self_data(practice_choice="none", consent_share_with_gp="no"))

    referral = Referral.objects.get()
    assert referral.resident.has_no_gp and referral.resident.practice is None
    assert referral.consents.get(purpose=ConsentPurpose.SHARE_WITH_GP).given is False


def test_a_resident_writes_a_practice_that_is_not_listed(client, practices, self_data):
    response = client.post(SELF_REFERRAL, self_data(practice_choice="other"))
    assert "Enter the name of your GP practice" in response.content.decode()

    client.post(SELF_REFERRAL, self_data(practice_choice="other", gp_practice="Sandbanks Clinic"))

    resident = Referral.objects.get().resident
    assert (resident.practice, resident.gp_practice) == (None, "Sandbanks Clinic")
    # Not asked about the GP: nothing recorded either way.
    assert not Consent.objects.filter(purpose=ConsentPurpose.SHARE_WITH_GP).exists()


# The API ----------------------------------------------------------------------------------------------


@pytest.fixture
def service_key(service):
    return ApiToken.issue(name="EMIS at Harbour Surgery", service=service)[1]


def api_body(**resident) -> dict:
    return {
        "resident": {"first_name": "Margaret", "last_name": "Oyelaran", "preferred_contact": "phone",
                     "phone": "07700 900456", **resident},
        "source": "primary_care",
        "referrer": {"name": "Dr A Patel"},
        "consents": {"referral": True, "share_with_provider": True, "feedback_to_referrer": False,
                     "share_with_gp": True},
    }


def create(client, key, body):
    return client.post(CREATE, data=json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Token {key}")


def test_the_api_takes_a_practice_by_its_ods_code(client, service_key, practices):
    response = create(client, service_key, api_body(gp_practice_ods="j81001"))

    assert response.status_code == 201, response.json()
    assert response.json()["resident"]["practice"] == {"ods_code": "J81001", "name": "Harbour Medical Practice"}
    assert response.json()["resident"]["has_no_gp"] is False
    referral = Referral.objects.get()
    assert referral.resident.practice == practices["harbour"]
    assert referral.consents.get(purpose=ConsentPurpose.SHARE_WITH_GP).given is True
    assert {"purpose": "share_with_gp", "given": True} in [
        {"purpose": c["purpose"], "given": c["given"]} for c in response.json()["consents"]]


def test_the_api_refuses_an_unknown_or_closed_practice_naming_the_field(client, service_key, practices):
    response = create(client, service_key, api_body(gp_practice_ods="X00000"))

    assert response.status_code == 400
    message = response.json()["resident"]["gp_practice_ods"][0]
    assert "No GP practice has the ODS code 'X00000'" in message and "gp_practice" in message

    response = create(client, service_key, api_body(gp_practice_ods="J81099"))

    assert response.status_code == 400
    assert "has closed" in response.json()["resident"]["gp_practice_ods"][0]
    assert not Referral.objects.exists()


def test_the_api_records_a_person_with_no_gp_or_a_practice_as_written(client, service_key, practices):
    response = create(client, service_key, api_body(has_no_gp=True))

    assert response.status_code == 201, response.json()
    assert response.json()["resident"]["practice"] is None and response.json()["resident"]["has_no_gp"] is True

    response = create(client, service_key, api_body(gp_practice="Sandbanks Clinic", last_name="Brown"))

    assert response.status_code == 201, response.json()
    assert response.json()["resident"]["gp_practice"] == "Sandbanks Clinic"
    assert response.json()["resident"]["practice"] is None

    response = create(client, service_key, api_body(has_no_gp=True, gp_practice_ods="J81001", last_name="Green"))

    assert response.status_code == 400
    assert "not both" in response.json()["resident"]["has_no_gp"][0]
