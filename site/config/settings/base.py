"""Settings shared by every environment. Production-safe: no debug, secrets only from the environment."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from config.env import config

BASE_DIR = Path(__file__).resolve().parents[3]  # the repository root
SITE_DIR = BASE_DIR / "site"

DEBUG = False
SECRET_KEY = config("SECRET_KEY")
ALLOWED_HOSTS = config("ALLOWED_HOSTS", default=[], cast=list)
CSRF_TRUSTED_ORIGINS = config("CSRF_TRUSTED_ORIGINS", default=[], cast=list)

INSTALLED_APPS = [
    "common",
    "pages",
    "directory",
    "primarycare",
    "referrals",
    "reporting",
    "search",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "axes",
    "csp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pages.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After django-otp's, which says whether the session has proved its second factor.
    "referrals.middleware.SecondFactorMiddleware",
    "pages.security.SignInLinkThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        config("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=config("DATABASE_CONN_MAX_AGE", default=0, cast=int),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The directory's covering indexes (INCLUDE) are for PostgreSQL at scale; on SQLite, the embedded
# default, Django makes them on their key columns alone, which is what we want there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [SITE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(config("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Mail: SMTP by default (the production route); development overrides to a folder.
EMAIL_BACKEND = config("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = config("EMAIL_HOST", default="localhost")
EMAIL_PORT = config("EMAIL_PORT", default=25, cast=int)
EMAIL_HOST_USER = config("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = config("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = config("EMAIL_USE_TLS", default=False, cast=bool)
# Seconds before an unresponsive mail server counts as down (the message is retried later).
EMAIL_TIMEOUT = config("EMAIL_TIMEOUT", default=30, cast=int)
EMAIL_FILE_PATH = config("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "sent-email"))
DEFAULT_FROM_EMAIL = config("DEFAULT_FROM_EMAIL", default="Signpost <no-reply@signpost.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background tasks (django-tasks, as Wagtail uses): the database queue with a worker process.
TASKS = {
    "default": {
        "BACKEND": config("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

# Staff sign in through the admin's sign-in page; staff who see residents' data then give a
# second factor (referrals.views.account).
LOGIN_URL = "wagtailadmin_login"
OTP_TOTP_ISSUER = "Signpost"

# A signed-in session ends after this long without a request (each request starts the clock
# again), and when the browser closes.
SESSION_COOKIE_AGE = config("IDLE_SESSION_MINUTES", default=30, cast=int) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Reverse proxies in front of Signpost that add to X-Forwarded-For (0: use the connection's
# address); rate limits and sign-in throttling count against the address found this way.
TRUSTED_PROXY_COUNT = config("TRUSTED_PROXY_COUNT", default=0, cast=int)

# Sign-in throttling (django-axes): after SIGN_IN_FAILURE_LIMIT wrong passwords for one account
# (from anywhere), or from one address (for any accounts), signing in is refused for
# SIGN_IN_COOL_OFF_MINUTES, even with the right password; a successful sign-in clears the count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = config("SIGN_IN_FAILURE_LIMIT", default=5, cast=int)
AXES_COOLOFF_TIME = timedelta(minutes=config("SIGN_IN_COOL_OFF_MINUTES", default=15, cast=int))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "common.requests.client_ip_address"
# Usernames are stored cut to the column's 255 characters (a longer one is simply wrong).
AXES_USERNAME_CALLABLE = "common.requests.client_username"
AXES_LOCKOUT_TEMPLATE = "pages/sign_in_locked.html"
# Where to report a vulnerability, published at /.well-known/security.txt (a mailto: or https: URI).
SECURITY_CONTACT = config("SECURITY_CONTACT", default="mailto:security@signpost.example")
# The password reset form and the emailed password and invitation links (pages.security): at most
# SIGN_IN_LINK_LIMIT tries per connection in SIGN_IN_LINK_WINDOW_MINUTES, and at most
# PASSWORD_RESET_EMAILS_LIMIT reset emails asked for one address in that time.
SIGN_IN_LINK_LIMIT = config("SIGN_IN_LINK_LIMIT", default=10, cast=int)
SIGN_IN_LINK_WINDOW_MINUTES = config("SIGN_IN_LINK_WINDOW_MINUTES", default=15, cast=int)
PASSWORD_RESET_EMAILS_LIMIT = config("PASSWORD_RESET_EMAILS_LIMIT", default=3, cast=int)

WAGTAIL_SITE_NAME = "Signpost"
# No Gravatar: it would send a hash of each member of staff's email address to another site.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_BASE_URL = config("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "rtf", "txt", "xlsx"]
WAGTAIL_MODERATION_ENABLED = True
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAILADMIN_COMMENTS_ENABLED = False
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# The directory.
SIGNPOST = {
    # Listings not reviewed for this many days are stale: the organisation is reminded and
    # moderators see them on the stale-listings report.
    "STALE_AFTER_DAYS": config("SIGNPOST_STALE_AFTER_DAYS", default=183, cast=int),
    # After a further grace period, stale listings are hidden from the public directory.
    "STALE_GRACE_DAYS": config("SIGNPOST_STALE_GRACE_DAYS", default=30, cast=int),
    # Days between repeat reminders for a listing that stays stale.
    "STALE_REMINDER_INTERVAL_DAYS": config("SIGNPOST_STALE_REMINDER_INTERVAL_DAYS", default=14, cast=int),
}

# Geocoding: the offline Code-Point Open table by default; production may name an online
# geopy geocoder (with its options) for full addresses.
SIGNPOST_GEOCODER = {
    "BACKEND": config("GEOCODER_BACKEND", default="directory.geocoding.CodePointGeocoder"),
    "OPTIONS": {},
}

# Search (search/): the database backend by default; set SEARCH_BACKEND=search.backends.elasticsearch
# to use Elasticsearch, which falls back to the database when it is down or slow.
SIGNPOST_SEARCH = {
    "default": {
        "BACKEND": config("SEARCH_BACKEND", default="search.backends.database"),
        # One node, or a cluster's nodes comma-separated: a search that cannot reach one node, or
        # times out there, is tried once on each other node before the fallback answers.
        "URLS": config("ELASTICSEARCH_URL", default=["http://127.0.0.1:9200"], cast=list),
        # Copies of each shard on other nodes: 0 for one node, 1 for a cluster of two or more.
        "REPLICAS": config("SEARCH_REPLICAS", default=0, cast=int),
        "INDEX": config("SEARCH_INDEX", default="signpost-activities"),
        # Seconds to wait for Elasticsearch before answering from the fallback instead.
        "TIMEOUT": config("SEARCH_TIMEOUT", default=1.5, cast=float),
        "FALLBACK": "database",
        # After this many failures or timeouts in a row, searches go straight to the fallback
        # for BREAKER_COOLDOWN seconds, then one search tries Elasticsearch again (per process).
        "BREAKER_FAILURES": config("SEARCH_BREAKER_FAILURES", default=3, cast=int),
        "BREAKER_COOLDOWN": config("SEARCH_BREAKER_COOLDOWN", default=30.0, cast=float),
    },
    "database": {"BACKEND": "search.backends.database"},
}

# Maps (Leaflet, an enhancement: every map has a text list beside it). Tiles come from this
# server; OpenStreetMap's own tiles suit a demo, not heavy production use.
SIGNPOST_MAP = {
    "TILE_URL": config("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
    "ATTRIBUTION": config(
        "MAP_ATTRIBUTION", default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    ),
}

# Content-Security-Policy (django-csp; pages.security explains the admin's allowance). Scripts and
# styles only from this site (the two inline scripts in base.html carry the request's nonce);
# images also from the map's tile server ("{s}." in its URL allows any subdomain).
_tiles = urlsplit(SIGNPOST_MAP["TILE_URL"].replace("{s}.", "*."))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *([f"{_tiles.scheme}://{_tiles.netloc}"] if _tiles.netloc else [])],
        # The NHS.UK frontend's Frutiger, from the NHS's own font server.
        "font-src": [SELF, "https://assets.nhs.uk"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Referrals (referrals/).
SIGNPOST_REFERRALS = {
    # Days an emailed provider link works for (each link works once).
    "ACTION_LINK_DAYS": config("REFERRAL_ACTION_LINK_DAYS", default=14, cast=int),
    # Alerts: first contact due within this many working days of receipt (2 = the 48 hours
    # of the specifications), a provider's response within 3 working days.
    "CONTACT_WITHIN_WORKING_DAYS": config("REFERRAL_CONTACT_WITHIN_WORKING_DAYS", default=2, cast=int),
    "PROVIDER_RESPONSE_WORKING_DAYS": config("REFERRAL_PROVIDER_RESPONSE_WORKING_DAYS", default=3, cast=int),
    # Public holidays of this UK nation are not working days (the `holidays` package's subdivision).
    "HOLIDAYS_SUBDIVISION": config("REFERRAL_HOLIDAYS_SUBDIVISION", default="ENG"),
    # Closed referrals older than this are anonymised by `anonymise_closed_referrals`.
    "RETENTION_DAYS": config("REFERRAL_RETENTION_DAYS", default=8 * 365, cast=int),
    # Sending notifications: attempts before giving up, and the first back-off (doubling).
    "NOTIFICATION_MAX_ATTEMPTS": config("NOTIFICATION_MAX_ATTEMPTS", default=8, cast=int),
    "NOTIFICATION_RETRY_SECONDS": config("NOTIFICATION_RETRY_SECONDS", default=60, cast=int),
    # Self-referrals from one address per hour before the form refuses more.
    "SELF_REFERRALS_PER_HOUR": config("SELF_REFERRALS_PER_HOUR", default=5, cast=int),
    # How long the API remembers an Idempotency-Key on a new referral (a retry within it gets the same referral).
    "IDEMPOTENCY_KEY_HOURS": config("REFERRAL_IDEMPOTENCY_KEY_HOURS", default=24, cast=int),
    # Days the link in a text to the person's copy of their care and support plan works for.
    "CARE_PLAN_LINK_DAYS": config("REFERRAL_CARE_PLAN_LINK_DAYS", default=14, cast=int),
}

# Commissioner reporting (reporting/).
SIGNPOST_REPORTING = {
    # Counts from 1 to this minus one are shown as "fewer than N" to commissioners and in their
    # exports, so that no one can be picked out.
    "SUPPRESS_BELOW": config("REPORTING_SUPPRESS_BELOW", default=5, cast=int),
    # The share of referred people who go on to attend a community activity (the specifications' 50%).
    "ATTENDANCE_TARGET": config("REPORTING_ATTENDANCE_TARGET", default=0.5, cast=float),
    # Gaps in provision: activities within this distance of where the demand is count as supply,
    # and an area and need with at most GAP_MAX_SUPPLY such activities and at least
    # GAP_MIN_DEMAND referrals is a gap.
    "GAP_DISTANCE_MILES": config("REPORTING_GAP_DISTANCE_MILES", default=3.0, cast=float),
    "GAP_MAX_SUPPLY": config("REPORTING_GAP_MAX_SUPPLY", default=1, cast=int),
    # At or above SUPPRESS_BELOW: a "<5" marked as a gap would tell commissioners it is 3 or 4.
    "GAP_MIN_DEMAND": config("REPORTING_GAP_MIN_DEMAND", default=5, cast=int),
    # A report's independent parts run at once on PostgreSQL (reporting.together), each on its own
    # connection: at most this many connections for one report (1: one after another).
    "PARTS_AT_ONCE": config("REPORTING_PARTS_AT_ONCE", default=4, cast=int),
    # A period to date whose months the day's work made the store forget is shown as at the last time
    # its figures were computed, if that was at most this many minutes ago, while its months are
    # computed again away from the reader (reporting.stored); older, the reader waits for the figures.
    "SHOWN_AS_AT_WITHIN_MINUTES": config("REPORTING_SHOWN_AS_AT_WITHIN_MINUTES", default=60, cast=int),
    # So are one or two months missing if they hold more referrals than this: on 2 cores a month of
    # 42,000 referrals takes 2.4 s to compute, one of 4,200 a quarter of a second.
    "SHOWN_AS_AT_ABOVE_REFERRALS": config("REPORTING_SHOWN_AS_AT_ABOVE_REFERRALS", default=15_000, cast=int),
}

# Text messages: GOV.UK Notify in production (NOTIFY_API_KEY, NOTIFY_SMS_TEMPLATE_ID),
# a folder of sent texts by default.
SIGNPOST_SMS = {
    "BACKEND": config("SMS_BACKEND", default="referrals.notifications.sms.FileSmsGateway"),
    "OPTIONS": {},
}
if SIGNPOST_SMS["BACKEND"].endswith("NotifySmsGateway"):
    SIGNPOST_SMS["OPTIONS"] = {
        "api_key": config("NOTIFY_API_KEY"),
        "template_id": config("NOTIFY_SMS_TEMPLATE_ID"),
        "base_url": config("NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk"),
    }
elif SIGNPOST_SMS["BACKEND"].endswith("FileSmsGateway"):
    SIGNPOST_SMS["OPTIONS"] = {"folder": config("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sent-texts"))}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # OpenAPI schemas (/api/v1/schema/) are generated by drf-spectacular.
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": config("LOG_LEVEL", default="INFO")},
    # Task and page-lifecycle chatter would drown out what an operator needs to see.
    "loggers": {
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        # django-axes: lockouts (warnings) are kept; every failed attempt is in its AccessAttempt table.
        "axes": {"level": "WARNING"},
    },
}
