"""The link worker works from the person (issue 15): "Find activities for <name>" on the referral page opens
referrals' own search with the person's postcode, needs, access needs and language applied (and changeable),
the person kept in view, and on each result "Connect <name> to this activity", which connects THAT referral and
returns to it; no re-picking the person, no drop-down of every activity in every area, and the next step is the
open, primary one."""

import re

import pytest
from bs4 import BeautifulSoup

from factories.directory import make_activity, make_organisation, make_postcode, make_venue
from factories.referrals import make_connection, make_link_worker, make_referral, make_resident
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import AuditEntry, Connection

pytestmark = pytest.mark.django_db


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def find_url(referral, query: str = "") -> str:
    return f"/referrals/{referral.pk}/find-activities/{query}"


def result_titles(page) -> list[str]:
    return [h.get_text(strip=True) for h in page.select("ol.signpost-results h3")]


@pytest.fixture
def place(home):
    make_postcode("BH15 1AB", 50.7155, -1.9872)
    return make_postcode("DT1 1AA", 50.7150, -2.4370)


@pytest.fixture
def directory(place, needs):
    """Near the person: one walk for loneliness at a step-free venue run in English and Polish (the match), one
    for loneliness up steps, one in English only, one for another need; far away, one that would match."""
    loneliness, physical = needs["loneliness"], needs["physical"]
    poole = make_organisation("Poole Friends")
    step_free = make_venue("Poole Park Café", town="Poole", step_free=True)
    steps = make_venue("Upstairs Hall", town="Poole")
    far = make_venue("Borough Gardens", postcode="DT1 1AA", latitude=50.7150, longitude=-2.4370, town="Dorchester",
                     step_free=True)
    return {
        "match": make_activity(poole, "Tuesday health walk", needs=[loneliness], venue=step_free,
                               languages="English, Polish"),
        "up_steps": make_activity(poole, "Upstairs coffee morning", needs=[loneliness], venue=steps,
                                  languages="Polish"),
        "english_only": make_activity(poole, "Chatty café", needs=[loneliness], venue=step_free),
        "other_need": make_activity(poole, "Polish keep fit", needs=[physical], venue=step_free, languages="Polish"),
        "far": make_activity(make_organisation("Dorchester Friends"), "Dorchester walk", needs=[loneliness],
                             venue=far, languages="Polish"),
    }


@pytest.fixture
def ada(service, triage, link_worker, needs):
    resident = make_resident(service=service, first_name="Ada", last_name="Browne", postcode="BH15 1AB",
                             language="Polish", accessibility_needs="Uses a wheelchair.")
    return make_referral(service=service, triage=triage, link_worker=link_worker, resident=resident,
                         status=S.CONTACTED, needs=[needs["loneliness"]])


def test_the_search_starts_from_the_person_and_keeps_them_in_view(ada, link_worker, directory, sign_in):
    response = sign_in(link_worker).get(find_url(ada))

    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Find activities for Ada"
    panel = page.find(id="person-in-view").get_text(" ", strip=True)
    for detail in ("Ada Browne", ada.reference, "Loneliness and isolation", "Getting out of the house",
                   "Uses a wheelchair", "Polish"):
        assert detail in panel
    # Her postcode, need, access need (read from "wheelchair") and language, applied and shown in the form.
    assert result_titles(page) == ["Tuesday health walk"]
    heading = page.find(id="results-heading").get_text(" ", strip=True)
    assert heading == "1 activity for Loneliness and isolation within 3 miles of BH15 1AB, run in Polish"
    assert page.select_one("input[name='postcode']")["value"] == "BH15 1AB"
    assert page.select_one(f"input[name='needs'][value='{ada.needs.get().slug}']").has_attr("checked")
    assert page.select_one("input[name='access'][value='step_free']").has_attr("checked")
    assert not page.select_one("input[name='access'][value='hearing_loop']").has_attr("checked")
    assert page.select_one("input[name='language']")["value"] == "Polish"
    assert AuditEntry.objects.filter(referral_id=ada.pk, what="find activities for the person").exists()


