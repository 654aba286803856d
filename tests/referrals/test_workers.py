"""Two task workers delivering at once send each email and text exactly once.

Real ``db_worker`` processes (django-tasks' database queue, as production runs them, two of
them as docker-compose.yml deploys) work through one queue on the PostgreSQL test database.
Each notification is queued twice, as when the task queued on commit and a retry (or the
periodic sweep) reach the same row at once, so the two workers race on the same rows. What
was sent is counted at the edge: the files Django's file email backend and the file SMS
gateway write.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from factories.referrals import make_referral, make_resident
from referrals.choices import Channel, ConnectionStatus, ContactRoute, DeliveryStatus
from referrals.models import Notification
from referrals.tasks import deliver_notification

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ROOT = Path(__file__).resolve().parents[2]
REFERRALS = 2


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_two_workers_send_each_notification_exactly_once(settings, tmp_path, service, triage, link_worker, activity):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued for the workers, not run here
    for number in range(REFERRALS):
        # Half the people asked to be texted, half emailed: both edges are exercised.
        route = ContactRoute.TEXT if number % 2 else ContactRoute.EMAIL
        resident = make_resident(service=service, preferred_contact=route)
        make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity, resident=resident,
                      status=ConnectionStatus.FIRST_SESSION_BOOKED)
    sendable = list(Notification.objects.filter(channel__in=[Channel.EMAIL, Channel.TEXT]).values_list("pk", "channel"))
    assert len(sendable) >= REFERRALS, "the referrals should have queued emails and texts"
    assert not Notification.objects.filter(pk__in=[pk for pk, _ in sendable]).exclude(status=DeliveryStatus.PENDING).exists()
    for pk, _ in sendable:
        deliver_notification.enqueue(str(pk))  # a second task for the same row: the race

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": _database_url(),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "email"),
        "SMS_BACKEND": "referrals.notifications.sms.FileSmsGateway",
        "SMS_FILE_PATH": str(tmp_path / "texts"),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v", "0"]
    workers = [subprocess.Popen([*command, "--worker-id", f"test-worker-{n}"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for n in (1, 2)]
    started = time.monotonic()
    outputs = [worker.communicate(timeout=60)[0].decode() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    # The file backend writes every message a connection sends into one file, separated by a line of dashes.
    sent_emails = [header for path in (tmp_path / "email").glob("*") for header in
                   [line.split(":", 1)[1].strip() for line in path.read_text().splitlines() if line.startswith("X-Signpost-Notification:")]]
    sent_texts = [line.split(":", 1)[1].strip() for path in (tmp_path / "texts").glob("*.txt")
                  for line in path.read_text().splitlines() if line.startswith("Reference:")]
    wanted_emails = sorted(str(pk) for pk, channel in sendable if channel == Channel.EMAIL)
    wanted_texts = sorted(str(pk) for pk, channel in sendable if channel == Channel.TEXT)
    assert wanted_emails and wanted_texts, "both channels were exercised"
    assert sorted(sent_emails) == wanted_emails  # each once: a repeat would appear twice
    assert sorted(sent_texts) == wanted_texts
    rows = Notification.objects.filter(pk__in=[pk for pk, _ in sendable])
    assert set(rows.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert set(rows.values_list("attempts", flat=True)) == {1}
    # Every task ran, once, to the end: of the two for each row, one sent it and the other found it sent.
    results = DBTaskResult.objects.filter(task_path__endswith="deliver_notification")
    assert results.count() == 2 * len(sendable)
    assert set(results.values_list("status", flat=True)) == {"SUCCESSFUL"}
    outcomes = sorted(results.values_list("return_value", flat=True))
    assert outcomes == sorted(["sent"] * len(sendable) + ["skipped"] * len(sendable))
    by_worker = {}
    for ids in results.values_list("worker_ids", flat=True):
        for worker_id in ids:
            by_worker[worker_id] = by_worker.get(worker_id, 0) + 1
    print(f"tasks run per worker: {by_worker}")
    print(f"{len(sendable)} notifications, each queued twice, delivered by two workers in {time.monotonic() - started:.1f} s")
