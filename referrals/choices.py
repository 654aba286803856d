from django.db import models

# SNOMED CT concepts the specifications ask for (DOMAIN.md, item 9).
SNOMED_REFERRED = "871731000000106"  # Referral to social prescribing service
SNOMED_DECLINED = "871711000000103"  # Social prescribing declined


class ReferralStatus(models.TextChoices):
    """The referral's own steps (``referrals.workflow.TRANSITIONS``); each activity or service the person
    is connected to has its own (``ConnectionStatus``)."""

    RECEIVED = "received", "Received"
    TRIAGED = "triaged", "Triaged"
    CONTACTED = "contacted", "In support"
    DECLINED_BY_PERSON = "declined_by_person", "Person declined"
    DISCHARGED = "discharged", "Discharged"
    # Triage's other two answers: the referral is for another service, or the person is not eligible.
    REDIRECTED = "redirected", "Redirected to another service"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class NotEligibleReason(models.TextChoices):
    """Why triage declined a referral as not eligible (reported, and told to the referrer)."""

    AGE = "age", "Outside the service's age range"
    NOT_IN_AREA = "not_in_area", "Not registered with a practice the service covers"
    IN_CRISIS = "in_crisis", "In crisis: needs urgent care first"
    CLINICAL_NEED = "clinical_need", "Needs a clinical service rather than social prescribing"
    ALREADY_SUPPORTED = "already_supported", "Already supported by a similar service"
    OTHER = "other", "Another reason"


class ConnectionKind(models.TextChoices):
    ACTIVITY = "activity", "An activity in the directory"
    SIGNPOST = "signpost", "A service outside the directory"


class ConnectionStatus(models.TextChoices):
    """One connection's steps (``referrals.workflow.CONNECTION_TRANSITIONS``): the provider's hand-over
    for an activity, or a signpost and what came of it."""

    ACTIVITY_CHOSEN = "activity_chosen", "Activity chosen"
    SENT_TO_PROVIDER = "sent_to_provider", "Sent to provider"
    ACCEPTED = "accepted", "Accepted by provider"
    DECLINED_BY_PROVIDER = "declined_by_provider", "Declined by provider"
    FIRST_SESSION_BOOKED = "first_session_booked", "First session booked"
    RESIDENT_NOTIFIED = "resident_notified", "Resident told of first session"
    ATTENDED = "attended", "Attended"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    CANCELLED = "cancelled", "First session cancelled"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SIGNPOSTED = "signposted", "Signposted"
    TOOK_UP = "took_up", "Took up the service"
    DID_NOT_TAKE_UP = "did_not_take_up", "Did not take up the service"


class Source(models.TextChoices):
    PRIMARY_CARE = "primary_care", "Primary care (GP practice)"
    OTHER_PROFESSIONAL = "other_professional", "Another professional"
    SELF = "self", "Self-referral"


