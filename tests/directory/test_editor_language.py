"""The listing editor speaks a volunteer's language, and the moderator sees real changes only
(issue 15): needs grouped under their top-level need, times in 5-minute steps, UK dates, plain
help text, "Submit for review" as the main button of an editor who cannot publish, and a
comparison that neither marks an unchanged description as changed nor runs times together."""

import re
from datetime import date, time

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from wagtail.models import Workflow

from directory.models import ActivityPage, NeedTerm
from factories.directory import make_activity, make_organisation, make_venue
from tests.accounts import sign_in_verified
from tests.directory.test_moderation import _edit_url
from tests.directory.test_permissions import form_data, make_editor, make_moderator

# As the demo, imports and earlier versions stored it: not in the editor's own form (the
# newline between the blocks), which the editor's first save rewrites.
STORED_DESCRIPTION = "<p>We walk <b>around</b> the harbour.</p>\n<ul><li>Tea afterwards</li></ul>"
JARGON = re.compile(r"open referral|\boruk\b|taxonomy|\bslug\b|\burls?\b|meta description|title tag", re.IGNORECASE)


@pytest.fixture
def moderation_workflow(home):
    """The workflow ``setup_site`` puts on the directory (tests/directory/test_moderation.py checks its task)."""
    from directory.setup import WORKFLOW_NAME

    return Workflow.objects.get(name=WORKFLOW_NAME)


@pytest.fixture
def poole(home):
    return make_organisation("Poole Walkers")


@pytest.fixture
def editor(poole):
    return make_editor(poole, "poole-editor")


@pytest.fixture
def moderator(home):
    return make_moderator()


@pytest.fixture
def walk(poole):
    befriending = NeedTerm.objects.get(name="Befriending")
    return make_activity(
        poole,
        "Harbour walk",
        venue=make_venue("Harbour hall"),
        needs=[befriending],
        description=STORED_DESCRIPTION,
        last_reviewed=date(2026, 8, 11),
        sessions=[{"venue": None, "start_time": time(10, 30), "end_time": time(11, 0), "valid_from": date(2026, 1, 6)}],
    )


def _soup(client, page) -> BeautifulSoup:
    response = client.get(_edit_url(page))
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _text(element) -> str:
    return " ".join(element.get_text(" ").split())


def test_needs_are_grouped_under_their_top_level_need(client, walk, editor):
    sign_in_verified(client, editor)
    soup = _soup(client, walk)
    groups = {
        _text(fieldset.legend): [_text(label) for label in fieldset.find_all("label")]
        for fieldset in soup.select(".signpost-needs fieldset")
    }
    assert soup.find("link", href=re.compile(r"css/admin_editor\.css")), "the groups' stylesheet comes with the widget"
    # Every area is a group with a legend, in name order, and every need is in exactly one.
    top_level = sorted(NeedTerm.objects.filter(parent=None).values_list("name", flat=True), key=str.casefold)
    assert list(groups) == top_level
    assert sum(len(items) for items in groups.values()) == NeedTerm.objects.count()
    # Each group: its own term ("…, in general") first, then its sub-needs by name, without
    # the area repeated in front of every item.
    loneliness = groups["Loneliness and isolation"]
    children = sorted(
        NeedTerm.objects.filter(parent__name="Loneliness and isolation").values_list("name", flat=True), key=str.casefold
    )
    assert loneliness == ["Loneliness and isolation, in general", *children]
    assert "Befriending" in loneliness and not any("›" in item for items in groups.values() for item in items)
    # The chosen need is ticked, in its group.
    befriending = soup.find("label", string=re.compile(r"^\s*Befriending\s*$")) or next(
        label for label in soup.select(".signpost-needs label") if _text(label) == "Befriending"
    )
    assert befriending.find("input", type="checkbox").has_attr("checked")


def test_saving_the_grouped_needs_keeps_the_choice(client, walk, editor):
    sign_in_verified(client, editor)
    response = client.get(_edit_url(walk))
    data = form_data(response, "page-edit-form")
    cycling = NeedTerm.objects.get(name="Cycling")
    data["needs"] = [str(cycling.pk)]
    assert client.post(_edit_url(walk), data).status_code == 302
    draft = ActivityPage.objects.get(pk=walk.pk).get_latest_revision_as_object()
    assert list(draft.needs.all()) == [cycling]


def test_session_times_in_five_minute_steps_and_dates_in_uk_style(client, walk, editor):
    sign_in_verified(client, editor)
    soup = _soup(client, walk)
    start = soup.find("input", attrs={"name": "sessions-0-start_time"})
    end = soup.find("input", attrs={"name": "sessions-0-end_time"})
    for field, value in ((start, "10:30"), (end, "11:00")):
        assert field["type"] == "time" and field["step"] == "300" and field["value"] == value
    assert soup.find("input", attrs={"name": "sessions-0-valid_from"})["value"] == "06/01/2026"
    assert soup.find("input", attrs={"name": "last_reviewed"})["value"] == "11/08/2026"


