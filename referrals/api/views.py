"""The referral API: create, list, read, one endpoint per step of the pathway, the connections
(each activity or service the person is connected to, named by its number), discharge, and the
casework (contacts, the plan, safeguarding).

One API class per operation, each with its input serializer; all of them act through
``referrals.services`` as the caller's ``Actor``, so the API is held to the same rules as
the staff pages and the emailed links. A referral is named by its reference (SP-ABC2345),
never by a guessable number. A referral the caller cannot see is a 404; a step it does not
own a 403; a step the referral is not ready for a 409; bad input a 400 naming the field.
Every read of a referral is written to the audit trail. Every change takes an Idempotency-Key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler, set_rollback

from directory.models import ActivityPage, ActivitySession
from referrals import care_plans, contacts, safeguarding, selectors, services, triage_outcomes
from referrals.api import idempotency, inputs, outputs, representations
from referrals.api.authentication import AUTHENTICATION_CLASSES, ActsForSomeone
from referrals.audit import audit_view
from referrals.choices import ConnectionKind, ContactStatus, DischargeReason, ReferralStatus
from referrals.errors import InvalidTransition, NotPermitted, ReferralError
from referrals.models import Connection, Referral, SocialPrescribingService
from referrals.permissions import (
    check_may_change_care_plan,
    check_may_handle_safeguarding,
    check_may_record_contacts,
    check_may_see_care_plan,
    check_may_take,
    may_see_casework,
    provider_connections_visible_to,
    referrals_visible_to,
    sees_as_provider_only,
    service_for_new_referral,
)
from referrals.roles import Actor
from referrals.workflow import ALL_STEPS, TRANSITIONS

logger = logging.getLogger(__name__)

# A connection's number in a URL: 1 to 9,999 (a referral has a handful).
MAX_CONNECTION_NUMBER = 9999

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
        .select_related("resident", "resident__practice", "link_worker", "discharge_summary")
        .prefetch_related("needs", "consents",
                          Prefetch("connections", queryset=Connection.objects.select_related("activity", "provider")))
    )


def _visible_referral(request, reference: str) -> Referral:
    referral = _referrals(request.actor).filter(reference=reference).first()
    if referral is None:
        # Someone else's referral does not exist for this caller: the same answer as a wrong reference.
        raise exceptions.NotFound("No referral with this reference.")
    return referral


def _connections_seen(actor: Actor, referrals) -> dict[int, list[Connection]]:
    """By referral id, the connections (prefetched with ``_referrals``) ``actor`` sees of each: all of them
    for the social prescribing team; for a provider, only those the policy says were sent to them."""
    referrals = list(referrals)
    provider_only = {referral.pk for referral in referrals if sees_as_provider_only(actor, referral)}
    theirs = set(
        provider_connections_visible_to(actor).filter(referral_id__in=provider_only).values_list("pk", flat=True)
    ) if provider_only else set()
    return {
        referral.pk: sorted((c for c in referral.connections.all() if referral.pk not in provider_only or c.pk in theirs),
                            key=lambda c: c.number)
        for referral in referrals
    }


def _output(referral: Referral, actor: Actor, connections: list[Connection]) -> dict:
    if sees_as_provider_only(actor, referral):
        return representations.provider_view(referral, connections)
    return representations.team_view(referral, connections)


def _audited_output(request, referral: Referral, *, what: str, connections=None) -> dict:
    audit_view(request.actor, what=f"API: {what}", referral=referral, request=request)
    if connections is None:
        connections = _connections_seen(request.actor, [referral])[referral.pk]
    return _output(referral, request.actor, connections)


def _visible_connection(request, referral: Referral, number: int) -> Connection:
    """Connection ``number`` of ``referral``, if the caller sees it (a provider only its own): else a 404."""
    connection = next((c for c in _connections_seen(request.actor, [referral])[referral.pk] if c.number == number),
                      None)
    if connection is None:
        raise exceptions.NotFound("No connection with this number on this referral.")
    connection.referral = referral
    return connection


def _connection_output(request, connection: Connection, *, what: str) -> dict:
    referral = connection.referral
    audit_view(request.actor, what=f"API: connection {connection.number}: {what}", referral=referral, request=request)
    if sees_as_provider_only(request.actor, referral):
        return representations.connection_provider_view(connection)
    return representations.connection_team_view(connection)


# Idempotency-Key on every change ---------------------------------------------------------------


class KeyReusedError(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def _idempotency_key(request) -> str | None:
    try:
        return idempotency.key_from(request)
    except idempotency.BadKey as error:
        raise exceptions.ValidationError({idempotency.HEADER: [str(error)]}) from None


def _once(request, make, *, key: str | None, **how):
    """``make()`` once for the caller's ``Idempotency-Key`` (if they sent one): (what was made or
    changed, whether this is a retry of a request already done)."""
    if key is None:
        return make(), False
    try:
        return idempotency.once(caller=idempotency.caller_of(request), key=key,
                                digest=idempotency.request_hash(request.data, path=request.path), make=make, **how)
    except idempotency.KeyReused as error:
        raise KeyReusedError(str(error)) from None


def _replayed(response: Response, replayed: bool) -> Response:
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


_ERRORS = {
    401: OpenApiResponse(outputs.ReferralErrorOutput, description="No token, or a token that is not valid, has expired or has been revoked."),
    403: OpenApiResponse(outputs.ReferralErrorOutput, description="The caller does not own this step for this referral."),
    404: OpenApiResponse(outputs.ReferralErrorOutput, description="No referral with this reference that the caller may see."),
}
_BAD_INPUT = OpenApiResponse(
    description='Bad input: the body names each field with what is wrong, e.g. {"resident": {"nhs_number": ["..."]}}.'
)
_REFERENCE = OpenApiParameter("reference", str, OpenApiParameter.PATH, description="The referral's reference, e.g. SP-ABC2345.")
_NUMBER = OpenApiParameter(
    "number", {"type": "integer", "minimum": 1, "maximum": MAX_CONNECTION_NUMBER}, OpenApiParameter.PATH,
    description="The connection's number within the referral (1, 2, 3...).",
)
_KEY = OpenApiParameter(
    idempotency.HEADER, str, OpenApiParameter.HEADER, required=False, pattern=idempotency.KEY_PATTERN,
    description=(
        "A key of your choosing (a new UUID for each change) that makes a retried request safe: the same key and "
        "request within the time keys are kept (24 hours unless configured) do nothing again and answer with what "
        "was made or changed, with Idempotent-Replayed: true. 1 to 255 visible ASCII characters. Used again for a "
        "different request, it is refused (422)."
    ),
)
_KEY_REUSED = OpenApiResponse(outputs.ReferralErrorOutput, description="The Idempotency-Key was used for a different request.")


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
        return Response(representations.team_view(referral, []), status=status.HTTP_201_CREATED, headers=headers)


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
            "A service's token sees its service's referrals; a provider's token only those with a connection "
            "sent to its organisation, as the provider summary (with only those connections)."
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
        connections = _connections_seen(request.actor, shown)
        return Response(
            {
                "count": count,
                "page": page,
                "num_pages": num_pages,
                "results": [_audited_output(request, referral, what="referral list", connections=connections[referral.pk])
                            for referral in shown],
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
# The referral's own steps (triage, record contact, person declines) act on the referral. A
# connection's steps come twice: named by the connection (/connections/{number}/<step>/), and, as
# before several connections, on the referral (/<step>/), where they act on the one connection the
# step can mean (``services.connection_for_step``; a 409 asks to name it when several could be meant).


# Steps that make a connection rather than act on one.
NEW_CONNECTION_STEPS = frozenset({"choose_activity", "signpost"})


def _409(description: str) -> OpenApiResponse:
    return OpenApiResponse(outputs.ReferralErrorOutput, description=description)


def _allowed(action: str) -> str:
    transition = ALL_STEPS[action]
    owners = ", ".join(sorted(str(owner).replace("_", " ") for owner in transition.owners))
    sources = ", ".join(sorted(str(source) for source in transition.sources if source)) or "a referral in support"
    return (f" Allowed from: {sources}. Who may: {owners}."
            + (" Repeating it is harmless: it is recorded once." if transition.idempotent else ""))


class ReferralStepApi(ReferralApi):
    """One step of the pathway on a referral (``action``: the referral's own, or a connection's step
    meaning its one connection)."""

    action: str
    input_serializer: type[serializers.Serializer]

    def post(self, request, reference: str):
        referral = _visible_referral(request, reference)
        transition = ALL_STEPS[self.action]
        connection = None
        if transition.on_connection and self.action not in NEW_CONNECTION_STEPS:
            # Only the connections this caller may take the step on count (a provider's own).
            connection = services.connection_for_step(referral, self.action, actor=request.actor)
        # Refuse a step the caller does not own before reading its input: an outsider learns nothing.
        check_may_take(request.actor, referral, self.action, connection)
        key = _idempotency_key(request)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def make():
            if connection is not None:
                _CONNECTION_STEPS[self.action].perform(connection=connection, actor=request.actor, **data)
            else:
                self.perform(referral=referral, actor=request.actor, **data)
            return referral

        _, replayed = _once(request, make, key=key)
        referral = _referrals(request.actor).filter(pk=referral.pk).first() or Referral.objects.get(pk=referral.pk)
        return _replayed(Response(_audited_output(request, referral,
                                                  what=f"referral after {self.action.replace('_', ' ')}")), replayed)

    def perform(self, *, referral: Referral, actor: Actor, **data):
        raise NotImplementedError


_STEP_RESPONSES = {
    200: outputs.AnyReferralOutput, 400: _BAD_INPUT, 401: _ERRORS[401], 403: _ERRORS[403], 404: _ERRORS[404],
    422: _KEY_REUSED,
}


def _step(action: str, input_serializer, *, summary: str, description: str = ""):
    """The schema for a step's endpoint on a referral (its own operation id and request body)."""
    transition = ALL_STEPS[action]
    if transition.on_connection and action not in NEW_CONNECTION_STEPS:
        description = (
            f"{description} On the referral's connection that this step can follow (its only one, for a referral "
            f"with one connection); when several could be meant, a 409 says so: name the connection with "
            f"/connections/{{number}}/{_CONNECTION_STEPS[action].segment}/."
        )
        conflict = _409("No connection this step can follow, or several (name the connection), or the "
                        "connection is not at a point where this step can happen.")
    else:
        conflict = _409("The referral is not at a point where this step can happen.")
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"referrals_{action}",
            summary=summary,
            description=(description + _allowed(action)).strip(),
            parameters=[_REFERENCE, _KEY],
            request=input_serializer,
            responses={**_STEP_RESPONSES, 409: conflict},
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
       description="The allocated link worker has spoken to the person: they are now in support.")
