"""No input gives a server error on a public page (issue 16): Hypothesis sends hostile values to every
page an anonymous person can reach, and to every form they can fill in.

The public pages, as the resolver lists them (the staff pages under /referrals/, the admin and the
APIs are fuzzed elsewhere): the home page and the directory's pages (Wagtail's page tree), venues,
an activity's calendar, the search (/find/, every parameter its form reads), the self-referral form
(GET with ?activity=, POST with every field), the resident's answers page and the provider's emailed
links (signed tokens), the health checks, Wagtail's document and password-protected-page routes, and
the sign-in forms.

Values are what a careless or hostile client sends: huge and negative numbers, numbers in other
scripts, NUL and other control characters, lone surrogates and bytes that are not UTF-8 (sent
percent-encoded, as a client can), very long strings, a value repeated where one is expected, and
fields left out. Every answer must be below 500; a form given an invalid submission shows it again
with an error and saves nothing (rows counted before and after).

Each example runs in a savepoint that is rolled back, so the seeded referrals and links are fresh for
every example and nothing one example saves changes the next. Runs are deterministic
(``derandomize``): the same examples every time, for a given Hypothesis version.
"""

from __future__ import annotations

import operator
from contextlib import contextmanager
from urllib.parse import quote, quote_from_bytes, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from factories.directory import make_activity, make_organisation, make_venue
from factories.referrals import (
    first_session_held,
    make_link_worker,
    make_referral,
    make_service,
    make_triage,
    only_connection,
)
from referrals import links
from referrals.choices import ConnectionStatus
from referrals.intake import count_attempt, self_referrals_per_hour
from referrals.models import (
    ActionLink,
    Connection,
    Consent,
    Referral,
    Resident,
    ResidentFeedback,
    WellbeingScore,
)
from referrals.outcomes import resident_link
from referrals.views.self_referral import RATE_SCOPE


