"""The reporting benchmark: N generated referrals over two years, then the dashboard's and the exports' times.

Generation writes straight into the tables with ``bulk_create`` (a benchmark, not a test:
the service functions would take hours for 100,000 referrals), with a fixed seed and step
times shaped like the pathway's (most contacted within a couple of days, about half booked,
a third attending). Everything runs inside one transaction that is rolled back at the end,
so the configured database is left as it was.
"""

from __future__ import annotations

import math
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection, transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone

from directory.models import ActivityPage, NeedTerm, Postcode
from directory.selectors import public_activities
from factories import referrals as factories
from factories.directory import deferred_indexing, make_activity, make_need, make_organisation, make_venue
from referrals.choices import (
    SNOMED_DECLINED,
    ConnectionKind,
    ConnectionStatus,
    ContactMethod,
    ContactStatus,
    DischargeReason,
    GoalStatus,
    ReferralStatus,
    Source,
)
from referrals.models import CarePlan, Connection, Contact, Goal, Referral, Resident, WellbeingScore
from referrals.workflow import WITH_PROVIDER
from referrals.permissions import reportable_referrals
from referrals.roles import COMMISSIONERS_GROUP, actor_for_user
from reporting import views as reports
from reporting.exports import referral_extract, rows_csv
from reporting.figures import build_report
from reporting.forms import preset_period
from reporting.gaps import gaps_in_provision
from reporting.models import ReportSnapshot, StoredReport
from reporting.stored import months_of
from reporting.scope import ReportFilter
from reporting.tasks import prepare_reports, store_report_months

