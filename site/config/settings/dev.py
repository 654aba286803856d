"""Local development and `make demo`: SQLite, emails written to a folder, tasks run inline."""

import os

os.environ.setdefault("SECRET_KEY", "dev-only-not-secret-7c0b6f3e2a")

from config.settings.base import *  # noqa: E402,F401,F403
from config.settings.base import BASE_DIR, INSTALLED_APPS, config  # noqa: E402

# The demo (`load_demo`, `demo_code`) and the benchmarks (`bench_*`) sit above the domain apps and
# never ship in production settings.
INSTALLED_APPS = [*INSTALLED_APPS, "demo", "benchmarks"]

DEBUG = config("DEBUG", default=True, cast=bool)
ALLOWED_HOSTS = config("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"], cast=list)
EMAIL_BACKEND = config("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
TASKS = {"default": {"BACKEND": config("TASKS_BACKEND", default="django_tasks.backends.immediate.ImmediateBackend")}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
