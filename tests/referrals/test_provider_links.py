"""Signed single-use links in provider emails: each acts on one connection; opening never acts, the button acts once,
and bad links get clear pages."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.utils import timezone

from referrals import links, services
from referrals.choices import AuditAction
from referrals.choices import ConnectionStatus as S
from referrals.errors import NotPermitted
from factories.referrals import first_session_held, make_connection, make_referral, make_resident, only_connection
from referrals.models import ActionLink, AuditEntry, Referral
from referrals.roles import actor_for_link

LINK_ACTOR = "Provider (emailed link)"
NOTE = "Private note: ZEBRA-CROSSING-77"


@pytest.fixture
def referral_at(service, triage, link_worker, activity):
    def _make(status, **kwargs):
        if "resident" not in kwargs:
            kwargs["resident"] = make_resident(service=service, first_name="Marigold", last_name="Pemberton",
                                               nhs_number="9434765919")
        referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                                 status=status, **kwargs)
        Referral.objects.filter(pk=referral.pk).update(notes=NOTE)
        return only_connection(referral)

    return _make


def link_path(connection, action: str) -> str:
    return urlsplit(links.issue_link(connection, action)).path


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def link_of(path: str) -> ActionLink:
    """The link a path names, whatever state it is in (verify_link refuses used and expired ones)."""
    return ActionLink.objects.get(pk=signing.loads(token_of(path), salt=links._SALT))


def offered_link(html: str) -> str:
    """The path of the single-use link a done page offers for the next step (a link, or the form that posts to it)."""
    found = re.findall(r'(?:href|action)="(/referrals/provider/link/[^"]+)"', html)
    assert len(found) == 1, found
    return found[0]


def status_of(connection) -> str:
    connection.refresh_from_db()
    return connection.status


# Opening a link --------------------------------------------------------------------------


def test_opening_a_link_shows_the_summary_and_does_nothing(client, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    path = link_path(connection, "provider_accept")
    events = connection.events.count()
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Accept this referral" in html and "Marigold Pemberton" in html and connection.referral.reference in html
    assert NOTE not in html and "9434765919" not in html
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    # Opening it twice (a mail scanner, then the person) changes nothing and uses nothing up.
    assert client.get(path).status_code == 200
    assert status_of(connection) == S.SENT_TO_PROVIDER and connection.events.count() == events
    assert link_of(path).used_at is None


def test_each_look_through_a_link_is_audited_without_its_token(client, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    path = link_path(connection, "provider_accept")
    client.get(path)
    entry = AuditEntry.objects.get(referral_id=connection.referral_id, action=AuditAction.VIEW, actor_label=LINK_ACTOR)
    assert entry.actor is None and entry.resident_id == connection.referral.resident_id
    token = token_of(path)
    assert token not in entry.path


# Acting once -----------------------------------------------------------------------------


def test_the_button_acts_once_and_the_link_is_then_used(client, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    path = link_path(connection, "provider_accept")
    response = client.post(path)
    html = response.content.decode()
    assert response.status_code == 200 and "You accepted the referral" in html
    assert status_of(connection) == S.ACCEPTED
    event = connection.events.get(action="provider_accept")
    assert event.actor is None and event.actor_label == LINK_ACTOR
    assert link_of(path).used_at is not None
    # The done page offers the next step: a fresh single-use link to propose the first session.
    next_link = ActionLink.objects.get(connection=connection, action="book_first_session", used_at__isnull=True)
    assert "Book the first session" in html and "/referrals/provider/link/" in html
    assert next_link.organisation_id == connection.provider_id

    events = connection.events.count()
    again = client.post(path)
    assert again.status_code == 410
    assert "This link has already been used" in again.content.decode()
    assert "Sign in to Signpost" in again.content.decode()
    assert connection.events.count() == events and status_of(connection) == S.ACCEPTED
    assert client.get(path).status_code == 410


def test_a_tampered_link_is_not_valid(client, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    path = link_path(connection, "provider_accept")
    token = token_of(path)
    middle = len(token) // 2
    changed = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    tampered = path.replace(token, changed)
    for response in (client.get(tampered), client.post(tampered)):
        assert response.status_code == 400
        html = response.content.decode()
        assert "This link is not valid" in html and "Marigold" not in html
    signature_changed = path.replace(token, token[:-1] + ("x" if token[-1] != "x" else "y"))
    assert client.post(signature_changed).status_code == 400
    assert client.get("/referrals/provider/link/not-a-token/").status_code == 400
    assert status_of(connection) == S.SENT_TO_PROVIDER


def test_an_expired_link_gets_a_clear_page_and_does_nothing(client, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    path = link_path(connection, "provider_accept")
    ActionLink.objects.filter(pk=link_of(path).pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        html = response.content.decode()
        assert "This link has expired" in html and "Marigold" not in html
        assert f"work for {links.link_lifetime().days} days" in html
    assert status_of(connection) == S.SENT_TO_PROVIDER and not connection.events.filter(action="provider_accept").exists()


def test_a_link_for_one_referral_cannot_act_on_another(client, referral_at, service):
    connection_a = referral_at(S.SENT_TO_PROVIDER)
    connection_b = referral_at(S.SENT_TO_PROVIDER, resident=make_resident(service=service, last_name="Bee"))
    path = link_path(connection_a, "provider_accept")
    # Whatever else is posted, the link acts only on its own connection.
    client.post(path, {"connection": connection_b.pk, "pk": connection_b.pk})
    assert status_of(connection_a) == S.ACCEPTED and status_of(connection_b) == S.SENT_TO_PROVIDER
    # And its actor is refused on the other connection by the services themselves.
    actor = actor_for_link(ActionLink.objects.create(referral=connection_a.referral, connection=connection_a,
                                                     organisation=connection_a.provider,
                                                     action="provider_accept",
                                                     expires_at=timezone.now() + timedelta(days=1)))
    with pytest.raises(NotPermitted):
        services.connection_provider_accept(connection=connection_b, actor=actor)
    assert status_of(connection_b) == S.SENT_TO_PROVIDER


def test_an_accept_link_cannot_decline(client, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    path = link_path(connection, "provider_accept")
    client.post(path, {"decline-reason": "full", "action": "provider_decline"})
    assert status_of(connection) == S.ACCEPTED
    accept_actor = actor_for_link(link_of(path))
    with pytest.raises(NotPermitted):
        services.connection_provider_decline(connection=connection, actor=accept_actor, reason="full")
    assert status_of(connection) == S.ACCEPTED


def test_the_accept_and_decline_links_of_one_email_work_for_only_one_answer(client, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    email = links.issue_provider_links(connection)
    accept, decline = urlsplit(email["accept"]).path, urlsplit(email["decline"]).path
    # Two people open the email at once: both see the form, one accepts first.
    assert client.get(accept).status_code == 200 and client.get(decline).status_code == 200
    assert client.post(accept).status_code == 200
    response = client.post(decline, {"decline-reason": "full"})
    assert response.status_code == 409
    assert "This referral has already been updated" in response.content.decode()
    assert "accepted by provider" in response.content.decode()
    assert status_of(connection) == S.ACCEPTED and not connection.events.filter(action="provider_decline").exists()
    assert link_of(decline).used_at is None


def test_declining_through_a_link_needs_a_reason(client, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    path = link_path(connection, "provider_decline")
    response = client.post(path)
    html = response.content.decode()
    assert response.status_code == 200 and "<title>Error:" in html and "Choose a reason for declining." in html
    assert status_of(connection) == S.SENT_TO_PROVIDER and link_of(path).used_at is None
    response = client.post(path, {"decline-reason": "other"})
    assert "Say why you are declining." in response.content.decode()
    assert link_of(path).used_at is None
    response = client.post(path, {"decline-reason": "other", "decline-note": "We only take under-25s."})
    assert response.status_code == 200 and "You declined the referral" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == S.DECLINED_BY_PROVIDER and connection.provider_decline_note == "We only take under-25s."
    assert link_of(path).used_at is not None


def test_accept_then_propose_a_session_then_confirm_attendance_all_by_links(client, referral_at, activity):
    connection = referral_at(S.SENT_TO_PROVIDER)
    book = offered_link(client.post(link_path(connection, "provider_accept")).content.decode())
    assert link_of(book).action == "book_first_session"
    page = client.get(book).content.decode()
    assert "When is the first session?" in page and "Poole Park Café" in page
    session = activity.sessions.get()
    response = client.post(book, {"first-session-when": str(session.pk)})
    html = response.content.decode()
    assert response.status_code == 200 and "The first session is booked" in html
    connection.refresh_from_db()
    assert connection.status == S.FIRST_SESSION_BOOKED and connection.first_session == session
    assert link_of(book).used_at is not None
    attendance = offered_link(html)
    assert link_of(attendance).action == "record_attendance"

    # Used too early, before the session, the link explains and stays usable.
    response = client.post(attendance, {"attendance-attended": "attended"})
    assert "Record whether the person attended once it has started" in response.content.decode()
    assert status_of(connection) == S.FIRST_SESSION_BOOKED and link_of(attendance).used_at is None

    # Later: the session happened, and the person did not come (the attendance link records either answer).
    first_session_held(connection, hours_ago=3)
    assert "Did they come to the first session?" in client.get(attendance).content.decode()
    response = client.post(attendance, {"attendance-attended": "did_not_attend"})
    assert response.status_code == 200 and "did not come" in response.content.decode()
    assert status_of(connection) == S.DID_NOT_ATTEND
    assert connection.events.get(action="record_did_not_attend").actor_label == LINK_ACTOR
    assert link_of(attendance).used_at is not None


def test_a_link_to_a_withdrawn_connection_says_so_and_shows_nothing_of_the_person(client, referral_at, actors):
    connection = referral_at(S.SENT_TO_PROVIDER)
    path = link_path(connection, "provider_accept")
    services.connection_withdraw(connection=connection, actor=actors["link_worker"], note="Moved away.")
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        html = response.content.decode()
        assert "This referral has been withdrawn" in html and "nothing more for you to do" in html
        assert "Marigold" not in html
    assert status_of(connection) == S.WITHDRAWN and link_of(path).used_at is None


def test_a_link_that_names_no_connection_acts_on_nothing(client, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    path = link_path(connection, "provider_accept")
    # A link from before connections that no migration could place.
    ActionLink.objects.filter(pk=link_of(path).pk).update(connection=None)
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        assert "no longer with your organisation" in response.content.decode()
        assert "Marigold" not in response.content.decode()
    assert status_of(connection) == S.SENT_TO_PROVIDER


# Several connections of one referral -------------------------------------------------------


@pytest.fixture
def two_connections(referral_at, other_activity):
    """One person connected to our walk (connection 1) and another organisation's lunch club (2)."""
    walk = referral_at(S.SENT_TO_PROVIDER)
    lunch = make_connection(referral=walk.referral, status=S.SENT_TO_PROVIDER, activity=other_activity)
    return walk, lunch


