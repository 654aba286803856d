"""The message back to the GP and referrer through the API: ``GET /api/v1/referrals/{reference}/summary/``.

JSON by default (the message's content as kept, with how it was delivered); a FHIR document
(``referrals.fhir``) with ``Accept: application/fhir+json`` or ``?format=fhir``, so a GP system's
integration can file it. The message is the one kept (``GpMessage``: the discharge message, else the
acknowledgement); a referral discharged before messages were kept has its content built from the
final discharge summary. Read by those who read the referral's casework (the service's token, its
triage and the person's link worker); a provider is refused (403); anyone else does not see the
referral (404). Every read is audited. Errors are always JSON.
"""

from __future__ import annotations

import json

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from referrals import fhir, gp_messages
from referrals.api import outputs
from referrals.api.views import _ERRORS, _REFERENCE, ReferralApi, _visible_referral
from referrals.audit import audit_view
from referrals.choices import DeliveryStatus, GpMessageKind, GpMessageRoute
from referrals.errors import NotPermitted
from referrals.models import GpMessage, Referral
from referrals.permissions import may_see_casework

FORMATS = ("json", "fhir")


class FhirJsonRenderer(BaseRenderer):
    """FHIR JSON: a ``fhir.resources`` model as the library writes it (no empty elements)."""

    media_type = fhir.MEDIA_TYPE
    format = "fhir"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if hasattr(data, "model_dump_json"):
            return data.model_dump_json(exclude_none=True).encode()
        return json.dumps(data).encode()


# The message's content -------------------------------------------------------------------------


def _message(referral: Referral) -> GpMessage | None:
    """The message kept for ``referral``: at discharge, else the acknowledgement."""
    messages = {m.kind: m for m in GpMessage.objects.filter(referral=referral).select_related("notification")}
    return messages.get(GpMessageKind.DISCHARGE) or messages.get(GpMessageKind.ACKNOWLEDGEMENT)


def content_from_discharge_summary(referral: Referral) -> dict | None:
    """For a referral discharged without a kept message (before messages were kept): the message's content,
    built as ``referrals.gp_messages`` builds it from the final discharge summary. None if not discharged."""
    summary = getattr(referral, "discharge_summary", None)
    if summary is None or not summary.is_final:
        return None
    practice = referral.resident.practice if referral.resident.practice_id else None
    return gp_messages.discharge_content(referral, summary.content, practice=practice, now=summary.final_at)


def _delivery(message: GpMessage) -> dict:
    notification = message.notification
    return {
        "route": message.route,
        "route_label": message.get_route_display(),
        "recipient": message.recipient,
        "not_sent_reason": message.not_sent_reason,
        "prepared_at": message.prepared_at,
        "prepared_by": message.prepared_by_label,
        "status": notification.status if notification else None,
        "sent_at": notification.sent_at if notification else None,
    }


# The schema --------------------------------------------------------------------------------------


class GpMessageContentOutput(serializers.Serializer):
    """The message back to the GP and referrer (PRSB Social Prescribing standard), as kept."""

    kind = serializers.ChoiceField(choices=GpMessageKind.choices)
    person = serializers.DictField(help_text="Name, date of birth, NHS number, postcode, GP practice as written.")
    referral = serializers.DictField(help_text="Reference, when received, source, referrer, SNOMED CT code, needs, "
                                     "tier, link worker.")
    practice = serializers.DictField(allow_null=True, help_text="The GP practice: ODS code, name, address, postcode; "
                                     "null if none is on record.")
    service = serializers.DictField(help_text="The social prescribing service: name, email, phone.")
    codes = serializers.ListField(child=serializers.DictField(), help_text="SNOMED CT codes: system, code, display "
                                  "(and the outcome measure a code is for, if it is).")
    prepared = serializers.CharField(help_text="When the message was prepared (ISO 8601).")
    contacts = serializers.DictField(required=False, help_text="At discharge: contacts held, first, last, review.")
    plan = serializers.DictField(required=False, help_text="What matters, goals and actions.")
    connections = serializers.ListField(child=serializers.DictField(), required=False,
                                        help_text="Each activity or service, its status and first-session attendance.")
    wellbeing = serializers.ListField(child=serializers.DictField(), required=False,
                                      help_text="Outcome measures (ONS4): each score before and after.")
    discharge = serializers.DictField(required=False, help_text="At discharge: the reason (and its words) and note.")
    outcome_measures = serializers.ListField(child=serializers.DictField(), required=False,
                                             help_text="At discharge: each outcome measure, its questions and code.")


class GpMessageDeliveryOutput(serializers.Serializer):
    route = serializers.ChoiceField(choices=GpMessageRoute.choices)
    route_label = serializers.CharField()
    recipient = serializers.CharField(help_text="The practice's NHSmail address; blank for a letter or not sent.")
    not_sent_reason = serializers.CharField(help_text="Why it was not sent, if it was not.")
    prepared_at = serializers.DateTimeField()
    prepared_by = serializers.CharField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, allow_null=True,
                                     help_text="The email's or letter's delivery: pending, sent, failed, done "
                                     "(a letter printed); null if nothing was to be sent.")
    sent_at = serializers.DateTimeField(allow_null=True)


