"""Where the demo directory is: the three commissioning areas, their patches and neighbourhoods.

Neighbourhood centres are approximate (to about 500 m). A venue's postcode is a real
Code-Point Open postcode from the neighbourhood's districts, chosen near that centre, so the
distance search finds venues where a local would expect them.
"""

from dataclasses import dataclass


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


def _nb(key, name, post_town, districts, latitude, longitude, green_space=""):
    return Neighbourhood(key, name, post_town, tuple(districts.split()), latitude, longitude, green_space)


DORSET = Area(
    key="dorset",
    name="Dorset and Poole",
    short_name="Dorset",
    postcode_areas=("BH", "DT"),
    phone_prefix="01632 960",
    patches=(
        Patch(
            "Poole",
            (
                _nb("poole-town", "Poole Old Town", "Poole", "BH15", 50.7135, -1.9870, "Poole Park"),
                _nb("hamworthy", "Hamworthy", "Poole", "BH15", 50.7185, -2.0110, "Hamworthy Park"),
                _nb("oakdale", "Oakdale", "Poole", "BH15", 50.7330, -1.9710, "Oakdale Recreation Ground"),
                _nb("parkstone", "Parkstone", "Poole", "BH14 BH12", 50.7260, -1.9530, "Ashley Cross Green"),
                _nb("canford-heath", "Canford Heath", "Poole", "BH17", 50.7500, -1.9610, "Canford Heath"),
                _nb("broadstone", "Broadstone", "Broadstone", "BH18", 50.7580, -1.9930, "Broadstone Recreation Ground"),
                _nb("branksome", "Branksome", "Poole", "BH12", 50.7300, -1.9250, "Branksome Recreation Ground"),
            ),
        ),
        Patch(
            "Bournemouth",
            (
                _nb(
                    "bournemouth-centre", "Bournemouth town centre", "Bournemouth", "BH1 BH2", 50.7210, -1.8760,
                    "the Lower Gardens",
                ),
                _nb("boscombe", "Boscombe", "Bournemouth", "BH1 BH5", 50.7260, -1.8420, "Boscombe Chine Gardens"),
                _nb("winton", "Winton", "Bournemouth", "BH9", 50.7420, -1.8760, "Redhill Park"),
                _nb("kinson", "Kinson", "Bournemouth", "BH11", 50.7690, -1.9040, "Kinson Common"),
                _nb("southbourne", "Southbourne", "Bournemouth", "BH6", 50.7230, -1.7960, "Fisherman's Walk"),
                _nb("charminster", "Charminster", "Bournemouth", "BH8", 50.7360, -1.8620, "Queen's Park"),
            ),
        ),
        Patch(
            "Christchurch",
            (
                _nb("christchurch", "Christchurch", "Christchurch", "BH23", 50.7350, -1.7790, "Christchurch Quay"),
                _nb("highcliffe", "Highcliffe", "Christchurch", "BH23", 50.7390, -1.7050, "Steamer Point"),
            ),
        ),
        Patch(
            "East Dorset",
            (
                _nb("wimborne", "Wimborne", "Wimborne", "BH21", 50.7990, -1.9860, "Wimborne Minster Green"),
                _nb("corfe-mullen", "Corfe Mullen", "Wimborne", "BH21", 50.7730, -2.0170, "Lockyer's Field"),
                _nb("ferndown", "Ferndown", "Ferndown", "BH22", 50.8050, -1.9000, "Ferndown Common"),
                _nb("verwood", "Verwood", "Verwood", "BH31", 50.8800, -1.8760, "Potterne Park"),
            ),
        ),
        Patch(
            "Purbeck",
            (
                _nb("swanage", "Swanage", "Swanage", "BH19", 50.6090, -1.9600, "Durlston Country Park"),
                _nb("wareham", "Wareham", "Wareham", "BH20", 50.6870, -2.1100, "the Wareham Walls"),
                _nb("upton", "Upton", "Poole", "BH16", 50.7350, -2.0350, "Upton Country Park"),
            ),
        ),
        Patch(
            "West Dorset",
            (
                _nb("dorchester", "Dorchester", "Dorchester", "DT1 DT2", 50.7150, -2.4370, "Borough Gardens"),
                _nb("poundbury", "Poundbury", "Dorchester", "DT1", 50.7130, -2.4590, "Great Field"),
                _nb("bridport", "Bridport", "Bridport", "DT6", 50.7330, -2.7580, "Asker Meadows"),
                _nb("lyme-regis", "Lyme Regis", "Lyme Regis", "DT7", 50.7250, -2.9370, "Langmoor Gardens"),
                _nb("beaminster", "Beaminster", "Beaminster", "DT8", 50.8090, -2.7400, "the Square"),
            ),
        ),
        Patch(
            "Weymouth and Portland",
            (
                _nb("weymouth", "Weymouth", "Weymouth", "DT4", 50.6110, -2.4580, "Greenhill Gardens"),
                _nb("littlemoor", "Littlemoor", "Weymouth", "DT3", 50.6450, -2.4330, "Lorton Valley"),
                _nb("portland", "Portland", "Portland", "DT5", 50.5540, -2.4400, "Tout Quarry"),
            ),
        ),
        Patch(
            "North Dorset",
            (
                _nb("sherborne", "Sherborne", "Sherborne", "DT9", 50.9470, -2.5160, "Pageant Gardens"),
                _nb(
                    "sturminster-newton", "Sturminster Newton", "Sturminster Newton", "DT10", 50.9260, -2.3050,
                    "the Trailway",
                ),
                _nb("blandford", "Blandford Forum", "Blandford Forum", "DT11", 50.8560, -2.1650, "the Stour Meadows"),
            ),
        ),
    ),
)

