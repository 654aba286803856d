"""What the referral API reads: one input serializer per operation, and the list's filters.

Inputs only check shape and look things up (needs, activities, link workers); the rules live
in ``referrals.services``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from common.bounds import ApiIdField, ApiPageField
from common.patterns import NO_NUL, NOT_BLANK, comma_separated
from directory.models import NeedTerm
from directory.postcodes import PostcodeError, normalise_postcode
from primarycare.selectors import practice_by_ods_code
from referrals.choices import (
    ConnectionKind,
    ConnectionStatus,
    ConsentMethod,
    ContactMethod,
    ContactRoute,
    ContactStatus,
    GoalStatus,
    DischargeReason,
    NotEligibleReason,
    Priority,
    ProviderDeclineReason,
    ReferralStatus,
    Source,
    Tier,
)
from referrals.models import Resident
from referrals.validators import normalise_nhs_number

_NOTE = {"required": False, "allow_blank": True, "max_length": 5000, "default": ""}


class TextField(serializers.CharField):
    """Text: a JSON string without NUL characters (DRF's CharField would also take a number and
    make it text; both rules are in the schema, the second as a pattern)."""

    default_error_messages = {"invalid": "Give text (a JSON string)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TextFieldSchema(OpenApiSerializerFieldExtension):
    """States a ``TextField``'s rules as a pattern (drf-spectacular finds this class): no NUL
    characters, and unless it may be blank, more than spaces (DRF trims text, then refuses it empty)."""

    target_class = TextField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema.setdefault("pattern", NO_NUL if self.target.allow_blank else NOT_BLANK)
        return schema


class ReferralApiSchema(AutoSchema):
    """drf-spectacular offers a text field that may be blank and has a pattern as ``oneOf`` [the
    pattern, the empty string]; a ``TextField``'s pattern already takes the empty string, which
    would then match both (and ``oneOf`` wants exactly one): the field keeps its plain schema."""

    def _get_request_for_media_type(self, serializer, direction="request"):
        # A body of one kind or another (``kind``: activity or signpost) is required like any other;
        # drf-spectacular would call it optional, since the oneOf itself lists no required property.
        schema, required = super()._get_request_for_media_type(serializer, direction)
        return schema, required or isinstance(serializer, PolymorphicProxySerializer)

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        options = schema.get("oneOf")
        if isinstance(field, TextField) and options and options[0].get("pattern") == NO_NUL:
            del schema["oneOf"]
            schema.update(options[0])


# Creating a referral -----------------------------------------------------------------------


class ResidentInput(serializers.Serializer):
    first_name = TextField(max_length=100)
    last_name = TextField(max_length=100)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    nhs_number = TextField(
        required=False, allow_blank=True, default="", max_length=20, help_text="10 digits; spaces allowed. Optional."
    )
    address = TextField(required=False, allow_blank=True, default="", max_length=1000)
    postcode = TextField(required=False, allow_blank=True, default="", max_length=10)
    phone = TextField(required=False, allow_blank=True, default="", max_length=40)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    preferred_contact = serializers.ChoiceField(
        choices=ContactRoute.choices, help_text="How the person wants to be told of their first session."
    )
    language = TextField(required=False, default="English", max_length=100)
    interpreter_needed = serializers.BooleanField(required=False, default=False)
    accessibility_needs = TextField(required=False, allow_blank=True, default="", max_length=5000)
    gp_practice = TextField(required=False, allow_blank=True, default="", max_length=255,
                            help_text="The GP practice's name as written (when its ODS code is not known).")
    gp_practice_ods = TextField(
        required=False, allow_blank=True, default="", max_length=10,
        help_text="The ODS code of the GP practice the person is registered with (for example J81001): an open "
                  "practice Signpost knows. Optional.",
    )
    has_no_gp = serializers.BooleanField(
        required=False, default=False, help_text="True when the person is not registered with a GP."
    )

    def validate_gp_practice_ods(self, value: str):
        if not value.strip():
            return None
        practice = practice_by_ods_code(value)
        if practice is None:
            raise serializers.ValidationError(
                f"No GP practice has the ODS code '{value.strip()}'. Give the practice's ODS code as the NHS "
                "organisation data service lists it (like J81001), or leave gp_practice_ods out and give the "
                "practice's name in gp_practice."
            )
        if not practice.is_open:
            raise serializers.ValidationError(
                f"The GP practice {practice.ods_code} ({practice.name}) has closed. Give the person's current "
                "practice, or leave gp_practice_ods out and give its name in gp_practice."
            )
        return practice

    def validate_nhs_number(self, value: str) -> str:
        return normalise_nhs_number(value)

    def validate_postcode(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return normalise_postcode(value)
        except PostcodeError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate(self, attrs: dict) -> dict:
        # The model's own checks (the NHS number's check digit, a contact detail for the chosen
        # route), now, so nothing is saved when one fails.
        attrs["practice"] = attrs.pop("gp_practice_ods", None)
        if attrs["practice"] is not None and attrs.get("has_no_gp"):
            raise serializers.ValidationError(
                {"has_no_gp": ["Give either gp_practice_ods or has_no_gp true, not both."]}
            )
        resident = Resident(service_id=0, **attrs)
        try:
            resident.full_clean(exclude=["service"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(_field_errors(error)) from None
        return attrs


class ReferrerInput(serializers.Serializer):
    name = TextField(required=False, allow_blank=True, default="", max_length=255)
    role = TextField(required=False, allow_blank=True, default="", max_length=255,
                                 help_text="For example, GP or practice nurse.")
    organisation = TextField(required=False, allow_blank=True, default="", max_length=255,
                                         help_text="For example, the GP practice.")
    email = serializers.EmailField(required=False, allow_blank=True, default="",
                                   help_text="Feedback on what happened goes here, if the person agrees.")
    phone = TextField(required=False, allow_blank=True, default="", max_length=40)


class ConsentsInput(serializers.Serializer):
    referral = serializers.BooleanField(help_text="Whether the person agrees to being referred (must be true).")
    share_with_provider = serializers.BooleanField(
        help_text="Whether the person agrees to their contact details being shared with the activity provider."
    )
    feedback_to_referrer = serializers.BooleanField(
        required=False, help_text="Whether the person agrees to feedback to the referrer (not asked of a self-referral)."
    )
    share_with_gp = serializers.BooleanField(
        required=False,
        help_text="Whether the person agrees to their GP practice being told of the referral and how it ended. "
                  "Left out: not asked.",
    )
    method = serializers.ChoiceField(choices=ConsentMethod.choices, required=False, default=ConsentMethod.API,
                                     help_text="How the person agreed.")
    given_by = TextField(required=False, default="The person themselves", max_length=255,
                                     help_text="The person, or who agreed for them.")

    def validate_referral(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("The person must agree to being referred.")
        return value


class ReferralCreateInput(serializers.Serializer):
    resident = ResidentInput()
    source = serializers.ChoiceField(choices=Source.choices)
    referrer = ReferrerInput(required=False, help_text="The professional referring (not needed for a self-referral).")
    needs = serializers.ListField(
        child=TextField(max_length=120), required=False, default=list,
        help_text="Needs taxonomy terms, by slug (e.g. 'loneliness-and-isolation') or ORUK id.",
    )
    what_matters = TextField(required=False, allow_blank=True, default="", max_length=5000,
                                         help_text="What matters to the person, in their words.")
    notes = TextField(required=False, allow_blank=True, default="", max_length=5000,
                                  help_text="For the social prescribing team; never shown to providers.")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, default=Priority.ROUTINE)
    consents = ConsentsInput()

    def validate_needs(self, values: list[str]) -> list:
        wanted = list(dict.fromkeys(value.strip() for value in values if value.strip()))
        found = list(NeedTerm.objects.filter(Q(slug__in=wanted) | Q(oruk_id__in=wanted)))
        known = {term.slug for term in found} | {term.oruk_id for term in found}
        unknown = [value for value in wanted if value not in known]
        if unknown:
            raise serializers.ValidationError(f"No need with the slug or ORUK id: {', '.join(unknown)}.")
        return found

    def validate(self, attrs: dict) -> dict:
        referrer = attrs.get("referrer") or {}
        if attrs["source"] != Source.SELF and not referrer.get("name", "").strip():
            raise serializers.ValidationError({"referrer": {"name": ["Enter the name of the professional making the referral."]}})
        if attrs["source"] != Source.SELF and "feedback_to_referrer" not in attrs["consents"]:
            raise serializers.ValidationError(
                {"consents": {"feedback_to_referrer": ["Say whether the person agrees to feedback to the referrer."]}}
            )
        return attrs


def _field_errors(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {("non_field_errors" if field == "__all__" else field): messages
                for field, messages in error.message_dict.items()}
    return {"non_field_errors": error.messages}


# The steps -----------------------------------------------------------------------------------


class NoteInput(serializers.Serializer):
    """A step that takes nothing but an optional note for the referral's timeline."""

    note = TextField(**_NOTE)


