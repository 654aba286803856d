from django.core.management.base import BaseCommand

from referrals.contacts import queue_contact_reminders


class Command(BaseCommand):
    help = (
        "Queue the day-before reminder of each contact booked for tomorrow (UK date), by the person's preferred "
        "route: email, text, or a call or letter for the link worker. Each contact is reminded once, and only "
        "between 8am and 8pm: safe to run as often as you like (the worker runs it hourly)."
    )

    def handle(self, *args, **options):
        queued = queue_contact_reminders()
        self.stdout.write(self.style.SUCCESS(f"{queued} reminder{'' if queued == 1 else 's'} queued."))
