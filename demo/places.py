"""Where the demo directory is: the three commissioning areas, their patches and neighbourhoods.

The places are data, in ``data/places.json`` (areas, their patches, each patch's
neighbourhoods with their postcode districts and centres); this module gives them their types.

Neighbourhood centres are approximate (to about 500 m). A venue's postcode is a real
Code-Point Open postcode from the neighbourhood's districts, chosen near that centre, so the
distance search finds venues where a local would expect them.
"""

import json
from dataclasses import dataclass
from pathlib import Path

PLACES_FILE = Path(__file__).resolve().parent / "data" / "places.json"


@dataclass(frozen=True)
class Neighbourhood:
    key: str
    name: str
    post_town: str
    districts: tuple[str, ...]
    latitude: float
    longitude: float
    # A park or open space, for walks and conservation groups.
    green_space: str = ""


@dataclass(frozen=True)
class Patch:
    """A town or district that organisations name themselves after ("Runcorn", "South Leeds")."""

    name: str
    neighbourhoods: tuple[Neighbourhood, ...]


@dataclass(frozen=True)
class Area:
    key: str
    name: str
    short_name: str
    postcode_areas: tuple[str, ...]
    # Ofcom's ranges reserved for fiction, so no demo number rings a real phone.
    phone_prefix: str
    patches: tuple[Patch, ...]

    @property
    def neighbourhoods(self) -> tuple[Neighbourhood, ...]:
        return tuple(nb for patch in self.patches for nb in patch.neighbourhoods)


def _area(fields: dict) -> Area:
    patches = tuple(
        Patch(
            patch["name"],
            tuple(
                Neighbourhood(**{**nb, "districts": tuple(nb["districts"])}) for nb in patch["neighbourhoods"]
            ),
        )
        for patch in fields["patches"]
    )
    return Area(**{**fields, "postcode_areas": tuple(fields["postcode_areas"]), "patches": patches})


AREAS: tuple[Area, ...] = tuple(map(_area, json.loads(PLACES_FILE.read_text(encoding="utf-8"))["areas"]))

# The postcode areas the demo needs in the Postcode table.
POSTCODE_AREAS: tuple[str, ...] = tuple(code for area in AREAS for code in area.postcode_areas)
