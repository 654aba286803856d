from referrals.models.alerts import Alert
from referrals.models.audit import AuditEntry, RoleChange
from referrals.models.casework import (
    CarePlan,
    CarePlanVersion,
    Contact,
    ContactExpectation,
    Goal,
    PlanAction,
    SafeguardingConcern,
)
from referrals.models.connections import Connection
from referrals.models.gp_messages import GpMessage
from referrals.models.links import ActionLink
from referrals.models.notifications import Notification
from referrals.models.outcomes import ResidentFeedback, WellbeingScore, WellbeingStage
from referrals.models.referrals import DischargeSummary, Referral, ReferralEvent
from referrals.models.residents import Consent, Resident
from referrals.models.teams import ApiToken, IdempotentRequest, SocialPrescribingService, StaffMembership

__all__ = [
    "ActionLink",
    "Alert",
    "ApiToken",
    "AuditEntry",
    "CarePlan",
    "CarePlanVersion",
    "Connection",
    "Consent",
    "Contact",
    "ContactExpectation",
    "DischargeSummary",
    "Goal",
    "GpMessage",
    "IdempotentRequest",
    "Notification",
    "PlanAction",
    "Referral",
    "ReferralEvent",
    "ResidentFeedback",
    "Resident",
    "RoleChange",
    "SafeguardingConcern",
    "SocialPrescribingService",
    "StaffMembership",
    "WellbeingScore",
    "WellbeingStage",
]
