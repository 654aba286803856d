"""Administrators keep GP practices' NHSmail addresses and load the NHS's files in the admin; no other staff can."""

import pytest
from django.urls import reverse

from factories import referrals as factories
from factories.directory import make_organisation
from factories.primarycare import make_pcn, make_practice
from primarycare.loading import SAMPLE_MEMBERSHIP, SAMPLE_PRACTICES
from primarycare.models import GpPractice, PrimaryCareNetwork

LIST = "wagtailsnippets_primarycare_gppractice:list"
EDIT = "wagtailsnippets_primarycare_gppractice:edit"
DELETE = "wagtailsnippets_primarycare_gppractice:delete"
PCN_LIST = "wagtailsnippets_primarycare_primarycarenetwork:list"
PCN_EDIT = "wagtailsnippets_primarycare_primarycarenetwork:edit"
LOAD = "primarycare_load_files"


@pytest.fixture
def administrator(db):
    return factories.make_user("ada", is_superuser=True, is_staff=True)


@pytest.fixture
def practice(db):
    return make_practice("Harbour Surgery", ods_code="J99101", postcode="BH15 1AB", nhsmail="",
                         pcn=make_pcn("Poole Central PCN", ods_code="U99101"))


def _edit_data(practice, **changes) -> dict:
    data = {
        "name": practice.name, "ods_code": practice.ods_code, "address": practice.address,
        "postcode": practice.postcode, "phone": practice.phone, "nhsmail": practice.nhsmail,
        "pcn": practice.pcn_id or "", "is_open": "on" if practice.is_open else "", "closed_on": "",
    }
    return {**data, **changes}


def _denied(response) -> bool:
    # Wagtail's own views send a user without permission to the dashboard; ours answer 403.
    return response.status_code == 403 or (response.status_code == 302 and response.url == reverse("wagtailadmin_home"))


def test_an_administrator_lists_practices_with_whether_an_nhsmail_address_is_on_record(client, sign_in, administrator,
                                                                                       practice):
    make_practice("Parkstone Medical Practice", ods_code="J99102", postcode="BH14 0AB", nhsmail="parkstone@nhs.net")
    sign_in(administrator)

    page = client.get(reverse(LIST)).content.decode()

    assert "Harbour Surgery" in page and "Parkstone Medical Practice" in page
    assert "None: letters to print" in page and "On record" in page
    assert "Poole Central PCN" in page
    assert reverse(LOAD) in page


@pytest.mark.parametrize("query", ["harbour", "j99101", "BH15 1AB", "bh151ab"])
def test_practices_are_found_by_name_ods_code_or_postcode(client, sign_in, administrator, practice, query):
    make_practice("Parkstone Medical Practice", ods_code="J99102", postcode="BH14 0AB")
    sign_in(administrator)

    page = client.get(reverse(LIST), {"q": query}).content.decode()

    assert "Harbour Surgery" in page
    assert "Parkstone Medical Practice" not in page


def test_practices_without_an_nhsmail_address_can_be_listed_alone(client, sign_in, administrator, practice):
    make_practice("Parkstone Medical Practice", ods_code="J99102", nhsmail="parkstone@nhs.net")
    sign_in(administrator)

    page = client.get(reverse(LIST), {"has_nhsmail": "false"}).content.decode()

    assert "Harbour Surgery" in page
    assert "Parkstone Medical Practice" not in page


def test_an_administrator_enters_a_practice_s_nhsmail_address(client, sign_in, administrator, practice):
    sign_in(administrator)

    response = client.post(reverse(EDIT, args=[practice.pk]),
                           _edit_data(practice, nhsmail=" Harbour.Surgery@NHS.net ", postcode="bh15 1ab"))

    assert response.status_code == 302
    practice.refresh_from_db()
    assert (practice.nhsmail, practice.postcode) == ("harbour.surgery@nhs.net", "BH15 1AB")


def test_an_address_that_is_not_nhsmail_is_kept_with_a_warning(client, sign_in, administrator, practice):
    sign_in(administrator)

    response = client.post(reverse(EDIT, args=[practice.pk]), _edit_data(practice, nhsmail="reception@harbour.example"),
                           follow=True)

    practice.refresh_from_db()
    assert practice.nhsmail == "reception@harbour.example"
    assert "is not an NHSmail (nhs.net) address" in response.content.decode()


def test_an_nhsmail_address_that_is_not_an_email_address_is_refused(client, sign_in, administrator, practice):
    sign_in(administrator)

    response = client.post(reverse(EDIT, args=[practice.pk]), _edit_data(practice, nhsmail="harbour surgery at nhs"))

    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    practice.refresh_from_db()
    assert practice.nhsmail == ""


