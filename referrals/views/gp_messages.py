"""The message back to the GP practice, as kept: the letter to print (HTML with print styles) and the PDF.

For the team of the referral (its link worker and its service's triage staff, as the referral page);
never for a provider. Only a message that went (by NHSmail or as a letter) has a letter or PDF: one not
sent has nothing to print. Every view is audited. Marking the letter as posted is the task's "Done"
button (``referrals.views.caseload.task_done``), shown here too.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache

from referrals import gp_letter_pdf, permissions
from referrals.choices import (
    Channel,
    DeliveryStatus,
    GpMessageKind,
    GpMessageRoute,
    StaffRole,
)
from referrals.gp_message_words import in_words
from referrals.models import GpMessage
from referrals.views.casework_sections import summary_for_people
from referrals.views.common import staff_view, visible_referral

TEAM = (StaffRole.LINK_WORKER, StaffRole.TRIAGE)


def _message(request, pk: int, kind: str, *, what: str) -> GpMessage:
    if kind not in GpMessageKind.values:
        raise Http404("No such message.")
    referral = visible_referral(request, pk, what=what,
                                queryset=permissions.team_referrals_visible_to(request.actor))
    message = (GpMessage.objects.filter(referral=referral, kind=kind)
               .exclude(route=GpMessageRoute.NOT_SENT).select_related("notification", "practice").first())
    if message is None or message.content.get("anonymised"):
        raise Http404("No message to the GP practice of this kind was sent.")
    message.referral = referral
    return message


@never_cache
@staff_view(*TEAM)
def letter(request, pk: int, kind: str):
    message = _message(request, pk, kind, what="message to the GP practice: letter")
    content = message.content
    task = message.notification
    open_task = (task if task is not None and task.channel == Channel.LETTER_TASK
                 and task.status == DeliveryStatus.PENDING and permissions.may_complete_task(request.actor, task)
                 else None)
    return render(request, "referrals/gp_messages/letter.html", {
        "referral": message.referral,
        "message": message,
        "gp": content,
        "words": in_words(content),
        "summary": summary_for_people(content) if message.kind == GpMessageKind.DISCHARGE else None,
        "open_task": open_task,
    })


@never_cache
@staff_view(*TEAM)
def pdf(request, pk: int, kind: str):
    message = _message(request, pk, kind, what="message to the GP practice: PDF")
    response = HttpResponse(gp_letter_pdf.render_pdf(message.content), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{gp_letter_pdf.filename(message.content)}"'
    return response


urlpatterns = [
    path("<id:pk>/gp-message/<slug:kind>/letter/", letter, name="gp_message_letter"),
    path("<id:pk>/gp-message/<slug:kind>/pdf/", pdf, name="gp_message_pdf"),
]
