from datetime import date

from django.core.management.base import BaseCommand, CommandError

from directory.freshness import ReminderOutcome, send_stale_reminders, stale_reminders_due


class Command(BaseCommand):
    help = (
        "Email each organisation one reminder listing its stale activities (run daily). An activity "
        "is reminded about again only after SIGNPOST['STALE_REMINDER_INTERVAL_DAYS']."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show who would be reminded; send nothing.")
        parser.add_argument("--today", type=date.fromisoformat, help="Act as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, dry_run=False, today=None, **options):
        if dry_run:
            reminders = stale_reminders_due(today=today)
            for reminder in reminders:
                if reminder.recipients:
                    self._describe(reminder, "Would send to")
                else:
                    self._describe(reminder, "No email address for", style=self.style.WARNING)
            self.stdout.write(f"{len(reminders)} reminder(s) due; none sent (dry run).")
            return

        failed = 0

        def report(reminder, outcome):
            nonlocal failed
            if outcome == ReminderOutcome.SENT:
                self._describe(reminder, "Sent to")
            elif outcome == ReminderOutcome.NO_RECIPIENTS:
                self._describe(reminder, "No email address for", style=self.style.WARNING)
            else:
                failed += 1
                self._describe(reminder, "FAILED to send to", style=self.style.ERROR)

        sent = send_stale_reminders(today=today, report=report)
        self.stdout.write(self.style.SUCCESS(f"Sent {sent} stale-listing reminder(s)."))
        if failed:
            raise CommandError(f"{failed} reminder(s) could not be sent; they will be tried again on the next run.")

    def _describe(self, reminder, what, style=None):
        recipients = f" ({', '.join(reminder.recipients)})" if reminder.recipients else ""
        titles = ", ".join(activity.title for activity in reminder.activities)
        line = f"{what} {reminder.organisation.title}{recipients}: {len(reminder.activities)} stale: {titles}"
        self.stdout.write(style(line) if style else line)
