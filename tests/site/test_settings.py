import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import config

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deployment_checklist_without_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="signpost.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_SETTINGS_MODULE="config.settings.production")
    assert result.returncode != 0
    assert "Set the environment variable SECRET_KEY" in result.stderr


def test_config_casts_and_explains_bad_values(monkeypatch):
    monkeypatch.setenv("SIGNPOST_FLAG", "yes")
    monkeypatch.setenv("SIGNPOST_HOSTS", "a.example, b.example,")
    monkeypatch.setenv("SIGNPOST_NUMBER", "twelve")
    assert config("SIGNPOST_FLAG", cast=bool) is True
    assert config("SIGNPOST_HOSTS", cast=list) == ["a.example", "b.example"]
    assert config("SIGNPOST_MISSING", default=7, cast=int) == 7
    with pytest.raises(ImproperlyConfigured, match="SIGNPOST_NUMBER has an invalid value"):
        config("SIGNPOST_NUMBER", cast=int)


@pytest.mark.django_db
def test_health_endpoint_reports_the_database(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