class ReferralTriageInput(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    link_worker = TextField(
        max_length=150, help_text="The username of a link worker of the referral's service."
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_blank=True, default="")
    note = TextField(**_NOTE)


class ReferralRecordContactInput(NoteInput):
    pass


class ReferralChooseActivityInput(serializers.Serializer):
    activity = ApiIdField(help_text="The activity's id (as the activity search API gives it).")
    note = TextField(**_NOTE)


class ReferralSendToProviderInput(NoteInput):
    pass


class ReferralAcceptInput(NoteInput):
    pass


class ReferralDeclineInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ProviderDeclineReason.choices)
    note = TextField(**{**_NOTE, "help_text": "Needed when the reason is 'other'."})


class ReferralBookFirstSessionInput(serializers.Serializer):
    starts_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the first session starts (ISO 8601)."
    )
    session = ApiIdField(
        required=False, allow_null=True, default=None,
        help_text="Instead of starts_at: one of the activity's sessions, by id; its next date is used.",
    )
    note = TextField(**{**_NOTE, "help_text": "Anything the person should know: who meets them, what to bring."})

    def validate(self, attrs: dict) -> dict:
        if attrs["starts_at"] is None and attrs["session"] is None:
            raise serializers.ValidationError({"starts_at": ["Give the date and time of the first session, or a session."]})
        if attrs["starts_at"] is not None and attrs["session"] is not None:
            raise serializers.ValidationError({"session": ["Give either starts_at or a session, not both."]})
        return attrs


