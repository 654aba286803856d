"""A report's independent parts run at once on PostgreSQL, each on its own connection
(``reporting.together``), and give exactly the figures they give one after another.

Other connections see only committed rows, so these tests commit theirs (a transactional test)
and run on PostgreSQL (the PostgreSQL pass of `make test`); inside a transaction, and on SQLite,
the parts run one after another on the one connection, as every other reporting test runs them.
"""

from datetime import date

import pytest
from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.urls import reverse

from referrals.permissions import report_link_workers_for, reportable_connections, reportable_referrals
from referrals.roles import actor_for_user
from reporting import stored
from reporting.figures import build_report
from reporting.scope import ReportFilter
from reporting.together import run_together
from tests.reporting import test_reporting_figures as pinned
from tests.reporting import test_reports_pages as pages

known, three, Q1 = pinned.known, pages.three, pinned.Q1

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _backend():
    """The database server's process for this thread's connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_parts_run_on_their_own_connections_outside_a_transaction_and_on_one_inside():
    apart = run_together(_backend, _backend, _backend)
    assert apart[0] == _backend()
    assert len(set(apart)) == 3
    with transaction.atomic():
        # Uncommitted rows are invisible to other connections: the parts stay on this one.
        assert run_together(_backend, _backend, _backend) == [_backend()] * 3


def test_a_failing_part_fails_the_report():
    def broken():
        raise ValueError("no such figure")

    with pytest.raises(ValueError, match="no such figure"):
        run_together(_backend, broken)


def _opened_during(action):
    """What ``action`` returns, and how many database connections were opened while it ran."""
    opened = []

    def count(sender, connection, **kwargs):
        opened.append(connection)

    connection_created.connect(count)
    try:
        return action(), len(opened)
    finally:
        connection_created.disconnect(count)


def test_the_figures_are_the_same_at_once_as_one_after_another(known, triage, settings):
    actor = actor_for_user(triage)
    scope = {"referrals": reportable_referrals(actor), "connections": reportable_connections(actor),
             "link_workers": report_link_workers_for(actor)}
    at_once, opened = _opened_during(lambda: build_report(**scope, filters=Q1))
    # The cohort, the providers' answers, needs and wellbeing, and the discharges: one connection each beside this one.
    assert opened == 3
    assert at_once.referred == 4
    assert at_once.by_need == [("Loneliness and isolation", 2), ("Physical activity", 2)]
    assert at_once.wellbeing[0].people > 0

    settings.SIGNPOST_REPORTING = {**settings.SIGNPOST_REPORTING, "PARTS_AT_ONCE": 1}
    one_by_one, opened = _opened_during(lambda: build_report(**scope, filters=Q1))
    assert opened == 0
    assert at_once == one_by_one


def test_the_dashboard_is_the_same_at_once_as_one_after_another(client, triage, three, sign_in, postcodes, settings):
    browser = sign_in(triage)

    def tables():
        page = pages.soup(browser.get(reverse("reporting:reports"), pages.period()))
        keys = [table["data-section"] for table in page.select("table[data-section]")]
        return {key: pages.table(page, key) for key in keys}

    at_once, opened = _opened_during(tables)
    # The last 30 days are one or two months (an earlier one computed and stored, today's live):
    # each month's four parts beside the request's connection, and the gaps beside the report.
    shown = pages.period()
    months = stored.months_of(ReportFilter(start=date.fromisoformat(shown["start"]), end=date.fromisoformat(shown["end"])))
    assert opened == len(months) * 3 + 1
    assert at_once["by_source"][-1][1] == "3" and at_once["gaps"]
    settings.SIGNPOST_REPORTING = {**settings.SIGNPOST_REPORTING, "PARTS_AT_ONCE": 1}
    assert tables() == at_once
