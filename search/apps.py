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
        # An activity's page opened from the results shows the distance and links back to them.
        from directory.from_results import register_results_reader
        from search.results_links import BackToResults

        register_results_reader(BackToResults())
