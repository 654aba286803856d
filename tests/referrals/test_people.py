"""One record per person within a service: a new referral with a known NHS number joins the person's record
(through the staff form, the API and the online self-referral), a name, date of birth and postcode only
suggests a match, nothing crosses services, and the person's earlier referrals and re-referrals are seen.
"""

import threading
import time
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.utils import timezone

from factories import referrals as factories
from referrals import people, services
from referrals.choices import AuditAction, ConsentPurpose, ReferralStatus, Source
from referrals.errors import ReferralError
from referrals.models import ApiToken, AuditEntry, Referral, ReferralEvent, Resident
from referrals.roles import Actor, actor_for_user

NHS_NUMBER = "9434765919"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # The self-referral's rate limit lives in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def known(service):
    """A person the service already knows, with one earlier referral."""
    resident = factories.make_resident(
        service=service, first_name="Ben", last_name="Carter", date_of_birth=date(1948, 4, 3),
        nhs_number=NHS_NUMBER, phone="07700 900001", email="ben.old@example.net", postcode="BH15 1AB",
        address="1 Old Road, Poole", preferred_contact="phone",
    )
    factories.make_referral(service=service, resident=resident)
    return resident


def _staff_form(needs, **overrides):
    data = {
        "source": "primary_care", "referrer_name": "Dr A Patel", "referrer_role": "GP",
        "referrer_organisation": "Harbour Surgery", "referrer_email": "referrals@harbour-surgery.example.nhs.uk",
        "first_name": "Ben", "last_name": "Carter",
        "date_of_birth_day": "3", "date_of_birth_month": "4", "date_of_birth_year": "1948",
        "nhs_number": "943 476 5919", "postcode": "BH15 1AB", "address": "2 Quay Road, Poole",
        "gp_practice": "Harbour Surgery", "preferred_contact": "phone", "email": "", "phone": "07700 900789",
        "language": "English", "priority": "routine", "needs": [str(needs["walking"].pk)],
        "what_matters": "Wants to get out more.", "notes": "", "consent_referral": "yes",
        "consent_share_with_provider": "yes", "consent_method": "verbal",
        "consent_given_by": "The person themselves",
    }
    data.update(overrides)
    return data


def _self_referral_form(needs, **overrides):
    data = {
        "first_name": "Ben", "last_name": "Carter",
        "date_of_birth_day": "3", "date_of_birth_month": "4", "date_of_birth_year": "1948",
        "postcode": "bh15 1ab", "address": "99 Elsewhere Street, Poole", "preferred_contact": "email",
        "email": "someone.else@example.net", "phone": "", "language": "English", "gp_practice": "Harbour Surgery",
        "nhs_number": "943-476-5919", "needs": [str(needs["loneliness"].pk)], "what_matters": "Meeting people.",
        "consent_referral": "yes", "consent_share_with_provider": "yes", "website": "",
    }
    data.update(overrides)
    return data


def _referral_fields(**changes):
    fields = {"source": Source.PRIMARY_CARE, "referrer": {"name": "Dr A Patel"},
              "consents": {ConsentPurpose.REFERRAL: True}}
    fields.update(changes)
    return fields


def _person(**changes):
    fields = {"first_name": "Ben", "last_name": "Carter", "date_of_birth": date(1948, 4, 3),
              "nhs_number": NHS_NUMBER, "phone": "07700 900789", "preferred_contact": "phone",
              "postcode": "BH15 1AB"}
    fields.update(changes)
    return fields


# Joining by NHS number --------------------------------------------------------------------------


