"""How to join an activity: the sections other apps add to its public page, so that the
directory names none of those apps.

Referrals adds "Join this activity" (ask to join through Signpost, or, for a link worker, refer
someone from their caseload). An app adds a section by registering it in its own
``directory_join`` module, which the directory imports once every app is loaded (as the admin
finds ``admin`` modules):

    # <app>/directory_join.py
    register_join_section(section)

A section renders itself for one request and one activity (``render(request, activity)``: HTML,
or "" for nothing). The activity's page shows the sections, in the order they were registered,
while the activity is active.
"""

from __future__ import annotations

from typing import Protocol

from django.utils.html import conditional_escape
from django.utils.module_loading import autodiscover_modules
from django.utils.safestring import SafeString, mark_safe


class JoinSection(Protocol):
    def render(self, request, activity) -> str:
        """This section's HTML for the person making the request ("" for nothing)."""


_sections: list[JoinSection] = []


def register_join_section(section: JoinSection) -> None:
    _sections.append(section)


def autodiscover_join_sections() -> None:
    """Import every installed app's ``directory_join`` module (from ``DirectoryConfig.ready()``)."""
    autodiscover_modules("directory_join")


def join_sections(request, activity) -> SafeString:
    """The registered sections' HTML for ``activity``, one after another (a plain string is escaped)."""
    return mark_safe("".join(conditional_escape(section.render(request, activity)) for section in _sections))