def fuzz(max_examples: int):
    """Bounded and repeatable: the same examples on every run, no example database, no deadline
    (a slow first request is not a failure). The seeded data is built once per test, on purpose,
    and each example rolls its own changes back (see ``rolled_back``)."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# Hostile values ------------------------------------------------------------------------------

NUMBER_EDGES = [
    "0", "-0", "-1", "+1", "01", " 7 ", "7.5", "1e3", "1e400", "-1e400", "1e-400", "nan", "NaN", "inf", "-inf",
    "Infinity", "0x1f", "1_000", "2147483648", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "4611686018427387904", "18446744073709551616", "12345678901234567890",
    "1" * 400, "9" * 5000,  # past Python's 4,300-digit limit on int()
    "١٢", "１２", "½", "²", "٣١", "9999", "0000", "0001", "1899", "2999", "32", "31", "29", "13", "12",
]
numbers = st.one_of(
    st.sampled_from(NUMBER_EDGES),
    st.integers().map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats().map(repr),
)
TEXT_EDGES = [
    "", " ", "\x00", "a\x00b", "%00", "\r\n", "\t", "\u202e", "\ufeff", "\U0010ffff", "null", "[]", "{}",
    "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "{{ 7|add:7 }}", "${7*7}", "é" * 3,
    "24:00", "12:60", "13pm", "0:00am", "ZZ99 9ZZ", "BH15", "not@an@email",
]
control_characters = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.sampled_from(["\x7f", "\x85", "\u2028"])
lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
long_strings = st.builds(
    operator.mul, st.sampled_from(["x", "9", "\x00", "é", "\ud800", "ab "]), st.integers(min_value=200, max_value=6000)
)
texts = st.one_of(
    st.sampled_from(TEXT_EDGES),
    st.text(max_size=40),
    st.text(alphabet=control_characters | lone_surrogates | st.characters(), max_size=20),
    long_strings,
)
# Bytes go on the wire percent-encoded as they are: mostly not UTF-8 (a lone \xff, an overlong NUL).
raw_bytes = st.one_of(st.sampled_from([b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\x80abc"]), st.binary(max_size=12))
# NUL gets a branch of its own: PostgreSQL refuses it in any text, so it is the likeliest to reach the
# database and fail there (SQLite stores it).
with_nul = st.builds(lambda before, after: f"{before}\x00{after}", st.text(max_size=8), st.text(max_size=8))
hostile = st.one_of(numbers, texts, raw_bytes, with_nul)


def values(*valid: str):
    """What one parameter is sent as: left out (an empty list), once, or several times; each time a
    value the page expects or a hostile one."""
    choices = st.one_of(st.sampled_from(valid), hostile) if valid else hostile
    # Left out, one hostile value (what a form field usually is), or a few values of either kind.
    return st.one_of(st.just([]), hostile.map(lambda value: [value]), st.lists(choices, min_size=2, max_size=3))


def form_data(fields: dict[str, tuple[str, ...]], *, sane):
    """Parameters (or form fields) where up to three, chosen at random, are spoiled (``values``) and
    the rest are what ``sane(options)`` sends. Spoiling one or two fields at a time gets most
    examples past the other checks, to the code behind them; examples shrink to no spoiled field."""

    @st.composite
    def build(draw):
        spoiled = draw(st.sets(st.sampled_from(sorted(fields)), max_size=3))
        return {name: draw(values(*options) if name in spoiled else sane(options)) for name, options in fields.items()}

    return build()


def left_out_or_chosen(options):
    """An optional parameter: left out, or one or two of the values the page offers."""
    return st.one_of(st.just([]), st.lists(st.sampled_from(options), min_size=1, max_size=2))


def answered(options):
    """A form field as a person fills it in: one of the answers (the first is the usual one)."""
    return st.sampled_from(options).map(lambda value: [value])


def as_bytes(value: str | bytes) -> bytes:
    # A lone surrogate is sent as the bytes a careless encoder writes for it (not valid UTF-8).
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def encode(params: dict[str, list]) -> str:
    """A query string or form body, percent-encoded byte for byte (what ``urlencode`` cannot send)."""
    return "&".join(
        f"{quote(name, safe='')}={quote_from_bytes(as_bytes(value), safe='')}"
        for name, sent in params.items()
        for value in sent
    )


def path_segment(value: str | bytes) -> str:
    return quote_from_bytes(as_bytes(value), safe="") or "%20"


extra_parameters = st.dictionaries(st.text(min_size=1, max_size=8), values(), max_size=2)
segments = st.one_of(numbers, texts.filter(bool), raw_bytes.filter(bool))


# The client and the checks -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def production_cache(settings, db):
    """The cache as in production, in the database: rate limits and throttles keep their counts in
    it, so what a key may hold (no NUL, at most 255 characters) is the database's rule."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "fuzz_cache"}}
    call_command("createcachetable", verbosity=0)



@contextmanager
def rolled_back():
    """One example's requests in a savepoint undone afterwards (rate limits and throttles too)."""
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
    cache.clear()


def anonymous() -> Client:
    # A new client per example: no session or cookie carried from one example to the next. Errors
    # in a view are raised here (with their traceback), not turned into a 500 page.
    return Client(raise_request_exception=True)


def send(client: Client, method: str, path: str, params: dict[str, list], *, multipart: bool = False):
    query_or_body = encode(params)
    if method == "GET":
        return client.get(f"{path}?{query_or_body}" if query_or_body else path)
    if method == "HEAD":
        return client.head(f"{path}?{query_or_body}" if query_or_body else path)
    if method not in ("GET", "HEAD", "POST"):
        return client.generic(method, path, query_or_body.encode("ascii"), content_type="application/x-www-form-urlencoded")
    if multipart:
        # A browser's multipart form: text only (the client cannot write a lone surrogate there).
        fields = {name: [as_bytes(v).decode("utf-8", "replace") for v in sent] for name, sent in params.items()}
        return client.post(path, fields)
    return client.post(path, query_or_body.encode("ascii"), content_type="application/x-www-form-urlencoded")


def assert_not_a_server_error(response):
    # Shown by --hypothesis-show-statistics: how many examples got past the checks to a page.
    event(f"HTTP {response.status_code}")
    assert response.status_code < 500, f"{response.status_code} from {response.request['PATH_INFO']}"


