"""Issue an API token for a clinical system (scoped to a service) or a provider (scoped to an organisation).

    python manage.py create_api_token --name "EMIS at Harbour Surgery" --service poole-social-prescribing
    python manage.py create_api_token --name "Poole Walking Friends" --organisation poole-walking-friends
    python manage.py create_api_token --name "Pilot at Harbour Surgery" --service poole-social-prescribing --expires 2027-03-31

With ``--expires`` (a date, or a date and time) the token is refused from that moment on: a date
means the start of that day, Signpost's time. The key is printed once and cannot be shown again
(only its hash is kept): if it is lost, revoke the token in the admin and issue a new one.
"""

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from directory.models import OrganisationPage
from referrals.models import ApiToken, SocialPrescribingService


class Command(BaseCommand):
    help = "Create an API token for a social prescribing service or a provider organisation; prints the key once."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help='Who uses it, e.g. "EMIS at Harbour Surgery".')
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--service", metavar="SLUG", help="The social prescribing service it makes referrals for.")
        scope.add_argument("--organisation", metavar="ID_OR_SLUG", help="The provider organisation it acts for.")
        parser.add_argument("--expires", metavar="DATE",
                            help="When it stops working: 2027-03-31 (the start of that day) or 2027-03-31T17:00. "
                                 "Without it, it works until revoked.")

    def handle(self, *args, name: str, service: str | None = None, organisation: str | None = None,
               expires: str | None = None, **options):
        name = name.strip()
        if not name:
            raise CommandError("Give the token a --name that says who uses it.")
        expires_at = _expiry(expires) if expires is not None else None
        if service is not None:
            found = SocialPrescribingService.objects.filter(slug=service).first()
            if found is None:
                known = ", ".join(SocialPrescribingService.objects.values_list("slug", flat=True)) or "none yet"
                raise CommandError(f"No service with the slug {service!r} (services: {known}).")
            token, key = ApiToken.issue(name=name, service=found, expires_at=expires_at)
            scope = f"service {found.name}"
        else:
            found = _organisation(organisation)
            token, key = ApiToken.issue(name=name, organisation=found, expires_at=expires_at)
            scope = f"organisation {found.title}"
        until = (f"it expires on {timezone.localtime(expires_at):%-d %B %Y at %H:%M}" if expires_at
                 else "it does not expire (revoke it when it is no longer needed)")
        self.stdout.write(self.style.SUCCESS(f"Created API token {token.prefix}… {name!r} for {scope}; {until}."))
        self.stdout.write("The key (shown only this once; keep it secret):")
        self.stdout.write(key)
        self.stdout.write("Send it as the header: Authorization: Token <key>")


def _expiry(value: str) -> datetime:
    value = value.strip()
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--expires takes a date (2027-03-31) or a date and time (2027-03-31T17:00), not {value!r}.")
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment <= timezone.now():
        raise CommandError(f"--expires must be in the future ({value} has passed).")
    return moment


def _organisation(value: str):
    value = value.strip()
    matches = OrganisationPage.objects.filter(pk=int(value)) if value.isdigit() else OrganisationPage.objects.filter(slug=value)
    matches = list(matches[:2])
    if not matches:
        raise CommandError(f"No organisation with the id or slug {value!r}.")
    if len(matches) > 1:
        ids = ", ".join(str(match.pk) for match in matches)
        raise CommandError(f"More than one organisation has the slug {value!r}: give its id ({ids}).")
    return matches[0]