class ReferralRecordContactApi(ReferralStepApi):
    action = "record_contact"
    input_serializer = inputs.ReferralRecordContactInput

    def perform(self, *, referral, actor, note):
        return services.referral_record_contact(referral=referral, actor=actor, note=note)


@_step("choose_activity", inputs.ReferralChooseActivityInput, summary="Choose an activity (a new connection)",
       description="The person and their link worker chose an activity together: a new connection, numbered after "
                   "the last (POST /connections/ does the same, and signposts too, and answers with the connection).")
class ReferralChooseActivityApi(ReferralStepApi):
    action = "choose_activity"
    input_serializer = inputs.ReferralChooseActivityInput

    def perform(self, *, referral, actor, activity, note):
        chosen = ActivityPage.objects.filter(pk=activity).first()
        return services.connection_choose_activity(referral=referral, actor=actor, activity=chosen, note=note)


@_step("person_declines", inputs.ReferralPersonDeclinesInput, summary="The person declines social prescribing",
       description="Coded as SNOMED CT 871711000000103. They are then discharged (POST /discharge/).")
class ReferralPersonDeclinesApi(ReferralStepApi):
    action = "person_declines"
    input_serializer = inputs.ReferralPersonDeclinesInput

    def perform(self, *, referral, actor, note):
        return services.referral_person_declines(referral=referral, actor=actor, note=note)