def test_each_email_links_to_its_own_connection_and_shows_only_its_activity(client, two_connections,
                                                                              organisation, other_organisation):
    walk, lunch = two_connections
    for connection, organisation_ in ((walk, organisation), (lunch, other_organisation)):
        [link] = ActionLink.objects.filter(connection=connection, action="provider_accept")
        assert link.organisation == organisation_ and link.referral_id == connection.referral_id
    walk_page = client.get(link_path(walk, "provider_accept")).content.decode()
    assert "Tuesday health walk" in walk_page and "Friday lunch club" not in walk_page
    lunch_page = client.get(link_path(lunch, "provider_accept")).content.decode()
    assert "Friday lunch club" in lunch_page and "Tuesday health walk" not in lunch_page


def test_a_link_for_connection_1_cannot_act_on_connection_2(client, two_connections):
    walk, lunch = two_connections
    path = link_path(walk, "provider_accept")
    # Whatever is posted, the link accepts its own connection only.
    response = client.post(path, {"connection": lunch.pk, "number": 2})
    assert response.status_code == 200
    assert status_of(walk) == S.ACCEPTED and status_of(lunch) == S.SENT_TO_PROVIDER
    # Its chained link (propose the first session) is for connection 1 too.
    book = offered_link(response.content.decode())
    assert link_of(book).connection_id == walk.pk

    # The services refuse the link's actor on the other connection, even one sent to the same organisation.
    walk_actor = actor_for_link(link_of(path))
    with pytest.raises(NotPermitted):
        services.connection_provider_accept(connection=lunch, actor=walk_actor)
    same_organisation_actor = actor_for_link(ActionLink.objects.create(
        referral=walk.referral, connection=walk, organisation=lunch.provider, action="provider_accept",
        expires_at=timezone.now() + timedelta(days=1)))
    with pytest.raises(NotPermitted):
        services.connection_provider_accept(connection=lunch, actor=same_organisation_actor)
    assert status_of(lunch) == S.SENT_TO_PROVIDER and not lunch.events.filter(action="provider_accept").exists()


