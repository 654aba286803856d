"""The personalised care and support plan: built with the person, every change kept, a plain-English
copy by their preferred route, a review alert, and nobody else's business."""

import time
from datetime import date, timedelta
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from factories.referrals import (
    make_connection,
    make_referral,
    make_resident,
    make_signpost,
    only_connection,
)
from referrals import care_plans, services
from referrals.alerts import raise_alerts
from referrals.choices import (
    AlertKind,
    AuditAction,
    Channel,
    ContactRoute,
    GoalStatus,
    NotificationKind,
)
from referrals.choices import ConnectionStatus as C
from referrals.errors import NotPermitted, ReferralError
from referrals.models import (
    Alert,
    ApiToken,
    AuditEntry,
    CarePlan,
    CarePlanVersion,
    Goal,
    Notification,
)
from referrals.retention import anonymise_referrals
from referrals.roles import actor_for_user
from referrals.subject_access import subject_access_export

pytestmark = pytest.mark.django_db

WALK = "Walk to the shops by May"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def text_of(response) -> str:
    return soup(response).get_text(" ", strip=True)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def referral(service, triage, link_worker, activity):
    resident = make_resident(service=service, first_name="Elowen", last_name="Trevithick",
                             email="elowen@example.net", preferred_contact=ContactRoute.EMAIL)
    return make_referral(status=C.ACTIVITY_CHOSEN, service=service, triage=triage, link_worker=link_worker,
                         activity=activity, resident=resident)


@pytest.fixture
def worker(link_worker):
    return actor_for_user(link_worker)


@pytest.fixture
def plan(referral, worker):
    return care_plans.care_plan_start(referral=referral, actor=worker)


def versions(plan) -> list[CarePlanVersion]:
    return list(CarePlanVersion.objects.filter(plan=plan).order_by("number"))


# Building the plan, and its history -------------------------------------------------------------


def test_a_plan_starts_from_what_matters_on_the_referral(referral, worker):
    plan = care_plans.care_plan_start(referral=referral, actor=worker)
    assert plan.what_matters == "Getting out of the house and meeting people."
    [first] = versions(plan)
    assert (first.number, first.change, first.actor_label) == (1, "Plan started", worker.label)
    assert first.content["what_matters"] == plan.what_matters
    assert first.content["connections"][0]["title"] == only_connection(referral).name
    # Starting again changes nothing.
    assert care_plans.care_plan_start(referral=referral, actor=worker) == plan
    assert len(versions(plan)) == 1


def test_the_plan_lists_every_connection_but_the_withdrawn(referral, worker, other_activity):
    second = make_connection(referral=referral, activity=other_activity, status=C.FIRST_SESSION_BOOKED)
    make_signpost(referral=referral, service_name="NHS Talking Therapies")
    services.connection_withdraw(connection=referral.connections.get(number=1), actor=worker, note="Not now.")

    listed = care_plans.plan_connections(referral)

    assert [(c["kind"], c["title"]) for c in listed] == [("activity", other_activity.title),
                                                         ("signpost", "NHS Talking Therapies")]
    copy = care_plans.plain_copy(care_plans.care_plan_start(referral=referral, actor=worker))
    [activity_line, signpost_line] = {s.heading: s.items for s in copy.sections}["Activities and services"]
    assert activity_line.startswith(other_activity.title) and "Your first time:" in activity_line
    assert str(timezone.localtime(second.first_session_at).year) in activity_line
    assert signpost_line == "NHS Talking Therapies."