class ReferralRecordAttendanceInput(NoteInput):
    pass


class ReferralRecordDidNotAttendInput(NoteInput):
    pass


class ReferralCancelFirstSessionInput(serializers.Serializer):
    note = TextField(max_length=5000, help_text="Why the first session is cancelled.")


class ReferralPersonDeclinesInput(NoteInput):
    pass


class ReferralRedirectInput(serializers.Serializer):
    to_service = TextField(max_length=100, required=False, allow_blank=True, default="",
                           help_text="The slug of another service that uses Signpost: the referral is handed over to it.")
    to_name = TextField(max_length=255, required=False, allow_blank=True, default="",
                        help_text="Or the name of a service outside Signpost.")
    note = TextField(max_length=5000, help_text="Why the referral is for that service (the referrer is told).")


class ReferralDeclineNotEligibleInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=NotEligibleReason.choices)
    note = TextField(max_length=5000, required=False, allow_blank=True, default="",
                     help_text="More about the reason (needed for \"other\"); the referrer is told.")


class ReferralMarkResidentNotifiedInput(NoteInput):
    pass


class ReferralChangeActivityInput(serializers.Serializer):
    activity = ApiIdField(help_text="Another activity (as the activity search API gives it), running now.")
    note = TextField(**_NOTE)


