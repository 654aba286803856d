"""What the referral API writes, described for the schema: the team's full view of a referral, or,
for anyone who sees it only as its provider, the provider summary. ``representations`` builds them.
"""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from referrals.choices import (
    ConnectionKind,
    ConnectionStatus,
    ConsentMethod,
    ConsentPurpose,
    ContactMethod,
    ContactRoute,
    ContactStatus,
    DischargeReason,
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


class PracticeRefOutput(serializers.Serializer):
    ods_code = serializers.CharField()
    name = serializers.CharField()


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
    gp_practice = serializers.CharField(help_text="The practice's name as written, when it was not chosen from the list.")
    practice = PracticeRefOutput(allow_null=True, help_text="The GP practice the person is registered with, if known.")
    has_no_gp = serializers.BooleanField(help_text="The person is not registered with a GP.")


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
    """When each of the referral's own steps first happened (each connection keeps its own)."""

    received_at = serializers.DateTimeField()
    triaged_at = serializers.DateTimeField(allow_null=True)
    contacted_at = serializers.DateTimeField(allow_null=True)
    declined_at = serializers.DateTimeField(allow_null=True)
    discharged_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class ProviderTimeStampsOutput(serializers.Serializer):
    updated_at = serializers.DateTimeField()


# Connections: the activities and services the person is connected to ------------------------------


class ConnectionTimeStampsOutput(serializers.Serializer):
    created_at = serializers.DateTimeField()
    sent_to_provider_at = serializers.DateTimeField(allow_null=True)
    provider_responded_at = serializers.DateTimeField(allow_null=True, help_text="The provider's latest answer.")
    first_session_booked_at = serializers.DateTimeField(allow_null=True)
    resident_notified_at = serializers.DateTimeField(allow_null=True)
    attendance_recorded_at = serializers.DateTimeField(allow_null=True, help_text="The latest record of attendance.")
    ended_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class SignpostedServiceOutput(serializers.Serializer):
    name = serializers.CharField()
    contact = serializers.CharField(help_text="How to reach it; may be blank.")


class ConnectionOutput(serializers.Serializer):
    """One activity or service the person is connected to, as the social prescribing team sees it."""

    view = serializers.ChoiceField(choices=[TEAM_VIEW], help_text=f"Always '{TEAM_VIEW}' here.")
    number = serializers.IntegerField(help_text="1, 2, 3... within the referral: how operations name it.")
    kind = serializers.ChoiceField(choices=ConnectionKind.choices)
    status = serializers.ChoiceField(choices=ConnectionStatus.choices)
    status_label = serializers.CharField()
    activity = ActivityRefOutput(allow_null=True, help_text="For an activity in the directory.")
    service = SignpostedServiceOutput(allow_null=True, help_text="For a signpost to a service outside the directory.")
    provider = ProviderRefOutput(allow_null=True, help_text="Once sent: the organisation it was sent to.")
    provider_decline = ProviderDeclineOutput(allow_null=True)
    first_session = FirstSessionOutput(allow_null=True)
    outcome_note = serializers.CharField(help_text="What came of a signpost (the team's note).")
    time_stamps = ConnectionTimeStampsOutput()


class ProviderConnectionOutput(serializers.Serializer):
    """A connection sent to the caller's organisation, as its provider sees it: no team notes."""

    view = serializers.ChoiceField(choices=[PROVIDER_VIEW], help_text=f"Always '{PROVIDER_VIEW}' here.")
    number = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ConnectionKind.choices)
    status = serializers.ChoiceField(choices=ConnectionStatus.choices)
    status_label = serializers.CharField()
    activity = ActivityRefOutput(allow_null=True)
    provider = ProviderRefOutput(allow_null=True)
    provider_decline = ProviderDeclineOutput(allow_null=True)
    first_session = FirstSessionOutput(allow_null=True)
    time_stamps = ConnectionTimeStampsOutput()


