from django.apps import AppConfig

from directory.joining import autodiscover_join_sections


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory"

    def ready(self):
        # Here, not at the top: the handlers import models, which Django loads after this module.
        from directory import signal_handlers  # noqa: F401

        autodiscover_join_sections()
