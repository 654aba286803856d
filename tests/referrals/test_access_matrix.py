"""No leak across services or organisations: every referral page and API operation, as every outsider.

The URLs are found by walking the referral URL configurations, so a page added later is
checked without anyone remembering to add it here. For each one, as each role from
another service or organisation (and a colleague the case is not allocated to), a GET and
a POST must give 403 or 404 (a list page may answer 200 but must not show the referral),
and the resident's name and the referral's reference must not appear.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver

from factories import referrals as factories
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import ApiToken

RESIDENT_FIRST, RESIDENT_LAST = "Zebedee", "Quartermaine"
# Pages without an object in the URL (lists, forms) may answer 200 to outsiders: they just must not show the referral.
_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def _paths(patterns, *, values):
    """Each route with its arguments filled in from ``values`` (by argument name), or None if it has an unknown one."""
    for route, name in _walk(patterns):
        names = [match.group(2) for match in _ARG.finditer(route)]
        if any(arg not in values for arg in names):
            continue
        path = _ARG.sub(lambda match: str(values[match.group(2)]), route)
        yield "/" + path.lstrip("^").rstrip("$"), name, bool(names)


@pytest.fixture
def case(service, triage, link_worker, activity):
    """A referral in the middle of the pathway, with a first session booked: every actor has something to try."""
    resident = factories.make_resident(service=service, first_name=RESIDENT_FIRST, last_name=RESIDENT_LAST)
    referral = factories.make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                                       resident=resident, status=C.FIRST_SESSION_BOOKED)
    _with_a_plan(referral, link_worker)
    return referral


PLAN_WORDS = "Walk to the harbour with Zebedee's neighbour"


def _with_a_plan(referral, link_worker):
    """A care and support plan with a goal and an action, so the plan's pages and operations have ids to try."""
    from referrals import care_plans
    from referrals.roles import actor_for_user

    worker = actor_for_user(link_worker)
    care_plans.care_plan_start(referral=referral, actor=worker)
    goal = care_plans.goal_add(referral=referral, actor=worker, description=PLAN_WORDS)
    care_plans.action_add(referral=referral, actor=worker, description=PLAN_WORDS, who="Zebedee", goal_id=goal.pk)


def _plan_values(case) -> dict:
    """The care plan's ids in URLs: its goal, its action, and its first version."""
    plan = case.care_plan
    return {"goal_id": plan.goals.get().pk, "action_id": plan.actions.get().pk, "number": 1}


CASEWORK_WORDS = "Quartermaine casework: worried about her nephew"


def _casework_values(case) -> dict:
    """A contact and a safeguarding concern on the case, so their pages and operations have ids to try."""
    from django.utils import timezone

    from referrals.models import Contact, SafeguardingConcern

    contact = Contact.objects.create(referral=case, at=timezone.now(), method="phone", recorded_by_label="Lee",
                                     note=CASEWORK_WORDS)
    concern = SafeguardingConcern.objects.create(referral=case, concern=CASEWORK_WORDS, raised_by_label="Lee")
    return {"contact_pk": contact.pk, "contact_id": contact.pk, "concern_pk": concern.pk, "concern_id": concern.pk}


def _people_values(case) -> dict:
    """A second record that may be the same person (same name, date of birth and postcode), so the page
    that compares and joins them has a match to try."""
    from datetime import date

    from referrals.models import Resident

    Resident.objects.filter(pk=case.resident_id).update(date_of_birth=date(1950, 5, 6))
    match = factories.make_resident(service=case.service, first_name=RESIDENT_FIRST, last_name=RESIDENT_LAST,
                                    date_of_birth=date(1950, 5, 6), postcode=case.resident.postcode)
    return {"match_id": match.pk}


def _gp_message_values(case) -> dict:
    """The message to the person's GP practice, as a letter to print, so its letter and PDF pages have one to try."""
    from factories.primarycare import make_practice
    from referrals import gp_messages
    from referrals.models import Referral, Resident
    from referrals.roles import SYSTEM

    Resident.objects.filter(pk=case.resident_id).update(practice=make_practice("Quay Surgery", nhsmail=""))
    gp_messages.send_acknowledgement(Referral.objects.get(pk=case.pk), actor=SYSTEM)
    return {"kind": "acknowledgement"}


@pytest.fixture
def outsiders(other_service, service, other_organisation):
    from directory.permissions import MODERATORS_GROUP
    from referrals.roles import COMMISSIONERS_GROUP

    return {
        "link worker of another service": factories.make_link_worker(service=other_service, username="out-lw"),
        "triage of another service": factories.make_triage(service=other_service, username="out-triage"),
        "colleague not allocated": factories.make_link_worker(service=service, username="colleague"),
        "provider of another organisation": factories.make_provider_editor(organisation=other_organisation,
                                                                          username="out-provider"),
        "commissioner": factories.make_staff(COMMISSIONERS_GROUP, service=other_service, username="out-comm"),
        "directory moderator": factories.make_user("out-moderator", groups=[MODERATORS_GROUP]),
    }


