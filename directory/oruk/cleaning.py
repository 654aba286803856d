"""Text from other publishers' feeds made safe and plain: HTML cleaned, phone numbers found.

Councils' directory platforms put HTML in ORUK's free-text fields. ``rich_text`` keeps it as
rich text, cleaned by nh3 (the maintained Rust sanitiser ammonia) to the few tags the
activity's description offers in its editor (bold, italic, lists, links) and paragraphs;
everything else is dropped but its text kept, and ``<script>`` and ``<style>`` go with
their content. Links keep only ``http``, ``https``, ``mailto`` and ``tel`` addresses (so no
``javascript:``), no event attributes survive, and every link gets ``rel="nofollow noopener
noreferrer"``: we did not write it. A feed's headings become bold paragraphs: the page's
only ``h1`` is its title, its own ``h2``s are its sections, and the description's editor has
no headings, so an editor's save would flatten them anyway. Text without tags stays plain:
escaped, with paragraphs from blank lines. ``plain_text`` turns HTML into text for fields
that are not rich text (a summary, an organisation's description, directions).
"""

from __future__ import annotations

import html
import re

import nh3
from django.utils.html import escape

from directory.oruk.records import split_paragraphs

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "ul", "ol", "li", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
LINK_REL = "nofollow noopener noreferrer"

# A tag or a character reference: text holding one is read as HTML.
_LOOKS_LIKE_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?\s*>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_HEADING = re.compile(r"<(/?)h[1-6]>")
_BLOCK_END = re.compile(r"</(p|li|ul|ol|h[1-6]|div|tr|table|blockquote)>|<br\s*/?>", re.IGNORECASE)
_BLOCK_TAG = re.compile(r"<(/?)(p|ul|ol)>")
_FIRST_PARAGRAPH = re.compile(r"^\s*<p>(.*?)</p>", re.DOTALL)


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_LIKE_HTML.search(text))


def clean_html(text: str) -> str:
    """``text`` (HTML) cleaned to the allowed tags, headings made bold paragraphs."""
    cleaned = nh3.clean(
        text,
        tags=ALLOWED_TAGS | {f"h{level}" for level in range(1, 7)},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    # nh3 writes tags back normalised (lower case, the heading's attributes gone), so the
    # headings can be renamed by pattern.
    cleaned = _HEADING.sub(lambda match: "</b></p>" if match.group(1) else "<p><b>", cleaned)
    return _wrap_loose_text(cleaned).strip()


def _wrap_loose_text(cleaned: str) -> str:
    """Text and inline tags between blocks go in a paragraph of their own, as rich text expects."""
    parts, depth, loose, position = [], 0, [], 0
    for match in _BLOCK_TAG.finditer(cleaned):
        between = cleaned[position : match.start()]
        if depth == 0:
            loose.append(between)
        else:
            parts.append(between)
        if not match.group(1) and depth == 0:
            parts.append(_paragraph("".join(loose)))
            loose = []
        depth = max(depth + (-1 if match.group(1) else 1), 0)
        parts.append(match.group(0))
        position = match.end()
    loose.append(cleaned[position:])
    parts.append(_paragraph("".join(loose)))
    return "".join(parts)


def _paragraph(inline: str) -> str:
    inline = re.sub(r"^(\s|<br>)+|(\s|<br>)+$", "", inline)
    return f"<p>{inline}</p>" if inline else ""


def plain_text(text: str) -> str:
    """``text`` without tags (blocks become paragraphs), or ``text`` itself if it has none."""
    if not looks_like_html(text):
        return text.strip()
    stripped = nh3.clean(_BLOCK_END.sub(lambda m: f"{m.group(0)}\n\n", text), tags=set(), strip_comments=True)
    return "\n\n".join(split_paragraphs(html.unescape(stripped)))


def paragraphs_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{escape(part).replace(chr(10), '<br/>')}</p>" for part in paragraphs)


def rich_text(text: str) -> str:
    """``text`` as the description's rich text: cleaned HTML, or escaped plain paragraphs."""
    if looks_like_html(text):
        return clean_html(text)
    return paragraphs_html(split_paragraphs(text))


def without_first_paragraph(cleaned: str, first: str) -> str:
    """Cleaned HTML without its first ``<p>`` when that paragraph's text is ``first``."""
    match = _FIRST_PARAGRAPH.match(cleaned)
    if match and plain_text(match.group(1)) == first and cleaned[match.end() :].strip():
        return cleaned[match.end() :].strip()
    return cleaned


# --- Phone numbers ---------------------------------------------------------------------------

# Digits with the spaces, dashes, dots and brackets people write between them; a leading +.
_PHONE = re.compile(r"(?:\+\s?|\(\s?)?\d[\d\s().-]{5,}\d")


def phone_number(text: str) -> tuple[str, str]:
    """(the phone number in ``text``, the words around it) — ``"01202 123456 (Mon-Fri)"`` gives
    ``("01202 123456", "(Mon-Fri)")``; ``("", text)`` when there is no number in it."""
    found = _PHONE.search(text)
    if found is None:
        return "", text.strip()
    number = re.sub(r"\s+", " ", found.group(0)).strip()
    if number.count("(") != number.count(")"):
        number = number.strip("()").strip()
    words = f"{text[: found.start()]} {text[found.end() :]}".strip()
    return number, re.sub(r"\s+", " ", words)
