"""`manage.py load_demo`: a realistic demo directory for Dorset and Poole, Halton and Leeds, and referrals.

After the directory it builds the demo referrals (``demo.referrals``): a social prescribing
service per area, its staff, and referrals in every state for the demo users.

Deterministic (a fixed seed: the same directory every time) and idempotent: a second run
finds everything in place and only prints the logins, so `make demo` can run it every time.
"""

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from pages.setup import ensure_site
from tqdm import tqdm
from wagtail.models import WorkflowState

from demo.build import (
    DemoBuildError,
    ModerationUnavailable,
    build_content,
    build_moderation_examples,
    missing_content,
    missing_postcode_areas,
)
from demo.plan import build_plan
from demo.referrals import DemoReferralsError, demo_totp_secret, ensure_demo_referrals
from demo.users import DEMO_PASSWORD, demo_user, ensure_demo_users
from directory.models import ActivityPage, OrganisationPage, Venue
from directory.selectors import hidden_cutoff, stale_activities


class Command(BaseCommand):
    help = "Load the demo directory and demo users (idempotent; quick when already loaded)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Build this fraction of the demo organisations, between 0 and 1 (default 1: the full demo).",
        )

    def handle(self, *args, scale: float, verbosity: int, **options) -> None:
        if not 0 < scale <= 1:
            raise CommandError("--scale must be more than 0 and at most 1.")
        started = time.perf_counter()
        ensure_site()
        plan = build_plan(today=timezone.localdate(), scale=scale)
        missing = missing_content(plan)

        if missing.count == 0:
            self.stdout.write("The demo directory is already loaded.")
        else:
            if missing.venues and (areas := missing_postcode_areas()):
                self.stdout.write(f"Loading postcodes for {' '.join(areas)} first.")
                call_command("load_postcodes", areas=areas, verbosity=verbosity, stdout=self.stdout, stderr=self.stderr)
            # tqdm redraws a line with "\r"; Django's OutputWrapper would end every redraw
            # with a newline, so the bar writes to the stream underneath.
            with tqdm(
                total=missing.count,
                desc="Building the demo directory",
                unit=" listings",
                file=self.stderr._out,
                disable=verbosity < 1,
                mininterval=0.5,
            ) as bar:
                try:
                    built = build_content(plan, missing, progress=bar.update)
                except DemoBuildError as error:
                    raise CommandError(str(error)) from error
            self.stdout.write(
                f"Created {built.organisations} organisations, {built.venues} venues and {built.activities} activities."
            )

        editor_organisation = OrganisationPage.objects.get(
            oruk_id=next(o.oruk_id for o in plan.organisations if o.key == plan.editor_organisation)
        )
        users = ensure_demo_users(editor_organisation=editor_organisation)
        try:
            build_moderation_examples(plan, editor=demo_user("editor"))
        except ModerationUnavailable as error:
            # The directory is still worth showing without them.
            self.stderr.write(self.style.WARNING(f"Warning: {error}"))
        except DemoBuildError as error:
            raise CommandError(str(error)) from error

        try:
            referrals = ensure_demo_referrals(plan=plan, editor=demo_user("editor"))
        except DemoReferralsError as error:
            raise CommandError(str(error)) from error

        self._summary(users, editor_organisation, referrals, seconds=time.perf_counter() - started)

    def _summary(self, users, editor_organisation, referrals, *, seconds: float) -> None:
        activities = ActivityPage.objects.all()
        counts = (
            f"{OrganisationPage.objects.count()} organisations, {Venue.objects.count()} venues, "
            f"{activities.count()} activities ({activities.filter(status='paused').count()} paused, "
            f"{stale_activities().count()} stale, "
            f"{activities.live().filter(last_reviewed__lte=hidden_cutoff()).count()} hidden as stale, "
            f"{WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS).count()} changes awaiting "
            "moderation)."
        )
        self.stdout.write(f"The directory has {counts}")

        rows = [("Username", "Role", "Password")] + [(u.username, u.role, DEMO_PASSWORD) for u in users]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        rule = "  ".join("-" * width for width in widths)
        self.stdout.write("")
        self.stdout.write("Demo logins")
        for index, row in enumerate(rows):
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
            if index == 0:
                self.stdout.write(rule)
        self.stdout.write(f"The editor edits {editor_organisation.title}.")
        self._referrals_summary(referrals)
        base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
        self.stdout.write("")
        self.stdout.write(f"Site:  {base_url}/")
        self.stdout.write(f"Admin: {base_url}/admin/")
        self.stdout.write(self.style.SUCCESS(f"Demo ready in {seconds:.1f} s."))

    def _referrals_summary(self, referrals) -> None:
        self.stdout.write("")
        self.stdout.write(
            f"Referrals: {referrals.referrals} in {len(referrals.by_status)} states, "
            f"{referrals.open_alerts} open alerts{' (created now)' if referrals.built else ''}. "
            "The link worker and triage work for Dorset and Poole; "
            "Halton's referrals go to the editor's organisation."
        )
        self.stdout.write("")
        self.stdout.write("Two-factor sign-in: staff who see residents' data enter a code from an authenticator app.")
        self.stdout.write("Add a user's key to the app (as a time-based key), or run `manage.py demo_code <username>`.")
        width = max((len(name) for name in referrals.two_factor_users), default=0)
        for username in referrals.two_factor_users:
            self.stdout.write(f"  {username.ljust(width)}  {demo_totp_secret(username)}")
        self.stdout.write("")
        self.stdout.write("Notifications")
        self.stdout.write(f"  Emails: {_email_destination()}")
        self.stdout.write(f"  Texts:  {_text_destination()}")
        self.stdout.write("  Phone calls and letters: tasks on the link worker's caseload.")


def _email_destination() -> str:
    backend = settings.EMAIL_BACKEND
    if backend.endswith("filebased.EmailBackend"):
        return f"written to files in {settings.EMAIL_FILE_PATH}"
    if backend.endswith("console.EmailBackend"):
        return "printed by the server"
    if backend.endswith("smtp.EmailBackend"):
        return f"sent by SMTP through {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return f"sent by {backend}"


def _text_destination() -> str:
    sms = getattr(settings, "SIGNPOST_SMS", {})
    folder = sms.get("OPTIONS", {}).get("folder")
    if folder:
        return f"written to files in {folder}"
    return f"sent by {sms.get('BACKEND', 'no gateway configured')}"
