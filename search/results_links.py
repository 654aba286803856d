"""Between the resident's results and an activity's page: the search travels in the link.

Each result links to its activity with this search's own parameters (``SearchForm.results_parameters``);
the activity's page (``directory.from_results``) asks this module what they mean. They are read
with the search form itself, so an activity page only ever links back to a search the search page
would accept, rebuilt from its validated parameters: anything else in the address is dropped, and
a link that does not validate gets no back link at all.
"""

from django.urls import reverse

from directory.from_results import FromResults
from directory.models import ActivitySession
from search.backends.orm import distance_expression, session_filter
from search.forms import SearchForm


class BackToResults:
    def read(self, request, activity) -> FromResults | None:
        form = SearchForm(request.GET)
        if not set(request.GET) & (set(form.fields) | set(SearchForm.ALIASES)):
            return None  # not opened from the results (a campaign's ?utm_source=, say)
        query, _errors = form.query_or_errors()
        if query is None:
            return None
        back_url = f"{reverse('search:find')}?{form.results_parameters()}"
        if query.location is None:
            return FromResults(back_url=back_url)
        sessions = ActivitySession.objects.filter(activity_id=activity.pk, venue__isnull=False,
                                                  venue__latitude__isnull=False, venue__longitude__isnull=False)
        # The distance the results showed (the nearest session that met the search), or failing
        # that (the sessions changed since) the nearest of its venues.
        nearest = None
        for candidates in (sessions.filter(session_filter(query)), sessions):
            nearest = (candidates.annotate(distance=distance_expression(query)).select_related("venue")
                       .order_by("distance", "pk").first())
            if nearest is not None:
                break
        if nearest is None:
            return FromResults(back_url=back_url)
        return FromResults(back_url=back_url, distance_miles=round(nearest.distance, 1),
                           distance_from=query.location.postcode, venue_name=nearest.venue.name)
