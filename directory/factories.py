"""Building directory content in code: shared by the tests and the demo data command.

Plain functions with keyword arguments and sensible defaults, so a test says only what
matters to it. Pages are created published unless ``live=False``.
"""

import itertools
from datetime import date, time
from decimal import Decimal

from directory.choices import Frequency
from directory.models import ActivityPage, ActivitySession, DirectoryIndexPage, NeedTerm, OrganisationPage, Postcode, Venue

_sequence = itertools.count(1)


def make_postcode(postcode: str, latitude: float, longitude: float) -> Postcode:
    row, _ = Postcode.objects.update_or_create(
        postcode=postcode, defaults={"latitude": Decimal(str(latitude)), "longitude": Decimal(str(longitude))}
    )
    return row


def make_need(name: str, *, parent: NeedTerm | None = None, synonyms: str = "", **fields) -> NeedTerm:
    need, _ = NeedTerm.objects.get_or_create(
        name=name, parent=parent, defaults={"synonyms": synonyms, **fields}
    )
    return need


def make_organisation(title: str | None = None, *, trusted: bool = False, **fields) -> OrganisationPage:
    index = DirectoryIndexPage.objects.get()
    title = title or f"Organisation {next(_sequence)}"
    organisation = OrganisationPage(
        title=title,
        description=fields.pop("description", f"{title} runs community activities."),
        trusted=trusted,
        **fields,
    )
    index.add_child(instance=organisation)
    organisation.save_revision().publish()
    return organisation


def make_venue(name: str | None = None, *, postcode: str = "BH15 1AB", latitude=50.7155, longitude=-1.9872, **fields) -> Venue:
    fields.setdefault("address_1", "1 High Street")
    fields.setdefault("town", "Poole")
    venue = Venue(
        name=name or f"Venue {next(_sequence)}",
        postcode=postcode,
        latitude=Decimal(str(latitude)) if latitude is not None else None,
        longitude=Decimal(str(longitude)) if longitude is not None else None,
        **fields,
    )
    venue.full_clean()
    venue.save()
    return venue


def make_activity(
    organisation: OrganisationPage,
    title: str | None = None,
    *,
    needs: list[NeedTerm] = (),
    venue: Venue | None = None,
    sessions: list[dict] | None = None,
    live: bool = True,
    **fields,
) -> ActivityPage:
    """An activity under ``organisation``; by default one weekly Tuesday-morning session at ``venue``."""
    title = title or f"Activity {next(_sequence)}"
    fields.setdefault("summary", f"{title}: a friendly group.")
    fields.setdefault("description", f"<p>{title} meets every week.</p>")
    activity = ActivityPage(title=title, live=live, **fields)
    activity.needs = list(needs)
    if sessions is None:
        sessions = [{"venue": venue}] if venue is not None else []
    for spec in sessions:
        spec = {
            "frequency": Frequency.WEEKLY,
            "weekday": 1,
            "start_time": time(10, 0),
            "end_time": time(11, 30),
            "valid_from": date(2026, 1, 6),
            **spec,
        }
        activity.sessions.add(ActivitySession(**spec))
    organisation.add_child(instance=activity)
    revision = activity.save_revision()
    if live:
        revision.publish()
    return activity