def shows_errors(response) -> bool:
    return 'class="nhsuk-error-summary"' in response.content.decode()


def as_django_reads_it(params: dict[str, list], *, multipart: bool = False) -> QueryDict:
    """The form data as the view sees it (to know, say, whether the honeypot was filled)."""
    if multipart:
        data = QueryDict(mutable=True)
        for name, sent in params.items():
            data.setlist(name, [as_bytes(v).decode("utf-8", "replace") for v in sent])
        return data
    return QueryDict(encode(params))


# What the pages are built from ---------------------------------------------------------------


@pytest.fixture
def directory(home, needs, postcodes):
    organisation = make_organisation("Poole Walking Friends", email="hello@poole-walking.example.org")
    venue = make_venue("Poole Park Café")
    activity = make_activity(
        organisation, "Tuesday health walk", needs=[needs["walking"], needs["loneliness"]], venue=venue
    )
    return {"organisation": organisation, "venue": venue, "activity": activity, "needs": needs}


@pytest.fixture
def pathway(directory):
    """Referrals whose one connection is at each step an emailed link acts on, and the service that covers Poole."""
    service = make_service("Poole Social Prescribing", prefixes="BH")
    staff = {"triage": make_triage(service=service), "link_worker": make_link_worker(service=service)}
    activity = directory["activity"]
    at = {
        status: make_referral(service=service, status=status, activity=activity, **staff)
        for status in (ConnectionStatus.SENT_TO_PROVIDER, ConnectionStatus.ACCEPTED,
                       ConnectionStatus.FIRST_SESSION_BOOKED, ConnectionStatus.ATTENDED)
    }
    first_session_held(only_connection(at[ConnectionStatus.FIRST_SESSION_BOOKED]))
    return {"service": service, "referrals": at, **directory}


# Any public address, with any query string ---------------------------------------------------

PAGE_TEMPLATES = [
    "/", "/directory/", "{organisation}", "{activity}", "/venues/{venue}/", "/activities/{activity_id}/sessions.ics",
    "/healthz/", "/healthz/search/", "/find/link-workers/", "/refer-yourself/sent/", "/_util/login/",
    "/activities/{seg}/sessions.ics", "/venues/{seg}/", "/documents/{seg}/{seg}", "/documents/{seg}/report.pdf",
    "/documents/authenticate_with_password/{seg}/", "/_util/authenticate_with_password/{seg}/{seg}/",
    "/{seg}/", "/directory/{seg}/", "{organisation}{seg}/", "{activity}{seg}/", "/answers/{seg}/",
    "/referrals/provider/link/{seg}/", "/your-plan/{seg}/", "/oruk/{seg}", "/oruk/services/{seg}",
    "/.well-known/security.txt",
    # The sign-in pages and their emailed links: public, though under /admin/ and /account/.
    "/admin/login/", "/admin/password_reset/", "/admin/password_reset/done/", "/admin/password_reset/complete/",
    "/admin/password_reset/confirm/{seg}/{seg}/", "/account/two-factor/", "/account/two-factor/set-up/",
]


@pytest.mark.django_db
@fuzz(max_examples=150)
@given(
    template=st.sampled_from(PAGE_TEMPLATES),
    segment=segments,
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]),
    params=extra_parameters,
)
def test_no_public_address_gives_a_server_error(directory, template, segment, method, params):
    path = template.format(
        organisation=directory["organisation"].url, activity=directory["activity"].url,
        venue=directory["venue"].pk, activity_id=directory["activity"].pk, seg=path_segment(segment),
    )
    with rolled_back():
        assert_not_a_server_error(send(anonymous(), method, path, params))


# The search ----------------------------------------------------------------------------------


