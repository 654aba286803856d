"""Plain functions for the load test's simulated users: no Django, no Locust (so they are unit-tested cheaply)."""

from __future__ import annotations

import email
import hashlib
import hmac
import os
import re
import struct
import time
from pathlib import Path
from urllib.parse import urlsplit

_CSRF = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')
_ACCEPT_LINK = re.compile(r"To accept the referral:\s*(\S+)")
_REFERRAL_OPTION = re.compile(r'<input[^>]*name="referral"[^>]*value="(\d+)"')
# The file email backend writes each message followed by a line of 79 dashes.
_MESSAGE_SEPARATOR = "\n" + "-" * 79 + "\n"


def totp_code(key_hex: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows now for a TOTP device's hex key (RFC 6238, SHA-1; django-otp's defaults)."""
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def csrf_token(html: str) -> str | None:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    return match.group(1) if match else None


def referral_choices(html: str) -> list[str]:
    """The referral ids "Refer to this activity" offers (its radio buttons)."""
    return _REFERRAL_OPTION.findall(html)


def accept_links(message_text: str) -> list[str]:
    """The paths of the "accept" links in the emails of one file the file email backend wrote."""
    paths = []
    for raw in message_text.split(_MESSAGE_SEPARATOR):
        if not raw.strip():
            continue
        message = email.message_from_string(raw.lstrip("\n"))
        for part in message.walk():
            if part.get_content_type() != "text/plain":
                continue
            payload = part.get_payload(decode=True)
            body = payload.decode(part.get_content_charset() or "utf-8", "replace") if payload else ""
            paths += [urlsplit(url).path for url in _ACCEPT_LINK.findall(body)]
    return paths


def claim_email_file(folder: Path) -> Path | None:
    """Take one unread email file from ``folder`` (renamed, so no other simulated provider reads it); None if none."""
    try:
        names = sorted(name for name in os.listdir(folder) if name.endswith(".log"))
    except FileNotFoundError:
        return None
    for name in names:
        claimed = folder / (name + ".read")
        try:
            os.rename(folder / name, claimed)
        except FileNotFoundError:  # another user took it first
            continue
        return claimed
    return None


def percentile(histogram: dict[int, int], fraction: float) -> int:
    """The ``fraction`` percentile of a histogram of response times (ms → count), as Locust computes it."""
    total = sum(histogram.values())
    wanted = int(total * fraction)
    seen = 0
    for value in sorted(histogram, reverse=True):
        seen += histogram[value]
        if total - seen <= wanted:
            return value
    return 0
