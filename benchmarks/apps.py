from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """The `bench_*` commands; never in production."""

    name = "benchmarks"
    verbose_name = "Benchmarks"
