"""Signing in takes each member of staff to their work (issue 15, "Staff sign-in dead-ends").

Through the real pages: the admin's sign-in page, then the code from the authenticator app. A person
with one area of work goes straight to it; a person with several lands on the role home (/staff/),
one card per area with what waits there; ``next`` wins when the sign-in was for a particular page.
Signpost's staff menu and the Wagtail admin (its menu and dashboard) offer the same links, built in
one place, and only the links a role may open.
"""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.http import urlencode
from django_otp.plugins.otp_totp.models import TOTPDevice

from directory.permissions import MODERATORS_GROUP
from factories import referrals as factories
from factories.directory import make_activity
from referrals.choices import AlertKind
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import Alert
from referrals.roles import COMMISSIONERS_GROUP, actor_for_user
from referrals.staff_work import menu_for, work_for
from tests.accounts import current_code

# Marked here, not only through fixtures: the parametrised tests ask for their person by name
# (getfixturevalue), so without the mark pytest-django would order them after the transactional
# tests, which leave the database empty of the site's pages.
pytestmark = pytest.mark.django_db

PASSWORD = "harbour-lights-42"
HOME = "/staff/"
CASELOAD, TRIAGE_QUEUE, INBOX, REPORTS = "/referrals/", "/referrals/triage/", "/referrals/provider/", "/reports/"
NEW_REFERRAL, FIND = "/referrals/triage/new/", "/find/link-workers/"


@pytest.fixture
def commissioner(service):
    return factories.make_staff(COMMISSIONERS_GROUP, service=service, username="cara", first_name="Cara")


@pytest.fixture
def moderator(home):
    return factories.make_user("mo", groups=[MODERATORS_GROUP])


@pytest.fixture
def administrator(home):
    return factories.make_user("ada", is_superuser=True, is_staff=True)


def sign_in_through_pages(user, *, next_url: str | None = None) -> tuple[Client, str]:
    """Password on the admin's sign-in page, then the app's code: the client, and where the code led."""
    user.set_password(PASSWORD)
    user.save()
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="Phone", defaults={"confirmed": True})
    client = Client()
    login = "/admin/login/" + (f"?{urlencode({'next': next_url})}" if next_url else "")
    response = client.post(login, {"username": user.get_username(), "password": PASSWORD}, follow=True)
    # The admin (or the page asked for) sends a half-signed-in session to its code, keeping where it was going.
    assert response.request["PATH_INFO"] == "/account/two-factor/", response.redirect_chain
    response = client.post(response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"],
                           {"code": current_code(device)})
    assert response.status_code == 302
    return client, response["Location"]


def nav_links(html: str) -> list[str]:
    """The hrefs of the staff menu on a Signpost page."""
    nav = re.search(r'<nav class="signpost-staff-nav".*?</nav>', html, re.DOTALL)
    return re.findall(r'href="([^"]+)"', nav.group(0)) if nav else []


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


# Where signing in leads ------------------------------------------------------------------


def test_a_link_worker_signing_in_at_the_admin_lands_on_their_caseload_not_the_empty_dashboard(link_worker):
    client, landed = sign_in_through_pages(link_worker)
    assert landed == CASELOAD, "one area of work: straight to it"
    assert client.get(landed).status_code == 200


def test_a_commissioner_lands_on_the_reports_and_a_moderator_on_the_admin_dashboard(commissioner, moderator):
    assert sign_in_through_pages(commissioner)[1] == REPORTS
    assert sign_in_through_pages(moderator)[1] == "/admin/"


@pytest.mark.parametrize("who", ["triage", "provider_editor", "administrator"])
def test_someone_with_several_areas_of_work_lands_on_the_role_home(request, who):
    client, landed = sign_in_through_pages(request.getfixturevalue(who))
    assert landed == HOME
    assert client.get(HOME).status_code == 200


@pytest.mark.parametrize("next_url", [TRIAGE_QUEUE, "/admin/pages/", f"{REPORTS}?period=last-quarter"])
def test_a_sign_in_for_a_particular_page_goes_to_that_page(triage, next_url):
    assert sign_in_through_pages(triage, next_url=next_url)[1] == next_url


def test_a_next_address_on_another_site_leads_to_the_person_s_work_instead(link_worker):
    assert sign_in_through_pages(link_worker, next_url="https://evil.example/referrals/")[1] == CASELOAD


# The role home ---------------------------------------------------------------------------


def test_the_link_worker_s_home_counts_the_open_alerts_on_their_own_caseload(client, sign_in, service, link_worker):
    mine = [factories.make_referral(service=service, link_worker=link_worker, status=S.TRIAGED) for _ in range(3)]
    Alert.objects.create(referral=mine[0], kind=AlertKind.NOT_CONTACTED)
    Alert.objects.create(referral=mine[1], kind=AlertKind.NOT_CONTACTED)
    Alert.objects.create(referral=mine[2], kind=AlertKind.NOT_CONTACTED, cleared_at=timezone.now())
    colleague = factories.make_link_worker(service=service, username="colleague")
    theirs = factories.make_referral(service=service, link_worker=colleague, status=S.TRIAGED)
    Alert.objects.create(referral=theirs, kind=AlertKind.NOT_CONTACTED)

    sign_in(link_worker)
    page = client.get(HOME)
    assert "2 open alerts" in text(page), "the cleared alert and the colleague's are not counted"
    assert "3 open referrals on your caseload" in text(page)
    assert f'href="{CASELOAD}"' in page.content.decode()


