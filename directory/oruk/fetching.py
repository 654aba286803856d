"""Reading services from an Open Referral UK 3.0 API: pages, full services, patience.

``FeedClient`` is the one place that speaks HTTP. It waits at least ``1 / rate`` seconds
between requests (a council's API is shared with its own website), gives up on a request
after ``timeout`` seconds, and tries again after a server error (5xx), a 429 (the server
asking us to slow down, so its ``Retry-After`` is honoured), a timeout or a lost connection,
waiting ``backoff``, then twice that, and so on, up to ``retries`` more times. A 4xx other
than 429 is our mistake or the server's refusal, and is never repeated. After the last try
it raises ``FeedError`` with what it asked for and what went wrong.

``services_from_api`` follows ``/services?page=N&per_page=…`` until the page says it is the
last (or is empty), and fetches ``/services/{id}`` for each item that is a summary (the
ORUK ``service_list`` shape, which has no locations, schedules, areas or needs). A feed is
read whole before anything is written, so a feed that fails half way changes nothing.
``service_ids_from_api`` reads the same pages for the ids alone (harvesting's full pass).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

import requests

Progress = Callable[..., Iterable]

DEFAULT_RATE = 5.0  # requests a second
DEFAULT_TIMEOUT = 30.0  # seconds for each request (to connect, and between bytes received)
DEFAULT_RETRIES = 4  # after the first try: 1 + 2 + 4 + 8 = 15 s of waiting at the default back-off
DEFAULT_BACKOFF = 1.0  # seconds before the first retry; doubled for each one after
MAX_RETRY_AFTER = 60.0  # the most we wait when a server's Retry-After asks for longer
PER_PAGE = 50
MAX_PAGES = 10_000  # a server whose pages never end

# Keys only a full service has; a list item with none of them is a summary.
_FULL_SERVICE_KEYS = ("service_at_locations", "schedules", "service_areas", "attributes", "contacts", "cost_options")

USER_AGENT = "Signpost ORUK importer"


class FeedError(Exception):
    """The feed could not be read; nothing was imported."""


def is_url(source: str) -> bool:
    return urlsplit(str(source)).scheme in ("http", "https")


def api_base(url: str) -> str:
    """The API's base URL, also when given the URL of its ``/services`` list."""
    base = url.split("?", 1)[0].rstrip("/")
    return base[: -len("/services")] if base.endswith("/services") else base


class FeedClient:
    """Gets JSON from a feed politely; see the module's docstring."""

    def __init__(
        self,
        *,
        rate: float = DEFAULT_RATE,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate <= 0:
            raise ValueError("rate must be more than 0 requests a second")
        self.interval = 1 / rate
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.session.headers["Accept"] = "application/json"
        self._sleep = sleep
        self._last_request = None
        self.requests_made = 0

    def get_json(self, url: str, params: dict | None = None):
        """The JSON at ``url``; raises ``FeedError`` once every try has failed."""
        problem, retry_after = "", None
        for attempt in range(self.retries + 1):
            if attempt:
                wait = self.backoff * 2 ** (attempt - 1)
                if retry_after is not None:
                    wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
                self._sleep(wait)
            self._keep_to_rate()
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except requests.Timeout:
                problem, retry_after = f"had no answer within {self.timeout:g} seconds", None
                continue
            except requests.ConnectionError as error:
                problem, retry_after = f"could not connect ({_reason(error)})", None
                continue
            if response.ok:
                return self._json(response)
            if response.status_code != 429 and response.status_code < 500:
                raise FeedError(f"{response.url} answered {response.status_code} {response.reason}.")
            problem, retry_after = f"answered {response.status_code} {response.reason}", _retry_after(response)
        where = requests.Request("GET", url, params=params).prepare().url
        tries = self.retries + 1
        raise FeedError(f"{where} failed {tries} time{'s' if tries != 1 else ''}; the last time it {problem}.")

    def _keep_to_rate(self) -> None:
        now = time.monotonic()
        if self._last_request is not None and now - self._last_request < self.interval:
            self._sleep(self.interval - (now - self._last_request))
        self._last_request = time.monotonic()
        self.requests_made += 1

    @staticmethod
    def _json(response):
        try:
            return response.json()
        except ValueError as error:
            kind = response.headers.get("Content-Type", "no content type")
            raise FeedError(f"{response.url} did not answer with JSON ({kind}): {error}") from error


def _reason(error: Exception) -> str:
    reason = error.args[0] if error.args else error
    return str(getattr(reason, "reason", reason))


def _retry_after(response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - datetime.now(parsedate_to_datetime(value).tzinfo)).total_seconds(), 0)
    except (TypeError, ValueError):
        return None


def is_summary(item) -> bool:
    return isinstance(item, dict) and not any(key in item for key in _FULL_SERVICE_KEYS)


def _list_items(base: str, *, client: FeedClient, params: dict) -> Iterator[list]:
    """Each page's ``contents`` from ``{base}/services``, until the page says it is the last."""
    for number in range(1, MAX_PAGES + 1):
        page = client.get_json(f"{base}/services", {**params, "page": number})
        if not isinstance(page, dict) or not isinstance(page.get("contents"), list):
            raise FeedError(f"{base}/services?page={number} is not a page of services (an object with `contents`).")
        contents = page["contents"]
        yield contents
        total_pages = page.get("total_pages")
        if not contents or page.get("last_page") is True or (isinstance(total_pages, int) and number >= total_pages):
            return
    raise FeedError(f"{base}/services has more than {MAX_PAGES} pages; is it paginating?")


def services_from_api(
    url: str,
    *,
    client: FeedClient,
    modified_after: datetime | None = None,
    keep: Callable[[dict], bool] = lambda item: True,
    progress: Progress | None = None,
) -> list:
    """Every service the API at ``url`` lists, in full; ``keep`` decides from a list item
    whether to fetch it (so a feed that ignores ``modified_after`` costs no extra requests)."""
    base = api_base(url)
    params = {"per_page": PER_PAGE}
    if modified_after is not None:
        params["modified_after"] = modified_after.isoformat()
    items: list = []
    for contents in _list_items(base, client=client, params=params):
        items += [item for item in contents if not isinstance(item, dict) or keep(item)]

    services = []
    items_iter = progress(items, total=len(items), desc="Fetching") if progress else items
    for item in items_iter:
        if is_summary(item) and isinstance(item.get("id"), str) and item["id"].strip():
            full = client.get_json(f"{base}/services/{quote(item['id'].strip(), safe='')}")
            if not isinstance(full, dict):
                raise FeedError(f"{base}/services/{item['id']} is not a service object.")
            services.append(full)
        else:
            services.append(item)
    return services


def service_ids_from_api(url: str, *, client: FeedClient) -> set[str]:
    """The id of every service the API at ``url`` lists (its pages only, nothing fetched in
    full), as the importer keys them (trimmed, lower case). Raises ``FeedError`` when a page
    cannot be read or an item has no id: a partial list would look like services leaving."""
    base = api_base(url)
    ids: set[str] = set()
    for contents in _list_items(base, client=client, params={"per_page": PER_PAGE}):
        for item in contents:
            oruk_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(oruk_id, str) or not oruk_id.strip():
                raise FeedError(f"{base}/services lists an item without an id, so the feed's ids cannot be read whole.")
            ids.add(oruk_id.strip().lower())
    return ids