def test_each_change_is_kept_as_a_version_in_words_with_the_whole_plan(referral, worker, plan):
    goal = care_plans.goal_add(referral=referral, actor=worker, description=WALK, review_on=in_days(30))
    care_plans.goal_edit(referral=referral, actor=worker, goal_id=goal.pk, status=GoalStatus.IN_PROGRESS)
    care_plans.goal_edit(referral=referral, actor=worker, goal_id=goal.pk, status=GoalStatus.ACHIEVED)
    action = care_plans.action_add(referral=referral, actor=worker, description="Ring the walking group",
                                   who="Elowen's daughter", due_on=in_days(7), goal_id=goal.pk)
    care_plans.action_mark_done(referral=referral, actor=worker, action_id=action.pk)
    care_plans.action_mark_done(referral=referral, actor=worker, action_id=action.pk)  # again: nothing new
    care_plans.care_plan_change_what_matters(referral=referral, actor=worker, what_matters="Seeing my grandson.")
    care_plans.goal_edit(referral=referral, actor=worker, goal_id=goal.pk, status=GoalStatus.ACHIEVED)  # unchanged

    kept = versions(plan)
    assert [v.change for v in kept] == [
        "Plan started",
        f"Goal added: {WALK}",
        f"Goal '{WALK}': Not started → In progress",
        f"Goal '{WALK}': In progress → Achieved",
        "Action added: Ring the walking group (Elowen's daughter)",
        "Action 'Ring the walking group': done",
        "What matters changed",
    ]
    assert [v.number for v in kept] == list(range(1, 8))
    # Each version holds the whole plan as it then stood.
    assert kept[1].content["goals"] == [{"id": goal.pk, "description": WALK, "status": "not_started",
                                         "status_label": "Not started", "review_on": in_days(30).isoformat()}]
    assert kept[3].content["goals"][0]["status"] == "achieved"
    assert kept[4].content["actions"][0]["who"] == "Elowen's daughter"
    assert kept[4].content["actions"][0]["done_at"] is None
    assert kept[5].content["actions"][0]["done_at"] is not None
    assert kept[6].content["what_matters"] == "Seeing my grandson."
    assert kept[5].content["what_matters"] == "Getting out of the house and meeting people."
    # The audit trail says what kind of change, never the person's words.
    whats = list(AuditEntry.objects.filter(referral_id=referral.pk, action=AuditAction.CHANGE).values_list("what", flat=True))
    assert "care and support plan: goal added" in whats
    assert not any(WALK in what for what in whats)


def test_a_review_date_change_is_described(referral, worker, plan):
    goal = care_plans.goal_add(referral=referral, actor=worker, description=WALK, review_on=in_days(10))
    care_plans.goal_edit(referral=referral, actor=worker, goal_id=goal.pk, review_on=in_days(20))
    change = versions(plan)[-1].change
    assert change.startswith(f"Goal '{WALK}': review date ")
    assert in_days(20).strftime("%B") in change


@pytest.mark.parametrize("description, review_on, message", [
    ("", None, "Enter the goal."),
    ("   ", None, "Enter the goal."),
    ("x" * 10_000, None, "Keep the goal to 1,000 characters or fewer."),
    (WALK, date(1900, 1, 1), "The review date must be today or later."),
    (WALK, date(2200, 1, 1), "The review date must be within 2 years."),
])
def test_bad_goals_are_refused_and_nothing_is_saved(referral, worker, plan, description, review_on, message):
    with pytest.raises(ReferralError) as refused:
        care_plans.goal_add(referral=referral, actor=worker, description=description, review_on=review_on)
    assert refused.value.message == message
    assert not Goal.objects.exists()
    assert len(versions(plan)) == 1


def test_only_the_link_worker_changes_the_plan_and_providers_never_see_it(referral, plan, triage, provider_editor,
                                                                          service):
    from factories.referrals import make_link_worker

    colleague = actor_for_user(make_link_worker(service=service, username="colleague"))
    for actor in (actor_for_user(triage), actor_for_user(provider_editor), colleague):
        with pytest.raises(NotPermitted):
            care_plans.goal_add(referral=referral, actor=actor, description=WALK)
    assert care_plans.care_plan_read(referral=referral, actor=actor_for_user(triage)) == plan
    for actor in (actor_for_user(provider_editor), colleague):
        with pytest.raises(NotPermitted):
            care_plans.care_plan_read(referral=referral, actor=actor)


def test_a_finished_referral_s_plan_cannot_change(referral, worker, plan):
    from referrals import services

    services.referral_person_declines(referral=referral, actor=worker, note="")
    with pytest.raises(ReferralError, match="finished"):
        care_plans.goal_add(referral=referral, actor=worker, description=WALK)


# The pages --------------------------------------------------------------------------------------


