"""The referral API: create, list, read, and one endpoint per step of the pathway.

One API class per operation, each with its input serializer; all of them act through
``referrals.services`` as the caller's ``Actor``, so the API is held to the same rules as
the staff pages and the emailed links. A referral is named by its reference (SP-ABC2345),
never by a guessable number. A referral the caller cannot see is a 404; a step it does not
own a 403; a step the referral is not ready for a 409; bad input a 400 naming the field.
Every read of a referral is written to the audit trail.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler, set_rollback

from directory.models import ActivityPage, ActivitySession
from referrals import care_plans, contacts, safeguarding, selectors, services
from referrals.api import idempotency, inputs, outputs, representations
from referrals.api.authentication import AUTHENTICATION_CLASSES, ActsForSomeone
from referrals.audit import audit_view
from referrals.choices import ContactStatus
from referrals.errors import InvalidTransition, NotPermitted, ReferralError
from referrals.models import Referral
from referrals.permissions import (
    check_may_change_care_plan,
    check_may_handle_safeguarding,
    check_may_record_contacts,
    check_may_see_care_plan,
    check_may_take,
    may_see_casework,
    referrals_visible_to,
    sees_as_provider_only,
    service_for_new_referral,
)
from referrals.roles import Actor
from referrals.workflow import ALL_STEPS, TRANSITIONS

logger = logging.getLogger(__name__)

# Service functions name a few fields differently from the API's input: say the API's name.
_API_FIELD = {
    "consent_referral": "consents.referral",
    "consent_share_with_provider": "consents.share_with_provider",
    "referrer_name": "referrer.name",
}


def referral_exception_handler(exc, context):
    """Turns the referral domain's errors into HTTP answers (everything else as DRF does)."""
    if isinstance(exc, NotPermitted):
        set_rollback()
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, InvalidTransition):
        set_rollback()
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ReferralError):
        set_rollback()
        if not exc.field:
            return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
        return Response(_nested(_API_FIELD.get(exc.field, exc.field), [exc.message]), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        # A model check the input did not catch first: still a 400 naming the field, never a 500.
        set_rollback()
        if hasattr(exc, "error_dict"):
            body = {("non_field_errors" if field == "__all__" else field): messages
                    for field, messages in exc.message_dict.items()}
        else:
            body = {"non_field_errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)


def _nested(path: str, value) -> dict:
    """``"resident.nhs_number"`` -> ``{"resident": {"nhs_number": value}}``."""
    head, _, rest = path.partition(".")
    return {head: _nested(rest, value) if rest else value}


class ReferralApi(APIView):
    """What every referral endpoint shares: who may call, and how refusals are answered."""

    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [ActsForSomeone]
    schema = inputs.ReferralApiSchema()
    # JSON only: a referral's nested resident and consents have no form encoding.
    parser_classes = [JSONParser]
    # JSON out too: no browsable HTML pages of residents' details.
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return referral_exception_handler


def _referrals(actor: Actor):
    return (
        referrals_visible_to(actor)
        .select_related("resident", "activity", "provider", "link_worker")
        .prefetch_related("needs", "consents")
    )


def _visible_referral(request, reference: str) -> Referral:
    referral = _referrals(request.actor).filter(reference=reference).first()
    if referral is None:
        # Someone else's referral does not exist for this caller: the same answer as a wrong reference.
        raise exceptions.NotFound("No referral with this reference.")
    return referral


def _output(referral: Referral, actor: Actor) -> dict:
    return representations.provider_view(referral) if sees_as_provider_only(actor, referral) else representations.team_view(referral)


def _audited_output(request, referral: Referral, *, what: str) -> dict:
    audit_view(request.actor, what=f"API: {what}", referral=referral, request=request)
    return _output(referral, request.actor)


_ERRORS = {
    401: OpenApiResponse(outputs.ReferralErrorOutput, description="No token, or a token that is not valid, has expired or has been revoked."),
    403: OpenApiResponse(outputs.ReferralErrorOutput, description="The caller does not own this step for this referral."),
    404: OpenApiResponse(outputs.ReferralErrorOutput, description="No referral with this reference that the caller may see."),
}
_BAD_INPUT = OpenApiResponse(
    description='Bad input: the body names each field with what is wrong, e.g. {"resident": {"nhs_number": ["..."]}}.'
)
_REFERENCE = OpenApiParameter("reference", str, OpenApiParameter.PATH, description="The referral's reference, e.g. SP-ABC2345.")


# Creating, listing, reading ---------------------------------------------------------------


class ReferralCreateApi(ReferralApi):
    """A new referral into the caller's service: it lands in the triage queue."""

    @extend_schema(
        operation_id="referrals_create",
        summary="Make a referral",
        description=(
            "The resident's details, who is referring, their needs and what they agreed to. Everything is "
            "checked before anything is saved; the resident and the referral are saved together or not at "
            "all. Needs a social prescribing service's token (or its triage staff or link workers). "
            "Send an Idempotency-Key (a new UUID for each referral) to make retrying safe: the same key and "
            "body, within the time keys are kept (24 hours unless configured), give back the referral made "
            "the first time, with Idempotent-Replayed: true."
        ),
        request=inputs.ReferralCreateInput,
        parameters=[
            OpenApiParameter(
                idempotency.HEADER, str, OpenApiParameter.HEADER, required=False, pattern=idempotency.KEY_PATTERN,
                description=(
                    "A key of your choosing (a UUID) that makes a retried request return the same referral: "
                    "1 to 255 visible ASCII characters. Used again with a different body, it is refused (422)."
                ),
            )
        ],
        responses={
            201: outputs.ReferralOutput, 400: _BAD_INPUT, 401: _ERRORS[401], 403: _ERRORS[403],
            422: OpenApiResponse(outputs.ReferralErrorOutput, description="The Idempotency-Key was used for a different request."),
        },
        tags=["referrals"],
    )
    def post(self, request):
        actor = request.actor
        service = service_for_new_referral(actor)
        try:
            key = idempotency.key_from(request)
        except idempotency.BadKey as error:
            return Response({idempotency.HEADER: [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        serializer = inputs.ReferralCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if key is None:
            referral, replayed = _create(data, actor=actor, service=service), False
        else:
            try:
                referral, replayed = idempotency.once(
                    caller=idempotency.caller_of(request), key=key, digest=idempotency.request_hash(request.data),
                    make=lambda: _create(data, actor=actor, service=service),
                )
            except idempotency.KeyReused as error:
                return Response({"detail": str(error)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        if replayed:
            return self._made(request, referral, replayed=True)
        # The token's name (a system, not a person) or the member of staff's id: never a name.
        logger.info("Referral %s made through the API by %s", referral.reference,
                    actor.label if actor.user is None else f"user {actor.user_id}")
        return self._made(request, referral)

    def _made(self, request, referral: Referral, *, replayed: bool = False) -> Response:
        referral = _referrals(request.actor).get(pk=referral.pk)
        location = reverse("api-referral-detail", kwargs={"reference": referral.reference})
        headers = {"Location": location}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(representations.team_view(referral), status=status.HTTP_201_CREATED, headers=headers)


def _create(data: dict, *, actor: Actor, service) -> Referral:
    consents = dict(data["consents"])
    method, given_by = consents.pop("method"), consents.pop("given_by")
    return services.referral_create_for_new_resident(
        actor=actor,
        service=service,
        resident=data["resident"],
        resident_field_prefix="resident",
        source=data["source"],
        needs=data["needs"],
        what_matters=data["what_matters"],
        notes=data["notes"],
        priority=data["priority"],
        referrer=data.get("referrer") or {},
        consents=consents,
        consent_method=method,
        consent_given_by=given_by,
    )


class ReferralListApi(ReferralApi):
    """The referrals the caller may see, newest first."""

    @extend_schema(
        operation_id="referrals_list",
        summary="List referrals",
        description=(
            "A service's token sees its service's referrals; a provider's token only those sent to its "
            "organisation, as the provider summary."
        ),
        parameters=[inputs.ReferralListFilters],
        responses={200: outputs.ReferralPageOutput, 400: _BAD_INPUT, 401: _ERRORS[401], 403: _ERRORS[403]},
        tags=["referrals"],
    )
    def get(self, request):
        filters = inputs.ReferralListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        referrals = _referrals(request.actor)
        if wanted["status"]:
            referrals = referrals.filter(status__in=wanted["status"])
        if wanted["updated_since"] is not None:
            referrals = referrals.filter(updated_at__gte=wanted["updated_since"])
        count = referrals.count()
        size = wanted["page_size"]
        num_pages = max(1, -(-count // size))
        page = min(wanted["page"], num_pages)
        shown = list(referrals[(page - 1) * size: page * size])
        return Response(
            {
                "count": count,
                "page": page,
                "num_pages": num_pages,
                "results": [_audited_output(request, referral, what="referral list") for referral in shown],
            }
        )


class ReferralDetailApi(ReferralApi):
    @extend_schema(
        operation_id="referrals_retrieve",
        summary="Read a referral",
        parameters=[_REFERENCE],
        responses={200: outputs.AnyReferralOutput, 401: _ERRORS[401], 403: _ERRORS[403], 404: _ERRORS[404]},
        tags=["referrals"],
    )
    def get(self, request, reference: str):
        referral = _visible_referral(request, reference)
        return Response(_audited_output(request, referral, what="referral detail"))


# The steps ---------------------------------------------------------------------------------


class ReferralStepApi(ReferralApi):
    """One step of the pathway (``action``, a key of ``referrals.workflow.TRANSITIONS``)."""

    action: str
    input_serializer: type[serializers.Serializer]

    def post(self, request, reference: str):
        referral = _visible_referral(request, reference)
        # Refuse a step the caller does not own before reading its input: an outsider learns nothing.
        check_may_take(request.actor, referral, self.action)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform(referral=referral, actor=request.actor, **serializer.validated_data)
        referral = _referrals(request.actor).filter(pk=referral.pk).first() or Referral.objects.get(pk=referral.pk)
        return Response(_audited_output(request, referral, what=f"referral after {self.action.replace('_', ' ')}"))

    def perform(self, *, referral: Referral, actor: Actor, **data) -> Referral:
        raise NotImplementedError


def _step(action: str, input_serializer, *, summary: str, description: str = ""):
    """The schema for a step's endpoint (its own operation id and request body)."""
    transition = ALL_STEPS[action]
    owners = ", ".join(sorted(str(owner).replace("_", " ") for owner in transition.owners))
    sources = ", ".join(sorted(str(source) for source in transition.sources))
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"referrals_{action}",
            summary=summary,
            description=(
                f"{description} Allowed from: {sources}. Who may: {owners}."
                + (" Repeating it is harmless: it is recorded once." if transition.idempotent else "")
            ).strip(),
            parameters=[_REFERENCE],
            request=input_serializer,
            responses={
                200: outputs.AnyReferralOutput,
                400: _BAD_INPUT,
                401: _ERRORS[401],
                403: _ERRORS[403],
                404: _ERRORS[404],
                409: OpenApiResponse(outputs.ReferralErrorOutput, description="The referral is not at a point where this step can happen."),
            },
            tags=["referrals"],
        )
    )


@_step("triage", inputs.ReferralTriageInput, summary="Triage: a tier and a link worker",
       description="Triage staff (or the service's token) put the referral in a tier and allocate a link worker.")
class ReferralTriageApi(ReferralStepApi):
    action = "triage"
    input_serializer = inputs.ReferralTriageInput

    def perform(self, *, referral, actor, tier, link_worker, priority, note):
        worker = services.link_workers_of(referral.service).filter(username=link_worker).first()
        if worker is None:
            raise ReferralError("No link worker of this service has that username.", field="link_worker")
        return services.referral_triage(referral=referral, actor=actor, tier=tier, link_worker=worker,
                                        priority=priority or None, note=note)


@_step("record_contact", inputs.ReferralRecordContactInput, summary="Record first contact",
       description="The allocated link worker has spoken to the person.")
class ReferralRecordContactApi(ReferralStepApi):
    action = "record_contact"
    input_serializer = inputs.ReferralRecordContactInput

    def perform(self, *, referral, actor, note):
        return services.referral_record_contact(referral=referral, actor=actor, note=note)


@_step("choose_activity", inputs.ReferralChooseActivityInput, summary="Choose an activity",
       description="The person and their link worker chose an activity together.")
class ReferralChooseActivityApi(ReferralStepApi):
    action = "choose_activity"
    input_serializer = inputs.ReferralChooseActivityInput

    def perform(self, *, referral, actor, activity, note):
        chosen = ActivityPage.objects.filter(pk=activity).first()
        return services.referral_choose_activity(referral=referral, actor=actor, activity=chosen, note=note)


@_step("send_to_provider", inputs.ReferralSendToProviderInput, summary="Send to the provider",
       description="The activity's organisation is alerted; needs the person's consent to share their details.")
class ReferralSendToProviderApi(ReferralStepApi):
    action = "send_to_provider"
    input_serializer = inputs.ReferralSendToProviderInput

    def perform(self, *, referral, actor, note):
        return services.referral_send_to_provider(referral=referral, actor=actor, note=note)


@_step("provider_accept", inputs.ReferralAcceptInput, summary="Accept (provider)",
       description="The provider will welcome the person; the link worker is told.")
class ReferralAcceptApi(ReferralStepApi):
    action = "provider_accept"
    input_serializer = inputs.ReferralAcceptInput

    def perform(self, *, referral, actor, note):
        return services.referral_provider_accept(referral=referral, actor=actor, note=note)


@_step("provider_decline", inputs.ReferralDeclineInput, summary="Decline (provider)",
       description="The provider cannot take the person, with a reason; the link worker is told.")
class ReferralDeclineApi(ReferralStepApi):
    action = "provider_decline"
    input_serializer = inputs.ReferralDeclineInput

    def perform(self, *, referral, actor, reason, note):
        return services.referral_provider_decline(referral=referral, actor=actor, reason=reason, note=note)


@_step("book_first_session", inputs.ReferralBookFirstSessionInput, summary="Book the first session (provider)",
       description="A date and time, or one of the activity's sessions; the person is told by their preferred route.")
class ReferralBookFirstSessionApi(ReferralStepApi):
    action = "book_first_session"
    input_serializer = inputs.ReferralBookFirstSessionInput

    def perform(self, *, referral, actor, starts_at, session, note):
        chosen = None
        if session is not None:
            chosen = ActivitySession.objects.filter(pk=session).first()
            if chosen is None:
                raise ReferralError("Choose one of this activity's sessions.", field="session")
        return services.referral_book_first_session(referral=referral, actor=actor, starts_at=starts_at,
                                                    session=chosen, note=note)


_ONCE_STARTED = "Only once the first session has started (before it, a 409 says when it starts)."


@_step("record_attendance", inputs.ReferralRecordAttendanceInput, summary="Record that the person attended",
       description=_ONCE_STARTED)
class ReferralRecordAttendanceApi(ReferralStepApi):
    action = "record_attendance"
    input_serializer = inputs.ReferralRecordAttendanceInput

    def perform(self, *, referral, actor, note):
        return services.referral_record_attendance(referral=referral, actor=actor, note=note)


@_step("record_did_not_attend", inputs.ReferralRecordDidNotAttendInput, summary="Record that the person did not attend",
       description=_ONCE_STARTED)
class ReferralRecordDidNotAttendApi(ReferralStepApi):
    action = "record_did_not_attend"
    input_serializer = inputs.ReferralRecordDidNotAttendInput

    def perform(self, *, referral, actor, note):
        return services.referral_record_did_not_attend(referral=referral, actor=actor, note=note)


@_step("cancel_first_session", inputs.ReferralCancelFirstSessionInput, summary="Cancel the first session",
       description="With a reason; the link worker can then choose another activity with the person.")
class ReferralCancelFirstSessionApi(ReferralStepApi):
    action = "cancel_first_session"
    input_serializer = inputs.ReferralCancelFirstSessionInput

    def perform(self, *, referral, actor, note):
        return services.referral_cancel_first_session(referral=referral, actor=actor, note=note)


@_step("person_declines", inputs.ReferralPersonDeclinesInput, summary="The person declines social prescribing",
       description="Coded as SNOMED CT 871711000000103.")
class ReferralPersonDeclinesApi(ReferralStepApi):
    action = "person_declines"
    input_serializer = inputs.ReferralPersonDeclinesInput

    def perform(self, *, referral, actor, note):
        return services.referral_person_declines(referral=referral, actor=actor, note=note)


@_step("discharge", inputs.ReferralCloseInput, summary="Close with an outcome",
       description="The referrer is sent feedback if the person agreed.")
class ReferralCloseApi(ReferralStepApi):
    action = "discharge"
    input_serializer = inputs.ReferralCloseInput

    def perform(self, *, referral, actor, outcome, note):
        return services.referral_close(referral=referral, actor=actor, outcome=outcome, note=note)


# Casework: contacts and safeguarding concerns ----------------------------------------------------
# The social prescribing team's only: a provider (or its token) that sees the referral is refused (403),
# anyone else gets a 404. Reads are audited; changes go through ``referrals.contacts`` and
# ``referrals.safeguarding``, which audit them and ask the policy as the pages do.


def _casework_referral(request, reference: str) -> Referral:
    referral = _visible_referral(request, reference)
    if not may_see_casework(request.actor, referral):
        raise NotPermitted("Contacts and safeguarding concerns are for the social prescribing team only.")
    return referral


def _contact_output(contact) -> dict:
    return {
        "id": contact.pk, "at": contact.at, "method": contact.method, "status": contact.status,
        "duration_minutes": contact.duration_minutes, "is_review": contact.is_review, "note": contact.note,
        "recorded_by": contact.recorded_by_label, "reminder_queued_at": contact.reminder_queued_at,
    }


def _contacts_output(request, referral: Referral) -> dict:
    audit_view(request.actor, what="API: contacts", referral=referral, request=request)
    progress = selectors.contact_progress([referral])[referral.pk]
    return {
        "reference": referral.reference,
        "held": progress.held,
        "expected": progress.expected,
        "within_weeks": progress.expectation.within_weeks if progress.expectation else None,
        "past_expected_length": progress.past_expected_length,
        "failed_attempts": selectors.failed_contact_attempts(referral),
        "attempts_before_not_contactable": referral.service.attempts_before_not_contactable,
        "results": [_contact_output(contact) for contact in selectors.contacts_of(referral)],
    }


def _concern_output(concern) -> dict:
    return {
        "id": concern.pk, "raised_at": concern.raised_at, "raised_by": concern.raised_by_label,
        "concern": concern.concern, "action_taken": concern.action_taken, "open": concern.is_open,
        "resolved_at": concern.resolved_at, "resolved_by": concern.resolved_by_label,
        "resolution": concern.resolution,
    }


def _concerns_output(request, referral: Referral) -> dict:
    audit_view(request.actor, what="API: safeguarding concerns", referral=referral, request=request)
    return {"reference": referral.reference,
            "results": [_concern_output(concern) for concern in selectors.safeguarding_concerns_of(referral)]}


_CASEWORK_ERRORS = {
    400: _BAD_INPUT, 401: _ERRORS[401],
    403: OpenApiResponse(outputs.ReferralErrorOutput, description="A provider, or someone who may not do this."),
    404: _ERRORS[404],
    409: OpenApiResponse(outputs.ReferralErrorOutput, description="The referral (or the contact or concern) is not "
                         "at a point where this can happen."),
}


class ReferralContactsApi(ReferralApi):
    @extend_schema(
        operation_id="referrals_contacts_list", summary="List contacts",
        description="Every contact and attempt, newest first, with contacts held so far against what the service "
                    "expects for the tier. The social prescribing team only.",
        parameters=[_REFERENCE], responses={200: outputs.ContactListOutput, **_CASEWORK_ERRORS}, tags=["casework"],
    )
    def get(self, request, reference: str):
        referral = _casework_referral(request, reference)
        return Response(_contacts_output(request, referral))

    @extend_schema(
        operation_id="referrals_contacts_create", summary="Record or book a contact",
        description="The person's link worker records a contact that happened (held, did not attend, could not "
                    "reach) or books one in the future (status 'booked'). The first held contact moves a triaged "
                    "referral to contacted.",
        parameters=[_REFERENCE], request=inputs.ContactCreateInput,
        responses={201: outputs.ContactListOutput, **_CASEWORK_ERRORS}, tags=["casework"],
    )
    def post(self, request, reference: str):
        referral = _casework_referral(request, reference)
        check_may_record_contacts(request.actor, referral)
        serializer = inputs.ContactCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["status"] == ContactStatus.BOOKED:
            contacts.contact_book(referral=referral, actor=request.actor, at=data["at"], method=data["method"],
                                  note=data["note"], is_review=data["is_review"])
        else:
            contacts.contact_record(referral=referral, actor=request.actor, at=data["at"], method=data["method"],
                                    status=data["status"], duration_minutes=data["duration_minutes"],
                                    note=data["note"], is_review=data["is_review"])
        return Response(_contacts_output(request, referral), status=status.HTTP_201_CREATED)


class ReferralContactResultApi(ReferralApi):
    @extend_schema(
        operation_id="referrals_contacts_result", summary="Record what became of a booked contact",
        description="Held, did not attend, could not reach, or cancelled. Only a booked contact takes a result; "
                    "one that has not happened yet can only be cancelled.",
        parameters=[_REFERENCE, OpenApiParameter("contact_id", int, OpenApiParameter.PATH)],
        request=inputs.ContactResultInput, responses={200: outputs.ContactListOutput, **_CASEWORK_ERRORS},
        tags=["casework"],
    )
    def post(self, request, reference: str, contact_id: int):
        referral = _casework_referral(request, reference)
        check_may_record_contacts(request.actor, referral)
        contact = referral.contacts.filter(pk=contact_id).first()
        if contact is None:
            raise exceptions.NotFound("No contact with this id on this referral.")
        serializer = inputs.ContactResultInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        contacts.contact_record_result(contact=contact, actor=request.actor, **serializer.validated_data)
        return Response(_contacts_output(request, referral))


class ReferralConcernsApi(ReferralApi):
    @extend_schema(
        operation_id="referrals_safeguarding_list", summary="List safeguarding concerns",
        description="The social prescribing team only; never a provider.",
        parameters=[_REFERENCE], responses={200: outputs.ConcernListOutput, **_CASEWORK_ERRORS}, tags=["casework"],
    )
    def get(self, request, reference: str):
        referral = _casework_referral(request, reference)
        return Response(_concerns_output(request, referral))

    @extend_schema(
        operation_id="referrals_safeguarding_raise", summary="Raise a safeguarding concern",
        description="The person's link worker or the service's triage team. The service's safeguarding lead is "
                    "emailed at once with the reference and a link, never the concern.",
        parameters=[_REFERENCE], request=inputs.ConcernRaiseInput,
        responses={201: outputs.ConcernListOutput, **_CASEWORK_ERRORS}, tags=["casework"],
    )
    def post(self, request, reference: str):
        referral = _casework_referral(request, reference)
        check_may_handle_safeguarding(request.actor, referral)
        serializer = inputs.ConcernRaiseInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        safeguarding.concern_raise(referral=referral, actor=request.actor, **serializer.validated_data)
        return Response(_concerns_output(request, referral), status=status.HTTP_201_CREATED)


class ReferralConcernResolveApi(ReferralApi):
    @extend_schema(
        operation_id="referrals_safeguarding_resolve", summary="Resolve a safeguarding concern",
        parameters=[_REFERENCE, OpenApiParameter("concern_id", int, OpenApiParameter.PATH)],
        request=inputs.ConcernResolveInput, responses={200: outputs.ConcernListOutput, **_CASEWORK_ERRORS},
        tags=["casework"],
    )
    def post(self, request, reference: str, concern_id: int):
        referral = _casework_referral(request, reference)
        check_may_handle_safeguarding(request.actor, referral)
        concern = referral.safeguarding_concerns.filter(pk=concern_id).first()
        if concern is None:
            raise exceptions.NotFound("No safeguarding concern with this id on this referral.")
        serializer = inputs.ConcernResolveInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        safeguarding.concern_resolve(concern=concern, actor=request.actor, **serializer.validated_data)
        return Response(_concerns_output(request, referral))


# Casework routes after /api/v1/referrals/<reference>/ (urls.py builds them), with their names.
CASEWORK_APIS = {
    "contacts/": (ReferralContactsApi, "api-referral-contacts"),
    "contacts/<id:contact_id>/result/": (ReferralContactResultApi, "api-referral-contact-result"),
    "safeguarding/": (ReferralConcernsApi, "api-referral-safeguarding"),
    "safeguarding/<id:concern_id>/resolve/": (ReferralConcernResolveApi, "api-referral-safeguarding-resolve"),
}


# The steps' URL segments, in the pathway's order (urls.py builds the routes from this).
STEP_APIS = {
    "triage": ReferralTriageApi,
    "record-contact": ReferralRecordContactApi,
    "choose-activity": ReferralChooseActivityApi,
    "send-to-provider": ReferralSendToProviderApi,
    "accept": ReferralAcceptApi,
    "decline": ReferralDeclineApi,
    "book-first-session": ReferralBookFirstSessionApi,
    "record-attendance": ReferralRecordAttendanceApi,
    "record-did-not-attend": ReferralRecordDidNotAttendApi,
    "cancel-first-session": ReferralCancelFirstSessionApi,
    "person-declines": ReferralPersonDeclinesApi,
    "close": ReferralCloseApi,
}


# The care and support plan ---------------------------------------------------------------------
# Read by the person's link worker and their service's triage (or its token); changed only by the
# link worker; never seen by a provider (403). Each change is a version (``referrals.care_plans``).


def _plan_output(plan) -> dict:
    return {
        "reference": plan.referral.reference,
        **care_plans.plan_content(plan),
        "version": plan.versions.order_by("-number").values_list("number", flat=True).first() or 0,
        "created_at": plan.created_at,
        "updated_at": plan.updated_at,
    }


_PLAN_ERRORS = {
    401: _ERRORS[401],
    403: OpenApiResponse(outputs.ReferralErrorOutput, description="Only the person's link worker changes the plan; "
                         "their service's triage team reads it; providers never see it."),
    404: OpenApiResponse(outputs.ReferralErrorOutput, description="No referral with this reference that the caller "
                         "may see, or no plan (or goal, or action) yet."),
}
_PLAN_CHANGED = {
    200: outputs.CarePlanOutput, 400: _BAD_INPUT, **_PLAN_ERRORS,
    409: OpenApiResponse(outputs.ReferralErrorOutput, description="The plan is not started, or the referral is finished."),
}
_GOAL_ID = OpenApiParameter("goal_id", int, OpenApiParameter.PATH, description="The goal's id (as the plan gives it).")
_ACTION_ID = OpenApiParameter("action_id", int, OpenApiParameter.PATH, description="The action's id (as the plan gives it).")


class CarePlanApiBase(ReferralApi):
    def _referral(self, request, reference: str, *, change: bool) -> Referral:
        referral = _visible_referral(request, reference)
        # Refused before the input is read: an outsider learns nothing.
        (check_may_change_care_plan if change else check_may_see_care_plan)(request.actor, referral)
        return referral

    def _plan(self, referral: Referral):
        plan = care_plans.plan_for(referral)
        if plan is None:
            raise exceptions.NotFound("This referral has no plan yet.")
        return plan

    def _changed(self, request, referral: Referral) -> Response:
        plan = self._plan(referral)
        audit_view(request.actor, what="API: care and support plan after a change", referral=referral, request=request)
        return Response(_plan_output(plan))


class CarePlanApi(CarePlanApiBase):
    @extend_schema(operation_id="referrals_plan_retrieve", summary="Read the care and support plan",
                   parameters=[_REFERENCE], responses={200: outputs.CarePlanOutput, **_PLAN_ERRORS}, tags=["care plans"])
    def get(self, request, reference: str):
        referral = self._referral(request, reference, change=False)
        plan = self._plan(referral)
        audit_view(request.actor, what="API: care and support plan", referral=referral, request=request)
        return Response(_plan_output(plan))

    @extend_schema(operation_id="referrals_plan_start", summary="Start the care and support plan",
                   description="What matters is filled in from the referral. Starting a plan that exists changes nothing.",
                   parameters=[_REFERENCE], request=None, responses=_PLAN_CHANGED, tags=["care plans"])
    def post(self, request, reference: str):
        referral = self._referral(request, reference, change=True)
        care_plans.care_plan_start(referral=referral, actor=request.actor)
        return self._changed(request, referral)


class CarePlanWhatMattersApi(CarePlanApiBase):
    @extend_schema(operation_id="referrals_plan_what_matters", summary="Change what matters to the person",
                   parameters=[_REFERENCE], request=inputs.CarePlanWhatMattersInput, responses=_PLAN_CHANGED,
                   tags=["care plans"])
    def post(self, request, reference: str):
        referral = self._referral(request, reference, change=True)
        serializer = inputs.CarePlanWhatMattersInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        care_plans.care_plan_change_what_matters(referral=referral, actor=request.actor, **serializer.validated_data)
        return self._changed(request, referral)


class CarePlanGoalAddApi(CarePlanApiBase):
    @extend_schema(operation_id="referrals_plan_goal_add", summary="Add a goal", parameters=[_REFERENCE],
                   request=inputs.CarePlanGoalInput, responses=_PLAN_CHANGED, tags=["care plans"])
    def post(self, request, reference: str):
        referral = self._referral(request, reference, change=True)
        serializer = inputs.CarePlanGoalInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        care_plans.goal_add(referral=referral, actor=request.actor, **serializer.validated_data)
        return self._changed(request, referral)


class CarePlanGoalApi(CarePlanApiBase):
    @extend_schema(operation_id="referrals_plan_goal_change", summary="Change a goal",
                   description="Send only what changes: its words, status or review date.",
                   parameters=[_REFERENCE, _GOAL_ID], request=inputs.CarePlanGoalChangeInput,
                   responses=_PLAN_CHANGED, tags=["care plans"])
    def post(self, request, reference: str, goal_id: int):
        referral = self._referral(request, reference, change=True)
        if not self._plan(referral).goals.filter(pk=goal_id).exists():
            raise exceptions.NotFound("This plan has no such goal.")
        serializer = inputs.CarePlanGoalChangeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        care_plans.goal_edit(referral=referral, actor=request.actor, goal_id=goal_id, **serializer.validated_data)
        return self._changed(request, referral)


class CarePlanActionAddApi(CarePlanApiBase):
    @extend_schema(operation_id="referrals_plan_action_add", summary="Add an action (who does what by when)",
                   parameters=[_REFERENCE], request=inputs.CarePlanActionInput, responses=_PLAN_CHANGED,
                   tags=["care plans"])
    def post(self, request, reference: str):
        referral = self._referral(request, reference, change=True)
        serializer = inputs.CarePlanActionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        care_plans.action_add(referral=referral, actor=request.actor, goal_id=data.pop("goal"), **data)
        return self._changed(request, referral)


class CarePlanActionApi(CarePlanApiBase):
    @extend_schema(operation_id="referrals_plan_action_change", summary="Change an action, or mark it done",
                   description="Send only what changes; \"done\": true marks it done.",
                   parameters=[_REFERENCE, _ACTION_ID], request=inputs.CarePlanActionChangeInput,
                   responses=_PLAN_CHANGED, tags=["care plans"])
    def post(self, request, reference: str, action_id: int):
        referral = self._referral(request, reference, change=True)
        if not self._plan(referral).actions.filter(pk=action_id).exists():
            raise exceptions.NotFound("This plan has no such action.")
        serializer = inputs.CarePlanActionChangeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "goal" in data:
            data["goal_id"] = data.pop("goal")
        care_plans.action_edit(referral=referral, actor=request.actor, action_id=action_id, **data)
        return self._changed(request, referral)


class CarePlanHistoryApi(CarePlanApiBase):
    @extend_schema(operation_id="referrals_plan_history", summary="Read the plan's history (every version)",
                   parameters=[_REFERENCE], responses={200: outputs.CarePlanHistoryOutput, **_PLAN_ERRORS},
                   tags=["care plans"])
    def get(self, request, reference: str):
        referral = self._referral(request, reference, change=False)
        plan = self._plan(referral)
        audit_view(request.actor, what="API: care and support plan history", referral=referral, request=request)
        return Response({
            "reference": referral.reference,
            "versions": [
                {"number": v.number, "at": v.at, "by": v.actor_label, "change": v.change, "content": v.content}
                for v in plan.versions.order_by("number")
            ],
        })
