"""What the referral API reads: one input serializer per operation, and the list's filters.

Inputs only check shape and look things up (needs, activities, link workers); the rules live
in ``referrals.services``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework import serializers

from common.bounds import ApiIdField, ApiPageField
from directory.models import NeedTerm
from directory.postcodes import PostcodeError, normalise_postcode
from referrals.choices import (
    ConsentMethod,
    ContactRoute,
    Outcome,
    Priority,
    ProviderDeclineReason,
    ReferralStatus,
    Source,
    Tier,
)
from referrals.models import Resident
from referrals.validators import normalise_nhs_number

_NOTE = {"required": False, "allow_blank": True, "max_length": 5000, "default": ""}


# Creating a referral -----------------------------------------------------------------------


class ResidentInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    nhs_number = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20, help_text="10 digits; spaces allowed. Optional."
    )
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    postcode = serializers.CharField(required=False, allow_blank=True, default="", max_length=10)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    preferred_contact = serializers.ChoiceField(
        choices=ContactRoute.choices, help_text="How the person wants to be told of their first session."
    )
    language = serializers.CharField(required=False, default="English", max_length=100)
    interpreter_needed = serializers.BooleanField(required=False, default=False)
    accessibility_needs = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    gp_practice = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)

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
        resident = Resident(service_id=0, **attrs)
        try:
            resident.full_clean(exclude=["service"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(_field_errors(error)) from None
        return attrs


class ReferrerInput(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    role = serializers.CharField(required=False, allow_blank=True, default="", max_length=255,
                                 help_text="For example, GP or practice nurse.")
    organisation = serializers.CharField(required=False, allow_blank=True, default="", max_length=255,
                                         help_text="For example, the GP practice.")
    email = serializers.EmailField(required=False, allow_blank=True, default="",
                                   help_text="Feedback on what happened goes here, if the person agrees.")
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class ConsentsInput(serializers.Serializer):
    referral = serializers.BooleanField(help_text="Whether the person agrees to being referred (must be true).")
    share_with_provider = serializers.BooleanField(
        help_text="Whether the person agrees to their contact details being shared with the activity provider."
    )
    feedback_to_referrer = serializers.BooleanField(
        required=False, help_text="Whether the person agrees to feedback to the referrer (not asked of a self-referral)."
    )
    method = serializers.ChoiceField(choices=ConsentMethod.choices, required=False, default=ConsentMethod.API,
                                     help_text="How the person agreed.")
    given_by = serializers.CharField(required=False, default="The person themselves", max_length=255,
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
        child=serializers.CharField(max_length=120), required=False, default=list,
        help_text="Needs taxonomy terms, by slug (e.g. 'loneliness-and-isolation') or ORUK id.",
    )
    what_matters = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                         help_text="What matters to the person, in their words.")
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
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

    note = serializers.CharField(**_NOTE)


class ReferralTriageInput(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    link_worker = serializers.CharField(
        max_length=150, help_text="The username of a link worker of the referral's service."
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_blank=True, default="")
    note = serializers.CharField(**_NOTE)


class ReferralRecordContactInput(NoteInput):
    pass


class ReferralChooseActivityInput(serializers.Serializer):
    activity = ApiIdField(help_text="The activity's id (as the activity search API gives it).")
    note = serializers.CharField(**_NOTE)


class ReferralSendToProviderInput(NoteInput):
    pass


class ReferralAcceptInput(NoteInput):
    pass


class ReferralDeclineInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ProviderDeclineReason.choices)
    note = serializers.CharField(**{**_NOTE, "help_text": "Needed when the reason is 'other'."})


class ReferralBookFirstSessionInput(serializers.Serializer):
    starts_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the first session starts (ISO 8601)."
    )
    session = ApiIdField(
        required=False, allow_null=True, default=None,
        help_text="Instead of starts_at: one of the activity's sessions, by id; its next date is used.",
    )
    note = serializers.CharField(**{**_NOTE, "help_text": "Anything the person should know: who meets them, what to bring."})

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
    note = serializers.CharField(max_length=5000, help_text="Why the first session is cancelled.")


class ReferralPersonDeclinesInput(NoteInput):
    pass


class ReferralCloseInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(**_NOTE)


# Listing -------------------------------------------------------------------------------------

MAX_PAGE_SIZE = 100


class ReferralListFilters(serializers.Serializer):
    """The list's query parameters."""

    status = serializers.CharField(
        required=False, default="", allow_blank=True,
        help_text=f"Only these statuses, comma-separated: {', '.join(ReferralStatus.values)}.",
    )
    updated_since = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Only referrals changed since (ISO 8601)."
    )
    page = ApiPageField(required=False, default=1)
    page_size = serializers.IntegerField(required=False, default=20, min_value=1, max_value=MAX_PAGE_SIZE)

    def validate_status(self, value: str) -> list[str]:
        wanted = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in wanted if item not in ReferralStatus.values]
        if unknown:
            raise serializers.ValidationError(f"Not a status: {', '.join(unknown)}.")
        return wanted


