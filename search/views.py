from django.core.paginator import Paginator
from django.shortcuts import render

from search.finder import find_activities
from search.forms import FindActivitiesForm


def find(request):
    form = FindActivitiesForm(request.GET or None)
    page = None
    if form.is_valid():
        need = form.cleaned_data["need"]
        results = find_activities(
            centre=form.centre, radius_miles=form.cleaned_data["radius"], needs=[need] if need else None
        )
        page = Paginator(results, 20).get_page(request.GET.get("page"))
    return render(request, "search/find.html", {"form": form, "page": page})
