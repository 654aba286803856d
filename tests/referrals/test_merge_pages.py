"""Same person: triage compares two records that may be one person and joins them; no one else can."""

from datetime import date

import pytest

from factories import referrals as factories
from referrals import people
from referrals.choices import AuditAction
from referrals.models import AuditEntry, Resident
from referrals.roles import actor_for_user


@pytest.fixture
def pair(service, triage):
    """An earlier record with a referral, and a later one made in error for the same person (a new referral)."""
    earlier = factories.make_resident(service=service, first_name="Olive", last_name="Quennell",
                                      date_of_birth=date(1950, 5, 6), postcode="BH15 1AB", phone="07700 900101")
    later = factories.make_resident(service=service, first_name="olive", last_name="Quennell ",
                                    date_of_birth=date(1950, 5, 6), postcode="bh15 1ab", phone="07700 900202")
    old = factories.make_referral(service=service, resident=earlier, triage=triage)
    new = factories.make_referral(service=service, resident=later, triage=triage)
    return earlier, later, old, new


def _url(referral, match) -> str:
    return f"/referrals/triage/{referral.pk}/same-person/{match.pk}/"


def test_triage_sees_the_possible_match_and_compares_both_records_side_by_side(sign_in, triage, pair):
    earlier, later, old, new = pair
    context = people.triage_context(new, actor=actor_for_user(triage))
    assert [match.url for match in context["person_matches"]] == [_url(new, earlier)]

    response = sign_in(triage).get(_url(new, earlier))

    page = response.content.decode()
    assert response.status_code == 200
    assert "07700 900101" in page and "07700 900202" in page
    assert old.reference in page and new.reference in page
    assert "Earlier record (kept)" in page and "csrfmiddlewaretoken" in page
    for resident in (earlier, later):
        assert AuditEntry.objects.filter(resident_id=resident.pk, action=AuditAction.VIEW,
                                         what="same person: records compared").exists()


def test_triage_joins_the_records_and_returns_to_the_referral(sign_in, triage, pair):
    earlier, later, old, new = pair
    client = sign_in(triage)

    response = client.post(_url(new, earlier), {"merge-note": "Checked with her GP"})

    assert response.status_code == 302
    assert response["Location"] == f"/referrals/triage/{new.pk}/"
    later.refresh_from_db()
    new.refresh_from_db()
    assert later.merged_into == earlier and new.resident == earlier
    assert AuditEntry.objects.filter(resident_id=later.pk, what=people.MERGED_WHAT).exists()
    page = client.get(f"/referrals/{new.pk}/").content.decode()
    assert "Joined to the person" in page and old.reference in page
    # Joined, it is no longer offered as a match; the page for it is gone.
    assert client.get(_url(new, earlier)).status_code == 404


def test_a_link_worker_cannot_compare_or_join_records(sign_in, link_worker, pair):
    earlier, later, _, new = pair
    client = sign_in(link_worker)
    assert client.get(_url(new, earlier)).status_code == 403
    assert client.post(_url(new, earlier)).status_code == 403
    later.refresh_from_db()
    assert later.merged_into is None


def test_triage_of_another_service_finds_nothing(sign_in, other_service, pair):
    earlier, later, _, new = pair
    client = sign_in(factories.make_triage(service=other_service, username="halton-triage"))
    assert client.get(_url(new, earlier)).status_code == 404
    assert client.post(_url(new, earlier)).status_code == 404
    later.refresh_from_db()
    assert later.merged_into is None


def test_a_record_that_is_not_a_possible_match_cannot_be_joined_here(sign_in, service, triage, pair):
    new = pair[3]
    stranger = factories.make_resident(service=service, first_name="Olive", last_name="Quennell",
                                       date_of_birth=date(1961, 1, 1), postcode="BH15 1AB")
    client = sign_in(triage)
    assert client.get(_url(new, stranger)).status_code == 404
    assert client.post(_url(new, stranger)).status_code == 404
    assert not Resident.objects.filter(merged_into__isnull=False).exists()
