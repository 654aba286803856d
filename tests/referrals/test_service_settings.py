"""Where administrators set up primary care on a service: its eligibility and networks, and link workers' networks."""

from factories.primarycare import make_pcn
from factories.referrals import make_user


def test_an_administrator_sets_a_services_eligibility_and_networks_and_a_link_workers_networks(
    client, sign_in, service, link_worker
):
    """Eligibility, the service's primary care networks and a link worker's are edited where services are."""
    network = make_pcn("Poole Central PCN")
    admin = make_user("setup.admin", is_superuser=True, is_staff=True)
    sign_in(admin)
    edit = f"/admin/snippets/referrals/socialprescribingservice/edit/{service.pk}/"
    page = client.get(edit).content.decode()
    for field in ("eligibility_text", "minimum_age", "maximum_age", "requires_practice_in_area", "exclusions",
                  "pcns", "rereferral_days", "acknowledge_to_gp"):
        assert f'name="{field}"' in page, field
    response = client.post(edit, {
        "name": service.name, "slug": service.slug, "postcode_prefixes": "BH, DT",
        "attempts_before_not_contactable": 3, "eligibility_text": "Adults registered in Poole.",
        "minimum_age": 18, "maximum_age": "", "requires_practice_in_area": "on",
        "exclusions": "In crisis", "pcns": [network.pk], "rereferral_days": 60, "acknowledge_to_gp": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    service.refresh_from_db()
    assert (service.minimum_age, service.requires_practice_in_area, service.rereferral_days) == (18, True, 60)
    assert list(service.pcns.all()) == [network] and service.exclusion_list == ["In crisis"]
    membership = link_worker.staff_membership
    edit = f"/admin/snippets/referrals/staffmembership/edit/{membership.pk}/"
    assert 'name="pcns"' in client.get(edit).content.decode()
