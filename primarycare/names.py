"""Readable names and addresses from the NHS's organisation data, which writes them in capitals.

"THE HARBOUR MEDICAL PRACTICE & ST MARY'S" reads better, in a list a resident chooses from and on
a letter to a practice, as "The Harbour Medical Practice & St Mary's"; "NHS", "GP" and "PCN" stay in
capitals. Text that already has small letters was written by a person and is kept as it is.
"""

import re

# Acronyms a practice's or network's name carries, kept in capitals.
_ACRONYMS = frozenset({"NHS", "GP", "PCN", "UK", "ICB", "CCG", "LLP", "CIC", "OOH", "WIC", "II", "III", "IV"})
# Joining words, in small letters unless they start the name ("Stratford-upon-Avon", "Isle of Portland").
_SMALL_WORDS = frozenset({"and", "of", "the", "on", "in", "at", "upon", "by", "for", "with", "to", "under"})
_ORDINAL = re.compile(r"^\d+(ST|ND|RD|TH)$")
_WORD = re.compile(r"[A-Za-z0-9']+")


def _capitalise(word: str) -> str:
    lower = word.lower()
    if lower.startswith("mc") and len(word) > 3:  # McKenzie
        return "Mc" + lower[2:].capitalize()
    if "'" in lower:
        # "MARY'S" is "Mary's", "O'NEILL" is "O'Neill".
        head, _, tail = lower.partition("'")
        return head.capitalize() + "'" + (tail if len(tail) <= 1 else tail.capitalize())
    return lower.capitalize()


def readable(text: str) -> str:
    """``text`` in title case when it is all in capitals (as the NHS's files write it), otherwise unchanged."""
    text = " ".join((text or "").split())
    if not text or any(character.islower() for character in text):
        return text
    first = True

    def word(match: re.Match) -> str:
        nonlocal first
        token = match.group(0)
        at_start, first = first, False
        if token in _ACRONYMS:
            return token
        if _ORDINAL.match(token):  # "1ST" is "1st"
            return token.lower()
        if any(character.isdigit() for character in token):  # "12A", "B2"
            return token
        if not at_start and token.lower() in _SMALL_WORDS:
            return token.lower()
        return _capitalise(token)

    return _WORD.sub(word, text)
