"""What an activity's page shows when it was opened from a list of search results.

The results link to each activity with the search's own parameters; the activity's page then
shows how far away it is and links back to those exact results. Search reads (and validates)
its parameters: the directory names no search code. The app that owns the search registers a
reader from its ``AppConfig.ready()``:

    register_results_reader(reader)   # reader.read(request, activity) -> FromResults | None
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class FromResults:
    back_url: str  # the results the person came from, rebuilt from validated parameters only
    distance_miles: float | None = None
    distance_from: str = ""  # "BH15 1AB", or "" for the person's own location
    venue_name: str = ""  # the nearest venue, that the distance is to


class ResultsReader(Protocol):
    def read(self, request, activity) -> FromResults | None:
        """The search ``request`` carries, as seen from ``activity``'s page; None if it carries none."""


_readers: list[ResultsReader] = []


def register_results_reader(reader: ResultsReader) -> None:
    _readers.append(reader)


def from_results(request, activity) -> FromResults | None:
    if request is None or not getattr(request, "GET", None):
        return None
    for reader in _readers:
        if (found := reader.read(request, activity)) is not None:
            return found
    return None
