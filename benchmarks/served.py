"""Serving the app for a benchmark as production serves it, over plain HTTP on the loopback.

A settings module written to ``var/served/`` takes ``config.settings.production`` whole and changes
only what plain HTTP to 127.0.0.1 needs; the environment adds what docker-compose.yml sets
(persistent database connections per web process). The benchmarks app lives in the development
settings only, so the served processes never import it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings

MODULE = "bench_production_over_http"
FOLDER = Path(settings.BASE_DIR) / "var" / "served"
_TEXT = '''"""Written by the benchmarks (benchmarks/served.py): production, but plain HTTP on the loopback."""
from config.settings.production import *  # noqa: F401,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["127.0.0.1"]
'''


def production_environment(base: dict | None = None) -> dict:
    """The environment for gunicorn and workers: ``base`` (default: this process's) with the
    served settings module on the path and docker-compose's connection reuse."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    (FOLDER / f"{MODULE}.py").write_text(_TEXT)
    env = dict(os.environ if base is None else base)
    root = Path(settings.BASE_DIR)
    env.update({
        "DJANGO_SETTINGS_MODULE": MODULE,
        "PYTHONPATH": os.pathsep.join([str(root), str(root / "site"), str(FOLDER)]),
        "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "DATABASE_CONN_MAX_AGE": env.get("DATABASE_CONN_MAX_AGE", "60"),
    })
    env.pop("DEBUG", None)
    return env