def test_a_uk_date_typed_by_the_editor_is_read_day_first(client, walk, editor):
    sign_in_verified(client, editor)
    data = form_data(client.get(_edit_url(walk)), "page-edit-form")
    data["sessions-0-valid_from"] = ["03/02/2026"]  # 3 February, not 2 March
    data["sessions-0-start_time"] = ["09:05"]
    assert client.post(_edit_url(walk), data).status_code == 302
    session = ActivityPage.objects.get(pk=walk.pk).get_latest_revision_as_object().sessions.get()
    assert str(session.valid_from) == "2026-02-03"
    assert str(session.start_time).startswith("09:05")


def test_help_texts_are_in_a_volunteers_words(client, walk, editor, moderator):
    sign_in_verified(client, editor)
    soup = _soup(client, walk)
    form = soup.find("form", id="page-edit-form")
    words = [
        _text(element).rstrip(" *")
        for element in form.select("label, legend, .w-field__help, .help, [id$='-helptext'], h2")
        if _text(element)
    ]
    assert "What it helps with" in words and "Web address" in words
    assert [text for text in words if JARGON.search(text)] == []
    assert form.find("input", attrs={"name": "oruk_id"}) is None, "the listing's ORUK id is the moderators' business"

    # The moderator still sees (and may correct) the id other directories know the listing by.
    sign_in_verified(client, moderator)
    assert _soup(client, walk).find("input", attrs={"name": "oruk_id"}) is not None


def _default_action(client, page):
    response = client.get(_edit_url(page))
    menu = response.context["action_menu"]
    return menu.default_item.name, BeautifulSoup(response.content, "html.parser")


def test_an_editor_who_cannot_publish_has_submit_for_review_as_the_main_button(client, walk, editor, moderation_workflow):
    sign_in_verified(client, editor)
    name, soup = _default_action(client, walk)
    assert name == "action-submit"
    footer = soup.select_one("footer")
    buttons = [_text(button) for button in footer.find_all("button", type="submit")]
    assert buttons[0] == "Submit for review", buttons
    assert "Save draft" in [text.capitalize() for text in buttons[1:]]


def test_an_editor_who_can_publish_keeps_publish(client, home, moderation_workflow):
    trusted = make_organisation("Poole Men's Shed", trusted=True)
    activity = make_activity(trusted, "Woodwork")
    sign_in_verified(client, make_editor(trusted, "shed-editor"))
    name, soup = _default_action(client, activity)
    assert name != "action-submit"
    assert soup.find("button", attrs={"name": "action-publish"}) is not None
    assert "Submit for review" not in soup.get_text()


def _comparison_rows(client, page, revision_a, revision_b) -> dict[str, str]:
    url = reverse("wagtailadmin_pages:revisions_compare", args=[page.pk, revision_a, revision_b])
    response = client.get(url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    rows = {}
    for row in soup.select("table.listing tbody > tr"):
        title = row.find("td", class_="title")
        if title is not None:
            rows[_text(title).rstrip(":")] = _text(row.find("td", class_="comparison"))
    return rows


def _submit(client, page, **changes):
    data = form_data(client.get(_edit_url(page)), "page-edit-form")
    data.update({name: [value] for name, value in changes.items()})
    data["action-submit"] = ["1"]
    response = client.post(_edit_url(page), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    page.refresh_from_db()
    return page.latest_revision_id


def test_a_title_change_does_not_mark_the_description_changed(client, walk, editor, moderator, moderation_workflow):
    sign_in_verified(client, editor)
    revision = _submit(client, walk, title="Harbour walk and picnic")

    sign_in_verified(client, moderator)
    rows = _comparison_rows(client, walk, "live", revision)
    assert list(rows) == ["Title"], "only the title changed; the description went through the editor unchanged"


def test_changed_times_are_shown_apart_one_line_per_session(client, walk, editor, moderator, moderation_workflow):
    sign_in_verified(client, editor)
    revision = _submit(client, walk, **{"sessions-0-start_time": "10:45", "sessions-0-end_time": "11:30"})

    sign_in_verified(client, moderator)
    rows = _comparison_rows(client, walk, "live", revision)
    assert list(rows) == ["Sessions"]
    assert "Time 10:30 – 11:00 → , now 10:45 – 11:30" in rows["Sessions"]
    assert "10:30:00" not in rows["Sessions"] and "6 January 2026" in rows["Sessions"]


def test_a_real_change_to_the_description_is_shown(client, walk, editor, moderator, moderation_workflow):
    # The HTML the editor would post, in the editor's own (content state) form.
    widget = ActivityPage._meta.get_field("description").formfield().widget
    changed = widget.format_value(STORED_DESCRIPTION.replace("Tea afterwards", "Tea and cake afterwards"))
    sign_in_verified(client, editor)
    revision = _submit(client, walk, description=changed)

    sign_in_verified(client, moderator)
    rows = _comparison_rows(client, walk, "live", revision)
    assert list(rows) == ["Description"]
    assert "cake" in rows["Description"]