def test_a_referral_keyed_in_by_staff_for_a_known_nhs_number_joins_the_person_s_record(
    sign_in, triage, service, known, needs
):
    client = sign_in(triage)

    response = client.post("/referrals/triage/new/", _staff_form(needs))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Resident.objects.filter(service=service).count() == 1
    new = Referral.objects.latest("received_at")
    assert new.resident == known
    assert known.referrals.count() == 2
    known.refresh_from_db()
    # Staff vouch for what they key in: the contact details are brought up to date.
    assert known.phone == "07700 900789"
    assert known.address == "2 Quay Road, Poole"
    assert known.email == "ben.old@example.net"  # a blank value never wipes one out
    assert known.gp_practice == "Harbour Surgery"
    joined = new.events.get(action=people.JOINED_ACTION)
    assert "joined their record" in joined.note and "phone" in joined.note
    assert AuditEntry.objects.filter(resident_id=known.pk, action=AuditAction.CHANGE,
                                     what__startswith="resident record: joined by a new referral").exists()
    page = client.get(f"/referrals/{new.pk}/").content.decode()
    assert "Earlier referrals for this person" in page
    assert known.referrals.exclude(pk=new.pk).get().reference in page


def test_a_referral_through_the_api_for_a_known_nhs_number_joins_the_person_s_record(client, service, known):
    key = ApiToken.issue(name="EMIS at Harbour Surgery", service=service)[1]
    body = {
        "resident": {"first_name": "Ben", "last_name": "Carter", "date_of_birth": "1948-04-03",
                     "nhs_number": "943 476 5919", "phone": "07700 900555", "preferred_contact": "text",
                     "postcode": "BH15 1AB"},
        "source": "primary_care", "referrer": {"name": "Dr A Patel"}, "needs": [],
        "consents": {"referral": True, "share_with_provider": True, "feedback_to_referrer": False, "method": "verbal"},
    }

    response = client.post("/api/v1/referrals/create/", data=body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 201, response.content
    assert Resident.objects.filter(service=service).count() == 1
    assert known.referrals.count() == 2
    known.refresh_from_db()
    assert known.phone == "07700 900555" and known.preferred_contact == "text"


def test_a_self_referral_for_a_known_nhs_number_joins_the_record_but_changes_none_of_its_details(
    client, service, known, needs
):
    response = client.post("/refer-yourself/", _self_referral_form(needs))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Resident.objects.filter(service=service).count() == 1
    new = Referral.objects.latest("received_at")
    assert new.resident == known and new.source == Source.SELF
    known.refresh_from_db()
    # No one vouches for an online form: anyone knowing the number could otherwise redirect the person's post.
    assert known.email == "ben.old@example.net"
    assert known.address == "1 Old Road, Poole"
    assert known.preferred_contact == "phone"
    # What they gave is not lost: it waits in the referral's log for triage to check with the person.
    note = new.events.get(action=people.JOINED_ACTION).note
    assert "someone.else@example.net" in note and "99 Elsewhere Street" in note
    # The confirmation page tells whoever typed it nothing about the record: the route they chose.
    sent = client.get("/refer-yourself/sent/").content.decode()
    assert "email" in sent.lower()


def test_the_same_number_typed_differently_joins(service, triage, known):
    actor = actor_for_user(triage)
    for typed in ("943 476 5919", "943-476-5919", " 9434765919 "):
        referral = services.referral_create_for_new_resident(
            actor=actor, service=service, resident=_person(nhs_number=typed), **_referral_fields())
        assert referral.resident == known
    assert Resident.objects.filter(service=service).count() == 1
    assert people.known_person(service, nhs_number="943 476 5919") == known


def test_nothing_joins_across_services(service, other_service, known):
    other_triage = factories.make_triage(service=other_service, username="halton-triage")

    referral = services.referral_create_for_new_resident(
        actor=actor_for_user(other_triage), service=other_service, resident=_person(), **_referral_fields())

    assert referral.resident != known
    assert referral.resident.service == other_service
    assert not referral.events.filter(action=people.JOINED_ACTION).exists()
    assert people.known_person(other_service, nhs_number=NHS_NUMBER) == referral.resident
    assert known.referrals.count() == 1


def test_a_joined_or_anonymised_record_is_never_joined_again(service, triage, known):
    Resident.objects.filter(pk=known.pk).update(nhs_number="", anonymised_at=timezone.now())
    referral = services.referral_create_for_new_resident(
        actor=actor_for_user(triage), service=service, resident=_person(), **_referral_fields())
    assert referral.resident != known


def test_a_record_made_for_a_known_number_is_refused_in_words_never_an_integrity_error(service, triage, known):
    with pytest.raises(ReferralError, match="already has a record with this NHS number"):
        services.resident_create(service=service, actor=actor_for_user(triage), **_person())


def test_a_pre_existing_record_made_while_the_referral_was_typed_is_joined(service, triage):
    """The record appears between the form being opened and sent (as another request would make it)."""
    actor = actor_for_user(triage)
    first = services.referral_create_for_new_resident(actor=actor, service=service, resident=_person(),
                                                      **_referral_fields())
    second = services.referral_create_for_new_resident(actor=actor, service=service, resident=_person(),
                                                       **_referral_fields())
    assert first.resident == second.resident
    assert not first.events.filter(action=people.JOINED_ACTION).exists()
    assert second.events.filter(action=people.JOINED_ACTION).exists()


# Possible matches -------------------------------------------------------------------------------


def test_name_date_of_birth_and_postcode_only_suggest_a_match(service, other_service, triage):
    actor = actor_for_user(triage)
    earlier = factories.make_resident(service=service, first_name="Ben", last_name="Carter",
                                      date_of_birth=date(1948, 4, 3), postcode="BH15 1AB")
    factories.make_resident(service=other_service, first_name="Ben", last_name="Carter",
                            date_of_birth=date(1948, 4, 3), postcode="BH15 1AB")
    factories.make_resident(service=service, first_name="Ben", last_name="Carter",
                            date_of_birth=date(1948, 4, 4), postcode="BH15 1AB")

    referral = services.referral_create_for_new_resident(
        actor=actor, service=service, resident=_person(first_name=" ben ", last_name="CARTER", nhs_number="",
                                                        postcode="bh151ab"),
        **_referral_fields())

    assert referral.resident != earlier  # a new record: only staff confirm a match made this way
    assert people.possible_matches(referral.resident) == [earlier]
    assert people.triage_context(referral, actor=actor)["person_matches"][0].resident == earlier


def test_a_record_with_a_different_nhs_number_is_not_a_match(service):
    a = factories.make_resident(service=service, first_name="Ben", last_name="Carter",
                                date_of_birth=date(1948, 4, 3), nhs_number=NHS_NUMBER)
    b = factories.make_resident(service=service, first_name="Ben", last_name="Carter",
                                date_of_birth=date(1948, 4, 3), nhs_number="4010232137")
    assert people.possible_matches(a) == [] and people.possible_matches(b) == []


# Joining two records ----------------------------------------------------------------------------


@pytest.fixture
def two_records(service):
    earlier = factories.make_resident(service=service, first_name="Ben", last_name="Carter",
                                      date_of_birth=date(1948, 4, 3), nhs_number="", email="ben@example.net")
    later = factories.make_resident(service=service, first_name="Ben", last_name="Carter",
                                    date_of_birth=date(1948, 4, 3), nhs_number=NHS_NUMBER, email="",
                                    phone="07700 900222", preferred_contact="phone")
    first = factories.make_referral(service=service, resident=earlier)
    second = factories.make_referral(service=service, resident=later)
    return earlier, later, first, second


def test_triage_joins_two_records_and_everything_moves_to_the_one_kept(service, triage, two_records):
    earlier, later, first, second = two_records
    actor = actor_for_user(triage)

    kept = people.resident_merge(keep=earlier, duplicate=later, actor=actor, note="Same person, checked by phone")

    later.refresh_from_db()
    assert kept == earlier
    assert set(earlier.referrals.all()) == {first, second}
    assert second.consents.filter(resident=earlier).exists() and not later.consents.exists()
    earlier.refresh_from_db()
    assert earlier.nhs_number == NHS_NUMBER  # blanks filled from the duplicate
    assert earlier.email == "ben@example.net"  # what it had stays
    assert later.merged_into == earlier and later.merged_at is not None
    assert later.first_name == "" and later.nhs_number == "" and later.date_of_birth is None
    for resident in (earlier, later):
        assert AuditEntry.objects.filter(resident_id=resident.pk, action=AuditAction.CHANGE,
                                         what=people.MERGED_WHAT).exists()
    event = ReferralEvent.objects.get(referral=second, action=people.JOINED_ACTION)
    assert event.note.startswith("Joined to the person's earlier record") and "checked by phone" in event.note
    assert not ReferralEvent.objects.filter(referral=first, action=people.JOINED_ACTION).exists()
    # Both referrals stay open: triage sees both on the one record and closes what is not needed.
    assert {first.status, second.status} == {ReferralStatus.RECEIVED}
    second.refresh_from_db()
    assert [item.referral for item in people.earlier_referrals(second)] == [first]


def test_joining_is_refused_across_services(service, other_service, triage):
    mine = factories.make_resident(service=service)
    theirs = factories.make_resident(service=other_service)
    with pytest.raises(ReferralError):
        people.resident_merge(keep=mine, duplicate=theirs, actor=actor_for_user(triage))
    theirs.refresh_from_db()
    assert theirs.merged_into is None


def test_joining_is_refused_when_the_nhs_numbers_differ(service, triage):
    a = factories.make_resident(service=service, nhs_number=NHS_NUMBER)
    b = factories.make_resident(service=service, nhs_number="4010232137")
    with pytest.raises(ReferralError, match="different NHS numbers"):
        people.resident_merge(keep=a, duplicate=b, actor=actor_for_user(triage))


def test_joining_is_refused_for_an_anonymised_or_already_joined_record(service, triage):
    actor = actor_for_user(triage)
    a, b, c = (factories.make_resident(service=service) for _ in range(3))
    Resident.objects.filter(pk=b.pk).update(anonymised_at=timezone.now())
    with pytest.raises(ReferralError, match="personal data removed"):
        people.resident_merge(keep=a, duplicate=b, actor=actor)
    people.resident_merge(keep=a, duplicate=c, actor=actor)
    with pytest.raises(ReferralError, match="already been joined"):
        people.resident_merge(keep=c, duplicate=a, actor=actor)
    with pytest.raises(ReferralError, match="same record"):
        people.resident_merge(keep=a, duplicate=a, actor=actor)


def test_only_triage_of_the_service_may_join_records(service, other_service, link_worker, two_records):
    from referrals.errors import NotPermitted

    earlier, later, _, _ = two_records
    other_triage = factories.make_triage(service=other_service, username="halton-triage")
    token = Actor(label="API: EMIS", roles=frozenset({"triage"}), service_ids=frozenset({service.pk}))
    for actor in (actor_for_user(link_worker), actor_for_user(other_triage), token):
        with pytest.raises(NotPermitted):
            people.resident_merge(keep=earlier, duplicate=later, actor=actor)
    later.refresh_from_db()
    assert later.merged_into is None


# Earlier referrals and re-referrals -------------------------------------------------------------


def _ended(referral, *, days_ago: int, status=ReferralStatus.DISCHARGED, **fields):
    at = timezone.now() - timedelta(days=days_ago)
    stamp = {ReferralStatus.DISCHARGED: "discharged_at", ReferralStatus.NOT_ELIGIBLE: "not_eligible_at",
             ReferralStatus.DECLINED_BY_PERSON: "declined_at"}[status]
    Referral.objects.filter(pk=referral.pk).update(status=status, received_at=at - timedelta(days=30),
                                                   **{stamp: at}, **fields)


def test_a_referral_soon_after_a_discharge_is_a_rereferral(service, triage):
    service.rereferral_days = 90
    service.save()
    resident = factories.make_resident(service=service)
    earlier = factories.make_referral(service=service, resident=resident, triage=triage)
    _ended(earlier, days_ago=20, discharge_reason="goals_met")
    new = factories.make_referral(service=service, resident=resident, triage=triage)

    flag = people.is_rereferral(new)

    assert flag is not None and flag.earlier.referral == earlier and flag.days == 20
    history = people.earlier_referrals(new)
    assert [item.referral for item in history] == [earlier]
    assert history[0].how_it_ended.startswith("Discharged")


def test_a_referral_long_after_a_discharge_is_not_a_rereferral(service, triage):
    service.rereferral_days = 30
    service.save()
    resident = factories.make_resident(service=service)
    earlier = factories.make_referral(service=service, resident=resident, triage=triage)
    _ended(earlier, days_ago=45)
    new = factories.make_referral(service=service, resident=resident, triage=triage)

    assert people.is_rereferral(new) is None
    assert len(people.earlier_referrals(new)) == 1


def test_declined_as_not_eligible_counts_and_a_period_of_zero_turns_the_flag_off(service, triage):
    resident = factories.make_resident(service=service)
    earlier = factories.make_referral(service=service, resident=resident, triage=triage)
    _ended(earlier, days_ago=5, status=ReferralStatus.NOT_ELIGIBLE, not_eligible_reason="in_crisis")
    new = factories.make_referral(service=service, resident=resident, triage=triage)
    assert people.is_rereferral(new).earlier.how_it_ended.startswith("Not eligible")
    service.rereferral_days = 0
    service.save()
    new.refresh_from_db()
    assert people.is_rereferral(new) is None


def test_the_referral_page_flags_a_rereferral_and_links_only_what_the_viewer_may_open(
    sign_in, service, triage, link_worker
):
    resident = factories.make_resident(service=service, last_name="Quayle")
    earlier = factories.make_referral(service=service, resident=resident, triage=triage)
    _ended(earlier, days_ago=10)
    new = factories.make_referral(service=service, resident=resident, triage=triage,
                                  status=ReferralStatus.TRIAGED, link_worker=link_worker)

    page = sign_in(triage).get(f"/referrals/{new.pk}/").content.decode()
    assert "Re-referral" in page and f'href="/referrals/{earlier.pk}/"' in page

    page = sign_in(link_worker).get(f"/referrals/{new.pk}/").content.decode()
    # The link worker sees that there was an earlier referral and how it ended, but it is not on their caseload.
    assert earlier.reference in page and f'href="/referrals/{earlier.pk}/"' not in page


# Two referrals at once --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_referrals_for_one_new_nhs_number_at_once_make_one_record(service, triage):
    """The first request holds its new record uncommitted until the second is waiting on the unique
    index; then the database refuses the second's insert, and it joins the first's record."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row-level waits")  # deselected on SQLite by tests/conftest.py
    actor = actor_for_user(triage)
    second_waiting = threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                outcomes["first"] = services.referral_create_for_new_resident(
                    actor=actor, service=service, resident=_person(), **_referral_fields())
                second_waiting.wait(timeout=20)
        except Exception as error:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes["first"] = error
        finally:
            connections.close_all()

    def second():
        try:
            outcomes["second"] = services.referral_create_for_new_resident(
                actor=actor, service=service, resident=_person(phone="07700 900333"), **_referral_fields())
        except Exception as error:  # noqa: BLE001
            outcomes["second"] = error
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    while "first" not in outcomes and one.is_alive():
        time.sleep(0.05)
    two = threading.Thread(target=second)
    two.start()
    deadline = time.monotonic() + 20
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()")
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
    second_waiting.set()
    one.join(timeout=30)
    two.join(timeout=30)

    assert isinstance(outcomes["first"], Referral), outcomes
    assert isinstance(outcomes["second"], Referral), outcomes
    assert Resident.objects.filter(service=service).count() == 1
    assert outcomes["first"].resident_id == outcomes["second"].resident_id
    assert Referral.objects.get(pk=outcomes["second"].pk).events.filter(action=people.JOINED_ACTION).exists()