class ReferralWithdrawInput(serializers.Serializer):
    note = TextField(max_length=5000, help_text="Why the connection is withdrawn (a provider it was sent to is told).")


class ReferralSignpostOutcomeInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[(value, ConnectionStatus(value).label) for value in
                                               (ConnectionStatus.TOOK_UP, ConnectionStatus.DID_NOT_TAKE_UP)],
                                      help_text="Whether the person took up the service.")
    note = TextField(**_NOTE)


# New connections: an activity in the directory, or a signpost to a service outside it.


class ActivityConnectionInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[ConnectionKind.ACTIVITY], help_text="'activity'.")
    activity = ApiIdField(help_text="The activity's id (as the activity search API gives it): one running now, "
                                    "that the person is not already being connected to.")
    note = TextField(**_NOTE)


class SignpostConnectionInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[ConnectionKind.SIGNPOST], help_text="'signpost'.")
    service_name = TextField(max_length=255, help_text="For example: Citizens Advice Poole, NHS Talking Therapies.")
    service_contact = TextField(required=False, allow_blank=True, default="", max_length=255,
                                help_text="How to reach it.")
    note = TextField(**_NOTE)


CONNECTION_INPUTS = {ConnectionKind.ACTIVITY: ActivityConnectionInput, ConnectionKind.SIGNPOST: SignpostConnectionInput}


class ConnectionKindInput(serializers.Serializer):
    """Reads only which kind of connection a body asks for (then its own serializer reads the rest)."""

    kind = serializers.ChoiceField(choices=ConnectionKind.choices)


# Discharge.

def _discharge_reason():
    return serializers.ChoiceField(
        choices=DischargeReason.choices,
        help_text="'goals_met' needs a review held with the person (a held contact marked as the review); "
                  "'not_contactable' only once the service's number of failed attempts at first contact "
                  "(attempts_before_not_contactable, 3 unless set) has been recorded, and never after a held "
                  "contact. No reason while a connection is with a provider (sent, accepted, first session "
                  "booked): record what happened, or withdraw it, first.",
    )


class DischargePreviewInput(serializers.Serializer):
    reason = _discharge_reason()
    note = TextField(**{**_NOTE, "help_text": "The link worker's summary note (it goes in the discharge summary)."})


class DischargeInput(serializers.Serializer):
    reason = _discharge_reason()
    note = TextField(**{**_NOTE, "help_text": "As checked in the preview."})
    fingerprint = TextField(max_length=64, help_text="The preview's fingerprint: the summary the link worker "
                                                     "checked. If the summary has changed since, a 409.")


# Casework: contacts and safeguarding concerns ------------------------------------------------


class ContactCreateInput(serializers.Serializer):
    at = serializers.DateTimeField(
        help_text="When the contact happened, or is booked for (ISO 8601, with an offset). A booked contact is in "
                  "the future, within a year; one that happened is not in the future, nor before the referral "
                  "was received.",
    )
    method = serializers.ChoiceField(choices=ContactMethod.choices)
    status = serializers.ChoiceField(
        choices=[(value, label) for value, label in ContactStatus.choices if value != ContactStatus.CANCELLED],
        help_text="'booked' books a contact in the future (the person is reminded the day before); 'held', "
                  "'did_not_attend' or 'could_not_reach' record one that has happened.",
    )
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=600,
        help_text="How long it lasted, 1 to 600 minutes: needed for a held contact.",
    )
    is_review = serializers.BooleanField(required=False, default=False,
                                         help_text="The review before discharge.")
    note = TextField(**{**_NOTE, "help_text": "For the social prescribing team: never shown to providers."})


class ContactResultInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[(value, label) for value, label in ContactStatus.choices if value != ContactStatus.BOOKED],
        help_text="What became of a booked contact.",
    )
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=600,
        help_text="How long it lasted, 1 to 600 minutes: needed for a held contact.",
    )
    note = TextField(**_NOTE)


class ConcernRaiseInput(serializers.Serializer):
    concern = TextField(max_length=5000, help_text="What the concern is. Never sent by email.")
    action_taken = TextField(**_NOTE)


