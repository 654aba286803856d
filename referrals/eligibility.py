"""Whether a referral fits who the service is for: its eligibility rules, checked where Signpost can.

The service states its eligibility in plain words (``eligibility_text``) and, where they can be
checked, as rules (``minimum_age``, ``maximum_age``, ``requires_practice_in_area``, and each line of
``exclusions``). ``check_eligibility`` answers each rule with met, not met or cannot tell, and says why
in words triage can read out; triage decides (accept, redirect, decline as not eligible): the check
never turns a referral away by itself. An exclusion (in crisis, say) is something only a person can
rule out, so it is always "cannot tell: triage to rule out".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.formats import date_format


class Outcome:
    MET = "met"
    NOT_MET = "not_met"
    CANNOT_TELL = "cannot_tell"

    LABELS = {MET: "Met", NOT_MET: "Not met", CANNOT_TELL: "Cannot tell"}


@dataclass(frozen=True)
class Check:
    rule: str  # the rule in plain words ("Aged 18 or over")
    outcome: str  # Outcome.MET, NOT_MET or CANNOT_TELL
    why: str  # why, in words ("Aged 17 on the day received: the service is for 18 and over")

    @property
    def outcome_label(self) -> str:
        return Outcome.LABELS[self.outcome]

    @property
    def met(self) -> bool:
        return self.outcome == Outcome.MET

    @property
    def not_met(self) -> bool:
        return self.outcome == Outcome.NOT_MET

    @property
    def cannot_tell(self) -> bool:
        return self.outcome == Outcome.CANNOT_TELL


@dataclass(frozen=True)
class Summary:
    outcome: str  # NOT_MET if any rule is not met, else CANNOT_TELL if any cannot be told, else MET
    text: str

    @property
    def outcome_label(self) -> str:
        return Outcome.LABELS[self.outcome]


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years from ``date_of_birth`` to ``day`` (someone born on 29 February turns a year older on
    1 March in a year without one)."""
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


def received_on(referral, *, today: date | None = None) -> date:
    """The day the service received ``referral`` (local date); ``today`` (or today) for one not yet saved."""
    if referral.received_at is not None:
        return timezone.localdate(referral.received_at)
    return today or timezone.localdate()


def age_rule_words(service) -> str:
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        return f"Aged {low} to {high}"
    if low is not None:
        return f"Aged {low} or over"
    return f"Aged {high} or under"


def _age_range_words(service) -> str:
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        return f"the service is for people aged {low} to {high}"
    if low is not None:
        return f"the service is for {low} and over"
    return f"the service is for {high} and under"


def _age_check(referral, *, today) -> Check:
    service = referral.service
    rule = age_rule_words(service)
    date_of_birth = referral.resident.date_of_birth
    if date_of_birth is None:
        return Check(rule, Outcome.CANNOT_TELL, "No date of birth recorded: cannot tell")
    day = received_on(referral, today=today)
    age = age_on(date_of_birth, day)
    too_young = service.minimum_age is not None and age < service.minimum_age
    too_old = service.maximum_age is not None and age > service.maximum_age
    why = f"Aged {age} on the day received ({date_format(day, 'j F Y')}): {_age_range_words(service)}"
    if too_young or too_old:
        return Check(rule, Outcome.NOT_MET, why)
    return Check(rule, Outcome.MET, f"Aged {age} on the day received ({date_format(day, 'j F Y')})")


def _practice_check(referral) -> Check:
    service = referral.service
    resident = referral.resident
    rule = "Registered with a GP practice the service covers"
    covered = list(service.pcns.all())
    practice = resident.practice if resident.practice_id else None
    if practice is not None:
        pcn = practice.pcn
        if pcn is None:
            return Check(rule, Outcome.CANNOT_TELL,
                         f"Registered at {practice.name}, whose primary care network is not on record: cannot tell")
        if not covered:
            return Check(rule, Outcome.CANNOT_TELL,
                         "The service has no primary care networks set up (ask an administrator): cannot tell")
        if any(network.pk == pcn.pk for network in covered):
            return Check(rule, Outcome.MET, f"Registered at {practice.name}, in {pcn.name}, which the service covers")
        return Check(rule, Outcome.NOT_MET,
                     f"Registered at {practice.name}, in {pcn.name}, which the service does not cover")
    if resident.has_no_gp:
        return Check(rule, Outcome.NOT_MET, "Not registered with a GP")
    if resident.gp_practice.strip():
        return Check(rule, Outcome.CANNOT_TELL,
                     f"Practice written as “{resident.gp_practice.strip()}”, not one on the list: cannot tell")
    return Check(rule, Outcome.CANNOT_TELL, "No GP practice recorded: cannot tell")


def check_eligibility(referral, *, today: date | None = None) -> list[Check]:
    """Each of the service's eligibility rules, answered for ``referral`` (age on the day it was
    received; ``today`` stands in for a referral not yet received). A service with no rules has no checks."""
    service = referral.service
    checks = []
    if service.minimum_age is not None or service.maximum_age is not None:
        checks.append(_age_check(referral, today=today))
    if service.requires_practice_in_area:
        checks.append(_practice_check(referral))
    for exclusion in service.exclusion_list:
        checks.append(Check(f"Not: {exclusion}", Outcome.CANNOT_TELL, "Cannot tell: triage to rule out"))
    return checks


def eligibility_summary(checks: list[Check]) -> Summary:
    """One line for the whole check: any rule not met, else any to rule out, else all met."""
    if not checks:
        return Summary(Outcome.MET, "The service has no eligibility rules Signpost can check.")
    not_met = [c for c in checks if c.not_met]
    unknown = [c for c in checks if c.cannot_tell]
    if not_met:
        rules = "; ".join(c.rule.lower() for c in not_met)
        count = len(not_met)
        return Summary(Outcome.NOT_MET,
                       f"{count} rule{'s' if count != 1 else ''} not met ({rules}). Consider redirecting or "
                       "declining as not eligible, unless it has been agreed.")
    if unknown:
        count = len(unknown)
        return Summary(Outcome.CANNOT_TELL,
                       f"No rule is broken, but {count} cannot be told from the record: check "
                       f"{'them' if count != 1 else 'it'} before accepting.")
    return Summary(Outcome.MET, "Every rule Signpost can check is met.")