SEED = 20260101
# Postcode districts around Poole and Bournemouth, with rough centroids: demand is spread over them.
DISTRICTS = [
    (f"BH{number}", 50.70 + 0.012 * (number % 7), -2.05 + 0.03 * (number // 3)) for number in range(1, 26)
] + [(f"DT{number}", 50.70 + 0.02 * number, -2.45 + 0.01 * number) for number in range(1, 12)]


@dataclass
class Timing:
    name: str
    seconds: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds)


@dataclass
class BenchResult:
    referrals: int
    generated_in: float
    period_referrals: int
    timings: list[Timing]
    peak_memory_mb: dict[str, float]
    database: str

    def lines(self) -> list[str]:
        out = [
            f"Database: {self.database}",
            f"Generated {self.referrals:,} referrals over two years in {self.generated_in:.1f} s",
            f"A year's view: {self.period_referrals:,} referrals in the cohort",
            f"{'measure':<44} {'p50 (s)':>9} {'runs':>5}",
        ]
        out += [f"{t.name:<44} {t.p50:>9.3f} {len(t.seconds):>5}" for t in self.timings]
        out += [f"Peak traced memory, {name}: {mb:.1f} MiB" for name, mb in self.peak_memory_mb.items()]
        return out


def _timed(name: str, runs: int, action: Callable[[], object], *,
           around: Callable[[], Callable[[], object]] | None = None) -> Timing:
    """``action``'s time in each of ``runs``; ``around`` (untimed) sets up before each and returns what undoes it."""
    timing = Timing(name)
    for _ in range(runs):
        undo = around() if around is not None else None
        started = time.perf_counter()
        action()
        timing.seconds.append(time.perf_counter() - started)
        if undo is not None:
            undo()
    return timing


def _peak_mb(action: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024


class _Rollback(Exception):
    pass


def run(*, referrals: int = 100_000, runs: int = 3, activities: int = 200, keep: bool = False, existing: bool = False,
        only: str = "", log=print) -> BenchResult:
    if keep or existing:
        # Measured as the site runs, outside a transaction: on PostgreSQL a report's parts then run
        # at once on their own connections (reporting.together), which cannot see uncommitted rows.
        started = time.perf_counter()
        if existing:
            world = existing_world()
        else:
            with transaction.atomic():
                world = generate(referrals=referrals, activities=activities, log=log)
        generated_in = time.perf_counter() - started
        _planner_statistics(vacuum=connection.vendor == "postgresql")
        log(f"Generated in {generated_in:.1f} s; measuring ({runs} runs each)")
        timings, memory, cohort = measure(world, runs=runs, only=only)
        return BenchResult(referrals, generated_in, cohort, timings, memory,
                           f"{connection.vendor} ({connection.settings_dict['NAME']}), "
                           + ("data kept (--keep)" if keep else "earlier --keep run's data (--existing)"))
    result = None
    try:
        with transaction.atomic():
            started = time.perf_counter()
            world = generate(referrals=referrals, activities=activities, log=log)
            generated_in = time.perf_counter() - started
            _planner_statistics(vacuum=False)
            log(f"Generated in {generated_in:.1f} s; measuring ({runs} runs each)")
            timings, memory, cohort = measure(world, runs=runs, only=only)
            result = BenchResult(referrals, generated_in, cohort, timings, memory,
                                 f"{connection.vendor} ({connection.settings_dict['NAME']}), inside a transaction, "
                                 "rolled back at the end (so a report's parts run one after another)")
            raise _Rollback
    except _Rollback:
        pass
    return result


def _planner_statistics(*, vacuum: bool) -> None:
    """The planner's statistics, as a live database keeps them: autovacuum cannot see rows in an
    uncommitted transaction, and without statistics PostgreSQL picks nested loops over 100,000
    rows and a query takes minutes. Outside a transaction, VACUUM also marks the pages all-visible,
    as autovacuum would, so the reports' covering indexes are read without the table."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


# Generation --------------------------------------------------------------------------------


@dataclass
class World:
    service: object
    commissioner: object
    triage: object
    start: date
    end: date


def existing_world() -> World:
    """The world an earlier ``--keep`` run generated, to measure again without generating it again."""
    commissioner = get_user_model().objects.get(username="bench-commissioner")
    triage = get_user_model().objects.get(username="bench-triage")
    year_start, end = preset_period("last_12_months", today=timezone.localdate())
    return World(service=None, commissioner=commissioner, triage=triage, start=year_start, end=end)


def generate(*, referrals: int, activities: int, log=print) -> World:
    rng = random.Random(SEED)
    service = factories.make_service("Benchmark social prescribing", prefixes="BH, DT")
    triage = factories.make_triage(service=service, username="bench-triage")
    commissioner = factories.make_staff(COMMISSIONERS_GROUP, service=service, username="bench-commissioner")
    workers = [factories.make_link_worker(service=service, username=f"bench-worker-{i}") for i in range(12)]

    needs = list(NeedTerm.objects.all())
    if len([n for n in needs if n.parent_id is None]) < 4:
        for name in ("Loneliness and isolation", "Physical activity", "Money and debt", "Mental wellbeing",
                     "Caring", "Housing"):
            make_need(name)
        needs = list(NeedTerm.objects.all())
    phase = time.perf_counter()
    organisation_ids, activity_rows = _activities(rng, needs=needs, wanted=activities, log=log)
    log(f"Activities ready in {time.perf_counter() - phase:.1f} s")
    phase = time.perf_counter()

    postcodes = []
    for district, lat, lng in DISTRICTS:
        for unit in range(4):
            postcodes.append((f"{district} {unit + 1}AA", lat + rng.uniform(-0.01, 0.01), lng + rng.uniform(-0.01, 0.01)))
    existing = set(Postcode.objects.filter(postcode__in=[p for p, _, _ in postcodes]).values_list("postcode", flat=True))
    Postcode.objects.bulk_create(
        [Postcode(postcode=p, latitude=Decimal(f"{lat:.6f}"), longitude=Decimal(f"{lng:.6f}"))
         for p, lat, lng in postcodes if p not in existing]
    )

    now = timezone.now()
    start = now - timedelta(days=730)
    log(f"Generating {referrals:,} residents and referrals")
    residents = [
        Resident(service=service, first_name="Bench", last_name=f"Person{i}", postcode=rng.choice(postcodes)[0],
                 date_of_birth=date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 64)),
                 preferred_contact="phone", phone="07700 900000")
        for i in range(referrals)
    ]
    residents = Resident.objects.bulk_create(residents, batch_size=2000)
    hours = timedelta(hours=1)
    rows, needs_of, scores_for = [], [], []
    connections_for: list[tuple[int, list[Connection]]] = []  # (index of the referral, its connections)
    sources = [Source.PRIMARY_CARE] * 6 + [Source.OTHER_PROFESSIONAL] * 2 + [Source.SELF] * 2
    for number, resident in enumerate(residents):
        received = start + timedelta(seconds=rng.randrange(0, 730 * 86400))
        referral = Referral(
            # A made-up reference: 100,000 random ones would likely collide once.
            reference=f"BN-{number:08d}",
            service=service, resident=resident, source=rng.choice(sources), received_at=received,
            referrer_name="Dr Bench", link_worker=rng.choice(workers), status=ReferralStatus.RECEIVED,
        )
        moment = received + hours * rng.uniform(1, 6)
        referral.triaged_at = moment
        status = ReferralStatus.TRIAGED
        contacted = moment + hours * rng.lognormvariate(math.log(30), 0.8)
        connections = []
        if rng.random() < 0.88 and contacted < now:
            referral.contacted_at, status = contacted, ReferralStatus.CONTACTED
            # Most people are connected to one activity, some to two or three, a few signposted too.
            for index in range(rng.choice([0, 1, 1, 1, 1, 2, 2, 3])):
                connection = _connection(rng, contacted + hours * rng.uniform(24, 240), activity_rows, now)
                if connection is not None:
                    # Numbered as kept (one a referral may skip would clash with the signpost's number).
                    connection.number = len(connections) + 1
                    connections.append(connection)
            if rng.random() < 0.15:
                connections.append(Connection(
                    number=len(connections) + 1, kind=ConnectionKind.SIGNPOST, service_name="Citizens Advice",
                    status=ConnectionStatus.TOOK_UP if rng.random() < 0.6 else ConnectionStatus.SIGNPOSTED,
                    created_at=contacted + hours * 24))
        elif rng.random() < 0.2 and moment + 48 * hours < now:
            referral.declined_at = moment + 48 * hours
            referral.snomed_code = SNOMED_DECLINED
            status = ReferralStatus.DECLINED_BY_PERSON
        # Discharge some weeks after the last thing that happened, once nothing is with a provider.
        last = max([referral.declined_at or referral.contacted_at or moment]
                   + [c.attended_at or c.did_not_attend_at or c.created_at for c in connections])
        settled = all(c.status not in WITH_PROVIDER for c in connections)
        if status != ReferralStatus.TRIAGED and settled and rng.random() < 0.7:
            discharged = last + timedelta(days=rng.uniform(14, 90))
            if discharged < now:
                referral.discharged_at = discharged
                referral.discharge_reason = (
                    DischargeReason.PERSON_DECLINED if status == ReferralStatus.DECLINED_BY_PERSON
                    else rng.choice([DischargeReason.GOALS_MET] * 5 + [DischargeReason.MOVED_AWAY,
                                                                       DischargeReason.REFERRED_ELSEWHERE,
                                                                       DischargeReason.OTHER]))
                status = ReferralStatus.DISCHARGED
                for connection in connections:
                    if connection.status in (ConnectionStatus.ACTIVITY_CHOSEN, ConnectionStatus.SIGNPOSTED):
                        connection.status = ConnectionStatus.WITHDRAWN
                        connection.ended_at = discharged
        referral.status = status
        if connections:
            connections_for.append((number, connections))
        rows.append(referral)
    log(f"Residents written and referrals built in {time.perf_counter() - phase:.1f} s")
    phase = time.perf_counter()
    rows = Referral.objects.bulk_create(rows, batch_size=2000)
    for index, connections in connections_for:
        for connection in connections:
            connection.referral_id = rows[index].pk
    Connection.objects.bulk_create([c for _, connections in connections_for for c in connections], batch_size=5000)
    # Contacts held, plans and goals for those in support.
    contacts, plans = [], []
    for referral in rows:
        if referral.contacted_at is None:
            continue
        end = referral.discharged_at or now
        for _ in range(rng.randint(1, 8)):
            contacts.append(Contact(referral_id=referral.pk, method=ContactMethod.PHONE, status=ContactStatus.HELD,
                                    at=referral.contacted_at + (end - referral.contacted_at) * rng.random(),
                                    recorded_by_label="Bench"))
        if rng.random() < 0.7:
            plans.append(CarePlan(referral_id=referral.pk, created_at=referral.contacted_at + hours))
    Contact.objects.bulk_create(contacts, batch_size=5000)
    plans = CarePlan.objects.bulk_create(plans, batch_size=5000)
    Goal.objects.bulk_create([Goal(plan_id=plan.pk, description="A goal", status=rng.choice(GoalStatus.values))
                              for plan in plans for _ in range(rng.randint(1, 3))], batch_size=5000)
    log(f"Referrals, connections, contacts and plans written in {time.perf_counter() - phase:.1f} s")

    top_level = [n.pk for n in needs if n.parent_id is None] or [n.pk for n in needs]
    children = [n.pk for n in needs if n.parent_id is not None] or top_level
    Through = Referral.needs.through
    for referral in rows:
        chosen = {rng.choice(top_level)}
        if rng.random() < 0.4:
            chosen.add(rng.choice(children))
        needs_of.extend(Through(referral_id=referral.pk, needterm_id=need_id) for need_id in chosen)
        if referral.contacted_at and rng.random() < 0.5:
            first = [rng.randint(2, 7), rng.randint(2, 7), rng.randint(2, 7), rng.randint(4, 9)]
            scores_for.append(WellbeingScore(referral=referral, stage="first_conversation", recorded_at=referral.contacted_at,
                                             life_satisfaction=first[0], worthwhile=first[1], happiness=first[2],
                                             anxiety=first[3]))
            review_at = referral.contacted_at + timedelta(days=rng.uniform(42, 120))
            if referral.discharged_at and review_at < now and rng.random() < 0.7:
                scores_for.append(WellbeingScore(
                    referral=referral, stage="review", recorded_at=review_at,
                    life_satisfaction=min(10, first[0] + rng.randint(-1, 3)), worthwhile=min(10, first[1] + rng.randint(-1, 3)),
                    happiness=min(10, first[2] + rng.randint(-1, 3)), anxiety=max(0, first[3] - rng.randint(-1, 3))))
    Through.objects.bulk_create(needs_of, batch_size=5000)
    WellbeingScore.objects.bulk_create(scores_for, batch_size=5000)
    log(f"Wrote {len(rows):,} referrals, {len(needs_of):,} needs, {len(scores_for):,} wellbeing answers")


    year_start, end = preset_period("last_12_months", today=timezone.localdate())
    return World(service=service, commissioner=commissioner, triage=triage, start=year_start, end=end)


def _connection(rng, chosen, activity_rows, now) -> Connection | None:
    """A connection to an activity, each step happening to fewer, a realistic while later (never after now)."""
    if chosen > now:
        return None
    activity_id, organisation_id, _needs = rng.choice(activity_rows)
    connection = Connection(kind=ConnectionKind.ACTIVITY, activity_id=activity_id, created_at=chosen,
                            status=ConnectionStatus.ACTIVITY_CHOSEN)
    moment = chosen
    steps = [("sent_to_provider_at", 0.95, lambda: rng.uniform(1, 48), ConnectionStatus.SENT_TO_PROVIDER),
             ("provider_responded_at", 0.92, lambda: rng.lognormvariate(math.log(20), 0.9), ConnectionStatus.ACCEPTED),
             ("first_session_booked_at", 0.85, lambda: rng.uniform(1, 72), ConnectionStatus.FIRST_SESSION_BOOKED)]
    for name, chance, gap, status in steps:
        if rng.random() > chance:
            break
        moment = moment + timedelta(hours=gap())
        if moment > now:
            break
        setattr(connection, name, moment)
        connection.status = status
        if name == "sent_to_provider_at":
            connection.provider_id = organisation_id
    if connection.status == ConnectionStatus.ACCEPTED and rng.random() < 0.1:
        connection.status, connection.ended_at = ConnectionStatus.DECLINED_BY_PROVIDER, moment
    if connection.first_session_booked_at:
        connection.first_session_at = connection.first_session_booked_at + timedelta(days=rng.uniform(2, 21))
        if connection.first_session_at < now:
            recorded = connection.first_session_at + timedelta(hours=1)
            if rng.random() < 0.75:
                connection.attended_at, connection.status = recorded, ConnectionStatus.ATTENDED
            else:
                connection.did_not_attend_at, connection.status = recorded, ConnectionStatus.DID_NOT_ATTEND
            connection.attendance_recorded_at = connection.ended_at = recorded
    return connection


def _activities(rng, *, needs, wanted: int, log) -> tuple[list[int], list[tuple[int, int, list[int]]]]:
    """Activities to refer to: the directory's public ones, topped up to ``wanted`` with generated ones."""
    have = list(public_activities().values_list("pk", flat=True)[:wanted])
    missing = wanted - len(have)
    if missing > 0:
        log(f"Generating {missing} activities (the directory has {len(have)})")
        with deferred_indexing():
            organisations = [make_organisation(f"Bench organisation {i}") for i in range(max(1, missing // 10))]
            for i in range(missing):
                district, lat, lng = rng.choice(DISTRICTS)
                venue = make_venue(f"Bench venue {i}", postcode=f"{district} 1AA", latitude=round(lat, 4),
                                   longitude=round(lng, 4))
                activity = make_activity(rng.choice(organisations), f"Bench activity {i}", venue=venue,
                                         needs=rng.sample(needs, k=min(2, len(needs))))
                have.append(activity.pk)
    rows = []
    for activity in ActivityPage.objects.filter(pk__in=have).specific():
        rows.append((activity.pk, activity.get_parent().pk, []))
    return [row[1] for row in rows], rows


# Measuring ---------------------------------------------------------------------------------


def measure(world: World, *, runs: int, only: str = "") -> tuple[list[Timing], dict[str, float], int]:
    actor = actor_for_user(world.commissioner)
    referrals = reportable_referrals(actor)
    filters = ReportFilter(start=world.start, end=world.end)
    query = {"start": world.start.isoformat(), "end": world.end.isoformat()}
    # "localhost" is an allowed host in the dev and test settings.
    factory = RequestFactory(HTTP_HOST="localhost")

    def request(path: str, params: dict):
        req = factory.get(path, params)
        req.user = world.commissioner
        req.user.is_verified = lambda: True  # as django-otp's middleware would set it
        req.session = {}
        req._messages = FallbackStorage(req)
        return req

    def dashboard():
        response = reports.dashboard(request("/reports/", query))
        assert response.status_code == 200, response.status_code
        return response

    def export(section: str, file_format: str):
        response = reports.export(request(f"/reports/export.{file_format}", {**query, "section": section}),
                                  file_format=file_format)
        assert response.status_code == 200, response.status_code
        return response

    def dashboard_computed():
        # The closed year's figures computed afresh (and stored): the first reader's wait.
        StoredReport.objects.all().delete()
        return dashboard()

    today = timezone.localdate()
    open_start, open_end = preset_period("to_date", today=today)
    open_query = {"start": open_start.isoformat(), "end": open_end.isoformat()}

    def dashboard_open():
        # This month and the 11 before it: the 11 months already over are read from the store
        # (counted up to today), this month is computed live.
        response = reports.dashboard(request("/reports/", open_query))
        assert response.status_code == 200, response.status_code
        return response

    def forget_months(since: date) -> None:
        # The stored months (the figures and the gaps' demand) from ``since`` on, as a correction to
        # a referral received then forgets them; the closed year's figures stay.
        months = StoredReport.objects.filter(period_start__gte=since, period_end__lte=open_end)
        months.filter(pk__in=[pk for pk, start, end in months.values_list("pk", "period_start", "period_end")
                              if (start.year, start.month) == (end.year, end.month)]).delete()

    def dashboard_open_first():
        # No month stored and nothing shown before (the first view ever, or after a change to the
        # figures' code): the whole period at once, the months left to the worker (a queue that holds
        # the task here, as the production queue would until a worker takes it).
        forget_months(open_start)
        ReportSnapshot.objects.all().delete()
        return dashboard_open_queued()

    def store_months():
        store_report_months.call(world.commissioner.pk, ReportFilter(start=open_start, end=open_end).as_query(),
                                 today.isoformat())

    def worker_stores_months():
        # The worker's part: every month of the period to date computed and stored.
        forget_months(open_start)
        store_months()

    def morning(*, viewed_before: bool) -> None:
        # Every month over stored (what the worker leaves), and the period to date viewed within the hour or not.
        store_months()
        if viewed_before:
            dashboard_open()
        else:
            ReportSnapshot.objects.all().delete()

    def dashboard_open_queued():
        with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
            return dashboard_open()

    def dashboard_open_one_month_missing():
        # The day after a correction to last month's referral: last month and this month computed,
        # or (a month of more referrals than a reader should wait for, the period viewed within the
        # hour) the figures as at that view, while the worker computes it.
        forget_months((open_end.replace(day=1) - timedelta(days=1)).replace(day=1))
        return dashboard_open_queued()

    def last_month_corrected(*, viewed_before: bool) -> Callable[[], Callable[[], object]]:
        def before():
            morning(viewed_before=viewed_before)
            return lambda: None
        return before

    def a_days_work(received_from: date, received_to: date, *, viewed_before: bool = True
                    ) -> Callable[[], Callable[[], object]]:
        # A day's work, dated now: a contact held with each of 200 people referred between those
        # days (as many from each month), saved one by one as the site saves them, so the store's
        # receivers judge each.
        months = months_of(ReportFilter(start=received_from, end=received_to))

        def work():
            morning(viewed_before=viewed_before)
            people = [pk for month in months for pk in
                      month.apply(referrals).order_by("pk").values_list("pk", flat=True)[:math.ceil(200 / len(months))]]
            now = timezone.now()
            held = [Contact.objects.create(referral_id=pk, at=now, method=ContactMethod.PHONE, status=ContactStatus.HELD,
                                           duration_minutes=20, recorded_by_label="Benchmark") for pk in people]
            return lambda: [contact.delete() for contact in held]
        return work

    last_months_start = (open_end.replace(day=1) - timedelta(days=80)).replace(day=1)
    cohort = filters.apply(referrals).count()
    dashboard()  # warm caches (the working-days calendar, templates) and store the closed year's figures
    measures = [
        ("build_report (a year)", lambda: build_report(referrals=referrals, filters=filters)),
        ("gaps_in_provision (a year)", lambda: gaps_in_provision(referrals=referrals, filters=filters)),
        ("dashboard page, first render (a year, computed)", dashboard_computed),
        ("dashboard page, to date, no month stored", dashboard_open_first),
        ("the dashboard's months to date, by the worker", worker_stores_months),
        ("dashboard page, to date (this month: live)", dashboard_open),
        ("dashboard page, rendered (a year)", dashboard),
        ("export: all sections, CSV", lambda: export("all", "csv")),
        ("export: all sections, XLSX", lambda: export("all", "xlsx")),
        ("export: referral extract, CSV", lambda: export("extract", "csv")),
        ("export: referral extract, XLSX", lambda: export("extract", "xlsx")),
    ]
    # The morning after a day's work (what the store keeps, measured): the closed year's people, and
    # those of the last three months over (whose months to date are then computed again).
    around = {
        "dashboard page, to date, last month corrected": (
            dashboard_open_one_month_missing, last_month_corrected(viewed_before=True)),
        "dashboard page, to date, last month corrected, not viewed within the hour": (
            dashboard_open_one_month_missing, last_month_corrected(viewed_before=False)),
        "dashboard page (a year), after a day's work": (dashboard, a_days_work(world.start, world.end)),
        # Shown as at the view before the work (within the hour), while the worker counts the months again.
        "dashboard page, to date, after a day's work": (
            dashboard_open_queued, a_days_work(last_months_start, open_end.replace(day=1) - timedelta(days=1))),
        # Not viewed within the hour: the whole period computed while the reader waits.
        "dashboard page, to date, after a day's work, not viewed within the hour": (
            dashboard_open_queued, a_days_work(last_months_start, open_end.replace(day=1) - timedelta(days=1),
                                               viewed_before=False)),
    }
    timings = [_timed(name, runs, action) for name, action in measures if not only or only in name]
    timings += [_timed(name, runs, action, around=work) for name, (action, work) in around.items()
                if not only or only in name]

    def daily_preparation():
        # The worker's daily preparation of the readers' reports, from an empty store (its first day).
        StoredReport.objects.all().delete()
        prepare_reports(today=today)

    name = "the dashboards' daily preparation, from an empty store"
    if not only or only in name:
        timings.append(_timed(name, runs, daily_preparation))
    if only:
        return timings, {}, cohort
    memory = {
        "dashboard": _peak_mb(dashboard),
        "extract XLSX": _peak_mb(lambda: export("extract", "xlsx")),
    }
    # Sanity: the extract has a row per referral in the cohort (none withdrew consent here).
    columns, rows = referral_extract(filters.apply(referrals))
    assert len(rows_csv(columns, rows).splitlines()) == cohort + 1
    return timings, memory, cohort
