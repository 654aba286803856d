"""Loading GP practices and PCN membership from the NHS's files: created, updated, closed, refused."""

from datetime import date

import pytest

from factories.primarycare import make_pcn, make_practice
from primarycare.loading import (
    SAMPLE_MEMBERSHIP,
    SAMPLE_PRACTICES,
    LoadFileError,
    load_gp_practices,
    load_pcn_membership,
    load_sample_practices,
)
from primarycare.models import GpPractice, PrimaryCareNetwork

TODAY = date(2025, 6, 1)


def epraccur_row(code="J99101", name="HARBOUR SURGERY", postcode="BH15 1AB", *, status="A", close="",
                 setting="4", address=("QUAY ROAD", "", "POOLE", "DORSET", ""), phone="01632 960201") -> str:
    """One row of ODS's epraccur.csv: 27 columns, no header."""
    cells = [code, name, "Y58", "QVV", *address, postcode, "19740401", close, status, "B", "11J", "20130401", "",
             phone, "", "", "", "0", "", "11J", "", setting, ""]
    assert len(cells) == 27
    return ",".join(f'"{cell}"' for cell in cells)


def epraccur(*rows: str) -> bytes:
    return ("\r\n".join(rows) + "\r\n").encode()


EPCN_HEADER = (
    "Partner Organisation Code,Partner Name,Practice Parent Sub ICB Location Code,Practice Parent Sub ICB Location Name,"
    "PCN Code,PCN Name,PCN Parent Sub ICB Location Code,PCN Parent Sub ICB Location Name,"
    "Practice to PCN Relationship Start Date,Practice to PCN Relationship End Date,Practice Sub ICB and PCN Sub ICB Match?"
)


def epcn_row(practice, pcn="U99101", pcn_name="POOLE CENTRAL PCN", *, start="01/07/2019", end="") -> str:
    return (f"{practice},SOME SURGERY,11J,NHS DORSET ICB - 11J,{pcn},{pcn_name},11J,NHS DORSET ICB - 11J,"
            f"{start},{end},Y")


def epcn(*rows: str, header: bool = True) -> bytes:
    return ("\n".join(([EPCN_HEADER] if header else []) + list(rows)) + "\n").encode()


# GP practices -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_practices_are_created_with_readable_names_and_addresses():
    result = load_gp_practices(epraccur(
        epraccur_row("J99101", "THE HARBOUR MEDICAL PRACTICE & ST MARY'S"),
        epraccur_row("J99102", "PARKSTONE GP PRACTICE", "BH14 0AB", address=("ASHLEY ROAD", "PARKSTONE", "POOLE", "", "")),
    ), today=TODAY)

    assert (result.created, result.updated, result.closed, result.refused) == (2, 0, 0, [])
    harbour = GpPractice.objects.get(ods_code="J99101")
    assert harbour.name == "The Harbour Medical Practice & St Mary's"
    assert harbour.address == "Quay Road, Poole, Dorset"
    assert (harbour.postcode, harbour.phone, harbour.is_open, harbour.closed_on) == ("BH15 1AB", "01632 960201", True, None)
    assert GpPractice.objects.get(ods_code="J99102").name == "Parkstone GP Practice"


@pytest.mark.django_db
def test_loading_again_updates_in_place_and_keeps_the_nhsmail_address_and_pcn():
    network = make_pcn("Poole Central PCN")
    practice = make_practice("Old Name", ods_code="J99101", nhsmail="harbour.surgery@nhs.net", pcn=network)

    result = load_gp_practices(epraccur(epraccur_row("J99101", "HARBOUR SURGERY", "bh15 1ab")), today=TODAY)
    again = load_gp_practices(epraccur(epraccur_row("J99101", "HARBOUR SURGERY", "BH15 1AB")), today=TODAY)

    assert (result.created, result.updated) == (0, 1)
    assert (again.updated, again.unchanged) == (0, 1)
    practice.refresh_from_db()
    assert practice.name == "Harbour Surgery"
    assert practice.nhsmail == "harbour.surgery@nhs.net"
    assert practice.pcn == network
    assert GpPractice.objects.count() == 1


@pytest.mark.django_db
def test_closed_practices_are_kept_marked_closed_and_never_deleted():
    open_now = make_practice("Winton Health Centre", ods_code="J99103")
    untouched = make_practice("Not In This File", ods_code="J99104")

    result = load_gp_practices(epraccur(
        epraccur_row("J99103", "WINTON HEALTH CENTRE", status="C", close="20250331"),
        # A close date that has passed closes it even while the status still says active.
        epraccur_row("J99105", "KINSON SURGERY", close="20240930"),
        # A close date still to come: open until then.
        epraccur_row("J99106", "CHRISTCHURCH SURGERY", close="20251231"),
    ), today=TODAY)

    assert (result.created, result.closed) == (1, 2)
    open_now.refresh_from_db()
    assert (open_now.is_open, open_now.closed_on) == (False, date(2025, 3, 31))
    kinson = GpPractice.objects.get(ods_code="J99105")
    assert (kinson.is_open, kinson.closed_on) == (False, date(2024, 9, 30))
    assert GpPractice.objects.get(ods_code="J99106").is_open
    untouched.refresh_from_db()
    assert untouched.is_open
    assert GpPractice.objects.count() == 4