@pytest.mark.django_db
@fuzz(max_examples=100)
@given(data=st.data())
def test_no_search_gives_a_server_error(directory, data):
    needs = directory["needs"]
    slugs = [n.slug for n in needs.values()] + [str(n.pk) for n in needs.values()]
    need_values = (*slugs, ",".join(slugs), "not-a-need")
    params = data.draw(form_data({
        "q": ("walk", "lonely", "Tuesday health walk", "art"),
        "postcode": ("BH15 1AB", "bh151ab", "DT1 1XJ", "ZZ99 9ZZ", "SW1A 1AA", "BH15"),
        "latitude": ("50.7154", "53.79", "0", "90.1", "-91"),
        "longitude": ("-1.9871", "-1.54", "0", "180.5"),
        "radius_miles": ("1", "3", "5", "10", "25", "0.1", "26"),
        "radius": ("1", "25"),
        "needs": need_values,
        "need": need_values,
        "day": ("0", "1", "6", "7", "monday", "Tuesday", "0,1"),
        "time": ("morning", "afternoon", "evening", "morning,evening"),
        "free": ("on", "true", "1"),
        "delivery": ("in_person", "online", "phone"),
        "access": ("step_free", "accessible_toilet", "hearing_loop", "parking"),
        "age": ("0", "30", "120", "121"),
        "join": ("self", "drop_in", "self_referral", "referral_only"),
        "capacity": ("on",),
        "sort": ("best", "nearest", "soonest"),
        "page": ("1", "2", "10000", "10001"),
        "page_size": ("1", "10", "50", "51"),
    }, sane=left_out_or_chosen))
    params.update(data.draw(extra_parameters))
    method = data.draw(st.sampled_from(["GET", "HEAD"]))
    with rolled_back():
        response = send(anonymous(), method, "/find/", params)
    assert_not_a_server_error(response)
    assert response.status_code == 200
    if method == "GET":
        event("searched" if 'id="results-heading"' in response.content.decode() else "refused with a reason")


# The self-referral form ----------------------------------------------------------------------

SELF_REFERRAL = "/refer-yourself/"


@pytest.mark.django_db
@fuzz(max_examples=50)
@given(params=st.fixed_dictionaries({"activity": values("1", "2")}), extra=extra_parameters)
def test_opening_the_self_referral_form_never_gives_a_server_error(pathway, params, extra):
    params["activity"] = params["activity"] or [str(pathway["activity"].pk)]
    with rolled_back():
        client = anonymous()
        response = send(client, "GET", SELF_REFERRAL, {**params, **extra})
        # It starts the steps with what validates of the link, and the first step opens.
        assert (response.status_code, response["Location"]) == (302, "/refer-yourself/about-you/")
        assert client.get(response["Location"]).status_code == 200


def self_referral_fields(pathway) -> dict[str, tuple[str, ...]]:
    """Each field of the form and answers a person might give (any of them valid: ``form_data``
    spoils some)."""
    needs = [str(n.pk) for n in pathway["needs"].values()]
    activity = str(pathway["activity"].pk)
    valid = {
        "first_name": ("Ada",), "last_name": ("Lovelace",),
        "date_of_birth_day": ("10", "1", "28"), "date_of_birth_month": ("12", "1", "2"),
        "date_of_birth_year": ("1955", "1900", "2005"),
        "postcode": ("BH15 1AB", "bh151ab", " BH15  1AB "), "address": ("1 High Street, Poole",),
        "preferred_contact": ("email", "text", "phone", "letter"), "email": ("ada@example.net",),
        "phone": ("07700 900456",), "language": ("English", "Polish", ""), "interpreter_needed": ("on", ""),
        "accessibility_needs": ("I use a walking stick.",), "gp_practice": ("Harbour Surgery",),
        "nhs_number": ("943 476 5919", "9434765919", ""), "needs": tuple(needs), "what_matters": ("Meeting people.",),
        "activity": (activity, ""), "consent_referral": ("yes",), "consent_share_with_provider": ("yes", ""),
        "website": ("",),
    }
    return valid


def saved_rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Referral, Resident, Consent)}