HALTON = Area(
    key="halton",
    name="Halton",
    short_name="Halton",
    postcode_areas=("WA",),
    phone_prefix="0151 496 0",
    patches=(
        Patch(
            "Runcorn",
            (
                _nb("runcorn-old-town", "Runcorn Old Town", "Runcorn", "WA7", 53.3410, -2.7310, "Runcorn Hill"),
                _nb("halton-lea", "Halton Lea", "Runcorn", "WA7", 53.3280, -2.6960, "Town Park"),
                _nb(
                    "castlefields", "Castlefields", "Runcorn", "WA7", 53.3360, -2.7060,
                    "the Bridgewater Canal towpath",
                ),
                _nb("palace-fields", "Palace Fields", "Runcorn", "WA7", 53.3180, -2.6790, "Phoenix Park"),
                _nb("murdishaw", "Murdishaw", "Runcorn", "WA7", 53.3080, -2.6620, "Murdishaw Valley"),
                _nb("windmill-hill", "Windmill Hill", "Runcorn", "WA7", 53.3250, -2.6540, "Norton Priory woods"),
                _nb("weston", "Weston", "Runcorn", "WA7", 53.3270, -2.7420, "Weston Point"),
                _nb("beechwood", "Beechwood", "Runcorn", "WA7", 53.3130, -2.7120, "Beechwood woods"),
            ),
        ),
        Patch(
            "Widnes",
            (
                _nb("widnes-centre", "Widnes town centre", "Widnes", "WA8", 53.3630, -2.7320, "Victoria Park"),
                _nb("west-bank", "West Bank", "Widnes", "WA8", 53.3500, -2.7350, "Spike Island"),
                _nb("ditton", "Ditton", "Widnes", "WA8", 53.3600, -2.7690, "Hale Road Park"),
                _nb("hough-green", "Hough Green", "Widnes", "WA8", 53.3740, -2.7700, "Hough Green Park"),
                _nb("farnworth", "Farnworth", "Widnes", "WA8", 53.3790, -2.7400, "Pex Hill"),
                _nb("appleton", "Appleton", "Widnes", "WA8", 53.3700, -2.7240, "Upton Rocks Park"),
                _nb("halton-view", "Halton View", "Widnes", "WA8", 53.3690, -2.7110, "Crow Wood Park"),
            ),
        ),
    ),
)

