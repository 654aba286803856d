from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from directory.calendar import activity_calendar
from directory.models import Venue
from directory.selectors import public_activities


def activity_ical(request, pk: int):
    activity = public_activities().filter(pk=pk).first()
    if activity is None:
        raise Http404("No such activity.")
    response = HttpResponse(activity_calendar(activity), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{activity.slug}.ics"'
    return response


def venue_detail(request, pk: int):
    venue = get_object_or_404(Venue, pk=pk)
    activities = public_activities().filter(sessions__venue=venue).distinct().order_by("title")
    return render(request, "directory/venue_detail.html", {"venue": venue, "activities": activities})