def _leaks(response, case) -> bool:
    body = response.content.decode(errors="replace")
    return RESIDENT_LAST in body or case.reference in body


def test_no_referral_page_shows_a_case_to_an_outsider(client, sign_in, case, outsiders):
    from referrals import urls

    values = {"pk": case.pk, "referral_id": case.pk, "reference": case.reference, "resident_id": case.resident_id,
              **_plan_values(case)}
    # "number" is also connection 1's, and a step to try on it (and on the referral: no such step, a 404).
    values = {**values, **_casework_values(case), **_people_values(case), **_gp_message_values(case),
              "action": "withdraw"}
    pages = list(_paths(urls.urlpatterns, values=values))
    assert len(pages) >= 5, pages  # the walk found the pages
    # Among them the resident's own data: the subject access export (page and JSON) and erasure.
    assert {"subject_access", "subject_access_json", "erase_resident"} <= {name for _, name, _ in pages}
    # And the link worker's connections and discharge.
    assert {"connect_activity", "signpost", "connection_step", "discharge_preview", "discharge_confirm"} <= {
        name for _, name, _ in pages}
    # And the link worker's search for the person ("Find activities for <name>").
    assert "find_for_person" in {name for _, name, _ in pages}
    # And triage's page comparing two records of one person and joining them.
    assert "same_person" in {name for _, name, _ in pages}
    # And the message to the GP practice: the letter to print and the PDF.
    assert {"gp_message_letter", "gp_message_pdf"} <= {name for _, name, _ in pages}
    # And the public practice search (the GP practice chooser's type-ahead).
    assert "practice_search" in {name for _, name, _ in pages}
    # And the role home, where each member of staff lands after signing in (counts only, never a name).
    assert "staff_home" in {name for _, name, _ in pages}
    failures = []
    for role, user in outsiders.items():
        client.logout()
        sign_in(user)
        for path, name, has_object in pages:
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                if _leaks(response, case):
                    failures.append(f"{role} {method.upper()} {path} ({name}): shows the referral")
                elif has_object and response.status_code not in (403, 404, 302, 405):
                    failures.append(f"{role} {method.upper()} {path} ({name}): {response.status_code}")
    case.refresh_from_db()
    assert case.status == S.CONTACTED and factories.only_connection(case).status == C.FIRST_SESSION_BOOKED
    assert case.connections.count() == 1
    assert case.resident.last_name == RESIDENT_LAST and case.resident.anonymised_at is None
    assert case.resident.merged_into_id is None and not case.resident.merged_records.exists()
    assert not failures, "\n".join(failures)


def test_no_api_operation_shows_a_case_to_another_service_or_organisation(client, case, other_service,
                                                                          other_organisation):
    from referrals.api import urls

    tokens = {
        "another service's token": ApiToken.issue(name="Other service", service=other_service)[1],
        "another organisation's token": ApiToken.issue(name="Other provider", organisation=other_organisation)[1],
    }
    operations = list(_paths(urls.urlpatterns, values={"reference": case.reference, "pk": case.pk,
                                                       **_plan_values(case)}))
    casework = {"reference": case.reference, **_casework_values(case)}
    operations += [op for op in _paths(urls.urlpatterns, values=casework) if op not in operations]
    assert len(operations) >= 10, operations
    failures = []
    for role, key in tokens.items():
        for path, name, has_object in operations:
            for method in ("get", "post"):
                response = getattr(client, method)(path, HTTP_AUTHORIZATION=f"Token {key}",
                                                   content_type="application/json", data={})
                if _leaks(response, case):
                    failures.append(f"{role} {method.upper()} {path} ({name}): shows the referral")
                elif has_object and response.status_code not in (403, 404, 405):
                    failures.append(f"{role} {method.upper()} {path} ({name}): {response.status_code}")
    case.refresh_from_db()
    assert case.status == S.CONTACTED and factories.only_connection(case).status == C.FIRST_SESSION_BOOKED
    assert not failures, "\n".join(failures)


def test_the_case_s_own_provider_never_sees_its_care_and_support_plan(client, sign_in, case, provider_editor,
                                                                     organisation, link_worker):
    """The provider the case was sent to sees its summary, never the plan: every plan page and operation."""
    from referrals import urls as page_urls
    from referrals.api import urls as api_urls

    values = {"pk": case.pk, "reference": case.reference, **_plan_values(case)}
    pages = [(path, name) for path, name, _ in _paths(page_urls.urlpatterns, values=values) if "plan" in path]
    operations = [(path, name) for path, name, _ in _paths(api_urls.urlpatterns, values=values) if "/plan/" in path]
    assert len(pages) >= 10 and len(operations) >= 7, (pages, operations)
    failures = []
    sign_in(provider_editor)
    for path, name in pages:
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if PLAN_WORDS in response.content.decode() or response.status_code not in (403, 404, 405):
                failures.append(f"provider {method.upper()} {path} ({name}): {response.status_code}")
    key = ApiToken.issue(name="The case's provider", organisation=organisation)[1]
    for path, name in operations:
        for method in ("get", "post"):
            response = getattr(client, method)(path, HTTP_AUTHORIZATION=f"Token {key}", content_type="application/json",
                                               data={"description": "x", "who": "x", "done": True})
            if PLAN_WORDS in response.content.decode() or response.status_code not in (403, 404, 405):
                failures.append(f"provider token {method.upper()} {path} ({name}): {response.status_code}")
    assert case.care_plan.versions.count() == 3
    assert not failures, "\n".join(failures)


