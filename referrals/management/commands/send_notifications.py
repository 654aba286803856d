"""Send every email and text the outbox holds that is due (the task queue's safety net).

    python manage.py send_notifications              # once
    python manage.py send_notifications --every 60   # for ever, once a minute (a scheduler without the queue)

Prints one line per notification (its id, what and how, never the address), then the counts.
The worker runs the same sweep every minute as ``referrals.tasks.deliver_due_notifications_task``.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from referrals.choices import Channel, DeliveryStatus, NotificationKind
from referrals.models import Notification
from referrals.notifications.delivery import DEFERRED, FAILED, SENT, SKIPPED
from referrals.tasks import Progress, deliver_due_notifications

_SAY = {SENT: "sent", DEFERRED: "not sent, will try again", FAILED: "not sent, gave up", SKIPPED: "skipped",
        "errors": "error, left pending"}


class Command(BaseCommand):
    help = "Send the emails and texts that are due, retrying failed ones after their back-off."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, help="Send at most this many in one run.")
        parser.add_argument("--every", type=int, metavar="SECONDS",
                            help="Keep running, sending what is due every SECONDS (stop with Ctrl+C).")

    def handle(self, *args, limit=None, every=None, verbosity=1, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be 1 or more.")
        if every is not None and every < 1:
            raise CommandError("--every must be 1 second or more.")
        self.verbosity = verbosity
        if every is None:
            self._run_once(limit)
            return
        try:
            while True:
                close_old_connections()  # a long-running process must not hold a dead connection
                self._run_once(limit)
                time.sleep(every)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    def _run_once(self, limit):
        counts = deliver_due_notifications(limit=limit, on_each=self._progress if self.verbosity >= 1 else None)
        summary = f"Sent {counts[SENT]}, will retry {counts[DEFERRED]}, gave up on {counts[FAILED]}"
        if counts[SKIPPED]:
            summary += f", skipped {counts[SKIPPED]}"
        if counts["errors"]:
            summary += f", errors {counts['errors']} (left waiting)"
        summary += "."
        style = self.style.ERROR if counts[FAILED] or counts["errors"] else (
            self.style.WARNING if counts[DEFERRED] else self.style.SUCCESS)
        if self.verbosity >= 1 or counts[FAILED] or counts["errors"]:
            self.stdout.write(style(summary))
        if counts.get("resident_notified") and self.verbosity >= 1:
            self.stdout.write(f"Recorded {counts['resident_notified']} connection(s) as resident notified.")
        if self.verbosity >= 1:
            waiting = Notification.objects.filter(
                status=DeliveryStatus.PENDING, channel__in=[Channel.EMAIL, Channel.TEXT]
            ).count()
            if waiting:
                self.stdout.write(f"{waiting} waiting for a later try.")

    def _progress(self, progress: Progress):
        what = NotificationKind(progress.kind).label.lower() if progress.kind in NotificationKind.values else progress.kind
        how = Channel(progress.channel).label.lower() if progress.channel in Channel.values else progress.channel
        outcome = _SAY[progress.outcome]
        line = f"[{progress.index}/{progress.total}] {progress.notification_id} {what} by {how}: {outcome}"
        style = {SENT: self.style.SUCCESS, DEFERRED: self.style.WARNING, FAILED: self.style.ERROR}.get(progress.outcome)
        self.stdout.write(style(line) if style else line)
