from directory.models.harvesting import Feed, HarvestedListing, HarvestKind, HarvestRun
from directory.models.imports import ImportedRecord
from directory.models.pages import ActivityPage, ActivitySession, DirectoryIndexPage, OrganisationPage
from directory.models.postcodes import Postcode
from directory.models.taxonomy import NeedTerm
from directory.models.venues import Venue

__all__ = [
    "ActivityPage",
    "ActivitySession",
    "DirectoryIndexPage",
    "Feed",
    "HarvestKind",
    "HarvestRun",
    "HarvestedListing",
    "ImportedRecord",
    "NeedTerm",
    "OrganisationPage",
    "Postcode",
    "Venue",
]