def test_the_link_worker_builds_the_plan_on_its_page(client, sign_in, link_worker, referral):
    client = sign_in(link_worker)
    page = reverse("referrals:referral", kwargs={"pk": referral.pk})
    plan_url = reverse("referrals:care_plan", kwargs={"pk": referral.pk})
    assert plan_url in client.get(page).content.decode()  # linked from the referral page
    assert "Start the plan" in text_of(client.get(plan_url))
    client.post(reverse("referrals:care_plan_start", kwargs={"pk": referral.pk}))
    review = in_days(14)
    response = client.post(reverse("referrals:care_plan_goal_add", kwargs={"pk": referral.pk}), {
        "goal-description": WALK, "goal-status": "in_progress", "goal-review_on_day": review.day,
        "goal-review_on_month": review.month, "goal-review_on_year": review.year,
    }, follow=True)
    text = text_of(response)
    assert "Goal added." in text and WALK in text and "In progress" in text
    assert review.strftime("%B %Y") in text  # "4 May 2026"
    goal = Goal.objects.get()
    response = client.post(reverse("referrals:care_plan_action_add", kwargs={"pk": referral.pk}), {
        "action-description": "Ring the walking group", "action-who": "Elowen", "action-goal": str(goal.pk),
    }, follow=True)
    assert "Action added." in text_of(response)
    action = goal.actions.get()
    client.post(reverse("referrals:care_plan_action_done", kwargs={"pk": referral.pk, "action_id": action.pk}))
    action.refresh_from_db()
    assert action.done_at is not None
    edit = reverse("referrals:care_plan_goal", kwargs={"pk": referral.pk, "goal_id": goal.pk})
    assert WALK in client.get(edit).content.decode()
    client.post(edit, {"goal-description": WALK, "goal-status": "achieved", "goal-review_on_day": review.day,
                       "goal-review_on_month": review.month, "goal-review_on_year": review.year})
    history = text_of(client.get(reverse("referrals:care_plan_history", kwargs={"pk": referral.pk})))
    assert f"Goal '{WALK}': In progress → Achieved" in history
    assert link_worker.get_full_name() in history
    version = client.get(reverse("referrals:care_plan_version", kwargs={"pk": referral.pk, "number": 2}))
    assert WALK in text_of(version) and "In progress" in text_of(version)
    assert AuditEntry.objects.filter(referral_id=referral.pk, action=AuditAction.VIEW,
                                     what="care and support plan: an earlier version").exists()


def test_bad_input_on_the_page_is_explained_and_nothing_saved(client, sign_in, link_worker, referral, plan):
    url = reverse("referrals:care_plan_goal_add", kwargs={"pk": referral.pk})
    client = sign_in(link_worker)
    for data, message in [
        ({"goal-description": "", "goal-status": "not_started"}, "Enter the goal."),
        ({"goal-description": "x" * 10_000, "goal-status": "not_started"}, "Keep the goal to 1,000 characters or fewer."),
        ({"goal-description": WALK, "goal-status": "not_started", "goal-review_on_day": "1",
          "goal-review_on_month": "1", "goal-review_on_year": "1900"}, "The review date must be today or later."),
        ({"goal-description": WALK, "goal-status": "not_started", "goal-review_on_day": "31",
          "goal-review_on_month": "2", "goal-review_on_year": "2027"}, "The review date must be a real date"),
    ]:
        response = client.post(url, data)
        page = soup(response)
        assert response.status_code == 200
        assert page.title.get_text().startswith("Error:")
        assert message in page.select_one(".nhsuk-error-summary").get_text()
    assert not Goal.objects.exists()


def test_triage_reads_the_plan_but_has_no_forms(client, sign_in, triage, referral, plan):
    client = sign_in(triage)
    response = client.get(reverse("referrals:care_plan", kwargs={"pk": referral.pk}))
    assert response.status_code == 200
    assert "Only the person's link worker changes it." in text_of(response)
    assert not soup(response).select("form[action$='/goals/']")
    response = client.post(reverse("referrals:care_plan_goal_add", kwargs={"pk": referral.pk}),
                           {"goal-description": WALK, "goal-status": "not_started"})
    assert response.status_code == 403
    assert not Goal.objects.exists()


