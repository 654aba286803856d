"""The public pages the journeys pass on the way, checked with axe at both widths.

The journeys cover the home page, the search and an activity; these are the other pages a
resident reaches from them: the organisations, an organisation, a venue, a paused activity,
a search with no results, and the accessibility statement.
"""

import pytest
from playwright.sync_api import expect

from directory.models import ActivityPage, Venue
from directory.selectors import public_activities

pytestmark = pytest.mark.browser


def test_public_pages_have_no_accessibility_violations(demo, page, check_page):
    walk = public_activities().filter(title__contains="Walking for Health").order_by("path").first()
    paused = ActivityPage.objects.live().filter(status="paused").order_by("path").first()
    venue = Venue.objects.filter(sessions__activity=walk).first()
    assert walk and paused and venue, "the demo should have a walking group, a paused activity and venues"

    pages = {
        "organisations": "/organisations/",
        "organisation": walk.get_parent().url,
        "venue": f"/venues/{venue.pk}/",
        "activity-paused": paused.url,
        "find-no-results": "/find/?q=xylophone+quartet",
        "find-without-postcode": "/find/?need=walking",
        "accessibility-statement": "/accessibility/",
    }
    for name, path in pages.items():
        response = page.goto(demo + path)
        assert response.ok, f"{name}: {path} answered {response.status}"
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check_page(page, name)


def test_check_page_fails_on_a_violation(page, check_page):
    """The harness itself: a page with a known violation must fail, naming the rule and the element."""
    page.set_content(
        '<!DOCTYPE html><html lang="en"><head><title>Broken</title></head>'
        '<body><main><h1>Broken</h1><img src="data:,"></main></body></html>'
    )
    with pytest.raises(AssertionError) as failure:
        check_page(page, "harness-self-check", screenshots=False)
    message = str(failure.value)
    assert "image-alt (critical)" in message and '["img"]' in message and "dequeuniversity.com" in message
