"""Small-number suppression: counts from 1 to threshold-1 are shown as "<threshold" so no one can be picked out.

Zero is not suppressed (it identifies no one); a share whose numerator or denominator is
suppressed is suppressed too, or it would give the count away.
"""

from django.conf import settings


def suppression_threshold() -> int:
    """Counts below this are shown as "<threshold" to readers they are hidden from (REPORTING_SUPPRESS_BELOW)."""
    return settings.SIGNPOST_REPORTING["SUPPRESS_BELOW"]


def suppressed_count(count: int, *, threshold: int) -> int | str:
    if 0 < count < threshold:
        return f"<{threshold}"
    return count


def suppressed_share(part: int, whole: int, *, threshold: int) -> float | str | None:
    if not whole:
        return None
    if 0 < part < threshold or 0 < whole < threshold:
        return f"<{threshold}" if 0 < part < threshold else "suppressed"
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