@_step("redirect", inputs.ReferralRedirectInput, summary="Redirect to another service (triage)",
       description="Triage's answer for a referral that is for another service: another service that uses Signpost "
                   "(``to_service``, its slug: the referral is handed over, a new referral in its triage queue), or "
                   "one outside Signpost by name (``to_name``), with the reason (``note``). The referrer is told. "
                   "Final: the referral is redirected.")
class ReferralRedirectApi(ReferralStepApi):
    action = "redirect"
    input_serializer = inputs.ReferralRedirectInput

    def perform(self, *, referral, actor, to_service, to_name, note):
        service = None
        if to_service:
            service = SocialPrescribingService.objects.filter(slug=to_service).first()
            if service is None:
                raise ReferralError("No service that uses Signpost has that slug.", field="to_service")
        return triage_outcomes.referral_redirect(referral=referral, actor=actor, to_service=service,
                                                 to_name=to_name, note=note)


@_step("decline_not_eligible", inputs.ReferralDeclineNotEligibleInput, summary="Decline as not eligible (triage)",
       description="Triage's answer for a person the service is not for, with a reason code (\"other\" needs a "
                   "note). The referrer is told the reason and what they can do instead. The SNOMED CT code stays "
                   "871731000000106 (the person did not decline). Final.")
class ReferralDeclineNotEligibleApi(ReferralStepApi):
    action = "decline_not_eligible"
    input_serializer = inputs.ReferralDeclineNotEligibleInput

    def perform(self, *, referral, actor, reason, note):
        return triage_outcomes.referral_decline_not_eligible(referral=referral, actor=actor, reason=reason, note=note)


