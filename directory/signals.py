"""Signals the directory sends, for the apps above it to act on.

``pages_published``: many new pages were published at once (``directory.page_tree``), sent
once for the batch with ``instances``, instead of Wagtail's ``page_published`` for each page,
so that an import of thousands of activities queues one search index update, not thousands.
"""

from django.dispatch import Signal

pages_published = Signal()  # sender: the page model; instances: the pages
