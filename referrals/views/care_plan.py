"""The care and support plan's pages: the link worker's plan (what matters, goals, actions), its
history, the letter to print, sending the person a copy; and the person's own page, reached by the
link in a text (no account; signed, expiring).

Every page is a plain form posting to a URL and redirecting back (no JavaScript). Who may see and
change the plan is ``referrals.permissions``; the changes are ``referrals.care_plans``.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from referrals import care_plans, permissions
from referrals.audit import audit_view
from referrals.choices import Channel, StaffRole
from referrals.errors import ReferralError
from referrals.forms.care_plan import (
    ActionForm,
    GoalForm,
    WhatMattersForm,
    add_plan_error,
)
from referrals.outcomes import LinkExpired
from referrals.views.common import refusal_message, staff_view

TEAM = (StaffRole.LINK_WORKER, StaffRole.TRIAGE)


def _referral(request, pk, *, what: str):
    """The referral, if the actor may see its plan (404 for a referral they cannot see at all, 403 for
    one they see but whose plan is not theirs); the look is audited."""
    referral = (
        permissions.team_referrals_visible_to(request.actor)
        .select_related("resident", "service", "link_worker")
        .filter(pk=pk).first()
    )
    if referral is None:
        raise Http404("No referral here.")
    permissions.check_may_see_care_plan(request.actor, referral)
    audit_view(request.actor, what=what, referral=referral, request=request)
    return referral


def _plan_or_404(referral):
    plan = care_plans.plan_for(referral)
    if plan is None:
        raise Http404("This person has no plan yet.")
    return plan


def _plan_url(referral, anchor: str = "") -> str:
    return reverse("referrals:care_plan", kwargs={"pk": referral.pk}) + (f"#{anchor}" if anchor else "")


def _refused(form, error: ReferralError) -> None:
    add_plan_error(form, error.field, refusal_message(error))


def _saved(request, form, change, *, message: str, url: str):
    """``change(cleaned_data)`` if the form is valid: the redirect to ``url`` when it is made, else
    None with the refusal on the form (the caller shows the form again)."""
    if not form.is_valid():
        return None
    try:
        change(form.cleaned_data)
    except ReferralError as error:
        _refused(form, error)
        return None
    messages.success(request, message)
    return redirect(url)


# The plan -------------------------------------------------------------------------------------


@staff_view(*TEAM)
def plan_page(request, pk):
    referral = _referral(request, pk, what="care and support plan")
    return _render_plan(request, referral)


def _render_plan(request, referral, *, failed: tuple[str, object] | None = None, status: int = 200):
    plan = care_plans.plan_for(referral)
    failed_name, failed_form = failed or (None, None)
    goals = list(plan.goals.all()) if plan else []
    forms = {
        "what_form": WhatMattersForm(prefix="what", initial={"what_matters": plan.what_matters if plan else ""}),
        "goal_form": GoalForm(prefix="goal"),
        "action_form": ActionForm(prefix="action", goals=goals),
    }
    if failed_name:
        forms[failed_name] = failed_form
    due = set(care_plans.goals_due_for_review(plan).values_list("pk", flat=True)) if plan else set()
    return render(request, "referrals/care_plan/plan.html", {
        "referral": referral,
        "resident": referral.resident,
        "plan": plan,
        "goals": [{"goal": goal, "due": goal.pk in due} for goal in goals],
        "actions": list(plan.actions.select_related("goal")) if plan else [],
        "connections": care_plans.plan_connections(referral),
        "can_change": permissions.may_change_care_plan(request.actor, referral),
        "failed_form": failed_form,
        "versions": plan.versions.count() if plan else 0,
        "route": referral.resident.get_preferred_contact_display(),
        "link_days": care_plans.link_days(),
        **forms,
    }, status=status)


@require_POST
@staff_view(*TEAM)
def plan_start(request, pk):
    referral = _referral(request, pk, what="care and support plan")
    care_plans.care_plan_start(referral=referral, actor=request.actor)
    messages.success(request, "Plan started.")
    return redirect(_plan_url(referral))


@require_POST
@staff_view(*TEAM)
def what_matters_change(request, pk):
    referral = _referral(request, pk, what="care and support plan")
    form = WhatMattersForm(request.POST, prefix="what")
    saved = _saved(request, form, lambda data: care_plans.care_plan_change_what_matters(
        referral=referral, actor=request.actor, what_matters=data["what_matters"]),
        message="What matters to the person saved.", url=_plan_url(referral, "what-matters"))
    return saved or _render_plan(request, referral, failed=("what_form", form))


@require_POST
@staff_view(*TEAM)
def goal_add(request, pk):
    referral = _referral(request, pk, what="care and support plan")
    form = GoalForm(request.POST, prefix="goal")
    saved = _saved(request, form, lambda data: care_plans.goal_add(
        referral=referral, actor=request.actor, description=data["description"], status=data["status"],
        review_on=data["review_on"]), message="Goal added.", url=_plan_url(referral, "goals"))
    return saved or _render_plan(request, referral, failed=("goal_form", form))


@staff_view(*TEAM)
def goal_edit(request, pk, goal_id):
    referral = _referral(request, pk, what="care and support plan: a goal")
    plan = _plan_or_404(referral)
    goal = plan.goals.filter(pk=goal_id).first()
    if goal is None:
        raise Http404("No such goal.")
    permissions.check_may_change_care_plan(request.actor, referral)
    if request.method == "POST":
        form = GoalForm(request.POST, prefix="goal")
        saved = _saved(request, form, lambda data: care_plans.goal_edit(
            referral=referral, actor=request.actor, goal_id=goal.pk, description=data["description"],
            status=data["status"], review_on=data["review_on"]),
            message="Goal saved.", url=_plan_url(referral, "goals"))
        if saved:
            return saved
    else:
        form = GoalForm(prefix="goal", initial={"description": goal.description, "status": goal.status,
                                                **GoalForm.initial_for(goal.review_on)})
    return render(request, "referrals/care_plan/goal_edit.html",
                  {"referral": referral, "resident": referral.resident, "goal": goal, "form": form})


@require_POST
@staff_view(*TEAM)
def action_add(request, pk):
    referral = _referral(request, pk, what="care and support plan")
    plan = _plan_or_404(referral)
    form = ActionForm(request.POST, prefix="action", goals=plan.goals.all())
    saved = _saved(request, form, lambda data: care_plans.action_add(
        referral=referral, actor=request.actor, description=data["description"], who=data["who"],
        due_on=data["due_on"], goal_id=data["goal"] or None),
        message="Action added.", url=_plan_url(referral, "actions"))
    return saved or _render_plan(request, referral, failed=("action_form", form))


@staff_view(*TEAM)
def action_edit(request, pk, action_id):
    referral = _referral(request, pk, what="care and support plan: an action")
    plan = _plan_or_404(referral)
    action = plan.actions.filter(pk=action_id).first()
    if action is None:
        raise Http404("No such action.")
    permissions.check_may_change_care_plan(request.actor, referral)
    goals = plan.goals.all()
    if request.method == "POST":
        form = ActionForm(request.POST, prefix="action", goals=goals)
        saved = _saved(request, form, lambda data: care_plans.action_edit(
            referral=referral, actor=request.actor, action_id=action.pk, description=data["description"],
            who=data["who"], due_on=data["due_on"], goal_id=data["goal"] or None),
            message="Action saved.", url=_plan_url(referral, "actions"))
        if saved:
            return saved
    else:
        form = ActionForm(prefix="action", goals=goals, initial={
            "description": action.description, "who": action.who, "goal": str(action.goal_id or ""),
            **ActionForm.initial_for(action.due_on)})
    return render(request, "referrals/care_plan/action_edit.html",
                  {"referral": referral, "resident": referral.resident, "action": action, "form": form})


@require_POST
@staff_view(*TEAM)
def action_done(request, pk, action_id):
    referral = _referral(request, pk, what="care and support plan")
    plan = _plan_or_404(referral)
    if not plan.actions.filter(pk=action_id).exists():
        raise Http404("No such action.")
    try:
        care_plans.action_mark_done(referral=referral, actor=request.actor, action_id=action_id)
    except ReferralError as error:
        messages.error(request, refusal_message(error))
    else:
        messages.success(request, "Action marked as done.")
    return redirect(_plan_url(referral, "actions"))


# History ------------------------------------------------------------------------------------


@staff_view(*TEAM)
def history(request, pk):
    referral = _referral(request, pk, what="care and support plan: history")
    plan = _plan_or_404(referral)
    return render(request, "referrals/care_plan/history.html", {
        "referral": referral, "resident": referral.resident, "versions": list(care_plans.versions_of(plan)),
    })


@staff_view(*TEAM)
def version(request, pk, number):
    referral = _referral(request, pk, what="care and support plan: an earlier version")
    plan = _plan_or_404(referral)
    kept = plan.versions.filter(number=number).first()
    if kept is None:
        raise Http404("No such version.")
    return render(request, "referrals/care_plan/version.html", {
        "referral": referral, "resident": referral.resident, "version": kept, "content": _readable(kept.content),
        "latest": plan.versions.order_by("-number").values_list("number", flat=True).first(),
    })


def _readable(content) -> dict:
    """A version's content with its dates as dates, so the page shows them as "4 May 2026"."""
    content = dict(content or {})

    def dated(items, *names):
        for item in items:
            item = dict(item)
            for name in names:
                try:
                    item[name] = date.fromisoformat(item[name][:10]) if item.get(name) else None
                except (TypeError, ValueError):
                    item[name] = None
            yield item

    content["goals"] = list(dated(content.get("goals") or [], "review_on"))
    content["actions"] = list(dated(content.get("actions") or [], "due_on", "done_at"))
    return content


