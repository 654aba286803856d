from django.core.management.base import BaseCommand

from referrals.alerts import run_alerts
from referrals.choices import AlertKind


class Command(BaseCommand):
    help = (
        "Raise the tracking alerts (not contacted, no provider response, attendance not recorded, "
        "did not attend) and clear those that no longer apply. Safe to run as often as you like."
    )

    def handle(self, *args, **options):
        run = run_alerts()
        for kind in AlertKind:
            self.stdout.write(
                f"{kind.label}: {run.raised[kind]} raised, {run.cleared[kind]} cleared, {run.open[kind]} open"
            )
        self.stdout.write(
            self.style.SUCCESS(f"{sum(run.raised.values())} raised, {sum(run.cleared.values())} cleared.")
        )