@pytest.mark.django_db
@fuzz(max_examples=100)
@given(data=st.data())
def test_a_self_referral_is_saved_whole_or_refused_with_a_reason(pathway, data):
    params = data.draw(form_data(self_referral_fields(pathway), sane=answered))
    params.update(data.draw(extra_parameters))
    multipart = data.draw(st.booleans())
    # Sometimes from an address that has used up its self-referrals for the hour (its own page).
    over_the_limit = data.draw(st.sampled_from([False, False, False, True]))
    sent = as_django_reads_it(params, multipart=multipart)
    with rolled_back():
        for _ in range(self_referrals_per_hour() if over_the_limit else 0):
            count_attempt(scope=RATE_SCOPE, ip="127.0.0.1")
        before = saved_rows()
        response = send(anonymous(), "POST", SELF_REFERRAL, params, multipart=multipart)
        after = saved_rows()
    assert_not_a_server_error(response)
    if over_the_limit:
        assert response.status_code == 429
        assert after == before
    elif response.status_code == 302 and not (sent.get("website") or "").strip():
        assert response["Location"] == "/refer-yourself/sent/"
        assert after["Referral"] == before["Referral"] + 1
        assert after["Resident"] == before["Resident"] + 1
    else:
        # Refused (the form again, with what is wrong), or a robot told it succeeded: nothing kept.
        assert after == before
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert shows_errors(response)


# The resident's answers (a signed link) ------------------------------------------------------


def mutated(token: str):
    """A genuine token with a character changed, dropped or added (a link copied wrongly)."""
    return st.one_of(
        st.builds(lambda i, c: token[:i] + c + token[i + 1:], st.integers(0, len(token) - 1), st.characters()),
        st.integers(0, len(token) - 1).map(lambda i: token[:i] + token[i + 1:]),
        st.builds(lambda i, s: token[:i] + s + token[i:], st.integers(0, len(token)), st.text(min_size=1, max_size=4)),
    ).filter(lambda changed: changed != token)


ANSWER_FIELDS = {
    "life_satisfaction": ("0", "6", "10"), "worthwhile": ("7",), "happiness": ("5",), "anxiety": ("3",),
    "satisfaction": ("1", "5"), "comments": ("It went well.", ""),
}


def answers_saved() -> int:
    return WellbeingScore.objects.count() + ResidentFeedback.objects.count()


@pytest.mark.django_db
@fuzz(max_examples=100)
@given(data=st.data())
def test_the_answers_page_refuses_bad_links_and_bad_answers_without_a_server_error(pathway, data):
    referral = pathway["referrals"][ConnectionStatus.ATTENDED]
    genuine = [urlsplit(resident_link(referral, purpose)).path.split("/")[2] for purpose in ("review", "feedback")]
    kind = data.draw(st.sampled_from(["genuine", "genuine", "mutated", "garbage"]))
    if kind == "genuine":
        token = data.draw(st.sampled_from(genuine))
    elif kind == "mutated":
        token = data.draw(st.sampled_from(genuine).flatmap(mutated))
    else:
        token = data.draw(segments)
    path = f"/answers/{path_segment(token)}/"
    method = data.draw(st.sampled_from(["GET", "POST"]))
    params = data.draw(form_data(ANSWER_FIELDS, sane=answered))
    with rolled_back():
        before = answers_saved()
        response = send(anonymous(), method, path, params)
        after = answers_saved()
    assert_not_a_server_error(response)
    if kind != "genuine":
        assert response.status_code in (400, 404), "a link that was not issued opens nothing"
        assert after == before
    elif response.status_code == 302:
        assert after == before + 1
    else:
        assert response.status_code == 200
        assert after == before
        if method == "POST":
            assert shows_errors(response)


# The provider's emailed links ----------------------------------------------------------------

LINK_FIELDS = {
    "decline-reason": ("full", "not_suitable", "not_running", "other"), "decline-note": ("We are full until March.",),
    "first-session-when": ("other",), "first-session-day": ("14", "1", "28"),
    "first-session-month": ("3", "12", "1"), "first-session-year": ("2031", "2040", "9999"),
    "first-session-time": ("10:30", "2pm", "23:59", "00:00"), "first-session-note": ("Bring shoes.",),
    "attendance-attended": ("attended", "did_not_attend"), "attendance-note": ("",),
}


