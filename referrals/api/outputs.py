"""What the referral API writes, described for the schema: the team's full view of a referral, or,
for anyone who sees it only as its provider, the provider summary. ``representations`` builds them.
"""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from referrals.choices import (
    ConsentMethod,
    ConsentPurpose,
    ContactMethod,
    ContactRoute,
    ContactStatus,
    GoalStatus,
    Priority,
    ProviderDeclineReason,
    ReferralStatus,
    Source,
)

# The two shapes a referral comes in, named in every response's "view".
TEAM_VIEW, PROVIDER_VIEW = "team", "provider_summary"


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




# The care and support plan ---------------------------------------------------------------------


class CarePlanGoalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=GoalStatus.choices)
    status_label = serializers.CharField()
    review_on = serializers.DateField(allow_null=True)


class CarePlanActionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    who = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    goal_id = serializers.IntegerField(allow_null=True)


class CarePlanConnectionOutput(serializers.Serializer):
    kind = serializers.CharField(help_text="'activity' today; other kinds of service to come.")
    title = serializers.CharField()
    provider = serializers.CharField()
    status = serializers.CharField()
    first_session_at = serializers.DateTimeField(allow_null=True)


class CarePlanContentOutput(serializers.Serializer):
    what_matters = serializers.CharField()
    goals = CarePlanGoalOutput(many=True)
    actions = CarePlanActionOutput(many=True)
    connections = CarePlanConnectionOutput(many=True)


class CarePlanOutput(CarePlanContentOutput):
    reference = serializers.CharField(help_text="The referral's reference.")
    version = serializers.IntegerField(help_text="The number of the latest version (each change makes one).")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CarePlanVersionOutput(serializers.Serializer):
    number = serializers.IntegerField()
    at = serializers.DateTimeField()
    by = serializers.CharField()
    change = serializers.CharField(help_text="What changed, in words.")
    content = CarePlanContentOutput(help_text="The whole plan as it stood after this change.")


class CarePlanHistoryOutput(serializers.Serializer):
    reference = serializers.CharField()
    versions = CarePlanVersionOutput(many=True, help_text="Oldest first.")


# Casework: contacts and safeguarding concerns (the team's only: never in a provider's view) ----------


class ContactOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    method = serializers.ChoiceField(choices=ContactMethod.choices)
    status = serializers.ChoiceField(choices=ContactStatus.choices)
    duration_minutes = serializers.IntegerField(allow_null=True)
    is_review = serializers.BooleanField()
    note = serializers.CharField()
    recorded_by = serializers.CharField()
    reminder_queued_at = serializers.DateTimeField(allow_null=True)


class ContactListOutput(serializers.Serializer):
    reference = serializers.CharField()
    held = serializers.IntegerField(help_text="Contacts held so far.")
    expected = serializers.CharField(help_text="What the service expects for the tier (\"6-12\"); blank if none is set.")
    within_weeks = serializers.IntegerField(allow_null=True)
    past_expected_length = serializers.BooleanField()
    failed_attempts = serializers.IntegerField(help_text="Attempts that did not reach the person before any held contact.")
    attempts_before_not_contactable = serializers.IntegerField()
    results = ContactOutput(many=True, help_text="Newest first.")


class ConcernOutput(serializers.Serializer):
    id = serializers.IntegerField()
    raised_at = serializers.DateTimeField()
    raised_by = serializers.CharField()
    concern = serializers.CharField()
    action_taken = serializers.CharField()
    open = serializers.BooleanField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.CharField()
    resolution = serializers.CharField()


class ConcernListOutput(serializers.Serializer):
    reference = serializers.CharField()
    results = ConcernOutput(many=True, help_text="Open ones first, then newest first.")
