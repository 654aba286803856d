from django.core.management.base import BaseCommand

from pages.setup import ensure_site


class Command(BaseCommand):
    help = "Create the home page, the directory index, the moderators group and the moderation workflow (idempotent)."

    def handle(self, *args, **options):
        home = ensure_site()
        self.stdout.write(self.style.SUCCESS(f"Site ready at {home.url or '/'}"))
