from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    label = "signpost_search"
    verbose_name = "Search"

    def ready(self):
        from search import signal_handlers

        signal_handlers.connect()