def test_the_provider_never_sees_the_plan(client, sign_in, provider_editor, referral, worker, plan):
    from referrals import services

    services.connection_send_to_provider(connection=only_connection(referral), actor=worker, note="")
    care_plans.goal_add(referral=referral, actor=worker, description=WALK)
    client = sign_in(provider_editor)
    for name in ("care_plan", "care_plan_history", "care_plan_letter"):
        response = client.get(reverse(f"referrals:{name}", kwargs={"pk": referral.pk}))
        assert response.status_code in (403, 404), name
        assert WALK not in response.content.decode()


def test_the_printable_letter_is_the_plain_english_copy(client, sign_in, link_worker, referral, worker, plan):
    care_plans.goal_add(referral=referral, actor=worker, description=WALK, review_on=in_days(30))
    care_plans.action_add(referral=referral, actor=worker, description="Ring the walking group.", who="You")
    response = sign_in(link_worker).get(reverse("referrals:care_plan_letter", kwargs={"pk": referral.pk}))
    page = soup(response)
    headings = [h.get_text(strip=True) for h in page.select(".care-plan-letter h2")]
    assert headings == ["What matters to you", "Your goals", "Who will do what", "Activities and services"]
    text = page.get_text(" ", strip=True)
    assert "Dear Elowen," in text
    assert f"{WALK} Not started yet. We will look at this again on" in text
    assert "Ring the walking group. Who: You." in text
    assert only_connection(referral).name in text
    assert "1 High Street, Poole" in text  # addressed for the post
    assert page.select_one("link[href$='css/care_plan_print.css']") is not None
    assert not page.select("[style]") and "<style" not in response.content.decode()


# The person's copy -------------------------------------------------------------------------------


def test_plain_copy_reads_plainly(referral, worker, plan):
    goal = care_plans.goal_add(referral=referral, actor=worker, description=WALK, status=GoalStatus.ACHIEVED)
    care_plans.action_add(referral=referral, actor=worker, description="Ring the group.", who="Jo (link worker)",
                          due_on=date(2027, 1, 8) if in_days(0) < date(2027, 1, 8) else in_days(3), goal_id=goal.pk)
    copy = care_plans.plain_copy(care_plans.plan_for(referral))
    sections = {section.heading: section.items for section in copy.sections}
    assert list(sections) == ["What matters to you", "Your goals", "Who will do what", "Activities and services"]
    assert sections["Your goals"] == [f"{WALK} Done. Well done!"]
    assert sections["Who will do what"][0].startswith("Ring the group. Who: Jo (link worker). By ")
    assert sections["Activities and services"][0].startswith(only_connection(referral).name)
    text = copy.as_text()
    for jargon in ("referral", "SNOMED", "status", "tier", "PCSP"):
        assert jargon.lower() not in text.lower()


def test_by_email_the_copy_goes_in_the_message(client, sign_in, link_worker, referral, worker, plan,
                                               django_capture_on_commit_callbacks, mailoutbox):
    care_plans.goal_add(referral=referral, actor=worker, description=WALK)
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_in(link_worker).post(reverse("referrals:care_plan_send", kwargs={"pk": referral.pk}),
                                             follow=True)
    assert "on its way to the person by email" in text_of(response)
    message = Notification.objects.get(kind=NotificationKind.CARE_PLAN_COPY)
    assert (message.channel, message.recipient) == (Channel.EMAIL, "elowen@example.net")
    [email] = [m for m in mailoutbox if m.to == ["elowen@example.net"]]
    assert email.subject.startswith("Your plan from")
    assert "What matters to you" in email.body and WALK in email.body and "Who will do what" in email.body
    assert "&#x27;" not in email.body


def test_by_letter_it_is_a_task_to_post_the_printed_copy(referral, worker, plan):
    resident = referral.resident
    resident.preferred_contact = ContactRoute.LETTER
    resident.save()
    sent = care_plans.care_plan_copy_send(referral=referral, actor=worker)
    assert sent.channel == Channel.LETTER_TASK and sent.link == ""
    task = Notification.objects.get(kind=NotificationKind.CARE_PLAN_COPY)
    assert task.recipient_user_id == referral.link_worker_id
    assert "Print their plan as a letter and post it" in task.body
    assert reverse("referrals:care_plan_letter", kwargs={"pk": referral.pk}) in task.body