@pytest.mark.django_db
def test_only_gp_practices_are_kept_and_proposed_ones_wait_until_they_open():
    result = load_gp_practices(epraccur(
        epraccur_row("J99101", "POOLE QUAY WALK-IN CENTRE", setting="1"),
        epraccur_row("J99102", "NEW SURGERY", status="P"),
        epraccur_row("J99103", "DORMANT SURGERY", status="D"),
    ), today=TODAY)

    assert (result.not_gp_practices, result.not_yet_open, result.created) == (1, 1, 1)
    assert list(GpPractice.objects.values_list("ods_code", flat=True)) == ["J99103"]


@pytest.mark.django_db
def test_messy_rows_with_a_clear_meaning_load_and_the_rest_are_refused_with_their_line():
    result = load_gp_practices(epraccur(
        epraccur_row(" j99101 ", "Lower Hamworthy Surgery", "bh15  2af"),
        epraccur_row("J99102", "UPTON SURGERY", "BH16"),
        epraccur_row("J9910", "SHORT CODE SURGERY"),
        epraccur_row("J99104", ""),
        epraccur_row("J99105", "BAD DATE SURGERY", close="31/13/2024"),
        '"J99106","CUT SHORT SURGERY","Y58"',
        epraccur_row("J99101", "HARBOUR SURGERY AGAIN"),
        epraccur_row("J99107", "STRANGE STATUS SURGERY", status="X"),
    ), today=TODAY)

    practice = GpPractice.objects.get()
    assert (practice.ods_code, practice.name, practice.postcode) == ("J99101", "Lower Hamworthy Surgery", "BH15 2AF")
    refused = {row.line: row.message for row in result.refused}
    assert sorted(refused) == [2, 3, 4, 5, 6, 7, 8]
    assert "BH16" in refused[2] and "postcode" in refused[2]
    assert "J9910" in refused[3] and "ODS code" in refused[3]
    assert "name is missing" in refused[4]
    assert "31/13/2024" in refused[5]
    assert "3 columns, not 27" in refused[6]
    assert "also on line 1" in refused[7]
    assert "“X”" in refused[8]
    assert result.created == 1


@pytest.mark.django_db
def test_a_mistyped_code_on_the_first_row_is_refused_as_a_row_not_taken_for_a_header():
    result = load_gp_practices(epraccur(epraccur_row("J9910"), epraccur_row("J99102")), today=TODAY)

    assert [row.line for row in result.refused] == [1]
    assert result.created == 1


@pytest.mark.django_db
def test_a_header_row_is_read_by_its_column_names():
    text = ("Organisation Code,Name,Postcode,Status Code,Prescribing Setting\n"
            "J99101,HARBOUR SURGERY,BH15 1AB,A,4\n"
            "J99102,UPTON SURGERY,BH16\n")
    result = load_gp_practices(text.encode(), today=TODAY)

    assert result.created == 1
    assert [(row.line, "postcode" in row.message) for row in result.refused] == [(3, True)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"PK\x03\x04\x14\x00\x00\x00", "zip file or an Excel workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        (b"Practice,Where\nHarbour,Poole\n", "2 columns"),
        (EPCN_HEADER.encode() + b"\n", "PCN membership file"),
        (b"Organisation Code,Name\nJ99101,HARBOUR\n", "no Postcode column"),
        (b'"J99101","HARBOUR SURGERY' + b"\n" + epraccur_row().encode(), "not a CSV file"),
        (b"".join([b"A,B,C,D,E,F,G,H,I,J,K,L,M,N\n", epraccur_row().encode()]), "neither an ODS code"),
    ],
)
def test_a_whole_file_problem_is_one_error_and_saves_nothing(content, words):
    make_practice("Harbour Surgery", ods_code="J99101")
    with pytest.raises(LoadFileError) as raised:
        load_gp_practices(content + b"\n" + epraccur(epraccur_row("J99199", "NEW SURGERY")) if words == "2 columns"
                          else content, today=TODAY)
    assert words in str(raised.value)
    assert list(GpPractice.objects.values_list("ods_code", "name")) == [("J99101", "Harbour Surgery")]


