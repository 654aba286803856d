import pytest

from factories.directory import make_activity, make_organisation, make_venue


@pytest.mark.django_db
def test_public_pages_render(client, home, needs):
    organisation = make_organisation("Poole Walkers")
    venue = make_venue("Poole Park")
    activity = make_activity(organisation, "Wednesday walk", needs=[needs["walking"]], venue=venue)

    assert client.get("/").status_code == 200
    response = client.get(activity.url)
    assert response.status_code == 200
    assert "Poole Park" in response.content.decode()
    assert organisation.title in client.get(organisation.url).content.decode()