LEEDS = Area(
    key="leeds",
    name="Leeds",
    short_name="Leeds",
    postcode_areas=("LS",),
    phone_prefix="0113 496 0",
    patches=(
        Patch(
            "South Leeds",
            (
                _nb("beeston", "Beeston", "Leeds", "LS11", 53.7750, -1.5650, "Cross Flatts Park"),
                _nb("holbeck", "Holbeck", "Leeds", "LS11", 53.7880, -1.5600, "Holbeck Moor"),
                _nb("hunslet", "Hunslet", "Leeds", "LS10", 53.7800, -1.5300, "Hunslet Moor"),
                _nb("belle-isle", "Belle Isle", "Leeds", "LS10", 53.7610, -1.5300, "Belle Isle Circus green"),
                _nb("middleton", "Middleton", "Leeds", "LS10", 53.7470, -1.5470, "Middleton Park"),
                _nb("morley", "Morley", "Morley", "LS27", 53.7410, -1.6000, "Scatcherd Park"),
                _nb("rothwell", "Rothwell", "Leeds", "LS26", 53.7500, -1.4800, "Springhead Park"),
            ),
        ),
        Patch(
            "East Leeds",
            (
                _nb("harehills", "Harehills", "Leeds", "LS8 LS9", 53.8110, -1.5110, "Banstead Park"),
                _nb("burmantofts", "Burmantofts", "Leeds", "LS9", 53.8030, -1.5200, "East End Park"),
                _nb(
                    "richmond-hill", "Richmond Hill", "Leeds", "LS9", 53.7950, -1.5160,
                    "Richmond Hill recreation ground",
                ),
                _nb("gipton", "Gipton", "Leeds", "LS9 LS8", 53.8150, -1.4900, "Gipton Wood"),
                _nb("halton-moor", "Halton Moor", "Leeds", "LS9", 53.7960, -1.4860, "Wykebeck Valley"),
                _nb("seacroft", "Seacroft", "Leeds", "LS14", 53.8210, -1.4520, "Seacroft Green"),
                _nb("cross-gates", "Cross Gates", "Leeds", "LS15", 53.8060, -1.4500, "Manston Park"),
                _nb("garforth", "Garforth", "Leeds", "LS25", 53.7930, -1.3870, "Glebelands"),
                _nb("kippax", "Kippax", "Leeds", "LS25", 53.7670, -1.3700, "Kippax Common"),
            ),
        ),
        Patch(
            "North and West Leeds",
            (
                _nb("leeds-city-centre", "Leeds city centre", "Leeds", "LS1 LS2", 53.7980, -1.5450, "Park Square"),
                _nb("chapeltown", "Chapeltown", "Leeds", "LS7", 53.8210, -1.5300, "Potternewton Park"),
                _nb("headingley", "Headingley", "Leeds", "LS6", 53.8200, -1.5780, "Woodhouse Moor"),
                _nb("kirkstall", "Kirkstall", "Leeds", "LS5", 53.8190, -1.6040, "Kirkstall Abbey grounds"),
                _nb("armley", "Armley", "Leeds", "LS12", 53.7990, -1.5900, "Armley Park"),
                _nb("bramley", "Bramley", "Leeds", "LS13", 53.8110, -1.6350, "Bramley Fall Woods"),
                _nb("pudsey", "Pudsey", "Pudsey", "LS28", 53.7950, -1.6620, "Pudsey Park"),
                _nb("horsforth", "Horsforth", "Leeds", "LS18", 53.8410, -1.6380, "Hall Park"),
            ),
        ),
    ),
)

AREAS: tuple[Area, ...] = (DORSET, HALTON, LEEDS)

# The postcode areas the demo needs in the Postcode table.
POSTCODE_AREAS: tuple[str, ...] = tuple(code for area in AREAS for code in area.postcode_areas)
