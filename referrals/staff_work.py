"""Each member of staff's work, built in one place: the role home, the staff menu on Signpost's pages, and the
same links in the Wagtail admin (its menu and its dashboard).

A role's work is a ``WorkArea``: its main page (the caseload, the triage queue, the provider's inbox, the
reports, the listings in Wagtail), what waits there (a count, on the home and the Wagtail dashboard only,
so every other page stays as quick as it was), and at most one more link. Which areas a person has is
decided here, from their ``Actor`` and ``referrals.permissions``, so the home, both menus and the page
gates agree: nobody is offered a link their role cannot open.

Apps above referrals add their own areas without referrals naming them (as ``search.actions`` does for
search results): an app's ``staff_work`` module calls ``register_work(provider)``, and is found once,
the first time anyone's work is asked for. Reporting adds "Reports" that way.

After signing in with no particular page asked for, a person with one area goes straight to it (a home
with a single card would be one more step to the same place); a person with several lands on the home
(``landing_url``). The home itself always answers, with one card or several, so "Your work" in the menu
never bounces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from django.db.models import Q
from django.urls import reverse
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.models import Page, TaskState

from directory.selectors import directory_index, stale_activities
from referrals.alerts import open_alerts_for
from referrals.choices import ConnectionStatus, StaffRole
from referrals.choices import ReferralStatus as S
from referrals.models import Referral
from referrals.permissions import (
    REFERRER_ROLES,
    acts_as_any,
    provider_connections_visible_to,
    team_referrals_visible_to,
)
from referrals.roles import Actor
from referrals.workflow import OPEN


@dataclass(frozen=True)
class WorkLink:
    label: str
    url: str
    # Shown after the label on Signpost's own pages ("Listings (Wagtail)"): the link leaves for the admin.
    where: str = ""
    # The Wagtail admin's icon for the link in its menu.
    icon: str = "arrow-right"

    @property
    def in_admin(self) -> bool:
        return bool(self.where)


@dataclass(frozen=True)
class WorkArea:
    """One role's work: a card on the home, an entry (or two) in the menus."""

    key: str
    title: str
    main: WorkLink
    order: int
    # What waits there, in words ("3 open alerts"); counted only when asked (the home, the dashboard).
    waiting: str = ""
    count: int | None = None
    description: str = ""
    more: tuple[WorkLink, ...] = ()

    @property
    def links(self) -> tuple[WorkLink, ...]:
        return (self.main, *self.more)


WorkProvider = Callable[[Actor, bool], Iterable[WorkArea]]
_providers: list[WorkProvider] = []


def register_work(provider: WorkProvider) -> None:
    """``provider(actor, counted)`` returns the areas it offers ``actor`` (with their counts if ``counted``)."""
    _providers.append(provider)


@cache
def _discover() -> None:
    # Every app's ``staff_work`` module (this one registers referrals' own areas below).
    autodiscover_modules("staff_work")


def work_for(actor: Actor, *, counted: bool = False) -> list[WorkArea]:
    """The areas of work ``actor`` may open, in a fixed order (caseload, triage, inbox, reports, listings)."""
    if actor.user is None:
        return []
    _discover()
    areas = [area for provider in _providers for area in provider(actor, counted)]
    return sorted(areas, key=lambda area: area.order)


def home_link() -> WorkLink:
    return WorkLink(_("Your work"), reverse("referrals:staff_home"), icon="home")


def menu_for(actor: Actor) -> list[WorkLink]:
    """The staff menu: the home, then each area's links. Empty for someone with no staff work."""
    areas = work_for(actor)
    if not areas:
        return []
    return [home_link(), *(link for area in areas for link in area.links)]


def landing_url(actor: Actor) -> str:
    """Where signing in leads when no particular page was asked for: the one area, or the home."""
    areas = work_for(actor)
    if len(areas) == 1:
        return areas[0].main.url
    if areas:
        return reverse("referrals:staff_home")
    return reverse("wagtailadmin_home")


# Referrals' own areas ---------------------------------------------------------------------


def _counted(count: int, singular: str, plural: str) -> str:
    return ngettext(singular, plural, count) % {"count": count}


