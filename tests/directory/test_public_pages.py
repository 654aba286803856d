import pytest
from bs4 import BeautifulSoup

from directory.choices import ActivityStatus, HowToJoin
from factories.directory import make_activity, make_organisation, make_venue

pytestmark = pytest.mark.django_db


def _soup(response):
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def walking_group(home, needs):
    organisation = make_organisation("Poole Walkers", website="https://poolewalkers.example.org", charity_number="1234567")
    venue = make_venue(
        "Poole Park Café", step_free=True, hearing_loop=True, bus_routes="1, 1a", bus_stops="Park Gates East"
    )
    activity = make_activity(
        organisation,
        "Wednesday health walk",
        needs=[needs["walking"], needs["loneliness"]],
        venue=venue,
        is_free=False,
        cost_amount="2.50",
        cost_description="per walk",
        how_to_join=HowToJoin.DROP_IN,
        min_age=18,
        carers_welcome=True,
        languages="English, Polish",
    )
    return organisation, venue, activity


def test_activity_page_tells_a_person_what_they_need_to_decide(client, walking_group):
    organisation, venue, activity = walking_group
    response = client.get(activity.url)
    assert response.status_code == 200
    page = _soup(response)
    assert page.h1.get_text(strip=True) == "Wednesday health walk"
    text = page.get_text(" ", strip=True)
    for expected in [
        "Walking",
        "Loneliness and isolation",
        "Every Tuesday, 10:00 to 11:30",
        "Poole Park Café",
        "Step-free access, Hearing loop",
        "Buses: 1, 1a",
        "£2.50 per walk",
        "Drop in: just turn up",
        "Ages 18 and over; carers welcome",
        "English, Polish",
    ]:
        assert expected in text, expected
    calendar_link = page.find("a", href=f"/activities/{activity.pk}/sessions.ics")
    assert calendar_link is not None
    ical = client.get(calendar_link["href"])
    assert ical.status_code == 200 and ical["Content-Type"].startswith("text/calendar")
    assert b"RRULE:FREQ=WEEKLY;BYDAY=TU" in ical.content


def test_organisation_page_lists_only_its_public_activities(client, walking_group):
    organisation, venue, activity = walking_group
    make_activity(organisation, "Retired walk", venue=venue, status=ActivityStatus.CLOSED)
    make_activity(organisation, "Draft walk", venue=venue, live=False)
    text = _soup(client.get(organisation.url)).get_text(" ", strip=True)
    assert "Wednesday health walk" in text
    assert "Retired walk" not in text and "Draft walk" not in text
    assert "Registered charity 1234567" in text


def test_closed_activities_are_gone_and_paused_ones_say_so(client, walking_group):
    organisation, venue, _ = walking_group
    closed = make_activity(organisation, "Old walk", venue=venue, status=ActivityStatus.CLOSED)
    paused = make_activity(organisation, "Winter walk", venue=venue, status=ActivityStatus.PAUSED)
    assert client.get(closed.url).status_code == 404
    response = client.get(paused.url)
    assert response.status_code == 200
    assert "This activity is paused" in response.content.decode()
    assert client.get(f"/activities/{closed.pk}/sessions.ics").status_code == 404


def test_venue_page_shows_access_and_what_happens_there(client, walking_group):
    organisation, venue, activity = walking_group
    response = client.get(f"/venues/{venue.pk}/")
    text = _soup(response).get_text(" ", strip=True)
    assert response.status_code == 200
    assert "Hearing loop" in text and "Wednesday health walk" in text
    assert client.get("/venues/999999/").status_code == 404


def test_every_page_has_one_h1_a_main_landmark_and_a_skip_link(client, walking_group):
    organisation, venue, activity = walking_group
    for url in ["/", "/organisations/", organisation.url, activity.url, f"/venues/{venue.pk}/", "/accessibility/", "/find/"]:
        page = _soup(client.get(url))
        assert len(page.find_all("h1")) == 1, url
        assert page.find("main", id="main-content"), url
        assert page.find("a", href="#main-content"), url
        assert page.html["lang"] == "en-GB", url