# A connection's steps: one table, from which both routes are built -------------------------------


def _activity(activity: int):
    return ActivityPage.objects.filter(pk=activity).first()


def _book(*, connection, actor, starts_at, session, note):
    chosen = None
    if session is not None:
        chosen = ActivitySession.objects.filter(pk=session).first()
        if chosen is None:
            raise ReferralError("Choose one of this activity's sessions.", field="session")
    return services.connection_book_first_session(connection=connection, actor=actor, starts_at=starts_at,
                                                  session=chosen, note=note)


@dataclass(frozen=True)
class ConnectionStep:
    action: str
    segment: str
    input: type[serializers.Serializer]
    perform: Callable
    summary: str
    description: str = ""
    # Also on the referral, as before several connections (``STEP_APIS``).
    on_referral: bool = True


_ONCE_STARTED = "Only once the first session has started (before it, a 409 says when it starts)."

CONNECTION_STEPS = [
    ConnectionStep(
        "change_activity", "change-activity", inputs.ReferralChangeActivityInput,
        lambda *, connection, actor, activity, note: services.connection_change_activity(
            connection=connection, actor=actor, activity=_activity(activity), note=note),
        "Change the activity", "Another activity instead, before it is sent to the provider.", on_referral=False),
    ConnectionStep(
        "send_to_provider", "send-to-provider", inputs.ReferralSendToProviderInput,
        lambda *, connection, actor, note: services.connection_send_to_provider(connection=connection, actor=actor,
                                                                                note=note),
        "Send to the provider",
        "The activity's organisation is alerted; needs the person's consent to share their details."),
    ConnectionStep(
        "provider_accept", "accept", inputs.ReferralAcceptInput,
        lambda *, connection, actor, note: services.connection_provider_accept(connection=connection, actor=actor,
                                                                               note=note),
        "Accept (provider)", "The provider will welcome the person; the link worker is told."),
    ConnectionStep(
        "provider_decline", "decline", inputs.ReferralDeclineInput,
        lambda *, connection, actor, reason, note: services.connection_provider_decline(
            connection=connection, actor=actor, reason=reason, note=note),
        "Decline (provider)", "The provider cannot take the person, with a reason; the link worker is told."),
    ConnectionStep(
        "book_first_session", "book-first-session", inputs.ReferralBookFirstSessionInput, _book,
        "Book the first session (provider)",
        "A date and time within a year, or one of the activity's sessions; the person is told by their preferred "
        "route."),
    ConnectionStep(
        "mark_resident_notified", "mark-resident-notified", inputs.ReferralMarkResidentNotifiedInput,
        lambda *, connection, actor, note: services.connection_mark_resident_notified(
            connection=connection, actor=actor, note=note),
        "Record that the person was told of the first session",
        "When the link worker told them themselves (a message Signpost sends records it by itself)."),
    ConnectionStep(
        "record_attendance", "record-attendance", inputs.ReferralRecordAttendanceInput,
        lambda *, connection, actor, note: services.connection_record_attendance(connection=connection, actor=actor,
                                                                                 note=note),
        "Record that the person attended", _ONCE_STARTED),
    ConnectionStep(
        "record_did_not_attend", "record-did-not-attend", inputs.ReferralRecordDidNotAttendInput,
        lambda *, connection, actor, note: services.connection_record_did_not_attend(
            connection=connection, actor=actor, note=note),
        "Record that the person did not attend", _ONCE_STARTED),
    ConnectionStep(
        "cancel_first_session", "cancel-first-session", inputs.ReferralCancelFirstSessionInput,
        lambda *, connection, actor, note: services.connection_cancel_first_session(
            connection=connection, actor=actor, note=note),
        "Cancel the first session", "With a reason; the link worker can then connect the person to another activity."),
    ConnectionStep(
        "record_signpost_outcome", "record-signpost-outcome", inputs.ReferralSignpostOutcomeInput,
        lambda *, connection, actor, outcome, note: services.connection_record_signpost_outcome(
            connection=connection, actor=actor, outcome=outcome, note=note),
        "Record what came of a signpost", "Whether the person took up the service.", on_referral=False),
    ConnectionStep(
        "withdraw", "withdraw", inputs.ReferralWithdrawInput,
        lambda *, connection, actor, note: services.connection_withdraw(connection=connection, actor=actor, note=note),
        "Withdraw the connection", "It is still open and no longer right for the person; a provider it was sent to "
        "is told.", on_referral=False),
]
_CONNECTION_STEPS = {step.action: step for step in CONNECTION_STEPS}


