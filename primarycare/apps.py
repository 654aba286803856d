from django.apps import AppConfig


class PrimaryCareConfig(AppConfig):
    name = "primarycare"
    verbose_name = "Primary care"
    default_auto_field = "django.db.models.BigAutoField"
