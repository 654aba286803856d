"""The test suite: fast hashing, in-memory cache and mail, tasks run inline."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret-5d1e8a")

from config.settings.base import *  # noqa: E402,F401,F403
from config.settings.base import INSTALLED_APPS  # noqa: E402

# The demo (`load_demo`, `demo_code`) and the benchmarks (`bench_*`) sit above the domain apps and
# never ship in production settings.
INSTALLED_APPS = [*INSTALLED_APPS, "demo", "benchmarks"]

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WAGTAILADMIN_BASE_URL = "http://testserver"
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Texts stay in memory: no test writes into the repository's var/sent-texts.
SIGNPOST_SMS = {"BACKEND": "referrals.notifications.sms.MemorySmsGateway", "OPTIONS": {}}
