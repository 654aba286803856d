"""Small-number suppression: counts from 1 to threshold-1 are shown as "<threshold" so no one can be picked out.

Zero is not suppressed (it identifies no one); a share whose numerator or denominator is
suppressed is suppressed too, or it would give the count away.
"""

import math

from django.conf import settings


def suppression_threshold() -> int:
    """Counts below this are shown as "<threshold" to readers they are hidden from (REPORTING_SUPPRESS_BELOW)."""
    return settings.SIGNPOST_REPORTING["SUPPRESS_BELOW"]


def suppressed_count(count: int, *, threshold: int) -> int | str:
    if 0 < count < threshold:
        return f"<{threshold}"
    return count


def small_base(threshold: int) -> str:
    """What a share says when it rests on too few people to show: never "<5" in a share's place."""
    return f"based on fewer than {threshold}"


def share_bound(whole: int, threshold: int) -> str:
    """A share whose count is hidden ("<5") of a base that is not: as much as "<5" already says,
    as a percentage ("under 20%" of 25), so it can still be read against a target."""
    return f"under {math.ceil(100 * threshold / whole)}%"


def share_below(value) -> float | None:
    """The fraction a ``share_bound`` text says the share is under, or None for any other value."""
    if isinstance(value, str) and value.startswith("under ") and value.endswith("%"):
        return float(value.removeprefix("under ").removesuffix("%")) / 100
    return None


def suppressed_share(part: int, whole: int, *, threshold: int) -> float | str | None:
    """A share as a suppressed reader sees it.

    Exact when its base is at least the threshold and its count is not small; "under N%" when the
    count is small (1 to threshold-1) but the base is not, which tells no more than "<threshold"
    beside the published base; "based on fewer than N" when the base itself is small. A share is
    never shown as the count's own marker ("<5"): that once made 3 attended of 25 referred read as
    "<5, too few referrals to say", as if the 25 were too few.
    """
    if not whole:
        return None
    if 0 < whole < threshold:
        return small_base(threshold)
    if 0 < part < threshold:
        return share_bound(whole, threshold)
    return part / whole


def protect(values: dict, lines: list[list], *, threshold: int, margins: frozenset = frozenset()) -> dict:
    """Small counts suppressed, and enough others with them that none can be worked out by subtraction.

    ``values`` are counts keyed by anything; each of ``lines`` is the keys of counts that add up
    to another count in the same line that is also published (a row and its total, a column and
    the figure it adds up to). A line with exactly one hidden count gives that count away (the
    total minus the others), so the smallest other count above zero in it is hidden as well
    ("suppressed"), and so on until no line has just one. Counts in ``margins`` (totals) are
    hidden only when a line has nothing else left to hide.
    """
    cells = {key: suppressed_count(value, threshold=threshold) for key, value in values.items()}
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(isinstance(cells[key], str) for key in line) != 1:
                continue
            shown = [key for key in line if isinstance(cells[key], int) and cells[key] > 0]
            inner = [key for key in shown if key not in margins]
            candidates = inner or shown
            if candidates:
                cells[min(candidates, key=lambda key: (values[key], str(key)))] = "suppressed"
                changed = True
    return cells