def test_each_of_the_persons_filters_can_be_changed(ada, link_worker, directory, sign_in):
    client = sign_in(link_worker)
    slug = ada.needs.get().slug

    # Any language, no access need: the English-only café and the walk up the stairs too.
    page = soup(client.get(find_url(ada), {"filters": "set", "postcode": "BH15 1AB", "needs": slug}))
    assert sorted(result_titles(page)) == ["Chatty café", "Tuesday health walk", "Upstairs coffee morning"]
    # No need ticked, in Polish: the keep-fit class too; still near her, so not Dorchester's.
    page = soup(client.get(find_url(ada), {"filters": "set", "postcode": "BH15 1AB", "language": "polish"}))
    assert sorted(result_titles(page)) == ["Polish keep fit", "Tuesday health walk", "Upstairs coffee morning"]
    # Another postcode: Dorchester's walk.
    page = soup(client.get(find_url(ada), {"filters": "set", "postcode": "DT1 1AA", "needs": slug,
                                           "language": "Polish"}))
    assert result_titles(page) == ["Dorchester walk"]


def test_connect_creates_the_connection_for_that_referral_and_returns_to_it(
        service, triage, link_worker, ada, directory, sign_in):
    someone_else = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)
    client = sign_in(link_worker)
    page = soup(client.get(find_url(ada)))
    buttons = [b for b in page.select("ol.signpost-results button")]
    assert [b.get_text(" ", strip=True) for b in buttons] == [
        "Connect Ada to this activity : Tuesday health walk, Poole Friends"]
    form = buttons[0].find_parent("form")
    fields = {i["name"]: i["value"] for i in form.select("input[type='hidden']")}
    assert "csrfmiddlewaretoken" in fields and form["method"] == "post"

    response = client.post(form["action"], fields, follow=True)

    connection = Connection.objects.get()
    assert connection.referral_id == ada.pk and connection.activity_id == directory["match"].pk
    assert connection.status == C.ACTIVITY_CHOSEN
    assert not someone_else.connections.exists()
    assert response.redirect_chain[-1][0] == f"/referrals/{ada.pk}/#connection-1"
    banner = soup(response).select_one(".nhsuk-notification-banner--success").get_text(" ", strip=True)
    assert "Ada Browne is connected to Tuesday health walk" in banner
    assert ada.events.filter(action="choose_activity", actor=link_worker).exists()


def test_an_activity_withdrawn_before_connecting_is_refused_in_words_on_her_page(
        ada, link_worker, directory, sign_in):
    client = sign_in(link_worker)
    form = soup(client.get(find_url(ada))).select_one("ol.signpost-results form")
    fields = {i["name"]: i["value"] for i in form.select("input[type='hidden']")}
    directory["match"].unpublish()  # withdrawn by its organisation while the link worker was looking

    response = client.post(form["action"], fields)

    assert not Connection.objects.exists()
    summary = soup(response).select_one(".nhsuk-error-summary")
    assert "Choose an activity that is running now." in summary.get_text(" ", strip=True)
    page = soup(response)
    assert all(page.find(id=link["href"][1:]) for link in summary.select("a[href^='#']"))


def test_an_activity_she_is_connected_to_is_not_offered_again(ada, link_worker, directory, sign_in):
    make_connection(referral=ada, activity=directory["match"])

    page = soup(sign_in(link_worker).get(find_url(ada)))

    card = page.select_one("ol.signpost-results li")
    assert "Ada is already connected to this" in card.get_text(" ", strip=True) and card.select_one("form") is None


def test_another_organisations_link_worker_cannot_search_or_connect(ada, other_service, directory, sign_in):
    stranger = make_link_worker(service=other_service, username="stranger")
    client = sign_in(stranger)

    assert client.get(find_url(ada)).status_code == 404
    response = client.post(f"/referrals/{ada.pk}/connections/", {"connect-activity": directory["match"].pk})

    assert response.status_code == 404
    assert not Connection.objects.exists()