# The person's copy ----------------------------------------------------------------------------


@staff_view(*TEAM)
def letter(request, pk):
    referral = _referral(request, pk, what="care and support plan: letter to print")
    plan = _plan_or_404(referral)
    return render(request, "referrals/care_plan/letter.html", {
        "referral": referral, "resident": referral.resident, "copy": care_plans.plain_copy(plan),
    })


_SENT = {
    Channel.EMAIL: "A copy of the plan is on its way to the person by email.",
    Channel.TEXT: "A text with a link to the plan is on its way to the person. The link works for {days} days.",
    Channel.LETTER_TASK: "The person prefers a letter: posting them the printed plan is on your list of tasks.",
    Channel.PHONE_TASK: "The person prefers a phone call: going through the plan with them (and offering to post "
                        "the printed letter) is on your list of tasks.",
}


@require_POST
@staff_view(*TEAM)
def send_copy(request, pk):
    referral = _referral(request, pk, what="care and support plan")
    try:
        sent = care_plans.care_plan_copy_send(referral=referral, actor=request.actor)
    except ReferralError as error:
        messages.error(request, refusal_message(error))
    else:
        messages.success(request, _SENT.get(sent.channel, "A copy is on its way.").format(days=care_plans.link_days()))
    return redirect(_plan_url(referral, "copy"))


