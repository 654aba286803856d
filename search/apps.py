from django.apps import AppConfig

from search.actions import autodiscover_result_actions


class SearchConfig(AppConfig):
    name = "search"
    label = "signpost_search"
    verbose_name = "Search"

    def ready(self):
        # Here, not at the top: the handlers import models, which Django loads after this module.
        from search import signal_handlers

        signal_handlers.connect()
        autodiscover_result_actions()
