from django.apps import AppConfig
from django.urls import register_converter

from common.bounds import IdConverter


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self):
        # Before any URL configuration is read (Django reads it at the first request or reverse()).
        register_converter(IdConverter, "id")