def test_only_in_support_and_only_the_team(service, triage, link_worker, provider_editor, directory, sign_in):
    triaged = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    assert sign_in(link_worker).get(find_url(triaged)).status_code == 403  # before first contact
    contacted = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)
    assert sign_in(provider_editor).get(find_url(contacted)).status_code == 403


def test_the_referral_page_has_no_drop_down_of_every_activity(ada, link_worker, directory, sign_in):
    client = sign_in(link_worker)
    page = soup(client.get(f"/referrals/{ada.pk}/"))
    assert page.select("select") == [] or not any(
        directory["far"].title in select.get_text() for select in page.select("select"))
    assert not page.select("select[name$='activity']")

    make_connection(referral=ada, activity=directory["match"])
    page = soup(client.get(f"/referrals/{ada.pk}/"))
    assert not page.select("select[name$='activity']")
    change = page.find("a", string=re.compile(r"^Find another activity for Ada instead of Tuesday health walk"))
    assert change["href"] == find_url(ada, "?change=1")


def test_changing_the_activity_from_the_persons_search(ada, link_worker, directory, sign_in):
    connection = make_connection(referral=ada, activity=directory["match"])
    client = sign_in(link_worker)
    page = soup(client.get(find_url(ada, "?filters=set&postcode=BH15+1AB&change=1")))
    assert page.h1.get_text(strip=True) == "Find another activity for Ada"
    button = next(b for b in page.select("ol.signpost-results button") if "Chatty café" in b.get_text())
    form = button.find_parent("form")

    response = client.post(form["action"], {i["name"]: i["value"] for i in form.select("input[type='hidden']")})

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.activity_id == directory["english_only"].pk and connection.status == C.ACTIVITY_CHOSEN


def test_the_next_step_is_the_open_primary_one(ada, link_worker, directory, sign_in):
    client = sign_in(link_worker)

    # In support, nothing going on: her needs and what matters, beside the one primary action.
    page = soup(client.get(f"/referrals/{ada.pk}/"))
    heading = page.find(id="connect-activity")
    assert heading.name == "h2" and heading.get_text(strip=True) == "Connect Ada to an activity"
    find = heading.find_next("a", string="Find activities for Ada")
    assert find["href"] == find_url(ada) and "nhsuk-button--secondary" not in find["class"]
    panel = heading.find_next(id="person-in-view").get_text(" ", strip=True)
    assert "Loneliness and isolation" in panel and "Getting out of the house" in panel
    assert heading.find_next(id="person-in-view").find_next("a", string="Find activities for Ada") is find

    # An activity chosen: sending it to the provider comes first and open; finding more is folded away.
    make_connection(referral=ada, activity=directory["match"])
    page = soup(client.get(f"/referrals/{ada.pk}/"))
    card = page.find(id="connection-1")
    first_step = card.select_one("details")
    assert first_step["id"] == "connection-1-send_to_provider" and first_step.has_attr("open")
    assert first_step.select_one("button").get_text(strip=True) == "Send the referral"
    assert [d["id"] for d in card.select("details[open]")] == ["connection-1-send_to_provider"]
    assert page.select_one("#connect-activity").name == "details"
    assert not page.select_one("#connect-activity").has_attr("open")
    again = page.find("a", string="Find activities for Ada")
    assert "nhsuk-button--secondary" in again["class"]
    next_step = page.find("strong", string="Next step:").parent.find("a")
    assert next_step["href"] == "#connection-1-send_to_provider"


def test_no_two_links_share_a_name_and_go_to_different_places(ada, link_worker, directory, sign_in):
    client = sign_in(link_worker)
    for url in (f"/referrals/{ada.pk}/", find_url(ada), "/referrals/"):
        targets = {}
        for link in soup(client.get(url)).select("a[href]"):
            name = link.get_text(" ", strip=True)
            if name.startswith("Find activities"):
                targets.setdefault(name, set()).add(link["href"].split("#")[0])
        assert all(len(hrefs) == 1 for hrefs in targets.values()), (url, targets)