@pytest.mark.django_db
@fuzz(max_examples=100)
@given(data=st.data())
def test_an_emailed_link_acts_once_or_refuses_without_a_server_error(pathway, data):
    referrals = pathway["referrals"]
    # Each link acts on one connection (the provider's item): the token, and that connection.
    genuine = {
        urlsplit(links.issue_link(only_connection(referrals[status]), action)).path.split("/")[4]:
            only_connection(referrals[status]).pk
        for status, action in [
            (ConnectionStatus.SENT_TO_PROVIDER, "provider_accept"),
            (ConnectionStatus.SENT_TO_PROVIDER, "provider_decline"),
            (ConnectionStatus.ACCEPTED, "book_first_session"),
            (ConnectionStatus.FIRST_SESSION_BOOKED, "record_attendance"),
        ]
    }
    tokens = sorted(genuine)
    kind = data.draw(st.sampled_from(["genuine", "genuine", "mutated", "garbage"]))
    if kind == "genuine":
        token = data.draw(st.sampled_from(tokens))
    elif kind == "mutated":
        token = data.draw(st.sampled_from(tokens).flatmap(mutated))
    else:
        token = data.draw(segments)
    path = f"/referrals/provider/link/{path_segment(token)}/"
    method = data.draw(st.sampled_from(["GET", "POST"]))
    params = data.draw(form_data(LINK_FIELDS, sane=answered))
    with rolled_back():
        statuses = dict(Connection.objects.values_list("pk", "status"))
        response = send(anonymous(), method, path, params)
        changed = {pk for pk, status in Connection.objects.values_list("pk", "status") if statuses[pk] != status}
        used = ActionLink.objects.filter(used_at__isnull=False).count()
    assert_not_a_server_error(response)
    if kind != "genuine":
        assert response.status_code in (400, 404), "a link that was not issued opens nothing"
        assert not changed and not used
    elif method == "GET" or shows_errors(response):
        # Opening a link never acts; a refused form acts on nothing.
        assert response.status_code == 200
        assert not changed and not used
    else:
        assert response.status_code == 200
        assert changed == {genuine[token]} and used == 1


# Signing in (the public side of the admin), and passwords on private pages and documents ----


@pytest.fixture
def private(directory):
    """A page and a collection of documents behind a shared password (Wagtail's own forms)."""
    page = PageViewRestriction.objects.create(
        page=directory["organisation"], restriction_type=PageViewRestriction.PASSWORD, password="open sesame"
    )
    collection = CollectionViewRestriction.objects.create(
        collection=Collection.get_first_root_node(), restriction_type=CollectionViewRestriction.PASSWORD,
        password="open sesame",
    )
    return {
        "page": f"/_util/authenticate_with_password/{page.pk}/{directory['organisation'].pk}/",
        "documents": f"/documents/authenticate_with_password/{collection.pk}/",
    }


SIGN_IN_FORMS = {
    "/admin/login/": {"username": ("tina", "nobody"), "password": ("wrong", ""), "next": ("/admin/", "//evil.example")},
    "/_util/login/": {"username": ("tina",), "password": ("wrong",), "next": ("/directory/", "https://evil.example/")},
    "/admin/password_reset/": {"email": ("tina@example.org", "TINA@example.org", "nobody@example.org")},
    "page": {"password": ("open sesame", "wrong"), "return_url": ("/directory/", "https://evil.example/")},
    "documents": {"password": ("open sesame", "wrong"), "return_url": ("/documents/", "//evil.example")},
}


@pytest.mark.django_db
@pytest.mark.parametrize("form", SIGN_IN_FORMS)
@fuzz(max_examples=40)
@given(data=st.data())
def test_signing_in_never_gives_a_server_error(private, form, data):
    params = data.draw(form_data(SIGN_IN_FORMS[form], sane=answered))
    params.update(data.draw(extra_parameters))
    with rolled_back():
        response = send(anonymous(), "POST", private.get(form, form), params)
    assert_not_a_server_error(response)
    if response.status_code in (301, 302):
        # Wherever a form sends someone afterwards, it is on this site.
        assert urlsplit(response["Location"]).netloc in ("", "testserver")
