"""Fixtures for the referral pathway: two services, their staff, and two provider organisations."""

import pytest

from factories import referrals as factories
from referrals.roles import actor_for_user
from tests.referrals.smtp import SmtpServer


@pytest.fixture
def service(home):
    return factories.make_service("Poole Social Prescribing", prefixes="BH")


@pytest.fixture
def other_service(home):
    return factories.make_service("Halton Social Prescribing", prefixes="WA7, WA8")


@pytest.fixture
def triage(service):
    return factories.make_triage(service=service, username="tina", first_name="Tina", last_name="Triage")


@pytest.fixture
def link_worker(service):
    return factories.make_link_worker(service=service, username="lee", first_name="Lee", last_name="Worker")


@pytest.fixture
def organisation(home):
    from factories.directory import make_organisation

    return make_organisation("Poole Walking Friends", email="hello@poole-walking.example.org")


@pytest.fixture
def other_organisation(home):
    from factories.directory import make_organisation

    return make_organisation("Harbour Lunch Club", email="hello@harbour-lunch.example.org")


@pytest.fixture
def activity(organisation):
    from factories.directory import make_activity, make_venue

    return make_activity(organisation, "Tuesday health walk", venue=make_venue("Poole Park Café"))


@pytest.fixture
def other_activity(other_organisation):
    from factories.directory import make_activity, make_venue

    return make_activity(other_organisation, "Friday lunch club", venue=make_venue("Harbour Hall"))


@pytest.fixture
def provider_editor(organisation):
    return factories.make_provider_editor(organisation=organisation, username="pat", first_name="Pat")


@pytest.fixture
def actors(triage, link_worker, provider_editor):
    return {
        "triage": actor_for_user(triage),
        "link_worker": actor_for_user(link_worker),
        "provider": actor_for_user(provider_editor),
    }


@pytest.fixture
def smtp(settings):
    """A real SMTP server, not yet started, that Django's SMTP email backend is pointed at."""
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()