def _referral_step_api(step: ConnectionStep) -> type[ReferralStepApi]:
    api = type(f"Referral{_camel(step.action)}Api", (ReferralStepApi,),
               {"action": step.action, "input_serializer": step.input, "__module__": __name__,
                "__doc__": f"{step.summary}, on the referral's one connection this step can mean."})
    return _step(step.action, step.input, summary=step.summary, description=step.description)(api)


def _camel(action: str) -> str:
    return "".join(word.capitalize() for word in action.split("_"))


class ConnectionStepApi(ReferralApi):
    """One step of one connection, named by its number."""

    step: ConnectionStep

    def post(self, request, reference: str, number: int):
        referral = _visible_referral(request, reference)
        connection = _visible_connection(request, referral, number)
        # Refused before the input is read: an outsider learns nothing.
        check_may_take(request.actor, referral, self.step.action, connection)
        key = _idempotency_key(request)
        serializer = self.step.input(data=request.data)
        serializer.is_valid(raise_exception=True)

        def make():
            self.step.perform(connection=connection, actor=request.actor, **serializer.validated_data)
            return referral

        _, replayed = _once(request, make, key=key)
        connection = _visible_connection(request, _visible_referral(request, reference), number)
        return _replayed(Response(_connection_output(request, connection, what=f"after {self.step.summary.lower()}")),
                         replayed)


