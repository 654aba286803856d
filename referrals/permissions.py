"""Who may do what with referrals: the one policy that services, pages, the API, emailed links,
reports and templates ask.

- **Seeing.** A social prescribing service owns its referrals: its triage staff see all of
  them, its link workers their own caseload (and the referrals they made). A provider sees a
  referral only while it is with them, and only as a summary. Administrators and Signpost's own
  jobs see everything. Nothing crosses between services or organisations. An emailed link sees
  its one referral.
- **Steps.** ``referrals.workflow`` says which step can follow which status and which role owns
  it; ``may_take`` says whether this actor owns it for this referral (the triage team of its
  service, its allocated link worker, the provider it was sent to, Signpost's jobs).
- **New referrals** go into the service of the person (or token) making them.
- **Reports.** Commissioners and triage report on their own service, providers on what was sent
  to them, administrators on everything; commissioners see small counts hidden.
- **A resident's own data.** Exporting everything held about a resident (subject access) and
  erasing it are for people only (never a token or an emailed link): the triage staff and the
  administrators of the resident's own service. Link workers, providers and commissioners may not.

Who is acting (their roles, service and organisations) is ``referrals.roles``; this module
decides what that actor may do.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from directory.models import OrganisationPage
from referrals.choices import ReferralStatus, StaffRole
from referrals.errors import NotPermitted
from referrals.models import Connection, Notification, Referral, Resident, SocialPrescribingService
from referrals.roles import LINK_WORKERS_GROUP, RESIDENT_LINK, Actor
from referrals.workflow import (
    ALL_STEPS,
    PROVIDER_VISIBLE,
    SYSTEM,
    Transition,
    available_actions,
    available_connection_actions,
)

# Who keys in a new referral (into their own service).
REFERRER_ROLES = (StaffRole.TRIAGE, StaffRole.LINK_WORKER)
# Who opens the reports (administrators too).
REPORT_ROLES = (StaffRole.COMMISSIONER, StaffRole.TRIAGE, StaffRole.PROVIDER)


# Staff pages ------------------------------------------------------------------------------


def acts_as_any(actor: Actor, roles: Iterable[str]) -> bool:
    """Whether ``actor`` holds one of ``roles``; an administrator holds them all (each staff page's gate)."""
    return actor.is_administrator or any(actor.has_role(role) for role in roles)


def must_prove_second_factor(actor: Actor) -> bool:
    """Everyone who signs in proves a second factor (``referrals.middleware``); tokens and links do not sign in."""
    return actor.user is not None


def may_refer_to_activities(actor: Actor) -> bool:
    """Whether search results offer this person "Refer to this activity" (a link worker's caseload)."""
    return acts_as_any(actor, (StaffRole.LINK_WORKER,))


# Seeing referrals -------------------------------------------------------------------------


def _team(actor: Actor) -> Q:
    """The referrals ``actor`` sees as the social prescribing team: their service's as triage,
    their own caseload (and referrals they made) as a link worker."""
    team = Q(pk__in=[])
    if actor.has_role(StaffRole.TRIAGE) and actor.service_ids:
        team |= Q(service_id__in=actor.service_ids)
    if actor.has_role(StaffRole.LINK_WORKER) and actor.user_id:
        team |= Q(service_id__in=actor.service_ids) & (Q(link_worker_id=actor.user_id) | Q(referred_by_id=actor.user_id))
    return team


def _as_provider(actor: Actor) -> Q:
    """The referrals ``actor`` sees as a provider: those with a connection sent to their organisations."""
    if actor.has_role(StaffRole.PROVIDER) and actor.organisation_ids:
        return Q(pk__in=_provider_connections(actor.organisation_ids).values("referral_id"))
    return Q(pk__in=[])


def _provider_connections(organisation_ids, queryset: QuerySet | None = None) -> QuerySet:
    connections = Connection.objects.all() if queryset is None else queryset
    connections = connections.filter(provider__isnull=False, status__in=PROVIDER_VISIBLE)
    return connections if organisation_ids is None else connections.filter(provider_id__in=organisation_ids)


def referrals_visible_to(actor: Actor, queryset: QuerySet | None = None) -> QuerySet:
    """The referrals (of ``queryset``, or all) that ``actor`` may see in any way."""
    referrals = Referral.objects.all() if queryset is None else queryset
    if actor.is_administrator or actor.has_role(SYSTEM):
        return referrals
    referrals = referrals.filter(_team(actor) | _as_provider(actor))
    if actor.only_referral_id is not None:
        referrals = referrals.filter(pk=actor.only_referral_id)
    return referrals


def team_referrals_visible_to(actor: Actor, queryset: QuerySet | None = None) -> QuerySet:
    """The referrals ``actor`` sees as the social prescribing team, never those they see only as a
    provider: the team's pages show notes providers must not read."""
    referrals = referrals_visible_to(actor, queryset)
    if actor.is_administrator:
        return referrals
    return referrals.filter(_team(actor))


def provider_connections_visible_to(actor: Actor, queryset: QuerySet | None = None) -> QuerySet:
    """The connections ``actor`` sees as a provider (their inbox: one item per connection): those sent to
    their organisations (to any organisation, for an administrator). Someone who is also a link
    worker or in triage sees their other referrals on those pages, not here. An emailed link sees
    its one connection."""
    connections = _provider_connections(None if actor.is_administrator else actor.organisation_ids, queryset)
    if actor.only_connection_id is not None:
        connections = connections.filter(pk=actor.only_connection_id)
    return connections.filter(referral__in=referrals_visible_to(actor))


def provider_referrals_visible_to(actor: Actor, queryset: QuerySet | None = None) -> QuerySet:
    """The referrals with a connection ``actor`` sees as a provider."""
    referrals = Referral.objects.all() if queryset is None else queryset
    return referrals.filter(pk__in=provider_connections_visible_to(actor).values("referral_id"))


def sees_as_provider_only(actor: Actor, referral: Referral) -> bool:
    """True when the actor sees this referral only as its provider: the summary, never the notes."""
    if actor.is_administrator:
        return False
    if actor.has_role(StaffRole.TRIAGE) and referral.service_id in actor.service_ids:
        return False
    if actor.has_role(StaffRole.LINK_WORKER) and actor.user_id in (referral.link_worker_id, referral.referred_by_id):
        return False
    return True


def is_on_caseload_of(actor: Actor, referral: Referral) -> bool:
    """Whether ``referral`` is on the caseload of ``actor`` as its allocated link worker."""
    return actor.has_role(StaffRole.LINK_WORKER) and referral.link_worker_id is not None and (
        referral.link_worker_id == actor.user_id
    )


# Steps on a referral ----------------------------------------------------------------------


def _step(step: Transition | str) -> Transition:
    return ALL_STEPS[step] if isinstance(step, str) else step


def may_take(actor: Actor, referral: Referral, step: Transition | str, connection: Connection | None = None) -> bool:
    """Whether ``actor`` owns ``step`` (a transition or its action) for this referral (and, for a connection's
    step, this connection), whatever its status now. A provider owns a connection's steps only once it
    was sent to their organisation; a new connection (``connection`` None) is never theirs."""
    transition = _step(step)
    if actor.only_referral_id is not None and (
        actor.only_referral_id != referral.pk or transition.action not in actor.only_actions
    ):
        return False
    if actor.only_connection_id is not None and (connection is None or connection.pk != actor.only_connection_id):
        return False
    for owner in transition.owners:
        if owner == SYSTEM and actor.has_role(SYSTEM):
            return True
        if owner == StaffRole.TRIAGE and actor.has_role(owner) and referral.service_id in actor.service_ids:
            return True
        if owner == StaffRole.LINK_WORKER and is_on_caseload_of(actor, referral):
            return True
        if (owner == StaffRole.PROVIDER and actor.has_role(owner) and connection is not None
                and connection.provider_id in actor.organisation_ids):
            return True
    return False


def check_may_take(actor: Actor, referral: Referral, step: Transition | str,
                   connection: Connection | None = None) -> None:
    """Refuse (``NotPermitted``) a step ``actor`` does not own for this referral (or connection)."""
    transition = _step(step)
    if not may_take(actor, referral, transition, connection):
        raise NotPermitted(f"You cannot do this step ({transition.label or transition.action}) for this referral.")


def can(actor: Actor, referral: Referral, step: Transition | str, connection: Connection | None = None) -> bool:
    """Whether ``actor`` can take ``step`` now: it follows the status (the connection's, for its steps), and it is theirs."""
    transition = _step(step)
    status = (connection.status if connection is not None else "") if transition.on_connection else referral.status
    return status in transition.sources and may_take(actor, referral, transition, connection)


def next_actions(actor: Actor, referral: Referral) -> list[Transition]:
    """The referral's steps that can follow its status and that ``actor`` owns, in the workflow's order."""
    return [t for t in available_actions(referral.status) if may_take(actor, referral, t)]


def next_connection_actions(actor: Actor, connection: Connection) -> list[Transition]:
    """A connection's steps that can follow its status and that ``actor`` owns, in the workflow's order."""
    referral = connection.referral
    steps = available_connection_actions(connection.status)
    if not referral.is_open:
        # Once the person declined, a connection still open can only be withdrawn (discharge waits for it).
        declined = referral.status == ReferralStatus.DECLINED_BY_PERSON
        steps = [t for t in steps if declined and t.action == "withdraw"]
    return [t for t in steps if may_take(actor, referral, t, connection)]


# Outcomes and tasks -----------------------------------------------------------------------


def may_record_outcomes(actor: Actor, referral: Referral) -> bool:
    """Wellbeing answers and feedback come from the person (through their link), or their link worker."""
    if actor.has_role(RESIDENT_LINK) and actor.only_referral_id == referral.pk:
        return True
    return may_send_outcome_questions(actor, referral)


def may_send_outcome_questions(actor: Actor, referral: Referral) -> bool:
    """Only the person's link worker sends them questions to answer."""
    return actor.is_administrator or (
        actor.has_role(StaffRole.LINK_WORKER) and referral.link_worker_id == actor.user_id
    )


def may_complete_task(actor: Actor, task: Notification) -> bool:
    """A phone call or letter is done by the person whose list it is on, or their team's."""
    mine = task.recipient_user_id is not None and task.recipient_user_id == actor.user_id
    team = task.recipient_service_id is not None and task.recipient_service_id in actor.service_ids
    return mine or team or actor.is_administrator


# The care and support plan ----------------------------------------------------------------


def may_see_care_plan(actor: Actor, referral: Referral) -> bool:
    """The plan is built with the person by their link worker: they see it, and so do the triage staff
    of its service (read-only, to cover and to supervise) and administrators. Never a provider, a
    token or link acting for one, or another link worker (not even the one who made the referral)."""
    if actor.only_referral_id is not None:
        return False
    if actor.is_administrator:
        return True
    if actor.has_role(StaffRole.TRIAGE) and referral.service_id in actor.service_ids:
        return True
    return is_on_caseload_of(actor, referral)


def may_change_care_plan(actor: Actor, referral: Referral) -> bool:
    """Only the person's allocated link worker changes their plan, or sends them a copy: it is agreed
    between the two of them."""
    return actor.only_referral_id is None and is_on_caseload_of(actor, referral)


def check_may_see_care_plan(actor: Actor, referral: Referral) -> None:
    if not may_see_care_plan(actor, referral):
        raise NotPermitted("Only the person's link worker and their service's triage team see the plan.")


def check_may_change_care_plan(actor: Actor, referral: Referral) -> None:
    if not may_change_care_plan(actor, referral):
        raise NotPermitted("Only the person's link worker changes their plan.")


# Casework: contacts and safeguarding ------------------------------------------------------


def may_record_contacts(actor: Actor, referral: Referral) -> bool:
    """Contacts with the person are recorded and booked by their allocated link worker (triage reads them)."""
    return is_on_caseload_of(actor, referral)


def check_may_record_contacts(actor: Actor, referral: Referral) -> None:
    if not may_record_contacts(actor, referral):
        raise NotPermitted("Only the person's link worker records and books their contacts.")


def may_see_casework(actor: Actor, referral: Referral) -> bool:
    """Contacts and safeguarding concerns are the social prescribing team's: never a provider's (nor a
    token or link acting for one), even when the same person is also on the team elsewhere."""
    if actor.only_referral_id is not None:
        return False
    return actor.is_administrator or actor.has_role(SYSTEM) or not sees_as_provider_only(actor, referral)


def may_handle_safeguarding(actor: Actor, referral: Referral) -> bool:
    """A safeguarding concern is raised and resolved by the person's link worker or their service's triage team."""
    if actor.only_referral_id is not None:
        return False
    triage = actor.has_role(StaffRole.TRIAGE) and referral.service_id in actor.service_ids
    return triage or is_on_caseload_of(actor, referral)


def check_may_handle_safeguarding(actor: Actor, referral: Referral) -> None:
    if not may_handle_safeguarding(actor, referral):
        raise NotPermitted("Only the person's link worker or their service's triage team raise and resolve "
                           "safeguarding concerns.")


# New referrals ----------------------------------------------------------------------------


def service_for_new_referral(actor: Actor) -> SocialPrescribingService:
    """The service a referral made by ``actor`` goes into: the one they (or their token) work for.

    Only a service's triage staff and link workers (or its API token, or an administrator who
    works for a service) make referrals; anyone else is refused (``NotPermitted``).
    """
    if not acts_as_any(actor, REFERRER_ROLES):
        raise NotPermitted("Only a social prescribing service's token (or its staff) can make referrals.")
    service = SocialPrescribingService.objects.filter(pk__in=actor.service_ids).first()
    if service is None:
        raise NotPermitted("You are not a member of a social prescribing service.")
    return service


# A resident's own data: subject access and erasure ----------------------------------------

# Who answers a resident's request for their data, or to erase it (administrators too: ``acts_as_any``).
SUBJECT_ACCESS_ROLES = (StaffRole.TRIAGE,)


def _answers_for_service(actor: Actor) -> bool:
    """A person (not a token or an emailed link) in triage, or an administrator."""
    return actor.user is not None and actor.only_referral_id is None and acts_as_any(actor, SUBJECT_ACCESS_ROLES)


def residents_for_subject_access(actor: Actor, queryset: QuerySet | None = None) -> QuerySet:
    """The residents (of ``queryset``, or all) whose data ``actor`` may export or erase: those of their own
    service. Even an administrator answers only for a service they work for: nothing crosses services."""
    residents = Resident.objects.all() if queryset is None else queryset
    if not _answers_for_service(actor):
        return residents.none()
    return residents.filter(service_id__in=actor.service_ids)


def may_export_resident(actor: Actor, resident: Resident) -> bool:
    """Whether ``actor`` may export everything held about ``resident`` (a subject access request)."""
    return _answers_for_service(actor) and resident.service_id in actor.service_ids


def may_erase_resident(actor: Actor, resident: Resident) -> bool:
    """Whether ``actor`` may erase ``resident``'s personal data: whoever answers their subject access
    requests (they see what is held before removing it)."""
    return may_export_resident(actor, resident)


def check_may_export_resident(actor: Actor, resident: Resident) -> None:
    if not may_export_resident(actor, resident):
        raise NotPermitted("Only the triage team or an administrator of the person's service can export their data.")


def check_may_erase_resident(actor: Actor, resident: Resident) -> None:
    if not may_erase_resident(actor, resident):
        raise NotPermitted("Only the triage team or an administrator of the person's service can erase their data.")


# One record per person: joining two records made in error ----------------------------------


def may_merge_residents(actor: Actor, resident: Resident) -> bool:
    """Joining two records of one person (``referrals.people.resident_merge``) is for the triage staff of the
    record's service only: a person signed in, never a token or an emailed link (least privilege: not
    link workers, and not administrators unless they are also in that service's triage team)."""
    return (
        actor.user is not None and actor.only_referral_id is None and actor.has_role(StaffRole.TRIAGE)
        and resident.service_id in actor.service_ids
    )


def check_may_merge_residents(actor: Actor, resident: Resident) -> None:
    if not may_merge_residents(actor, resident):
        raise NotPermitted("Only the triage team of the person's service can join their records.")


# Reports ----------------------------------------------------------------------------------


def may_see_reports(actor: Actor) -> bool:
    """Commissioners, triage (as service managers), providers and administrators open the reports."""
    return acts_as_any(actor, REPORT_ROLES)


def reportable_referrals(actor: Actor) -> QuerySet:
    """The referrals ``actor``'s reports count: their service's (commissioners, triage), those sent to
    their organisations (providers), or all (administrators)."""
    referrals = Referral.objects.all()
    if actor.is_administrator:
        return referrals
    visible = Q(pk__in=[])
    if (actor.has_role(StaffRole.COMMISSIONER) or actor.has_role(StaffRole.TRIAGE)) and actor.service_ids:
        visible |= Q(service_id__in=actor.service_ids)
    if actor.has_role(StaffRole.PROVIDER) and actor.organisation_ids:
        visible |= Q(pk__in=Connection.objects.filter(provider_id__in=actor.organisation_ids).values("referral_id"))
    return referrals.filter(visible)


def reportable_connections(actor: Actor) -> QuerySet:
    """The connections ``actor``'s reports count, as ``reportable_referrals`` scopes the
    referrals: every connection of their service's referrals (commissioners, triage), only those
    sent to their own organisations (providers: never another provider's), or all (administrators)."""
    if actor.is_administrator:
        return Connection.objects.all()
    counted = Q(pk__in=[])
    if (actor.has_role(StaffRole.COMMISSIONER) or actor.has_role(StaffRole.TRIAGE)) and actor.service_ids:
        counted |= Q(referral__service_id__in=actor.service_ids)
    if actor.has_role(StaffRole.PROVIDER) and actor.organisation_ids:
        counted |= Q(provider_id__in=actor.organisation_ids)
    return Connection.objects.filter(counted)


def small_counts_hidden_from(actor: Actor) -> bool:
    """Commissioners see counts below the threshold suppressed (re-identification risk); staff who
    run the service (triage, providers, administrators) do not."""
    return not (actor.is_administrator or actor.has_role(StaffRole.TRIAGE) or actor.has_role(StaffRole.PROVIDER))


def reports_as_provider_only(actor: Actor) -> bool:
    """A provider reports on its own referrals: who the link worker was is the service's business."""
    return not (actor.is_administrator or actor.has_role(StaffRole.COMMISSIONER) or actor.has_role(StaffRole.TRIAGE))


def report_providers_for(actor: Actor, referrals: QuerySet) -> QuerySet:
    """The providers ``actor`` may filter their reports by (``referrals``: their ``reportable_referrals``)."""
    if actor.is_administrator:
        return OrganisationPage.objects.all()
    if actor.has_role(StaffRole.COMMISSIONER) or actor.has_role(StaffRole.TRIAGE):
        return OrganisationPage.objects.filter(
            pk__in=Connection.objects.filter(referral__in=referrals).values("provider_id"))
    return OrganisationPage.objects.filter(pk__in=actor.organisation_ids)


def report_link_workers_for(actor: Actor) -> QuerySet | None:
    """The link workers ``actor`` may filter their reports by: their service's (all, for an
    administrator); None for a provider, who is not offered the filter."""
    if reports_as_provider_only(actor):
        return None
    workers = get_user_model().objects.filter(groups__name=LINK_WORKERS_GROUP)
    if not actor.is_administrator:
        workers = workers.filter(staff_membership__service_id__in=actor.service_ids)
    return workers.distinct()
