"""Stale listings: reminders, the moderators' report, hiding after the grace period, and "still accurate"."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageLogEntry

from directory.choices import ActivityStatus
from factories.directory import make_activity, make_organisation
from directory.freshness import CONFIRM_ACCURATE_LOG_ACTION, activity_confirm_accurate, send_stale_reminders
from directory.models import ActivityPage
from tests.accounts import sign_in_verified
from tests.directory.test_permissions import assert_denied, form_data, make_editor, make_moderator

STALE_AFTER = settings.SIGNPOST["STALE_AFTER_DAYS"]
GRACE = settings.SIGNPOST["STALE_GRACE_DAYS"]
INTERVAL = settings.SIGNPOST["STALE_REMINDER_INTERVAL_DAYS"]


def _days_ago(days):
    return timezone.localdate() - timedelta(days=days)


@pytest.fixture
def listings(home):
    poole = make_organisation("Poole Walkers", email="hello@poolewalkers.example")
    carers = make_organisation("Dorchester Carers")
    silent = make_organisation("Quiet Club")
    return {
        "poole": poole,
        "carers": carers,
        "silent": silent,
        "fresh": make_activity(poole, "Harbour walk", last_reviewed=_days_ago(10)),
        "stale": make_activity(poole, "Heath walk", last_reviewed=_days_ago(STALE_AFTER + 1)),
        "hidden": make_activity(poole, "Beach walk", last_reviewed=_days_ago(STALE_AFTER + GRACE + 5)),
        "closed": make_activity(
            poole, "Winter walk", last_reviewed=_days_ago(STALE_AFTER + 50), status=ActivityStatus.CLOSED
        ),
        "carers_stale": make_activity(carers, "Carers cafe", last_reviewed=_days_ago(STALE_AFTER + 3)),
        "silent_stale": make_activity(silent, "Quiet reading", last_reviewed=_days_ago(STALE_AFTER + 3)),
        "poole_editor": make_editor(poole, "poole-editor", email="sam@poolewalkers.example"),
        "carers_editor": make_editor(carers, "carers-editor", email="kim@example.org"),
    }


def _reload(activity) -> ActivityPage:
    return ActivityPage.objects.get(pk=activity.pk)


def _confirm_url(activity):
    return reverse("directory_activity_confirm_accurate", args=[activity.pk])


# Reminders ----------------------------------------------------------------------------------


def test_each_organisation_gets_one_reminder_listing_its_stale_activities(listings):
    assert send_stale_reminders() == 2

    by_subject = {message.subject: message for message in mail.outbox}
    assert len(by_subject) == 2
    [poole] = [m for s, m in by_subject.items() if "Poole Walkers" in s]
    [carers] = [m for s, m in by_subject.items() if "Dorchester Carers" in s]

    assert poole.to == ["hello@poolewalkers.example", "sam@poolewalkers.example"]
    assert "2 listings" in poole.subject
    assert "Heath walk" in poole.body and "Beach walk" in poole.body
    assert "Harbour walk" not in poole.body and "Winter walk" not in poole.body
    assert poole.body.index("Beach walk") < poole.body.index("Heath walk")  # oldest first
    assert f"http://testserver{_confirm_url(listings['stale'])}" in poole.body
    assert f"http://testserver{_confirm_url(listings['hidden'])}" in poole.body
    assert "Hidden from the public directory since" in poole.body
    assert "Will be hidden from the public directory on" in poole.body

    assert carers.to == ["kim@example.org"]
    assert "Carers cafe" in carers.body

    for key in ("stale", "hidden", "carers_stale"):
        assert _reload(listings[key]).stale_reminder_sent_at is not None
    # Nobody to tell at Quiet Club: not marked, so it is tried again once someone is.
    for key in ("fresh", "closed", "silent_stale"):
        assert _reload(listings[key]).stale_reminder_sent_at is None


def test_reminders_are_not_repeated_within_the_interval(listings):
    today = timezone.localdate()
    assert send_stale_reminders(today=today) == 2
    assert send_stale_reminders(today=today) == 0
    assert send_stale_reminders(today=today + timedelta(days=INTERVAL - 1)) == 0
    assert len(mail.outbox) == 2

    assert send_stale_reminders(today=today + timedelta(days=INTERVAL)) == 2
    assert len(mail.outbox) == 4


def test_the_reminder_is_remembered_when_a_pending_revision_is_published(listings):
    stale = listings["stale"]
    send_stale_reminders()
    sent_at = _reload(stale).stale_reminder_sent_at

    # The factory's revision was saved before the reminder; publishing it must not clear it.
    _reload(stale).get_latest_revision().publish()

    assert _reload(stale).stale_reminder_sent_at == sent_at
    assert send_stale_reminders() == 0


def test_failed_reminder_is_tried_again(listings, monkeypatch):
    from django.core.mail import EmailMessage

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    assert send_stale_reminders() == 0
    assert _reload(listings["stale"]).stale_reminder_sent_at is None
    monkeypatch.undo()
    assert send_stale_reminders() == 2


def test_command_prints_what_it_sent(listings):
    out = StringIO()
    call_command("send_stale_reminders", "--dry-run", stdout=out)
    assert not mail.outbox
    assert "Would send to Poole Walkers" in out.getvalue()

    out = StringIO()
    call_command("send_stale_reminders", stdout=out)
    output = out.getvalue()
    assert "Sent to Poole Walkers (hello@poolewalkers.example, sam@poolewalkers.example): 2 stale: Beach walk, Heath walk" in output
    assert "Sent to Dorchester Carers (kim@example.org): 1 stale: Carers cafe" in output
    assert "No email address for Quiet Club" in output
    assert "Sent 2 stale-listing reminder(s)." in output

    out = StringIO()
    call_command("send_stale_reminders", stdout=out)
    assert "Sent 0 stale-listing reminder(s)." in out.getvalue()
    assert len(mail.outbox) == 2


# Hidden after the grace period ----------------------------------------------------------------


def test_stale_listings_are_hidden_from_the_public_after_the_grace_period(client, listings):
    assert client.get(listings["hidden"].url).status_code == 404
    assert client.get(listings["stale"].url).status_code == 200  # stale, still in its grace period

    html = client.get(listings["poole"].url).content.decode()
    assert "Heath walk" in html and "Harbour walk" in html
    assert "Beach walk" not in html

    # The editor still sees it in the admin, to put it right.
    sign_in_verified(client, listings["poole_editor"])
    assert client.get(reverse("wagtailadmin_pages:edit", args=[listings["hidden"].pk])).status_code == 200


# "Still accurate" ---------------------------------------------------------------------------


def test_one_click_confirm_makes_a_hidden_listing_fresh_and_public(client, listings, django_capture_on_commit_callbacks):
    hidden = listings["hidden"]
    send_stale_reminders()
    revisions_before = hidden.revisions.count()
    sign_in_verified(client, listings["poole_editor"])
    explorer = reverse("wagtailadmin_explore", args=[listings["poole"].pk])

    response = client.post(_confirm_url(hidden), {"next": explorer})

    assert response.status_code == 302
    assert response["Location"] == explorer
    hidden = _reload(hidden)
    assert hidden.last_reviewed == timezone.localdate()
    assert hidden.stale_reminder_sent_at is None
    assert not hidden.is_stale()
    # No new content, so nothing to moderate.
    assert hidden.revisions.count() == revisions_before
    assert not hidden.workflow_in_progress
    assert PageLogEntry.objects.filter(
        page=hidden, action=CONFIRM_ACCURATE_LOG_ACTION, user=listings["poole_editor"]
    ).exists()
    assert "confirmed as accurate" in client.get(explorer).content.decode()

    client.logout()
    assert client.get(hidden.url).status_code == 200
    assert "Beach walk" in client.get(listings["poole"].url).content.decode()


def test_confirmed_date_survives_publishing_an_earlier_draft(client, listings):
    stale = listings["stale"]
    sign_in_verified(client, listings["poole_editor"])
    edit_url = reverse("wagtailadmin_pages:edit", args=[stale.pk])
    # The editor saves a draft (the old review date in it), then confirms the listing.
    data = form_data(client.get(edit_url), "page-edit-form")
    data["summary"] = ["A longer walk over the heath."]
    assert client.post(edit_url, data).status_code == 302
    client.post(_confirm_url(stale))

    data = form_data(client.get(edit_url), "page-edit-form")
    assert data["last_reviewed"] == [timezone.localdate().strftime("%d/%m/%Y")]  # shown as a UK date

    # A moderator later publishes the draft.
    _reload(stale).get_latest_revision().publish(user=make_moderator())

    stale = _reload(stale)
    assert stale.summary == "A longer walk over the heath."
    assert stale.last_reviewed == timezone.localdate()


def test_confirm_page_without_javascript_changes_nothing_until_posted(client, listings):
    stale = listings["stale"]
    sign_in_verified(client, listings["poole_editor"])
    response = client.get(_confirm_url(stale), {"next": "/admin/"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert _reload(stale).last_reviewed == stale.last_reviewed
    assert client.put(_confirm_url(stale)).status_code == 405


def test_confirm_needs_csrf(client, listings):
    csrf_client = Client(enforce_csrf_checks=True)
    sign_in_verified(csrf_client, listings["poole_editor"])
    assert csrf_client.post(_confirm_url(listings["stale"])).status_code == 403
    assert _reload(listings["stale"]).is_stale()


def test_only_the_organisations_editors_and_moderators_can_confirm(client, listings):
    stale = listings["stale"]
    sign_in_verified(client, listings["carers_editor"])
    assert client.get(_confirm_url(stale)).status_code == 404
    assert client.post(_confirm_url(stale)).status_code == 404
    assert _reload(stale).is_stale()

    client.logout()
    response = client.post(_confirm_url(stale))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert _reload(stale).is_stale()

    with pytest.raises(PermissionDenied):
        activity_confirm_accurate(activity=stale, user=listings["carers_editor"])

    sign_in_verified(client, make_moderator())
    client.post(_confirm_url(stale))
    assert not _reload(stale).is_stale()


def test_editors_find_the_button_on_their_activities(client, listings):
    sign_in_verified(client, listings["poole_editor"])
    stale = listings["stale"]
    explorer_html = client.get(reverse("wagtailadmin_explore", args=[listings["poole"].pk])).content.decode()
    assert _confirm_url(stale) in explorer_html
    assert "w-action#post" in explorer_html
    edit_html = client.get(reverse("wagtailadmin_pages:edit", args=[stale.pk])).content.decode()
    assert _confirm_url(stale) in edit_html
    # Not offered on the organisation itself.
    org_html = client.get(reverse("wagtailadmin_pages:edit", args=[listings["poole"].pk])).content.decode()
    assert "Still accurate" not in org_html


# The moderators' report -----------------------------------------------------------------------

REPORT = "directory_stale_listings"


def test_report_lists_stale_activities_oldest_first(client, listings):
    send_stale_reminders()
    sign_in_verified(client, make_moderator())
    response = client.get(reverse(REPORT))
    assert response.status_code == 200
    html = response.content.decode()

    titles = ["Beach walk", "Carers cafe", "Quiet reading", "Heath walk"]
    positions = [html.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "Harbour walk" not in html and "Winter walk" not in html
    assert "Dorchester Carers" in html and "Quiet Club" in html
    assert "Yes, since" in html and "No, hidden from" in html
    assert "Not yet" in html  # Quiet Club has no one to remind
    assert listings["hidden"].last_reviewed.strftime("%-d %b %Y") in html

    assert client.get(reverse("directory_stale_listings_results")).status_code == 200
    csv = client.get(reverse(REPORT), {"export": "csv"}).getvalue().decode()
    assert "Beach walk" in csv and "Poole Walkers" in csv


def test_report_is_for_moderators(client, listings):
    sign_in_verified(client, listings["poole_editor"])
    assert_denied(client.get(reverse(REPORT)))
    assert reverse(REPORT) not in client.get(reverse("wagtailadmin_home")).content.decode()

    sign_in_verified(client, make_moderator())
    assert reverse(REPORT) in client.get(reverse("wagtailadmin_home")).content.decode()


def test_confirmed_listing_leaves_the_report(client, listings):
    sign_in_verified(client, listings["poole_editor"])
    client.post(_confirm_url(listings["hidden"]))
    moderator = Client()
    sign_in_verified(moderator, make_moderator())
    html = moderator.get(reverse(REPORT)).content.decode()
    assert "Heath walk" in html
    assert "Beach walk" not in html
