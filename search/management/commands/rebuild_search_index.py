from django.core.management.base import BaseCommand, CommandError

from search.backends import get_search_backend, search_backend_aliases


class Command(BaseCommand):
    help = "Build a fresh search index from the directory and switch searches to it when complete."

    def add_arguments(self, parser):
        parser.add_argument("--backend", help="Only this SIGNPOST_SEARCH alias (default: every backend that keeps an index).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs).")

    def handle(self, *args, backend=None, no_progress=False, verbosity=1, **options):
        aliases = [backend] if backend else search_backend_aliases()
        seen = set()
        for alias in aliases:
            engine = get_search_backend(alias)
            key = (engine.name, repr(sorted(engine.params.items())))
            if key in seen:
                continue
            seen.add(key)
            if not engine.capabilities.needs_indexing:
                if backend:
                    self.stdout.write(f"{alias}: reads the database directly; nothing to rebuild.")
                continue
            try:
                written = engine.rebuild(progress=not no_progress and verbosity > 0)
            except Exception as error:  # the operator needs the cause, not a traceback
                raise CommandError(f"{alias}: rebuild failed: {error}") from error
            self.stdout.write(self.style.SUCCESS(f"{alias}: indexed {written} activities."))