class ConcernResolveInput(serializers.Serializer):
    resolution = TextField(max_length=5000, help_text="How the concern was resolved.")


# Listing -------------------------------------------------------------------------------------

MAX_PAGE_SIZE = 100


class _NotEmpty:
    """A query parameter sent empty (``?updated_since=``) is refused, not taken as not sent (as DRF
    does): the schema says it is a date and time, or a number, and an empty value is neither."""

    def get_value(self, dictionary):
        if self.field_name in dictionary and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)


class _DateTimeParameter(_NotEmpty, serializers.DateTimeField):
    pass


class _PageParameter(_NotEmpty, ApiPageField):
    pass


class _PageSizeParameter(_NotEmpty, serializers.IntegerField):
    pass


# drf-spectacular offers the empty string beside the pattern (``oneOf``), so the pattern leaves it out.
@extend_schema_field({"type": "string", "pattern": comma_separated(ReferralStatus.values, empty=False)})
class _StatusList(serializers.CharField):
    """Statuses, comma-separated (``ReferralListFilters.validate_status`` reads them)."""


class ReferralListFilters(serializers.Serializer):
    """The list's query parameters."""

    status = _StatusList(
        required=False, default="", allow_blank=True,
        help_text=f"Only these statuses, comma-separated: {', '.join(ReferralStatus.values)}.",
    )
    updated_since = _DateTimeParameter(
        required=False, default=None, help_text="Only referrals changed since (ISO 8601).",
        error_messages={"invalid": "Give a date and time (ISO 8601), e.g. 2026-01-31T09:00:00Z."},
    )
    page = _PageParameter(required=False, default=1)
    page_size = _PageSizeParameter(required=False, default=20, min_value=1, max_value=MAX_PAGE_SIZE)

    def validate_status(self, value: str) -> list[str]:
        wanted = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in wanted if item not in ReferralStatus.values]
        if unknown:
            raise serializers.ValidationError(f"Not a status: {', '.join(unknown)}.")
        return wanted




# The care and support plan ---------------------------------------------------------------------


class CarePlanWhatMattersInput(serializers.Serializer):
    what_matters = TextField(allow_blank=True, max_length=5000,
                             help_text="What matters to the person, in their words (may be blank).")


class CarePlanGoalInput(serializers.Serializer):
    """A new goal; to change one, send only what changes."""

    description = TextField(max_length=1000, help_text="The goal, in the person's words.")
    status = serializers.ChoiceField(choices=GoalStatus.choices, required=False, default=GoalStatus.NOT_STARTED)
    review_on = serializers.DateField(required=False, allow_null=True, default=None,
                                      help_text="When to review it: today or later, within 2 years.")


class CarePlanGoalChangeInput(serializers.Serializer):
    description = TextField(max_length=1000, required=False)
    status = serializers.ChoiceField(choices=GoalStatus.choices, required=False)
    review_on = serializers.DateField(required=False, allow_null=True,
                                      help_text="A new date: today or later, within 2 years (null: none).")


class CarePlanActionInput(serializers.Serializer):
    description = TextField(max_length=1000, help_text="What will be done.")
    who = TextField(max_length=255, help_text="Who will do it: the person, their daughter, the link worker.")
    due_on = serializers.DateField(required=False, allow_null=True, default=None,
                                   help_text="By when: today or later, within 2 years.")
    goal = ApiIdField(required=False, allow_null=True, default=None,
                      help_text="The goal it is towards, by id: one of this plan's goals (as the plan gives them).")


class CarePlanActionChangeInput(serializers.Serializer):
    description = TextField(max_length=1000, required=False)
    who = TextField(max_length=255, required=False)
    due_on = serializers.DateField(required=False, allow_null=True)
    goal = ApiIdField(required=False, allow_null=True, help_text="One of this plan's goals, by id (null: none).")
    done = serializers.BooleanField(required=False, help_text="true marks it done; false, not done after all.")