def test_triage_s_home_counts_the_queue_of_their_own_service_only(client, sign_in, service, other_service, triage):
    factories.make_referral(service=service, triage=triage)
    factories.make_referral(service=service, triage=triage)
    factories.make_referral(service=service, triage=triage, status=S.TRIAGED)  # already triaged
    factories.make_referral(service=other_service)
    sign_in(triage)
    page = text(client.get(HOME))
    assert "2 referrals waiting for triage" in page
    assert "Reports" in page, "triage open the reports too, as service managers"


def test_the_provider_s_home_counts_new_referrals_and_the_listings_to_check(client, sign_in, service, organisation,
                                                                           provider_editor, activity, other_activity):
    factories.make_referral(service=service, activity=activity, status=C.SENT_TO_PROVIDER)
    factories.make_referral(service=service, activity=activity, status=C.ACCEPTED)
    factories.make_referral(service=service, activity=other_activity, status=C.SENT_TO_PROVIDER)  # not theirs
    make_activity(organisation, "Old walk", last_reviewed=timezone.localdate() - timedelta(days=400))
    make_activity(other_activity.get_parent().specific, "Old lunch", last_reviewed=timezone.localdate()
                  - timedelta(days=400))
    sign_in(provider_editor)
    response = client.get(HOME)
    page = text(response)
    assert "1 new referral" in page
    assert "1 listing to check is still right" in page
    assert f'href="/admin/pages/{organisation.pk}/"' in response.content.decode(), "their own listings in Wagtail"


def test_someone_with_no_staff_work_is_told_so_and_pointed_to_the_admin(client, sign_in, home):
    sign_in(factories.make_user("nobody"))
    page = client.get(HOME)
    assert page.status_code == 200
    assert "You have no referrals, reports or listings to work on yet" in text(page)
    assert nav_links(page.content.decode()) == []


def test_the_home_needs_a_signed_in_verified_person(client, link_worker):
    assert client.get(HOME)["Location"]== "/admin/login/?next=/staff/"
    client.force_login(link_worker)
    assert client.get(HOME)["Location"].startswith("/account/two-factor/")


# One staff menu, least privilege ---------------------------------------------------------

MENUS = {
    "link_worker": [HOME, CASELOAD, FIND],
    "triage": [HOME, TRIAGE_QUEUE, NEW_REFERRAL, REPORTS],
    "commissioner": [HOME, REPORTS],
}


@pytest.mark.parametrize("who", sorted(MENUS))
def test_the_staff_menu_shows_only_what_the_role_may_open(request, client, sign_in, who):
    sign_in(request.getfixturevalue(who))
    assert nav_links(client.get(HOME).content.decode()) == MENUS[who]


def test_a_provider_never_sees_the_caseload_or_the_triage_queue(client, sign_in, organisation, provider_editor):
    sign_in(provider_editor)
    links = nav_links(client.get(INBOX).content.decode())
    assert links == [HOME, INBOX, REPORTS, f"/admin/pages/{organisation.pk}/"]
    assert client.get(HOME).content.decode().count(TRIAGE_QUEUE) == 0


def test_every_link_in_a_menu_opens_for_that_person(request, client, sign_in, provider_editor, commissioner):
    for user in (request.getfixturevalue("link_worker"), request.getfixturevalue("triage"), provider_editor,
                 commissioner, request.getfixturevalue("moderator")):
        client.logout()
        sign_in(user)
        for link in menu_for(actor_for_user(user)):
            assert client.get(link.url).status_code == 200, (user.username, link.url)


def test_the_menu_marks_the_page_you_are_on(client, sign_in, link_worker):
    sign_in(link_worker)
    assert f'href="{CASELOAD}" aria-current="page"' in client.get(CASELOAD).content.decode()


def test_editors_and_moderators_are_offered_their_listings_in_wagtail(client, sign_in, moderator):
    areas = {area.key: area for area in work_for(actor_for_user(moderator))}
    assert set(areas) == {"review"}
    sign_in(moderator)
    page = text(client.get(HOME))
    assert "Review listings (Wagtail)" in page and "Stale listings (Wagtail)" in page


# The Wagtail admin -----------------------------------------------------------------------


def test_the_wagtail_dashboard_and_menu_carry_the_same_links(client, sign_in, service, triage):
    factories.make_referral(service=service, triage=triage)
    sign_in(triage)
    page = client.get("/admin/").content.decode()
    panel = re.search(r'id="signpost-work-section".*?</section>', page, re.DOTALL)
    assert panel, "the dashboard's panel of the person's work"
    assert f'href="{TRIAGE_QUEUE}"' in panel.group(0) and "1 referral waiting for triage" in panel.group(0)
    # The sidebar menu (Wagtail writes it as JSON for its script): the Signpost pages, first.
    for url in (HOME, TRIAGE_QUEUE, NEW_REFERRAL, REPORTS):
        assert f'"url": "{url}"' in page, url


def test_the_wagtail_admin_offers_a_provider_no_triage_or_caseload_link(client, sign_in, provider_editor):
    sign_in(provider_editor)
    page = client.get("/admin/").content.decode()
    assert INBOX in page
    assert TRIAGE_QUEUE not in page and f'"url": "{CASELOAD}"' not in page
