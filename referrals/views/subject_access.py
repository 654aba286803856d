"""A resident's rights over their data: the subject access export (a page that prints, and a JSON
download) and erasure. For the triage team and administrators of the resident's service
(``referrals.permissions``); the work is ``referrals.subject_access``, audited there.

Someone else's resident does not exist for them (404); a role that never answers these requests
(link workers, providers, commissioners) is refused (403).
"""

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from referrals import permissions
from referrals.audit import audit_view
from referrals.forms.subject_access import EraseResidentForm
from referrals.subject_access import (
    ErasureRefused,
    erase_resident,
    erasure_blockers,
    subject_access_export,
)
from referrals.views.common import staff_view


def _resident(request, resident_id: int):
    return get_object_or_404(
        permissions.residents_for_subject_access(request.actor).select_related("service"), pk=resident_id
    )


@never_cache
@staff_view(*permissions.SUBJECT_ACCESS_ROLES)
def subject_access(request, resident_id: int):
    """Everything held about the resident, as a document to read, print or save as a PDF."""
    resident = _resident(request, resident_id)
    export = subject_access_export(request.actor, resident, format="document", path=request.get_full_path())
    return render(request, "referrals/subject_access/export.html", {"resident": resident, "export": export})


@never_cache
@staff_view(*permissions.SUBJECT_ACCESS_ROLES)
def subject_access_json(request, resident_id: int):
    """The same, as a JSON file to download (and give the person, or their representative)."""
    resident = _resident(request, resident_id)
    export = subject_access_export(request.actor, resident, format="json", path=request.get_full_path())
    response = JsonResponse(export, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2, "ensure_ascii": False})
    filename = f"signpost-subject-access-{resident.pk}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@staff_view(*permissions.SUBJECT_ACCESS_ROLES)
def erase(request, resident_id: int):
    """Ask for the grounds and a confirmation, then erase the resident's personal data."""
    resident = _resident(request, resident_id)
    permissions.check_may_erase_resident(request.actor, resident)
    form = EraseResidentForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            erase_resident(request.actor, resident, form.cleaned_data["reason"])
        except ErasureRefused as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The person's personal data has been erased. What is kept is shown below."))
            return redirect("referrals:subject_access", resident_id=resident.pk)
    audit_view(request.actor, what="erasure page", resident=resident, request=request)
    return render(
        request,
        "referrals/subject_access/erase.html",
        {"resident": resident, "form": form, "blockers": erasure_blockers(resident)},
    )


urlpatterns = [
    path("<id:resident_id>/subject-access/", subject_access, name="subject_access"),
    path("<id:resident_id>/subject-access.json", subject_access_json, name="subject_access_json"),
    path("<id:resident_id>/erase/", erase, name="erase_resident"),
]
