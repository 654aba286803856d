from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo content and demo users (`manage.py load_demo`), above the domain apps; never in production."""

    name = "demo"
    verbose_name = "Demo"
