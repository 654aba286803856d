from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from referrals.retention import anonymise_closed_referrals, retention_days


class Command(BaseCommand):
    help = (
        "Remove residents' personal data from referrals closed (or declined by the person) longer ago than "
        "the retention period (SIGNPOST_REFERRALS['RETENTION_DAYS']). Keeps what reporting needs. "
        "Safe to run again: what is done is not done twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=None,
            help="Anonymise referrals finished more than this many days ago (default: the retention period).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would be anonymised; change nothing.")

    def handle(self, *args, older_than_days=None, dry_run=False, **options):
        if older_than_days is not None and older_than_days < 0:
            raise CommandError("--older-than-days cannot be negative.")
        days = retention_days() if older_than_days is None else older_than_days
        verbosity = options.get("verbosity", 1)

        def progress(resident_ids):
            # The raw stream: Django's wrapper would end each redraw of the bar with a new line.
            return tqdm(resident_ids, desc="Residents", unit="resident", file=self.stderr._out,
                        disable=verbosity < 1 or not resident_ids)

        run = anonymise_closed_referrals(older_than_days=days, dry_run=dry_run, progress=progress)
        prefix = "Dry run, nothing changed: would anonymise" if dry_run else "Anonymised"
        self.stdout.write(f"Referrals finished before {run.cutoff:%d %B %Y} ({days} days ago).")
        self.stdout.write(
            f"{prefix} {run.referrals_anonymised} referral(s) and {run.residents_anonymised} resident(s)."
        )
        if run.residents_kept:
            self.stdout.write(
                f"{run.residents_kept} resident(s) kept their details: they have another referral still in use."
            )
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("Done."))
