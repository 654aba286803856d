"""The audit trail in the admin: administrators see every look at a resident's record; nobody else does."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from referrals.audit import audit
from referrals.choices import AuditAction
from factories.referrals import make_referral, make_user
from referrals.models import AuditEntry
from referrals.roles import SYSTEM, actor_for_user

URL = "/admin/reports/audit-trail/"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def administrator(db):
    return make_user("ada", is_superuser=True, is_staff=True, first_name="Ada", last_name="Admin")


@pytest.fixture
def entries(link_worker, triage):
    """A small trail: who looked at or changed which record, on which day."""
    lee, tina = actor_for_user(link_worker), actor_for_user(triage)
    made = {
        "lee_viewed": audit(lee, action=AuditAction.VIEW, what="referral page", resident=101, referral=201,
                            path="/referrals/201/"),
        "lee_changed": audit(lee, action=AuditAction.CHANGE, what="referral: First contact made", resident=101,
                             referral=201),
        "tina_viewed": audit(tina, action=AuditAction.VIEW, what="triage: referral", resident=102, referral=202),
        "signpost": audit(SYSTEM, action=AuditAction.ANONYMISE, what="resident record: personal data removed",
                          resident=103),
    }
    days = {"lee_viewed": 3, "lee_changed": 4, "tina_viewed": 5, "signpost": 6}
    for name, day in days.items():
        AuditEntry.objects.filter(pk=made[name].pk).update(at=datetime(2026, 11, day, 12, 0, tzinfo=LONDON))
    return made


def listed(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_report_has_its_address():
    assert reverse("referrals_audit_trail") == URL


def test_an_administrator_sees_the_trail_newest_first(sign_in, administrator, entries):
    page = listed(sign_in(administrator).get(URL))
    for what in ["referral page", "referral: First contact made", "triage: referral", "personal data removed"]:
        assert what in page
    assert page.index("personal data removed") < page.index("triage: referral") < page.index("referral page")
    assert "Lee Worker" in page and "Signpost" in page
    assert "Download CSV" in page


def test_a_link_worker_is_refused(sign_in, link_worker, entries):
    response = sign_in(link_worker).get(URL)
    assert response.status_code == 403
    assert b"referral page" not in response.content
    assert sign_in(link_worker).get(URL + "?export=csv").status_code == 403
    assert sign_in(link_worker).get(reverse("referrals_audit_trail_results")).status_code == 403


def test_the_menu_item_is_for_administrators_only(sign_in, administrator, link_worker):
    assert URL.encode() in sign_in(administrator).get("/admin/").content
    assert URL.encode() not in sign_in(link_worker).get("/admin/").content


def test_an_administrator_proves_a_second_factor_first(sign_in, administrator, entries):
    response = sign_in(administrator, verified=False).get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/")
    assert "next=%2Fadmin%2Freports%2Faudit-trail%2F" in response["Location"]


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"actor": "lee"}, ["referral page", "First contact made"], ["triage: referral", "personal data removed"]),
        ({"actor": "signpost"}, ["personal data removed"], ["referral page", "triage: referral"]),
        ({"resident_id": "102"}, ["triage: referral"], ["referral page", "personal data removed"]),
        ({"referral": "201"}, ["referral page", "First contact made"], ["triage: referral"]),
        ({"action": "change"}, ["First contact made"], ["referral page", "triage: referral"]),
        ({"at_from": "2026-11-04", "at_to": "2026-11-05"}, ["First contact made", "triage: referral"],
         ["referral page", "personal data removed"]),
    ],
)
def test_the_filters_narrow_the_trail(sign_in, administrator, entries, query, shown, hidden):
    client = sign_in(administrator)
    for url in (URL, reverse("referrals_audit_trail_results")):
        page = listed(client.get(url, query))
        for what in shown:
            assert what in page, (query, what)
        for what in hidden:
            assert what not in page, (query, what)


def test_a_referral_is_found_by_its_reference(sign_in, administrator, service, triage):
    referral = make_referral(service=service, triage=triage)
    other = make_referral(service=service, triage=triage)
    audit(SYSTEM, action=AuditAction.VIEW, what="the one we want", referral=referral)
    audit(SYSTEM, action=AuditAction.VIEW, what="another one", referral=other)
    page = listed(sign_in(administrator).get(URL, {"referral": referral.reference.lower()}))
    assert "the one we want" in page and "another one" not in page
    assert referral.reference in page


def test_a_filter_that_makes_no_sense_shows_nothing_rather_than_everything(sign_in, administrator, entries):
    page = listed(sign_in(administrator).get(URL, {"resident_id": "not a number"}))
    assert "referral page" not in page


def test_the_trail_is_paginated(sign_in, administrator):
    AuditEntry.objects.bulk_create(
        [AuditEntry(actor_label="Signpost", action=AuditAction.VIEW, what=f"look {n:03d}") for n in range(60)]
    )
    client = sign_in(administrator)
    first = listed(client.get(URL))
    assert first.count("look 0") == 50
    second = listed(client.get(URL, {"p": 2}))
    assert second.count("look 0") == 10


def test_the_trail_downloads_as_csv_with_the_filters_applied(sign_in, administrator, link_worker, entries):
    response = sign_in(administrator).get(URL, {"export": "csv", "actor": "lee"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["What"], row["Action"]) for row in rows] == [
        ("referral: First contact made", "Changed"), ("referral page", "Viewed")
    ]
    first = rows[1]
    assert first["Who"] == "Lee Worker" and first["Username"] == link_worker.username
    assert first["Resident id"] == "101" and first["Referral id"] == "201" and first["Page"] == "/referrals/201/"
    assert first["When"] == "2026-11-03T12:00:00+00:00"
    # Downloading the trail is itself on the trail.
    download = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert download.actor == administrator and download.what == "audit trail (CSV)"


def test_the_csv_cannot_carry_a_spreadsheet_formula(sign_in, administrator):
    prankster = make_user("prankster", first_name="=HYPERLINK(\"http://example.com\")", last_name="")
    audit(actor_for_user(prankster), action=AuditAction.VIEW, what="referral page", resident=1, referral=1)
    response = sign_in(administrator).get(URL, {"export": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    (row,) = [row for row in rows if row["Username"] == "prankster"]
    assert row["Who"] == "'=HYPERLINK(\"http://example.com\")"


def test_administrators_set_up_services_staff_and_reporting_areas_in_the_admin(client, service, link_worker, sign_in):
    from factories.referrals import make_user
    from reporting.models import ReportingArea

    admin = make_user("setup-admin", is_superuser=True, is_staff=True)
    sign_in(admin)
    response = client.post(
        "/admin/snippets/reporting/reportingarea/add/", {"name": "Poole North PCN", "postcode_prefixes": "BH12, BH17"}
    )
    assert response.status_code == 302, response.content[:500]
    assert ReportingArea.objects.get(name="Poole North PCN").prefixes == ["BH12", "BH17"]
    listing = client.get("/admin/snippets/referrals/socialprescribingservice/")
    assert service.name in listing.content.decode()
    assert client.get("/admin/snippets/referrals/staffmembership/").status_code == 200
    # A link worker (admin access, but not an administrator) cannot change them.
    client.logout()
    sign_in(link_worker)
    assert client.get("/admin/snippets/reporting/reportingarea/").status_code in (302, 403)
