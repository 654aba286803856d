"""Actions that other apps offer on search results, so that search names none of those apps.

The link workers' search (``/find/link-workers/``) is for people who act on what they find:
each result carries the actions they may take on that activity (referrals offers "Refer to
this activity"). An app offers actions by registering a provider in its own ``search_actions``
module, which search imports once every app is loaded (as the admin finds ``admin`` modules):

    # <app>/search_actions.py
    register_result_actions(provider)

A provider says whom it serves (``available_to(user)``) and what it offers on one result
(``for_hit(request, hit)``: zero or more ``ResultAction``s). The link workers' search is open
to the people some provider serves, and shows the actions of the providers that serve them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.utils.module_loading import autodiscover_modules

from search.types import Hit


@dataclass(frozen=True)
class ResultAction:
    label: str
    url: str


class ResultActions(Protocol):
    def available_to(self, user) -> bool:
        """Whether this person may take these actions (and so use the link workers' search)."""

    def for_hit(self, request, hit: Hit) -> Iterable[ResultAction]:
        """The actions on one result, for the person making the request."""


_providers: list[ResultActions] = []


def register_result_actions(provider: ResultActions) -> None:
    _providers.append(provider)


def autodiscover_result_actions() -> None:
    """Import every installed app's ``search_actions`` module (from ``SearchConfig.ready()``)."""
    autodiscover_modules("search_actions")


def providers_for(user) -> list[ResultActions]:
    """The providers that serve this person: none means the link workers' search is not for them."""
    return [provider for provider in _providers if provider.available_to(user)]


def with_actions(request, hits: Sequence[Hit], providers: Sequence[ResultActions]) -> list[tuple[Hit, tuple[ResultAction, ...]]]:
    """Each hit beside the actions these providers offer on it, in the providers' order."""
    return [(hit, tuple(action for provider in providers for action in provider.for_hit(request, hit))) for hit in hits]