# PCN membership -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pcns_are_created_and_each_practice_joins_its_current_one():
    harbour = make_practice(ods_code="J99101", pcn=None)
    hamworthy = make_practice(ods_code="J99102", pcn=None)
    moved = make_practice(ods_code="J99103", pcn=None)
    left = make_practice(ods_code="J99104", pcn=make_pcn("Parkstone PCN", ods_code="U99102"))

    result = load_pcn_membership(epcn(
        epcn_row("J99101"),
        epcn_row(" j99102 ", "u99101"),
        epcn_row("J99103", "U99103", "BLANDFORD PCN", end="31/03/2022"),
        epcn_row("J99103", start="01/04/2022"),
        epcn_row("J99104", "U99102", "PARKSTONE PCN", end="20250331"),
        epcn_row("J99199"),
    ), today=TODAY)

    central = PrimaryCareNetwork.objects.get(ods_code="U99101")
    assert (central.name, central.sub_icb_location) == ("Poole Central PCN", "NHS Dorset ICB - 11J")
    for practice in (harbour, hamworthy, moved, left):
        practice.refresh_from_db()
    assert harbour.pcn == hamworthy.pcn == moved.pcn == central
    assert left.pcn is None
    assert not PrimaryCareNetwork.objects.filter(ods_code="U99103").exists()
    assert (result.networks_created, result.practices_joined, result.practices_left) == (1, 3, 1)
    assert result.not_current == 2
    assert result.practices_not_held == [(7, "J99199")]
    assert result.refused == []


@pytest.mark.django_db
def test_loading_membership_again_updates_networks_in_place():
    practice = make_practice(ods_code="J99101", nhsmail="harbour@nhs.net", pcn=None)
    load_pcn_membership(epcn(epcn_row("J99101")), today=TODAY)

    result = load_pcn_membership(epcn(epcn_row("J99101", pcn_name="POOLE TOWN PCN")), today=TODAY)

    assert (result.networks_created, result.networks_updated, result.practices_unchanged) == (0, 1, 1)
    network = PrimaryCareNetwork.objects.get()
    assert network.name == "Poole Town PCN"
    practice.refresh_from_db()
    assert (practice.pcn, practice.nhsmail) == (network, "harbour@nhs.net")


@pytest.mark.django_db
def test_membership_rows_that_cannot_be_read_are_refused_with_their_line():
    make_practice(ods_code="J99101", pcn=None)
    make_practice(ods_code="J99102", pcn=None)

    result = load_pcn_membership(epcn(
        epcn_row("J99101"),
        epcn_row("J99101", "U99102", "OTHER PCN"),
        epcn_row("J99102", "99102"),
        epcn_row("J99102", start="2019-13-01"),
        epcn_row("J99102", start="01/04/2024", end="01/04/2023"),
    ), today=TODAY)

    refused = {row.line: row.message for row in result.refused}
    assert sorted(refused) == [3, 4, 5, 6]
    assert "already in U99101 on line 2" in refused[3]
    assert "“99102” is not a PCN code" in refused[4]
    assert "2019-13-01" in refused[5]
    assert "ends before it starts" in refused[6]
    assert GpPractice.objects.get(ods_code="J99102").pcn is None


@pytest.mark.django_db
def test_membership_without_a_header_is_read_in_the_ods_report_s_order():
    make_practice(ods_code="J99101", pcn=None)
    result = load_pcn_membership(epcn(epcn_row("J99101", start="20190701"), header=False), today=TODAY)
    assert result.practices_joined == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"PK\x03\x04rest", "Save As, CSV"),
        (epraccur(epraccur_row()), "GP practices file"),
        (b"Partner Organisation Code,PCN Name\nJ99101,POOLE PCN\n", "no PCN Code column"),
        (b"J99101,POOLE\n", "not a header row"),
    ],
)
def test_a_whole_membership_file_problem_saves_nothing(content, words):
    practice = make_practice(ods_code="J99101", pcn=None)
    with pytest.raises(LoadFileError) as raised:
        load_pcn_membership(content, today=TODAY)
    assert words in str(raised.value)
    practice.refresh_from_db()
    assert practice.pcn is None
    assert not PrimaryCareNetwork.objects.exists()


# The samples --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_samples_load_the_demo_areas_practices_and_networks_and_load_again_unchanged():
    practices, membership = load_sample_practices(today=TODAY)

    assert (practices.created, practices.closed, practices.not_gp_practices, practices.not_yet_open) == (34, 2, 1, 1)
    assert [row.line for row in practices.refused] == [22]
    assert {GpPractice.objects.get(ods_code=code).name for code in ("J99001", "N99001", "B99001")} == {
        "Harbour Surgery", "Castlefields Health Centre", "Beeston Village Surgery"}
    assert GpPractice.objects.get(ods_code="J99021").postcode == "BH15 2AF"
    assert not GpPractice.objects.get(ods_code="J99019").is_open
    assert GpPractice.objects.get(ods_code="J99013").pcn.name == "Christchurch & East Dorset PCN"
    assert GpPractice.objects.get(ods_code="B99004").pcn.ods_code == "U99031"
    assert GpPractice.objects.get(ods_code="J99019").pcn is None
    assert membership.practices_not_held == [(24, "J99099")]
    assert len(membership.refused) == 1
    assert PrimaryCareNetwork.objects.count() == 16

    again_practices, again_membership = load_sample_practices(today=TODAY)
    assert (again_practices.created, again_practices.updated, again_practices.unchanged) == (0, 0, 36)
    assert (again_membership.networks_created, again_membership.practices_joined) == (0, 0)
    assert SAMPLE_PRACTICES.exists() and SAMPLE_MEMBERSHIP.exists()