def _caseload(actor: Actor, counted: bool) -> Iterable[WorkArea]:
    if not acts_as_any(actor, (StaffRole.LINK_WORKER,)):
        return
    count, waiting, description = None, "", _("The people referred to you, and what needs doing next.")
    if counted:
        mine = Referral.objects.filter(link_worker_id=actor.user_id)
        count = open_alerts_for(actor).filter(referral__in=mine).count()
        people = team_referrals_visible_to(actor, mine).filter(status__in=sorted(OPEN)).count()
        waiting = _counted(count, "%(count)s open alert", "%(count)s open alerts")
        description = _counted(people, "%(count)s open referral on your caseload",
                               "%(count)s open referrals on your caseload")
    yield WorkArea(
        key="caseload",
        title=_("Your caseload"),
        main=WorkLink(_("My caseload"), reverse("referrals:caseload"), icon="list-ul"),
        order=10,
        count=count,
        waiting=waiting,
        description=description,
        more=(WorkLink(_("Find activities with a person"), reverse("search:find_for_link_workers"), icon="search"),),
    )


def _triage(actor: Actor, counted: bool) -> Iterable[WorkArea]:
    if not acts_as_any(actor, (StaffRole.TRIAGE,)):
        return
    count = None
    if counted:
        count = team_referrals_visible_to(actor).filter(status=S.RECEIVED).count()
    more = (WorkLink(_("New referral"), reverse("referrals:new_referral"), icon="plus"),) if acts_as_any(actor, REFERRER_ROLES) else ()
    yield WorkArea(
        key="triage",
        title=_("Triage"),
        main=WorkLink(_("Triage queue"), reverse("referrals:triage_queue"), icon="tasks"),
        order=20,
        count=count,
        waiting=_counted(count, "%(count)s referral waiting for triage", "%(count)s referrals waiting for triage")
        if counted else "",
        description=_("New referrals to check and allocate to a link worker."),
        more=more,
    )


def _inbox(actor: Actor, counted: bool) -> Iterable[WorkArea]:
    if not acts_as_any(actor, (StaffRole.PROVIDER,)):
        return
    count = None
    if counted:
        # New: sent and not yet answered, on a referral still open (a closed one shows as withdrawn).
        count = (
            provider_connections_visible_to(actor)
            .filter(status=ConnectionStatus.SENT_TO_PROVIDER, referral__status__in=sorted(OPEN))
            .count()
        )
    yield WorkArea(
        key="inbox",
        title=_("Referrals to your organisation"),
        main=WorkLink(_("Referrals inbox"), reverse("referrals:provider_inbox"), icon="mail"),
        order=30,
        count=count,
        waiting=_counted(count, "%(count)s new referral", "%(count)s new referrals") if counted else "",
        description=_("Accept referrals, book the first session and record attendance."),
    )


def _listings(actor: Actor, counted: bool) -> Iterable[WorkArea]:
    """An organisation's editors: their listings, in the Wagtail admin."""
    if not actor.organisation_ids:
        return
    organisation_ids = sorted(actor.organisation_ids)
    # One organisation: its own pages; several: the directory, where each of theirs is listed.
    if len(organisation_ids) == 1:
        url = reverse("wagtailadmin_explore", args=[organisation_ids[0]])
    else:
        index = directory_index()
        url = reverse("wagtailadmin_explore", args=[index.pk]) if index else reverse("wagtailadmin_explore_root")
    count = None
    if counted:
        count = stale_activities().filter(_under(organisation_ids)).count()
    yield WorkArea(
        key="listings",
        title=_("Your listings"),
        main=WorkLink(_("Listings"), url, where="Wagtail", icon="doc-full"),
        order=50,
        count=count,
        waiting=_counted(count, "%(count)s listing to check is still right",
                         "%(count)s listings to check are still right") if counted else "",
        description=_("Keep your activities' times, places and contact details up to date."),
    )


def _under(page_ids) -> Q:
    """Pages under (or at) any of ``page_ids``, by their tree paths."""
    under = Q(pk__in=[])
    for path in Page.objects.filter(pk__in=page_ids).values_list("path", flat=True):
        under |= Q(path__startswith=path)
    return under


def _moderation(actor: Actor, counted: bool) -> Iterable[WorkArea]:
    """Directory moderators (and administrators): changes to review, in the Wagtail admin."""
    if not acts_as_any(actor, (StaffRole.MODERATOR,)):
        return
    count = TaskState.objects.reviewable_by(actor.user).count() if counted else None
    yield WorkArea(
        key="review",
        title=_("Listings to review"),
        # The dashboard lists the changes awaiting the person's review, first.
        main=WorkLink(_("Review listings"), reverse("wagtailadmin_home"), where="Wagtail", icon="check"),
        order=60,
        count=count,
        waiting=_counted(count, "%(count)s change waiting for review", "%(count)s changes waiting for review")
        if counted else "",
        description=_("Approve editors' changes and follow up listings nobody has checked lately."),
        more=(WorkLink(_("Stale listings"), reverse("directory_stale_listings"), where="Wagtail", icon="time"),),
    )


for _provider in (_caseload, _triage, _inbox, _listings, _moderation):
    register_work(_provider)
