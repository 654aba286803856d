"""The commands that load the NHS's files: a progress bar on a terminal, and a summary of what they did."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from factories.primarycare import make_practice
from primarycare.loading import SAMPLE_MEMBERSHIP, SAMPLE_PRACTICES
from primarycare.models import GpPractice


def _run(command: str, path) -> str:
    out = StringIO()
    call_command(command, str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_the_commands_load_the_samples_and_say_what_they_did():
    kept = make_practice("Harbour Surgery", ods_code="J99001", nhsmail="harbour.surgery@nhs.net")

    practices = _run("load_gp_practices", SAMPLE_PRACTICES)
    membership = _run("load_pcn_membership", SAMPLE_MEMBERSHIP)

    assert "created                     33" in practices
    assert "updated                     1" in practices
    assert "closed                      2" in practices
    assert "Refused 1 row" in practices
    assert "line 22: the postcode “BH16” is not a full UK postcode" in practices
    assert "networks created" in membership and "16" in membership
    assert "J99099" in membership
    assert "line 21: the relationship start date “2019-13-01” is not a date" in membership
    kept.refresh_from_db()
    assert kept.nhsmail == "harbour.surgery@nhs.net"


@pytest.mark.django_db
def test_a_file_that_is_not_the_practices_file_is_a_clear_error_and_changes_nothing():
    with pytest.raises(CommandError) as raised:
        _run("load_gp_practices", SAMPLE_MEMBERSHIP)

    assert "This is the PCN membership file, not the GP practices file" in str(raised.value)
    assert "Nothing was saved." in str(raised.value)
    assert not GpPractice.objects.exists()


@pytest.mark.django_db
def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError) as raised:
        _run("load_pcn_membership", tmp_path / "missing.csv")

    assert "Cannot read" in str(raised.value)
