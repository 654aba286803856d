"""Wagtail's public URLs that read input from anyone, at the same addresses, with the same names and
views, but kept from answering any input with a server error (issue 16). Included before Wagtail's
own URLs, so these answer.

- A document's address: Wagtail's ``(\\d+)`` handed an id of any length to the database lookup, and
  one of more than 4,300 digits was a server error. Here the id is ``<id:…>`` (``common.bounds``):
  out of range names no document, a 404.
- The password forms of private pages and of document collections: Wagtail sends the person on to
  the posted ``return_url`` with ``redirect()``, which takes a word with no "/" or "." for the name
  of a URL pattern and fails when there is none (``return_url=0`` was a ``NoReverseMatch``). Such a
  word is no address on this site, so the person is sent to the home page instead.
"""

from functools import wraps

from django.urls import path
from wagtail import views as wagtail_views
from wagtail.documents.views import serve as document_views

# Where a password form sends someone whose return address is no address at all.
NO_RETURN_ADDRESS = "/"


def _return_url_is_an_address(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            return_url = request.POST.get("return_url", "")
            if return_url and "/" not in return_url and "." not in return_url:
                data = request.POST.copy()
                data["return_url"] = NO_RETURN_ADDRESS
                request.POST = data
        return view(request, *args, **kwargs)

    return wrapped


urlpatterns = [
    path("documents/<id:document_id>/<path:document_filename>", document_views.serve, name="wagtaildocs_serve"),
    path(
        "documents/authenticate_with_password/<id:restriction_id>/",
        _return_url_is_an_address(document_views.authenticate_with_password),
        name="wagtaildocs_authenticate_with_password",
    ),
    path(
        "_util/authenticate_with_password/<id:page_view_restriction_id>/<id:page_id>/",
        _return_url_is_an_address(wagtail_views.authenticate_with_password),
        name="wagtailcore_authenticate_with_password",
    ),
]