def _connection_step_api(step: ConnectionStep) -> type[ConnectionStepApi]:
    api = type(f"Connection{_camel(step.action)}Api", (ConnectionStepApi,),
               {"step": step, "__module__": __name__, "__doc__": step.summary})
    return extend_schema_view(post=extend_schema(
        operation_id=f"referrals_connections_{step.action}",
        summary=step.summary,
        description=(step.description + _allowed(step.action)).strip(),
        parameters=[_REFERENCE, _NUMBER, _KEY],
        request=step.input,
        responses={
            200: outputs.AnyConnectionOutput, 400: _BAD_INPUT, 401: _ERRORS[401], 403: _ERRORS[403],
            404: _CONNECTION_404, 409: _409("The connection (or the referral) is not at a point where this step "
                                            "can happen."), 422: _KEY_REUSED,
        },
        tags=["connections"],
    ))(api)


_CONNECTION_404 = OpenApiResponse(outputs.ReferralErrorOutput, description="No referral with this reference, or no "
                                  "connection with this number on it, that the caller may see.")


# Connections: listing, making, reading -------------------------------------------------------------


class ConnectionsApi(ReferralApi):
    @extend_schema(
        operation_id="referrals_connections_list", summary="List the referral's connections",
        description="Every activity and service the person is connected to, by number. A provider sees only the "
                    "connections sent to its organisation, without the team's notes.",
        parameters=[_REFERENCE], responses={200: outputs.ConnectionListOutput, 401: _ERRORS[401], 404: _ERRORS[404]},
        tags=["connections"],
    )
    def get(self, request, reference: str):
        referral = _visible_referral(request, reference)
        audit_view(request.actor, what="API: connections", referral=referral, request=request)
        connections = _connections_seen(request.actor, [referral])[referral.pk]
        view = (representations.connection_provider_view if sees_as_provider_only(request.actor, referral)
                else representations.connection_team_view)
        return Response({"reference": referral.reference, "results": [view(c) for c in connections]})

    @extend_schema(
        operation_id="referrals_connections_create", summary="Connect the person to an activity or a service",
        description=(
            "The person's link worker, once the person is in support (after the first contact): 'activity' connects "
            "them to an activity in the directory (then send it to the provider); 'signpost' to a service outside "
            "the directory (then record what came of it). The new connection is numbered after the last."
            + _allowed("choose_activity")
        ),
        parameters=[_REFERENCE, _KEY],
        request=PolymorphicProxySerializer(
            component_name="ConnectionCreateInput",
            serializers={kind: serializer for kind, serializer in inputs.CONNECTION_INPUTS.items()},
            resource_type_field_name="kind",
        ),
        responses={
            201: outputs.ConnectionOutput, 400: _BAD_INPUT, 401: _ERRORS[401], 403: _ERRORS[403], 404: _ERRORS[404],
            409: _409("The person is not in support (before the first contact, or discharged)."), 422: _KEY_REUSED,
        },
        tags=["connections"],
    )
    def post(self, request, reference: str):
        referral = _visible_referral(request, reference)
        # Both kinds are the link worker's: refused before the input is read.
        check_may_take(request.actor, referral, "choose_activity")
        key = _idempotency_key(request)
        kind = inputs.ConnectionKindInput(data=request.data)
        kind.is_valid(raise_exception=True)
        serializer = inputs.CONNECTION_INPUTS[kind.validated_data["kind"]](data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)

        def make():
            if data.pop("kind") == ConnectionKind.ACTIVITY:
                return services.connection_choose_activity(referral=referral, actor=request.actor,
                                                           activity=_activity(data["activity"]), note=data["note"])
            return services.connection_signpost(referral=referral, actor=request.actor, **data)

        connection, replayed = _once(request, make, key=key, referral_of=lambda made: made.referral,
                                     replay=lambda earlier: earlier.referral.connections.get(
                                         created_at=earlier.created_at))
        connection = _visible_connection(request, _visible_referral(request, reference), connection.number)
        location = reverse("api-referral-connection", kwargs={"reference": reference, "number": connection.number})
        response = Response(_connection_output(request, connection, what="made"), status=status.HTTP_201_CREATED,
                            headers={"Location": location})
        return _replayed(response, replayed)