def test_the_case_s_own_provider_never_sees_its_contacts_or_safeguarding(client, sign_in, case, provider_editor,
                                                                         organisation):
    """The provider the case was sent to sees its summary, never its contacts or safeguarding concerns: every
    casework page and operation answers 403 or 404 and shows none of it."""
    from referrals import urls as page_urls
    from referrals.api import urls as api_urls

    values = {"pk": case.pk, "reference": case.reference, **_casework_values(case)}
    casework = ("contacts", "safeguarding")
    pages = [(p, n) for p, n, _ in _paths(page_urls.urlpatterns, values=values) if any(w in p for w in casework)]
    operations = [(p, n) for p, n, _ in _paths(api_urls.urlpatterns, values=values) if any(w in p for w in casework)]
    assert len(pages) >= 6 and len(operations) >= 4, (pages, operations)
    failures = []
    sign_in(provider_editor)
    for path, name in pages:
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if CASEWORK_WORDS in response.content.decode() or response.status_code not in (403, 404, 405):
                failures.append(f"provider {method.upper()} {path} ({name}): {response.status_code}")
    key = ApiToken.issue(name="The case's provider", organisation=organisation)[1]
    for path, name in operations:
        for method in ("get", "post"):
            response = getattr(client, method)(path, HTTP_AUTHORIZATION=f"Token {key}", content_type="application/json",
                                               data={"concern": "x", "resolution": "x", "status": "cancelled"})
            if CASEWORK_WORDS in response.content.decode() or response.status_code not in (403, 404, 405):
                failures.append(f"provider token {method.upper()} {path} ({name}): {response.status_code}")
    assert case.contacts.get().status == "booked" and case.safeguarding_concerns.get().is_open
    assert not failures, "\n".join(failures)


def test_the_case_s_own_provider_never_reaches_the_link_workers_connection_and_discharge_pages(
    client, sign_in, case, provider_editor
):
    """The provider the case's connection was sent to answers it from their own pages; the team's referral
    page, its connection steps and its discharge answer 403 or 404 and show nothing of the case."""
    from referrals import urls as page_urls

    values = {"pk": case.pk, "number": 1, "action": "withdraw"}
    pages = [(path, name) for path, name, _ in _paths(page_urls.urlpatterns, values=values)
             if path.startswith(f"/referrals/{case.pk}/")]
    assert {"referral", "connect_activity", "signpost", "connection_step", "discharge_preview",
            "discharge_confirm", "find_for_person"} <= {name for _, name in pages}
    failures = []
    sign_in(provider_editor)
    for path, name in pages:
        for method in ("get", "post"):
            response = getattr(client, method)(path, {"seen_status": C.FIRST_SESSION_BOOKED,
                                                      "c1-withdraw-note": "x", "discharge-reason": "other"})
            if _leaks(response, case) or response.status_code not in (403, 404, 405):
                failures.append(f"provider {method.upper()} {path} ({name}): {response.status_code}")
    assert factories.only_connection(case).status == C.FIRST_SESSION_BOOKED
    assert not failures, "\n".join(failures)


def test_the_public_practice_search_shows_nothing_of_a_resident(client, sign_in, case, outsiders):
    """Residents choose their practice with it, so anyone may ask; it answers practices, never people."""
    from factories.primarycare import make_practice

    practice = make_practice("Harbour Point Practice", ods_code="J81777")
    case.resident.practice = practice
    case.resident.save(update_fields=["practice"])
    failures = []
    for role, user in {"anyone": None, **outsiders}.items():
        client.logout()
        if user is not None:
            sign_in(user)
        for query in (RESIDENT_LAST, RESIDENT_FIRST, case.reference, "J81777"):
            response = client.get("/referrals/practices/search/", {"q": query})
            if response.status_code != 200 or _leaks(response, case) or RESIDENT_FIRST in response.content.decode():
                failures.append(f"{role} GET ?q={query}: {response.status_code}")
            elif query == "J81777" and [r["ods_code"] for r in response.json()["results"]] != ["J81777"]:
                failures.append(f"{role} GET ?q={query}: the practice was not found")
    assert not failures, "\n".join(failures)
