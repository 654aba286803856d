from directory.models.pages import ActivityPage, ActivitySession, DirectoryIndexPage, OrganisationPage
from directory.models.postcodes import Postcode
from directory.models.taxonomy import NeedTerm
from directory.models.venues import Venue

__all__ = ["ActivityPage", "ActivitySession", "DirectoryIndexPage", "NeedTerm", "OrganisationPage", "Postcode", "Venue"]
