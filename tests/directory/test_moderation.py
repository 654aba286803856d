"""Untrusted organisations' edits wait for a directory moderator; trusted ones publish directly."""

import pytest
from django.urls import reverse
from wagtail.models import GroupPagePermission, PageLogEntry, Workflow

from factories.directory import make_activity, make_organisation
from directory.models import ActivityPage
from tests.accounts import sign_in_verified
from tests.directory.test_permissions import assert_denied, form_data, make_editor, make_moderator


@pytest.fixture
def moderation_workflow(home):
    """The workflow ``setup_site`` puts on the directory, which must hold the moderators' task."""
    from directory.setup import WORKFLOW_NAME

    workflow = Workflow.objects.get(name=WORKFLOW_NAME)
    if not workflow.workflow_tasks.exists():
        pytest.fail(
            f"The {WORKFLOW_NAME!r} workflow has no task, so submitting a page publishes it at once (or, "
            "for an editor without publish permission, is refused). directory/setup.py adds the task with "
            "workflow.workflow_tasks.create(), which modelcluster keeps in memory and never saves; use "
            "WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)."
        )
    return workflow


@pytest.fixture
def poole(home):
    return make_organisation("Poole Walkers")


@pytest.fixture
def walk(poole):
    return make_activity(poole, "Harbour walk")


@pytest.fixture
def editor(poole):
    return make_editor(poole, "poole-editor")


@pytest.fixture
def moderator(home):
    return make_moderator()


def _edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def _edit(client, page, action: str | None, **changes):
    """Open the page's edit form as a browser would, change fields and press ``action``."""
    response = client.get(_edit_url(page))
    assert response.status_code == 200
    data = form_data(response, "page-edit-form")
    data.update({name: [value] for name, value in changes.items()})
    if action:
        data[f"action-{action}"] = ["1"]
    response = client.post(_edit_url(page), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return response


def _can_publish(user, page) -> bool:
    return page.permissions_for_user(user).can_publish()


def _public_html(client, page) -> str:
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


def test_untrusted_editor_submits_and_the_change_waits_for_a_moderator(
    client, moderation_workflow, walk, editor, moderator
):
    sign_in_verified(client, editor)
    html = client.get(_edit_url(walk)).content.decode()
    assert "Submit for review" in html  # the main button (directory.editing)
    assert 'name="action-publish"' not in html

    _edit(client, walk, "submit", title="Harbour walk and picnic")

    walk.refresh_from_db()
    assert walk.title == "Harbour walk"
    assert walk.workflow_in_progress
    assert walk.current_workflow_task.name == "Directory moderator approval"
    client.logout()
    assert "Harbour walk and picnic" not in _public_html(client, walk)

    # Neither the editor nor another organisation's editor can approve it.
    other = make_editor(make_organisation("Dorchester Carers"), "carers-editor")
    task_state = walk.current_workflow_task_state
    approve = reverse("wagtailadmin_pages:workflow_action", args=[walk.pk, "approve", task_state.pk])
    for user in (editor, other):
        sign_in_verified(client, user)
        assert_denied(client.post(approve, {}))
    walk.refresh_from_db()
    assert walk.title == "Harbour walk" and walk.workflow_in_progress

    sign_in_verified(client, moderator)
    assert "Harbour walk and picnic" in client.get(reverse("wagtailadmin_home")).content.decode()
    response = client.post(approve, {"comment": "Thanks"})
    assert response.status_code in (200, 302)

    walk.refresh_from_db()
    assert walk.title == "Harbour walk and picnic"
    assert not walk.workflow_in_progress
    client.logout()
    assert "Harbour walk and picnic" in _public_html(client, walk)


def test_untrusted_editor_posting_publish_only_saves_a_draft(client, walk, editor):
    sign_in_verified(client, editor)
    _edit(client, walk, "publish", title="Published behind the moderators' backs")

    walk.refresh_from_db()
    assert walk.title == "Harbour walk"
    assert walk.has_unpublished_changes
    assert not walk.workflow_in_progress
    assert not PageLogEntry.objects.filter(page=walk, action="wagtail.publish", user=editor).exists()
    client.logout()
    assert "behind the moderators" not in _public_html(client, walk)


def test_untrusted_editor_cannot_publish_a_new_activity(client, poole, editor):
    sign_in_verified(client, editor)
    add_url = reverse("wagtailadmin_pages:add", args=["directory", "activitypage", poole.pk])
    data = form_data(client.get(add_url), "page-edit-form")
    data.update(
        title=["Beach clean"],
        slug=["beach-clean"],
        summary=["We pick up litter on the beach."],
        **{"action-publish": ["1"]},
    )
    client.post(add_url, data)

    activity = ActivityPage.objects.get(slug="beach-clean")
    assert not activity.live


def test_trusted_editor_publishes_directly(client, home, moderator):
    trusted = make_organisation("Poole Men's Shed", trusted=True)
    activity = make_activity(trusted, "Woodwork")
    editor = make_editor(trusted, "shed-editor")
    sign_in_verified(client, editor)
    assert 'name="action-publish"' in client.get(_edit_url(activity)).content.decode()

    _edit(client, activity, "publish", title="Woodwork and repairs")

    activity.refresh_from_db()
    assert activity.title == "Woodwork and repairs"
    assert not activity.workflow_in_progress
    client.logout()
    assert "Woodwork and repairs" in _public_html(client, activity)


def _editors_can_publish(organisation) -> bool:
    return GroupPagePermission.objects.filter(
        group=organisation.editors, page=organisation, permission__codename="publish_page"
    ).exists()


def test_moderator_marks_an_organisation_trusted_and_back(client, poole, walk, editor, moderator):
    assert not _can_publish(editor, walk)
    sign_in_verified(client, moderator)

    _edit(client, poole, "publish", trusted="on")

    poole.refresh_from_db()
    assert poole.trusted
    assert _editors_can_publish(poole)
    assert _can_publish(type(editor).objects.get(pk=editor.pk), walk)

    data_without_trusted = form_data(client.get(_edit_url(poole)), "page-edit-form")
    data_without_trusted.pop("trusted")
    data_without_trusted["action-publish"] = ["1"]
    assert client.post(_edit_url(poole), data_without_trusted).status_code == 302

    poole.refresh_from_db()
    assert not poole.trusted
    assert not _editors_can_publish(poole)
    assert not _can_publish(type(editor).objects.get(pk=editor.pk), walk)


def test_trust_follows_the_published_revision_not_a_draft(client, poole, editor, moderator):
    sign_in_verified(client, moderator)
    _edit(client, poole, None, trusted="on")  # saved as a draft of the live page

    poole.refresh_from_db()
    assert not poole.trusted
    assert not _editors_can_publish(poole)

    # Publishing that revision later (from history, or on a schedule) saves the page.
    poole.get_latest_revision().publish(user=moderator)

    poole.refresh_from_db()
    assert poole.trusted
    assert _editors_can_publish(poole)


def test_moderator_approval_of_an_organisation_edit_keeps_it_untrusted(
    client, moderation_workflow, poole, editor, moderator
):
    """An editor's submission carries the current ``trusted`` value, which the editor cannot set."""
    sign_in_verified(client, editor)
    _edit(client, poole, "submit", description="Walks around Poole harbour, every week.", trusted="on")
    sign_in_verified(client, moderator)
    task_state = poole.current_workflow_task_state
    client.post(reverse("wagtailadmin_pages:workflow_action", args=[poole.pk, "approve", task_state.pk]), {})

    poole.refresh_from_db()
    assert poole.description == "Walks around Poole harbour, every week."
    assert not poole.trusted
    assert not _editors_can_publish(poole)
