"""The eligibility check triage sees: each of the service's rules met, not met, or cannot tell, and why."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from factories.primarycare import make_pcn, make_practice
from factories.referrals import make_referral, make_resident
from referrals.eligibility import (
    Outcome,
    age_on,
    check_eligibility,
    eligibility_summary,
)
from referrals.models import Referral

pytestmark = pytest.mark.django_db

RECEIVED = timezone.make_aware(datetime(2026, 6, 10, 9, 30))


def referral_for(service, **resident_fields):
    referral = make_referral(service=service, resident=make_resident(service=service, **resident_fields))
    Referral.objects.filter(pk=referral.pk).update(received_at=RECEIVED)
    referral.refresh_from_db()
    return referral


def only(checks, starting: str):
    [check] = [c for c in checks if c.rule.startswith(starting)]
    return check


def test_age_is_reckoned_on_the_day_the_referral_was_received(service):
    service.minimum_age = 18
    service.save()
    # 18 the day after it was received: 17 on the day, whatever their age today.
    young = referral_for(service, date_of_birth=date(2008, 6, 11))
    adult = referral_for(service, date_of_birth=date(2008, 6, 10))

    [check] = check_eligibility(young)
    assert check.rule == "Aged 18 or over"
    assert check.outcome == Outcome.NOT_MET
    assert check.why == "Aged 17 on the day received (10 June 2026): the service is for 18 and over"
    [check] = check_eligibility(adult)
    assert check.outcome == Outcome.MET
    assert check.why.startswith("Aged 18 on the day received")


def test_an_upper_age_limit_and_a_range(service):
    service.minimum_age, service.maximum_age = 18, 25
    service.save()
    [check] = check_eligibility(referral_for(service, date_of_birth=date(1990, 1, 1)))
    assert check.rule == "Aged 18 to 25"
    assert check.outcome == Outcome.NOT_MET
    assert "Aged 36" in check.why and "for people aged 18 to 25" in check.why

    service.minimum_age = None
    service.save()
    [check] = check_eligibility(referral_for(service, date_of_birth=date(2001, 6, 10)))
    assert check.rule == "Aged 25 or under" and check.outcome == Outcome.MET


def test_no_date_of_birth_cannot_tell(service):
    service.minimum_age = 18
    service.save()
    [check] = check_eligibility(referral_for(service, date_of_birth=None))
    assert check.outcome == Outcome.CANNOT_TELL
    assert check.why == "No date of birth recorded: cannot tell"


def test_born_on_29_february():
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_registered_with_a_practice_in_a_network_the_service_covers(service):
    ours, theirs = make_pcn("Poole Central PCN"), make_pcn("Bournemouth East PCN")
    service.requires_practice_in_area = True
    service.save()
    service.pcns.set([ours])
    inside = make_practice("Harbour Surgery", pcn=ours)
    outside = make_practice("Boscombe Surgery", pcn=theirs)

    [check] = check_eligibility(referral_for(service, practice=inside))
    assert check.rule == "Registered with a GP practice the service covers"
    assert check.outcome == Outcome.MET
    assert check.why == "Registered at Harbour Surgery, in Poole Central PCN, which the service covers"

    [check] = check_eligibility(referral_for(service, practice=outside))
    assert check.outcome == Outcome.NOT_MET
    assert check.why == "Registered at Boscombe Surgery, in Bournemouth East PCN, which the service does not cover"


def test_no_gp_is_not_met_and_a_practice_as_written_cannot_tell(service):
    service.requires_practice_in_area = True
    service.save()
    service.pcns.set([make_pcn()])

    [check] = check_eligibility(referral_for(service, has_no_gp=True))
    assert (check.outcome, check.why) == (Outcome.NOT_MET, "Not registered with a GP")
    [check] = check_eligibility(referral_for(service, gp_practice="The surgery on the quay"))
    assert check.outcome == Outcome.CANNOT_TELL
    assert "The surgery on the quay" in check.why and check.why.endswith("cannot tell")
    [check] = check_eligibility(referral_for(service))
    assert (check.outcome, check.why) == (Outcome.CANNOT_TELL, "No GP practice recorded: cannot tell")
    [check] = check_eligibility(referral_for(service, practice=make_practice("Lonely Surgery", pcn=None)))
    assert check.outcome == Outcome.CANNOT_TELL and "Lonely Surgery" in check.why


def test_each_exclusion_is_for_triage_to_rule_out(service):
    service.exclusions = "In crisis and needing urgent mental health care\n\n  Receiving palliative care  \n"
    service.save()
    checks = check_eligibility(referral_for(service))
    assert [(c.rule, c.outcome, c.why) for c in checks] == [
        ("Not: In crisis and needing urgent mental health care", Outcome.CANNOT_TELL, "Cannot tell: triage to rule out"),
        ("Not: Receiving palliative care", Outcome.CANNOT_TELL, "Cannot tell: triage to rule out"),
    ]


def test_rules_the_service_does_not_have_are_not_checked(service):
    assert check_eligibility(referral_for(service, date_of_birth=date(2015, 1, 1), has_no_gp=True)) == []
    assert eligibility_summary([]).text == "The service has no eligibility rules Signpost can check."


def test_the_summary_puts_a_rule_not_met_first_then_what_cannot_be_told(service):
    service.minimum_age = 18
    service.exclusions = "In crisis"
    service.save()
    adult = check_eligibility(referral_for(service, date_of_birth=date(1980, 1, 1)))
    child = check_eligibility(referral_for(service, date_of_birth=date(2015, 1, 1)))

    summary = eligibility_summary(adult)
    assert summary.outcome == Outcome.CANNOT_TELL and "1 cannot be told" in summary.text
    summary = eligibility_summary(child)
    assert summary.outcome == Outcome.NOT_MET and "aged 18 or over" in summary.text
    assert eligibility_summary([c for c in adult if c.met]).outcome == Outcome.MET


def test_a_referral_not_yet_received_is_checked_on_the_day_given(service):
    service.minimum_age = 18
    service.save()
    resident = make_resident(service=service, date_of_birth=date(2008, 6, 11))
    referral = Referral(service=service, resident=resident, received_at=None)
    [check] = check_eligibility(referral, today=date(2026, 6, 11))
    assert check.outcome == Outcome.MET