class Priority(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"


class Tier(models.TextChoices):
    SIGNPOSTING = "signposting", "Signposting"
    ONE_TO_ONE = "one_to_one", "1:1 support"
    FOLLOW_UP = "follow_up", "Follow-up"


class ContactRoute(models.TextChoices):
    EMAIL = "email", "Email"
    TEXT = "text", "Text message"
    PHONE = "phone", "Phone call"
    LETTER = "letter", "Letter"


class ConsentPurpose(models.TextChoices):
    REFERRAL = "referral", "Being referred to social prescribing"
    SHARE_WITH_PROVIDER = "share_with_provider", "Sharing contact details with the activity provider"
    FEEDBACK_TO_REFERRER = "feedback_to_referrer", "Feedback to the person who referred"
    SHARE_WITH_GP = "share_with_gp", "Telling their GP practice about the referral and how it ended"


class ConsentMethod(models.TextChoices):
    ONLINE_FORM = "online_form", "Online form (self-referral)"
    VERBAL = "verbal", "Verbally, to a professional"
    WRITTEN = "written", "In writing"
    API = "api", "Recorded by the referring system"


class ProviderDeclineReason(models.TextChoices):
    FULL = "full", "The activity is full"
    NOT_SUITABLE = "not_suitable", "The activity is not suitable for this person"
    NOT_RUNNING = "not_running", "The activity is not running at the moment"
    OTHER = "other", "Another reason"


class DischargeReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met"
    PERSON_DECLINED = "person_declined", "Person declined"
    NOT_CONTACTABLE = "not_contactable", "Could not be contacted"
    MOVED_AWAY = "moved_away", "Moved away"
    REFERRED_ELSEWHERE = "referred_elsewhere", "Referred to another service"
    DIED = "died", "Died"
    OTHER = "other", "Other"


class StaffRole(models.TextChoices):
    LINK_WORKER = "link_worker", "Link worker"
    TRIAGE = "triage", "Triage (single point of access)"
    PROVIDER = "provider", "Provider (organisation editor)"
    MODERATOR = "moderator", "Directory moderator"
    COMMISSIONER = "commissioner", "Commissioner"
    ADMINISTRATOR = "administrator", "Administrator"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    TEXT = "text", "Text message"
    PHONE_TASK = "phone_task", "Phone call (task for the link worker)"
    LETTER_TASK = "letter_task", "Letter (task for the link worker)"
    INBOX = "inbox", "Inbox in Signpost"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (will not retry)"
    DONE = "done", "Done"  # a task for a person (a phone call, a letter) that they have completed


class NotificationKind(models.TextChoices):
    SELF_REFERRAL_RECEIVED = "self_referral_received", "Self-referral acknowledgement"
    NEW_REFERRAL_FOR_PROVIDER = "new_referral_for_provider", "New referral for the provider"
    PROVIDER_ACCEPTED = "provider_accepted", "Provider accepted"
    PROVIDER_DECLINED = "provider_declined", "Provider declined"
    FIRST_SESSION_FOR_RESIDENT = "first_session_for_resident", "First session details for the resident"
    ATTENDANCE_RECORDED = "attendance_recorded", "Attendance recorded"
    FEEDBACK_TO_REFERRER = "feedback_to_referrer", "Feedback to the referrer"
    OUTCOME_QUESTIONS = "outcome_questions", "Wellbeing or feedback questions for the person"
    CONTACT_REMINDER = "contact_reminder", "Reminder of the next contact"
    NOT_CONTACTABLE_TO_REFERRER = "not_contactable_to_referrer", "Could not be contacted: to the referrer"
    CARE_PLAN_COPY = "care_plan_copy", "A copy of the care and support plan"
    SAFEGUARDING_CONCERN = "safeguarding_concern", "Safeguarding concern for the safeguarding lead"
    CONNECTION_WITHDRAWN = "connection_withdrawn", "Referral withdrawn: to the provider"
    REDIRECTED_TO_REFERRER = "redirected_to_referrer", "Referral redirected: to the referrer"
    NOT_ELIGIBLE_TO_REFERRER = "not_eligible_to_referrer", "Referral declined as not eligible: to the referrer"
    GP_ACKNOWLEDGEMENT = "gp_acknowledgement", "Referral accepted: to the GP practice"
    GP_DISCHARGE_SUMMARY = "gp_discharge_summary", "Discharge summary: to the GP practice"
    PROVIDER_NEXT_STEP = "provider_next_step", "The provider's link for their next step"


class GpMessageKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", "Referral accepted"
    DISCHARGE = "discharge", "Discharge summary"


class GpMessageRoute(models.TextChoices):
    NHSMAIL = "nhsmail", "Email to the practice's NHSmail address, with the summary as a PDF"
    LETTER = "letter", "Letter to print and post (the practice has no NHSmail address on record)"
    NOT_SENT = "not_sent", "Not sent"


class AlertKind(models.TextChoices):
    NOT_CONTACTED = "not_contacted", "Not contacted within 48 hours"
    NO_PROVIDER_RESPONSE = "no_provider_response", "No response from the provider"
    ATTENDANCE_NOT_RECORDED = "attendance_not_recorded", "First session passed, attendance not recorded"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend the first session"
    PLAN_REVIEW_DUE = "plan_review_due", "A goal's review date has passed"
    PAST_EXPECTED_LENGTH = "past_expected_length", "Past the expected length without a review"


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    EXPORT = "export", "Exported"
    ANONYMISE = "anonymise", "Anonymised"
    ERASE = "erase", "Erased"


class WellbeingStage(models.TextChoices):
    """When the ONS4 wellbeing questions were asked."""

    FIRST_CONVERSATION = "first_conversation", "First conversation"
    REVIEW = "review", "Review"


class ContactMethod(models.TextChoices):
    """How a link worker met or reached the person."""

    FACE_TO_FACE = "face_to_face", "Face to face"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video call"
    HOME_VISIT = "home_visit", "Home visit"
    GROUP = "group", "Group session"
    ACCOMPANIED_VISIT = "accompanied_visit", "Accompanied visit to an activity"


class ContactStatus(models.TextChoices):
    """A booked contact, or what became of it."""

    BOOKED = "booked", "Booked"
    HELD = "held", "Held"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    COULD_NOT_REACH = "could_not_reach", "Could not reach"
    CANCELLED = "cancelled", "Cancelled"


class GoalStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    ACHIEVED = "achieved", "Achieved"
    PARTLY_ACHIEVED = "partly_achieved", "Partly achieved"
    NOT_ACHIEVED = "not_achieved", "Not achieved"
    NO_LONGER_WANTED = "no_longer_wanted", "No longer wanted"