class ConnectionApi(ReferralApi):
    @extend_schema(
        operation_id="referrals_connections_retrieve", summary="Read a connection",
        parameters=[_REFERENCE, _NUMBER],
        responses={200: outputs.AnyConnectionOutput, 401: _ERRORS[401], 404: _CONNECTION_404}, tags=["connections"],
    )
    def get(self, request, reference: str, number: int):
        connection = _visible_connection(request, _visible_referral(request, reference), number)
        return Response(_connection_output(request, connection, what="detail"))


# Discharge (it replaces closing) ------------------------------------------------------------------


def _check_dischargeable(referral: Referral) -> None:
    """A 409 for a referral that cannot be discharged now (before the service checks the reason)."""
    if referral.status == ReferralStatus.DISCHARGED:
        raise InvalidTransition("This referral has been discharged: its summary is at "
                                f"{reverse('api-referral-discharge-summary', kwargs={'reference': referral.reference})}.")
    if referral.status not in TRANSITIONS["discharge"].sources:
        raise InvalidTransition(f"This referral is {referral.get_status_display().lower()}, so it cannot be "
                                "discharged yet: it has not been triaged.")


class DischargePreviewApi(ReferralApi):
    @extend_schema(
        operation_id="referrals_discharge_preview", summary="Check the discharge summary before discharging",
        description=(
            "The discharge summary as it would be final and sent to the referrer (the person, the referral, contacts, "
            "the plan, connections and attendance, wellbeing before and after, the reason), with its fingerprint: "
            "send the fingerprint back to POST /discharge/. Changes nothing." + _allowed("discharge")
        ),
        parameters=[_REFERENCE], request=inputs.DischargePreviewInput,
        responses={200: outputs.DischargePreviewOutput, 400: _BAD_INPUT, 401: _ERRORS[401], 403: _ERRORS[403],
                   404: _ERRORS[404], 409: _409("The referral cannot be discharged now (not triaged yet, or "
                                                 "discharged already).")},
        tags=["discharge"],
    )
    def post(self, request, reference: str):
        referral = _visible_referral(request, reference)
        check_may_take(request.actor, referral, "discharge")
        _check_dischargeable(referral)
        serializer = inputs.DischargePreviewInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        content = services.referral_discharge_preview(referral=referral, actor=request.actor,
                                                      **serializer.validated_data)
        audit_view(request.actor, what="API: discharge summary (preview)", referral=referral, request=request)
        return Response({"reference": referral.reference, "fingerprint": content["fingerprint"], "content": content})


class DischargeApi(ReferralApi):
    @extend_schema(
        operation_id="referrals_discharge", summary="Discharge",
        description=(
            "The summary the link worker checked (its fingerprint, from the preview) becomes final and the referrer "
            "is told (if the person agreed); connections still open and not with a provider are withdrawn. If "
            "anything was recorded since the preview (the summary's fingerprint differs), a 409: check it again. "
            "Replaces closing (POST /close/ answers 410)." + _allowed("discharge")
        ),
        parameters=[_REFERENCE, _KEY], request=inputs.DischargeInput,
        responses={**_STEP_RESPONSES, 409: _409("The summary has changed since it was checked, or the referral "
                                                 "cannot be discharged now.")},
        tags=["discharge"],
    )
    def post(self, request, reference: str):
        referral = _visible_referral(request, reference)
        check_may_take(request.actor, referral, "discharge")
        key = _idempotency_key(request)
        serializer = inputs.DischargeInput(data=request.data)
        serializer.is_valid(raise_exception=True)

        def make():
            try:
                return services.referral_discharge(referral=referral, actor=request.actor, **serializer.validated_data)
            except ReferralError as error:
                if error.field == "fingerprint":  # not bad input: the record moved on since it was checked
                    raise InvalidTransition(error.message) from None
                raise

        _, replayed = _once(request, make, key=key)
        referral = _visible_referral(request, reference)
        return _replayed(Response(_audited_output(request, referral, what="referral after discharge")), replayed)