AnyConnectionOutput = PolymorphicProxySerializer(
    component_name="AnyConnection",
    serializers={TEAM_VIEW: ConnectionOutput, PROVIDER_VIEW: ProviderConnectionOutput},
    resource_type_field_name="view",
)


class ConnectionListOutput(serializers.Serializer):
    reference = serializers.CharField(help_text="The referral's reference.")
    results = PolymorphicProxySerializer(
        component_name="AnyConnectionInList",
        serializers={TEAM_VIEW: ConnectionOutput, PROVIDER_VIEW: ProviderConnectionOutput},
        resource_type_field_name="view",
        many=True,
    )


class DischargeOutput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DischargeReason.choices)
    reason_label = serializers.CharField()
    note = serializers.CharField()
    discharged_at = serializers.DateTimeField()
    summary = serializers.CharField(allow_null=True, help_text="Where to read the final discharge summary (a path).")


class ReferralOutput(serializers.Serializer):
    """The social prescribing team's view of a referral (its service's token, triage, its link worker)."""

    view = serializers.ChoiceField(choices=[TEAM_VIEW], help_text=f"Always '{TEAM_VIEW}' here.")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ReferralStatus.choices, help_text="The referral's own status; each "
                                     "connection has its own.")
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
    connections = ConnectionOutput(many=True, help_text="The activities and services the person is connected to, "
                                   "by number.")
    discharge = DischargeOutput(allow_null=True, help_text="Once discharged: why, and the summary.")
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
    """What a provider sees of a referral with a connection sent to it: enough to welcome the person,
    nothing clinical, and only its own connections."""

    view = serializers.ChoiceField(choices=[PROVIDER_VIEW], help_text=f"Always '{PROVIDER_VIEW}' here.")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    status_label = serializers.CharField()
    resident = ProviderResidentOutput()
    needs = serializers.ListField(child=serializers.CharField(), help_text="The needs' names.")
    link_worker = StaffRefOutput(allow_null=True)
    connections = ProviderConnectionOutput(many=True, help_text="Only the connections sent to the caller's "
                                           "organisation.")
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
    kind = serializers.ChoiceField(choices=ConnectionKind.choices,
                                   help_text="An activity in the directory, or a service outside it (a signpost).")
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


# Discharge -------------------------------------------------------------------------------------


class DischargeSummaryContentOutput(serializers.Serializer):
    """The discharge summary (the PRSB Social Prescribing standard's "message back to GP and referrer")."""

    person = serializers.DictField(help_text="Name, date of birth, NHS number, postcode, GP practice.")
    referral = serializers.DictField(help_text="Reference, when received, source, referrer, SNOMED CT code, needs, "
                                     "tier, link worker.")
    contacts = serializers.DictField(help_text="Contacts held, attempts that did not reach the person, first and "
                                     "last, whether a review was held.")
    plan = serializers.DictField(help_text="What matters, goals and actions.")
    connections = serializers.ListField(child=serializers.DictField(),
                                        help_text="Each activity or service, its status and first-session attendance.")
    wellbeing = serializers.ListField(child=serializers.DictField(), help_text="ONS4 scores before and after.")
    discharge = serializers.DictField(help_text="The reason (and its words) and the note.")
    fingerprint = serializers.CharField(help_text="Identifies this content exactly.")


class DischargePreviewOutput(serializers.Serializer):
    reference = serializers.CharField()
    fingerprint = serializers.CharField(help_text="Send it back with the discharge: it is refused (409) if the "
                                        "summary has changed since.")
    content = DischargeSummaryContentOutput()


class DischargeSummaryOutput(serializers.Serializer):
    reference = serializers.CharField()
    reason = serializers.ChoiceField(choices=DischargeReason.choices)
    reason_label = serializers.CharField()
    note = serializers.CharField()
    prepared_by = serializers.CharField()
    final_at = serializers.DateTimeField()
    content = DischargeSummaryContentOutput(help_text="Exactly as it was final (what the referrer was sent).")
