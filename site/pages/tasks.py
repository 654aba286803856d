"""Site-wide jobs for the worker (enqueued by ``pages.scheduler``)."""

from importlib import import_module

from django.conf import settings
from django_tasks import task


@task()
def clear_expired_sessions_task() -> None:
    """Delete expired sessions. A resident's self-referral keeps its answers (name, date of birth,
    needs) in the session until sent, so one never sent must not outlive the session's idle limit."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
