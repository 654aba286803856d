from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    label = "signpost_search"
    verbose_name = "Search"
