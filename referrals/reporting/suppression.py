"""Small-number suppression: counts from 1 to threshold-1 are shown as "<threshold" so no one can be picked out.

Zero is not suppressed (it identifies no one); a share whose numerator or denominator is
suppressed is suppressed too, or it would give the count away.
"""


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