def test_by_text_a_link_that_needs_no_account_and_expires(client, referral, worker, plan, settings):
    resident = referral.resident
    resident.preferred_contact = ContactRoute.TEXT
    resident.save()
    care_plans.goal_add(referral=referral, actor=worker, description=WALK)
    sent = care_plans.care_plan_copy_send(referral=referral, actor=worker)
    text = Notification.objects.get(kind=NotificationKind.CARE_PLAN_COPY)
    assert text.channel == Channel.TEXT and sent.link in text.body
    assert "works for 14 days" in text.body
    url = path_of(sent.link)

    response = client.get(url)  # nobody signed in
    assert response.status_code == 200
    assert WALK in text_of(response) and "Your goals" in text_of(response)
    assert referral.reference not in response.content.decode()  # the plan copy, nothing else
    assert "noindex" in response["X-Robots-Tag"]
    assert soup(response).select_one("meta[name=robots]")["content"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert AuditEntry.objects.filter(referral_id=referral.pk, action=AuditAction.VIEW, actor_label="The person (link)").exists()

    later = time.time() + 15 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=later):
        expired = client.get(url)
    assert expired.status_code == 410
    assert "This link has expired" in text_of(expired) and WALK not in text_of(expired)

    settings.SIGNPOST_REFERRALS = {**settings.SIGNPOST_REFERRALS, "CARE_PLAN_LINK_DAYS": 30}
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert client.get(url).status_code == 200

    token = url.rstrip("/").rsplit("/", 1)[1]
    tampered = client.get(reverse("referrals:care_plan_public", args=[token[:-2] + ("AA" if token[-2:] != "AA" else "BB")]))
    assert tampered.status_code == 404 and WALK not in tampered.content.decode()


# The review alert --------------------------------------------------------------------------------


def test_a_passed_review_date_raises_an_alert_until_the_date_moves_or_the_goal_ends(referral, worker, plan):
    goal = care_plans.goal_add(referral=referral, actor=worker, description=WALK, review_on=in_days(3))
    assert raise_alerts()[AlertKind.PLAN_REVIEW_DUE] == 0
    Goal.objects.filter(pk=goal.pk).update(review_on=in_days(-1))
    assert raise_alerts()[AlertKind.PLAN_REVIEW_DUE] == 1
    assert raise_alerts()[AlertKind.PLAN_REVIEW_DUE] == 0  # never twice
    # Moving the date on clears it at once.
    care_plans.goal_edit(referral=referral, actor=worker, goal_id=goal.pk, review_on=in_days(14))
    alert = Alert.objects.get(referral=referral, kind=AlertKind.PLAN_REVIEW_DUE)
    assert alert.cleared_at is not None and alert.cleared_by_action == care_plans.CLEARED_BY_CHANGE
    # Overdue again; then the goal is achieved: cleared.
    Goal.objects.filter(pk=goal.pk).update(review_on=in_days(-2))
    raise_alerts()
    care_plans.goal_edit(referral=referral, actor=worker, goal_id=goal.pk, status=GoalStatus.ACHIEVED)
    assert not Alert.objects.open().filter(referral=referral, kind=AlertKind.PLAN_REVIEW_DUE).exists()
    assert raise_alerts()[AlertKind.PLAN_REVIEW_DUE] == 0
    # The job clears one whose condition went another way (the date changed elsewhere).
    Goal.objects.filter(pk=goal.pk).update(status=GoalStatus.IN_PROGRESS)
    raise_alerts()
    Goal.objects.filter(pk=goal.pk).update(status=GoalStatus.NO_LONGER_WANTED)
    raise_alerts()
    assert not Alert.objects.open().filter(referral=referral, kind=AlertKind.PLAN_REVIEW_DUE).exists()


# The API -----------------------------------------------------------------------------------------