# Two clicks at once (needs PostgreSQL's row locks) ----------------------------------------


def _at_once(monkeypatch, *requests):
    """Run each ``(path, data)`` POST in its own thread and client, started together; hold the lock a moment."""
    import threading
    import time

    from django.db import connection
    from django.test import Client

    real_clear = services.clear_alerts

    def slow_clear(*args, **kwargs):
        time.sleep(0.3)  # inside the transaction, holding the locks: the other request must wait
        return real_clear(*args, **kwargs)

    monkeypatch.setattr(services, "clear_alerts", slow_clear)
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def run(index, path, data):
        client = Client()
        barrier.wait()
        try:
            responses[index] = client.post(path, data)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return responses


@pytest.fixture
def on_postgres_only(transactional_db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")  # deselected on SQLite by tests/conftest.py


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_link_clicked_twice_at_once_acts_once(monkeypatch, on_postgres_only, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    path = link_path(connection, "provider_accept")
    responses = _at_once(monkeypatch, (path, {}), (path, {}))
    assert sorted(r.status_code for r in responses) == [200, 410], responses
    assert status_of(connection) == S.ACCEPTED
    assert connection.events.filter(action="provider_accept").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_accept_and_decline_clicked_at_once_only_one_wins(monkeypatch, on_postgres_only, referral_at):
    connection = referral_at(S.SENT_TO_PROVIDER)
    email = links.issue_provider_links(connection)
    accept, decline = urlsplit(email["accept"]).path, urlsplit(email["decline"]).path
    responses = _at_once(monkeypatch, (accept, {}), (decline, {"decline-reason": "full"}))
    assert sorted(r.status_code for r in responses) == [200, 409], responses
    loser = next(r for r in responses if r.status_code == 409)
    assert "This referral has already been updated" in loser.content.decode()
    assert status_of(connection) in (S.ACCEPTED, S.DECLINED_BY_PROVIDER)
    assert connection.events.filter(action__in=["provider_accept", "provider_decline"]).count() == 1