class DischargeSummaryApi(ReferralApi):
    @extend_schema(
        operation_id="referrals_discharge_summary", summary="Read the final discharge summary",
        description="As it was final (what the referrer was sent). The social prescribing team only; never a provider.",
        parameters=[_REFERENCE],
        responses={200: outputs.DischargeSummaryOutput, 401: _ERRORS[401],
                   403: OpenApiResponse(outputs.ReferralErrorOutput, description="A provider."),
                   404: OpenApiResponse(outputs.ReferralErrorOutput, description="No referral with this reference "
                                        "that the caller may see, or not discharged.")},
        tags=["discharge"],
    )
    def get(self, request, reference: str):
        referral = _visible_referral(request, reference)
        if not may_see_casework(request.actor, referral):
            raise NotPermitted("The discharge summary is for the social prescribing team only.")
        summary = getattr(referral, "discharge_summary", None)
        if summary is None or not summary.is_final:
            raise exceptions.NotFound("This referral has no final discharge summary: it has not been discharged.")
        audit_view(request.actor, what="API: discharge summary", referral=referral, request=request)
        return Response({
            "reference": referral.reference, "reason": summary.reason,
            "reason_label": DischargeReason(summary.reason).label, "note": summary.note,
            "prepared_by": summary.prepared_by_label, "final_at": summary.final_at, "content": summary.content,
        })


class ReferralCloseApi(ReferralApi):
    """Closing with an outcome was replaced by discharge, which needs the summary checked first."""

    @extend_schema(
        operation_id="referrals_close", summary="Close (gone: use discharge)", deprecated=True,
        description="Replaced by discharge: a 410 for any referral the caller can see. Discharging needs the link "
                    "worker to check the discharge summary first, which closing never did, so a close is not "
                    "quietly turned into a discharge: POST /discharge/preview/ with the reason and note, then POST "
                    "/discharge/ with the same and the preview's fingerprint. (The outcomes map onto discharge "
                    "reasons.)",
        parameters=[_REFERENCE], request=None,
        responses={401: _ERRORS[401], 404: _ERRORS[404],
                   410: OpenApiResponse(outputs.ReferralErrorOutput, description="Always: use discharge.")},
        tags=["discharge"],
    )
    def post(self, request, reference: str):
        referral = _visible_referral(request, reference)
        paths = [reverse(name, kwargs={"reference": referral.reference})
                 for name in ("api-referral-discharge-preview", "api-referral-discharge")]
        return Response({"detail": f"Closing was replaced by discharge. Check the discharge summary with POST {paths[0]} "
                                   f"(reason, note), then discharge with POST {paths[1]} (reason, note and the "
                                   "preview's fingerprint)."}, status=status.HTTP_410_GONE)


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


# The steps on a referral: their URL segments, in the pathway's order (urls.py builds the routes).
STEP_APIS = {
    "triage": ReferralTriageApi,
    "record-contact": ReferralRecordContactApi,
    "choose-activity": ReferralChooseActivityApi,
    **{step.segment: _referral_step_api(step) for step in CONNECTION_STEPS if step.on_referral},
    "person-declines": ReferralPersonDeclinesApi,
    "redirect": ReferralRedirectApi,
    "decline-not-eligible": ReferralDeclineNotEligibleApi,
}
# The steps of a connection named by its number: /connections/<number>/<segment>/.
CONNECTION_STEP_APIS = {step.segment: _connection_step_api(step) for step in CONNECTION_STEPS}


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