def api(client, method, path, key, data=None):
    return getattr(client, method)(path, data=data or {}, content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Token {key}")


def test_the_api_reads_the_plan_for_the_service_and_refuses_the_provider(client, referral, worker, plan, service,
                                                                         organisation):
    care_plans.goal_add(referral=referral, actor=worker, description=WALK, review_on=in_days(5))
    base = f"/api/v1/referrals/{referral.reference}/plan/"
    service_key = ApiToken.issue(name="Clinical system", service=service)[1]
    response = api(client, "get", base, service_key)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2 and body["goals"][0]["description"] == WALK
    assert body["goals"][0]["review_on"] == in_days(5).isoformat()
    history = api(client, "get", base + "history/", service_key).json()
    assert [v["change"] for v in history["versions"]] == ["Plan started", f"Goal added: {WALK}"]
    assert AuditEntry.objects.filter(referral_id=referral.pk, what="API: care and support plan").exists()
    # The service's token reads, as triage does; it does not change the plan.
    assert api(client, "post", base + "goals/", service_key, {"description": "Another"}).status_code == 403
    provider_key = ApiToken.issue(name="Provider", organisation=organisation)[1]
    from referrals import services

    services.connection_send_to_provider(connection=only_connection(referral), actor=worker, note="")
    response = api(client, "get", base, provider_key)
    assert response.status_code == 403 and WALK not in response.content.decode()


def test_the_link_worker_changes_the_plan_through_the_api(client, link_worker, referral, plan):
    from tests.accounts import sign_in_verified

    sign_in_verified(client, link_worker)
    base = f"/api/v1/referrals/{referral.reference}/plan/"

    def post(path, data):
        return client.post(base + path, data=data, content_type="application/json")

    response = post("goals/", {"description": WALK, "review_on": in_days(10).isoformat()})
    assert response.status_code == 200, response.content
    goal_id = response.json()["goals"][0]["id"]
    assert post(f"goals/{goal_id}/", {"status": "achieved"}).json()["goals"][0]["status"] == "achieved"
    response = post("actions/", {"description": "Ring the group", "who": "Elowen", "goal": goal_id})
    action_id = response.json()["actions"][0]["id"]
    assert post(f"actions/{action_id}/", {"done": True}).json()["actions"][0]["done_at"] is not None
    assert post("what-matters/", {"what_matters": "My garden."}).json()["what_matters"] == "My garden."
    assert [v.change for v in versions(plan)][-4:] == [
        f"Goal '{WALK}': Not started → Achieved",
        "Action added: Ring the group (Elowen)",
        "Action 'Ring the group': done",
        "What matters changed",
    ]
    # Bad input is a 400 naming the field, and saves nothing.
    count = CarePlanVersion.objects.count()
    assert "description" in post("goals/", {"description": ""}).json()
    assert "description" in post("goals/", {"description": "x" * 10_000}).json()
    assert post("goals/", {"description": WALK, "review_on": "1900-01-01"}).json() == {
        "review_on": ["The review date must be today or later."]}
    assert post("goals/999999/", {"status": "achieved"}).status_code == 404
    assert CarePlanVersion.objects.count() == count


# Retention and subject access -------------------------------------------------------------------


def test_retention_removes_the_plan_s_words_and_keeps_its_shape(referral, worker, plan):
    goal = care_plans.goal_add(referral=referral, actor=worker, description=WALK, status=GoalStatus.IN_PROGRESS)
    care_plans.action_add(referral=referral, actor=worker, description="Ring the group", who="Elowen",
                          goal_id=goal.pk)
    anonymise_referrals([referral.pk], now=timezone.now())
    plan = CarePlan.objects.get(pk=plan.pk)
    assert plan.what_matters == ""
    goal.refresh_from_db()
    assert goal.description == "" and goal.status == GoalStatus.IN_PROGRESS
    action = plan.actions.get()
    assert (action.description, action.who) == ("", "")
    for version in versions(plan):
        assert version.content == {"anonymised": True} and version.change == "Anonymised"


def test_subject_access_includes_the_plan_and_its_history(referral, worker, plan, triage):
    care_plans.goal_add(referral=referral, actor=worker, description=WALK)
    export = subject_access_export(actor_for_user(triage), referral.resident)
    [exported] = export["referrals"]
    care_plan = exported["care_plan"]
    assert care_plan["what_matters"] == "Getting out of the house and meeting people."
    assert care_plan["goals"][0]["description"] == WALK
    assert [v["change"] for v in care_plan["history"]] == ["Plan started", f"Goal added: {WALK}"]
    assert care_plan["history"][1]["content"]["goals"][0]["description"] == WALK
