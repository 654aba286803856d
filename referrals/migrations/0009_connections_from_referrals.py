"""Each referral's activities become its connections, and "closed" becomes "discharged".

Every "choose an activity" in a referral's event log started what is now a connection: the
referral's current activity (and its hand-over fields) is the last of them; earlier ones (a
provider declined, the person missed the session, another activity was chosen instead) end in
the status their own last event left them in. Events, alerts, emailed links and notifications
about an activity are tied to its connection. A referral that was in an activity's step is now
"in support"; a closed one is discharged, its outcome mapped onto a discharge reason (the old
outcome kept in the note where the reason says less).
"""

from django.db import migrations

CONNECTION_STEPS = {
    "choose_activity", "send_to_provider", "provider_accept", "provider_decline", "book_first_session",
    "mark_resident_notified", "record_attendance", "record_did_not_attend", "cancel_first_session",
}
ACTIVITY_STATUSES = {
    "activity_chosen", "sent_to_provider", "accepted", "declined_by_provider", "first_session_booked",
    "resident_notified", "attended", "did_not_attend", "cancelled",
}
ENDED = {"declined_by_provider", "attended", "did_not_attend", "cancelled", "withdrawn"}
CONNECTION_ALERTS = {"no_provider_response", "attendance_not_recorded", "did_not_attend"}
CONNECTION_NOTIFICATIONS = {
    "new_referral_for_provider", "provider_accepted", "provider_declined", "first_session_for_resident",
    "attendance_recorded",
}
# Old outcome → (discharge reason, what the note keeps of the old outcome).
REASONS = {
    "engaged": ("goals_met", "Engaged with the activity"),
    "needs_met": ("goals_met", "Needs met without an activity"),
    "signposted": ("referred_elsewhere", ""),
    "declined": ("person_declined", ""),
    "not_contactable": ("not_contactable", ""),
    "did_not_engage": ("other", "Did not engage"),
    "other": ("other", ""),
    "": ("other", ""),
}
HAND_OVER_FIELDS = (
    "provider_id", "provider_decline_reason", "provider_decline_note", "first_session_at", "first_session_id",
    "first_session_note", "sent_to_provider_at", "provider_responded_at", "first_session_booked_at",
    "resident_notified_at", "attendance_recorded_at", "attended_at", "did_not_attend_at",
)


def _final_status(referral, last_event_status):
    """The last connection's status: the referral's own if it was in an activity's step, else (closed or
    declined) what its events last said, withdrawn if that was still open."""
    status = referral.status if referral.status in ACTIVITY_STATUSES else last_event_status
    if referral.status not in ACTIVITY_STATUSES and status not in ENDED:
        return "withdrawn"
    return status or "withdrawn"


def forwards(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    ReferralEvent = apps.get_model("referrals", "ReferralEvent")
    Connection = apps.get_model("referrals", "Connection")
    Alert = apps.get_model("referrals", "Alert")
    ActionLink = apps.get_model("referrals", "ActionLink")
    Notification = apps.get_model("referrals", "Notification")
    Page = apps.get_model("wagtailcore", "Page")
    organisation_of = {}

    def provider_of(activity_id):
        """The organisation that runs an activity: its parent page in the tree (treebeard paths, 4 characters a level)."""
        if activity_id not in organisation_of:
            path = Page.objects.filter(pk=activity_id).values_list("path", flat=True).first()
            organisation_of[activity_id] = (
                Page.objects.filter(path=path[:-4]).values_list("pk", flat=True).first() if path else None
            )
        return organisation_of[activity_id]

    for referral in Referral.objects.exclude(activity_id=None).order_by("pk").iterator(chunk_size=500):
        events = list(ReferralEvent.objects.filter(referral_id=referral.pk).order_by("at", "pk"))
        # Split the activity steps into runs, each begun by a "choose_activity".
        runs, current = [], None
        for event in events:
            if event.action == "choose_activity":
                current = {"activity_id": event.activity_id, "events": [event]}
                runs.append(current)
            elif event.action in CONNECTION_STEPS and current is not None:
                current["events"].append(event)
        if not runs:
            runs = [{"activity_id": referral.activity_id, "events": []}]
        for number, run in enumerate(runs, start=1):
            last = number == len(runs)
            last_status = next((e.to_status for e in reversed(run["events"]) if e.to_status in ACTIVITY_STATUSES), "")
            started = run["events"][0].at if run["events"] else (referral.activity_chosen_at or referral.received_at)
            connection = Connection(
                referral_id=referral.pk, number=number, kind="activity",
                activity_id=referral.activity_id if last else (run["activity_id"] or referral.activity_id),
                created_at=started,
            )
            if last:
                connection.status = _final_status(referral, last_status)
                for name in HAND_OVER_FIELDS:
                    setattr(connection, name, getattr(referral, name))
            else:
                # An earlier activity that was replaced before the provider answered was, in effect, withdrawn.
                connection.status = last_status if last_status in ENDED else "withdrawn"
                sent = next((e for e in run["events"] if e.action == "send_to_provider"), None)
                if sent is not None:
                    connection.sent_to_provider_at = sent.at
                    connection.provider_id = provider_of(connection.activity_id)
            if connection.status in ENDED:
                ended = run["events"][-1].at if run["events"] else None
                connection.ended_at = ended or referral.closed_at or referral.updated_at
            if connection.provider_id is None and connection.status not in ("activity_chosen", "withdrawn"):
                connection.provider_id = provider_of(connection.activity_id)
            connection.save()
            ReferralEvent.objects.filter(pk__in=[e.pk for e in run["events"]]).update(connection_id=connection.pk)
            if last:
                Alert.objects.filter(referral_id=referral.pk, kind__in=CONNECTION_ALERTS).update(
                    connection_id=connection.pk)
                ActionLink.objects.filter(referral_id=referral.pk).update(connection_id=connection.pk)
                Notification.objects.filter(referral_id=referral.pk, kind__in=CONNECTION_NOTIFICATIONS).update(
                    connection_id=connection.pk)

    Referral.objects.filter(status__in=ACTIVITY_STATUSES).update(status="contacted")
    for reason_from, (reason, kept) in REASONS.items():
        closed = Referral.objects.filter(status="closed", outcome=reason_from)
        for referral in closed.iterator(chunk_size=500):
            note = referral.outcome_note
            if kept:
                note = f"{kept}. {note}".strip() if note else kept
            Referral.objects.filter(pk=referral.pk).update(
                status="discharged", discharge_reason=reason, discharge_note=note, discharged_at=referral.closed_at,
            )
    # The log says "discharge" for what it called "close" (the event rows are otherwise never changed).
    ReferralEvent.objects.filter(action="close").update(action="discharge")
    ReferralEvent.objects.filter(to_status="closed").update(to_status="discharged")
    ReferralEvent.objects.filter(from_status="closed").update(from_status="discharged")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0008_connections_and_discharge"), ("directory", "0003_harvesting")]

    # One way only: a referral with two connections has no single activity to go back to.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
