"""What the referral API reads and writes: one input serializer per operation, and two outputs.

Inputs only check shape and look things up (needs, activities, link workers); the rules live
in ``referrals.services``. The output is the team's full view of a referral, or, for anyone
who sees it only as its provider, the provider summary (``referrals.provider_summary``):
never the notes, what matters to the person, their NHS number, date of birth or address.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from directory.models import NeedTerm
from directory.postcodes import PostcodeError, normalise_postcode
from referrals.choices import (
    ConsentMethod,
    ConsentPurpose,
    ContactRoute,
    Outcome,
    Priority,
    ProviderDeclineReason,
    ReferralStatus,
    Source,
    Tier,
)
from referrals.models import Resident
from referrals.provider_summary import provider_summary
from referrals.validators import normalise_nhs_number

# The two shapes a referral comes in, named in every response's "view".
TEAM_VIEW, PROVIDER_VIEW = "team", "provider_summary"

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
    activity = serializers.IntegerField(help_text="The activity's id (as the activity search API gives it).")
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
    session = serializers.IntegerField(
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
    page = serializers.IntegerField(required=False, default=1, min_value=1)
    page_size = serializers.IntegerField(required=False, default=20, min_value=1, max_value=MAX_PAGE_SIZE)

    def validate_status(self, value: str) -> list[str]:
        wanted = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in wanted if item not in ReferralStatus.values]
        if unknown:
            raise serializers.ValidationError(f"Not a status: {', '.join(unknown)}.")
        return wanted


# Reading a referral ----------------------------------------------------------------------------


class ReferralNeedOutput(serializers.Serializer):
    slug = serializers.CharField()
    oruk_id = serializers.CharField()
    name = serializers.CharField()


class ActivityRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ProviderRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FirstSessionOutput(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    session = serializers.IntegerField(allow_null=True, help_text="The activity session, if one of its own was chosen.")
    note = serializers.CharField()


class ProviderDeclineOutput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ProviderDeclineReason.choices)
    reason_label = serializers.CharField()
    note = serializers.CharField()


class StaffRefOutput(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()


class ResidentOutput(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    nhs_number = serializers.CharField()
    address = serializers.CharField()
    postcode = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    preferred_contact = serializers.ChoiceField(choices=ContactRoute.choices)
    language = serializers.CharField()
    interpreter_needed = serializers.BooleanField()
    accessibility_needs = serializers.CharField()
    gp_practice = serializers.CharField()


class ReferrerOutput(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.CharField()
    organisation = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


class ConsentOutput(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    given = serializers.BooleanField()
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    given_by = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)


class TimeStampsOutput(serializers.Serializer):
    received_at = serializers.DateTimeField()
    triaged_at = serializers.DateTimeField(allow_null=True)
    contacted_at = serializers.DateTimeField(allow_null=True)
    activity_chosen_at = serializers.DateTimeField(allow_null=True)
    sent_to_provider_at = serializers.DateTimeField(allow_null=True)
    provider_responded_at = serializers.DateTimeField(allow_null=True)
    first_session_booked_at = serializers.DateTimeField(allow_null=True)
    resident_notified_at = serializers.DateTimeField(allow_null=True)
    attendance_recorded_at = serializers.DateTimeField(allow_null=True)
    declined_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class ProviderTimeStampsOutput(serializers.Serializer):
    sent_to_provider_at = serializers.DateTimeField(allow_null=True)
    provider_responded_at = serializers.DateTimeField(allow_null=True)
    first_session_booked_at = serializers.DateTimeField(allow_null=True)
    attendance_recorded_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class ReferralOutput(serializers.Serializer):
    """The social prescribing team's view of a referral (its service's token, triage, its link worker)."""

    view = serializers.ChoiceField(choices=[TEAM_VIEW], help_text=f"Always '{TEAM_VIEW}' here.")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    status_label = serializers.CharField()
    snomed_code = serializers.CharField(help_text="SNOMED CT: 871731000000106 referred; 871711000000103 declined.")
    source = serializers.ChoiceField(choices=Source.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    tier = serializers.CharField(help_text="signposting, one_to_one or follow_up; empty until triaged.")
    resident = ResidentOutput()
    referrer = ReferrerOutput()
    needs = ReferralNeedOutput(many=True)
    what_matters = serializers.CharField()
    notes = serializers.CharField()
    link_worker = StaffRefOutput(allow_null=True)
    activity = ActivityRefOutput(allow_null=True)
    provider = ProviderRefOutput(allow_null=True)
    provider_decline = ProviderDeclineOutput(allow_null=True)
    first_session = FirstSessionOutput(allow_null=True)
    outcome = serializers.CharField(help_text="Set when the referral is closed.")
    outcome_note = serializers.CharField()
    consents = ConsentOutput(many=True)
    time_stamps = TimeStampsOutput()


class ProviderResidentOutput(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    contact_shared = serializers.BooleanField(
        help_text="Whether the person agreed to their contact details being shared with the provider."
    )
    contact_route = serializers.CharField(help_text="Their preferred route; empty unless shared.")
    contact_detail = serializers.CharField(help_text="The email address or phone number for it; empty unless shared.")
    language = serializers.CharField()
    interpreter_needed = serializers.BooleanField()
    accessibility_needs = serializers.CharField()


class ProviderReferralOutput(serializers.Serializer):
    """What a provider sees of a referral sent to it: enough to welcome the person, nothing clinical."""

    view = serializers.ChoiceField(choices=[PROVIDER_VIEW], help_text=f"Always '{PROVIDER_VIEW}' here.")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    status_label = serializers.CharField()
    resident = ProviderResidentOutput()
    needs = serializers.ListField(child=serializers.CharField(), help_text="The needs' names.")
    link_worker = StaffRefOutput(allow_null=True)
    activity = ActivityRefOutput(allow_null=True)
    provider = ProviderRefOutput(allow_null=True)
    provider_decline = ProviderDeclineOutput(allow_null=True)
    first_session = FirstSessionOutput(allow_null=True)
    time_stamps = ProviderTimeStampsOutput()


# For the schema: a response is one or the other, told apart by "view".
AnyReferralOutput = PolymorphicProxySerializer(
    component_name="AnyReferral",
    serializers={TEAM_VIEW: ReferralOutput, PROVIDER_VIEW: ProviderReferralOutput},
    resource_type_field_name="view",
)

class ReferralPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    results = PolymorphicProxySerializer(
        component_name="AnyReferralInList",
        serializers={TEAM_VIEW: ReferralOutput, PROVIDER_VIEW: ProviderReferralOutput},
        resource_type_field_name="view",
        many=True,
    )


class ReferralErrorOutput(serializers.Serializer):
    detail = serializers.CharField()


# Building the outputs -----------------------------------------------------------------------


def _staff(user) -> dict | None:
    if user is None:
        return None
    return {"name": user.get_full_name() or user.get_username(), "email": user.email}


def _activity(referral) -> dict | None:
    return {"id": referral.activity_id, "title": referral.activity.title} if referral.activity_id else None


def _provider(referral) -> dict | None:
    return {"id": referral.provider_id, "name": referral.provider.title} if referral.provider_id else None


def _decline(referral) -> dict | None:
    if not referral.provider_decline_reason:
        return None
    return {
        "reason": referral.provider_decline_reason,
        "reason_label": ProviderDeclineReason(referral.provider_decline_reason).label,
        "note": referral.provider_decline_note,
    }


def _first_session(referral) -> dict | None:
    if referral.first_session_at is None:
        return None
    return {"starts_at": referral.first_session_at, "session": referral.first_session_id,
            "note": referral.first_session_note}


def team_view(referral) -> dict:
    """The full referral, for its social prescribing team (select its resident, activity,
    provider and link worker, and prefetch its needs and consents, with it)."""
    resident = referral.resident
    data = {
        "view": TEAM_VIEW,
        "reference": referral.reference,
        "status": referral.status,
        "status_label": ReferralStatus(referral.status).label,
        "snomed_code": referral.snomed_code,
        "source": referral.source,
        "priority": referral.priority,
        "tier": referral.tier,
        "resident": {field: getattr(resident, field) for field in ResidentOutput().fields},
        "referrer": {
            "name": referral.referrer_name,
            "role": referral.referrer_role,
            "organisation": referral.referrer_organisation,
            "email": referral.referrer_email,
            "phone": referral.referrer_phone,
        },
        "needs": [{"slug": need.slug, "oruk_id": need.oruk_id, "name": need.name} for need in referral.needs.all()],
        "what_matters": referral.what_matters,
        "notes": referral.notes,
        "link_worker": _staff(referral.link_worker),
        "activity": _activity(referral),
        "provider": _provider(referral),
        "provider_decline": _decline(referral),
        "first_session": _first_session(referral),
        "outcome": referral.outcome,
        "outcome_note": referral.outcome_note,
        "consents": list(referral.consents.all()),
        "time_stamps": {field: getattr(referral, field) for field in TimeStampsOutput().fields},
    }
    return ReferralOutput(data).data


def provider_view(referral) -> dict:
    """The provider summary of a referral (from ``referrals.provider_summary``, as the provider's pages show it)."""
    summary = provider_summary(referral)
    data = {
        "view": PROVIDER_VIEW,
        "reference": summary.reference,
        "status": summary.status,
        "status_label": summary.status_label,
        "resident": {
            "first_name": summary.first_name,
            "last_name": summary.last_name,
            "contact_shared": summary.contact_shared,
            "contact_route": summary.contact_route,
            "contact_detail": summary.contact_detail,
            "language": summary.language,
            "interpreter_needed": summary.interpreter_needed,
            "accessibility_needs": summary.accessibility_needs,
        },
        "needs": list(summary.needs),
        "link_worker": (
            {"name": summary.link_worker_name, "email": summary.link_worker_email} if summary.link_worker_name else None
        ),
        "activity": _activity(referral),
        "provider": _provider(referral),
        "provider_decline": _decline(referral),
        "first_session": _first_session(referral),
        "time_stamps": {field: getattr(referral, field) for field in ProviderTimeStampsOutput().fields},
    }
    return ProviderReferralOutput(data).data