@never_cache
def public_copy(request, token: str):
    """The person's copy, through the link in their text: the plan and nothing else."""
    try:
        plan, actor = care_plans.copy_link_actor(token)
    except LinkExpired as error:
        response = render(request, "referrals/care_plan/public_expired.html", {"message": error.message}, status=410)
        return _private(response)
    except ReferralError:
        # Altered or made up: nothing here, as for any other address that does not exist.
        return _private(render(request, "referrals/care_plan/public_not_found.html", status=404))
    audit_view(actor, what="care and support plan: the person's copy (link)", referral=plan.referral,
               request=None)
    return _private(render(request, "referrals/care_plan/public.html", {"copy": care_plans.plain_copy(plan)}))


def _private(response):
    # The token is in the address: keep it out of other sites' logs, search engines and caches.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# Included at "referrals/", beside the referral page.
referral_urlpatterns = [
    path("<id:pk>/plan/", plan_page, name="care_plan"),
    path("<id:pk>/plan/start/", plan_start, name="care_plan_start"),
    path("<id:pk>/plan/what-matters/", what_matters_change, name="care_plan_what_matters"),
    path("<id:pk>/plan/goals/", goal_add, name="care_plan_goal_add"),
    path("<id:pk>/plan/goals/<id:goal_id>/", goal_edit, name="care_plan_goal"),
    path("<id:pk>/plan/actions/", action_add, name="care_plan_action_add"),
    path("<id:pk>/plan/actions/<id:action_id>/", action_edit, name="care_plan_action"),
    path("<id:pk>/plan/actions/<id:action_id>/done/", action_done, name="care_plan_action_done"),
    path("<id:pk>/plan/history/", history, name="care_plan_history"),
    path("<id:pk>/plan/history/<id:number>/", version, name="care_plan_version"),
    path("<id:pk>/plan/letter/", letter, name="care_plan_letter"),
    path("<id:pk>/plan/send/", send_copy, name="care_plan_send"),
]

# Included at "your-plan/": the person's page, public, reached only by a signed link.
public_urlpatterns = [
    path("<str:token>/", public_copy, name="care_plan_public"),
]
