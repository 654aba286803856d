"""The figures a commissioner holds the service to, for the top of their report.

Two, with the dashboard's own definitions (``reporting.figures``) and the reader's suppression
(``Suppressor``), so the headline can never disagree with the tables below it:

- first-session attendance: people who attended at least one first session, of everyone
  referred, against the target (50% in the specifications): met, not met, or, when the base is
  too small to show, "based on fewer than 5 referrals" and a wider period to look at;
- first contact within the alerts' working days (2 by default): of the people contacted, the
  share contacted by the deadline that ``referrals.working_days`` sets.

A small count of a large base is not too few to say: 3 attended of 25 referred is "under 20%",
which is below a 50% target, so the target is not met, and saying so gives away no more than
"<5" beside "25" does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from reporting.figures import Report
from reporting.suppression import share_below


@dataclass(frozen=True)
class Figure:
    key: str
    value: str  # the share as words: "52%", "under 20%", or "–" when it cannot be shown
    words: str  # what the share is of
    base: str  # "of 25 people referred", or "based on fewer than 5 referrals"
    small: bool  # too few to show: the page offers a wider period
    status: str | None  # "met", "not met", "unknown" (against a target), or None without a target


def _percent_text(value) -> str:
    if isinstance(value, float):
        return f"{value:g}%"
    return value if isinstance(value, str) and value.startswith("under ") else "–"


def headline(report: Report, suppress) -> list[Figure]:
    threshold = suppress.threshold
    target = report.attendance_target
    attendance = suppress.percent(report.attended, report.referred)
    small = bool(suppress.on and 0 < report.referred < threshold)
    if isinstance(attendance, float):
        status = "met" if attendance / 100 >= target else "not met"
    elif (below := share_below(attendance)) is not None:
        # Under a bound at or below the target: certainly not met. Above it, it could be either.
        status = "not met" if below <= target else "unknown"
    else:
        status = "unknown"
    referred = suppress.count(report.referred)
    figures = [Figure(
        "attendance", _percent_text(attendance),
        _("of people referred went on to attend a first session (target %(target)s%%)") % {"target": round(target * 100)},
        _("based on fewer than %(n)s referrals") % {"n": threshold} if small
        else _("no referrals in this period") if not report.referred
        else _("of %(n)s people referred") % {"n": referred},
        small, status if report.referred else None,
    )]
    days = settings.SIGNPOST_REFERRALS["CONTACT_WITHIN_WORKING_DAYS"]
    contact = suppress.percent(report.contacted_within_target, report.contacted)
    contacted = suppress.count(report.contacted)
    contact_small = bool(suppress.on and 0 < report.contacted < threshold)
    figures.append(Figure(
        "contact", _percent_text(contact),
        _("of people contacted were contacted within %(days)s working days of referral") % {"days": days},
        _("based on fewer than %(n)s people contacted") % {"n": threshold} if contact_small
        else _("no one contacted yet in this period") if not report.contacted
        else _("of %(n)s people contacted") % {"n": contacted},
        contact_small, None,
    ))
    return figures
