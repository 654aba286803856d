"""Looking for personal data in what Signpost sends, without tripping over its random links."""

import re


def mentions(text: str, value: str) -> bool:
    """Whether ``value`` appears in ``text`` as a word: a short name ("Jo", "Ada") can turn up by
    chance inside a link's random signature, which is no leak."""
    return re.search(rf"(?<![\w/+=-]){re.escape(value)}(?![\w/+=-])", text) is not None