def test_nobody_deletes_a_practice_not_even_an_administrator(client, sign_in, administrator, practice):
    sign_in(administrator)

    response = client.post(reverse(DELETE, args=[practice.pk]))

    assert _denied(response)
    assert GpPractice.objects.filter(pk=practice.pk).exists()


def test_an_administrator_lists_and_edits_networks(client, sign_in, administrator, practice):
    sign_in(administrator)

    page = client.get(reverse(PCN_LIST), {"q": "u99101"}).content.decode()
    response = client.post(reverse(PCN_EDIT, args=[practice.pcn_id]),
                           {"name": "Poole Town PCN", "ods_code": "U99101", "sub_icb_location": "NHS Dorset ICB - 11J"})

    assert "Poole Central PCN" in page
    assert response.status_code == 302
    assert PrimaryCareNetwork.objects.get().name == "Poole Town PCN"


# Nobody else ------------------------------------------------------------------------------------


@pytest.fixture
def staff(home):
    from directory.permissions import MODERATORS_GROUP
    from referrals.roles import COMMISSIONERS_GROUP

    service = factories.make_service("Poole Social Prescribing", prefixes="BH")
    return {
        "link worker": factories.make_link_worker(service=service, username="lee"),
        "triage": factories.make_triage(service=service, username="tina"),
        "commissioner": factories.make_staff(COMMISSIONERS_GROUP, service=service, username="cass"),
        "provider": factories.make_provider_editor(organisation=make_organisation("Poole Walking Friends"),
                                                   username="pat"),
        "directory moderator": factories.make_user("mo", groups=[MODERATORS_GROUP]),
    }


@pytest.mark.parametrize("role", ["link worker", "triage", "commissioner", "provider", "directory moderator"])
def test_no_other_staff_see_change_or_load_practices(client, sign_in, staff, practice, role):
    sign_in(staff[role])

    pages = [reverse(LIST), reverse(EDIT, args=[practice.pk]), reverse(PCN_LIST),
             reverse(PCN_EDIT, args=[practice.pcn_id]), reverse(LOAD)]
    for url in pages:
        assert _denied(client.get(url)), url
    assert _denied(client.post(reverse(EDIT, args=[practice.pk]), _edit_data(practice, nhsmail="someone@nhs.net")))
    with SAMPLE_PRACTICES.open("rb") as practices:
        assert _denied(client.post(reverse(LOAD), {"practices": practices}))

    practice.refresh_from_db()
    assert practice.nhsmail == ""
    assert GpPractice.objects.count() == 1
    assert "Primary care" not in client.get(reverse("wagtailadmin_home")).content.decode()


# Loading the NHS's files ------------------------------------------------------------------------


def test_an_administrator_loads_both_files_and_sees_what_was_loaded(client, sign_in, administrator, practice):
    GpPractice.objects.filter(pk=practice.pk).update(ods_code="J99001", nhsmail="harbour.surgery@nhs.net")
    sign_in(administrator)
    assert client.get(reverse(LOAD)).status_code == 200

    with SAMPLE_PRACTICES.open("rb") as practices, SAMPLE_MEMBERSHIP.open("rb") as membership:
        response = client.post(reverse(LOAD), {"practices": practices, "membership": membership})

    page = response.content.decode()
    assert response.status_code == 200
    assert "What was loaded" in page
    assert "line 22:" in page and "BH16" in page  # the sample's refused row, with its line and why
    assert "J99099" in page  # a membership row for a practice not loaded
    harbour = GpPractice.objects.get(ods_code="J99001")
    assert harbour.nhsmail == "harbour.surgery@nhs.net"
    assert harbour.pcn.ods_code == "U99001"
    assert GpPractice.objects.filter(ods_code__startswith="N99").count() == 8


def test_a_membership_file_that_is_not_one_saves_neither_file(client, sign_in, administrator):
    sign_in(administrator)

    with SAMPLE_PRACTICES.open("rb") as practices, SAMPLE_PRACTICES.open("rb") as wrong:
        response = client.post(reverse(LOAD), {"practices": practices, "membership": wrong})

    assert response.status_code == 200
    assert "This is the GP practices file, not the PCN membership file" in response.content.decode()
    assert not GpPractice.objects.exists()


def test_loading_needs_a_file(client, sign_in, administrator):
    sign_in(administrator)

    response = client.post(reverse(LOAD), {})

    assert "Choose a GP practices file, a PCN membership file, or both." in response.content.decode()
