"""The users of the load test (`make bench-load`, run by ``manage.py bench_load``; Locust, headless).

- Residents search (postcodes, needs, free text), read activity pages, and a few refer themselves.
- Link workers sign in once each (password, then a code from their TOTP device), read their caseload
  and referrals, and refer a person to an activity (sending it to the provider).
- Providers act on the single-use links emailed to them (files the file email backend wrote, from
  the setup and from the task worker during the run): open the link, accept.
- Systems read the Open Referral UK API: lists, near a postcode, and by id.

Every request goes through a proxy in production, so each simulated person sends its own
X-Forwarded-For address (the production settings trust one proxy): per-address limits (the
self-referral limit, sign-in throttling) then count per person, as they would in life.
The data (accounts, TOTP keys, postcodes, needs, pages) is read from ``$LOAD_FIXTURE``, written by
``bench_load``'s setup.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path
from urllib.parse import urlsplit

from locust import HttpUser, between, task

from benchmarks.load.helpers import (
    accept_links,
    claim_email_file,
    csrf_token,
    referral_choices,
    totp_code,
)

FIXTURE = json.loads(Path(os.environ["LOAD_FIXTURE"]).read_text())
WORDS = ["walking", "lonely", "art", "gardening", "lunch club", "choir", "yoga", "debt advice", "carers", "men's shed"]
_accounts = itertools.count()
_addresses = itertools.count(1)
_referral_link = re.compile(r'href="/referrals/(\d+)/"')


class Person(HttpUser):
    abstract = True

    def on_start(self):
        n = next(_addresses)
        self.address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"

    def get(self, path, name, **kwargs):
        return self._checked("GET", path, name, **kwargs)

    def post(self, path, name, data, **kwargs):
        return self._checked("POST", path, name, data=data, **kwargs)

    def _checked(self, method, path, name, expect=(200,), **kwargs):
        headers = {"X-Forwarded-For": self.address, **kwargs.pop("headers", {})}
        with self.client.request(method, path, name=name, headers=headers, catch_response=True, **kwargs) as response:
            if response.status_code not in expect:
                response.failure(f"HTTP {response.status_code} (expected {'/'.join(map(str, expect))}) at {path}")
            elif response.headers.get("X-Search-Backend", "elasticsearch") != "elasticsearch":
                # The stack searches with Elasticsearch: an answer from the database fallback is a lost search.
                response.failure(f"answered by the {response.headers['X-Search-Backend']} fallback, not Elasticsearch, at {path}")
            return response


class Resident(Person):
    weight = 6
    wait_time = between(1, 4)

    @task(6)
    def search(self):
        kind = random.random()
        params = {"postcode": random.choice(FIXTURE["postcodes"])}
        if kind < 0.4:
            params["needs"] = random.choice(FIXTURE["needs"])
        elif kind < 0.8:
            params["q"] = random.choice(WORDS)
        self.get("/find/", "/find/ (search)", params=params)

    @task(5)
    def read_activity(self):
        self.get(random.choice(FIXTURE["activity_urls"]), "activity page")

    @task(1)
    def self_refer(self):
        page = self.get("/refer-yourself/", "/refer-yourself/ (form)")
        token = csrf_token(page.text or "")
        if not token:
            return
        data = {
            "csrfmiddlewaretoken": token, "first_name": "Load", "last_name": f"Resident{random.randint(1, 10**6)}",
            "date_of_birth_day": "10", "date_of_birth_month": "12", "date_of_birth_year": "1955",
            "postcode": random.choice(FIXTURE["dorset_postcodes"] or FIXTURE["postcodes"]),
            "address": "1 High Street, Poole", "preferred_contact": "email", "email": "load.resident@example.net",
            "phone": "07700 900456", "language": "English", "practice_choice": FIXTURE["practice"],
            "needs": [str(random.choice(FIXTURE["need_ids"]))], "what_matters": "Meeting people.",
            "consent_referral": "yes", "consent_share_with_provider": "yes", "website": "",
        }
        response = self.post("/refer-yourself/", "/refer-yourself/ (send)", data, headers={"Referer": self.host + "/refer-yourself/"})
        if response.status_code == 200 and "/refer-yourself/sent/" not in (response.url or ""):
            response.failure("self-referral not sent: the form came back")


class LinkWorker(Person):
    weight = 2
    wait_time = between(2, 6)

    def on_start(self):
        super().on_start()
        accounts = FIXTURE["link_workers"]
        self.account = accounts[next(_accounts) % len(accounts)]
        self.signed_in = self.sign_in()

    def sign_in(self) -> bool:
        login = self.get("/admin/login/?next=/referrals/", "sign in: form")
        data = {"csrfmiddlewaretoken": csrf_token(login.text or "") or "", "username": self.account["username"],
                "password": self.account["password"], "next": "/referrals/"}
        second = self.post("/admin/login/?next=/referrals/", "sign in: password", data)
        if "/account/two-factor/" not in (second.url or ""):
            second.failure(f"no second factor asked after the password (at {second.url})")
            return False
        code = {"csrfmiddlewaretoken": csrf_token(second.text or "") or "", "code": totp_code(self.account["totp_key"]),
                "next": "/referrals/"}
        where = urlsplit(second.url)
        done = self.post(f"{where.path}?{where.query}", "sign in: code", code)
        if "/referrals/" not in (done.url or "") or "/account/" in (done.url or ""):
            done.failure(f"the code was not accepted (at {done.url})")
            return False
        return True

    @task(4)
    def caseload(self):
        if not self.signed_in:
            return
        page = self.get("/referrals/", "/referrals/ (caseload)")
        ids = _referral_link.findall(page.text or "")
        if ids:
            self.get(f"/referrals/{random.choice(ids)}/", "/referrals/[id]/ (a referral)")

    @task(1)
    def refer(self):
        if not self.signed_in:
            return
        activity = random.choice(FIXTURE["refer_activity_ids"])
        page = self.get(f"/referrals/refer/?activity={activity}", "/referrals/refer/ (choose whose)")
        choices = referral_choices(page.text or "")
        if not choices:
            return  # nobody on this link worker's caseload is ready for an activity any more
        data = {"csrfmiddlewaretoken": csrf_token(page.text) or "", "activity": str(activity), "referral": choices[0], "send": "on"}
        response = self.post("/referrals/refer/", "/referrals/refer/ (send)", data)
        if "/referrals/refer/" in (response.url or ""):
            response.failure("the referral was not made: the form came back")


class Provider(Person):
    # As many as link workers: with fewer, a small step (5 users) would have none at all.
    weight = 2
    wait_time = between(2, 6)

    @task
    def act_on_emailed_link(self):
        claimed = claim_email_file(Path(FIXTURE["email_folder"]))
        if claimed is None:
            return
        for path in accept_links(claimed.read_text(errors="replace")):
            page = self.get(path, "/referrals/provider/link/[token]/ (open)")
            token = csrf_token(page.text or "")
            if token:
                self.post(path, "/referrals/provider/link/[token]/ (accept)", {"csrfmiddlewaretoken": token})


class OrukReader(Person):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self):
        super().on_start()
        self.services, self.places = [], []

    @task(3)
    def services_page(self):
        response = self.get("/oruk/services", "/oruk/services", params={"page": random.randint(1, 5)})
        try:
            self.services = [s["id"] for s in response.json().get("contents", [])] or self.services
        except ValueError:
            pass

    @task(3)
    def near_a_postcode(self):
        params = {"postcode": random.choice(FIXTURE["postcodes"]), "proximity": random.choice([1000, 5000, 16000])}
        response = self.get("/oruk/service_at_locations", "/oruk/service_at_locations (near a postcode)", params=params)
        try:
            self.places = [s["id"] for s in response.json().get("contents", [])] or self.places
        except ValueError:
            pass

    @task(2)
    def service(self):
        if self.services:
            self.get(f"/oruk/services/{random.choice(self.services)}", "/oruk/services/[id]")

    @task(2)
    def service_at_location(self):
        if self.places:
            self.get(f"/oruk/service_at_locations/{random.choice(self.places)}", "/oruk/service_at_locations/[id]")