class GpSummaryOutput(serializers.Serializer):
    reference = serializers.CharField()
    kind = serializers.ChoiceField(choices=GpMessageKind.choices)
    content = GpMessageContentOutput()
    delivery = GpMessageDeliveryOutput(allow_null=True, help_text="How the message went to the practice; null for a "
                                       "referral discharged before messages to practices were kept.")


_FHIR_BUNDLE = {
    "type": "object",
    "description": "A FHIR R4 Bundle of type document: a Composition first, then the Patient, the GP practice and "
                   "the service (Organization), the link worker (Practitioner), the referral and each activity or "
                   "service (ServiceRequest), the plan (CarePlan, Goal) and the scores and codes (Observation).",
    "properties": {
        "resourceType": {"type": "string", "enum": ["Bundle"]},
        "identifier": {"type": "object"},
        "type": {"type": "string", "enum": ["document"]},
        "timestamp": {"type": "string"},
        "entry": {"type": "array", "items": {"type": "object", "properties": {
            "fullUrl": {"type": "string"}, "resource": {"type": "object"}}, "required": ["fullUrl", "resource"]}},
    },
    "required": ["resourceType", "identifier", "type", "timestamp", "entry"],
}
_JSON = "application/json"


def _errors_as_json(responses: dict) -> dict:
    return {(code, _JSON): response for code, response in responses.items()}


class ReferralSummaryApi(ReferralApi):
    renderer_classes = (JSONRenderer, FhirJsonRenderer)

    @extend_schema(
        operation_id="referrals_summary", summary="Read the message back to the GP and referrer",
        description=(
            "What the GP practice was sent (the PRSB Social Prescribing standard's \"message back to GP and "
            "referrer\"): at discharge, else the acknowledgement of the referral. As JSON (the content as kept, and "
            "how it was delivered), or as a FHIR R4 document (a Bundle of type document, first a Composition) with "
            "Accept: application/fhir+json or ?format=fhir, coded in SNOMED CT (871731000000106 referral to social "
            "prescribing service; 871711000000103 social prescribing declined). The social prescribing team only; "
            "never a provider. Errors are always JSON."
        ),
        parameters=[_REFERENCE, OpenApiParameter("format", str, OpenApiParameter.QUERY, required=False, enum=FORMATS,
                                                 description="fhir for the FHIR document (as Accept: "
                                                             "application/fhir+json); json (the default).")],
        responses={
            (200, _JSON): GpSummaryOutput,
            (200, fhir.MEDIA_TYPE): OpenApiResponse(_FHIR_BUNDLE, description="The FHIR document."),
            **_errors_as_json({
                400: OpenApiResponse(description='A format other than json or fhir: {"format": ["..."]}.'),
                401: _ERRORS[401],
                403: OpenApiResponse(outputs.ReferralErrorOutput, description="A provider."),
                404: OpenApiResponse(outputs.ReferralErrorOutput, description="No referral with this reference that "
                                     "the caller may see, or no message yet (not accepted with an acknowledgement, "
                                     "nor discharged)."),
                406: OpenApiResponse(outputs.ReferralErrorOutput, description="An Accept header asking for neither "
                                     "JSON nor FHIR JSON."),
            }),
        },
        tags=["discharge"],
    )
    def get(self, request, reference: str):
        referral = _visible_referral(request, reference)
        if not may_see_casework(request.actor, referral):
            raise NotPermitted("The message back to the GP is for the social prescribing team only.")
        message = _message(referral)
        content = message.content if message is not None else content_from_discharge_summary(referral)
        if content is None:
            raise exceptions.NotFound("This referral has no message to its GP yet: it has not been discharged "
                                      "(nor acknowledged to the practice).")
        audit_view(request.actor, what="API: summary", referral=referral, request=request)
        if isinstance(request.accepted_renderer, FhirJsonRenderer):
            return Response(fhir.summary_bundle(content))
        return Response({
            "reference": referral.reference,
            "kind": content.get("kind") or (message.kind if message else GpMessageKind.DISCHARGE.value),
            "content": content,
            "delivery": _delivery(message) if message is not None else None,
        })

    def perform_content_negotiation(self, request, force=False):
        requested = request.query_params.get("format")
        if not force and requested is not None and requested not in FORMATS:
            raise exceptions.ValidationError({"format": ["Ask for format=json or format=fhir."]})
        return super().perform_content_negotiation(request, force=force)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400 and isinstance(getattr(response, "accepted_renderer", None), FhirJsonRenderer):
            # Errors are JSON, whatever was asked for: the FHIR form is the document's alone.
            response.accepted_renderer, response.accepted_media_type = JSONRenderer(), _JSON
        return response
