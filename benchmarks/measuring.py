"""What every benchmark command needs: a percentile of its timings and a free port to serve on."""

from __future__ import annotations

import socket


def percentile(values: list[float], fraction: float, digits: int | None = 2) -> float:
    """The ``fraction`` percentile of ``values`` (nearest rank), rounded to ``digits``; 0 for none."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    value = ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]
    return value if digits is None else round(value, digits)


def free_port() -> int:
    """A port on the loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
